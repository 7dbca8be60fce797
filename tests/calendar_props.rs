//! Properties of business calendars: SLA time against an independent minute-stepping
//! reference, and `add` as the earliest inverse of `sla_time`.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use proptest::prelude::*;
use slad::engine::calendar::{Calendar, LocalDate, Segment};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

const ZONES: &[&str] = &[
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Europe/London",
    "Pacific/Chatham",
    "America/St_Johns",
    "Europe/Dublin",
    "Africa/Casablanca",
    "America/Santiago",
    "UTC",
];

/// 2020-01-01T00:00:00Z and 2036-01-01T00:00:00Z.
const RANGE_FROM: i64 = 1_577_836_800_000;
const RANGE_UNTIL: i64 = 2_082_758_400_000;

/// A random calendar: zone, weekly segments (minutes), holidays as (days from the start
/// instant's local date, length of the run).
#[derive(Debug, Clone)]
struct Spec {
    zone: &'static str,
    week: [Vec<(u16, u16)>; 7],
    holidays: Vec<(i64, i64)>,
}

/// A built calendar with what the reference needs.
struct Built {
    cal: Calendar,
    tz: TimeZone,
    week: [Vec<(u16, u16)>; 7],
    holidays: Vec<Date>,
}

impl Spec {
    fn build(&self, around: i64) -> Built {
        let tz = TimeZone::get(self.zone).unwrap();
        let base = tz.to_datetime(Timestamp::from_millisecond(around).unwrap()).date();
        let mut holidays = Vec::new();
        for &(offset, len) in &self.holidays {
            for k in 0..len {
                holidays.push(base.checked_add(Span::new().days(offset + k)).unwrap());
            }
        }
        let week = std::array::from_fn(|i| self.week[i].iter().map(|&(s, e)| Segment::new(s, e)).collect());
        let local_dates = holidays.iter().map(|d| LocalDate::new(d.year(), d.month(), d.day())).collect();
        let cal = Calendar::new(self.zone, week, local_dates).unwrap();
        Built { cal, tz, week: self.week.clone(), holidays }
    }
}

impl Built {
    /// Is the real minute starting at `minute_start` (a whole minute) open?
    fn open_minute(&self, minute_start: i64) -> bool {
        let local = self.tz.to_datetime(Timestamp::from_millisecond(minute_start).unwrap());
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let weekday = local.weekday().to_monday_zero_offset() as usize;
        let m = local.hour() as u16 * 60 + local.minute() as u16;
        self.week[weekday].iter().any(|&(s, e)| s <= m && m < e)
    }

    /// SLA time by stepping real minutes (every offset of these zones in 2020-2035 is whole
    /// minutes, so each real minute is open or closed as a whole).
    fn reference(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        let mut m = from.div_euclid(MINUTE) * MINUTE;
        while m < to {
            if self.open_minute(m) {
                total += (m + MINUTE).min(to) - m.max(from);
            }
            m += MINUTE;
        }
        total
    }
}

/// Minutes of the day where things happen: midnight, DST hours, half and quarter hours.
fn minute_of_day() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => prop::sample::select(vec![0u16, 30, 60, 90, 120, 150, 180, 240, 540, 720, 750, 1080, 1410, 1440]),
        2 => (0u16..=96).prop_map(|q| q * 15),
        2 => 0u16..=1440,
    ]
}

fn day_segments() -> impl Strategy<Value = Vec<(u16, u16)>> {
    let segment = (minute_of_day(), minute_of_day()).prop_filter_map("empty segment", |(a, b)| {
        if a == b {
            None
        } else {
            Some((a.min(b), a.max(b)))
        }
    });
    prop_oneof![
        2 => Just(Vec::new()),
        1 => Just(vec![(0, 1440)]),
        4 => prop::collection::vec(segment, 1..=3),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let week = prop::array::uniform7(day_segments()).prop_map(|mut week| {
        if week.iter().all(Vec::is_empty) {
            week[0] = vec![(540, 1080)];
        }
        week
    });
    let holidays = prop::collection::vec((-3i64..28, 1i64..5), 0..4);
    (prop::sample::select(ZONES), week, holidays).prop_map(|(zone, week, holidays)| Spec { zone, week, holidays })
}

/// An instant of 2020-2035, minute-aligned half of the time.
fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![(RANGE_FROM / MINUTE..RANGE_UNTIL / MINUTE).prop_map(|m| m * MINUTE), RANGE_FROM..RANGE_UNTIL,]
}

/// SLA durations: exact minutes and hours, and arbitrary ms.
fn duration(max: i64) -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(0i64),
        3 => (0..=max / MINUTE).prop_map(|m| m * MINUTE),
        3 => 0..=max,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn sla_time_matches_minute_stepping(spec in spec(), from in instant(), len in 0..3 * WEEK, aligned in any::<bool>()) {
        let len = if aligned { len / MINUTE * MINUTE } else { len };
        let built = spec.build(from);
        let to = from + len;
        prop_assert_eq!(built.cal.sla_time(from, to), built.reference(from, to));
    }

    #[test]
    fn add_matches_minute_stepping(spec in spec(), from in instant(), d in duration(60 * HOUR)) {
        let built = spec.build(from);
        let u = built.cal.add(from, d);
        prop_assert!(u >= from);
        if u - from <= 3 * WEEK {
            prop_assert_eq!(built.reference(from, u), d);
            if d > 0 {
                prop_assert!(built.reference(from, u - 1) < d);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn add_is_the_earliest_inverse(spec in spec(), from in instant(), d in duration(400 * HOUR)) {
        let built = spec.build(from);
        let u = built.cal.add(from, d);
        prop_assert!(u >= from);
        prop_assert_eq!(built.cal.sla_time(from, u), d);
        if d > 0 {
            prop_assert!(built.cal.sla_time(from, u - 1) < d);
        } else {
            prop_assert_eq!(u, from);
        }
    }

    #[test]
    fn add_is_monotonic_and_composes(
        spec in spec(),
        t in instant(),
        dt in 0..2 * WEEK,
        d1 in duration(200 * HOUR),
        d2 in duration(200 * HOUR),
    ) {
        let built = spec.build(t);
        let cal = &built.cal;
        let (lo, hi) = (d1.min(d2), d1.max(d2));
        prop_assert!(cal.add(t, lo) <= cal.add(t, hi));
        prop_assert!(cal.add(t, d1) <= cal.add(t + dt, d1));
        prop_assert_eq!(cal.add(cal.add(t, d1), d2), cal.add(t, d1 + d2));
    }

    #[test]
    fn sla_time_is_additive_and_monotonic(
        spec in spec(),
        a in instant(),
        ab in 0..3 * WEEK,
        bc in 0..3 * WEEK,
    ) {
        let built = spec.build(a);
        let cal = &built.cal;
        let (b, c) = (a + ab, a + ab + bc);
        let (sab, sbc, sac) = (cal.sla_time(a, b), cal.sla_time(b, c), cal.sla_time(a, c));
        prop_assert_eq!(sac, sab + sbc);
        prop_assert!(sab >= 0 && sbc >= 0);
        prop_assert!(sab <= ab && sbc <= bc);
        prop_assert_eq!(cal.sla_time(c, a), 0);
    }
}

/// A long span across many DST changes and holidays: whole years in one call, checked
/// against the sum of its days.
#[test]
fn long_ranges_are_sums_of_days() {
    let week: [Vec<Segment>; 7] = std::array::from_fn(|i| match i {
        0..=4 => vec![Segment::new(60, 180), Segment::new(540, 1080)],
        5 => vec![Segment::new(0, 1440)],
        _ => vec![Segment::new(1380, 1440)],
    });
    let holidays = vec![LocalDate::new(2026, 12, 25), LocalDate::new(2027, 3, 28), LocalDate::new(2029, 10, 28)];
    for zone in ["Europe/Paris", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago"] {
        let cal = Calendar::new(zone, week.clone(), holidays.clone()).unwrap();
        let start = RANGE_FROM + 6 * 365 * DAY + 12_345;
        let end = start + 4 * 365 * DAY;
        let mut sum = 0;
        let mut t = start;
        while t < end {
            let next = (t + DAY - 7).min(end);
            sum += cal.sla_time(t, next);
            t = next;
        }
        assert_eq!(cal.sla_time(start, end), sum, "{zone}");
        assert!(cal.add(start, sum) <= end, "{zone}");
        assert_eq!(cal.sla_time(start, cal.add(start, sum)), sum, "{zone}");
    }
}
