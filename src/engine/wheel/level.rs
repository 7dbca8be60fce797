//! One level of the wheel: 64 slots of `64^level` ms each, with a `u64` occupancy bitmap,
//! and the arithmetic that places a deadline on a level and slot.
//!
//! Time is split into 6-bit digits: digit `l` of `t` is `(t >> 6l) & 63`. Relative to the
//! wheel position `pos`, a deadline `d >= pos` belongs on the level of the highest digit in
//! which `d` and `pos` differ (level 0 if they differ in none), in the slot numbered by that
//! digit of `d`. Eleven levels cover every `u64`: level 10 holds digit 10 (bits 60..64).
//!
//! Invariants, for a level `l` of a wheel at position `pos`:
//! - bit `s` of `occupied` is set iff slot `s` holds at least one ref (live or stale);
//! - `refs` is the number of refs in all slots;
//! - every occupied slot is at or after digit `l` of `pos`, strictly after it for `l >= 1`.

use super::slot::{Ref, Slot};
use serde::{Deserialize, Serialize};

/// Levels of the wheel.
pub(super) const LEVELS: usize = 11;
/// Bits per digit.
pub(super) const BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << BITS;

/// The level of a deadline `deadline >= pos`.
#[inline]
pub(super) fn level_for(pos: u64, deadline: u64) -> usize {
    let masked = (pos ^ deadline) | (SLOTS as u64 - 1);
    (masked.ilog2() / BITS) as usize
}

/// Digit `level` of `t`: the slot of `t` on that level.
#[inline]
pub(super) fn slot_for(t: u64, level: usize) -> usize {
    ((t >> (level as u32 * BITS)) & (SLOTS as u64 - 1)) as usize
}

/// The first instant of slot `slot` of level `level`, for a wheel at position `pos`.
#[inline]
pub(super) fn slot_start(pos: u64, level: usize, slot: usize) -> u64 {
    let above = (level as u32 + 1) * BITS;
    let base = if above >= u64::BITS { 0 } else { pos >> above << above };
    base | ((slot as u64) << (level as u32 * BITS))
}

/// Milliseconds covered by one slot of `level`.
#[inline]
pub(super) fn slot_width(level: usize) -> u64 {
    1 << (level as u32 * BITS)
}

#[derive(Serialize, Deserialize)]
pub(super) struct Level {
    occupied: u64,
    refs: usize,
    #[serde(with = "crate::checkpoint::fields::array")]
    slots: [Slot; SLOTS],
}

impl Level {
    pub fn new() -> Level {
        Level { occupied: 0, refs: 0, slots: std::array::from_fn(|_| Slot::default()) }
    }

    pub fn occupied(&self) -> u64 {
        self.occupied
    }

    pub fn is_empty(&self) -> bool {
        self.occupied == 0
    }

    /// Refs on this level.
    pub fn refs(&self) -> usize {
        self.refs
    }

    /// Bytes reserved by the slots' buffers.
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(Slot::bytes).sum()
    }

    /// The first occupied slot.
    #[inline]
    pub fn first_slot(&self) -> Option<usize> {
        (self.occupied != 0).then(|| self.occupied.trailing_zeros() as usize)
    }

    #[inline]
    pub fn push(&mut self, slot: usize, r: Ref) {
        self.slots[slot].push(r);
        self.occupied |= 1 << slot;
        self.refs += 1;
    }

    /// The ref at the front of `slot`.
    pub fn front(&self, slot: usize) -> Option<Ref> {
        self.slots[slot].front()
    }

    /// Removes the ref at the front of `slot`; `stale` says it was a stale one.
    #[inline]
    pub fn pop(&mut self, slot: usize, stale: bool) -> Option<Ref> {
        let s = &mut self.slots[slot];
        let r = s.pop(stale)?;
        self.refs -= 1;
        if s.is_empty() {
            self.occupied &= !(1 << slot);
        }
        Some(r)
    }

    /// Empties `slot`, returning its refs and how many of them are stale.
    pub fn take(&mut self, slot: usize) -> (Vec<Ref>, u32) {
        let (refs, stale) = self.slots[slot].take();
        self.occupied &= !(1 << slot);
        self.refs -= refs.len();
        (refs, stale)
    }

    /// Gives the emptied `slot` back a buffer to reuse.
    pub fn recycle(&mut self, slot: usize, buffer: Vec<Ref>) {
        self.slots[slot].recycle(buffer);
    }

    /// Appends `refs`, of which `stale` are stale, to `slot`.
    pub fn append(&mut self, slot: usize, refs: &[Ref], stale: u32) {
        if refs.is_empty() {
            return;
        }
        self.slots[slot].append(refs, stale);
        self.refs += refs.len();
        self.occupied |= 1 << slot;
    }

    /// Counts one more stale ref in `slot`; whether the slot should now be compacted.
    #[inline]
    pub fn note_stale(&mut self, slot: usize) -> bool {
        self.slots[slot].note_stale()
    }

    /// Stale refs in `slot`.
    pub fn stale(&self, slot: usize) -> u32 {
        self.slots[slot].stale()
    }

    /// Whether every ref of `slot` is stale.
    pub fn all_stale(&self, slot: usize) -> bool {
        self.slots[slot].stale() as usize == self.slots[slot].len()
    }

    /// Keeps the refs of `slot` for which `keep` holds; returns how many it dropped.
    pub fn retain(&mut self, slot: usize, keep: impl FnMut(Ref) -> bool) -> usize {
        let dropped = self.slots[slot].retain(keep);
        self.refs -= dropped;
        if self.slots[slot].is_empty() {
            self.occupied &= !(1 << slot);
        }
        dropped
    }

    /// Calls `f` on every occupied slot: (slot, refs, stale count).
    pub fn for_each_slot(&self, mut f: impl FnMut(usize, &[Ref], u32)) {
        let mut bits = self.occupied;
        while bits != 0 {
            let slot = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            f(slot, self.slots[slot].refs(), self.slots[slot].stale());
        }
    }

    /// Checks the bitmap and counts against the slots; `Err` describes the first fault.
    pub fn check(&self) -> Result<(), String> {
        let mut refs = 0;
        for (slot, s) in self.slots.iter().enumerate() {
            s.check().map_err(|e| format!("slot {slot}: {e}"))?;
            if (self.occupied >> slot & 1 == 1) == s.is_empty() {
                return Err(format!("slot {slot}: {} refs, occupied {:064b}", s.len(), self.occupied));
            }
            refs += s.len();
        }
        if refs != self.refs {
            return Err(format!("{refs} refs in slots, counted {}", self.refs));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 64^n.
    fn span(n: u32) -> u64 {
        1u64.checked_shl(n * BITS).unwrap_or(0)
    }

    #[test]
    fn level_boundaries_from_zero() {
        // (deadline - pos, expected level) at every level boundary.
        let mut cases = vec![(0, 0), (1, 0), (63, 0)];
        for level in 1..LEVELS as u32 {
            cases.push((span(level), level as usize));
            cases.push((span(level) + 1, level as usize));
            cases.push((span(level).saturating_mul(63), level as usize));
            cases.push((span(level + 1).wrapping_sub(1), level as usize));
        }
        cases.push((u64::MAX, LEVELS - 1));
        for (delta, level) in cases {
            assert_eq!(level_for(0, delta), level, "delta {delta:#x}");
            assert_eq!(
                slot_start(0, level, slot_for(delta, level)),
                delta >> (level as u32 * BITS) << (level as u32 * BITS)
            );
        }
    }

    #[test]
    fn ten_years_fit_below_level_7_and_2_pow_42_reaches_it() {
        let ten_years = 10 * 366 * 86_400_000u64;
        assert!(level_for(0, ten_years) <= 6);
        assert_eq!(level_for(0, span(7) - 1), 6);
        assert_eq!(level_for(0, span(7)), 7);
    }

    #[test]
    fn level_is_the_highest_differing_digit_not_the_distance() {
        // One ms apart but across a 4096 boundary: level 2.
        assert_eq!(level_for(4095, 4096), 2);
        assert_eq!(slot_for(4096, 2), 1);
        assert_eq!(slot_start(4095, 2, 1), 4096);
        // 100 ms apart inside one 64^2 block: level 1.
        assert_eq!(level_for(4096, 4196), 1);
        // Equal: level 0, the slot of `pos` itself.
        assert_eq!(level_for(12345, 12345), 0);
        assert_eq!(slot_start(12345, 0, slot_for(12345, 0)), 12345);
        // The top of u64.
        assert_eq!(level_for(u64::MAX - 1, u64::MAX), 0);
        assert_eq!(level_for(0, u64::MAX), 10);
        assert_eq!(slot_for(u64::MAX, 10), 15);
        assert_eq!(slot_start(0, 10, 15), 15 << 60);
        assert_eq!(slot_start(u64::MAX, 0, 63), u64::MAX);
    }

    #[test]
    fn slot_widths() {
        assert_eq!(slot_width(0), 1);
        assert_eq!(slot_width(1), 64);
        assert_eq!(slot_width(10), 1 << 60);
    }

    #[test]
    fn bitmap_tracks_slots() {
        let mut level = Level::new();
        assert_eq!(level.first_slot(), None);
        level.push(9, Ref::new(1, 0, 0));
        level.push(3, Ref::new(2, 0, 0));
        assert_eq!(level.first_slot(), Some(3));
        assert_eq!(level.refs(), 2);
        assert!(level.note_stale(3));
        assert!(level.all_stale(3));
        assert_eq!(level.pop(3, true), Some(Ref::new(2, 0, 0)));
        assert_eq!(level.first_slot(), Some(9));
        let (refs, stale) = level.take(9);
        assert_eq!((refs.len(), stale, level.refs(), level.occupied()), (1, 0, 0, 0));
        level.append(40, &refs, 0);
        level.recycle(9, refs);
        assert_eq!(level.first_slot(), Some(40));
        assert_eq!(level.retain(40, |_| false), 1);
        assert!(level.is_empty());
        level.check().unwrap();
    }
}
