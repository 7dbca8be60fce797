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
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer as _, ProducerContext};
use rdkafka::{ClientContext, Message};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// The producer shared by every shard: librdkafka's producer and a thread that serves its
/// delivery reports.
///
/// The thread sleeps until librdkafka signals that the main queue became non-empty (or a
/// second passes), then serves every event with zero-timeout polls. rust-rdkafka's
/// `ThreadedProducer` polls with a 100 ms timeout instead, and its poll loop spins through the
/// last sub-millisecond of every timeout (the remaining time is rounded down to 0 ms), which
/// costs about 1% of a core at idle.
pub struct Producer<M: From<Delivery> + Send + 'static> {
    inner: Arc<BaseProducer<ProducerCtx<M>>>,
    poller: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    wake: Sender<()>,
}

impl<M: From<Delivery> + Send + 'static> std::ops::Deref for Producer<M> {
    type Target = BaseProducer<ProducerCtx<M>>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<M: From<Delivery> + Send + 'static> Drop for Producer<M> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.wake.try_send(());
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
    }
}

/// A handle on the client's main queue that wakes the poller when the queue becomes non-empty.
struct MainQueue {
    queue: *mut rdkafka::bindings::rd_kafka_queue_t,
    /// The callback's state, kept alive (and at a fixed address) while the callback is enabled.
    wake: Box<Sender<()>>,
}

// SAFETY: a librdkafka queue handle may be used from any thread; the sender is Send.
unsafe impl Send for MainQueue {}

unsafe extern "C" fn main_queue_nonempty(_: *mut rdkafka::bindings::rd_kafka_t, opaque: *mut std::ffi::c_void) {
    // SAFETY: `opaque` is the `Box<Sender<()>>` of a live `MainQueue` (the callback is disabled
    // before the box is dropped).
    let wake = unsafe { &*(opaque as *const Sender<()>) };
    let _ = wake.try_send(());
}

impl MainQueue {
    fn new(client: *mut rdkafka::bindings::rd_kafka_t, wake: Sender<()>) -> Option<MainQueue> {
        // SAFETY: `client` is a live client; the returned handle is destroyed in Drop.
        let queue = unsafe { rdkafka::bindings::rd_kafka_queue_get_main(client) };
        if queue.is_null() {
            return None;
        }
        let wake = Box::new(wake);
        let opaque = &*wake as *const Sender<()> as *mut std::ffi::c_void;
        // SAFETY: the queue handle is valid; `opaque` outlives the registration (see Drop).
        unsafe { rdkafka::bindings::rd_kafka_queue_cb_event_enable(queue, Some(main_queue_nonempty), opaque) };
        Some(MainQueue { queue, wake })
    }

    fn len(&self) -> usize {
        // SAFETY: the handle is valid until Drop.
        unsafe { rdkafka::bindings::rd_kafka_queue_length(self.queue) }
    }
}

impl Drop for MainQueue {
    fn drop(&mut self) {
        // SAFETY: the handle is valid; disabling the callback before the box goes.
        unsafe {
            rdkafka::bindings::rd_kafka_queue_cb_event_enable(self.queue, None, std::ptr::null_mut());
            rdkafka::bindings::rd_kafka_queue_destroy(self.queue);
        }
        let _ = &self.wake;
    }
}

/// Creates the producer; delivery reports of shard `i` go to `sinks[i]`.
pub fn create<M: From<Delivery> + Send + 'static>(
    settings: &Settings,
    sinks: Vec<Sender<M>>,
) -> KafkaResult<Producer<M>> {
    let context = ProducerCtx { sinks, fatal: Arc::new(AtomicBool::new(false)), fatal_reason: Mutex::new(None) };
    let inner: Arc<BaseProducer<ProducerCtx<M>>> =
        Arc::new(super::producer_config(settings).create_with_context(context)?);
    let (wake, woken) = crossbeam_channel::bounded::<()>(1);
    let stop = Arc::new(AtomicBool::new(false));
    let main_queue = MainQueue::new(inner.client().native_ptr(), wake.clone());
    let poller = {
        let producer = inner.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("slad-producer".into())
            .spawn(move || {
                let queue = main_queue;
                loop {
                    match &queue {
                        Some(queue) => {
                            while queue.len() > 0 {
                                producer.poll(Duration::ZERO);
                            }
                        }
                        None => producer.poll(Duration::from_millis(100)),
                    }
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let _ = woken.recv_timeout(Duration::from_secs(1));
                }
                // Serve what is left so that no delivery report is lost while flushing.
                producer.poll(Duration::ZERO);
            })
            .map_err(|e| rdkafka::error::KafkaError::ClientCreation(e.to_string()))?
    };
    Ok(Producer { inner, poller: Some(poller), stop, wake })
}

/// Records in the producer's queue or in flight to the broker.
pub fn queue_depth<M: From<Delivery> + Send + 'static>(producer: &Producer<M>) -> i32 {
    producer.in_flight_count()
}

/// The topic of a record returned in a failed delivery.
pub fn failed_topic(message: &OwnedMessage) -> &str {
    message.topic()
}
