//! Per-tenant routing tables (placeholder API until the implementation lands).
#![allow(unused_variables, dead_code)]
use crate::contract::{AgentProfile, AgentStatus, Priority, SkillRequirement};
use crate::engine::rules::Strategy;

pub type TicketRef = u32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    pub skills: Vec<SkillRequirement>,
    pub score_skills: Vec<SkillRequirement>,
    pub group: Option<String>,
    pub excluded: Vec<String>,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub priority: Priority,
    pub breach_at: Option<i64>,
    pub round_start: i64,
    pub ticket_id: String,
}

#[derive(Debug, Default)]
pub struct RoutingTable {}

impl RoutingTable {
    pub fn new() -> Self {
        RoutingTable {}
    }
    pub fn has_agent(&self, agent_id: &str) -> bool {
        todo!()
    }
    pub fn agent_supervisor(&self, agent_id: &str) -> Option<&str> {
        todo!()
    }
    pub fn agent_status(&self, agent_id: &str) -> Option<AgentStatus> {
        todo!()
    }
    pub fn upsert_agent(&mut self, profile: &AgentProfile) -> bool {
        todo!()
    }
    pub fn set_status(&mut self, agent_id: &str, status: AgentStatus, now: i64) -> Option<bool> {
        todo!()
    }
    pub fn remove_agent(&mut self, agent_id: &str) -> Option<Vec<TicketRef>> {
        todo!()
    }
    pub fn assign(&mut self, agent_id: &str, ticket: TicketRef, channel: &str, counts: bool, now: i64) {
        todo!()
    }
    pub fn set_counting(&mut self, agent_id: &str, ticket: TicketRef, counts: bool) {
        todo!()
    }
    pub fn unassign(&mut self, agent_id: &str, ticket: TicketRef) -> bool {
        todo!()
    }
    pub fn enqueue(&mut self, ticket: TicketRef, key: QueueKey, req: Requirements) {
        todo!()
    }
    pub fn dequeue(&mut self, ticket: TicketRef) -> bool {
        todo!()
    }
    pub fn is_queued(&self, ticket: TicketRef) -> bool {
        todo!()
    }
    pub fn set_queue_key(&mut self, ticket: TicketRef, key: QueueKey) {
        todo!()
    }
    pub fn set_requirements(&mut self, ticket: TicketRef, req: Requirements) {
        todo!()
    }
    pub fn queue_len(&self) -> usize {
        todo!()
    }
    pub fn choose_agent(&self, req: &Requirements, strategy: Strategy) -> Option<&str> {
        todo!()
    }
    pub fn next_ticket_for(&self, agent_id: &str) -> Option<TicketRef> {
        todo!()
    }
}
