//! Durable state: each input partition's engine survives a crash, a restart and a move to
//! another instance (README "Durability").
//!
//! - Every `state.snapshot_interval`, a shard encodes a partition's engine into a checkpoint
//!   (`crate::checkpoint`: the state after every input below `position` and every timer due at
//!   or before the horizon it reached). The checkpoint is handed to the [`writer`] only once
//!   every output produced before it is acknowledged, so it never covers an output that could
//!   still be lost.
//! - The writer saves it to [`local`] (`state.dir`) and publishes it to the compacted
//!   [`topic`]. A published generation is named in the metadata of the next offset commit.
//! - On assignment, [`restore`] takes the local file if it is known to be the newest (the
//!   group's commit metadata names its generation; or, from a broker that drops commit
//!   metadata, it stops exactly at the committed offset), else the newest complete checkpoint
//!   in the state topic, else an empty engine from the start of the input partition. The shard then
//!   reads the input from the checkpoint's position; inputs below the committed offset are
//!   applied without producing again what they cause (their outputs were all acknowledged).
//!
//! A checkpoint that fails to decode (truncated, corrupt, another format version) is logged,
//! counted, moved aside if local, and the next source is tried: never a panic, never an engine
//! built from damaged bytes.

pub mod local;
pub mod store;
pub mod topic;
pub mod writer;

use crate::checkpoint::{self, Meta};
use crate::engine::rules::Rules;
use crate::engine::Engine;
use crate::kafka::Settings;
use crate::metrics as m;
use local::LocalStore;
use rdkafka::error::KafkaError;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("kafka: {0}")]
    Kafka(KafkaError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("topic {0} does not exist and could not be created")]
    Missing(String),
    #[error("reading {topic} partition {partition} stalled at offset {position} (end {high})")]
    Timeout { topic: String, partition: i32, position: i64, high: i64 },
}

/// Where restored state came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Local,
    Topic,
    /// No usable checkpoint: the partition is rebuilt from the start of the input.
    None,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Topic => "topic",
            Source::None => "none",
        }
    }
}

/// A partition's state as found.
pub struct Restored {
    pub source: Source,
    /// The engine and its checkpoint's metadata; `None` with [`Source::None`].
    pub checkpoint: Option<(Engine, Meta)>,
    /// The generation restored (0 without a checkpoint).
    pub generation: u64,
    pub bytes: usize,
    /// Chunk sets of the state topic that no manifest uses any more.
    pub stale: Vec<(u64, u32)>,
}

/// Where checkpoints are read from.
pub struct Sources<'a> {
    /// `None`: local files are not used (`kafka.exactly_once`: only what a committed
    /// transaction wrote to the state topic is state).
    pub local: Option<&'a LocalStore>,
    pub settings: &'a Settings,
    pub topic: &'a str,
    /// The state topic's partition count (asked, or the topic created, when first needed).
    pub topic_partitions: &'a dyn Fn() -> Result<i32, StateError>,
    pub timeout: Duration,
}

fn decode(bytes: &[u8], rules: &Arc<Rules>, partition: i32, source: Source) -> Option<(Engine, Meta)> {
    match checkpoint::decode(bytes, rules.clone()) {
        Ok((engine, meta)) if meta.partition == partition => Some((engine, meta)),
        Ok((_, meta)) => {
            tracing::error!(
                partition,
                found = meta.partition,
                source = source.label(),
                "checkpoint of another partition"
            );
            metrics::counter!(m::CHECKPOINTS_REJECTED, "source" => source.label()).increment(1);
            None
        }
        Err(error) => {
            tracing::error!(partition, source = source.label(), %error, "checkpoint unusable; trying the next source");
            metrics::counter!(m::CHECKPOINTS_REJECTED, "source" => source.label()).increment(1);
            None
        }
    }
}

/// What the group's commit of a partition says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    pub offset: Option<i64>,
    /// The checkpoint generation named in the commit's metadata (some brokers drop metadata).
    pub generation: Option<u64>,
}

impl Committed {
    /// Whether a local checkpoint is known to be the newest: the commit names its generation;
    /// or, from a broker that keeps no commit metadata, it stops exactly at the committed
    /// offset (as the final checkpoint of a clean stop does).
    fn trusts(&self, generation: u64, position: i64) -> bool {
        match self.generation {
            Some(named) => named == generation,
            None => self.offset == Some(position),
        }
    }
}

/// Finds `partition`'s newest usable checkpoint. An error (the state topic unreadable) means
/// "try again", never "start empty": that could forget state the topic holds.
pub fn restore(
    sources: &Sources<'_>,
    partition: i32,
    committed: Committed,
    rules: &Arc<Rules>,
) -> Result<Restored, StateError> {
    let local = match sources.local.map(|l| (l, l.load(partition))) {
        None => None,
        Some((_, Ok(found))) => found,
        Some((l, Err(error))) => {
            tracing::warn!(partition, dir = %l.dir().display(), %error, "could not read the local checkpoint");
            None
        }
    };
    let quarantine = |path: &std::path::Path| {
        if let Some(l) = sources.local {
            l.quarantine(path);
        }
    };
    let mut local_verified = false;
    if let Some(file) = &local {
        match checkpoint::verify(&file.bytes) {
            Ok(meta) if committed.trusts(file.generation, meta.position) => {
                match decode(&file.bytes, rules, partition, Source::Local) {
                    Some(state) => {
                        return Ok(Restored {
                            source: Source::Local,
                            checkpoint: Some(state),
                            generation: file.generation,
                            bytes: file.bytes.len(),
                            stale: Vec::new(),
                        })
                    }
                    None => quarantine(&file.path),
                }
            }
            Ok(_) => local_verified = true,
            Err(error) => {
                tracing::error!(partition, path = %file.path.display(), %error, "local checkpoint unusable");
                metrics::counter!(m::CHECKPOINTS_REJECTED, "source" => Source::Local.label()).increment(1);
                quarantine(&file.path);
            }
        }
    }
    let topic_partitions = (sources.topic_partitions)()?;
    let found = topic::read(sources.settings, sources.topic, topic_partitions, partition, sources.timeout)?;
    if found.incomplete > 0 {
        tracing::warn!(partition, manifests = found.incomplete, "state topic manifests with missing or damaged chunks");
    }
    if let Some(kept) = &found.checkpoint {
        if let Some(state) = decode(&kept.bytes, rules, partition, Source::Topic) {
            return Ok(Restored {
                source: Source::Topic,
                checkpoint: Some(state),
                generation: kept.generation,
                bytes: kept.bytes.len(),
                stale: found.stale,
            });
        }
    }
    // The state topic has nothing usable: a local file of another generation is still a
    // consistent state (older or newer than the committed offset; the replay brings it up).
    if let Some(file) = local.as_ref().filter(|_| local_verified) {
        match decode(&file.bytes, rules, partition, Source::Local) {
            Some(state) => {
                return Ok(Restored {
                    source: Source::Local,
                    checkpoint: Some(state),
                    generation: file.generation,
                    bytes: file.bytes.len(),
                    stale: found.stale,
                })
            }
            None => quarantine(&file.path),
        }
    }
    Ok(Restored { source: Source::None, checkpoint: None, generation: 0, bytes: 0, stale: found.stale })
}
