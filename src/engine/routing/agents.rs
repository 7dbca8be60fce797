//! Agent records: profile (skills, capacity, groups), presence, idle-since and the tickets
//! they hold; the slab they live in; per-skill level statistics.

use super::index::Key;
use super::intern::{ChanId, GroupId, SkillId};
use super::labels::Label;
use super::TicketRef;
use crate::contract::AgentStatus;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An agent's place in the slab.
pub(super) type Slot = u32;

/// A ticket held by an agent: its channel, and whether it counts against capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Held {
    pub chan: ChanId,
    pub counts: bool,
}

/// An agent profile with its names interned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Profile {
    /// Sorted by skill, unique (the last entry for a name wins); levels may be 0.
    pub skills: Vec<(SkillId, u32)>,
    /// Sorted by channel, unique; without `"*"`.
    pub caps: Vec<(ChanId, u32)>,
    /// The `"*"` capacity (0 when absent).
    pub star: u32,
    pub supervisor: Option<String>,
    /// Sorted, unique.
    pub groups: Vec<GroupId>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Agent {
    #[serde(with = "crate::checkpoint::fields::arc_str")]
    pub id: Arc<str>,
    /// The id's place in byte order (see [`super::labels`]).
    pub label: Label,
    pub profile: Profile,
    /// Bits of the profile's skills and groups.
    pub filter: Filter,
    pub status: AgentStatus,
    /// The last assignment or becoming `available`, whichever is later.
    pub idle: Option<i64>,
    /// Counted open tickets per channel; no zero entries.
    open: Vec<(ChanId, u32)>,
    tickets: FxHashMap<TicketRef, Held>,
}

impl Agent {
    /// A new agent: `offline`, holding what was assigned to it before it was known.
    pub fn new(id: Arc<str>, label: Label, profile: Profile, early: Option<Early>) -> Agent {
        let mut agent = Agent {
            id,
            label,
            filter: Filter::of(&profile),
            profile,
            status: AgentStatus::Offline,
            idle: None,
            open: Vec::new(),
            tickets: FxHashMap::default(),
        };
        if let Some(early) = early {
            agent.idle = early.last;
            for (ticket, held) in early.tickets {
                agent.hold(ticket, held);
            }
        }
        agent
    }

    /// Replaces the profile, returning the old one.
    pub fn set_profile(&mut self, profile: Profile) -> Profile {
        self.filter = Filter::of(&profile);
        std::mem::replace(&mut self.profile, profile)
    }

    pub fn is_available(&self) -> bool {
        self.status == AgentStatus::Available
    }

    /// The agent's level in a skill; 0 without it.
    pub fn level(&self, skill: SkillId) -> u32 {
        match self.profile.skills.binary_search_by_key(&skill, |&(s, _)| s) {
            Ok(i) => self.profile.skills[i].1,
            Err(_) => 0,
        }
    }

    /// The skills the agent has at level 1 or more.
    pub fn skill_tags(&self) -> impl Iterator<Item = SkillId> + '_ {
        self.skill_levels().map(|(s, _)| s)
    }

    /// The skills the agent has at level 1 or more, with their levels.
    pub fn skill_levels(&self) -> impl Iterator<Item = (SkillId, u32)> + '_ {
        self.profile.skills.iter().copied().filter(|&(_, level)| level > 0)
    }

    pub fn in_group(&self, group: GroupId) -> bool {
        self.profile.groups.binary_search(&group).is_ok()
    }

    /// Capacity on a channel: its own key, else `"*"`, else 0.
    pub fn capacity(&self, chan: ChanId) -> u32 {
        match self.profile.caps.binary_search_by_key(&chan, |&(c, _)| c) {
            Ok(i) => self.profile.caps[i].1,
            Err(_) => self.profile.star,
        }
    }

    /// Counted open tickets on a channel.
    pub fn open_on(&self, chan: ChanId) -> u32 {
        self.open.iter().find(|&&(c, _)| c == chan).map_or(0, |&(_, n)| n)
    }

    pub fn has_room(&self, chan: ChanId) -> bool {
        self.open_on(chan) < self.capacity(chan)
    }

    /// The key of the agent in channel `chan`'s set, when it belongs there (available with
    /// room), in load order or idle order.
    pub fn room_key(&self, chan: ChanId, by_load: bool) -> Option<Key> {
        if !self.is_available() {
            return None;
        }
        let (open, cap) = (self.open_on(chan), self.capacity(chan));
        (open < cap).then(|| {
            let (open, cap) = if by_load { (open, cap) } else { (0, 1) };
            Key { open, cap, idle: self.idle_key() }
        })
    }

    /// Idle-since as an ordering key (an available agent always has one).
    pub fn idle_key(&self) -> i64 {
        self.idle.unwrap_or(i64::MIN)
    }

    /// The channels on which the agent can ever have room, among `0..chans`.
    pub fn capacity_channels(&self, chans: usize) -> impl Iterator<Item = ChanId> + '_ {
        let all = if self.profile.star > 0 { 0..chans as ChanId } else { 0..0 };
        let own = self.profile.caps.iter().filter(move |&&(_, cap)| cap > 0 && self.profile.star == 0).map(|&(c, _)| c);
        all.chain(own)
    }

    pub fn held(&self, ticket: TicketRef) -> Option<Held> {
        self.tickets.get(&ticket).copied()
    }

    /// Every ticket held, ascending.
    pub fn tickets_sorted(&self) -> Vec<TicketRef> {
        let mut tickets: Vec<TicketRef> = self.tickets.keys().copied().collect();
        tickets.sort_unstable();
        tickets
    }

    /// Holds a ticket (replacing what was held under that ref).
    pub fn hold(&mut self, ticket: TicketRef, held: Held) {
        self.release(ticket);
        self.tickets.insert(ticket, held);
        if held.counts {
            self.add_open(held.chan, 1);
        }
    }

    pub fn release(&mut self, ticket: TicketRef) -> Option<Held> {
        let held = self.tickets.remove(&ticket)?;
        if held.counts {
            self.add_open(held.chan, -1);
        }
        Some(held)
    }

    fn add_open(&mut self, chan: ChanId, delta: i32) {
        match self.open.iter().position(|&(c, _)| c == chan) {
            Some(i) => {
                let n = self.open[i].1 as i64 + delta as i64;
                debug_assert!(n >= 0, "open count below zero");
                if n <= 0 {
                    self.open.swap_remove(i);
                } else {
                    self.open[i].1 = n as u32;
                }
            }
            None => {
                debug_assert!(delta > 0, "open count below zero");
                if delta > 0 {
                    self.open.push((chan, delta as u32));
                }
            }
        }
    }
}

/// Assignments to an agent not known yet, taken as fact and counted once it is upserted.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Early {
    pub tickets: FxHashMap<TicketRef, Held>,
    /// The latest of these assignments.
    pub last: Option<i64>,
}

/// A summary of an agent's skills (level >= 1) and groups, one bit per id modulo 64: carried
/// in the index's entries so that a walk rules most agents out without touching their
/// records. A clear bit is certain; a set bit still needs the exact test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Filter {
    pub skills: u64,
    pub groups: u64,
}

impl Filter {
    pub fn bit(id: u32) -> u64 {
        1 << (id % 64)
    }

    pub fn of(profile: &Profile) -> Filter {
        let skills = profile.skills.iter().filter(|&&(_, l)| l > 0).fold(0, |m, &(s, _)| m | Filter::bit(s));
        let groups = profile.groups.iter().fold(0, |m, &g| m | Filter::bit(g));
        Filter { skills, groups }
    }

    /// Skills and groups in one word.
    pub fn bits(self) -> u128 {
        (self.skills as u128) << 64 | self.groups as u128
    }

    /// False when the agent surely lacks something `need` has.
    pub fn may_meet(self, need: Filter) -> bool {
        self.skills & need.skills == need.skills && self.groups & need.groups == need.groups
    }
}

/// The agents of a tenant: a slab with an id lookup.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Agents {
    slots: Vec<Option<Agent>>,
    free: Vec<Slot>,
    #[serde(with = "crate::checkpoint::fields::arc_str_keys")]
    by_id: FxHashMap<Arc<str>, Slot>,
}

impl Agents {
    pub fn slot(&self, id: &str) -> Option<Slot> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, slot: Slot) -> &Agent {
        self.slots[slot as usize].as_ref().expect("a live agent slot")
    }

    pub fn get_mut(&mut self, slot: Slot) -> &mut Agent {
        self.slots[slot as usize].as_mut().expect("a live agent slot")
    }

    pub fn by_id(&self, id: &str) -> Option<&Agent> {
        self.slot(id).map(|slot| self.get(slot))
    }

    pub fn insert(&mut self, agent: Agent) -> Slot {
        let id = agent.id.clone();
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(agent);
                slot
            }
            None => {
                self.slots.push(Some(agent));
                (self.slots.len() - 1) as Slot
            }
        };
        self.by_id.insert(id, slot);
        slot
    }

    pub fn remove(&mut self, slot: Slot) -> Agent {
        let agent = self.slots[slot as usize].take().expect("a live agent slot");
        self.by_id.remove(&*agent.id);
        self.free.push(slot);
        agent
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Slot, &Agent)> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, a)| a.as_ref().map(|a| (i as Slot, a)))
    }
}

/// How many known agents have each skill at each level (level 0 is not counted), and how many
/// belong to each group: cheap bounds for `most_skilled` and the choice of a queue anchor.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Census {
    levels: Vec<BTreeMap<u32, u32>>,
    groups: Vec<u32>,
}

impl Census {
    pub fn add(&mut self, profile: &Profile) {
        for &(skill, level) in profile.skills.iter().filter(|&&(_, level)| level > 0) {
            if self.levels.len() <= skill as usize {
                self.levels.resize_with(skill as usize + 1, BTreeMap::new);
            }
            *self.levels[skill as usize].entry(level).or_insert(0) += 1;
        }
        for &group in &profile.groups {
            if self.groups.len() <= group as usize {
                self.groups.resize(group as usize + 1, 0);
            }
            self.groups[group as usize] += 1;
        }
    }

    pub fn remove(&mut self, profile: &Profile) {
        for &(skill, level) in profile.skills.iter().filter(|&&(_, level)| level > 0) {
            let levels = &mut self.levels[skill as usize];
            let n = levels.get_mut(&level).expect("a counted level");
            *n -= 1;
            if *n == 0 {
                levels.remove(&level);
            }
        }
        for &group in &profile.groups {
            self.groups[group as usize] -= 1;
        }
    }

    /// The highest level any known agent has in the skill (0 if none has it).
    pub fn max_level(&self, skill: SkillId) -> u32 {
        self.levels.get(skill as usize).and_then(|l| l.last_key_value()).map_or(0, |(&level, _)| level)
    }

    /// How many known agents have the skill at `min_level` or more (`min_level` >= 1).
    pub fn at_least(&self, skill: SkillId, min_level: u32) -> u32 {
        self.levels.get(skill as usize).map_or(0, |l| l.range(min_level..).map(|(_, &n)| n).sum())
    }

    pub fn members(&self, group: GroupId) -> u32 {
        self.groups.get(group as usize).copied().unwrap_or(0)
    }
}
