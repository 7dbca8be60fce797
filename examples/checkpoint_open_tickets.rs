//! Checkpoint and restore of a state of many open tickets (README, Memory: restart): reads
//! input lines from standard input into the engine, encodes a checkpoint, writes it to FILE,
//! drops the engine, then times reading the file back and decoding it, as a restart from the
//! local checkpoint does.
//!
//! cargo build --release --example gen_open_tickets --example checkpoint_open_tickets
//! target/release/examples/gen_open_tickets 10000000 | \
//!   target/release/examples/checkpoint_open_tickets benches/memory.toml /tmp/open.ckpt

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time

use slad::checkpoint::{self, Meta};
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().ok_or("usage: checkpoint_open_tickets CONFIG FILE < events")?;
    let file = args.next().ok_or("usage: checkpoint_open_tickets CONFIG FILE < events")?;
    let rules = Arc::new(slad::config::load(std::path::Path::new(&config))?.rules);
    let mut sim = slad::simulate::Simulator::new(rules.clone());
    let mut out = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let _ = sim.line(&line?, &mut out);
        out.clear();
    }
    let engine = sim.into_engine();
    let tickets = engine.ticket_count();
    let meta = Meta { partition: 0, position: 0, arrival_ms: None, taken_at_ms: 0 };
    let started = Instant::now();
    let bytes = checkpoint::encode(&engine, &meta);
    let encode_s = started.elapsed().as_secs_f64();
    drop(engine);
    std::fs::write(&file, &bytes)?;
    drop(bytes);
    let started = Instant::now();
    let bytes = std::fs::read(&file)?;
    let read_s = started.elapsed().as_secs_f64();
    let (restored, _) = checkpoint::decode(&bytes, rules)?;
    let total_s = started.elapsed().as_secs_f64();
    assert_eq!(restored.ticket_count(), tickets);
    println!(
        "{tickets} tickets: checkpoint {} bytes ({} per ticket), encode {encode_s:.2} s; \
         restore: read {read_s:.2} s, read + decode {total_s:.2} s",
        bytes.len(),
        bytes.len() / tickets.max(1)
    );
    Ok(())
}
