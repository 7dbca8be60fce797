//! Checkpoints: an engine encoded and decoded at any point produces exactly the outputs of one
//! that never was (over generated streams, the hand-written scenarios and a reload of the
//! rules), and damaged bytes are refused with the right error, never a panic.

mod corruption;
mod equivalence;

use slad::checkpoint::{self, Meta};
use slad::contract::decode::{decode_envelope, DecodeLimits, Source};
use slad::engine::rules::Rules;
use slad::engine::{Engine, Ingested};
use std::sync::Arc;

pub const BUSINESS: &str = include_str!("business.toml");
pub const RELOADED: &str = include_str!("reloaded.toml");

pub fn rules(toml: &str) -> Arc<Rules> {
    Arc::new(slad::config::parse(toml).expect("test config is valid").rules)
}

/// Drives an engine the way `slad simulate` does, recording every outcome and output.
pub struct Driver {
    pub engine: Engine,
    limits: DecodeLimits,
    lateness: i64,
    pub arrival: Option<i64>,
    pub position: i64,
    pub log: Vec<String>,
}

impl Driver {
    pub fn new(rules: Arc<Rules>) -> Driver {
        let limits = DecodeLimits {
            max_event_bytes: rules.limits.max_event_bytes,
            max_future_skew_ms: rules.limits.max_future_skew_ms,
        };
        let lateness = rules.limits.allowed_lateness_ms;
        Driver { engine: Engine::new(rules), limits, lateness, arrival: None, position: 0, log: Vec::new() }
    }

    pub fn line(&mut self, text: &str) {
        self.position += 1;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let decoded = match decode_envelope(trimmed.as_bytes(), &self.limits, Source::File) {
            Ok(decoded) => decoded,
            Err(rejection) => return self.log.push(format!("rejected {rejection}")),
        };
        let arrival = self.arrival.map_or(decoded.envelope.arrival, |a| a.max(decoded.envelope.arrival));
        let horizon = arrival.saturating_sub(self.lateness).saturating_sub(1);
        let mut out = Vec::new();
        let outcome = self.engine.ingest(decoded, horizon, &mut out);
        if outcome == Ingested::Applied {
            self.arrival = Some(arrival);
        }
        self.log.push(format!("{outcome:?}"));
        self.log.extend(out.iter().map(|o| o.to_json(None).to_string()));
    }

    pub fn advance(&mut self, until: i64) {
        let mut out = Vec::new();
        self.engine.advance(until, &mut out);
        self.log.extend(out.iter().map(|o| o.to_json(None).to_string()));
    }

    pub fn meta(&self) -> Meta {
        Meta { partition: 7, position: self.position, arrival_ms: self.arrival, taken_at_ms: 1_780_000_000_000 }
    }

    /// Replaces the engine with the one decoded from its checkpoint, on `rules`.
    pub fn restore(&mut self, rules: Arc<Rules>) -> usize {
        let meta = self.meta();
        let bytes = checkpoint::encode(&self.engine, &meta);
        assert_eq!(checkpoint::peek_meta(&bytes), Ok(meta));
        let (engine, back) = checkpoint::decode(&bytes, rules).expect("a fresh checkpoint decodes");
        assert_eq!(back, meta);
        assert_eq!(engine.tenant_count(), self.engine.tenant_count());
        assert_eq!(engine.ticket_count(), self.engine.ticket_count());
        assert_eq!(engine.armed_timers(), self.engine.armed_timers());
        assert_eq!(engine.next_deadline(), self.engine.next_deadline());
        self.engine = engine;
        self.arrival = back.arrival_ms;
        self.position = back.position;
        bytes.len()
    }
}
