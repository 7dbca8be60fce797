//! The consumer: one group member per process, offsets managed by slad
//! (`enable.auto.commit=false`), and each assigned partition's messages split off into their own
//! queue so that the shard owning the partition polls it directly (no copy, no hand-over thread,
//! and librdkafka's bounded prefetch queue is the backpressure: a shard that stops polling stops
//! the fetching of its partitions).
//!
//! Rebalances run on the thread that polls the main queue. On assign, the partitions' queues
//! are split off *before* the assignment takes effect (librdkafka keeps an application-set
//! forwarding across the fetch start), so no message of an owned partition ever reaches the
//! main queue. On revoke, a barrier: the [`RebalanceHandler`] waits until the owning shards have
//! finished with the partitions (outputs acknowledged, state dropped) and returns the offsets to
//! commit, which are committed synchronously before the partitions go.

use super::Settings;
use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientContext;
use std::ffi::CString;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// The consumer type of the daemon.
pub type Consumer = BaseConsumer<ConsumerCtx>;
/// One partition's message queue.
pub type Queue = PartitionQueue<ConsumerCtx>;

/// What the daemon does when the group moves partitions.
pub trait RebalanceHandler: Send + Sync {
    /// Partitions of the input topic now owned, each with its own queue.
    fn assigned(&self, partitions: Vec<(i32, Queue)>);
    /// Partitions about to go: returns once the shards are done with them, with the offsets to
    /// commit (the next offset to read) for those that have one.
    fn revoked(&self, partitions: &[i32]) -> Vec<CommitPoint>;
}

/// The consumer's context.
pub struct ConsumerCtx {
    topic: String,
    me: OnceLock<Weak<Consumer>>,
    handler: OnceLock<Arc<dyn RebalanceHandler>>,
    split: Mutex<Vec<(i32, Queue)>>,
}

impl ClientContext for ConsumerCtx {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        super::log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "consumer error");
    }
}

impl ConsumerContext for ConsumerCtx {
    fn pre_rebalance(&self, consumer: &Consumer, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let partitions = self.partitions_of(tpl);
                let Some(me) = self.me.get().and_then(Weak::upgrade) else { return };
                let mut queues = Vec::with_capacity(partitions.len());
                for partition in partitions {
                    match me.split_partition_queue(&self.topic, partition) {
                        Some(queue) => queues.push((partition, queue)),
                        None => tracing::error!(topic = %self.topic, partition, "could not split the partition queue"),
                    }
                }
                if let Ok(mut split) = self.split.lock() {
                    *split = queues;
                }
            }
            Rebalance::Revoke(tpl) => {
                let partitions = self.partitions_of(tpl);
                tracing::info!(?partitions, "partitions revoked");
                let Some(handler) = self.handler.get() else { return };
                let offsets = handler.revoked(&partitions);
                if consumer.assignment_lost() {
                    tracing::warn!("assignment lost (session timeout): offsets not committed");
                    return;
                }
                if let Err(error) = commit(consumer, &self.topic, &offsets, CommitMode::Sync) {
                    tracing::warn!(%error, "commit on revoke failed");
                }
            }
            Rebalance::Error(error) => tracing::error!(%error, "rebalance error"),
        }
    }

    fn post_rebalance(&self, _consumer: &Consumer, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(_) = rebalance {
            let queues = self.split.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
            let partitions: Vec<i32> = queues.iter().map(|(p, _)| *p).collect();
            tracing::info!(?partitions, "partitions assigned");
            if let Some(handler) = self.handler.get() {
                handler.assigned(queues);
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(error) = result {
            tracing::debug!(%error, count = offsets.count(), "commit failed");
        }
    }
}

impl ConsumerCtx {
    fn partitions_of(&self, tpl: &TopicPartitionList) -> Vec<i32> {
        let mut partitions: Vec<i32> =
            tpl.elements().iter().filter(|e| e.topic() == self.topic).map(|e| e.partition()).collect();
        partitions.sort_unstable();
        partitions
    }
}

/// Creates the consumer and subscribes it to the input topic; rebalances call `handler`, and
/// `wake` is called whenever the main queue (rebalances, commit results, errors) becomes
/// non-empty, so that its poller can sleep otherwise.
pub fn create(
    settings: &Settings,
    handler: Arc<dyn RebalanceHandler>,
    wake: impl Fn() + Send + Sync + 'static,
) -> KafkaResult<Arc<Consumer>> {
    let context = ConsumerCtx {
        topic: settings.input_topic.clone(),
        me: OnceLock::new(),
        handler: OnceLock::new(),
        split: Mutex::new(Vec::new()),
    };
    let mut consumer: Consumer = super::consumer_config(settings).create_with_context(context)?;
    consumer.set_nonempty_callback(wake);
    let consumer = Arc::new(consumer);
    let _ = consumer.context().me.set(Arc::downgrade(&consumer));
    let _ = consumer.context().handler.set(handler);
    consumer.subscribe(&[settings.input_topic.as_str()])?;
    Ok(consumer)
}

/// One partition's commit: the next offset to read, with what the next owner of the
/// partition needs to know in the commit's metadata: the generation of the newest checkpoint
/// the state topic holds (so that it can trust its local copy without reading the topic), and
/// how far the owner had read (the inputs between the two may be read, and their outputs
/// produced, again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPoint {
    pub partition: i32,
    pub offset: i64,
    pub generation: Option<u64>,
    pub read: Option<i64>,
}

const METADATA_PREFIX: &str = "slad:";

fn metadata_of(generation: Option<u64>, read: Option<i64>) -> String {
    let mut fields = Vec::new();
    if let Some(g) = generation {
        fields.push(format!("checkpoint={g}"));
    }
    if let Some(r) = read {
        fields.push(format!("read={r}"));
    }
    if fields.is_empty() {
        return String::new();
    }
    format!("{METADATA_PREFIX}{}", fields.join(";"))
}

/// A field of commit metadata written by [`metadata_of`].
fn metadata_field(metadata: &str, name: &str) -> Option<i64> {
    let fields = metadata.strip_prefix(METADATA_PREFIX)?;
    fields.split(';').find_map(|field| field.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
}

/// Commits `points` of `topic`.
pub fn commit(consumer: &Consumer, topic: &str, points: &[CommitPoint], mode: CommitMode) -> KafkaResult<()> {
    if points.is_empty() {
        return Ok(());
    }
    consumer.commit(&offsets_of(topic, points)?, mode)
}

/// The offsets (with their metadata) of `points` of `topic`, as a commit sends them.
pub fn offsets_of(topic: &str, points: &[CommitPoint]) -> KafkaResult<TopicPartitionList> {
    let mut tpl = TopicPartitionList::with_capacity(points.len());
    for point in points {
        tpl.add_partition_offset(topic, point.partition, Offset::Offset(point.offset))?;
        if let Some(mut element) = tpl.find_partition(topic, point.partition) {
            element.set_metadata(metadata_of(point.generation, point.read));
        }
    }
    Ok(tpl)
}

/// Where a newly assigned partition stands, asked from the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// The log start.
    pub low: i64,
    /// The high watermark.
    pub high: i64,
    /// The committed offset, if any.
    pub committed: Option<i64>,
    /// The checkpoint generation named by the commit.
    pub generation: Option<u64>,
    /// How far the committing owner had read.
    pub read: Option<i64>,
}

/// The log start, the high watermark and the group's committed offset with its checkpoint
/// generation.
pub fn locate(consumer: &Consumer, topic: &str, partition: i32, timeout: Duration) -> KafkaResult<Located> {
    let (low, high) = consumer.fetch_watermarks(topic, partition, timeout)?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, partition);
    let committed = consumer.committed_offsets(tpl, timeout)?;
    let element = committed.find_partition(topic, partition);
    let offset = match element.as_ref().map(|e| e.offset()) {
        Some(Offset::Offset(n)) => Some(n),
        _ => None,
    };
    let metadata = element.as_ref().map_or("", |e| e.metadata());
    let generation = metadata_field(metadata, "checkpoint").and_then(|g| u64::try_from(g).ok());
    let read = metadata_field(metadata, "read");
    Ok(Located { low, high, committed: offset, generation, read })
}

/// The high watermark librdkafka last saw in a fetch response (no request to the broker).
pub struct CachedWatermark {
    topic: CString,
}

impl CachedWatermark {
    pub fn new(topic: &str) -> CachedWatermark {
        CachedWatermark { topic: CString::new(topic).unwrap_or_default() }
    }

    /// The last known high watermark of `partition`, if one is known.
    pub fn high(&self, consumer: &Consumer, partition: i32) -> Option<i64> {
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: the client pointer is valid while `consumer` lives; the topic is a valid
        // NUL-terminated string; the two out-pointers point to live i64s.
        let err = unsafe {
            rdkafka::bindings::rd_kafka_get_watermark_offsets(
                consumer.client().native_ptr(),
                self.topic.as_ptr(),
                partition,
                &mut low,
                &mut high,
            )
        };
        (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_and_read_position_round_trip_through_commit_metadata() {
        let both = metadata_of(Some(42), Some(1234));
        assert_eq!(metadata_field(&both, "checkpoint"), Some(42));
        assert_eq!(metadata_field(&both, "read"), Some(1234));
        assert_eq!(metadata_field(&metadata_of(None, Some(7)), "checkpoint"), None);
        assert_eq!(metadata_of(None, None), "");
        assert_eq!(metadata_field("", "read"), None);
        assert_eq!(metadata_field("read=5 by another client", "read"), None);
    }
}
