//! The bytes `EventIds` holds per remembered id, measured with a counting allocator, and the
//! bound on the entries it holds under the count cap.

use slad::engine::event_ids::EventIds;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to `System` unchanged; only the counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(ptr, layout, new_size);
        if !moved.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The counter is process-wide: one measurement at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const TENANTS: [&str; 10] = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];

#[test]
fn at_most_32_bytes_per_id() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut ids = EventIds::new(0x5eed, 20_000_000);
    for i in 0..2_000_000u64 {
        let tenant = (i % 10) as usize;
        ids.insert(TENANTS[tenant], tenant as u32, &format!("ev-{i}"), 1_700_000_000_000 + i as i64, i + 1);
    }
    let live = LIVE_BYTES.load(Ordering::Relaxed) - before;
    let per_id = live as f64 / ids.len() as f64;
    println!(
        "{} ids: {live} bytes live, {per_id:.2} bytes per id (estimate {:.2})",
        ids.len(),
        ids.memory_bytes() as f64 / ids.len() as f64
    );
    assert_eq!(ids.len(), 2_000_000);
    assert!(per_id <= 32.0, "{per_id:.2} bytes per id");
    assert!(ids.contains("t3", "ev-3", 1_700_000_000_003, 0, 1));
    assert!(!ids.contains("t4", "ev-3", 1_700_000_000_003, i64::MAX, 0));
}

#[test]
fn held_entries_stay_within_the_count_cap() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let max_ids = 1_000_000u64;
    // The largest generation for this cap: the largest 7 * 2^k not above max_ids / 4.
    let largest_generation = 229_376u64;
    let mut ids = EventIds::new(1, max_ids);
    let mut most = 0;
    let mut early = 0;
    for seq in 1..=5_000_000u64 {
        let tenant = (seq % 10) as usize;
        ids.insert(TENANTS[tenant], tenant as u32, &format!("ev-{seq}"), seq as i64, seq);
        if seq % 1_000 == 0 {
            early += ids.evict(|_| seq as i64, i64::MAX, (seq + 1).saturating_sub(max_ids));
            most = most.max(ids.len() as u64);
            assert!(ids.len() as u64 <= max_ids + largest_generation, "{} held at {seq}", ids.len());
        }
    }
    println!("at most {most} held, {early} dropped by the count cap within the window");
    assert!(most >= max_ids);
    assert_eq!(early, 5_000_000 - ids.len() as u64, "all within the window");
}
