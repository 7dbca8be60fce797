use super::measure::{day_number, LocalMeasure, DAY, MINUTE};
use super::offsets::{Offsets, MAX_INSTANT, MIN_INSTANT};
use super::*;

const HOUR: i64 = 60 * MINUTE;

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn seg(text: &str) -> Segment {
    text.parse().unwrap()
}

fn day(list: &[&str]) -> Vec<Segment> {
    list.iter().map(|s| seg(s)).collect()
}

fn date(text: &str) -> LocalDate {
    text.parse().unwrap()
}

/// Monday..Friday with `segments`, weekend closed.
fn weekdays(segments: &[&str]) -> [Vec<Segment>; 7] {
    std::array::from_fn(|i| if i < 5 { day(segments) } else { Vec::new() })
}

/// Only the day `index` (Monday = 0) is open, with `segments`.
fn only(index: usize, segments: &[&str]) -> [Vec<Segment>; 7] {
    std::array::from_fn(|i| if i == index { day(segments) } else { Vec::new() })
}

fn paris_9to6() -> Calendar {
    Calendar::new("Europe/Paris", weekdays(&["09:00-18:00"]), vec![]).unwrap()
}

fn paris_office() -> Calendar {
    Calendar::new(
        "Europe/Paris",
        weekdays(&["09:00-12:30", "13:30-18:00"]),
        vec![date("2026-12-25"), date("2027-01-01")],
    )
    .unwrap()
}

/// Checks `add(from, d) == to`, `sla_time(from, to) == d` and that `to` is the earliest.
#[track_caller]
fn check_add(cal: &Calendar, from: &str, d: i64, to: &str) {
    let (from, to) = (at(from), at(to));
    assert_eq!(cal.add(from, d), to, "add");
    assert_eq!(cal.sla_time(from, to), d, "sla_time");
    if d > 0 {
        assert!(cal.sla_time(from, to - 1) < d, "earliest");
    }
}

#[test]
fn weekend_crossing() {
    let cal = paris_9to6();
    check_add(&cal, "2026-06-05T16:00:00+02:00", 4 * HOUR, "2026-06-08T11:00:00+02:00");
    assert_eq!(cal.sla_time(at("2026-06-05T14:00:00Z"), at("2026-06-08T09:30:00Z")), 16_200_000);
}

#[test]
fn lunch_break() {
    let cal = paris_office();
    check_add(&cal, "2026-06-02T11:00:00+02:00", 4 * HOUR, "2026-06-02T16:00:00+02:00");
    check_add(&cal, "2026-06-02T11:00:00+02:00", 3 * HOUR, "2026-06-02T15:00:00+02:00");
    assert_eq!(cal.sla_time(at("2026-06-02T09:00:00Z"), at("2026-06-02T10:45:00Z")), 5_400_000);
    // A deadline at the start of lunch stays there.
    check_add(&cal, "2026-06-02T11:00:00+02:00", 90 * MINUTE, "2026-06-02T12:30:00+02:00");
    // From inside lunch, the clock starts at 13:30.
    check_add(&cal, "2026-06-02T12:45:00+02:00", MINUTE, "2026-06-02T13:31:00+02:00");
    // The example's 24h resolution target: three working days.
    check_add(&cal, "2026-06-02T11:00:00+02:00", 24 * HOUR, "2026-06-05T11:00:00+02:00");
}

#[test]
fn deadline_at_end_of_segment_stays_there() {
    let cal = paris_9to6();
    check_add(&cal, "2026-06-05T17:30:00+02:00", 30 * MINUTE, "2026-06-05T18:00:00+02:00");
    check_add(&cal, "2026-06-05T17:30:00+02:00", 30 * MINUTE + 1, "2026-06-08T09:00:00.001+02:00");
    // From a closed instant, the time starts at the next opening.
    check_add(&cal, "2026-06-06T12:00:00+02:00", HOUR, "2026-06-08T10:00:00+02:00");
    assert_eq!(cal.sla_time(at("2026-06-05T18:00:00+02:00"), at("2026-06-08T09:00:00+02:00")), 0);
}

#[test]
fn zero_and_negative_durations() {
    for cal in [paris_9to6(), Calendar::always_open()] {
        for t in [at("2026-06-06T12:00:00Z"), at("2026-06-05T10:00:00.123Z"), 0, -1] {
            assert_eq!(cal.add(t, 0), t);
            assert_eq!(cal.add(t, -5), t);
            assert_eq!(cal.sla_time(t, t), 0);
            assert_eq!(cal.sla_time(t, t - 10), 0);
        }
    }
}

#[test]
fn calendars_are_shared_between_threads() {
    fn send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    send_sync::<Calendar>();
    let cal = paris_office();
    let copy = cal.clone();
    let t = at("2026-06-02T11:00:00+02:00");
    let handle = std::thread::spawn(move || copy.add(t, 4 * HOUR));
    assert_eq!(handle.join().unwrap(), cal.add(t, 4 * HOUR));
    assert!(format!("{cal:?}").contains("Europe/Paris"));
}

#[test]
fn always_open_is_plain_arithmetic() {
    let cal = Calendar::always_open();
    assert!(cal.is_always_open());
    assert_eq!(cal.timezone(), None);
    assert_eq!(cal.add(1_000, 2_500), 3_500);
    assert_eq!(cal.sla_time(1_000, 3_500), 2_500);
    assert_eq!(cal.add(i64::MAX - 1, 10), i64::MAX);
    assert_eq!(cal.sla_time(i64::MIN, i64::MAX), i64::MAX);
}

#[test]
fn zoned_calendar_open_all_the_time() {
    let cal = Calendar::new("America/New_York", std::array::from_fn(|_| day(&["00:00-24:00"])), vec![]).unwrap();
    assert!(!cal.is_always_open());
    let t = at("2026-03-07T12:00:00Z");
    assert_eq!(cal.sla_time(t, t + 3 * DAY), 3 * DAY);
    assert_eq!(cal.add(t, 3 * DAY + 7), t + 3 * DAY + 7);
    // The same with a holiday goes through the zoned arithmetic and closes that day only.
    let cal =
        Calendar::new("America/New_York", std::array::from_fn(|_| day(&["00:00-24:00"])), vec![date("2026-03-08")])
            .unwrap();
    // 2026-03-08 is the spring-forward day: 23 real hours.
    assert_eq!(cal.sla_time(t, t + 3 * DAY), 3 * DAY - 23 * HOUR);
}

#[test]
fn holidays_are_closed() {
    let cal = paris_office();
    // Thursday 2026-12-24 17:00 CET; Friday 25th is a holiday.
    check_add(&cal, "2026-12-24T17:00:00+01:00", 2 * HOUR, "2026-12-28T10:00:00+01:00");
    // Thursday 2026-12-31 and the 2027-01-01 holiday.
    check_add(&cal, "2026-12-31T18:00:00+01:00", MINUTE, "2027-01-04T09:01:00+01:00");
    assert_eq!(cal.sla_time(at("2026-12-25T00:00:00+01:00"), at("2026-12-26T00:00:00+01:00")), 0);
    // The day before a holiday is fully open.
    assert_eq!(cal.sla_time(at("2026-12-24T00:00:00+01:00"), at("2026-12-25T00:00:00+01:00")), 8 * HOUR);
    // A holiday on a closed day changes nothing.
    let with = Calendar::new("Europe/Paris", weekdays(&["09:00-18:00"]), vec![date("2026-06-06")]).unwrap();
    let (a, b) = (at("2026-06-01T00:00:00Z"), at("2026-06-15T00:00:00Z"));
    assert_eq!(with.sla_time(a, b), paris_9to6().sla_time(a, b));
}

#[test]
fn closed_for_a_long_time() {
    // Every day of 2027 and 2028 is a holiday: the clock waits two years.
    let mut holidays = Vec::new();
    let first = day_number(2027, 1, 1).unwrap();
    let last = day_number(2028, 12, 31).unwrap();
    for n in first..=last {
        let d = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(n)).unwrap();
        holidays.push(LocalDate::new(d.year(), d.month(), d.day()));
    }
    // Shuffled and duplicated holidays are fine.
    holidays.reverse();
    holidays.push(date("2027-06-01"));
    let cal = Calendar::new("Europe/Paris", weekdays(&["09:00-18:00"]), holidays).unwrap();
    assert_eq!(cal.holidays().len(), 731);
    // Thursday 2026-12-31 17:00 CET + 2h: 1h that day, then Monday 2029-01-01 10:00 CET.
    check_add(&cal, "2026-12-31T17:00:00+01:00", 2 * HOUR, "2029-01-01T10:00:00+01:00");
    check_add(&cal, "2027-03-03T11:00:00+01:00", HOUR, "2029-01-01T10:00:00+01:00");
    assert_eq!(cal.sla_time(at("2026-12-31T00:00:00Z"), at("2029-01-01T00:00:00Z")), 9 * HOUR);
    // Interleaved holidays: every weekday of a month but Wednesdays.
    let mut holidays = Vec::new();
    for d in 1..=30 {
        if jiff::civil::date(2026, 6, d).weekday() != jiff::civil::Weekday::Wednesday {
            holidays.push(LocalDate::new(2026, 6, d));
        }
    }
    let cal = Calendar::new("Europe/Paris", weekdays(&["09:00-18:00"]), holidays).unwrap();
    // Monday 2026-06-01 09:00 CEST + 20h: Wednesdays 3, 10 (18h), then Wednesday 17 11:00.
    check_add(&cal, "2026-06-01T09:00:00+02:00", 20 * HOUR, "2026-06-17T11:00:00+02:00");
}

#[test]
fn segments_ending_at_midnight_are_continuous() {
    let mut week: [Vec<Segment>; 7] = Default::default();
    week[0] = day(&["22:00-24:00"]);
    week[1] = day(&["00:00-02:00"]);
    week[6] = day(&["23:00-24:00"]);
    let cal = Calendar::new("Europe/Paris", week, vec![]).unwrap();
    // Monday 2026-06-01 23:00 CEST + 2h = Tuesday 01:00.
    check_add(&cal, "2026-06-01T23:00:00+02:00", 2 * HOUR, "2026-06-02T01:00:00+02:00");
    // End of Monday: exactly 24:00 stays at midnight.
    check_add(&cal, "2026-06-01T23:00:00+02:00", HOUR, "2026-06-02T00:00:00+02:00");
    // Sunday 23:00 to Monday 22:00 across the week boundary.
    check_add(&cal, "2026-05-31T23:30:00+02:00", HOUR, "2026-06-01T22:30:00+02:00");
    assert_eq!(cal.sla_time(at("2026-06-01T00:00:00+02:00"), at("2026-06-08T00:00:00+02:00")), 5 * HOUR);
}

#[test]
fn paris_spring_forward() {
    // Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST.
    let cal = Calendar::new("Europe/Paris", only(6, &["00:00-24:00"]), vec![]).unwrap();
    assert_eq!(cal.sla_time(at("2026-03-28T00:00:00Z"), at("2026-03-31T00:00:00Z")), 23 * HOUR);
    check_add(&cal, "2026-03-29T00:00:00+01:00", 23 * HOUR, "2026-03-30T00:00:00+02:00");
    check_add(&cal, "2026-03-29T01:30:00+01:00", HOUR, "2026-03-29T03:30:00+02:00");
    let cal = Calendar::new("Europe/Paris", only(6, &["01:00-04:00"]), vec![]).unwrap();
    assert_eq!(cal.sla_time(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")), 2 * HOUR);
    // 02:30 local does not exist: 01:00 + 1h30m is 03:30 CEST.
    check_add(&cal, "2026-03-29T01:00:00+01:00", 90 * MINUTE, "2026-03-29T03:30:00+02:00");
    // A segment inside the gap never opens that day.
    let cal = Calendar::new("Europe/Paris", only(6, &["02:00-03:00", "12:00-13:00"]), vec![]).unwrap();
    assert_eq!(cal.sla_time(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")), HOUR);
    check_add(&cal, "2026-03-29T00:00:00+01:00", HOUR, "2026-03-29T13:00:00+02:00");
}

#[test]
fn paris_fall_back() {
    // Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET.
    let cal = Calendar::new("Europe/Paris", only(6, &["00:00-24:00"]), vec![]).unwrap();
    assert_eq!(cal.sla_time(at("2026-10-24T00:00:00Z"), at("2026-10-27T00:00:00Z")), 25 * HOUR);
    check_add(&cal, "2026-10-25T00:00:00+02:00", 25 * HOUR, "2026-10-26T00:00:00+01:00");
    // 02:30 exists twice: 02:00 CEST + 1h is 02:00 CET, + 1h30m is 02:30 CET.
    check_add(&cal, "2026-10-25T02:00:00+02:00", HOUR, "2026-10-25T02:00:00+01:00");
    check_add(&cal, "2026-10-25T02:00:00+02:00", 90 * MINUTE, "2026-10-25T02:30:00+01:00");
    let office = paris_9to6();
    // A week spanning the change still has 45 open hours.
    assert_eq!(office.sla_time(at("2026-10-19T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")), 45 * HOUR);
}

#[test]
fn new_york_dst() {
    let sunday = Calendar::new("America/New_York", only(6, &["00:00-24:00"]), vec![]).unwrap();
    // 2026-03-08: 02:00 EST becomes 03:00 EDT; 2026-11-01: 02:00 EDT becomes 01:00 EST.
    assert_eq!(sunday.sla_time(at("2026-03-07T00:00:00Z"), at("2026-03-10T00:00:00Z")), 23 * HOUR);
    assert_eq!(sunday.sla_time(at("2026-10-31T00:00:00Z"), at("2026-11-03T00:00:00Z")), 25 * HOUR);
    let night = Calendar::new("America/New_York", only(6, &["01:00-04:00"]), vec![]).unwrap();
    // Fall back: 01:00-02:00 counts twice.
    assert_eq!(night.sla_time(at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00")), 4 * HOUR);
    check_add(&night, "2026-11-01T01:00:00-04:00", 90 * MINUTE, "2026-11-01T01:30:00-05:00");
    check_add(&night, "2026-11-01T01:00:00-04:00", 4 * HOUR, "2026-11-01T04:00:00-05:00");
    check_add(&night, "2026-11-01T01:30:00-05:00", 3 * HOUR, "2026-11-08T01:30:00-05:00");
    // Spring forward: 02:00-03:00 does not exist.
    assert_eq!(night.sla_time(at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00")), 2 * HOUR);
    check_add(&night, "2026-03-08T01:30:00-05:00", HOUR, "2026-03-08T03:30:00-04:00");
}

#[test]
fn half_hour_and_quarter_hour_offsets() {
    let kolkata = Calendar::new("Asia/Kolkata", weekdays(&["09:00-18:00"]), vec![]).unwrap();
    // Monday 2026-06-01 09:00 IST = 03:30Z.
    check_add(&kolkata, "2026-06-01T00:00:00Z", 9 * HOUR, "2026-06-01T12:30:00Z");
    assert_eq!(kolkata.sla_time(at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z")), 9 * HOUR);
    check_add(&kolkata, "2026-06-05T17:00:00+05:30", 2 * HOUR, "2026-06-08T10:00:00+05:30");
    let kathmandu = Calendar::new("Asia/Kathmandu", weekdays(&["09:00-18:00"]), vec![]).unwrap();
    // 09:00 NPT = 03:15Z.
    check_add(&kathmandu, "2026-06-01T00:00:00Z", MINUTE, "2026-06-01T03:16:00Z");
    check_add(&kathmandu, "2026-06-05T17:00:00+05:45", 2 * HOUR, "2026-06-08T10:00:00+05:45");
    assert_eq!(kathmandu.sla_time(at("2026-06-01T03:14:59.999Z"), at("2026-06-01T03:15:00.001Z")), 1);
}

#[test]
fn far_future() {
    let cal = paris_office();
    // Friday 2035-07-06 16:00 CEST + 4h: 2h Friday, Monday 09:00 + 2h = 11:00.
    assert_eq!(jiff::civil::date(2035, 7, 6).weekday(), jiff::civil::Weekday::Friday);
    check_add(&cal, "2035-07-06T16:00:00+02:00", 4 * HOUR, "2035-07-09T11:00:00+02:00");
    // Spring forward on Sunday 2035-03-25, on a Sunday-only calendar.
    assert_eq!(jiff::civil::date(2035, 3, 25).weekday(), jiff::civil::Weekday::Sunday);
    let sunday = Calendar::new("Europe/Paris", only(6, &["00:00-24:00"]), vec![]).unwrap();
    assert_eq!(sunday.sla_time(at("2035-03-24T00:00:00Z"), at("2035-03-26T00:00:00Z")), 23 * HOUR);
    // Past the cached years (jiff is asked): 2300-03-25 is a Sunday and the change day.
    assert_eq!(jiff::civil::date(2300, 3, 25).weekday(), jiff::civil::Weekday::Sunday);
    assert_eq!(sunday.sla_time(at("2300-03-24T00:00:00Z"), at("2300-03-27T00:00:00Z")), 23 * HOUR);
    check_add(&sunday, "2300-03-19T00:00:00Z", 23 * HOUR, "2300-03-26T00:00:00+02:00");
    assert_eq!(sunday.sla_time(at("2300-10-27T00:00:00Z"), at("2300-10-30T00:00:00Z")), 25 * HOUR);
}

#[test]
fn cached_and_uncached_offsets_agree() {
    let week = weekdays(&["08:00-12:00", "12:30-20:15"]);
    let holidays = vec![date("2026-03-09"), date("2026-11-03"), date("2026-11-04")];
    for zone in ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata"] {
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        let cached = Calendar::new(zone, week.clone(), holidays.clone()).unwrap();
        // A window that covers nothing of interest: every lookup goes through jiff.
        let window = Offsets::with_window(tz, 0, DAY);
        let uncached = Calendar::with_offsets(zone, window, week.clone(), holidays.clone()).unwrap();
        let start = at("2025-12-20T13:17:42.123Z");
        for i in 0..200 {
            let from = start + i * 37 * HOUR + i * 7919;
            for d in [1, HOUR, 10 * HOUR + 17, 100 * HOUR + 3] {
                assert_eq!(cached.add(from, d), uncached.add(from, d), "{zone} {from} {d}");
            }
            let to = from + (i % 13) * DAY + 12_345;
            assert_eq!(cached.sla_time(from, to), uncached.sla_time(from, to), "{zone} {from}");
        }
    }
}

#[test]
fn far_out_of_range_instants_terminate() {
    let cal = paris_9to6();
    assert_eq!(cal.add(at("2026-06-01T00:00:00Z"), i64::MAX), MAX_INSTANT);
    assert_eq!(cal.add(MAX_INSTANT + 5, HOUR), MAX_INSTANT + 5);
    assert_eq!(cal.add(i64::MAX, 1), i64::MAX);
    assert!(cal.add(i64::MIN, HOUR) >= MIN_INSTANT);
    assert_eq!(cal.sla_time(MAX_INSTANT, i64::MAX), 0);
    // Near the end of the range: 9999-12-27 is a Monday.
    let t = at("9999-12-27T00:00:00Z");
    assert_eq!(cal.add(t, 9 * HOUR), at("9999-12-27T18:00:00+01:00"));
    assert_eq!(cal.add(t, 50 * HOUR), MAX_INSTANT);
    assert!(jiff::Timestamp::from_millisecond(MAX_INSTANT).is_ok());
    assert!(jiff::Timestamp::from_millisecond(MIN_INSTANT).is_ok());
}

#[test]
fn validation() {
    assert_eq!(
        Calendar::new("Mars/Olympus", weekdays(&["09:00-18:00"]), vec![]).unwrap_err(),
        CalendarError::UnknownTimeZone("Mars/Olympus".into())
    );
    assert_eq!(Calendar::new("Europe/Paris", Default::default(), vec![]).unwrap_err(), CalendarError::NeverOpen);
    let bad = |s: Segment| Calendar::new("Europe/Paris", only(2, &[]).map(|_| vec![s]), vec![]).unwrap_err();
    assert!(matches!(bad(Segment::new(600, 600)), CalendarError::InvalidSegment(m) if m.contains("10:00-10:00")));
    assert!(matches!(bad(Segment::new(700, 600)), CalendarError::InvalidSegment(_)));
    assert!(matches!(bad(Segment::new(0, 1441)), CalendarError::InvalidSegment(m) if m.contains("after 24:00")));
    let holiday = Calendar::new("Europe/Paris", weekdays(&["09:00-18:00"]), vec![LocalDate::new(2026, 2, 29)]);
    assert!(matches!(holiday.unwrap_err(), CalendarError::InvalidHoliday(_)));
}

#[test]
fn overlapping_and_adjacent_segments_are_merged() {
    let week = only(0, &["13:00-18:00", "09:00-12:00", "11:00-13:00", "17:00-17:30", "20:00-21:00"]);
    let cal = Calendar::new("UTC", week, vec![]).unwrap();
    let monday = &cal.week().unwrap()[0];
    assert_eq!(monday, &vec![Segment::new(540, 1080), Segment::new(1200, 1260)]);
    assert_eq!(cal.sla_time(at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z")), 10 * HOUR);
}

#[test]
fn parsing() {
    assert_eq!(seg("09:00-12:30"), Segment::new(540, 750));
    assert_eq!(seg("13:30-24:00"), Segment::new(810, 1440));
    assert_eq!(seg("00:00-00:01").to_string(), "00:00-00:01");
    for bad in ["9:00-12:00", "24:00-24:00", "09:00-24:01", "09:60-10:00", "09:00", "09:00-", "ab:cd-10:00"] {
        assert!(bad.parse::<Segment>().is_err(), "{bad}");
    }
    assert_eq!(date("2026-12-25"), LocalDate::new(2026, 12, 25));
    assert_eq!(date("2028-02-29").to_string(), "2028-02-29");
    for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "20261225", "2026-12-25x", "2026-00-10"] {
        assert!(bad.parse::<LocalDate>().is_err(), "{bad}");
    }
}

#[test]
fn day_numbers_match_jiff() {
    let epoch = jiff::civil::date(1970, 1, 1);
    for (y, m, d) in [(1970, 1, 1), (1969, 12, 31), (2000, 2, 29), (2026, 12, 25), (1600, 3, 1), (9999, 12, 31)] {
        let expected = epoch.until(jiff::civil::date(y, m, d)).unwrap().get_days() as i64;
        assert_eq!(day_number(y.into(), m.into(), d.into()), Some(expected), "{y}-{m}-{d}");
    }
    assert_eq!(day_number(2100, 2, 29), None);
}

#[test]
fn local_measure_closed_forms() {
    let mut days: [Vec<(u16, u16)>; 7] = Default::default();
    days[0] = vec![(540, 1080)];
    days[4] = vec![(0, 60), (1380, 1440)];
    days[5] = vec![(0, 30)];
    let m = LocalMeasure::new(&days, &[]);
    assert_eq!(m.week_open(), 11 * HOUR + 30 * MINUTE);
    // Monday 1970-01-05 is local day 4.
    let monday = 4 * DAY;
    assert_eq!(m.cumulative(monday + 10 * HOUR) - m.cumulative(monday), HOUR);
    assert_eq!(m.advance(monday, HOUR), monday + 10 * HOUR);
    // Friday 23:00 + 1h15m crosses into Saturday.
    let friday_late = monday + 4 * DAY + 23 * HOUR;
    assert_eq!(m.advance(friday_late, 75 * MINUTE), monday + 5 * DAY + 15 * MINUTE);
    // Ending exactly at Saturday 00:30 stays there; 1 ms more goes to Monday 09:00.
    assert_eq!(m.advance(friday_late, 90 * MINUTE), monday + 5 * DAY + 30 * MINUTE);
    assert_eq!(m.advance(friday_late, 90 * MINUTE + 1), monday + 7 * DAY + 9 * HOUR + 1);
    // Whole weeks, before the epoch too.
    for w in [-3000, -1, 0, 1, 52, 5000] {
        let base = monday + w * 7 * DAY + 9 * HOUR;
        assert_eq!(m.cumulative(base + 7 * DAY) - m.cumulative(base), m.week_open());
        // Three weeks of open time end at the close of the third Saturday segment.
        assert_eq!(m.advance(base, 3 * m.week_open()), base + 21 * DAY - (2 * DAY + 8 * HOUR + 30 * MINUTE));
    }
}

/// Prints rough costs; run with
/// `cargo test --release --lib engine::calendar::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
#[allow(clippy::disallowed_methods)] // wall-clock timing of the arithmetic itself, not engine time
fn timing() {
    use std::hint::black_box;
    use std::time::Instant;
    let office = paris_office();
    let always = Calendar::always_open();
    let start = at("2026-01-05T00:00:00Z");
    let n = 2_000_000i64;
    // Instants about 2h12m apart, all over the week and the years 2026-2035.
    let (step, span) = (7_919_777, 10 * 365 * DAY);
    for (name, cal, d) in [("24x7 add 3d", &always, 72 * HOUR), ("paris-office add 24h (3 days)", &office, 24 * HOUR)] {
        let t0 = Instant::now();
        let mut acc = 0i64;
        for i in 0..n {
            acc = acc.wrapping_add(cal.add(black_box(start + (i * step) % span), black_box(d)));
        }
        let per = t0.elapsed().as_nanos() as f64 / n as f64;
        black_box(acc);
        println!("{name}: {per:.1} ns/add");
    }
    let t0 = Instant::now();
    let mut acc = 0i64;
    for i in 0..n {
        let from = start + (i * step) % span;
        acc = acc.wrapping_add(office.sla_time(black_box(from), black_box(from + 4 * DAY + 12_345)));
    }
    black_box(acc);
    println!("paris-office sla_time over 4 days: {:.1} ns", t0.elapsed().as_nanos() as f64 / n as f64);
    let t0 = Instant::now();
    for i in 0..n / 10 {
        let from = start + (i * step) % span;
        acc = acc.wrapping_add(office.add(black_box(from), black_box(2000 * HOUR)));
    }
    black_box(acc);
    println!("paris-office add 2000h (about a year): {:.1} ns", t0.elapsed().as_nanos() as f64 / (n / 10) as f64);
}
