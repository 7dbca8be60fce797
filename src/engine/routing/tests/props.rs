//! Random operations on the table and on the reference (naive) model.

use super::reference::RefTable;
use crate::contract::{AgentProfile, AgentSkill, AgentStatus, Priority, SkillRequirement};
use crate::engine::routing::{QueueKey, Requirements, RoutingTable, TicketRef};
use crate::engine::rules::Strategy as Routing;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Ids chosen so that byte order differs from case-insensitive and length order.
const AGENTS: [&str; 6] = ["a", "ab", "B", "b", "zoe", "Amy"];
const SKILLS: [&str; 5] = ["s0", "s1", "s2", "s3", "rare"];
const GROUPS: [&str; 4] = ["g0", "g1", "g2", "nobody"];
/// `"*"` only appears as a capacity key; "fax" only in tickets.
const CHANNELS: [&str; 5] = ["email", "chat", "phone", "*", "fax"];
const STRATEGIES: [Routing; 3] = [Routing::LongestIdle, Routing::MostSkilled, Routing::LeastLoaded];
const STATUSES: [AgentStatus; 4] = [AgentStatus::Available, AgentStatus::Busy, AgentStatus::Away, AgentStatus::Offline];

fn agent_id() -> impl proptest::strategy::Strategy<Value = usize> {
    0..AGENTS.len()
}

fn profile() -> impl proptest::strategy::Strategy<Value = AgentProfile> {
    (
        agent_id(),
        prop::collection::vec((prop_oneof![5 => 0..3usize, 1 => Just(3)], level()), 0..4),
        prop::collection::vec((0..4usize, 0..4u32), 0..3),
        prop::collection::vec(0..3usize, 0..3),
        prop::option::of(agent_id()),
    )
        .prop_map(|(id, skills, caps, groups, sup)| AgentProfile {
            agent_id: AGENTS[id].to_owned(),
            skills: skills.into_iter().map(|(s, level)| AgentSkill { name: SKILLS[s].to_owned(), level }).collect(),
            capacity: caps.into_iter().map(|(c, n)| (CHANNELS[c].to_owned(), n)).collect(),
            supervisor_id: sup.map(|s| AGENTS[s].to_owned()),
            groups: groups.into_iter().map(|g| GROUPS[g].to_owned()).collect(),
        })
}

/// Available half of the time.
fn status() -> impl proptest::strategy::Strategy<Value = AgentStatus> {
    prop_oneof![3 => Just(AgentStatus::Available), 1 => (1..4usize).prop_map(|s| STATUSES[s])]
}

/// Mostly low (many ties), sometimes in the top bucket (10 and above).
fn level() -> impl proptest::strategy::Strategy<Value = u32> {
    prop_oneof![6 => 0..4u32, 2 => 10..13u32]
}

fn skill_req() -> impl proptest::strategy::Strategy<Value = SkillRequirement> {
    (
        prop_oneof![6 => 0..3usize, 1 => 3..SKILLS.len()],
        prop_oneof![6 => 0..4u32, 1 => 9..=10u32],
        prop::bool::weighted(0.3),
    )
        .prop_map(|(s, min_level, optional)| SkillRequirement { name: SKILLS[s].into(), min_level, optional })
}

fn channel() -> impl proptest::strategy::Strategy<Value = &'static str> {
    prop_oneof![6 => (0..3usize).prop_map(|c| CHANNELS[c]), 1 => Just("fax")]
}

fn requirements() -> impl proptest::strategy::Strategy<Value = Requirements> {
    (
        prop::collection::vec(skill_req(), 0..3),
        prop::collection::vec(skill_req(), 0..2),
        prop::option::weighted(0.3, 0..GROUPS.len()),
        prop_oneof![4 => Just(Vec::new()), 1 => prop::collection::vec(agent_id(), 1..3)],
        channel(),
    )
        .prop_map(|(skills, extra, group, excluded, channel)| Requirements {
            score_skills: skills.iter().cloned().chain(extra).collect(),
            skills,
            group: group.map(|g| GROUPS[g].to_owned()),
            excluded: excluded.into_iter().map(|a| AGENTS[a].to_owned()).collect(),
            channel: channel.to_owned(),
        })
}

fn key_for(ticket: TicketRef) -> impl proptest::strategy::Strategy<Value = QueueKey> {
    (0..4usize, prop::option::weighted(0.7, 0..4i64), 0..3i64).prop_map(move |(p, breach_at, round_start)| QueueKey {
        priority: Priority::ALL[p],
        breach_at,
        round_start,
        ticket_id: format!("t{ticket}"),
    })
}

const TICKETS: u32 = 12;

fn ticket() -> impl proptest::strategy::Strategy<Value = TicketRef> {
    0..TICKETS
}

#[derive(Debug, Clone)]
enum Op {
    Upsert(AgentProfile),
    Status(usize, AgentStatus, i64),
    Remove(usize),
    Assign(usize, TicketRef, &'static str, bool, i64),
    Counting(usize, TicketRef, bool),
    Channel(usize, TicketRef, &'static str),
    Unassign(usize, TicketRef),
    Enqueue(TicketRef, QueueKey, Requirements),
    Dequeue(TicketRef),
    Key(TicketRef, QueueKey),
    Reqs(TicketRef, Requirements),
    Choose(Requirements),
    Order(Routing),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    prop_oneof![
        3 => profile().prop_map(Op::Upsert),
        4 => (agent_id(), status(), 0..30i64).prop_map(|(a, s, now)| Op::Status(a, s, now)),
        1 => agent_id().prop_map(Op::Remove),
        4 => (agent_id(), ticket(), channel(), prop::bool::weighted(0.8), 0..30i64)
            .prop_map(|(a, t, c, counts, now)| Op::Assign(a, t, c, counts, now)),
        1 => (agent_id(), ticket(), any::<bool>()).prop_map(|(a, t, c)| Op::Counting(a, t, c)),
        1 => (agent_id(), ticket(), channel()).prop_map(|(a, t, c)| Op::Channel(a, t, c)),
        2 => (agent_id(), ticket()).prop_map(|(a, t)| Op::Unassign(a, t)),
        4 => ticket().prop_flat_map(|t| (Just(t), key_for(t), requirements()))
            .prop_map(|(t, k, r)| Op::Enqueue(t, k, r)),
        1 => ticket().prop_map(Op::Dequeue),
        2 => ticket().prop_flat_map(|t| (Just(t), key_for(t))).prop_map(|(t, k)| Op::Key(t, k)),
        2 => (ticket(), requirements()).prop_map(|(t, r)| Op::Reqs(t, r)),
        2 => requirements().prop_map(Op::Choose),
        1 => (0..3usize).prop_map(|s| Op::Order(STRATEGIES[s])),
    ]
}

/// Applies one operation to both, asserting equal answers.
fn apply_both(t: &mut RoutingTable, r: &mut RefTable, op: &Op) -> Option<Requirements> {
    match op {
        Op::Upsert(p) => assert_eq!(t.upsert_agent(p), r.upsert_agent(p), "upsert {p:?}"),
        Op::Status(a, s, now) => assert_eq!(t.set_status(AGENTS[*a], *s, *now), r.set_status(AGENTS[*a], *s, *now)),
        Op::Remove(a) => assert_eq!(t.remove_agent(AGENTS[*a]), r.remove_agent(AGENTS[*a])),
        Op::Assign(a, tk, c, counts, now) => {
            t.assign(AGENTS[*a], *tk, c, *counts, *now);
            r.assign(AGENTS[*a], *tk, c, *counts, *now);
        }
        Op::Counting(a, tk, counts) => {
            t.set_counting(AGENTS[*a], *tk, *counts);
            r.set_counting(AGENTS[*a], *tk, *counts);
        }
        Op::Channel(a, tk, c) => {
            t.set_channel(AGENTS[*a], *tk, c);
            r.set_channel(AGENTS[*a], *tk, c);
        }
        Op::Unassign(a, tk) => assert_eq!(t.unassign(AGENTS[*a], *tk), r.unassign(AGENTS[*a], *tk)),
        Op::Enqueue(tk, k, q) => {
            t.enqueue(*tk, k.clone(), q.clone());
            r.enqueue(*tk, k.clone(), q.clone());
        }
        Op::Dequeue(tk) => assert_eq!(t.dequeue(*tk), r.queue.remove(tk).is_some()),
        Op::Key(tk, k) => {
            t.set_queue_key(*tk, k.clone());
            r.set_queue_key(*tk, k.clone());
        }
        Op::Reqs(tk, q) => {
            t.set_requirements(*tk, q.clone());
            r.set_requirements(*tk, q.clone());
        }
        Op::Choose(q) => return Some(q.clone()),
        Op::Order(s) => t.set_strategy(*s),
    }
    None
}

/// Every observable answer of the table equals the reference's.
fn assert_same(t: &RoutingTable, r: &RefTable, extra: Option<&Requirements>) {
    t.check_invariants();
    assert_eq!(t.agent_count(), r.agents.len());
    for id in AGENTS {
        let known = r.agents.get(id);
        assert_eq!(t.has_agent(id), known.is_some());
        assert_eq!(t.agent_status(id), known.map(|a| a.status));
        assert_eq!(t.agent_supervisor(id), known.and_then(|a| a.supervisor.as_deref()));
        for c in CHANNELS {
            assert_eq!(t.open_on(id, c), known.map(|a| a.open(c)), "open of {id} on {c}");
        }
        assert_eq!(t.next_ticket_for(id), r.next_ticket_for(id), "next ticket for {id}");
    }
    assert_eq!(t.queue_len(), r.queue.len());
    assert_eq!(t.queued_in_order(), r.queued_in_order());
    for tk in 0..TICKETS {
        assert_eq!(t.is_queued(tk), r.queue.contains_key(&tk));
    }
    let reqs = r.queue.values().map(|(_, q)| q).chain(extra);
    for q in reqs {
        for s in STRATEGIES {
            assert_eq!(t.choose_agent(q, s), r.choose_agent(q, s), "{s:?} for {q:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The most important test: the indexed table answers exactly as the naive one.
    #[test]
    fn matches_the_reference(ops in prop::collection::vec(op(), 1..80)) {
        let mut t = RoutingTable::new();
        let mut r = RefTable::default();
        for op in &ops {
            let extra = apply_both(&mut t, &mut r, op);
            assert_same(&t, &r, extra.as_ref());
        }
    }
}

// ----- an engine-like driver: every decision the table makes must be eligible -----

#[derive(Debug, Clone)]
enum Flow {
    Upsert(AgentProfile),
    Status(usize, AgentStatus),
    Create(TicketRef, QueueKey, Requirements, usize),
    Solve(TicketRef),
    Reopen(TicketRef),
    Release(TicketRef),
    Close(TicketRef),
    Widen(TicketRef),
    Remove(usize),
}

fn flow() -> impl proptest::strategy::Strategy<Value = Flow> {
    prop_oneof![
        2 => profile().prop_map(Flow::Upsert),
        3 => (agent_id(), status()).prop_map(|(a, s)| Flow::Status(a, s)),
        6 => ticket().prop_flat_map(|t| (Just(t), key_for(t), requirements(), 0..3usize))
            .prop_map(|(t, k, q, s)| Flow::Create(t, k, q, s)),
        2 => ticket().prop_map(Flow::Solve),
        1 => ticket().prop_map(Flow::Reopen),
        2 => ticket().prop_map(Flow::Release),
        2 => ticket().prop_map(Flow::Close),
        2 => ticket().prop_map(Flow::Widen),
        1 => agent_id().prop_map(Flow::Remove),
    ]
}

struct Sim {
    t: RoutingTable,
    /// Mirrors the table's state; the judge of eligibility.
    r: RefTable,
    /// Live tickets: requirements, strategy, holder, solved.
    tickets: BTreeMap<TicketRef, (Requirements, Routing, Option<String>, bool)>,
    now: i64,
}

impl Sim {
    fn assign(&mut self, agent: &str, ticket: TicketRef) {
        let (q, _, holder, solved) = self.tickets.get_mut(&ticket).expect("live");
        assert!(holder.is_none());
        *holder = Some(agent.to_owned());
        let (channel, counts) = (q.channel.clone(), !*solved);
        self.t.dequeue(ticket);
        self.r.queue.remove(&ticket);
        self.t.assign(agent, ticket, &channel, counts, self.now);
        self.r.assign(agent, ticket, &channel, counts, self.now);
    }

    /// Places a ticket or queues it.
    fn route(&mut self, ticket: TicketRef, key: QueueKey) {
        let (q, strategy, ..) = self.tickets[&ticket].clone();
        match self.t.choose_agent(&q, strategy).map(str::to_owned) {
            Some(agent) => {
                assert!(self.r.agents[&agent].eligible(&q), "{agent} not eligible for {q:?}");
                assert_eq!(self.r.choose_agent(&q, strategy), Some(agent.as_str()));
                self.assign(&agent, ticket);
            }
            None => {
                assert!(self.r.agents.values().all(|a| !a.eligible(&q)), "nobody chosen for {q:?}");
                self.t.enqueue(ticket, key.clone(), q.clone());
                self.r.enqueue(ticket, key, q);
            }
        }
    }

    /// The agent takes queued tickets until full or nothing is left for them.
    fn offer(&mut self, agent: &str) {
        while let Some(ticket) = self.t.next_ticket_for(agent) {
            let q = &self.r.queue[&ticket].1;
            assert!(self.r.agents[agent].eligible(q), "{agent} offered {ticket} ({q:?})");
            self.assign(agent, ticket);
        }
        if let Some(a) = self.r.agents.get(agent) {
            assert!(self.r.queue.values().all(|(_, q)| !a.eligible(q)), "{agent} left work in the queue");
        }
    }

    /// The ticket leaves its holder, who is then offered the queue.
    fn release(&mut self, ticket: TicketRef) {
        let Some((_, _, holder, _)) = self.tickets.get_mut(&ticket) else { return };
        if let Some(agent) = holder.take() {
            let available = self.t.unassign(&agent, ticket);
            assert_eq!(available, self.r.unassign(&agent, ticket));
            if available {
                self.offer(&agent);
            }
        }
    }

    fn step(&mut self, f: Flow) {
        self.now += 1;
        match f {
            Flow::Upsert(p) => {
                let available = self.t.upsert_agent(&p);
                assert_eq!(available, self.r.upsert_agent(&p));
                if available {
                    self.offer(&p.agent_id);
                }
            }
            Flow::Status(a, s) => {
                let changed = self.t.set_status(AGENTS[a], s, self.now);
                assert_eq!(changed, self.r.set_status(AGENTS[a], s, self.now));
                if changed == Some(true) && s == AgentStatus::Available {
                    self.offer(AGENTS[a]);
                }
            }
            Flow::Create(ticket, key, q, s) => {
                if self.tickets.contains_key(&ticket) {
                    return;
                }
                self.tickets.insert(ticket, (q, STRATEGIES[s], None, false));
                self.route(ticket, key);
            }
            Flow::Solve(ticket) => {
                let Some((_, _, holder, solved)) = self.tickets.get_mut(&ticket) else { return };
                *solved = true;
                match holder.clone() {
                    Some(agent) => {
                        self.t.set_counting(&agent, ticket, false);
                        self.r.set_counting(&agent, ticket, false);
                        if self.r.agents.get(&agent).is_some_and(|a| a.status == AgentStatus::Available) {
                            self.offer(&agent);
                        }
                    }
                    None => {
                        self.t.dequeue(ticket);
                        self.r.queue.remove(&ticket);
                    }
                }
            }
            Flow::Reopen(ticket) => {
                let Some((_, _, holder, solved)) = self.tickets.get_mut(&ticket) else { return };
                if !*solved {
                    return;
                }
                *solved = false;
                match holder.clone() {
                    Some(agent) => {
                        self.t.set_counting(&agent, ticket, true);
                        self.r.set_counting(&agent, ticket, true);
                    }
                    None => {
                        let key = QueueKey {
                            priority: Priority::Low,
                            breach_at: None,
                            round_start: self.now,
                            ticket_id: format!("t{ticket}"),
                        };
                        self.route(ticket, key);
                    }
                }
            }
            Flow::Release(ticket) => {
                let Some((_, _, holder, solved)) = self.tickets.get(&ticket) else { return };
                if holder.is_none() || *solved {
                    return;
                }
                self.release(ticket);
                let key = QueueKey {
                    priority: Priority::Normal,
                    breach_at: None,
                    round_start: self.now,
                    ticket_id: format!("t{ticket}"),
                };
                self.route(ticket, key);
            }
            Flow::Close(ticket) => {
                self.release(ticket);
                self.t.dequeue(ticket);
                self.r.queue.remove(&ticket);
                self.tickets.remove(&ticket);
            }
            Flow::Widen(ticket) => {
                if !self.t.is_queued(ticket) {
                    return;
                }
                let (q, strategy, ..) = self.tickets.get_mut(&ticket).expect("live");
                q.skills.iter_mut().for_each(|s| s.min_level = s.min_level.saturating_sub(1));
                q.group = None;
                let (q, strategy) = (q.clone(), *strategy);
                self.t.set_requirements(ticket, q.clone());
                self.r.set_requirements(ticket, q.clone());
                // Offered to every eligible agent at once: the chosen one takes it.
                if let Some(agent) = self.t.choose_agent(&q, strategy).map(str::to_owned) {
                    assert!(self.r.agents[&agent].eligible(&q));
                    self.assign(&agent, ticket);
                }
            }
            Flow::Remove(a) => {
                let Some(held) = self.t.remove_agent(AGENTS[a]) else { return };
                assert_eq!(Some(held.clone()), self.r.remove_agent(AGENTS[a]));
                for ticket in held {
                    let (_, _, holder, solved) = self.tickets.get_mut(&ticket).expect("live");
                    *holder = None;
                    if !*solved {
                        let key = QueueKey {
                            priority: Priority::High,
                            breach_at: Some(self.now),
                            round_start: self.now,
                            ticket_id: format!("t{ticket}"),
                        };
                        self.route(ticket, key);
                    }
                }
            }
        }
        self.t.check_invariants();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Driven like the engine drives it, the table never hands an agent a ticket they are not
    /// eligible for, never leaves an eligible agent idle next to the queue, and never keeps an
    /// unplaceable ticket out of the queue.
    #[test]
    fn decisions_are_always_eligible(order in 0..3usize, flows in prop::collection::vec(flow(), 1..120)) {
        let mut sim = Sim { t: RoutingTable::new(), r: RefTable::default(), tickets: BTreeMap::new(), now: 0 };
        sim.t.set_strategy(STRATEGIES[order]);
        for f in flows {
            sim.step(f);
        }
    }
}
