//! A deterministic synthetic input stream: a realistic mix of ticket, agent and contact events
//! over several tenants, for benchmarks, fuzzing seeds and `slad simulate` timing runs.
//!
//! The mix, per 100 events: ~20 `ticket.created`, ~30 replies (agent and customer), ~25 status
//! changes (pending, open, solved, closed), ~10 `ticket.updated`, ~10 agent events, ~5 contact
//! steps. Every line is a valid input; tickets are closed so the open set stays bounded.
//!
//! [`Workload::short_staffed`] is the breach-heavy day: five agents per tenant, one ticket each,
//! so that most tickets wait in the routing queue, breach and climb their ladders (with
//! `benches/breach.toml`, about three outputs per input).

use crate::rng::Rng;
use crate::time::format_rfc3339;
use std::collections::VecDeque;

/// Generates input lines.
#[derive(Debug, Clone)]
pub struct Workload {
    rng: Rng,
    tenants: usize,
    now_ms: i64,
    seq: u64,
    /// Open tickets per tenant, oldest first.
    open: Vec<VecDeque<u64>>,
    agents_per_tenant: u64,
    max_open_per_tenant: usize,
    /// With [`Workload::rate`]: the virtual clock in microseconds and the mean gap between inputs.
    pace: Option<(i64, u64)>,
    /// With [`Workload::never_close`]: tickets are solved and then left alone.
    never_close: bool,
    /// Tickets an agent takes at once (a `*` capacity).
    agent_capacity: Option<u64>,
}

const PRIORITIES: [&str; 4] = ["urgent", "high", "normal", "low"];
const SKILLS: [&str; 6] = ["billing", "french", "german", "hardware", "network", "refunds"];

impl Workload {
    /// `tenants` tenants starting at `start_ms`, with a bounded number of open tickets each.
    pub fn new(seed: u64, tenants: usize, start_ms: i64) -> Workload {
        Workload {
            rng: Rng(seed),
            tenants: tenants.max(1),
            now_ms: start_ms,
            seq: 0,
            open: vec![VecDeque::new(); tenants.max(1)],
            agents_per_tenant: 50,
            max_open_per_tenant: 50_000,
            pace: None,
            never_close: false,
            agent_capacity: None,
        }
    }

    /// About `per_second` inputs per second of virtual time (the default is about 10).
    pub fn rate(mut self, per_second: u64) -> Workload {
        self.pace = Some((self.now_ms.saturating_mul(1000), 1_000_000 / per_second.max(1)));
        self
    }

    /// Tickets are never closed: solved ones are left to `engine.solved_ttl`, and a tenant at
    /// its bound of open tickets solves its oldest instead of closing it.
    pub fn never_close(mut self) -> Workload {
        self.never_close = true;
        self
    }

    /// Agents short of capacity: five per tenant, one ticket at a time each.
    pub fn short_staffed(mut self) -> Workload {
        self.agents_per_tenant = 5;
        self.agent_capacity = Some(1);
        self
    }

    /// Bounds the open tickets kept per tenant (the oldest are closed beyond it).
    pub fn max_open_per_tenant(mut self, n: usize) -> Workload {
        self.max_open_per_tenant = n.max(1);
        self
    }

    fn envelope(&mut self, kind: &str, tenant: usize) -> String {
        self.seq += 1;
        format!(
            r#"{{"type":"{kind}","event_id":"ev-{}","tenant":"tenant-{tenant}","ts":"{}""#,
            self.seq,
            format_rfc3339(self.now_ms)
        )
    }

    /// The next input line (no trailing newline).
    pub fn next_line(&mut self) -> String {
        match &mut self.pace {
            Some((clock_us, gap_us)) => {
                *clock_us += self.rng.below(2 * *gap_us + 1) as i64;
                self.now_ms = *clock_us / 1000;
            }
            None => self.now_ms += 1 + self.rng.below(200) as i64,
        }
        let tenant = self.rng.below(self.tenants as u64) as usize;
        if self.seq < self.tenants as u64 * self.agents_per_tenant {
            // Warm-up: every tenant gets its agents first, available.
            let n = self.seq / self.tenants as u64;
            let tenant = (self.seq % self.tenants as u64) as usize;
            let head = self.envelope("agent.upserted", tenant);
            let skill = SKILLS[(n % SKILLS.len() as u64) as usize];
            return format!(
                r#"{head},"agent_id":"agent-{n}","skills":[{{"name":"{skill}","level":{}}}],"capacity":{{"*":{}}},"supervisor_id":"lead-{}"}}"#,
                1 + n % 5,
                self.agent_capacity.unwrap_or(2 + n % 4),
                n % 5
            );
        }
        let roll = self.rng.below(100);
        let open_len = self.open[tenant].len();
        if open_len == 0 || roll < 20 || (open_len < 10 && roll < 50) {
            return self.created(tenant);
        }
        let pick = self.rng.below(open_len as u64) as usize;
        let ticket = self.open[tenant][pick];
        let head;
        match roll {
            20..=39 => {
                head = self.envelope("ticket.agent_replied", tenant);
                format!(
                    r#"{head},"ticket_id":"T{ticket}","agent_id":"agent-{}"}}"#,
                    self.rng.below(self.agents_per_tenant)
                )
            }
            40..=49 => {
                head = self.envelope("ticket.customer_replied", tenant);
                format!(r#"{head},"ticket_id":"T{ticket}"}}"#)
            }
            50..=59 => {
                let status = ["pending", "open", "on_hold", "open"][self.rng.below(4) as usize];
                head = self.envelope("ticket.status_changed", tenant);
                format!(r#"{head},"ticket_id":"T{ticket}","status":"{status}"}}"#)
            }
            60..=74 => {
                self.open[tenant].remove(pick);
                let status = if roll < 68 || self.never_close { "solved" } else { "closed" };
                if status == "solved" && !self.never_close {
                    // Solved tickets are closed a little later.
                    self.open[tenant].push_back(ticket);
                }
                head = self.envelope("ticket.status_changed", tenant);
                format!(r#"{head},"ticket_id":"T{ticket}","status":"{status}"}}"#)
            }
            75..=84 => {
                let priority = PRIORITIES[self.rng.below(4) as usize];
                head = self.envelope("ticket.updated", tenant);
                format!(r#"{head},"ticket_id":"T{ticket}","priority":"{priority}","context":{{"plan":"gold"}}}}"#)
            }
            85..=94 => {
                let agent = self.rng.below(self.agents_per_tenant);
                let status = ["available", "busy", "available", "away"][self.rng.below(4) as usize];
                head = self.envelope("agent.status_changed", tenant);
                format!(r#"{head},"agent_id":"agent-{agent}","status":"{status}"}}"#)
            }
            _ => {
                let customer = self.rng.below(1_000);
                let step = ["helpbox", "faq", "form", "chat"][self.rng.below(4) as usize];
                head = self.envelope("contact.step", tenant);
                format!(r#"{head},"customer_id":"C{customer}","step":"{step}","outcome":"unresolved"}}"#)
            }
        }
    }

    fn created(&mut self, tenant: usize) -> String {
        let id = self.seq + 1;
        if self.open[tenant].len() >= self.max_open_per_tenant {
            let oldest = self.open[tenant].pop_front().expect("non-empty");
            let status = if self.never_close { "solved" } else { "closed" };
            let head = self.envelope("ticket.status_changed", tenant);
            return format!(r#"{head},"ticket_id":"T{oldest}","status":"{status}"}}"#);
        }
        self.open[tenant].push_back(id);
        let priority = PRIORITIES[self.rng.below(4) as usize];
        let skill = SKILLS[self.rng.below(SKILLS.len() as u64) as usize];
        let tier = if self.rng.below(10) == 0 { "vip" } else { "standard" };
        let customer = self.rng.below(1_000);
        let head = self.envelope("ticket.created", tenant);
        format!(
            r#"{head},"ticket_id":"T{id}","priority":"{priority}","customer_id":"C{customer}","customer_tier":"{tier}","skills":[{{"name":"{skill}","min_level":2}}],"context":{{"source":"web"}}}}"#
        )
    }

    /// The virtual time of the last line produced.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }
}

impl Iterator for Workload {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        Some(self.next_line())
    }
}
