//! Self-service journeys (`contact.step`), kept per customer: the last `max_steps` steps,
//! each for `ttl` (event time), attached to the customer's next ticket and then forgotten.

use crate::contract::{ContactStep, RawJson};
use crate::time::{format_rfc3339, Millis};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::VecDeque;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Step {
    ts: Millis,
    #[serde(with = "crate::checkpoint::json::value")]
    entry: Value,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Journeys {
    by_customer: FxHashMap<String, VecDeque<Step>>,
    /// (newest step ts, customer) in arrival order, to forget idle customers.
    recency: VecDeque<(Millis, String)>,
}

impl Journeys {
    /// Steps held, over every customer.
    pub fn steps(&self) -> usize {
        self.recency.len()
    }

    pub fn record(&mut self, ts: Millis, step: &ContactStep, max_steps: usize) {
        if max_steps == 0 {
            return;
        }
        let mut entry = Map::new();
        entry.insert("ts".into(), format_rfc3339(ts).into());
        entry.insert("step".into(), step.step.clone().into());
        if let Some(outcome) = step.outcome {
            entry.insert("outcome".into(), outcome.as_str().into());
        }
        if let Some(data) = &step.data {
            entry.insert("data".into(), Value::Object(data.clone()));
        }
        let steps = self.by_customer.entry(step.customer_id.clone()).or_default();
        steps.push_back(Step { ts, entry: Value::Object(entry) });
        while steps.len() > max_steps {
            steps.pop_front();
        }
        self.recency.push_back((ts, step.customer_id.clone()));
    }

    /// The customer's steps not older than `ttl` at `at`, oldest first, as a JSON array; the
    /// journey is then forgotten (it belongs to this ticket only).
    pub fn take(&mut self, customer_id: &str, at: Millis, ttl: i64) -> RawJson {
        let Some(mut steps) = self.by_customer.remove(customer_id) else {
            return RawJson::empty_array();
        };
        let mut kept: Vec<Step> = steps.drain(..).filter(|s| at.saturating_sub(s.ts) <= ttl).collect();
        kept.sort_by_key(|s| s.ts);
        RawJson::of(&kept.iter().map(|s| &s.entry).collect::<Vec<&Value>>())
    }

    /// Forgets the steps older than `ttl` at `latest`, each judged by its own `ts` (steps arrive
    /// out of `ts` order), and the customers left without steps.
    pub fn evict(&mut self, latest: Millis, ttl: i64) {
        while let Some((ts, _)) = self.recency.front() {
            if latest.saturating_sub(*ts) <= ttl {
                break;
            }
            let (_, customer) = self.recency.pop_front().expect("front exists");
            if let Some(steps) = self.by_customer.get_mut(&customer) {
                steps.retain(|s| latest.saturating_sub(s.ts) <= ttl);
                if steps.is_empty() {
                    self.by_customer.remove(&customer);
                }
            }
        }
    }
}
