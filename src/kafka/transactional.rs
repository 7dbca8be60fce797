//! The transactional producers of `kafka.exactly_once = true`.
//!
//! One producer per owned input partition, with the `transactional.id` of that partition
//! ([`transactional_id`]): the group, the input topic and the partition number. Whoever owns
//! the partition next (a restart on the same machine, or another instance after a rebalance)
//! opens a producer with the same id, and its `init_transactions` fences the previous owner (a
//! zombie can no longer produce or commit) and aborts the transaction that owner left open. An
//! id per instance instead would leave a crashed instance's open transaction in place until the
//! broker's `transaction.timeout.ms`, stalling every `read_committed` reader of the outputs.
//!
//! Invariant: a transaction holds the records produced for one partition since the last
//! commit (outputs, dead letters, the state-topic records of one checkpoint) and that
//! partition's input offset; it is committed whole or aborted whole ([`Transactional::commit`],
//! [`Transactional::abort`]).
//!
//! [`probe`] runs one small transaction at startup, so that a broker without transactions is
//! found then, with one clear error, rather than at the first commit.

// The shell: waits on the producer queue are bounded by the monotonic clock.
#![allow(clippy::disallowed_methods)]

use super::Settings;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _, ProducerContext};
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The `transactional.id` of the producer of input partition `partition`.
pub fn transactional_id(settings: &Settings, partition: i32) -> String {
    format!("slad.{}.{}.{partition}", settings.group_id, settings.input_topic)
}

/// Counts failed deliveries (a failed record makes the transaction abortable; the commit
/// reports it).
#[derive(Default)]
pub struct TxnContext {
    failed: AtomicU64,
}

impl ClientContext for TxnContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        super::log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "transactional producer error");
    }
}

impl ProducerContext for TxnContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_err() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Why a transaction could not be committed.
#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    /// The transaction must be aborted; the producer goes on.
    #[error("transaction abortable: {0}")]
    Abortable(KafkaError),
    /// The producer is fenced (another owner opened the same `transactional.id`) or failed
    /// fatally: it can do nothing more.
    #[error("transactional producer unusable: {0}")]
    Fatal(KafkaError),
}

impl TxnError {
    fn of(error: KafkaError) -> TxnError {
        let fatal = match &error {
            KafkaError::Transaction(e) => e.is_fatal(),
            other => other.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal),
        };
        if fatal {
            TxnError::Fatal(error)
        } else {
            TxnError::Abortable(error)
        }
    }
}

/// One partition's transactional producer.
pub struct Transactional {
    producer: BaseProducer<TxnContext>,
    open: bool,
    records: u64,
}

fn config(settings: &Settings, id: &str) -> rdkafka::ClientConfig {
    let mut config = super::producer_config(settings);
    config.set("transactional.id", id);
    config.set("client.id", "slad-txn");
    config
}

impl Transactional {
    /// Creates the producer of `partition` and runs `init_transactions` (bounded by
    /// `timeout`): the previous owner is fenced and its open transaction aborted.
    pub fn new(settings: &Settings, partition: i32, timeout: Duration) -> KafkaResult<Transactional> {
        let id = transactional_id(settings, partition);
        let producer: BaseProducer<TxnContext> = config(settings, &id).create_with_context(TxnContext::default())?;
        producer.init_transactions(timeout)?;
        Ok(Transactional { producer, open: false, records: 0 })
    }

    /// Whether a transaction is open (records produced since the last commit or abort).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Records produced in the open transaction.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn begin(&mut self) -> KafkaResult<()> {
        if !self.open {
            self.producer.begin_transaction()?;
            self.open = true;
            self.records = 0;
        }
        Ok(())
    }

    /// Produces `record` in the open transaction (opening one if needed); waits for room in
    /// the producer's queue until `deadline`.
    pub fn send(&mut self, mut record: BaseRecord<'_, [u8], [u8]>, deadline: Instant) -> KafkaResult<()> {
        self.begin()?;
        loop {
            match self.producer.send(record) {
                Ok(()) => {
                    self.records += 1;
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if Instant::now() < deadline =>
                {
                    record = back;
                    self.producer.poll(Duration::from_millis(5));
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// Serves delivery reports without blocking.
    pub fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Adds `offsets` (the next input offsets to read, with their metadata) to the open
    /// transaction and commits it; a retriable failure of the commit is retried until
    /// `timeout`.
    pub fn commit(
        &mut self,
        offsets: &TopicPartitionList,
        group: &ConsumerGroupMetadata,
        timeout: Duration,
    ) -> Result<(), TxnError> {
        let deadline = Instant::now() + timeout;
        self.begin().map_err(TxnError::of)?;
        self.producer.send_offsets_to_transaction(offsets, group, timeout).map_err(TxnError::of)?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.producer.commit_transaction(left) {
                Ok(()) => break,
                Err(KafkaError::Transaction(e)) if e.is_retriable() && !e.txn_requires_abort() && !left.is_zero() => {
                    tracing::debug!(error = %e, "transaction commit retried");
                }
                Err(error) => return Err(TxnError::of(error)),
            }
        }
        self.open = false;
        let failed = self.producer.context().failed.swap(0, Ordering::Relaxed);
        if failed > 0 {
            // librdkafka fails the commit when a record failed; this is a second line of defence.
            tracing::error!(failed, "records failed in a committed transaction");
        }
        Ok(())
    }

    /// Aborts the open transaction, if any: none of its records is ever seen by a
    /// `read_committed` reader.
    pub fn abort(&mut self, timeout: Duration) -> Result<(), TxnError> {
        self.producer.context().failed.store(0, Ordering::Relaxed);
        if !self.open {
            return Ok(());
        }
        self.open = false;
        self.producer.abort_transaction(timeout).map_err(TxnError::of)
    }
}

/// Why the startup probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The broker answered with an error: it does not support transactions (or refuses them
    /// to this client).
    #[error("the broker does not support transactions ({step} refused): {error}")]
    Refused { step: &'static str, error: KafkaError },
    /// No answer within the timeout.
    #[error("no answer from the transaction coordinator within {timeout:?} ({step}): {error}")]
    TimedOut { step: &'static str, timeout: Duration, error: KafkaError },
}

fn probe_error(step: &'static str, timeout: Duration, error: KafkaError) -> ProbeError {
    let timed_out = matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut | RDKafkaErrorCode::MessageTimedOut
        )
    );
    if timed_out {
        ProbeError::TimedOut { step, timeout, error }
    } else {
        ProbeError::Refused { step, error }
    }
}

/// Runs one transaction (InitProducerId, one tombstone to `topic` partition 0, EndTxn) under a
/// `transactional.id` of its own, every step bounded by `timeout`. A tombstone with a key no
/// partition uses leaves nothing behind once the topic is compacted.
pub fn probe(settings: &Settings, topic: &str, timeout: Duration) -> Result<(), ProbeError> {
    let id = format!("slad.{}.{}.probe.{}", settings.group_id, settings.input_topic, std::process::id());
    let producer: BaseProducer<TxnContext> = config(settings, &id)
        .create_with_context(TxnContext::default())
        .map_err(|error| ProbeError::Refused { step: "client creation", error })?;
    producer.init_transactions(timeout).map_err(|e| probe_error("InitProducerId", timeout, e))?;
    producer.begin_transaction().map_err(|e| probe_error("begin", timeout, e))?;
    let record: BaseRecord<'_, str, [u8]> = BaseRecord::to(topic).partition(0).key("slad-transaction-probe");
    producer.send(record).map_err(|(e, _)| probe_error("Produce", timeout, e))?;
    producer.commit_transaction(timeout).map_err(|e| probe_error("EndTxn", timeout, e))?;
    if producer.context().failed.load(Ordering::Relaxed) > 0 {
        return Err(ProbeError::Refused {
            step: "transactional Produce",
            error: KafkaError::MessageProduction(RDKafkaErrorCode::Unknown),
        });
    }
    Ok(())
}
