//! The wire format of EVENTS.md: input events, their decoding and validation
//! ([`decode`]), the rejection reasons, and the output events.

pub mod decode;
pub mod input;
pub mod output;
pub mod raw_json;
pub mod reason;

pub use input::*;
pub use output::*;
pub use raw_json::RawJson;
pub use reason::{Reason, Rejection};
