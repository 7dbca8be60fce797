//! A ticket's state: its fields as the backend last stated them, its SLA clocks and its
//! routing round.

use super::names::Name;
use super::rules::Policy;
use super::sla::Clock;
use super::wheel::TimerHandle;
use crate::contract::{Metric, Priority, RawJson, SkillRequirement, Status};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    /// Shared with the tenant's id index.
    pub id: Name,
    pub priority: Priority,
    /// This and the other names are the tenant's shared copies ([`super::names`]).
    pub channel: Name,
    pub customer_tier: Name,
    pub group: Option<Name>,
    pub skills: Vec<SkillRequirement>,
    pub status: Status,
    /// A JSON object.
    #[serde(with = "crate::checkpoint::json::raw")]
    pub context: RawJson,
    pub assignee: Option<Name>,
    /// The customer's self-service journey attached at creation (a JSON array).
    #[serde(with = "crate::checkpoint::json::raw")]
    pub journey: RawJson,
    /// The policy chosen last; `None` when no policy matched.
    #[serde(with = "crate::checkpoint::shared::opt_policy")]
    pub policy: Option<Arc<Policy>>,
    /// The latest cycle of each metric that has had one (at most one clock per metric).
    pub clocks: Vec<Clock>,
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
    /// The rules the round runs on (its expansion steps), fixed until the policy is chosen again.
    #[serde(with = "crate::checkpoint::shared::opt_rules")]
    pub rules: Option<Arc<super::rules::Rules>>,
    /// Exclusions and a functional group, which few tickets have: boxed, `None` when empty.
    limits: Option<Box<RouteLimits>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct RouteLimits {
    /// Agents excluded for the ticket's life (released at a functional escalation).
    excluded: Vec<String>,
    /// The agent who let the ticket go, excluded from the current round only.
    excluded_this_round: Option<String>,
    /// The group of a functional escalation: a restriction for the ticket's life.
    functional_group: Option<String>,
}

impl Route {
    /// Agents excluded for the ticket's life.
    pub fn excluded(&self) -> &[String] {
        self.limits.as_ref().map_or(&[], |l| &l.excluded)
    }

    /// The agent excluded from the current round only.
    pub fn excluded_this_round(&self) -> Option<&str> {
        self.limits.as_ref()?.excluded_this_round.as_deref()
    }

    /// The group of a functional escalation, for the ticket's life.
    pub fn functional_group(&self) -> Option<&str> {
        self.limits.as_ref()?.functional_group.as_deref()
    }

    pub fn exclude_for_life(&mut self, agent: &str) {
        if !self.excluded().iter().any(|x| x == agent) {
            self.limits_mut(|l| l.excluded.push(agent.to_owned()));
        }
    }

    pub fn set_excluded_this_round(&mut self, agent: Option<&str>) {
        if agent.is_some() || self.excluded_this_round().is_some() {
            self.limits_mut(|l| l.excluded_this_round = agent.map(str::to_owned));
        }
    }

    pub fn set_functional_group(&mut self, group: &str) {
        self.limits_mut(|l| l.functional_group = Some(group.to_owned()));
    }

    fn limits_mut(&mut self, change: impl FnOnce(&mut RouteLimits)) {
        let limits = self.limits.get_or_insert_with(Box::default);
        change(limits);
        if **limits == RouteLimits::default() {
            self.limits = None;
        }
    }
}

impl Ticket {
    pub fn clock(&self, metric: Metric) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.metric == metric)
    }

    pub fn clock_mut(&mut self, metric: Metric) -> Option<&mut Clock> {
        self.clocks.iter_mut().find(|c| c.metric == metric)
    }

    /// Makes `clock` the latest cycle of its metric.
    pub fn set_clock(&mut self, clock: Clock) {
        match self.clock_mut(clock.metric) {
            Some(latest) => *latest = clock,
            None => {
                // Exact: most tickets hold two clocks for life.
                self.clocks.reserve_exact(1);
                self.clocks.push(clock);
            }
        }
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
        self.clocks.iter().filter(|c| c.phase == super::sla::Phase::Running).map(|c| c.breach_instant()).min()
    }
}
