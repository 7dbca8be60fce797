//! Helpers shared by the end-to-end tests that run the `slad` binary against a real
//! Kafka-protocol broker (`SLAD_TEST_BROKER`): topic names, configurations, the daemon as a
//! child process, producing inputs, reading outputs, `slad simulate` as the reference.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, Message};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Partitions of every topic the tests create.
pub const PARTITIONS: i32 = 3;

/// The broker's address, or `None` (after printing a `skipped` line) when it is not set.
pub fn broker() -> Option<String> {
    match std::env::var("SLAD_TEST_BROKER") {
        Ok(b) if !b.trim().is_empty() => Some(b),
        _ => {
            skipped("SLAD_TEST_BROKER not set (scripts/test-broker.sh starts a broker and sets it)");
            None
        }
    }
}

/// The binary under test: `SLAD_TEST_BIN` (an installed build), else this build's.
pub fn slad_bin() -> PathBuf {
    std::env::var_os("SLAD_TEST_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_slad")), PathBuf::from)
}

pub fn wall_ms() -> i64 {
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Topic names and a group unique to one test.
pub struct Names {
    pub input: String,
    pub escalations: String,
    pub notifications: String,
    pub routing: String,
    pub dlq: String,
    pub group: String,
}

impl Names {
    pub fn new(test: &str) -> Names {
        let tag = format!("{test}-{}-{}", std::process::id(), wall_ms());
        Names {
            input: format!("{tag}.events"),
            escalations: format!("{tag}.escalations"),
            notifications: format!("{tag}.notifications"),
            routing: format!("{tag}.routing"),
            dlq: format!("{tag}.dlq"),
            group: format!("{tag}.group"),
        }
    }

    pub fn outputs(&self) -> Vec<String> {
        vec![self.escalations.clone(), self.notifications.clone(), self.routing.clone()]
    }

    pub fn create(&self, broker: &str) {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", broker);
        let topics = [&self.input, &self.escalations, &self.notifications, &self.routing, &self.dlq];
        let names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
        slad::kafka::admin::ensure_topics(&config, &names, PARTITIONS).expect("topics created");
    }
}

pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slad-broker-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A daemon configuration: the scenario's rules plus `[kafka]` and `[http]` for this test.
pub fn config_text(rules: &str, broker: &str, names: &Names, port: u16) -> String {
    let mut table: toml::Table = rules.parse().unwrap();
    let mut kafka = toml::Table::new();
    for (key, value) in [
        ("brokers", broker),
        ("group_id", &names.group),
        ("input_topic", &names.input),
        ("escalations_topic", &names.escalations),
        ("notifications_topic", &names.notifications),
        ("routing_topic", &names.routing),
        ("dead_letter_topic", &names.dlq),
    ] {
        kafka.insert(key.into(), toml::Value::String(value.to_owned()));
    }
    table.insert("kafka".into(), toml::Value::Table(kafka));
    let mut http = toml::Table::new();
    http.insert("listen".into(), toml::Value::String(format!("127.0.0.1:{port}")));
    table.insert("http".into(), toml::Value::Table(http));
    let engine = table.entry("engine").or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(engine) = engine {
        engine.insert("shards".into(), toml::Value::Integer(2));
    }
    toml::to_string(&table).unwrap()
}

/// A running `slad run`.
pub struct Slad {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Slad {
    /// Writes `config` to `dir/slad.toml`, starts the daemon (log in `dir/slad.log`) and waits
    /// until `/readyz` answers 200.
    pub fn start(dir: &Path, config: &str, port: u16) -> Slad {
        let path = dir.join("slad.toml");
        std::fs::write(&path, config).unwrap();
        let slad = Slad::spawn(&path, port, &dir.join("slad.log"));
        slad.wait_ready(Duration::from_secs(60));
        slad
    }

    /// Starts the daemon on an existing configuration file, its standard error in `log`
    /// (replaced), without waiting for anything.
    pub fn spawn(config_path: &Path, port: u16, log: &Path) -> Slad {
        let child = Command::new(slad_bin())
            .args(["run", "--config"])
            .arg(config_path)
            .env("SLAD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("slad starts");
        Slad { child, port, log: log.to_owned() }
    }

    pub fn wait_ready(&self, timeout: Duration) {
        self.wait_until(timeout, "ready", || self.get("/readyz").0 == 200);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Whether the process is still running (an exit is reaped and reported as `false`).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return (0, String::new()) };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    /// A counter or gauge value from /metrics (summed over label sets).
    pub fn metric(&self, name: &str) -> f64 {
        self.get("/metrics")
            .1
            .lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum()
    }

    pub fn wait_until(&self, timeout: Duration, what: &str, done: impl Fn() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < timeout, "not {what} within {timeout:?}; log:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn terminate(mut self, timeout: Duration) -> (Option<i32>, String) {
        self.signal("TERM");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), self.log_text());
            }
            if started.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("slad did not exit within {timeout:?} of SIGTERM; log:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no drain, no last words. Returns once the process is gone.
    pub fn kill(mut self) {
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

/// Produces records (key, value) with the client's timestamps; a record without a key goes to
/// partition 0.
pub fn produce_raw(broker: &str, topic: &str, records: &[(Option<&str>, &str)]) {
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", broker).create().unwrap();
    for (key, value) in records {
        let mut record = BaseRecord::<str, str>::to(topic).payload(value);
        if let Some(key) = key {
            record = record.key(key);
        } else {
            record = record.partition(0);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// A consumer outside any group reading `topics` (every partition) from the beginning.
pub fn reader(broker: &str, topics: &[String]) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", format!("reader-{}", wall_ms()))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        for p in 0..PARTITIONS {
            tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
        }
    }
    consumer.assign(&tpl).unwrap();
    consumer
}

/// Reads `topics` from the beginning until `enough` holds when nothing more is waiting, or
/// `timeout` passes.
pub fn read_topics(
    broker: &str,
    topics: &[String],
    timeout: Duration,
    enough: impl Fn(&[OwnedMessage]) -> bool,
) -> Vec<OwnedMessage> {
    let consumer = reader(broker, topics);
    let started = Instant::now();
    let mut got = Vec::new();
    while started.elapsed() < timeout {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => got.push(m.detach()),
            _ if enough(&got) => break,
            _ => {}
        }
    }
    got
}

pub fn json_of(messages: &[OwnedMessage]) -> Vec<Value> {
    messages.iter().filter_map(|m| m.payload().and_then(|p| serde_json::from_slice(p).ok())).collect()
}

/// (id, ts, type) of each output.
pub fn identities(values: &[Value]) -> BTreeSet<(String, String, String)> {
    values
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            (s("id"), s("ts"), s("type"))
        })
        .collect()
}

/// `slad simulate --until until` over `lines`: its outputs, in firing order.
pub fn simulate(config_text: &str, lines: &[String], until: i64) -> Vec<Value> {
    simulate_with_rejections(config_text, lines, until).0
}

/// `slad simulate --until until` over `lines`: its outputs and its rejection lines.
pub fn simulate_with_rejections(config_text: &str, lines: &[String], until: i64) -> (Vec<Value>, Vec<String>) {
    let config = slad::config::parse(config_text).unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    slad::simulate::run(Arc::new(config.rules), lines.join("\n").as_bytes(), Some(until), false, &mut out, &mut err)
        .unwrap();
    let outputs = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let rejections = String::from_utf8(err).unwrap().lines().map(str::to_owned).collect();
    (outputs, rejections)
}

/// The sum over the input topic's partitions of the group's committed offsets.
pub fn committed(broker: &str, names: &Names) -> i64 {
    let consumer: BaseConsumer =
        ClientConfig::new().set("bootstrap.servers", broker).set("group.id", &names.group).create().unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(&names.input, p);
    }
    let offsets = consumer.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    offsets
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(n) => n,
            _ => 0,
        })
        .sum()
}

/// Says that a check did not run, on the real standard error (the test harness captures
/// `println!`, and a skipped check must be visible).
pub fn skipped(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
