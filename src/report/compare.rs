//! `slad whatif`: the same input under two configurations, in one pass, and the outputs that
//! only one of them produced.
//!
//! Outputs are matched by `id` (ids are deterministic, EVENTS.md section 3). An output waits in
//! its side's pending set until the other side produces the same id; what is left at the end
//! exists under one configuration only. Memory follows the differences, not the run.

use super::hourly::Hourly;
use super::Report;
use crate::contract::OutputEvent;
use crate::engine::rules::Rules;
use crate::simulate::{for_each_line, Simulator};
use crate::time::Millis;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// One configuration's run.
#[derive(Debug, Clone)]
pub struct Side {
    pub label: String,
    pub report: Report,
    pub hourly: Hourly,
}

/// Outputs counted by type.
pub type ByType = BTreeMap<&'static str, u64>;

/// Two runs of one input and how their outputs differ.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub a: Side,
    pub b: Side,
    pub only_in_a: ByType,
    pub only_in_b: ByType,
    /// Outputs with the same id under both whose fields differ (a `ts`, a target, a recipient).
    pub changed: ByType,
}

/// An output as matched across the two runs: its type and a fingerprint of all its fields.
#[derive(Debug, Clone, Copy)]
struct Seen {
    kind: &'static str,
    content: u64,
}

#[derive(Default)]
struct Matcher {
    pending_a: FxHashMap<u128, Seen>,
    pending_b: FxHashMap<u128, Seen>,
    changed: ByType,
    json: Vec<u8>,
}

impl Matcher {
    fn seen(&mut self, event: &OutputEvent) -> (u128, Seen) {
        self.json.clear();
        event.write_json(None, &mut self.json);
        (xxh3_128(event.id.as_bytes()), Seen { kind: event.payload.type_name(), content: xxh3_64(&self.json) })
    }

    /// An output of run A (`of_a`) or B: matched with the same id from the other run, or kept
    /// until it comes.
    fn output(&mut self, event: &OutputEvent, of_a: bool) {
        let (id, seen) = self.seen(event);
        let (own, other) =
            if of_a { (&mut self.pending_a, &mut self.pending_b) } else { (&mut self.pending_b, &mut self.pending_a) };
        match other.remove(&id) {
            Some(earlier) if earlier.content != seen.content => *self.changed.entry(seen.kind).or_default() += 1,
            Some(_) => {}
            None => {
                own.insert(id, seen);
            }
        }
    }
}

fn by_type(pending: FxHashMap<u128, Seen>) -> ByType {
    let mut counts = ByType::new();
    for seen in pending.into_values() {
        *counts.entry(seen.kind).or_default() += 1;
    }
    counts
}

/// Runs `input` under `a` and `b` (labelled) up to `until`.
pub fn compare(
    (label_a, rules_a): (&str, Arc<Rules>),
    (label_b, rules_b): (&str, Arc<Rules>),
    input: impl BufRead,
    until: Option<Millis>,
) -> io::Result<Comparison> {
    let mut sim_a = Simulator::new(rules_a).with_tally();
    let mut sim_b = Simulator::new(rules_b).with_tally();
    let mut matcher = Matcher::default();
    let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
    let flush = |matcher: &mut Matcher, out_a: &mut Vec<OutputEvent>, out_b: &mut Vec<OutputEvent>| {
        out_a.drain(..).for_each(|e| matcher.output(&e, true));
        out_b.drain(..).for_each(|e| matcher.output(&e, false));
    };
    for_each_line(input, |bytes| -> io::Result<()> {
        // A rejected line is the same under both; the report counts it by reason.
        let _ = sim_a.line_bytes(bytes, &mut out_a);
        let _ = sim_b.line_bytes(bytes, &mut out_b);
        flush(&mut matcher, &mut out_a, &mut out_b);
        Ok(())
    })?;
    sim_a.finish(until, &mut out_a);
    sim_b.finish(until, &mut out_b);
    flush(&mut matcher, &mut out_a, &mut out_b);
    let side = |label: &str, sim: Simulator| {
        let tally = sim.into_tally().expect("built with a tally");
        let hourly = tally.hourly.clone();
        Side { label: label.to_owned(), report: tally.report(until), hourly }
    };
    Ok(Comparison {
        a: side(label_a, sim_a),
        b: side(label_b, sim_b),
        only_in_a: by_type(matcher.pending_a),
        only_in_b: by_type(matcher.pending_b),
        changed: matcher.changed,
    })
}

impl Comparison {
    /// The side-by-side table and the outputs that differ, as text.
    pub fn render_text(&self) -> String {
        let sections = super::table::kpi_table(&[&self.a.report, &self.b.report]);
        let mut text = super::table::render_text(&sections, &[&self.a.label, &self.b.label]);
        text.push('\n');
        for (title, counts) in self.differences() {
            let total: u64 = counts.values().sum();
            text.push_str(&format!("{title}: {total}\n"));
            for (kind, n) in counts {
                text.push_str(&format!("  {kind:<24} {n:>10}\n"));
            }
        }
        text
    }

    /// The output differences with their titles.
    pub fn differences(&self) -> [(String, &ByType); 3] {
        [
            (format!("outputs only under {}", self.a.label), &self.only_in_a),
            (format!("outputs only under {}", self.b.label), &self.only_in_b),
            ("outputs under both, at another time or with other fields".to_owned(), &self.changed),
        ]
    }
}
