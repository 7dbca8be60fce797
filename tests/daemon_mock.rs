//! The daemon in-process against librdkafka's in-process mock cluster: scenario files produced
//! as a backfill give the same outputs (ids and ts) as `slad simulate` on the same file, a
//! rejection lands in the dead-letter topic with its three headers, offsets are committed only
//! for acknowledged work, a restart resumes from the committed offset, and two members of one
//! group share the partitions.

// Tests are a shell too: they read the wall and monotonic clocks like the daemon does.
#![allow(clippy::disallowed_methods)]

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, Message};
use serde_json::Value;
use slad::daemon::{Daemon, Options, Outcome};
use slad::kafka::Settings;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PARTITIONS: i32 = 3;

struct Cluster {
    mock: MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    settings: Settings,
}

/// Logs to the test's captured output; `SLAD_LOG=debug` for more.
fn logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

fn cluster(group: &str) -> Cluster {
    logs();
    let mock = MockCluster::new(1).expect("mock cluster");
    let settings = Settings {
        brokers: mock.bootstrap_servers(),
        group_id: group.into(),
        input_topic: "support.events".into(),
        escalations_topic: "support.escalations".into(),
        notifications_topic: "support.notifications".into(),
        routing_topic: "support.routing".into(),
        dead_letter_topic: "support.events.dlq".into(),
        state_topic: "support.events.state".into(),
        exactly_once: false,
        properties: mock_properties(),
    };
    mock.create_topic(&settings.input_topic, PARTITIONS, 1).unwrap();
    for topic in output_topics(&settings) {
        mock.create_topic(&topic, 1, 1).unwrap();
    }
    mock.create_topic(&settings.dead_letter_topic, 1, 1).unwrap();
    Cluster { mock, settings }
}

/// The mock cluster's group coordinator ignores LeaveGroup and waits for a departed member's
/// session to time out before the next member joins: a short session keeps the tests quick.
fn mock_properties() -> std::collections::BTreeMap<String, String> {
    let mut properties: std::collections::BTreeMap<String, String> =
        [("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "500")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    if let Ok(debug) = std::env::var("SLAD_TEST_RDKAFKA_DEBUG") {
        properties.insert("debug".into(), debug);
    }
    properties
}

fn output_topics(s: &Settings) -> Vec<String> {
    vec![s.escalations_topic.clone(), s.notifications_topic.clone(), s.routing_topic.clone()]
}

fn options(shards: usize) -> Options {
    Options { shards, drain_timeout: Duration::from_secs(10), revoke_timeout: Duration::from_secs(5), state: None }
}

fn wall_ms() -> i64 {
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The input lines of a scenario (comments and blank lines dropped).
fn lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).map(str::to_owned).collect()
}

/// Produces lines as a backfill: key = tenant, record timestamp = `received_at`, else `ts`.
fn produce(brokers: &str, topic: &str, lines: &[String]) {
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let tenant = v["tenant"].as_str().map(str::to_owned);
        let at = v["received_at"].as_str().or(v["ts"].as_str()).and_then(|t| slad::time::parse_rfc3339(t).ok());
        let mut record: BaseRecord<'_, str, str> = BaseRecord::to(topic).payload(line.as_str());
        if let Some(tenant) = &tenant {
            record = record.key(tenant.as_str());
        }
        if let Some(at) = at {
            record = record.timestamp(at);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// `slad simulate` on the same lines, until `until`.
fn simulate(config_text: &str, lines: &[String], until: i64) -> Vec<Value> {
    let config = slad::config::parse(config_text).unwrap();
    let input = lines.join("\n");
    let mut out = Vec::new();
    let mut err = Vec::new();
    slad::simulate::run(Arc::new(config.rules), input.as_bytes(), Some(until), false, &mut out, &mut err).unwrap();
    String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every record of `topics` from the beginning, until `enough` says so or `timeout`.
fn read_topics(
    brokers: &str,
    topics: &[String],
    timeout: Duration,
    enough: impl Fn(&[rdkafka::message::OwnedMessage]) -> bool,
) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "slad-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        let meta = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)).unwrap();
        for t in meta.topics() {
            for p in t.partitions() {
                tpl.add_partition_offset(topic, p.id(), Offset::Beginning).unwrap();
            }
        }
    }
    consumer.assign(&tpl).unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    while started.elapsed() < timeout {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push(m.detach());
        } else if enough(&got) {
            break;
        }
    }
    got
}

fn json_of(messages: &[rdkafka::message::OwnedMessage]) -> Vec<Value> {
    messages.iter().filter_map(|m| m.payload().and_then(|p| serde_json::from_slice(p).ok())).collect()
}

/// `(id, ts, type)` of each output, as a set.
fn identities(values: &[Value]) -> BTreeSet<(String, String, String)> {
    values
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap_or("").to_owned(),
                v["ts"].as_str().unwrap_or("").to_owned(),
                v["type"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn wait_ready(daemon: &Daemon) {
    let started = Instant::now();
    while !daemon.status().is_ready() {
        assert!(started.elapsed() < Duration::from_secs(30), "no partition assignment within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_consumed(daemon: &Daemon, count: u64) {
    let started = Instant::now();
    while daemon.status().snapshot().consumed < count {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "consumed {} of {count} within 30 s",
            daemon.status().snapshot().consumed
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn committed(settings: &Settings) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("group.id", &settings.group_id)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(&settings.input_topic, p);
    }
    let offsets = consumer.committed_offsets(tpl, Duration::from_secs(5)).unwrap();
    offsets
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(n) => n,
            _ => 0,
        })
        .sum()
}

fn scenario(name: &str) -> (String, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let input = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
    (config, lines(&input))
}

/// The same lines for several tenants (`acme` renamed), interleaved line by line.
fn for_tenants(lines: &[String], tenants: usize) -> Vec<String> {
    let mut all = Vec::new();
    for line in lines {
        for t in 0..tenants {
            all.push(line.replace("\"tenant\":\"acme\"", &format!("\"tenant\":\"acme-{t}\"")));
        }
    }
    all
}

/// Backfills `lines`, runs the daemon until every output `slad simulate` expects has arrived,
/// and compares ids and ts.
fn backfill_matches_simulate(name: &str, tenants: usize) {
    let (config_text, base) = scenario(name);
    let lines = for_tenants(&base, tenants);
    let c = cluster(&format!("backfill-{name}"));
    produce(&c.settings.brokers, &c.settings.input_topic, &lines);
    let rules = Arc::new(slad::config::parse(&config_text).unwrap().rules);
    let daemon = Daemon::start(&c.settings, rules, &options(2)).unwrap();
    wait_ready(&daemon);
    wait_consumed(&daemon, lines.len() as u64);
    // The daemon has caught up: its clock is the wall clock, so every timer due before
    // now - allowed_lateness has fired or is about to.
    let expected = simulate(&config_text, &lines, wall_ms() - 3_000);
    assert!(!expected.is_empty(), "{name}: the scenario produces outputs");
    let want = identities(&expected);
    let got = read_topics(&c.settings.brokers, &output_topics(&c.settings), Duration::from_secs(30), |got| {
        identities(&json_of(got)).is_superset(&want)
    });
    let values = json_of(&got);
    let have = identities(&values);
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{name}: missing {missing:?}\nextra {extra:?}");
    assert!(values.iter().all(|v| v["emitted_at"].is_string()), "every live output carries emitted_at");
    for m in &got {
        let v: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let key = format!("{}/{}", v["tenant"].as_str().unwrap(), v["ticket_id"].as_str().unwrap());
        assert_eq!(m.key(), Some(key.as_bytes()), "output key is tenant/ticket_id");
    }
    let snapshot = daemon.status().snapshot();
    daemon.shutdown();
    assert_eq!(daemon.wait(), Outcome::Drained { complete: true });
    assert_eq!(committed(&c.settings), lines.len() as i64, "{name}: every input committed ({snapshot:?})");
    drop(c.mock);
}

#[test]
fn backfill_first_response_ladder_matches_simulate() {
    backfill_matches_simulate("001-first-response-24x7-warnings-breach-ladder", 1);
}

#[test]
fn backfill_pause_resume_over_tenants_and_partitions_matches_simulate() {
    backfill_matches_simulate("015-pause-resume-pending-on-hold", 6);
}

#[test]
fn backfill_with_duplicates_matches_simulate() {
    backfill_matches_simulate("024-duplicate-event-id-skipped", 2);
}

#[test]
fn backfill_business_calendar_matches_simulate() {
    backfill_matches_simulate("005-weekend-crossing", 3);
}

#[test]
fn rejections_go_to_the_dead_letter_topic_with_headers() {
    let (config_text, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let c = cluster("dlq");
    let rules = Arc::new(slad::config::parse(&config_text).unwrap().rules);
    let daemon = Daemon::start(&c.settings, rules, &options(1)).unwrap();
    wait_ready(&daemon);
    // A good history, then three bad records, then a good record again.
    produce(&c.settings.brokers, &c.settings.input_topic, &base[..2]);
    let now = slad::time::format_rfc3339(wall_ms());
    let bad = [
        "this is not json".to_owned(),
        format!(r#"{{"type":"ticket.agent_replied","event_id":"x1","tenant":"acme","ts":"{now}","ticket_id":"NOPE"}}"#),
        format!(r#"{{"type":"ticket.teleported","event_id":"x2","tenant":"acme","ts":"{now}","ticket_id":"T1"}}"#),
    ];
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", &c.settings.brokers).create().unwrap();
    for line in &bad {
        producer.send(BaseRecord::<str, str>::to(&c.settings.input_topic).key("acme").payload(line)).unwrap();
    }
    // No key at all: tenant_mismatch.
    producer.send(BaseRecord::<str, str>::to(&c.settings.input_topic).partition(0).payload(base[2].as_str())).unwrap();
    producer.flush(Duration::from_secs(5)).unwrap();
    let letters = read_topics(
        &c.settings.brokers,
        std::slice::from_ref(&c.settings.dead_letter_topic),
        Duration::from_secs(30),
        |got| got.len() >= 4,
    );
    assert_eq!(letters.len(), 4, "four dead letters");
    let mut codes = Vec::new();
    for letter in &letters {
        let headers = letter.headers().expect("dead letters carry headers");
        let get = |name: &str| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_else(|| panic!("header {name} missing"))
        };
        codes.push(get("slad-error"));
        assert!(!get("slad-detail").is_empty() && !get("slad-detail").contains('\n'));
        let source = get("slad-source");
        let parts: Vec<&str> = source.split('/').collect();
        assert_eq!(parts.len(), 3, "{source}");
        assert_eq!(parts[0], c.settings.input_topic);
        parts[1].parse::<i32>().unwrap();
        parts[2].parse::<i64>().unwrap();
        let value = String::from_utf8_lossy(letter.payload().unwrap()).into_owned();
        assert!(bad.contains(&value) || value == base[2], "value unchanged: {value}");
        if value == base[2] {
            assert_eq!(letter.key(), None, "the record's key (none) is kept");
        } else {
            assert_eq!(letter.key(), Some(&b"acme"[..]));
        }
    }
    codes.sort();
    assert_eq!(codes, ["malformed_json", "tenant_mismatch", "unknown_ticket", "unknown_type"]);
    // The daemon goes on: a good record after the rejections is applied.
    let reply = format!(
        r#"{{"type":"ticket.agent_replied","event_id":"ok1","tenant":"acme","ts":"{now}","ticket_id":"T1","agent_id":"a1"}}"#
    );
    produce(&c.settings.brokers, &c.settings.input_topic, &[reply]);
    wait_consumed(&daemon, 7);
    let s = daemon.status().snapshot();
    assert_eq!(s.rejected, 4, "{s:?}");
    daemon.shutdown();
    assert_eq!(daemon.wait(), Outcome::Drained { complete: true });
    assert_eq!(committed(&c.settings), 7, "rejected records are committed once their dead letters are acked");
}

#[test]
fn restart_resumes_from_the_committed_offset() {
    let (config_text, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let c = cluster("restart");
    let rules = Arc::new(slad::config::parse(&config_text).unwrap().rules);
    produce(&c.settings.brokers, &c.settings.input_topic, &base[..2]);
    let first = Daemon::start(&c.settings, rules.clone(), &options(2)).unwrap();
    wait_ready(&first);
    wait_consumed(&first, 2);
    first.shutdown();
    assert_eq!(first.wait(), Outcome::Drained { complete: true });
    assert_eq!(committed(&c.settings), 2);
    produce(&c.settings.brokers, &c.settings.input_topic, &base[2..]);
    let second = Daemon::start(&c.settings, rules, &options(2)).unwrap();
    wait_ready(&second);
    wait_consumed(&second, (base.len() - 2) as u64);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(second.status().snapshot().consumed, (base.len() - 2) as u64, "nothing read twice");
    second.shutdown();
    assert_eq!(second.wait(), Outcome::Drained { complete: true });
    assert_eq!(committed(&c.settings), base.len() as i64);
}

#[test]
fn two_members_share_the_partitions_and_lose_nothing() {
    let (config_text, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let lines = for_tenants(&base, 9);
    let c = cluster("two-members");
    produce(&c.settings.brokers, &c.settings.input_topic, &lines);
    let rules = Arc::new(slad::config::parse(&config_text).unwrap().rules);
    let a = Daemon::start(&c.settings, rules.clone(), &options(1)).unwrap();
    let b = Daemon::start(&c.settings, rules, &options(1)).unwrap();
    let started = Instant::now();
    while a.status().snapshot().partitions + b.status().snapshot().partitions != PARTITIONS as usize
        || a.status().snapshot().partitions == 0
        || b.status().snapshot().partitions == 0
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the group did not settle on two members");
        std::thread::sleep(Duration::from_millis(100));
    }
    let expected = simulate(&config_text, &lines, wall_ms() - 3_000);
    let want = identities(&expected);
    let got = read_topics(&c.settings.brokers, &output_topics(&c.settings), Duration::from_secs(60), |got| {
        identities(&json_of(got)).is_superset(&want)
    });
    let have = identities(&json_of(&got));
    assert_eq!(want.difference(&have).count(), 0, "every expected output arrived");
    assert_eq!(have.difference(&want).count(), 0, "no unexpected output");
    a.shutdown();
    b.shutdown();
    assert!(matches!(a.wait(), Outcome::Drained { .. }));
    assert!(matches!(b.wait(), Outcome::Drained { .. }));
    assert_eq!(committed(&c.settings), lines.len() as i64);
}

#[test]
fn live_timers_fire_by_the_wall_clock_after_allowed_lateness() {
    // A ticket created now with a 3 s first-response target: the warning (50%) and the breach
    // fire by the wall clock, at most a few hundred ms after due + allowed_lateness.
    let config_text = r#"
[engine]
allowed_lateness = "1s"
[[policy]]
name = "fast"
match = {}
calendar = "24x7"
warn_at = [50]
[policy.targets.first_response]
normal = "3s"
"#;
    let c = cluster("live");
    let rules = Arc::new(slad::config::parse(config_text).unwrap().rules);
    let daemon = Daemon::start(&c.settings, rules, &options(1)).unwrap();
    wait_ready(&daemon);
    std::thread::sleep(Duration::from_millis(500));
    let created = wall_ms();
    let ts = slad::time::format_rfc3339(created);
    let lines = vec![
        format!(r#"{{"type":"agent.upserted","event_id":"e1","tenant":"live","ts":"{ts}","agent_id":"a1"}}"#),
        format!(
            r#"{{"type":"ticket.created","event_id":"e2","tenant":"live","ts":"{ts}","ticket_id":"T1","priority":"normal","assignee":"a1"}}"#
        ),
    ];
    produce(&c.settings.brokers, &c.settings.input_topic, &lines);
    let got = read_topics(&c.settings.brokers, &output_topics(&c.settings), Duration::from_secs(20), |got| {
        json_of(got).iter().any(|v| v["type"] == "sla.breached")
    });
    let values = json_of(&got);
    let breach = values.iter().find(|v| v["type"] == "sla.breached").expect("a breach within 20 s");
    let due = slad::time::parse_rfc3339(breach["ts"].as_str().unwrap()).unwrap();
    let emitted = slad::time::parse_rfc3339(breach["emitted_at"].as_str().unwrap()).unwrap();
    assert_eq!(due, created + 3_000);
    let lateness = emitted - due;
    assert!((1_000..2_000).contains(&lateness), "fired {lateness} ms after due (allowed_lateness 1 s)");
    assert!(values.iter().any(|v| v["type"] == "sla.warning"));
    daemon.shutdown();
    assert_eq!(daemon.wait(), Outcome::Drained { complete: true });
}

/// Options that keep state in `dir`, checkpointing every 200 ms.
fn durable_options(dir: &std::path::Path) -> Options {
    Options {
        state: Some(slad::state::store::StateOptions {
            dir: dir.to_path_buf(),
            interval: Duration::from_millis(200),
            topic: "support.events.state".into(),
            timeout: Duration::from_secs(10),
        }),
        ..options(1)
    }
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("slad-mock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A ticket created, the daemon stopped before its breach, the breach due while it is down:
/// the next process (`restart_dir`: the same state dir, or an empty one that must rebuild from
/// the state topic) fires it at once with its original `ts`, and the creation is not read again.
fn timers_due_while_down_fire_on_restart(test: &str, same_dir: bool) {
    let config_text = r#"
[engine]
allowed_lateness = "500ms"
[[policy]]
name = "fast"
match = {}
calendar = "24x7"
[policy.targets.first_response]
normal = "4s"
"#;
    let c = cluster(test);
    c.mock.create_topic("support.events.state", PARTITIONS, 1).unwrap();
    let rules = Arc::new(slad::config::parse(config_text).unwrap().rules);
    let first_dir = scratch_dir(&format!("{test}-a"));
    let first = Daemon::start(&c.settings, rules.clone(), &durable_options(&first_dir)).unwrap();
    wait_ready(&first);
    let created = wall_ms();
    let ts = slad::time::format_rfc3339(created);
    let lines = vec![format!(
        r#"{{"type":"ticket.created","event_id":"e1","tenant":"durable","ts":"{ts}","ticket_id":"T1","priority":"normal"}}"#
    )];
    produce(&c.settings.brokers, &c.settings.input_topic, &lines);
    wait_consumed(&first, 1);
    first.shutdown();
    assert_eq!(first.wait(), Outcome::Drained { complete: true });
    assert!(wall_ms() < created + 4_000, "the first process stopped before the breach was due");
    std::thread::sleep(Duration::from_millis((created + 4_600 - wall_ms()).max(0) as u64));
    let second_dir = if same_dir { first_dir.clone() } else { scratch_dir(&format!("{test}-b")) };
    let second = Daemon::start(&c.settings, rules, &durable_options(&second_dir)).unwrap();
    wait_ready(&second);
    let got = read_topics(&c.settings.brokers, &output_topics(&c.settings), Duration::from_secs(20), |got| {
        json_of(got).iter().any(|v| v["type"] == "sla.breached")
    });
    let values = json_of(&got);
    let breach = values.iter().find(|v| v["type"] == "sla.breached").expect("the breach, after the restart");
    assert_eq!(slad::time::parse_rfc3339(breach["ts"].as_str().unwrap()).unwrap(), created + 4_000);
    assert_eq!(second.status().snapshot().consumed, 0, "the creation is in the checkpoint, not read again");
    let started = Instant::now();
    while second.status().snapshot().tickets != 1 {
        assert!(started.elapsed() < Duration::from_secs(5), "the restored ticket is held");
        std::thread::sleep(Duration::from_millis(50));
    }
    second.shutdown();
    assert_eq!(second.wait(), Outcome::Drained { complete: true });
    let _ = std::fs::remove_dir_all(first_dir);
    let _ = std::fs::remove_dir_all(second_dir);
}

#[test]
fn timers_due_while_down_fire_on_restart_from_the_local_checkpoint() {
    timers_due_while_down_fire_on_restart("restart-local", true);
}

#[test]
fn timers_due_while_down_fire_on_restart_from_the_state_topic() {
    timers_due_while_down_fire_on_restart("restart-topic", false);
}

/// The binary under test: `SLAD_TEST_BIN` (an installed build), else this build's.
fn slad_bin() -> std::path::PathBuf {
    std::env::var_os("SLAD_TEST_BIN")
        .map_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_slad")), std::path::PathBuf::from)
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn the_binary_notifies_systemd_pings_the_watchdog_and_drains_on_sigterm() {
    use std::os::unix::net::UnixDatagram;
    let c = cluster("binary");
    c.mock.create_topic("support.events.state", PARTITIONS, 1).unwrap();
    let dir = std::env::temp_dir().join(format!("slad-mock-binary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (rules, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let config = format!(
        "[kafka]\nbrokers = \"{}\"\ngroup_id = \"binary\"\n[kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n[state]\ndir = \"{}\"\n{rules}",
        c.settings.brokers,
        dir.join("state").display()
    );
    let config_path = dir.join("slad.toml");
    std::fs::write(&config_path, config).unwrap();
    produce(&c.settings.brokers, &c.settings.input_topic, &base);
    let log = dir.join("slad.log");
    let mut child = std::process::Command::new(slad_bin())
        .args(["run", "--log-format", "json", "--config"])
        .arg(&config_path)
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "2000000")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("slad runs");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut messages = Vec::new();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while !(messages.iter().any(|m: &String| m.contains("READY=1"))
        && messages.iter().any(|m| m.contains("WATCHDOG=1")))
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no READY=1 and WATCHDOG=1: {messages:?}\n{}", log_text());
        if let Ok(n) = socket.recv(&mut buf) {
            messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    assert_eq!(http_get(port, "/readyz").0, 200, "READY=1 comes with /readyz 200");
    assert_eq!(http_get(port, "/healthz").0, 200);
    // Every input consumed; /metrics passes promtool.
    let consumed = || {
        http_get(port, "/metrics")
            .1
            .lines()
            .find_map(|l| l.strip_prefix("slad_events_consumed_total ").and_then(|v| v.trim().parse::<f64>().ok()))
            .unwrap_or(0.0)
    };
    while consumed() < base.len() as f64 {
        assert!(started.elapsed() < Duration::from_secs(60), "inputs not consumed:\n{}", log_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    let metrics = http_get(port, "/metrics").1;
    for name in [
        "slad_events_consumed_total",
        "slad_events_rejected_total",
        "slad_outputs_total",
        "slad_tickets",
        "slad_tickets_expired_total",
        "slad_memory_bytes{component=\"wheel\"",
        "slad_dedupe_forgotten_early_total",
        "slad_timers_armed",
        "slad_fire_lateness_seconds_bucket",
        "slad_apply_duration_seconds_bucket",
        "slad_input_delay_seconds_bucket",
        "slad_consumer_lag",
        "slad_producer_queue_depth",
        "slad_rebalances_total",
        "slad_build_info",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics:\n{metrics}");
    }
    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut promtool) => {
            use std::io::Write;
            promtool.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
            let out = promtool.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Err(_) => skipped("promtool not installed (scripts/install-deps.sh installs the prometheus package)"),
    }
    // SIGTERM: STOPPING=1, drain, exit 0.
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "no exit after SIGTERM:\n{}", log_text());
        std::thread::sleep(Duration::from_millis(50));
    };
    while let Ok(n) = socket.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(status.code(), Some(0), "{}", log_text());
    assert!(messages.iter().any(|m| m.contains("STOPPING=1")), "{messages:?}");
    let text = log_text();
    assert!(
        text.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "--log-format json: one object a line:\n{text}"
    );
    assert_eq!(committed(&c.settings), base.len() as i64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_configuration_exits_78_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("slad-mock-badconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[kafka]\nbrokerz = \"x\"\n").unwrap();
    let out = std::process::Command::new(slad_bin()).args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kafka.brokerz"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    if std::process::Command::new("systemd-analyze").arg("--version").output().is_err() {
        skipped("systemd-analyze not installed (scripts/install-deps.sh installs the systemd package)");
        return;
    }
    let unit = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/slad.service")).unwrap();
    let dir = std::env::temp_dir().join(format!("slad-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // verify checks that the commands exist: point them at this build.
    let path = dir.join("slad.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/slad", &slad_bin().display().to_string())).unwrap();
    let out = std::process::Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
    for key in [
        "Type=notify",
        "DynamicUser=yes",
        "StateDirectory=slad",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
        "LimitNOFILE=",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.contains(key), "{key} missing from the unit");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Says that a check did not run, on the real standard error (the test harness captures
/// `println!`, and a skipped check must be visible).
fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

#[test]
fn failed_deliveries_are_produced_again_and_hold_the_commit_back() {
    logs();
    // Three brokers: the input and the group on broker 1, the output topics led by broker 3,
    // which goes down; deliveries time out (message.timeout.ms) and must be produced again.
    let mock = MockCluster::new(3).expect("mock cluster");
    let mut properties = mock_properties();
    properties.insert("message.timeout.ms".into(), "1500".into());
    let settings = Settings {
        brokers: mock.bootstrap_servers(),
        group_id: "retries".into(),
        input_topic: "support.events".into(),
        escalations_topic: "support.escalations".into(),
        notifications_topic: "support.notifications".into(),
        routing_topic: "support.routing".into(),
        dead_letter_topic: "support.events.dlq".into(),
        state_topic: "support.events.state".into(),
        exactly_once: false,
        properties,
    };
    mock.create_topic(&settings.input_topic, PARTITIONS, 1).unwrap();
    for p in 0..PARTITIONS {
        mock.partition_leader(&settings.input_topic, p, Some(1)).unwrap();
    }
    for topic in output_topics(&settings).iter().chain([&settings.dead_letter_topic]) {
        mock.create_topic(topic, 1, 1).unwrap();
        mock.partition_leader(topic, 0, Some(3)).unwrap();
    }
    mock.coordinator(rdkafka::mocking::MockCoordinator::Group("retries".into()), 1).unwrap();
    let (config_text, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let rules = Arc::new(slad::config::parse(&config_text).unwrap().rules);
    let daemon = Daemon::start(&settings, rules, &options(1)).unwrap();
    wait_ready(&daemon);
    mock.broker_down(3).unwrap();
    produce(&settings.brokers, &settings.input_topic, &base);
    wait_consumed(&daemon, base.len() as u64);
    std::thread::sleep(Duration::from_secs(4));
    assert!(committed(&settings) < base.len() as i64, "inputs whose outputs are not acknowledged stay uncommitted");
    mock.broker_up(3).unwrap();
    let expected = simulate(&config_text, &base, wall_ms() - 3_000);
    let want = identities(&expected);
    let got = read_topics(&settings.brokers, &output_topics(&settings), Duration::from_secs(60), |got| {
        identities(&json_of(got)).is_superset(&want)
    });
    let have = identities(&json_of(&got));
    assert!(
        have.is_superset(&want),
        "every output arrived after the broker came back: missing {:?}",
        want.difference(&have)
    );
    daemon.shutdown();
    assert_eq!(daemon.wait(), Outcome::Drained { complete: true });
    assert_eq!(committed(&settings), base.len() as i64);
}
