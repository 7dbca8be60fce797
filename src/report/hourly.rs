//! Per-hour series of a run for the what-if page: breaches, escalations and routing waits by
//! the UTC hour of the output's `ts`. Memory follows the hours the run spans.

use crate::contract::{OutputEvent, Payload};
use std::collections::BTreeMap;

pub const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCounts {
    pub breaches: u64,
    pub escalations: u64,
    /// `routing.assigned` events of the hour and the sum of their `wait_ms`.
    pub assigned: u64,
    pub wait_ms_sum: i64,
}

impl HourCounts {
    pub fn mean_wait_ms(&self) -> Option<i64> {
        (self.assigned > 0).then(|| self.wait_ms_sum / self.assigned as i64)
    }
}

/// Counts by hour start (ms since the epoch, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hourly {
    pub hours: BTreeMap<i64, HourCounts>,
}

impl Hourly {
    pub fn record(&mut self, event: &OutputEvent) {
        let hour = || event.ts.div_euclid(HOUR_MS) * HOUR_MS;
        match &event.payload {
            Payload::SlaBreached { .. } => self.hours.entry(hour()).or_default().breaches += 1,
            Payload::EscalationRaised(_) => self.hours.entry(hour()).or_default().escalations += 1,
            Payload::RoutingAssigned(assigned) => {
                let counts = self.hours.entry(hour()).or_default();
                counts.assigned += 1;
                counts.wait_ms_sum = counts.wait_ms_sum.saturating_add(assigned.wait_ms);
            }
            _ => {}
        }
    }
}
