//! The choice among eligible agents (ROUTING.md, Choice of agent): the strategy's own measure,
//! then longest idle, then the smallest `agent_id`; and the walks over the index that find it
//! without looking at every agent.

use super::agents::{Agent, Filter};
use super::eligibility::{Needs, Requirements};
use super::index::{bucket, Entry, Merge, Tag, TOP_BUCKET};
use super::intern::{ChanId, SkillId};
use super::RoutingTable;
use crate::engine::rules::Strategy;
use std::cmp::Ordering;
use std::collections::BTreeSet;

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

/// Picks the best of a stream of eligible agents.
struct Chooser {
    strategy: Strategy,
    /// The ticket's channel (`None`: unnamed, nothing open on it).
    chan: Option<ChanId>,
    /// `most_skilled`: the ticket's skills, optional ones included (`None`: no agent has it).
    score_skills: Vec<Option<SkillId>>,
    /// `most_skilled`: no agent can score more.
    score_bound: u64,
    /// Candidates come by (idle-since, id).
    idle_ordered: bool,
    /// Candidates come by (load, idle-since, id).
    load_ordered: bool,
}

impl Chooser {
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
        by_measure.then_with(|| a.0.idle_key().cmp(&b.0.idle_key())).then_with(|| a.0.label.cmp(&b.0.label))
    }

    /// Nothing after it in the walk's order can be better.
    fn unbeatable(&self, m: Measure) -> bool {
        match m {
            Measure::None => self.idle_ordered,
            Measure::Score(s) => self.idle_ordered && s >= self.score_bound,
            Measure::Load { open, .. } => self.load_ordered || (self.idle_ordered && open == 0),
        }
    }

    fn offer<'a>(&self, best: &mut Option<(&'a Agent, Measure)>, agent: &'a Agent) {
        let m = self.measure(agent);
        if best.is_none_or(|b| Self::compare((agent, m), b) == Ordering::Less) {
            *best = Some((agent, m));
        }
    }

    /// The best of `candidates` (all eligible), stopping when nothing later can beat it.
    fn pick<'a>(&self, candidates: impl Iterator<Item = &'a Agent>) -> Option<&'a Agent> {
        let mut best = None;
        for agent in candidates {
            self.offer(&mut best, agent);
            if best.is_some_and(|(_, m)| self.unbeatable(m)) {
                break;
            }
        }
        best.map(|(a, _)| a)
    }
}

/// Sets to walk together, and how many entries they hold.
struct Source<'a> {
    sets: Vec<&'a BTreeSet<Entry>>,
    len: usize,
}

impl RoutingTable {
    /// The choice for a ticket (see [`RoutingTable::choose_agent`]).
    pub(super) fn choose(&self, req: &Requirements, needs: &Needs, strategy: Strategy) -> Option<&Agent> {
        let (score_skills, score_bound) = match strategy {
            Strategy::MostSkilled => {
                let skills: Vec<Option<SkillId>> = req.score_skills.iter().map(|s| self.skills.get(&s.name)).collect();
                let bound = skills.iter().map(|s| s.map_or(0, |s| self.census.max_level(s) as u64)).sum();
                (skills, bound)
            }
            _ => (Vec::new(), 0),
        };
        let mut chooser =
            Chooser { strategy, chan: needs.chan, score_skills, score_bound, idle_ordered: false, load_ordered: false };
        let Some(chan) = needs.chan else {
            // A channel nothing has named: no index; every agent is looked at.
            let candidates = self.agents.iter().map(|(_, a)| a).filter(|a| a.eligible(needs, &req.excluded));
            return chooser.pick(candidates);
        };
        chooser.idle_ordered = !self.by_load;
        chooser.load_ordered = self.by_load;
        let need = needs.filter();
        let eligible = |e: &&Entry| -> bool {
            self.agents.filter(e.slot).may_meet(need) && self.agents.get(e.slot).eligible_in_index(needs, &req.excluded)
        };
        if strategy == Strategy::MostSkilled {
            if let Some(best) = self.most_skilled(&chooser, needs, chan, need, &req.excluded) {
                return best;
            }
        }
        let source = self.smallest_source(needs, chan);
        chooser.pick(Merge::new(source.sets.into_iter()).filter(eligible).map(|e| self.agents.get(e.slot)))
    }

    /// The agents with a gating skill at its minimum level or above, or in the group (whichever
    /// are fewest), else all: each set of the channel in walk order.
    fn smallest_source(&self, needs: &Needs, chan: ChanId) -> Source<'_> {
        let skills = needs.skills.iter().map(|&(skill, min)| self.skill_source(chan, skill, min));
        let group = needs.group.map(|g| {
            let set = self.index.set(chan, Tag::Group(g));
            Source { sets: vec![set], len: set.len() }
        });
        skills.chain(group).min_by_key(|s| s.len).unwrap_or_else(|| {
            let set = self.index.set(chan, Tag::All);
            Source { sets: vec![set], len: set.len() }
        })
    }

    fn skill_source(&self, chan: ChanId, skill: SkillId, min: u32) -> Source<'_> {
        let sets: Vec<&BTreeSet<Entry>> = (bucket(min)..=TOP_BUCKET)
            .map(|b| self.index.set(chan, Tag::Skill(skill, b)))
            .filter(|s| !s.is_empty())
            .collect();
        let len = sets.iter().map(|s| s.len()).sum();
        Source { sets, len }
    }

    /// `most_skilled` through the level buckets of one gating skill that is also scored, from
    /// the top: a bucket is walked only while it may still hold a better score (every other
    /// scored skill counted at the highest level any agent has). `None` when no gating skill
    /// is scored (then the caller walks its source whole).
    fn most_skilled<'a>(
        &'a self,
        chooser: &Chooser,
        needs: &Needs,
        chan: ChanId,
        need: Filter,
        excluded: &[String],
    ) -> Option<Option<&'a Agent>> {
        let (skill, min) = needs
            .skills
            .iter()
            .filter(|&&(s, _)| chooser.score_skills.contains(&Some(s)))
            .min_by_key(|&&(s, min)| self.skill_source(chan, s, min).len)
            .copied()?;
        let times = chooser.score_skills.iter().filter(|&&s| s == Some(skill)).count() as u64;
        let rest = chooser.score_bound - times * self.census.max_level(skill) as u64;
        let mut best: Option<(&Agent, Measure)> = None;
        let score = |best: &Option<(&Agent, Measure)>| match best {
            Some((_, Measure::Score(s))) => Some(*s),
            _ => None,
        };
        for b in (bucket(min)..=TOP_BUCKET).rev() {
            let level = if b == TOP_BUCKET { self.census.max_level(skill).max(TOP_BUCKET) } else { b };
            let bound = times * level as u64 + rest;
            if score(&best).is_some_and(|s| s > bound) {
                break;
            }
            for e in self.index.set(chan, Tag::Skill(skill, b)) {
                if let Some((agent, Measure::Score(s))) = best {
                    // The rest of this bucket scores at most `bound` and, in idle order, comes
                    // after `agent`.
                    if s > bound
                        || (s == bound
                            && chooser.idle_ordered
                            && (e.key.idle, e.label) > (agent.idle_key(), agent.label))
                    {
                        break;
                    }
                }
                if !self.agents.filter(e.slot).may_meet(need) {
                    continue;
                }
                let agent = self.agents.get(e.slot);
                if agent.eligible_in_index(needs, excluded) {
                    chooser.offer(&mut best, agent);
                }
            }
        }
        Some(best.map(|(a, _)| a))
    }
}
