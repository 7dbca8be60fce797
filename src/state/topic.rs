//! The state topic: every input partition's latest checkpoint, kept in Kafka so that it
//! outlives the machine that wrote it (the way Kafka Streams backs a state store with a
//! compacted changelog topic).
//!
//! Layout, for input partition `P` (all in state-topic partition `P % partitions`, so the
//! state topic may have any number of partitions):
//! - `P/chunk/G/I`: bytes `I*CHUNK..` of the checkpoint of generation `G`;
//! - `P/manifest`: `{"generation":G,"chunks":N,"bytes":B,"crc32":C}`, written after every
//!   chunk of `G` is acknowledged.
//!
//! Invariant: a manifest names a complete set of acknowledged chunks. Reading takes the last
//! manifest in log order whose chunks are all present with the right length and CRC (falling
//! back to the one before it); after a new manifest is acknowledged the chunks of older
//! generations are deleted with tombstones, so compaction keeps one or two checkpoints per
//! partition.

// The shell: writes and reads of the state topic are bounded by the monotonic clock.
#![allow(clippy::disallowed_methods)]

use super::StateError;
use crate::kafka::{self, Settings};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _, ProducerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bytes per chunk record: below the 1 MB default record limit of brokers and clients.
pub const CHUNK: usize = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    generation: u64,
    chunks: u32,
    bytes: u64,
    crc32: u32,
}

fn manifest_key(partition: i32) -> String {
    format!("{partition}/manifest")
}

fn chunk_key(partition: i32, generation: u64, index: u32) -> String {
    format!("{partition}/chunk/{generation}/{index}")
}

/// The generation named by a chunk key of `partition`.
fn chunk_generation(key: &str, partition: i32) -> Option<u64> {
    let rest = key.strip_prefix(&format!("{partition}/chunk/"))?;
    rest.split('/').next()?.parse().ok()
}

/// Delivery failures of the state producer, kept for the publisher to see after a flush.
#[derive(Default)]
pub struct DeliveryErrors {
    first: Mutex<Option<KafkaError>>,
}

impl ClientContext for DeliveryErrors {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        kafka::log_librdkafka(level, fac, log_message);
    }
}

impl ProducerContext for DeliveryErrors {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, _)) = result {
            if let Ok(mut first) = self.first.lock() {
                first.get_or_insert_with(|| error.clone());
            }
        }
    }
}

/// Writes checkpoints to the state topic.
pub struct StateTopic {
    producer: BaseProducer<DeliveryErrors>,
    topic: String,
    timeout: Duration,
}

impl StateTopic {
    /// A producer for `topic`.
    pub fn new(settings: &Settings, topic: &str, timeout: Duration) -> Result<StateTopic, KafkaError> {
        let mut config = kafka::producer_config(settings);
        config.set("client.id", "slad-state");
        let producer = config.create_with_context(DeliveryErrors::default())?;
        Ok(StateTopic { producer, topic: topic.to_owned(), timeout })
    }

    fn send(&self, target: i32, key: &str, payload: Option<&[u8]>, deadline: Instant) -> Result<(), StateError> {
        loop {
            let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(&self.topic).partition(target).key(key);
            if let Some(payload) = payload {
                record = record.payload(payload);
            }
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) if Instant::now() < deadline => {
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => return Err(StateError::Kafka(error)),
            }
        }
    }

    fn flush(&self, deadline: Instant) -> Result<(), StateError> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.producer.flush(left).map_err(StateError::Kafka)?;
        match self.producer.context().first.lock().ok().and_then(|mut first| first.take()) {
            Some(error) => Err(StateError::Kafka(error)),
            None => Ok(()),
        }
    }

    /// Publishes generation `generation` of `partition`'s checkpoint (to state-topic partition
    /// `partition % partitions`) and, once its manifest is acknowledged, deletes the chunks of
    /// the generations in `stale` (`(generation, chunks)`). Returns the bytes written.
    pub fn publish(
        &self,
        partition: i32,
        partitions: i32,
        generation: u64,
        checkpoint: &[u8],
        stale: &[(u64, u32)],
    ) -> Result<u64, StateError> {
        let target = partition.rem_euclid(partitions.max(1));
        let deadline = Instant::now() + self.timeout;
        let mut written = 0u64;
        let mut chunks = 0u32;
        for (index, chunk) in checkpoint.chunks(CHUNK).enumerate() {
            let key = chunk_key(partition, generation, index as u32);
            self.send(target, &key, Some(chunk), deadline)?;
            written += (key.len() + chunk.len()) as u64;
            chunks += 1;
        }
        self.flush(deadline)?;
        let manifest =
            Manifest { generation, chunks, bytes: checkpoint.len() as u64, crc32: crc32fast::hash(checkpoint) };
        let value = serde_json::to_vec(&manifest).unwrap_or_default();
        let key = manifest_key(partition);
        self.send(target, &key, Some(&value), deadline)?;
        self.flush(deadline)?;
        written += (key.len() + value.len()) as u64;
        for &(old, count) in stale.iter().filter(|(old, _)| *old != generation) {
            for index in 0..count {
                self.send(target, &chunk_key(partition, old, index), None, deadline)?;
            }
        }
        self.flush(deadline)?;
        Ok(written)
    }
}

/// A checkpoint read back from the state topic.
#[derive(Debug)]
pub struct TopicCheckpoint {
    pub generation: u64,
    pub bytes: Vec<u8>,
}

/// What the state topic holds for one partition.
#[derive(Debug, Default)]
pub struct TopicState {
    /// The newest complete checkpoint, if any.
    pub checkpoint: Option<TopicCheckpoint>,
    /// Chunk sets of other generations still in the topic, `(generation, chunks)`: to delete.
    pub stale: Vec<(u64, u32)>,
    /// Manifests that named missing or damaged chunks.
    pub incomplete: u32,
    /// Bytes read.
    pub read: u64,
}

/// Reads `partition`'s checkpoints from the state topic (which has `partitions` partitions),
/// from its start to its end.
pub fn read(
    settings: &Settings,
    topic: &str,
    partitions: i32,
    partition: i32,
    timeout: Duration,
) -> Result<TopicState, StateError> {
    let target = partition.rem_euclid(partitions.max(1));
    let mut config = kafka::consumer_config(settings);
    config.set("group.id", format!("{}.state-reader", settings.group_id));
    config.set("client.id", "slad-state-reader");
    config.set("enable.partition.eof", "false");
    // A fixed range up to a known end: waiting for new records gains nothing.
    config.set("fetch.wait.max.ms", "10");
    // Chunks and manifests of aborted transactions (`kafka.exactly_once`) are never state;
    // records written outside transactions are read either way.
    config.set("isolation.level", "read_committed");
    let consumer: BaseConsumer = config.create().map_err(StateError::Kafka)?;
    let (low, high) = consumer.fetch_watermarks(topic, target, timeout).map_err(StateError::Kafka)?;
    let mut state = TopicState::default();
    if high <= low {
        return Ok(state);
    }
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, target, Offset::Offset(low)).map_err(StateError::Kafka)?;
    consumer.assign(&assignment).map_err(StateError::Kafka)?;
    let prefix = format!("{partition}/");
    let manifest = manifest_key(partition);
    let mut manifests: Vec<Manifest> = Vec::new();
    let mut chunks: HashMap<String, Vec<u8>> = HashMap::new();
    let mut last_progress = Instant::now();
    let mut position = low;
    while position < high {
        let Some(result) = consumer.poll(Duration::from_millis(100)) else {
            // A transaction's commit marker is the last offset of its records and no message:
            // the consumer's position passes it.
            if let Some(at) = read_position(&consumer, topic, target).filter(|at| *at > position) {
                position = at;
                last_progress = Instant::now();
                continue;
            }
            if last_progress.elapsed() > timeout {
                return Err(StateError::Timeout { topic: topic.to_owned(), partition: target, position, high });
            }
            continue;
        };
        let message = result.map_err(StateError::Kafka)?;
        last_progress = Instant::now();
        position = message.offset() + 1;
        let Some(key) = message.key().and_then(|k| std::str::from_utf8(k).ok()) else { continue };
        if !key.starts_with(&prefix) {
            continue;
        }
        state.read += (key.len() + message.payload().map_or(0, <[u8]>::len)) as u64;
        if key == manifest {
            match message.payload().map(serde_json::from_slice::<Manifest>) {
                Some(Ok(m)) => manifests.push(m),
                _ => tracing::warn!(topic, partition, offset = message.offset(), "unreadable manifest ignored"),
            }
        } else {
            match message.payload() {
                Some(payload) => chunks.insert(key.to_owned(), payload.to_vec()),
                None => chunks.remove(key),
            };
        }
    }
    for candidate in manifests.iter().rev() {
        match assemble(&chunks, partition, candidate) {
            Some(bytes) => {
                state.checkpoint = Some(TopicCheckpoint { generation: candidate.generation, bytes });
                break;
            }
            None => state.incomplete += 1,
        }
    }
    let kept = state.checkpoint.as_ref().map(|c| c.generation);
    let mut stale: HashMap<u64, u32> = HashMap::new();
    for key in chunks.keys() {
        if let Some(generation) = chunk_generation(key, partition).filter(|g| Some(*g) != kept) {
            let index: u32 = key.rsplit('/').next().and_then(|i| i.parse().ok()).unwrap_or(0);
            let count = stale.entry(generation).or_default();
            *count = (*count).max(index + 1);
        }
    }
    state.stale = stale.into_iter().collect();
    Ok(state)
}

/// The consumer's position in `topic`/`partition`, if it has one.
fn read_position(consumer: &BaseConsumer, topic: &str, partition: i32) -> Option<i64> {
    let positions = consumer.position().ok()?;
    match positions.find_partition(topic, partition)?.offset() {
        Offset::Offset(at) => Some(at),
        _ => None,
    }
}

/// The records that publish generation `generation` of `partition`'s checkpoint, handed to
/// `send` in order (key, value; `None` is a tombstone): the chunks, the manifest, then
/// tombstones of the chunks of the generations in `stale`. Inside one transaction they become
/// visible together, so the manifest needs no wait for its chunks. Returns the bytes sent.
pub fn checkpoint_records<E>(
    partition: i32,
    generation: u64,
    checkpoint: &[u8],
    stale: &[(u64, u32)],
    mut send: impl FnMut(&str, Option<&[u8]>) -> Result<(), E>,
) -> Result<u64, E> {
    let mut written = 0u64;
    let mut chunks = 0u32;
    for (index, chunk) in checkpoint.chunks(CHUNK).enumerate() {
        let key = chunk_key(partition, generation, index as u32);
        send(&key, Some(chunk))?;
        written += (key.len() + chunk.len()) as u64;
        chunks += 1;
    }
    let manifest = Manifest { generation, chunks, bytes: checkpoint.len() as u64, crc32: crc32fast::hash(checkpoint) };
    let value = serde_json::to_vec(&manifest).unwrap_or_default();
    let key = manifest_key(partition);
    send(&key, Some(&value))?;
    written += (key.len() + value.len()) as u64;
    for &(old, count) in stale.iter().filter(|(old, _)| *old != generation) {
        for index in 0..count {
            send(&chunk_key(partition, old, index), None)?;
        }
    }
    Ok(written)
}

/// The checkpoint bytes a manifest names, if all its chunks are there and match.
fn assemble(chunks: &HashMap<String, Vec<u8>>, partition: i32, manifest: &Manifest) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(manifest.bytes).ok()?.min(1 << 34));
    for index in 0..manifest.chunks {
        let chunk = chunks.get(&chunk_key(partition, manifest.generation, index))?;
        bytes.extend_from_slice(chunk);
    }
    (bytes.len() as u64 == manifest.bytes && crc32fast::hash(&bytes) == manifest.crc32).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_partition_and_generation() {
        assert_eq!(chunk_key(3, 17, 2), "3/chunk/17/2");
        assert_eq!(chunk_generation("3/chunk/17/2", 3), Some(17));
        assert_eq!(chunk_generation("13/chunk/17/2", 3), None);
        assert_eq!(chunk_generation("3/manifest", 3), None);
    }

    #[test]
    fn assembles_only_a_complete_matching_set() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 10)).map(|i| (i % 251) as u8).collect();
        let mut chunks = HashMap::new();
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            chunks.insert(chunk_key(0, 5, i as u32), chunk.to_vec());
        }
        let manifest = Manifest { generation: 5, chunks: 3, bytes: data.len() as u64, crc32: crc32fast::hash(&data) };
        assert_eq!(assemble(&chunks, 0, &manifest).as_deref(), Some(data.as_slice()));
        assert_eq!(assemble(&chunks, 0, &Manifest { generation: 6, ..manifest }), None, "other generation");
        chunks.insert(chunk_key(0, 5, 1), vec![0; CHUNK]);
        assert_eq!(assemble(&chunks, 0, &manifest), None, "a damaged chunk fails the CRC");
        chunks.remove(&chunk_key(0, 5, 2));
        assert_eq!(assemble(&chunks, 0, &manifest), None, "a missing chunk");
    }
}
