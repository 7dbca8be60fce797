//! Decoding and validating input records (EVENTS.md sections 2 and 6, DETAILS.md
//! "Input and rejections"). Never panics, whatever the bytes.
//!
//! Decoding is in two phases because the duplicate-`event_id` skip sits between them in
//! the reason precedence: [`decode_envelope`] checks JSON, `type` and the envelope;
//! the engine then skips a repeated `event_id`; [`decode_body`] checks the type's own fields.

use super::input::{Body, Envelope};
use super::reason::Rejection;
use crate::time::Millis;
use serde_json::{Map, Value};

/// What the envelope is checked against.
#[derive(Debug, Clone)]
pub struct DecodeLimits {
    /// `engine.max_event_bytes`.
    pub max_event_bytes: usize,
    /// `engine.max_future_skew`, ms.
    pub max_future_skew_ms: i64,
}

/// Where the record came from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `slad simulate`: no Kafka key; the arrival time is `received_at`, default `ts`.
    File,
    /// The daemon: the record's key (None when the record has none) and its timestamp,
    /// which is the arrival time (`received_at` in the JSON is ignored).
    Kafka { key: Option<&'a [u8]>, timestamp: Millis },
}

/// A record whose envelope is valid; its object is kept for [`decode_body`].
#[derive(Debug, Clone)]
pub struct Decoded {
    pub envelope: Envelope,
    pub object: Map<String, Value>,
}

/// Phase one: JSON, `type`, envelope.
pub fn decode_envelope(_record: &[u8], _limits: &DecodeLimits, _source: Source<'_>) -> Result<Decoded, Rejection> {
    todo!("decode_envelope")
}

/// Phase two: the type's own fields, with defaults applied.
pub fn decode_body(_decoded: &Decoded) -> Result<Body, Rejection> {
    todo!("decode_body")
}
