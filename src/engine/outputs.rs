//! Builders for output events with the contract's deterministic ids (EVENTS.md section 3).

use super::ticket::Ticket;
use crate::contract::{
    EscalationOrigin, EscalationRaised, Metric, NotificationCause, OutputEvent, Payload, Recipient, RoutingAssigned,
    SkillRequirement,
};
use crate::time::Millis;

/// Collects the outputs of one tenant while an input or a timer is processed.
pub struct Emitter<'a> {
    pub tenant: &'a str,
    pub events: &'a mut Vec<OutputEvent>,
}

impl Emitter<'_> {
    fn push(&mut self, ticket: &Ticket, id: String, ts: Millis, payload: Payload) {
        self.events.push(OutputEvent {
            id,
            tenant: self.tenant.to_owned(),
            ticket_id: ticket.id.to_string(),
            ts,
            payload,
        });
    }

    fn cycle_id(&self, ticket: &Ticket, metric: Metric, cycle: u32) -> String {
        format!("{}/{}/{}/{}", self.tenant, ticket.id, metric.as_str(), cycle)
    }

    /// `sla.warning` and its notifications.
    #[allow(clippy::too_many_arguments)]
    pub fn warning(
        &mut self,
        ticket: &Ticket,
        metric: Metric,
        cycle: u32,
        pct: u8,
        target_ms: i64,
        due_at: Millis,
        ts: Millis,
        recipients: &[Recipient],
        channel: &str,
    ) {
        let id = format!("{}/warn-{pct}", self.cycle_id(ticket, metric, cycle));
        self.push(ticket, id.clone(), ts, Payload::SlaWarning { metric, cycle, threshold_pct: pct, target_ms, due_at });
        self.notifications(ticket, &id, ts, recipients, channel, NotificationCause::SlaWarning);
    }

    pub fn breached(&mut self, ticket: &Ticket, metric: Metric, cycle: u32, target_ms: i64, ts: Millis) {
        let id = format!("{}/breach", self.cycle_id(ticket, metric, cycle));
        self.push(ticket, id, ts, Payload::SlaBreached { metric, cycle, target_ms, due_at: ts });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn fulfilled(
        &mut self,
        ticket: &Ticket,
        metric: Metric,
        cycle: u32,
        nth: u32,
        target_ms: i64,
        elapsed_ms: i64,
        breached: bool,
        ts: Millis,
    ) {
        let base = format!("{}/fulfilled", self.cycle_id(ticket, metric, cycle));
        let id = if nth <= 1 { base } else { format!("{base}-{nth}") };
        self.push(ticket, id, ts, Payload::SlaFulfilled { metric, cycle, target_ms, elapsed_ms, breached });
    }

    /// An automatic escalation (ladder level `level` from 1, repeat `repeat` from 1 or 0) and its
    /// notifications.
    #[allow(clippy::too_many_arguments)]
    pub fn ladder_level(
        &mut self,
        ticket: &Ticket,
        metric: Metric,
        cycle: u32,
        level: u32,
        repeat: u32,
        recipients: Vec<Recipient>,
        channel: &str,
        ts: Millis,
    ) {
        let mut id = format!("{}/level-{level}", self.cycle_id(ticket, metric, cycle));
        if repeat > 0 {
            id.push_str(&format!("-r{repeat}"));
        }
        self.escalation(
            ticket,
            id,
            ts,
            EscalationOrigin::Automatic,
            level,
            Some((metric, cycle)),
            Some("sla.breached".to_owned()),
            recipients,
            channel,
        );
    }

    /// A manual escalation: id `manual/{seq}`, channel `email`.
    #[allow(clippy::too_many_arguments)]
    pub fn manual_escalation(
        &mut self,
        ticket: &Ticket,
        seq: u32,
        kind: EscalationOrigin,
        level: u32,
        reason: Option<String>,
        recipients: Vec<Recipient>,
        ts: Millis,
    ) {
        let id = format!("{}/{}/manual/{seq}", self.tenant, ticket.id);
        self.escalation(ticket, id, ts, kind, level, None, reason, recipients, "email");
    }

    #[allow(clippy::too_many_arguments)]
    fn escalation(
        &mut self,
        ticket: &Ticket,
        id: String,
        ts: Millis,
        kind: EscalationOrigin,
        level: u32,
        metric_cycle: Option<(Metric, u32)>,
        reason: Option<String>,
        recipients: Vec<Recipient>,
        channel: &str,
    ) {
        let notify = recipients.clone();
        let raised = EscalationRaised {
            kind,
            level,
            metric_cycle,
            reason,
            recipients,
            channel: channel.to_owned(),
            priority: ticket.priority,
            assignee: ticket.assignee.as_deref().map(str::to_owned),
            journey: ticket.journey.clone(),
            context: ticket.context.clone(),
        };
        self.push(ticket, id.clone(), ts, Payload::EscalationRaised(Box::new(raised)));
        self.notifications(ticket, &id, ts, &notify, channel, NotificationCause::EscalationRaised);
    }

    fn notifications(
        &mut self,
        ticket: &Ticket,
        cause_id: &str,
        ts: Millis,
        recipients: &[Recipient],
        channel: &str,
        reason: NotificationCause,
    ) {
        for recipient in recipients {
            let id = format!("{cause_id}/{}:{}", recipient.kind.as_str(), recipient.id);
            self.push(
                ticket,
                id,
                ts,
                Payload::NotificationRequested {
                    recipient: recipient.clone(),
                    channel: channel.to_owned(),
                    reason,
                    cause_id: cause_id.to_owned(),
                    priority: ticket.priority,
                },
            );
        }
    }

    pub fn queued(&mut self, ticket: &Ticket, requirements: Vec<SkillRequirement>, ts: Millis) {
        let round = ticket.route.round;
        let id = format!("{}/{}/route/{round}/queued", self.tenant, ticket.id);
        self.push(ticket, id, ts, Payload::RoutingQueued { round, requirements });
    }

    pub fn expanded(&mut self, ticket: &Ticket, step: u32, requirements: Vec<SkillRequirement>, ts: Millis) {
        let round = ticket.route.round;
        let id = format!("{}/{}/route/{round}/expand-{step}", self.tenant, ticket.id);
        self.push(ticket, id, ts, Payload::RoutingExpanded { round, step, requirements });
    }

    pub fn assigned(&mut self, ticket: &Ticket, agent_id: &str, ts: Millis) {
        let round = ticket.route.round;
        let id = format!("{}/{}/route/{round}/assigned", self.tenant, ticket.id);
        let assigned = RoutingAssigned {
            round,
            agent_id: agent_id.to_owned(),
            wait_ms: ts.saturating_sub(ticket.route.round_start).max(0),
            journey: ticket.journey.clone(),
            context: ticket.context.clone(),
        };
        self.push(ticket, id, ts, Payload::RoutingAssigned(Box::new(assigned)));
    }
}
