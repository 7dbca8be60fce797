use super::*;

fn check<T>(wheel: &Wheel<T>) {
    if let Err(e) = wheel.check_invariants() {
        panic!("{e}\n{wheel:?}");
    }
}

/// Refs held by the levels, live and stale.
fn refs<T>(wheel: &Wheel<T>) -> usize {
    wheel.levels.iter().map(Level::refs).sum()
}

/// Polls until `None`, returning `(deadline, value)` pairs.
fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<(u64, T)> {
    let mut out = Vec::new();
    while let Some(e) = wheel.poll(now) {
        check(wheel);
        out.push((e.deadline, e.value));
    }
    check(wheel);
    out
}

/// 64^n, saturating.
fn span(n: u32) -> u64 {
    1u64.checked_shl(n * 6).unwrap_or(u64::MAX)
}

const DAY: u64 = 86_400_000;
const YEAR: u64 = 365 * DAY;

/// Distances from the clock at every level boundary, at the 7-level range (64^7 ms, 139
/// years), at ten years, and up to the end of `u64`.
fn boundary_deltas() -> Vec<u64> {
    let mut deltas = vec![0, 1, 62, 63, 64, 65];
    for n in 2..=11 {
        let s = span(n);
        deltas.extend([s.saturating_sub(1), s, s.saturating_add(1)]);
    }
    deltas.extend([10 * YEAR, 139 * YEAR, 140 * YEAR, 1 << 60, u64::MAX - 1, u64::MAX]);
    deltas
}

#[test]
fn level_selection_at_every_boundary_from_zero() {
    for delta in boundary_deltas() {
        let mut wheel = Wheel::new(0);
        wheel.insert(delta, ());
        let expected = level_for(0, delta);
        assert_eq!(wheel.levels[expected].refs(), 1, "delta {delta:#x}: not on level {expected}; {wheel:?}");
        let expected_level = match delta {
            0..=63 => 0,
            _ => (delta.ilog2() / 6) as usize,
        };
        assert_eq!(expected, expected_level, "delta {delta:#x}");
        check(&wheel);
    }
    // The 7-level range is 64^7 ms; ten years is inside it, the next ms is level 7.
    assert!(level_for(0, 10 * YEAR) <= 6);
    assert_eq!(level_for(0, span(7) - 1), 6);
    assert_eq!(level_for(0, span(7)), 7);
    assert_eq!(level_for(0, u64::MAX), 10);
}

#[test]
fn every_boundary_fires_exactly_on_time_from_any_clock() {
    let clocks = [0, 1, 63, 4095, 1_700_000_000_123, (1 << 42) - 7, (1 << 60) - 1, u64::MAX - 5 * YEAR, u64::MAX - 64];
    for clock in clocks {
        for delta in boundary_deltas() {
            let Some(deadline) = clock.checked_add(delta) else { continue };
            let mut wheel = Wheel::new(clock);
            let h = wheel.insert(deadline, delta);
            check(&wheel);
            assert_eq!(wheel.deadline(h), Some(deadline));
            assert_eq!(wheel.next_deadline(), Some(deadline), "clock {clock} delta {delta}");
            check(&wheel);
            assert_eq!(wheel.clock(), clock, "next_deadline moved the clock");
            if deadline > clock {
                assert_eq!(wheel.poll(deadline - 1), None, "clock {clock} delta {delta} fired early");
                assert_eq!(wheel.clock(), deadline - 1);
                check(&wheel);
                assert_eq!(wheel.next_deadline(), Some(deadline));
            }
            assert_eq!(wheel.poll(deadline), Some(Expired { deadline, value: delta }), "clock {clock} delta {delta}");
            assert_eq!(wheel.poll(deadline), None);
            assert_eq!(wheel.clock(), deadline);
            assert!(wheel.is_empty());
            assert_eq!(wheel.next_deadline(), None);
            assert_eq!(wheel.get(h), None);
            check(&wheel);
        }
    }
}

#[test]
fn a_jump_over_all_boundaries_fires_in_order() {
    let clock = 1_700_000_000_123;
    let mut wheel = Wheel::new(clock);
    let deltas = boundary_deltas();
    for &delta in deltas.iter().rev() {
        if let Some(deadline) = clock.checked_add(delta) {
            wheel.insert(deadline, delta);
        }
    }
    check(&wheel);
    let fired: Vec<u64> = drain(&mut wheel, u64::MAX).into_iter().map(|(_, delta)| delta).collect();
    let mut expected: Vec<u64> = deltas.into_iter().filter(|d| clock.checked_add(*d).is_some()).collect();
    expected.sort();
    assert_eq!(fired, expected);
}

#[test]
fn past_deadlines_fire_first_in_deadline_order() {
    let mut wheel = Wheel::new(1000);
    for d in [900, 2000, 500, 1000, 700, 0] {
        wheel.insert(d, d);
    }
    assert_eq!(wheel.next_deadline(), Some(0));
    assert_eq!(drain(&mut wheel, 1000), [(0, 0), (500, 500), (700, 700), (900, 900), (1000, 1000)]);
    assert_eq!(wheel.clock(), 1000);
    assert_eq!(drain(&mut wheel, 1999), []);
    assert_eq!(drain(&mut wheel, 2000), [(2000, 2000)]);
}

#[test]
fn now_going_backwards_is_the_clock() {
    let mut wheel = Wheel::new(100);
    wheel.insert(150, 'a');
    assert_eq!(wheel.poll(50), None);
    assert_eq!(wheel.clock(), 100);
    assert_eq!(wheel.poll(200).map(|e| e.value), Some('a'));
    // The clock moves once nothing more is due.
    assert_eq!(wheel.clock(), 100);
    assert_eq!(wheel.poll(200), None);
    assert_eq!(wheel.clock(), 200);
    assert_eq!(wheel.poll(0), None);
    assert_eq!(wheel.clock(), 200);
    wheel.insert(150, 'b');
    assert_eq!(wheel.poll(0).map(|e| (e.deadline, e.value)), Some((150, 'b')));
}

#[test]
fn a_cascaded_timer_precedes_a_later_insert_of_the_same_deadline() {
    // `a` goes to level 2 at clock 0; `b`, for the same deadline, is inserted once the clock
    // is in the same 64 ms block, directly on level 0; `c` in between on level 1.
    let mut wheel = Wheel::new(0);
    wheel.insert(5000, 'a');
    assert_eq!(wheel.poll(4100), None);
    wheel.insert(5000, 'c');
    assert_eq!(wheel.poll(4990), None);
    wheel.insert(5000, 'b');
    check(&wheel);
    assert_eq!(drain(&mut wheel, 5000), [(5000, 'a'), (5000, 'c'), (5000, 'b')]);
}

#[test]
fn next_deadline_cascades_without_breaking_order() {
    let mut wheel = Wheel::new(0);
    let a = wheel.insert(300_000, 'a');
    wheel.insert(300_000, 'b');
    assert_eq!(wheel.next_deadline(), Some(300_000));
    assert_eq!(wheel.clock(), 0);
    check(&wheel);
    // Inserted after the cascade: behind `pos`, or on level 0 with the others.
    wheel.insert(300_000, 'c');
    wheel.insert(299_999, 'd');
    wheel.insert(10, 'e');
    assert!(wheel.reset(a, 300_000));
    check(&wheel);
    assert_eq!(wheel.next_deadline(), Some(10));
    assert_eq!(drain(&mut wheel, 300_000), [(10, 'e'), (299_999, 'd'), (300_000, 'b'), (300_000, 'c'), (300_000, 'a')]);
}

#[test]
fn reset_counts_as_a_new_insertion() {
    let mut wheel = Wheel::new(0);
    let a = wheel.insert(100, 'a');
    let b = wheel.insert(100, 'b');
    assert!(wheel.reset(a, 100));
    assert!(wheel.reset(b, 50));
    assert_eq!(wheel.deadline(b), Some(50));
    let c = wheel.insert(100, 'c');
    assert!(wheel.reset(b, 100));
    check(&wheel);
    assert_eq!(drain(&mut wheel, 100), [(100, 'a'), (100, 'c'), (100, 'b')]);
    assert!(!wheel.reset(c, 200));
    assert_eq!(wheel.len(), 0);
}

#[test]
fn stale_handles_are_harmless() {
    let mut wheel = Wheel::new(0);
    let a = wheel.insert(10, 'a');
    assert_eq!(wheel.cancel(a), Some('a'));
    assert_eq!(wheel.cancel(a), None);
    assert!(!wheel.reset(a, 5));
    // The entry is reused: the old handle must not reach the new timer.
    let b = wheel.insert(10, 'b');
    assert_eq!(b.index, a.index);
    assert_eq!(wheel.get(a), None);
    assert_eq!(wheel.deadline(a), None);
    assert_eq!(wheel.cancel(a), None);
    assert!(!wheel.reset(a, 1));
    assert_eq!(wheel.get(b), Some(&'b'));
    let forged = TimerHandle { index: u32::MAX, generation: std::num::NonZeroU32::MIN };
    assert_eq!(wheel.cancel(forged), None);
    assert!(!wheel.reset(forged, 0));
    assert_eq!(wheel.get(forged), None);
    check(&wheel);
    assert_eq!(drain(&mut wheel, 10), [(10, 'b')]);
    assert_eq!(wheel.cancel(b), None);
}

#[test]
fn the_end_of_time() {
    let mut wheel = Wheel::new(u64::MAX);
    wheel.insert(u64::MAX, 1);
    wheel.insert(0, 0);
    assert_eq!(wheel.next_deadline(), Some(0));
    assert_eq!(drain(&mut wheel, 0), [(0, 0), (u64::MAX, 1)]);

    let mut wheel = Wheel::new(0);
    let h = wheel.insert(u64::MAX, 'x');
    assert_eq!(wheel.next_deadline(), Some(u64::MAX));
    check(&wheel);
    // `pos` ran to the end of time; inserts before it go to the side heap and rewind.
    for d in (1..200u64).rev() {
        wheel.insert(d * 1000, 'y');
        check(&wheel);
    }
    assert!(wheel.pos < u64::MAX - 64, "no rewind: {wheel:?}");
    assert_eq!(drain(&mut wheel, u64::MAX - 1).len(), 199);
    assert_eq!(wheel.deadline(h), Some(u64::MAX));
    assert_eq!(drain(&mut wheel, u64::MAX), [(u64::MAX, 'x')]);
    assert_eq!(wheel.clock(), u64::MAX);
}

#[test]
fn rewind_after_next_deadline_ran_far_ahead() {
    let mut wheel = Wheel::new(0);
    wheel.insert(30 * DAY, u64::MAX);
    assert_eq!(wheel.next_deadline(), Some(30 * DAY));
    assert!(wheel.pos > 29 * DAY);
    let mut expected = vec![(30 * DAY, u64::MAX)];
    let mut x = 12345u64;
    for i in 0..500 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let d = (x >> 20) % (30 * DAY);
        wheel.insert(d, i);
        expected.push((d, i));
        check(&wheel);
        if i % 50 == 0 {
            wheel.next_deadline();
            check(&wheel);
        }
    }
    assert!(wheel.ahead.len() < REWIND_MIN * 2, "{wheel:?}");
    expected.sort_by_key(|&(d, _)| d);
    assert_eq!(drain(&mut wheel, u64::MAX), expected);
}

#[test]
fn compaction_bounds_stale_refs() {
    let mut wheel = Wheel::new(0);
    let handles: Vec<_> = (0..20_000u64).map(|i| wheel.insert(DAY + i % 1000, i)).collect();
    let full = refs(&wheel);
    for h in handles.iter().filter(|h| h.index % 10 != 0) {
        wheel.cancel(*h);
    }
    check(&wheel);
    assert!(refs(&wheel) * 3 < full, "{} refs of {full} still held", refs(&wheel));
    // Resetting in place over and over does not grow the slot.
    let h = handles[0];
    for _ in 0..10_000 {
        assert!(wheel.reset(h, DAY));
    }
    check(&wheel);
    assert!(refs(&wheel) * 3 < full);
    let fired = drain(&mut wheel, 2 * DAY);
    assert_eq!(fired.len(), 2000);
    assert!(fired.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(fired.last(), Some(&(DAY + 990, 19_990)));
}

#[test]
fn sweep_keeps_every_live_timer() {
    let mut wheel = Wheel::new(0);
    let handles: Vec<_> = (0..3000u64).map(|i| wheel.insert(i * 7919 % 100_000, i)).collect();
    wheel.next_deadline();
    for h in handles.iter().step_by(3) {
        wheel.cancel(*h);
    }
    wheel.insert(5, 5);
    for _ in 0..SWEEP_STEPS {
        wheel.sweep_step();
        check(&wheel);
    }
    assert_eq!(refs(&wheel), 2001, "stale refs left after a sweep round");
    assert_eq!(wheel.sweep, 0);
    assert_eq!(drain(&mut wheel, u64::MAX).len(), 2001);
}

#[test]
fn all_stale_slot_is_dropped_without_reading_entries() {
    let mut wheel = Wheel::new(0);
    let handles: Vec<_> = (0..1000u64).map(|i| wheel.insert(DAY, i)).collect();
    for h in handles {
        wheel.cancel(h);
    }
    check(&wheel);
    wheel.settle();
    assert_eq!(refs(&wheel), 0);
    assert_eq!(wheel.levels.iter().map(Level::bytes).sum::<usize>(), 0);
    check(&wheel);
    assert_eq!(wheel.next_deadline(), None);
}

#[test]
fn get_and_deadline_follow_the_timer() {
    let mut wheel = Wheel::with_capacity(7, 16);
    let h = wheel.insert(100, String::from("x"));
    assert_eq!(wheel.get(h).map(String::as_str), Some("x"));
    assert!(wheel.reset(h, 3));
    assert_eq!(wheel.deadline(h), Some(3));
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.poll(7).map(|e| (e.deadline, e.value)), Some((3, String::from("x"))));
    assert_eq!(wheel.deadline(h), None);
}

#[test]
fn memory_per_timer_at_100k() {
    let n = 100_000u64;
    let mut wheel = Wheel::with_capacity(0, n as usize);
    let mut x = 1u64;
    for i in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        wheel.insert((x >> 16) % (30 * DAY), i);
    }
    let handle = std::mem::size_of::<TimerHandle>() as f64;
    assert_eq!(handle, 8.0);
    let per_timer = wheel.bytes_per_timer() + handle;
    assert!(per_timer <= 48.0, "{per_timer} bytes per timer; {wheel:?}");
}

#[test]
fn debug_output_is_short() {
    let mut wheel = Wheel::new(0);
    wheel.insert(100_000, 0u8);
    let text = format!("{wheel:?}");
    assert!(text.contains("len: 1") && text.len() < 200, "{text}");
}
