use super::*;
use crate::contract::input::*;
use serde_json::{json, Map};

const LIMITS: DecodeLimits = DecodeLimits { max_event_bytes: 65536, max_future_skew_ms: 3_600_000 };
const T0: &str = "2026-06-01T10:00:00Z";
const T0_MS: Millis = 1_780_308_000_000;

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn file(value: &Value) -> Result<Decoded, Rejection> {
    decode_envelope(&bytes(value), &LIMITS, Source::File)
}

fn kafka(value: &Value, key: Option<&str>, timestamp: Millis) -> Result<Decoded, Rejection> {
    decode_envelope(&bytes(value), &LIMITS, Source::Kafka { key: key.map(str::as_bytes), timestamp })
}

fn decode(value: &Value) -> Result<Body, Rejection> {
    decode_body(&file(value)?)
}

fn reason(result: Result<impl std::fmt::Debug, Rejection>) -> Reason {
    match result {
        Ok(ok) => panic!("expected a rejection, got {ok:?}"),
        Err(rejection) => {
            assert!(!rejection.detail.is_empty() && !rejection.detail.contains('\n'), "{rejection:?}");
            rejection.reason
        }
    }
}

fn detail(result: Result<impl std::fmt::Debug, Rejection>) -> String {
    result.expect_err("expected a rejection").detail
}

/// An envelope of `event_type` with `fields` added.
fn event(event_type: &str, fields: Value) -> Value {
    let mut v = json!({"type": event_type, "event_id": "e1", "tenant": "acme", "ts": T0});
    for (k, x) in fields.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// A valid event of each type with its required fields only, and those fields in table order.
fn minimal() -> Vec<(Value, &'static [&'static str])> {
    vec![
        (event("ticket.created", json!({"ticket_id": "T1", "priority": "high"})), &["ticket_id", "priority"]),
        (event("ticket.updated", json!({"ticket_id": "T1"})), &["ticket_id"]),
        (event("ticket.status_changed", json!({"ticket_id": "T1", "status": "open"})), &["ticket_id", "status"]),
        (event("ticket.agent_replied", json!({"ticket_id": "T1"})), &["ticket_id"]),
        (event("ticket.customer_replied", json!({"ticket_id": "T1"})), &["ticket_id"]),
        (event("ticket.assigned", json!({"ticket_id": "T1", "agent_id": "a1"})), &["ticket_id", "agent_id"]),
        (event("ticket.unassigned", json!({"ticket_id": "T1"})), &["ticket_id"]),
        (
            event("ticket.escalation_requested", json!({"ticket_id": "T1", "kind": "functional"})),
            &["ticket_id", "kind"],
        ),
        (event("agent.upserted", json!({"agent_id": "a1"})), &["agent_id"]),
        (event("agent.status_changed", json!({"agent_id": "a1", "status": "busy"})), &["agent_id", "status"]),
        (event("agent.removed", json!({"agent_id": "a1"})), &["agent_id"]),
        (event("contact.step", json!({"customer_id": "c1", "step": "faq"})), &["customer_id", "step"]),
    ]
}

// ---- malformed_json ----

#[test]
fn malformed_json() {
    for record in [
        &b""[..],
        b"   ",
        b"{",
        b"{\"type\":\"ticket.created\",}",
        b"{} {}",
        b"{}x",
        b"nul",
        b"\xEF\xBB\xBF{}",
        b"{\"type\":\"ticket.created\",\"ticket_id\":\"\xff\"}",
        b"\xff\xfe{}",
        b"{\"a\":\"\\ud800\"}",
        b"{\"a\":1e400}",
        b"{'type':'ticket.created'}",
    ] {
        let result = decode_envelope(record, &LIMITS, Source::File);
        assert_eq!(reason(result), Reason::MalformedJson, "{:?}", String::from_utf8_lossy(record));
    }
}

#[test]
fn json_that_is_not_an_object_is_malformed() {
    for value in [json!(null), json!(1), json!("ticket.created"), json!([{"type": "ticket.created"}]), json!(true)] {
        assert_eq!(reason(file(&value)), Reason::MalformedJson, "{value}");
    }
    assert_eq!(detail(file(&json!([1, 2]))), "expected a JSON object, got a list of 2 elements");
}

#[test]
fn deep_nesting_is_malformed_not_a_crash() {
    let deep = format!("{{\"type\":\"ticket.created\",\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(reason(decode_envelope(deep.as_bytes(), &LIMITS, Source::File)), Reason::MalformedJson);
    // Within serde_json's limit it is valid JSON, and ignored.
    let ok = event("ticket.updated", json!({"ticket_id": "T1"})).to_string();
    let ok = format!("{},\"x\":{}{}}}", &ok[..ok.len() - 1], "[".repeat(100), "]".repeat(100));
    assert!(decode_body(&decode_envelope(ok.as_bytes(), &LIMITS, Source::File).unwrap()).is_ok());
}

#[test]
fn malformed_json_comes_before_everything() {
    let big = format!("{{\"type\":\"ticket.created\",\"x\":\"{}\"", "a".repeat(70_000));
    assert_eq!(
        reason(decode_envelope(big.as_bytes(), &LIMITS, Source::Kafka { key: None, timestamp: 0 })),
        Reason::MalformedJson
    );
}

// ---- type ----

#[test]
fn missing_type() {
    let v = event("ticket.created", json!({"ticket_id": "T1", "priority": "high"}));
    assert_eq!(reason(file(&without(v.clone(), "type"))), Reason::MissingField);
    assert_eq!(reason(file(&with(v.clone(), "type", Value::Null))), Reason::MissingField);
    assert_eq!(detail(file(&without(v, "type"))), "missing field \"type\"");
}

#[test]
fn unknown_type() {
    let v = event("ticket.created", json!({"ticket_id": "T1", "priority": "high"}));
    for t in [
        json!("ticket.deleted"),
        json!(""),
        json!("Ticket.Created"),
        json!(" ticket.created"),
        json!(1),
        json!(["ticket.created"]),
        json!({}),
        json!(true),
    ] {
        assert_eq!(reason(file(&with(v.clone(), "type", t.clone()))), Reason::UnknownType, "{t}");
    }
    assert_eq!(detail(file(&with(v, "type", json!("ticket.deleted")))), "unknown type \"ticket.deleted\"");
}

#[test]
fn missing_type_and_unknown_type_come_before_the_envelope() {
    let bare = json!({"type": "nope"});
    assert_eq!(reason(kafka(&bare, None, 0)), Reason::UnknownType);
    assert_eq!(reason(kafka(&json!({"x": 1}), None, 0)), Reason::MissingField);
    let big = json!({"type": "nope", "pad": "a".repeat(70_000)});
    assert_eq!(reason(file(&big)), Reason::UnknownType);
    let big = json!({"pad": "a".repeat(70_000)});
    assert_eq!(detail(file(&big)), "missing field \"type\"");
}

#[test]
fn every_type_is_known() {
    for t in EventType::ALL {
        let d = file(&event(t.as_str(), json!({}))).unwrap();
        assert_eq!(d.envelope.event_type, t);
    }
}

// ---- envelope ----

#[test]
fn envelope_is_decoded() {
    let v = event("ticket.customer_replied", json!({"ticket_id": "T1", "extra": {"a": 1}}));
    let d = file(&v).unwrap();
    assert_eq!(
        d.envelope,
        Envelope {
            event_type: EventType::TicketCustomerReplied,
            event_id: "e1".into(),
            tenant: "acme".into(),
            ts: T0_MS,
            arrival: T0_MS
        }
    );
    // The named fields are kept, as given; others are not.
    assert_eq!(*d.object, *without(v, "extra").as_object().unwrap());
}

#[test]
fn record_size() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    let n = bytes(&v).len();
    let exact = DecodeLimits { max_event_bytes: n, ..LIMITS };
    assert!(decode_envelope(&bytes(&v), &exact, Source::File).is_ok());
    let under = DecodeLimits { max_event_bytes: n - 1, ..LIMITS };
    let result = decode_envelope(&bytes(&v), &under, Source::File);
    assert_eq!(detail(result.clone()), format!("record is {n} bytes, more than engine.max_event_bytes ({})", n - 1));
    assert_eq!(reason(result), Reason::InvalidValue);
}

#[test]
fn record_size_comes_before_the_rest_of_the_envelope() {
    let v = json!({"type": "ticket.created", "pad": "a".repeat(70_000)});
    assert_eq!(reason(file(&v)), Reason::InvalidValue);
    assert_eq!(reason(kafka(&v, None, 0)), Reason::InvalidValue);
    assert!(detail(file(&v)).starts_with("record is"));
}

#[test]
fn event_id() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    assert_eq!(reason(file(&without(v.clone(), "event_id"))), Reason::MissingField);
    assert_eq!(reason(file(&with(v.clone(), "event_id", Value::Null))), Reason::MissingField);
    for bad in [json!(""), json!(42), json!(["e1"]), json!({"id": "e1"}), json!(false)] {
        assert_eq!(reason(file(&with(v.clone(), "event_id", bad.clone()))), Reason::InvalidValue, "{bad}");
    }
    assert_eq!(
        detail(file(&with(v, "event_id", json!(42)))),
        "field \"event_id\": expected a non-empty string, got 42"
    );
}

#[test]
fn tenant() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    assert_eq!(reason(file(&without(v.clone(), "tenant"))), Reason::MissingField);
    assert_eq!(reason(file(&with(v.clone(), "tenant", Value::Null))), Reason::MissingField);
    for bad in [json!(""), json!("ac/me"), json!("/"), json!(7), json!(["acme"])] {
        assert_eq!(reason(file(&with(v.clone(), "tenant", bad.clone()))), Reason::InvalidValue, "{bad}");
        // An invalid tenant is invalid_value before any key comparison.
        assert_eq!(reason(kafka(&with(v.clone(), "tenant", bad.clone()), Some("acme"), T0_MS)), Reason::InvalidValue);
        assert_eq!(reason(kafka(&with(v.clone(), "tenant", bad.clone()), None, T0_MS)), Reason::InvalidValue);
    }
    assert_eq!(
        detail(file(&with(v, "tenant", json!("ac/me")))),
        "field \"tenant\": must not contain \"/\", got \"ac/me\""
    );
}

#[test]
fn tenant_and_kafka_key() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    assert_eq!(kafka(&v, Some("acme"), T0_MS).unwrap().envelope.tenant, "acme");
    for key in [Some("other"), Some(""), Some("ACME"), Some("acme "), None] {
        assert_eq!(reason(kafka(&v, key, T0_MS)), Reason::TenantMismatch, "{key:?}");
    }
    let bad_key = decode_envelope(&bytes(&v), &LIMITS, Source::Kafka { key: Some(b"\xffacme"), timestamp: T0_MS });
    assert_eq!(reason(bad_key), Reason::TenantMismatch);
    assert_eq!(detail(kafka(&v, Some("other"), T0_MS)), "tenant \"acme\" does not match the record key \"other\"");
    assert_eq!(detail(kafka(&v, None, T0_MS)), "record has no key; it must be the tenant \"acme\"");
}

#[test]
fn keyless_precedence() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    // Earlier reasons win over the missing key...
    assert_eq!(reason(kafka(&with(v.clone(), "event_id", json!("")), None, T0_MS)), Reason::InvalidValue);
    assert_eq!(reason(kafka(&without(v.clone(), "event_id"), None, T0_MS)), Reason::MissingField);
    assert_eq!(reason(kafka(&without(v.clone(), "tenant"), None, T0_MS)), Reason::MissingField);
    // ...later ones lose to it.
    assert_eq!(reason(kafka(&with(v.clone(), "ts", json!("bad")), None, T0_MS)), Reason::TenantMismatch);
    assert_eq!(reason(kafka(&without(v.clone(), "ts"), None, T0_MS)), Reason::TenantMismatch);
    assert_eq!(reason(kafka(&v, None, 0)), Reason::TenantMismatch);
    assert_eq!(reason(kafka(&without(v.clone(), "ticket_id"), None, T0_MS)), Reason::TenantMismatch);
    // A mismatching key is the same.
    assert_eq!(reason(kafka(&with(v, "ts", json!("bad")), Some("x"), T0_MS)), Reason::TenantMismatch);
}

#[test]
fn ts() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    assert_eq!(reason(file(&without(v.clone(), "ts"))), Reason::MissingField);
    assert_eq!(reason(file(&with(v.clone(), "ts", Value::Null))), Reason::MissingField);
    assert_eq!(detail(file(&with(v.clone(), "ts", Value::Null))), "missing field \"ts\"");
    for bad in [
        json!(T0_MS),
        json!(""),
        json!("yesterday"),
        json!("2026-06-01T10:00:00"),
        json!("2026-06-01 10:00:00Z"),
        json!("2026-06-01T10:00:00.0001Z"),
        json!("2026-06-01T10:00:00.123456+02:00"),
        json!("2026-06-01T10:00:00,5Z"),
        json!("2026-02-30T10:00:00Z"),
        json!("1969-12-31T23:59:59.999Z"),
        json!("1970-01-01T00:30:00+01:00"),
        json!("0000-01-01T00:00:00Z"),
        json!("9999-12-31T23:59:59.999-00:01"),
        json!({"ts": T0}),
    ] {
        assert_eq!(reason(file(&with(v.clone(), "ts", bad.clone()))), Reason::InvalidValue, "{bad}");
    }
    assert_eq!(
        detail(file(&with(v.clone(), "ts", json!("2026-06-01T10:00:00.0001Z")))),
        "field \"ts\": more than millisecond precision, got \"2026-06-01T10:00:00.0001Z\""
    );
    assert!(detail(file(&with(v.clone(), "ts", json!("1969-12-31T23:59:59Z")))).contains("out of range"));
    let ok = |text: &str| file(&with(v.clone(), "ts", json!(text))).unwrap().envelope.ts;
    assert_eq!(ok("2026-06-01T12:00:00+02:00"), T0_MS);
    assert_eq!(ok("2026-06-01T10:00:00.5Z"), T0_MS + 500);
    assert_eq!(ok("2026-06-01T10:00:00.120000Z"), T0_MS + 120);
    assert_eq!(ok("1970-01-01T00:00:00Z"), 0);
    // The skew check is against the arrival, here received_at.
    let late = with(with(v, "ts", json!("9999-12-31T23:59:59.999Z")), "received_at", json!("9999-12-31T23:00:00Z"));
    assert_eq!(file(&late).unwrap().envelope.ts, MAX_TS);
}

#[test]
fn received_at_in_file_input() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    assert_eq!(file(&v).unwrap().envelope.arrival, T0_MS);
    assert_eq!(file(&with(v.clone(), "received_at", Value::Null)).unwrap().envelope.arrival, T0_MS);
    let d = file(&with(v.clone(), "received_at", json!("2026-06-01T10:00:05.250Z"))).unwrap();
    assert_eq!((d.envelope.ts, d.envelope.arrival), (T0_MS, T0_MS + 5250));
    // Earlier than ts is fine (within the skew).
    let d = file(&with(v.clone(), "received_at", json!("2026-06-01T09:30:00Z"))).unwrap();
    assert_eq!(d.envelope.arrival, T0_MS - 1_800_000);
    for bad in [json!("soon"), json!(5), json!("2026-06-01T10:00:00.0001Z"), json!("1960-01-01T00:00:00Z"), json!([])] {
        assert_eq!(reason(file(&with(v.clone(), "received_at", bad.clone()))), Reason::InvalidValue, "{bad}");
    }
    assert!(detail(file(&with(v, "received_at", json!("soon")))).starts_with("field \"received_at\":"));
}

#[test]
fn received_at_is_ignored_on_kafka() {
    let v = with(event("ticket.updated", json!({"ticket_id": "T1"})), "received_at", json!("garbage"));
    let d = kafka(&v, Some("acme"), T0_MS + 7).unwrap();
    assert_eq!(d.envelope.arrival, T0_MS + 7);
    // No Kafka timestamp (-1): the arrival time is ts.
    assert_eq!(kafka(&v, Some("acme"), -1).unwrap().envelope.arrival, T0_MS);
}

#[test]
fn future_skew() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    let hour = 3_600_000;
    // Kafka: arrival is the record timestamp.
    assert!(kafka(&v, Some("acme"), T0_MS - hour).is_ok());
    assert_eq!(reason(kafka(&v, Some("acme"), T0_MS - hour - 1)), Reason::InvalidValue);
    assert!(kafka(&v, Some("acme"), T0_MS + 10 * hour).is_ok());
    assert!(detail(kafka(&v, Some("acme"), T0_MS - hour - 1)).contains("max_future_skew"));
    // File: arrival is received_at.
    assert!(file(&with(v.clone(), "received_at", json!("2026-06-01T09:00:00Z"))).is_ok());
    let skewed = with(v.clone(), "received_at", json!("2026-06-01T08:59:59.999Z"));
    assert_eq!(reason(file(&skewed)), Reason::InvalidValue);
    // A zero skew allows nothing ahead of arrival.
    let strict = DecodeLimits { max_future_skew_ms: 0, ..LIMITS };
    assert!(decode_envelope(&bytes(&v), &strict, Source::Kafka { key: Some(b"acme"), timestamp: T0_MS }).is_ok());
    let early = Source::Kafka { key: Some(b"acme"), timestamp: T0_MS - 1 };
    assert_eq!(reason(decode_envelope(&bytes(&v), &strict, early)), Reason::InvalidValue);
}

#[test]
fn envelope_order() {
    let v = event("ticket.updated", json!({"ticket_id": "T1"}));
    let big = |v: Value| with(v, "pad", json!("a".repeat(70_000)));
    // size before event_id, event_id before tenant, tenant before ts, ts before received_at,
    // received_at before skew.
    assert!(detail(file(&big(without(v.clone(), "event_id")))).starts_with("record is"));
    assert!(detail(file(&without(without(v.clone(), "event_id"), "tenant"))).contains("event_id"));
    assert!(detail(file(&with(with(v.clone(), "event_id", json!("")), "tenant", json!("")))).contains("event_id"));
    assert!(detail(file(&with(without(v.clone(), "tenant"), "ts", json!("x")))).contains("tenant"));
    assert!(detail(file(&with(with(v.clone(), "ts", json!("x")), "received_at", json!("y")))).contains("\"ts\""));
    let both = with(with(v.clone(), "ts", json!("2026-06-01T12:00:00Z")), "received_at", json!("y"));
    assert!(detail(file(&both)).contains("received_at"));
    // The body is not checked by phase one.
    assert!(file(&without(v, "ticket_id")).is_ok());
}

// ---- body ----

#[test]
fn minimal_events_decode_with_defaults() {
    let bodies: Vec<Body> = minimal().iter().map(|(v, _)| decode(v).unwrap()).collect();
    assert_eq!(
        bodies[0],
        Body::TicketCreated(TicketCreated {
            ticket_id: "T1".into(),
            priority: Priority::High,
            channel: "email".into(),
            customer_id: None,
            customer_tier: "standard".into(),
            group: None,
            skills: vec![],
            status: Status::New,
            context: Map::new(),
            assignee: None,
        })
    );
    assert_eq!(bodies[1], Body::TicketUpdated(TicketUpdated { ticket_id: "T1".into(), ..Default::default() }));
    assert_eq!(bodies[2], Body::TicketStatusChanged { ticket_id: "T1".into(), status: Status::Open });
    assert_eq!(bodies[3], Body::TicketAgentReplied { ticket_id: "T1".into(), agent_id: None, public: true });
    assert_eq!(bodies[4], Body::TicketCustomerReplied { ticket_id: "T1".into() });
    assert_eq!(bodies[5], Body::TicketAssigned { ticket_id: "T1".into(), agent_id: "a1".into() });
    assert_eq!(bodies[6], Body::TicketUnassigned { ticket_id: "T1".into() });
    assert_eq!(
        bodies[7],
        Body::TicketEscalationRequested(EscalationRequested {
            ticket_id: "T1".into(),
            kind: EscalationKind::Functional,
            reason: None,
            skills: None,
            group: None,
        })
    );
    assert_eq!(
        bodies[8],
        Body::AgentUpserted(AgentProfile {
            agent_id: "a1".into(),
            skills: vec![],
            capacity: vec![("*".into(), 1)],
            supervisor_id: None,
            groups: vec![],
        })
    );
    assert_eq!(bodies[9], Body::AgentStatusChanged { agent_id: "a1".into(), status: AgentStatus::Busy });
    assert_eq!(bodies[10], Body::AgentRemoved { agent_id: "a1".into() });
    assert_eq!(
        bodies[11],
        Body::ContactStep(ContactStep { customer_id: "c1".into(), step: "faq".into(), outcome: None, data: None })
    );
}

#[test]
fn every_required_field_is_required() {
    for (v, required) in minimal() {
        for field in required {
            let absent = without(v.clone(), field);
            let result = decode(&absent);
            assert_eq!(detail(result.clone()), format!("missing field \"{field}\""), "{absent}");
            assert_eq!(reason(result), Reason::MissingField);
            assert_eq!(reason(decode(&with(v.clone(), field, Value::Null))), Reason::MissingField, "{v} {field}");
            for bad in [json!(12), json!(""), json!(["x"]), json!({"x": 1}), json!(true)] {
                assert_eq!(
                    reason(decode(&with(v.clone(), field, bad.clone()))),
                    Reason::InvalidValue,
                    "{v} {field} {bad}"
                );
            }
        }
    }
}

#[test]
fn required_fields_in_table_order_then_optional_ones() {
    let v = event("ticket.created", json!({}));
    // Both missing: the first in the table.
    assert_eq!(detail(decode(&v)), "missing field \"ticket_id\"");
    // The first field is invalid, the second missing: the first is reported.
    assert_eq!(reason(decode(&with(v.clone(), "ticket_id", json!("a/b")))), Reason::InvalidValue);
    // The first is fine, the second missing, an optional one invalid: the required one wins.
    let v = with(with(v, "ticket_id", json!("T1")), "status", json!("bogus"));
    assert_eq!(detail(decode(&v)), "missing field \"priority\"");
    // Optional fields in table order: channel before customer_tier before status.
    let v = with(with(with(v, "priority", json!("low")), "customer_tier", json!(1)), "channel", json!(2));
    assert!(detail(decode(&v)).starts_with("field \"channel\""));
    let contact = event("contact.step", json!({"step": 1}));
    assert_eq!(detail(decode(&contact)), "missing field \"customer_id\"");
    let contact = event("contact.step", json!({"customer_id": "", "step": 1}));
    assert!(detail(decode(&contact)).starts_with("field \"customer_id\""));
}

#[test]
fn ticket_id_has_no_slash() {
    for t in ["ticket.created", "ticket.updated", "ticket.agent_replied", "ticket.unassigned"] {
        let v = event(t, json!({"ticket_id": "T/1", "priority": "low"}));
        assert_eq!(reason(decode(&v)), Reason::InvalidValue);
        assert_eq!(detail(decode(&v)), "field \"ticket_id\": must not contain \"/\", got \"T/1\"");
    }
}

#[test]
fn ticket_created_full() {
    let v = event(
        "ticket.created",
        json!({
            "ticket_id": "T1", "priority": "urgent", "channel": "chat", "customer_id": "c9",
            "customer_tier": "gold", "group": "billing",
            "skills": [{"name": "fr", "min_level": 3, "optional": true}, {"name": "vat"}, {"name": "x", "min_level": null, "optional": null, "note": 1}],
            "status": "on_hold", "context": {"order": 42, "nested": {"a": [1]}}, "assignee": "a1", "unknown": [1, 2],
        }),
    );
    let Body::TicketCreated(t) = decode(&v).unwrap() else { panic!() };
    assert_eq!(t.priority, Priority::Urgent);
    assert_eq!(t.channel, "chat");
    assert_eq!(t.customer_id.as_deref(), Some("c9"));
    assert_eq!(t.customer_tier, "gold");
    assert_eq!(t.group.as_deref(), Some("billing"));
    assert_eq!(
        t.skills,
        vec![
            SkillRequirement { name: "fr".into(), min_level: 3, optional: true },
            SkillRequirement { name: "vat".into(), min_level: 1, optional: false },
            SkillRequirement { name: "x".into(), min_level: 1, optional: false },
        ]
    );
    assert_eq!(t.status, Status::OnHold);
    assert_eq!(Value::Object(t.context), json!({"order": 42, "nested": {"a": [1]}}));
    assert_eq!(t.assignee.as_deref(), Some("a1"));
}

#[test]
fn null_optional_fields_take_their_defaults() {
    let nulls = json!({
        "ticket_id": "T1", "priority": "low", "channel": null, "customer_id": null, "customer_tier": null,
        "group": null, "skills": null, "status": null, "context": null, "assignee": null,
    });
    let Body::TicketCreated(t) = decode(&event("ticket.created", nulls)).unwrap() else { panic!() };
    assert_eq!((t.channel.as_str(), t.customer_tier.as_str(), t.status), ("email", "standard", Status::New));
    assert!(t.customer_id.is_none() && t.group.is_none() && t.assignee.is_none() && t.skills.is_empty());
    assert!(t.context.is_empty());
    let v = event(
        "agent.upserted",
        json!({"agent_id": "a", "skills": null, "capacity": null, "groups": null, "supervisor_id": null}),
    );
    let Body::AgentUpserted(a) = decode(&v).unwrap() else { panic!() };
    assert_eq!((a.skills, a.capacity, a.groups, a.supervisor_id), (vec![], vec![("*".into(), 1)], vec![], None));
    let v = event("ticket.agent_replied", json!({"ticket_id": "T1", "public": null, "agent_id": null}));
    assert_eq!(decode(&v).unwrap(), Body::TicketAgentReplied { ticket_id: "T1".into(), agent_id: None, public: true });
    let v = event("ticket.updated", json!({"ticket_id": "T1", "priority": null, "context": null, "skills": null}));
    assert_eq!(
        decode(&v).unwrap(),
        Body::TicketUpdated(TicketUpdated { ticket_id: "T1".into(), ..Default::default() })
    );
}

#[test]
fn enum_values() {
    let base = event("ticket.created", json!({"ticket_id": "T1"}));
    for p in Priority::ALL {
        let Body::TicketCreated(t) = decode(&with(base.clone(), "priority", json!(p.as_str()))).unwrap() else {
            panic!()
        };
        assert_eq!(t.priority, p);
    }
    for bad in [json!("asap"), json!("Urgent"), json!("URGENT"), json!(""), json!(1), json!(["high"])] {
        assert_eq!(reason(decode(&with(base.clone(), "priority", bad.clone()))), Reason::InvalidValue, "{bad}");
    }
    assert_eq!(
        detail(decode(&with(base.clone(), "priority", json!("asap")))),
        "field \"priority\": expected one of urgent, high, normal, low, got \"asap\""
    );
    let base = with(base, "priority", json!("low"));
    for s in Status::ALL {
        let Body::TicketCreated(t) = decode(&with(base.clone(), "status", json!(s.as_str()))).unwrap() else {
            panic!()
        };
        assert_eq!(t.status, s);
        let v = event("ticket.status_changed", json!({"ticket_id": "T1", "status": s.as_str()}));
        assert_eq!(decode(&v).unwrap(), Body::TicketStatusChanged { ticket_id: "T1".into(), status: s });
    }
    for bad in ["onhold", "on-hold", "reopened", "Open"] {
        assert_eq!(reason(decode(&with(base.clone(), "status", json!(bad)))), Reason::InvalidValue);
        let v = event("ticket.status_changed", json!({"ticket_id": "T1", "status": bad}));
        assert_eq!(reason(decode(&v)), Reason::InvalidValue);
    }
    for (text, status) in [
        ("available", AgentStatus::Available),
        ("busy", AgentStatus::Busy),
        ("away", AgentStatus::Away),
        ("offline", AgentStatus::Offline),
    ] {
        let v = event("agent.status_changed", json!({"agent_id": "a", "status": text}));
        assert_eq!(decode(&v).unwrap(), Body::AgentStatusChanged { agent_id: "a".into(), status });
    }
    for bad in [json!("open"), json!("Available"), json!(0)] {
        let v = event("agent.status_changed", json!({"agent_id": "a", "status": bad}));
        assert_eq!(reason(decode(&v)), Reason::InvalidValue);
    }
}

#[test]
fn skills_of_a_ticket() {
    let base = event("ticket.created", json!({"ticket_id": "T1", "priority": "low"}));
    let skills = |s: Value| decode(&with(base.clone(), "skills", s));
    let Body::TicketCreated(t) =
        skills(json!([{"name": "a", "min_level": 0}, {"name": "b", "min_level": 10}])).unwrap()
    else {
        panic!()
    };
    assert_eq!((t.skills[0].min_level, t.skills[1].min_level), (0, 10));
    assert!(skills(json!([])).is_ok());
    for (bad, at) in [
        (json!("fr"), "skills"),
        (json!({"name": "fr"}), "skills"),
        (json!(["fr"]), "skills[0]"),
        (json!([{"name": "fr"}, null]), "skills[1]"),
        (json!([{"min_level": 2}]), "skills[0].name"),
        (json!([{"name": null}]), "skills[0].name"),
        (json!([{"name": ""}]), "skills[0].name"),
        (json!([{"name": 5}]), "skills[0].name"),
        (json!([{"name": "fr", "min_level": 11}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": -1}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": 1.5}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": 2.0}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": "2"}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": 1e30}]), "skills[0].min_level"),
        (json!([{"name": "fr", "min_level": u64::MAX}]), "skills[0].min_level"),
        (json!([{"name": "fr"}, {"name": "de", "optional": "yes"}]), "skills[1].optional"),
        (json!([{"name": "fr", "optional": 1}]), "skills[0].optional"),
    ] {
        let result = skills(bad.clone());
        assert!(detail(result.clone()).starts_with(&format!("field \"{at}\": ")), "{bad}: {result:?}");
        assert_eq!(reason(result), Reason::InvalidValue, "{bad}");
    }
    assert_eq!(
        detail(skills(json!([{"name": "fr", "min_level": 11}]))),
        "field \"skills[0].min_level\": expected an integer from 0 to 10, got 11"
    );
    // ticket.updated reads skills the same way.
    let v = event("ticket.updated", json!({"ticket_id": "T1", "skills": [{"name": "fr", "min_level": 12}]}));
    assert_eq!(reason(decode(&v)), Reason::InvalidValue);
    let v = event("ticket.updated", json!({"ticket_id": "T1", "skills": []}));
    let Body::TicketUpdated(u) = decode(&v).unwrap() else { panic!() };
    assert_eq!(u.skills, Some(vec![]));
}

#[test]
fn ticket_updated_fields() {
    let v = event(
        "ticket.updated",
        json!({"ticket_id": "T1", "priority": "urgent", "customer_tier": "vip", "group": "g", "channel": "phone",
               "skills": [{"name": "fr"}], "context": {"k": "v"}}),
    );
    let Body::TicketUpdated(u) = decode(&v).unwrap() else { panic!() };
    assert_eq!(u.priority, Some(Priority::Urgent));
    assert_eq!(u.customer_tier.as_deref(), Some("vip"));
    assert_eq!(u.group.as_deref(), Some("g"));
    assert_eq!(u.channel.as_deref(), Some("phone"));
    assert_eq!(u.skills.unwrap()[0].min_level, 1);
    assert_eq!(u.context.unwrap().get("k"), Some(&json!("v")));
    for (field, bad) in [
        ("priority", json!("p1")),
        ("customer_tier", json!("")),
        ("group", json!(3)),
        ("channel", json!([])),
        ("skills", json!({})),
        ("context", json!([])),
        ("context", json!("k=v")),
    ] {
        let v = event("ticket.updated", json!({"ticket_id": "T1", field: bad}));
        assert!(detail(decode(&v)).starts_with(&format!("field \"{field}\"")), "{field}");
    }
}

#[test]
fn agent_replied_public() {
    let v = event("ticket.agent_replied", json!({"ticket_id": "T1", "agent_id": "a", "public": false}));
    assert_eq!(
        decode(&v).unwrap(),
        Body::TicketAgentReplied { ticket_id: "T1".into(), agent_id: Some("a".into()), public: false }
    );
    for bad in [json!("false"), json!(0), json!([])] {
        let v = event("ticket.agent_replied", json!({"ticket_id": "T1", "public": bad}));
        assert_eq!(reason(decode(&v)), Reason::InvalidValue);
    }
    let v = event("ticket.agent_replied", json!({"ticket_id": "T1", "agent_id": ""}));
    assert_eq!(reason(decode(&v)), Reason::InvalidValue);
}

#[test]
fn escalation_requested() {
    let v = event(
        "ticket.escalation_requested",
        json!({"ticket_id": "T1", "kind": "functional", "reason": "needs tier 2", "skills": [{"name": "tier2", "min_level": 2}], "group": "l2"}),
    );
    let Body::TicketEscalationRequested(e) = decode(&v).unwrap() else { panic!() };
    assert_eq!(e.kind, EscalationKind::Functional);
    assert_eq!(e.reason.as_deref(), Some("needs tier 2"));
    assert_eq!(e.skills, Some(vec![SkillRequirement { name: "tier2".into(), min_level: 2, optional: false }]));
    assert_eq!(e.group.as_deref(), Some("l2"));
    // Hierarchical: skills and group are ignored, even when invalid.
    let h = with(with(with(v.clone(), "kind", json!("hierarchical")), "skills", json!("junk")), "group", json!(1));
    let Body::TicketEscalationRequested(e) = decode(&h).unwrap() else { panic!() };
    assert_eq!((e.kind, e.skills, e.group), (EscalationKind::Hierarchical, None, None));
    assert_eq!(e.reason.as_deref(), Some("needs tier 2"));
    // An empty reason is a reason.
    let Body::TicketEscalationRequested(e) = decode(&with(h.clone(), "reason", json!(""))).unwrap() else { panic!() };
    assert_eq!(e.reason.as_deref(), Some(""));
    assert_eq!(reason(decode(&with(h, "reason", json!(3)))), Reason::InvalidValue);
    // Functional: checked.
    assert_eq!(reason(decode(&with(v.clone(), "skills", json!("junk")))), Reason::InvalidValue);
    assert_eq!(reason(decode(&with(v.clone(), "group", json!("")))), Reason::InvalidValue);
    for bad in [json!("Functional"), json!("manual"), json!(1)] {
        let result = decode(&with(v.clone(), "kind", bad));
        assert!(detail(result.clone()).contains("one of functional, hierarchical"));
        assert_eq!(reason(result), Reason::InvalidValue);
    }
}

#[test]
fn agent_upserted() {
    let v = event(
        "agent.upserted",
        json!({"agent_id": "a1", "skills": [{"name": "fr", "level": 7}, {"name": "de", "level": 0, "since": 2020}],
               "capacity": {"email": 5, "chat": 0, "*": 2, "phone": null}, "supervisor_id": "s1", "groups": ["l1", "billing"]}),
    );
    let Body::AgentUpserted(a) = decode(&v).unwrap() else { panic!() };
    assert_eq!(a.skills, vec![AgentSkill { name: "fr".into(), level: 7 }, AgentSkill { name: "de".into(), level: 0 }]);
    let mut capacity = a.capacity.clone();
    capacity.sort();
    assert_eq!(capacity, vec![("*".into(), 2), ("chat".into(), 0), ("email".into(), 5)]);
    assert_eq!(a.supervisor_id.as_deref(), Some("s1"));
    assert_eq!(a.groups, vec!["l1".to_owned(), "billing".to_owned()]);
    // Big levels fit u32.
    let big = with(v.clone(), "skills", json!([{"name": "x", "level": u32::MAX}]));
    assert!(decode(&big).is_ok());
    // An empty capacity object is no capacity, not the default.
    let Body::AgentUpserted(a) = decode(&with(v.clone(), "capacity", json!({}))).unwrap() else { panic!() };
    assert!(a.capacity.is_empty());
    for (field, bad, at) in [
        ("skills", json!({"fr": 1}), "skills"),
        ("skills", json!([{"name": "fr"}]), "skills[0].level"),
        ("skills", json!([{"level": 1}]), "skills[0].name"),
        ("skills", json!([{"name": "fr", "level": -1}]), "skills[0].level"),
        ("skills", json!([{"name": "fr", "level": 1.5}]), "skills[0].level"),
        ("skills", json!([{"name": "fr", "level": u64::from(u32::MAX) + 1}]), "skills[0].level"),
        ("skills", json!([{"name": "fr", "level": "3"}]), "skills[0].level"),
        ("capacity", json!(3), "capacity"),
        ("capacity", json!([["email", 1]]), "capacity"),
        ("capacity", json!({"email": -1}), "capacity.email"),
        ("capacity", json!({"email": 1, "chat": "2"}), "capacity.chat"),
        ("capacity", json!({"email": 1.5}), "capacity.email"),
        ("capacity", json!({"": 1}), "capacity"),
        ("supervisor_id", json!(""), "supervisor_id"),
        ("supervisor_id", json!(1), "supervisor_id"),
        ("groups", json!("l1"), "groups"),
        ("groups", json!(["l1", 2]), "groups[1]"),
        ("groups", json!(["l1", ""]), "groups[1]"),
        ("groups", json!([null]), "groups[0]"),
    ] {
        let result = decode(&with(v.clone(), field, bad.clone()));
        assert!(detail(result.clone()).starts_with(&format!("field \"{at}\": ")), "{bad}: {result:?}");
        assert_eq!(reason(result), Reason::InvalidValue, "{bad}");
    }
}

#[test]
fn contact_step() {
    let v = event(
        "contact.step",
        json!({"customer_id": "c1", "step": "my-custom-step", "outcome": "abandoned", "data": {"q": "refund"}}),
    );
    let Body::ContactStep(s) = decode(&v).unwrap() else { panic!() };
    assert_eq!(s.step, "my-custom-step");
    assert_eq!(s.outcome, Some(StepOutcome::Abandoned));
    assert_eq!(Value::Object(s.data.unwrap()), json!({"q": "refund"}));
    for o in ["resolved", "unresolved", "abandoned"] {
        let Body::ContactStep(s) = decode(&with(v.clone(), "outcome", json!(o))).unwrap() else { panic!() };
        assert_eq!(s.outcome.unwrap().as_str(), o);
    }
    for (field, bad) in [
        ("outcome", json!("done")),
        ("outcome", json!(true)),
        ("data", json!("x")),
        ("data", json!([1])),
        ("step", json!("")),
    ] {
        assert_eq!(reason(decode(&with(v.clone(), field, bad))), Reason::InvalidValue, "{field}");
    }
    // The data object is kept as given, null members included.
    let Body::ContactStep(s) = decode(&with(v, "data", json!({"a": null}))).unwrap() else { panic!() };
    assert_eq!(s.data.unwrap().get("a"), Some(&Value::Null));
}

#[test]
fn details_are_one_short_line() {
    let long = "x\n".repeat(10_000);
    let v = event("ticket.created", json!({"ticket_id": "T1", "priority": long}));
    let d = detail(decode(&v));
    assert!(d.len() < 200 && !d.contains('\n'), "{d}");
    assert!(d.starts_with("field \"priority\": expected one of urgent, high, normal, low, got \"x\\nx"), "{d}");
    let v = event("agent.upserted", json!({"agent_id": "a", "capacity": {long.clone(): "x"}}));
    let d = detail(decode(&v));
    assert!(d.len() < 300 && !d.contains('\n'), "{d}");
    let v = with(event("ticket.updated", json!({})), "type", json!(long));
    let d = detail(file(&v));
    assert!(d.len() < 200 && !d.contains('\n'), "{d}");
}

#[test]
fn duplicate_keys_last_wins() {
    let record = br#"{"type":"ticket.status_changed","event_id":"e1","tenant":"acme","ts":"2026-06-01T10:00:00Z","ticket_id":"T1","status":"nope","status":"open"}"#;
    let d = decode_envelope(record, &LIMITS, Source::File).unwrap();
    assert_eq!(decode_body(&d).unwrap(), Body::TicketStatusChanged { ticket_id: "T1".into(), status: Status::Open });
}

#[test]
fn whitespace_around_the_object_is_fine() {
    let record = b" \t{\"type\":\"agent.removed\",\"event_id\":\"e\",\"tenant\":\"t\",\"ts\":\"2026-06-01T10:00:00Z\",\"agent_id\":\"a\"}\r\n";
    let d = decode_envelope(record, &LIMITS, Source::File).unwrap();
    assert_eq!(decode_body(&d).unwrap(), Body::AgentRemoved { agent_id: "a".into() });
}
