//! The checkpoint's frame: everything around the payload.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SLADCKPT"
//!      8     4  format version (u32)
//!     12     4  partition (i32)
//!     16     8  position (i64)
//!     24     1  arrival clock present (0 or 1)
//!     25     8  arrival clock, ms (i64; 0 when absent)
//!     33     8  taken at, ms (i64)
//!     41     8  payload length P (u64)
//!     49     P  payload
//!   49+P     4  CRC-32 (IEEE) of bytes 0..49+P
//! ```
//!
//! Integers are little-endian. Only the magic and the version are read before the layout is
//! known; every later field is the layout of [`super::FORMAT_VERSION`].

use super::error::CheckpointError;
use super::{Meta, FORMAT_VERSION};

pub(super) const MAGIC: [u8; 8] = *b"SLADCKPT";
const VERSION_AT: usize = 8;
const LENGTH_AT: usize = 41;
pub(super) const HEADER_LEN: usize = 49;
const CRC_LEN: usize = 4;

/// Appends the header with a zero payload length (set by [`seal`]).
pub(super) fn begin(out: &mut Vec<u8>, meta: &Meta) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&meta.partition.to_le_bytes());
    out.extend_from_slice(&meta.position.to_le_bytes());
    out.push(u8::from(meta.arrival_ms.is_some()));
    out.extend_from_slice(&meta.arrival_ms.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&meta.taken_at_ms.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);
}

/// Writes the payload length (everything after the header) and appends the checksum.
pub(super) fn seal(out: &mut Vec<u8>) {
    let payload = (out.len() - HEADER_LEN) as u64;
    out[LENGTH_AT..HEADER_LEN].copy_from_slice(&payload.to_le_bytes());
    let crc = crc32fast::hash(out);
    out.extend_from_slice(&crc.to_le_bytes());
}

fn truncated(needed: usize, found: usize) -> CheckpointError {
    CheckpointError::Truncated { needed: needed as u64, found: found as u64 }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

/// Checks magic, version and lengths (not the checksum, nor the other header fields).
pub(super) fn check_lengths(bytes: &[u8]) -> Result<(), CheckpointError> {
    let magic = &bytes[..bytes.len().min(MAGIC.len())];
    if magic != &MAGIC[..magic.len()] {
        return Err(CheckpointError::BadMagic);
    }
    if bytes.len() < VERSION_AT + 4 {
        return Err(truncated(VERSION_AT + 4, bytes.len()));
    }
    let version = u32::from_le_bytes(array(bytes, VERSION_AT));
    if version != FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(HEADER_LEN, bytes.len()));
    }
    let declared = u64::from_le_bytes(array(bytes, LENGTH_AT));
    let total = declared
        .checked_add((HEADER_LEN + CRC_LEN) as u64)
        .ok_or_else(|| CheckpointError::BadHeader(format!("payload length {declared}")))?;
    let found = bytes.len() as u64;
    if found < total {
        return Err(CheckpointError::Truncated { needed: total, found });
    }
    if found > total {
        return Err(CheckpointError::TrailingBytes { declared: total, found });
    }
    Ok(())
}

/// The header fields of bytes [`check_lengths`] accepted.
pub(super) fn meta(bytes: &[u8]) -> Result<Meta, CheckpointError> {
    let arrival_ms = match bytes[24] {
        0 => None,
        1 => Some(i64::from_le_bytes(array(bytes, 25))),
        flag => return Err(CheckpointError::BadHeader(format!("arrival flag {flag}"))),
    };
    Ok(Meta {
        partition: i32::from_le_bytes(array(bytes, 12)),
        position: i64::from_le_bytes(array(bytes, 16)),
        arrival_ms,
        taken_at_ms: i64::from_le_bytes(array(bytes, 33)),
    })
}

/// The payload of bytes [`check_lengths`] accepted.
pub(super) fn payload(bytes: &[u8]) -> &[u8] {
    &bytes[HEADER_LEN..bytes.len() - CRC_LEN]
}

/// Whether the checksum matches (after [`open`] accepted the lengths).
pub(super) fn checksum_matches(bytes: &[u8]) -> bool {
    let (body, crc) = bytes.split_at(bytes.len() - CRC_LEN);
    crc32fast::hash(body) == u32::from_le_bytes(array(crc, 0))
}
