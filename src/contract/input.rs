//! Typed input events (EVENTS.md section 2), as produced by [`super::decode`].
//! Every value here has passed validation: enums are closed, defaults are applied.

use crate::time::Millis;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Ticket priority; `Ord` puts `Urgent` first (queue order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(text: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Ticket status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Solved, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on_hold",
            Status::Solved => "solved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A bit for [`StatusSet`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of statuses (a metric's `pause_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct StatusSet(pub u8);

impl StatusSet {
    pub fn contains(self, status: Status) -> bool {
        self.0 & status.bit() != 0
    }
    pub fn insert(&mut self, status: Status) {
        self.0 |= status.bit();
    }
}

/// Agent presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentStatus {
    Available,
    Busy,
    Away,
    Offline,
}

impl AgentStatus {
    pub fn parse(text: &str) -> Option<AgentStatus> {
        match text {
            "available" => Some(AgentStatus::Available),
            "busy" => Some(AgentStatus::Busy),
            "away" => Some(AgentStatus::Away),
            "offline" => Some(AgentStatus::Offline),
            _ => None,
        }
    }
}

/// A skill a ticket asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// Shared: a tenant keeps one copy of each skill name.
    pub name: std::sync::Arc<str>,
    /// 0..=10, default 1.
    pub min_level: u32,
    /// Default false. Optional skills count for `most_skilled`, never for eligibility.
    pub optional: bool,
}

/// A skill an agent has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentSkill {
    pub name: String,
    pub level: u32,
}

/// `ticket.escalation_requested` kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationKind {
    Functional,
    Hierarchical,
}

/// `contact.step` outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    Resolved,
    Unresolved,
    Abandoned,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Resolved => "resolved",
            StepOutcome::Unresolved => "unresolved",
            StepOutcome::Abandoned => "abandoned",
        }
    }
}

/// The fields every input has (EVENTS.md section 2), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub event_type: EventType,
    pub event_id: String,
    pub tenant: String,
    /// Event time.
    pub ts: Millis,
    /// Arrival time: the Kafka record timestamp in the daemon, `received_at` (default `ts`)
    /// in `slad simulate`.
    pub arrival: Millis,
}

/// The input event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    TicketCreated,
    TicketUpdated,
    TicketStatusChanged,
    TicketAgentReplied,
    TicketCustomerReplied,
    TicketAssigned,
    TicketUnassigned,
    TicketEscalationRequested,
    AgentUpserted,
    AgentStatusChanged,
    AgentRemoved,
    ContactStep,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        EventType::TicketCreated,
        EventType::TicketUpdated,
        EventType::TicketStatusChanged,
        EventType::TicketAgentReplied,
        EventType::TicketCustomerReplied,
        EventType::TicketAssigned,
        EventType::TicketUnassigned,
        EventType::TicketEscalationRequested,
        EventType::AgentUpserted,
        EventType::AgentStatusChanged,
        EventType::AgentRemoved,
        EventType::ContactStep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TicketCreated => "ticket.created",
            EventType::TicketUpdated => "ticket.updated",
            EventType::TicketStatusChanged => "ticket.status_changed",
            EventType::TicketAgentReplied => "ticket.agent_replied",
            EventType::TicketCustomerReplied => "ticket.customer_replied",
            EventType::TicketAssigned => "ticket.assigned",
            EventType::TicketUnassigned => "ticket.unassigned",
            EventType::TicketEscalationRequested => "ticket.escalation_requested",
            EventType::AgentUpserted => "agent.upserted",
            EventType::AgentStatusChanged => "agent.status_changed",
            EventType::AgentRemoved => "agent.removed",
            EventType::ContactStep => "contact.step",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The type-specific part of an input event, validated and with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    TicketCreated(TicketCreated),
    TicketUpdated(TicketUpdated),
    TicketStatusChanged { ticket_id: String, status: Status },
    TicketAgentReplied { ticket_id: String, agent_id: Option<String>, public: bool },
    TicketCustomerReplied { ticket_id: String },
    TicketAssigned { ticket_id: String, agent_id: String },
    TicketUnassigned { ticket_id: String },
    TicketEscalationRequested(EscalationRequested),
    AgentUpserted(AgentProfile),
    AgentStatusChanged { agent_id: String, status: AgentStatus },
    AgentRemoved { agent_id: String },
    ContactStep(ContactStep),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketCreated {
    pub ticket_id: String,
    pub priority: Priority,
    /// Default `"email"`.
    pub channel: String,
    pub customer_id: Option<String>,
    /// Default `"standard"`.
    pub customer_tier: String,
    pub group: Option<String>,
    pub skills: Vec<SkillRequirement>,
    /// Default `New`.
    pub status: Status,
    /// Default `{}`.
    pub context: Map<String, Value>,
    pub assignee: Option<String>,
}

/// `ticket.updated`: every field but the id is optional; `None` leaves it as it was.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketUpdated {
    pub ticket_id: String,
    pub priority: Option<Priority>,
    pub customer_tier: Option<String>,
    pub group: Option<String>,
    pub channel: Option<String>,
    pub skills: Option<Vec<SkillRequirement>>,
    /// Merged into the ticket's context, shallow.
    pub context: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRequested {
    pub ticket_id: String,
    pub kind: EscalationKind,
    pub reason: Option<String>,
    /// Functional only.
    pub skills: Option<Vec<SkillRequirement>>,
    /// Functional only.
    pub group: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentProfile {
    pub agent_id: String,
    pub skills: Vec<AgentSkill>,
    /// Channel -> capacity; `"*"` is every other channel. Default `{"*": 1}`.
    pub capacity: Vec<(String, u32)>,
    pub supervisor_id: Option<String>,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactStep {
    pub customer_id: String,
    pub step: String,
    pub outcome: Option<StepOutcome>,
    pub data: Option<Map<String, Value>>,
}

/// A decoded, validated input event.
#[derive(Debug, Clone, PartialEq)]
pub struct InputEvent {
    pub envelope: Envelope,
    pub body: Body,
}
