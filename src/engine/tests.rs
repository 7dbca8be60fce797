//! The engine's bounds and counters, over generated streams.

use crate::contract::OutputEvent;
use crate::simulate::Simulator;
use std::sync::Arc;

fn simulator(config: &str) -> Simulator {
    Simulator::new(Arc::new(crate::config::parse(config).expect("valid config").rules))
}

fn line(tenant: &str, event: u64, ts: &str, body: &str) -> String {
    format!(r#"{{"event_id":"e{event}","tenant":"{tenant}","ts":"{ts}",{body}}}"#)
}

#[test]
fn event_ids_stay_within_the_count_cap_even_for_a_quiet_tenant() {
    let mut sim = simulator("[engine]\ndedupe_max_ids = 100\n");
    let mut out: Vec<OutputEvent> = Vec::new();
    let upsert = |tenant: &str, i: u64| {
        line(tenant, i, "2026-06-01T10:00:00Z", &format!(r#""type":"agent.upserted","agent_id":"a{i}""#))
    };
    // A tenant that goes quiet after 50 inputs, then 10,000 inputs of two others.
    for i in 0..50 {
        sim.line(&upsert("quiet", i), &mut out).unwrap();
    }
    for i in 50..10_050 {
        sim.line(&upsert(if i % 2 == 0 { "busy" } else { "other" }, i), &mut out).unwrap();
    }
    let engine = sim.engine();
    // The cap plus at most one generation of ids (its smallest size is 896).
    assert!(engine.remembered_ids() <= 100 + 896, "{} ids remembered", engine.remembered_ids());
    // Every id but the last 100 was forgotten while still inside the 24h window.
    assert_eq!(engine.dedupe_forgotten_early() as usize + engine.remembered_ids(), 10_050);
}

#[test]
fn solved_tickets_are_closed_after_the_ttl_and_counted() {
    let mut sim = simulator("[engine]\nsolved_ttl = \"1h\"\n");
    let mut out = Vec::new();
    for i in 0..10u64 {
        let created = format!(r#""type":"ticket.created","ticket_id":"T{i}","priority":"normal","assignee":"a1""#);
        sim.line(&line("acme", 2 * i, "2026-06-01T10:00:00Z", &created), &mut out).unwrap();
        let solved = format!(r#""type":"ticket.status_changed","ticket_id":"T{i}","status":"solved""#);
        sim.line(&line("acme", 2 * i + 1, "2026-06-01T10:30:00Z", &solved), &mut out).unwrap();
    }
    assert_eq!(sim.engine().ticket_count(), 10);
    sim.finish(Some(crate::time::parse_rfc3339("2026-06-01T11:29:59.999Z").unwrap()), &mut out);
    assert_eq!(sim.engine().ticket_count(), 10, "a ticket solved for less than the ttl is kept");
    sim.finish(Some(crate::time::parse_rfc3339("2026-06-01T11:30:00Z").unwrap()), &mut out);
    assert_eq!(sim.engine().ticket_count(), 0);
    assert_eq!(sim.engine().tickets_expired(), 10);
    assert_eq!(sim.engine().armed_timers(), 0);
}

/// The compact layout (README, Memory): a regression here costs bytes on every open ticket.
#[test]
fn state_types_stay_compact() {
    use std::mem::size_of;
    assert!(size_of::<super::ticket::Ticket>() <= 288, "Ticket: {}", size_of::<super::ticket::Ticket>());
    assert!(size_of::<super::sla::Clock>() <= 104, "Clock: {}", size_of::<super::sla::Clock>());
    assert!(size_of::<super::ticket::Route>() <= 48, "Route: {}", size_of::<super::ticket::Route>());
    assert_eq!(size_of::<Option<super::wheel::TimerHandle>>(), 8);
    assert_eq!(size_of::<crate::contract::RawJson>(), 16);
}

#[test]
fn memory_estimate_follows_the_state() {
    let mut sim = simulator(include_str!("../../benches/memory.toml"));
    let mut out = Vec::new();
    let before = sim.engine().memory_use();
    for i in 0..5_000u64 {
        let created = format!(
            r#""type":"ticket.created","ticket_id":"T{i}","priority":"normal","assignee":"a{}","context":{{"k":"v"}}"#,
            i % 7
        );
        sim.line(&line("acme", i, "2026-06-01T10:00:00Z", &created), &mut out).unwrap();
    }
    let after = sim.engine().memory_use();
    assert!(after.tickets > before.tickets + 5_000 * 200, "{after:?}");
    assert_eq!(after.clocks, super::memory::MemoryUse::clock_bytes(10_000));
    assert!(after.wheel > 10_000 * 30 && after.dedupe > 5_000 * 24, "{after:?}");
    for i in 0..5_000u64 {
        let closed = format!(r#""type":"ticket.status_changed","ticket_id":"T{i}","status":"closed""#);
        sim.line(&line("acme", 10_000 + i, "2026-06-01T10:00:01Z", &closed), &mut out).unwrap();
    }
    assert_eq!(sim.engine().memory_use().clocks, 0);
}
