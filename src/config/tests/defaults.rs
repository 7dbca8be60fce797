use super::ok;
use crate::config::{EngineConfig, HttpConfig, KafkaConfig, StateConfig};
use crate::contract::{Metric, Priority, Status};
use crate::engine::rules::{EngineLimits, JourneyRules, RecipientSpec, RoutingRules, Strategy};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[test]
fn empty_file_takes_every_default() {
    let config = ok("");
    assert_eq!(config.kafka.brokers, "127.0.0.1:9092");
    assert_eq!(config.kafka.group_id, "slad");
    assert_eq!(config.kafka.input_topic, "support.events");
    assert_eq!(config.kafka.escalations_topic, "support.escalations");
    assert_eq!(config.kafka.notifications_topic, "support.notifications");
    assert_eq!(config.kafka.routing_topic, "support.routing");
    assert_eq!(config.kafka.dead_letter_topic, "support.events.dlq");
    assert!(!config.kafka.exactly_once);
    assert!(config.kafka.properties.is_empty());
    assert_eq!(config.http.listen, "127.0.0.1:9464".parse::<SocketAddr>().unwrap());
    assert_eq!(config.engine.shards, None);
    assert_eq!(config.state.dir, PathBuf::from("/var/lib/slad"));
    assert_eq!(config.state.snapshot_interval_ms, 30_000);
    let limits = &config.rules.limits;
    assert_eq!(limits.allowed_lateness_ms, 2_000);
    assert_eq!(limits.max_future_skew_ms, 3_600_000);
    assert_eq!(limits.dedupe_window_ms, 86_400_000);
    assert_eq!(limits.max_event_bytes, 65_536);
    assert_eq!(limits.dedupe_max_ids, 20_000_000);
    assert_eq!(limits.solved_ttl_ms, 345_600_000);
    assert_eq!(config.rules.journey.max_steps, 20);
    assert_eq!(config.rules.journey.ttl_ms, 86_400_000);
    assert!(config.rules.policies.is_empty());
    assert_eq!(config.rules.routing.strategy, Strategy::LongestIdle);
    assert!(!config.rules.routing.route_within_group);
    assert!(config.rules.routing.expand.is_empty());
}

#[test]
fn empty_sections_take_every_default() {
    let config = ok("[kafka]\n[kafka.properties]\n[http]\n[engine]\n[state]\n[journey]\n[routing]\n");
    assert_eq!(config.kafka, KafkaConfig::default());
    assert_eq!(config.http, HttpConfig::default());
    assert_eq!(config.engine, EngineConfig::default());
    assert_eq!(config.state, StateConfig::default());
    assert_eq!(config.rules.limits, EngineLimits::default());
    assert_eq!(config.rules.journey, JourneyRules::default());
    assert_eq!(config.rules.routing, RoutingRules::default());
}

#[test]
fn every_setting_read() {
    let config = ok(r#"
[kafka]
brokers = "k1:9092,k2:9092"
group_id = "g"
input_topic = "in"
escalations_topic = "esc"
notifications_topic = "notif"
routing_topic = "route"
dead_letter_topic = "dlq"
exactly_once = true
[kafka.properties]
"security.protocol" = "SASL_SSL"
"message.max.bytes" = 2000000
"enable.ssl.certificate.verification" = false
"linger.ms" = 0.5
sasl.username = "slad"
[http]
listen = "[::1]:9100"
[engine]
shards = 3
allowed_lateness = "500ms"
max_future_skew = "10m"
dedupe_window = "2d"
max_event_bytes = 1024
dedupe_max_ids = 500
solved_ttl = "0s"
[state]
dir = "/tmp/slad-state"
snapshot_interval = "1m30s"
[journey]
max_steps = 0
ttl = "1d"
[routing]
strategy = "least_loaded"
route_within_group = true
[[routing.expand]]
after = "0s"
lower_min_level_by = 0
[[routing.expand]]
after = "0s"
drop_optional_skills = false
any_agent = true
"#);
    let k = &config.kafka;
    assert_eq!(
        (k.brokers.as_str(), k.group_id.as_str(), k.input_topic.as_str(), k.escalations_topic.as_str()),
        ("k1:9092,k2:9092", "g", "in", "esc")
    );
    assert_eq!(
        (k.notifications_topic.as_str(), k.routing_topic.as_str(), k.dead_letter_topic.as_str()),
        ("notif", "route", "dlq")
    );
    assert!(k.exactly_once);
    let expected: BTreeMap<String, String> = [
        ("security.protocol", "SASL_SSL"),
        ("message.max.bytes", "2000000"),
        ("enable.ssl.certificate.verification", "false"),
        ("linger.ms", "0.5"),
        ("sasl.username", "slad"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(k.properties, expected);
    assert_eq!(config.http.listen, "[::1]:9100".parse::<SocketAddr>().unwrap());
    assert_eq!(config.engine.shards, Some(3));
    assert_eq!(
        config.rules.limits,
        EngineLimits {
            allowed_lateness_ms: 500,
            max_future_skew_ms: 600_000,
            dedupe_window_ms: 172_800_000,
            max_event_bytes: 1024,
            dedupe_max_ids: 500,
            solved_ttl_ms: 0,
        }
    );
    assert_eq!(config.state.dir, PathBuf::from("/tmp/slad-state"));
    assert_eq!(config.state.snapshot_interval_ms, 90_000);
    assert_eq!(config.rules.journey, JourneyRules { max_steps: 0, ttl_ms: 86_400_000 });
    let routing = &config.rules.routing;
    assert_eq!(routing.strategy, Strategy::LeastLoaded);
    assert!(routing.route_within_group);
    assert_eq!(routing.expand.len(), 2);
    assert_eq!(routing.expand[0].lower_min_level_by, 0);
    assert!(routing.expand[1].any_agent && !routing.expand[1].drop_optional_skills);
}

#[test]
fn kafka_debug_hides_property_values() {
    let config = ok("[kafka.properties]\n\"sasl.password\" = \"hunter2\"\n");
    let debug = format!("{:?}", config.kafka);
    assert!(debug.contains("sasl.password"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn strategies() {
    for (text, strategy) in [
        ("longest_idle", Strategy::LongestIdle),
        ("most_skilled", Strategy::MostSkilled),
        ("least_loaded", Strategy::LeastLoaded),
    ] {
        assert_eq!(ok(&format!("[routing]\nstrategy = \"{text}\"\n")).rules.routing.strategy, strategy);
    }
}

#[test]
fn policy_defaults() {
    let config = ok("[[policy]]\nname = \"p\"\n");
    let policy = &config.rules.policies[0];
    assert_eq!(policy.name, "p");
    assert!(policy.calendar.is_always_open(), "the default calendar is 24x7");
    assert!(policy.warn_at.is_empty());
    assert!(policy.warn_notify.is_empty());
    assert_eq!(policy.warn_channel, "email");
    let m = &policy.matcher;
    assert!(m.priority.is_none() && m.customer_tier.is_none() && m.channel.is_none());
    assert!(m.group.is_none() && m.tenant.is_none());
    for metric in Metric::ALL {
        let rules = policy.metric(metric);
        assert_eq!(rules.targets, [None; 4]);
        assert_eq!(rules.pause_on.0, 0);
        assert!(rules.ladder.is_none());
    }
}

#[test]
fn policy_fields() {
    let config = ok(r#"
[[calendar]]
name = "office"
timezone = "Europe/Paris"
week = { mon = ["09:00-12:30", "13:30-18:00"], sun = ["00:00-24:00"] }
holidays = ["2026-12-25", 2027-01-01]

[[policy]]
name = "p"
calendar = "office"
match = { priority = ["urgent", "low"], customer_tier = ["vip"], channel = ["chat", "email"], group = ["l2"], tenant = ["acme"] }
warn_at = [80, 50, 80, 1, 99]
warn_notify = ["assignee", "supervisor", "supervisor^3", "group:l1", "group:*", "agent:a-1", "role:lead"]
warn_channel = "slack"
[policy.targets.first_response]
urgent = "30m"
low = "4h"
[policy.targets.periodic_update]
normal = "1h30m"
[policy.pause_on]
resolution = ["pending", "on_hold"]
first_response = ["new"]
[policy.targets.resolution]
high = "40h"
"#);
    let policy = &config.rules.policies[0];
    assert_eq!(policy.calendar.timezone(), Some("Europe/Paris"));
    assert_eq!(policy.calendar.holidays().len(), 2);
    assert_eq!(policy.warn_at, vec![1, 50, 80, 99], "sorted, without duplicates");
    assert_eq!(
        policy.warn_notify,
        vec![
            RecipientSpec::Assignee,
            RecipientSpec::Supervisor(1),
            RecipientSpec::Supervisor(3),
            RecipientSpec::Group("l1".into()),
            RecipientSpec::TicketGroup,
            RecipientSpec::Agent("a-1".into()),
            RecipientSpec::Role("lead".into()),
        ]
    );
    assert_eq!(policy.warn_channel, "slack");
    let m = &policy.matcher;
    assert_eq!(m.priority, Some(vec![Priority::Urgent, Priority::Low]));
    assert_eq!(m.customer_tier, Some(vec!["vip".to_owned()]));
    assert_eq!(m.channel, Some(vec!["chat".to_owned(), "email".to_owned()]));
    assert_eq!(m.group, Some(vec!["l2".to_owned()]));
    assert_eq!(m.tenant, Some(vec!["acme".to_owned()]));
    assert_eq!(policy.target(Metric::FirstResponse, Priority::Urgent), Some(1_800_000));
    assert_eq!(policy.target(Metric::FirstResponse, Priority::High), None);
    assert_eq!(policy.target(Metric::FirstResponse, Priority::Low), Some(14_400_000));
    assert_eq!(policy.target(Metric::PeriodicUpdate, Priority::Normal), Some(5_400_000));
    assert_eq!(policy.target(Metric::Resolution, Priority::High), Some(144_000_000));
    assert_eq!(policy.target(Metric::NextResponse, Priority::Normal), None);
    let pause = policy.metric(Metric::Resolution).pause_on;
    assert!(pause.contains(Status::Pending) && pause.contains(Status::OnHold) && !pause.contains(Status::Open));
    assert!(policy.metric(Metric::FirstResponse).pause_on.contains(Status::New));
    assert_eq!(policy.metric(Metric::NextResponse).pause_on.0, 0);
}

#[test]
fn match_lists_may_be_empty() {
    let config = ok("[[policy]]\nname = \"p\"\nmatch = { tenant = [] }\n");
    assert_eq!(config.rules.policies[0].matcher.tenant, Some(vec![]));
}

#[test]
fn policies_keep_their_order() {
    let config = ok("[[policy]]\nname = \"b\"\n[[policy]]\nname = \"a\"\n[[policy]]\nname = \"c\"\n");
    let names: Vec<&str> = config.rules.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["b", "a", "c"]);
}

#[test]
fn ladder_level_defaults() {
    let config = ok(r#"
[[policy]]
name = "p"
[policy.ladder]
resolution = "l"
[[ladder]]
name = "l"
[[ladder.level]]
after = "0m"
"#);
    let ladder = config.rules.policies[0].metric(Metric::Resolution).ladder.clone().expect("ladder");
    assert_eq!(ladder.name, "l");
    assert!(ladder.calendar.is_none(), "no own calendar: the policy's");
    let level = &ladder.levels[0];
    assert_eq!(level.after_ms, 0);
    assert!(level.notify.is_empty() && level.fallback.is_empty());
    assert_eq!(level.channel, "email");
    assert!(level.repeat.is_none());
}

#[test]
fn ladder_fields() {
    let config = ok(r#"
[[policy]]
name = "p"
[policy.ladder]
first_response = "l"
[[ladder]]
name = "l"
calendar = "24x7"
[[ladder.level]]
after = "1h"
notify = ["assignee"]
fallback = ["group:*", "role:lead"]
channel = "sms"
[[ladder.level]]
after = "30m"
notify = ["supervisor^2"]
channel = "phone"
repeat_every = "2h"
repeat = 3
"#);
    let ladder = config.rules.policies[0].metric(Metric::FirstResponse).ladder.clone().unwrap();
    assert!(ladder.calendar.as_ref().is_some_and(|c| c.is_always_open()), "own calendar 24x7 is kept");
    assert_eq!(ladder.levels.len(), 2);
    assert_eq!(ladder.levels[0].after_ms, 3_600_000);
    assert_eq!(ladder.levels[0].notify, vec![RecipientSpec::Assignee]);
    assert_eq!(ladder.levels[0].fallback, vec![RecipientSpec::TicketGroup, RecipientSpec::Role("lead".into())]);
    assert_eq!(ladder.levels[0].channel, "sms");
    // A decreasing `after` is accepted: each level counts from the breach.
    assert_eq!(ladder.levels[1].after_ms, 1_800_000);
    assert_eq!(ladder.levels[1].repeat, Some(crate::engine::rules::Repeat { every_ms: 7_200_000, count: 3 }));
}

#[test]
fn calendars_and_ladders_are_shared() {
    let config = ok(r#"
[[calendar]]
name = "office"
timezone = "Europe/Paris"
[calendar.week]
mon = ["09:00-18:00"]

[[policy]]
name = "a"
calendar = "office"
[policy.ladder]
first_response = "l"
resolution = "l"
[[policy]]
name = "b"
calendar = "office"
[policy.ladder]
resolution = "l"
[[policy]]
name = "c"
[[policy]]
name = "d"
calendar = "24x7"

[[ladder]]
name = "l"
[[ladder.level]]
after = "0m"
"#);
    let p = &config.rules.policies;
    assert!(Arc::ptr_eq(&p[0].calendar, &p[1].calendar));
    assert!(Arc::ptr_eq(&p[2].calendar, &p[3].calendar));
    assert!(!p[0].calendar.is_always_open() && p[2].calendar.is_always_open());
    let l = |i: usize, m: Metric| p[i].metric(m).ladder.clone().unwrap();
    assert!(Arc::ptr_eq(&l(0, Metric::FirstResponse), &l(0, Metric::Resolution)));
    assert!(Arc::ptr_eq(&l(0, Metric::Resolution), &l(1, Metric::Resolution)));
}

#[test]
fn ladder_own_calendar_is_shared_with_policies() {
    let config = ok(r#"
[[calendar]]
name = "office"
timezone = "Europe/Paris"
week = { mon = ["09:00-18:00"] }
[[policy]]
name = "a"
calendar = "office"
ladder = { resolution = "l" }
[[ladder]]
name = "l"
calendar = "office"
level = [{ after = "1h" }]
"#);
    let policy = &config.rules.policies[0];
    let ladder = policy.metric(Metric::Resolution).ladder.clone().unwrap();
    assert!(Arc::ptr_eq(ladder.calendar.as_ref().unwrap(), &policy.calendar));
}

#[test]
fn calendar_week_segments() {
    let config = ok(r#"
[[calendar]]
name = "c"
timezone = "America/New_York"
holidays = ["2026-07-04"]
[calendar.week]
mon = ["13:30-18:00", "09:00-12:30"]
sat = ["00:00-24:00"]
sun = []
[[policy]]
name = "p"
calendar = "c"
"#);
    let calendar = &config.rules.policies[0].calendar;
    let week = calendar.week().expect("zoned");
    assert_eq!(week[0].iter().map(|s| (s.start_min, s.end_min)).collect::<Vec<_>>(), [(540, 750), (810, 1080)]);
    assert_eq!(week[5].iter().map(|s| (s.start_min, s.end_min)).collect::<Vec<_>>(), [(0, 1440)]);
    assert!(week[1].is_empty() && week[6].is_empty());
    assert_eq!(calendar.holidays()[0].to_string(), "2026-07-04");
}
