//! Per-tenant routing tables (ROUTING.md): agents, the queue, eligibility and the choice of an
//! agent. A pure data structure: the engine owns tickets, rounds, expansions and outputs, and
//! tells the table what happened (assignments, statuses, queue changes) and asks it who should
//! take a ticket and what an agent should take next.
//!
//! # Structure
//!
//! - Agents ([`agents`]) live in a slab with an id lookup. Each keeps its profile with names
//!   interned ([`intern`]: skills, groups and channels get dense ids), a summary of its skills
//!   and groups in bits, its status, idle-since, the tickets it holds and its counted open
//!   tickets per channel. Agent ids get order-preserving integer labels ([`labels`]) so that
//!   ties on idle-since are broken by byte order with an integer compare.
//! - The agent index ([`index`]):
//!   - per named channel (one that appeared in a capacity key, an assignment or a queued
//!     ticket): the available agents with room on it, ordered by (idle-since, agent_id), or
//!     by (load, idle-since, agent_id) when the tenant routes `least_loaded`. Entries carry the
//!     agent's skill and group bits. These are the only sets an assignment moves an agent in
//!     (plus the ranked sets below, for `most_skilled`).
//!   - per skill and level bucket (1..9, 10+) and per group: the available agents, unordered;
//!     they change only with presence and profiles. They size each requirement's candidates
//!     and, when small, are read whole.
//!   - for `most_skilled` only: per skill and level bucket, the available agents by idle-since.
//!
//!   Ordered sets are sorted blocks ([`blocks`]) that keep the union of their entries' bits per
//!   block, so a walk skips blocks that lack a required skill or the group.
//! - [`RoutingTable::choose_agent`] ([`strategy`]) walks the channel's set in order, testing
//!   bits, then the agent's record, until nothing later can be better: the first eligible agent
//!   for `longest_idle` (and for `least_loaded` in load order); the first with nothing open on
//!   the channel for `least_loaded` in idle order. When the smallest set of agents the ticket's
//!   gating skills or group admit is small (`t <= 16` or `t² <= |channel set|`), or the walk
//!   has gone on for `4t` entries, that set is read whole instead. `most_skilled` reads the
//!   level buckets of a scored gating skill from the top (in idle order when ranked sets are
//!   kept), and stops when no lower bucket can reach the best score.
//! - The queue ([`queue`]) groups tickets by signature (gating skills with their `min_level`,
//!   group, channel), each signature holding its tickets in queue order. Signatures are listed
//!   per channel under an anchor: the two of their tags (gating skills, group) with the fewest
//!   qualified agents when the signature appeared, the one they have, or none.
//!   [`RoutingTable::next_ticket_for`] visits, on each channel the agent has room on, the
//!   signatures anchored at none, at one of its tags or at two of them, checks each once and
//!   keeps the best head (skipping tickets that exclude the agent). Exclusions are per ticket,
//!   outside the signature.
//!
//! # Cost of each operation
//!
//! `A` agents; `C` named channels; `Ca` the channels an agent has capacity on (`C` with
//! `"*"`); `S` and `G` its skills (level >= 1) and groups; `H` the tickets it holds; `R` a
//! ticket's gating skills; `Q` queued tickets. An ordered-set insert or remove is
//! `O(log n + 64)` (binary searches, then a move within one block).
//!
//! | operation | cost |
//! |---|---|
//! | `has_agent`, `agent_status`, `agent_supervisor`, `agent_count`, `open_on`, `is_queued`, `queue_len` | `O(1)` |
//! | `upsert_agent`, known agent | `O(Ca·log A + S + G)`, plus `O(S·log A)` with `most_skilled` |
//! | `upsert_agent`, new agent | `O(S log S + G log G + H)` (offline: not indexed) |
//! | `set_status` | as a known agent's `upsert_agent` when the status changes, `O(1)` otherwise |
//! | `remove_agent` | the same plus `O(H log H)` |
//! | `assign` | `O(Ca·log A)` when idle-since moves (the usual case), plus `O(S·log A)` with `most_skilled`; `O(log A)` otherwise; unknown agent `O(1)` |
//! | `unassign`, `set_counting`, `set_channel` | `O(log A)` |
//! | `enqueue`, `set_requirements` | `O(R log R + log Q)` |
//! | `dequeue`, `set_queue_key` | `O(log Q)` |
//! | `queued_in_order` | `O(Q log Q)` |
//! | `choose_agent` | `O(R + w)`, `w` the entries walked or read: up to the first eligible agent (`longest_idle`; `least_loaded` in load order), at most `min(channel set, 4t) + t` for the smallest admitted set `t`; `most_skilled`: the buckets read. A channel nothing has named yet: `O(A·R)` |
//! | `next_ticket_for` | `O((S + G) log(S + G) + Cq·(1 + S + G + p) + v·(R + log Q) + x)`: `Cq` channels with queued tickets, `p` pair lists partnering the agent's tags, `v` signatures visited, `x` excluding heads skipped |
//! | `set_strategy` | `O(A·Ca·log A)` when the index order changes, else `O(1)` |
//! | first sight of a channel (in `upsert_agent`, `assign`, `enqueue`) | `O(A log A)` once |
//!
//! A named channel stays named: a tenant with many channel names pays `Ca` on every
//! assignment of an agent with `"*"` capacity.

mod agents;
mod blocks;
mod eligibility;
mod index;
mod intern;
mod labels;
mod queue;
mod strategy;
#[cfg(test)]
mod tests;

pub use eligibility::Requirements;
pub use queue::QueueKey;

use crate::contract::{AgentProfile, AgentStatus};
use crate::engine::rules::Strategy;
use agents::{Agent, Agents, Census, Early, Held, Profile, Slot};
use eligibility::Needs;
use index::AgentIndex;
use intern::{ChanId, Interner};
use labels::Labels;
use queue::{Anchor, Queue};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The engine's ticket slot; stable while the ticket exists.
pub type TicketRef = u32;

/// The routing state of one tenant.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RoutingTable {
    skills: Interner,
    groups: Interner,
    chans: Interner,
    agents: Agents,
    labels: Labels,
    /// Assignments to agents not known yet.
    early: FxHashMap<String, Early>,
    census: Census,
    index: AgentIndex,
    /// The channels' sets are by load (`least_loaded`), else by idle-since.
    by_load: bool,
    /// Ranked skill sets are kept (`most_skilled`).
    by_skill: bool,
    queue: Queue,
}

impl RoutingTable {
    pub fn new() -> Self {
        RoutingTable::default()
    }

    pub fn has_agent(&self, agent_id: &str) -> bool {
        self.agents.slot(agent_id).is_some()
    }

    pub fn agent_supervisor(&self, agent_id: &str) -> Option<&str> {
        self.agents.by_id(agent_id)?.profile.supervisor.as_deref()
    }

    pub fn agent_status(&self, agent_id: &str) -> Option<AgentStatus> {
        self.agents.by_id(agent_id).map(|a| a.status)
    }

    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Counted open tickets of a known agent on a channel.
    pub fn open_on(&self, agent_id: &str, channel: &str) -> Option<u32> {
        let agent = self.agents.by_id(agent_id)?;
        Some(self.chans.get(channel).map_or(0, |c| agent.open_on(c)))
    }

    /// Creates the agent (status `offline`, no idle-since, holding what was assigned to it
    /// before) or replaces its skills, capacity, supervisor and groups (keeping status,
    /// idle-since and held tickets). True when the agent is available afterwards.
    pub fn upsert_agent(&mut self, profile: &AgentProfile) -> bool {
        let interned = self.intern_profile(profile);
        match self.agents.slot(&profile.agent_id) {
            Some(slot) => {
                self.reindex(slot, false);
                self.census.add(&interned);
                let old = self.agents.get_mut(slot).set_profile(interned);
                self.census.remove(&old);
                self.reindex(slot, true);
                self.agents.get(slot).is_available()
            }
            None => {
                let early = self.early.remove(&profile.agent_id);
                let id: Arc<str> = Arc::from(profile.agent_id.as_str());
                let label = match self.labels.insert(id.clone()) {
                    Some(label) => label,
                    None => self.relabel(id.clone()),
                };
                let agent = Agent::new(id, label, interned, early);
                self.census.add(&agent.profile);
                self.agents.insert(agent);
                false
            }
        }
    }

    /// `None`: unknown agent. `Some(false)`: the agent already had that status. `Some(true)`:
    /// changed. Becoming available moves idle-since to `now` (unless it is later already).
    pub fn set_status(&mut self, agent_id: &str, status: AgentStatus, now: i64) -> Option<bool> {
        let slot = self.agents.slot(agent_id)?;
        if self.agents.get(slot).status == status {
            return Some(false);
        }
        self.reindex(slot, false);
        let agent = self.agents.get_mut(slot);
        agent.status = status;
        if status == AgentStatus::Available {
            agent.idle = Some(later(agent.idle, now));
        }
        self.reindex(slot, true);
        Some(true)
    }

    /// Removes the agent; returns every ticket it held (counted or not), ascending, or `None`
    /// if unknown.
    pub fn remove_agent(&mut self, agent_id: &str) -> Option<Vec<TicketRef>> {
        let slot = self.agents.slot(agent_id)?;
        self.reindex(slot, false);
        let agent = self.agents.remove(slot);
        self.labels.remove(&agent.id);
        self.census.remove(&agent.profile);
        Some(agent.tickets_sorted())
    }

    /// The ticket is now assigned to the agent (known or not: an assignment to an unknown agent
    /// counts once it is upserted). `counts`: whether it counts against capacity now. Idle-since
    /// becomes `max(idle-since, now)`.
    pub fn assign(&mut self, agent_id: &str, ticket: TicketRef, channel: &str, counts: bool, now: i64) {
        let chan = self.chan(channel);
        let held = Held { chan, counts };
        let Some(slot) = self.agents.slot(agent_id) else {
            let early = self.early.entry(agent_id.to_owned()).or_default();
            early.tickets.insert(ticket, held);
            early.last = Some(later(early.last, now));
            return;
        };
        let agent = self.agents.get(slot);
        let idle = Some(later(agent.idle, now));
        if idle != agent.idle {
            self.reindex_ordered(slot, false);
            let agent = self.agents.get_mut(slot);
            agent.idle = idle;
            agent.hold(ticket, held);
            self.reindex_ordered(slot, true);
        } else {
            let prev = agent.held(ticket).map_or(chan, |h| h.chan);
            self.update_on(slot, [chan, prev], |agent| agent.hold(ticket, held));
        }
    }

    /// The ticket stops counting against the agent's capacity (solved) or counts again
    /// (reopened: may overfill), staying assigned.
    pub fn set_counting(&mut self, agent_id: &str, ticket: TicketRef, counts: bool) {
        let Some(slot) = self.agents.slot(agent_id) else {
            if let Some(held) = self.early.get_mut(agent_id).and_then(|e| e.tickets.get_mut(&ticket)) {
                held.counts = counts;
            }
            return;
        };
        let Some(held) = self.agents.get(slot).held(ticket) else {
            return;
        };
        if held.counts != counts {
            self.update_on(slot, [held.chan; 2], |agent| agent.hold(ticket, Held { counts, ..held }));
        }
    }

    /// An assigned ticket moved to another channel; not an assignment (idle-since stays).
    pub fn set_channel(&mut self, agent_id: &str, ticket: TicketRef, channel: &str) {
        let chan = self.chan(channel);
        let Some(slot) = self.agents.slot(agent_id) else {
            if let Some(held) = self.early.get_mut(agent_id).and_then(|e| e.tickets.get_mut(&ticket)) {
                held.chan = chan;
            }
            return;
        };
        let Some(held) = self.agents.get(slot).held(ticket) else {
            return;
        };
        if held.chan != chan {
            self.update_on(slot, [chan, held.chan], |agent| agent.hold(ticket, Held { chan, ..held }));
        }
    }

    /// The ticket leaves the agent. True if the agent is known and available (the caller then
    /// offers it the queue).
    pub fn unassign(&mut self, agent_id: &str, ticket: TicketRef) -> bool {
        let Some(slot) = self.agents.slot(agent_id) else {
            if let Some(early) = self.early.get_mut(agent_id) {
                early.tickets.remove(&ticket);
            }
            return false;
        };
        if let Some(held) = self.agents.get(slot).held(ticket) {
            self.update_on(slot, [held.chan; 2], |agent| {
                agent.release(ticket);
            });
        }
        self.agents.get(slot).is_available()
    }

    /// Queues a ticket (or moves it, if it was queued).
    pub fn enqueue(&mut self, ticket: TicketRef, key: QueueKey, req: Requirements) {
        let needs = self.intern_needs(&req);
        let census = &self.census;
        self.queue.insert(ticket, key, needs, req.excluded, |n| anchor_of(census, n));
    }

    pub fn dequeue(&mut self, ticket: TicketRef) -> bool {
        self.queue.remove(ticket)
    }

    pub fn is_queued(&self, ticket: TicketRef) -> bool {
        self.queue.contains(ticket)
    }

    /// No-op if the ticket is not queued.
    pub fn set_queue_key(&mut self, ticket: TicketRef, key: QueueKey) {
        self.queue.set_key(ticket, key);
    }

    /// No-op if the ticket is not queued.
    pub fn set_requirements(&mut self, ticket: TicketRef, req: Requirements) {
        if !self.queue.contains(ticket) {
            return;
        }
        let needs = self.intern_needs(&req);
        let census = &self.census;
        self.queue.set_needs(ticket, needs, req.excluded, |n| anchor_of(census, n));
    }

    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// The whole queue in queue order.
    pub fn queued_in_order(&self) -> Vec<TicketRef> {
        self.queue.in_order()
    }

    /// The agent that should take a ticket with these requirements now, per the strategy; ties
    /// go to the smallest `agent_id` (byte order).
    pub fn choose_agent(&self, req: &Requirements, strategy: Strategy) -> Option<&str> {
        let needs = self.resolve(req)?;
        self.choose(req, &needs, strategy).map(|a| &*a.id)
    }

    /// Shapes the index for the tenant's strategy (default `longest_idle`): `least_loaded`
    /// sorts the channels' sets by load, which makes its choices as cheap as `longest_idle`'s;
    /// `most_skilled` keeps skill sets ranked by idle-since. Every strategy gives the same
    /// answers whatever the shape, only more slowly in another's.
    pub fn set_strategy(&mut self, strategy: Strategy) {
        let by_load = strategy == Strategy::LeastLoaded;
        let by_skill = strategy == Strategy::MostSkilled;
        if (by_load, by_skill) != (self.by_load, self.by_skill) {
            let slots: Vec<Slot> = self.agents.iter().map(|(slot, _)| slot).collect();
            for &slot in &slots {
                self.reindex_ordered(slot, false);
            }
            (self.by_load, self.by_skill) = (by_load, by_skill);
            for &slot in &slots {
                self.reindex_ordered(slot, true);
            }
        }
    }

    /// The first queued ticket, in queue order, that the agent is eligible for now (`None` if
    /// the agent is unknown, not available or full).
    pub fn next_ticket_for(&self, agent_id: &str) -> Option<TicketRef> {
        let agent = self.agents.by_id(agent_id)?;
        if !agent.is_available() {
            return None;
        }
        self.queue.first_for(agent)
    }

    // ----- internals -----

    /// The id of a channel, naming it (and indexing the agents with room on it) on first sight.
    fn chan(&mut self, name: &str) -> ChanId {
        let (chan, new) = self.chans.intern(name);
        if new {
            self.index.add_channel();
            self.queue.add_channel();
            debug_assert_eq!(self.index.channels(), self.chans.len());
            let slots: Vec<Slot> = self.agents.iter().map(|(slot, _)| slot).collect();
            for slot in slots {
                let agent = self.agents.get(slot);
                if let Some(key) = agent.room_key(chan, self.by_load) {
                    self.index.insert_room(chan, agent, slot, key);
                }
            }
        }
        chan
    }

    /// Spreads the id labels out again, with `id` (a new agent's) among them; returns its label.
    fn relabel(&mut self, id: Arc<str>) -> labels::Label {
        let slots: Vec<Slot> = self.agents.iter().map(|(slot, _)| slot).collect();
        for &slot in &slots {
            self.reindex_ordered(slot, false);
        }
        let mut label = 0;
        for (each, new) in self.labels.relabel(id.clone()) {
            match self.agents.slot(each) {
                Some(slot) => self.agents.get_mut(slot).label = new,
                None => label = new,
            }
        }
        for &slot in &slots {
            self.reindex_ordered(slot, true);
        }
        label
    }

    /// Takes the agent out of (`insert` false) or puts it in (true) every set, as its current
    /// state says. Updates that may move it everywhere run: out, change, in.
    fn reindex(&mut self, slot: Slot, insert: bool) {
        let agent = self.agents.get(slot);
        if agent.is_available() {
            if insert {
                self.index.insert_tags(agent, slot);
            } else {
                self.index.remove_tags(agent, slot);
            }
        }
        self.reindex_ordered(slot, insert);
    }

    /// The same for the ordered sets only (enough when only idle-since, held tickets or the
    /// label change).
    fn reindex_ordered(&mut self, slot: Slot, insert: bool) {
        let (agents, index, by_load) = (&self.agents, &mut self.index, self.by_load);
        let agent = agents.get(slot);
        if !agent.is_available() {
            return;
        }
        if self.by_skill {
            if insert {
                index.insert_ranked(agent, slot);
            } else {
                index.remove_ranked(agent, slot);
            }
        }
        let apply = |chan: ChanId| {
            if let Some(key) = agent.room_key(chan, by_load) {
                if insert {
                    index.insert_room(chan, agent, slot, key);
                } else {
                    index.remove_room(chan, agent, slot, key);
                }
            }
        };
        agent.capacity_channels(self.chans.len()).for_each(apply);
    }

    /// An update that changes neither profile, status nor idle-since and may only change the
    /// agent's room on `chans`: moves the index entries that change.
    fn update_on(&mut self, slot: Slot, chans: [ChanId; 2], f: impl FnOnce(&mut Agent)) {
        let by_load = self.by_load;
        let before = chans.map(|c| self.agents.get(slot).room_key(c, by_load));
        f(self.agents.get_mut(slot));
        let (agents, index) = (&self.agents, &mut self.index);
        let agent = agents.get(slot);
        let n = if chans[0] == chans[1] { 1 } else { 2 };
        for (&chan, &before) in chans.iter().zip(&before).take(n) {
            let after = agent.room_key(chan, by_load);
            if before != after {
                if let Some(key) = before {
                    index.remove_room(chan, agent, slot, key);
                }
                if let Some(key) = after {
                    index.insert_room(chan, agent, slot, key);
                }
            }
        }
    }

    fn intern_profile(&mut self, p: &AgentProfile) -> Profile {
        let skills = p.skills.iter().map(|s| (self.skills.intern(&s.name).0, s.level)).collect();
        let mut star = 0;
        let mut caps = Vec::new();
        for (name, cap) in &p.capacity {
            if name == "*" {
                star = *cap;
            } else {
                caps.push((self.chan(name), *cap));
            }
        }
        let mut groups: Vec<u32> = p.groups.iter().map(|g| self.groups.intern(g).0).collect();
        groups.sort_unstable();
        groups.dedup();
        Profile { skills: last_wins(skills), caps: last_wins(caps), star, supervisor: p.supervisor_id.clone(), groups }
    }

    fn intern_needs(&mut self, req: &Requirements) -> Needs {
        let mut skills: Vec<(u32, u32)> = req.gating().map(|(name, min)| (self.skills.intern(name).0, min)).collect();
        Needs::normalize_skills(&mut skills);
        let group = req.group.as_ref().map(|g| self.groups.intern(g).0);
        Needs { skills, group, chan: Some(self.chan(&req.channel)) }
    }

    /// Requirements with names looked up; `None` when no agent can meet them (a gating skill or
    /// group no agent ever had).
    fn resolve(&self, req: &Requirements) -> Option<Needs> {
        let mut skills = Vec::with_capacity(req.skills.len());
        for (name, min) in req.gating() {
            skills.push((self.skills.get(name)?, min));
        }
        Needs::normalize_skills(&mut skills);
        let group = match &req.group {
            Some(g) => Some(self.groups.get(g)?),
            None => None,
        };
        Some(Needs { skills, group, chan: self.chans.get(&req.channel) })
    }

    /// Index consistency, for tests: every agent is in exactly the sets its state says, under
    /// the keys and with the bits its state says.
    #[cfg(test)]
    fn check_invariants(&self) {
        use index::Tag;
        self.queue.check_invariants();
        let labels: Vec<(&str, labels::Label)> = self.labels.in_order().collect();
        assert_eq!(labels.len(), self.agents.len());
        assert!(labels.windows(2).all(|w| w[0].1 < w[1].1), "labels follow id order");
        for (id, label) in labels {
            assert_eq!(self.agents.by_id(id).map(|a| a.label), Some(label));
        }
        let mut tagged = 0;
        let mut available = 0;
        for (slot, agent) in self.agents.iter() {
            if !agent.is_available() {
                continue;
            }
            available += 1;
            for (skill, level) in agent.skill_levels() {
                assert!(self.index.tag(Tag::Skill(skill, index::bucket(level))).contains(slot));
                tagged += 1;
            }
            for &group in &agent.profile.groups {
                assert!(self.index.tag(Tag::Group(group)).contains(slot));
                tagged += 1;
            }
        }
        assert_eq!(self.index.available(), available);
        let mut ranked = 0;
        for (slot, agent) in self.agents.iter() {
            if !(self.by_skill && agent.is_available()) {
                continue;
            }
            let entry =
                index::RankEntry { idle: agent.idle_key(), label: agent.label, slot, bits: agent.filter.bits() };
            for (skill, level) in agent.skill_levels() {
                assert!(self.index.ranked(skill, index::bucket(level)).contains(&entry), "{} ranked", agent.id);
                ranked += 1;
            }
        }
        let in_ranked: usize = (0..self.skills.len() as u32)
            .flat_map(|s| (1..=index::TOP_BUCKET).map(move |b| self.index.ranked(s, b).len()))
            .sum();
        assert_eq!(in_ranked, ranked);
        let in_sets: usize = (0..self.skills.len() as u32)
            .flat_map(|s| (1..=index::TOP_BUCKET).map(move |b| Tag::Skill(s, b)))
            .chain((0..self.groups.len() as u32).map(Tag::Group))
            .map(|tag| self.index.tag(tag).len())
            .sum();
        assert_eq!(in_sets, tagged);
        for chan in 0..self.chans.len() as ChanId {
            let mut expected = 0;
            for (slot, agent) in self.agents.iter() {
                let Some(key) = agent.room_key(chan, self.by_load) else { continue };
                let found = self.index.room(chan).iter().find(|e| e.slot == slot).copied();
                let found = found.unwrap_or_else(|| panic!("{} missing on channel {chan}", agent.id));
                assert_eq!(
                    (found.key, found.label, found.filter),
                    (key, agent.label, agent.filter),
                    "{} on {chan}",
                    agent.id
                );
                expected += 1;
            }
            assert_eq!(self.index.room(chan).len(), expected);
        }
    }
}

fn later(idle: Option<i64>, now: i64) -> i64 {
    idle.map_or(now, |i| i.max(now))
}

/// Sorted by id, unique, the last pair given for an id winning.
fn last_wins(mut pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    pairs.reverse();
    pairs.sort_by_key(|&(id, _)| id);
    pairs.dedup_by_key(|&mut (id, _)| id);
    pairs
}

/// The anchor of a new queue signature: the two of its tags (gating skills, group) with the
/// fewest qualified agents, the one it has, or none.
fn anchor_of(census: &Census, needs: &Needs) -> Anchor {
    let skills = needs.skills.iter().map(|&(s, min)| (census.at_least(s, min), queue::skill_tag(s)));
    let group = needs.group.map(|g| (census.members(g), queue::group_tag(g)));
    let mut tags: Vec<(u32, queue::TagId)> = skills.chain(group).collect();
    tags.sort_unstable();
    match tags[..] {
        [] => Anchor::Free,
        [(_, a)] => Anchor::One(a),
        [(_, a), (_, b), ..] => Anchor::Two(a.min(b), a.max(b)),
    }
}
