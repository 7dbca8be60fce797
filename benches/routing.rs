#![allow(clippy::disallowed_methods)] // a benchmark measures wall time
//! Routing table benchmarks.
//!
//! - `routing/decide/*`: one assignment decision per iteration with 10k available agents and
//!   100k queued tickets, 20 skills with skewed (zipf-like) popularity on both sides, 3
//!   channels, 10 groups: choose an agent for a new ticket, assign it, and release the oldest
//!   assignment beyond 30k held (about 40% of all capacity), so that load stays steady. The
//!   table is shaped for the strategy (`set_strategy`). Throughput is decisions per second.
//! - `routing/next_ticket`: `next_ticket_for` for an available agent with a 1M-ticket queue of
//!   which 1% is for them; `routing/become_available`: the status change that makes them
//!   available, then the same.
//!
//! `cargo bench --bench routing`; with `ROUTING_BENCH_CPU_TIME=1` the time measured is the
//! thread's CPU time (Linux), steadier than wall time on a busy machine.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use slad::contract::{AgentProfile, AgentSkill, AgentStatus, Priority, SkillRequirement};
use slad::engine::routing::{QueueKey, Requirements, RoutingTable, TicketRef};
use slad::engine::rules::Strategy;
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

const AGENTS: usize = 10_000;
const SKILLS: usize = 20;
const CHANNELS: [&str; 3] = ["email", "chat", "phone"];
const GROUPS: usize = 10;

fn skill(i: usize) -> String {
    format!("skill-{i:02}")
}

/// Skill popularity: weight 1/(rank+1)^1.1, so skill 0 is about 25 times as common as skill 19.
fn zipf() -> WeightedIndex<f64> {
    WeightedIndex::new((0..SKILLS).map(|k| 1.0 / ((k + 1) as f64).powf(1.1))).expect("weights")
}

fn agent_profile(i: usize, rng: &mut StdRng, skills: &WeightedIndex<f64>) -> AgentProfile {
    let n = rng.gen_range(1..=4);
    let skills = (0..n).map(|_| AgentSkill { name: skill(skills.sample(rng)), level: rng.gen_range(1..=5) }).collect();
    let capacity = match rng.gen_range(0..3) {
        0 => vec![("*".to_owned(), 3)],
        1 => vec![("chat".to_owned(), 3), ("email".to_owned(), 5)],
        _ => vec![("*".to_owned(), 2), ("phone".to_owned(), 1)],
    };
    AgentProfile {
        agent_id: format!("agent-{i:05}"),
        skills,
        capacity,
        supervisor_id: None,
        groups: vec![format!("group-{}", rng.gen_range(0..GROUPS))],
    }
}

/// A ticket's requirements: one or two skills by popularity, min level 1..=3, sometimes an
/// optional one, a group restriction one time in ten.
fn requirements(rng: &mut StdRng, skills: &WeightedIndex<f64>) -> Requirements {
    let mut reqs: Vec<SkillRequirement> = (0..rng.gen_range(1..=2))
        .map(|_| SkillRequirement {
            name: skill(skills.sample(rng)).into(),
            min_level: rng.gen_range(1..=3),
            optional: false,
        })
        .collect();
    if rng.gen_bool(0.3) {
        reqs.push(SkillRequirement { name: skill(skills.sample(rng)).into(), min_level: 1, optional: true });
    }
    Requirements {
        score_skills: reqs.clone(),
        skills: reqs,
        group: rng.gen_bool(0.1).then(|| format!("group-{}", rng.gen_range(0..GROUPS))),
        excluded: Vec::new(),
        channel: CHANNELS[rng.gen_range(0..CHANNELS.len())].to_owned(),
    }
}

fn key(rng: &mut StdRng, ticket: TicketRef) -> QueueKey {
    QueueKey {
        priority: Priority::ALL[rng.gen_range(0..4)],
        breach_at: rng.gen_bool(0.9).then(|| rng.gen_range(0..10_000_000)),
        round_start: rng.gen_range(0..1_000_000),
        ticket_id: format!("ticket-{ticket:07}"),
    }
}

struct Decisions {
    table: RoutingTable,
    strategy: Strategy,
    /// New tickets, cycled.
    incoming: Vec<Requirements>,
    next: usize,
    held: VecDeque<(String, TicketRef)>,
    ticket: TicketRef,
    now: i64,
}

impl Decisions {
    fn new(strategy: Strategy) -> Decisions {
        let mut rng = StdRng::seed_from_u64(7);
        let skills = zipf();
        let mut table = RoutingTable::new();
        table.set_strategy(strategy);
        for i in 0..AGENTS {
            table.upsert_agent(&agent_profile(i, &mut rng, &skills));
            table.set_status(&format!("agent-{i:05}"), AgentStatus::Available, rng.gen_range(0..1_000));
        }
        // 100k tickets waiting for a level nobody has yet (they wait for an expansion).
        for t in 0..100_000 {
            let mut req = requirements(&mut rng, &skills);
            req.skills[0].min_level = 9;
            table.enqueue(t, key(&mut rng, t), req);
        }
        let incoming = (0..8192).map(|_| requirements(&mut rng, &skills)).collect();
        let mut d =
            Decisions { table, strategy, incoming, next: 0, held: VecDeque::new(), ticket: 1_000_000, now: 1_000 };
        // Warm up to the steady load.
        for _ in 0..200_000 {
            d.decide();
        }
        d
    }

    /// One decision: choose, assign, and release the oldest assignment beyond the steady load.
    fn decide(&mut self) -> bool {
        let req = &self.incoming[self.next];
        self.next = (self.next + 1) % self.incoming.len();
        self.now += 1;
        let Some(agent) = self.table.choose_agent(req, self.strategy) else {
            return false;
        };
        let agent = agent.to_owned();
        self.ticket += 1;
        self.table.assign(&agent, self.ticket, &req.channel, true, self.now);
        self.held.push_back((agent, self.ticket));
        if self.held.len() > 30_000 {
            let (agent, ticket) = self.held.pop_front().expect("held");
            self.table.unassign(&agent, ticket);
        }
        true
    }
}

fn decide<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("routing/decide");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (name, strategy) in [
        ("longest_idle", Strategy::LongestIdle),
        ("least_loaded", Strategy::LeastLoaded),
        ("most_skilled", Strategy::MostSkilled),
    ] {
        // Built on first use, so that a filtered run builds only what it measures.
        let mut state: Option<Decisions> = None;
        group.bench_function(name, |b| {
            let d = state.get_or_insert_with(|| {
                let mut d = Decisions::new(strategy);
                let placed = (0..100_000).filter(|_| d.decide()).count();
                eprintln!("routing/decide/{name}: {:.1}% of new tickets placed at steady load", placed as f64 / 1e3);
                d
            });
            b.iter(|| black_box(d.decide()))
        });
    }
    group.finish();
}

fn next_ticket<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("routing");
    group.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let mut state: Option<RoutingTable> = None;
    group.bench_function("next_ticket", |b| {
        let table = state.get_or_insert_with(big_queue);
        b.iter(|| black_box(table.next_ticket_for(black_box("agent-me"))))
    });
    // The whole offer as the engine starts it: the status change, then the first ticket.
    let mut now = 1;
    group.bench_function("become_available", |b| {
        let table = state.get_or_insert_with(big_queue);
        b.iter(|| {
            now += 1;
            table.set_status("agent-me", AgentStatus::Away, now);
            table.set_status("agent-me", AgentStatus::Available, now);
            black_box(table.next_ticket_for("agent-me"))
        })
    });
    group.finish();
}

/// 10k agents (offline) and "agent-me", available, with a 1M-ticket queue of which 1% is for
/// them: their skills are two of the 20, at levels that meet those tickets.
fn big_queue() -> RoutingTable {
    let mut rng = StdRng::seed_from_u64(11);
    let skills = zipf();
    let mut table = RoutingTable::new();
    for i in 0..AGENTS {
        table.upsert_agent(&agent_profile(i, &mut rng, &skills));
    }
    let me = AgentProfile {
        agent_id: "agent-me".to_owned(),
        skills: vec![AgentSkill { name: skill(3), level: 3 }, AgentSkill { name: skill(8), level: 3 }],
        capacity: vec![("*".to_owned(), 3)],
        supervisor_id: None,
        groups: vec!["group-1".to_owned()],
    };
    table.upsert_agent(&me);
    let lacking: Vec<usize> = (0..SKILLS).filter(|&s| s != 3 && s != 8).collect();
    let mut mine = 0;
    for t in 0..1_000_000 {
        let mut req = requirements(&mut rng, &skills);
        if t % 100 == 0 {
            // For them: one of their skills, their group or none.
            req.skills.truncate(1);
            req.skills[0] = SkillRequirement {
                name: skill(if t % 200 == 0 { 3 } else { 8 }).into(),
                min_level: 2,
                optional: false,
            };
            req.group = req.group.as_ref().map(|_| "group-1".to_owned());
            mine += 1;
        } else {
            // Not for them: a skill they lack, or one of theirs above their level.
            for r in req.skills.iter_mut() {
                if *r.name == *skill(3) || *r.name == *skill(8) {
                    r.min_level = 4;
                }
            }
            if req.skills.iter().all(|r| r.min_level < 4) {
                req.skills[0].name = skill(lacking[skills.sample(&mut rng) % lacking.len()]).into();
            }
        }
        table.enqueue(t, key(&mut rng, t), req);
    }
    table.set_status("agent-me", AgentStatus::Available, 0);
    assert!(table.next_ticket_for("agent-me").is_some());
    eprintln!("routing/next_ticket: {} queued, {mine} for the agent", table.queue_len());
    table
}

fn main() {
    if std::env::var_os("ROUTING_BENCH_CPU_TIME").is_some() {
        let mut c = Criterion::default().with_measurement(CpuTime).configure_from_args();
        decide(&mut c);
        next_ticket(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().with_measurement(WallTime).configure_from_args();
        decide(&mut c);
        next_ticket(&mut c);
        c.final_summary();
    }
}

/// The calling thread's CPU time, in nanoseconds (`/proc/thread-self/schedstat`).
struct CpuTime;

fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("/proc/thread-self/schedstat");
    stat.split_whitespace().next().and_then(|ns| ns.parse().ok()).expect("a CPU time")
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns (cpu)"),
            t if t < 1e6 => (1e-3, "µs (cpu)"),
            t if t < 1e9 => (1e-6, "ms (cpu)"),
            _ => (1e-9, "s (cpu)"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match *throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => n as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => n as f64,
            Throughput::Bits(n) => n as f64,
        };
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v / 1e3);
        "K/s (cpu)"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
