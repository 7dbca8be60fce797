//! `[[policy]]` entries (SLA.md, Policies): `match`, `calendar`, `warn_at`, `warn_notify`,
//! `warn_channel`, and per metric `targets`, `pause_on` and `ladder`.

use super::calendars::{Calendars, Lookup, ALWAYS_OPEN};
use super::error::Errors;
use super::ladders::{Ladders, DEFAULT_CHANNEL};
use super::recipients::recipients;
use super::walk::{index_path, type_name, Node};
use crate::contract::{Metric, Priority, Status, StatusSet};
use crate::engine::rules::{MetricRules, Policy, PolicyMatch};
use std::collections::BTreeMap;
use std::sync::Arc;

const METRIC_NAMES: [&str; 4] = ["first_response", "next_response", "periodic_update", "resolution"];
const PRIORITY_NAMES: [&str; 4] = ["urgent", "high", "normal", "low"];

/// The parsed policies, in order, and for each ladder the policies on a calendar other than
/// `24x7` that use it, as `(policy name, calendar name)` (for the check of `d` units).
pub(super) struct Policies {
    pub policies: Vec<Arc<Policy>>,
    pub ladder_users: BTreeMap<String, Vec<(String, String)>>,
}

pub(super) fn policies(root: &Node<'_>, calendars: &Calendars, ladders: &Ladders, errors: &mut Errors) -> Policies {
    let mut out = Policies { policies: Vec::new(), ladder_users: BTreeMap::new() };
    let mut first_at: BTreeMap<String, String> = BTreeMap::new();
    for node in root.tables(errors, "policy") {
        node.deny_unknown(
            errors,
            &["name", "match", "calendar", "warn_at", "warn_notify", "warn_channel", "targets", "pause_on", "ladder"],
        );
        let name = node.required_string(errors, "name");
        if let Some(name) = name {
            match first_at.get(name) {
                Some(first) => {
                    errors.push(node.path_of("name"), format!("duplicate policy name {name:?} (first at {first})"))
                }
                None => {
                    first_at.insert(name.to_owned(), node.path.clone());
                }
            }
        }
        let matcher = node.table(errors, "match").map(|m| matcher(&m, errors)).unwrap_or_default();

        // The calendar, and whether durations on it may use days.
        let calendar_name = node.non_empty_string(errors, "calendar").unwrap_or(ALWAYS_OPEN);
        let calendar = match calendars.get(calendar_name) {
            Lookup::Found(calendar) => Some(calendar),
            Lookup::Broken => None,
            Lookup::Unknown => {
                errors.push(
                    node.path_of("calendar"),
                    format!("unknown calendar {calendar_name:?} (defined: {})", calendars.names()),
                );
                None
            }
        };
        let known_calendar = !matches!(calendars.get(calendar_name), Lookup::Unknown);
        let business_calendar = (known_calendar && calendar_name != ALWAYS_OPEN).then_some(calendar_name);

        let warn_at = warn_at(&node, errors);
        let warn_notify = recipients(&node, errors, "warn_notify");
        let warn_channel = node.non_empty_string(errors, "warn_channel").unwrap_or(DEFAULT_CHANNEL).to_owned();

        let mut metrics: [MetricRules; 4] = Default::default();
        if let Some(targets) = node.table(errors, "targets") {
            targets_into(&targets, business_calendar, errors, &mut metrics);
        }
        if let Some(pause_on) = node.table(errors, "pause_on") {
            pause_on_into(&pause_on, errors, &mut metrics);
        }
        if let Some(ladder) = node.table(errors, "ladder") {
            ladder.deny_unknown(errors, &METRIC_NAMES);
            for metric in Metric::ALL {
                let Some(ladder_name) = ladder.non_empty_string(errors, metric.as_str()) else { continue };
                match ladders.by_name.get(ladder_name) {
                    None => errors.push(
                        ladder.path_of(metric.as_str()),
                        format!("unknown ladder {ladder_name:?} ({})", ladders.names()),
                    ),
                    Some(entry) => {
                        metrics[metric.index()].ladder = entry.ladder.clone();
                        if let (Some(policy), Some(cal)) = (name, business_calendar) {
                            let users = out.ladder_users.entry(ladder_name.to_owned()).or_default();
                            if !users.iter().any(|(p, _)| p == policy) {
                                users.push((policy.to_owned(), cal.to_owned()));
                            }
                        }
                    }
                }
            }
        }
        if let (Some(name), Some(calendar)) = (name, calendar) {
            out.policies.push(Arc::new(Policy {
                name: name.to_owned(),
                matcher,
                calendar,
                warn_at,
                warn_notify,
                warn_channel,
                metrics,
            }));
        }
    }
    out
}

fn matcher(node: &Node<'_>, errors: &mut Errors) -> PolicyMatch {
    node.deny_unknown(errors, &["priority", "customer_tier", "channel", "group", "tenant"]);
    let list = |key: &str, errors: &mut Errors| -> Option<Vec<String>> {
        node.strings(errors, key).map(|items| items.into_iter().map(|item| item.text.to_owned()).collect())
    };
    let priority = node.strings(errors, "priority").map(|items| {
        items
            .into_iter()
            .filter_map(|item| {
                let priority = Priority::parse(item.text);
                if priority.is_none() {
                    errors.push(
                        item.path,
                        format!("unknown priority {:?} (expected {})", item.text, PRIORITY_NAMES.join(", ")),
                    );
                }
                priority
            })
            .collect()
    });
    PolicyMatch {
        priority,
        customer_tier: list("customer_tier", errors),
        channel: list("channel", errors),
        group: list("group", errors),
        tenant: list("tenant", errors),
    }
}

/// `warn_at`: percentages in 1..=99, returned ascending without duplicates.
fn warn_at(node: &Node<'_>, errors: &mut Errors) -> Vec<u8> {
    let Some(items) = node.array(errors, "warn_at", "integers") else { return Vec::new() };
    let path = node.path_of("warn_at");
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = index_path(&path, i);
        match item {
            toml::Value::Integer(p) if (1..=99).contains(p) => out.push(*p as u8),
            toml::Value::Integer(p) => errors.push(at, format!("a warning percentage must be in 1..=99, found {p}")),
            other => errors.push(at, format!("expected an integer percentage in 1..=99, found {}", type_name(other))),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `targets.METRIC.PRIORITY = duration`. On a calendar other than `24x7`
/// (`business_calendar`), the unit `d` is refused: a day of SLA time there is not 24 hours.
fn targets_into(node: &Node<'_>, business_calendar: Option<&str>, errors: &mut Errors, metrics: &mut [MetricRules; 4]) {
    node.deny_unknown(errors, &METRIC_NAMES);
    for metric in Metric::ALL {
        let Some(per_priority) = node.table(errors, metric.as_str()) else { continue };
        per_priority.deny_unknown(errors, &PRIORITY_NAMES);
        for priority in Priority::ALL {
            let key = priority.as_str();
            let Some(target) = per_priority.duration(errors, key) else { continue };
            if target.ms == 0 {
                errors.push(per_priority.path_of(key), "a target must be greater than 0");
                continue;
            }
            if let Some(calendar) = business_calendar.filter(|_| target.uses_days) {
                errors.push(
                    per_priority.path_of(key),
                    format!(
                        "unit `d` is not allowed here: the target is SLA time on calendar {calendar:?}, where a \
                         day is not 24 hours (write hours)"
                    ),
                );
                continue;
            }
            metrics[metric.index()].targets[priority.index()] = Some(target.ms);
        }
    }
}

/// `pause_on.METRIC = [status, ...]`: statuses among new, open, pending, on_hold.
fn pause_on_into(node: &Node<'_>, errors: &mut Errors, metrics: &mut [MetricRules; 4]) {
    node.deny_unknown(errors, &METRIC_NAMES);
    for metric in Metric::ALL {
        let Some(items) = node.strings(errors, metric.as_str()) else { continue };
        let mut set = StatusSet::default();
        for item in items {
            match Status::parse(item.text) {
                Some(status @ (Status::Solved | Status::Closed)) => errors.push(
                    item.path,
                    format!(
                        "{:?} cannot pause a clock: it fulfils or ends it (expected new, open, pending or on_hold)",
                        status.as_str()
                    ),
                ),
                Some(status) => set.insert(status),
                None => errors.push(
                    item.path,
                    format!("unknown status {:?} (expected new, open, pending or on_hold)", item.text),
                ),
            }
        }
        metrics[metric.index()].pause_on = set;
    }
}
