//! The table of rules objects: one entry per distinct object, whatever the number of tickets.

use super::table::Table;
use super::*;
use crate::simulate::Simulator;
use crate::workload::Workload;

const CONFIG: &str = include_str!("../../benches/engine.toml");

fn rules() -> Arc<Rules> {
    Arc::new(crate::config::parse(CONFIG).expect("bench config is valid").rules)
}

fn table_of(bytes: &[u8]) -> Table {
    let payload = frame::payload(bytes);
    let state_len = u64::from_le_bytes(payload[..8].try_into().unwrap()) as usize;
    options().deserialize(&payload[8 + state_len..]).unwrap()
}

fn meta() -> Meta {
    Meta { partition: 0, position: 0, arrival_ms: None, taken_at_ms: 0 }
}

#[test]
fn each_rules_object_is_stored_once() {
    let start = crate::time::parse_rfc3339("2026-06-01T08:00:00Z").unwrap();
    let mut sim = Simulator::new(rules());
    let mut out = Vec::new();
    for line in Workload::new(3, 4, start).take(3_000) {
        let _ = sim.line(&line, &mut out);
    }
    assert!(sim.engine().ticket_count() > 100);
    // Two policies on two calendars (24x7 and paris-office), one ladder used by both.
    let counts = table_of(&encode(sim.engine(), &meta())).counts();
    assert_eq!(counts, [2, 1, 2, 1]);
}

#[test]
fn a_reload_keeps_both_generations() {
    let first = rules();
    let mut engine = Engine::new(first.clone());
    let start = crate::time::parse_rfc3339("2026-06-01T08:00:00Z").unwrap();
    let mut lines = Workload::new(9, 1, start).take(400);
    let feed = |engine: &mut Engine, n: usize, lines: &mut dyn Iterator<Item = String>| {
        let limits = crate::contract::decode::DecodeLimits { max_event_bytes: 65_536, max_future_skew_ms: 3_600_000 };
        for line in lines.take(n) {
            let decoded = crate::contract::decode::decode_envelope(
                line.as_bytes(),
                &limits,
                crate::contract::decode::Source::File,
            )
            .unwrap();
            engine.ingest(decoded, i64::MIN, &mut Vec::new());
        }
    };
    feed(&mut engine, 200, &mut lines);
    engine.set_rules(rules());
    feed(&mut engine, 200, &mut lines);
    let counts = table_of(&encode(&engine, &meta())).counts();
    assert_eq!(counts[3], 2, "the rules of rounds opened before and after the reload");
    assert_eq!(counts[2], 4, "each generation's two policies");
    let (decoded, _) = decode(&encode(&engine, &meta()), first).unwrap();
    assert_eq!(decoded.ticket_count(), engine.ticket_count());
}
