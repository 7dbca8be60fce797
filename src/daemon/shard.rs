//! A shard thread: it alone owns the engines of its partitions, restores them when assigned,
//! polls their queues, keeps each partition's arrival clock, fires timers, produces outputs and
//! dead letters, tracks their acknowledgements, commits the offsets whose outputs are all
//! acknowledged and checkpoints the engines (see [`crate::state`]).
//!
//! The loop never spins at idle: it sleeps on its channel until the next due timer of a caught-up
//! partition, a new message (the queue's non-empty callback sends a wake-up), a delivery report,
//! a command, or the one-second housekeeping tick.

// The shell is where time comes from: this loop reads the wall clock (arrival clocks,
// `emitted_at`) and the monotonic clock (sleeps, deadlines); the engine reads neither.
#![allow(clippy::disallowed_methods)]

use super::checkpoints::{Checkpoints, TIMER_BURST};
use super::clock::ArrivalClock;
use super::Status;
use crate::checkpoint::{self, Meta};
use crate::contract::decode::{decode_envelope, DecodeLimits, Source};
use crate::contract::{OutputEvent, Reason, Rejection, Topic};
use crate::engine::rules::Rules;
use crate::engine::{Engine, Ingested};
use crate::kafka::consumer::{self, CachedWatermark, CommitPoint, Consumer, Queue};
use crate::kafka::dlq;
use crate::kafka::offsets::OffsetTracker;
use crate::kafka::producer::{Delivery, Producer, Token};
use crate::kafka::transactional::{Transactional, TxnError};
use crate::kafka::Settings;
use crate::metrics as m;
use crate::state::store::Store;
use crate::state::topic::CHUNK;
use crate::state::writer::{Job, Written};
use crate::state::{Committed, Restored, Source as StateSource};
use crate::time::Millis;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use metrics::{Counter, Gauge, Histogram};
use rdkafka::consumer::{CommitMode, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::BaseRecord;
use rdkafka::topic_partition_list::Offset;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Timestamp};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Messages taken from one partition queue before the next partition gets its turn.
const BATCH: usize = 512;
/// How often acknowledged offsets are committed.
const COMMIT_INTERVAL: Duration = Duration::from_millis(100);
/// Housekeeping: gauges, heartbeat, partitions whose start is not known yet.
const TICK: Duration = Duration::from_secs(1);
/// Wait before producing a record again after a delivery failure.
const RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// Timeout of the broker queries made when a partition is assigned.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Milliseconds since the Unix epoch, from the wall clock.
pub(crate) fn wall_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
}

/// What a shard receives.
pub(crate) enum ShardMsg {
    /// A partition queue became non-empty.
    Wake,
    Delivery(Delivery),
    Assign {
        partition: i32,
        queue: Queue,
        epoch: u64,
    },
    /// A message of an owned partition that reached the main queue.
    Stray(Box<OwnedMessage>),
    /// Finish with these partitions (outputs acknowledged or `deadline` passed), write their
    /// final checkpoints, drop their state, and reply with the offsets to commit.
    Revoke {
        partitions: Vec<i32>,
        reply: Sender<Vec<CommitPoint>>,
        deadline: Instant,
    },
    Rules(Arc<Rules>),
    /// Revoke every partition, reply, and stop.
    Drain {
        reply: Sender<Vec<CommitPoint>>,
        deadline: Instant,
    },
    /// The writer finished a checkpoint of the partition assigned with `epoch`.
    Written {
        epoch: u64,
        written: Written,
    },
}

impl From<Delivery> for ShardMsg {
    fn from(delivery: Delivery) -> ShardMsg {
        ShardMsg::Delivery(delivery)
    }
}

/// The topics a shard reads and writes.
#[derive(Debug, Clone)]
pub(crate) struct Topics {
    pub input: String,
    /// Escalations, notifications, routing, dead letters.
    pub outputs: [String; 4],
}

const DLQ: u8 = 3;

fn topic_index(topic: Topic) -> u8 {
    match topic {
        Topic::Escalations => 0,
        Topic::Notifications => 1,
        Topic::Routing => 2,
    }
}

/// A record for the producer, kept until the producer's queue takes it.
struct Outgoing {
    topic: u8,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    headers: Option<OwnedHeaders>,
    token: Token,
}

/// How far a partition's restore has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restore {
    /// Its state is not loaded yet: its queue is not read.
    Loading,
    /// Loaded; replaying the inputs below the committed offset.
    Replaying,
    Done,
}

/// One owned partition.
struct Part {
    partition: i32,
    epoch: u64,
    queue: Option<Queue>,
    engine: Engine,
    clock: ArrivalClock,
    tracker: OffsetTracker,
    restore: Restore,
    source: StateSource,
    assigned_at: Instant,
    /// The group's committed offset when assigned: inputs below it were applied before and
    /// every output they caused acknowledged, so they are applied again without producing.
    committed: i64,
    /// How far the previous owner had read: outputs of inputs below it may be duplicates.
    previous_read: i64,
    /// `None` when state is not kept.
    checkpoints: Option<Checkpoints>,
    /// The next offset to read, once known.
    position: Option<i64>,
    /// The highest high watermark seen.
    high: Option<i64>,
    /// Whether a fetch response has reported the high watermark yet.
    fetched: bool,
    revoking: bool,
    lag: Gauge,
    /// The engine's `(tickets_expired, dedupe_forgotten_early)` already added to the counters.
    counted: (u64, u64),
    /// `kafka.exactly_once`: the partition's transactional producer, once initialised.
    txn: Option<Transactional>,
    /// Whether the engine moved (inputs read, timers fired) since the last committed
    /// transaction.
    txn_dirty: bool,
    /// A record could not join the open transaction: it must be aborted.
    txn_broken: Option<String>,
    /// No transaction commit before this (encoding takes at most a tenth of the shard's time).
    next_txn: Instant,
}

/// `kafka.exactly_once = true`: how the shards make their partitions' transactions.
pub(crate) struct ExactlyOnce {
    pub settings: Settings,
    /// Longest wait for `init_transactions`, a commit or an abort.
    pub timeout: Duration,
}

struct Revoking {
    partitions: Vec<i32>,
    reply: Sender<Vec<CommitPoint>>,
    deadline: Instant,
    stop_after: bool,
}

/// Metric handles, registered once.
struct Metrics {
    consumed: Counter,
    duplicate: Counter,
    late: Counter,
    rejected: Vec<Counter>,
    outputs: Vec<Counter>,
    retries: Counter,
    fire_lateness: Histogram,
    input_delay: Histogram,
    apply: Histogram,
    tickets: Gauge,
    timers: Gauge,
    encode: Histogram,
    suppressed: Counter,
    reemitted: Counter,
    tickets_expired: Counter,
    forgotten_early: Counter,
    /// `slad_memory_bytes` by component, in the order of `MemoryUse::components`.
    memory: Vec<Gauge>,
}

impl Metrics {
    fn new(shard: u32) -> Metrics {
        let label = shard.to_string();
        Metrics {
            consumed: metrics::counter!(m::EVENTS_CONSUMED),
            duplicate: metrics::counter!(m::EVENTS_DUPLICATE),
            late: metrics::counter!(m::EVENTS_LATE),
            rejected: Reason::ALL.iter().map(|r| metrics::counter!(m::EVENTS_REJECTED, "reason" => r.code())).collect(),
            outputs: super::OUTPUT_TYPES.iter().map(|t| metrics::counter!(m::OUTPUTS, "type" => *t)).collect(),
            retries: metrics::counter!(m::PRODUCE_RETRIES),
            fire_lateness: metrics::histogram!(m::FIRE_LATENESS),
            input_delay: metrics::histogram!(m::INPUT_DELAY),
            apply: metrics::histogram!(m::APPLY_DURATION),
            memory: crate::engine::memory::MemoryUse::default()
                .components()
                .iter()
                .map(|(component, _)| metrics::gauge!(m::MEMORY, "component" => *component, "shard" => label.clone()))
                .collect(),
            tickets: metrics::gauge!(m::TICKETS, "shard" => label.clone()),
            timers: metrics::gauge!(m::TIMERS_ARMED, "shard" => label),
            encode: metrics::histogram!(m::CHECKPOINT_ENCODE),
            suppressed: metrics::counter!(m::OUTPUTS_SUPPRESSED),
            reemitted: metrics::counter!(m::OUTPUTS_REEMITTED),
            tickets_expired: metrics::counter!(m::TICKETS_EXPIRED),
            forgotten_early: metrics::counter!(m::DEDUPE_FORGOTTEN_EARLY),
        }
    }
}

pub(crate) struct Shard {
    id: u32,
    rx: Receiver<ShardMsg>,
    tx: Sender<ShardMsg>,
    wake: Arc<AtomicBool>,
    consumer: Arc<Consumer>,
    producer: Arc<Producer<ShardMsg>>,
    topics: Topics,
    watermark: CachedWatermark,
    reset_to_end: bool,
    rules: Arc<Rules>,
    limits: DecodeLimits,
    store: Option<Arc<Store>>,
    eos: Option<Arc<ExactlyOnce>>,
    parts: Vec<Part>,
    pending: VecDeque<Outgoing>,
    retries: VecDeque<(Instant, Outgoing)>,
    revoking: Vec<Revoking>,
    status: Arc<Status>,
    metrics: Metrics,
    out: Vec<OutputEvent>,
    next_commit: Instant,
    next_tick: Instant,
    stopping: bool,
    /// Delivery failures are logged at most once a second (with the count since the last line).
    failure_logged: Option<Instant>,
    failures_unlogged: u64,
}

fn limits_of(rules: &Rules) -> DecodeLimits {
    DecodeLimits { max_event_bytes: rules.limits.max_event_bytes, max_future_skew_ms: rules.limits.max_future_skew_ms }
}

/// Everything a shard is built from.
pub(crate) struct ShardInit {
    pub id: u32,
    pub rx: Receiver<ShardMsg>,
    pub tx: Sender<ShardMsg>,
    pub consumer: Arc<Consumer>,
    pub producer: Arc<Producer<ShardMsg>>,
    pub topics: Topics,
    pub reset_to_end: bool,
    pub rules: Arc<Rules>,
    pub status: Arc<Status>,
    /// `None`: state is not kept (tests, benchmarks of the cost of keeping it).
    pub store: Option<Arc<Store>>,
    /// `Some` with `kafka.exactly_once` (which needs `store`).
    pub eos: Option<Arc<ExactlyOnce>>,
}

impl Shard {
    pub(crate) fn new(init: ShardInit) -> Shard {
        let now = Instant::now();
        Shard {
            id: init.id,
            rx: init.rx,
            tx: init.tx,
            wake: Arc::new(AtomicBool::new(false)),
            consumer: init.consumer,
            producer: init.producer,
            watermark: CachedWatermark::new(&init.topics.input),
            topics: init.topics,
            reset_to_end: init.reset_to_end,
            limits: limits_of(&init.rules),
            rules: init.rules,
            store: init.store,
            eos: init.eos,
            parts: Vec::new(),
            pending: VecDeque::new(),
            retries: VecDeque::new(),
            revoking: Vec::new(),
            status: init.status,
            metrics: Metrics::new(init.id),
            out: Vec::new(),
            next_commit: now + COMMIT_INTERVAL,
            next_tick: now,
            stopping: false,
            failure_logged: None,
            failures_unlogged: 0,
        }
    }

    fn lateness(&self) -> i64 {
        self.rules.limits.allowed_lateness_ms
    }

    /// The loop; returns when drained or when every sender is gone.
    pub(crate) fn run(mut self) {
        tracing::debug!(shard = self.id, "shard started");
        loop {
            self.status.heartbeat(self.id as usize, wall_ms());
            while let Ok(msg) = self.rx.try_recv() {
                self.handle(msg);
            }
            let now = Instant::now();
            self.check_revokes(now);
            if self.stopping {
                break;
            }
            self.flush_pending(now);
            let mut busy = false;
            if self.pending.is_empty() {
                busy = self.consume();
                if self.pending.is_empty() {
                    self.fire_timers();
                }
            }
            let now = Instant::now();
            if now >= self.next_commit {
                if self.eos.is_some() {
                    self.commit_transactions(now);
                } else {
                    self.commit();
                }
                self.next_commit = now + COMMIT_INTERVAL;
            }
            self.checkpoint(now);
            if now >= self.next_tick {
                self.tick();
                self.next_tick = now + TICK;
            }
            if busy {
                continue;
            }
            let wake = self.next_wake(Instant::now());
            match self.rx.recv_deadline(wake) {
                Ok(msg) => self.handle(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::debug!(shard = self.id, "shard stopped");
    }

    /// When to wake up at the latest.
    fn next_wake(&self, now: Instant) -> Instant {
        let mut wake = self.next_tick.min(now + TICK);
        if !self.pending.is_empty() {
            // Waiting for room in the producer queue: delivery reports wake us earlier.
            return wake.min(now + Duration::from_millis(5));
        }
        if let Some((due, _)) = self.retries.front() {
            wake = wake.min(*due);
        }
        if self.parts.iter().any(|p| p.tracker.committable().is_some() && !p.revoking) {
            wake = wake.min(self.next_commit);
        }
        for part in self.parts.iter().filter(|p| p.txn_dirty && !p.revoking && p.restore == Restore::Done) {
            wake = wake.min(part.next_txn.max(self.next_commit));
        }
        if self.parts.iter().any(|p| p.checkpoints.as_ref().is_some_and(|c| c.is_due(now + TICK))) {
            wake = wake.min(now + Duration::from_millis(100));
        }
        if let Some(r) = self.revoking.iter().map(|r| r.deadline).min() {
            wake = wake.min(r);
        }
        let lateness = self.lateness();
        for part in &self.parts {
            if part.revoking || part.restore == Restore::Loading || !self.is_caught_up_cached(part) {
                continue;
            }
            // Held timers wait for their checkpoint (its report wakes the loop) or the hold's end.
            if let Some(until) = part.checkpoints.as_ref().and_then(|c| c.holds_timers(now)) {
                wake = wake.min(until);
                continue;
            }
            if let (Some(deadline), Some(clock)) = (part.engine.next_deadline(), part.clock.now()) {
                let fires = ArrivalClock::fires_at(deadline, lateness);
                let wait = Duration::from_millis(fires.saturating_sub(clock).max(0) as u64);
                wake = wake.min(now + wait);
            }
        }
        wake
    }

    fn handle(&mut self, msg: ShardMsg) {
        match msg {
            ShardMsg::Wake => self.wake.store(false, Ordering::Release),
            ShardMsg::Delivery(Delivery::Acked(token)) => {
                if let Some(part) = self.parts.iter_mut().find(|p| p.epoch == token.epoch) {
                    part.tracker.ack(token.seq);
                }
            }
            ShardMsg::Delivery(Delivery::Failed { token, message, error }) => self.on_failed(token, *message, error),
            ShardMsg::Assign { partition, queue, epoch } => self.assign(partition, queue, epoch),
            ShardMsg::Stray(message) => {
                // A partition still loading is read from its checkpoint's position later.
                let owner = self.parts.iter().position(|p| p.partition == message.partition());
                if let Some(pi) = owner.filter(|pi| self.parts[*pi].restore != Restore::Loading) {
                    self.on_record(pi, &*message);
                }
            }
            ShardMsg::Written { epoch, written } => {
                if let Some(part) = self.parts.iter_mut().find(|p| p.epoch == epoch) {
                    if let Some(checkpoints) = &mut part.checkpoints {
                        checkpoints.on_written(&written);
                    }
                }
            }
            ShardMsg::Revoke { partitions, reply, deadline } => {
                for part in self.parts.iter_mut().filter(|p| partitions.contains(&p.partition)) {
                    part.revoking = true;
                }
                self.revoking.push(Revoking { partitions, reply, deadline, stop_after: false });
            }
            ShardMsg::Rules(rules) => {
                self.limits = limits_of(&rules);
                for part in &mut self.parts {
                    part.engine.set_rules(rules.clone());
                }
                self.rules = rules;
            }
            ShardMsg::Drain { reply, deadline } => {
                let partitions = self.parts.iter().map(|p| p.partition).collect();
                for part in &mut self.parts {
                    part.revoking = true;
                }
                self.revoking.push(Revoking { partitions, reply, deadline, stop_after: true });
            }
        }
    }

    fn assign(&mut self, partition: i32, mut queue: Queue, epoch: u64) {
        let wake = self.wake.clone();
        let tx = self.tx.clone();
        queue.set_nonempty_callback(move || {
            if !wake.swap(true, Ordering::AcqRel) {
                let _ = tx.send(ShardMsg::Wake);
            }
        });
        let part = Part {
            partition,
            epoch,
            queue: Some(queue),
            engine: Engine::new(self.rules.clone()),
            clock: ArrivalClock::new(),
            tracker: OffsetTracker::new(),
            restore: Restore::Loading,
            source: StateSource::None,
            assigned_at: Instant::now(),
            committed: 0,
            previous_read: 0,
            checkpoints: None,
            position: None,
            high: None,
            fetched: false,
            revoking: false,
            lag: metrics::gauge!(m::CONSUMER_LAG, "partition" => partition.to_string()),
            counted: (0, 0),
            txn: None,
            txn_dirty: false,
            txn_broken: None,
            next_txn: Instant::now(),
        };
        self.parts.push(part);
        self.load(self.parts.len() - 1);
    }

    /// Loads a partition's state and moves its consumer to where that state stops; on a
    /// broker error, leaves it loading (retried on the tick).
    fn load(&mut self, pi: usize) {
        self.status.busy(self.id as usize);
        let partition = self.parts[pi].partition;
        if let Some(eos) = self.eos.clone().filter(|_| self.parts[pi].txn.is_none()) {
            // First, so that the previous owner's open transaction is aborted (and its offsets
            // no longer pending) before anything is read.
            match Transactional::new(&eos.settings, partition, eos.timeout) {
                Ok(txn) => self.parts[pi].txn = Some(txn),
                Err(error) => {
                    tracing::warn!(partition, %error, "could not initialise the partition's transactions; retrying");
                    return;
                }
            }
        }
        let located = match consumer::locate(&self.consumer, &self.topics.input, partition, QUERY_TIMEOUT) {
            Ok(located) => located,
            Err(error) => {
                tracing::warn!(partition, %error, "could not read the partition's offsets; retrying");
                return;
            }
        };
        let restored = match &self.store {
            None => None,
            Some(store) => match store.restore(
                self.consumer.client(),
                partition,
                Committed { offset: located.committed, generation: located.generation },
                &self.rules,
            ) {
                Ok(restored) => Some(restored),
                Err(error) => {
                    tracing::warn!(partition, %error, "could not read the partition's checkpoint; retrying");
                    return;
                }
            },
        };
        let part = &mut self.parts[pi];
        let mut start = match located.committed {
            Some(committed) => committed,
            None if self.reset_to_end => located.high,
            None => located.low,
        };
        let mut source = StateSource::None;
        if let Some(restored) = restored {
            source = restored.source;
            let Restored { checkpoint, generation, bytes, stale, .. } = restored;
            let known = generation.max(located.generation.unwrap_or(0));
            let published = match source {
                StateSource::Topic => Some(generation),
                _ => located.generation,
            };
            let restored_generation = (generation > 0).then_some((generation, bytes));
            let due = Instant::now() + self.store.as_ref().map_or(TICK, |s| s.options.interval);
            part.checkpoints = Some(Checkpoints::new(known, published, restored_generation, stale, due));
            match checkpoint {
                Some((engine, meta)) => {
                    part.engine = engine;
                    part.engine.set_rules(self.rules.clone());
                    if let Some(arrival) = meta.arrival_ms {
                        part.clock.advance_to(arrival);
                    }
                    if meta.position < located.low {
                        tracing::error!(
                            partition,
                            checkpoint = meta.position,
                            log_start = located.low,
                            "inputs between the checkpoint and the log start expired before they were applied"
                        );
                    }
                    start = meta.position.max(located.low);
                }
                // Without a checkpoint, the state is rebuilt from the whole partition; inputs
                // below the committed offset were applied before and are not produced again.
                None if located.committed.is_some() => start = located.low,
                None => {}
            }
            metrics::gauge!(m::RESTORE_BYTES, "source" => source.label(), "partition" => partition.to_string())
                .set(bytes as f64);
        }
        part.committed = located.committed.unwrap_or(start);
        part.previous_read = located.read.unwrap_or(part.committed).max(part.committed);
        part.tracker.mark_committed(part.committed);
        part.position = Some(start);
        part.high = Some(located.high);
        if let Err(error) = self.consumer.seek(&self.topics.input, partition, Offset::Offset(start), QUERY_TIMEOUT) {
            tracing::warn!(partition, start, %error, "could not move the consumer to the restored position; retrying");
            part.checkpoints = None;
            part.engine = Engine::new(self.rules.clone());
            part.clock = ArrivalClock::new();
            return;
        }
        part.restore = Restore::Replaying;
        part.source = source;
        tracing::info!(
            shard = self.id,
            partition,
            source = source.label(),
            start,
            committed = ?located.committed,
            committed_checkpoint = ?located.generation,
            high = located.high,
            tickets = part.engine.ticket_count(),
            "partition state loaded"
        );
        self.finish_replay(pi);
    }

    /// Marks the partition restored once it has replayed up to the committed offset.
    fn finish_replay(&mut self, pi: usize) {
        let part = &mut self.parts[pi];
        if part.restore != Restore::Replaying || part.position.is_some_and(|p| p < part.committed) {
            return;
        }
        part.restore = Restore::Done;
        let elapsed = part.assigned_at.elapsed().as_secs_f64();
        metrics::histogram!(m::RESTORE_DURATION, "source" => part.source.label()).record(elapsed);
        tracing::info!(
            shard = self.id,
            partition = part.partition,
            elapsed = ?part.assigned_at.elapsed(),
            tickets = part.engine.ticket_count(),
            "partition ready"
        );
        self.status.restored_one();
    }

    fn is_caught_up_cached(&self, part: &Part) -> bool {
        part.fetched && matches!((part.position, part.high), (Some(p), Some(h)) if p >= h)
    }

    /// Polls every active partition queue; returns whether a queue may hold more.
    fn consume(&mut self) -> bool {
        let mut busy = false;
        for pi in 0..self.parts.len() {
            if self.parts[pi].revoking || self.parts[pi].restore == Restore::Loading {
                continue;
            }
            let Some(queue) = self.parts[pi].queue.take() else { continue };
            let mut taken = 0;
            while taken < BATCH && self.pending.is_empty() {
                match queue.poll(Duration::ZERO) {
                    Some(Ok(message)) => {
                        taken += 1;
                        self.on_record(pi, &message);
                    }
                    Some(Err(error)) => {
                        tracing::warn!(partition = self.parts[pi].partition, %error, "consume error");
                        break;
                    }
                    None => break,
                }
            }
            self.parts[pi].queue = Some(queue);
            busy |= taken == BATCH || (taken > 0 && !self.pending.is_empty());
            if !self.pending.is_empty() {
                break;
            }
        }
        busy && self.pending.is_empty()
    }

    /// One input record: decode, apply (or skip, or dead-letter), produce what it caused.
    fn on_record<M: Message>(&mut self, pi: usize, message: &M) {
        self.apply_record(pi, message);
        if self.parts[pi].restore == Restore::Replaying {
            self.finish_replay(pi);
        }
    }

    fn apply_record<M: Message>(&mut self, pi: usize, message: &M) {
        let offset = message.offset();
        let partition = message.partition();
        self.metrics.consumed.increment(1);
        self.status.counters.consumed.fetch_add(1, Ordering::Relaxed);
        {
            let part = &mut self.parts[pi];
            if part.position.is_some_and(|p| offset < p) && part.tracker.acked_position().is_some() {
                tracing::warn!(partition, offset, "a record read again (rewound partition)");
            }
            part.position = Some(offset + 1);
        }
        let record_ts = match message.timestamp() {
            Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) => t,
            Timestamp::NotAvailable => wall_ms(),
        };
        self.metrics.input_delay.record((wall_ms() - record_ts).max(0) as f64 / 1000.0);
        let payload = message.payload().unwrap_or_default();
        let started = Instant::now();
        let lateness = self.lateness();
        let source = Source::Kafka { key: message.key(), timestamp: record_ts };
        let rejection = match decode_envelope(payload, &self.limits, source) {
            Err(rejection) => Some(rejection),
            Ok(decoded) => {
                let input_ts = decoded.envelope.ts;
                let part = &mut self.parts[pi];
                let arrival = part.clock.on_record(record_ts);
                let late = part.clock.is_late(record_ts, lateness);
                let horizon = ArrivalClock::horizon_at(arrival, lateness);
                let result = part.engine.ingest(decoded, horizon, &mut self.out);
                self.metrics.apply.record(started.elapsed().as_secs_f64());
                match result {
                    Ingested::Applied => {
                        part.clock.advance_to(arrival);
                        if late {
                            self.metrics.late.increment(1);
                            self.status.counters.late.fetch_add(1, Ordering::Relaxed);
                        }
                        self.emit(pi, offset + 1, input_ts, None);
                        return;
                    }
                    Ingested::Duplicate => {
                        self.metrics.duplicate.increment(1);
                        self.status.counters.duplicates.fetch_add(1, Ordering::Relaxed);
                        self.emit(pi, offset + 1, input_ts, None);
                        return;
                    }
                    Ingested::Rejected(rejection) => Some(rejection),
                }
            }
        };
        if let Some(rejection) = rejection {
            let index = Reason::ALL.iter().position(|r| *r == rejection.reason).unwrap_or(0);
            self.metrics.rejected[index].increment(1);
            self.status.counters.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(partition, offset, reason = rejection.reason.code(), "input rejected");
            let letter = self.dead_letter(message, &rejection);
            self.out.clear();
            self.emit(pi, offset + 1, Millis::MIN, Some(letter));
        }
    }

    fn dead_letter<M: Message>(&self, message: &M, rejection: &Rejection) -> Outgoing {
        Outgoing {
            topic: DLQ,
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().map(<[u8]>::to_vec),
            headers: Some(dlq::headers(rejection, message.topic(), message.partition(), message.offset())),
            token: Token { shard: self.id, epoch: 0, seq: 0 },
        }
    }

    /// Produces `self.out` (and a dead letter) as one tracker group whose acknowledgement
    /// allows committing `commit_to`. Outputs with `ts < timer_before` were fired by timers.
    fn emit(&mut self, pi: usize, commit_to: i64, timer_before: Millis, mut letter: Option<Outgoing>) {
        let part = &mut self.parts[pi];
        if let Some(checkpoints) = &mut part.checkpoints {
            checkpoints.touch();
        }
        // `commit_to - 1` is the input just applied (or the position, for timers).
        if commit_to <= part.committed && timer_before != Millis::MAX {
            // Applied before, and everything it caused acknowledged: not produced again.
            self.metrics.suppressed.increment(self.out.len() as u64 + u64::from(letter.is_some()));
            self.out.clear();
            letter = None;
        } else if commit_to <= part.previous_read {
            self.metrics.reemitted.increment(self.out.len() as u64);
        }
        let records = self.out.len() as u32 + u32::from(letter.is_some());
        // In a transaction, the commit covers the records whatever their acknowledgements.
        let tracked = if self.eos.is_some() { 0 } else { records };
        part.txn_dirty = true;
        let seq = part.tracker.push(commit_to, tracked);
        if records == 0 {
            return;
        }
        let token = Token { shard: self.id, epoch: part.epoch, seq };
        if let Some(mut letter) = letter {
            letter.token = token;
            self.send(letter);
        }
        let mut out = std::mem::take(&mut self.out);
        let emitted_at = wall_ms();
        for event in out.drain(..) {
            let type_name = event.payload.type_name();
            if let Some(i) = super::OUTPUT_TYPES.iter().position(|t| *t == type_name) {
                self.metrics.outputs[i].increment(1);
                self.status.counters.outputs[i].fetch_add(1, Ordering::Relaxed);
            }
            if event.ts < timer_before {
                self.metrics.fire_lateness.record((emitted_at - event.ts) as f64 / 1000.0);
            }
            let mut payload = Vec::with_capacity(512);
            event.write_json(Some(emitted_at), &mut payload);
            self.send(Outgoing {
                topic: topic_index(event.payload.topic()),
                key: Some(event.key().into_bytes()),
                payload: Some(payload),
                headers: None,
                token,
            });
        }
        self.out = out;
    }

    fn send(&mut self, record: Outgoing) {
        if self.eos.is_some() {
            self.send_in_transaction(record);
            return;
        }
        if !self.pending.is_empty() {
            self.pending.push_back(record);
        } else if let Some(record) = self.try_send(record) {
            self.pending.push_back(record);
        }
    }

    /// Produces a record in its partition's open transaction; a record that cannot join it
    /// marks the transaction for abort.
    fn send_in_transaction(&mut self, record: Outgoing) {
        let Some(part) = self.parts.iter_mut().find(|p| p.epoch == record.token.epoch) else { return };
        let topic = &self.topics.outputs[record.topic as usize];
        let Some(txn) = part.txn.as_mut() else {
            part.txn_broken.get_or_insert_with(|| "no transactional producer".to_owned());
            return;
        };
        let mut base: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic);
        if let Some(key) = &record.key {
            base = base.key(key.as_slice());
        }
        if let Some(payload) = &record.payload {
            base = base.payload(payload.as_slice());
        }
        if let Some(headers) = record.headers {
            base = base.headers(headers);
        }
        let deadline = Instant::now() + self.eos.as_ref().map_or(TICK, |e| e.timeout);
        if let Err(error) = txn.send(base, deadline) {
            tracing::warn!(partition = part.partition, %error, "a record could not join the transaction; aborting it");
            part.txn_broken.get_or_insert_with(|| error.to_string());
        }
    }

    /// Hands a record to the producer; gives it back when the producer's queue is full.
    fn try_send(&mut self, record: Outgoing) -> Option<Outgoing> {
        let topic = &self.topics.outputs[record.topic as usize];
        let mut base: BaseRecord<'_, [u8], [u8], Box<Token>> =
            BaseRecord::with_opaque_to(topic, Box::new(record.token));
        if let Some(key) = &record.key {
            base = base.key(key.as_slice());
        }
        if let Some(payload) = &record.payload {
            base = base.payload(payload.as_slice());
        }
        if let Some(headers) = &record.headers {
            base = base.headers(headers.clone());
        }
        match self.producer.send(base) {
            Ok(()) => None,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => Some(record),
            Err((error, _)) => {
                tracing::warn!(topic = %topic, %error, "produce refused; retrying");
                self.metrics.retries.increment(1);
                self.retries.push_back((Instant::now() + RETRY_BACKOFF, record));
                None
            }
        }
    }

    /// Sends what waited for room in the producer queue, and the retries that are due.
    fn flush_pending(&mut self, now: Instant) {
        while self.retries.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, record)) = self.retries.pop_front() {
                self.pending.push_back(record);
            }
        }
        while let Some(record) = self.pending.pop_front() {
            if let Some(record) = self.try_send(record) {
                self.pending.push_front(record);
                break;
            }
        }
    }

    fn on_failed(&mut self, token: Token, message: OwnedMessage, error: KafkaError) {
        if !self.parts.iter().any(|p| p.epoch == token.epoch) {
            // The partition moved on: its next owner reads the input again.
            return;
        }
        let Some(topic) = self.topics.outputs.iter().position(|t| t == message.topic()) else { return };
        self.failures_unlogged += 1;
        if self.failure_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            tracing::warn!(
                topic = message.topic(),
                %error,
                records = self.failures_unlogged,
                "delivery failed; producing again"
            );
            self.failure_logged = Some(Instant::now());
            self.failures_unlogged = 0;
        }
        self.metrics.retries.increment(1);
        let headers = message.headers().map(|h| {
            let mut owned = OwnedHeaders::new_with_capacity(h.count());
            for header in h.iter() {
                owned = owned.insert(header);
            }
            owned
        });
        let record = Outgoing {
            topic: topic as u8,
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().map(<[u8]>::to_vec),
            headers,
            token,
        };
        self.retries.push_back((Instant::now() + RETRY_BACKOFF, record));
    }

    /// Caught-up partitions follow the wall clock: fire what is due.
    fn fire_timers(&mut self) {
        let lateness = self.lateness();
        let now = wall_ms();
        let held_at = Instant::now();
        for pi in 0..self.parts.len() {
            if !self.pending.is_empty() {
                return;
            }
            let part = &mut self.parts[pi];
            if part.revoking || part.restore == Restore::Loading || !is_caught_up(&self.watermark, &self.consumer, part)
            {
                continue;
            }
            if part.checkpoints.as_ref().is_some_and(|c| c.holds_timers(held_at).is_some()) {
                continue;
            }
            part.clock.advance_to(now);
            let Some(horizon) = part.clock.horizon(lateness) else { continue };
            if part.engine.next_deadline().is_none_or(|d| d > horizon) {
                continue;
            }
            // Deadline by deadline, a burst at a time: the checkpoint that covers a burst is
            // taken before the next one fires (see `Checkpoints`).
            while let Some(next) = part.engine.next_deadline().filter(|d| *d <= horizon) {
                part.engine.advance(next, &mut self.out);
                if self.out.len() as u64 >= TIMER_BURST {
                    break;
                }
                if part.engine.next_deadline() == Some(next) {
                    part.engine.advance(horizon, &mut self.out);
                    break;
                }
            }
            if let Some(checkpoints) = &mut part.checkpoints {
                checkpoints.timers_fired(self.out.len() as u64);
            }
            let position = part.position.unwrap_or_default();
            self.emit(pi, position, Millis::MAX, None);
        }
    }

    /// Commits the acknowledged prefix of every partition that moved.
    fn commit(&mut self) {
        let mut points = Vec::new();
        for part in &mut self.parts {
            if part.revoking {
                continue;
            }
            if let Some(offset) = part.tracker.committable() {
                points.push(commit_point(part, offset));
                part.tracker.mark_committed(offset);
            }
        }
        if let Err(error) = consumer::commit(&self.consumer, &self.topics.input, &points, CommitMode::Async) {
            tracing::debug!(%error, "commit failed");
        }
    }

    /// `kafka.exactly_once`: commits the transaction of every partition that moved since its
    /// last one, once its next commit is due.
    fn commit_transactions(&mut self, now: Instant) {
        for pi in 0..self.parts.len() {
            let part = &self.parts[pi];
            let moved = part.txn_dirty || part.txn_broken.is_some();
            if part.revoking || part.restore != Restore::Done || !moved || now < part.next_txn {
                continue;
            }
            self.commit_transaction(pi, true);
        }
    }

    /// Commits partition `pi`'s transaction: the records produced since the last one, a
    /// checkpoint of the engine as it stands and the input offset that checkpoint stops at, so
    /// that the last committed checkpoint is always exactly the state after the committed
    /// outputs. On failure the transaction is aborted and, with `rebuild`, the partition is
    /// restored again from the last committed checkpoint. Returns whether it committed.
    fn commit_transaction(&mut self, pi: usize, rebuild: bool) -> bool {
        let (Some(eos), Some(store)) = (self.eos.clone(), self.store.clone()) else { return false };
        if let Some(reason) = self.parts[pi].txn_broken.take() {
            self.abort_transaction(pi, &reason, rebuild, false);
            return false;
        }
        let topic_partitions = match store.topic_partitions(self.consumer.client()) {
            Ok(n) => n,
            Err(error) => {
                tracing::warn!(%error, "state topic unknown; the transaction waits");
                return false;
            }
        };
        let Some(group) = self.consumer.group_metadata() else {
            tracing::warn!("no consumer group metadata yet; the transaction waits");
            return false;
        };
        let (bytes, took) = self.encode(pi);
        let started = Instant::now();
        let part = &mut self.parts[pi];
        let partition = part.partition;
        let position = part.position.unwrap_or(part.committed);
        let (Some(checkpoints), Some(txn)) = (part.checkpoints.as_mut(), part.txn.as_mut()) else { return false };
        checkpoints.encoded(&part.tracker, bytes, took, started, store.options.interval);
        let Some(ready) = checkpoints.take_ready(&part.tracker) else { return false };
        let deadline = started + eos.timeout;
        let state_topic = store.topic();
        let target = partition.rem_euclid(topic_partitions.max(1));
        let sent = crate::state::topic::checkpoint_records(
            partition,
            ready.generation,
            &ready.bytes,
            &ready.stale,
            |key, value| {
                let mut record: BaseRecord<'_, [u8], [u8]> =
                    BaseRecord::to(state_topic).partition(target).key(key.as_bytes());
                if let Some(value) = value {
                    record = record.payload(value);
                }
                txn.send(record, deadline)
            },
        );
        let point =
            CommitPoint { partition, offset: position, generation: Some(ready.generation), read: Some(position) };
        let result = match (sent, consumer::offsets_of(&self.topics.input, &[point])) {
            (Ok(bytes), Ok(offsets)) => txn.commit(&offsets, &group, eos.timeout).map(|()| bytes),
            (Err(error), _) | (_, Err(error)) => Err(TxnError::Abortable(error)),
        };
        let written = |published| Written {
            partition,
            generation: ready.generation,
            chunks: ready.bytes.len().div_ceil(CHUNK) as u32,
            local: false,
            published,
        };
        match result {
            Ok(bytes) => {
                checkpoints.on_written(&written(true));
                part.tracker.mark_committed(position);
                part.txn_dirty = false;
                part.next_txn = Instant::now() + COMMIT_INTERVAL.max(took * 9);
                metrics::counter!(m::TRANSACTIONS, "result" => "committed").increment(1);
                metrics::histogram!(m::TRANSACTION_COMMIT).record(started.elapsed().as_secs_f64());
                metrics::counter!(m::STATE_TOPIC_BYTES).increment(bytes);
                metrics::gauge!(m::CHECKPOINT_BYTES, "partition" => partition.to_string())
                    .set(ready.bytes.len() as f64);
                true
            }
            Err(error) => {
                checkpoints.on_written(&written(false));
                let fatal = matches!(error, TxnError::Fatal(_));
                self.abort_transaction(pi, &error.to_string(), rebuild, fatal);
                false
            }
        }
    }

    /// Aborts partition `pi`'s open transaction. The engine then holds work that no committed
    /// transaction has: with `rebuild`, the partition is restored again from its last committed
    /// checkpoint and read from there. A producer that is fenced or failed fatally (`fatal`, or
    /// an abort that fails) stops the daemon: the partition's next owner starts from the last
    /// commit.
    fn abort_transaction(&mut self, pi: usize, reason: &str, rebuild: bool, fatal: bool) {
        let timeout = self.eos.as_ref().map_or(TICK, |e| e.timeout);
        let part = &mut self.parts[pi];
        let partition = part.partition;
        metrics::counter!(m::TRANSACTIONS, "result" => "aborted").increment(1);
        let aborted = match part.txn.as_mut() {
            Some(txn) if !fatal => txn.abort(timeout).map_err(|e| e.to_string()),
            _ => Err(reason.to_owned()),
        };
        if let Err(error) = aborted {
            tracing::error!(partition, reason, %error, "the partition's transactional producer cannot go on");
            part.txn = None;
            self.status.fail(format!("partition {partition}: transactional producer unusable: {error}"));
            return;
        }
        tracing::warn!(partition, reason, rebuild, "transaction aborted: its records are never read as committed");
        if !rebuild {
            return;
        }
        part.engine = Engine::new(self.rules.clone());
        part.clock = ArrivalClock::new();
        part.tracker = OffsetTracker::new();
        part.checkpoints = None;
        part.restore = Restore::Loading;
        part.position = None;
        part.fetched = false;
        part.txn_dirty = false;
        part.assigned_at = Instant::now();
        self.status.restoring.fetch_add(1, Ordering::AcqRel);
        self.load(pi);
    }

    /// The last transaction of a partition that goes: committed if the engine moved since the
    /// previous one, so that its next owner starts exactly there.
    fn final_transaction(&mut self, pi: usize) {
        let part = &self.parts[pi];
        let moved = part.txn_dirty || part.txn_broken.is_some();
        if part.restore == Restore::Done && moved && self.commit_transaction(pi, false) {
            tracing::info!(partition = self.parts[pi].partition, "final transaction committed");
        }
        let timeout = self.eos.as_ref().map_or(TICK, |e| e.timeout);
        if let Some(txn) = self.parts[pi].txn.as_mut().filter(|t| t.is_open()) {
            let _ = txn.abort(timeout);
        }
    }

    /// Encodes the checkpoints that are due, and hands the writer those whose outputs are all
    /// acknowledged.
    fn checkpoint(&mut self, now: Instant) {
        if self.eos.is_some() {
            return;
        }
        let Some(store) = self.store.clone() else { return };
        for pi in 0..self.parts.len() {
            let part = &self.parts[pi];
            if part.revoking || part.restore != Restore::Done {
                continue;
            }
            if part.checkpoints.as_ref().is_some_and(|c| c.is_due(now)) {
                let (bytes, took) = self.encode(pi);
                let part = &mut self.parts[pi];
                if let Some(checkpoints) = &mut part.checkpoints {
                    checkpoints.encoded(&part.tracker, bytes, took, Instant::now(), store.options.interval);
                }
            }
            let part = &mut self.parts[pi];
            if !part.checkpoints.as_ref().is_some_and(|c| c.has_pending()) {
                continue;
            }
            // A partition restored from its local file has not needed the count yet.
            let topic_partitions = match store.topic_partitions(self.consumer.client()) {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "state topic unknown; the checkpoint waits");
                    continue;
                }
            };
            let part = &mut self.parts[pi];
            let Some(ready) = part.checkpoints.as_mut().and_then(|c| c.take_ready(&part.tracker)) else { continue };
            let tx = self.tx.clone();
            let epoch = part.epoch;
            store.submit(Job {
                partition: part.partition,
                topic_partitions,
                generation: ready.generation,
                bytes: ready.bytes,
                stale: ready.stale,
                done: Box::new(move |written| {
                    let _ = tx.send(ShardMsg::Written { epoch, written });
                }),
            });
        }
    }

    /// The checkpoint of a partition's engine as it stands, and the time it took.
    fn encode(&self, pi: usize) -> (Vec<u8>, Duration) {
        self.status.busy(self.id as usize);
        let part = &self.parts[pi];
        let started = Instant::now();
        let meta = Meta {
            partition: part.partition,
            position: part.position.unwrap_or(0),
            arrival_ms: part.clock.now(),
            taken_at_ms: wall_ms(),
        };
        let bytes = checkpoint::encode(&part.engine, &meta);
        let took = started.elapsed();
        self.metrics.encode.record(took.as_secs_f64());
        (bytes, took)
    }

    /// Writes a revoked partition's last checkpoint (every output acknowledged) and waits for
    /// it until `deadline`, so that its next owner has nothing to replay; returns the
    /// generation the state topic then holds.
    fn final_checkpoint(&mut self, pi: usize, deadline: Instant) -> Option<u64> {
        let store = self.store.clone()?;
        let part = &self.parts[pi];
        let checkpoints = part.checkpoints.as_ref()?;
        if part.restore != Restore::Done || !part.tracker.is_idle() || !checkpoints.needs_final() {
            return checkpoints.published();
        }
        let published = checkpoints.published();
        let Ok(topic_partitions) = store.topic_partitions(self.consumer.client()) else { return published };
        let (bytes, took) = self.encode(pi);
        let part = &mut self.parts[pi];
        let checkpoints = part.checkpoints.as_mut()?;
        checkpoints.encoded(&part.tracker, bytes, took, Instant::now(), store.options.interval);
        // With a periodic checkpoint still being written, the next owner starts from that one.
        let Some(ready) = checkpoints.take_ready(&part.tracker) else { return checkpoints.published() };
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        store.submit(Job {
            partition: part.partition,
            topic_partitions,
            generation: ready.generation,
            bytes: ready.bytes,
            stale: ready.stale,
            done: Box::new(move |written| {
                let _ = done_tx.send(written);
            }),
        });
        match done_rx.recv_deadline(deadline) {
            Ok(written) => {
                checkpoints.on_written(&written);
                tracing::info!(
                    partition = part.partition,
                    generation = written.generation,
                    published = written.published,
                    "final checkpoint written"
                );
            }
            Err(_) => tracing::warn!(partition = part.partition, "final checkpoint not written before the deadline"),
        }
        checkpoints.published()
    }

    /// Finishes the revokes whose partitions are done or whose deadline passed.
    fn check_revokes(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.revoking.len() {
            let done = self.revoking[i]
                .partitions
                .iter()
                .all(|p| self.parts.iter().find(|part| part.partition == *p).is_none_or(|part| part.tracker.is_idle()));
            if !done && now < self.revoking[i].deadline {
                i += 1;
                continue;
            }
            let revoke = self.revoking.swap_remove(i);
            let mut offsets = Vec::new();
            let mut epochs = Vec::new();
            for partition in &revoke.partitions {
                let Some(index) = self.parts.iter().position(|p| p.partition == *partition) else { continue };
                let generation = if self.eos.is_some() {
                    self.final_transaction(index);
                    None
                } else {
                    self.final_checkpoint(index, revoke.deadline)
                };
                let part = self.parts.swap_remove(index);
                if part.restore != Restore::Done {
                    self.status.restored_one();
                }
                if !part.tracker.is_idle() {
                    tracing::warn!(
                        partition,
                        in_flight = part.tracker.in_flight(),
                        "revoke deadline passed with outputs unacknowledged; their inputs stay uncommitted"
                    );
                }
                // With transactions, the offsets were committed in the partition's transactions.
                if part.restore != Restore::Loading && self.eos.is_none() {
                    // Never behind the commit found at assignment (a replay may not have reached it).
                    let offset = part.tracker.acked_position().unwrap_or(part.committed).max(part.committed);
                    offsets.push(CommitPoint { generation, ..commit_point(&part, offset) });
                }
                part.lag.set(0.0);
                epochs.push(part.epoch);
                tracing::info!(shard = self.id, partition, tickets = part.engine.ticket_count(), "partition released");
            }
            self.pending.retain(|r| !epochs.contains(&r.token.epoch));
            self.retries.retain(|(_, r)| !epochs.contains(&r.token.epoch));
            let _ = revoke.reply.send(offsets);
            if revoke.stop_after {
                self.stopping = true;
            }
        }
    }

    /// Housekeeping: gauges, lag, partitions still to load.
    fn tick(&mut self) {
        // At most one load per tick, so that an unreachable broker cannot stall the loop.
        if let Some(pi) = self.parts.iter().position(|p| p.restore == Restore::Loading && !p.revoking) {
            self.load(pi);
        }
        for txn in self.parts.iter().filter_map(|p| p.txn.as_ref()) {
            txn.poll();
        }
        let (mut tickets, mut timers) = (0usize, 0usize);
        let mut memory = crate::engine::memory::MemoryUse::default();
        for part in &mut self.parts {
            if let Some(high) = self.watermark.high(&self.consumer, part.partition) {
                part.fetched = true;
                part.high = Some(part.high.map_or(high, |h| h.max(high)));
            }
            if let (Some(position), Some(high)) = (part.position, part.high) {
                part.lag.set((high - position).max(0) as f64);
            }
            tickets += part.engine.ticket_count();
            timers += part.engine.armed_timers();
            memory.add(part.engine.memory_use());
            // A restored engine counts from 0 again.
            let now = (part.engine.tickets_expired(), part.engine.dedupe_forgotten_early());
            let since = |now: u64, before: u64| if now >= before { now - before } else { now };
            self.metrics.tickets_expired.increment(since(now.0, part.counted.0));
            self.metrics.forgotten_early.increment(since(now.1, part.counted.1));
            part.counted = now;
        }
        for (gauge, (_, bytes)) in self.metrics.memory.iter().zip(memory.components()) {
            gauge.set(bytes as f64);
        }
        self.metrics.tickets.set(tickets as f64);
        self.metrics.timers.set(timers as f64);
        self.status.set_shard_gauges(self.id as usize, tickets as u64, timers as u64);
    }
}

/// A partition's commit of `offset`, with the checkpoint generation the state topic holds and
/// how far the partition was read.
fn commit_point(part: &Part, offset: i64) -> CommitPoint {
    CommitPoint {
        partition: part.partition,
        offset,
        generation: part.checkpoints.as_ref().and_then(Checkpoints::published),
        read: part.position,
    }
}

/// Whether the partition's position has reached the broker's high watermark. The watermark
/// asked for at assignment is only a lower bound (a fetch may already be under way, and some
/// brokers answer ListOffsets with the start of the last batch): a partition is caught up only
/// once a fetch response has reported its high watermark too, and its position has reached it.
fn is_caught_up(watermark: &CachedWatermark, consumer: &Consumer, part: &mut Part) -> bool {
    let Some(position) = part.position else { return false };
    if part.fetched && part.high.is_some_and(|h| position < h) {
        return false;
    }
    let Some(fetched) = watermark.high(consumer, part.partition) else { return false };
    part.fetched = true;
    part.high = Some(part.high.map_or(fetched, |h| h.max(fetched)));
    part.high.is_some_and(|h| position >= h)
}
