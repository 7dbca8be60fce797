//! The choice among eligible agents (ROUTING.md, Choice of agent): the strategy's own measure,
//! then longest idle, then the smallest `agent_id`.

use super::agents::Agent;
use super::intern::{ChanId, SkillId};
use crate::engine::rules::Strategy;
use std::cmp::Ordering;

/// Picks the best of a stream of eligible agents.
pub(super) struct Chooser {
    strategy: Strategy,
    /// `least_loaded`: the ticket's channel (`None`: unnamed, nothing open on it).
    chan: Option<ChanId>,
    /// `most_skilled`: the ticket's skills, optional ones included (`None`: no agent has it).
    score_skills: Vec<Option<SkillId>>,
    /// `most_skilled`: no agent can score more.
    score_bound: u64,
}

/// An agent's standing under the strategy, before idle-since and id.
#[derive(Debug, Clone, Copy)]
enum Measure {
    None,
    /// Higher is better.
    Score(u64),
    /// open / capacity; lower is better.
    Load {
        open: u64,
        cap: u64,
    },
}

impl Chooser {
    pub fn new(strategy: Strategy, chan: Option<ChanId>, score_skills: Vec<Option<SkillId>>, score_bound: u64) -> Self {
        Chooser { strategy, chan, score_skills, score_bound }
    }

    fn measure(&self, agent: &Agent) -> Measure {
        match self.strategy {
            Strategy::LongestIdle => Measure::None,
            Strategy::MostSkilled => {
                Measure::Score(self.score_skills.iter().map(|s| s.map_or(0, |s| agent.level(s) as u64)).sum())
            }
            Strategy::LeastLoaded => match self.chan {
                Some(chan) => Measure::Load { open: agent.open_on(chan) as u64, cap: agent.capacity(chan) as u64 },
                None => Measure::Load { open: 0, cap: agent.profile.star as u64 },
            },
        }
    }

    /// `Less` when `a` is the better choice.
    fn compare(a: (&Agent, Measure), b: (&Agent, Measure)) -> Ordering {
        let by_measure = match (a.1, b.1) {
            (Measure::Score(x), Measure::Score(y)) => y.cmp(&x),
            (Measure::Load { open: oa, cap: ca }, Measure::Load { open: ob, cap: cb }) => (oa * cb).cmp(&(ob * ca)),
            _ => Ordering::Equal,
        };
        by_measure.then_with(|| a.0.idle_key().cmp(&b.0.idle_key())).then_with(|| a.0.id.cmp(&b.0.id))
    }

    /// Nothing after it in (idle-since, id) order can be better.
    fn unbeatable(&self, m: Measure) -> bool {
        match m {
            Measure::None => true,
            Measure::Score(s) => s >= self.score_bound,
            Measure::Load { open, .. } => open == 0,
        }
    }

    /// The best of `candidates` (all eligible). With `in_order` they come by (idle-since, id)
    /// ascending, which allows stopping at the first one nothing later can beat.
    pub fn pick<'a>(&self, candidates: impl Iterator<Item = &'a Agent>, in_order: bool) -> Option<&'a Agent> {
        let mut best: Option<(&Agent, Measure)> = None;
        for agent in candidates {
            let m = self.measure(agent);
            if best.is_none_or(|b| Self::compare((agent, m), b) == Ordering::Less) {
                best = Some((agent, m));
            }
            if in_order && best.is_some_and(|(_, m)| self.unbeatable(m)) {
                break;
            }
        }
        best.map(|(a, _)| a)
    }
}
