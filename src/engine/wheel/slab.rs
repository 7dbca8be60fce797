//! The timers themselves: a `Vec` of entries addressed by `u32` index, with a free list.
//!
//! Invariants:
//! - An entry is `Armed` (a timer the user holds a handle to) or `Free` (on the free list,
//!   linked by `next`). `len` counts the armed entries.
//! - `generation` identifies the timer held in an entry: it changes (never to 0) each time the
//!   entry is reused, so a handle to a cancelled or fired timer no longer matches.
//! - `stamp` identifies the current arming of an entry: it changes on every insert and reset
//!   of the entry and is kept while the entry is free, so a [`Ref`] left behind by an earlier
//!   arming no longer matches.
//!
//! The entry is an enum whose `Free` variant fits beside the niche of `NonZeroU32`, so an
//! entry costs `8 + size_of::<T>() + 8` bytes (24 for an 8-byte `T`) without `unsafe`.

use super::slot::Ref;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;

/// `None` for an entry index.
pub(super) const NIL: u32 = u32::MAX;

#[derive(Serialize, Deserialize)]
pub(super) enum Entry<T> {
    Armed { deadline: u64, value: T, generation: NonZeroU32, stamp: u32 },
    Free { next: u32, generation: u32, stamp: u32 },
}

#[derive(Serialize, Deserialize)]
pub(super) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: u32,
    len: usize,
}

fn next_generation(generation: u32) -> NonZeroU32 {
    NonZeroU32::new(generation.wrapping_add(1)).unwrap_or(NonZeroU32::MIN)
}

impl<T> Slab<T> {
    pub fn with_capacity(capacity: usize) -> Slab<T> {
        Slab { entries: Vec::with_capacity(capacity), free: NIL, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes reserved for entries.
    pub fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<T>>()
    }

    /// Entries ever allocated (armed or free).
    pub fn slots(&self) -> usize {
        self.entries.len()
    }

    /// Stores an armed timer; returns its index, generation and stamp.
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already armed.
    pub fn insert(&mut self, deadline: u64, value: T) -> (u32, NonZeroU32, u32) {
        self.len += 1;
        if let Some(&Entry::Free { next, generation, stamp }) = self.entries.get(self.free as usize) {
            let index = self.free;
            let (generation, stamp) = (next_generation(generation), stamp.wrapping_add(1));
            self.free = next;
            self.entries[index as usize] = Entry::Armed { deadline, value, generation, stamp };
            return (index, generation, stamp);
        }
        debug_assert_eq!(self.free, NIL, "free list head {} is not a free entry", self.free);
        let index = self.entries.len();
        assert!(index < NIL as usize, "timing wheel: more than {} armed timers", NIL - 1);
        self.entries.push(Entry::Armed { deadline, value, generation: NonZeroU32::MIN, stamp: 0 });
        (index as u32, NonZeroU32::MIN, 0)
    }

    /// The deadline and value of the timer `(index, generation)` if it is armed.
    pub fn get(&self, index: u32, generation: u32) -> Option<(u64, &T)> {
        match self.entries.get(index as usize)? {
            Entry::Armed { deadline, value, generation: g, .. } if g.get() == generation => Some((*deadline, value)),
            _ => None,
        }
    }

    /// The deadline of the timer `r` points to, if `r` is live: the entry is armed with the
    /// ref's stamp (and, to be doubly sure, a deadline with the ref's low bits).
    #[inline]
    pub fn live_deadline(&self, r: Ref) -> Option<u64> {
        match self.entries.get(r.index as usize)? {
            Entry::Armed { deadline, stamp, .. } if *stamp == r.stamp && *deadline as u32 == r.low => Some(*deadline),
            _ => None,
        }
    }

    /// Whether `r` is live.
    #[inline]
    pub fn is_live(&self, r: Ref) -> bool {
        matches!(
            self.entries.get(r.index as usize),
            Some(Entry::Armed { deadline, stamp, .. }) if *stamp == r.stamp && *deadline as u32 == r.low
        )
    }

    /// Moves the armed timer `(index, generation)` to `deadline` under a new stamp; returns
    /// its previous deadline and the new stamp.
    pub fn rearm(&mut self, index: u32, generation: u32, deadline: u64) -> Option<(u64, u32)> {
        match self.entries.get_mut(index as usize)? {
            Entry::Armed { deadline: d, generation: g, stamp, .. } if g.get() == generation => {
                let old = std::mem::replace(d, deadline);
                *stamp = stamp.wrapping_add(1);
                Some((old, *stamp))
            }
            _ => None,
        }
    }

    /// Frees the armed timer `(index, generation)`; returns its deadline and value.
    pub fn remove(&mut self, index: u32, generation: u32) -> Option<(u64, T)> {
        match self.entries.get(index as usize)? {
            Entry::Armed { generation: g, .. } if g.get() == generation => Some(self.free_entry(index)),
            _ => None,
        }
    }

    /// Frees the timer `r` points to if `r` is live; returns its deadline and value.
    #[inline]
    pub fn take(&mut self, r: Ref) -> Option<(u64, T)> {
        self.live_deadline(r)?;
        Some(self.free_entry(r.index))
    }

    /// Frees an armed entry. The caller has checked that `index` is armed.
    fn free_entry(&mut self, index: u32) -> (u64, T) {
        let slot = &mut self.entries[index as usize];
        let (generation, stamp) = match slot {
            Entry::Armed { generation, stamp, .. } => (generation.get(), *stamp),
            Entry::Free { generation, stamp, .. } => (*generation, *stamp),
        };
        let old = std::mem::replace(slot, Entry::Free { next: self.free, generation, stamp });
        match old {
            Entry::Armed { deadline, value, .. } => {
                self.free = index;
                self.len -= 1;
                (deadline, value)
            }
            Entry::Free { .. } => unreachable!("entry {index} freed twice"),
        }
    }

    /// Checks the free list and the armed count; `Err` describes the first fault.
    pub fn check(&self) -> Result<(), String> {
        let armed = self.entries.iter().filter(|e| matches!(e, Entry::Armed { .. })).count();
        if armed != self.len {
            return Err(format!("slab: {armed} armed entries, len {}", self.len));
        }
        let (mut at, mut free) = (self.free, 0usize);
        while at != NIL {
            match self.entries.get(at as usize) {
                Some(Entry::Free { next, .. }) => at = *next,
                other => return Err(format!("slab: free list reaches {at}, armed: {}", other.is_some())),
            }
            free += 1;
            if free > self.entries.len() {
                return Err("slab: cycle in the free list".to_owned());
            }
        }
        if free + armed != self.entries.len() {
            return Err(format!("slab: {free} free + {armed} armed != {} entries", self.entries.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_24_bytes_for_an_8_byte_payload() {
        assert_eq!(std::mem::size_of::<Entry<u64>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<(u32, u32)>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<[u8; 8]>>(), 24);
    }

    #[test]
    fn generations_and_stamps_change_on_reuse() {
        let mut slab = Slab::with_capacity(0);
        let (i, g, s) = slab.insert(10, 'a');
        let g = g.get();
        assert_eq!(slab.get(i, g), Some((10, &'a')));
        let r = Ref::new(i, s, 10);
        assert_eq!(slab.live_deadline(r), Some(10));
        let (old, s2) = slab.rearm(i, g, 20).unwrap();
        assert_eq!((old, slab.live_deadline(r)), (10, None));
        let r2 = Ref::new(i, s2, 20);
        assert_eq!(slab.take(r2), Some((20, 'a')));
        assert_eq!(slab.take(r2), None);
        assert_eq!(slab.remove(i, g), None);
        assert_eq!(slab.rearm(i, g, 5), None);
        let (i3, g3, s3) = slab.insert(30, 'b');
        let g3 = g3.get();
        assert_eq!(i3, i);
        assert_ne!(g3, g);
        assert!(s3 != s && s3 != s2);
        assert_eq!(slab.get(i, g), None);
        assert_eq!(slab.live_deadline(r2), None);
        assert_eq!(slab.remove(i3, g3), Some((30, 'b')));
        assert_eq!(slab.len(), 0);
        slab.check().unwrap();
    }

    #[test]
    fn generation_skips_zero_when_it_wraps() {
        assert_eq!(next_generation(u32::MAX), NonZeroU32::MIN);
        assert_eq!(next_generation(7).get(), 8);
    }

    #[test]
    fn out_of_range_indices_are_stale() {
        let mut slab: Slab<u8> = Slab::with_capacity(0);
        assert_eq!(slab.get(5, 1), None);
        assert_eq!(slab.remove(u32::MAX, 1), None);
        assert_eq!(slab.rearm(3, 1, 0), None);
        assert!(!slab.is_live(Ref::new(9, 0, 0)));
    }
}
