//! A ticket's state: its fields as the backend last stated them, its SLA clocks and its
//! routing round.

use super::rules::Policy;
use super::sla::Clock;
use super::wheel::TimerHandle;
use crate::contract::{Metric, Priority, SkillRequirement, Status};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub priority: Priority,
    pub channel: String,
    pub customer_tier: String,
    pub group: Option<String>,
    pub skills: Vec<SkillRequirement>,
    pub status: Status,
    #[serde(with = "crate::checkpoint::json::map")]
    pub context: Map<String, Value>,
    pub assignee: Option<String>,
    /// The customer's self-service journey attached at creation (a JSON array).
    #[serde(with = "crate::checkpoint::json::value")]
    pub journey: Value,
    /// The policy chosen last; `None` when no policy matched.
    #[serde(with = "crate::checkpoint::shared::opt_policy")]
    pub policy: Option<Arc<Policy>>,
    /// The latest cycle of each metric, indexed by [`Metric::index`].
    pub clocks: [Option<Clock>; 4],
    /// Cycles opened so far per metric.
    pub cycles_opened: [u32; 4],
    pub last_public_agent_reply: Option<Millis>,
    pub last_customer_reply: Option<Millis>,
    /// Manual escalations so far (ids `manual/{seq}`).
    pub manual_escalations: u32,
    pub functional_escalations: u32,
    /// Hierarchical escalations since the current assignee was set.
    pub hierarchical_since_assignee: u32,
    pub route: Route,
    /// While `solved`: the timer that closes the ticket once `engine.solved_ttl` has passed.
    pub close_timer: Option<TimerHandle>,
}

/// The ticket's routing state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Route {
    /// Rounds opened so far; the current round is `round`.
    pub round: u32,
    pub round_start: Millis,
    /// Expansion steps applied in the current round.
    pub steps_applied: usize,
    pub expand_timer: Option<TimerHandle>,
    /// Agents excluded for the ticket's life (released at a functional escalation).
    pub excluded: Vec<String>,
    /// The agent who let the ticket go, excluded from the current round only.
    pub excluded_this_round: Option<String>,
    /// The group of a functional escalation: a restriction for the ticket's life.
    pub functional_group: Option<String>,
    /// The rules the round runs on (its expansion steps), fixed until the policy is chosen again.
    #[serde(with = "crate::checkpoint::shared::opt_rules")]
    pub rules: Option<Arc<super::rules::Rules>>,
}

impl Ticket {
    pub fn clock(&self, metric: Metric) -> Option<&Clock> {
        self.clocks[metric.index()].as_ref()
    }

    pub fn clock_mut(&mut self, metric: Metric) -> Option<&mut Clock> {
        self.clocks[metric.index()].as_mut()
    }

    /// A cycle of `metric` is running or paused.
    pub fn is_active(&self, metric: Metric) -> bool {
        self.clock(metric).is_some_and(Clock::is_active)
    }

    pub fn is_solved(&self) -> bool {
        self.status == Status::Solved
    }

    /// Queue order's second key: the earliest breach instant among the running cycles.
    pub fn earliest_breach(&self) -> Option<Millis> {
        self.clocks.iter().flatten().filter(|c| c.phase == super::sla::Phase::Running).map(|c| c.breach_instant()).min()
    }
}
