//! `slad demo`: the real daemon against an in-process Kafka cluster (librdkafka's mock
//! cluster), fed by the built-in traffic generator, with a short-SLA configuration
//! (`config/demo.toml`, embedded) so that warnings, breaches, escalations and assignments flow
//! within a minute. Nothing to install, nothing to configure: a one-line summary every second,
//! `/metrics` on `--listen`.

// The shell is where time comes from: the generator and the summary follow the wall clock.
#![allow(clippy::disallowed_methods)]

use crate::daemon::{init_logging, parse_duration, Daemon, LogFormat, Options, Outcome, Snapshot};
use crate::traffic::{Generator, TrafficConfig};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The demo's configuration.
pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");

/// `slad demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Stop after this long (default: run until Ctrl-C).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Where /metrics, /healthz and /readyz are served.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Input events per second.
    #[arg(long, default_value_t = 40.0)]
    pub rate: f64,
    /// Tenants.
    #[arg(long, default_value_t = 4)]
    pub tenants: usize,
    /// Log line format (logs go to standard error; the summary to standard output).
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

const INPUT_PARTITIONS: i32 = 4;

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The summary line.
fn summary(elapsed: Duration, now: &Snapshot, before: &Snapshot, seconds: f64) -> String {
    let rate = (now.consumed - before.consumed) as f64 / seconds.max(1e-3);
    format!(
        "t={:>4}s  in {:>5.0}/s ({:>6} total)  tickets {:>4}  armed timers {:>4}  warnings {:>4}  breaches {:>4}  \
         escalations {:>4}  assignments {:>4}  notifications {:>4}  rejected {}",
        elapsed.as_secs(),
        rate,
        now.consumed,
        now.tickets,
        now.timers,
        now.outputs_of("sla.warning"),
        now.outputs_of("sla.breached"),
        now.outputs_of("escalation.raised"),
        now.outputs_of("routing.assigned"),
        now.outputs_of("notification.requested"),
        now.rejected,
    )
}

/// `slad demo`: exit 0 after a clean stop.
pub fn run(args: DemoArgs) -> ExitCode {
    if std::env::var_os("SLAD_LOG").is_none() && std::env::var_os("RUST_LOG").is_none() {
        // The summary line is the show; the daemon's own log keeps to warnings.
        std::env::set_var("SLAD_LOG", "warn,slad=warn");
    }
    init_logging(args.log_format);
    let mut config = match crate::config::parse(DEMO_CONFIG) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("demo configuration: {errors}");
            return ExitCode::from(crate::daemon::EXIT_CONFIG);
        }
    };
    let mock = match MockCluster::new(1) {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("could not start the in-process Kafka cluster: {error}");
            return ExitCode::FAILURE;
        }
    };
    config.kafka.brokers = mock.bootstrap_servers();
    config.http.listen = args.listen;
    // The cluster lives in this process: so does its state.
    let state_dir = std::env::temp_dir().join(format!("slad-demo-{}", std::process::id()));
    config.state.dir = state_dir.clone();
    let settings = crate::daemon::settings(&config);
    let created = mock
        .create_topic(&settings.input_topic, INPUT_PARTITIONS, 1)
        .and_then(|_| {
            [
                &settings.escalations_topic,
                &settings.notifications_topic,
                &settings.routing_topic,
                &settings.dead_letter_topic,
            ]
            .into_iter()
            .try_for_each(|t| mock.create_topic(t, 1, 1))
        })
        .and_then(|_| mock.create_topic(&settings.state_topic, INPUT_PARTITIONS, 1));
    if let Err(error) = created {
        eprintln!("could not create the topics: {error}");
        return ExitCode::FAILURE;
    }
    let handle = crate::metrics::install(config.rules.limits.allowed_lateness_ms);
    let mut http = match crate::http::Http::bind(args.listen) {
        Ok(http) => http,
        Err(error) => {
            eprintln!("--listen {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let options = Options::from_config(&config, Duration::from_secs(10));
    let daemon = match Daemon::start(&settings, Arc::new(config.rules.clone()), &options) {
        Ok(daemon) => daemon,
        Err(error) => {
            eprintln!("could not start the daemon: {error}");
            return ExitCode::FAILURE;
        }
    };
    let status = daemon.status().clone();
    if let Err(error) = http.serve(Some(handle), Arc::new(move || status.is_ready())) {
        eprintln!("could not serve http: {error}");
        return ExitCode::FAILURE;
    }
    println!(
        "slad demo: in-process Kafka at {}, {} tenants, {:.0} events/s; metrics on http://{}/metrics; Ctrl-C stops",
        settings.brokers,
        args.tenants,
        args.rate,
        http.local_addr()
    );

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let producer: ThreadedProducer<DefaultProducerContext> =
        match ClientConfig::new().set("bootstrap.servers", &settings.brokers).set("linger.ms", "5").create() {
            Ok(producer) => producer,
            Err(error) => {
                eprintln!("could not start the traffic producer: {error}");
                return ExitCode::FAILURE;
            }
        };
    let generator_stop = stop.clone();
    let topic = settings.input_topic.clone();
    let traffic = TrafficConfig {
        tenants: args.tenants.max(1),
        agents_per_tenant: 10,
        rate: args.rate.max(1.0),
        open_tickets: ((args.rate * 60.0 / crate::traffic::EVENTS_PER_TICKET) as usize).max(10),
        response_target_ms: 15_000,
        seed: wall_ms() as u64,
    };
    let generator = std::thread::Builder::new().name("slad-demo-traffic".into()).spawn(move || {
        let mut generator = Generator::new(traffic, wall_ms());
        let mut batch = Vec::new();
        while !generator_stop.load(Ordering::Relaxed) {
            batch.clear();
            generator.due(wall_ms(), &mut batch);
            for event in &batch {
                let record = BaseRecord::<str, str>::to(&topic).key(&event.tenant).payload(&event.line);
                if let Err((error, _)) = producer.send(record) {
                    tracing::warn!(%error, "demo traffic not sent");
                }
            }
            let wait = (generator.next_due() - wall_ms()).clamp(1, 100);
            std::thread::sleep(Duration::from_millis(wait as u64));
        }
        let _ = producer.flush(Duration::from_secs(5));
    });

    let started = Instant::now();
    let mut before = daemon.status().snapshot();
    let mut last = Instant::now();
    let stdout = std::io::stdout();
    while !stop.load(Ordering::Relaxed) && args.duration.is_none_or(|d| started.elapsed() < d) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() >= Duration::from_secs(1) {
            let now = daemon.status().snapshot();
            let line = summary(started.elapsed(), &now, &before, last.elapsed().as_secs_f64());
            let mut out = stdout.lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            before = now;
            last = Instant::now();
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Ok(generator) = generator {
        let _ = generator.join();
    }
    daemon.shutdown();
    let final_status = daemon.status().clone();
    let outcome = daemon.wait();
    let end = final_status.snapshot();
    println!(
        "slad demo stopped after {} s: {} inputs, {} warnings, {} breaches, {} escalations, {} assignments ({:?})",
        started.elapsed().as_secs(),
        end.consumed,
        end.outputs_of("sla.warning"),
        end.outputs_of("sla.breached"),
        end.outputs_of("escalation.raised"),
        end.outputs_of("routing.assigned"),
        outcome
    );
    drop(http);
    drop(mock);
    let _ = std::fs::remove_dir_all(&state_dir);
    match outcome {
        Outcome::Drained { complete: true } => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_configuration_is_valid() {
        let config = crate::config::parse(super::DEMO_CONFIG).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.engine.shards, Some(2));
        assert!(config.rules.policies.len() >= 2);
    }
}
