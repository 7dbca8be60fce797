//! Writes a deterministic synthetic input stream as JSON lines, for timing `slad simulate`:
//!
//! cargo run --release --example gen_events -- 1000000 > /tmp/events.jsonl
//! time target/release/slad simulate --config benches/engine.toml --input /tmp/events.jsonl > /dev/null
//!
//! `gen_events COUNT [TENANTS] [short-staffed]`: the third argument gives the breach-heavy day
//! (`Workload::short_staffed`, to be run with `benches/breach.toml`).

use std::io::Write;

fn main() -> std::io::Result<()> {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let tenants: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(20);
    let start = slad::time::parse_rfc3339("2026-06-01T08:00:00Z").expect("valid instant");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut workload = slad::workload::Workload::new(7, tenants, start).max_open_per_tenant(5_000);
    match std::env::args().nth(3).as_deref() {
        None => {}
        Some("short-staffed") => workload = workload.short_staffed(),
        Some(other) => {
            eprintln!("gen_events: unknown mix {other:?} (expected short-staffed)");
            std::process::exit(2);
        }
    }
    for line in workload.take(count) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
