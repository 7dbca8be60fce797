//! `checkpoint`: encode and decode of an engine holding 1M open tickets, bytes per ticket, and
//! the steady-state cost of durability: engine throughput over a mixed stream with a checkpoint
//! encoded every N events against the same stream without, in one run.
//!
//! cargo bench --bench checkpoint
//!
//! N is 150,000 events: a 30 s snapshot interval (`state.snapshot_interval`) at 5,000 events/s
//! on one partition. The configuration is `benches/engine.toml`.

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slad::checkpoint::{self, Meta};
use slad::engine::rules::Rules;
use slad::engine::Engine;
use slad::simulate::Simulator;
use slad::time::format_rfc3339;
use slad::workload::Workload;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONFIG: &str = include_str!("engine.toml");
const TENANTS: usize = 20;
const TICKETS: usize = 1_000_000;
/// 30 s at 5,000 events/s.
const EVERY: usize = 150_000;
const STREAM: usize = 600_000;

fn rules() -> Arc<Rules> {
    Arc::new(slad::config::parse(CONFIG).expect("bench config is valid").rules)
}

fn start() -> i64 {
    slad::time::parse_rfc3339("2026-06-01T08:00:00Z").unwrap()
}

/// `TICKETS` open tickets over `TENANTS` tenants with 50 agents each: every ticket has its
/// policy, SLA clocks and timers; most wait in the routing queue with an expansion timer.
fn million_tickets() -> Engine {
    let mut sim = Simulator::new(rules());
    let mut out = Vec::new();
    for line in Workload::new(1, TENANTS, start()).take(TENANTS * 50) {
        sim.line(&line, &mut out).expect("agent line applies");
        out.clear();
    }
    let skills = ["billing", "french", "german", "hardware", "network", "refunds"];
    let priorities = ["urgent", "high", "normal", "low"];
    for i in 0..TICKETS {
        let ts = format_rfc3339(start() + 60_000 + i as i64);
        let tenant = i % TENANTS;
        let tier = if i % 10 == 0 { "vip" } else { "standard" };
        let line = format!(
            r#"{{"type":"ticket.created","event_id":"c-{i}","tenant":"tenant-{tenant}","ts":"{ts}","ticket_id":"T{i}","priority":"{}","customer_id":"C{}","customer_tier":"{tier}","skills":[{{"name":"{}","min_level":2}}],"context":{{"source":"web"}}}}"#,
            priorities[i % 4],
            i % 1000,
            skills[i % 6],
        );
        sim.line(&line, &mut out).expect("create applies");
        out.clear();
    }
    let engine = sim.into_engine();
    assert_eq!(engine.ticket_count(), TICKETS);
    engine
}

fn meta() -> Meta {
    Meta { partition: 0, position: TICKETS as i64, arrival_ms: Some(start()), taken_at_ms: start() }
}

fn bench_encode_decode(c: &mut Criterion) {
    let engine = million_tickets();
    let bytes = checkpoint::encode(&engine, &meta());
    println!(
        "1M open tickets, {} armed timers: checkpoint {} bytes, {:.1} bytes per ticket",
        engine.armed_timers(),
        bytes.len(),
        bytes.len() as f64 / TICKETS as f64
    );
    let mut group = c.benchmark_group("checkpoint");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(TICKETS as u64));
    group.bench_function("encode_1m_tickets", |b| b.iter(|| black_box(checkpoint::encode(&engine, &meta()).len())));
    group.bench_function("decode_1m_tickets", |b| {
        b.iter_with_large_drop(|| checkpoint::decode(&bytes, rules()).expect("decodes"))
    });
    group.finish();
}

/// Applies the stream, encoding a checkpoint every `every` events; returns events/s, the time
/// spent encoding, the checkpoints taken and the open tickets at the end.
fn apply(lines: &[String], every: Option<usize>) -> (f64, Duration, usize, usize) {
    let mut sim = Simulator::new(rules());
    let mut out = Vec::with_capacity(64);
    let mut encoding = Duration::ZERO;
    let mut checkpoints = 0;
    let began = Instant::now();
    for (i, line) in lines.iter().enumerate() {
        let _ = sim.line(line, &mut out);
        out.clear();
        if every.is_some_and(|n| (i + 1) % n == 0) {
            let t = Instant::now();
            black_box(checkpoint::encode(sim.engine(), &meta()));
            encoding += t.elapsed();
            checkpoints += 1;
        }
    }
    let rate = lines.len() as f64 / began.elapsed().as_secs_f64();
    (rate, encoding, checkpoints, sim.engine().ticket_count())
}

fn bench_durability(_: &mut Criterion) {
    let lines: Vec<String> = Workload::new(7, TENANTS, start()).max_open_per_tenant(5_000).take(STREAM).collect();
    let (mut plain, mut durable) = (Vec::new(), Vec::new());
    let (mut per_checkpoint, mut open) = (Duration::ZERO, 0);
    for _ in 0..3 {
        plain.push(apply(&lines, None).0);
        let (rate, encoding, checkpoints, tickets) = apply(&lines, Some(EVERY));
        durable.push(rate);
        per_checkpoint = encoding / checkpoints as u32;
        open = tickets;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (plain, durable) = (median(&mut plain), median(&mut durable));
    println!(
        "durability, {STREAM} mixed events, a checkpoint every {EVERY} (30 s at 5k events/s): \
         {plain:.0} events/s without, {durable:.0} with, ratio {:.3}; {:.1} ms per checkpoint \
         ({open} open tickets at the end), {:.3}% of a core at one checkpoint per 30 s",
        durable / plain,
        per_checkpoint.as_secs_f64() * 1e3,
        per_checkpoint.as_secs_f64() / 30.0 * 100.0
    );
}

criterion_group!(benches, bench_durability, bench_encode_decode);
criterion_main!(benches);
