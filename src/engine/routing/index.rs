//! The index of agents who can take work: per channel, the agents available with room on it,
//! ordered by (idle-since, agent_id), in one set for all of them, one per skill (agents at
//! level 1 or more) and one per group.

use super::agents::{Agent, Slot};
use super::intern::{ChanId, GroupId, SkillId};
use std::collections::BTreeSet;

/// An agent in a set: ordered by idle-since, then `agent_id` (byte order, through its label);
/// `slot` never decides (labels are unique).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub idle: i64,
    pub label: u64,
    pub slot: Slot,
}

/// Which set of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    All,
    Skill(SkillId),
    Group(GroupId),
}

#[derive(Debug, Default)]
struct ChanSets {
    all: BTreeSet<Entry>,
    skill: Vec<BTreeSet<Entry>>,
    group: Vec<BTreeSet<Entry>>,
}

static EMPTY: BTreeSet<Entry> = BTreeSet::new();

#[derive(Debug, Default)]
pub(super) struct AgentIndex {
    chans: Vec<ChanSets>,
}

impl AgentIndex {
    /// Adds the sets of the next channel id (empty).
    pub fn add_channel(&mut self) {
        self.chans.push(ChanSets::default());
    }

    pub fn channels(&self) -> usize {
        self.chans.len()
    }

    pub fn set(&self, chan: ChanId, tag: Tag) -> &BTreeSet<Entry> {
        let sets = &self.chans[chan as usize];
        let set = match tag {
            Tag::All => Some(&sets.all),
            Tag::Skill(s) => sets.skill.get(s as usize),
            Tag::Group(g) => sets.group.get(g as usize),
        };
        set.unwrap_or(&EMPTY)
    }

    /// Puts the agent in every set of the channel it belongs to, under `idle`.
    pub fn insert(&mut self, chan: ChanId, agent: &Agent, slot: Slot, idle: i64) {
        let entry = Entry { idle, label: agent.label, slot };
        let sets = &mut self.chans[chan as usize];
        for skill in agent.skill_tags() {
            grow(&mut sets.skill, skill).insert(entry);
        }
        for &group in &agent.profile.groups {
            grow(&mut sets.group, group).insert(entry);
        }
        sets.all.insert(entry);
    }

    /// Takes the agent out of every set of the channel, where it was under `idle`.
    pub fn remove(&mut self, chan: ChanId, agent: &Agent, slot: Slot, idle: i64) {
        let entry = Entry { idle, label: agent.label, slot };
        let sets = &mut self.chans[chan as usize];
        for skill in agent.skill_tags() {
            let removed = sets.skill[skill as usize].remove(&entry);
            debug_assert!(removed, "agent missing from a skill set");
        }
        for &group in &agent.profile.groups {
            let removed = sets.group[group as usize].remove(&entry);
            debug_assert!(removed, "agent missing from a group set");
        }
        let removed = sets.all.remove(&entry);
        debug_assert!(removed, "agent missing from a channel set");
    }
}

fn grow(sets: &mut Vec<BTreeSet<Entry>>, i: u32) -> &mut BTreeSet<Entry> {
    if sets.len() <= i as usize {
        sets.resize_with(i as usize + 1, BTreeSet::new);
    }
    &mut sets[i as usize]
}
