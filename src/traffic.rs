//! A live traffic generator for `slad demo` and `slad loadgen`: help-desk life in real time.
//!
//! Each tenant has agents with skills who come online (`agent.upserted`, then `available`) and
//! now and then step away. Tickets arrive at a steady pace; a customer often tries self-service
//! first (`contact.step`); then the ticket lives a scripted life: a first agent reply (usually
//! in time, sometimes late enough to breach, sometimes never), a customer reply and the
//! agent's answer, a pending spell, the solve and the close. Ticket lifetimes are sized so that
//! about `open_tickets` tickets are open at once at `rate` events per second.
//!
//! Events are stamped with the wall-clock instant they are emitted (the caller's `now`), so a
//! tenant's events are in `ts` order; every event is a valid input.

use crate::rng::Rng;
use crate::time::{format_rfc3339, Millis};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Average number of events in a ticket's life (see [`Generator::plan`]).
pub const EVENTS_PER_TICKET: f64 = 7.5;

const PRIORITIES: [&str; 4] = ["urgent", "high", "normal", "low"];
const SKILLS: [&str; 5] = ["billing", "network", "hardware", "french", "refunds"];
const STEPS: [&str; 4] = ["helpbox", "faq", "form", "chat"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct TrafficConfig {
    pub tenants: usize,
    pub agents_per_tenant: usize,
    /// Input events per second, overall.
    pub rate: f64,
    /// Tickets open at once, roughly (sets how long a ticket lives).
    pub open_tickets: usize,
    /// Typical first-response target of the daemon's policies: the first reply comes within
    /// it most of the time, after it (a breach) for about one ticket in five, never for a few.
    pub response_target_ms: i64,
    pub seed: u64,
}

impl TrafficConfig {
    /// A ticket's life, from creation to close.
    pub fn ticket_life_ms(&self) -> i64 {
        let creations_per_s = (self.rate / EVENTS_PER_TICKET).max(1e-3);
        ((self.open_tickets.max(1) as f64 / creations_per_s) * 1000.0) as i64
    }
}

/// One input event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The Kafka key.
    pub tenant: String,
    pub ts: Millis,
    /// The JSON line.
    pub line: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    AgentOnline { tenant: u32, agent: u32 },
    AgentAway { tenant: u32, agent: u32 },
    Contact { tenant: u32, ticket: u64 },
    Create { tenant: u32, ticket: u64 },
    AgentReply { tenant: u32, ticket: u64 },
    CustomerReply { tenant: u32, ticket: u64 },
    Pending { tenant: u32, ticket: u64 },
    Reopen { tenant: u32, ticket: u64 },
    Solve { tenant: u32, ticket: u64 },
    Close { tenant: u32, ticket: u64 },
}

/// The generator: call [`Generator::due`] with the current time.
#[derive(Debug, Clone)]
pub struct Generator {
    config: TrafficConfig,
    rng: Rng,
    schedule: BinaryHeap<Reverse<(Millis, u64, Step)>>,
    order: u64,
    next_ticket: u64,
    /// When the next ticket arrives (fractional: several may arrive per millisecond).
    next_create: f64,
    create_every_ms: f64,
    event_seq: u64,
    pub tickets_created: u64,
}

impl Generator {
    /// Starts at `start_ms`: the agents come online during the first second.
    pub fn new(config: TrafficConfig, start_ms: Millis) -> Generator {
        let create_every_ms = 1000.0 / (config.rate / EVENTS_PER_TICKET).max(1e-3);
        let mut g = Generator {
            rng: Rng(config.seed),
            schedule: BinaryHeap::new(),
            order: 0,
            next_ticket: 1,
            next_create: (start_ms + 1000) as f64,
            create_every_ms,
            event_seq: 0,
            tickets_created: 0,
            config,
        };
        for tenant in 0..g.config.tenants.max(1) as u32 {
            for agent in 0..g.config.agents_per_tenant.max(1) as u32 {
                let at = start_ms + g.rng.between(0, 900);
                g.at(at, Step::AgentOnline { tenant, agent });
            }
        }
        g
    }

    fn at(&mut self, when: Millis, step: Step) {
        self.order += 1;
        self.schedule.push(Reverse((when, self.order, step)));
    }

    /// The next instant something is due.
    pub fn next_due(&self) -> Millis {
        let scheduled = self.schedule.peek().map_or(Millis::MAX, |Reverse((t, _, _))| *t);
        scheduled.min(self.next_create.ceil() as Millis)
    }

    /// Appends every event due at or before `now_ms`, stamped `now_ms`.
    pub fn due(&mut self, now_ms: Millis, out: &mut Vec<Event>) {
        while self.next_create <= now_ms as f64 {
            let tenant = self.rng.below(self.config.tenants.max(1) as u64) as u32;
            let ticket = self.next_ticket;
            self.next_ticket += 1;
            self.plan(tenant, ticket, self.next_create as Millis);
            self.next_create += self.create_every_ms;
        }
        while let Some(Reverse((when, _, _))) = self.schedule.peek() {
            if *when > now_ms {
                break;
            }
            let Some(Reverse((_, _, step))) = self.schedule.pop() else { break };
            self.emit(step, now_ms, out);
        }
    }

    /// Schedules a ticket's life, starting at `at`.
    fn plan(&mut self, tenant: u32, ticket: u64, at: Millis) {
        let life = self.config.ticket_life_ms().max(1_000);
        let target = self.config.response_target_ms.max(100);
        if self.rng.below(10) < 4 {
            self.at(at, Step::Contact { tenant, ticket });
        }
        self.at(at, Step::Create { tenant, ticket });
        // First reply: in time (70%), late (20%), never (10%, left to breach and escalate).
        let roll = self.rng.below(10);
        let first = match roll {
            0..=6 => Some(self.rng.between(target / 10, target * 9 / 10)),
            7 | 8 => Some(self.rng.between(target * 11 / 10, target * 2)),
            _ => None,
        };
        let end = at + life.max(first.unwrap_or(0) + 4 * target / 10 + 1_000);
        if let Some(first) = first {
            let t1 = at + first;
            self.at(t1, Step::AgentReply { tenant, ticket });
            let span = (end - t1).max(10);
            let t2 = t1 + span / 5;
            self.at(t2, Step::CustomerReply { tenant, ticket });
            let answer = t2 + self.rng.between(span / 20, span / 5);
            self.at(answer, Step::AgentReply { tenant, ticket });
            let t3 = t1 + span * 3 / 5;
            self.at(t3, Step::Pending { tenant, ticket });
            self.at(t3 + span / 10, Step::Reopen { tenant, ticket });
            self.at(t1 + span * 9 / 10, Step::Solve { tenant, ticket });
        }
        self.at(end, Step::Close { tenant, ticket });
    }

    fn head(&mut self, kind: &str, tenant: u32, now: Millis) -> String {
        self.event_seq += 1;
        format!(
            r#"{{"type":"{kind}","event_id":"g{}-{}","tenant":"tenant-{tenant}","ts":"{}""#,
            self.config.seed,
            self.event_seq,
            format_rfc3339(now)
        )
    }

    fn emit(&mut self, step: Step, now: Millis, out: &mut Vec<Event>) {
        let (tenant, line) = match step {
            Step::AgentOnline { tenant, agent } => {
                let head = self.head("agent.upserted", tenant, now);
                let a = SKILLS[agent as usize % SKILLS.len()];
                let b = SKILLS[(agent as usize + 2) % SKILLS.len()];
                let level = 1 + agent % 4;
                let line = format!(
                    r#"{head},"agent_id":"agent-{agent}","skills":[{{"name":"{a}","level":{level}}},{{"name":"{b}","level":2}}],"capacity":{{"*":3}},"supervisor_id":"lead-{}","groups":["tier1"]}}"#,
                    agent % 3
                );
                out.push(Event { tenant: format!("tenant-{tenant}"), ts: now, line });
                let head = self.head("agent.status_changed", tenant, now);
                let line = format!(r#"{head},"agent_id":"agent-{agent}","status":"available"}}"#);
                // Every so often the agent steps away for a while.
                let later = now + self.rng.between(30_000, 120_000);
                self.at(later, Step::AgentAway { tenant, agent });
                (tenant, line)
            }
            Step::AgentAway { tenant, agent } => {
                let head = self.head("agent.status_changed", tenant, now);
                let back = now + self.rng.between(5_000, 20_000);
                self.at(back, Step::AgentOnline { tenant, agent });
                (tenant, format!(r#"{head},"agent_id":"agent-{agent}","status":"away"}}"#))
            }
            Step::Contact { tenant, ticket } => {
                let head = self.head("contact.step", tenant, now);
                let step = STEPS[self.rng.below(STEPS.len() as u64) as usize];
                (
                    tenant,
                    format!(
                        r#"{head},"customer_id":"C{}","step":"{step}","outcome":"unresolved","data":{{"article":"kb-{}"}}}}"#,
                        ticket % 5_000,
                        ticket % 97
                    ),
                )
            }
            Step::Create { tenant, ticket } => {
                self.tickets_created += 1;
                let head = self.head("ticket.created", tenant, now);
                let priority = PRIORITIES[self.rng.below(PRIORITIES.len() as u64) as usize];
                let skill = SKILLS[self.rng.below(SKILLS.len() as u64) as usize];
                let tier = if self.rng.below(8) == 0 { "vip" } else { "standard" };
                (
                    tenant,
                    format!(
                        r#"{head},"ticket_id":"T{ticket}","priority":"{priority}","channel":"email","customer_id":"C{}","customer_tier":"{tier}","skills":[{{"name":"{skill}","min_level":2}}],"context":{{"source":"web"}}}}"#,
                        ticket % 5_000
                    ),
                )
            }
            Step::AgentReply { tenant, ticket } => {
                let head = self.head("ticket.agent_replied", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}"}}"#))
            }
            Step::CustomerReply { tenant, ticket } => {
                let head = self.head("ticket.customer_replied", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}"}}"#))
            }
            Step::Pending { tenant, ticket } => {
                let head = self.head("ticket.status_changed", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}","status":"pending"}}"#))
            }
            Step::Reopen { tenant, ticket } => {
                let head = self.head("ticket.status_changed", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}","status":"open"}}"#))
            }
            Step::Solve { tenant, ticket } => {
                let head = self.head("ticket.status_changed", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}","status":"solved"}}"#))
            }
            Step::Close { tenant, ticket } => {
                let head = self.head("ticket.status_changed", tenant, now);
                (tenant, format!(r#"{head},"ticket_id":"T{ticket}","status":"closed"}}"#))
            }
        };
        out.push(Event { tenant: format!("tenant-{tenant}"), ts: now, line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::decode::{decode_envelope, DecodeLimits, Source};
    use crate::engine::{Engine, Ingested};
    use std::sync::Arc;

    fn config() -> TrafficConfig {
        TrafficConfig {
            tenants: 3,
            agents_per_tenant: 4,
            rate: 200.0,
            open_tickets: 50,
            response_target_ms: 10_000,
            seed: 7,
        }
    }

    #[test]
    fn keeps_its_rate_and_emits_in_ts_order() {
        let mut g = Generator::new(config(), 0);
        let mut out = Vec::new();
        for now in (0..120_000).step_by(50) {
            g.due(now, &mut out);
        }
        let rate = out.len() as f64 / 120.0;
        assert!((100.0..300.0).contains(&rate), "{rate} events/s");
        assert!(out.windows(2).all(|w| w[0].ts <= w[1].ts));
        assert!(g.tickets_created > 500);
    }

    #[test]
    fn every_event_is_valid_for_the_engine() {
        let rules = crate::config::parse(
            r#"
[[policy]]
name = "all"
match = {}
calendar = "24x7"
warn_at = [50]
[policy.targets.first_response]
urgent = "10s"
high = "10s"
normal = "10s"
low = "10s"
"#,
        )
        .unwrap()
        .rules;
        let limits = DecodeLimits { max_event_bytes: 65_536, max_future_skew_ms: 3_600_000 };
        let mut engine = Engine::new(Arc::new(rules));
        let mut g = Generator::new(config(), 1_780_000_000_000);
        let mut events = Vec::new();
        let mut outputs = Vec::new();
        for step in 0..2_400 {
            let now = 1_780_000_000_000 + step * 50;
            events.clear();
            g.due(now, &mut events);
            for e in &events {
                let source = Source::Kafka { key: Some(e.tenant.as_bytes()), timestamp: e.ts };
                let decoded =
                    decode_envelope(e.line.as_bytes(), &limits, source).unwrap_or_else(|r| panic!("{r}: {}", e.line));
                match engine.ingest(decoded, now - 2_001, &mut outputs) {
                    Ingested::Applied => {}
                    other => panic!("{other:?}: {}", e.line),
                }
            }
        }
        assert!(outputs.iter().any(|o| o.payload.type_name() == "sla.breached"));
        assert!(outputs.iter().any(|o| o.payload.type_name() == "routing.assigned"));
    }
}
