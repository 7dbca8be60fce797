//! The tenant's queue, indexed by requirement signature (gating skills, group, channel): each
//! signature keeps its tickets in queue order, so an agent looks at each signature it
//! qualifies for once and takes the best head. Signatures are listed per channel under an
//! anchor: none, or one or two of their tags (a gating skill or the group), the rarest among
//! agents. An agent visits the unanchored lists, the lists of its own tags, and the lists of
//! pairs of its tags (found from each of its tags through the partners that tag has in the
//! queue), so it never looks at a signature that needs a skill or group it lacks when that
//! skill or group is one of the two anchoring it.

use super::agents::Agent;
use super::eligibility::Needs;
use super::intern::{GroupId, SkillId};
use super::TicketRef;
use crate::contract::Priority;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A queued ticket's place in queue order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueKey {
    pub priority: Priority,
    /// The earliest breach instant among the ticket's running cycles; `None` sorts after every `Some`.
    pub breach_at: Option<i64>,
    pub round_start: i64,
    pub ticket_id: String,
}

/// Queue order: priority (`Urgent` first), then `breach_at` ascending with `None` last, then
/// `round_start`, then `ticket_id` (byte order).
impl Ord for QueueKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| match (self.breach_at, other.breach_at) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| self.round_start.cmp(&other.round_start))
            .then_with(|| self.ticket_id.cmp(&other.ticket_id))
    }
}

impl PartialOrd for QueueKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A skill or a group, as one number: skills even, groups odd.
pub(super) type TagId = u32;

pub(super) fn skill_tag(skill: SkillId) -> TagId {
    skill * 2
}

pub(super) fn group_tag(group: GroupId) -> TagId {
    group * 2 + 1
}

/// Where a signature is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(super) enum Anchor {
    Free,
    One(TagId),
    /// Two tags, the smaller first.
    Two(TagId, TagId),
}

type SigId = u32;

/// A ticket in its signature's set; `excluding` says whether it has exclusions to check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct QEntry {
    key: QueueKey,
    ticket: TicketRef,
    excluding: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Signature {
    /// `chan` is always `Some`.
    needs: Needs,
    anchor: Anchor,
    /// Position in its anchor list.
    pos: usize,
    entries: BTreeSet<QEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Queued {
    key: QueueKey,
    sig: SigId,
    excluded: Vec<String>,
}

impl Queued {
    fn entry(&self, ticket: TicketRef) -> QEntry {
        QEntry { key: self.key.clone(), ticket, excluding: !self.excluded.is_empty() }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ChanQueue {
    lists: FxHashMap<Anchor, Vec<SigId>>,
    /// For each tag `a`, the tags `b > a` with a list under `Two(a, b)`.
    partners: FxHashMap<TagId, Vec<TagId>>,
    /// Tickets queued on the channel.
    len: usize,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Queue {
    tickets: FxHashMap<TicketRef, Queued>,
    sigs: Vec<Option<Signature>>,
    free: Vec<SigId>,
    lookup: FxHashMap<Needs, SigId>,
    chans: Vec<ChanQueue>,
}

impl Queue {
    /// Adds the lists of the next channel id.
    pub fn add_channel(&mut self) {
        self.chans.push(ChanQueue::default());
    }

    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    pub fn contains(&self, ticket: TicketRef) -> bool {
        self.tickets.contains_key(&ticket)
    }

    /// Queues a ticket (replacing its place if it was queued). `anchor_of` picks the anchor of a
    /// signature seen for the first time.
    pub fn insert(
        &mut self,
        ticket: TicketRef,
        key: QueueKey,
        needs: Needs,
        excluded: Vec<String>,
        anchor_of: impl FnOnce(&Needs) -> Anchor,
    ) {
        self.remove(ticket);
        let sig = self.signature(needs, anchor_of);
        let queued = Queued { key, sig, excluded };
        self.add_entry(sig, queued.entry(ticket));
        self.tickets.insert(ticket, queued);
    }

    pub fn remove(&mut self, ticket: TicketRef) -> bool {
        let Some(queued) = self.tickets.remove(&ticket) else {
            return false;
        };
        self.remove_entry(queued.sig, &queued.entry(ticket));
        true
    }

    pub fn set_key(&mut self, ticket: TicketRef, key: QueueKey) {
        let Some(queued) = self.tickets.get(&ticket) else {
            return;
        };
        if queued.key == key {
            return;
        }
        let (sig, old) = (queued.sig, queued.entry(ticket));
        let queued = self.tickets.get_mut(&ticket).expect("queued");
        queued.key = key;
        let new = queued.entry(ticket);
        let entries = &mut self.sig_mut(sig).entries;
        entries.remove(&old);
        entries.insert(new);
    }

    pub fn set_needs(
        &mut self,
        ticket: TicketRef,
        needs: Needs,
        excluded: Vec<String>,
        anchor_of: impl FnOnce(&Needs) -> Anchor,
    ) {
        let Some(queued) = self.tickets.get(&ticket) else {
            return;
        };
        if self.sig(queued.sig).needs == needs && queued.excluded == excluded {
            return;
        }
        let key = queued.key.clone();
        self.insert(ticket, key, needs, excluded, anchor_of);
    }

    /// The whole queue in queue order.
    pub fn in_order(&self) -> Vec<TicketRef> {
        let mut all: Vec<(&QueueKey, TicketRef)> = self.tickets.iter().map(|(&t, q)| (&q.key, t)).collect();
        all.sort_unstable();
        all.into_iter().map(|(_, t)| t).collect()
    }

    /// The first ticket in queue order the agent is eligible for. The agent must be available.
    pub fn first_for(&self, agent: &Agent) -> Option<TicketRef> {
        debug_assert!(agent.is_available());
        let mut tags: Vec<TagId> =
            agent.skill_tags().map(skill_tag).chain(agent.profile.groups.iter().map(|&g| group_tag(g))).collect();
        tags.sort_unstable();
        let mut best: Option<&QEntry> = None;
        for (chan, cq) in self.chans.iter().enumerate() {
            if cq.len == 0 || !agent.has_room(chan as u32) {
                continue;
            }
            let ones = tags.iter().map(|&t| Anchor::One(t));
            let twos = tags.iter().flat_map(|&a| {
                let partners = cq.partners.get(&a).map_or(&[][..], Vec::as_slice);
                partners.iter().filter(|b| tags.binary_search(b).is_ok()).map(move |&b| Anchor::Two(a, b))
            });
            for anchor in std::iter::once(Anchor::Free).chain(ones).chain(twos) {
                let Some(list) = cq.lists.get(&anchor) else {
                    continue;
                };
                for &sig in list {
                    let sig = self.sig(sig);
                    if !agent.qualifies(&sig.needs) {
                        continue;
                    }
                    for entry in &sig.entries {
                        if best.is_some_and(|b| entry >= b) {
                            break;
                        }
                        if entry.excluding && agent.excluded_by(&self.tickets[&entry.ticket].excluded) {
                            continue;
                        }
                        best = Some(entry);
                        break;
                    }
                }
            }
        }
        best.map(|e| e.ticket)
    }

    /// Signatures and tickets per channel, for tests.
    #[cfg(test)]
    pub fn check_invariants(&self) {
        let mut per_chan = vec![0usize; self.chans.len()];
        for (&ticket, queued) in &self.tickets {
            let sig = self.sig(queued.sig);
            assert!(sig.entries.contains(&queued.entry(ticket)));
            per_chan[sig.needs.chan.expect("a named channel") as usize] += 1;
        }
        let mut entries = 0;
        for (id, sig) in self.sigs.iter().enumerate() {
            let Some(sig) = sig else { continue };
            assert!(!sig.entries.is_empty(), "an empty signature is dropped");
            entries += sig.entries.len();
            assert_eq!(self.lookup[&sig.needs], id as SigId);
            let chan = sig.needs.chan.expect("a named channel") as usize;
            assert_eq!(self.chans[chan].lists[&sig.anchor][sig.pos], id as SigId);
        }
        for cq in &self.chans {
            let mut pairs: Vec<(TagId, TagId)> = cq
                .lists
                .keys()
                .filter_map(|anchor| match *anchor {
                    Anchor::Two(a, b) => Some((a, b)),
                    _ => None,
                })
                .collect();
            pairs.sort_unstable();
            let mut listed: Vec<(TagId, TagId)> =
                cq.partners.iter().flat_map(|(&a, bs)| bs.iter().map(move |&b| (a, b))).collect();
            listed.sort_unstable();
            assert_eq!(pairs, listed, "partners match the pair lists");
            assert!(cq.lists.values().all(|l| !l.is_empty()));
        }
        assert_eq!(entries, self.tickets.len());
        for (chan, cq) in self.chans.iter().enumerate() {
            assert_eq!(cq.len, per_chan[chan]);
        }
    }

    fn signature(&mut self, needs: Needs, anchor_of: impl FnOnce(&Needs) -> Anchor) -> SigId {
        if let Some(&id) = self.lookup.get(&needs) {
            return id;
        }
        let chan = needs.chan.expect("a queued ticket's channel is named") as usize;
        let anchor = anchor_of(&needs);
        let cq = &mut self.chans[chan];
        if let Anchor::Two(a, b) = anchor {
            if !cq.lists.contains_key(&anchor) {
                cq.partners.entry(a).or_default().push(b);
            }
        }
        let list = cq.lists.entry(anchor).or_default();
        let sig = Signature { needs: needs.clone(), anchor, pos: list.len(), entries: BTreeSet::new() };
        let id = match self.free.pop() {
            Some(id) => {
                self.sigs[id as usize] = Some(sig);
                id
            }
            None => {
                self.sigs.push(Some(sig));
                (self.sigs.len() - 1) as SigId
            }
        };
        list.push(id);
        self.lookup.insert(needs, id);
        id
    }

    fn add_entry(&mut self, sig: SigId, entry: QEntry) {
        let sig = self.sig_mut(sig);
        let chan = sig.needs.chan.expect("named") as usize;
        sig.entries.insert(entry);
        self.chans[chan].len += 1;
    }

    fn remove_entry(&mut self, id: SigId, entry: &QEntry) {
        let sig = self.sig_mut(id);
        let removed = sig.entries.remove(entry);
        debug_assert!(removed, "a queued ticket missing from its signature");
        let (chan, empty) = (sig.needs.chan.expect("named") as usize, sig.entries.is_empty());
        self.chans[chan].len -= 1;
        if empty {
            self.drop_signature(id);
        }
    }

    fn drop_signature(&mut self, id: SigId) {
        let sig = self.sigs[id as usize].take().expect("a live signature");
        self.lookup.remove(&sig.needs);
        let cq = &mut self.chans[sig.needs.chan.expect("named") as usize];
        let list = cq.lists.get_mut(&sig.anchor).expect("an anchor list");
        list.swap_remove(sig.pos);
        if let Some(&moved) = list.get(sig.pos) {
            self.sigs[moved as usize].as_mut().expect("a live signature").pos = sig.pos;
        }
        if list.is_empty() {
            cq.lists.remove(&sig.anchor);
            if let Anchor::Two(a, b) = sig.anchor {
                let partners = cq.partners.get_mut(&a).expect("partners of a pair");
                partners.retain(|&p| p != b);
                if partners.is_empty() {
                    cq.partners.remove(&a);
                }
            }
        }
        self.free.push(id);
    }

    fn sig(&self, id: SigId) -> &Signature {
        self.sigs[id as usize].as_ref().expect("a live signature")
    }

    fn sig_mut(&mut self, id: SigId) -> &mut Signature {
        self.sigs[id as usize].as_mut().expect("a live signature")
    }
}
