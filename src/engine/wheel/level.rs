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
//! - `refs` is the number of refs in all slots; `stale[s]` is at most the slot's length and
//!   counts refs known to be stale;
//! - every occupied slot is at or after digit `l` of `pos`, strictly after it for `l >= 1`.

use super::list::{Pool, Ref, RefList};

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

#[derive(Clone, Copy, Default)]
struct Slot {
    list: RefList,
    stale: u32,
}

pub(super) struct Level {
    occupied: u64,
    refs: usize,
    slots: [Slot; SLOTS],
}

impl Level {
    pub fn new() -> Level {
        Level { occupied: 0, refs: 0, slots: [Slot::default(); SLOTS] }
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

    /// The first occupied slot.
    #[inline]
    pub fn first_slot(&self) -> Option<usize> {
        (self.occupied != 0).then(|| self.occupied.trailing_zeros() as usize)
    }

    #[inline]
    pub fn push(&mut self, pool: &mut Pool, slot: usize, r: Ref) {
        self.slots[slot].list.push(pool, r);
        self.occupied |= 1 << slot;
        self.refs += 1;
    }

    /// The ref at the front of `slot`.
    pub fn front(&self, pool: &Pool, slot: usize) -> Option<Ref> {
        self.slots[slot].list.front(pool)
    }

    /// Removes the ref at the front of `slot`; `stale` says it was a stale one.
    #[inline]
    pub fn pop(&mut self, pool: &mut Pool, slot: usize, stale: bool) -> Option<Ref> {
        let s = &mut self.slots[slot];
        let r = s.list.pop(pool)?;
        self.refs -= 1;
        if stale {
            s.stale = s.stale.saturating_sub(1);
        }
        if s.list.is_empty() {
            s.stale = 0;
            self.occupied &= !(1 << slot);
        }
        Some(r)
    }

    /// Empties `slot`, returning its list.
    pub fn take(&mut self, slot: usize) -> RefList {
        let s = std::mem::take(&mut self.slots[slot]);
        self.occupied &= !(1 << slot);
        self.refs -= s.list.len();
        s.list
    }

    /// Empties `slot`, returning its list and its count of stale refs.
    pub fn take_with_stale(&mut self, slot: usize) -> (RefList, u32) {
        let stale = self.slots[slot].stale;
        (self.take(slot), stale)
    }

    /// Appends `list`, of which `stale` refs are stale, to `slot`.
    pub fn append(&mut self, pool: &mut Pool, slot: usize, list: RefList, stale: u32) {
        if list.is_empty() {
            return;
        }
        let s = &mut self.slots[slot];
        s.list.append(pool, list);
        s.stale = s.stale.saturating_add(stale).min(s.list.len() as u32);
        self.refs += list.len();
        self.occupied |= 1 << slot;
    }

    /// Counts one more stale ref in `slot`. Returns whether the slot should be compacted: it
    /// now holds only stale refs, or more stale refs than live ones plus [`COMPACT_SLACK`].
    #[inline]
    pub fn note_stale(&mut self, slot: usize) -> bool {
        let s = &mut self.slots[slot];
        s.stale = s.stale.saturating_add(1).min(s.list.len() as u32);
        let live = s.list.len() as u32 - s.stale;
        live == 0 || s.stale > live.saturating_add(COMPACT_SLACK)
    }

    /// Calls `f` on every (slot, list).
    pub fn for_each_slot(&self, mut f: impl FnMut(usize, &RefList, u32)) {
        let mut bits = self.occupied;
        while bits != 0 {
            let slot = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            f(slot, &self.slots[slot].list, self.slots[slot].stale);
        }
    }

    /// Checks the bitmap and counts against the lists; `Err` describes the first fault.
    pub fn check(&self, pool: &Pool) -> Result<(), String> {
        let mut refs = 0;
        for (slot, s) in self.slots.iter().enumerate() {
            s.list.check(pool).map_err(|e| format!("slot {slot}: {e}"))?;
            if (self.occupied >> slot & 1 == 1) == s.list.is_empty() {
                return Err(format!("slot {slot}: {} refs, occupied {:064b}", s.list.len(), self.occupied));
            }
            if s.stale as usize > s.list.len() {
                return Err(format!("slot {slot}: {} stale of {} refs", s.stale, s.list.len()));
            }
            refs += s.list.len();
        }
        if refs != self.refs {
            return Err(format!("{refs} refs in slots, counted {}", self.refs));
        }
        Ok(())
    }
}

/// Stale refs a slot may hold beyond its live ones before it is compacted.
pub(super) const COMPACT_SLACK: u32 = 64;

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
    fn bitmap_tracks_lists() {
        let mut pool = Pool::with_capacity(0);
        let mut level = Level::new();
        assert_eq!(level.first_slot(), None);
        level.push(&mut pool, 9, Ref::new(1, 0, 0));
        level.push(&mut pool, 3, Ref::new(2, 0, 0));
        assert_eq!(level.first_slot(), Some(3));
        assert_eq!(level.refs(), 2);
        assert!(level.note_stale(3));
        assert_eq!(level.pop(&mut pool, 3, true), Some(Ref::new(2, 0, 0)));
        assert_eq!(level.first_slot(), Some(9));
        let list = level.take(9);
        assert_eq!((list.len(), level.refs(), level.occupied()), (1, 0, 0));
        level.append(&mut pool, 40, list, 0);
        assert_eq!(level.first_slot(), Some(40));
        level.check(&pool).unwrap();
    }
}
