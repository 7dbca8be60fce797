//! The compiled configuration the engine runs on: policies, ladders, calendars and
//! routing rules, validated and cross-referenced by [`crate::config`]. Immutable; a
//! reload builds a new one and running cycles keep the `Arc` of the policy they started with.

use super::calendar::Calendar;
use crate::contract::{Metric, Priority, StatusSet};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Everything the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    pub limits: EngineLimits,
    pub journey: JourneyRules,
    /// Tried in order; the first that matches applies.
    pub policies: Vec<Arc<Policy>>,
    pub routing: RoutingRules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineLimits {
    pub allowed_lateness_ms: i64,
    pub max_future_skew_ms: i64,
    pub dedupe_window_ms: i64,
    pub max_event_bytes: usize,
    /// An `event_id` is forgotten once this many later inputs were applied on its partition.
    pub dedupe_max_ids: u64,
    /// A ticket `solved` this long (event time) is closed; 0 keeps it until `closed`.
    pub solved_ttl_ms: i64,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            allowed_lateness_ms: 2_000,
            max_future_skew_ms: 3_600_000,
            dedupe_window_ms: 86_400_000,
            max_event_bytes: 65_536,
            dedupe_max_ids: 20_000_000,
            solved_ttl_ms: 4 * 86_400_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyRules {
    pub max_steps: usize,
    pub ttl_ms: i64,
}

impl Default for JourneyRules {
    fn default() -> Self {
        JourneyRules { max_steps: 20, ttl_ms: 86_400_000 }
    }
}

/// One `[[policy]]`.
#[derive(Debug)]
pub struct Policy {
    pub name: String,
    pub matcher: PolicyMatch,
    pub calendar: Arc<Calendar>,
    /// Ascending, without duplicates, each in 1..=99.
    pub warn_at: Vec<u8>,
    pub warn_notify: Vec<RecipientSpec>,
    /// Default `"email"`.
    pub warn_channel: String,
    /// Indexed by [`Metric::index`].
    pub metrics: [MetricRules; 4],
}

impl Policy {
    pub fn metric(&self, metric: Metric) -> &MetricRules {
        &self.metrics[metric.index()]
    }

    /// The target of `metric` for `priority`, if the metric is tracked at that priority.
    pub fn target(&self, metric: Metric, priority: Priority) -> Option<i64> {
        self.metrics[metric.index()].targets[priority.index()]
    }
}

/// `match`: each key a list of accepted values; `None` matches anything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyMatch {
    pub priority: Option<Vec<Priority>>,
    pub customer_tier: Option<Vec<String>>,
    pub channel: Option<Vec<String>>,
    /// Never matches a ticket without a group.
    pub group: Option<Vec<String>>,
    pub tenant: Option<Vec<String>>,
}

/// What a policy says about one metric.
#[derive(Debug, Clone, Default)]
pub struct MetricRules {
    /// SLA-time target per priority (indexed by [`Priority::index`]), ms.
    pub targets: [Option<i64>; 4],
    pub pause_on: StatusSet,
    pub ladder: Option<Arc<Ladder>>,
}

/// One `[[ladder]]`, with its calendar resolved: its own, else the policy's.
#[derive(Debug)]
pub struct Ladder {
    pub name: String,
    /// The ladder's own `calendar`; `None` means the policy's calendar.
    pub calendar: Option<Arc<Calendar>>,
    pub levels: Vec<LadderLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LadderLevel {
    /// SLA time after the breach, ms.
    pub after_ms: i64,
    pub notify: Vec<RecipientSpec>,
    pub fallback: Vec<RecipientSpec>,
    /// Default `"email"`.
    pub channel: String,
    /// Last level only.
    pub repeat: Option<Repeat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeat {
    pub every_ms: i64,
    pub count: u32,
}

/// A recipient spec (SLA.md, Recipients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientSpec {
    Assignee,
    /// `supervisor` is `Supervisor(1)`; `supervisor^N` is `Supervisor(N)`, N >= 1.
    Supervisor(u32),
    /// `group:*`.
    TicketGroup,
    Group(String),
    Agent(String),
    Role(String),
}

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoutingRules {
    pub strategy: Strategy,
    pub route_within_group: bool,
    /// Ascending by `after_ms` as written (cumulative from the round's start).
    pub expand: Vec<ExpandStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Strategy {
    #[default]
    LongestIdle,
    MostSkilled,
    LeastLoaded,
}

/// One `[[routing.expand]]` step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExpandStep {
    /// Real time since the round started, ms.
    pub after_ms: i64,
    pub lower_min_level_by: u32,
    pub drop_optional_skills: bool,
    pub any_agent: bool,
}
