//! Writes N realistic open tickets as JSON lines, for measuring memory per open ticket with
//! `slad simulate` (README, Memory):
//!
//! cargo run --release --example gen_open_tickets -- 1000000 | \
//!   /usr/bin/time -v target/release/slad simulate --config benches/memory.toml > /dev/null
//!
//! Each ticket has two skills, a two-key `context`, a customer, a group and an assignee (one of
//! 200 known agents of its tenant), one `ticket.created` a millisecond apart over 10 tenants;
//! with `benches/memory.toml` each runs a first response and a resolution clock (targets of
//! 30 and 90 days: nothing fires) and its `event_id` is remembered.

use std::io::Write;

const AGENTS: usize = 200;

fn main() -> std::io::Result<()> {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let tenants: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(10);
    let start = slad::time::parse_rfc3339("2026-06-01T08:00:00Z").expect("valid instant");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let ts = slad::time::format_rfc3339(start);
    for tenant in 0..tenants {
        for agent in 0..AGENTS {
            writeln!(
                out,
                r#"{{"type":"agent.upserted","event_id":"a{tenant}-{agent}","tenant":"t{tenant}","ts":"{ts}","agent_id":"agent-{agent}","skills":[{{"name":"billing","level":3}},{{"name":"french","level":2}}],"capacity":{{"*":1000000}},"supervisor_id":"lead-{}","groups":["g{}"]}}"#,
                agent % 10,
                agent % 8
            )?;
        }
    }
    for i in 0..count {
        let ts = slad::time::format_rfc3339(start + 1 + i as i64);
        let tenant = i % tenants;
        writeln!(
            out,
            r#"{{"type":"ticket.created","event_id":"c{i}","tenant":"t{tenant}","ts":"{ts}","ticket_id":"T{i}","priority":"{}","channel":"email","customer_tier":"standard","group":"g{}","customer_id":"cust-{}","assignee":"agent-{}","skills":[{{"name":"billing","min_level":2}},{{"name":"french","min_level":1,"optional":true}}],"context":{{"plan":"pro","region":"eu-west-{}"}}}}"#,
            if i % 10 == 0 { "high" } else { "normal" },
            i % 8,
            i / 3,
            (i / tenants) % AGENTS,
            i % 4
        )?;
    }
    out.flush()
}
