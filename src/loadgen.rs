//! `slad loadgen`: the [`crate::traffic`] generator against any broker, for benchmarks; or, with
//! `--input FILE`, a JSONL file produced as a backfill (each record's timestamp set to the
//! event's `received_at`, else its `ts`, and its key to the tenant), for replays and tests.

// The shell is where time comes from: the generator is paced by the wall clock.
#![allow(clippy::disallowed_methods)]

use crate::daemon::{init_logging, parse_duration, LogFormat};
use crate::traffic::{Generator, TrafficConfig};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, ClientContext};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `slad loadgen`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadgenArgs {
    /// Bootstrap servers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// The input topic.
    #[arg(long, default_value = "support.events")]
    pub topic: String,
    /// Input events per second.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Tickets open at once, roughly (sets how long each ticket lives).
    #[arg(long, default_value_t = 10_000)]
    pub tickets: usize,
    /// How long to run (0s: until Ctrl-C).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Tenants (each one Kafka key).
    #[arg(long, default_value_t = 20)]
    pub tenants: usize,
    /// Agents per tenant.
    #[arg(long, default_value_t = 50)]
    pub agents: usize,
    /// Typical first-response target of the daemon's policies: most first replies come before
    /// it, about one in five after it, some never.
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    pub response_target: Duration,
    /// Seed of the generator (event ids include it: use another seed for another run against
    /// the same daemon, or its duplicates are skipped).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Produce this JSONL file as a backfill instead of generating traffic.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Create the topic (and the default output and dead-letter topics) with this many
    /// partitions if they do not exist.
    #[arg(long, value_name = "PARTITIONS")]
    pub create_topics: Option<i32>,
    /// A librdkafka property (KEY=VALUE), repeatable.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// Counts delivery reports.
#[derive(Default)]
struct Counting {
    acked: AtomicU64,
    failed: AtomicU64,
}

impl ClientContext for Counting {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        crate::kafka::log_librdkafka(level, fac, message);
    }
}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.acked.fetch_add(1, Ordering::Relaxed),
            Err((error, _)) => {
                tracing::warn!(%error, "delivery failed");
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn client_config(args: &LoadgenArgs) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &args.brokers).set("linger.ms", "5").set("client.id", "slad-loadgen");
    for property in &args.properties {
        let (key, value) =
            property.split_once('=').ok_or_else(|| format!("--property {property:?}: expected KEY=VALUE"))?;
        config.set(key.trim(), value.trim());
    }
    Ok(config)
}

/// Sends a record, waiting while the producer's queue is full.
fn send(producer: &ThreadedProducer<Counting>, key: Option<&str>, payload: &str, topic: &str, ts: Option<i64>) -> bool {
    loop {
        let mut record: BaseRecord<'_, str, str> = BaseRecord::to(topic).payload(payload);
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(ts) = ts {
            record = record.timestamp(ts);
        }
        match producer.send(record) {
            Ok(()) => return true,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((error, _)) => {
                tracing::error!(%error, "produce refused");
                return false;
            }
        }
    }
}

/// `slad loadgen`: exit 0 once everything sent is acknowledged.
pub fn run(args: LoadgenArgs) -> ExitCode {
    init_logging(args.log_format);
    let config = match client_config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if let Some(partitions) = args.create_topics {
        let topics = [
            args.topic.as_str(),
            "support.escalations",
            "support.notifications",
            "support.routing",
            "support.events.dlq",
        ];
        match crate::kafka::admin::ensure_topics(&config, &topics, partitions) {
            Ok(created) => tracing::info!(?created, partitions, "topics ready"),
            Err(error) => {
                eprintln!("could not create the topics: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let producer: ThreadedProducer<Counting> = match config.create_with_context(Counting::default()) {
        Ok(producer) => producer,
        Err(error) => {
            eprintln!("producer: {error}");
            return ExitCode::from(2);
        }
    };
    let sent = match &args.input {
        Some(path) => backfill(&producer, &args.topic, path),
        None => generate(&producer, &args),
    };
    let Some(sent) = sent else { return ExitCode::FAILURE };
    if producer.flush(Duration::from_secs(30)).is_err() {
        eprintln!("not every record was acknowledged within 30 s");
        return ExitCode::FAILURE;
    }
    let context = producer.context();
    let (acked, failed) = (context.acked.load(Ordering::Relaxed), context.failed.load(Ordering::Relaxed));
    println!("sent {sent}, acknowledged {acked}, failed {failed}");
    if failed > 0 || acked < sent {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Produces a JSONL file; returns the number of records sent.
fn backfill(producer: &ThreadedProducer<Counting>, topic: &str, path: &PathBuf) -> Option<u64> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{}: {error}", path.display());
            return None;
        }
    };
    let mut sent = 0;
    for line in std::io::BufReader::new(file).lines() {
        let Ok(line) = line else { return None };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(trimmed).unwrap_or(serde_json::Value::Null);
        let tenant = value["tenant"].as_str();
        let at =
            value["received_at"].as_str().or(value["ts"].as_str()).and_then(|t| crate::time::parse_rfc3339(t).ok());
        if !send(producer, tenant, trimmed, topic, at) {
            return None;
        }
        sent += 1;
    }
    Some(sent)
}

/// Generates live traffic; returns the number of records sent.
fn generate(producer: &ThreadedProducer<Counting>, args: &LoadgenArgs) -> Option<u64> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let traffic = TrafficConfig {
        tenants: args.tenants.max(1),
        agents_per_tenant: args.agents.max(1),
        rate: args.rate.max(0.1),
        open_tickets: args.tickets.max(1),
        response_target_ms: args.response_target.as_millis() as i64,
        seed: args.seed,
    };
    tracing::info!(
        rate = traffic.rate,
        tickets = traffic.open_tickets,
        ticket_life_s = traffic.ticket_life_ms() / 1000,
        tenants = traffic.tenants,
        "generating"
    );
    let started = Instant::now();
    let mut generator = Generator::new(traffic, wall_ms());
    let mut batch = Vec::new();
    let mut sent: u64 = 0;
    let mut last_report = (Instant::now(), 0u64);
    while !stop.load(Ordering::Relaxed) && (args.duration.is_zero() || started.elapsed() < args.duration) {
        let now = wall_ms();
        batch.clear();
        generator.due(now, &mut batch);
        for event in &batch {
            if !send(producer, Some(&event.tenant), &event.line, &args.topic, None) {
                return None;
            }
        }
        sent += batch.len() as u64;
        if last_report.0.elapsed() >= Duration::from_secs(1) {
            let rate = (sent - last_report.1) as f64 / last_report.0.elapsed().as_secs_f64();
            let acked = producer.context().acked.load(Ordering::Relaxed);
            eprintln!(
                "loadgen t={:>4}s  sent {sent} ({rate:.0}/s)  acknowledged {acked}  tickets {}",
                started.elapsed().as_secs(),
                generator.tickets_created
            );
            last_report = (Instant::now(), sent);
        }
        let wait = (generator.next_due() - wall_ms()).clamp(0, 50);
        if wait > 0 {
            std::thread::sleep(Duration::from_millis(wait as u64));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!("loadgen done: {sent} events in {elapsed:.1} s ({:.0}/s)", sent as f64 / elapsed.max(1e-9));
    Some(sent)
}
