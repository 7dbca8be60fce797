//! The partition's memory of applied `event_id`s, in about 29 bytes per id.
//!
//! What is remembered: each `(tenant, event id)` inserted, with the `ts` of the input that
//! carried it and `seq`, that input's sequence number among the inputs applied on the
//! partition. [`EventIds::contains`] says true iff the pair was inserted, `reference - ts <=
//! window` (saturating) and `seq >= oldest_seq`. A pair inserted again while an entry of it is
//! still held keeps the later of the two `ts` and takes the new `seq` (DETAILS.md's rules for
//! event ids, applied exactly). Tenants use one too for the ids of their closed tickets, with
//! their own count of closes as `seq` and no count cap (`oldest_seq` 0).
//!
//! A pair is held as its 128-bit fingerprint: xxh3-128, keyed with the structure's seed, over
//! `tenant bytes, 0xFF, id bytes` (UTF-8 has no 0xFF byte, so the encoding is unambiguous).
//! With n ids held, a new id is taken for a remembered one with probability about n / 2^128
//! per lookup (20M ids: 6e-32). The seed is the caller's and travels in the checkpoint: two
//! structures agree only if they share it.
//!
//! Entries live in generations, oldest first. Only the newest (the open one) takes inserts; it
//! grows by doubling up to its seal size S and is then sealed with its hash table exactly at
//! the maximum load, 24 bytes of entry and one control byte per bucket, 7 of 8 buckets used:
//! 28.6 bytes per entry. Two sealed generations of equal span are merged (a table of twice
//! the buckets, full again), up to the largest generation C, the largest 7 * 2^k not above
//! max(max_ids / 4, 896): at the count cap there are 4 to 8 generations of C, at most 4 smaller
//! ones and the open one, and a lookup probes those, newest first. S is C / 16 (at least 896),
//! so the open generation's unused buckets stay below 2 bytes per id once 8 * S ids are held.
//!
//! Eviction drops whole generations that can no longer match: by count when all their `seq`
//! are below `oldest_seq`, by time when every tenant with entries in one is more than `window`
//! past its latest `ts` there. Generations hold disjoint, increasing `seq` ranges and every
//! entry a distinct `seq`, so after [`EventIds::evict`] at most `max_ids + C` entries are held
//! (C of the cap in force when the generations were built), whatever the traffic.
//!
//! Exactness relies on how the engine calls: a tenant's `latest` given to `evict` is never
//! above the `reference` of a later lookup for it, `oldest_seq` never decreases and `window`
//! is the lookups' window.

use crate::time::Millis;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use xxhash_rust::xxh3::{xxh3_128_with_seed, Xxh3};

/// The smallest generation: 7/8 of 1024 buckets.
const MIN_GENERATION: u64 = 896;

/// The open generation is sealed at this fraction of the largest generation.
const SEAL_FRACTION: u64 = 16;

/// Control bytes hashbrown adds past the last bucket (its SIMD group width).
const TABLE_TAIL_BYTES: usize = 16;

/// The largest generation for a count cap: the largest 7 * 2^k (a table of 8 * 2^k buckets at
/// maximum load) not above max(max_ids / 4, 896), so that 4 to 8 of them hold the cap.
fn largest_generation(max_ids: u64) -> u64 {
    let target = (max_ids / 4).max(MIN_GENERATION);
    7 * (1u64 << (63 - (target / 7).leading_zeros()))
}

/// Entries at which the open generation is sealed: a power-of-two fraction of the largest, so
/// that sealed generations merge up to it.
fn seal_size(max_ids: u64) -> u64 {
    (largest_generation(max_ids) / SEAL_FRACTION).max(MIN_GENERATION)
}

/// The 128-bit fingerprint of a `(tenant, event id)` pair, as two words (align 8: a `u128`
/// would pad the entry to 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint([u64; 2]);

impl Hash for Fingerprint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0[0]);
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Sixteen bytes: bincode's varints would spend 9 on each random word.
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.0[0].to_le_bytes());
        bytes[8..].copy_from_slice(&self.0[1].to_le_bytes());
        bytes.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = <[u8; 16]>::deserialize(deserializer)?;
        let mut low = [0u8; 8];
        let mut high = [0u8; 8];
        low.copy_from_slice(&bytes[..8]);
        high.copy_from_slice(&bytes[8..]);
        Ok(Fingerprint([u64::from_le_bytes(low), u64::from_le_bytes(high)]))
    }
}

/// The fingerprint is already a good hash: tables use its low word as is.
#[derive(Debug, Clone, Copy, Default)]
struct LowWord;

impl BuildHasher for LowWord {
    type Hasher = LowWordHasher;

    fn build_hasher(&self) -> LowWordHasher {
        LowWordHasher(0)
    }
}

struct LowWordHasher(u64);

impl Hasher for LowWordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `Fingerprint` is hashed here, through `write_u64`; this keeps other keys sound.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

/// An entry's `ts` and `seq` as offsets from its generation's bases: 8 bytes, 24 with the key.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Stamp {
    ts_offset: i32,
    seq_offset: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Generation {
    /// Entries it is sealed at (the open one) or was built from (sealed ones); merging two of
    /// equal span gives one of twice the span, and it never holds more entries than that.
    span: u64,
    base_ts: Millis,
    base_seq: u64,
    max_seq: u64,
    /// Entries whose `ts` and `seq` fit offsets from the bases.
    #[serde(with = "exact_table")]
    stamps: HashMap<Fingerprint, Stamp, LowWord>,
    /// The others, with their absolute `(ts, seq)`: rare.
    #[serde(with = "exact_table")]
    far: FxHashMap<Fingerprint, (Millis, u64)>,
    /// The highest `ts` of each tenant (by index) having entries here.
    tenant_max_ts: FxHashMap<u32, Millis>,
    /// A tenant found still within the window at the last eviction: checked first, so that a
    /// live generation costs one probe per eviction.
    #[serde(skip)]
    live_tenant: Option<u32>,
}

enum Fate {
    Kept,
    /// Every entry is out of the window.
    OutOfWindow,
    /// Every entry is below `oldest_seq`, some may be within the window.
    BeyondCount,
}

impl Generation {
    fn empty() -> Generation {
        Generation::new(0, 0, 0, 0)
    }

    fn new(span: u64, base_ts: Millis, base_seq: u64, capacity: usize) -> Generation {
        Generation {
            span,
            base_ts,
            base_seq,
            max_seq: base_seq,
            stamps: HashMap::with_capacity_and_hasher(capacity, LowWord),
            far: FxHashMap::default(),
            tenant_max_ts: FxHashMap::default(),
            live_tenant: None,
        }
    }

    fn len(&self) -> usize {
        self.stamps.len() + self.far.len()
    }

    fn is_empty(&self) -> bool {
        self.stamps.is_empty() && self.far.is_empty()
    }

    fn get(&self, key: &Fingerprint) -> Option<(Millis, u64)> {
        if let Some(stamp) = self.stamps.get(key) {
            return Some(self.decode(stamp));
        }
        if self.far.is_empty() {
            return None;
        }
        self.far.get(key).copied()
    }

    fn decode(&self, stamp: &Stamp) -> (Millis, u64) {
        (
            self.base_ts.saturating_add(i64::from(stamp.ts_offset)),
            self.base_seq.saturating_add(u64::from(stamp.seq_offset)),
        )
    }

    fn encode(&self, ts: Millis, seq: u64) -> Option<Stamp> {
        let ts_offset = i32::try_from(ts.checked_sub(self.base_ts)?).ok()?;
        let seq_offset = u32::try_from(seq.checked_sub(self.base_seq)?).ok()?;
        Some(Stamp { ts_offset, seq_offset })
    }

    /// Adds an entry for a key held in neither table.
    fn place(&mut self, key: Fingerprint, ts: Millis, seq: u64) {
        match self.encode(ts, seq) {
            Some(stamp) => {
                self.stamps.insert(key, stamp);
            }
            None => {
                self.far.insert(key, (ts, seq));
            }
        }
    }

    fn put(&mut self, key: Fingerprint, tenant_index: u32, ts: Millis, seq: u64) {
        if self.stamps.remove(&key).is_none() && !self.far.is_empty() {
            self.far.remove(&key);
        }
        self.place(key, ts, seq);
        self.tenant_max_ts.entry(tenant_index).and_modify(|max| *max = (*max).max(ts)).or_insert(ts);
        self.max_seq = self.max_seq.max(seq);
    }

    fn entries(&self) -> impl Iterator<Item = (Fingerprint, Millis, u64)> + '_ {
        let near = self.stamps.iter().map(|(key, stamp)| {
            let (ts, seq) = self.decode(stamp);
            (*key, ts, seq)
        });
        near.chain(self.far.iter().map(|(key, &(ts, seq))| (*key, ts, seq)))
    }

    /// One generation holding the entries of two consecutive ones; the newer's entry wins for
    /// a key in both (it has the later `ts` and the newer `seq`).
    fn merge(older: Generation, newer: Generation) -> Generation {
        // Entries of each fit offsets from their own base: the midpoint keeps most fitting.
        let midpoint = (i128::from(older.base_ts) + i128::from(newer.base_ts)) >> 1;
        let base_ts = Millis::try_from(midpoint).unwrap_or(newer.base_ts);
        let mut merged = Generation::new(
            older.span.saturating_add(newer.span),
            base_ts,
            older.base_seq.min(newer.base_seq),
            older.len() + newer.len(),
        );
        merged.max_seq = older.max_seq.max(newer.max_seq);
        for (key, ts, seq) in newer.entries() {
            merged.place(key, ts, seq);
        }
        for (key, ts, seq) in older.entries() {
            if merged.get(&key).is_none() {
                merged.place(key, ts, seq);
            }
        }
        merged.tenant_max_ts = newer.tenant_max_ts;
        for (tenant, ts) in older.tenant_max_ts {
            merged.tenant_max_ts.entry(tenant).and_modify(|max| *max = (*max).max(ts)).or_insert(ts);
        }
        merged
    }

    fn is_out_of_window(&mut self, latest: &impl Fn(u32) -> Millis, window: i64) -> bool {
        let in_window = |tenant: u32, max_ts: Millis| latest(tenant).saturating_sub(max_ts) <= window;
        if let Some(tenant) = self.live_tenant {
            if self.tenant_max_ts.get(&tenant).is_some_and(|&max_ts| in_window(tenant, max_ts)) {
                return false;
            }
        }
        self.live_tenant =
            self.tenant_max_ts.iter().find(|&(&tenant, &max_ts)| in_window(tenant, max_ts)).map(|(&t, _)| t);
        self.live_tenant.is_none()
    }

    fn fate(&mut self, latest: &impl Fn(u32) -> Millis, window: i64, oldest_seq: u64) -> Fate {
        if self.is_out_of_window(latest, window) {
            Fate::OutOfWindow
        } else if self.max_seq < oldest_seq {
            Fate::BeyondCount
        } else {
            Fate::Kept
        }
    }

    /// Entries possibly within the window: exact with one tenant, an upper estimate with
    /// several (an entry's tenant is not stored, so the most lenient tenant's bound applies),
    /// and entries superseded in a newer generation count too.
    fn count_in_window(&self, latest: &impl Fn(u32) -> Millis, window: i64) -> u64 {
        let Some(earliest_kept) = self.tenant_max_ts.keys().map(|&tenant| latest(tenant).saturating_sub(window)).min()
        else {
            return 0;
        };
        self.entries().filter(|&(_, ts, _)| ts >= earliest_kept).count() as u64
    }

    fn heap_bytes(&self) -> usize {
        table_bytes(self.stamps.capacity(), std::mem::size_of::<(Fingerprint, Stamp)>())
            + table_bytes(self.far.capacity(), std::mem::size_of::<(Fingerprint, (Millis, u64))>())
            + table_bytes(self.tenant_max_ts.capacity(), std::mem::size_of::<(u32, Millis)>())
    }
}

/// The heap bytes of a hashbrown table of `capacity` (as `HashMap::capacity` reports it):
/// one control byte per bucket besides the entry.
fn table_bytes(capacity: usize, entry_bytes: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 { capacity + 1 } else { (capacity / 7).saturating_mul(8) };
    buckets.saturating_mul(entry_bytes + 1).saturating_add(TABLE_TAIL_BYTES)
}

/// A table written as a sequence of entries and read back with room for exactly its entries
/// (a sealed generation's table is full again, not grown past it).
mod exact_table {
    use super::Fingerprint;
    use serde::de::{SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashMap;
    use std::fmt;
    use std::hash::BuildHasher;
    use std::marker::PhantomData;

    /// Room reserved up front from a length read from the input, so that a corrupt length
    /// fails on reading rather than on allocating; a longer table grows to the same size.
    const MAX_RESERVED: usize = 1 << 22;

    pub fn serialize<V: Serialize, H, S: Serializer>(
        table: &HashMap<Fingerprint, V, H>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(table.iter())
    }

    pub fn deserialize<'de, V, H, D>(deserializer: D) -> Result<HashMap<Fingerprint, V, H>, D::Error>
    where
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_seq(Entries(PhantomData))
    }

    struct Entries<V, H>(PhantomData<(V, H)>);

    impl<'de, V: Deserialize<'de>, H: BuildHasher + Default> Visitor<'de> for Entries<V, H> {
        type Value = HashMap<Fingerprint, V, H>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a sequence of (fingerprint, value) entries")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let reserved = seq.size_hint().unwrap_or(0).min(MAX_RESERVED);
            let mut table = HashMap::with_capacity_and_hasher(reserved, H::default());
            while let Some((key, value)) = seq.next_element::<(Fingerprint, V)>()? {
                table.insert(key, value);
            }
            table.shrink_to_fit();
            Ok(table)
        }
    }
}

/// The applied event ids of a partition: see the module documentation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventIds {
    seed: u64,
    max_ids: u64,
    /// Oldest first.
    sealed: Vec<Generation>,
    /// The newest generation, the one inserts go to; empty until the first insert after it
    /// was dropped or sealed, and started then (with the bases of that insert).
    open: Generation,
}

impl EventIds {
    /// The fingerprint key.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn new(seed: u64, max_ids: u64) -> EventIds {
        EventIds { seed, max_ids, sealed: Vec::new(), open: Generation::empty() }
    }

    /// Whether `id` was applied for `tenant` and is still remembered at `reference`, with
    /// `oldest_seq` the oldest sequence number kept.
    pub fn contains(&self, tenant: &str, id: &str, reference: Millis, window: i64, oldest_seq: u64) -> bool {
        self.newest(&self.fingerprint(tenant, id))
            .is_some_and(|(ts, seq)| reference.saturating_sub(ts) <= window && seq >= oldest_seq)
    }

    pub fn insert(&mut self, tenant: &str, tenant_index: u32, id: &str, ts: Millis, seq: u64) {
        let key = self.fingerprint(tenant, id);
        let ts = self.newest(&key).map_or(ts, |(held_ts, _)| held_ts.max(ts));
        if self.open.is_empty() {
            let span = seal_size(self.max_ids);
            // The first tables are small; the generation doubles up to its span.
            self.open = Generation::new(span, ts, seq, 0);
        }
        self.open.put(key, tenant_index, ts, seq);
        if self.open.len() as u64 >= self.open.span {
            self.seal();
        }
    }

    /// Drops whole generations that can no longer match; returns entries dropped by the count cap while still in their window.
    ///
    /// The count is exact when one tenant has entries in a dropped generation, an upper
    /// estimate when several do.
    pub fn evict(&mut self, latest: impl Fn(u32) -> Millis, window: i64, oldest_seq: u64) -> u64 {
        let mut early = 0;
        let mut keep = |generation: &mut Generation| match generation.fate(&latest, window, oldest_seq) {
            Fate::Kept => true,
            Fate::OutOfWindow => false,
            Fate::BeyondCount => {
                early += generation.count_in_window(&latest, window);
                false
            }
        };
        self.sealed.retain_mut(&mut keep);
        if !self.open.is_empty() && !keep(&mut self.open) {
            self.open = Generation::empty();
        }
        early
    }

    /// Entries held, an id inserted again counting once per generation holding it.
    pub fn len(&self) -> usize {
        self.generations().map(Generation::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.generations().all(Generation::is_empty)
    }

    /// The bytes held, inline and on the heap, estimated from the tables' capacities.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<EventIds>()
            + self.sealed.capacity() * std::mem::size_of::<Generation>()
            + self.generations().map(Generation::heap_bytes).sum::<usize>()
    }

    /// A new count cap after a configuration reload: applies to generations started from now on.
    pub fn set_max_ids(&mut self, max_ids: u64) {
        self.max_ids = max_ids;
    }

    /// Newest first.
    fn generations(&self) -> impl Iterator<Item = &Generation> {
        std::iter::once(&self.open).chain(self.sealed.iter().rev())
    }

    /// The `(ts, seq)` of the newest entry held for `key`: the one that counts.
    fn newest(&self, key: &Fingerprint) -> Option<(Millis, u64)> {
        self.generations().find_map(|generation| generation.get(key))
    }

    fn fingerprint(&self, tenant: &str, id: &str) -> Fingerprint {
        const ON_STACK: usize = 256;
        let len = tenant.len().saturating_add(id.len()).saturating_add(1);
        let hash = if len <= ON_STACK {
            let mut bytes = [0u8; ON_STACK];
            bytes[..tenant.len()].copy_from_slice(tenant.as_bytes());
            bytes[tenant.len()] = 0xFF;
            bytes[tenant.len() + 1..len].copy_from_slice(id.as_bytes());
            xxh3_128_with_seed(&bytes[..len], self.seed)
        } else {
            let mut hasher = Xxh3::with_seed(self.seed);
            hasher.update(tenant.as_bytes());
            hasher.update(&[0xFF]);
            hasher.update(id.as_bytes());
            hasher.digest128()
        };
        Fingerprint([hash as u64, (hash >> 64) as u64])
    }

    /// Seals the open generation, then merges the newest sealed ones while two of equal span
    /// make one no larger than the largest generation.
    fn seal(&mut self) {
        self.sealed.push(std::mem::replace(&mut self.open, Generation::empty()));
        let largest = largest_generation(self.max_ids);
        while let [.., older, newer] = self.sealed.as_slice() {
            if older.span != newer.span || older.span.saturating_mul(2) > largest {
                break;
            }
            let (Some(newer), Some(older)) = (self.sealed.pop(), self.sealed.pop()) else {
                break;
            };
            self.sealed.push(Generation::merge(older, newer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use bincode::Options;

    const TEN_YEARS: i64 = 10 * 365 * 86_400_000;

    fn oldest_kept(applied: u64, max_ids: u64) -> u64 {
        applied.saturating_add(1).saturating_sub(max_ids)
    }

    #[test]
    fn window_boundary_is_exact() {
        let mut ids = EventIds::new(7, 1_000);
        ids.insert("t", 0, "e1", 1_000, 1);
        assert!(ids.contains("t", "e1", 1_500, 500, 0));
        assert!(!ids.contains("t", "e1", 1_501, 500, 0));
        assert!(ids.contains("t", "e1", 0, 500, 0), "a reference before ts is within the window");
        assert!(!ids.contains("t", "e2", 1_000, 500, 0));
        ids.insert("t", 0, "e2", -5_000, 2);
        assert!(ids.contains("t", "e2", -4_000, 1_000, 0));
        assert!(!ids.contains("t", "e2", -3_999, 1_000, 0));
    }

    #[test]
    fn count_boundary_is_exact() {
        let mut ids = EventIds::new(7, 1_000);
        for seq in 1..=5 {
            ids.insert("t", 0, &format!("e{seq}"), 0, seq);
        }
        assert!(!ids.contains("t", "e2", 0, 1_000, 3));
        assert!(ids.contains("t", "e3", 0, 1_000, 3));
        assert!(ids.contains("t", "e5", 0, 1_000, 5));
        assert!(!ids.contains("t", "e5", 0, 1_000, 6));
    }

    #[test]
    fn same_id_for_another_tenant_is_another_id() {
        let mut ids = EventIds::new(7, 1_000);
        ids.insert("acme", 0, "e1", 0, 1);
        assert!(ids.contains("acme", "e1", 0, 10, 0));
        assert!(!ids.contains("globex", "e1", 0, 10, 0));
        // The separator keeps the split between tenant and id.
        ids.insert("ab", 1, "c", 0, 2);
        assert!(!ids.contains("a", "bc", 0, 10, 0));
        assert!(!ids.contains("abc", "", 0, 10, 0));
    }

    #[test]
    fn long_names_hash_as_the_concatenation() {
        let ids = EventIds::new(99, 1_000);
        for (tenant, id) in [("t", "x".repeat(254)), ("t", "x".repeat(255)), ("tenant", "y".repeat(1_000))] {
            let mut bytes = tenant.as_bytes().to_vec();
            bytes.push(0xFF);
            bytes.extend_from_slice(id.as_bytes());
            let hash = xxh3_128_with_seed(&bytes, 99);
            assert_eq!(ids.fingerprint(tenant, &id), Fingerprint([hash as u64, (hash >> 64) as u64]));
        }
        assert_ne!(EventIds::new(1, 10).fingerprint("t", "e"), EventIds::new(2, 10).fingerprint("t", "e"));
    }

    #[test]
    fn inserted_again_after_being_forgotten() {
        let mut ids = EventIds::new(7, 1_000);
        // Forgotten by time, then applied again: remembered from the new ts.
        ids.insert("t", 0, "e1", 0, 1);
        assert!(!ids.contains("t", "e1", 2_000, 1_000, 0));
        ids.insert("t", 0, "e1", 1_500, 2);
        assert!(ids.contains("t", "e1", 2_500, 1_000, 0));
        assert!(!ids.contains("t", "e1", 2_501, 1_000, 0));
        // Forgotten by count while its entry is held: keeps the later ts, takes the new seq.
        ids.insert("t", 0, "e2", 10_000, 3);
        assert!(!ids.contains("t", "e2", 10_000, 1_000, 4));
        ids.insert("t", 0, "e2", 9_000, 4);
        assert!(ids.contains("t", "e2", 11_000, 1_000, 4));
        assert!(!ids.contains("t", "e2", 11_001, 1_000, 4));
        assert_eq!(ids.len(), 2, "updated in place within the open generation");
    }

    #[test]
    fn out_of_order_and_far_timestamps() {
        let mut ids = EventIds::new(7, 1_000);
        let now = 1_700_000_000_000;
        ids.insert("t", 0, "now", now, 1);
        ids.insert("t", 0, "past", now - TEN_YEARS, 2);
        ids.insert("t", 0, "future", now + TEN_YEARS, 3);
        ids.insert("t", 0, "earlier", now - 60_000, 4);
        ids.insert("t", 0, "min", i64::MIN, 5);
        ids.insert("t", 0, "max", i64::MAX, 6);
        ids.insert("t", 0, "seq-gap", now, 1 << 40);
        assert!(!ids.open.far.is_empty(), "the far path was taken");
        let window = 1_000;
        assert!(ids.contains("t", "past", now - TEN_YEARS + window, window, 0));
        assert!(!ids.contains("t", "past", now - TEN_YEARS + window + 1, window, 0));
        assert!(ids.contains("t", "future", now + TEN_YEARS + window, window, 0));
        assert!(!ids.contains("t", "future", now + TEN_YEARS + window + 1, window, 0));
        assert!(ids.contains("t", "earlier", now - 60_000 + window, window, 0));
        assert!(!ids.contains("t", "earlier", now, window, 0));
        assert!(ids.contains("t", "min", i64::MIN, 0, 0));
        assert!(ids.contains("t", "min", i64::MAX, i64::MAX, 0), "saturates, no overflow");
        assert!(!ids.contains("t", "min", i64::MAX, i64::MAX - 1, 0));
        assert!(ids.contains("t", "max", i64::MIN, 0, 0));
        assert!(ids.contains("t", "seq-gap", now, 0, 1 << 40));
        assert!(!ids.contains("t", "seq-gap", now, 0, (1 << 40) + 1));
        assert!(ids.contains("t", "now", now, 0, 1));
        // A far entry inserted again moves to the near table and back without duplicates.
        ids.insert("t", 0, "past", now, 1 << 41);
        ids.insert("t", 0, "now", now + TEN_YEARS, (1 << 41) + 1);
        assert!(ids.contains("t", "past", now, 0, 1 << 41));
        assert!(ids.contains("t", "now", now + TEN_YEARS, 0, (1 << 41) + 1));
        assert_eq!(ids.len(), 7);
    }

    #[test]
    fn generation_sizes_follow_the_count_cap() {
        assert_eq!(largest_generation(1), 896);
        assert_eq!(largest_generation(1_000), 896);
        assert_eq!(largest_generation(1_000_000), 229_376);
        assert_eq!(largest_generation(20_000_000), 3_670_016);
        assert_eq!(largest_generation(u64::MAX), 7 << 59);
        assert_eq!(seal_size(1_000), 896);
        assert_eq!(seal_size(20_000_000), 229_376);
        for max_ids in [4_000, 60_000, 1_000_000, 20_000_000, 1 << 40] {
            let largest = largest_generation(max_ids);
            assert!(largest <= max_ids / 4 && largest > max_ids / 8, "{max_ids}: {largest}");
            assert_eq!(largest % seal_size(max_ids), 0);
        }
    }

    #[test]
    fn sealed_tables_are_full() {
        let mut ids = EventIds::new(7, 60_000);
        let largest = largest_generation(60_000) as usize;
        for seq in 1..=(largest as u64 * 2 + 10) {
            ids.insert("t", 0, &format!("e{seq}"), seq as i64, seq);
        }
        assert_eq!(ids.sealed.len(), 2, "sixteen seal sizes merged into two largest generations");
        for generation in &ids.sealed {
            assert_eq!(generation.len(), largest);
            assert_eq!(generation.stamps.capacity(), largest, "at maximum load");
        }
        let per_id = ids.memory_bytes() as f64 / ids.len() as f64;
        assert!(per_id < 30.0, "{per_id} bytes per id");
    }

    #[test]
    fn eviction_by_time_drops_generations() {
        let mut ids = EventIds::new(7, 1_000_000);
        let seal = seal_size(1_000_000);
        let total = seal * 3 + 100;
        for seq in 1..=total {
            ids.insert(if seq % 2 == 0 { "a" } else { "b" }, (seq % 2) as u32, &format!("e{seq}"), seq as i64, seq);
        }
        assert_eq!(ids.len() as u64, total);
        let latest = |_: u32| total as i64;
        // Keeps everything from the generation holding `total - window`.
        let window = (seal + 10) as i64;
        assert_eq!(ids.evict(latest, window, 0), 0);
        assert!(ids.len() as u64 >= window as u64 && (ids.len() as u64) < total, "{}", ids.len());
        for seq in (total - window as u64)..=total {
            let tenant = if seq % 2 == 0 { "a" } else { "b" };
            assert!(ids.contains(tenant, &format!("e{seq}"), total as i64, window, 0), "{seq}");
        }
        // One tenant still within the window keeps a generation.
        let quiet = |tenant: u32| if tenant == 0 { 0 } else { i64::MAX };
        ids.evict(quiet, 10, 0);
        assert!(!ids.is_empty());
        ids.evict(|_| i64::MAX, 10, 0);
        assert!(ids.is_empty());
        assert_eq!(ids.len(), 0);
    }

    #[test]
    fn eviction_by_count_drops_generations_and_counts_them() {
        let max_ids = 1_000;
        let mut ids = EventIds::new(7, max_ids);
        let bound = max_ids + largest_generation(max_ids);
        let mut early = 0;
        for seq in 1..=10_000u64 {
            ids.insert("t", 0, &format!("e{seq}"), 0, seq);
            early += ids.evict(|_| 0, 1_000, oldest_kept(seq, max_ids));
            assert!(ids.len() as u64 <= bound);
            assert!(ids.contains("t", &format!("e{}", seq.saturating_sub(max_ids - 1).max(1)), 0, 1_000, 0));
        }
        assert_eq!(early, 10_000 - ids.len() as u64, "one tenant: every dropped id was within the window");
        // Out of the window as well: not early.
        assert_eq!(ids.evict(|_| 2_000, 1_000, u64::MAX), 0);
        assert!(ids.is_empty());
    }

    struct Model {
        at: HashMap<(String, String), (Millis, u64)>,
    }

    impl Model {
        fn contains(&self, tenant: &str, id: &str, reference: Millis, window: i64, oldest_seq: u64) -> bool {
            self.at
                .get(&(tenant.to_owned(), id.to_owned()))
                .is_some_and(|&(ts, seq)| reference.saturating_sub(ts) <= window && seq >= oldest_seq)
        }
    }

    /// Engine-like traffic against the exact rules: a lookup before each input, the input
    /// applied when it is not a duplicate (now and then regardless), evictions at random
    /// intervals, out-of-order and far timestamps.
    #[derive(Debug, Default)]
    struct Exercised {
        duplicates: u64,
        dropped: u64,
        dropped_early: u64,
        merged: bool,
    }

    fn agrees_with_the_model(seed: u64, max_ids: u64, window: i64, pool: u64, steps: u64) -> Exercised {
        const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];
        let mut rng = Rng(seed);
        let mut ids = EventIds::new(seed, max_ids);
        let mut model = Model { at: HashMap::new() };
        let mut latest = [0i64; TENANTS.len()];
        let mut applied = 0u64;
        let bound = max_ids + largest_generation(max_ids);
        let mut exercised = Exercised::default();
        for _ in 0..steps {
            let index = rng.below(TENANTS.len() as u64) as usize;
            let tenant = TENANTS[index];
            let id = format!("ev-{}", rng.below(pool));
            let ts = match rng.below(1_000) {
                0 => latest[index] - TEN_YEARS,
                1 if index == 3 => latest[index] + TEN_YEARS,
                2..=50 => latest[index] - rng.between(0, window * 2),
                _ => latest[index] + rng.between(0, 40),
            };
            let reference = latest[index].max(ts);
            let oldest = oldest_kept(applied, max_ids);
            let duplicate = ids.contains(tenant, &id, reference, window, oldest);
            assert_eq!(
                duplicate,
                model.contains(tenant, &id, reference, window, oldest),
                "{tenant} {id} at {reference}"
            );
            exercised.duplicates += u64::from(duplicate);
            if !duplicate || rng.below(20) == 0 {
                applied += 1;
                let key = (tenant.to_owned(), id.clone());
                let held = ids.newest(&ids.fingerprint(tenant, &id)).is_some();
                if !held {
                    assert!(!model.contains(tenant, &id, reference, window, oldest), "dropped while it could match");
                }
                let kept_ts = match model.at.get(&key) {
                    Some(&(old, _)) if held => old.max(ts),
                    _ => ts,
                };
                model.at.insert(key, (kept_ts, applied));
                ids.insert(tenant, index as u32, &id, ts, applied);
                latest[index] = latest[index].max(ts);
                exercised.merged |= ids.sealed.iter().any(|g| g.span > seal_size(max_ids));
            }
            if rng.below(30) == 0 {
                let before = ids.len();
                exercised.dropped_early +=
                    ids.evict(|tenant| latest[tenant as usize], window, oldest_kept(applied, max_ids));
                exercised.dropped += (before - ids.len()) as u64;
                assert!(ids.len() as u64 <= bound, "{} held", ids.len());
            }
        }
        exercised
    }

    #[test]
    fn agrees_with_the_exact_rules_count_bound() {
        let exercised = agrees_with_the_model(1, 1_000, 1_000_000, 3_000, 40_000);
        assert!(exercised.duplicates > 1_000 && exercised.dropped_early > 10_000, "{exercised:?}");
    }

    #[test]
    fn agrees_with_the_exact_rules_time_bound() {
        let exercised = agrees_with_the_model(2, 100_000, 10_000, 3_000, 60_000);
        assert!(exercised.duplicates > 100 && exercised.dropped > 10_000 && exercised.merged, "{exercised:?}");
        assert_eq!(exercised.dropped_early, 0);
    }

    #[test]
    fn agrees_with_the_exact_rules_with_merges() {
        let exercised = agrees_with_the_model(3, 60_000, 5_000_000, 20_000, 200_000);
        assert!(exercised.duplicates > 10_000 && exercised.dropped_early > 10_000 && exercised.merged, "{exercised:?}");
    }

    #[test]
    fn serde_round_trip_gives_the_same_answers() {
        let max_ids = 10_000;
        let mut ids = EventIds::new(42, max_ids);
        let mut rng = Rng(5);
        for seq in 1..=7_000u64 {
            let ts = match seq % 500 {
                0 => seq as i64 - TEN_YEARS,
                _ => seq as i64 * 10 - rng.between(0, 100),
            };
            ids.insert(["a", "b"][(seq % 2) as usize], (seq % 2) as u32, &format!("e{}", rng.below(5_000)), ts, seq);
        }
        ids.evict(|_| 70_000, 20_000, oldest_kept(7_000, max_ids));
        assert!(ids.sealed.len() >= 2 && ids.generations().any(|g| !g.far.is_empty()));
        let fixed: EventIds = bincode::deserialize(&bincode::serialize(&ids).unwrap()).unwrap();
        let options = bincode::DefaultOptions::new();
        let varint: EventIds = options.deserialize(&options.serialize(&ids).unwrap()).unwrap();
        for back in [fixed, varint] {
            assert_eq!(back.len(), ids.len());
            for (read, written) in back.sealed.iter().zip(&ids.sealed) {
                assert_eq!(read.stamps.capacity(), written.stamps.capacity(), "rebuilt at the same size");
            }
            assert!(back.memory_bytes() <= ids.memory_bytes());
            for tenant in ["a", "b", "c"] {
                for n in 0..5_000 {
                    let id = format!("e{n}");
                    for (reference, window, oldest) in [(70_000, 20_000, 0), (70_000, 5_000, 3_000), (0, 0, 0)] {
                        assert_eq!(
                            back.contains(tenant, &id, reference, window, oldest),
                            ids.contains(tenant, &id, reference, window, oldest)
                        );
                    }
                }
            }
        }
        assert!(bincode::deserialize::<EventIds>(&[1, 2, 3]).is_err());
    }
}
