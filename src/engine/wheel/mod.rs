//! Hierarchical timing wheel: millisecond deadlines (`u64`), values of type `T`, exact due
//! order (ties in insertion order), O(1) insert, cancel and reset with generation-checked
//! handles.
//!
//! # Layout
//!
//! - `slab`: the timers, in a `Vec` of 24-byte entries (for an 8-byte `T`) addressed by
//!   `u32` index, with a free list. A [`TimerHandle`] is an index and a generation.
//! - `level`: eleven levels of 64 slots; a slot of level `l` spans `64^l` ms, and each level
//!   keeps a `u64` bitmap of its occupied slots. Eleven levels cover all of `u64`, so there is
//!   no overflow list and no deadline is clamped: the top level (10) takes bits 60..64.
//! - `slot`: a slot is a FIFO `Vec` of 12-byte refs `(index, stamp, low 32 bits of the
//!   deadline)` pointing into the slab.
//! - `heap`: two small binary heaps for deadlines behind the wheel position (see below).
//!
//! # Invariants
//!
//! The wheel has a `clock` (the latest `now` it was advanced to) and a position `pos`, with
//! `clock <= pos`. `pos` is where the levels stand: it moves forward when slots are processed
//! and may run ahead of `clock` when [`Wheel::next_deadline`] cascades to find the exact
//! earliest deadline. Every armed timer has exactly one live ref, and it sits:
//! - in the `past` heap if its deadline is before `clock`;
//! - in the `ahead` heap if its deadline is in `clock..pos`;
//! - otherwise on level `l` = the highest 6-bit digit in which deadline and `pos` differ, in the
//!   slot numbered by that digit of the deadline. So a level `l >= 1` slot holds deadlines in
//!   `[start, start + 64^l)` with `start > pos`, and a level-0 slot holds one exact deadline.
//!
//! Hence `past < ahead < levels` in time, the lowest non-empty level holds the earliest slot,
//! and nothing on the levels is earlier than `pos`. A level-`l` slot is processed when `pos`
//! reaches its start: level 0 fires, higher levels cascade each live ref to its place relative
//! to the new `pos` (a lower level, as the deadline is within `64^l` of the start). Each slot
//! counts its stale refs exactly (once the queued ones are settled, see below).
//!
//! Order: all live refs with the same deadline are always in the same slot (or heap), since
//! their place is a function of the deadline and `pos`. A slot only grows at its back, by
//! insertion or by a cascade into it, and a cascade only reaches a slot while no live ref of
//! the same deadline exists outside the slot being cascaded, so refs of one deadline stay in
//! insertion order without a sequence number; the heaps order ties by a push counter. A reset
//! is a new insertion: it takes a new stamp and a new ref at the back.
//!
//! # Cancel and reset touch only the entry
//!
//! At millions of timers an entry is a cache miss, and an intrusive doubly linked list would
//! add two more (its neighbours) to every cancel, and a pointer chase (one dependent miss per
//! timer per level) to every cascade. Instead deletion is lazy: cancel frees the entry (its
//! stamp no longer matches the ref in the slot) and counts a stale ref in the slot its deadline
//! maps to; a reset bumps the entry's stamp and pushes a new ref. That count is queued and
//! settled by batches of 32 (before `pos` moves or a slot is taken), as a store to an address
//! computed from the missing entry would keep the CPU from overlapping consecutive cancels'
//! misses. Stale refs are dropped when their slot is walked. Memory stays bounded: a slot with more stale refs than live ones (plus
//! 64) is compacted, at once and without reading any entry if all its refs are stale; so refs
//! number at most twice the armed timers plus a constant, and the heaps are purged on the same
//! rule. Stamps are `u32`: a sweep compacts one slot every 1.5 million inserts and resets, round
//! robin, so no stale ref lives long enough to meet its entry's stamp again after wrapping (and
//! a ref must match the low 32 bits of the deadline too).
//!
//! # Expiry reads each entry about once
//!
//! A slot is an array, walked sequentially. A slot without stale refs on levels 4 and 5 is
//! cascaded from its refs alone: its start and the 32 low bits a ref keeps give the deadline.
//! On levels 1 to 3 (slots of up to 4.4 minutes) the entries are read, in batches whose cache
//! misses overlap, which also keeps them in cache for the fire soon after. A timer thus costs
//! about one uncached entry read from insertion to firing, whatever its level.
//!
//! # Deadlines behind `pos`
//!
//! A deadline before `clock` (already due) goes to the `past` heap; one in `clock..pos` (only
//! possible after `next_deadline` ran ahead) goes to the `ahead` heap. When the `ahead` heap
//! holds at least as many items as there are refs on the levels `next_deadline` cascaded into
//! (and at least 64), the wheel rewinds `pos` to `clock`: those refs move back up into one
//! slot and the heap's items move onto the levels. The heaps thus stay small in steady use.
//!
//! # Memory
//!
//! Per armed timer, for an 8-byte `T`: a 24-byte entry and a 12-byte ref (slots grow by a
//! quarter, so up to 15 bytes), plus the caller's 8-byte handle: 44 to 47 bytes. The levels
//! take a fixed 22 KiB. See [`Wheel::bytes_per_timer`].

mod heap;
mod level;
mod slab;
mod slot;

use heap::SideHeap;
use level::{level_for, slot_for, slot_start, slot_width, Level, LEVELS, SLOTS};
use serde::{Deserialize, Serialize};
use slab::Slab;
use slot::{Ref, GATHER};
use std::fmt;

/// A generation-checked reference to an armed timer. A stale handle (its timer fired or
/// was cancelled) is harmless: every operation on it is a no-op returning `None`/`false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimerHandle {
    index: u32,
    /// Never 0 (the slab's rule), so that `Option<TimerHandle>` takes no more room.
    generation: std::num::NonZeroU32,
}

/// A timer that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<T> {
    pub deadline: u64,
    pub value: T,
}

/// Items the `ahead` heap must hold before a rewind is considered.
const REWIND_MIN: usize = 64;

/// Levels whose slots are cascaded from the refs alone when they hold no stale ref. Below,
/// slots span minutes at most: their cascades read the entries, in batches whose cache misses
/// overlap, which brings them into cache for the fire soon after. Above, a slot spans more than
/// the 32 deadline bits a ref keeps (a level-5 slot spans `2^30` ms).
const LEVELS_FROM_REFS: std::ops::RangeInclusive<usize> = 4..=5;

/// Stale refs whose counting in their slot is deferred (see [`Wheel::forget`]).
const UNSETTLED: usize = 32;

/// Steps of a sweep round: one per slot, then one for the heaps.
const SWEEP_STEPS: usize = LEVELS * SLOTS + 1;

/// Inserts and resets between two sweep steps, so that a round takes `2^30` of them.
const SWEEP_EVERY: u32 = (1 << 30) / SWEEP_STEPS as u32;

/// The wheel: millisecond deadlines (`u64`), values of type `T`. See the module doc.
#[derive(Serialize, Deserialize)]
pub struct Wheel<T> {
    slab: Slab<T>,
    levels: Box<[Level; LEVELS]>,
    /// Bit `l` is set iff level `l` holds refs.
    nonempty: u16,
    /// Timers due before `clock`.
    past: SideHeap,
    /// Timers due in `clock..pos`.
    ahead: SideHeap,
    clock: u64,
    pos: u64,
    /// Inserts and resets since the last sweep step.
    arms: u32,
    /// The next sweep step: a slot (`level * SLOTS + slot`), or the heaps.
    sweep: usize,
    /// Deadlines of refs on the levels made stale but not yet counted in their slot (see
    /// [`Wheel::forget`]).
    unsettled: Vec<u64>,
}

impl<T> Wheel<T> {
    /// An empty wheel whose clock starts at `now`.
    pub fn new(now: u64) -> Self {
        Self::with_capacity(now, 0)
    }

    /// An empty wheel whose clock starts at `now`, with room for `capacity` timers in its slab
    /// (the slots still grow as needed).
    pub fn with_capacity(now: u64, capacity: usize) -> Self {
        Wheel {
            slab: Slab::with_capacity(capacity),
            levels: Box::new([(); LEVELS].map(|_| Level::new())),
            nonempty: 0,
            past: SideHeap::default(),
            ahead: SideHeap::default(),
            clock: now,
            pos: now,
            arms: 0,
            sweep: 0,
            unsettled: Vec::with_capacity(UNSETTLED),
        }
    }

    /// Arms a timer. A deadline at or before the wheel's clock fires on the next poll.
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already armed.
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerHandle {
        let (index, generation, stamp) = self.slab.insert(deadline, value);
        self.arm(deadline, Ref::new(index, stamp, deadline));
        self.count_arm();
        TimerHandle { index, generation }
    }

    /// Disarms a timer, returning its value; `None` for a stale handle. Writes only the
    /// timer's entry (and, rarely, compacts a slot).
    pub fn cancel(&mut self, handle: TimerHandle) -> Option<T> {
        let (deadline, value) = self.slab.remove(handle.index, handle.generation.get())?;
        self.forget(deadline);
        Some(value)
    }

    /// Moves an armed timer to a new deadline (the handle stays valid); `false` for a stale
    /// handle. The timer then ranks after every timer already armed for the same deadline.
    pub fn reset(&mut self, handle: TimerHandle, deadline: u64) -> bool {
        let Some((old, stamp)) = self.slab.rearm(handle.index, handle.generation.get(), deadline) else {
            return false;
        };
        self.forget(old);
        self.arm(deadline, Ref::new(handle.index, stamp, deadline));
        self.count_arm();
        true
    }

    /// The deadline of an armed timer; `None` for a stale handle.
    pub fn deadline(&self, handle: TimerHandle) -> Option<u64> {
        self.slab.get(handle.index, handle.generation.get()).map(|(deadline, _)| deadline)
    }

    /// The value of an armed timer; `None` for a stale handle.
    pub fn get(&self, handle: TimerHandle) -> Option<&T> {
        self.slab.get(handle.index, handle.generation.get()).map(|(_, value)| value)
    }

    /// The wheel's clock: the latest `now` it was advanced to (see [`Wheel::poll`]).
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// The exact earliest deadline of any armed timer.
    ///
    /// To make it exact this may cascade slots and move the wheel's internal position up to
    /// that deadline (never the clock, and never firing anything). Deadlines inserted later
    /// below that position are kept in a side heap until the wheel rewinds (see the module
    /// doc); the observable behaviour does not change.
    pub fn next_deadline(&mut self) -> Option<u64> {
        self.settle();
        if let Some(item) = self.past.peek(&self.slab) {
            return Some(item.deadline);
        }
        if let Some(item) = self.ahead.peek(&self.slab) {
            return Some(item.deadline);
        }
        loop {
            let (level, slot, start) = self.next_slot()?;
            if level == 0 {
                if self.front_is_live(slot) {
                    return Some(start);
                }
            } else {
                self.pos = start;
                self.cascade(level, slot);
            }
        }
    }

    /// Removes and returns the armed timer with the earliest deadline if that deadline is
    /// `<= now` (ties in insertion order), and moves the wheel's clock to `now` once nothing
    /// more is due. Calling it until `None` is `advance(now)`. A `now` below the clock is
    /// taken as the clock.
    pub fn poll(&mut self, now: u64) -> Option<Expired<T>> {
        self.settle();
        let now = now.max(self.clock);
        if self.past.peek(&self.slab).is_some() {
            return self.fire_side(true);
        }
        if let Some(item) = self.ahead.peek(&self.slab) {
            if item.deadline <= now {
                return self.fire_side(false);
            }
            // Everything on the levels is at or after `pos`, itself after this deadline.
            self.clock = now;
            return None;
        }
        while let Some((level, slot, start)) = self.next_slot() {
            if start > now {
                break;
            }
            self.pos = start;
            if level == 0 {
                if let Some(expired) = self.fire_front(slot) {
                    return Some(expired);
                }
            } else {
                self.cascade(level, slot);
            }
        }
        self.clock = now;
        self.pos = self.pos.max(now);
        None
    }

    /// Armed timers.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes owned by the wheel: the wheel itself, its levels, and the capacity of its slab,
    /// slots and heaps.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + std::mem::size_of::<[Level; LEVELS]>()
            + self.levels.iter().map(Level::bytes).sum::<usize>()
            + self.slab.bytes()
            + self.past.bytes()
            + self.ahead.bytes()
            + self.unsettled.capacity() * std::mem::size_of::<u64>()
    }

    /// [`Wheel::memory_bytes`] per armed timer (the whole footprint if none is armed). The
    /// caller's handle (8 bytes) is not included.
    pub fn bytes_per_timer(&self) -> f64 {
        self.memory_bytes() as f64 / self.len().max(1) as f64
    }

    /// Places the live ref `r` of a timer due at `deadline`.
    #[inline]
    fn arm(&mut self, deadline: u64, r: Ref) {
        if deadline >= self.pos {
            let level = level_for(self.pos, deadline);
            self.levels[level].push(slot_for(deadline, level), r);
            self.nonempty |= 1 << level;
        } else if deadline < self.clock {
            self.past.push(deadline, r);
        } else {
            self.ahead.push(deadline, r);
            self.maybe_rewind();
        }
    }

    /// Accounts for the live ref of a timer due at `deadline` having just become stale.
    ///
    /// On the levels, the deadline is queued and counted in its slot later, by batches (always
    /// before `pos` moves or a slot is taken): the slot's counter is at an address that depends
    /// on the deadline, just read from a cache-missing entry, and a store to such an address
    /// keeps the CPU from overlapping the next cancel's miss with this one.
    #[inline]
    fn forget(&mut self, deadline: u64) {
        if deadline >= self.pos {
            self.unsettled.push(deadline);
            if self.unsettled.len() >= UNSETTLED {
                self.settle();
            }
        } else if deadline < self.clock {
            self.past.note_stale(&self.slab);
        } else {
            self.ahead.note_stale(&self.slab);
        }
    }

    /// Counts the queued stale refs in their slots, then compacts the slots that need it.
    fn settle(&mut self) {
        if self.unsettled.is_empty() {
            return;
        }
        let mut crowded = [(0u8, 0u8); UNSETTLED];
        let mut n = 0;
        for &deadline in &self.unsettled {
            let level = level_for(self.pos, deadline);
            let slot = slot_for(deadline, level);
            if self.levels[level].note_stale(slot) && n < UNSETTLED {
                crowded[n] = (level as u8, slot as u8);
                n += 1;
            }
        }
        self.unsettled.clear();
        for &(level, slot) in &crowded[..n] {
            let (level, slot) = (level as usize, slot as usize);
            if self.levels[level].stale(slot) > 0 {
                self.compact(level, slot);
            }
        }
    }

    /// Counts an insert or reset; every [`SWEEP_EVERY`] of them, compacts the next slot (or
    /// heap) of the sweep round if it holds stale refs. A round takes `2^30` arms; a stale ref
    /// escapes at most one round (a rewind may move it to a slot already swept), so it is
    /// dropped within `2^31` arms, before its entry's `u32` stamp can come back to its own.
    #[inline]
    fn count_arm(&mut self) {
        self.arms += 1;
        if self.arms >= SWEEP_EVERY {
            self.arms = 0;
            self.sweep_step();
        }
    }

    fn sweep_step(&mut self) {
        self.settle();
        let step = self.sweep;
        self.sweep = (step + 1) % SWEEP_STEPS;
        if step == SWEEP_STEPS - 1 {
            self.past.purge(&self.slab);
            self.ahead.purge(&self.slab);
            return;
        }
        let (level, slot) = (step / SLOTS, step % SLOTS);
        if self.levels[level].stale(slot) > 0 {
            self.compact(level, slot);
        }
    }

    /// The earliest occupied slot: `(level, slot, start)`.
    #[inline]
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        if self.nonempty == 0 {
            return None;
        }
        let level = self.nonempty.trailing_zeros() as usize;
        let slot = self.levels[level].first_slot()?;
        let here = slot_for(self.pos, level);
        debug_assert!(
            slot > here || (level == 0 && slot == here),
            "level {level} slot {slot} is behind pos {} (digit {here}); occupied {:064b}; {:?}",
            self.pos,
            self.levels[level].occupied(),
            self
        );
        Some((level, slot, slot_start(self.pos, level, slot)))
    }

    /// Clears the level's bit in `nonempty` if the level emptied.
    #[inline]
    fn sync(&mut self, level: usize) {
        if self.levels[level].is_empty() {
            self.nonempty &= !(1 << level);
        }
    }

    /// Drops stale refs from the front of level-0 slot `slot`; whether a live one remains.
    fn front_is_live(&mut self, slot: usize) -> bool {
        while let Some(r) = self.levels[0].front(slot) {
            if self.slab.is_live(r) {
                return true;
            }
            self.levels[0].pop(slot, true);
        }
        self.sync(0);
        false
    }

    /// Fires the first live ref of level-0 slot `slot` (the slot at `pos`).
    fn fire_front(&mut self, slot: usize) -> Option<Expired<T>> {
        while let Some(r) = self.levels[0].front(slot) {
            let fired = self.slab.take(r);
            self.levels[0].pop(slot, fired.is_none());
            if let Some((deadline, value)) = fired {
                debug_assert_eq!(deadline, self.pos, "level-0 slot {slot} fired a timer due at {deadline}; {self:?}");
                self.sync(0);
                return Some(Expired { deadline, value });
            }
        }
        self.sync(0);
        None
    }

    /// Fires the top of the `past` or `ahead` heap, which [`SideHeap::peek`] found live.
    fn fire_side(&mut self, past: bool) -> Option<Expired<T>> {
        let heap = if past { &mut self.past } else { &mut self.ahead };
        let item = heap.pop()?;
        let (deadline, value) = self.slab.take(item.r)?;
        debug_assert_eq!(deadline, item.deadline, "heap item {item:?} for a timer due at {deadline}");
        Some(Expired { deadline, value })
    }

    /// Empties slot `slot` of level `level >= 1` (whose start `pos` has reached), moving each
    /// live ref to its place relative to `pos`; stale refs are dropped.
    ///
    /// A slot without stale refs on [`LEVELS_FROM_REFS`] is cascaded from its refs alone (the
    /// slot's start and the low bits kept in a ref give the deadline). Otherwise each entry is
    /// read, in batches of [`GATHER`].
    fn cascade(&mut self, level: usize, slot: usize) {
        let (refs, stale) = self.levels[level].take(slot);
        self.sync(level);
        let (pos, width) = (self.pos, slot_width(level));
        if stale == 0 && LEVELS_FROM_REFS.contains(&level) {
            for &r in &refs {
                let deadline = pos | (r.low as u64 & (width - 1));
                debug_assert_eq!(self.slab.live_deadline(r), Some(deadline), "{r:?} in level {level} slot {slot}");
                let level = level_for(pos, deadline);
                self.levels[level].push(slot_for(deadline, level), r);
                self.nonempty |= 1 << level;
            }
        } else if refs.len() <= 2 {
            for &r in &refs {
                if let Some(deadline) = self.slab.live_deadline(r) {
                    debug_assert!(deadline >= pos && deadline - pos < width, "{deadline} in level {level} slot {slot}");
                    self.arm(deadline, r);
                }
            }
        } else {
            for batch in refs.chunks(GATHER) {
                // Read the batch's entries before placing any: the loads are independent, so
                // their cache misses overlap.
                let mut deadlines = [None; GATHER];
                for (deadline, &r) in deadlines.iter_mut().zip(batch) {
                    *deadline = self.slab.live_deadline(r);
                }
                for (deadline, &r) in deadlines.iter().zip(batch) {
                    let Some(deadline) = *deadline else { continue };
                    debug_assert!(
                        deadline >= pos && deadline - pos < width,
                        "level {level} slot {slot} (from {pos}, {width} ms) held a timer due at {deadline}"
                    );
                    if deadline >= pos {
                        let level = level_for(pos, deadline);
                        self.levels[level].push(slot_for(deadline, level), r);
                        self.nonempty |= 1 << level;
                    } else {
                        self.arm(deadline, r);
                    }
                }
            }
        }
        self.levels[level].recycle(slot, refs);
    }

    /// Drops the stale refs of a slot.
    fn compact(&mut self, level: usize, slot: usize) {
        if self.levels[level].all_stale(slot) {
            self.levels[level].take(slot);
        } else {
            let slab = &self.slab;
            let dropped = self.levels[level].retain(slot, |r| slab.is_live(r));
            debug_assert!(dropped > 0, "level {level} slot {slot} compacted without stale refs");
        }
        self.sync(level);
    }

    /// Rewinds `pos` to `clock` once the `ahead` heap holds at least as many items as there
    /// are refs below the level where `pos` and `clock` differ (the refs a rewind moves back up
    /// and `next_deadline` may cascade again), and at least [`REWIND_MIN`]: each ahead item
    /// pays for a constant share of the work.
    fn maybe_rewind(&mut self) {
        let waiting = self.ahead.len();
        if waiting < REWIND_MIN {
            return;
        }
        let top = level_for(self.clock, self.pos);
        let below: usize = self.levels[..top].iter().map(Level::refs).sum();
        if waiting >= below {
            self.rewind();
        }
    }

    /// Moves `pos` back to `clock`. Refs on levels below `top` (the highest digit in which the
    /// two differ) all share `pos`'s digits from `top` up, so relative to `clock` they belong in
    /// one slot of level `top`: they are moved there slot by slot, which keeps refs of equal
    /// deadlines in order. Then the `ahead` heap's items move onto the levels.
    fn rewind(&mut self) {
        let (from, to) = (self.pos, self.clock);
        if from == to {
            return;
        }
        self.settle();
        let top = level_for(to, from);
        let dest = slot_for(from, top);
        let (mut merged, mut stale) = (Vec::new(), 0u32);
        for level in 0..top {
            let mut bits = self.levels[level].occupied();
            while bits != 0 {
                let slot = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let (refs, s) = self.levels[level].take(slot);
                merged.extend_from_slice(&refs);
                stale = stale.saturating_add(s);
            }
            self.nonempty &= !(1 << level);
        }
        debug_assert!(
            top == 0 || self.levels[top].occupied() & (1 << dest) == 0,
            "rewind {from} -> {to}: level {top} slot {dest} is occupied; {self:?}"
        );
        if !merged.is_empty() {
            self.levels[top].append(dest, &merged, stale);
            self.nonempty |= 1 << top;
        }
        self.pos = to;
        for item in self.ahead.drain_sorted() {
            if let Some(deadline) = self.slab.live_deadline(item.r) {
                debug_assert!(
                    deadline == item.deadline && (to..from).contains(&deadline),
                    "ahead item {item:?} due at {deadline}, rewinding {from} -> {to}"
                );
                self.arm(deadline, item.r);
            }
        }
    }

    /// Checks every invariant of the module doc; `Err` describes the first violation. Costs
    /// O(timers): meant for tests.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        self.slab.check()?;
        if self.clock > self.pos {
            return Err(format!("clock {} > pos {}", self.clock, self.pos));
        }
        let mut live = vec![0u8; self.slab.slots()];
        let count = |r: Ref, live: &mut Vec<u8>| -> Result<(), String> {
            let n = &mut live[r.index as usize];
            *n += 1;
            if *n > 1 {
                return Err(format!("entry {} has two live refs", r.index));
            }
            Ok(())
        };
        for (level, l) in self.levels.iter().enumerate() {
            l.check().map_err(|e| format!("level {level}: {e}"))?;
            if (self.nonempty >> level & 1 == 1) == l.is_empty() {
                return Err(format!("level {level}: nonempty bits {:011b}", self.nonempty));
            }
            let mut fault = None;
            l.for_each_slot(|slot, refs, stale| {
                let here = slot_for(self.pos, level);
                if slot < here || (level > 0 && slot == here) {
                    fault.get_or_insert(format!("level {level} slot {slot} occupied, pos {} digit {here}", self.pos));
                }
                let mut stale_refs = 0;
                refs.iter().for_each(|&r| match self.slab.live_deadline(r) {
                    None => stale_refs += 1,
                    Some(d) => {
                        if r.low != d as u32 {
                            fault.get_or_insert(format!("{r:?} for a timer due at {d}"));
                        }
                        if d < self.pos || level_for(self.pos, d) != level || slot_for(d, level) != slot {
                            fault.get_or_insert(format!("level {level} slot {slot} holds {d}, pos {}", self.pos));
                        }
                        if let Err(e) = count(r, &mut live) {
                            fault.get_or_insert(e);
                        }
                    }
                });
                let unsettled = self
                    .unsettled
                    .iter()
                    .filter(|&&d| d >= self.pos && level_for(self.pos, d) == level && slot_for(d, level) == slot)
                    .count();
                if stale_refs != stale as usize + unsettled {
                    fault.get_or_insert(format!(
                        "level {level} slot {slot}: {stale_refs} stale refs, counted {stale} + {unsettled}"
                    ));
                }
            });
            if let Some(fault) = fault {
                return Err(fault);
            }
        }
        for (name, heap, range) in [("past", &self.past, 0..self.clock), ("ahead", &self.ahead, self.clock..self.pos)] {
            let mut fault = None;
            let mut stale = 0;
            heap.for_each(|item| match self.slab.live_deadline(item.r) {
                None => stale += 1,
                Some(d) => {
                    if d != item.deadline || !range.contains(&d) {
                        fault.get_or_insert(format!("{name} heap holds {item:?} due at {d}, range {range:?}"));
                    }
                    if let Err(e) = count(item.r, &mut live) {
                        fault.get_or_insert(e);
                    }
                }
            });
            if let Some(fault) = fault {
                return Err(fault);
            }
            if heap.stale() > stale {
                return Err(format!("{name} heap counts {} stale items of {stale}", heap.stale()));
            }
        }
        let refs: usize = live.iter().map(|&n| n as usize).sum();
        if refs != self.len() {
            return Err(format!("{refs} live refs for {} armed timers", self.len()));
        }
        Ok(())
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let occupied: Vec<String> = self
            .levels
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, l)| format!("L{i}:{:#x}/{}", l.occupied(), l.refs()))
            .collect();
        f.debug_struct("Wheel")
            .field("len", &self.len())
            .field("clock", &self.clock)
            .field("pos", &self.pos)
            .field("levels", &occupied)
            .field("past", &self.past.len())
            .field("ahead", &self.ahead.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
