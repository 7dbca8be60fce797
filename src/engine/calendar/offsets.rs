//! The offsets of a time zone as stretches of constant offset, with the transitions of
//! a window of years cached in a sorted table; outside that window jiff is asked.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Earliest instant the zoned arithmetic works with (jiff's range, whole ms).
pub(super) const MIN_INSTANT: i64 = -377_705_023_201_000;
/// Latest instant the zoned arithmetic works with: 9999-12-30T22:00:00Z (jiff's range).
pub(super) const MAX_INSTANT: i64 = 253_402_207_200_000;

/// 1900-01-01T00:00:00Z.
const CACHE_FROM: i64 = -2_208_988_800_000;
/// 2200-01-01T00:00:00Z.
const CACHE_UNTIL: i64 = 7_258_118_400_000;

#[derive(Debug, Clone)]
pub(super) struct Offsets {
    tz: TimeZone,
    from: i64,
    until: i64,
    /// Instants in `[from, until)` where the offset changes, ascending.
    at: Vec<i64>,
    /// `offset[0]` applies from `from`, `offset[i + 1]` from `at[i]`; in ms.
    offset: Vec<i64>,
    /// `first[b]`: how many transitions come before bucket `b`, the instants
    /// `[from + b << BUCKET_SHIFT, from + (b + 1) << BUCKET_SHIFT)`. A bucket is about
    /// 50 days and holds a handful of transitions at most, so a lookup is an index and a
    /// short scan.
    first: Vec<u32>,
}

const BUCKET_SHIFT: u32 = 32;

impl Offsets {
    pub(super) fn new(tz: TimeZone) -> Offsets {
        Offsets::with_window(tz, CACHE_FROM, CACHE_UNTIL)
    }

    /// Caches the transitions in `[from, until)` (both within jiff's range).
    pub(super) fn with_window(tz: TimeZone, from: i64, until: i64) -> Offsets {
        let start = Timestamp::from_millisecond(from).expect("cache window within range");
        let mut at = Vec::new();
        let mut offset = vec![offset_ms(&tz, start)];
        for transition in tz.following(start) {
            let instant = transition.timestamp().as_millisecond();
            if instant >= until {
                break;
            }
            let o = i64::from(transition.offset().seconds()) * 1000;
            if offset.last() != Some(&o) {
                at.push(instant);
                offset.push(o);
            }
        }
        let buckets = ((until - from) >> BUCKET_SHIFT) as usize + 1;
        let first = (0..buckets)
            .map(|b| {
                let bucket_start = from + ((b as i64) << BUCKET_SHIFT);
                at.partition_point(|&a| a < bucket_start) as u32
            })
            .collect();
        Offsets { tz, from, until, at, offset, first }
    }

    /// For `t` in `[MIN_INSTANT, MAX_INSTANT)`: the offset (ms) in force at `t` and an
    /// instant `next > t` such that the offset is the same throughout `[t, next)`
    /// (`i64::MAX` when it never changes again).
    #[inline]
    pub(super) fn stretch(&self, t: i64) -> (i64, i64) {
        if t >= self.from && t < self.until {
            let mut i = self.first[((t - self.from) >> BUCKET_SHIFT) as usize] as usize;
            while i < self.at.len() && self.at[i] <= t {
                i += 1;
            }
            let next = self.at.get(i).copied().unwrap_or(self.until);
            (self.offset[i], next)
        } else {
            self.stretch_uncached(t)
        }
    }

    #[cold]
    fn stretch_uncached(&self, t: i64) -> (i64, i64) {
        let Ok(ts) = Timestamp::from_millisecond(t) else {
            return (offset_ms(&self.tz, Timestamp::MAX), i64::MAX);
        };
        let o = offset_ms(&self.tz, ts);
        let mut next = i64::MAX;
        for transition in self.tz.following(ts) {
            let instant = transition.timestamp().as_millisecond();
            if i64::from(transition.offset().seconds()) * 1000 != o {
                next = instant;
                break;
            }
            if instant >= self.from && t < self.from {
                break;
            }
        }
        if t < self.from {
            next = next.min(self.from);
        }
        (o, next)
    }
}

fn offset_ms(tz: &TimeZone, ts: Timestamp) -> i64 {
    i64::from(tz.to_offset(ts).seconds()) * 1000
}
