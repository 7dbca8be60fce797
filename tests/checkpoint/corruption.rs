//! Damaged checkpoints: every truncation, byte flips everywhere, wrong magic, another format
//! version, bytes appended; each refused with its own error, none decoded into an engine.

use super::{rules, Driver, BUSINESS};
use slad::checkpoint::{self, CheckpointError, Meta, FORMAT_VERSION};
use slad::workload::Workload;

const HEADER_LEN: usize = 49;
const LENGTH_AT: usize = 41;

/// A small checkpoint of a live engine (tickets, clocks, agents, a queue, timers).
fn small() -> (Vec<u8>, Meta) {
    let start = slad::time::parse_rfc3339("2026-06-05T10:28:00Z").unwrap();
    let mut driver = Driver::new(rules(BUSINESS));
    for line in Workload::new(5, 1, start).max_open_per_tenant(10).take(80) {
        driver.line(&line);
    }
    assert!(driver.engine.ticket_count() > 0 && driver.engine.armed_timers() > 0);
    let meta = driver.meta();
    (checkpoint::encode(&driver.engine, &meta), meta)
}

fn decode(bytes: &[u8]) -> Result<Meta, CheckpointError> {
    checkpoint::decode(bytes, rules(BUSINESS)).map(|(_, meta)| meta)
}

/// Recomputes the trailing CRC, as a writer of damaged data would.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn the_small_checkpoint_decodes() {
    let (bytes, meta) = small();
    assert_eq!(decode(&bytes), Ok(meta));
    assert_eq!(&bytes[..8], b"SLADCKPT");
}

#[test]
fn every_truncation_is_refused() {
    let (bytes, _) = small();
    for len in 0..bytes.len() {
        let error = decode(&bytes[..len]).expect_err("a truncated checkpoint");
        assert!(matches!(error, CheckpointError::Truncated { .. }), "cut at {len}: {error:?}");
        assert_eq!(checkpoint::peek_meta(&bytes[..len]).map(|_| ()), Err(error), "cut at {len}");
    }
}

#[test]
fn appended_bytes_are_refused() {
    let (mut bytes, _) = small();
    bytes.push(0);
    assert!(matches!(decode(&bytes), Err(CheckpointError::TrailingBytes { .. })));
}

#[test]
fn every_byte_flip_is_refused() {
    let (bytes, _) = small();
    let mut damaged = bytes.clone();
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            damaged[at] ^= mask;
            let error = decode(&damaged).expect_err("a flipped checkpoint");
            let expected = match at {
                0..8 => matches!(error, CheckpointError::BadMagic),
                8..12 => {
                    matches!(error, CheckpointError::UnsupportedVersion { found, supported: FORMAT_VERSION } if found != FORMAT_VERSION)
                }
                LENGTH_AT..HEADER_LEN => matches!(
                    error,
                    CheckpointError::Truncated { .. }
                        | CheckpointError::TrailingBytes { .. }
                        | CheckpointError::BadHeader(_)
                ),
                _ => error == CheckpointError::Checksum,
            };
            assert!(expected, "byte {at} ^ {mask:#x}: {error:?}");
            damaged[at] = bytes[at];
        }
    }
}

#[test]
fn wrong_magic_and_other_versions() {
    let (bytes, _) = small();
    let mut other = bytes.clone();
    other[..8].copy_from_slice(b"SLADCKPX");
    assert_eq!(decode(&other), Err(CheckpointError::BadMagic));
    assert_eq!(decode(b"{\"json\": true}"), Err(CheckpointError::BadMagic));
    for version in [0, FORMAT_VERSION + 1, u32::MAX] {
        let mut bumped = bytes.clone();
        bumped[8..12].copy_from_slice(&version.to_le_bytes());
        reseal(&mut bumped);
        let error = CheckpointError::UnsupportedVersion { found: version, supported: FORMAT_VERSION };
        assert_eq!(decode(&bumped), Err(error.clone()));
        assert_eq!(checkpoint::peek_meta(&bumped), Err(error));
    }
}

#[test]
fn peek_meta_reads_the_header_only() {
    let (mut bytes, meta) = small();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    assert_eq!(checkpoint::peek_meta(&bytes), Ok(meta), "the payload is not checked");
    assert_eq!(decode(&bytes), Err(CheckpointError::Checksum));
}

/// Damage behind a valid checksum is the decoder's to refuse: it must never panic, and when it
/// accepts the bytes the header still round-trips.
#[test]
fn resealed_payload_damage_never_panics() {
    let (bytes, _) = small();
    let mut damaged = bytes.clone();
    let mut refused = 0;
    for at in HEADER_LEN..bytes.len() - 4 {
        for mask in [0x01u8, 0x40, 0xff] {
            damaged[at] ^= mask;
            reseal(&mut damaged);
            if let Err(error) = decode(&damaged) {
                let behind_checksum = matches!(error, CheckpointError::Payload(_) | CheckpointError::Incompatible(_));
                assert!(behind_checksum, "byte {at} ^ {mask:#x}: {error:?}");
                refused += 1;
            }
            damaged.copy_from_slice(&bytes);
        }
    }
    assert!(refused > 0);
}
