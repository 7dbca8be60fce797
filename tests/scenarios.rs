//! Every folder under tests/scenarios/ is a worked example run through the `slad simulate`
//! code path: `config.toml`, `input.jsonl`, `until`, and the expected `expected.jsonl`
//! (compared as a multiset of JSON objects, as the contract's compare.py does) and
//! `expected.rejections` (`line N: REASON` lines; absent means none). Where a scenario has an
//! `expected.report.json`, the what-if report of the run (REPORT.md) must equal it.
//!
//! Each folder is a test case named after it: `cargo test --test scenarios -- 113` runs the
//! scenarios whose name holds `113`. tests/scenarios/README.md says how they are numbered.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> = map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn parse_lines(text: &str, what: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}"));
            if let Some(obj) = v.as_object_mut() {
                obj.remove("emitted_at");
            }
            v
        })
        .collect()
}

fn key(v: &Value) -> String {
    let c = canonical(v);
    format!("{}|{}|{}", c["ts"].as_str().unwrap_or(""), c["id"].as_str().unwrap_or(""), c)
}

fn run_scenario(dir: &Path) -> Result<(), String> {
    let config = slad::config::load(&dir.join("config.toml")).map_err(|e| format!("config: {e}"))?;
    let input = std::fs::read(dir.join("input.jsonl")).map_err(|e| e.to_string())?;
    let until = std::fs::read_to_string(dir.join("until")).map_err(|e| e.to_string())?;
    let until = slad::time::parse_rfc3339(until.trim()).map_err(|e| e.to_string())?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let sim = slad::simulate::Simulator::new(Arc::new(config.rules)).with_tally();
    let sim = slad::simulate::run_simulator(sim, &input[..], Some(until), false, &mut stdout, &mut stderr)
        .map_err(|e| e.to_string())?;
    let report = sim.into_tally().expect("a tally was asked for").report(Some(until));
    let stdout = String::from_utf8(stdout).map_err(|e| e.to_string())?;
    let stderr = String::from_utf8(stderr).map_err(|e| e.to_string())?;

    let mut problems = Vec::new();
    let actual = parse_lines(&stdout, "stdout");
    let expected = parse_lines(&std::fs::read_to_string(dir.join("expected.jsonl")).unwrap_or_default(), "expected");
    let mut want: Vec<String> = expected.iter().map(key).collect();
    let mut got: Vec<String> = actual.iter().map(key).collect();
    want.sort();
    got.sort();
    if want != got {
        let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
        problems.push(format!(
            "outputs differ (expected {}, got {})\n  missing:\n    {}\n  unexpected:\n    {}",
            want.len(),
            got.len(),
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    "),
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    ")
        ));
    }
    let ts_sorted = |v: &[Value]| v.windows(2).all(|w| w[0]["ts"].as_str() <= w[1]["ts"].as_str());
    if ts_sorted(&expected) && !ts_sorted(&actual) {
        problems.push("outputs are not in firing order".to_owned());
    }

    let rejection_lines = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ": ");
                let line = parts.next()?;
                let reason = parts.next()?;
                line.starts_with("line ").then(|| format!("{line}: {}", reason.trim_end_matches(':')))
            })
            .collect();
        lines.sort();
        lines
    };
    let want_rej = rejection_lines(&std::fs::read_to_string(dir.join("expected.rejections")).unwrap_or_default());
    let got_rej = rejection_lines(&stderr);
    if want_rej != got_rej {
        problems.push(format!("rejections differ: expected {want_rej:?}, got {got_rej:?} (stderr: {stderr})"));
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("expected.report.json")) {
        let want: Value = serde_json::from_str(&text).map_err(|e| format!("expected.report.json: {e}"))?;
        let got = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        if canonical(&want) != canonical(&got) {
            problems.push(format!("reports differ\n  expected: {}\n  got:      {}", canonical(&want), canonical(&got)));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn main() -> std::process::ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.jsonl").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6, "expected the contract's examples at least, found {}", dirs.len());
    let trials = dirs
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().expect("a folder name").to_string_lossy().into_owned();
            libtest_mimic::Trial::test(name, move || run_scenario(&dir).map_err(Into::into))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
