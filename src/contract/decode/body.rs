//! Phase two: the type's own fields (EVENTS.md section 2), with defaults applied.
//!
//! Fields are checked in the order of the contract's table: the required fields, then the
//! optional ones, each left to right; the first problem found is the one reported, whether it
//! is a missing field or an invalid one.

use super::fields::{
    boolean, integer, list, name, object, one_of, optional, required, slashless_name, text, Bad, Field,
};
use super::object::Object;
use crate::contract::input::{
    AgentProfile, AgentSkill, AgentStatus, Body, ContactStep, EscalationKind, EscalationRequested, EventType, Priority,
    SkillRequirement, Status, StepOutcome, TicketCreated, TicketUpdated,
};
use crate::contract::reason::Rejection;
use serde_json::{Map, Value};

const PRIORITIES: &str = "urgent, high, normal, low";
const STATUSES: &str = "new, open, pending, on_hold, solved, closed";
const AGENT_STATUSES: &str = "available, busy, away, offline";
const KINDS: &str = "functional, hierarchical";
const OUTCOMES: &str = "resolved, unresolved, abandoned";

/// The highest `min_level` of a ticket's skill.
pub(super) const MAX_MIN_LEVEL: u32 = 10;

pub(super) fn body(event_type: EventType, o: &Object) -> Result<Body, Rejection> {
    Ok(match event_type {
        EventType::TicketCreated => Body::TicketCreated(ticket_created(o)?),
        EventType::TicketUpdated => Body::TicketUpdated(ticket_updated(o)?),
        EventType::TicketStatusChanged => {
            let ticket_id = ticket_id(o)?;
            Body::TicketStatusChanged { ticket_id, status: required(o, "status", status)? }
        }
        EventType::TicketAgentReplied => {
            let ticket_id = ticket_id(o)?;
            let agent_id = optional(o, "agent_id", owned_name)?;
            Body::TicketAgentReplied { ticket_id, agent_id, public: optional(o, "public", boolean)?.unwrap_or(true) }
        }
        EventType::TicketCustomerReplied => Body::TicketCustomerReplied { ticket_id: ticket_id(o)? },
        EventType::TicketAssigned => {
            let ticket_id = ticket_id(o)?;
            Body::TicketAssigned { ticket_id, agent_id: required(o, "agent_id", owned_name)? }
        }
        EventType::TicketUnassigned => Body::TicketUnassigned { ticket_id: ticket_id(o)? },
        EventType::TicketEscalationRequested => Body::TicketEscalationRequested(escalation_requested(o)?),
        EventType::AgentUpserted => Body::AgentUpserted(agent_upserted(o)?),
        EventType::AgentStatusChanged => {
            let agent_id = required(o, "agent_id", owned_name)?;
            let status = required(o, "status", |v| one_of(v, AGENT_STATUSES, AgentStatus::parse))?;
            Body::AgentStatusChanged { agent_id, status }
        }
        EventType::AgentRemoved => Body::AgentRemoved { agent_id: required(o, "agent_id", owned_name)? },
        EventType::ContactStep => Body::ContactStep(contact_step(o)?),
    })
}

fn ticket_created(o: &Object) -> Result<TicketCreated, Rejection> {
    Ok(TicketCreated {
        ticket_id: ticket_id(o)?,
        priority: required(o, "priority", priority)?,
        channel: optional(o, "channel", owned_name)?.unwrap_or_else(|| "email".to_owned()),
        customer_id: optional(o, "customer_id", owned_name)?,
        customer_tier: optional(o, "customer_tier", owned_name)?.unwrap_or_else(|| "standard".to_owned()),
        group: optional(o, "group", owned_name)?,
        skills: optional(o, "skills", skill_requirements)?.unwrap_or_default(),
        status: optional(o, "status", status)?.unwrap_or(Status::New),
        context: optional(o, "context", owned_object)?.unwrap_or_default(),
        assignee: optional(o, "assignee", owned_name)?,
    })
}

fn ticket_updated(o: &Object) -> Result<TicketUpdated, Rejection> {
    Ok(TicketUpdated {
        ticket_id: ticket_id(o)?,
        priority: optional(o, "priority", priority)?,
        customer_tier: optional(o, "customer_tier", owned_name)?,
        group: optional(o, "group", owned_name)?,
        channel: optional(o, "channel", owned_name)?,
        skills: optional(o, "skills", skill_requirements)?,
        context: optional(o, "context", owned_object)?,
    })
}

fn escalation_requested(o: &Object) -> Result<EscalationRequested, Rejection> {
    let ticket_id = ticket_id(o)?;
    let kind = required(o, "kind", |v| {
        one_of(v, KINDS, |s| match s {
            "functional" => Some(EscalationKind::Functional),
            "hierarchical" => Some(EscalationKind::Hierarchical),
            _ => None,
        })
    })?;
    let reason = optional(o, "reason", |v| text(v).map(str::to_owned))?;
    // `skills` and `group` are for functional escalations only: a hierarchical one ignores them,
    // whatever they hold.
    let (skills, group) = match kind {
        EscalationKind::Functional => (optional(o, "skills", skill_requirements)?, optional(o, "group", owned_name)?),
        EscalationKind::Hierarchical => (None, None),
    };
    Ok(EscalationRequested { ticket_id, kind, reason, skills, group })
}

fn agent_upserted(o: &Object) -> Result<AgentProfile, Rejection> {
    Ok(AgentProfile {
        agent_id: required(o, "agent_id", owned_name)?,
        skills: optional(o, "skills", agent_skills)?.unwrap_or_default(),
        capacity: optional(o, "capacity", capacity)?.unwrap_or_else(|| vec![("*".to_owned(), 1)]),
        supervisor_id: optional(o, "supervisor_id", owned_name)?,
        groups: optional(o, "groups", groups)?.unwrap_or_default(),
    })
}

fn contact_step(o: &Object) -> Result<ContactStep, Rejection> {
    Ok(ContactStep {
        customer_id: required(o, "customer_id", owned_name)?,
        step: required(o, "step", owned_name)?,
        outcome: optional(o, "outcome", |v| {
            one_of(v, OUTCOMES, |s| match s {
                "resolved" => Some(StepOutcome::Resolved),
                "unresolved" => Some(StepOutcome::Unresolved),
                "abandoned" => Some(StepOutcome::Abandoned),
                _ => None,
            })
        })?,
        data: optional(o, "data", owned_object)?,
    })
}

fn ticket_id(o: &Object) -> Result<String, Rejection> {
    required(o, "ticket_id", |v| slashless_name(v).map(str::to_owned))
}

fn owned_name(value: Field<'_>) -> Result<String, Bad> {
    name(value).map(str::to_owned)
}

fn owned_object(value: Field<'_>) -> Result<Map<String, Value>, Bad> {
    object(value).cloned()
}

fn priority(value: Field<'_>) -> Result<Priority, Bad> {
    one_of(value, PRIORITIES, Priority::parse)
}

fn status(value: Field<'_>) -> Result<Status, Bad> {
    one_of(value, STATUSES, Status::parse)
}

/// `[{"name": string, "min_level": 0..=10 (default 1), "optional": bool (default false)}]`.
fn skill_requirements(value: Field<'_>) -> Result<Vec<SkillRequirement>, Bad> {
    elements(value, |element| {
        let o = object(element)?;
        let name = member(o, "name", owned_name)?.ok_or_else(|| Bad::new("missing".into()).in_member("name"))?;
        let min_level = member(o, "min_level", |v| integer(v, MAX_MIN_LEVEL, "an integer from 0 to 10"))?.unwrap_or(1);
        let optional = member(o, "optional", boolean)?.unwrap_or(false);
        Ok(SkillRequirement { name: name.into(), min_level, optional })
    })
}

/// `[{"name": string, "level": non-negative integer}]`; `level` is required.
fn agent_skills(value: Field<'_>) -> Result<Vec<AgentSkill>, Bad> {
    elements(value, |element| {
        let o = object(element)?;
        let name = member(o, "name", owned_name)?.ok_or_else(|| Bad::new("missing".into()).in_member("name"))?;
        let level = member(o, "level", |v| integer(v, u32::MAX, "a non-negative integer"))?
            .ok_or_else(|| Bad::new("missing".into()).in_member("level"))?;
        Ok(AgentSkill { name, level })
    })
}

/// `{channel: non-negative integer}`, in the record's order; a `null` entry is absent.
fn capacity(value: Field<'_>) -> Result<Vec<(String, u32)>, Bad> {
    let o = object(value)?;
    let mut out = Vec::with_capacity(o.len());
    for (channel, n) in o {
        if n.is_null() {
            continue;
        }
        if channel.is_empty() {
            return Err(Bad::new("expected non-empty channel names, got \"\"".into()));
        }
        let n = integer(Field::from(n), u32::MAX, "a non-negative integer").map_err(|bad| bad.in_member(channel))?;
        out.push((channel.clone(), n));
    }
    Ok(out)
}

/// `[string]`.
fn groups(value: Field<'_>) -> Result<Vec<String>, Bad> {
    elements(value, owned_name)
}

/// Each element of a list read by `read`; a problem names the element's index.
fn elements<'a, T>(value: Field<'a>, mut read: impl FnMut(Field<'a>) -> Result<T, Bad>) -> Result<Vec<T>, Bad> {
    let items = list(value)?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        out.push(read(Field::from(item)).map_err(|bad| bad.in_element(index))?);
    }
    Ok(out)
}

/// A member of a nested object (`null` is absent); a problem names the member.
fn member<'a, T>(
    o: &'a Map<String, Value>,
    key: &str,
    read: impl FnOnce(Field<'a>) -> Result<T, Bad>,
) -> Result<Option<T>, Bad> {
    match o.get(key).filter(|v| !v.is_null()) {
        Some(value) => read(Field::from(value)).map(Some).map_err(|bad| bad.in_member(key)),
        None => Ok(None),
    }
}
