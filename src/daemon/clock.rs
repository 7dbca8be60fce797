//! A partition's arrival clock (EVENTS.md section 4).
//!
//! - A record is always read while the partition has a backlog (its own offset is below the
//!   high watermark), so it moves the clock to its timestamp if that is later: the clock is the
//!   latest record timestamp, exactly as `slad simulate` keeps the latest `received_at`.
//! - Between records, a partition whose position has reached the broker's high watermark is
//!   caught up and its clock follows the wall clock.
//! - Timers fire when `clock - allowed_lateness` passes their due instant: the engine's horizon
//!   is `clock - allowed_lateness - 1` (due strictly before).
//!
//! The clock never goes back.

use crate::time::Millis;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArrivalClock {
    now: Option<Millis>,
}

impl ArrivalClock {
    pub fn new() -> ArrivalClock {
        ArrivalClock::default()
    }

    /// The clock's reading, if anything moved it yet.
    pub fn now(&self) -> Option<Millis> {
        self.now
    }

    /// The clock a record with timestamp `record_ts` sets when it is applied.
    pub fn on_record(&self, record_ts: Millis) -> Millis {
        self.now.map_or(record_ts, |now| now.max(record_ts))
    }

    /// Whether a record read now is late: its timestamp is more than `allowed_lateness` behind
    /// the clock.
    pub fn is_late(&self, record_ts: Millis, allowed_lateness: i64) -> bool {
        self.now.is_some_and(|now| record_ts < now.saturating_sub(allowed_lateness))
    }

    /// Moves the clock to `to` if later (an applied record, or the wall clock when caught up).
    pub fn advance_to(&mut self, to: Millis) {
        self.now = Some(self.on_record(to));
    }

    /// The engine horizon for a clock reading: timers due at or before it fire.
    pub fn horizon_at(clock: Millis, allowed_lateness: i64) -> Millis {
        clock.saturating_sub(allowed_lateness).saturating_sub(1)
    }

    /// The horizon of the current reading.
    pub fn horizon(&self, allowed_lateness: i64) -> Option<Millis> {
        self.now.map(|now| ArrivalClock::horizon_at(now, allowed_lateness))
    }

    /// The earliest clock reading at which a timer due at `deadline` fires.
    pub fn fires_at(deadline: Millis, allowed_lateness: i64) -> Millis {
        deadline.saturating_add(allowed_lateness).saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_latest_record_and_never_goes_back() {
        let mut c = ArrivalClock::new();
        assert_eq!(c.on_record(1_000), 1_000);
        c.advance_to(1_000);
        assert_eq!(c.on_record(900), 1_000, "an older record leaves the clock");
        c.advance_to(5_000);
        c.advance_to(4_000);
        assert_eq!(c.now(), Some(5_000));
    }

    #[test]
    fn lateness_boundaries() {
        let mut c = ArrivalClock::new();
        assert!(!c.is_late(0, 2_000), "an empty clock makes nothing late");
        c.advance_to(10_000);
        assert!(!c.is_late(8_000, 2_000), "exactly allowed_lateness behind is on time");
        assert!(c.is_late(7_999, 2_000));
        assert_eq!(c.horizon(2_000), Some(7_999), "timers due strictly before clock - lateness fire");
        assert_eq!(ArrivalClock::fires_at(7_999, 2_000), 10_000);
        assert_eq!(ArrivalClock::horizon_at(ArrivalClock::fires_at(123, 2_000), 2_000), 123);
    }
}
