//! Writes a deterministic synthetic input stream as JSON lines, for timing `slad simulate`:
//!
//! cargo run --release --example gen_events -- 1000000 > /tmp/events.jsonl
//! time target/release/slad simulate --config config/slad.toml --input /tmp/events.jsonl > /dev/null

use std::io::Write;

fn main() -> std::io::Result<()> {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let tenants: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(20);
    let start = slad::time::parse_rfc3339("2026-06-01T08:00:00Z").expect("valid instant");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in slad::workload::Workload::new(7, tenants, start).max_open_per_tenant(5_000).take(count) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
