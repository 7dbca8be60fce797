//! A slot's contents: a FIFO of [`Ref`]s in a `Vec`, consumed from a cursor.
//!
//! Invariants:
//! - `refs[..head]` are consumed (only level-0 slots are consumed from the front); the slot
//!   holds `refs[head..]`.
//! - `stale` counts the refs of the slot that are stale; it never exceeds the slot's length.
//!
//! A slot is a contiguous array so that walking it reads memory sequentially (a linked list
//! of chunks costs a dependent cache miss per chunk once the lists outgrow the caches). The
//! capacity grows by a quarter at a time, so at most a fifth of it is unused; an emptied slot
//! keeps a buffer of up to [`KEEP`] refs for reuse and frees a larger one.

use serde::{Deserialize, Serialize};

/// A reference from a slot to a slab entry. It is live while the entry is armed with the same
/// `stamp`; any later arm, cancel or fire of the entry makes it stale. `low` holds the low 32
/// bits of the deadline it was armed with, enough to cascade it from levels up to 5 without
/// reading the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Ref {
    pub index: u32,
    pub stamp: u32,
    pub low: u32,
}

impl Ref {
    pub fn new(index: u32, stamp: u32, deadline: u64) -> Ref {
        Ref { index, stamp, low: deadline as u32 }
    }
}

/// Capacity an emptied slot keeps.
pub(super) const KEEP: usize = 64;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Slot {
    refs: Vec<Ref>,
    head: u32,
    stale: u32,
}

impl Slot {
    pub fn len(&self) -> usize {
        self.refs.len() - self.head as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stale(&self) -> u32 {
        self.stale
    }

    /// The refs of the slot, front to back.
    pub fn refs(&self) -> &[Ref] {
        &self.refs[self.head as usize..]
    }

    /// Bytes reserved.
    pub fn bytes(&self) -> usize {
        self.refs.capacity() * std::mem::size_of::<Ref>()
    }

    #[inline]
    pub fn push(&mut self, r: Ref) {
        if self.refs.len() == self.refs.capacity() {
            self.refs.reserve_exact((self.refs.len() / 4).max(4));
        }
        self.refs.push(r);
    }

    pub fn front(&self) -> Option<Ref> {
        self.refs.get(self.head as usize).copied()
    }

    /// Removes the front ref; `stale` says it was a stale one.
    #[inline]
    pub fn pop(&mut self, stale: bool) -> Option<Ref> {
        let r = self.front()?;
        self.head += 1;
        if stale {
            self.stale = self.stale.saturating_sub(1);
        }
        if self.is_empty() {
            self.clear();
        }
        Some(r)
    }

    /// Empties the slot, returning its refs and how many of them are stale.
    pub fn take(&mut self) -> (Vec<Ref>, u32) {
        let mut refs = std::mem::take(&mut self.refs);
        refs.drain(..self.head as usize);
        let stale = self.stale;
        *self = Slot::default();
        (refs, stale)
    }

    /// Gives an emptied slot a buffer to reuse (dropped if large).
    pub fn recycle(&mut self, mut buffer: Vec<Ref>) {
        if self.refs.capacity() == 0 && buffer.capacity() <= KEEP {
            buffer.clear();
            self.refs = buffer;
            self.head = 0;
        }
    }

    /// Appends `refs`, of which `stale` are stale.
    pub fn append(&mut self, refs: &[Ref], stale: u32) {
        if self.is_empty() && self.refs.capacity() < refs.len() {
            self.clear();
            self.refs.reserve_exact(refs.len());
        }
        self.refs.extend_from_slice(refs);
        self.stale = self.stale.saturating_add(stale).min(self.len() as u32);
    }

    /// Drops every ref.
    pub fn clear(&mut self) {
        if self.refs.capacity() > KEEP {
            self.refs = Vec::new();
        } else {
            self.refs.clear();
        }
        self.head = 0;
        self.stale = 0;
    }

    /// Counts one more stale ref. Returns whether the slot should be compacted: it now holds
    /// only stale refs, or more stale refs than live ones plus [`COMPACT_SLACK`].
    #[inline]
    pub fn note_stale(&mut self) -> bool {
        self.stale = self.stale.saturating_add(1).min(self.len() as u32);
        let live = self.len() as u32 - self.stale;
        live == 0 || self.stale > live.saturating_add(COMPACT_SLACK)
    }

    /// Keeps only the refs for which `keep` holds, in order; returns how many it dropped.
    /// `keep` is evaluated for a batch of refs before any is moved, so that the memory
    /// accesses it makes overlap.
    pub fn retain(&mut self, mut keep: impl FnMut(Ref) -> bool) -> usize {
        let before = self.len();
        self.refs.drain(..self.head as usize);
        self.head = 0;
        let mut kept = 0;
        let mut start = 0;
        while start < self.refs.len() {
            let end = (start + GATHER).min(self.refs.len());
            let mut keeps = [false; GATHER];
            for (k, &r) in keeps.iter_mut().zip(&self.refs[start..end]) {
                *k = keep(r);
            }
            for (i, &k) in (start..end).zip(&keeps) {
                if k {
                    self.refs[kept] = self.refs[i];
                    kept += 1;
                }
            }
            start = end;
        }
        self.refs.truncate(kept);
        self.stale = 0;
        if self.refs.is_empty() {
            self.clear();
        } else if self.refs.capacity() > KEEP && self.refs.capacity() > 2 * self.refs.len() {
            self.refs.shrink_to(self.refs.len() + self.refs.len() / 4);
        }
        before - kept
    }

    /// Checks the cursor and the stale count; `Err` describes the first fault.
    pub fn check(&self) -> Result<(), String> {
        if self.head as usize > self.refs.len() || (self.head > 0 && self.head as usize == self.refs.len()) {
            return Err(format!("cursor {} of {} refs", self.head, self.refs.len()));
        }
        if self.stale as usize > self.len() {
            return Err(format!("{} stale of {} refs", self.stale, self.len()));
        }
        Ok(())
    }
}

/// Stale refs a slot may hold beyond its live ones before it is compacted.
pub(super) const COMPACT_SLACK: u32 = 64;

/// Refs whose entries are read together, so that their cache misses overlap.
pub(super) const GATHER: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    fn r(index: u32) -> Ref {
        Ref::new(index, index * 2, index as u64 * 3)
    }

    fn indices(slot: &Slot) -> Vec<u32> {
        slot.refs().iter().map(|r| r.index).collect()
    }

    #[test]
    fn ref_is_12_bytes() {
        assert_eq!(std::mem::size_of::<Ref>(), 12);
    }

    #[test]
    fn fifo_with_a_cursor() {
        let mut slot = Slot::default();
        for i in 0..100 {
            slot.push(r(i));
        }
        assert!(slot.refs.capacity() <= 125, "capacity {}", slot.refs.capacity());
        for i in 0..40 {
            assert_eq!(slot.pop(false), Some(r(i)));
        }
        assert_eq!(slot.front(), Some(r(40)));
        slot.push(r(100));
        assert_eq!(indices(&slot), (40..=100).collect::<Vec<_>>());
        slot.check().unwrap();
        while slot.pop(false).is_some() {}
        assert!(slot.is_empty());
        assert_eq!(slot.refs.capacity(), 0, "a large buffer is freed");
        slot.check().unwrap();
    }

    #[test]
    fn take_skips_consumed_refs_and_recycle_keeps_small_buffers() {
        let mut slot = Slot::default();
        for i in 0..10 {
            slot.push(r(i));
        }
        slot.pop(false);
        assert!(!slot.note_stale());
        let (refs, stale) = slot.take();
        assert_eq!((refs.len(), stale, refs[0]), (9, 1, r(1)));
        assert!(slot.is_empty());
        slot.recycle(refs);
        assert!(slot.refs.capacity() >= 9 && slot.is_empty());
        slot.append(&[r(7), r(8)], 1);
        assert_eq!((indices(&slot), slot.stale()), (vec![7, 8], 1));
        slot.check().unwrap();
    }

    #[test]
    fn retain_keeps_order() {
        let mut slot = Slot::default();
        for i in 0..200 {
            slot.push(r(i));
        }
        slot.pop(false);
        assert_eq!(slot.retain(|r| r.index % 3 == 0), 133);
        assert_eq!(indices(&slot), (1..200).filter(|i| i % 3 == 0).collect::<Vec<_>>());
        slot.check().unwrap();
        assert_eq!(slot.retain(|_| false), 66);
        assert!(slot.is_empty());
        slot.check().unwrap();
    }

    #[test]
    fn compaction_trigger() {
        let mut slot = Slot::default();
        for i in 0..200 {
            slot.push(r(i));
        }
        let triggered = (0..200).position(|_| slot.note_stale()).unwrap();
        // 133 stale > 67 live + 64.
        assert_eq!(triggered + 1, 133);
        let mut slot = Slot::default();
        slot.push(r(0));
        assert!(slot.note_stale(), "an all-stale slot is compacted at once");
    }
}
