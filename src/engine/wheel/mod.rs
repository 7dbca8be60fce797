//! Hierarchical timing wheel. TODO: implemented by the wheel work.

/// A generation-checked reference to an armed timer. A stale handle (its timer fired or
/// was cancelled) is harmless: every operation on it is a no-op returning `None`/`false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerHandle {
    index: u32,
    generation: u32,
}

/// A timer that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<T> {
    pub deadline: u64,
    pub value: T,
}

/// The wheel: millisecond deadlines (`u64`), values of type `T`.
#[derive(Debug)]
pub struct Wheel<T> {
    _todo: Vec<T>,
}

impl<T> Wheel<T> {
    /// An empty wheel whose clock starts at `now`.
    pub fn new(_now: u64) -> Self {
        todo!()
    }
    /// Arms a timer. A deadline at or before the wheel's clock fires on the next poll.
    pub fn insert(&mut self, _deadline: u64, _value: T) -> TimerHandle {
        todo!()
    }
    /// Disarms a timer, returning its value; `None` for a stale handle.
    pub fn cancel(&mut self, _handle: TimerHandle) -> Option<T> {
        todo!()
    }
    /// Moves an armed timer to a new deadline (the handle stays valid); `false` for a stale handle.
    pub fn reset(&mut self, _handle: TimerHandle, _deadline: u64) -> bool {
        todo!()
    }
    /// The exact earliest deadline of any armed timer.
    pub fn next_deadline(&mut self) -> Option<u64> {
        todo!()
    }
    /// Removes and returns the armed timer with the earliest deadline if that deadline is
    /// `<= now` (ties in insertion order), and moves the wheel's clock to `now` once nothing
    /// more is due. Calling it until `None` is `advance(now)`.
    pub fn poll(&mut self, _now: u64) -> Option<Expired<T>> {
        todo!()
    }
    pub fn len(&self) -> usize {
        todo!()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
