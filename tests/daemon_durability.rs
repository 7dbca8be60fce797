//! Durability of the `slad` daemon, end to end: the binary as separate processes against a real
//! Kafka-protocol broker (`SLAD_TEST_BROKER`; scripts/test-broker.sh starts one and runs these
//! tests one at a time). Without it, each test prints a `skipped` line and passes.
//!
//! Every test publishes a seeded random stream of inputs (`slad::workload`: tickets, replies,
//! status changes, agents, contact steps over several tenants) under rules with targets of
//! seconds and minutes, so that warnings, breaches, escalation ladders, notifications and
//! routing decisions fire while the daemon consumes; resolution targets of days stay armed.
//! The daemon's outputs, read back from the output topics, must be exactly those of
//! `slad simulate --until T` over the same stream: every output of simulate present, no id that
//! simulate does not give, and each output equal to simulate's (the whole JSON but
//! `emitted_at`). Duplicates are allowed (output is at least once) and counted.
//!
//! - `sigkill_ten_times_while_consuming_loses_nothing`: a backfill of events dated five days
//!   back (every timer due), published before one instance starts; the instance is killed
//!   with SIGKILL at random moments ten times while it consumes and fires the timers by the
//!   wall clock, restarted each time on the same state directory with the default
//!   `snapshot_interval`. Duplicates must stay under a tenth of the expected outputs.
//! - `instances_joining_and_leaving_lose_nothing`: a second and a third instance join the
//!   group, then one is killed with SIGKILL and another stopped with SIGTERM; each has its own
//!   state directory, so state must move between instances through Kafka.
//! - `corrupt_or_missing_state_files_are_survived`: the checkpoint files are truncated or
//!   garbled while the daemon is stopped, later the state directory is deleted; the daemon
//!   restarts (logging the corrupt files), restores from Kafka and goes on.
//!
//! Event time: the stream is dated a couple of hours ahead of the wall clock, with each record
//! timestamp equal to the event's `ts`. A partition's arrival clock is then driven by the
//! records alone (it follows the wall clock only when that is later), so timers fire by the
//! arrival clock while a backlog is consumed, exactly as in `slad simulate`, however the
//! consumption is interleaved with publishing, crashes and rebalances. (A stream dated in the
//! past would make every record that arrives after a caught-up moment late, and the outputs
//! would depend on timing.) Each segment of the stream ends with a quiet hour closed by one
//! event per tenant: the closing events move every partition's clock past all due instants of
//! the segment, and the comparison with simulate is made at an instant inside the quiet hour,
//! where nothing is due.
//!
//! The chaos test's backfill is dated in the past instead: it is all published before the
//! daemon starts, so its clock follows the records until it catches up at the end, then the
//! wall clock, which fires every timer left; it is compared with simulate at the test's start.
//!
//! The seed is printed; `SLAD_TEST_SEED=N` replays a stream.

// Tests are a shell too: they read the wall and monotonic clocks like the daemon does.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};
use rdkafka::client::ClientContext;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{ClientConfig, Message};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Rules with short targets (seconds to minutes) on the 24x7 calendar, ladders without endless
/// repeats, routing expansion steps, and resolution targets of days that stay armed.
const RULES: &str = r#"
[[policy]]
name = "vip"
match = { customer_tier = ["vip"] }
calendar = "24x7"
warn_at = [50, 80]
warn_notify = ["assignee", "supervisor"]
[policy.targets.first_response]
urgent = "20s"
high = "40s"
normal = "1m"
low = "2m"
[policy.targets.periodic_update]
urgent = "1m"
high = "2m"
normal = "4m"
low = "4m"
[policy.targets.resolution]
urgent = "1d"
high = "2d"
normal = "3d"
low = "3d"
[policy.pause_on]
periodic_update = ["pending", "on_hold"]
resolution = ["pending", "on_hold"]
[policy.ladder]
first_response = "chain"
periodic_update = "chain"
resolution = "chain"

[[policy]]
name = "standard"
match = {}
calendar = "24x7"
warn_at = [75]
warn_notify = ["assignee"]
[policy.targets.first_response]
urgent = "30s"
high = "1m"
normal = "2m"
low = "4m"
[policy.targets.next_response]
urgent = "1m"
high = "2m"
normal = "4m"
low = "8m"
[policy.targets.resolution]
urgent = "1d"
high = "2d"
normal = "3d"
low = "3d"
[policy.pause_on]
next_response = ["pending", "on_hold"]
resolution = ["pending", "on_hold"]
[policy.ladder]
first_response = "chain"
next_response = "chain"
resolution = "chain"

[[ladder]]
name = "chain"
[[ladder.level]]
after = "0m"
notify = ["assignee", "supervisor"]
fallback = ["group:*", "role:support-lead"]
channel = "email"
[[ladder.level]]
after = "1m"
notify = ["supervisor^2"]
channel = "sms"
[[ladder.level]]
after = "3m"
notify = ["role:duty-manager"]
channel = "phone"
repeat_every = "1m"
repeat = 2

[routing]
strategy = "longest_idle"
[[routing.expand]]
after = "30s"
lower_min_level_by = 1
[[routing.expand]]
after = "1m"
drop_optional_skills = true
[[routing.expand]]
after = "2m"
any_agent = true
"#;

/// Tenants of the stream (the input key), spread over the input partitions.
const TENANTS: usize = 8;
/// Open tickets kept per tenant by the generator (older ones are closed).
const MAX_OPEN_PER_TENANT: usize = 30;
/// How far ahead of the wall clock the stream starts.
const LEAD_MS: i64 = 2 * 3_600_000;
/// The quiet time after each segment's traffic, closed by one event per tenant. The longest
/// chain of minute-scale timers (a target, its ladder, its repeats) is well under half of it.
const QUIET_MS: i64 = 3_600_000;
/// How old the chaos test's backfill is: older than its longest timer (a 3-day resolution
/// target), so that all of them are due.
const BACKFILL_AGE_MS: i64 = 5 * 86_400_000;
/// `[state] snapshot_interval` of the daemons under test.
const SNAPSHOT_INTERVAL: &str = "1s";
/// Consumer session timeout given to the daemons: a SIGKILLed member is evicted from the group
/// after this long, so a restart waits about as much before it gets its partitions.
const SESSION_TIMEOUT_MS: u32 = 5_000;

/// One input record: its key, its event time (also its record timestamp) and its JSON.
#[derive(Debug, Clone)]
struct Input {
    tenant: String,
    ts: i64,
    line: String,
}

/// A stretch of traffic followed by a quiet hour and one closing event per tenant.
#[derive(Debug, Clone)]
struct Segment {
    inputs: Vec<Input>,
    /// An instant inside the quiet hour: every timer due before it has fired once the closing
    /// events are consumed, nothing is due near it.
    check_at: i64,
}

/// The seed of a test's random choices: `SLAD_TEST_SEED`, or a fresh one.
fn seed(test: &str) -> u64 {
    let seed = std::env::var("SLAD_TEST_SEED").ok().and_then(|s| s.trim().parse().ok()).unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        u64::from(nanos) ^ (u64::from(std::process::id()) << 32)
    });
    println!("{test}: seed {seed} (SLAD_TEST_SEED={seed} replays this stream)");
    seed
}

/// Where a live stream starts: `LEAD_MS` ahead of the wall clock.
fn live_start() -> i64 {
    (wall_ms() + LEAD_MS) / 1_000 * 1_000
}

/// Segments of `sizes[k]` generated inputs each (plus closing events), from `start`.
fn generate(seed: u64, start: i64, sizes: &[usize]) -> Vec<Segment> {
    let mut workload = slad::workload::Workload::new(seed, TENANTS, start).max_open_per_tenant(MAX_OPEN_PER_TENANT);
    let mut shift = 0;
    let mut segments = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let mut inputs = Vec::with_capacity(size + TENANTS);
        for _ in 0..size {
            let mut event: Value = serde_json::from_str(&workload.next_line()).unwrap();
            let ts = slad::time::parse_rfc3339(event["ts"].as_str().unwrap()).unwrap() + shift;
            event["ts"] = Value::String(slad::time::format_rfc3339(ts));
            let tenant = event["tenant"].as_str().unwrap().to_owned();
            inputs.push(Input { tenant, ts, line: event.to_string() });
        }
        let end = inputs.last().map_or(start, |i| i.ts);
        let closing = end + QUIET_MS;
        for t in 0..TENANTS {
            let ts = closing + t as i64;
            let tenant = format!("tenant-{t}");
            let line = format!(
                r#"{{"type":"contact.step","event_id":"closing-{k}-{t}","tenant":"{tenant}","ts":"{}","customer_id":"quiet-hour","step":"faq"}}"#,
                slad::time::format_rfc3339(ts)
            );
            inputs.push(Input { tenant, ts, line });
        }
        segments.push(Segment { inputs, check_at: end + QUIET_MS / 2 });
        // The next segment starts a minute after the closing events.
        shift = closing + TENANTS as i64 + 60_000 - workload.now_ms();
    }
    segments
}

fn lines_of(segments: &[Segment]) -> Vec<String> {
    segments.iter().flat_map(|s| s.inputs.iter().map(|i| i.line.clone())).collect()
}

/// What `slad simulate` gives for `segments`, checked at the last one's quiet hour: outputs by id.
fn expected_outputs(test: &str, segments: &[Segment]) -> BTreeMap<String, Value> {
    let lines = lines_of(segments);
    let check_at = segments.last().expect("a segment").check_at;
    let (outputs, rejections) = simulate_with_rejections(RULES, &lines, check_at);
    assert!(
        rejections.is_empty(),
        "the generated stream is valid; simulate rejected: {:?}",
        &rejections[..5.min(rejections.len())]
    );
    let mut by_id = BTreeMap::new();
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for output in outputs {
        let id = output["id"].as_str().expect("an id").to_owned();
        *by_type.entry(output["type"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        assert!(by_id.insert(id.clone(), output).is_none(), "simulate gave the id {id} twice");
    }
    println!("{test}: {} inputs, simulate gives {} outputs: {by_type:?}", lines.len(), by_id.len());
    by_id
}

/// Counts deliveries of the test's producer by partition, and failures.
#[derive(Default)]
struct DeliveryCounts {
    delivered: [AtomicU64; PARTITIONS as usize],
    failed: AtomicU64,
}

impl ClientContext for DeliveryCounts {}

impl ProducerContext for DeliveryCounts {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(m) => {
                self.delivered[m.partition() as usize].fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Publishes `inputs` keyed by tenant, with record timestamps equal to their `ts`, evenly
/// spread over `over` (all at once for a zero duration); waits until all are acknowledged.
fn publish(broker: &str, topic: &str, inputs: &[Input], over: Duration) -> [u64; PARTITIONS as usize] {
    let producer: BaseProducer<DeliveryCounts> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create_with_context(DeliveryCounts::default())
        .unwrap();
    let started = Instant::now();
    for (n, input) in inputs.iter().enumerate() {
        let due = over.mul_f64(n as f64 / inputs.len().max(1) as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            producer.poll(wait);
        }
        let mut record = BaseRecord::to(topic).key(&input.tenant).payload(&input.line).timestamp(input.ts);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(50));
                }
                Err((e, _)) => panic!("producing an input: {e}"),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(60)).expect("inputs acknowledged");
    let counts = producer.context();
    assert_eq!(counts.failed.load(Ordering::Relaxed), 0, "inputs failed to be delivered");
    let delivered = std::array::from_fn(|p| counts.delivered[p].load(Ordering::Relaxed));
    assert_eq!(delivered.iter().sum::<u64>(), inputs.len() as u64, "every input acknowledged");
    delivered
}

/// A daemon configuration for the durability tests: `RULES`, this test's topics and port, a
/// state directory, quick checkpoints and a short consumer session.
fn durable_config(broker: &str, names: &Names, port: u16, state_dir: &Path, snapshot_interval: &str) -> String {
    let mut table: toml::Table = config_text(RULES, broker, names, port).parse().unwrap();
    let mut state = toml::Table::new();
    state.insert("dir".into(), toml::Value::String(state_dir.to_str().unwrap().to_owned()));
    state.insert("snapshot_interval".into(), toml::Value::String(snapshot_interval.to_owned()));
    table.insert("state".into(), toml::Value::Table(state));
    let mut properties = toml::Table::new();
    properties.insert("session.timeout.ms".into(), toml::Value::String(SESSION_TIMEOUT_MS.to_string()));
    properties.insert("heartbeat.interval.ms".into(), toml::Value::String("500".to_owned()));
    if let Some(toml::Value::Table(kafka)) = table.get_mut("kafka") {
        kafka.insert("properties".into(), toml::Value::Table(properties));
    }
    toml::to_string(&table).unwrap()
}

/// One daemon instance of a test: its directory (configuration, state, one log per run), its
/// port, and the running process if any.
struct Instance {
    name: String,
    dir: PathBuf,
    config: PathBuf,
    port: u16,
    runs: usize,
    process: Option<Slad>,
}

impl Instance {
    fn new(test_dir: &Path, name: &str, broker: &str, names: &Names) -> Instance {
        Instance::with_snapshot_interval(test_dir, name, broker, names, SNAPSHOT_INTERVAL)
    }

    fn with_snapshot_interval(test_dir: &Path, name: &str, broker: &str, names: &Names, interval: &str) -> Instance {
        let dir = test_dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let config = dir.join("slad.toml");
        std::fs::write(&config, durable_config(broker, names, port, &dir.join("state"), interval)).unwrap();
        Instance { name: name.to_owned(), dir, config, port, runs: 0, process: None }
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// Starts a run (its log in `run-N.log`) without waiting.
    fn spawn(&mut self) {
        assert!(self.process.is_none(), "{} already runs", self.name);
        self.runs += 1;
        let log = self.dir.join(format!("run-{}.log", self.runs));
        self.process = Some(Slad::spawn(&self.config, self.port, &log));
    }

    /// Starts a run and waits until `/readyz` answers 200.
    fn start(&mut self) {
        self.spawn();
        self.slad().wait_ready(Duration::from_secs(120));
    }

    fn slad(&self) -> &Slad {
        self.process.as_ref().unwrap_or_else(|| panic!("{} is not running", self.name))
    }

    fn running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Slad::is_running)
    }

    fn kill(&mut self) {
        self.process.take().expect("running").kill();
    }

    /// SIGTERM; the exit code must be 0.
    fn stop(&mut self) {
        let name = self.name.clone();
        let (code, log) = self.process.take().expect("running").terminate(Duration::from_secs(60));
        assert_eq!(code, Some(0), "{name}: exit code after SIGTERM; log tail:\n{}", tail(&log, 60));
    }

    fn partitions_assigned(&self) -> f64 {
        self.process.as_ref().map_or(0.0, |s| s.metric("slad_partitions_assigned"))
    }

    fn ready(&self) -> bool {
        self.process.as_ref().is_some_and(|s| s.get("/readyz").0 == 200)
    }

    /// The last lines of the latest run's log.
    fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.join(format!("run-{}.log", self.runs))).unwrap_or_default();
        format!("== {} run {} (log tail)\n{}", self.name, self.runs, tail(&log, lines))
    }
}

/// The last `n` lines of a log, without terminal colours.
fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| strip_ansi(l)).collect::<Vec<_>>().join("\n")
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The output topics read from the beginning, message after message.
struct Outputs {
    consumer: BaseConsumer,
    messages: Vec<OwnedMessage>,
    ids: BTreeSet<String>,
}

impl Outputs {
    fn new(broker: &str, names: &Names) -> Outputs {
        Outputs { consumer: reader(broker, &names.outputs()), messages: Vec::new(), ids: BTreeSet::new() }
    }

    /// Reads what arrives within `wait`; the number of messages read.
    fn read_for(&mut self, wait: Duration) -> usize {
        let started = Instant::now();
        let mut read = 0;
        while let Some(left) = wait.checked_sub(started.elapsed()) {
            match self.consumer.poll(left.min(Duration::from_millis(200))) {
                Some(Ok(m)) => {
                    let m = m.detach();
                    if let Some(id) = m.payload().and_then(|p| serde_json::from_slice::<Value>(p).ok()) {
                        if let Some(id) = id["id"].as_str() {
                            self.ids.insert(id.to_owned());
                        }
                    }
                    self.messages.push(m);
                    read += 1;
                }
                Some(Err(e)) => panic!("reading outputs: {e}"),
                None => {}
            }
        }
        read
    }

    /// Reads until every expected id has arrived and nothing new came for a few seconds; or
    /// until the daemons committed every input and nothing came for longer (what is missing
    /// then will not come); or `timeout`.
    fn settle(
        &mut self,
        expected: &BTreeMap<String, Value>,
        broker: &str,
        names: &Names,
        inputs: usize,
        timeout: Duration,
    ) {
        let started = Instant::now();
        let mut last_new = Instant::now();
        let mut last_commit_check = Instant::now();
        while started.elapsed() < timeout {
            if self.read_for(Duration::from_millis(500)) > 0 {
                last_new = Instant::now();
            }
            let complete = expected.keys().all(|id| self.ids.contains(id));
            let quiet = last_new.elapsed();
            if complete && quiet >= Duration::from_secs(3) {
                return;
            }
            if !complete && quiet >= Duration::from_secs(20) && last_commit_check.elapsed() >= Duration::from_secs(5) {
                last_commit_check = Instant::now();
                if committed(broker, names) >= inputs as i64 {
                    return;
                }
            }
        }
    }
}

/// The daemon's outputs against simulate's.
#[derive(Debug, Default)]
struct Comparison {
    expected: usize,
    received: usize,
    distinct: usize,
    /// Ids received more than once.
    duplicated: usize,
    max_copies: usize,
    missing: Vec<String>,
    unexpected: Vec<String>,
    different: Vec<String>,
    misplaced: Vec<String>,
}

impl Comparison {
    fn of(expected: &BTreeMap<String, Value>, messages: &[OwnedMessage], names: &Names) -> Comparison {
        let mut copies: HashMap<String, usize> = HashMap::new();
        let mut c = Comparison { expected: expected.len(), received: messages.len(), ..Comparison::default() };
        for m in messages {
            let Some(mut value) = m.payload().and_then(|p| serde_json::from_slice::<Value>(p).ok()) else {
                c.misplaced.push(format!("{}: not JSON: {:?}", m.topic(), m.payload().map(String::from_utf8_lossy)));
                continue;
            };
            if let Some(object) = value.as_object_mut() {
                object.remove("emitted_at");
            }
            let id = value["id"].as_str().unwrap_or("<no id>").to_owned();
            let kind = value["type"].as_str().unwrap_or("");
            let topic = if kind.starts_with("notification.") {
                &names.notifications
            } else if kind.starts_with("routing.") {
                &names.routing
            } else {
                &names.escalations
            };
            if m.topic() != topic {
                c.misplaced.push(format!("{id}: {kind} on {}", m.topic()));
            }
            let key =
                format!("{}/{}", value["tenant"].as_str().unwrap_or(""), value["ticket_id"].as_str().unwrap_or(""));
            if m.key() != Some(key.as_bytes()) {
                c.misplaced.push(format!("{id}: key {:?}, not {key}", m.key().map(String::from_utf8_lossy)));
            }
            let n = copies.entry(id.clone()).or_default();
            *n += 1;
            if *n > 1 {
                continue;
            }
            match expected.get(&id) {
                None => c.unexpected.push(format!("{id} ({kind} ts {})", value["ts"])),
                Some(want) if *want != value => {
                    c.different.push(format!("{id}:\n    simulate {want}\n    daemon   {value}"))
                }
                Some(_) => {}
            }
        }
        c.distinct = copies.len();
        c.duplicated = copies.values().filter(|&&n| n > 1).count();
        c.max_copies = copies.values().copied().max().unwrap_or(0);
        let mut missing: Vec<(&str, &str)> = expected
            .iter()
            .filter(|(id, _)| !copies.contains_key(*id))
            .map(|(id, v)| (v["ts"].as_str().unwrap_or(""), id.as_str()))
            .collect();
        missing.sort_unstable();
        c.missing = missing.into_iter().map(|(ts, id)| format!("{id} (ts {ts})")).collect();
        c
    }

    fn extra_copies(&self) -> usize {
        self.received - self.distinct
    }

    fn summary(&self) -> String {
        format!(
            "{} expected, {} received ({} distinct ids, {} ids received more than once, {} extra copies, at most {} copies of one id); {} missing, {} unexpected, {} different, {} misplaced",
            self.expected,
            self.received,
            self.distinct,
            self.duplicated,
            self.extra_copies(),
            self.max_copies,
            self.missing.len(),
            self.unexpected.len(),
            self.different.len(),
            self.misplaced.len()
        )
    }

    /// Panics, with the first few of each kind of difference, unless the outputs are exactly
    /// simulate's (duplicates aside).
    fn assert_matches(&self, what: &str, logs: impl FnOnce() -> String) {
        if self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.different.is_empty()
            && self.misplaced.is_empty()
        {
            return;
        }
        let first = |list: &[String]| list.iter().take(8).map(|s| format!("\n  {s}")).collect::<String>();
        panic!(
            "{what}: the daemon's outputs are not simulate's: {}\nmissing (earliest first):{}\nunexpected:{}\ndifferent:{}\nmisplaced:{}\n{}",
            self.summary(),
            first(&self.missing),
            first(&self.unexpected),
            first(&self.different),
            first(&self.misplaced),
            logs()
        );
    }
}

/// `*.ckpt` files anywhere below `dir`.
fn checkpoint_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "ckpt") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn sigkill_ten_times_while_consuming_loses_nothing() {
    const KILLS: usize = 10;
    let Some(broker) = broker() else { return };
    let test = "chaos";
    let seed = seed(test);
    let mut rng = StdRng::seed_from_u64(seed);
    // A backfill of old events: every timer of the stream is due before the test starts, so
    // the daemon fires most outputs by the wall clock in bursts once it catches up.
    let mut segments = generate(seed, (wall_ms() - BACKFILL_AGE_MS) / 1_000 * 1_000, &[3_000]);
    segments[0].check_at = wall_ms();
    let expected = expected_outputs(test, &segments);
    let inputs = &segments[0].inputs;
    let names = Names::new(test);
    names.create(&broker);
    let per_partition = publish(&broker, &names.input, inputs, Duration::ZERO);
    println!("{test}: inputs per partition {per_partition:?}");
    let dir = scratch_dir(test);
    // The default interval: duplicates after a crash must not depend on it.
    let mut daemon = Instance::with_snapshot_interval(&dir, "slad", &broker, &names, "30s");
    daemon.start();
    let started = Instant::now();
    let mut kills = Vec::new();
    for kill in 1..=KILLS {
        // Most kills come while the daemon consumes or fires, some while it is still starting
        // (joining the group, restoring).
        let spawned = Instant::now();
        let what = if kill > 1 && rng.gen_bool(0.25) {
            std::thread::sleep(Duration::from_millis(rng.gen_range(100..3_000)));
            format!("at {:.1}s, starting", spawned.elapsed().as_secs_f64())
        } else {
            daemon.slad().wait_ready(Duration::from_secs(120));
            let ready = spawned.elapsed();
            std::thread::sleep(Duration::from_millis(rng.gen_range(300..3_500)));
            format!("at {:.1}s, ready at {:.1}s", spawned.elapsed().as_secs_f64(), ready.as_secs_f64())
        };
        assert!(daemon.running(), "the daemon exited by itself before kill {kill}\n{}", daemon.log_tail(60));
        daemon.kill();
        kills.push(what);
        daemon.spawn();
    }
    println!("{test}: {KILLS} kills in {:.0}s: {}", started.elapsed().as_secs_f64(), kills.join("; "));
    daemon.slad().wait_ready(Duration::from_secs(120));
    daemon.slad().wait_until(Duration::from_secs(60), "owning every partition", || {
        daemon.partitions_assigned() == f64::from(PARTITIONS)
    });
    let mut outputs = Outputs::new(&broker, &names);
    outputs.settle(&expected, &broker, &names, inputs.len(), Duration::from_secs(180));
    let comparison = Comparison::of(&expected, &outputs.messages, &names);
    println!("{test}: {}", comparison.summary());
    println!(
        "{test}: duplicates per kill: {:.1} extra copies ({:.1}% of the expected outputs over {KILLS} kills), {:.1} ids received more than once",
        comparison.extra_copies() as f64 / KILLS as f64,
        100.0 * comparison.extra_copies() as f64 / comparison.expected.max(1) as f64,
        comparison.duplicated as f64 / KILLS as f64
    );
    comparison.assert_matches(test, || daemon.log_tail(60));
    assert!(
        comparison.extra_copies() * 10 <= comparison.expected,
        "more duplicates than a tenth of the expected outputs over {KILLS} kills: {}",
        comparison.summary()
    );
    daemon.stop();
}

#[test]
fn instances_joining_and_leaving_lose_nothing() {
    let Some(broker) = broker() else { return };
    let test = "rebalance";
    let seed = seed(test);
    let mut rng = StdRng::seed_from_u64(seed);
    let segments = generate(seed, live_start(), &[2_400]);
    let expected = expected_outputs(test, &segments);
    let inputs = &segments[0].inputs;
    let names = Names::new(test);
    names.create(&broker);
    let dir = scratch_dir(test);
    let mut instances: Vec<Instance> =
        ["a", "b", "c"].iter().map(|name| Instance::new(&dir, name, &broker, &names)).collect();
    let started = Instant::now();
    let assignment = |instances: &[Instance]| -> String {
        let each: Vec<String> = instances
            .iter()
            .filter(|i| i.process.is_some())
            .map(|i| format!("{}={}", i.name, i.partitions_assigned()))
            .collect();
        format!("[{:5.1}s] partitions assigned: {}", started.elapsed().as_secs_f64(), each.join(" "))
    };
    // Every partition owned by a ready instance.
    let wait_for_full_assignment = |instances: &[Instance], after: &str| {
        let waiting = Instant::now();
        loop {
            let live: Vec<&Instance> = instances.iter().filter(|i| i.process.is_some()).collect();
            let owned: f64 = live.iter().map(|i| i.partitions_assigned()).sum();
            if owned == f64::from(PARTITIONS) && live.iter().all(|i| i.ready()) {
                println!("{test}: {after}: {}", assignment(instances));
                return;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(90),
                "{after}: the group did not give out all {PARTITIONS} partitions within 90s: {}\n{}",
                assignment(instances),
                live.iter().map(|i| i.log_tail(30)).collect::<Vec<_>>().join("\n")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    instances[0].start();
    wait_for_full_assignment(&instances, "a alone");
    let mut order: Vec<usize> = vec![0, 1, 2];
    let killed = order.remove(rng.gen_range(0..3));
    let stopped = order.remove(rng.gen_range(0..2));
    let survivor = order[0];
    std::thread::scope(|scope| {
        let publisher = scope.spawn(|| publish(&broker, &names.input, inputs, Duration::from_secs(30)));
        std::thread::sleep(Duration::from_secs(3));
        instances[1].start();
        wait_for_full_assignment(&instances, "b joined");
        std::thread::sleep(Duration::from_secs(2));
        instances[2].start();
        wait_for_full_assignment(&instances, "c joined");
        std::thread::sleep(Duration::from_secs(2));
        instances[killed].kill();
        println!("{test}: {} killed (SIGKILL): {}", instances[killed].name, assignment(&instances));
        // The group notices after the session timeout. tansu 0.6.0 then rebalances the
        // remaining members but leaves the killed member's partitions unassigned until the
        // membership changes again (printed below, not asserted); the SIGTERM that follows is
        // such a change, after which the survivor owns every partition.
        std::thread::sleep(Duration::from_millis(u64::from(SESSION_TIMEOUT_MS) + 3_000));
        println!("{test}: after the session timeout: {}", assignment(&instances));
        instances[stopped].stop();
        println!("{test}: {} stopped (SIGTERM, exit 0): {}", instances[stopped].name, assignment(&instances));
        wait_for_full_assignment(&instances, "one left");
        let per_partition = publisher.join().expect("the publisher");
        println!("{test}: inputs per partition {per_partition:?}");
    });
    let mut outputs = Outputs::new(&broker, &names);
    outputs.settle(&expected, &broker, &names, inputs.len(), Duration::from_secs(120));
    let comparison = Comparison::of(&expected, &outputs.messages, &names);
    println!("{test}: {}", comparison.summary());
    comparison.assert_matches(test, || instances.iter().map(|i| i.log_tail(40)).collect::<Vec<_>>().join("\n"));
    assert!(comparison.max_copies <= 6, "an output came {} times: {}", comparison.max_copies, comparison.summary());
    instances[survivor].stop();
}

#[test]
fn corrupt_or_missing_state_files_are_survived() {
    let Some(broker) = broker() else { return };
    let test = "badstate";
    let seed = seed(test);
    let segments = generate(seed, live_start(), &[900, 600, 600]);
    let names = Names::new(test);
    names.create(&broker);
    let dir = scratch_dir(test);
    let mut daemon = Instance::new(&dir, "slad", &broker, &names);
    let mut published = 0;
    let mut outputs = Outputs::new(&broker, &names);
    let mut run_segment = |daemon: &mut Instance, k: usize, what: &str| {
        let expected = expected_outputs(&format!("{test} {what}"), &segments[..=k]);
        publish(&broker, &names.input, &segments[k].inputs, Duration::ZERO);
        published += segments[k].inputs.len();
        outputs.settle(&expected, &broker, &names, published, Duration::from_secs(120));
        let comparison = Comparison::of(&expected, &outputs.messages, &names);
        println!("{test} {what}: {}", comparison.summary());
        comparison.assert_matches(&format!("{test} {what}"), || daemon.log_tail(60));
        assert!(daemon.running(), "{what}: the daemon exited\n{}", daemon.log_tail(60));
    };

    // A first run that checkpoints, then a clean stop.
    daemon.start();
    run_segment(&mut daemon, 0, "first run");
    let waiting = Instant::now();
    loop {
        if !checkpoint_files(&daemon.state_dir()).is_empty() {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "no *.ckpt file below {} within 30s of the inputs being consumed (snapshot_interval {SNAPSHOT_INTERVAL})\n{}",
            daemon.state_dir().display(),
            daemon.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // One more snapshot interval or two, so the files hold the whole first segment.
    std::thread::sleep(Duration::from_secs(3));
    daemon.stop();

    // (a) Every checkpoint file truncated, garbled or emptied while the daemon is stopped.
    let files = checkpoint_files(&daemon.state_dir());
    assert!(!files.is_empty(), "the checkpoint files {files:?} are gone after a clean stop");
    for (n, file) in files.iter().enumerate() {
        let mut bytes = std::fs::read(file).unwrap();
        let how = match n % 3 {
            0 => {
                bytes.truncate(bytes.len() / 2);
                "truncated to half"
            }
            1 => {
                let len = bytes.len();
                for b in &mut bytes[len / 3..(2 * len / 3).max(len / 3 + 1).min(len)] {
                    *b ^= 0x5a;
                }
                "middle third garbled"
            }
            _ => {
                bytes.clear();
                "emptied"
            }
        };
        std::fs::write(file, &bytes).unwrap();
        println!("{test}: {} {how}", file.display());
    }
    daemon.start();
    run_segment(&mut daemon, 1, "after corrupt files");
    let log = daemon.slad().log_text();
    let unmentioned: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|name| !log.contains(name.as_str()))
        .collect();
    // Checked at the end, so that a run also tells how the deleted directory is handled.
    let unlogged = (!unmentioned.is_empty()).then(|| {
        format!("the log does not name the corrupt checkpoint files {unmentioned:?}\n{}", daemon.log_tail(60))
    });
    daemon.stop();

    // (b) The state directory deleted.
    std::fs::remove_dir_all(daemon.state_dir()).unwrap();
    println!("{test}: {} deleted", daemon.state_dir().display());
    daemon.start();
    run_segment(&mut daemon, 2, "after the state directory was deleted");
    daemon.stop();
    if let Some(unlogged) = unlogged {
        panic!("{unlogged}");
    }
}
