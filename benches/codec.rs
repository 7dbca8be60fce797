//! Input decoding and output encoding, per record.
//!
//! - `codec/decode/*`: `decode_envelope` then `decode_body` of one typical input record;
//! - `codec/encode/*`: one output event written as a JSON line into a reused buffer.
//!
//! `cargo bench --bench codec`.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use slad::contract::decode::{decode_body, decode_envelope, DecodeLimits, Source};
use slad::contract::{
    EscalationOrigin, EscalationRaised, Metric, OutputEvent, Payload, Priority, Recipient, RecipientKind,
    RoutingAssigned,
};
use std::hint::black_box;

const LIMITS: DecodeLimits = DecodeLimits { max_event_bytes: 65536, max_future_skew_ms: 3_600_000 };

const CREATED: &str = r#"{"type":"ticket.created","event_id":"evt-000184467","tenant":"acme-support","ts":"2026-06-01T10:00:00.000Z","ticket_id":"T-184467","priority":"high","channel":"chat","customer_id":"cust-88123","customer_tier":"gold","group":"billing","skills":[{"name":"billing","min_level":2},{"name":"french","optional":true}],"status":"new"}"#;
const REPLIED: &str = r#"{"type":"ticket.agent_replied","event_id":"evt-000184468","tenant":"acme-support","ts":"2026-06-01T10:12:31.250Z","ticket_id":"T-184467","agent_id":"agent-0042","public":true}"#;
const STATUS: &str = r#"{"type":"ticket.status_changed","event_id":"evt-000184469","tenant":"acme-support","ts":"2026-06-01T10:13:02.000Z","ticket_id":"T-184467","status":"pending"}"#;

fn event(payload: Payload) -> OutputEvent {
    OutputEvent {
        id: "acme-support/T-184467/first_response/1/75".to_owned(),
        tenant: "acme-support".to_owned(),
        ticket_id: "T-184467".to_owned(),
        ts: 1_780_308_000_000,
        payload,
    }
}

fn journey() -> Value {
    json!([
        {"at": "2026-06-01T10:00:00.000Z", "event": "routing.queued", "round": 1},
        {"at": "2026-06-01T10:05:00.000Z", "event": "routing.expanded", "round": 1, "step": 1},
    ])
}

fn context() -> Map<String, Value> {
    let Value::Object(map) = json!({"source": "web", "order": "A-1234", "vip": false}) else { unreachable!() };
    map
}

fn warning() -> OutputEvent {
    event(Payload::SlaWarning {
        metric: Metric::FirstResponse,
        cycle: 1,
        threshold_pct: 75,
        target_ms: 3_600_000,
        due_at: 1_780_311_600_000,
    })
}

fn escalation() -> OutputEvent {
    event(Payload::EscalationRaised(Box::new(EscalationRaised {
        kind: EscalationOrigin::Automatic,
        level: 1,
        metric_cycle: Some((Metric::Resolution, 1)),
        reason: None,
        recipients: vec![
            Recipient { kind: RecipientKind::Agent, id: "agent-0042".to_owned() },
            Recipient { kind: RecipientKind::Role, id: "team_lead".to_owned() },
        ],
        channel: "chat".to_owned(),
        priority: Priority::High,
        assignee: Some("agent-0042".to_owned()),
        journey: slad::contract::RawJson::of(&journey()),
        context: slad::contract::RawJson::of(&context()),
    })))
}

fn assigned() -> OutputEvent {
    event(Payload::RoutingAssigned(Box::new(RoutingAssigned {
        round: 1,
        agent_id: "agent-0042".to_owned(),
        wait_ms: 312_000,
        journey: slad::contract::RawJson::of(&journey()),
        context: slad::contract::RawJson::of(&context()),
    })))
}

fn bench_codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec/decode");
    for (name, record) in
        [("ticket.created", CREATED), ("ticket.agent_replied", REPLIED), ("ticket.status_changed", STATUS)]
    {
        group.bench_function(name, |b| {
            b.iter(|| {
                let decoded = decode_envelope(black_box(record.as_bytes()), &LIMITS, Source::File).expect("valid");
                let body = decode_body(&decoded).expect("valid");
                black_box((decoded, body))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("codec/encode");
    let mut buf = Vec::with_capacity(1024);
    for (name, event) in
        [("sla.warning", warning()), ("escalation.raised", escalation()), ("routing.assigned", assigned())]
    {
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                encode(black_box(&event), &mut buf);
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

/// One output as a JSON line, as `slad simulate` writes it.
fn encode(event: &OutputEvent, buf: &mut Vec<u8>) {
    event.write_json(None, buf);
    buf.push(b'\n');
}

criterion_group!(benches, bench_codec);
criterion_main!(benches);
