//! Properties of input decoding: no bytes make it panic, a valid event round-trips, and a
//! decode that succeeds reports exactly the fields of the record.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use slad::contract::decode::{decode_body, decode_envelope, DecodeLimits, Decoded, Source};
use slad::contract::*;
use slad::time::{format_rfc3339, parse_rfc3339};

const LIMITS: DecodeLimits = DecodeLimits { max_event_bytes: 65536, max_future_skew_ms: 3_600_000 };

const FIELDS: &[&str] = &[
    "type",
    "event_id",
    "tenant",
    "ts",
    "received_at",
    "ticket_id",
    "priority",
    "channel",
    "customer_id",
    "customer_tier",
    "group",
    "skills",
    "status",
    "context",
    "assignee",
    "agent_id",
    "public",
    "kind",
    "reason",
    "capacity",
    "supervisor_id",
    "groups",
    "step",
    "outcome",
    "data",
    "name",
    "level",
    "min_level",
    "optional",
];

const WORDS: &[&str] = &[
    "urgent",
    "high",
    "normal",
    "low",
    "new",
    "open",
    "pending",
    "on_hold",
    "solved",
    "closed",
    "available",
    "busy",
    "away",
    "offline",
    "functional",
    "hierarchical",
    "resolved",
    "unresolved",
    "abandoned",
    "email",
    "*",
    "acme",
    "T1",
    "a/b",
    "",
    "2026-06-01T10:00:00Z",
    "2026-06-01T10:00:00.0001Z",
    "1969-01-01T00:00:00Z",
];

fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => ".{0,8}",
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    json_values(true)
}

/// JSON values; without `floats`, every number survives a trip through text exactly.
fn json_values(floats: bool) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-20i64..20).prop_map(Value::from),
        any::<f64>().prop_map(move |f| if floats { Value::from(f) } else { Value::from(f as i64) }),
        proptest::sample::select(WORDS).prop_map(Value::from),
        proptest::sample::select(EventType::ALL.as_slice()).prop_map(|t| Value::from(t.as_str())),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(any_key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn kafka(key: &[u8]) -> Source<'_> {
    Source::Kafka { key: Some(key), timestamp: 1_780_308_000_000 }
}

/// Whatever the input, no panic; when both phases pass, the result says what the record says.
fn check(record: &[u8], source: Source<'_>) -> Result<(), TestCaseError> {
    let Ok(decoded) = decode_envelope(record, &LIMITS, source) else {
        return Ok(());
    };
    check_envelope(&decoded)?;
    if let Ok(body) = decode_body(&decoded) {
        check_body(&decoded.object, &body)?;
    }
    Ok(())
}

fn check_envelope(decoded: &Decoded) -> Result<(), TestCaseError> {
    let (e, o) = (&decoded.envelope, &decoded.object);
    prop_assert_eq!(o["type"].as_str(), Some(e.event_type.as_str()));
    prop_assert_eq!(o["event_id"].as_str(), Some(e.event_id.as_str()));
    prop_assert_eq!(o["tenant"].as_str(), Some(e.tenant.as_str()));
    prop_assert!(!e.event_id.is_empty() && !e.tenant.is_empty() && !e.tenant.contains('/'));
    prop_assert_eq!(parse_rfc3339(o["ts"].as_str().unwrap()).ok(), Some(e.ts));
    prop_assert!(e.ts >= 0 && e.ts - e.arrival <= LIMITS.max_future_skew_ms);
    Ok(())
}

fn check_body(o: &Map<String, Value>, body: &Body) -> Result<(), TestCaseError> {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let (ticket_id, agent_id, customer_id) = match body {
        Body::TicketCreated(t) => (Some(&t.ticket_id), None, None),
        Body::TicketUpdated(t) => (Some(&t.ticket_id), None, None),
        Body::TicketStatusChanged { ticket_id, .. }
        | Body::TicketCustomerReplied { ticket_id }
        | Body::TicketUnassigned { ticket_id } => (Some(ticket_id), None, None),
        Body::TicketAgentReplied { ticket_id, agent_id, .. } => (Some(ticket_id), agent_id.as_ref(), None),
        Body::TicketAssigned { ticket_id, agent_id } => (Some(ticket_id), Some(agent_id), None),
        Body::TicketEscalationRequested(e) => (Some(&e.ticket_id), None, None),
        Body::AgentUpserted(a) => (None, Some(&a.agent_id), None),
        Body::AgentStatusChanged { agent_id, .. } | Body::AgentRemoved { agent_id } => (None, Some(agent_id), None),
        Body::ContactStep(c) => (None, None, Some(&c.customer_id)),
    };
    if let Some(id) = ticket_id {
        prop_assert_eq!(s("ticket_id"), Some(id.as_str()));
        prop_assert!(!id.is_empty() && !id.contains('/'));
    }
    if let Some(id) = agent_id {
        prop_assert_eq!(s("agent_id"), Some(id.as_str()));
    }
    if let Some(id) = customer_id {
        prop_assert_eq!(s("customer_id"), Some(id.as_str()));
    }
    Ok(())
}

// ---- typed events, to round-trip ----

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,10}"
}

fn opt_id() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(id())
}

fn skill_requirements() -> impl Strategy<Value = Vec<SkillRequirement>> {
    vec(
        (id(), 0u32..=10, any::<bool>()).prop_map(|(name, min_level, optional)| SkillRequirement {
            name: name.into(),
            min_level,
            optional,
        }),
        0..4,
    )
}

fn small_object() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(".{0,6}", json_values(false), 0..4).prop_map(|m| m.into_iter().collect())
}

fn priority() -> impl Strategy<Value = Priority> {
    proptest::sample::select(Priority::ALL.as_slice())
}

fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(Status::ALL.as_slice())
}

fn body() -> impl Strategy<Value = Body> {
    let created = (
        (id(), priority(), id(), opt_id(), id(), opt_id()),
        (skill_requirements(), status(), small_object(), opt_id()),
    )
        .prop_map(
            |(
                (ticket_id, priority, channel, customer_id, customer_tier, group),
                (skills, status, context, assignee),
            )| {
                Body::TicketCreated(TicketCreated {
                    ticket_id,
                    priority,
                    channel,
                    customer_id,
                    customer_tier,
                    group,
                    skills,
                    status,
                    context,
                    assignee,
                })
            },
        );
    let updated = (
        id(),
        proptest::option::of(priority()),
        opt_id(),
        opt_id(),
        opt_id(),
        proptest::option::of(skill_requirements()),
        proptest::option::of(small_object()),
    )
        .prop_map(|(ticket_id, priority, customer_tier, group, channel, skills, context)| {
            Body::TicketUpdated(TicketUpdated { ticket_id, priority, customer_tier, group, channel, skills, context })
        });
    let escalation =
        (id(), any::<bool>(), proptest::option::of(".{0,10}"), proptest::option::of(skill_requirements()), opt_id())
            .prop_map(|(ticket_id, functional, reason, skills, group)| {
                let (kind, skills, group) = if functional {
                    (EscalationKind::Functional, skills, group)
                } else {
                    (EscalationKind::Hierarchical, None, None)
                };
                Body::TicketEscalationRequested(EscalationRequested { ticket_id, kind, reason, skills, group })
            });
    let agent = (
        id(),
        vec((id(), any::<u32>()).prop_map(|(name, level)| AgentSkill { name, level }), 0..4),
        btree_map(prop_oneof![Just("*".to_owned()), id()], any::<u32>(), 0..4),
        opt_id(),
        vec(id(), 0..4),
    )
        .prop_map(|(agent_id, skills, capacity, supervisor_id, groups)| {
            Body::AgentUpserted(AgentProfile {
                agent_id,
                skills,
                capacity: capacity.into_iter().collect(),
                supervisor_id,
                groups,
            })
        });
    let agent_status = proptest::sample::select(
        &[AgentStatus::Available, AgentStatus::Busy, AgentStatus::Away, AgentStatus::Offline][..],
    );
    let outcome = proptest::option::of(proptest::sample::select(
        &[StepOutcome::Resolved, StepOutcome::Unresolved, StepOutcome::Abandoned][..],
    ));
    prop_oneof![
        created,
        updated,
        (id(), status()).prop_map(|(ticket_id, status)| Body::TicketStatusChanged { ticket_id, status }),
        (id(), opt_id(), any::<bool>()).prop_map(|(ticket_id, agent_id, public)| Body::TicketAgentReplied {
            ticket_id,
            agent_id,
            public
        }),
        id().prop_map(|ticket_id| Body::TicketCustomerReplied { ticket_id }),
        (id(), id()).prop_map(|(ticket_id, agent_id)| Body::TicketAssigned { ticket_id, agent_id }),
        id().prop_map(|ticket_id| Body::TicketUnassigned { ticket_id }),
        escalation,
        agent,
        (id(), agent_status).prop_map(|(agent_id, status)| Body::AgentStatusChanged { agent_id, status }),
        id().prop_map(|agent_id| Body::AgentRemoved { agent_id }),
        (id(), ".{1,10}", outcome, proptest::option::of(small_object())).prop_map(
            |(customer_id, step, outcome, data)| {
                Body::ContactStep(ContactStep { customer_id, step, outcome, data })
            }
        ),
    ]
}

fn skills_json(skills: &[SkillRequirement]) -> Value {
    skills.iter().map(|s| json!({"name": s.name, "min_level": s.min_level, "optional": s.optional})).collect()
}

fn agent_status_str(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Available => "available",
        AgentStatus::Busy => "busy",
        AgentStatus::Away => "away",
        AgentStatus::Offline => "offline",
    }
}

/// The JSON fields of a body (absent options are left out) and its type.
fn encode(body: &Body) -> (EventType, Value) {
    let mut o = json!({});
    let (t, fields) = match body {
        Body::TicketCreated(t) => (
            EventType::TicketCreated,
            json!({"ticket_id": t.ticket_id, "priority": t.priority.as_str(), "channel": t.channel,
                   "customer_id": t.customer_id, "customer_tier": t.customer_tier, "group": t.group,
                   "skills": skills_json(&t.skills), "status": t.status.as_str(), "context": t.context,
                   "assignee": t.assignee}),
        ),
        Body::TicketUpdated(t) => (
            EventType::TicketUpdated,
            json!({"ticket_id": t.ticket_id, "priority": t.priority.map(Priority::as_str),
                   "customer_tier": t.customer_tier, "group": t.group, "channel": t.channel,
                   "skills": t.skills.as_deref().map(skills_json), "context": t.context}),
        ),
        Body::TicketStatusChanged { ticket_id, status } => {
            (EventType::TicketStatusChanged, json!({"ticket_id": ticket_id, "status": status.as_str()}))
        }
        Body::TicketAgentReplied { ticket_id, agent_id, public } => {
            (EventType::TicketAgentReplied, json!({"ticket_id": ticket_id, "agent_id": agent_id, "public": public}))
        }
        Body::TicketCustomerReplied { ticket_id } => {
            (EventType::TicketCustomerReplied, json!({"ticket_id": ticket_id}))
        }
        Body::TicketAssigned { ticket_id, agent_id } => {
            (EventType::TicketAssigned, json!({"ticket_id": ticket_id, "agent_id": agent_id}))
        }
        Body::TicketUnassigned { ticket_id } => (EventType::TicketUnassigned, json!({"ticket_id": ticket_id})),
        Body::TicketEscalationRequested(e) => (
            EventType::TicketEscalationRequested,
            json!({"ticket_id": e.ticket_id,
                   "kind": if e.kind == EscalationKind::Functional { "functional" } else { "hierarchical" },
                   "reason": e.reason, "skills": e.skills.as_deref().map(skills_json), "group": e.group}),
        ),
        Body::AgentUpserted(a) => (
            EventType::AgentUpserted,
            json!({"agent_id": a.agent_id,
                   "skills": a.skills.iter().map(|s| json!({"name": s.name, "level": s.level})).collect::<Vec<_>>(),
                   "capacity": a.capacity.iter().map(|(c, n)| (c.clone(), json!(n))).collect::<Map<_, _>>(),
                   "supervisor_id": a.supervisor_id, "groups": a.groups}),
        ),
        Body::AgentStatusChanged { agent_id, status } => {
            (EventType::AgentStatusChanged, json!({"agent_id": agent_id, "status": agent_status_str(*status)}))
        }
        Body::AgentRemoved { agent_id } => (EventType::AgentRemoved, json!({"agent_id": agent_id})),
        Body::ContactStep(c) => (
            EventType::ContactStep,
            json!({"customer_id": c.customer_id, "step": c.step, "outcome": c.outcome.map(StepOutcome::as_str),
                   "data": c.data}),
        ),
    };
    for (k, v) in fields.as_object().unwrap() {
        o[k] = v.clone();
    }
    (t, o)
}

/// A field to damage, and how.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(String),
    Set(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        proptest::sample::select(FIELDS).prop_map(|k| Mutation::Remove(k.to_owned())),
        (any_key(), any_json()).prop_map(|(k, v)| Mutation::Set(k, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(record in vec(any::<u8>(), 0..256)) {
        check(&record, Source::File)?;
        check(&record, kafka(b"acme"))?;
        check(&record, Source::Kafka { key: None, timestamp: -1 })?;
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        let record = serde_json::to_vec(&value).unwrap();
        check(&record, Source::File)?;
        check(&record, kafka(b"acme"))?;
    }

    #[test]
    fn arbitrary_objects_with_an_envelope_never_panic(
        t in proptest::sample::select(EventType::ALL.as_slice()),
        fields in btree_map(any_key(), any_json(), 0..12),
        ts in 0i64..4_000_000_000_000,
    ) {
        let mut o = json!({"type": t.as_str(), "event_id": "e1", "tenant": "acme", "ts": format_rfc3339(ts)});
        for (k, v) in fields {
            o[k] = v;
        }
        let record = serde_json::to_vec(&o).unwrap();
        check(&record, Source::File)?;
        check(&record, kafka(b"acme"))?;
    }

    #[test]
    fn valid_events_round_trip(
        body in body(),
        event_id in ".{1,12}",
        tenant in "[a-z0-9-]{1,8}",
        ts in 0i64..253_402_300_799_999,
        delay in 0i64..86_400_000,
    ) {
        let (event_type, mut o) = encode(&body);
        o["type"] = json!(event_type.as_str());
        o["event_id"] = json!(event_id);
        o["tenant"] = json!(tenant);
        o["ts"] = json!(format_rfc3339(ts));
        let received = (ts + delay).min(253_402_300_799_999);
        o["received_at"] = json!(format_rfc3339(received));
        let record = serde_json::to_vec(&o).unwrap();

        let decoded = decode_envelope(&record, &LIMITS, Source::File).unwrap();
        let expected = Envelope { event_type, event_id: event_id.clone(), tenant: tenant.clone(), ts, arrival: received };
        prop_assert_eq!(&decoded.envelope, &expected);
        prop_assert_eq!(&decode_body(&decoded).unwrap(), &body);

        let decoded = decode_envelope(&record, &LIMITS, Source::Kafka { key: Some(tenant.as_bytes()), timestamp: ts }).unwrap();
        prop_assert_eq!(decoded.envelope.arrival, ts);
        prop_assert_eq!(&decode_body(&decoded).unwrap(), &body);

        let keyless = decode_envelope(&record, &LIMITS, Source::Kafka { key: None, timestamp: ts });
        prop_assert_eq!(keyless.unwrap_err().reason, Reason::TenantMismatch);
    }

    #[test]
    fn damaged_events_never_panic(body in body(), damage in vec(mutation(), 1..4)) {
        let (event_type, mut o) = encode(&body);
        o["type"] = json!(event_type.as_str());
        o["event_id"] = json!("e1");
        o["tenant"] = json!("acme");
        o["ts"] = json!("2026-06-01T10:00:00Z");
        for m in damage {
            match m {
                Mutation::Remove(k) => { o.as_object_mut().unwrap().remove(&k); }
                Mutation::Set(k, v) => o[k] = v,
            }
        }
        let record = serde_json::to_vec(&o).unwrap();
        check(&record, Source::File)?;
        check(&record, kafka(b"acme"))?;
        // Truncating a valid record anywhere gives malformed_json, never a panic.
        let cut = record.len() / 2;
        let result = decode_envelope(&record[..cut], &LIMITS, Source::File);
        prop_assert_eq!(result.unwrap_err().reason, Reason::MalformedJson);
    }
}
