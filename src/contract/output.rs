//! Output events (EVENTS.md section 3) and their JSON form.

use super::input::{Priority, SkillRequirement};
use crate::time::{format_rfc3339, Millis};
use serde_json::{json, Map, Value};

/// The four SLA metrics, in the order used to break ties between timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    FirstResponse,
    NextResponse,
    PeriodicUpdate,
    Resolution,
}

impl Metric {
    pub const ALL: [Metric; 4] =
        [Metric::FirstResponse, Metric::NextResponse, Metric::PeriodicUpdate, Metric::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first_response",
            Metric::NextResponse => "next_response",
            Metric::PeriodicUpdate => "periodic_update",
            Metric::Resolution => "resolution",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where an output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Escalations,
    Notifications,
    Routing,
}

/// A resolved recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientKind {
    Agent,
    Group,
    Role,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Agent => "agent",
            RecipientKind::Group => "group",
            RecipientKind::Role => "role",
        }
    }
}

impl Recipient {
    fn to_json(&self) -> Value {
        json!({"kind": self.kind.as_str(), "id": self.id})
    }
}

/// `escalation.raised` kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationOrigin {
    Automatic,
    Hierarchical,
    Functional,
}

impl EscalationOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationOrigin::Automatic => "automatic",
            EscalationOrigin::Hierarchical => "hierarchical",
            EscalationOrigin::Functional => "functional",
        }
    }
}

/// Why a notification was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationCause {
    SlaWarning,
    EscalationRaised,
}

impl NotificationCause {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationCause::SlaWarning => "sla.warning",
            NotificationCause::EscalationRaised => "escalation.raised",
        }
    }
}

/// One output event. `ts` is the logical instant it fired.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputEvent {
    pub id: String,
    pub tenant: String,
    pub ticket_id: String,
    pub ts: Millis,
    pub payload: Payload,
}

/// The type-specific part of an output event.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    SlaWarning {
        metric: Metric,
        cycle: u32,
        threshold_pct: u8,
        target_ms: i64,
        due_at: Millis,
    },
    SlaBreached {
        metric: Metric,
        cycle: u32,
        target_ms: i64,
        due_at: Millis,
    },
    SlaFulfilled {
        metric: Metric,
        cycle: u32,
        target_ms: i64,
        elapsed_ms: i64,
        breached: bool,
    },
    EscalationRaised(Box<EscalationRaised>),
    NotificationRequested {
        recipient: Recipient,
        channel: String,
        reason: NotificationCause,
        cause_id: String,
        priority: Priority,
    },
    RoutingQueued {
        round: u32,
        requirements: Vec<SkillRequirement>,
    },
    RoutingExpanded {
        round: u32,
        step: u32,
        requirements: Vec<SkillRequirement>,
    },
    RoutingAssigned(Box<RoutingAssigned>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRaised {
    pub kind: EscalationOrigin,
    pub level: u32,
    /// Automatic escalations only.
    pub metric_cycle: Option<(Metric, u32)>,
    pub reason: Option<String>,
    pub recipients: Vec<Recipient>,
    pub channel: String,
    pub priority: Priority,
    pub assignee: Option<String>,
    /// A JSON array of journey entries.
    pub journey: Value,
    pub context: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingAssigned {
    pub round: u32,
    pub agent_id: String,
    pub wait_ms: i64,
    pub journey: Value,
    pub context: Map<String, Value>,
}

impl Payload {
    pub fn type_name(&self) -> &'static str {
        match self {
            Payload::SlaWarning { .. } => "sla.warning",
            Payload::SlaBreached { .. } => "sla.breached",
            Payload::SlaFulfilled { .. } => "sla.fulfilled",
            Payload::EscalationRaised(_) => "escalation.raised",
            Payload::NotificationRequested { .. } => "notification.requested",
            Payload::RoutingQueued { .. } => "routing.queued",
            Payload::RoutingExpanded { .. } => "routing.expanded",
            Payload::RoutingAssigned(_) => "routing.assigned",
        }
    }

    pub fn topic(&self) -> Topic {
        match self {
            Payload::SlaWarning { .. }
            | Payload::SlaBreached { .. }
            | Payload::SlaFulfilled { .. }
            | Payload::EscalationRaised(_) => Topic::Escalations,
            Payload::NotificationRequested { .. } => Topic::Notifications,
            Payload::RoutingQueued { .. } | Payload::RoutingExpanded { .. } | Payload::RoutingAssigned(_) => {
                Topic::Routing
            }
        }
    }
}

fn requirements_json(skills: &[SkillRequirement]) -> Value {
    Value::Array(
        skills.iter().map(|s| json!({"name": s.name, "min_level": s.min_level, "optional": s.optional})).collect(),
    )
}

impl OutputEvent {
    /// The Kafka key: `{tenant}/{ticket_id}`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.tenant, self.ticket_id)
    }

    /// The JSON object; `emitted_at` only from the live daemon.
    pub fn to_json(&self, emitted_at: Option<Millis>) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), self.payload.type_name().into());
        m.insert("id".into(), self.id.clone().into());
        m.insert("tenant".into(), self.tenant.clone().into());
        m.insert("ticket_id".into(), self.ticket_id.clone().into());
        m.insert("ts".into(), format_rfc3339(self.ts).into());
        if let Some(at) = emitted_at {
            m.insert("emitted_at".into(), format_rfc3339(at).into());
        }
        match &self.payload {
            Payload::SlaWarning { metric, cycle, threshold_pct, target_ms, due_at } => {
                m.insert("metric".into(), metric.as_str().into());
                m.insert("cycle".into(), (*cycle).into());
                m.insert("threshold_pct".into(), (*threshold_pct).into());
                m.insert("target_ms".into(), (*target_ms).into());
                m.insert("due_at".into(), format_rfc3339(*due_at).into());
            }
            Payload::SlaBreached { metric, cycle, target_ms, due_at } => {
                m.insert("metric".into(), metric.as_str().into());
                m.insert("cycle".into(), (*cycle).into());
                m.insert("target_ms".into(), (*target_ms).into());
                m.insert("due_at".into(), format_rfc3339(*due_at).into());
            }
            Payload::SlaFulfilled { metric, cycle, target_ms, elapsed_ms, breached } => {
                m.insert("metric".into(), metric.as_str().into());
                m.insert("cycle".into(), (*cycle).into());
                m.insert("target_ms".into(), (*target_ms).into());
                m.insert("elapsed_ms".into(), (*elapsed_ms).into());
                m.insert("breached".into(), (*breached).into());
            }
            Payload::EscalationRaised(e) => {
                m.insert("kind".into(), e.kind.as_str().into());
                m.insert("level".into(), e.level.into());
                if let Some((metric, cycle)) = e.metric_cycle {
                    m.insert("metric".into(), metric.as_str().into());
                    m.insert("cycle".into(), cycle.into());
                }
                m.insert("reason".into(), e.reason.clone().map_or(Value::Null, Value::String));
                m.insert("recipients".into(), Value::Array(e.recipients.iter().map(Recipient::to_json).collect()));
                m.insert("channel".into(), e.channel.clone().into());
                m.insert("priority".into(), e.priority.as_str().into());
                m.insert("assignee".into(), e.assignee.clone().map_or(Value::Null, Value::String));
                m.insert("journey".into(), e.journey.clone());
                m.insert("context".into(), Value::Object(e.context.clone()));
            }
            Payload::NotificationRequested { recipient, channel, reason, cause_id, priority } => {
                m.insert("recipient".into(), recipient.to_json());
                m.insert("channel".into(), channel.clone().into());
                m.insert("reason".into(), reason.as_str().into());
                m.insert("cause_id".into(), cause_id.clone().into());
                m.insert("priority".into(), priority.as_str().into());
            }
            Payload::RoutingQueued { round, requirements } => {
                m.insert("round".into(), (*round).into());
                m.insert("requirements".into(), requirements_json(requirements));
            }
            Payload::RoutingExpanded { round, step, requirements } => {
                m.insert("round".into(), (*round).into());
                m.insert("step".into(), (*step).into());
                m.insert("requirements".into(), requirements_json(requirements));
            }
            Payload::RoutingAssigned(a) => {
                m.insert("round".into(), a.round.into());
                m.insert("agent_id".into(), a.agent_id.clone().into());
                m.insert("wait_ms".into(), a.wait_ms.into());
                m.insert("journey".into(), a.journey.clone());
                m.insert("context".into(), Value::Object(a.context.clone()));
            }
        }
        Value::Object(m)
    }
}
