//! End-to-end tests of the `slad` binary against a real Kafka-protocol broker, whose address
//! comes from `SLAD_TEST_BROKER` (scripts/test-broker.sh starts one and runs these tests one at
//! a time). Without it, each test prints a `skipped` line and passes.
//!
//! Each test uses its own topics and consumer group, so they can share one broker.

// Tests are a shell too: they read the wall and monotonic clocks like the daemon does.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;
use rdkafka::message::Headers;
use rdkafka::Message;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Produces lines with `slad loadgen --input` (a backfill: timestamps from the events).
fn backfill(broker: &str, topic: &str, dir: &Path, lines: &[String]) {
    let file = dir.join("backfill.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let output = Command::new(slad_bin())
        .args(["loadgen", "--brokers", broker, "--topic", topic, "--input"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "slad loadgen --input failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scenario(name: &str) -> (String, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let input = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
    let lines = input.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).map(str::to_owned);
    (config, lines.collect())
}

/// The same lines for several tenants, interleaved.
fn for_tenants(lines: &[String], tenants: usize) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| (0..tenants).map(move |t| l.replace("\"tenant\":\"acme\"", &format!("\"tenant\":\"acme-{t}\""))))
        .collect()
}

fn promtool_check(metrics: &str) {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        skipped("promtool not installed (scripts/install-deps.sh installs the prometheus package)");
        return;
    };
    child.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{metrics}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn backfill_matches_simulate(test: &str, scenario_name: &str, tenants: usize) {
    let Some(broker) = broker() else { return };
    let (rules, base) = scenario(scenario_name);
    let lines = for_tenants(&base, tenants);
    let names = Names::new(test);
    names.create(&broker);
    let dir = scratch_dir(test);
    backfill(&broker, &names.input, &dir, &lines);
    let port = free_port();
    let slad = Slad::start(&dir, &config_text(&rules, &broker, &names, port), port);
    slad.wait_until(Duration::from_secs(60), "all inputs consumed", || {
        slad.metric("slad_events_consumed_total") >= lines.len() as f64
    });
    let expected = simulate(&rules, &lines, wall_ms() - 3_000);
    let want = identities(&expected);
    let got = read_topics(&broker, &names.outputs(), Duration::from_secs(60), |got| {
        identities(&json_of(got)).is_superset(&want)
    });
    let have = identities(&json_of(&got));
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}\nextra {extra:?}\nlog:\n{}", slad.log_text());
    for m in &got {
        let v: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let key = format!("{}/{}", v["tenant"].as_str().unwrap(), v["ticket_id"].as_str().unwrap());
        assert_eq!(m.key(), Some(key.as_bytes()));
    }
    promtool_check(&slad.get("/metrics").1);
    let (code, log) = slad.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "exit code after SIGTERM; log:\n{log}");
    assert_eq!(committed(&broker, &names), lines.len() as i64, "every input committed; log:\n{log}");
}

#[test]
fn backfill_first_response_ladder_matches_simulate() {
    backfill_matches_simulate("b001", "001-first-response-24x7-warnings-breach-ladder", 4);
}

#[test]
fn backfill_pause_resume_matches_simulate() {
    backfill_matches_simulate("b015", "015-pause-resume-pending-on-hold", 3);
}

#[test]
fn backfill_business_hours_matches_simulate() {
    backfill_matches_simulate("b006", "006-lunch-break", 2);
}

#[test]
fn rejections_land_in_the_dead_letter_topic_and_the_daemon_goes_on() {
    let Some(broker) = broker() else { return };
    let (rules, base) = scenario("001-first-response-24x7-warnings-breach-ladder");
    let names = Names::new("dlq");
    names.create(&broker);
    let dir = scratch_dir("dlq");
    let port = free_port();
    let slad = Slad::start(&dir, &config_text(&rules, &broker, &names, port), port);
    let now = slad::time::format_rfc3339(wall_ms());
    let unknown =
        format!(r#"{{"type":"ticket.agent_replied","event_id":"x1","tenant":"acme","ts":"{now}","ticket_id":"NOPE"}}"#);
    let bad: Vec<(Option<&str>, &str)> =
        vec![(Some("acme"), "{not json"), (Some("acme"), unknown.as_str()), (None, base[0].as_str())];
    produce_raw(&broker, &names.input, &bad);
    let letters = read_topics(&broker, std::slice::from_ref(&names.dlq), Duration::from_secs(60), |g| g.len() >= 3);
    assert_eq!(letters.len(), 3, "three dead letters; log:\n{}", slad.log_text());
    let mut codes = Vec::new();
    for letter in &letters {
        let headers = letter.headers().expect("headers");
        let get = |name: &str| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_else(|| panic!("header {name}"))
        };
        codes.push(get("slad-error"));
        assert!(!get("slad-detail").is_empty());
        let source = get("slad-source");
        assert!(source.starts_with(&format!("{}/", names.input)), "{source}");
        assert_eq!(source.split('/').count(), 3);
        let value = String::from_utf8_lossy(letter.payload().unwrap()).into_owned();
        assert!(bad.iter().any(|(_, v)| *v == value), "value unchanged: {value}");
    }
    codes.sort();
    assert_eq!(codes, ["malformed_json", "tenant_mismatch", "unknown_ticket"]);
    // Still running, still applying.
    let ok: Vec<(Option<&str>, &str)> = vec![(Some("acme"), base[0].as_str())];
    produce_raw(&broker, &names.input, &ok);
    slad.wait_until(Duration::from_secs(30), "the next input consumed", || {
        slad.metric("slad_events_consumed_total") >= 4.0
    });
    assert_eq!(slad.get("/healthz").0, 200);
    assert_eq!(slad.metric("slad_events_rejected_total"), 3.0);
    let (code, log) = slad.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(committed(&broker, &names), 4, "dead-lettered inputs are committed too; log:\n{log}");
}

const LIVE_RULES: &str = r#"
[engine]
allowed_lateness = "1s"
[[policy]]
name = "live"
match = {}
calendar = "24x7"
warn_at = [50]
warn_notify = ["assignee"]
[policy.targets.first_response]
normal = "1h"
"#;

fn live_ticket(ticket: &str, event: &str) -> Vec<String> {
    let ts = slad::time::format_rfc3339(wall_ms());
    vec![
        format!(r#"{{"type":"agent.upserted","event_id":"a-{event}","tenant":"live","ts":"{ts}","agent_id":"a1"}}"#),
        format!(
            r#"{{"type":"ticket.created","event_id":"c-{event}","tenant":"live","ts":"{ts}","ticket_id":"{ticket}","priority":"normal","assignee":"a1"}}"#
        ),
    ]
}

#[test]
fn sigterm_with_timers_armed_drains_commits_and_exits_0() {
    let Some(broker) = broker() else { return };
    let names = Names::new("term");
    names.create(&broker);
    let dir = scratch_dir("term");
    let port = free_port();
    let slad = Slad::start(&dir, &config_text(LIVE_RULES, &broker, &names, port), port);
    let lines = live_ticket("T1", "1");
    let records: Vec<(Option<&str>, &str)> = lines.iter().map(|l| (Some("live"), l.as_str())).collect();
    produce_raw(&broker, &names.input, &records);
    slad.wait_until(Duration::from_secs(30), "a timer armed", || slad.metric("slad_timers_armed") >= 1.0);
    let (code, log) = slad.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("drained"), "the drain is logged:\n{log}");
    assert_eq!(committed(&broker, &names), 2, "{log}");
}

#[test]
fn sighup_with_a_bad_configuration_keeps_the_old_one() {
    let Some(broker) = broker() else { return };
    let names = Names::new("hup");
    names.create(&broker);
    let dir = scratch_dir("hup");
    let port = free_port();
    let good = config_text(LIVE_RULES, &broker, &names, port);
    let slad = Slad::start(&dir, &good, port);
    // A bad file: refused, logged, the daemon goes on with the old rules.
    std::fs::write(dir.join("slad.toml"), good.replace("warn_at = [50]", "warn_at = [\"soon\"]")).unwrap();
    slad.signal("HUP");
    slad.wait_until(Duration::from_secs(10), "the refusal logged", || slad.log_text().contains("reload refused"));
    assert_eq!(slad.get("/healthz").0, 200);
    assert_eq!(slad.get("/readyz").0, 200);
    let lines = live_ticket("T1", "1");
    let records: Vec<(Option<&str>, &str)> = lines.iter().map(|l| (Some("live"), l.as_str())).collect();
    produce_raw(&broker, &names.input, &records);
    slad.wait_until(Duration::from_secs(30), "the old rules armed a timer", || slad.metric("slad_timers_armed") >= 1.0);
    // A good file: taken (a 2 s target: the new ticket breaches quickly).
    std::fs::write(dir.join("slad.toml"), good.replace("normal = \"1h\"", "normal = \"2s\"")).unwrap();
    slad.signal("HUP");
    slad.wait_until(Duration::from_secs(10), "the reload logged", || {
        slad.log_text().contains("configuration reloaded")
    });
    let lines = live_ticket("T2", "2");
    let records: Vec<(Option<&str>, &str)> = lines.iter().map(|l| (Some("live"), l.as_str())).collect();
    produce_raw(&broker, &names.input, &records);
    let got = read_topics(&broker, &names.outputs(), Duration::from_secs(30), |got| {
        json_of(got).iter().any(|v| v["type"] == "sla.breached" && v["ticket_id"] == "T2")
    });
    assert!(
        json_of(&got).iter().any(|v| v["type"] == "sla.breached" && v["ticket_id"] == "T2"),
        "the new rules apply to a new ticket; log:\n{}",
        slad.log_text()
    );
    let (code, log) = slad.terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{log}");
}

/// `kafka.exactly_once = true` on a broker without transactions (tansu 0.6): refused at
/// startup with one line naming the missing feature, exit 78, well within a minute.
#[test]
fn exactly_once_is_refused_at_startup_by_a_broker_without_transactions() {
    let Some(broker) = broker() else { return };
    if std::env::var_os("SLAD_TEST_BROKER_TRANSACTIONS").is_some() {
        skipped("SLAD_TEST_BROKER_TRANSACTIONS is set: this broker runs transactions");
        return;
    }
    let names = Names::new("eos-refused");
    names.create(&broker);
    let dir = scratch_dir("eos-refused");
    let text = config_text(LIVE_RULES, &broker, &names, free_port()).replacen(
        "[kafka]\n",
        "[kafka]\nexactly_once = true\n",
        1,
    ) + &format!("\n[state]\ndir = \"{}\"\n", dir.join("state").display());
    let path = dir.join("slad.toml");
    std::fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    let mut child = Command::new(slad_bin())
        .args(["run", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("slad.log")).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("slad did not exit within 60 s: it hangs on the broker without transactions");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(dir.join("slad.log")).unwrap_or_default();
    println!("exited after {:?} with {status}", started.elapsed());
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains(": kafka.exactly_once: ")).collect();
    assert_eq!(refusals.len(), 1, "one line naming kafka.exactly_once:\n{log}");
    assert!(refusals[0].contains("does not support transactions"), "{}", refusals[0]);
    assert_eq!(status.code(), Some(78), "{log}");
}
