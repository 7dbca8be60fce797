//! The choice among eligible agents (ROUTING.md, Choice of agent): the strategy's own measure,
//! then longest idle, then the smallest `agent_id`; and the walks over the index that find it
//! without looking at every agent.

use super::agents::{Agent, Slot};
use super::eligibility::{Needs, Requirements};
use super::index::{bucket, Members, Tag, TOP_BUCKET};
use super::intern::{ChanId, SkillId};
use super::RoutingTable;
use crate::engine::rules::Strategy;
use std::cmp::Ordering;

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

/// The agents a requirement admits, unordered: a gating skill at its minimum level or above
/// (several level buckets), or a group.
enum TagSource<'a> {
    Skill { skill: SkillId, min: u32, len: usize },
    Group(&'a Members),
}

impl TagSource<'_> {
    fn len(&self) -> usize {
        match self {
            TagSource::Skill { len, .. } => *len,
            TagSource::Group(set) => set.len(),
        }
    }
}

impl RoutingTable {
    /// The choice for a ticket (see [`RoutingTable::choose_agent`]).
    ///
    /// On a named channel: walk the channel's set (agents with room there, in the index order)
    /// until nothing later can be better, testing each agent's bits first; or, when the
    /// smallest set of agents the ticket's skills or group admit is small (or the walk has
    /// gone on four times that long), read that set whole instead.
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
        let excluded = &req.excluded[..];
        let Some(chan) = needs.chan else {
            // A channel nothing has named: no index; every agent is looked at.
            return chooser.pick(self.agents.iter().map(|(_, a)| a).filter(|a| a.eligible(needs, excluded)));
        };
        let skills = needs.skills.iter().map(|&(skill, min)| TagSource::Skill {
            skill,
            min,
            len: self.skill_sets(skill, min).map(Members::len).sum(),
        });
        let group = needs.group.map(|g| TagSource::Group(self.index.tag(Tag::Group(g))));
        let tags = skills.chain(group).min_by_key(TagSource::len);
        if tags.as_ref().is_some_and(|t| t.len() == 0) {
            return None;
        }
        if strategy == Strategy::MostSkilled {
            if let Some(best) = self.most_skilled(&chooser, needs, excluded) {
                return best;
            }
        }
        let room = self.index.room(chan);
        let read_tags_now = tags.as_ref().is_some_and(|t| t.len() <= 16 || t.len() * t.len() <= room.len());
        if !read_tags_now {
            chooser.idle_ordered = !self.by_load;
            chooser.load_ordered = self.by_load;
            let mut budget = tags.as_ref().map_or(usize::MAX, |t| 4 * t.len());
            let need = needs.filter();
            let mut best = None;
            let mut done = true;
            for e in room.walk(need.bits()) {
                if budget == 0 {
                    done = false;
                    break;
                }
                budget -= 1;
                if !e.filter.may_meet(need) {
                    continue;
                }
                let agent = self.agents.get(e.slot);
                if agent.eligible_in_index(needs, excluded) {
                    chooser.offer(&mut best, agent);
                    if best.is_some_and(|(_, m)| chooser.unbeatable(m)) {
                        break;
                    }
                }
            }
            if done {
                return best.map(|(a, _)| a);
            }
        }
        // Read the admitted agents whole.
        chooser.idle_ordered = false;
        chooser.load_ordered = false;
        let slots: Box<dyn Iterator<Item = Slot> + '_> = match tags.expect("a tag source") {
            TagSource::Skill { skill, min, .. } => {
                Box::new(self.skill_sets(skill, min).flat_map(|m| m.slots().iter().copied()))
            }
            TagSource::Group(set) => Box::new(set.slots().iter().copied()),
        };
        chooser.pick(slots.map(|slot| self.agents.get(slot)).filter(|a| a.eligible(needs, excluded)))
    }

    /// The sets of the available agents with the skill at `min` or above: its level buckets.
    fn skill_sets(&self, skill: SkillId, min: u32) -> impl Iterator<Item = &Members> + '_ {
        (bucket(min)..=TOP_BUCKET).map(move |b| self.index.tag(Tag::Skill(skill, b)))
    }

    /// `most_skilled` through the level buckets of one gating skill that is also scored, from
    /// the top: a bucket is read only while it may still hold a better score (every other
    /// scored skill counted at the highest level any agent has). `None` when no gating skill
    /// is scored (then the caller walks as for any strategy).
    fn most_skilled<'a>(&'a self, chooser: &Chooser, needs: &Needs, excluded: &[String]) -> Option<Option<&'a Agent>> {
        let (skill, min) = needs
            .skills
            .iter()
            .filter(|&&(s, _)| chooser.score_skills.contains(&Some(s)))
            .min_by_key(|&&(s, min)| self.skill_sets(s, min).map(Members::len).sum::<usize>())
            .copied()?;
        let times = chooser.score_skills.iter().filter(|&&s| s == Some(skill)).count() as u64;
        let rest = chooser.score_bound - times * self.census.max_level(skill) as u64;
        let mut best: Option<(&Agent, Measure)> = None;
        let need = needs.filter().bits();
        for b in (bucket(min)..=TOP_BUCKET).rev() {
            let level = if b == TOP_BUCKET { self.census.max_level(skill).max(TOP_BUCKET) } else { b };
            let bound = times * level as u64 + rest;
            if matches!(best, Some((_, Measure::Score(s))) if s > bound) {
                break;
            }
            if !self.by_skill {
                for &slot in self.index.tag(Tag::Skill(skill, b)).slots() {
                    let agent = self.agents.get(slot);
                    if agent.eligible(needs, excluded) {
                        chooser.offer(&mut best, agent);
                    }
                }
                continue;
            }
            for e in self.index.ranked(skill, b).walk(need) {
                if let Some((agent, Measure::Score(s))) = best {
                    // The rest of this bucket scores at most `bound` and comes after `agent`
                    // in idle order.
                    if s > bound || (s == bound && (e.idle, e.label) > (agent.idle_key(), agent.label)) {
                        break;
                    }
                }
                if e.bits & need != need {
                    continue;
                }
                let agent = self.agents.get(e.slot);
                if agent.eligible(needs, excluded) {
                    chooser.offer(&mut best, agent);
                }
            }
        }
        Some(best.map(|(a, _)| a))
    }
}
