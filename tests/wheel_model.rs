//! The timing wheel against a model: a `BTreeMap<(deadline, seq), id>` where `seq` counts
//! insertions and resets. Random sequences of insert, cancel, reset, poll, advance and
//! next_deadline, with deadlines in the past, ties, time jumps from milliseconds to years and
//! to the end of `u64`, stale and reused handles, and `now` going backwards. Every output,
//! `len`, `clock`, `deadline` and `get` must match the model, and the wheel's internal
//! invariants must hold after every step.

use proptest::prelude::*;
use slad::engine::wheel::{Expired, TimerHandle, Wheel};
use std::collections::{BTreeMap, HashMap};

/// A time relative to the model's clock when the step runs.
#[derive(Debug, Clone, Copy)]
enum At {
    /// `clock - n` (saturating): already due.
    Back(u64),
    /// `clock + n` (saturating).
    Ahead(u64),
    /// An absolute instant.
    Abs(u64),
}

#[derive(Debug, Clone)]
enum Op {
    Insert(At),
    InsertMany(Vec<At>),
    /// Cancels `handles[i % len]`, possibly stale.
    Cancel(usize),
    CancelMany(Vec<usize>),
    /// Inserts `n` timers due at the same instant.
    Crowd(At, usize),
    /// Cancels every handle but one in `keep_every` (which compacts crowded slots).
    Thin(usize),
    Reset(usize, At),
    /// One poll.
    Poll(At),
    /// Polls until `None`.
    Advance(At),
    NextDeadline,
}

const MINUTE: u64 = 60_000;
const YEAR: u64 = 365 * 24 * 60 * MINUTE;

fn distance() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..64u64,
        3 => 0..5_000u64,
        2 => 0..(1u64 << 20),
        2 => MINUTE..(60 * MINUTE),
        1 => 0..(1u64 << 30),
        1 => YEAR..(200 * YEAR),
        1 => prop_oneof![Just(1u64 << 36), Just(1u64 << 42), Just((1u64 << 42) - 1), Just(1u64 << 60)],
        1 => any::<u64>(),
    ]
}

fn at() -> impl Strategy<Value = At> {
    prop_oneof![
        2 => (0..2_000u64).prop_map(At::Back),
        1 => any::<u64>().prop_map(At::Back),
        8 => distance().prop_map(At::Ahead),
        1 => prop_oneof![Just(0u64), Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()].prop_map(At::Abs),
    ]
}

/// Near-future instants, to crowd slots and the side heaps.
fn near() -> impl Strategy<Value = At> {
    prop_oneof![(0..300u64).prop_map(At::Ahead), (0..100_000u64).prop_map(At::Ahead), (0..50u64).prop_map(At::Back)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => at().prop_map(Op::Insert),
        2 => prop::collection::vec(near(), 0..150).prop_map(Op::InsertMany),
        10 => any::<usize>().prop_map(Op::Cancel),
        2 => prop::collection::vec(any::<usize>(), 0..150).prop_map(Op::CancelMany),
        2 => (at(), 0..250usize).prop_map(|(t, n)| Op::Crowd(t, n)),
        1 => (2..300usize).prop_map(Op::Thin),
        10 => (any::<usize>(), at()).prop_map(|(i, t)| Op::Reset(i, t)),
        8 => at().prop_map(Op::Poll),
        8 => at().prop_map(Op::Advance),
        10 => Just(Op::NextDeadline),
    ]
}

fn start() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1_700_000_000_000u64),
        Just((1u64 << 42) - 300),
        Just(u64::MAX - 100_000),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

#[derive(Default)]
struct Model {
    clock: u64,
    seq: u64,
    timers: BTreeMap<(u64, u64), u64>,
    /// id -> key in `timers`, for armed timers.
    keys: HashMap<u64, (u64, u64)>,
}

impl Model {
    fn resolve(&self, at: At) -> u64 {
        match at {
            At::Back(n) => self.clock.saturating_sub(n),
            At::Ahead(n) => self.clock.saturating_add(n),
            At::Abs(t) => t,
        }
    }

    fn arm(&mut self, id: u64, deadline: u64) {
        self.seq += 1;
        self.timers.insert((deadline, self.seq), id);
        self.keys.insert(id, (deadline, self.seq));
    }

    fn disarm(&mut self, id: u64) -> bool {
        match self.keys.remove(&id) {
            Some(key) => self.timers.remove(&key).is_some(),
            None => false,
        }
    }

    fn poll(&mut self, now: u64) -> Option<Expired<u64>> {
        let now = now.max(self.clock);
        match self.timers.first_key_value() {
            Some((&(deadline, seq), &id)) if deadline <= now => {
                self.timers.remove(&(deadline, seq));
                self.keys.remove(&id);
                Some(Expired { deadline, value: id })
            }
            _ => {
                self.clock = now;
                None
            }
        }
    }
}

struct Harness {
    wheel: Wheel<u64>,
    model: Model,
    handles: Vec<(TimerHandle, u64)>,
    next_id: u64,
}

impl Harness {
    fn new(start: u64) -> Harness {
        Harness {
            wheel: Wheel::new(start),
            model: Model { clock: start, ..Model::default() },
            handles: vec![],
            next_id: 0,
        }
    }

    fn insert(&mut self, at: At) -> Result<(), TestCaseError> {
        let deadline = self.model.resolve(at);
        let id = self.next_id;
        self.next_id += 1;
        let handle = self.wheel.insert(deadline, id);
        self.model.arm(id, deadline);
        self.handles.push((handle, id));
        Ok(())
    }

    fn cancel(&mut self, i: usize) -> Result<(), TestCaseError> {
        if self.handles.is_empty() {
            return Ok(());
        }
        let (handle, id) = self.handles[i % self.handles.len()];
        let expected = self.model.disarm(id).then_some(id);
        prop_assert_eq!(self.wheel.cancel(handle), expected, "cancel {:?}", handle);
        Ok(())
    }

    fn poll(&mut self, now: u64) -> Result<bool, TestCaseError> {
        let expected = self.model.poll(now);
        let got = self.wheel.poll(now);
        prop_assert_eq!(&got, &expected, "poll({}) with clock {}", now, self.model.clock);
        Ok(got.is_some())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Insert(at) => self.insert(*at)?,
            Op::InsertMany(ats) => {
                for at in ats {
                    self.insert(*at)?;
                }
            }
            Op::Cancel(i) => self.cancel(*i)?,
            Op::CancelMany(is) => {
                for i in is {
                    self.cancel(*i)?;
                }
            }
            Op::Crowd(at, n) => {
                let deadline = self.model.resolve(*at);
                for _ in 0..*n {
                    self.insert(At::Abs(deadline))?;
                }
            }
            Op::Thin(keep_every) => {
                for i in 0..self.handles.len() {
                    if i % keep_every != keep_every / 2 {
                        self.cancel(i)?;
                    }
                }
            }
            Op::Reset(i, at) => {
                if !self.handles.is_empty() {
                    let (handle, id) = self.handles[i % self.handles.len()];
                    let deadline = self.model.resolve(*at);
                    let armed = self.model.disarm(id);
                    if armed {
                        self.model.arm(id, deadline);
                    }
                    prop_assert_eq!(self.wheel.reset(handle, deadline), armed, "reset {:?} to {}", handle, deadline);
                }
            }
            Op::Poll(at) => {
                let now = self.model.resolve(*at);
                self.poll(now)?;
            }
            Op::Advance(at) => {
                let now = self.model.resolve(*at);
                while self.poll(now)? {}
            }
            Op::NextDeadline => {
                let expected = self.model.timers.first_key_value().map(|(&(deadline, _), _)| deadline);
                prop_assert_eq!(self.wheel.next_deadline(), expected);
            }
        }
        self.check()
    }

    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.wheel.len(), self.model.timers.len());
        prop_assert_eq!(self.wheel.is_empty(), self.model.timers.is_empty());
        prop_assert_eq!(self.wheel.clock(), self.model.clock);
        if let Err(e) = self.wheel.check_invariants() {
            return Err(TestCaseError::fail(format!("{e}\n{:?}", self.wheel)));
        }
        for &(handle, id) in &self.handles {
            let deadline = self.model.keys.get(&id).map(|&(deadline, _)| deadline);
            prop_assert_eq!(self.wheel.deadline(handle), deadline, "deadline of {:?}", handle);
            prop_assert_eq!(self.wheel.get(handle), deadline.map(|_| &id));
        }
        Ok(())
    }
}

fn run(start: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut h = Harness::new(start);
    for op in ops {
        h.step(op)?;
    }
    // Whatever is left fires in model order.
    h.step(&Op::Advance(At::Abs(u64::MAX)))?;
    prop_assert!(h.wheel.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, max_shrink_iters: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn wheel_matches_model(start in start(), ops in prop::collection::vec(op(), 1..160)) {
        run(start, &ops)?;
    }
}

/// The pattern of an engine: after every input, ask for the next deadline (the wheel runs
/// ahead to it), then insert timers earlier than it, with bursts large enough to make the
/// wheel rewind, and cancel some.
#[test]
fn next_deadline_then_earlier_inserts() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut rand = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for round in 0..20 {
        let start = [0, 1_700_000_000_000, (1 << 42) - 5000][round % 3];
        let mut ops = vec![Op::Insert(At::Ahead(30 * 24 * 60 * MINUTE)), Op::NextDeadline];
        for _ in 0..600 {
            ops.push(match rand(10) {
                0..=4 => {
                    let bits = 4 + rand(28);
                    Op::Insert(At::Ahead(rand(1 << bits)))
                }
                5 => Op::NextDeadline,
                6 => Op::Cancel(rand(1 << 20) as usize),
                7 => Op::Reset(rand(1 << 20) as usize, At::Ahead(rand(100_000))),
                8 => {
                    let bits = 4 + rand(20);
                    Op::Poll(At::Ahead(rand(1 << bits)))
                }
                _ => Op::Insert(At::Back(rand(100))),
            });
        }
        run(start, &ops).unwrap();
    }
}
