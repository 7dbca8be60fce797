//! The index of agents who can take work:
//! - per channel: the available agents with room on it, in the table's index order:
//!   (idle-since, agent_id) by default, or (open/capacity on the channel, idle-since, agent_id)
//!   when the tenant routes `least_loaded`. Each entry carries the agent's skill and group
//!   bits, so a walk rules out most agents without touching their records. An assignment
//!   moves the agent in these sets only (one per channel it has room on).
//! - per skill and level bucket, and per group: the available agents, unordered. These change
//!   only with presence and profiles, and give the size of each requirement's candidates and,
//!   when that is small, the candidates themselves. Levels are bucketed 1, 2, .., 9 and
//!   10-or-more (`min_level` is at most 10).
//! - when the tenant routes `most_skilled`: per skill and level bucket, the available agents by
//!   (idle-since, agent_id) as well ("ranked"), so that the best of a bucket is found at its
//!   front. Assignments move agents in these too.

use super::agents::{Agent, Filter, Slot};
use super::blocks::{Bits, Blocks};
use super::intern::{ChanId, GroupId, SkillId};
use super::labels::Label;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The highest level bucket: levels 10 and above.
pub(super) const TOP_BUCKET: u32 = 10;

/// The bucket of a level >= 1.
pub(super) fn bucket(level: u32) -> u32 {
    level.clamp(1, TOP_BUCKET)
}

/// Where an agent sorts in a channel's set, before its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Key {
    /// Open tickets on the channel and capacity there, in load order; `(0, 1)` in idle order.
    pub open: u32,
    pub cap: u32,
    pub idle: i64,
}

/// An agent in a channel's set: by load (compared exactly, by cross-multiplication),
/// idle-since, then `agent_id` (byte order, through its label); `slot` and `filter` never
/// decide (labels are unique).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct RoomEntry {
    pub key: Key,
    pub label: Label,
    pub slot: Slot,
    pub filter: Filter,
}

impl Bits for RoomEntry {
    fn bits(&self) -> u128 {
        self.filter.bits()
    }
}

impl Ord for RoomEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        let load = if self.key.cap == other.key.cap {
            self.key.open.cmp(&other.key.open)
        } else {
            (self.key.open as u64 * other.key.cap as u64).cmp(&(other.key.open as u64 * self.key.cap as u64))
        };
        load.then_with(|| self.key.idle.cmp(&other.key.idle))
            .then_with(|| self.label.cmp(&other.label))
            .then_with(|| self.slot.cmp(&other.slot))
    }
}

impl PartialOrd for RoomEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RoomEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RoomEntry {}

/// An agent in a ranked set: by idle-since, then `agent_id`; carries its skill and group bits
/// (which never decide: labels are unique).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) struct RankEntry {
    pub idle: i64,
    pub label: Label,
    pub slot: Slot,
    pub bits: u128,
}

impl Bits for RankEntry {
    fn bits(&self) -> u128 {
        self.bits
    }
}

/// A set of agents by what they have: a skill at a level bucket, or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    /// A skill and a level bucket.
    Skill(SkillId, u32),
    Group(GroupId),
}

/// An unordered set of slots: `O(1)` insert and remove.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Members {
    slots: Vec<Slot>,
    pos: FxHashMap<Slot, u32>,
}

impl Members {
    fn insert(&mut self, slot: Slot) {
        let fresh = self.pos.insert(slot, self.slots.len() as u32).is_none();
        debug_assert!(fresh, "agent twice in a set");
        self.slots.push(slot);
    }

    fn remove(&mut self, slot: Slot) {
        let pos = self.pos.remove(&slot).expect("agent in the set") as usize;
        self.slots.swap_remove(pos);
        if let Some(&moved) = self.slots.get(pos) {
            self.pos.insert(moved, pos as u32);
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    #[cfg(test)]
    pub fn contains(&self, slot: Slot) -> bool {
        self.pos.contains_key(&slot)
    }
}

type Buckets = [Members; TOP_BUCKET as usize];

static EMPTY_RANKED: Blocks<RankEntry> = Blocks::new();

static EMPTY: Members = Members { slots: Vec::new(), pos: FxHashMap::with_hasher(rustc_hash::FxBuildHasher) };

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct AgentIndex {
    /// Available agents per skill and level bucket.
    skill: Vec<Buckets>,
    /// Available agents per group.
    group: Vec<Members>,
    /// Per channel: the available agents with room on it, in the index order.
    room: Vec<Blocks<RoomEntry>>,
    /// Per skill and level bucket, by idle-since: kept for `most_skilled` only.
    ranked: Vec<[Blocks<RankEntry>; TOP_BUCKET as usize]>,
    /// How many agents are available.
    available: usize,
}

impl AgentIndex {
    /// Adds the set of the next channel id (empty).
    pub fn add_channel(&mut self) {
        self.room.push(Blocks::new());
    }

    pub fn channels(&self) -> usize {
        self.room.len()
    }

    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.available
    }

    pub fn tag(&self, tag: Tag) -> &Members {
        let set = match tag {
            Tag::Skill(s, b) => self.skill.get(s as usize).map(|buckets| &buckets[b as usize - 1]),
            Tag::Group(g) => self.group.get(g as usize),
        };
        set.unwrap_or(&EMPTY)
    }

    pub fn room(&self, chan: ChanId) -> &Blocks<RoomEntry> {
        &self.room[chan as usize]
    }

    pub fn ranked(&self, skill: SkillId, bucket: u32) -> &Blocks<RankEntry> {
        self.ranked.get(skill as usize).map_or(&EMPTY_RANKED, |buckets| &buckets[bucket as usize - 1])
    }

    /// Puts an available agent in the ranked sets of its skills.
    pub fn insert_ranked(&mut self, agent: &Agent, slot: Slot) {
        let entry = RankEntry { idle: agent.idle_key(), label: agent.label, slot, bits: agent.filter.bits() };
        for (skill, level) in agent.skill_levels() {
            if self.ranked.len() <= skill as usize {
                self.ranked.resize_with(skill as usize + 1, || std::array::from_fn(|_| Blocks::new()));
            }
            self.ranked[skill as usize][bucket(level) as usize - 1].insert(entry);
        }
    }

    pub fn remove_ranked(&mut self, agent: &Agent, slot: Slot) {
        let entry = RankEntry { idle: agent.idle_key(), label: agent.label, slot, bits: agent.filter.bits() };
        for (skill, level) in agent.skill_levels() {
            let removed = self.ranked[skill as usize][bucket(level) as usize - 1].remove(&entry);
            debug_assert!(removed, "agent missing from a ranked set");
        }
    }

    /// Counts an available agent in the sets of its skills and groups.
    pub fn insert_tags(&mut self, agent: &Agent, slot: Slot) {
        for (skill, level) in agent.skill_levels() {
            if self.skill.len() <= skill as usize {
                self.skill.resize_with(skill as usize + 1, Default::default);
            }
            self.skill[skill as usize][bucket(level) as usize - 1].insert(slot);
        }
        for &group in &agent.profile.groups {
            if self.group.len() <= group as usize {
                self.group.resize_with(group as usize + 1, Members::default);
            }
            self.group[group as usize].insert(slot);
        }
        self.available += 1;
    }

    /// Takes an agent out of the sets of its skills and groups.
    pub fn remove_tags(&mut self, agent: &Agent, slot: Slot) {
        for (skill, level) in agent.skill_levels() {
            self.skill[skill as usize][bucket(level) as usize - 1].remove(slot);
        }
        for &group in &agent.profile.groups {
            self.group[group as usize].remove(slot);
        }
        self.available -= 1;
    }

    pub fn insert_room(&mut self, chan: ChanId, agent: &Agent, slot: Slot, key: Key) {
        self.room[chan as usize].insert(RoomEntry { key, label: agent.label, slot, filter: agent.filter });
    }

    pub fn remove_room(&mut self, chan: ChanId, agent: &Agent, slot: Slot, key: Key) {
        let entry = RoomEntry { key, label: agent.label, slot, filter: agent.filter };
        let removed = self.room[chan as usize].remove(&entry);
        debug_assert!(removed, "agent missing from a channel set");
    }
}
