//! slad: SLA timer and routing daemon.
//!
//! The [`engine`] is pure (no IO, no clock): inputs and the current time come in,
//! output events go out. [`simulate`] drives it over a JSONL file with virtual time;
//! the daemon drives the same engine from Kafka.

pub mod config;
pub mod contract;
pub mod daemon;
pub mod demo;
pub mod engine;
pub mod http;
pub mod kafka;
pub mod loadgen;
pub mod metrics;
pub mod simulate;
pub mod systemd;
pub mod time;
pub mod traffic;
pub mod workload;
