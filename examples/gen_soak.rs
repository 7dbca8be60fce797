//! Writes a steady day of traffic for the memory soak (`scripts/bench-soak.sh`, README,
//! Memory): `RATE` inputs per second of virtual time for `HOURS` hours over 10 tenants, at most
//! 10,000 open tickets per tenant, tickets solved and never closed. At each whole virtual hour
//! it writes `hour N` to standard error, after the last line of that hour.
//!
//! cargo run --release --example gen_soak -- 24 2000 | target/release/slad simulate --config benches/soak.toml

use std::io::Write;

fn main() -> std::io::Result<()> {
    let hours: i64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(24);
    let rate: u64 = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(2_000);
    let start = slad::time::parse_rfc3339("2026-06-01T00:00:00Z").expect("valid instant");
    let end = start + hours * 3_600_000;
    let mut workload =
        slad::workload::Workload::new(11, 10, start).max_open_per_tenant(10_000).rate(rate).never_close();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut next_hour = start + 3_600_000;
    loop {
        let line = workload.next_line();
        if workload.now_ms() >= next_hour {
            out.flush()?;
            eprintln!("hour {}", (next_hour - start) / 3_600_000);
            next_hour += 3_600_000;
        }
        if workload.now_ms() >= end {
            break;
        }
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
