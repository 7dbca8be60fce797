//! Checkpoints: an [`Engine`]'s state as versioned, checksummed bytes, and back. Pure: no IO,
//! no clock; the daemon stores the bytes and supplies the metadata.
//!
//! ```text
//! encode(engine, meta) -> bytes          decode(bytes, rules) -> (engine', meta)
//! peek_meta(bytes) -> meta               (header only: magic, version, lengths)
//! ```
//!
//! # Invariant
//!
//! `decode(&encode(&e, &m), rules)` is `Ok((e', m))` where `e'` is `e` followed by
//! `e.set_rules(rules)`: fed the same inputs and horizons afterwards, `e'` produces exactly
//! the outputs `e` would (after the same reload). Any other bytes give an `Err`, never a panic
//! and never a different engine: the frame ([`frame`]) carries magic bytes, a format version
//! and a CRC-32 over everything before it, checked before the payload is read.
//!
//! # Payload
//!
//! bincode 1.3 (varints, little-endian) of, after a `u64` length prefix for the first part:
//! the state (every tenant with its tickets, SLA clocks, timing wheel including slab, levels
//! and heaps, routing tables, indexes and queue, journeys, dedupe windows; the engine's
//! agenda), then the table of rules objects it refers to. The decoder reads the table first.
//! Maps are written in iteration order; nothing in the engine depends on a hash map's order.
//! Reading is bounded by the payload's length (bincode's limit), JSON values are flat token
//! lists with a depth limit ([`json`]), and the engine's own indexes are checked against its
//! tenants, so crafted bytes with a valid checksum cannot make it allocate without bound or
//! overflow the stack; a panic while the state is rebuilt is caught and refused. (Such bytes
//! could still describe internally inconsistent tickets or timers: the checksum is what rules
//! out damage, and only [`encode`] writes checkpoints.)
//!
//! # Rules objects
//!
//! Tickets and clocks hold the `Arc<Policy>` they started with, and a ticket's routing round the
//! `Arc<Rules>` it opened under, so after a reload a state holds objects of several
//! configurations. Each distinct object (by address) is stored once, by value, in a table
//! ([`table`]); the state holds indexes into it ([`shared`]), and decoding rebuilds one `Arc`
//! per entry, so sharing is as it was. Calendars are stored as their definition (IANA zone,
//! week, holidays) and compiled again. Nothing is looked up by name in the current rules: a
//! ticket keeps exactly the policy it had even if the configuration changed or lost that
//! policy since. The current `rules` become the engine's rules (new tickets, rounds and
//! reloads use them), as a reload would make them. Rebuilt objects are not merged with equal
//! objects of the current rules: a restored partition holds its own copy of each (a few KiB).
//! A stored calendar whose zone this build does not know is [`CheckpointError::Incompatible`].
//!
//! A change to any serialised engine type changes the payload: bump [`FORMAT_VERSION`] with it.

mod error;
pub mod fields;
mod frame;
pub mod json;
pub mod shared;
mod table;

pub use error::CheckpointError;

use crate::engine::persist::State;
use crate::engine::rules::Rules;
use crate::engine::Engine;
use bincode::Options;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// The payload format this build writes and reads.
pub const FORMAT_VERSION: u32 = 4;

/// What a checkpoint says about itself, in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The input partition whose engine this is.
    pub partition: i32,
    /// The next input offset to read: the state covers every input below it.
    pub position: i64,
    /// The partition's arrival clock (latest arrival applied), if any input was applied.
    pub arrival_ms: Option<i64>,
    /// When the checkpoint was taken (the caller's clock).
    pub taken_at_ms: i64,
}

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// The checkpoint of `engine` with the header `meta`.
pub fn encode(engine: &Engine, meta: &Meta) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096 + engine.ticket_count() * 384);
    frame::begin(&mut out, meta);
    let lengths_at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    let (written, table) = shared::encoding(|| options().serialize_into(&mut out, &engine.state()));
    // Writing into memory fails only if an adapter runs outside its scope, and it runs in one.
    written.expect("the state serialises within a checkpoint scope");
    let state_len = (out.len() - lengths_at - 8) as u64;
    out[lengths_at..lengths_at + 8].copy_from_slice(&state_len.to_le_bytes());
    options().serialize_into(&mut out, &table).expect("the table serialises");
    frame::seal(&mut out);
    out
}

/// The header of a checkpoint, checking only magic, version and lengths (not the checksum):
/// cheap enough to choose among stored checkpoints before decoding one.
pub fn peek_meta(bytes: &[u8]) -> Result<Meta, CheckpointError> {
    frame::check_lengths(bytes)?;
    frame::meta(bytes)
}

/// The header of a checkpoint whose lengths and checksum are right, without decoding the
/// payload: how a stored checkpoint that will not be used is still checked for damage.
pub fn verify(bytes: &[u8]) -> Result<Meta, CheckpointError> {
    frame::check_lengths(bytes)?;
    if !frame::checksum_matches(bytes) {
        return Err(CheckpointError::Checksum);
    }
    frame::meta(bytes)
}

/// The engine of a checkpoint, running on `rules` (the configuration in force now), and its
/// header.
pub fn decode(bytes: &[u8], rules: Arc<Rules>) -> Result<(Engine, Meta), CheckpointError> {
    frame::check_lengths(bytes)?;
    if !frame::checksum_matches(bytes) {
        return Err(CheckpointError::Checksum);
    }
    let meta = frame::meta(bytes)?;
    let payload = frame::payload(bytes);
    let refused = |e: bincode::Error| CheckpointError::Payload(e.to_string());
    let (prefix, rest) =
        payload.split_at_checked(8).ok_or_else(|| CheckpointError::Payload("no state length".into()))?;
    let state_len = u64::from_le_bytes(prefix.try_into().unwrap_or_default());
    let (state, table) = usize::try_from(state_len)
        .ok()
        .and_then(|n| rest.split_at_checked(n))
        .ok_or_else(|| CheckpointError::Payload(format!("state length {state_len} of {}", rest.len())))?;
    let limit = payload.len() as u64;
    // Bytes behind a valid checksum come from `encode`; should crafted ones still break an
    // invariant the engine asserts while the state is rebuilt, that is a refusal, not a crash.
    let rebuilt = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let table: table::Table = options().with_limit(limit).deserialize(table).map_err(refused)?;
        let resolved = table.resolve().map_err(|e| match e {
            table::TableError::Invalid(why) => CheckpointError::Payload(why),
            table::TableError::Unsupported(why) => CheckpointError::Incompatible(why),
        })?;
        let state: State =
            shared::decoding(resolved, || options().with_limit(limit).deserialize(state)).map_err(refused)?;
        Engine::from_state(state, rules).map_err(CheckpointError::Payload)
    }));
    let engine = rebuilt.unwrap_or_else(|_| Err(CheckpointError::Payload("inconsistent state".to_owned())))?;
    Ok((engine, meta))
}

#[cfg(test)]
mod tests;
