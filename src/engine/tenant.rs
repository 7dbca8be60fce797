//! One tenant's state and the handling of its inputs and timers: tickets and their SLA
//! clocks, the routing tables, journeys, and the memory of recent ids.
//!
//! Time is kept per tenant: `latest` is the latest `ts` applied; the tenant's wheel holds
//! one timer per running SLA cycle and one per queued ticket with expansion steps left.

use super::arena::Arena;
use super::event_ids::EventIds;
use super::facts::{FactKind, Facts};
use super::journey::Journeys;
use super::memory::{self, MemoryUse};
use super::names::{Name, Names};
use super::outputs::Emitter;
use super::recipients;
use super::routing::{QueueKey, Requirements, RoutingTable, TicketRef};
use super::rules::{Policy, Rules};
use super::sla::{Clock, Milestone, Phase};
use super::ticket::{Route, Ticket};
use super::wheel::Wheel;
use crate::contract::{
    AgentStatus, Body, Envelope, EscalationKind, EscalationOrigin, EscalationRequested, Metric, OutputEvent, Priority,
    RawJson, Reason, Rejection, SkillRequirement, Status, TicketCreated, TicketUpdated,
};
use crate::time::Millis;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a timer stands for: a metric's clock, a queued ticket's next expansion step, or the
/// close of a ticket solved `engine.solved_ttl` ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerRef {
    pub ticket: TicketRef,
    pub kind: TimerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimerKind {
    Sla(Metric),
    Expansion,
    Close,
}

/// The order in which the kinds of timers due at the same instant fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerTurn {
    Sla,
    Expansion,
    Close,
}

impl TimerKind {
    pub fn turn(self) -> TimerTurn {
        match self {
            TimerKind::Sla(_) => TimerTurn::Sla,
            TimerKind::Expansion => TimerTurn::Expansion,
            TimerKind::Close => TimerTurn::Close,
        }
    }
}

/// Sizes the generations of closed ticket ids as a cap of this many would (there is no cap).
const CLOSED_GENERATION_SIZING: u64 = 20_000_000;

fn to_wheel_time(at: Millis) -> u64 {
    at.max(0) as u64
}

#[derive(Serialize, Deserialize)]
pub struct Tenant {
    pub name: String,
    /// Latest applied input `ts`.
    pub latest: Millis,
    pub wheel: Wheel<TimerRef>,
    tickets: Arena<Ticket>,
    /// Keys share the ticket's id.
    by_id: FxHashMap<Name, TicketRef>,
    pub routing: RoutingTable,
    journeys: Journeys,
    /// Ids of closed tickets, remembered from their close for `dedupe_window` (the count cap
    /// does not apply to them: sequence numbers are this tenant's closes).
    closed_tickets: EventIds,
    closes: u64,
    /// Tickets closed by `engine.solved_ttl` since the engine was built or restored (a metric,
    /// not checkpointed).
    #[serde(skip)]
    pub tickets_expired: u64,
    /// Rebuilt from the tickets on restore ([`Tenant::share_names`]).
    #[serde(skip)]
    names: Names,
    /// Clocks held by the tickets (for the memory estimate).
    clocks_held: usize,
    #[serde(skip)]
    pub facts: Facts,
}

/// Borrowed pieces a handler needs besides the ticket itself.
struct Ctx<'a> {
    rules: &'a Arc<Rules>,
    wheel: &'a mut Wheel<TimerRef>,
    routing: &'a mut RoutingTable,
    names: &'a mut Names,
    clocks_held: &'a mut usize,
    emit: Emitter<'a>,
    /// The ticket being handled, and the facts recorded about it.
    slot: TicketRef,
    facts: &'a mut Facts,
}

impl Ctx<'_> {
    fn fact(&mut self, kind: impl FnOnce() -> FactKind) {
        self.facts.record(self.slot, kind);
    }
}

impl Tenant {
    /// `seed` keys the fingerprints of its closed ticket ids.
    pub fn new(name: &str, start: Millis, seed: u64) -> Tenant {
        Tenant {
            name: name.to_owned(),
            latest: Millis::MIN,
            wheel: Wheel::new(to_wheel_time(start)),
            tickets: Arena::default(),
            by_id: FxHashMap::default(),
            routing: RoutingTable::new(),
            journeys: Journeys::default(),
            closed_tickets: EventIds::new(seed, CLOSED_GENERATION_SIZING),
            closes: 0,
            tickets_expired: 0,
            names: Names::default(),
            clocks_held: 0,
            facts: Facts::default(),
        }
    }

    pub fn ticket_count(&self) -> usize {
        self.by_id.len()
    }

    /// Estimated bytes of this tenant's state, by component.
    pub fn memory_use(&self) -> MemoryUse {
        let tickets = self.tickets.memory_bytes()
            + self.by_id.capacity() * (size_of::<(Name, TicketRef)>() + 1)
            + self.names.memory_bytes()
            + self.ticket_count() * memory::TICKET_HEAP_BYTES;
        let routing = self.routing.agent_count() * memory::AGENT_BYTES
            + self.routing.queue_len() * memory::QUEUED_BYTES
            + self.ticket_count() * memory::ASSIGNMENT_BYTES;
        MemoryUse {
            tickets,
            clocks: MemoryUse::clock_bytes(self.clocks_held),
            wheel: self.wheel.memory_bytes(),
            dedupe: self.closed_tickets.memory_bytes(),
            routing,
            journeys: self.journeys.steps() * memory::JOURNEY_STEP_BYTES,
        }
    }

    /// After a restore: every ticket's names become the table's shared copies again (each was
    /// read back as its own allocation).
    pub fn share_names(&mut self) {
        for slot in 0..self.tickets.slots() as TicketRef {
            let Some(t) = self.tickets.get_mut(slot) else {
                continue;
            };
            let names = &mut self.names;
            t.channel = names.intern(&t.channel);
            t.customer_tier = names.intern(&t.customer_tier);
            t.group = t.group.as_deref().map(|g| names.intern(g));
            t.assignee = t.assignee.as_deref().map(|a| names.intern(a));
            for skill in &mut t.skills {
                skill.name = names.intern(&skill.name);
            }
        }
    }

    /// The instant an id is judged at for an input at `ts` (DETAILS.md): the later of `ts` and
    /// the latest applied `ts`.
    pub fn reference(&self, ts: Millis) -> Millis {
        self.latest.max(ts)
    }

    /// When slad closes the ticket in `slot` (`engine.solved_ttl`), if it is counting down.
    fn close_due(&self, slot: TicketRef) -> Option<Millis> {
        let ticket = self.tickets.get(slot)?;
        ticket.close_timer.and_then(|h| self.wheel.deadline(h)).map(|d| d as Millis)
    }

    /// The ticket as an input at `ts` finds it: `None` if it is not open, or if its close is due
    /// strictly before `ts` (that timer fires before the input is applied).
    fn open_at(&self, id: &str, ts: Millis) -> Option<TicketRef> {
        let slot = *self.by_id.get(id)?;
        match self.close_due(slot) {
            Some(close) if close < ts => None,
            _ => Some(slot),
        }
    }

    /// State checks: `unknown_ticket`, `duplicate_ticket`, `unknown_agent`. Changes nothing.
    pub fn check(&self, envelope: &Envelope, body: &Body, rules: &Rules) -> Result<(), Rejection> {
        let ticket_id = match body {
            Body::TicketCreated(created) => {
                let id = &created.ticket_id;
                let window = rules.limits.dedupe_window_ms;
                if let Some(&slot) = self.by_id.get(id.as_str()) {
                    return match self.close_due(slot) {
                        Some(close) if close < envelope.ts => {
                            if self.reference(envelope.ts).saturating_sub(close) <= window {
                                Err(Rejection::new(
                                    Reason::DuplicateTicket,
                                    format!("ticket {id:?} was closed within the dedupe window"),
                                ))
                            } else {
                                Ok(())
                            }
                        }
                        _ => Err(Rejection::new(Reason::DuplicateTicket, format!("ticket {id:?} already exists"))),
                    };
                }
                if self.closed_tickets.contains(&self.name, id, self.reference(envelope.ts), window, 0) {
                    return Err(Rejection::new(
                        Reason::DuplicateTicket,
                        format!("ticket {id:?} was closed within the dedupe window"),
                    ));
                }
                return Ok(());
            }
            Body::TicketUpdated(u) => &u.ticket_id,
            Body::TicketStatusChanged { ticket_id, .. }
            | Body::TicketAgentReplied { ticket_id, .. }
            | Body::TicketCustomerReplied { ticket_id }
            | Body::TicketAssigned { ticket_id, .. }
            | Body::TicketUnassigned { ticket_id } => ticket_id,
            Body::TicketEscalationRequested(e) => &e.ticket_id,
            Body::AgentStatusChanged { agent_id, .. } | Body::AgentRemoved { agent_id } => {
                if !self.routing.has_agent(agent_id) {
                    return Err(Rejection::new(Reason::UnknownAgent, format!("agent {agent_id:?} is not known")));
                }
                return Ok(());
            }
            Body::AgentUpserted(_) | Body::ContactStep(_) => return Ok(()),
        };
        if self.open_at(ticket_id, envelope.ts).is_some() {
            Ok(())
        } else {
            Err(Rejection::new(Reason::UnknownTicket, format!("ticket {ticket_id:?} is not open")))
        }
    }

    /// Applies a checked input at its `ts`.
    pub fn apply(&mut self, envelope: &Envelope, body: Body, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let at = envelope.ts;
        match body {
            Body::TicketCreated(created) => self.ticket_created(created, at, rules, out),
            Body::TicketUpdated(update) => self.ticket_updated(update, at, rules, out),
            Body::TicketStatusChanged { ticket_id, status } => {
                let slot = self.by_id[ticket_id.as_str()];
                self.status_changed(slot, status, at, rules, out);
            }
            Body::TicketAgentReplied { ticket_id, public, .. } => {
                if public {
                    let slot = self.by_id[ticket_id.as_str()];
                    self.with_ticket(slot, rules, out, |t, ctx| agent_replied(t, slot, at, ctx));
                }
            }
            Body::TicketCustomerReplied { ticket_id } => {
                let slot = self.by_id[ticket_id.as_str()];
                self.with_ticket(slot, rules, out, |t, ctx| customer_replied(t, slot, at, ctx));
            }
            Body::TicketAssigned { ticket_id, agent_id } => self.ticket_assigned(&ticket_id, &agent_id, at, rules, out),
            Body::TicketUnassigned { ticket_id } => self.ticket_unassigned(&ticket_id, at, rules, out),
            Body::TicketEscalationRequested(request) => self.escalation_requested(request, at, rules, out),
            Body::AgentUpserted(profile) => {
                if self.routing.upsert_agent(&profile) {
                    self.offer_queue(&profile.agent_id, at, rules, out);
                }
            }
            Body::AgentStatusChanged { agent_id, status } => {
                if self.routing.set_status(&agent_id, status, at) == Some(true) && status == AgentStatus::Available {
                    self.offer_queue(&agent_id, at, rules, out);
                }
            }
            Body::AgentRemoved { agent_id } => self.agent_removed(&agent_id, at, rules, out),
            Body::ContactStep(step) => self.journeys.record(at, &step, rules.journey.max_steps),
        }
        self.latest = self.latest.max(envelope.ts);
        let latest = self.latest;
        self.closed_tickets.evict(|_| latest, rules.limits.dedupe_window_ms, 0);
        self.journeys.evict(self.latest, rules.journey.ttl_ms);
    }

    /// Runs `f` on the ticket in `slot` with the other pieces of the tenant borrowed beside it.
    fn with_ticket<R>(
        &mut self,
        slot: TicketRef,
        rules: &Arc<Rules>,
        out: &mut Vec<OutputEvent>,
        f: impl FnOnce(&mut Ticket, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let ticket = self.tickets.get_mut(slot)?;
        let mut ctx = Ctx {
            rules,
            wheel: &mut self.wheel,
            routing: &mut self.routing,
            names: &mut self.names,
            clocks_held: &mut self.clocks_held,
            emit: Emitter { tenant: &self.name, events: out },
            slot,
            facts: &mut self.facts,
        };
        let result = f(ticket, &mut ctx);
        Some(result)
    }

    // ----- timers -----

    /// Fires one timer due at `at`.
    pub fn fire(&mut self, timer: TimerRef, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        match timer.kind {
            TimerKind::Sla(metric) => {
                self.with_ticket(timer.ticket, rules, out, |t, ctx| {
                    if let Some(clock) = t.clock_mut(metric) {
                        clock.timer = None;
                    }
                    fire_clock(t, timer.ticket, metric, at, ctx);
                    refresh_queue_key(t, timer.ticket, ctx);
                });
            }
            TimerKind::Expansion => {
                self.with_ticket(timer.ticket, rules, out, |t, ctx| {
                    t.route.expand_timer = None;
                    expand(t, timer.ticket, at, ctx)
                });
            }
            TimerKind::Close => {
                let Some(ticket) = self.tickets.get_mut(timer.ticket) else {
                    return;
                };
                ticket.close_timer = None;
                self.close(timer.ticket, at, rules, out);
                self.tickets_expired += 1;
            }
        }
    }

    /// Queue order key of a queued ticket, for ordering expansions due at the same instant.
    pub fn queue_key(&self, slot: TicketRef) -> Option<QueueKey> {
        self.tickets.get(slot).map(queue_key)
    }

    /// The ticket id in `slot`, for ordering timers due at the same instant.
    pub fn ticket_id(&self, slot: TicketRef) -> Option<&str> {
        self.tickets.get(slot).map(|t| &*t.id)
    }

    // ----- ticket events -----

    fn ticket_created(&mut self, created: TicketCreated, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let final_status = created.status;
        let initial_status = match final_status {
            Status::Solved | Status::Closed => Status::New,
            other => other,
        };
        let journey = match &created.customer_id {
            Some(customer) => self.journeys.take(customer, at, rules.journey.ttl_ms),
            None => RawJson::empty_array(),
        };
        let id: Name = Name::from(created.ticket_id.as_str());
        let ticket = Ticket {
            id: id.clone(),
            priority: created.priority,
            channel: self.names.intern(&created.channel),
            customer_tier: self.names.intern(&created.customer_tier),
            group: created.group.as_deref().map(|g| self.names.intern(g)),
            skills: share_skill_names(created.skills, &mut self.names),
            status: initial_status,
            context: RawJson::of(&created.context),
            assignee: None,
            journey,
            policy: None,
            clocks: Vec::new(),
            cycles_opened: [0; 4],
            last_public_agent_reply: None,
            last_customer_reply: None,
            manual_escalations: 0,
            functional_escalations: 0,
            hierarchical_since_assignee: 0,
            route: Route::default(),
            close_timer: None,
        };
        let slot = self.tickets.insert(ticket);
        self.by_id.insert(id, slot);
        let tenant = self.name.clone();
        self.with_ticket(slot, rules, out, |t, ctx| {
            let policy = choose_policy(ctx.rules, t, &tenant);
            t.policy = policy.clone();
            if let Some(policy) = policy {
                for metric in [Metric::FirstResponse, Metric::Resolution] {
                    if policy.target(metric, t.priority).is_some() {
                        start_cycle(t, slot, metric, at, ctx);
                    }
                }
            }
            match created.assignee {
                Some(agent) => take_assignment(t, slot, &agent, at, ctx),
                None => open_round(t, slot, at, ctx),
            }
        });
        if matches!(final_status, Status::Solved | Status::Closed) {
            self.status_changed(slot, final_status, at, rules, out);
        }
    }

    fn ticket_updated(&mut self, update: TicketUpdated, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let slot = self.by_id[update.ticket_id.as_str()];
        let tenant = self.name.clone();
        let mut moved_from: Option<Name> = None;
        self.with_ticket(slot, rules, out, |t, ctx| {
            let old_priority = t.priority;
            let old_channel = t.channel.clone();
            if let Some(p) = update.priority {
                t.priority = p;
            }
            if let Some(tier) = update.customer_tier {
                t.customer_tier = ctx.names.intern(&tier);
            }
            if let Some(group) = update.group {
                t.group = Some(ctx.names.intern(&group));
            }
            if let Some(channel) = update.channel {
                t.channel = ctx.names.intern(&channel);
            }
            if let Some(skills) = update.skills {
                t.skills = share_skill_names(skills, ctx.names);
            }
            if let Some(context) = update.context {
                let mut merged = match t.context.to_value() {
                    serde_json::Value::Object(map) => map,
                    _ => serde_json::Map::new(),
                };
                merged.extend(context);
                t.context = RawJson::of(&merged);
            }
            rechoose_policy(t, slot, old_priority, at, &tenant, ctx);
            if t.channel != old_channel {
                if let Some(agent) = t.assignee.clone() {
                    ctx.routing.set_channel(&agent, slot, &t.channel);
                    moved_from = Some(agent);
                }
            }
            if ctx.routing.is_queued(slot) {
                ctx.routing.set_requirements(slot, requirements(t, ctx.rules));
                ctx.routing.set_queue_key(slot, queue_key(t));
                try_place(t, slot, at, ctx);
            }
        });
        if let Some(agent) = moved_from {
            self.offer_queue(&agent, at, rules, out);
        }
    }

    fn status_changed(
        &mut self,
        slot: TicketRef,
        status: Status,
        at: Millis,
        rules: &Arc<Rules>,
        out: &mut Vec<OutputEvent>,
    ) {
        if status == Status::Closed {
            self.close(slot, at, rules, out);
            return;
        }
        let tenant = self.name.clone();
        let freed = self.with_ticket(slot, rules, out, |t, ctx| {
            let old = t.status;
            if old == status {
                return None;
            }
            t.status = status;
            if status == Status::Solved {
                return solve(t, slot, at, ctx);
            }
            if old == Status::Solved {
                reopen(t, slot, at, &tenant, ctx);
            } else {
                for metric in Metric::ALL {
                    apply_pause_state(t, slot, metric, at, ctx);
                }
                refresh_queue_key(t, slot, ctx);
            }
            None
        });
        if let Some(Some(agent)) = freed {
            self.offer_queue(&agent, at, rules, out);
        }
    }

    fn close(&mut self, slot: TicketRef, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let released = self
            .with_ticket(slot, rules, out, |t, ctx| {
                for metric in Metric::ALL {
                    if let Some(clock) = t.clock_mut(metric) {
                        if clock.is_active() {
                            clock.finish(at);
                        }
                        if let Some(h) = clock.timer.take() {
                            ctx.wheel.cancel(h);
                        }
                    }
                }
                leave_queue(t, slot, ctx);
                if let Some(h) = t.close_timer.take() {
                    ctx.wheel.cancel(h);
                }
                let agent = t.assignee.take();
                if let Some(agent) = &agent {
                    ctx.routing.unassign(agent, slot);
                }
                agent
            })
            .flatten();
        if let Some(ticket) = self.tickets.remove(slot) {
            self.facts.record(slot, || FactKind::TicketForgotten);
            self.clocks_held = self.clocks_held.saturating_sub(ticket.clocks.len());
            self.by_id.remove(&ticket.id);
            self.closes += 1;
            self.closed_tickets.insert(&self.name, 0, &ticket.id, at, self.closes);
        }
        if let Some(agent) = released {
            self.offer_queue(&agent, at, rules, out);
        }
    }

    fn ticket_assigned(
        &mut self,
        ticket_id: &str,
        agent_id: &str,
        at: Millis,
        rules: &Arc<Rules>,
        out: &mut Vec<OutputEvent>,
    ) {
        let slot = self.by_id[ticket_id];
        let previous = self
            .with_ticket(slot, rules, out, |t, ctx| {
                if t.assignee.as_deref() == Some(agent_id) {
                    return None;
                }
                let previous = t.assignee.take();
                if let Some(prev) = &previous {
                    ctx.routing.unassign(prev, slot);
                }
                leave_queue(t, slot, ctx);
                take_assignment(t, slot, agent_id, at, ctx);
                previous
            })
            .flatten();
        if let Some(prev) = previous {
            self.offer_queue(&prev, at, rules, out);
        }
    }

    fn ticket_unassigned(&mut self, ticket_id: &str, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let slot = self.by_id[ticket_id];
        let released = self
            .with_ticket(slot, rules, out, |t, ctx| {
                let agent = t.assignee.take()?;
                ctx.routing.unassign(&agent, slot);
                t.hierarchical_since_assignee = 0;
                if !t.is_solved() {
                    t.route.set_excluded_this_round(Some(&agent));
                    open_round(t, slot, at, ctx);
                }
                Some(agent)
            })
            .flatten();
        if let Some(agent) = released {
            self.offer_queue(&agent, at, rules, out);
        }
    }

    fn escalation_requested(
        &mut self,
        request: EscalationRequested,
        at: Millis,
        rules: &Arc<Rules>,
        out: &mut Vec<OutputEvent>,
    ) {
        let slot = self.by_id[request.ticket_id.as_str()];
        let tenant = self.name.clone();
        let released = self
            .with_ticket(slot, rules, out, |t, ctx| {
                t.manual_escalations += 1;
                let seq = t.manual_escalations;
                match request.kind {
                    EscalationKind::Hierarchical => {
                        t.hierarchical_since_assignee += 1;
                        let level = t.hierarchical_since_assignee;
                        let recipients = recipients::hierarchical(t, ctx.routing, level);
                        ctx.emit.manual_escalation(
                            t,
                            seq,
                            EscalationOrigin::Hierarchical,
                            level,
                            request.reason,
                            recipients,
                            at,
                        );
                        None
                    }
                    EscalationKind::Functional => {
                        t.functional_escalations += 1;
                        let old_priority = t.priority;
                        if let Some(skills) = request.skills {
                            t.skills = skills;
                        }
                        let released = t.assignee.take();
                        if let Some(agent) = &released {
                            ctx.routing.unassign(agent, slot);
                            t.route.exclude_for_life(agent);
                        }
                        t.hierarchical_since_assignee = 0;
                        let recipients = match &request.group {
                            Some(group) => vec![crate::contract::Recipient {
                                kind: crate::contract::RecipientKind::Group,
                                id: group.clone(),
                            }],
                            None => Vec::new(),
                        };
                        if let Some(group) = request.group {
                            t.group = Some(ctx.names.intern(&group));
                            t.route.set_functional_group(&group);
                            rechoose_policy(t, slot, old_priority, at, &tenant, ctx);
                        }
                        ctx.emit.manual_escalation(
                            t,
                            seq,
                            EscalationOrigin::Functional,
                            t.functional_escalations,
                            request.reason,
                            recipients,
                            at,
                        );
                        if !t.is_solved() {
                            t.route.set_excluded_this_round(None);
                            open_round(t, slot, at, ctx);
                        } else {
                            leave_queue(t, slot, ctx);
                        }
                        released
                    }
                }
            })
            .flatten();
        if let Some(agent) = released {
            self.offer_queue(&agent, at, rules, out);
        }
    }

    // ----- agents and the queue -----

    fn agent_removed(&mut self, agent_id: &str, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        let Some(slots) = self.routing.remove_agent(agent_id) else {
            return;
        };
        let mut reroute: Vec<(QueueKey, TicketRef)> = Vec::new();
        for slot in slots {
            let Some(t) = self.tickets.get_mut(slot) else {
                continue;
            };
            if t.assignee.as_deref() != Some(agent_id) {
                continue;
            }
            t.assignee = None;
            t.hierarchical_since_assignee = 0;
            if !t.is_solved() {
                let mut key = queue_key(t);
                key.round_start = at;
                reroute.push((key, slot));
            }
        }
        reroute.sort();
        for (_, slot) in reroute {
            self.with_ticket(slot, rules, out, |t, ctx| {
                t.route.set_excluded_this_round(None);
                open_round(t, slot, at, ctx);
            });
        }
    }

    /// Offers the queue to an agent who may take work: they take the first ticket in queue order
    /// they are eligible for, until full or nothing is left for them.
    fn offer_queue(&mut self, agent_id: &str, at: Millis, rules: &Arc<Rules>, out: &mut Vec<OutputEvent>) {
        while let Some(slot) = self.routing.next_ticket_for(agent_id) {
            let placed = self.with_ticket(slot, rules, out, |t, ctx| {
                assign_by_routing(t, slot, agent_id, at, ctx);
            });
            if placed.is_none() {
                // A queued slot without a ticket cannot happen; drop it rather than loop.
                self.routing.dequeue(slot);
            }
        }
    }

    /// Re-chooses nothing: used after a reload to keep running state as it is.
    pub fn armed_timers(&self) -> usize {
        self.wheel.len()
    }
}

// ----- policy -----

fn policy_matches(policy: &Policy, t: &Ticket, tenant: &str) -> bool {
    let m = &policy.matcher;
    let any = |list: &Option<Vec<String>>, value: &str| list.as_ref().is_none_or(|l| l.iter().any(|v| v == value));
    m.priority.as_ref().is_none_or(|l| l.contains(&t.priority))
        && any(&m.customer_tier, &t.customer_tier)
        && any(&m.channel, &t.channel)
        && any(&m.tenant, tenant)
        && match (&m.group, &t.group) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(list), Some(g)) => list.iter().any(|v| **v == **g),
        }
}

fn choose_policy(rules: &Rules, t: &Ticket, tenant: &str) -> Option<Arc<Policy>> {
    rules.policies.iter().find(|p| policy_matches(p, t, tenant)).cloned()
}

/// Chooses the policy again (SLA.md, Targets): running cycles keep their SLA time used and take
/// the new target; metrics no longer tracked end; newly tracked ones start per their rules.
fn rechoose_policy(
    t: &mut Ticket,
    slot: TicketRef,
    old_priority: Priority,
    at: Millis,
    tenant: &str,
    ctx: &mut Ctx<'_>,
) {
    let old = t.policy.clone();
    let new = choose_policy(ctx.rules, t, tenant);
    t.policy = new.clone();
    t.route.rules = Some(ctx.rules.clone());
    for metric in Metric::ALL {
        let new_target = new.as_ref().and_then(|p| p.target(metric, t.priority));
        let old_tracked = old.as_ref().is_some_and(|p| p.target(metric, old_priority).is_some());
        if t.is_active(metric) {
            match (new_target, &new) {
                (Some(target), Some(policy)) => retarget(t, slot, metric, policy.clone(), target, at, ctx),
                _ => end_cycle(t, metric, at, ctx),
            }
        } else if new_target.is_some() && !old_tracked {
            let starts = match metric {
                Metric::FirstResponse => t.last_public_agent_reply.is_none(),
                Metric::Resolution => !t.is_solved(),
                Metric::NextResponse | Metric::PeriodicUpdate => false,
            };
            if starts {
                start_cycle(t, slot, metric, at, ctx);
            }
        }
    }
    refresh_queue_key(t, slot, ctx);
}

// ----- SLA clocks -----

fn tracked_target(t: &Ticket, metric: Metric) -> Option<(Arc<Policy>, i64)> {
    let policy = t.policy.clone()?;
    let target = policy.target(metric, t.priority)?;
    Some((policy, target))
}

fn start_cycle(t: &mut Ticket, slot: TicketRef, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    let Some((policy, target)) = tracked_target(t, metric) else {
        return;
    };
    if let Some(old) = t.clock_mut(metric) {
        if let Some(h) = old.timer.take() {
            ctx.wheel.cancel(h);
        }
    }
    t.cycles_opened[metric.index()] += 1;
    let paused = policy.metric(metric).pause_on.contains(t.status);
    ctx.fact(|| FactKind::CycleStarted { metric, policy: policy.clone() });
    let clock = Clock::start(metric, t.cycles_opened[metric.index()], policy, target, at, paused);
    if t.clock(metric).is_none() {
        *ctx.clocks_held += 1;
    }
    t.set_clock(clock);
    arm(t, slot, metric, ctx);
}

/// Arms the clock's timer for its next milestone (cancelling any armed one).
fn arm(t: &mut Ticket, slot: TicketRef, metric: Metric, ctx: &mut Ctx<'_>) {
    let Some(clock) = t.clock_mut(metric) else {
        return;
    };
    if let Some(h) = clock.timer.take() {
        ctx.wheel.cancel(h);
    }
    if clock.phase != Phase::Running {
        return;
    }
    if let Some((milestone, amount)) = clock.next_milestone() {
        let due = clock.due_instant(milestone, amount);
        clock.timer =
            Some(ctx.wheel.insert(to_wheel_time(due), TimerRef { ticket: slot, kind: TimerKind::Sla(metric) }));
    }
}

/// The clock's timer fired at `at`: emits its milestone and arms the next.
/// Every milestone due by `at` fires, including those the firing itself makes due at `at` (a
/// ladder level with `after = "0m"` at the breach): they are SLA timers of the same instant and
/// precede its expansions (DETAILS.md, Routing).
fn fire_clock(t: &mut Ticket, slot: TicketRef, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    fire_due_at(t, metric, at, ctx);
    arm(t, slot, metric, ctx);
}

/// Emits `milestone` of the metric's clock at `at` and records it.
fn emit_milestone(t: &mut Ticket, metric: Metric, milestone: Milestone, at: Millis, ctx: &mut Ctx<'_>) {
    let Some(clock) = t.clock(metric) else {
        return;
    };
    let (cycle, target, policy) = (clock.cycle, clock.target_ms, clock.policy.clone());
    match milestone {
        Milestone::Warning(pct) => {
            let due_at = clock.breach_due_from(at);
            let recipients = recipients::resolve(&policy.warn_notify, t, ctx.routing);
            ctx.emit.warning(t, metric, cycle, pct, target, due_at, at, &recipients, &policy.warn_channel);
            if let Some(clock) = t.clock_mut(metric) {
                clock.mark_warned(pct);
            }
        }
        Milestone::Breach => {
            ctx.emit.breached(t, metric, cycle, target, at);
            ctx.fact(|| FactKind::CycleBreached { metric });
            if let Some(clock) = t.clock_mut(metric) {
                clock.mark_breached(at);
            }
        }
        Milestone::Level { index, repeat } => {
            let Some(level) = clock.ladder_level(index).cloned() else {
                return;
            };
            let mut recipients = recipients::resolve(&level.notify, t, ctx.routing);
            if recipients.is_empty() {
                recipients = recipients::resolve(&level.fallback, t, ctx.routing);
            }
            ctx.emit.ladder_level(t, metric, cycle, index as u32 + 1, repeat, recipients, &level.channel, at);
            if let Some(clock) = t.clock_mut(metric) {
                clock.mark_level(milestone);
            }
        }
    }
}

/// Emits every milestone already due at `at` (a clock paused exactly at a threshold fires it).
fn fire_due_at(t: &mut Ticket, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    loop {
        let Some(clock) = t.clock(metric) else {
            return;
        };
        if clock.phase != Phase::Running {
            return;
        }
        let Some((milestone, amount)) = clock.next_milestone() else {
            return;
        };
        if clock.due_instant(milestone, amount) > at {
            return;
        }
        emit_milestone(t, metric, milestone, at, ctx);
    }
}

/// Emits every ladder milestone that the ladder time used at `at` already reached, paused or
/// not: a change that makes a level due leaves nothing to wait for (DETAILS.md, SLA).
fn fire_levels_reached(t: &mut Ticket, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    while let Some(level) = t.clock(metric).and_then(|c| c.level_reached(at)) {
        emit_milestone(t, metric, level, at, ctx);
    }
}

/// Pauses or resumes the metric's clock for the ticket's status under the clock's `pause_on`.
fn apply_pause_state(t: &mut Ticket, slot: TicketRef, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    let status = t.status;
    let Some(clock) = t.clock(metric) else {
        return;
    };
    let should_pause = clock.policy.metric(metric).pause_on.contains(status);
    match (clock.phase, should_pause) {
        (Phase::Running, true) => {
            fire_due_at(t, metric, at, ctx);
            if let Some(clock) = t.clock_mut(metric) {
                clock.pause(at);
                if let Some(h) = clock.timer.take() {
                    ctx.wheel.cancel(h);
                }
            }
        }
        (Phase::Paused, false) => {
            if let Some(clock) = t.clock_mut(metric) {
                clock.resume(at);
            }
            arm(t, slot, metric, ctx);
        }
        _ => {}
    }
}

/// A running cycle takes a new policy and target at `at` (SLA.md, Targets, warnings, breach).
#[allow(clippy::too_many_arguments)]
fn retarget(
    t: &mut Ticket,
    slot: TicketRef,
    metric: Metric,
    policy: Arc<Policy>,
    target: i64,
    at: Millis,
    ctx: &mut Ctx<'_>,
) {
    let Some(clock) = t.clock_mut(metric) else {
        return;
    };
    clock.retarget(at, policy, target);
    let used = clock.used_at(at);
    let breach_due = !clock.is_breached() && target <= used;
    let warnings_due = clock.warnings_due(used);
    if breach_due {
        emit_milestone(t, metric, Milestone::Breach, at, ctx);
    } else {
        for pct in warnings_due {
            emit_milestone(t, metric, Milestone::Warning(pct), at, ctx);
        }
    }
    fire_levels_reached(t, metric, at, ctx);
    apply_pause_state(t, slot, metric, at, ctx);
    arm(t, slot, metric, ctx);
}

/// Ends the metric's cycle without result.
fn end_cycle(t: &mut Ticket, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    if let Some(clock) = t.clock_mut(metric) {
        if clock.is_active() {
            clock.finish(at);
            ctx.fact(|| FactKind::CycleEnded { metric });
        }
        if let Some(h) = clock.timer.take() {
            ctx.wheel.cancel(h);
        }
    }
}

/// Fulfils the metric's active cycle: `sla.fulfilled`, timers gone.
fn fulfil(t: &mut Ticket, metric: Metric, at: Millis, ctx: &mut Ctx<'_>) {
    let Some(clock) = t.clock_mut(metric) else {
        return;
    };
    if !clock.is_active() {
        return;
    }
    let elapsed = clock.finish(at);
    clock.fulfilled_count += 1;
    if let Some(h) = clock.timer.take() {
        ctx.wheel.cancel(h);
    }
    let (cycle, nth, target, breached) = (clock.cycle, clock.fulfilled_count, clock.target_ms, clock.is_breached());
    ctx.emit.fulfilled(t, metric, cycle, nth, target, elapsed, breached, at);
    ctx.fact(|| FactKind::CycleFulfilled { metric, elapsed_ms: elapsed });
}

fn agent_replied(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) {
    fulfil(t, Metric::FirstResponse, at, ctx);
    fulfil(t, Metric::NextResponse, at, ctx);
    fulfil(t, Metric::PeriodicUpdate, at, ctx);
    t.last_public_agent_reply = Some(at);
    if !t.is_solved() {
        start_cycle(t, slot, Metric::PeriodicUpdate, at, ctx);
    }
    refresh_queue_key(t, slot, ctx);
}

fn customer_replied(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) {
    t.last_customer_reply = Some(at);
    maybe_start_next_response(t, slot, at, ctx);
}

fn maybe_start_next_response(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) {
    if !t.is_active(Metric::FirstResponse) && !t.is_active(Metric::NextResponse) && !t.is_solved() {
        start_cycle(t, slot, Metric::NextResponse, at, ctx);
        refresh_queue_key(t, slot, ctx);
    }
}

/// Status `solved`: resolution fulfilled, the other clocks end, the ticket leaves the queue and
/// stops counting against its agent, and the `solved_ttl` countdown starts with the ttl in
/// force now. Returns the agent who gained capacity.
fn solve(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) -> Option<Name> {
    for metric in [Metric::FirstResponse, Metric::NextResponse, Metric::PeriodicUpdate] {
        end_cycle(t, metric, at, ctx);
    }
    fulfil(t, Metric::Resolution, at, ctx);
    leave_queue(t, slot, ctx);
    let ttl = ctx.rules.limits.solved_ttl_ms;
    if ttl > 0 && t.close_timer.is_none() {
        let due = to_wheel_time(at.saturating_add(ttl));
        t.close_timer = Some(ctx.wheel.insert(due, TimerRef { ticket: slot, kind: TimerKind::Close }));
    }
    let agent = t.assignee.clone()?;
    ctx.routing.set_counting(&agent, slot, false);
    Some(agent)
}

/// `solved` -> an open status: the resolution cycle resumes under the policy chosen again,
/// `next_response` starts if a customer reply was left unanswered, and the ticket is routed
/// again unless it has an assignee.
fn reopen(t: &mut Ticket, slot: TicketRef, at: Millis, tenant: &str, ctx: &mut Ctx<'_>) {
    if let Some(h) = t.close_timer.take() {
        ctx.wheel.cancel(h);
    }
    if let Some(clock) = t.clock_mut(Metric::Resolution) {
        if clock.fulfilled_count > 0 {
            clock.resume(at);
            ctx.fact(|| FactKind::CycleResumed { metric: Metric::Resolution });
        }
    }
    rechoose_policy(t, slot, t.priority, at, tenant, ctx);
    for metric in Metric::ALL {
        apply_pause_state(t, slot, metric, at, ctx);
    }
    let unanswered = match (t.last_customer_reply, t.last_public_agent_reply) {
        (Some(customer), Some(agent)) => customer > agent,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if unanswered {
        maybe_start_next_response(t, slot, at, ctx);
    }
    match t.assignee.clone() {
        Some(agent) => ctx.routing.set_counting(&agent, slot, true),
        None => {
            t.route.set_excluded_this_round(None);
            open_round(t, slot, at, ctx);
        }
    }
}

// ----- routing -----

/// The rules a round runs on: those in force when the round opened or the policy was last chosen
/// (a reload does not change a queued round's expansion steps).
fn route_rules<'a>(t: &'a Ticket, current: &'a Rules) -> &'a Rules {
    t.route.rules.as_deref().unwrap_or(current)
}

/// The requirements in force: the ticket's skills after the expansion steps applied so far, its
/// group restriction and its exclusions.
fn requirements(t: &Ticket, current: &Rules) -> Requirements {
    let rules = route_rules(t, current);
    let mut skills = t.skills.clone();
    let mut own_group_dropped = false;
    for step in rules.routing.expand.iter().take(t.route.steps_applied) {
        if step.lower_min_level_by > 0 {
            for s in &mut skills {
                s.min_level = s.min_level.saturating_sub(step.lower_min_level_by);
            }
        }
        if step.drop_optional_skills {
            skills.retain(|s| !s.optional);
        }
        if step.any_agent {
            skills.clear();
            own_group_dropped = true;
        }
    }
    let group = match t.route.functional_group() {
        Some(g) => Some(g.to_owned()),
        None if rules.routing.route_within_group && !own_group_dropped => t.group.as_deref().map(str::to_owned),
        None => None,
    };
    let mut excluded = t.route.excluded().to_vec();
    if let Some(agent) = t.route.excluded_this_round() {
        excluded.push(agent.to_owned());
    }
    Requirements { skills, score_skills: t.skills.clone(), group, excluded, channel: t.channel.to_string() }
}

fn queue_key(t: &Ticket) -> QueueKey {
    QueueKey {
        priority: t.priority,
        breach_at: t.earliest_breach(),
        round_start: t.route.round_start,
        ticket_id: t.id.to_string(),
    }
}

fn refresh_queue_key(t: &Ticket, slot: TicketRef, ctx: &mut Ctx<'_>) {
    if ctx.routing.is_queued(slot) {
        ctx.routing.set_queue_key(slot, queue_key(t));
    }
}

fn leave_queue(t: &mut Ticket, slot: TicketRef, ctx: &mut Ctx<'_>) {
    ctx.routing.dequeue(slot);
    if let Some(h) = t.route.expand_timer.take() {
        ctx.wheel.cancel(h);
    }
}

/// Opens a routing round at `at`: the ticket goes to the best eligible agent, or is queued.
fn open_round(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) {
    leave_queue(t, slot, ctx);
    t.route.round += 1;
    t.route.round_start = at;
    ctx.fact(|| FactKind::RoundOpened);
    t.route.rules = Some(ctx.rules.clone());
    t.route.steps_applied = 0;
    if try_place(t, slot, at, ctx) {
        return;
    }
    let req = requirements(t, ctx.rules);
    ctx.emit.queued(t, req.skills.clone(), at);
    ctx.routing.enqueue(slot, queue_key(t), req);
    arm_expansion(t, slot, ctx);
}

/// Offers the ticket to every eligible agent at once; true if it was assigned.
fn try_place(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) -> bool {
    let req = requirements(t, ctx.rules);
    let Some(agent) = ctx.routing.choose_agent(&req, ctx.rules.routing.strategy).map(|a| a.to_owned()) else {
        return false;
    };
    assign_by_routing(t, slot, &agent, at, ctx);
    true
}

/// slad's routing decision: `routing.assigned`, counted against the agent at once.
fn assign_by_routing(t: &mut Ticket, slot: TicketRef, agent: &str, at: Millis, ctx: &mut Ctx<'_>) {
    leave_queue(t, slot, ctx);
    take_assignment(t, slot, agent, at, ctx);
    ctx.emit.assigned(t, agent, at);
}

/// The ticket now belongs to `agent` (by slad or from outside).
fn take_assignment(t: &mut Ticket, slot: TicketRef, agent: &str, at: Millis, ctx: &mut Ctx<'_>) {
    t.assignee = Some(ctx.names.intern(agent));
    t.hierarchical_since_assignee = 0;
    ctx.routing.assign(agent, slot, &t.channel, !t.is_solved(), at);
}

fn arm_expansion(t: &mut Ticket, slot: TicketRef, ctx: &mut Ctx<'_>) {
    if let Some(h) = t.route.expand_timer.take() {
        ctx.wheel.cancel(h);
    }
    if let Some(step) = route_rules(t, ctx.rules).routing.expand.get(t.route.steps_applied) {
        let due = t.route.round_start.saturating_add(step.after_ms);
        t.route.expand_timer =
            Some(ctx.wheel.insert(to_wheel_time(due), TimerRef { ticket: slot, kind: TimerKind::Expansion }));
    }
}

/// The next expansion step of a still-queued ticket: `routing.expanded`, then an offer to every
/// eligible agent.
fn expand(t: &mut Ticket, slot: TicketRef, at: Millis, ctx: &mut Ctx<'_>) -> bool {
    if !ctx.routing.is_queued(slot) || t.route.steps_applied >= route_rules(t, ctx.rules).routing.expand.len() {
        return false;
    }
    t.route.steps_applied += 1;
    let req = requirements(t, ctx.rules);
    ctx.emit.expanded(t, t.route.steps_applied as u32, req.skills.clone(), at);
    ctx.routing.set_requirements(slot, req);
    if try_place(t, slot, at, ctx) {
        return true;
    }
    arm_expansion(t, slot, ctx);
    false
}

/// `skills` with the tenant's shared copies of their names.
fn share_skill_names(mut skills: Vec<SkillRequirement>, names: &mut Names) -> Vec<SkillRequirement> {
    for skill in &mut skills {
        skill.name = names.intern(&skill.name);
    }
    skills.shrink_to_fit();
    skills
}
