//! The pure engine: inputs and the current time come in, output events go out. No IO and no
//! clock: the daemon and `slad simulate` drive the same code.
//!
//! Invariants:
//! - Time is kept per tenant (EVENTS.md section 4). Before an input of tenant X with `ts = t`
//!   is applied, every timer of X due strictly before `t` fires, together with every timer of
//!   any tenant due at or before the caller's horizon, in due order.
//! - Timers due at the same instant fire SLA timers first (by tenant, ticket, metric), then
//!   routing expansions (in queue order), then the closes of tickets solved `solved_ttl` ago.
//! - A rejected or skipped input changes nothing.

mod arena;
pub mod calendar;
pub mod event_ids;
pub mod facts;
mod journey;
pub mod memory;
mod names;
mod outputs;
pub(crate) mod persist;
mod recipients;
pub mod routing;
pub mod rules;
pub mod sla;
mod tenant;
#[cfg(test)]
mod tests;
mod ticket;
pub mod wheel;

use crate::contract::decode::{decode_body, Decoded};
use crate::contract::{OutputEvent, Rejection};
use crate::time::Millis;
use event_ids::EventIds;
use rules::Rules;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::sync::Arc;
use tenant::{Tenant, TimerRef, TimerTurn};

/// What became of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Applied,
    /// A repeated `event_id` within the dedupe window (a producer retry).
    Duplicate,
    Rejected(Rejection),
}

/// The state of one partition: its tenants and their timers.
pub struct Engine {
    rules: Arc<Rules>,
    tenants: Vec<Tenant>,
    by_name: FxHashMap<String, u32>,
    /// Each tenant's earliest armed deadline, as `(deadline, tenant index)`.
    agenda: BTreeSet<(u64, u32)>,
    agenda_key: Vec<Option<u64>>,
    /// Inputs applied so far (the sequence number of the latest), for `engine.dedupe_max_ids`.
    applied: u64,
    /// The applied `event_id`s of every tenant, for the dedupe window and the count cap.
    event_ids: EventIds,
    /// Event ids forgotten by the count cap while still within the window (a metric).
    ids_forgotten_early: u64,
    /// Whether tenants record [`facts`] for the what-if report.
    recording_facts: bool,
}

/// The sequence number of the oldest applied input whose `event_id` is still remembered once
/// `applied` inputs were applied: `max_ids` later inputs forget an id.
fn oldest_kept(applied: u64, max_ids: u64) -> u64 {
    applied.saturating_add(1).saturating_sub(max_ids)
}

/// The fingerprint key of a new engine's event ids: random, so that crafted ids cannot be made
/// to collide (it travels in checkpoints, so a restored engine keeps it).
fn fingerprint_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0x736c_6164_u64)
}

impl Engine {
    pub fn new(rules: Arc<Rules>) -> Engine {
        Engine {
            tenants: Vec::new(),
            by_name: FxHashMap::default(),
            agenda: BTreeSet::new(),
            agenda_key: Vec::new(),
            applied: 0,
            event_ids: EventIds::new(fingerprint_seed(), rules.limits.dedupe_max_ids),
            ids_forgotten_early: 0,
            recording_facts: false,
            rules,
        }
    }

    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// A reload: new tickets, cycles and rounds use `rules`; running ones keep theirs until their
    /// policy is chosen again.
    pub fn set_rules(&mut self, rules: Arc<Rules>) {
        for tenant in &mut self.tenants {
            tenant.routing.set_strategy(rules.routing.strategy);
        }
        self.event_ids.set_max_ids(rules.limits.dedupe_max_ids);
        self.rules = rules;
    }

    /// Decodes the body of an envelope-checked record and applies it. Before applying, the
    /// tenant's timers due before the input's `ts`, and every tenant's timers due at or before
    /// `horizon`, fire.
    pub fn ingest(&mut self, decoded: Decoded, horizon: Millis, out: &mut Vec<OutputEvent>) -> Ingested {
        let envelope = &decoded.envelope;
        let index = self.by_name.get(envelope.tenant.as_str()).copied();
        if let Some(i) = index {
            let limits = &self.rules.limits;
            let reference = self.tenants[i as usize].reference(envelope.ts);
            let oldest = oldest_kept(self.applied, limits.dedupe_max_ids);
            if self.event_ids.contains(&envelope.tenant, &envelope.event_id, reference, limits.dedupe_window_ms, oldest)
            {
                return Ingested::Duplicate;
            }
        }
        let body = match decode_body(&decoded) {
            Ok(body) => body,
            Err(rejection) => return Ingested::Rejected(rejection),
        };
        let check = match index {
            Some(i) => self.tenants[i as usize].check(envelope, &body, &self.rules),
            None => Tenant::new(&envelope.tenant, envelope.ts, 0).check(envelope, &body, &self.rules),
        };
        if let Err(rejection) = check {
            return Ingested::Rejected(rejection);
        }
        let i = match index {
            Some(i) => i,
            None => self.add_tenant(&envelope.tenant, envelope.ts),
        };
        self.fire_due(horizon, Some((i, envelope.ts.saturating_sub(1))), out);
        let rules = self.rules.clone();
        self.applied += 1;
        self.tenants[i as usize].apply(envelope, body, &rules, out);
        self.refresh_agenda(i);
        self.remember(i, envelope);
        Ingested::Applied
    }

    /// Remembers the `event_id` of the input just applied and forgets those that can no longer
    /// match (out of the window of their tenant, or beyond the count cap).
    fn remember(&mut self, i: u32, envelope: &crate::contract::Envelope) {
        let limits = &self.rules.limits;
        self.event_ids.insert(&envelope.tenant, i, &envelope.event_id, envelope.ts, self.applied);
        let tenants = &self.tenants;
        let latest = |t: u32| tenants.get(t as usize).map_or(Millis::MIN, |tenant| tenant.latest);
        let oldest = oldest_kept(self.applied, limits.dedupe_max_ids);
        self.ids_forgotten_early += self.event_ids.evict(latest, limits.dedupe_window_ms, oldest);
    }

    /// Fires every timer due at or before `horizon`, in due order.
    pub fn advance(&mut self, horizon: Millis, out: &mut Vec<OutputEvent>) {
        self.fire_due(horizon, None, out);
    }

    /// The earliest armed deadline of any tenant.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.agenda.first().map(|&(d, _)| d as Millis)
    }

    pub fn tenant_count(&self) -> usize {
        self.tenants.len()
    }

    pub fn ticket_count(&self) -> usize {
        self.tenants.iter().map(Tenant::ticket_count).sum()
    }

    pub fn armed_timers(&self) -> usize {
        self.tenants.iter().map(Tenant::armed_timers).sum()
    }

    /// Estimated bytes of the partition's state, by component ([`memory`]).
    pub fn memory_use(&self) -> memory::MemoryUse {
        let mut total = memory::MemoryUse { dedupe: self.event_ids.memory_bytes(), ..Default::default() };
        for tenant in &self.tenants {
            total.add(tenant.memory_use());
        }
        total
    }

    /// Event ids remembered for the dedupe window, over every tenant.
    pub fn remembered_ids(&self) -> usize {
        self.event_ids.len()
    }

    /// Tickets closed by `engine.solved_ttl` since this engine was built or restored.
    pub fn tickets_expired(&self) -> u64 {
        self.tenants.iter().map(|t| t.tickets_expired).sum()
    }

    /// Event ids forgotten by `engine.dedupe_max_ids` within their `dedupe_window`, since this
    /// engine was built or restored.
    pub fn dedupe_forgotten_early(&self) -> u64 {
        self.ids_forgotten_early
    }

    /// From now on every tenant records [`facts`] (or stops, and drops those not yet taken).
    pub fn record_facts(&mut self, recording: bool) {
        self.recording_facts = recording;
        for tenant in &mut self.tenants {
            tenant.facts.set_recording(recording);
        }
    }

    /// Hands over the facts recorded since the last call, each with its tenant's index (tenants
    /// are numbered in the order they first appeared), in order within each tenant.
    pub fn drain_facts(&mut self, mut each: impl FnMut(u32, facts::Fact)) {
        for (i, tenant) in self.tenants.iter_mut().enumerate() {
            for fact in tenant.facts.drain() {
                each(i as u32, fact);
            }
        }
    }

    fn add_tenant(&mut self, name: &str, start: Millis) -> u32 {
        let i = self.tenants.len() as u32;
        let mut tenant = Tenant::new(name, start, self.event_ids.seed());
        tenant.routing.set_strategy(self.rules.routing.strategy);
        tenant.facts.set_recording(self.recording_facts);
        self.tenants.push(tenant);
        self.agenda_key.push(None);
        self.by_name.insert(name.to_owned(), i);
        i
    }

    fn refresh_agenda(&mut self, i: u32) {
        let next = self.tenants[i as usize].wheel.next_deadline();
        let key = &mut self.agenda_key[i as usize];
        if *key == next {
            return;
        }
        if let Some(old) = key.take() {
            self.agenda.remove(&(old, i));
        }
        if let Some(new) = next {
            self.agenda.insert((new, i));
        }
        *key = next;
    }

    /// Fires, in due order, every timer due at or before `horizon` and those of `own.0` due at or
    /// before `own.1`.
    fn fire_due(&mut self, horizon: Millis, own: Option<(u32, Millis)>, out: &mut Vec<OutputEvent>) {
        let horizon = horizon.max(-1);
        loop {
            let global = self.agenda.first().copied().filter(|&(d, _)| d as i128 <= horizon as i128);
            let own_next = own.and_then(|(i, limit)| {
                self.agenda_key[i as usize].filter(|&d| d as i128 <= limit as i128).map(|d| (d, i))
            });
            let deadline = match (global, own_next) {
                (None, None) => return,
                (Some((d, _)), None) | (None, Some((d, _))) => d,
                (Some((a, _)), Some((b, _))) => a.min(b),
            };
            let mut due_tenants: Vec<u32> = if deadline as i128 <= horizon as i128 {
                self.agenda.range((deadline, 0)..=(deadline, u32::MAX)).map(|&(_, i)| i).collect()
            } else {
                own_next.map(|(_, i)| i).into_iter().collect()
            };
            due_tenants.sort_by(|a, b| self.tenants[*a as usize].name.cmp(&self.tenants[*b as usize].name));
            let mut fired = 0;
            for i in due_tenants {
                fired += self.fire_tenant_at(i, deadline, out);
                self.refresh_agenda(i);
            }
            debug_assert!(fired > 0, "the agenda named deadline {deadline} but no timer was due");
            if fired == 0 {
                return;
            }
        }
    }

    /// Fires the timers of tenant `i` due exactly at `deadline` (its earliest), kind by kind:
    /// SLA timers by ticket and metric, then expansions in queue order, then the closes of
    /// solved tickets. A timer that a firing makes due at `deadline` joins the instant in its
    /// kind's turn (ladder level 1 with `after = "0m"` at a breach precedes the expansions).
    fn fire_tenant_at(&mut self, i: u32, deadline: u64, out: &mut Vec<OutputEvent>) -> usize {
        let tenant = &mut self.tenants[i as usize];
        let at = deadline as Millis;
        let rules = self.rules.clone();
        let mut pending: Vec<TimerRef> = Vec::new();
        let mut fired = 0;
        loop {
            while tenant.wheel.next_deadline() == Some(deadline) {
                match tenant.wheel.poll(deadline) {
                    Some(expired) => pending.push(expired.value),
                    None => break,
                }
            }
            let Some(turn) = pending.iter().map(|t| t.kind.turn()).min() else {
                return fired;
            };
            let (mut now, rest): (Vec<TimerRef>, Vec<TimerRef>) =
                pending.into_iter().partition(|t| t.kind.turn() == turn);
            pending = rest;
            match turn {
                TimerTurn::Sla => now.sort_by(|a, b| {
                    tenant.ticket_id(a.ticket).cmp(&tenant.ticket_id(b.ticket)).then(a.kind.cmp(&b.kind))
                }),
                TimerTurn::Expansion => now.sort_by_key(|t| tenant.queue_key(t.ticket)),
                TimerTurn::Close => now.sort_by(|a, b| tenant.ticket_id(a.ticket).cmp(&tenant.ticket_id(b.ticket))),
            }
            fired += now.len();
            for timer in now {
                tenant.fire(timer, at, &rules, out);
            }
        }
    }
}
