//! The index of agents who can take work: per channel, the agents available with room on it,
//! in one set of all of them, one per (skill, level bucket) and one per group. Levels are
//! bucketed 1, 2, .., 9 and 10-or-more (`min_level` is at most 10), so a walk for a minimum level
//! never meets agents below it.
//!
//! Sets are ordered by the table's index order: (idle-since, agent_id) by default, or
//! (open/capacity on the channel, idle-since, agent_id) when the tenant routes `least_loaded`.

use super::agents::{Agent, Slot};
use super::intern::{ChanId, GroupId, SkillId};
use std::cmp::Ordering;
use std::collections::btree_set;
use std::collections::BTreeSet;
use std::iter::Peekable;

/// The highest level bucket: levels 10 and above.
pub(super) const TOP_BUCKET: u32 = 10;

/// The bucket of a level >= 1.
pub(super) fn bucket(level: u32) -> u32 {
    level.clamp(1, TOP_BUCKET)
}

/// Where an agent sorts in a channel's sets, before its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    /// Open tickets on the channel and capacity there, in load order; `(0, 1)` in idle order.
    pub open: u32,
    pub cap: u32,
    pub idle: i64,
}

/// An agent in a set: by load (compared exactly, by cross-multiplication), idle-since, then
/// `agent_id` (byte order, through its label). `slot` never decides (labels are unique).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub key: Key,
    pub label: u64,
    pub slot: Slot,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        let load = (self.key.open as u64 * other.key.cap as u64).cmp(&(other.key.open as u64 * self.key.cap as u64));
        load.then_with(|| self.key.idle.cmp(&other.key.idle))
            .then_with(|| self.label.cmp(&other.label))
            .then_with(|| self.slot.cmp(&other.slot))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// Which set of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    All,
    /// A skill and a level bucket.
    Skill(SkillId, u32),
    Group(GroupId),
}

type Buckets = [BTreeSet<Entry>; TOP_BUCKET as usize];

#[derive(Debug, Default)]
struct ChanSets {
    all: BTreeSet<Entry>,
    skill: Vec<Buckets>,
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
            Tag::Skill(s, b) => sets.skill.get(s as usize).map(|buckets| &buckets[b as usize - 1]),
            Tag::Group(g) => sets.group.get(g as usize),
        };
        set.unwrap_or(&EMPTY)
    }

    /// Puts the agent in every set of the channel it belongs to, under `key`.
    pub fn insert(&mut self, chan: ChanId, agent: &Agent, slot: Slot, key: Key) {
        let entry = Entry { key, label: agent.label, slot };
        let sets = &mut self.chans[chan as usize];
        for (skill, level) in agent.skill_levels() {
            if sets.skill.len() <= skill as usize {
                sets.skill.resize_with(skill as usize + 1, || std::array::from_fn(|_| BTreeSet::new()));
            }
            sets.skill[skill as usize][bucket(level) as usize - 1].insert(entry);
        }
        for &group in &agent.profile.groups {
            if sets.group.len() <= group as usize {
                sets.group.resize_with(group as usize + 1, BTreeSet::new);
            }
            sets.group[group as usize].insert(entry);
        }
        sets.all.insert(entry);
    }

    /// Takes the agent out of every set of the channel, where it was under `key`.
    pub fn remove(&mut self, chan: ChanId, agent: &Agent, slot: Slot, key: Key) {
        let entry = Entry { key, label: agent.label, slot };
        let sets = &mut self.chans[chan as usize];
        for (skill, level) in agent.skill_levels() {
            let removed = sets.skill[skill as usize][bucket(level) as usize - 1].remove(&entry);
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

/// The entries of several sets, merged in order (each agent is in at most one of them).
pub(super) struct Merge<'a> {
    heads: Vec<Peekable<btree_set::Iter<'a, Entry>>>,
}

impl<'a> Merge<'a> {
    pub fn new(sets: impl Iterator<Item = &'a BTreeSet<Entry>>) -> Self {
        Merge { heads: sets.filter(|s| !s.is_empty()).map(|s| s.iter().peekable()).collect() }
    }
}

impl<'a> Iterator for Merge<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        if self.heads.len() == 1 {
            return self.heads[0].next();
        }
        let mut min: Option<(usize, Entry)> = None;
        for (i, head) in self.heads.iter_mut().enumerate() {
            if let Some(&&e) = head.peek() {
                if min.is_none_or(|(_, m)| e < m) {
                    min = Some((i, e));
                }
            }
        }
        let (i, _) = min?;
        self.heads[i].next()
    }
}
