//! Recipient specs resolved against a ticket and the tenant's agent directory (SLA.md,
//! Recipients): duplicates dropped, first kept.

use super::routing::RoutingTable;
use super::rules::RecipientSpec;
use super::ticket::Ticket;
use crate::contract::{Recipient, RecipientKind};

fn agent(id: &str) -> Recipient {
    Recipient { kind: RecipientKind::Agent, id: id.to_owned() }
}

fn group(id: &str) -> Recipient {
    Recipient { kind: RecipientKind::Group, id: id.to_owned() }
}

/// `supervisor^n` of `agent_id`: n steps up the chain; `None` if the chain is shorter.
pub fn supervisor_chain(directory: &RoutingTable, agent_id: &str, n: u32) -> Option<String> {
    let mut current = agent_id.to_owned();
    for _ in 0..n {
        current = directory.agent_supervisor(&current)?.to_owned();
    }
    Some(current)
}

fn resolve_one(spec: &RecipientSpec, ticket: &Ticket, directory: &RoutingTable) -> Option<Recipient> {
    match spec {
        RecipientSpec::Assignee => match (&ticket.assignee, &ticket.group) {
            (Some(a), _) => Some(agent(a)),
            (None, Some(g)) => Some(group(g)),
            (None, None) => None,
        },
        RecipientSpec::Supervisor(n) => {
            let assignee = ticket.assignee.as_deref()?;
            supervisor_chain(directory, assignee, *n).map(|s| agent(&s))
        }
        RecipientSpec::TicketGroup => ticket.group.as_deref().map(group),
        RecipientSpec::Group(name) => Some(group(name)),
        RecipientSpec::Agent(id) => Some(agent(id)),
        RecipientSpec::Role(name) => Some(Recipient { kind: RecipientKind::Role, id: name.clone() }),
    }
}

/// Resolves `specs` in order, dropping duplicates.
pub fn resolve(specs: &[RecipientSpec], ticket: &Ticket, directory: &RoutingTable) -> Vec<Recipient> {
    let mut resolved: Vec<Recipient> = Vec::with_capacity(specs.len());
    for spec in specs {
        if let Some(r) = resolve_one(spec, ticket, directory) {
            if !resolved.contains(&r) {
                resolved.push(r);
            }
        }
    }
    resolved
}

/// Hierarchical escalation recipients: `supervisor^level` of the assignee, else the ticket's group.
pub fn hierarchical(ticket: &Ticket, directory: &RoutingTable, level: u32) -> Vec<Recipient> {
    let chain = resolve(&[RecipientSpec::Supervisor(level.max(1))], ticket, directory);
    if !chain.is_empty() {
        return chain;
    }
    ticket.group.as_deref().map(group).into_iter().collect()
}
