//! The daemon's own sections: `[kafka]`, `[http]`, `[engine]`, `[state]` and `[journey]`.
//! `[engine]` and `[journey]` also feed the engine (`Rules::limits`, `Rules::journey`).

use super::error::Errors;
use super::walk::{key_path, type_name, Node};
use crate::engine::rules::{EngineLimits, JourneyRules};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Value;

/// `[kafka]`.
#[derive(Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, comma-separated `host:port`. Default `127.0.0.1:9092`.
    pub brokers: String,
    /// Default `slad`.
    pub group_id: String,
    /// Default `support.events`.
    pub input_topic: String,
    /// Default `support.escalations`.
    pub escalations_topic: String,
    /// Default `support.notifications`.
    pub notifications_topic: String,
    /// Default `support.routing`.
    pub routing_topic: String,
    /// Default `support.events.dlq`.
    pub dead_letter_topic: String,
    /// The compacted topic holding the partitions' state checkpoints. Default: the input topic
    /// followed by `.state`.
    pub state_topic: String,
    /// Kafka transactions (outputs, state and offsets committed together). Default `false`.
    pub exactly_once: bool,
    /// `[kafka.properties]`, passed to librdkafka unchanged. May hold secrets: the `Debug`
    /// form shows the keys only.
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".to_owned(),
            group_id: "slad".to_owned(),
            input_topic: "support.events".to_owned(),
            escalations_topic: "support.escalations".to_owned(),
            notifications_topic: "support.notifications".to_owned(),
            routing_topic: "support.routing".to_owned(),
            dead_letter_topic: "support.events.dlq".to_owned(),
            state_topic: "support.events.state".to_owned(),
            exactly_once: false,
            properties: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaConfig")
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

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Where `/metrics`, `/healthz` and `/readyz` are served. Default `127.0.0.1:9464`.
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { listen: SocketAddr::from(([127, 0, 0, 1], 9464)) }
    }
}

/// `[engine]`, except the keys that go to [`EngineLimits`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineConfig {
    /// Shard threads; `None` (the default) means the number of cores.
    pub shards: Option<usize>,
}

/// `[state]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    /// Default `/var/lib/slad`.
    pub dir: PathBuf,
    /// Default 30 s.
    pub snapshot_interval_ms: i64,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig { dir: PathBuf::from("/var/lib/slad"), snapshot_interval_ms: 30_000 }
    }
}

fn set_string(node: &Node<'_>, errors: &mut Errors, key: &str, target: &mut String) {
    if let Some(s) = node.non_empty_string(errors, key) {
        *target = s.to_owned();
    }
}

pub(super) fn kafka(node: Option<Node<'_>>, errors: &mut Errors) -> KafkaConfig {
    let mut kafka = KafkaConfig::default();
    let Some(node) = node else { return kafka };
    node.deny_unknown(
        errors,
        &[
            "brokers",
            "group_id",
            "input_topic",
            "escalations_topic",
            "notifications_topic",
            "routing_topic",
            "dead_letter_topic",
            "state_topic",
            "exactly_once",
            "properties",
        ],
    );
    set_string(&node, errors, "brokers", &mut kafka.brokers);
    set_string(&node, errors, "group_id", &mut kafka.group_id);
    set_string(&node, errors, "input_topic", &mut kafka.input_topic);
    set_string(&node, errors, "escalations_topic", &mut kafka.escalations_topic);
    set_string(&node, errors, "notifications_topic", &mut kafka.notifications_topic);
    set_string(&node, errors, "routing_topic", &mut kafka.routing_topic);
    set_string(&node, errors, "dead_letter_topic", &mut kafka.dead_letter_topic);
    kafka.state_topic = format!("{}.state", kafka.input_topic);
    set_string(&node, errors, "state_topic", &mut kafka.state_topic);
    if let Some(b) = node.boolean(errors, "exactly_once") {
        kafka.exactly_once = b;
    }
    if let Some(properties) = node.table(errors, "properties") {
        flatten_properties(&properties.path, "", properties.table, errors, &mut kafka.properties);
    }
    kafka
}

/// librdkafka keys are dotted: `security.protocol = "SSL"` written unquoted is a nested
/// table in TOML, so nested tables are flattened back into dotted keys. Integers, floats
/// and booleans are turned into strings (librdkafka takes strings).
fn flatten_properties(
    path: &str,
    prefix: &str,
    table: &toml::Table,
    errors: &mut Errors,
    out: &mut BTreeMap<String, String>,
) {
    for (key, value) in table {
        let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let key_at = key_path(path, key);
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::Table(inner) => {
                flatten_properties(&key_at, &name, inner, errors, out);
                continue;
            }
            other => {
                errors.push(key_at, format!("expected a string, found {}", type_name(other)));
                continue;
            }
        };
        if out.insert(name.clone(), text).is_some() {
            errors.push(key_at, format!("property {name:?} is set twice"));
        }
    }
}

pub(super) fn http(node: Option<Node<'_>>, errors: &mut Errors) -> HttpConfig {
    let mut http = HttpConfig::default();
    let Some(node) = node else { return http };
    node.deny_unknown(errors, &["listen"]);
    if let Some(listen) = node.string(errors, "listen") {
        match listen.parse::<SocketAddr>() {
            Ok(addr) => http.listen = addr,
            Err(_) => errors.push(
                node.path_of("listen"),
                format!(
                    "invalid socket address {listen:?}: expected IP:PORT such as \"127.0.0.1:9464\" or \"[::1]:9464\""
                ),
            ),
        }
    }
    http
}

/// `[engine]`: the daemon's part and the engine's limits.
pub(super) fn engine(node: Option<Node<'_>>, errors: &mut Errors) -> (EngineConfig, EngineLimits) {
    let mut engine = EngineConfig::default();
    let mut limits = EngineLimits::default();
    let Some(node) = node else { return (engine, limits) };
    node.deny_unknown(
        errors,
        &[
            "shards",
            "allowed_lateness",
            "max_future_skew",
            "dedupe_window",
            "max_event_bytes",
            "dedupe_max_ids",
            "solved_ttl",
        ],
    );
    if let Some(n) = node.count_at_least::<usize>(errors, "shards", 1) {
        engine.shards = Some(n);
    }
    if let Some(d) = node.duration(errors, "allowed_lateness") {
        limits.allowed_lateness_ms = d.ms;
    }
    if let Some(d) = node.duration(errors, "max_future_skew") {
        limits.max_future_skew_ms = d.ms;
    }
    if let Some(d) = node.duration(errors, "dedupe_window") {
        limits.dedupe_window_ms = d.ms;
    }
    if let Some(n) = node.count_at_least::<usize>(errors, "max_event_bytes", 1) {
        limits.max_event_bytes = n;
    }
    if let Some(n) = node.count_at_least::<u64>(errors, "dedupe_max_ids", 1) {
        limits.dedupe_max_ids = n;
    }
    if let Some(d) = node.duration(errors, "solved_ttl") {
        limits.solved_ttl_ms = d.ms;
    }
    (engine, limits)
}

pub(super) fn state(node: Option<Node<'_>>, errors: &mut Errors) -> StateConfig {
    let mut state = StateConfig::default();
    let Some(node) = node else { return state };
    node.deny_unknown(errors, &["dir", "snapshot_interval"]);
    if let Some(dir) = node.non_empty_string(errors, "dir") {
        state.dir = PathBuf::from(dir);
    }
    if let Some(d) = node.duration(errors, "snapshot_interval") {
        if d.ms > 0 {
            state.snapshot_interval_ms = d.ms;
        } else {
            errors.push(node.path_of("snapshot_interval"), "must be greater than 0");
        }
    }
    state
}

pub(super) fn journey(node: Option<Node<'_>>, errors: &mut Errors) -> JourneyRules {
    let mut journey = JourneyRules::default();
    let Some(node) = node else { return journey };
    node.deny_unknown(errors, &["max_steps", "ttl"]);
    if let Some(n) = node.count_at_least::<usize>(errors, "max_steps", 0) {
        journey.max_steps = n;
    }
    if let Some(d) = node.duration(errors, "ttl") {
        journey.ttl_ms = d.ms;
    }
    journey
}
