mod props;
mod reference;
mod unit;

use super::{QueueKey, Requirements};
use crate::contract::{AgentProfile, AgentSkill, Priority, SkillRequirement};

/// An empty `capacity` means the default, `{"*": 1}`.
pub fn profile(id: &str, skills: &[(&str, u32)], capacity: &[(&str, u32)], groups: &[&str]) -> AgentProfile {
    AgentProfile {
        agent_id: id.to_owned(),
        skills: skills.iter().map(|&(name, level)| AgentSkill { name: name.to_owned(), level }).collect(),
        capacity: if capacity.is_empty() {
            vec![("*".to_owned(), 1)]
        } else {
            capacity.iter().map(|&(c, n)| (c.to_owned(), n)).collect()
        },
        supervisor_id: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// Requirements whose scoring skills are the gating ones.
pub fn req(skills: &[(&str, u32, bool)], group: Option<&str>, channel: &str) -> Requirements {
    let skills: Vec<SkillRequirement> = skills
        .iter()
        .map(|&(name, min_level, optional)| SkillRequirement { name: name.into(), min_level, optional })
        .collect();
    Requirements {
        score_skills: skills.clone(),
        skills,
        group: group.map(str::to_owned),
        excluded: Vec::new(),
        channel: channel.to_owned(),
    }
}

pub fn key(priority: Priority, breach_at: Option<i64>, round_start: i64, ticket_id: &str) -> QueueKey {
    QueueKey { priority, breach_at, round_start, ticket_id: ticket_id.to_owned() }
}
