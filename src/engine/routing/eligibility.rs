//! Eligibility (ROUTING.md): what a ticket requires of an agent, and the test itself.

use super::agents::{Agent, Filter};
use super::intern::{ChanId, GroupId, SkillId};
use crate::contract::SkillRequirement;
use serde::{Deserialize, Serialize};

/// What a ticket asks of an agent, as the engine computes it for the current round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    /// Effective skills after expansion; only non-optional ones gate eligibility.
    pub skills: Vec<SkillRequirement>,
    /// The ticket's own skills (optional ones included), used by `most_skilled` scoring.
    pub score_skills: Vec<SkillRequirement>,
    /// The agent must belong to it (`None`: no restriction).
    pub group: Option<String>,
    /// Agent ids that may not take this ticket.
    pub excluded: Vec<String>,
    /// Capacity is counted on this channel.
    pub channel: String,
}

impl Requirements {
    /// The skills that gate eligibility: not optional, `min_level` >= 1 (level 0 always passes).
    pub(super) fn gating(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.skills.iter().filter(|s| !s.optional && s.min_level > 0).map(|s| (&*s.name, s.min_level))
    }
}

/// Requirements with names interned: the part shared by every ticket of a queue signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(super) struct Needs {
    /// Gating skills, sorted by skill, unique (the highest `min_level` of a name), each >= 1.
    pub skills: Vec<(SkillId, u32)>,
    pub group: Option<GroupId>,
    /// `None`: a channel nothing has named yet (no capacity key, assignment or queued ticket),
    /// so nothing is open on it and every agent's capacity there is their `"*"`.
    pub chan: Option<ChanId>,
}

impl Needs {
    /// The bits an agent's [`Filter`] must have.
    pub fn filter(&self) -> Filter {
        Filter {
            skills: self.skills.iter().fold(0, |m, &(s, _)| m | Filter::bit(s)),
            groups: self.group.map_or(0, Filter::bit),
        }
    }

    /// Sorts and merges gating skills given in any order.
    pub fn normalize_skills(skills: &mut Vec<(SkillId, u32)>) {
        skills.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        skills.dedup_by_key(|s| s.0);
    }
}

impl Agent {
    /// Skills and group (the parts of eligibility a queue signature fixes).
    pub(super) fn qualifies(&self, needs: &Needs) -> bool {
        needs.skills.iter().all(|&(skill, min)| self.level(skill) >= min)
            && needs.group.is_none_or(|g| self.in_group(g))
    }

    /// Room on a channel that may be unnamed (see [`Needs::chan`]).
    pub(super) fn has_room_on(&self, chan: Option<ChanId>) -> bool {
        match chan {
            Some(chan) => self.has_room(chan),
            None => self.profile.star > 0,
        }
    }

    /// The test for an agent taken from the channel's index (available with room there).
    pub(super) fn eligible_in_index(&self, needs: &Needs, excluded: &[String]) -> bool {
        debug_assert!(self.is_available() && self.has_room_on(needs.chan));
        self.qualifies(needs) && !self.excluded_by(excluded)
    }

    /// The whole test: available, skills, group, room on the channel, not excluded.
    pub(super) fn eligible(&self, needs: &Needs, excluded: &[String]) -> bool {
        self.is_available() && self.qualifies(needs) && self.has_room_on(needs.chan) && !self.excluded_by(excluded)
    }

    pub(super) fn excluded_by(&self, excluded: &[String]) -> bool {
        excluded.iter().any(|x| **x == *self.id)
    }
}
