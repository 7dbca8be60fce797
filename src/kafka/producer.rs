//! The producer: idempotent and batched; every record carries a [`Token`] naming the shard,
//! the partition assignment (`epoch`) and the tracker group (`seq`) it belongs to, and its
//! delivery report goes back to that shard as a [`Delivery`], which is how the shard learns
//! that an input's outputs are all acknowledged and its offset may be committed.
//!
//! A failed delivery comes back with the whole record so the shard can produce it again: a
//! produce failure is retried, never dropped.

use super::Settings;
use crossbeam_channel::Sender;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::{DeliveryResult, Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Message};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where a record's delivery report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The shard that produced it.
    pub shard: u32,
    /// The partition assignment it belongs to (a new one per assignment).
    pub epoch: u64,
    /// The group in that partition's [`super::offsets::OffsetTracker`].
    pub seq: u64,
}

/// A delivery report, sent to the shard named by the token.
#[derive(Debug)]
pub enum Delivery {
    Acked(Token),
    Failed { token: Token, message: Box<OwnedMessage>, error: KafkaError },
}

/// The producer's context: routes delivery reports to the shards, notes fatal errors.
pub struct ProducerCtx<M> {
    sinks: Vec<Sender<M>>,
    fatal: Arc<AtomicBool>,
    fatal_reason: Mutex<Option<String>>,
}

impl<M> ProducerCtx<M> {
    /// Whether the producer hit a fatal error (an idempotence violation): it cannot produce
    /// any more, and the process must restart from the committed offsets.
    pub fn fatal(&self) -> Option<String> {
        if self.fatal.load(Ordering::Acquire) {
            Some(self.fatal_reason.lock().map(|r| r.clone().unwrap_or_default()).unwrap_or_default())
        } else {
            None
        }
    }
}

impl<M: From<Delivery> + Send + 'static> ClientContext for ProducerCtx<M> {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        super::log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(error.rdkafka_error_code(), Some(rdkafka::types::RDKafkaErrorCode::Fatal)) {
            tracing::error!(%error, reason, "fatal producer error");
            if let Ok(mut slot) = self.fatal_reason.lock() {
                *slot = Some(format!("{error}: {reason}"));
            }
            self.fatal.store(true, Ordering::Release);
        } else {
            tracing::warn!(%error, reason, "producer error");
        }
    }
}

impl<M: From<Delivery> + Send + 'static> ProducerContext for ProducerCtx<M> {
    type DeliveryOpaque = Box<Token>;

    fn delivery(&self, result: &DeliveryResult<'_>, token: Box<Token>) {
        let token = *token;
        let report = match result {
            Ok(_) => Delivery::Acked(token),
            Err((error, message)) => {
                Delivery::Failed { token, message: Box::new(message.detach()), error: error.clone() }
            }
        };
        if let Some(sink) = self.sinks.get(token.shard as usize) {
            // A shard that is gone no longer needs its reports.
            let _ = sink.send(M::from(report));
        }
    }
}

/// The producer shared by every shard.
pub type Producer<M> = ThreadedProducer<ProducerCtx<M>>;

/// Creates the producer; delivery reports of shard `i` go to `sinks[i]`.
pub fn create<M: From<Delivery> + Send + 'static>(
    settings: &Settings,
    sinks: Vec<Sender<M>>,
) -> KafkaResult<Producer<M>> {
    let context = ProducerCtx { sinks, fatal: Arc::new(AtomicBool::new(false)), fatal_reason: Mutex::new(None) };
    super::producer_config(settings).create_with_context(context)
}

/// Records in the producer's queue or in flight to the broker.
pub fn queue_depth<M: From<Delivery> + Send + 'static>(producer: &Producer<M>) -> i32 {
    producer.in_flight_count()
}

/// The topic of a record returned in a failed delivery.
pub fn failed_topic(message: &OwnedMessage) -> &str {
    message.topic()
}
