use super::{errors, ok, single_error};
use crate::config::{load, ConfigError, ConfigErrors};

/// A valid business calendar named `office`, to prepend to tests.
const OFFICE: &str = r#"
[[calendar]]
name = "office"
timezone = "Europe/Paris"
[calendar.week]
mon = ["09:00-18:00"]
"#;

#[track_caller]
fn paths(text: &str, expected: &[&str]) {
    let errors = errors(text);
    assert_eq!(errors.paths(), expected, "errors:\n{errors}");
}

// ---- unknown keys ----

#[test]
fn unknown_top_level_key() {
    single_error("polcy = 1\n", "polcy", "unknown key");
    single_error("\"a b\" = 1\n", "\"a b\"", "unknown key");
}

#[test]
fn unknown_keys_in_sections() {
    single_error("[kafka]\ntopic = \"x\"\n", "kafka.topic", "unknown key");
    single_error("[http]\nport = 80\n", "http.port", "unknown key");
    single_error("[engine]\nallowed_latenesss = \"2s\"\n", "engine.allowed_latenesss", "expected one of");
    single_error("[state]\npath = \"/x\"\n", "state.path", "unknown key");
    single_error("[journey]\nsteps = 3\n", "journey.steps", "unknown key");
    single_error("[routing]\nstrategie = \"x\"\n", "routing.strategie", "unknown key");
    single_error(
        "[[routing.expand]]\nafter = \"1m\"\nany_agent = true\nanyagent = true\n",
        "routing.expand[0].anyagent",
        "unknown key",
    );
}

#[test]
fn unknown_keys_in_entries() {
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"UTC\"\nzone = \"UTC\"\nweek = { mon = [\"09:00-10:00\"] }\n",
        "calendar[0].zone",
        "unknown key",
    );
    single_error(&format!("{OFFICE}monday = [\"09:00-10:00\"]\n"), "calendar[0].week.monday", "unknown key");
    paths(
        r#"
[[policy]]
name = "a"
[[policy]]
name = "b"
colour = "red"
match = { prio = ["high"] }
[policy.targets.first_respons]
urgent = "1h"
[policy.targets.resolution]
urgnt = "1h"
[policy.pause_on]
solution = ["pending"]
[policy.ladder]
fr = "x"
"#,
        &[
            "policy[1].colour",
            "policy[1].match.prio",
            "policy[1].targets.first_respons",
            "policy[1].targets.resolution.urgnt",
            "policy[1].pause_on.solution",
            "policy[1].ladder.fr",
        ],
    );
    paths(
        r#"
[[ladder]]
name = "l"
owner = "me"
[[ladder.level]]
after = "0m"
[[ladder.level]]
after = "1h"
repeat_evry = "1h"
"#,
        &["ladder[0].owner", "ladder[0].level[1].repeat_evry"],
    );
}

// ---- types ----

#[test]
fn wrong_types_name_the_expected_type() {
    single_error("[engine]\nshards = \"2\"\n", "engine.shards", "expected an integer, found a string");
    single_error("[engine]\ndedupe_window = 3600\n", "engine.dedupe_window", "expected a duration string");
    single_error("[kafka]\nexactly_once = \"yes\"\n", "kafka.exactly_once", "expected a boolean");
    single_error("[kafka]\nbrokers = 9092\n", "kafka.brokers", "expected a string, found an integer");
    single_error("engine = 3\n", "engine", "expected a table, found an integer");
    single_error("[calendar]\nname = \"x\"\n", "calendar", "expected an array of tables ([[calendar]])");
    single_error("[policy]\nname = \"x\"\n", "policy", "expected an array of tables ([[policy]])");
    single_error("policy = [1]\n", "policy[0]", "expected a table, found an integer");
    single_error(
        "[[policy]]\nname = \"p\"\nwarn_notify = \"assignee\"\n",
        "policy[0].warn_notify",
        "expected an array of strings",
    );
    single_error("[[policy]]\nname = \"p\"\ntargets = 3\n", "policy[0].targets", "expected a table");
    single_error(
        "[[policy]]\nname = \"p\"\ntargets = { resolution = \"1h\" }\n",
        "policy[0].targets.resolution",
        "expected a table",
    );
}

#[test]
fn empty_strings_are_refused() {
    single_error("[kafka]\nbrokers = \"\"\n", "kafka.brokers", "must not be empty");
    single_error("[kafka]\ninput_topic = \"\"\n", "kafka.input_topic", "must not be empty");
    single_error("[state]\ndir = \"\"\n", "state.dir", "must not be empty");
    single_error("[[policy]]\nname = \"\"\n", "policy[0].name", "must not be empty");
    single_error("[[policy]]\nname = \"p\"\nwarn_channel = \"\"\n", "policy[0].warn_channel", "must not be empty");
}

// ---- settings ----

#[test]
fn engine_limits() {
    single_error("[engine]\nshards = 0\n", "engine.shards", "at least 1");
    single_error("[engine]\nmax_event_bytes = 0\n", "engine.max_event_bytes", "at least 1");
    single_error("[engine]\nallowed_lateness = \"-2s\"\n", "engine.allowed_lateness", "negative");
    single_error("[engine]\nmax_future_skew = \"1.5h\"\n", "engine.max_future_skew", "fractions");
    single_error("[engine]\ndedupe_max_ids = 0\n", "engine.dedupe_max_ids", "at least 1");
    single_error("[engine]\nsolved_ttl = \"-1d\"\n", "engine.solved_ttl", "negative");
    single_error("[engine]\nsolved_ttl = 4\n", "engine.solved_ttl", "expected a duration string");
    ok("[engine]\nallowed_lateness = \"0s\"\nshards = 1\nmax_event_bytes = 1\n");
    ok("[engine]\ndedupe_max_ids = 1\nsolved_ttl = \"0s\"\n");
}

#[test]
fn http_listen() {
    single_error("[http]\nlisten = \"localhost:9464\"\n", "http.listen", "IP:PORT");
    single_error("[http]\nlisten = \"127.0.0.1\"\n", "http.listen", "invalid socket address");
    assert_eq!(ok("[http]\nlisten = \"0.0.0.0:80\"\n").http.listen.port(), 80);
}

#[test]
fn kafka_properties() {
    single_error(
        "[kafka.properties]\n\"bootstrap.servers\" = [\"a\"]\n",
        "kafka.properties.\"bootstrap.servers\"",
        "expected a string",
    );
    single_error("[kafka.properties]\nssl.ca = [\"a\"]\n", "kafka.properties.ssl.ca", "expected a string");
    single_error(
        "[kafka.properties]\n\"ssl.ca\" = \"a\"\nssl.ca = \"b\"\n",
        "kafka.properties.\"ssl.ca\"",
        "set twice",
    );
}

#[test]
fn state_and_journey() {
    single_error("[state]\nsnapshot_interval = \"0s\"\n", "state.snapshot_interval", "greater than 0");
    single_error("[journey]\nmax_steps = -1\n", "journey.max_steps", "at least 0");
    single_error("[journey]\nttl = \"1 day\"\n", "journey.ttl", "no spaces");
    assert_eq!(ok("[journey]\nttl = \"3d\"\n").rules.journey.ttl_ms, 259_200_000);
}

// ---- calendars ----

#[test]
fn calendar_named_24x7_is_refused() {
    single_error(
        "[[calendar]]\nname = \"24x7\"\ntimezone = \"UTC\"\nweek = { mon = [\"00:00-24:00\"] }\n",
        "calendar[0].name",
        "built-in",
    );
}

#[test]
fn duplicate_names() {
    single_error(
        &format!("{OFFICE}{OFFICE}"),
        "calendar[1].name",
        "duplicate calendar name \"office\" (first at calendar[0])",
    );
    single_error(
        "[[ladder]]\nname = \"l\"\nlevel = [{after = \"0m\"}]\n[[ladder]]\nname = \"l\"\nlevel = [{after = \"0m\"}]\n",
        "ladder[1].name",
        "duplicate ladder name",
    );
    single_error(
        "[[policy]]\nname = \"p\"\n[[policy]]\nname = \"q\"\n[[policy]]\nname = \"p\"\n",
        "policy[2].name",
        "first at policy[0]",
    );
}

#[test]
fn calendar_required_keys() {
    single_error("[[calendar]]\nname = \"c\"\nweek = { mon = [\"09:00-10:00\"] }\n", "calendar[0].timezone", "missing");
    single_error(
        "[[calendar]]\ntimezone = \"UTC\"\nweek = { mon = [\"09:00-10:00\"] }\n",
        "calendar[0].name",
        "missing",
    );
    single_error("[[calendar]]\nname = \"c\"\ntimezone = \"UTC\"\n", "calendar[0].week", "missing");
}

#[test]
fn calendar_timezone() {
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"Europe/Pariss\"\nweek = { mon = [\"09:00-10:00\"] }\n",
        "calendar[0].timezone",
        "unknown time zone \"Europe/Pariss\"",
    );
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"\"\nweek = { mon = [\"09:00-10:00\"] }\n",
        "calendar[0].timezone",
        "empty",
    );
}

#[test]
fn calendar_never_open() {
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"UTC\"\n[calendar.week]\n",
        "calendar[0].week",
        "never be open",
    );
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"UTC\"\nweek = { mon = [], tue = [] }\n",
        "calendar[0].week",
        "no open segment",
    );
}

#[test]
fn calendar_segments() {
    let text = r#"
[[calendar]]
name = "c"
timezone = "UTC"
[calendar.week]
mon = ["09:00-12:00", "9:00-12:00", "09:00-12:60", "12:00-09:00", "09:00-09:00", "24:00-24:00"]
tue = ["09:00-24:01", "25:00-26:00", "09:00", "09h00-10h00", "00:00-24:00", 9]
"#;
    let errors = errors(text);
    assert_eq!(
        errors.paths(),
        [
            "calendar[0].week.mon[1]",
            "calendar[0].week.mon[2]",
            "calendar[0].week.mon[3]",
            "calendar[0].week.mon[4]",
            "calendar[0].week.mon[5]",
            "calendar[0].week.tue[5]",
            "calendar[0].week.tue[0]",
            "calendar[0].week.tue[1]",
            "calendar[0].week.tue[2]",
            "calendar[0].week.tue[3]",
        ],
        "{errors}"
    );
    let message = |path: &str| errors.at(path).unwrap().message.clone();
    assert!(message("calendar[0].week.mon[1]").contains("HH:MM-HH:MM"));
    assert!(message("calendar[0].week.mon[2]").contains("minutes"));
    assert!(message("calendar[0].week.mon[3]").contains("before the end"));
    assert!(message("calendar[0].week.mon[5]").contains("cannot start at 24:00"));
    assert!(message("calendar[0].week.tue[0]").contains("24:00"));
    assert!(message("calendar[0].week.tue[5]").contains("expected a string"));
}

#[test]
fn calendar_segment_parser() {
    use crate::config::calendars::parse_segment;
    let s = parse_segment("00:00-24:00").unwrap();
    assert_eq!((s.start_min, s.end_min), (0, 1440));
    let s = parse_segment("13:30-18:05").unwrap();
    assert_eq!((s.start_min, s.end_min), (810, 1085));
    let s = parse_segment("23:59-24:00").unwrap();
    assert_eq!((s.start_min, s.end_min), (1439, 1440));
    for bad in ["", "-", "09:00-", "-10:00", "09:00 - 10:00", "09:00-10:00-11:00", "0900-1000", "+9:00-10:00"] {
        assert!(parse_segment(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn calendar_holidays() {
    let text = r#"
[[calendar]]
name = "c"
timezone = "UTC"
holidays = ["2026-12-25", "2026-02-30", "2026/12/25", "26-12-25", 20261225, 2026-12-26, 2026-12-27T10:00:00, "0000-01-01"]
week = { mon = ["09:00-10:00"] }
"#;
    let errors = errors(text);
    assert_eq!(
        errors.paths(),
        [
            "calendar[0].holidays[1]",
            "calendar[0].holidays[2]",
            "calendar[0].holidays[3]",
            "calendar[0].holidays[4]",
            "calendar[0].holidays[6]",
            "calendar[0].holidays[7]",
        ],
        "{errors}"
    );
    assert!(errors.at("calendar[0].holidays[1]").unwrap().message.contains("no such date 2026-02-30"));
    assert!(errors.at("calendar[0].holidays[4]").unwrap().message.contains("found an integer"));
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"UTC\"\nholidays = \"2026-12-25\"\nweek = { mon = [\"09:00-10:00\"] }\n",
        "calendar[0].holidays",
        "expected an array of dates",
    );
}

#[test]
fn a_broken_calendar_is_not_also_unknown() {
    // The policy names a calendar whose entry has errors: only the entry's error is reported.
    single_error(
        "[[calendar]]\nname = \"c\"\ntimezone = \"Nowhere/City\"\nweek = { mon = [\"09:00-10:00\"] }\n[[policy]]\nname = \"p\"\ncalendar = \"c\"\n",
        "calendar[0].timezone",
        "unknown time zone",
    );
}

// ---- policies ----

#[test]
fn policy_name_required() {
    single_error("[[policy]]\nwarn_at = [50]\n", "policy[0].name", "missing");
}

#[test]
fn policy_references() {
    single_error(
        "[[policy]]\nname = \"p\"\ncalendar = \"offfice\"\n",
        "policy[0].calendar",
        "unknown calendar \"offfice\"",
    );
    single_error(
        "[[policy]]\nname = \"p\"\n[policy.ladder]\nresolution = \"nope\"\n",
        "policy[0].ladder.resolution",
        "unknown ladder \"nope\"",
    );
    single_error(
        "[[policy]]\nname = \"p\"\n[policy.ladder]\nresolution = 1\n",
        "policy[0].ladder.resolution",
        "expected a string",
    );
    single_error(
        "[[ladder]]\nname = \"l\"\ncalendar = \"offfice\"\nlevel = [{after = \"0m\"}]\n",
        "ladder[0].calendar",
        "unknown calendar",
    );
}

#[test]
fn warn_at_range() {
    let errors = errors("[[policy]]\nname = \"p\"\nwarn_at = [0, 50, 100, \"75\", 12.5, -1, 99, 1]\n");
    assert_eq!(
        errors.paths(),
        [
            "policy[0].warn_at[0]",
            "policy[0].warn_at[2]",
            "policy[0].warn_at[3]",
            "policy[0].warn_at[4]",
            "policy[0].warn_at[5]"
        ],
        "{errors}"
    );
    assert!(errors.0[0].message.contains("1..=99"));
    single_error("[[policy]]\nname = \"p\"\nwarn_at = 50\n", "policy[0].warn_at", "expected an array of integers");
}

#[test]
fn match_keys() {
    paths(
        r#"
[[policy]]
name = "a"
[[policy]]
name = "b"
[[policy]]
name = "c"
match = { priority = ["critical", "high", "Urgent"], tenant = "acme", group = ["l1", 2], skills = ["x"] }
"#,
        &[
            "policy[2].match.skills",
            "policy[2].match.priority[0]",
            "policy[2].match.priority[2]",
            "policy[2].match.group[1]",
            "policy[2].match.tenant",
        ],
    );
    single_error("[[policy]]\nname = \"p\"\nmatch = [\"vip\"]\n", "policy[0].match", "expected a table");
}

#[test]
fn targets() {
    single_error(
        "[[policy]]\nname = \"p\"\n[policy.targets.first_response]\nurgent = \"1x\"\n",
        "policy[0].targets.first_response.urgent",
        "unknown unit",
    );
    single_error(
        "[[policy]]\nname = \"p\"\n[policy.targets.first_response]\nurgent = \"0m\"\n",
        "policy[0].targets.first_response.urgent",
        "greater than 0",
    );
    single_error(
        "[[policy]]\nname = \"p\"\n[policy.targets.resolution]\nlow = 60\n",
        "policy[0].targets.resolution.low",
        "expected a duration string",
    );
}

#[test]
fn days_in_targets() {
    // On 24x7 (named or by default), days are fine.
    ok("[[policy]]\nname = \"p\"\n[policy.targets.resolution]\nnormal = \"1d\"\nlow = \"2d12h\"\n");
    ok("[[policy]]\nname = \"p\"\ncalendar = \"24x7\"\n[policy.targets.resolution]\nnormal = \"1d\"\n");
    // On a business calendar they are refused, naming the key.
    let errors = errors(&format!(
        "{OFFICE}[[policy]]\nname = \"p\"\ncalendar = \"office\"\n[policy.targets.resolution]\nnormal = \"1d\"\nhigh = \"24h\"\nlow = \"1d2h\"\n"
    ));
    assert_eq!(errors.paths(), ["policy[0].targets.resolution.normal", "policy[0].targets.resolution.low"], "{errors}");
    assert!(errors.0[0].message.contains("unit `d`") && errors.0[0].message.contains("\"office\""), "{errors}");
}

#[test]
fn pause_on_statuses() {
    let errors = errors(
        "[[policy]]\nname = \"p\"\n[policy.pause_on]\nresolution = [\"pending\", \"solved\", \"closed\", \"waiting\", \"on_hold\"]\nfirst_response = \"pending\"\n",
    );
    assert_eq!(
        errors.paths(),
        [
            "policy[0].pause_on.first_response",
            "policy[0].pause_on.resolution[1]",
            "policy[0].pause_on.resolution[2]",
            "policy[0].pause_on.resolution[3]",
        ],
        "{errors}"
    );
    assert!(errors.0[1].message.contains("\"solved\" cannot pause"));
    assert!(errors.0[3].message.contains("unknown status \"waiting\""));
    ok("[[policy]]\nname = \"p\"\n[policy.pause_on]\nresolution = [\"new\", \"open\", \"pending\", \"on_hold\"]\n");
}

#[test]
fn recipient_specs() {
    let errors = errors(
        r#"
[[policy]]
name = "p"
warn_notify = ["assignee", "supervisor^0", "supervisor^", "supervisor^x", "supervisor^-1", "group:", "agent:", "role:", "boss", "Assignee", "group: l1", "team:x", "supervisor^99999999999", 3]
"#,
    );
    // The item of the wrong type is reported first, then the bad specs in order.
    let mut expected: Vec<String> = vec!["policy[0].warn_notify[13]".to_owned()];
    expected.extend((1..=12).map(|i| format!("policy[0].warn_notify[{i}]")));
    assert_eq!(errors.paths(), expected, "{errors}");
    assert!(errors.at("policy[0].warn_notify[1]").unwrap().message.contains(">= 1"));
    assert!(errors.at("policy[0].warn_notify[5]").unwrap().message.contains("group name is empty"));
    assert!(errors.at("policy[0].warn_notify[6]").unwrap().message.contains("agent id is empty"));
    assert!(errors.at("policy[0].warn_notify[7]").unwrap().message.contains("role name is empty"));
    assert!(errors.at("policy[0].warn_notify[8]").unwrap().message.contains("expected assignee"));
    single_error(
        "[[ladder]]\nname = \"l\"\n[[ladder.level]]\nafter = \"0m\"\nnotify = [\"supervisor^1\"]\nfallback = [\"group:*\", \"role:\"]\n",
        "ladder[0].level[0].fallback[1]",
        "role name is empty",
    );
    single_error(
        "[[ladder]]\nname = \"l\"\n[[ladder.level]]\nafter = \"0m\"\nnotify = [\"agent\"]\n",
        "ladder[0].level[0].notify[0]",
        "invalid recipient",
    );
}

// ---- ladders ----

#[test]
fn ladder_needs_levels() {
    single_error("[[ladder]]\nname = \"l\"\n", "ladder[0].level", "at least one level");
    single_error("[[ladder]]\nname = \"l\"\nlevel = []\n", "ladder[0].level", "at least one level");
    single_error(
        "[[ladder]]\nname = \"l\"\n[ladder.level]\nafter = \"0m\"\n",
        "ladder[0].level",
        "expected an array of tables",
    );
    single_error("[[ladder]]\nlevel = [{after = \"0m\"}]\n", "ladder[0].name", "missing");
}

#[test]
fn level_after_required() {
    single_error(
        "[[ladder]]\nname = \"l\"\n[[ladder.level]]\nafter = \"0m\"\n[[ladder.level]]\nnotify = [\"assignee\"]\n",
        "ladder[0].level[1].after",
        "missing",
    );
}

#[test]
fn level_channel() {
    single_error(
        "[[ladder]]\nname = \"l\"\n[[ladder.level]]\nafter = \"0m\"\nchannel = \"\"\n",
        "ladder[0].level[0].channel",
        "empty",
    );
}

#[test]
fn repeat_rules() {
    let ladder = |levels: &str| format!("[[ladder]]\nname = \"l\"\n{levels}");
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat = 2\n"),
        "ladder[0].level[0].repeat",
        "needs repeat_every",
    );
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat_every = \"1h\"\n"),
        "ladder[0].level[0].repeat_every",
        "needs repeat too",
    );
    single_error(
        &ladder(
            "[[ladder.level]]\nafter = \"0m\"\nrepeat_every = \"1h\"\nrepeat = 2\n[[ladder.level]]\nafter = \"1h\"\n",
        ),
        "ladder[0].level[0].repeat_every",
        "only the last level",
    );
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat = 2\n[[ladder.level]]\nafter = \"1h\"\n"),
        "ladder[0].level[0].repeat",
        "only the last level",
    );
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat_every = \"1h\"\nrepeat = 0\n"),
        "ladder[0].level[0].repeat",
        "at least 1",
    );
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat_every = \"0s\"\nrepeat = 1\n"),
        "ladder[0].level[0].repeat_every",
        "greater than 0",
    );
    single_error(
        &ladder("[[ladder.level]]\nafter = \"0m\"\nrepeat_every = \"1h\"\nrepeat = 4294967296\n"),
        "ladder[0].level[0].repeat",
        "too large",
    );
}

#[test]
fn days_in_ladders_on_their_own_calendar() {
    let errors = errors(&format!(
        "{OFFICE}[[ladder]]\nname = \"l\"\ncalendar = \"office\"\n[[ladder.level]]\nafter = \"1d\"\n[[ladder.level]]\nafter = \"2h\"\nrepeat_every = \"1d\"\nrepeat = 1\n"
    ));
    assert_eq!(errors.paths(), ["ladder[0].level[0].after", "ladder[0].level[1].repeat_every"], "{errors}");
    assert!(errors.0[0].message.contains("calendar \"office\""), "{errors}");
    // On its own 24x7 calendar, used by a business-hours policy: fine.
    ok(&format!(
        "{OFFICE}[[policy]]\nname = \"p\"\ncalendar = \"office\"\nladder = {{ resolution = \"l\" }}\n[[ladder]]\nname = \"l\"\ncalendar = \"24x7\"\nlevel = [{{ after = \"1d\", repeat_every = \"2d\", repeat = 3 }}]\n"
    ));
}

#[test]
fn days_in_ladders_on_the_policy_calendar() {
    let ladder = "[[ladder]]\nname = \"l\"\n[[ladder.level]]\nafter = \"1d\"\n[[ladder.level]]\nafter = \"30h\"\n";
    // Used only by 24x7 policies (or by none): fine.
    ok(&format!("{OFFICE}{ladder}[[policy]]\nname = \"a\"\nladder = {{ first_response = \"l\" }}\n"));
    ok(&format!("{OFFICE}{ladder}"));
    // Used by a business-hours policy: the ladder's key is refused, naming the policy.
    let errors = errors(&format!(
        "{OFFICE}{ladder}[[policy]]\nname = \"a\"\nladder = {{ first_response = \"l\" }}\n[[policy]]\nname = \"b\"\ncalendar = \"office\"\nladder = {{ resolution = \"l\", first_response = \"l\" }}\n"
    ));
    assert_eq!(errors.paths(), ["ladder[0].level[0].after"], "{errors}");
    let message = &errors.0[0].message;
    assert!(message.contains("policy \"b\"") && !message.contains("policy \"a\""), "{message}");
}

#[test]
fn days_in_ladders_reported_in_file_order_without_cascades() {
    let errors = errors(&format!(
        r#"{OFFICE}
[[ladder]]
name = "z"
level = [{{ after = "1d" }}]
[[ladder]]
name = "a"
level = [{{ after = "2d" }}]
[[ladder]]
name = "m"
calendar = "nowhere"
level = [{{ after = "3d" }}]
[[policy]]
name = "p"
calendar = "office"
ladder = {{ first_response = "a", resolution = "z" }}
"#
    ));
    assert_eq!(
        errors.paths(),
        ["ladder[2].calendar", "ladder[0].level[0].after", "ladder[1].level[0].after"],
        "{errors}"
    );
}

// ---- routing ----

#[test]
fn routing_strategy() {
    single_error("[routing]\nstrategy = \"round_robin\"\n", "routing.strategy", "unknown strategy");
    single_error("[routing]\nroute_within_group = 1\n", "routing.route_within_group", "expected a boolean");
}

#[test]
fn routing_expand() {
    paths(
        r#"
[[routing.expand]]
lower_min_level_by = 1
[[routing.expand]]
after = "5m"
[[routing.expand]]
after = "10m"
lower_min_level_by = -1
[[routing.expand]]
after = "2m"
any_agent = true
[[routing.expand]]
after = "2m"
drop_optional_skills = "yes"
"#,
        &[
            "routing.expand[0].after",
            "routing.expand[1]",
            "routing.expand[2].lower_min_level_by",
            "routing.expand[3].after",
            "routing.expand[4].drop_optional_skills",
        ],
    );
    // Equal `after`s are in order.
    let config = ok("[[routing.expand]]\nafter = \"1m\"\nany_agent = true\n[[routing.expand]]\nafter = \"1m\"\ndrop_optional_skills = true\n");
    assert_eq!(config.rules.routing.expand.len(), 2);
    single_error("[routing]\nexpand = { after = \"1m\" }\n", "routing.expand", "expected an array of tables");
}

// ---- the file as a whole ----

#[test]
fn every_error_is_reported() {
    let errors = errors(
        r#"
[engine]
allowed_lateness = "2 s"
shards = 0
[http]
listen = "nowhere"
[[calendar]]
name = "24x7"
timezone = "Mars/Olympus"
[calendar.week]
mon = ["18:00-09:00"]
[[policy]]
name = "p"
calendar = "missing"
warn_at = [0]
match = { priority = ["p1"] }
[policy.targets.first_response]
urgent = "1h"
urgnt = "2h"
[policy.pause_on]
resolution = ["closed"]
[policy.ladder]
resolution = "nope"
[[ladder]]
name = "l"
[[ladder.level]]
after = "1h"
repeat = 0
[routing]
strategy = "random"
extra = true
"#,
    );
    assert_eq!(
        errors.paths(),
        [
            "http.listen",
            "engine.shards",
            "engine.allowed_lateness",
            "calendar[0].name",
            "calendar[0].timezone",
            "calendar[0].week.mon[0]",
            "ladder[0].level[0].repeat",
            "ladder[0].level[0].repeat",
            "policy[0].match.priority[0]",
            "policy[0].calendar",
            "policy[0].warn_at[0]",
            "policy[0].targets.first_response.urgnt",
            "policy[0].pause_on.resolution[0]",
            "policy[0].ladder.resolution",
            "routing.extra",
            "routing.strategy",
        ],
        "{errors}"
    );
    let display = errors.to_string();
    assert_eq!(display.lines().count(), errors.0.len(), "one error per line:\n{display}");
    assert!(display.lines().next().unwrap().starts_with("http.listen: "), "{display}");
}

#[test]
fn syntax_error_names_line_and_column() {
    let found = errors("[engine]\nshards = 2\nmax_event_bytes = = 3\n");
    assert_eq!(found.0.len(), 1);
    let message = &found.0[0].message;
    assert!(found.0[0].path.is_empty());
    assert!(message.contains("line 3, column"), "{message}");
    assert!(!found.to_string().contains('\n'), "one line: {found}");
    let found = errors("[[policy]]\nname = \"p\"\n[[policy]\n");
    assert!(found.0[0].message.contains("line 3"), "{}", found.0[0].message);
    // A key defined twice is a TOML error too.
    let found = errors("[engine]\nshards = 2\nshards = 3\n");
    assert!(found.0[0].message.contains("line 3"), "{}", found.0[0].message);
}

#[test]
fn load_reports_an_unreadable_file() {
    let errors = load(std::path::Path::new("/nonexistent/slad.toml")).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert!(errors.to_string().starts_with("cannot read /nonexistent/slad.toml"), "{errors}");
}

#[test]
fn error_display() {
    let errors = ConfigErrors(vec![
        ConfigError::new("policy[1].targets.first_response.urgent", "bad"),
        ConfigError::new("", "whole file"),
    ]);
    assert_eq!(errors.to_string(), "policy[1].targets.first_response.urgent: bad\nwhole file");
}
