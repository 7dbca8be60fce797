//! Routing invariants over random agent and ticket event sequences, checked against a model
//! built only from the inputs and the engine's outputs:
//! - every `routing.assigned` went to an agent that was available, met the requirements in
//!   force at that moment (skills after expansion, group, exclusions) and had room on the
//!   ticket's channel;
//! - after every input, no queued ticket has an available eligible agent with room.
//!
//! The sequences avoid what may legitimately overfill an agent (assignments from outside,
//! reopens, capacity lowered by an upsert) so that room is always meaningful.

use proptest::prelude::*;
use serde_json::{json, Value};
use slad::contract::decode::{decode_envelope, DecodeLimits, Source};
use slad::contract::{OutputEvent, Payload, SkillRequirement};
use slad::engine::{Engine, Ingested};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const CONFIG: &str = r#"
[routing]
strategy = "STRATEGY"
[[routing.expand]]
after = "2m"
lower_min_level_by = 1
[[routing.expand]]
after = "5m"
drop_optional_skills = true
[[routing.expand]]
after = "10m"
any_agent = true
"#;

const AGENTS: [&str; 5] = ["a0", "a1", "a2", "a3", "a4"];
const SKILLS: [&str; 3] = ["s0", "s1", "s2"];
const CHANNELS: [&str; 2] = ["email", "chat"];
const GROUPS: [&str; 2] = ["g0", "g1"];

#[derive(Debug, Clone)]
enum Op {
    Upsert { agent: usize, skills: Vec<(usize, u32)>, star: u32, chat: Option<u32>, groups: Vec<usize> },
    Status { agent: usize, status: usize },
    Remove { agent: usize },
    Create { skills: Vec<(usize, u32, bool)>, channel: usize, priority: usize },
    Solve { ticket: usize },
    Close { ticket: usize },
    Unassign { ticket: usize },
    Functional { ticket: usize, skills: Vec<(usize, u32, bool)>, group: Option<usize> },
    Update { ticket: usize, skills: Vec<(usize, u32, bool)>, priority: usize },
    Wait,
}

fn op() -> impl Strategy<Value = Op> {
    let req = prop::collection::vec((0..3usize, 0..4u32, any::<bool>()), 0..3);
    prop_oneof![
        3 => (0..5usize, prop::collection::vec((0..3usize, 0..4u32), 0..3), 1..3u32, prop::option::of(0..3u32), prop::collection::vec(0..2usize, 0..2))
            .prop_map(|(agent, skills, star, chat, groups)| Op::Upsert { agent, skills, star, chat, groups }),
        4 => (0..5usize, 0..4usize).prop_map(|(agent, status)| Op::Status { agent, status }),
        1 => (0..5usize).prop_map(|agent| Op::Remove { agent }),
        5 => (req.clone(), 0..2usize, 0..4usize).prop_map(|(skills, channel, priority)| Op::Create { skills, channel, priority }),
        2 => (0..40usize).prop_map(|ticket| Op::Solve { ticket }),
        1 => (0..40usize).prop_map(|ticket| Op::Close { ticket }),
        2 => (0..40usize).prop_map(|ticket| Op::Unassign { ticket }),
        1 => (0..40usize, req.clone(), prop::option::of(0..2usize)).prop_map(|(ticket, skills, group)| Op::Functional { ticket, skills, group }),
        1 => (0..40usize, req, 0..4usize).prop_map(|(ticket, skills, priority)| Op::Update { ticket, skills, priority }),
        2 => Just(Op::Wait),
    ]
}

#[derive(Debug, Clone, Default)]
struct Agent {
    skills: BTreeMap<String, u32>,
    capacity: BTreeMap<String, u32>,
    groups: BTreeSet<String>,
    available: bool,
}

impl Agent {
    fn capacity(&self, channel: &str) -> u32 {
        self.capacity.get(channel).or_else(|| self.capacity.get("*")).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
struct Ticket {
    channel: String,
    skills: Vec<SkillRequirement>,
    solved: bool,
    assignee: Option<String>,
    queued: bool,
    round: u32,
    steps: usize,
    excluded: BTreeSet<String>,
    excluded_round: Option<(u32, String)>,
    group: Option<String>,
}

#[derive(Default)]
struct Model {
    agents: BTreeMap<String, Agent>,
    tickets: BTreeMap<String, Ticket>,
    /// Agent capacities only ever go up while an agent holds tickets (see the module doc).
    created: usize,
}

fn requirements(skills: &[(usize, u32, bool)]) -> Vec<SkillRequirement> {
    let mut seen = BTreeSet::new();
    skills
        .iter()
        .filter(|(s, _, _)| seen.insert(*s))
        .map(|&(s, min_level, optional)| SkillRequirement { name: SKILLS[s].into(), min_level, optional })
        .collect()
}

fn skills_json(skills: &[SkillRequirement]) -> Value {
    Value::Array(
        skills.iter().map(|s| json!({"name": s.name, "min_level": s.min_level, "optional": s.optional})).collect(),
    )
}

impl Model {
    fn open_on(&self, agent: &str, channel: &str) -> u32 {
        self.tickets
            .values()
            .filter(|t| !t.solved && t.assignee.as_deref() == Some(agent) && t.channel == channel)
            .count() as u32
    }

    fn effective(t: &Ticket) -> Vec<SkillRequirement> {
        let mut skills = t.skills.clone();
        for step in 1..=t.steps {
            match step {
                1 => skills.iter_mut().for_each(|s| s.min_level = s.min_level.saturating_sub(1)),
                2 => skills.retain(|s| !s.optional),
                _ => skills.clear(),
            }
        }
        skills
    }

    fn eligible(&self, agent_id: &str, t: &Ticket, round: u32) -> Result<(), String> {
        let a = self.agents.get(agent_id).ok_or("unknown agent")?;
        if !a.available {
            return Err("not available".into());
        }
        for s in Self::effective(t).iter().filter(|s| !s.optional) {
            if a.skills.get(&*s.name).copied().unwrap_or(0) < s.min_level {
                return Err(format!("lacks {} >= {}", s.name, s.min_level));
            }
        }
        if let Some(g) = &t.group {
            if !a.groups.contains(g) {
                return Err(format!("not in group {g}"));
            }
        }
        if t.excluded.contains(agent_id) || t.excluded_round.as_ref().is_some_and(|(r, x)| *r == round && x == agent_id)
        {
            return Err("excluded".into());
        }
        if self.open_on(agent_id, &t.channel) >= a.capacity(&t.channel) {
            return Err("full".into());
        }
        Ok(())
    }

    fn observe(&mut self, out: &OutputEvent) -> Result<(), String> {
        let Some(t) = self.tickets.get_mut(&out.ticket_id) else { return Ok(()) };
        match &out.payload {
            Payload::RoutingQueued { round, .. } => {
                t.round = *round;
                t.steps = 0;
                t.queued = true;
            }
            Payload::RoutingExpanded { step, requirements, .. } => {
                t.steps = *step as usize;
                if Self::effective(t) != *requirements {
                    return Err(format!("expanded requirements {requirements:?} != model {:?}", Self::effective(t)));
                }
            }
            Payload::RoutingAssigned(a) => {
                let mut ticket = t.clone();
                if a.round != ticket.round {
                    ticket.steps = 0;
                }
                self.eligible(&a.agent_id, &ticket, a.round).map_err(|why| {
                    format!("{} assigned to {} who was not eligible: {why}", out.ticket_id, a.agent_id)
                })?;
                let t = self.tickets.get_mut(&out.ticket_id).expect("present");
                t.round = a.round;
                t.assignee = Some(a.agent_id.clone());
                t.queued = false;
            }
            _ => {}
        }
        Ok(())
    }

    fn check_queue(&self) -> Result<(), String> {
        for (id, t) in self.tickets.iter().filter(|(_, t)| t.queued && !t.solved && t.assignee.is_none()) {
            for agent in self.agents.keys() {
                if self.eligible(agent, t, t.round).is_ok() {
                    return Err(format!("{id} is queued while {agent} is available, eligible and has room"));
                }
            }
        }
        Ok(())
    }
}

struct Run {
    engine: Engine,
    model: Model,
    now: i64,
    seq: u64,
}

impl Run {
    fn send(&mut self, mut event: Value) -> Result<(), String> {
        self.seq += 1;
        event["event_id"] = json!(format!("e{}", self.seq));
        event["tenant"] = json!("acme");
        event["ts"] = json!(slad::time::format_rfc3339(self.now));
        let limits = DecodeLimits { max_event_bytes: 65_536, max_future_skew_ms: 3_600_000 };
        let bytes = serde_json::to_vec(&event).unwrap();
        let decoded = decode_envelope(&bytes, &limits, Source::File).map_err(|r| r.to_string())?;
        let mut out = Vec::new();
        // Timers due before the input fire first: observe them before the input changes the model.
        self.engine.advance(self.now - 1, &mut out);
        for o in &out {
            self.model.observe(o)?;
        }
        out.clear();
        let applied = self.engine.ingest(decoded, self.now - 1, &mut out);
        if applied != Ingested::Applied {
            return Ok(());
        }
        self.apply_input(&event);
        for o in &out {
            self.model.observe(o)?;
        }
        self.model.check_queue()
    }

    fn apply_input(&mut self, e: &Value) {
        let m = &mut self.model;
        let ticket = e["ticket_id"].as_str().unwrap_or_default().to_owned();
        let agent = e["agent_id"].as_str().unwrap_or_default().to_owned();
        match e["type"].as_str().unwrap() {
            "agent.upserted" => {
                let a = m.agents.entry(agent).or_default();
                a.skills = e["skills"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| (s["name"].as_str().unwrap().to_owned(), s["level"].as_u64().unwrap() as u32))
                    .collect();
                a.capacity = e["capacity"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as u32))
                    .collect();
                a.groups = e["groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_owned()).collect();
            }
            "agent.status_changed" => {
                if let Some(a) = m.agents.get_mut(&agent) {
                    a.available = e["status"] == "available";
                }
            }
            "agent.removed" => {
                m.agents.remove(&agent);
                for t in m.tickets.values_mut() {
                    if t.assignee.as_deref() == Some(agent.as_str()) {
                        t.assignee = None;
                    }
                }
            }
            "ticket.created" => {
                let skills = serde_json::from_value::<Vec<Value>>(e["skills"].clone()).unwrap();
                m.tickets.insert(
                    ticket,
                    Ticket {
                        channel: e["channel"].as_str().unwrap().to_owned(),
                        skills: skills
                            .iter()
                            .map(|s| SkillRequirement {
                                name: s["name"].as_str().unwrap().into(),
                                min_level: s["min_level"].as_u64().unwrap() as u32,
                                optional: s["optional"].as_bool().unwrap(),
                            })
                            .collect(),
                        solved: false,
                        assignee: None,
                        queued: false,
                        round: 0,
                        steps: 0,
                        excluded: BTreeSet::new(),
                        excluded_round: None,
                        group: None,
                    },
                );
            }
            "ticket.status_changed" => {
                if e["status"] == "closed" {
                    m.tickets.remove(&ticket);
                } else if let Some(t) = m.tickets.get_mut(&ticket) {
                    t.solved = true;
                    t.queued = false;
                }
            }
            "ticket.unassigned" => {
                if let Some(t) = m.tickets.get_mut(&ticket) {
                    if let Some(a) = t.assignee.take() {
                        t.excluded_round = Some((t.round + 1, a));
                    }
                }
            }
            "ticket.escalation_requested" => {
                if let Some(t) = m.tickets.get_mut(&ticket) {
                    if let Some(a) = t.assignee.take() {
                        t.excluded.insert(a);
                    }
                    t.skills = serde_json::from_value::<Vec<Value>>(e["skills"].clone())
                        .unwrap()
                        .iter()
                        .map(|s| SkillRequirement {
                            name: s["name"].as_str().unwrap().into(),
                            min_level: s["min_level"].as_u64().unwrap() as u32,
                            optional: s["optional"].as_bool().unwrap(),
                        })
                        .collect();
                    if let Some(g) = e["group"].as_str() {
                        t.group = Some(g.to_owned());
                    }
                }
            }
            "ticket.updated" => {
                if let Some(t) = m.tickets.get_mut(&ticket) {
                    t.skills = serde_json::from_value::<Vec<Value>>(e["skills"].clone())
                        .unwrap()
                        .iter()
                        .map(|s| SkillRequirement {
                            name: s["name"].as_str().unwrap().into(),
                            min_level: s["min_level"].as_u64().unwrap() as u32,
                            optional: s["optional"].as_bool().unwrap(),
                        })
                        .collect();
                }
            }
            _ => {}
        }
    }

    fn ticket_name(&self, index: usize) -> Option<String> {
        let ids: Vec<&String> = self.model.tickets.keys().collect();
        if ids.is_empty() {
            None
        } else {
            Some(ids[index % ids.len()].clone())
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        self.now += 30_000;
        let priorities = ["urgent", "high", "normal", "low"];
        match op {
            Op::Upsert { agent, skills, star, chat, groups } => {
                let id = AGENTS[*agent];
                // Capacity never goes down for a known agent, so room stays meaningful.
                let (old_star, old_chat) = self.model.agents.get(id).map_or((0, 0), |a| (a.capacity("email"), a.capacity("chat")));
                let star = (*star).max(old_star);
                let mut capacity = json!({"*": star});
                if let Some(c) = chat {
                    capacity["chat"] = json!((*c).max(old_chat));
                } else if old_chat > star {
                    capacity["chat"] = json!(old_chat);
                }
                let mut seen = BTreeSet::new();
                let skills: Vec<Value> = skills.iter().filter(|(s, _)| seen.insert(*s)).map(|&(s, l)| json!({"name": SKILLS[s], "level": l})).collect();
                let groups: Vec<&str> = groups.iter().map(|&g| GROUPS[g]).collect();
                self.send(json!({"type": "agent.upserted", "agent_id": id, "skills": skills, "capacity": capacity, "groups": groups}))
            }
            Op::Status { agent, status } => {
                let status = ["available", "busy", "away", "offline"][*status];
                self.send(json!({"type": "agent.status_changed", "agent_id": AGENTS[*agent], "status": status}))
            }
            Op::Remove { agent } => self.send(json!({"type": "agent.removed", "agent_id": AGENTS[*agent]})),
            Op::Create { skills, channel, priority } => {
                self.model.created += 1;
                let id = format!("T{:03}", self.model.created);
                self.send(json!({"type": "ticket.created", "ticket_id": id, "priority": priorities[*priority], "channel": CHANNELS[*channel], "skills": skills_json(&requirements(skills))}))
            }
            Op::Solve { ticket } => match self.ticket_name(*ticket) {
                Some(id) if !self.model.tickets[&id].solved => self.send(json!({"type": "ticket.status_changed", "ticket_id": id, "status": "solved"})),
                _ => Ok(()),
            },
            Op::Close { ticket } => match self.ticket_name(*ticket) {
                Some(id) => self.send(json!({"type": "ticket.status_changed", "ticket_id": id, "status": "closed"})),
                None => Ok(()),
            },
            Op::Unassign { ticket } => match self.ticket_name(*ticket) {
                Some(id) if !self.model.tickets[&id].solved => self.send(json!({"type": "ticket.unassigned", "ticket_id": id})),
                _ => Ok(()),
            },
            Op::Functional { ticket, skills, group } => match self.ticket_name(*ticket) {
                Some(id) if !self.model.tickets[&id].solved => {
                    let mut e = json!({"type": "ticket.escalation_requested", "ticket_id": id, "kind": "functional", "skills": skills_json(&requirements(skills))});
                    if let Some(g) = group {
                        e["group"] = json!(GROUPS[*g]);
                    }
                    self.send(e)
                }
                _ => Ok(()),
            },
            Op::Update { ticket, skills, priority } => match self.ticket_name(*ticket) {
                Some(id) if !self.model.tickets[&id].solved => self.send(json!({"type": "ticket.updated", "ticket_id": id, "priority": priorities[*priority], "skills": skills_json(&requirements(skills))})),
                _ => Ok(()),
            },
            Op::Wait => {
                self.now += 4 * 60_000;
                Ok(())
            }
        }
    }
}

fn run(strategy: &str, ops: &[Op]) -> Result<(), TestCaseError> {
    let config = slad::config::parse(&CONFIG.replace("STRATEGY", strategy)).expect("valid config");
    let mut run = Run {
        engine: Engine::new(Arc::new(config.rules)),
        model: Model::default(),
        now: slad::time::parse_rfc3339("2026-06-01T08:00:00Z").unwrap(),
        seq: 0,
    };
    for (i, op) in ops.iter().enumerate() {
        run.step(op).map_err(|e| TestCaseError::fail(format!("after op {i} {op:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn longest_idle_keeps_the_routing_invariants(ops in prop::collection::vec(op(), 1..80)) {
        run("longest_idle", &ops)?;
    }

    #[test]
    fn most_skilled_keeps_the_routing_invariants(ops in prop::collection::vec(op(), 1..80)) {
        run("most_skilled", &ops)?;
    }

    #[test]
    fn least_loaded_keeps_the_routing_invariants(ops in prop::collection::vec(op(), 1..80)) {
        run("least_loaded", &ops)?;
    }
}
