//! Decode + apply: arbitrary bytes, split into lines, through the `slad simulate` path with a
//! configuration that exercises calendars, warnings, ladders and routing expansions. Asserts
//! nothing but the absence of panics, hangs and unbounded growth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slad::simulate::Simulator;
use std::sync::{Arc, OnceLock};

const CONFIG: &str = r#"
[[calendar]]
name = "office"
timezone = "Europe/Paris"
holidays = ["2026-12-25"]
[calendar.week]
mon = ["09:00-12:30", "13:30-18:00"]
fri = ["09:00-24:00"]
sat = ["00:00-02:00"]

[[policy]]
name = "vip"
match = { customer_tier = ["vip"] }
warn_at = [1, 50, 99]
warn_notify = ["assignee", "supervisor^2", "group:*"]
[policy.targets.first_response]
urgent = "1m"
normal = "10m"
[policy.targets.next_response]
normal = "5m"
[policy.targets.periodic_update]
normal = "7m"
[policy.targets.resolution]
normal = "1h"
[policy.pause_on]
resolution = ["pending", "on_hold"]
[policy.ladder]
first_response = "chain"
resolution = "chain"

[[policy]]
name = "office"
match = {}
calendar = "office"
warn_at = [75]
[policy.targets.first_response]
normal = "4h"
high = "1h"
[policy.targets.resolution]
normal = "8h"
[policy.ladder]
resolution = "chain"

[[ladder]]
name = "chain"
[[ladder.level]]
after = "0m"
notify = ["assignee", "supervisor"]
fallback = ["role:lead"]
[[ladder.level]]
after = "2m"
notify = ["supervisor^3"]
repeat_every = "1m"
repeat = 3

[routing]
strategy = "most_skilled"
[[routing.expand]]
after = "1m"
lower_min_level_by = 2
[[routing.expand]]
after = "3m"
any_agent = true
"#;

fn rules() -> Arc<slad::engine::rules::Rules> {
    static RULES: OnceLock<Arc<slad::engine::rules::Rules>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(slad::config::parse(CONFIG).expect("fuzz config is valid").rules)).clone()
}

fuzz_target!(|data: &[u8]| {
    let mut sim = Simulator::new(rules());
    let mut out = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(text) = std::str::from_utf8(line) {
            let _ = sim.line(text, &mut out);
        }
        out.clear();
    }
    // Fire a month of timers after the last line.
    if let Some(deadline) = sim.engine().next_deadline() {
        sim.finish(Some(deadline.saturating_add(30 * 86_400_000)), &mut out);
    }
});
