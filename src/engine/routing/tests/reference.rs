//! An obviously correct routing table: plain maps and naive scans, straight from ROUTING.md.

use super::super::{QueueKey, Requirements, TicketRef};
use crate::contract::{AgentProfile, AgentStatus};
use crate::engine::rules::Strategy;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct RefAgent {
    pub id: String,
    pub skills: BTreeMap<String, u32>,
    /// Channel -> capacity, `"*"` included.
    pub capacity: BTreeMap<String, u32>,
    pub supervisor: Option<String>,
    pub groups: BTreeSet<String>,
    pub status: AgentStatus,
    pub idle: Option<i64>,
    pub tickets: Holding,
}

impl RefAgent {
    pub fn level(&self, skill: &str) -> u32 {
        self.skills.get(skill).copied().unwrap_or(0)
    }

    pub fn capacity(&self, channel: &str) -> u32 {
        self.capacity.get(channel).or_else(|| self.capacity.get("*")).copied().unwrap_or(0)
    }

    pub fn open(&self, channel: &str) -> u32 {
        self.tickets.values().filter(|(c, counts)| c == channel && *counts).count() as u32
    }

    /// ROUTING.md, Eligibility.
    pub fn eligible(&self, req: &Requirements) -> bool {
        self.status == AgentStatus::Available
            && req.skills.iter().filter(|s| !s.optional).all(|s| self.level(&s.name) >= s.min_level)
            && req.group.as_ref().is_none_or(|g| self.groups.contains(g))
            && self.open(&req.channel) < self.capacity(&req.channel)
            && !req.excluded.contains(&self.id)
    }

    fn idle_key(&self) -> i64 {
        self.idle.unwrap_or(i64::MIN)
    }
}

/// Tickets held: ticket -> (channel, counts).
pub type Holding = BTreeMap<TicketRef, (String, bool)>;

#[derive(Debug, Default, Clone)]
pub struct RefTable {
    pub agents: BTreeMap<String, RefAgent>,
    /// Assignments to unknown agents, and the latest of them.
    pub early: BTreeMap<String, (Holding, Option<i64>)>,
    pub queue: BTreeMap<TicketRef, (QueueKey, Requirements)>,
}

fn later(idle: Option<i64>, now: i64) -> i64 {
    idle.map_or(now, |i| i.max(now))
}

impl RefTable {
    pub fn upsert_agent(&mut self, p: &AgentProfile) -> bool {
        let skills = p.skills.iter().map(|s| (s.name.clone(), s.level)).collect();
        let capacity = p.capacity.iter().cloned().collect();
        let groups = p.groups.iter().cloned().collect();
        match self.agents.get_mut(&p.agent_id) {
            Some(a) => {
                a.skills = skills;
                a.capacity = capacity;
                a.groups = groups;
                a.supervisor = p.supervisor_id.clone();
                a.status == AgentStatus::Available
            }
            None => {
                let (tickets, idle) = self.early.remove(&p.agent_id).unwrap_or_default();
                let agent = RefAgent {
                    id: p.agent_id.clone(),
                    skills,
                    capacity,
                    supervisor: p.supervisor_id.clone(),
                    groups,
                    status: AgentStatus::Offline,
                    idle,
                    tickets,
                };
                self.agents.insert(p.agent_id.clone(), agent);
                false
            }
        }
    }

    pub fn set_status(&mut self, id: &str, status: AgentStatus, now: i64) -> Option<bool> {
        let a = self.agents.get_mut(id)?;
        if a.status == status {
            return Some(false);
        }
        a.status = status;
        if status == AgentStatus::Available {
            a.idle = Some(later(a.idle, now));
        }
        Some(true)
    }

    pub fn remove_agent(&mut self, id: &str) -> Option<Vec<TicketRef>> {
        self.agents.remove(id).map(|a| a.tickets.keys().copied().collect())
    }

    pub fn assign(&mut self, id: &str, ticket: TicketRef, channel: &str, counts: bool, now: i64) {
        match self.agents.get_mut(id) {
            Some(a) => {
                a.tickets.insert(ticket, (channel.to_owned(), counts));
                a.idle = Some(later(a.idle, now));
            }
            None => {
                let early = self.early.entry(id.to_owned()).or_default();
                early.0.insert(ticket, (channel.to_owned(), counts));
                early.1 = Some(later(early.1, now));
            }
        }
    }

    fn held_mut(&mut self, id: &str, ticket: TicketRef) -> Option<&mut (String, bool)> {
        match self.agents.get_mut(id) {
            Some(a) => a.tickets.get_mut(&ticket),
            None => self.early.get_mut(id).and_then(|e| e.0.get_mut(&ticket)),
        }
    }

    pub fn set_counting(&mut self, id: &str, ticket: TicketRef, counts: bool) {
        if let Some(held) = self.held_mut(id, ticket) {
            held.1 = counts;
        }
    }

    pub fn set_channel(&mut self, id: &str, ticket: TicketRef, channel: &str) {
        if let Some(held) = self.held_mut(id, ticket) {
            held.0 = channel.to_owned();
        }
    }

    pub fn unassign(&mut self, id: &str, ticket: TicketRef) -> bool {
        match self.agents.get_mut(id) {
            Some(a) => {
                a.tickets.remove(&ticket);
                a.status == AgentStatus::Available
            }
            None => {
                if let Some(e) = self.early.get_mut(id) {
                    e.0.remove(&ticket);
                }
                false
            }
        }
    }

    pub fn enqueue(&mut self, ticket: TicketRef, key: QueueKey, req: Requirements) {
        self.queue.insert(ticket, (key, req));
    }

    pub fn set_queue_key(&mut self, ticket: TicketRef, key: QueueKey) {
        if let Some(q) = self.queue.get_mut(&ticket) {
            q.0 = key;
        }
    }

    pub fn set_requirements(&mut self, ticket: TicketRef, req: Requirements) {
        if let Some(q) = self.queue.get_mut(&ticket) {
            q.1 = req;
        }
    }

    pub fn queued_in_order(&self) -> Vec<TicketRef> {
        let mut all: Vec<(&QueueKey, TicketRef)> = self.queue.iter().map(|(&t, (k, _))| (k, t)).collect();
        all.sort();
        all.into_iter().map(|(_, t)| t).collect()
    }

    /// ROUTING.md, Choice of agent: every eligible agent, sorted by the strategy's full order.
    pub fn choose_agent(&self, req: &Requirements, strategy: Strategy) -> Option<&str> {
        let score = |a: &RefAgent| -> u64 { req.score_skills.iter().map(|s| a.level(&s.name) as u64).sum() };
        let load = |a: &RefAgent| (a.open(&req.channel) as u64, a.capacity(&req.channel) as u64);
        let measure = |x: &RefAgent, y: &RefAgent| match strategy {
            Strategy::LongestIdle => Ordering::Equal,
            Strategy::MostSkilled => score(y).cmp(&score(x)),
            Strategy::LeastLoaded => {
                let ((ox, cx), (oy, cy)) = (load(x), load(y));
                (ox * cy).cmp(&(oy * cx))
            }
        };
        let mut eligible: Vec<&RefAgent> = self.agents.values().filter(|a| a.eligible(req)).collect();
        eligible.sort_by(|x, y| {
            measure(x, y).then(x.idle_key().cmp(&y.idle_key())).then(x.id.as_bytes().cmp(y.id.as_bytes()))
        });
        eligible.first().map(|a| a.id.as_str())
    }

    /// ROUTING.md, Queue order: the first queued ticket the agent is eligible for.
    pub fn next_ticket_for(&self, id: &str) -> Option<TicketRef> {
        let agent = self.agents.get(id)?;
        self.queued_in_order().into_iter().find(|t| agent.eligible(&self.queue[t].1))
    }
}
