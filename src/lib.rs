//! slad: SLA timer and routing daemon.
//!
//! The [`engine`] is pure (no IO, no clock): inputs and the current time come in,
//! output events go out. [`simulate`] drives it over a JSONL file with virtual time;
//! the daemon drives the same engine from Kafka.

pub mod checkpoint;
pub mod config;
pub mod contract;
#[cfg(feature = "daemon")]
pub mod daemon;
#[cfg(feature = "daemon")]
pub mod demo;
pub mod engine;
#[cfg(feature = "daemon")]
pub mod http;
#[cfg(feature = "daemon")]
pub mod kafka;
#[cfg(feature = "daemon")]
pub mod loadgen;
#[cfg(feature = "daemon")]
pub mod metrics;
pub mod report;
mod rng;
pub mod simulate;
#[cfg(feature = "daemon")]
pub mod state;
#[cfg(feature = "daemon")]
pub mod systemd;
pub mod time;
#[cfg(feature = "daemon")]
pub mod traffic;
pub mod workload;
