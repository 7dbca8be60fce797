//! What a checkpoint keeps of an [`Engine`]: everything but its rules (`crate::checkpoint`).
//!
//! Invariant: `Engine::from_state(engine.state(), rules)` (through serde) is the engine as it
//! was, followed by `set_rules(rules)`. The engine's indexes (`by_name`, `agenda`,
//! `agenda_key`) are kept as they were, not rebuilt, and are checked against the tenants on
//! the way back in, so inconsistent input is refused rather than left to panic later.

use super::event_ids::EventIds;
use super::tenant::Tenant;
use super::Engine;
use crate::engine::rules::Rules;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A borrowed view of the state, to serialise without copying it.
#[derive(Serialize)]
pub(crate) struct StateRef<'a> {
    tenants: &'a Vec<Tenant>,
    by_name: &'a FxHashMap<String, u32>,
    agenda: &'a BTreeSet<(u64, u32)>,
    agenda_key: &'a Vec<Option<u64>>,
    applied: &'a u64,
    event_ids: &'a EventIds,
}

/// The state read back; the same fields in the same order as [`StateRef`].
#[derive(Deserialize)]
pub(crate) struct State {
    tenants: Vec<Tenant>,
    by_name: FxHashMap<String, u32>,
    agenda: BTreeSet<(u64, u32)>,
    agenda_key: Vec<Option<u64>>,
    applied: u64,
    event_ids: EventIds,
}

impl Engine {
    pub(crate) fn state(&self) -> StateRef<'_> {
        let Engine {
            rules: _,
            tenants,
            by_name,
            agenda,
            agenda_key,
            applied,
            event_ids,
            ids_forgotten_early: _,
            recording_facts: _,
        } = self;
        StateRef { tenants, by_name, agenda, agenda_key, applied, event_ids }
    }

    /// The engine of `state` on `rules` (as after a reload to `rules`); `Err` names the first
    /// inconsistency between the tenants and the indexes.
    pub(crate) fn from_state(state: State, rules: Arc<Rules>) -> Result<Engine, String> {
        let State { mut tenants, by_name, agenda, agenda_key, applied, event_ids } = state;
        let n = tenants.len();
        if agenda_key.len() != n || by_name.len() != n {
            return Err(format!("{n} tenants, {} agenda keys, {} names", agenda_key.len(), by_name.len()));
        }
        for (name, &i) in &by_name {
            if tenants.get(i as usize).is_none_or(|t| t.name != *name) {
                return Err(format!("tenant {name:?} indexed at {i}"));
            }
        }
        for &(deadline, i) in &agenda {
            if agenda_key.get(i as usize) != Some(&Some(deadline)) {
                return Err(format!("agenda entry ({deadline}, {i}) without its key"));
            }
        }
        if agenda.len() != agenda_key.iter().flatten().count() {
            return Err("agenda keys without their entry".to_owned());
        }
        for tenant in &mut tenants {
            tenant.share_names();
        }
        let mut engine = Engine {
            rules: rules.clone(),
            tenants,
            by_name,
            agenda,
            agenda_key,
            applied,
            event_ids,
            ids_forgotten_early: 0,
            recording_facts: false,
        };
        engine.set_rules(rules);
        Ok(engine)
    }
}
