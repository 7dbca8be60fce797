//! The rules objects a state refers to (calendars, ladders, policies, whole rule sets), each
//! stored once however many tickets share it.
//!
//! Invariants:
//! - While encoding, an object is identified by its `Arc`'s address (every `Arc` is alive for
//!   the whole encode), so the table has one entry per distinct object, and sharing comes back
//!   as it was: two tickets on one `Arc<Policy>` get one `Arc<Policy>` again.
//! - Entries refer to other entries only in the tables before their own (a ladder to a
//!   calendar, a policy to calendars and ladders, rules to policies), so resolving the tables in
//!   that order builds every object after those it needs; a reference out of range is an error.
//! - A calendar is stored as its definition (zone name, week, holidays) and compiled again on
//!   the way back, with this build's time zone database.

use crate::contract::StatusSet;
use crate::engine::calendar::{Calendar, LocalDate, Segment};
use crate::engine::rules::{
    EngineLimits, JourneyRules, Ladder, LadderLevel, MetricRules, Policy, PolicyMatch, RecipientSpec, RoutingRules,
    Rules,
};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Table {
    calendars: Vec<CalendarDef>,
    ladders: Vec<LadderDef>,
    policies: Vec<PolicyDef>,
    rules: Vec<RulesDef>,
}

/// `None`: the built-in `24x7`.
type CalendarDef = Option<Zoned>;

#[derive(Debug, Serialize, Deserialize)]
struct Zoned {
    timezone: String,
    week: [Vec<Segment>; 7],
    holidays: Vec<LocalDate>,
}

#[derive(Debug, Serialize, Deserialize)]
struct LadderDef {
    name: String,
    calendar: Option<u32>,
    levels: Vec<LadderLevel>,
}

#[derive(Debug, Serialize, Deserialize)]
struct MetricDef {
    targets: [Option<i64>; 4],
    pause_on: StatusSet,
    ladder: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PolicyDef {
    name: String,
    matcher: PolicyMatch,
    calendar: u32,
    warn_at: Vec<u8>,
    warn_notify: Vec<RecipientSpec>,
    warn_channel: String,
    metrics: [MetricDef; 4],
}

#[derive(Debug, Serialize, Deserialize)]
struct RulesDef {
    limits: EngineLimits,
    journey: JourneyRules,
    policies: Vec<u32>,
    routing: RoutingRules,
}

fn address<T>(arc: &Arc<T>) -> usize {
    Arc::as_ptr(arc) as usize
}

/// Builds a [`Table`] while the state is serialised: each object gets its index on first sight.
#[derive(Default)]
pub(super) struct Interner {
    table: Table,
    calendars: FxHashMap<usize, u32>,
    ladders: FxHashMap<usize, u32>,
    policies: FxHashMap<usize, u32>,
    rules: FxHashMap<usize, u32>,
}

impl Interner {
    pub fn finish(self) -> Table {
        self.table
    }

    fn calendar(&mut self, calendar: &Arc<Calendar>) -> u32 {
        if let Some(&i) = self.calendars.get(&address(calendar)) {
            return i;
        }
        let def = match (calendar.timezone(), calendar.week()) {
            (Some(timezone), Some(week)) => Some(Zoned {
                timezone: timezone.to_owned(),
                week: week.clone(),
                holidays: calendar.holidays().to_vec(),
            }),
            _ => None,
        };
        let i = self.table.calendars.len() as u32;
        self.table.calendars.push(def);
        self.calendars.insert(address(calendar), i);
        i
    }

    fn ladder(&mut self, ladder: &Arc<Ladder>) -> u32 {
        if let Some(&i) = self.ladders.get(&address(ladder)) {
            return i;
        }
        let calendar = ladder.calendar.as_ref().map(|c| self.calendar(c));
        let def = LadderDef { name: ladder.name.clone(), calendar, levels: ladder.levels.clone() };
        let i = self.table.ladders.len() as u32;
        self.table.ladders.push(def);
        self.ladders.insert(address(ladder), i);
        i
    }

    pub fn policy(&mut self, policy: &Arc<Policy>) -> u32 {
        if let Some(&i) = self.policies.get(&address(policy)) {
            return i;
        }
        let calendar = self.calendar(&policy.calendar);
        let metrics = std::array::from_fn(|m| {
            let rules = &policy.metrics[m];
            MetricDef {
                targets: rules.targets,
                pause_on: rules.pause_on,
                ladder: rules.ladder.as_ref().map(|l| self.ladder(l)),
            }
        });
        let def = PolicyDef {
            name: policy.name.clone(),
            matcher: policy.matcher.clone(),
            calendar,
            warn_at: policy.warn_at.clone(),
            warn_notify: policy.warn_notify.clone(),
            warn_channel: policy.warn_channel.clone(),
            metrics,
        };
        let i = self.table.policies.len() as u32;
        self.table.policies.push(def);
        self.policies.insert(address(policy), i);
        i
    }

    pub fn rules(&mut self, rules: &Arc<Rules>) -> u32 {
        if let Some(&i) = self.rules.get(&address(rules)) {
            return i;
        }
        let policies = rules.policies.iter().map(|p| self.policy(p)).collect();
        let def = RulesDef {
            limits: rules.limits.clone(),
            journey: rules.journey.clone(),
            policies,
            routing: rules.routing.clone(),
        };
        let i = self.table.rules.len() as u32;
        self.table.rules.push(def);
        self.rules.insert(address(rules), i);
        i
    }
}

/// The objects of a [`Table`], rebuilt, by index.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    pub policies: Vec<Arc<Policy>>,
    pub rules: Vec<Arc<Rules>>,
}

/// Why a table could not be rebuilt.
#[derive(Debug)]
pub(super) enum TableError {
    /// The bytes are inconsistent (a reference out of range, a value the rules never hold).
    Invalid(String),
    /// Consistent, but this build cannot rebuild it (a time zone its database lacks).
    Unsupported(String),
}

fn get<T: Clone>(items: &[T], i: u32, what: &str) -> Result<T, TableError> {
    items.get(i as usize).cloned().ok_or_else(|| TableError::Invalid(format!("{what} {i} of {}", items.len())))
}

impl Table {
    /// Entries: calendars, ladders, policies, rule sets.
    #[cfg(test)]
    pub fn counts(&self) -> [usize; 4] {
        [self.calendars.len(), self.ladders.len(), self.policies.len(), self.rules.len()]
    }

    pub fn resolve(self) -> Result<Resolved, TableError> {
        let mut calendars = Vec::with_capacity(self.calendars.len());
        for def in self.calendars {
            calendars.push(Arc::new(match def {
                None => Calendar::always_open(),
                Some(Zoned { timezone, week, holidays }) => Calendar::new(&timezone, week, holidays)
                    .map_err(|e| TableError::Unsupported(format!("calendar on {timezone:?}: {e}")))?,
            }));
        }
        let mut ladders = Vec::with_capacity(self.ladders.len());
        for def in self.ladders {
            let calendar = def.calendar.map(|c| get(&calendars, c, "calendar")).transpose()?;
            ladders.push(Arc::new(Ladder { name: def.name, calendar, levels: def.levels }));
        }
        let mut policies = Vec::with_capacity(self.policies.len());
        for def in self.policies {
            if def.warn_at.iter().any(|&p| !(1..=99).contains(&p)) || !def.warn_at.is_sorted_by(|a, b| a < b) {
                return Err(TableError::Invalid(format!("policy {:?}: warn_at {:?}", def.name, def.warn_at)));
            }
            let mut metrics: [MetricRules; 4] = Default::default();
            for (rules, m) in metrics.iter_mut().zip(def.metrics) {
                *rules = MetricRules {
                    targets: m.targets,
                    pause_on: m.pause_on,
                    ladder: m.ladder.map(|l| get(&ladders, l, "ladder")).transpose()?,
                };
            }
            policies.push(Arc::new(Policy {
                name: def.name,
                matcher: def.matcher,
                calendar: get(&calendars, def.calendar, "calendar")?,
                warn_at: def.warn_at,
                warn_notify: def.warn_notify,
                warn_channel: def.warn_channel,
                metrics,
            }));
        }
        let mut rules = Vec::with_capacity(self.rules.len());
        for def in self.rules {
            let refs = def.policies.iter().map(|&p| get(&policies, p, "policy")).collect::<Result<_, _>>()?;
            rules.push(Arc::new(Rules {
                limits: def.limits,
                journey: def.journey,
                policies: refs,
                routing: def.routing,
            }));
        }
        Ok(Resolved { policies, rules })
    }
}
