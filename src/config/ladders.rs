//! `[[ladder]]` entries (SLA.md, Escalation ladder): levels with `after` (SLA time after
//! the breach), `notify`, `fallback`, `channel`, and on the last level only
//! `repeat_every` with `repeat`.
//!
//! Every level's `after` counts from the breach. The contract does not ask for increasing
//! values, so a decreasing `after` is accepted: levels fire in the order written, each
//! once, and a level whose `after` is already past when the previous one fires fires at
//! that same instant, right after it.

use super::calendars::{Calendars, Lookup, ALWAYS_OPEN};
use super::error::Errors;
use super::recipients::recipients;
use super::walk::Node;
use crate::engine::rules::{Ladder, LadderLevel, Repeat};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The default channel of a level (and of warnings).
pub(super) const DEFAULT_CHANNEL: &str = "email";

/// One parsed `[[ladder]]`.
pub(super) struct LadderEntry {
    /// The entry's index among the `[[ladder]]` entries.
    pub index: usize,
    pub name: String,
    /// The ladder's own `calendar` as written, if any.
    pub own_calendar: Option<String>,
    /// The paths of the `after` / `repeat_every` keys written with the unit `d`.
    pub day_keys: Vec<String>,
    /// `None` when the entry has errors (all reported).
    pub ladder: Option<Arc<Ladder>>,
}

/// The ladders of a configuration, by name.
#[derive(Default)]
pub(super) struct Ladders {
    pub by_name: BTreeMap<String, LadderEntry>,
}

impl Ladders {
    /// The declared names, for messages.
    pub(super) fn names(&self) -> String {
        if self.by_name.is_empty() {
            return "none is defined".to_owned();
        }
        let names: Vec<String> = self.by_name.keys().map(|n| format!("{n:?}")).collect();
        format!("defined: {}", names.join(", "))
    }
}

/// Parses every `[[ladder]]`.
pub(super) fn ladders(root: &Node<'_>, calendars: &Calendars, errors: &mut Errors) -> Ladders {
    let mut ladders = Ladders::default();
    let mut first_at: BTreeMap<String, String> = BTreeMap::new();
    for (index, node) in root.tables(errors, "ladder").into_iter().enumerate() {
        let before = errors.len();
        node.deny_unknown(errors, &["name", "calendar", "level"]);
        let name = node.required_string(errors, "name");
        if let Some(name) = name {
            if let Some(first) = first_at.get(name) {
                errors.push(node.path_of("name"), format!("duplicate ladder name {name:?} (first at {first})"));
            }
        }
        let own_calendar = node.non_empty_string(errors, "calendar");
        let mut unknown_calendar = false;
        let calendar = own_calendar.and_then(|cal| match calendars.get(cal) {
            Lookup::Found(calendar) => Some(calendar),
            Lookup::Broken => None,
            Lookup::Unknown => {
                errors.push(
                    node.path_of("calendar"),
                    format!("unknown calendar {cal:?} (defined: {})", calendars.names()),
                );
                unknown_calendar = true;
                None
            }
        });
        let mut day_keys = Vec::new();
        let levels = levels(&node, errors, &mut day_keys);
        if let Some(cal) = own_calendar.filter(|c| *c != ALWAYS_OPEN && !unknown_calendar) {
            for key in &day_keys {
                errors.push(
                    key.clone(),
                    format!(
                        "unit `d` is not allowed here: the ladder is measured on calendar {cal:?}, where a day \
                         of SLA time is not 24 hours (write hours)"
                    ),
                );
            }
            day_keys.clear();
        }
        let Some(name) = name else { continue };
        if first_at.contains_key(name) {
            continue;
        }
        first_at.insert(name.to_owned(), node.path.clone());
        let valid = errors.len() == before;
        let ladder = valid.then(|| Arc::new(Ladder { name: name.to_owned(), calendar, levels }));
        ladders.by_name.insert(
            name.to_owned(),
            LadderEntry {
                index,
                name: name.to_owned(),
                own_calendar: own_calendar.map(str::to_owned),
                day_keys,
                ladder,
            },
        );
    }
    ladders
}

fn levels(node: &Node<'_>, errors: &mut Errors, day_keys: &mut Vec<String>) -> Vec<LadderLevel> {
    let nodes = node.tables(errors, "level");
    let written = match node.value("level") {
        None => false,
        Some(toml::Value::Array(items)) => !items.is_empty(),
        Some(_) => true, // not an array: reported by `tables`
    };
    if !written {
        errors.push(node.path_of("level"), "a ladder needs at least one level ([[ladder.level]])");
    }
    let last = nodes.len().saturating_sub(1);
    let mut levels = Vec::with_capacity(nodes.len());
    for (i, level) in nodes.iter().enumerate() {
        level.deny_unknown(errors, &["after", "notify", "fallback", "channel", "repeat_every", "repeat"]);
        let after_ms = match level.duration(errors, "after") {
            Some(after) => {
                if after.uses_days {
                    day_keys.push(level.path_of("after"));
                }
                after.ms
            }
            None => {
                if level.value("after").is_none() {
                    errors.push(level.path_of("after"), "missing (required)");
                }
                0
            }
        };
        let notify = recipients(level, errors, "notify");
        let fallback = recipients(level, errors, "fallback");
        let channel = level.non_empty_string(errors, "channel").unwrap_or(DEFAULT_CHANNEL).to_owned();
        let repeat = repeat(level, i == last, errors, day_keys);
        levels.push(LadderLevel { after_ms, notify, fallback, channel, repeat });
    }
    levels
}

/// `repeat_every` and `repeat`: both or neither, on the last level only.
fn repeat(level: &Node<'_>, is_last: bool, errors: &mut Errors, day_keys: &mut Vec<String>) -> Option<Repeat> {
    let every = level.duration(errors, "repeat_every");
    let count = level.integer_at_least(errors, "repeat", 1);
    let (has_every, has_count) = (level.value("repeat_every").is_some(), level.value("repeat").is_some());
    if !has_every && !has_count {
        return None;
    }
    if !is_last {
        let key = if has_every { "repeat_every" } else { "repeat" };
        errors.push(level.path_of(key), "only the last level of a ladder may repeat");
        return None;
    }
    if has_every != has_count {
        let (present, missing) = if has_every { ("repeat_every", "repeat") } else { ("repeat", "repeat_every") };
        errors.push(level.path_of(present), format!("needs {missing} too (repeat_every and repeat go together)"));
        return None;
    }
    let every = every?;
    if every.uses_days {
        day_keys.push(level.path_of("repeat_every"));
    }
    if every.ms == 0 {
        errors.push(level.path_of("repeat_every"), "must be greater than 0");
        return None;
    }
    let count = match u32::try_from(count?) {
        Ok(count) => count,
        Err(_) => {
            errors.push(level.path_of("repeat"), "too large");
            return None;
        }
    };
    Some(Repeat { every_ms: every.ms, count })
}

/// Reports the `d` units of ladders measured on the calendar of the policies that use them
/// (`users`: ladder name -> the policies on a calendar other than `24x7`, as
/// `(policy name, calendar name)`).
pub(super) fn check_day_units(ladders: &Ladders, users: &BTreeMap<String, Vec<(String, String)>>, errors: &mut Errors) {
    let mut entries: Vec<&LadderEntry> = ladders.by_name.values().collect();
    entries.sort_by_key(|entry| entry.index);
    for entry in entries {
        if entry.own_calendar.is_some() || entry.day_keys.is_empty() {
            continue;
        }
        let Some(policies) = users.get(&entry.name).filter(|p| !p.is_empty()) else { continue };
        let named: Vec<String> =
            policies.iter().map(|(policy, calendar)| format!("policy {policy:?} (calendar {calendar:?})")).collect();
        for key in &entry.day_keys {
            errors.push(
                key.clone(),
                format!(
                    "unit `d` is not allowed here: ladder {:?} is measured on the calendar of {}, where a day of \
                     SLA time is not 24 hours (write hours, or give the ladder calendar = \"24x7\")",
                    entry.name,
                    named.join(", ")
                ),
            );
        }
    }
}
