//! What happens inside a tenant that its outputs do not show: SLA cycles starting, resuming and
//! ending, routing rounds opening, tickets leaving memory. The what-if report (`crate::report`)
//! needs them; the daemon never asks for them.
//!
//! Invariants:
//! - Nothing is recorded unless the engine was asked to ([`super::Engine::record_facts`]);
//!   recording costs one branch per fact otherwise.
//! - Facts of one tenant come in the order they happened. A ticket's slot is reused only after
//!   its [`FactKind::TicketForgotten`], so `(tenant, slot)` names one ticket between the two.

use super::routing::TicketRef;
use super::rules::Policy;
use crate::contract::Metric;
use std::sync::Arc;

/// One fact about the ticket in `slot`.
#[derive(Debug, Clone)]
pub struct Fact {
    pub slot: TicketRef,
    pub kind: FactKind,
}

#[derive(Debug, Clone)]
pub enum FactKind {
    /// A new cycle of `metric`, under the policy in force now.
    CycleStarted {
        metric: Metric,
        policy: Arc<Policy>,
    },
    /// The running cycle of `metric` emitted `sla.breached`.
    CycleBreached {
        metric: Metric,
    },
    /// The cycle of `metric` was fulfilled after `elapsed_ms` of SLA time.
    CycleFulfilled {
        metric: Metric,
        elapsed_ms: i64,
    },
    /// A fulfilled cycle of `metric` runs again (a reopen).
    CycleResumed {
        metric: Metric,
    },
    /// The active cycle of `metric` ended without being fulfilled.
    CycleEnded {
        metric: Metric,
    },
    RoundOpened,
    /// The ticket was closed and left memory; its cycles end with it.
    TicketForgotten,
}

/// A tenant's facts since they were last taken.
#[derive(Debug, Default)]
pub struct Facts {
    recording: bool,
    list: Vec<Fact>,
}

impl Facts {
    pub fn set_recording(&mut self, recording: bool) {
        self.recording = recording;
        if !recording {
            self.list = Vec::new();
        }
    }

    pub fn record(&mut self, slot: TicketRef, kind: impl FnOnce() -> FactKind) {
        if self.recording {
            self.list.push(Fact { slot, kind: kind() });
        }
    }

    pub fn drain(&mut self) -> std::vec::Drain<'_, Fact> {
        self.list.drain(..)
    }
}
