//! Open time on the local (wall-clock) time line, ignoring time zones.
//!
//! Local instants are milliseconds from 1970-01-01T00:00 local time. The weekly
//! schedule minus the holidays defines a set of open local instants; `cumulative`
//! is its measure from a fixed origin, a continuous non-decreasing function, and
//! `advance` inverts it. Both are closed forms over whole weeks, so their cost does
//! not depend on the length of the range.

pub(super) const MINUTE: i64 = 60_000;
pub(super) const DAY: i64 = 86_400_000;
pub(super) const WEEK: i64 = 7 * DAY;
/// 1970-01-01 was a Thursday: shifting by three days puts week boundaries on Mondays.
const MONDAY_SHIFT: i64 = 3 * DAY;

/// An open segment of the week, in ms from Monday 00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WeekSegment {
    start: i64,
    end: i64,
    /// Open time of the week before `start`.
    before: i64,
}

/// A run of consecutive holidays, in local ms: `[start, end)`, whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Closure {
    start: i64,
    end: i64,
    /// `weekly(start)`.
    weekly_start: i64,
    /// Weekly open time lost to the closures before this one.
    lost_before: i64,
}

#[derive(Debug, Clone)]
pub(super) struct LocalMeasure {
    segments: Vec<WeekSegment>,
    week_open: i64,
    closures: Vec<Closure>,
    lost_total: i64,
}

impl LocalMeasure {
    /// `days[i]`: sorted, disjoint, non-adjacent `[start, end)` minute pairs of weekday `i`
    /// (Monday = 0). `holidays`: local day numbers (days since 1970-01-01). At least one
    /// segment must exist.
    pub(super) fn new(days: &[Vec<(u16, u16)>; 7], holidays: &[i64]) -> LocalMeasure {
        let mut segments: Vec<WeekSegment> = Vec::new();
        let mut before = 0;
        for (i, day) in days.iter().enumerate() {
            for &(s, e) in day {
                let start = i as i64 * DAY + i64::from(s) * MINUTE;
                let end = i as i64 * DAY + i64::from(e) * MINUTE;
                match segments.last_mut() {
                    // `24:00` followed by `00:00` the next day: one segment.
                    Some(last) if last.end == start => last.end = end,
                    _ => segments.push(WeekSegment { start, end, before }),
                }
                before += end - start;
            }
        }
        assert!(before > 0, "a calendar needs an open segment");
        let mut measure = LocalMeasure { segments, week_open: before, closures: Vec::new(), lost_total: 0 };

        let mut days: Vec<i64> = holidays.to_vec();
        days.sort_unstable();
        days.dedup();
        let mut closures: Vec<Closure> = Vec::new();
        for day in days {
            let (start, end) = (day * DAY, (day + 1) * DAY);
            match closures.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => closures.push(Closure { start, end, weekly_start: 0, lost_before: 0 }),
            }
        }
        let mut lost = 0;
        for c in &mut closures {
            c.weekly_start = measure.weekly(c.start);
            c.lost_before = lost;
            lost += measure.weekly(c.end) - c.weekly_start;
        }
        measure.closures = closures;
        measure.lost_total = lost;
        measure
    }

    /// Open time of one whole week (holidays aside).
    #[cfg(test)]
    pub(super) fn week_open(&self) -> i64 {
        self.week_open
    }

    /// Weekly open time from the origin to `local` (holidays ignored).
    #[inline]
    fn weekly(&self, local: i64) -> i64 {
        let shifted = local + MONDAY_SHIFT;
        let week = shifted.div_euclid(WEEK);
        let x = shifted - week * WEEK;
        let i = self.segments.partition_point(|s| s.start <= x);
        let within = match i.checked_sub(1) {
            Some(i) => {
                let s = &self.segments[i];
                s.before + x.min(s.end) - s.start
            }
            None => 0,
        };
        week * self.week_open + within
    }

    /// The smallest local instant `l` with `weekly(l) == value`.
    #[inline]
    fn weekly_inverse(&self, value: i64) -> i64 {
        let week = (value - 1).div_euclid(self.week_open);
        let rest = value - week * self.week_open; // 0 < rest <= week_open
        let i = self.segments.partition_point(|s| s.before + (s.end - s.start) < rest);
        let s = &self.segments[i];
        week * WEEK + s.start + (rest - s.before) - MONDAY_SHIFT
    }

    /// Open time (holidays excluded) from the origin to `local`.
    #[inline]
    pub(super) fn cumulative(&self, local: i64) -> i64 {
        let i = self.closures.partition_point(|c| c.end <= local);
        match self.closures.get(i) {
            Some(c) if c.start < local => c.weekly_start - c.lost_before,
            Some(c) => self.weekly(local) - c.lost_before,
            None => self.weekly(local) - self.lost_total,
        }
    }

    /// The smallest local instant `l` with `cumulative(l) - cumulative(from) == need`,
    /// for `need > 0`.
    #[inline]
    pub(super) fn advance(&self, from: i64, mut need: i64) -> i64 {
        debug_assert!(need > 0);
        let mut at = from;
        let mut i = self.closures.partition_point(|c| c.end <= at);
        loop {
            match self.closures.get(i) {
                // Inside a run of holidays: nothing is open until its end.
                Some(c) if c.start <= at => {
                    at = c.end;
                    i += 1;
                }
                next => {
                    let weekly_at = self.weekly(at);
                    let candidate = self.weekly_inverse(weekly_at + need);
                    match next {
                        Some(c) if candidate > c.start => {
                            // Use what is open up to the holidays, then go on after them.
                            need -= c.weekly_start - weekly_at;
                            at = c.end;
                            i += 1;
                        }
                        _ => return candidate,
                    }
                }
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, `None` if the date does not exist.
pub(super) fn day_number(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_len = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > month_len {
        return None;
    }
    // Days from civil (H. Hinnant): years start on March 1st.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}
