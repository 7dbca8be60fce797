//! `engine`: decode + apply of a realistic input mix (creates, replies, status changes,
//! updates, agent and contact events) on one core, through the same path as `slad simulate`.
//!
//! cargo bench --bench engine
//!
//! The configuration is `benches/engine.toml`; the input is `slad::workload`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slad::simulate::Simulator;
use slad::workload::Workload;
use std::hint::black_box;
use std::sync::Arc;

const CONFIG: &str = include_str!("engine.toml");

fn bench_engine(c: &mut Criterion) {
    let config = slad::config::parse(CONFIG).expect("bench config is valid");
    let rules = Arc::new(config.rules);
    let start = slad::time::parse_rfc3339("2026-06-01T08:00:00Z").unwrap();
    let lines: Vec<String> = Workload::new(7, 20, start).max_open_per_tenant(5_000).take(200_000).collect();
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("decode_apply_200k_mixed", |b| {
        b.iter(|| {
            let mut sim = Simulator::new(rules.clone());
            let mut out = Vec::with_capacity(64);
            for line in &lines {
                let _ = sim.line(line, &mut out);
                out.clear();
            }
            black_box(sim.summary.applied)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
