//! The wire format of EVENTS.md: input events, their decoding and validation
//! ([`decode`]), the rejection reasons, and the output events.

pub mod decode;
pub mod input;
pub mod output;
pub mod reason;

pub use input::*;
pub use output::*;
pub use reason::{Reason, Rejection};
