//! The Kafka side of the daemon: the consumer with its rebalance handling
//! ([`consumer`]), the producer with delivery acknowledgements ([`producer`]), dead letters
//! ([`dlq`]) and the per-partition commit tracking ([`offsets`]).
//!
//! Client settings: `kafka.properties` are passed to librdkafka unchanged, except for the few
//! settings the delivery guarantees rest on (manual commits, idempotent producer), which are
//! forced and logged (by key, never by value: properties may hold secrets).

pub mod admin;
pub mod consumer;
pub mod dlq;
pub mod offsets;
pub mod producer;
pub mod transactional;

use rdkafka::ClientConfig;
use std::collections::BTreeMap;

/// What the Kafka clients need from the `[kafka]` section.
#[derive(Clone)]
pub struct Settings {
    pub brokers: String,
    pub group_id: String,
    pub input_topic: String,
    pub escalations_topic: String,
    pub notifications_topic: String,
    pub routing_topic: String,
    pub dead_letter_topic: String,
    /// The compacted topic of the partitions' checkpoints.
    pub state_topic: String,
    /// `kafka.exactly_once`: outputs, checkpoints and input offsets in Kafka transactions
    /// (see [`transactional`]).
    pub exactly_once: bool,
    /// Passed to librdkafka unchanged (may hold secrets: never logged by value).
    pub properties: BTreeMap<String, String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("brokers", &self.brokers)
            .field("group_id", &self.group_id)
            .field("input_topic", &self.input_topic)
            .field("escalations_topic", &self.escalations_topic)
            .field("notifications_topic", &self.notifications_topic)
            .field("routing_topic", &self.routing_topic)
            .field("dead_letter_topic", &self.dead_letter_topic)
            .field("state_topic", &self.state_topic)
            .field("exactly_once", &self.exactly_once)
            .field("properties", &self.properties.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Consumer settings the commit protocol rests on.
const CONSUMER_FORCED: &[(&str, &str)] =
    &[("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"), ("enable.partition.eof", "false")];

/// Producer settings the delivery guarantee rests on.
const PRODUCER_FORCED: &[(&str, &str)] = &[("enable.idempotence", "true")];

/// Consumer defaults that `kafka.properties` may override.
const CONSUMER_DEFAULTS: &[(&str, &str)] = &[("auto.offset.reset", "earliest"), ("client.id", "slad")];

/// Producer defaults that `kafka.properties` may override.
const PRODUCER_DEFAULTS: &[(&str, &str)] = &[("linger.ms", "5"), ("client.id", "slad")];

fn build(settings: &Settings, defaults: &[(&str, &str)], forced: &[(&str, &str)], role: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &settings.brokers);
    for (key, value) in defaults {
        config.set(*key, *value);
    }
    for (key, value) in &settings.properties {
        config.set(key, value);
    }
    for (key, value) in forced {
        force(&mut config, settings, key, value, role);
    }
    config
}

/// Sets a key the guarantees rest on, warning when `kafka.properties` said otherwise.
pub(crate) fn force(config: &mut ClientConfig, settings: &Settings, key: &str, value: &str, role: &str) {
    if settings.properties.get(key).is_some_and(|v| v != value) {
        tracing::warn!(key, role, "kafka.properties sets a key slad must control; ignored");
    }
    config.set(key, value);
}

/// The consumer's librdkafka configuration.
pub fn consumer_config(settings: &Settings) -> ClientConfig {
    let mut config = build(settings, CONSUMER_DEFAULTS, CONSUMER_FORCED, "consumer");
    config.set("group.id", &settings.group_id);
    if settings.exactly_once {
        // Committed offsets are then read stable (none pending in an open transaction).
        force(&mut config, settings, "isolation.level", "read_committed", "consumer");
    }
    config
}

/// The producer's librdkafka configuration.
pub fn producer_config(settings: &Settings) -> ClientConfig {
    build(settings, PRODUCER_DEFAULTS, PRODUCER_FORCED, "producer")
}

/// librdkafka's log levels mapped onto tracing (librdkafka lines never hold property values).
pub(crate) fn log_librdkafka(level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        L::Emerg | L::Alert | L::Critical | L::Error => tracing::error!(target: "librdkafka", "{fac} {message}"),
        L::Warning => tracing::warn!(target: "librdkafka", "{fac} {message}"),
        L::Notice | L::Info => tracing::info!(target: "librdkafka", "{fac} {message}"),
        L::Debug => tracing::debug!(target: "librdkafka", "{fac} {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            brokers: "127.0.0.1:9092".into(),
            group_id: "slad".into(),
            input_topic: "in".into(),
            escalations_topic: "esc".into(),
            notifications_topic: "not".into(),
            routing_topic: "rt".into(),
            dead_letter_topic: "dlq".into(),
            state_topic: "state".into(),
            exactly_once: false,
            properties: [
                ("enable.auto.commit".to_owned(), "true".to_owned()),
                ("sasl.password".to_owned(), "hunter2".to_owned()),
                ("linger.ms".to_owned(), "20".to_owned()),
            ]
            .into(),
        }
    }

    #[test]
    fn forced_keys_win_and_properties_override_defaults() {
        let s = settings();
        let c = consumer_config(&s);
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("group.id"), Some("slad"));
        assert_eq!(c.get("sasl.password"), Some("hunter2"));
        let p = producer_config(&s);
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(p.get("linger.ms"), Some("20"));
    }

    #[test]
    fn debug_never_shows_property_values() {
        let shown = format!("{:?}", settings());
        assert!(shown.contains("sasl.password"));
        assert!(!shown.contains("hunter2"));
    }
}
