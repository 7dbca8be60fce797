//! Input decoding on arbitrary bytes: both phases, from a file and from Kafka. Run with
//! `cargo fuzz run decode` from the crate's root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use slad::contract::decode::{decode_body, decode_envelope, DecodeLimits, Source};

const LIMITS: DecodeLimits = DecodeLimits { max_event_bytes: 65536, max_future_skew_ms: 3_600_000 };

fuzz_target!(|record: &[u8]| {
    for source in [
        Source::File,
        Source::Kafka { key: Some(b"acme"), timestamp: 1_780_308_000_000 },
        Source::Kafka { key: None, timestamp: -1 },
    ] {
        if let Ok(decoded) = decode_envelope(record, &LIMITS, source) {
            assert!(!decoded.envelope.tenant.contains('/'));
            let _ = decode_body(&decoded);
        }
    }
});
