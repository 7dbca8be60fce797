//! What every shard shares to keep its partitions durable: the local directory, the state
//! topic (created when missing) and the writer thread.

use super::local::LocalStore;
use super::topic::StateTopic;
use super::writer::{Job, Writer};
use super::{restore, Committed, Restored, Sources, StateError};
use crate::engine::rules::Rules;
use crate::kafka::{self, admin, Settings};
use rdkafka::client::Client;
use rdkafka::ClientContext;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `[state]` and `kafka.state_topic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateOptions {
    pub dir: PathBuf,
    /// Time between two checkpoints of a partition that changed.
    pub interval: Duration,
    pub topic: String,
    /// Longest wait for the state topic (a read that makes no progress, a write).
    pub timeout: Duration,
}

pub struct Store {
    settings: Settings,
    pub local: LocalStore,
    pub options: StateOptions,
    topic_partitions: Mutex<Option<i32>>,
    writer: Writer,
    /// Whether restores read the local files (not with `kafka.exactly_once`).
    use_local: bool,
}

impl Store {
    /// Checks that `state.dir` is usable and starts the writer.
    pub fn open(settings: &Settings, options: StateOptions) -> Result<Store, StateError> {
        let local = LocalStore::new(&options.dir, &settings.group_id, &settings.input_topic);
        std::fs::create_dir_all(local.dir()).map_err(|e| {
            StateError::Io(std::io::Error::new(e.kind(), format!("state.dir {}: {e}", options.dir.display())))
        })?;
        let topic = StateTopic::new(settings, &options.topic, options.timeout).map_err(StateError::Kafka)?;
        let writer = Writer::start(local.clone(), topic)?;
        Ok(Store {
            settings: settings.clone(),
            local,
            options,
            topic_partitions: Mutex::new(None),
            writer,
            use_local: !settings.exactly_once,
        })
    }

    /// The state topic's name.
    pub fn topic(&self) -> &str {
        &self.options.topic
    }

    /// The state topic's partition count; creates the topic (compacted, with as many
    /// partitions as the input topic) if it does not exist.
    pub fn topic_partitions<C: ClientContext>(&self, client: &Client<C>) -> Result<i32, StateError> {
        let mut known = self.topic_partitions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = *known {
            return Ok(n);
        }
        let timeout = self.options.timeout;
        let topic = &self.options.topic;
        let mut count = admin::partition_count(client, topic, timeout).map_err(StateError::Kafka)?;
        if count.is_none() {
            let input = admin::partition_count(client, &self.settings.input_topic, timeout)
                .map_err(StateError::Kafka)?
                .unwrap_or(1);
            let config = kafka::producer_config(&self.settings);
            let created = admin::ensure_compacted(&config, topic, input).map_err(|error| {
                tracing::error!(
                    topic = %topic,
                    %error,
                    "the state topic is missing and could not be created: create it with cleanup.policy=compact"
                );
                StateError::Kafka(error)
            })?;
            if created {
                tracing::info!(topic = %topic, partitions = input, "state topic created (cleanup.policy=compact)");
            }
            for _ in 0..50 {
                count = admin::partition_count(client, topic, timeout).map_err(StateError::Kafka)?;
                if count.is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let n = count.ok_or_else(|| StateError::Missing(topic.clone()))?;
        *known = Some(n);
        Ok(n)
    }

    /// `partition`'s newest usable checkpoint (see [`restore`]).
    pub fn restore<C: ClientContext>(
        &self,
        client: &Client<C>,
        partition: i32,
        committed: Committed,
        rules: &Arc<Rules>,
    ) -> Result<Restored, StateError> {
        // The partition count is asked only if the state topic is read: a metadata request on
        // the consumer's connection waits behind its fetches (fetch.wait.max.ms).
        let topic_partitions = || self.topic_partitions(client);
        let sources = Sources {
            local: self.use_local.then_some(&self.local),
            settings: &self.settings,
            topic: &self.options.topic,
            topic_partitions: &topic_partitions,
            timeout: self.options.timeout,
        };
        restore(&sources, partition, committed, rules)
    }

    /// Hands a checkpoint to the writer thread.
    pub fn submit(&self, job: Job) {
        self.writer.submit(job);
    }
}
