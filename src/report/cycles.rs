//! The SLA cycles of a run, counted per metric and per the policy in force when each cycle
//! started (REPORT.md, `sla`).
//!
//! Invariants:
//! - `started` and `breached` count when they happen; whether a cycle ends fulfilled, in time
//!   or active is only known when it can no longer change: when its ticket starts another cycle
//!   of the metric, when the ticket leaves memory, or at the end of the run ([`CycleBook::rows`]).
//! - Only the latest cycle of each metric of each ticket in memory is held: memory follows the
//!   open tickets, not the length of the run (plus one sample per fulfilled cycle).

use crate::contract::Metric;
use crate::engine::facts::{Fact, FactKind};
use crate::engine::routing::TicketRef;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::percentile::Percentiles;

/// One row of the report's `sla` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaRow {
    pub metric: String,
    pub policy: String,
    pub started: u64,
    pub breached: u64,
    pub fulfilled: u64,
    pub fulfilled_in_time: u64,
    pub active: u64,
    pub elapsed_ms: Percentiles,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CycleState {
    /// Running or paused.
    Active,
    Fulfilled {
        elapsed_ms: i64,
    },
    /// Ended without being fulfilled (not tracked any more, solved, or the ticket closed).
    Ended,
}

#[derive(Debug, Clone, Copy)]
struct Cycle {
    row: u32,
    breached: bool,
    state: CycleState,
}

#[derive(Debug, Default)]
struct RowCounts {
    metric: Option<Metric>,
    policy: String,
    started: u64,
    breached: u64,
    fulfilled: u64,
    fulfilled_in_time: u64,
    active: u64,
    /// The `elapsed_ms` of each fulfilled cycle's last fulfilment.
    elapsed: Vec<i64>,
}

/// Counts cycles from the engine's facts.
#[derive(Debug, Default)]
pub struct CycleBook {
    rows: Vec<RowCounts>,
    /// Row of each policy name, per metric.
    row_of: FxHashMap<String, [Option<u32>; 4]>,
    /// The latest cycle of each metric of each ticket in memory, by `(tenant, slot)`.
    latest: FxHashMap<(u32, TicketRef), [Option<Cycle>; 4]>,
}

impl CycleBook {
    pub fn record(&mut self, tenant: u32, fact: &Fact) {
        let key = (tenant, fact.slot);
        match &fact.kind {
            FactKind::CycleStarted { metric, policy } => {
                let row = self.row(*metric, &policy.name);
                self.rows[row as usize].started += 1;
                let cycles = self.latest.entry(key).or_default();
                let replaced =
                    cycles[metric.index()].replace(Cycle { row, breached: false, state: CycleState::Active });
                if let Some(old) = replaced {
                    settle(&mut self.rows, ended_if_active(old));
                }
            }
            FactKind::CycleBreached { metric } => {
                if let Some(cycle) = self.cycle(key, *metric) {
                    if !cycle.breached {
                        cycle.breached = true;
                        let row = cycle.row;
                        self.rows[row as usize].breached += 1;
                    }
                }
            }
            FactKind::CycleFulfilled { metric, elapsed_ms } => {
                if let Some(cycle) = self.cycle(key, *metric) {
                    cycle.state = CycleState::Fulfilled { elapsed_ms: *elapsed_ms };
                }
            }
            FactKind::CycleResumed { metric } => {
                if let Some(cycle) = self.cycle(key, *metric) {
                    cycle.state = CycleState::Active;
                }
            }
            FactKind::CycleEnded { metric } => {
                if let Some(cycle) = self.cycle(key, *metric) {
                    cycle.state = CycleState::Ended;
                }
            }
            FactKind::TicketForgotten => {
                for cycle in self.latest.remove(&key).into_iter().flatten().flatten() {
                    settle(&mut self.rows, ended_if_active(cycle));
                }
            }
            FactKind::RoundOpened => {}
        }
    }

    /// The rows at the end of the run, ordered by metric, then policy name.
    pub fn rows(mut self) -> Vec<SlaRow> {
        for cycle in self.latest.into_values().flatten().flatten() {
            settle(&mut self.rows, cycle);
        }
        let mut rows: Vec<SlaRow> = self
            .rows
            .into_iter()
            .map(|mut counts| SlaRow {
                metric: counts.metric.map_or("", Metric::as_str).to_owned(),
                policy: counts.policy,
                started: counts.started,
                breached: counts.breached,
                fulfilled: counts.fulfilled,
                fulfilled_in_time: counts.fulfilled_in_time,
                active: counts.active,
                elapsed_ms: Percentiles::of(&mut counts.elapsed),
            })
            .collect();
        rows.sort_by(|a, b| {
            let order = |row: &SlaRow| Metric::parse(&row.metric).map_or(usize::MAX, Metric::index);
            order(a).cmp(&order(b)).then_with(|| a.policy.cmp(&b.policy))
        });
        rows
    }

    fn row(&mut self, metric: Metric, policy: &str) -> u32 {
        if let Some(row) = self.row_of.get(policy).and_then(|rows| rows[metric.index()]) {
            return row;
        }
        let row = self.rows.len() as u32;
        self.rows.push(RowCounts { metric: Some(metric), policy: policy.to_owned(), ..RowCounts::default() });
        self.row_of.entry(policy.to_owned()).or_default()[metric.index()] = Some(row);
        row
    }

    fn cycle(&mut self, key: (u32, TicketRef), metric: Metric) -> Option<&mut Cycle> {
        self.latest.get_mut(&key)?[metric.index()].as_mut()
    }
}

/// A cycle that goes with its ticket, or gives way to the next cycle of its metric, is no longer
/// running.
fn ended_if_active(cycle: Cycle) -> Cycle {
    let state = if cycle.state == CycleState::Active { CycleState::Ended } else { cycle.state };
    Cycle { state, ..cycle }
}

/// Counts a cycle whose outcome can no longer change.
fn settle(rows: &mut [RowCounts], cycle: Cycle) {
    let row = &mut rows[cycle.row as usize];
    match cycle.state {
        CycleState::Active => row.active += 1,
        CycleState::Fulfilled { elapsed_ms } => {
            row.fulfilled += 1;
            if !cycle.breached {
                row.fulfilled_in_time += 1;
            }
            row.elapsed.push(elapsed_ms);
        }
        CycleState::Ended => {}
    }
}
