//! The what-if report (REPORT.md): the KPIs of a `slad simulate` run, so that a team can replay
//! yesterday's events under two configurations and compare them before deploying a change.
//!
//! A [`Tally`] watches a run: every line's fate, every output and the engine's facts (what the
//! outputs do not show: cycles starting and ending, rounds opening). [`Tally::report`] turns it
//! into the [`Report`] written as JSON. Every count covers the whole run, up to `--until`.

pub mod compare;
mod cycles;
pub mod hourly;
pub mod html;
pub mod percentile;
pub mod table;

use crate::contract::{OutputEvent, Payload, Reason};
use crate::engine::facts::{Fact, FactKind};
use crate::time::{format_rfc3339, Millis};
use cycles::CycleBook;
pub use cycles::SlaRow;
use hourly::Hourly;
use percentile::Percentiles;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The report file's `version`.
pub const REPORT_VERSION: u32 = 1;

/// One run's KPIs, as REPORT.md lays them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    /// The `--until` instant, RFC 3339 UTC with milliseconds.
    pub until: Option<String>,
    pub inputs: Inputs,
    /// Output events by type; only types that occurred.
    pub outputs: BTreeMap<String, u64>,
    pub sla: Vec<SlaRow>,
    pub escalations: Vec<EscalationRow>,
    pub notifications: Vec<NotificationRow>,
    pub routing: RoutingCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    pub applied: u64,
    pub duplicates: u64,
    /// By reason code; only reasons that occurred.
    pub rejected: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRow {
    pub kind: String,
    pub level: u32,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRow {
    pub channel: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingCounts {
    pub rounds: u64,
    pub queued: u64,
    pub expanded: u64,
    pub assigned: u64,
    pub wait_ms: Percentiles,
}

/// What a run has done so far.
#[derive(Debug, Default)]
pub struct Tally {
    applied: u64,
    duplicates: u64,
    rejected: BTreeMap<&'static str, u64>,
    outputs: BTreeMap<&'static str, u64>,
    cycles: CycleBook,
    /// By kind name, then level: ordered as the report lists them.
    escalations: BTreeMap<(&'static str, u32), u64>,
    notifications: BTreeMap<String, u64>,
    rounds: u64,
    queued: u64,
    expanded: u64,
    waits: Vec<i64>,
    pub hourly: Hourly,
}

impl Tally {
    pub fn applied(&mut self) {
        self.applied += 1;
    }

    pub fn duplicate(&mut self) {
        self.duplicates += 1;
    }

    pub fn rejected(&mut self, reason: Reason) {
        *self.rejected.entry(reason.code()).or_default() += 1;
    }

    pub fn output(&mut self, event: &OutputEvent) {
        *self.outputs.entry(event.payload.type_name()).or_default() += 1;
        self.hourly.record(event);
        match &event.payload {
            Payload::EscalationRaised(raised) => {
                *self.escalations.entry((raised.kind.as_str(), raised.level)).or_default() += 1;
            }
            Payload::NotificationRequested { channel, .. } => match self.notifications.get_mut(channel.as_str()) {
                Some(count) => *count += 1,
                None => {
                    self.notifications.insert(channel.clone(), 1);
                }
            },
            Payload::RoutingQueued { .. } => self.queued += 1,
            Payload::RoutingExpanded { .. } => self.expanded += 1,
            Payload::RoutingAssigned(assigned) => self.waits.push(assigned.wait_ms),
            _ => {}
        }
    }

    /// A fact of the engine's tenant number `tenant`.
    pub fn fact(&mut self, tenant: u32, fact: &Fact) {
        if let FactKind::RoundOpened = fact.kind {
            self.rounds += 1;
        }
        self.cycles.record(tenant, fact);
    }

    /// The report of the run, which ended at `until`.
    pub fn report(self, until: Option<Millis>) -> Report {
        let assigned = self.waits.len() as u64;
        let mut waits = self.waits;
        Report {
            version: REPORT_VERSION,
            until: until.map(format_rfc3339),
            inputs: Inputs {
                applied: self.applied,
                duplicates: self.duplicates,
                rejected: self.rejected.into_iter().map(|(reason, n)| (reason.to_owned(), n)).collect(),
            },
            outputs: self.outputs.into_iter().map(|(kind, n)| (kind.to_owned(), n)).collect(),
            sla: self.cycles.rows(),
            escalations: self
                .escalations
                .into_iter()
                .map(|((kind, level), count)| EscalationRow { kind: kind.to_owned(), level, count })
                .collect(),
            notifications: self
                .notifications
                .into_iter()
                .map(|(channel, count)| NotificationRow { channel, count })
                .collect(),
            routing: RoutingCounts {
                rounds: self.rounds,
                queued: self.queued,
                expanded: self.expanded,
                assigned,
                wait_ms: Percentiles::of(&mut waits),
            },
        }
    }
}
