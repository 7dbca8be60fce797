use super::ok;
use crate::config::load;
use crate::contract::{Metric, Priority};
use std::path::{Path, PathBuf};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_config_parses() {
    let config = load(&manifest_dir().join("config/slad.toml")).unwrap_or_else(|e| panic!("config/slad.toml:\n{e}"));
    let rules = &config.rules;
    assert_eq!(rules.policies.len(), 2);
    assert_eq!(rules.routing.expand.len(), 3);
    let business = &rules.policies[1];
    assert_eq!(business.calendar.timezone(), Some("Europe/Paris"));
    assert_eq!(business.target(Metric::Resolution, Priority::Normal), Some(86_400_000));
    let ladder = business.metric(Metric::Resolution).ladder.clone().unwrap();
    assert_eq!(ladder.levels.len(), 3);
    assert!(ladder.levels[2].repeat.is_some());
}

/// The shipped file documents every key: each key line (commented out or not) is preceded
/// by a comment or by a key of the same section that is documented the same way.
#[test]
fn shipped_config_comments_every_section() {
    let text = std::fs::read_to_string(manifest_dir().join("config/slad.toml")).unwrap();
    for section in ["[kafka]", "[kafka.properties]", "[http]", "[engine]", "[state]", "[journey]", "[routing]"] {
        assert!(text.lines().any(|l| l == section), "{section} missing");
    }
    for key in [
        "brokers",
        "group_id",
        "input_topic",
        "escalations_topic",
        "notifications_topic",
        "routing_topic",
        "dead_letter_topic",
        "exactly_once",
        "listen",
        "shards",
        "allowed_lateness",
        "max_future_skew",
        "dedupe_window",
        "max_event_bytes",
        "dedupe_max_ids",
        "solved_ttl",
        "dir",
        "snapshot_interval",
        "max_steps",
        "ttl",
        "timezone",
        "holidays",
        "match",
        "warn_at",
        "warn_notify",
        "warn_channel",
        "after",
        "notify",
        "fallback",
        "channel",
        "repeat_every",
        "repeat",
        "strategy",
        "route_within_group",
        "lower_min_level_by",
        "drop_optional_skills",
        "any_agent",
    ] {
        let lines: Vec<&str> = text.lines().collect();
        let first = lines
            .iter()
            .position(|l| l.trim_start_matches("# ").starts_with(&format!("{key} =")))
            .unwrap_or_else(|| panic!("key {key} is not in config/slad.toml"));
        assert!(first > 0 && lines[first - 1].starts_with('#'), "key {key} has no comment above it");
    }
}

#[test]
fn contract_example_parses() {
    let path = manifest_dir().join("../shared/contract/slad.example.toml");
    if !path.exists() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    let config = load(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
    assert_eq!(config.engine.shards, Some(2));
    assert_eq!(config.rules.policies.len(), 2);
    let vip = &config.rules.policies[0];
    assert_eq!(vip.name, "vip");
    assert_eq!(vip.matcher.customer_tier, Some(vec!["vip".to_owned()]));
    assert_eq!(vip.warn_at, vec![50, 80]);
    assert_eq!(vip.target(Metric::Resolution, Priority::Low), Some(2 * 86_400_000));
    let page = vip.metric(Metric::FirstResponse).ladder.clone().unwrap();
    assert_eq!(page.name, "page-the-chain");
    assert!(page.calendar.as_ref().is_some_and(|c| c.is_always_open()));
    let standard = config.rules.policies[1].metric(Metric::PeriodicUpdate).ladder.clone().unwrap();
    assert!(standard.calendar.is_none());
    assert_eq!(standard.levels[2].channel, "phone");
    assert_eq!(standard.levels[2].repeat.map(|r| (r.every_ms, r.count)), Some((14_400_000, 2)));
}

fn config_files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path().join("config.toml")).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn contract_example_configs_parse() {
    let dir = manifest_dir().join("../shared/contract/examples");
    let files = config_files_under(&dir);
    if files.is_empty() {
        println!("skipped: no example under {}", dir.display());
        return;
    }
    for file in files {
        if let Err(e) = load(&file) {
            panic!("{}:\n{e}", file.display());
        }
    }
}

#[test]
fn scenario_configs_parse() {
    for file in config_files_under(&manifest_dir().join("tests/scenarios")) {
        if let Err(e) = load(&file) {
            panic!("{}:\n{e}", file.display());
        }
    }
}

#[test]
fn inline_example_from_the_contract() {
    // Only calendars, policies and ladders: every other section takes its defaults.
    let config = ok(r#"
[[policy]]
name = "all"
match = {}
calendar = "24x7"
warn_at = [50, 80]
warn_notify = ["assignee"]
[policy.targets.first_response]
normal = "1h"
[policy.ladder]
first_response = "notify-chain"
[[ladder]]
name = "notify-chain"
[[ladder.level]]
after = "0m"
notify = ["assignee", "supervisor"]
channel = "email"
"#);
    assert_eq!(config.kafka.input_topic, "support.events");
    assert_eq!(config.rules.policies[0].target(Metric::FirstResponse, Priority::Normal), Some(3_600_000));
}
