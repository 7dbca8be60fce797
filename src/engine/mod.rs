//! The pure engine: `apply(input, now)` and `advance(now)` return output events.
//! No IO and no clock: time comes in as arguments.

pub mod calendar;
pub mod rules;
pub mod wheel;
