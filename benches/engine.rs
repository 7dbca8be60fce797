//! `engine`: decode + apply of a realistic input mix (creates, replies, status changes,
//! updates, agent and contact events) on one core, through the same path as `slad simulate`.
//!
//! cargo bench --bench engine

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slad::simulate::Simulator;
use slad::workload::Workload;
use std::hint::black_box;
use std::sync::Arc;

const CONFIG: &str = r#"
[[calendar]]
name = "paris-office"
timezone = "Europe/Paris"
holidays = ["2026-12-25"]
[calendar.week]
mon = ["09:00-12:30", "13:30-18:00"]
tue = ["09:00-12:30", "13:30-18:00"]
wed = ["09:00-12:30", "13:30-18:00"]
thu = ["09:00-12:30", "13:30-18:00"]
fri = ["09:00-12:30", "13:30-18:00"]

[[policy]]
name = "vip"
match = { customer_tier = ["vip"] }
warn_at = [50, 80]
warn_notify = ["assignee"]
[policy.targets.first_response]
urgent = "10m"
high = "30m"
normal = "1h"
low = "2h"
[policy.targets.resolution]
urgent = "4h"
high = "8h"
normal = "1d"
low = "2d"
[policy.pause_on]
resolution = ["pending", "on_hold"]
[policy.ladder]
first_response = "chain"

[[policy]]
name = "business"
match = {}
calendar = "paris-office"
warn_at = [75]
warn_notify = ["assignee", "supervisor"]
[policy.targets.first_response]
urgent = "1h"
high = "2h"
normal = "4h"
low = "8h"
[policy.targets.periodic_update]
urgent = "2h"
high = "4h"
[policy.targets.resolution]
urgent = "8h"
high = "16h"
normal = "24h"
low = "40h"
[policy.pause_on]
resolution = ["pending", "on_hold"]
[policy.ladder]
resolution = "chain"

[[ladder]]
name = "chain"
[[ladder.level]]
after = "0m"
notify = ["assignee", "supervisor"]
[[ladder.level]]
after = "1h"
notify = ["supervisor^2", "role:duty-manager"]

[routing]
strategy = "longest_idle"
[[routing.expand]]
after = "2m"
lower_min_level_by = 1
[[routing.expand]]
after = "10m"
any_agent = true
"#;

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
