//! `kafka.exactly_once = true`: the `slad` binary as a child process, SIGKILLed and restarted,
//! and a `read_committed` reader of the outputs.
//!
//! - `sigkill_between_transactions_repeats_no_output` (librdkafka's mock cluster, in this
//!   process): tickets created now with targets of seconds, so that warnings and breaches fire
//!   by the wall clock once the daemon has caught up; once every output of a round is out, the
//!   daemon is SIGKILLed and restarted, three times. Every output id is read exactly once, none
//!   is missing. The mock cluster stores no transactional offset commit, so a restart finds its
//!   position in the last committed checkpoint only. The same rounds with
//!   `kafka.exactly_once = false` fire again the timer outputs no checkpoint covered: the test
//!   sees that mode's duplicates (`at_least_once_repeats_timer_outputs_after_the_same_kills`).
//! - `sigkill_mid_batch_then_read_committed_sees_each_output_once`: a backlog consumed while the
//!   daemon is SIGKILLed at random moments; needs a broker that implements transactions
//!   (`SLAD_TEST_TRANSACTIONS_BROKER=host:port`, e.g. Apache Kafka). The mock cluster cannot
//!   run it: it answers the transaction requests but neither aborts a transaction (no markers,
//!   no aborted-transaction list in fetch responses) nor stores a transaction's offsets, so
//!   the records of a killed transaction stay visible there.

// Tests are a shell too: they read the wall and monotonic clocks like the daemon does.
#![allow(clippy::disallowed_methods)]

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, Message};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PARTITIONS: i32 = 3;
const INPUT: &str = "support.events";
const OUTPUTS: [&str; 3] = ["support.escalations", "support.notifications", "support.routing"];

/// Warnings at half the target and breaches, a few seconds after each creation.
const LIVE_RULES: &str = r#"
[engine]
allowed_lateness = "500ms"
[[policy]]
name = "fast"
match = {}
calendar = "24x7"
warn_at = [50]
[policy.targets.first_response]
normal = "2s"
high = "3s"
"#;

fn wall_ms() -> i64 {
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn slad_bin() -> PathBuf {
    std::env::var_os("SLAD_TEST_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_slad")), PathBuf::from)
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slad-eos-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mock_cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let mock = MockCluster::new(1).expect("mock cluster");
    mock.create_topic(INPUT, PARTITIONS, 1).unwrap();
    mock.create_topic("support.events.state", PARTITIONS, 1).unwrap();
    for topic in OUTPUTS.iter().chain(&["support.events.dlq"]) {
        mock.create_topic(topic, 1, 1).unwrap();
    }
    mock
}

/// A daemon configuration: `rules`, the brokers, `exactly_once`, a state directory.
fn config(rules: &str, brokers: &str, group: &str, exactly_once: bool, dir: &Path, port: u16) -> String {
    format!(
        "[kafka]\nbrokers = \"{brokers}\"\ngroup_id = \"{group}\"\nexactly_once = {exactly_once}\n\
         [kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"500\"\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n[state]\ndir = \"{}\"\n{rules}",
        dir.join("state").display()
    )
}

/// The daemon as a child process.
struct Slad {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Slad {
    fn start(dir: &Path, config: &str, run: usize) -> Slad {
        let port = config
            .lines()
            .find_map(|l| l.strip_prefix("listen = \"127.0.0.1:"))
            .and_then(|l| l.trim_end_matches('"').parse().ok())
            .unwrap();
        let path = dir.join("slad.toml");
        std::fs::write(&path, config).unwrap();
        let log = dir.join(format!("run-{run}.log"));
        let child = Command::new(slad_bin())
            .args(["run", "--config"])
            .arg(&path)
            .env("SLAD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("slad starts");
        let slad = Slad { child, port, log };
        let started = Instant::now();
        while slad.get("/readyz").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(60), "not ready within 60 s:\n{}", slad.log_text());
            std::thread::sleep(Duration::from_millis(100));
        }
        slad
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else { return (0, String::new()) };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    /// A series of /metrics summed over its label sets (`name{...}` or `name `).
    fn metric(&self, series: &str) -> f64 {
        self.get("/metrics")
            .1
            .lines()
            .filter(|l| l.starts_with(series) && l[series.len()..].starts_with([' ', '{', ',']))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum()
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no drain, no last transaction.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Slad {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Produces `lines` keyed by tenant, record timestamp = `ts`.
fn produce(brokers: &str, lines: &[String]) {
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let tenant = v["tenant"].as_str().unwrap().to_owned();
        let ts = slad::time::parse_rfc3339(v["ts"].as_str().unwrap()).unwrap();
        let record: BaseRecord<'_, str, str> =
            BaseRecord::to(INPUT).key(tenant.as_str()).payload(line.as_str()).timestamp(ts);
        producer.send(record).map_err(|(e, _)| e).unwrap();
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// Every record of the output topics, read by a `read_committed` consumer from the beginning
/// until nothing new came for `quiet` (or `timeout`).
fn read_committed(brokers: &str, quiet: Duration, timeout: Duration) -> Vec<OwnedMessage> {
    let topics: Vec<String> = OUTPUTS.iter().map(|t| t.to_string()).collect();
    read_outputs(brokers, &topics, quiet, timeout)
}

/// [`read_committed`] of the topics named.
fn read_outputs(brokers: &str, topics: &[String], quiet: Duration, timeout: Duration) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("eos-reader-{}", wall_ms()))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
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
    let mut last = Instant::now();
    let mut got = Vec::new();
    while started.elapsed() < timeout && last.elapsed() < quiet {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push(m.detach());
            last = Instant::now();
        }
    }
    got
}

/// Output id -> copies read.
fn copies(messages: &[OwnedMessage]) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for m in messages {
        let v: Value = m.payload().and_then(|p| serde_json::from_slice(p).ok()).unwrap_or(Value::Null);
        *by_id.entry(v["id"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
    }
    by_id
}

/// `slad simulate` on `lines` until `until`: the ids it gives.
fn simulate_ids(rules: &str, lines: &[String], until: i64) -> Vec<String> {
    let config = slad::config::parse(rules).unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    slad::simulate::run(Arc::new(config.rules), lines.join("\n").as_bytes(), Some(until), false, &mut out, &mut err)
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect()
}

/// What the reader saw against what simulate gives: (missing, duplicated, unexpected).
fn compare(expected: &[String], got: &BTreeMap<String, usize>) -> (Vec<String>, Vec<(String, usize)>, Vec<String>) {
    let missing = expected.iter().filter(|id| !got.contains_key(*id)).cloned().collect();
    let duplicated = got.iter().filter(|(_, n)| **n > 1).map(|(id, n)| (id.clone(), *n)).collect();
    let unexpected = got.keys().filter(|id| !expected.contains(id)).cloned().collect();
    (missing, duplicated, unexpected)
}

/// Tickets created now over nine tenants (three per input partition, or close).
fn live_tickets(round: usize, count: usize) -> Vec<String> {
    let ts = slad::time::format_rfc3339(wall_ms());
    (0..count)
        .map(|i| {
            let priority = if i % 2 == 0 { "normal" } else { "high" };
            format!(
                r#"{{"type":"ticket.created","event_id":"r{round}-e{i}","tenant":"tenant-{}","ts":"{ts}","ticket_id":"R{round}-T{i}","priority":"{priority}"}}"#,
                i % 9
            )
        })
        .collect()
}

/// Three rounds on the mock cluster: tickets created, their warnings and breaches fired by the
/// wall clock, the daemon SIGKILLed once they are all out, restarted. Returns what simulate
/// expects and what a `read_committed` reader saw.
fn kill_between_rounds(test: &str, exactly_once: bool) -> (Vec<String>, BTreeMap<String, usize>) {
    let mock = mock_cluster();
    let brokers = mock.bootstrap_servers();
    let dir = scratch_dir(test);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = config(LIVE_RULES, &brokers, test, exactly_once, &dir, port);
    let mut lines = Vec::new();
    let mut daemon = Slad::start(&dir, &config, 1);
    for round in 1..=3 {
        let batch = live_tickets(round, 12);
        produce(&brokers, &batch);
        lines.extend(batch);
        // Each ticket's warning and breach fire within 3.5 s; then every transaction of the
        // round is committed (commits come every 100 ms).
        std::thread::sleep(Duration::from_secs(5));
        assert!(daemon.is_running(), "the daemon exited by itself:\n{}", daemon.log_text());
        if exactly_once {
            assert!(daemon.metric("slad_transactions_total{result=\"committed\"}") > 0.0, "{}", daemon.log_text());
            assert_eq!(daemon.metric("slad_transactions_total{result=\"aborted\"}"), 0.0, "{}", daemon.log_text());
        }
        daemon.kill();
        daemon = Slad::start(&dir, &config, round + 1);
    }
    // The last restart fires whatever is left, then goes quiet.
    std::thread::sleep(Duration::from_secs(4));
    let expected = simulate_ids(LIVE_RULES, &lines, wall_ms() - 1_000);
    let got = copies(&read_committed(&brokers, Duration::from_secs(2), Duration::from_secs(30)));
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
    (expected, got)
}

#[test]
fn sigkill_between_transactions_repeats_no_output() {
    let (expected, got) = kill_between_rounds("eos-kill-between", true);
    let (missing, duplicated, unexpected) = compare(&expected, &got);
    println!(
        "exactly_once = true: {} expected outputs, {} ids read, {} duplicated",
        expected.len(),
        got.len(),
        duplicated.len()
    );
    assert!(expected.len() >= 70, "warnings and breaches of 36 tickets: {}", expected.len());
    assert!(missing.is_empty(), "missing outputs: {missing:?}");
    assert!(unexpected.is_empty(), "outputs simulate does not give: {unexpected:?}");
    assert!(duplicated.is_empty(), "outputs read more than once: {duplicated:?}");
}

#[test]
fn at_least_once_repeats_timer_outputs_after_the_same_kills() {
    let (expected, got) = kill_between_rounds("alo-kill-between", false);
    let (missing, duplicated, _) = compare(&expected, &got);
    println!(
        "exactly_once = false: {} expected outputs, {} ids read, {} duplicated",
        expected.len(),
        got.len(),
        duplicated.len()
    );
    assert!(missing.is_empty(), "missing outputs: {missing:?}");
    assert!(!duplicated.is_empty(), "the kills are expected to repeat the timer outputs no checkpoint covers");
}

/// A backlog of tickets created over the last hour, in order: as it is consumed, the arrival
/// clock fires the warnings and breaches of the earlier tickets, so outputs come all along.
fn backlog(count: usize) -> Vec<String> {
    let start = wall_ms() - 3_600_000;
    (0..count)
        .map(|i| {
            let ts = slad::time::format_rfc3339(start + i as i64 * 1_000);
            format!(
                r#"{{"type":"ticket.created","event_id":"b{i}","tenant":"tenant-{}","ts":"{ts}","ticket_id":"B{i}","priority":"normal"}}"#,
                i % 9
            )
        })
        .collect()
}

#[test]
fn sigkill_mid_batch_then_read_committed_sees_each_output_once() {
    let Some(brokers) = std::env::var("SLAD_TEST_TRANSACTIONS_BROKER").ok().filter(|b| !b.trim().is_empty()) else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: SLAD_TEST_TRANSACTIONS_BROKER not set (a broker with transactions, e.g. Apache Kafka)"
        );
        return;
    };
    let tag = format!("eos-{}-{}", std::process::id(), wall_ms());
    let mut admin = ClientConfig::new();
    admin.set("bootstrap.servers", &brokers);
    let outputs: Vec<String> = OUTPUTS.iter().map(|t| format!("{tag}.{t}")).collect();
    let mut topics = vec![format!("{tag}.{INPUT}"), format!("{tag}.dlq")];
    topics.extend(outputs.iter().cloned());
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    slad::kafka::admin::ensure_topics(&admin, &names, PARTITIONS).expect("topics created");
    let dir = scratch_dir("eos-mid-batch");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = config(LIVE_RULES, &brokers, &tag, true, &dir, port);
    let config = base.replacen(
        "exactly_once = true\n",
        &format!(
            "exactly_once = true\ninput_topic = \"{tag}.{INPUT}\"\nescalations_topic = \"{}\"\n\
             notifications_topic = \"{}\"\nrouting_topic = \"{}\"\ndead_letter_topic = \"{tag}.dlq\"\n",
            outputs[0], outputs[1], outputs[2]
        ),
        1,
    );
    let lines = backlog(3_000);
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let ts = slad::time::parse_rfc3339(v["ts"].as_str().unwrap()).unwrap();
        let record: BaseRecord<'_, str, str> =
            BaseRecord::to(&topics[0]).key(v["tenant"].as_str().unwrap()).payload(line.as_str()).timestamp(ts);
        producer.send(record).map_err(|(e, _)| e).unwrap();
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let mut daemon = Slad::start(&dir, &config, 1);
    for kill in 1..=5u64 {
        // Mid-batch: while the backlog is consumed and its transactions committed.
        std::thread::sleep(Duration::from_millis(300 + (wall_ms() as u64 * 7919 + kill * 104_729) % 1_200));
        assert!(daemon.is_running(), "the daemon exited by itself:\n{}", daemon.log_text());
        daemon.kill();
        daemon = Slad::start(&dir, &config, kill as usize + 1);
    }
    std::thread::sleep(Duration::from_secs(10));
    let expected = simulate_ids(LIVE_RULES, &lines, wall_ms() - 1_000);
    let reader_outputs = outputs.clone();
    let got = copies(&read_outputs(&brokers, &reader_outputs, Duration::from_secs(3), Duration::from_secs(60)));
    let (missing, duplicated, unexpected) = compare(&expected, &got);
    println!("mid-batch kills: {} expected, {} ids read, {} duplicated", expected.len(), got.len(), duplicated.len());
    assert!(missing.is_empty(), "missing: {} of {}", missing.len(), expected.len());
    assert!(unexpected.is_empty(), "unexpected: {unexpected:?}");
    assert!(duplicated.is_empty(), "read more than once: {} ids, e.g. {:?}", duplicated.len(), &duplicated[..1]);
}

/// The cost of transactions: the same backlog drained by the daemon in-process on the mock
/// cluster with and without `kafka.exactly_once`, one after the other in the same run.
/// `cargo test --release --test daemon_exactly_once -- --ignored --nocapture throughput`
#[test]
#[ignore = "a measurement: run on demand"]
fn throughput_with_and_without_transactions() {
    let count: usize = std::env::var("SLAD_TEST_BACKLOG").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    for exactly_once in [false, true, false, true] {
        let mock = mock_cluster();
        let lines = backlog(count);
        produce(&mock.bootstrap_servers(), &lines);
        let dir = scratch_dir(&format!("throughput-{exactly_once}"));
        let settings = slad::kafka::Settings {
            brokers: mock.bootstrap_servers(),
            group_id: format!("throughput-{exactly_once}"),
            input_topic: INPUT.into(),
            escalations_topic: OUTPUTS[0].into(),
            notifications_topic: OUTPUTS[1].into(),
            routing_topic: OUTPUTS[2].into(),
            dead_letter_topic: "support.events.dlq".into(),
            state_topic: "support.events.state".into(),
            exactly_once,
            properties: [("session.timeout.ms".to_owned(), "6000".to_owned())].into(),
        };
        let options = slad::daemon::Options {
            shards: 2,
            drain_timeout: Duration::from_secs(10),
            revoke_timeout: Duration::from_secs(5),
            state: Some(slad::state::store::StateOptions {
                dir: dir.clone(),
                interval: Duration::from_secs(30),
                topic: "support.events.state".into(),
                timeout: Duration::from_secs(10),
            }),
        };
        let rules = Arc::new(slad::config::parse(LIVE_RULES).unwrap().rules);
        let daemon = slad::daemon::Daemon::start(&settings, rules, &options).unwrap();
        // From the first input read: the group's assignment is not part of the cost.
        let assigned = Instant::now();
        while daemon.status().snapshot().consumed == 0 {
            assert!(assigned.elapsed() < Duration::from_secs(60), "no assignment");
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        while daemon.status().snapshot().consumed < count as u64 {
            assert!(started.elapsed() < Duration::from_secs(300), "backlog not drained");
            std::thread::sleep(Duration::from_millis(5));
        }
        let took = started.elapsed();
        let outputs: u64 = daemon.status().snapshot().outputs.iter().sum();
        println!(
            "exactly_once = {exactly_once}: {count} inputs, {outputs} outputs in {:.2} s: {:.0} inputs/s",
            took.as_secs_f64(),
            count as f64 / took.as_secs_f64()
        );
        daemon.shutdown();
        let _ = daemon.wait();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
