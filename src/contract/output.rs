//! Output events (EVENTS.md section 3) and their JSON form.

use super::input::{Priority, SkillRequirement};
use super::raw_json::RawJson;
use crate::time::{format_rfc3339, Millis};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The four SLA metrics, in the order used to break ties between timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    pub journey: RawJson,
    /// A JSON object.
    pub context: RawJson,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingAssigned {
    pub round: u32,
    pub agent_id: String,
    pub wait_ms: i64,
    pub journey: RawJson,
    pub context: RawJson,
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

impl OutputEvent {
    /// The Kafka key: `{tenant}/{ticket_id}`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.tenant, self.ticket_id)
    }

    /// The JSON object of [`OutputEvent::write_json`], as a `Value` (for tests and tools).
    pub fn to_json(&self, emitted_at: Option<Millis>) -> Value {
        let mut buf = Vec::new();
        self.write_json(emitted_at, &mut buf);
        serde_json::from_slice(&buf).expect("write_json writes a JSON object")
    }

    /// Appends the event's JSON object (EVENTS.md section 3) to `buf`: `type`, `id`, `tenant`,
    /// `ticket_id`, `ts`, `emitted_at` (only from the live daemon), then the type's fields.
    pub fn write_json(&self, emitted_at: Option<Millis>, buf: &mut Vec<u8>) {
        // Writing into a Vec cannot fail, and every key is a string.
        let _ = serde_json::to_writer(buf, &Json { event: self, emitted_at });
    }
}

/// An output event with its `emitted_at`, serialized as its JSON object.
struct Json<'a> {
    event: &'a OutputEvent,
    emitted_at: Option<Millis>,
}

/// An instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
struct Instant(Millis);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_rfc3339(self.0))
    }
}

/// A recipient: `{"kind", "id"}`.
struct RecipientJson<'a>(&'a Recipient);

impl Serialize for RecipientJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("kind", self.0.kind.as_str())?;
        m.serialize_entry("id", &self.0.id)?;
        m.end()
    }
}

struct Recipients<'a>(&'a [Recipient]);

impl Serialize for Recipients<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(RecipientJson))
    }
}

/// A routing round's requirements: `[{"name", "min_level", "optional"}]`.
struct Requirements<'a>(&'a [SkillRequirement]);

impl Serialize for Requirements<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Requirement))
    }
}

struct Requirement<'a>(&'a SkillRequirement);

impl Serialize for Requirement<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(3))?;
        m.serialize_entry("name", &self.0.name)?;
        m.serialize_entry("min_level", &self.0.min_level)?;
        m.serialize_entry("optional", &self.0.optional)?;
        m.end()
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.event;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("type", e.payload.type_name())?;
        m.serialize_entry("id", &e.id)?;
        m.serialize_entry("tenant", &e.tenant)?;
        m.serialize_entry("ticket_id", &e.ticket_id)?;
        m.serialize_entry("ts", &Instant(e.ts))?;
        if let Some(at) = self.emitted_at {
            m.serialize_entry("emitted_at", &Instant(at))?;
        }
        match &e.payload {
            Payload::SlaWarning { metric, cycle, threshold_pct, target_ms, due_at } => {
                m.serialize_entry("metric", metric.as_str())?;
                m.serialize_entry("cycle", cycle)?;
                m.serialize_entry("threshold_pct", threshold_pct)?;
                m.serialize_entry("target_ms", target_ms)?;
                m.serialize_entry("due_at", &Instant(*due_at))?;
            }
            Payload::SlaBreached { metric, cycle, target_ms, due_at } => {
                m.serialize_entry("metric", metric.as_str())?;
                m.serialize_entry("cycle", cycle)?;
                m.serialize_entry("target_ms", target_ms)?;
                m.serialize_entry("due_at", &Instant(*due_at))?;
            }
            Payload::SlaFulfilled { metric, cycle, target_ms, elapsed_ms, breached } => {
                m.serialize_entry("metric", metric.as_str())?;
                m.serialize_entry("cycle", cycle)?;
                m.serialize_entry("target_ms", target_ms)?;
                m.serialize_entry("elapsed_ms", elapsed_ms)?;
                m.serialize_entry("breached", breached)?;
            }
            Payload::EscalationRaised(x) => {
                m.serialize_entry("kind", x.kind.as_str())?;
                m.serialize_entry("level", &x.level)?;
                if let Some((metric, cycle)) = x.metric_cycle {
                    m.serialize_entry("metric", metric.as_str())?;
                    m.serialize_entry("cycle", &cycle)?;
                }
                m.serialize_entry("reason", &x.reason)?;
                m.serialize_entry("recipients", &Recipients(&x.recipients))?;
                m.serialize_entry("channel", &x.channel)?;
                m.serialize_entry("priority", x.priority.as_str())?;
                m.serialize_entry("assignee", &x.assignee)?;
                m.serialize_entry("journey", &x.journey)?;
                m.serialize_entry("context", &x.context)?;
            }
            Payload::NotificationRequested { recipient, channel, reason, cause_id, priority } => {
                m.serialize_entry("recipient", &RecipientJson(recipient))?;
                m.serialize_entry("channel", channel)?;
                m.serialize_entry("reason", reason.as_str())?;
                m.serialize_entry("cause_id", cause_id)?;
                m.serialize_entry("priority", priority.as_str())?;
            }
            Payload::RoutingQueued { round, requirements } => {
                m.serialize_entry("round", round)?;
                m.serialize_entry("requirements", &Requirements(requirements))?;
            }
            Payload::RoutingExpanded { round, step, requirements } => {
                m.serialize_entry("round", round)?;
                m.serialize_entry("step", step)?;
                m.serialize_entry("requirements", &Requirements(requirements))?;
            }
            Payload::RoutingAssigned(a) => {
                m.serialize_entry("round", &a.round)?;
                m.serialize_entry("agent_id", &a.agent_id)?;
                m.serialize_entry("wait_ms", &a.wait_ms)?;
                m.serialize_entry("journey", &a.journey)?;
                m.serialize_entry("context", &a.context)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Map;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![3 => "[a-z0-9_/.-]{0,12}", 1 => ".{0,8}"]
    }

    fn metric() -> impl Strategy<Value = Metric> {
        proptest::sample::select(Metric::ALL.as_slice())
    }

    fn priority() -> impl Strategy<Value = Priority> {
        proptest::sample::select(Priority::ALL.as_slice())
    }

    fn instant() -> impl Strategy<Value = Millis> {
        prop_oneof![0..=253_402_300_799_999i64, any::<i64>()]
    }

    fn recipient() -> impl Strategy<Value = Recipient> {
        (proptest::sample::select(vec![RecipientKind::Agent, RecipientKind::Group, RecipientKind::Role]), text())
            .prop_map(|(kind, id)| Recipient { kind, id })
    }

    fn requirements() -> impl Strategy<Value = Vec<SkillRequirement>> {
        proptest::collection::vec(
            (text(), any::<u32>(), any::<bool>()).prop_map(|(name, min_level, optional)| SkillRequirement {
                name: name.into(),
                min_level,
                optional,
            }),
            0..4,
        )
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            // Quarters: written and read back exactly.
            (-4_000_000i64..4_000_000).prop_map(|n| Value::from(n as f64 / 4.0)),
            text().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(text(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn context() -> impl Strategy<Value = Map<String, Value>> {
        proptest::collection::btree_map(text(), json(), 0..4).prop_map(|m| m.into_iter().collect())
    }

    fn payload() -> impl Strategy<Value = Payload> {
        let origin = proptest::sample::select(vec![
            EscalationOrigin::Automatic,
            EscalationOrigin::Hierarchical,
            EscalationOrigin::Functional,
        ]);
        let cause = proptest::sample::select(vec![NotificationCause::SlaWarning, NotificationCause::EscalationRaised]);
        prop_oneof![
            (metric(), any::<u32>(), any::<u8>(), any::<i64>(), instant()).prop_map(
                |(metric, cycle, threshold_pct, target_ms, due_at)| Payload::SlaWarning {
                    metric,
                    cycle,
                    threshold_pct,
                    target_ms,
                    due_at
                }
            ),
            (metric(), any::<u32>(), any::<i64>(), instant()).prop_map(|(metric, cycle, target_ms, due_at)| {
                Payload::SlaBreached { metric, cycle, target_ms, due_at }
            }),
            (metric(), any::<u32>(), any::<i64>(), any::<i64>(), any::<bool>()).prop_map(
                |(metric, cycle, target_ms, elapsed_ms, breached)| Payload::SlaFulfilled {
                    metric,
                    cycle,
                    target_ms,
                    elapsed_ms,
                    breached
                }
            ),
            (
                (origin, any::<u32>(), proptest::option::of((metric(), any::<u32>())), proptest::option::of(text())),
                (proptest::collection::vec(recipient(), 0..3), text(), priority(), proptest::option::of(text())),
                (json(), context()),
            )
                .prop_map(
                    |(
                        (kind, level, metric_cycle, reason),
                        (recipients, channel, priority, assignee),
                        (journey, context),
                    )| {
                        Payload::EscalationRaised(Box::new(EscalationRaised {
                            kind,
                            level,
                            metric_cycle,
                            reason,
                            recipients,
                            channel,
                            priority,
                            assignee,
                            journey: RawJson::of(&journey),
                            context: RawJson::of(&context),
                        }))
                    }
                ),
            (recipient(), text(), cause, text(), priority()).prop_map(
                |(recipient, channel, reason, cause_id, priority)| Payload::NotificationRequested {
                    recipient,
                    channel,
                    reason,
                    cause_id,
                    priority
                }
            ),
            (any::<u32>(), requirements())
                .prop_map(|(round, requirements)| Payload::RoutingQueued { round, requirements }),
            (any::<u32>(), any::<u32>(), requirements())
                .prop_map(|(round, step, requirements)| Payload::RoutingExpanded { round, step, requirements }),
            (any::<u32>(), text(), any::<i64>(), json(), context()).prop_map(
                |(round, agent_id, wait_ms, journey, context)| {
                    Payload::RoutingAssigned(Box::new(RoutingAssigned {
                        round,
                        agent_id,
                        wait_ms,
                        journey: RawJson::of(&journey),
                        context: RawJson::of(&context),
                    }))
                }
            ),
        ]
    }

    fn event() -> impl Strategy<Value = OutputEvent> {
        (text(), text(), text(), instant(), payload()).prop_map(|(id, tenant, ticket_id, ts, payload)| OutputEvent {
            id,
            tenant,
            ticket_id,
            ts,
            payload,
        })
    }

    /// The members of each type's object, from EVENTS.md section 3 (besides `emitted_at`).
    fn members(payload: &Payload) -> Vec<&'static str> {
        let common = ["type", "id", "tenant", "ticket_id", "ts"];
        let own: &[&str] = match payload {
            Payload::SlaWarning { .. } => &["metric", "cycle", "threshold_pct", "target_ms", "due_at"],
            Payload::SlaBreached { .. } => &["metric", "cycle", "target_ms", "due_at"],
            Payload::SlaFulfilled { .. } => &["metric", "cycle", "target_ms", "elapsed_ms", "breached"],
            Payload::EscalationRaised(e) => {
                let base: &[&str] =
                    &["kind", "level", "reason", "recipients", "channel", "priority", "assignee", "journey", "context"];
                let mut all = base.to_vec();
                if e.metric_cycle.is_some() {
                    all.extend(["metric", "cycle"]);
                }
                return common.iter().chain(&all).copied().collect();
            }
            Payload::NotificationRequested { .. } => &["recipient", "channel", "reason", "cause_id", "priority"],
            Payload::RoutingQueued { .. } => &["round", "requirements"],
            Payload::RoutingExpanded { .. } => &["round", "step", "requirements"],
            Payload::RoutingAssigned(_) => &["round", "agent_id", "wait_ms", "journey", "context"],
        };
        common.iter().chain(own).copied().collect()
    }

    proptest! {
        #[test]
        fn write_json_writes_the_contract_members_with_their_values(
            event in event(),
            emitted_at in proptest::option::of(instant()),
        ) {
            let mut buf = b"[".to_vec();
            event.write_json(emitted_at, &mut buf);
            prop_assert_eq!(&buf[..1], b"[", "appends to the buffer");
            let written: Value = serde_json::from_slice(&buf[1..]).unwrap();
            let object = written.as_object().unwrap();
            let mut want = members(&event.payload);
            if emitted_at.is_some() {
                want.push("emitted_at");
            }
            want.sort_unstable();
            let mut got: Vec<&str> = object.keys().map(String::as_str).collect();
            got.sort_unstable();
            prop_assert_eq!(got, want);
            prop_assert_eq!(object["type"].as_str(), Some(event.payload.type_name()));
            prop_assert_eq!(object["id"].as_str(), Some(event.id.as_str()));
            prop_assert_eq!(object["tenant"].as_str(), Some(event.tenant.as_str()));
            prop_assert_eq!(object["ticket_id"].as_str(), Some(event.ticket_id.as_str()));
            let ts = format_rfc3339(event.ts);
            prop_assert_eq!(object["ts"].as_str(), Some(ts.as_str()));
            if let Payload::EscalationRaised(e) = &event.payload {
                prop_assert_eq!(&object["context"], &e.context.to_value());
                prop_assert_eq!(&object["journey"], &e.journey.to_value());
                prop_assert_eq!(object["recipients"].as_array().map(Vec::len), Some(e.recipients.len()));
            }
            if let Payload::RoutingExpanded { requirements, .. } = &event.payload {
                let names: Vec<&str> = object["requirements"].as_array().unwrap().iter()
                    .map(|r| r["name"].as_str().unwrap()).collect();
                let want: Vec<&str> = requirements.iter().map(|r| r.name.as_ref()).collect();
                prop_assert_eq!(names, want);
            }
        }
    }
}
