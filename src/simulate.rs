//! `slad simulate`: the engine over a JSONL file with virtual time (EVENTS.md section 5).
//!
//! The file is one partition. Its arrival clock is the latest `received_at` (default `ts`)
//! of the lines applied so far; before a line is applied, the timers of its tenant due before
//! its `ts` and every timer due before the arrival clock minus `allowed_lateness` fire. After
//! the last line, every timer due at or before `--until` fires.

use crate::contract::decode::{decode_envelope, DecodeLimits, Source};
use crate::contract::{OutputEvent, Rejection};
use crate::engine::rules::Rules;
use crate::engine::{Engine, Ingested};
use crate::time::Millis;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// A rejected line, numbered from 1 over every physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRejection {
    pub line: usize,
    pub rejection: Rejection,
}

/// What a run counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub outputs: u64,
}

/// Drives an [`Engine`] over lines in virtual time.
pub struct Simulator {
    engine: Engine,
    limits: DecodeLimits,
    allowed_lateness: i64,
    arrival_clock: Option<Millis>,
    line: usize,
    pub summary: Summary,
}

impl Simulator {
    pub fn new(rules: Arc<Rules>) -> Simulator {
        let limits = DecodeLimits {
            max_event_bytes: rules.limits.max_event_bytes,
            max_future_skew_ms: rules.limits.max_future_skew_ms,
        };
        let allowed_lateness = rules.limits.allowed_lateness_ms;
        Simulator {
            engine: Engine::new(rules),
            limits,
            allowed_lateness,
            arrival_clock: None,
            line: 0,
            summary: Summary::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn into_engine(self) -> Engine {
        self.engine
    }

    /// Processes one physical line; its outputs are appended to `out`.
    pub fn line(&mut self, text: &str, out: &mut Vec<OutputEvent>) -> Result<(), LineRejection> {
        self.line += 1;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(());
        }
        let line = self.line;
        let reject = |rejection| LineRejection { line, rejection };
        let decoded = decode_envelope(text.trim_end_matches(['\r', '\n']).as_bytes(), &self.limits, Source::File)
            .map_err(reject)?;
        let arrival = self.arrival_clock.map_or(decoded.envelope.arrival, |a| a.max(decoded.envelope.arrival));
        let horizon = arrival.saturating_sub(self.allowed_lateness).saturating_sub(1);
        let before = out.len();
        match self.engine.ingest(decoded, horizon, out) {
            Ingested::Applied => {
                self.arrival_clock = Some(arrival);
                self.summary.applied += 1;
            }
            Ingested::Duplicate => self.summary.duplicates += 1,
            Ingested::Rejected(rejection) => {
                self.summary.rejected += 1;
                return Err(reject(rejection));
            }
        }
        self.summary.outputs += (out.len() - before) as u64;
        Ok(())
    }

    /// After the last line: every timer due at or before `until` fires.
    pub fn finish(&mut self, until: Option<Millis>, out: &mut Vec<OutputEvent>) {
        if let Some(until) = until {
            let before = out.len();
            self.engine.advance(until, out);
            self.summary.outputs += (out.len() - before) as u64;
        }
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("line {}: {}", .0.line, .0.rejection)]
    Strict(LineRejection),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Runs a whole input: outputs as JSON lines to `output`, rejections as
/// `line N: REASON: DETAIL` to `errors`; `strict` stops at the first rejection.
pub fn run(
    rules: Arc<Rules>,
    input: impl BufRead,
    until: Option<Millis>,
    strict: bool,
    output: &mut impl Write,
    errors: &mut impl Write,
) -> Result<Summary, RunError> {
    let mut sim = Simulator::new(rules);
    let mut out = Vec::new();
    let mut input = input;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        let result = match std::str::from_utf8(&bytes) {
            Ok(text) => sim.line(text, &mut out),
            Err(_) => {
                sim.line += 1;
                Err(LineRejection {
                    line: sim.line,
                    rejection: Rejection::new(crate::contract::Reason::MalformedJson, "the line is not valid UTF-8"),
                })
            }
        };
        write_outputs(&mut out, output)?;
        if let Err(rejected) = result {
            writeln!(errors, "line {}: {}", rejected.line, rejected.rejection)?;
            if strict {
                output.flush()?;
                return Err(RunError::Strict(rejected));
            }
        }
    }
    sim.finish(until, &mut out);
    write_outputs(&mut out, output)?;
    output.flush()?;
    Ok(sim.summary)
}

fn write_outputs(out: &mut Vec<OutputEvent>, output: &mut impl Write) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::with_capacity(512 * out.len());
    for event in out.drain(..) {
        event.write_json(None, &mut buf);
        buf.push(b'\n');
    }
    output.write_all(&buf)
}
