//! `slad simulate`: the engine over a JSONL file with virtual time (EVENTS.md section 5).
//!
//! The file is one partition. Its arrival clock is the latest `received_at` (default `ts`)
//! of the lines applied so far; before a line is applied, the timers of its tenant due before
//! its `ts` and every timer due before the arrival clock minus `allowed_lateness` fire. After
//! the last line, every timer due at or before `--until` fires.

use crate::contract::decode::{decode_envelope, DecodeLimits, Source};
use crate::contract::{OutputEvent, Reason, Rejection};
use crate::engine::rules::Rules;
use crate::engine::{Engine, Ingested};
use crate::report::Tally;
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
    /// Kept only when a report was asked for ([`Simulator::with_tally`]).
    tally: Option<Tally>,
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
            tally: None,
        }
    }

    /// A simulator that also counts the run's KPIs for the what-if report.
    pub fn with_tally(mut self) -> Simulator {
        self.engine.record_facts(true);
        self.tally = Some(Tally::default());
        self
    }

    pub fn tally(&self) -> Option<&Tally> {
        self.tally.as_ref()
    }

    pub fn into_tally(self) -> Option<Tally> {
        self.tally
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn into_engine(self) -> Engine {
        self.engine
    }

    /// Processes one physical line given as bytes (without its line break); its outputs are
    /// appended to `out`.
    pub fn line_bytes(&mut self, bytes: &[u8], out: &mut Vec<OutputEvent>) -> Result<(), LineRejection> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.line(text, out),
            Err(_) => {
                self.line += 1;
                let rejection = Rejection::new(Reason::MalformedJson, "the line is not valid UTF-8");
                self.summary.rejected += 1;
                if let Some(tally) = &mut self.tally {
                    tally.rejected(rejection.reason);
                }
                Err(LineRejection { line: self.line, rejection })
            }
        }
    }

    /// Processes one physical line; its outputs are appended to `out`.
    pub fn line(&mut self, text: &str, out: &mut Vec<OutputEvent>) -> Result<(), LineRejection> {
        let before = out.len();
        let result = self.apply_line(text, out);
        if let Some(tally) = &mut self.tally {
            match &result {
                Ok(Some(Ingested::Applied)) => tally.applied(),
                Ok(Some(Ingested::Duplicate)) => tally.duplicate(),
                Ok(_) => {}
                Err(rejected) => tally.rejected(rejected.rejection.reason),
            }
            record(tally, &mut self.engine, &out[before..]);
        }
        result.map(|_| ())
    }

    /// `Ok(None)` for a blank or comment line.
    fn apply_line(&mut self, text: &str, out: &mut Vec<OutputEvent>) -> Result<Option<Ingested>, LineRejection> {
        self.line += 1;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(None);
        }
        let line = self.line;
        let reject = |rejection| LineRejection { line, rejection };
        let decoded = decode_envelope(text.trim_end_matches(['\r', '\n']).as_bytes(), &self.limits, Source::File)
            .map_err(reject)?;
        let arrival = self.arrival_clock.map_or(decoded.envelope.arrival, |a| a.max(decoded.envelope.arrival));
        let horizon = arrival.saturating_sub(self.allowed_lateness).saturating_sub(1);
        let before = out.len();
        let ingested = self.engine.ingest(decoded, horizon, out);
        self.summary.outputs += (out.len() - before) as u64;
        match ingested {
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
        Ok(Some(ingested))
    }

    /// After the last line: every timer due at or before `until` fires.
    pub fn finish(&mut self, until: Option<Millis>, out: &mut Vec<OutputEvent>) {
        if let Some(until) = until {
            let before = out.len();
            self.engine.advance(until, out);
            self.summary.outputs += (out.len() - before) as u64;
            if let Some(tally) = &mut self.tally {
                record(tally, &mut self.engine, &out[before..]);
            }
        }
    }
}

/// Hands the tally the outputs of one step and the facts the engine recorded meanwhile.
fn record(tally: &mut Tally, engine: &mut Engine, outputs: &[OutputEvent]) {
    for event in outputs {
        tally.output(event);
    }
    engine.drain_facts(|tenant, fact| tally.fact(tenant, &fact));
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
    run_simulator(Simulator::new(rules), input, until, strict, output, errors).map(|sim| sim.summary)
}

/// [`run`] on a given simulator (one that keeps a tally, say); returns it at the end of the run.
pub fn run_simulator(
    mut sim: Simulator,
    input: impl BufRead,
    until: Option<Millis>,
    strict: bool,
    output: &mut impl Write,
    errors: &mut impl Write,
) -> Result<Simulator, RunError> {
    let mut out = Vec::new();
    for_each_line(input, |bytes| {
        let result = sim.line_bytes(bytes, &mut out);
        write_outputs(&mut out, output)?;
        if let Err(rejected) = result {
            writeln!(errors, "line {}: {}", rejected.line, rejected.rejection)?;
            if strict {
                output.flush()?;
                return Err(RunError::Strict(rejected));
            }
        }
        Ok(())
    })?;
    sim.finish(until, &mut out);
    write_outputs(&mut out, output)?;
    output.flush()?;
    Ok(sim)
}

/// Calls `each` with every physical line of `input`, without its line break.
pub fn for_each_line<E: From<io::Error>>(
    mut input: impl BufRead,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        each(&bytes)?;
    }
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
