//! The timing wheel against tokio-util's `DelayQueue` and a `BinaryHeap` with lazy deletion,
//! with 1k, 1M and 10M armed timers, deadlines uniform over 30 days:
//!
//! - insert: inserting into an empty structure until it holds N timers;
//! - cancel: cancelling all N timers in random order;
//! - reset: moving the N timers, in random order, to new uniform deadlines;
//! - expire 30d: advancing the clock over the 30 days in 3-day steps, firing everything;
//! - expire window: the same N timers due within a short window (O ms from now, spread over
//!   W ms), fired after the window has passed. This is the only expire that `DelayQueue` can
//!   run here: it reads tokio's clock, which can be paused and advanced only with tokio's
//!   `test-util` feature, so its window is real time (built, then waited for, untimed). The
//!   wheel and the heap get the same deadlines in virtual time.
//!
//! Each criterion iteration is a slice of N/10 operations (a tenth of a pass) on a
//! structure built outside the timing, so the 10M runs stay short; a new structure is built
//! when a pass ends. Every measured slice is also added to a table printed at the end: total
//! time / operations, i.e. ns per operation at that size. Bytes per armed timer are measured
//! with a counting allocator: allocated bytes after building N timers (with capacity for N),
//! over N, not counting the caller's 8-byte handle (each of the three has one).
//!
//! Run: `cargo bench --bench wheel` (about 6 minutes on 2 cores); a criterion filter such as
//! `cargo bench --bench wheel -- 1M` runs a subset (the table then lists that subset).

// The benchmark measures wall time.
#![allow(clippy::disallowed_methods)]

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use slad::engine::wheel::{TimerHandle, Wheel};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio_util::time::delay_queue::{DelayQueue, Key};

/// Counts live heap bytes, to measure memory per timer.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const DAY: u64 = 86_400_000;
const SPAN: u64 = 30 * DAY;
/// The wheel and the heap start at a realistic epoch time, not aligned to any level.
const START: u64 = 1_700_000_000_123;

/// The structures under test. Deadlines are milliseconds after the structure was built.
trait Timers: Sized {
    const NAME: &'static str;
    /// Whether `expire` can advance virtual time.
    const VIRTUAL_TIME: bool = true;
    type Handle: Copy;
    fn build(capacity: usize) -> Self;
    /// Bytes allocated by `build` that are not the structure (a runtime).
    fn external_bytes() -> usize {
        0
    }
    fn insert(&mut self, after: u64, value: u64) -> Self::Handle;
    fn cancel(&mut self, handle: Self::Handle);
    fn reset(&mut self, handle: &mut Self::Handle, after: u64);
    /// Fires up to `max` timers due at or before `after`; returns how many fired.
    fn expire(&mut self, after: u64, max: usize) -> usize;
    fn len(&self) -> usize;
}

impl Timers for Wheel<u64> {
    const NAME: &'static str = "wheel";
    type Handle = TimerHandle;
    fn build(capacity: usize) -> Self {
        Wheel::with_capacity(START, capacity)
    }
    fn insert(&mut self, after: u64, value: u64) -> TimerHandle {
        Wheel::insert(self, START + after, value)
    }
    fn cancel(&mut self, handle: TimerHandle) {
        black_box(Wheel::cancel(self, handle));
    }
    fn reset(&mut self, handle: &mut TimerHandle, after: u64) {
        black_box(Wheel::reset(self, *handle, START + after));
    }
    fn expire(&mut self, after: u64, max: usize) -> usize {
        let mut fired = 0;
        while fired < max {
            match self.poll(START.saturating_add(after)) {
                Some(e) => {
                    black_box(e);
                    fired += 1;
                }
                None => break,
            }
        }
        fired
    }
    fn len(&self) -> usize {
        Wheel::len(self)
    }
}

/// A binary heap of `(deadline, id)` with lazy deletion: cancel clears `live[id]`, a reset
/// cancels and pushes a new id, expire pops and skips dead ids.
struct LazyHeap {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    live: Vec<bool>,
    values: Vec<u64>,
    len: usize,
}

impl Timers for LazyHeap {
    const NAME: &'static str = "BinaryHeap";
    type Handle = u64;
    fn build(capacity: usize) -> Self {
        LazyHeap {
            heap: BinaryHeap::with_capacity(capacity),
            live: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            len: 0,
        }
    }
    fn insert(&mut self, after: u64, value: u64) -> u64 {
        let id = self.live.len() as u64;
        self.live.push(true);
        self.values.push(value);
        self.heap.push(Reverse((START + after, id)));
        self.len += 1;
        id
    }
    fn cancel(&mut self, id: u64) {
        let live = &mut self.live[id as usize];
        if *live {
            *live = false;
            self.len -= 1;
        }
    }
    fn reset(&mut self, id: &mut u64, after: u64) {
        self.cancel(*id);
        let value = self.values[*id as usize];
        *id = self.insert(after, value);
    }
    fn expire(&mut self, after: u64, max: usize) -> usize {
        let mut fired = 0;
        while fired < max {
            match self.heap.peek() {
                Some(&Reverse((deadline, id))) if deadline <= START.saturating_add(after) => {
                    self.heap.pop();
                    if std::mem::replace(&mut self.live[id as usize], false) {
                        black_box(self.values[id as usize]);
                        self.len -= 1;
                        fired += 1;
                    }
                }
                _ => break,
            }
        }
        fired
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// tokio-util's `DelayQueue` in a current-thread runtime with the time driver, entered for
/// insert, remove and reset (it arms a tokio `Sleep` for its next deadline).
struct Dq {
    queue: DelayQueue<u64>,
    base: tokio::time::Instant,
    runtime: tokio::runtime::Runtime,
}

impl Timers for Dq {
    const NAME: &'static str = "DelayQueue";
    const VIRTUAL_TIME: bool = false;
    type Handle = Key;
    fn external_bytes() -> usize {
        let before = ALLOCATED.load(Ordering::Relaxed);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let bytes = ALLOCATED.load(Ordering::Relaxed) - before;
        drop(runtime);
        bytes
    }
    fn build(capacity: usize) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let _entered = runtime.enter();
        Dq { queue: DelayQueue::with_capacity(capacity), base: tokio::time::Instant::now(), runtime }
    }
    fn insert(&mut self, after: u64, value: u64) -> Key {
        let _entered = self.runtime.enter();
        self.queue.insert_at(value, self.base + Duration::from_millis(after))
    }
    fn cancel(&mut self, key: Key) {
        let _entered = self.runtime.enter();
        black_box(self.queue.remove(&key));
    }
    fn reset(&mut self, key: &mut Key, after: u64) {
        let _entered = self.runtime.enter();
        self.queue.reset_at(key, self.base + Duration::from_millis(after));
    }
    /// Real time only: fires up to `max` timers that tokio's clock says are due.
    fn expire(&mut self, _after: u64, max: usize) -> usize {
        let queue = &mut self.queue;
        self.runtime.block_on(async {
            let mut fired = 0;
            while fired < max {
                match std::future::poll_fn(|cx| match queue.poll_expired(cx) {
                    Poll::Ready(item) => Poll::Ready(item),
                    Poll::Pending if is_due(queue) => Poll::Pending,
                    Poll::Pending => Poll::Ready(None),
                })
                .await
                {
                    Some(item) => {
                        black_box(item);
                        fired += 1;
                    }
                    None => break,
                }
            }
            fired
        })
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Whether the queue's earliest deadline has passed (so a `Pending` only waits for the tokio
/// driver to notice).
fn is_due(queue: &DelayQueue<u64>) -> bool {
    queue.peek().is_some_and(|key| queue.deadline(&key) <= tokio::time::Instant::now())
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Op {
    Insert,
    Cancel,
    Reset,
    Expire30d,
    ExpireWindow,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Cancel => "cancel",
            Op::Reset => "reset",
            Op::Expire30d => "expire 30d",
            Op::ExpireWindow => "expire window",
        }
    }
}

/// (op, size, implementation) -> (measured time, operations).
type Table = BTreeMap<(Op, usize, &'static str), (Duration, u64)>;

static TABLE: Mutex<Table> = Mutex::new(BTreeMap::new());

fn record(op: Op, n: usize, name: &'static str, time: Duration, ops: usize) {
    let mut table = TABLE.lock().unwrap();
    let entry = table.entry((op, n, name)).or_default();
    entry.0 += time;
    entry.1 += ops as u64;
}

/// Real-time window for `expire window`: (offset, width) in ms, long enough for `DelayQueue`
/// to be built before the first deadline.
fn window(n: usize) -> (u64, u64) {
    match n {
        0..=10_000 => (20, 30),
        10_001..=2_000_000 => (600, 1000),
        _ => (4000, 3000),
    }
}

/// One structure being worked through, a slice at a time.
struct Session<T: Timers> {
    timers: T,
    handles: Vec<T::Handle>,
    /// Deadlines for inserts and resets.
    deadlines: Vec<u64>,
    next: usize,
    /// Virtual time reached by `expire 30d`.
    now: u64,
}

struct Bench<T: Timers> {
    op: Op,
    n: usize,
    rng: StdRng,
    session: Option<Session<T>>,
}

impl<T: Timers> Bench<T> {
    fn new(op: Op, n: usize) -> Self {
        Bench { op, n, rng: StdRng::seed_from_u64(n as u64), session: None }
    }

    fn uniform(&mut self, n: usize, span: u64) -> Vec<u64> {
        (0..n).map(|_| self.rng.gen_range(0..span)).collect()
    }

    /// A new session for the op (untimed).
    fn start(&mut self) -> Session<T> {
        let n = self.n;
        let mut timers = T::build(n);
        if self.op == Op::Insert {
            let deadlines = self.uniform(n, SPAN);
            return Session { timers, handles: Vec::new(), deadlines, next: 0, now: 0 };
        }
        let (offset, width) = if self.op == Op::ExpireWindow { window(n) } else { (0, SPAN) };
        let built = Instant::now();
        let deadlines = self.uniform(n, width);
        let mut handles: Vec<T::Handle> =
            deadlines.iter().enumerate().map(|(i, &d)| timers.insert(offset + d, i as u64)).collect();
        handles.shuffle(&mut self.rng);
        if self.op == Op::ExpireWindow {
            // Let the window pass in real time (only `DelayQueue` needs it).
            let end = built + Duration::from_millis(offset + width + 2);
            std::thread::sleep(end.saturating_duration_since(Instant::now()));
        }
        let deadlines = if self.op == Op::Reset { self.uniform(n, SPAN) } else { Vec::new() };
        Session { timers, handles, deadlines, next: 0, now: 0 }
    }

    /// Runs one slice of about N/10 operations; returns (time, operations).
    fn slice(&mut self) -> (Duration, usize) {
        let done = match &self.session {
            None => true,
            Some(s) => match self.op {
                Op::Insert => s.next >= self.n,
                Op::Cancel | Op::ExpireWindow => s.timers.len() == 0,
                Op::Reset => false,
                Op::Expire30d => s.now >= SPAN,
            },
        };
        if done {
            self.session = None; // drop the old one first, to bound memory
            self.session = Some(self.start());
        }
        let k = (self.n / 10).max(1);
        let s = self.session.as_mut().unwrap();
        let begin = Instant::now();
        let ops = match self.op {
            Op::Insert => {
                let end = (s.next + k).min(self.n);
                for i in s.next..end {
                    black_box(s.timers.insert(s.deadlines[i], i as u64));
                }
                let ops = end - s.next;
                s.next = end;
                ops
            }
            Op::Cancel => {
                let end = (s.next + k).min(self.n);
                for &h in &s.handles[s.next..end] {
                    s.timers.cancel(h);
                }
                let ops = end - s.next;
                s.next = end;
                ops
            }
            Op::Reset => {
                let n = self.n;
                for _ in 0..k {
                    let i = s.next % n;
                    s.timers.reset(&mut s.handles[i], s.deadlines[(s.next / n + i) % n]);
                    s.next += 1;
                }
                k
            }
            Op::Expire30d => {
                s.now += SPAN / 10;
                s.timers.expire(s.now, usize::MAX)
            }
            Op::ExpireWindow => s.timers.expire(u64::MAX, k),
        };
        let time = begin.elapsed();
        record(self.op, self.n, T::NAME, time, ops);
        (time, ops)
    }
}

fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn bench_impl<T: Timers>(c: &mut Criterion, op: Op, n: usize) {
    if op == Op::Expire30d && !T::VIRTUAL_TIME {
        return;
    }
    let mut group = c.benchmark_group(format!("{}/{}", op.name(), label(n)));
    group.sample_size(10).sampling_mode(SamplingMode::Flat).throughput(Throughput::Elements((n / 10).max(1) as u64));
    if n >= 1_000_000 {
        group.warm_up_time(Duration::from_millis(1)).measurement_time(Duration::from_millis(100));
    } else {
        group.warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_millis(300));
    }
    let mut bench = Bench::<T>::new(op, n);
    group.bench_function(BenchmarkId::from_parameter(T::NAME), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| bench.slice().0).sum())
    });
    group.finish();
}

/// Allocated bytes per timer after building N timers with capacity N.
fn bytes_per_timer<T: Timers>(n: usize) -> f64 {
    let before = ALLOCATED.load(Ordering::Relaxed);
    let mut timers = T::build(n);
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..n {
        black_box(timers.insert(rng.gen_range(0..SPAN), i as u64));
    }
    let bytes = ALLOCATED.load(Ordering::Relaxed) - before - T::external_bytes();
    drop(timers);
    bytes as f64 / n as f64
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let sizes = [1_000, 1_000_000, 10_000_000];
    for n in sizes {
        for op in [Op::Insert, Op::Cancel, Op::Reset, Op::Expire30d, Op::ExpireWindow] {
            bench_impl::<Wheel<u64>>(&mut c, op, n);
            bench_impl::<Dq>(&mut c, op, n);
            bench_impl::<LazyHeap>(&mut c, op, n);
        }
    }
    c.final_summary();

    let table = TABLE.lock().unwrap();
    if table.is_empty() {
        return;
    }
    println!(
        "\nns per operation (all measured slices; window (offset, width) ms: 1k {:?}, 1M {:?}, 10M {:?})",
        window(1_000),
        window(1_000_000),
        window(10_000_000)
    );
    println!("{:<14} {:>5} {:>10} {:>12} {:>12}", "op", "N", "wheel", "DelayQueue", "BinaryHeap");
    for op in [Op::Insert, Op::Cancel, Op::Reset, Op::Expire30d, Op::ExpireWindow] {
        for n in sizes {
            let cell = |name: &'static str| match table.get(&(op, n, name)) {
                Some(&(time, ops)) if ops > 0 => format!("{:.1}", time.as_nanos() as f64 / ops as f64),
                _ => "-".to_owned(),
            };
            if ["wheel", "DelayQueue", "BinaryHeap"].iter().all(|name| !table.contains_key(&(op, n, *name))) {
                continue;
            }
            println!(
                "{:<14} {:>5} {:>10} {:>12} {:>12}",
                op.name(),
                label(n),
                cell("wheel"),
                cell("DelayQueue"),
                cell("BinaryHeap")
            );
        }
    }
    let measured: Vec<usize> = sizes.into_iter().filter(|&n| table.keys().any(|k| k.1 == n)).collect();
    drop(table);
    println!("\nbytes per armed timer (allocated, capacity N; plus an 8-byte handle for each)");
    println!("{:>5} {:>10} {:>12} {:>12} {:>16}", "N", "wheel", "DelayQueue", "BinaryHeap", "wheel (own count)");
    for n in measured {
        let own = {
            let mut wheel = Wheel::with_capacity(START, n);
            let mut rng = StdRng::seed_from_u64(7);
            for i in 0..n {
                wheel.insert(START + rng.gen_range(0..SPAN), i as u64);
            }
            wheel.bytes_per_timer()
        };
        println!(
            "{:>5} {:>10.1} {:>12.1} {:>12.1} {:>16.1}",
            label(n),
            bytes_per_timer::<Wheel<u64>>(n),
            bytes_per_timer::<Dq>(n),
            bytes_per_timer::<LazyHeap>(n),
            own
        );
    }
}
