//! A run cut by checkpoints (encode, then decode into a fresh engine) against the same run
//! straight through: every outcome and output, in order, as JSON.

use super::{rules, Driver, BUSINESS, RELOADED};
use proptest::prelude::*;
use slad::workload::Workload;
use std::path::Path;

/// Friday 2026-06-05 12:28 in Paris: the stream crosses the lunch break; timers left at the end
/// cross the weekend, a holiday Monday and New York's business hours.
const START: &str = "2026-06-05T10:28:00Z";
const FLUSH_MS: i64 = 5 * 86_400_000;

/// When the rules are reloaded, and how the checkpointed run meets the reload.
#[derive(Debug, Clone, Copy)]
enum Reload {
    None,
    /// Both runs reload at this line; checkpoints after it decode with the new rules.
    At(usize),
    /// The checkpointed run reloads by decoding a checkpoint taken at this line with the new
    /// rules (as a restart after a configuration change would).
    ByRestore(usize),
}

fn run(lines: &[String], cuts: &[usize], reload: Reload, until: Option<i64>) -> (Vec<String>, Vec<String>, usize) {
    let (first, second) = (rules(BUSINESS), rules(RELOADED));
    let mut straight = Driver::new(first.clone());
    let mut cut = Driver::new(first.clone());
    let mut current = first;
    let mut restores = 0;
    for (i, line) in lines.iter().enumerate() {
        match reload {
            Reload::At(at) if at == i => {
                straight.engine.set_rules(second.clone());
                cut.engine.set_rules(second.clone());
                current = second.clone();
            }
            Reload::ByRestore(at) if at == i => {
                straight.engine.set_rules(second.clone());
                cut.restore(second.clone());
                current = second.clone();
                restores += 1;
            }
            _ => {}
        }
        if cuts.contains(&i) {
            cut.restore(current.clone());
            restores += 1;
        }
        straight.line(line);
        cut.line(line);
    }
    if cuts.contains(&lines.len()) {
        cut.restore(current.clone());
        restores += 1;
    }
    if let Some(until) = until {
        straight.advance(until);
        cut.advance(until);
    }
    (straight.log, cut.log, restores)
}

fn assert_same(straight: &[String], cut: &[String], what: &str) {
    if let Some(i) = (0..straight.len().max(cut.len())).find(|&i| straight.get(i) != cut.get(i)) {
        panic!(
            "{what}: entry {i} of {} differs\n straight: {:?}\n      cut: {:?}",
            straight.len(),
            straight.get(i),
            cut.get(i)
        );
    }
}

fn stream(seed: u64, len: usize) -> Vec<String> {
    let start = slad::time::parse_rfc3339(START).unwrap();
    Workload::new(seed, 3, start).max_open_per_tenant(40).take(len).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn checkpoints_change_no_output(
        seed in any::<u64>(),
        len in 300usize..1_500,
        cuts in proptest::collection::vec(0.0f64..=1.0, 1..4),
        reload in (0u8..3, 0.0f64..1.0),
    ) {
        let lines = stream(seed, len);
        let at = |f: f64| ((lines.len() as f64) * f) as usize;
        let cuts: Vec<usize> = cuts.iter().map(|&f| at(f)).collect();
        let reload = match reload.0 {
            0 => Reload::None,
            1 => Reload::At(at(reload.1)),
            _ => Reload::ByRestore(at(reload.1)),
        };
        let last = slad::time::parse_rfc3339(START).unwrap() + 200 * len as i64;
        let (straight, cut, restores) = run(&lines, &cuts, reload, Some(last + FLUSH_MS));
        prop_assert!(restores >= 1);
        prop_assert!(straight.len() > lines.len(), "the stream produces outputs");
        assert_same(&straight, &cut, &format!("seed {seed}, {len} lines, cuts {cuts:?}, {reload:?}"));
    }
}

/// Every kind of output appears in the generated streams, so the property above covers them.
#[test]
fn streams_reach_every_timer_kind() {
    let lines = stream(11, 1_500);
    let (straight, _, _) = run(&lines, &[700], Reload::None, Some(2_000_000_000_000));
    for kind in ["sla.warning", "sla.breached", "escalation.raised", "routing.queued", "routing.expanded"] {
        assert!(straight.iter().any(|o| o.contains(kind)), "no {kind} in the stream's outputs");
    }
}

/// Each hand-written scenario, checkpointed after every line in turn.
#[test]
fn scenarios_checkpointed_after_every_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let mut runs = 0;
    for dir in dirs.iter().filter(|d| d.join("input.jsonl").exists()) {
        let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
        let Ok(parsed) = slad::config::parse(&config) else { continue };
        let rules = std::sync::Arc::new(parsed.rules);
        let input = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
        let lines: Vec<String> = input.lines().map(str::to_owned).collect();
        let until = std::fs::read_to_string(dir.join("until")).ok();
        let until = until.and_then(|u| slad::time::parse_rfc3339(u.trim()).ok());
        let straight = drive(&rules, &lines, None, until);
        for cut in 0..=lines.len() {
            let checkpointed = drive(&rules, &lines, Some(cut), until);
            assert_same(&straight, &checkpointed, &format!("{} cut before line {}", dir.display(), cut + 1));
            runs += 1;
        }
    }
    assert!(runs > 500, "only {runs} scenario runs");
}

fn drive(
    rules: &std::sync::Arc<slad::engine::rules::Rules>,
    lines: &[String],
    cut: Option<usize>,
    until: Option<i64>,
) -> Vec<String> {
    let mut driver = Driver::new(rules.clone());
    for (i, line) in lines.iter().enumerate() {
        if cut == Some(i) {
            driver.restore(rules.clone());
        }
        driver.line(line);
    }
    if cut == Some(lines.len()) {
        driver.restore(rules.clone());
    }
    if let Some(until) = until {
        driver.advance(until);
    }
    driver.log
}
