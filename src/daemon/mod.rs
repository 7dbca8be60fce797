//! `slad run`: the engine fed from Kafka and publishing to Kafka.
//!
//! Threads:
//! - **control** (one): polls the consumer's main queue, which serves the group protocol
//!   (rebalance callbacks, commit results); applies reloads; runs the drain; pings the systemd
//!   watchdog when every shard loop is alive.
//! - **shards** (`[engine] shards`, default the number of cores): each owns the engines of the
//!   partitions it was given and polls those partitions' own queues (see [`crate::kafka::consumer`]
//!   for why partition queues rather than one poller handing messages over).
//! - the producer's delivery thread (librdkafka's), the HTTP thread, the signal thread.
//!
//! Partitions are given to the least-loaded shard when assigned. Nothing is shared on the hot
//! path: a shard talks to others only through its channel.

mod checkpoints;
pub mod clock;
mod shard;

/// `kafka.exactly_once`: the longest wait for the startup probe, a partition's
/// `init_transactions`, a transaction's commit or abort.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(10);

use crate::config::Config;
use crate::engine::rules::Rules;
use crate::kafka::consumer::{CommitPoint, Consumer, Queue, RebalanceHandler};
use crate::kafka::producer::Producer;
use crate::kafka::{self, Settings};
use crate::metrics as m;
use crate::state::store::{StateOptions, Store};
use crate::systemd;
use crossbeam_channel::{unbounded, Receiver, Sender};
use rdkafka::consumer::{CommitMode, Consumer as _};
use rdkafka::producer::Producer as _;
use rdkafka::Message;
use shard::{ExactlyOnce, Shard, ShardInit, ShardMsg, Topics};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

// The shell is where time comes from: the control loop measures deadlines and intervals.
#[allow(clippy::disallowed_methods)]
fn instant_now() -> std::time::Instant {
    std::time::Instant::now()
}

/// The output event types, in the order of the per-type counters.
pub const OUTPUT_TYPES: [&str; 8] = [
    "sla.warning",
    "sla.breached",
    "sla.fulfilled",
    "escalation.raised",
    "notification.requested",
    "routing.queued",
    "routing.expanded",
    "routing.assigned",
];

/// EX_CONFIG from sysexits.h: a bad configuration.
pub const EXIT_CONFIG: u8 = 78;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Sets up `tracing` on standard error; the filter comes from `SLAD_LOG` (then `RUST_LOG`),
/// default `info`. Does nothing if a subscriber is already set.
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SLAD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Parses `500ms`, `10s`, `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("not a duration: {text:?} (try 10s, 500ms, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("not a duration: {text:?} (try 10s, 500ms, 2m)")),
    }
}

/// `slad run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The configuration file (TOML).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// On SIGTERM/SIGINT, how long the drain (outputs acknowledged, offsets committed) may take
    /// before the process exits anyway.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
}

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Shard threads (at least 1).
    pub shards: usize,
    /// Longest drain on shutdown.
    pub drain_timeout: Duration,
    /// Longest wait for a revoked partition's outputs to be acknowledged.
    pub revoke_timeout: Duration,
    /// Where and how often partitions' state is checkpointed; `None` keeps no state (a restart
    /// starts empty at the committed offsets).
    pub state: Option<StateOptions>,
}

impl Options {
    /// From `[engine] shards` (default: the number of cores).
    pub fn from_config(config: &Config, drain_timeout: Duration) -> Options {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Options {
            shards: config.engine.shards.unwrap_or(cores).max(1),
            drain_timeout,
            revoke_timeout: Duration::from_secs(10),
            state: Some(StateOptions {
                dir: config.state.dir.clone(),
                interval: Duration::from_millis(config.state.snapshot_interval_ms.max(1) as u64),
                topic: config.kafka.state_topic.clone(),
                timeout: Duration::from_secs(30),
            }),
        }
    }
}

/// The Kafka settings of a configuration.
pub fn settings(config: &Config) -> Settings {
    let k = &config.kafka;
    Settings {
        brokers: k.brokers.clone(),
        state_topic: k.state_topic.clone(),
        group_id: k.group_id.clone(),
        input_topic: k.input_topic.clone(),
        escalations_topic: k.escalations_topic.clone(),
        notifications_topic: k.notifications_topic.clone(),
        routing_topic: k.routing_topic.clone(),
        dead_letter_topic: k.dead_letter_topic.clone(),
        exactly_once: k.exactly_once,
        properties: k.properties.clone(),
    }
}

/// Counters shared with observers (the demo's summary line, tests).
#[derive(Debug, Default)]
pub struct Counters {
    pub consumed: AtomicU64,
    pub rejected: AtomicU64,
    pub duplicates: AtomicU64,
    pub late: AtomicU64,
    /// By [`OUTPUT_TYPES`].
    pub outputs: [AtomicU64; 8],
}

/// The daemon's state as others see it.
#[derive(Debug)]
pub struct Status {
    ready: AtomicBool,
    /// Assigned partitions whose state is not restored yet.
    restoring: AtomicUsize,
    assigned_once: AtomicBool,
    partitions: AtomicUsize,
    pub counters: Counters,
    tickets: Vec<AtomicU64>,
    timers: Vec<AtomicU64>,
    heartbeats: Vec<AtomicU64>,
    /// Why a shard cannot go on (a fenced or failed transactional producer).
    failure: Mutex<Option<String>>,
}

/// A reading of [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub ready: bool,
    pub partitions: usize,
    pub consumed: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub late: u64,
    /// By [`OUTPUT_TYPES`].
    pub outputs: [u64; 8],
    pub tickets: u64,
    pub timers: u64,
}

impl Snapshot {
    /// Outputs of one type (`"sla.breached"`, ...).
    pub fn outputs_of(&self, type_name: &str) -> u64 {
        OUTPUT_TYPES.iter().position(|t| *t == type_name).map_or(0, |i| self.outputs[i])
    }
}

impl Status {
    fn new(shards: usize) -> Status {
        let zeros = |n| (0..n).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        Status {
            ready: AtomicBool::new(false),
            restoring: AtomicUsize::new(0),
            assigned_once: AtomicBool::new(false),
            partitions: AtomicUsize::new(0),
            counters: Counters::default(),
            tickets: zeros(shards),
            timers: zeros(shards),
            heartbeats: zeros(shards),
            failure: Mutex::new(None),
        }
    }

    /// A shard cannot go on: the daemon stops (the first reason is kept).
    pub(crate) fn fail(&self, reason: String) {
        if let Ok(mut slot) = self.failure.lock() {
            slot.get_or_insert(reason);
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|slot| slot.clone())
    }

    /// Partitions assigned (possibly none: more members than partitions), each one's state
    /// restored, and shards running.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) && self.restoring.load(Ordering::Acquire) == 0
    }

    /// Partitions still being restored.
    pub fn restoring(&self) -> usize {
        self.restoring.load(Ordering::Acquire)
    }

    /// One assigned partition is restored (or was revoked before it was); tells systemd once
    /// all are.
    pub(crate) fn restored_one(&self) {
        let before = self.restoring.fetch_sub(1, Ordering::AcqRel);
        if before == 1 {
            self.announce();
        }
    }

    /// Tells systemd the daemon is ready (the first time) or what it holds now.
    fn announce(&self) {
        if !self.is_ready() {
            return;
        }
        let line = format!("consuming {} partition(s)", self.partitions.load(Ordering::Relaxed));
        if !self.assigned_once.swap(true, Ordering::AcqRel) {
            systemd::ready(&line);
        } else {
            systemd::status(&line);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Snapshot {
            ready: self.is_ready(),
            partitions: self.partitions.load(Ordering::Relaxed),
            consumed: load(&self.counters.consumed),
            rejected: load(&self.counters.rejected),
            duplicates: load(&self.counters.duplicates),
            late: load(&self.counters.late),
            outputs: std::array::from_fn(|i| load(&self.counters.outputs[i])),
            tickets: self.tickets.iter().map(load).sum(),
            timers: self.timers.iter().map(load).sum(),
        }
    }

    pub(crate) fn heartbeat(&self, shard: usize, wall_ms: i64) {
        if let Some(h) = self.heartbeats.get(shard) {
            h.store(wall_ms.max(0) as u64, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_shard_gauges(&self, shard: usize, tickets: u64, timers: u64) {
        if let (Some(t), Some(a)) = (self.tickets.get(shard), self.timers.get(shard)) {
            t.store(tickets, Ordering::Relaxed);
            a.store(timers, Ordering::Relaxed);
        }
    }

    /// Marks the shard as inside a long operation that its own timeouts bound (restoring a
    /// partition, encoding a large checkpoint): the watchdog does not take it for a stuck loop
    /// until its next heartbeat.
    pub(crate) fn busy(&self, shard: usize) {
        if let Some(h) = self.heartbeats.get(shard) {
            h.store(u64::MAX, Ordering::Relaxed);
        }
    }

    /// The oldest shard heartbeat, wall ms.
    fn oldest_heartbeat(&self) -> u64 {
        self.heartbeats.iter().map(|h| h.load(Ordering::Relaxed)).min().unwrap_or(0)
    }
}

/// Gives assigned partitions to shards and runs the revoke barrier.
struct Router {
    shards: Vec<Sender<ShardMsg>>,
    owner: Mutex<BTreeMap<i32, usize>>,
    next_epoch: AtomicU64,
    status: Arc<Status>,
    revoke_timeout: Duration,
    shutting_down: AtomicBool,
}

impl RebalanceHandler for Router {
    fn assigned(&self, partitions: Vec<(i32, Queue)>) {
        metrics::counter!(m::REBALANCES).increment(1);
        let Ok(mut owner) = self.owner.lock() else { return };
        for (partition, queue) in partitions {
            let mut load = vec![0usize; self.shards.len()];
            for shard in owner.values() {
                load[*shard] += 1;
            }
            let shard = (0..load.len()).min_by_key(|i| (load[*i], *i)).unwrap_or(0);
            let epoch = self.next_epoch.fetch_add(1, Ordering::Relaxed);
            owner.insert(partition, shard);
            self.status.restoring.fetch_add(1, Ordering::AcqRel);
            let _ = self.shards[shard].send(ShardMsg::Assign { partition, queue, epoch });
        }
        let count = owner.len();
        drop(owner);
        self.status.partitions.store(count, Ordering::Relaxed);
        metrics::gauge!(m::PARTITIONS_ASSIGNED).set(count as f64);
        if self.shutting_down.load(Ordering::Acquire) {
            return;
        }
        self.status.ready.store(true, Ordering::Release);
        self.status.announce();
    }

    fn revoked(&self, partitions: &[i32]) -> Vec<CommitPoint> {
        let Ok(mut owner) = self.owner.lock() else { return Vec::new() };
        let mut by_shard: BTreeMap<usize, Vec<i32>> = BTreeMap::new();
        for p in partitions {
            if let Some(shard) = owner.remove(p) {
                by_shard.entry(shard).or_default().push(*p);
            }
        }
        let count = owner.len();
        drop(owner);
        self.status.partitions.store(count, Ordering::Relaxed);
        metrics::gauge!(m::PARTITIONS_ASSIGNED).set(count as f64);
        if count == 0 {
            self.status.ready.store(false, Ordering::Release);
        }
        if self.shutting_down.load(Ordering::Acquire) {
            return Vec::new();
        }
        let deadline = instant_now() + self.revoke_timeout;
        let (reply, replies) = unbounded();
        let mut expected = 0;
        for (shard, partitions) in by_shard {
            if self.shards[shard].send(ShardMsg::Revoke { partitions, reply: reply.clone(), deadline }).is_ok() {
                expected += 1;
            }
        }
        let mut offsets = Vec::new();
        for _ in 0..expected {
            match replies.recv_deadline(deadline + Duration::from_secs(1)) {
                Ok(list) => offsets.extend(list),
                Err(_) => {
                    tracing::error!("a shard did not finish its revoked partitions in time");
                    break;
                }
            }
        }
        tracing::info!(?offsets, "revoked partitions released; committing");
        offsets
    }
}

/// Commands for the control thread.
enum Command {
    Rules(Arc<Rules>),
    Shutdown,
}

/// How the daemon ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Drained on request: `complete` is false when the drain timeout cut it short (the inputs
    /// whose outputs were not acknowledged stay uncommitted and are read again next time).
    Drained { complete: bool },
    /// The producer failed fatally; offsets past the acknowledged outputs were not committed.
    Failed(String),
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A client refused its configuration (a bad `kafka.properties` entry, usually).
    #[error("kafka client configuration: {0}")]
    Config(rdkafka::error::KafkaError),
    #[error("could not start a thread: {0}")]
    Thread(std::io::Error),
    /// `state.dir` is not usable, or the state topic's client could not be made.
    #[error("state: {0}")]
    State(crate::state::StateError),
    /// `kafka.exactly_once`: the broker refused the startup probe transaction.
    #[error("kafka.exactly_once: {0}")]
    Transactions(kafka::transactional::ProbeError),
    /// `kafka.exactly_once` needs the state kept (the checkpoints go in the transactions).
    #[error("kafka.exactly_once needs state to be kept")]
    NoState,
}

/// A running daemon.
pub struct Daemon {
    commands: Sender<Command>,
    status: Arc<Status>,
    done: Receiver<()>,
    control: Option<JoinHandle<Outcome>>,
}

impl Daemon {
    /// Starts the shards and the consumer; returns at once. The partitions come with the
    /// group's first assignment ([`Status::is_ready`]).
    pub fn start(settings: &Settings, rules: Arc<Rules>, options: &Options) -> Result<Daemon, StartError> {
        let count = options.shards.max(1);
        let status = Arc::new(Status::new(count));
        let store = match &options.state {
            Some(state) => Some(Arc::new(Store::open(settings, state.clone()).map_err(StartError::State)?)),
            None => None,
        };
        let eos = match (&store, settings.exactly_once) {
            (_, false) => None,
            (None, true) => return Err(StartError::NoState),
            (Some(store), true) => Some(Arc::new(start_transactions(settings, store)?)),
        };
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..count).map(|_| unbounded::<ShardMsg>()).unzip();
        let producer: Arc<Producer<ShardMsg>> =
            Arc::new(kafka::producer::create(settings, senders.clone()).map_err(StartError::Config)?);
        let router = Arc::new(Router {
            shards: senders.clone(),
            owner: Mutex::new(BTreeMap::new()),
            next_epoch: AtomicU64::new(1),
            status: status.clone(),
            revoke_timeout: options.revoke_timeout,
            shutting_down: AtomicBool::new(false),
        });
        let (wake, woken) = crossbeam_channel::bounded::<()>(1);
        let consumer = kafka::consumer::create(settings, router.clone(), move || {
            let _ = wake.try_send(());
        })
        .map_err(StartError::Config)?;
        let topics = Topics {
            input: settings.input_topic.clone(),
            outputs: [
                settings.escalations_topic.clone(),
                settings.notifications_topic.clone(),
                settings.routing_topic.clone(),
                settings.dead_letter_topic.clone(),
            ],
        };
        let reset_to_end = settings
            .properties
            .get("auto.offset.reset")
            .is_some_and(|v| matches!(v.as_str(), "latest" | "largest" | "end"));
        let mut joins = Vec::with_capacity(count);
        let now = crate::daemon::shard::wall_ms();
        for (id, rx) in receivers.into_iter().enumerate() {
            status.heartbeat(id, now);
            let shard = Shard::new(ShardInit {
                id: id as u32,
                rx,
                tx: senders[id].clone(),
                consumer: consumer.clone(),
                producer: producer.clone(),
                topics: topics.clone(),
                reset_to_end,
                rules: rules.clone(),
                status: status.clone(),
                store: store.clone(),
                eos: eos.clone(),
            });
            let join = std::thread::Builder::new()
                .name(format!("slad-shard-{id}"))
                .spawn(move || shard.run())
                .map_err(StartError::Thread)?;
            joins.push(join);
        }
        let (commands, command_rx) = unbounded();
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let control = Control {
            consumer,
            producer,
            router,
            shards: senders,
            joins: Mutex::new(joins),
            commands: command_rx,
            woken,
            status: status.clone(),
            input_topic: settings.input_topic.clone(),
            drain_timeout: options.drain_timeout,
        };
        let control = std::thread::Builder::new()
            .name("slad-control".into())
            .spawn(move || {
                let outcome = control.run();
                let _ = done_tx.send(());
                outcome
            })
            .map_err(StartError::Thread)?;
        Ok(Daemon { commands, status, done, control: Some(control) })
    }

    pub fn status(&self) -> &Arc<Status> {
        &self.status
    }

    /// New rules for every partition's engine.
    pub fn reload(&self, rules: Arc<Rules>) {
        let _ = self.commands.send(Command::Rules(rules));
    }

    /// Starts the drain; [`Daemon::wait`] returns when it is over.
    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
    }

    /// A channel that receives once the daemon has stopped.
    pub fn done(&self) -> &Receiver<()> {
        &self.done
    }

    /// Waits for the end.
    pub fn wait(mut self) -> Outcome {
        match self.control.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Outcome::Failed("the control thread panicked".into()),
            None => Outcome::Failed("already waited".into()),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(control) = self.control.take() {
            let _ = self.commands.send(Command::Shutdown);
            let _ = control.join();
        }
    }
}

/// `kafka.exactly_once`: checks at once that the broker runs transactions (the state topic,
/// created if missing, receives the probe's one tombstone), so that a broker without them is
/// refused at startup, within [`TRANSACTION_TIMEOUT`], never at the first commit.
fn start_transactions(settings: &Settings, store: &Store) -> Result<ExactlyOnce, StartError> {
    m::register_transaction_series();
    let admin: rdkafka::producer::BaseProducer =
        kafka::producer_config(settings).create().map_err(StartError::Config)?;
    store.topic_partitions(admin.client()).map_err(StartError::State)?;
    kafka::transactional::probe(settings, store.topic(), TRANSACTION_TIMEOUT).map_err(StartError::Transactions)?;
    tracing::info!("kafka.exactly_once: the broker runs transactions; one per partition and commit");
    Ok(ExactlyOnce { settings: settings.clone(), timeout: TRANSACTION_TIMEOUT })
}

/// The control thread.
struct Control {
    consumer: Arc<Consumer>,
    producer: Arc<Producer<ShardMsg>>,
    router: Arc<Router>,
    shards: Vec<Sender<ShardMsg>>,
    joins: Mutex<Vec<JoinHandle<()>>>,
    commands: Receiver<Command>,
    /// Receives when the consumer's main queue becomes non-empty.
    woken: Receiver<()>,
    status: Arc<Status>,
    input_topic: String,
    drain_timeout: Duration,
}

impl Control {
    fn run(self) -> Outcome {
        let watchdog = systemd::watchdog_interval();
        let mut next_house = instant_now();
        let mut next_watchdog = instant_now();
        let mut next_status = instant_now() + Duration::from_secs(10);
        loop {
            self.serve_consumer();
            while let Ok(command) = self.commands.try_recv() {
                if let Some(outcome) = self.command(command) {
                    return outcome;
                }
            }
            if let Some(reason) = self.producer.context().fatal().or_else(|| self.status.failure()) {
                tracing::error!(reason, "the producer cannot go on; stopping without committing further");
                self.router.shutting_down.store(true, Ordering::Release);
                self.status.ready.store(false, Ordering::Release);
                self.stop_shards(instant_now());
                return Outcome::Failed(reason);
            }
            let now = instant_now();
            if now >= next_house {
                next_house = now + Duration::from_secs(1);
                metrics::gauge!(m::PRODUCER_QUEUE_DEPTH).set(self.producer.in_flight_count() as f64);
                m::set_build_info();
                m::upkeep();
            }
            if let Some(interval) = watchdog {
                if now >= next_watchdog {
                    next_watchdog = now + interval / 4;
                    let age_ms =
                        (crate::daemon::shard::wall_ms().max(0) as u64).saturating_sub(self.status.oldest_heartbeat());
                    if age_ms < (interval.as_millis() as u64 / 2).max(2_000) {
                        systemd::watchdog();
                    } else {
                        tracing::error!(age_ms, "a shard loop is stuck: watchdog not pinged");
                    }
                }
            }
            if now >= next_status {
                next_status = now + Duration::from_secs(10);
                let s = self.status.snapshot();
                systemd::status(&format!(
                    "{} partition(s), {} tickets, {} timers, {} inputs read",
                    s.partitions, s.tickets, s.timers, s.consumed
                ));
            }
            // Sleep until the consumer has events, a command comes, or housekeeping is due (the
            // consumer is served at least once a second whatever happens).
            let mut wake = next_house.min(next_status);
            if watchdog.is_some() {
                wake = wake.min(next_watchdog);
            }
            crossbeam_channel::select! {
                recv(self.commands) -> command => {
                    if let Some(outcome) = command.ok().and_then(|c| self.command(c)) {
                        return outcome;
                    }
                }
                recv(self.woken) -> _ => {}
                default(wake.saturating_duration_since(instant_now())) => {}
            }
        }
    }

    /// Serves the consumer's main queue (rebalances, commit results, errors) without blocking:
    /// zero-timeout polls until a few come back empty.
    fn serve_consumer(&self) {
        let mut empty = 0;
        while empty < 3 {
            match self.consumer.poll(Duration::ZERO) {
                Some(Ok(message)) => {
                    empty = 0;
                    // Partition queues are split before assignment; this would be a librdkafka
                    // change of behaviour. Hand it to its owner rather than lose it.
                    tracing::error!(
                        partition = message.partition(),
                        offset = message.offset(),
                        "message on the main queue"
                    );
                    let owner = self.router.owner.lock().ok().and_then(|o| o.get(&message.partition()).copied());
                    if let Some(shard) = owner {
                        let _ = self.shards[shard].send(ShardMsg::Stray(Box::new(message.detach())));
                    }
                }
                Some(Err(error)) => {
                    empty = 0;
                    tracing::warn!(%error, "consumer");
                }
                None => empty += 1,
            }
        }
    }

    /// Applies a command; returns the outcome when it ends the daemon.
    fn command(&self, command: Command) -> Option<Outcome> {
        match command {
            Command::Rules(rules) => {
                for shard in &self.shards {
                    let _ = shard.send(ShardMsg::Rules(rules.clone()));
                }
                None
            }
            Command::Shutdown => Some(self.drain()),
        }
    }

    /// Tells every shard to finish (bounded by `deadline`) and collects the offsets to commit.
    fn stop_shards(&self, deadline: std::time::Instant) -> (Vec<CommitPoint>, bool) {
        let (reply, replies) = unbounded();
        let mut expected = 0;
        for shard in &self.shards {
            if shard.send(ShardMsg::Drain { reply: reply.clone(), deadline }).is_ok() {
                expected += 1;
            }
        }
        let mut offsets = Vec::new();
        let mut complete = true;
        for _ in 0..expected {
            match replies.recv_deadline(deadline + Duration::from_secs(1)) {
                Ok(list) => offsets.extend(list),
                Err(_) => {
                    complete = false;
                    break;
                }
            }
        }
        (offsets, complete)
    }

    /// SIGTERM: stop consuming, let every output be acknowledged, commit, leave the group.
    fn drain(&self) -> Outcome {
        let started = instant_now();
        let deadline = started + self.drain_timeout;
        tracing::info!(timeout = ?self.drain_timeout, "draining: no more input; waiting for outputs to be acknowledged");
        systemd::stopping("draining");
        self.status.ready.store(false, Ordering::Release);
        self.router.shutting_down.store(true, Ordering::Release);
        let in_flight_before = self.producer.in_flight_count();
        let (offsets, replied) = self.stop_shards(deadline);
        let committed = match kafka::consumer::commit(&self.consumer, &self.input_topic, &offsets, CommitMode::Sync) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "final commit failed");
                offsets.is_empty()
            }
        };
        let joins = std::mem::take(&mut *self.joins.lock().unwrap_or_else(|e| e.into_inner()));
        for join in joins {
            let _ = join.join();
        }
        let remaining = deadline.saturating_duration_since(instant_now());
        let flushed = self.producer.flush(remaining.max(Duration::from_millis(100))).is_ok();
        let unacked = self.producer.in_flight_count();
        self.consumer.unsubscribe();
        let complete = replied && committed && flushed && instant_now() <= deadline + Duration::from_secs(1);
        if complete {
            tracing::info!(
                elapsed = ?started.elapsed(),
                ?offsets,
                in_flight_before,
                "drained: outputs acknowledged, offsets committed"
            );
        } else {
            tracing::warn!(
                elapsed = ?started.elapsed(),
                ?offsets,
                shards_replied = replied,
                committed,
                unacked,
                "drain cut short by the timeout: inputs with unacknowledged outputs stay uncommitted"
            );
        }
        Outcome::Drained { complete }
    }
}

/// `slad run --config FILE`: exit 0 after a drain, 78 for a bad configuration, 1 otherwise.
pub fn run(args: RunArgs) -> ExitCode {
    init_logging(args.log_format);
    let config = match crate::config::load(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            for line in errors.to_string().lines() {
                eprintln!("{}: {line}", args.config.display());
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    serve(config, args)
}

fn serve(config: Config, args: RunArgs) -> ExitCode {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let settings = settings(&config);
    let options = Options::from_config(&config, args.drain_timeout);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %args.config.display(),
        brokers = %settings.brokers,
        group = %settings.group_id,
        input = %settings.input_topic,
        shards = options.shards,
        property_keys = ?settings.properties.keys().collect::<Vec<_>>(),
        "starting"
    );
    let handle = m::install(config.rules.limits.allowed_lateness_ms);
    m::set_build_info();
    let mut signals = match signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) {
        Ok(signals) => signals,
        Err(error) => {
            tracing::error!(%error, "could not install signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let mut http = match crate::http::Http::bind(config.http.listen) {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(listen = %config.http.listen, %error, "could not bind http.listen");
            return ExitCode::FAILURE;
        }
    };
    let daemon = match Daemon::start(&settings, Arc::new(config.rules.clone()), &options) {
        Ok(daemon) => daemon,
        Err(error @ StartError::Config(_)) => {
            eprintln!("{}: kafka.properties: {error}", args.config.display());
            return ExitCode::from(EXIT_CONFIG);
        }
        Err(error @ StartError::State(_)) => {
            eprintln!("{}: {error}", args.config.display());
            return ExitCode::FAILURE;
        }
        Err(error @ StartError::Transactions(kafka::transactional::ProbeError::Refused { .. })) => {
            eprintln!("{}: {error}", args.config.display());
            return ExitCode::from(EXIT_CONFIG);
        }
        Err(error @ StartError::Transactions(_)) => {
            eprintln!("{}: {error}", args.config.display());
            return ExitCode::FAILURE;
        }
        Err(error) => {
            tracing::error!(%error, "could not start");
            return ExitCode::FAILURE;
        }
    };
    let status = daemon.status().clone();
    if let Err(error) = http.serve(Some(handle), Arc::new(move || status.is_ready())) {
        tracing::error!(%error, "could not start the http thread");
        return ExitCode::FAILURE;
    }
    tracing::info!(listen = %http.local_addr(), "serving /metrics /healthz /readyz");
    let (signal_tx, signal_rx) = unbounded();
    let signal_handle = signals.handle();
    let signal_thread = std::thread::Builder::new().name("slad-signals".into()).spawn(move || {
        for signal in signals.forever() {
            if signal_tx.send(signal).is_err() {
                break;
            }
        }
    });
    let mut current = config;
    let mut draining = false;
    loop {
        crossbeam_channel::select! {
            recv(signal_rx) -> signal => match signal {
                Ok(SIGHUP) => current = reload(&daemon, &args, current),
                Ok(_) if draining => {
                    tracing::warn!("second stop signal: exiting without waiting for the drain");
                    return ExitCode::FAILURE;
                }
                Ok(_) => {
                    draining = true;
                    daemon.shutdown();
                }
                Err(_) => break,
            },
            recv(daemon.done()) -> _ => break,
        }
    }
    let outcome = daemon.wait();
    signal_handle.close();
    if let Ok(thread) = signal_thread {
        let _ = thread.join();
    }
    drop(http);
    match outcome {
        Outcome::Drained { complete: true } => ExitCode::SUCCESS,
        Outcome::Drained { complete: false } => ExitCode::FAILURE,
        Outcome::Failed(reason) => {
            tracing::error!(reason, "stopped on a failure");
            ExitCode::FAILURE
        }
    }
}

/// SIGHUP: load the file again; a bad one is refused (every error logged) and the old kept.
fn reload(daemon: &Daemon, args: &RunArgs, current: Config) -> Config {
    match crate::config::load(&args.config) {
        Err(errors) => {
            for error in &errors.0 {
                tracing::error!(key = %error.path, message = %error.message, "reload refused");
            }
            tracing::error!(count = errors.0.len(), "configuration not reloaded: the current one stays in force");
            metrics::counter!(m::CONFIG_RELOADS, "result" => "error").increment(1);
            systemd::status("reload refused: see the log");
            current
        }
        Ok(new) => {
            let mut needs_restart = Vec::new();
            if new.kafka != current.kafka {
                needs_restart.push("kafka");
            }
            if new.http != current.http {
                needs_restart.push("http");
            }
            if new.engine != current.engine {
                needs_restart.push("engine.shards");
            }
            if new.state != current.state {
                needs_restart.push("state");
            }
            if !needs_restart.is_empty() {
                tracing::warn!(sections = ?needs_restart, "changed settings take effect at the next restart");
            }
            daemon.reload(Arc::new(new.rules.clone()));
            metrics::counter!(m::CONFIG_RELOADS, "result" => "ok").increment(1);
            tracing::info!(policies = new.rules.policies.len(), "configuration reloaded: new rules in force");
            systemd::status("configuration reloaded");
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
