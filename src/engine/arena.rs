//! A tenant's tickets, in fixed-size chunks addressed by slot.
//!
//! Invariant: a slot names the same value from `insert` until `remove`; a removed slot is
//! reused first. Growing adds a chunk and never moves or copies the values already held, so
//! there is no doubling: memory is the values held plus at most one partly used chunk (whose
//! untouched tail the allocator leaves unmapped), and no transient copy at growth.

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// Slots per chunk.
const CHUNK: usize = 1024;

#[derive(Debug, Clone)]
pub struct Arena<T> {
    /// Each chunk is allocated with room for `CHUNK` slots; only the last may be shorter.
    chunks: Vec<Vec<Option<T>>>,
    free: Vec<u32>,
    held: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { chunks: Vec::new(), free: Vec::new(), held: 0 }
    }
}

impl<T> Arena<T> {
    pub fn get(&self, slot: u32) -> Option<&T> {
        let slot = slot as usize;
        self.chunks.get(slot / CHUNK)?.get(slot % CHUNK)?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        let slot = slot as usize;
        self.chunks.get_mut(slot / CHUNK)?.get_mut(slot % CHUNK)?.as_mut()
    }

    /// Stores `value` in a free slot (the last freed first) or a new one.
    ///
    /// # Panics
    /// If `u32::MAX` slots are in use.
    pub fn insert(&mut self, value: T) -> u32 {
        self.held += 1;
        if let Some(slot) = self.free.pop() {
            let place = &mut self.chunks[slot as usize / CHUNK][slot as usize % CHUNK];
            *place = Some(value);
            return slot;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let slots = (self.chunks.len() - 1) * CHUNK + self.chunks.last().map_or(0, Vec::len);
        let slot = u32::try_from(slots).expect("fewer than u32::MAX slots");
        self.chunks.last_mut().expect("a chunk with room").push(Some(value));
        slot
    }

    pub fn remove(&mut self, slot: u32) -> Option<T> {
        let index = slot as usize;
        let value = self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)?.take()?;
        self.free.push(slot);
        self.held -= 1;
        Some(value)
    }

    /// Values held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.held
    }

    /// Slots ever used (held or free).
    pub fn slots(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Bytes of the chunks (allocated room, values inline) and the free list.
    pub fn memory_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * size_of::<Option<T>>() + self.free.capacity() * size_of::<u32>()
    }

    fn slot_values(&self) -> impl Iterator<Item = &Option<T>> {
        self.chunks.iter().flatten()
    }
}

/// Written as the slots in order, then the free list (the order slots are reused in).
impl<T: Serialize> Serialize for Arena<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (Slots(self), &self.free).serialize(serializer)
    }
}

struct Slots<'a, T>(&'a Arena<T>);

impl<T: Serialize> Serialize for Slots<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.slots()))?;
        for value in self.0.slot_values() {
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

/// Read straight into chunks: a large state is never held twice while it is restored.
struct Chunks<T>(Vec<Vec<Option<T>>>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Chunks<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChunksVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ChunksVisitor<T> {
            type Value = Chunks<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of slots")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chunks<T>, A::Error> {
                let mut chunks: Vec<Vec<Option<T>>> = Vec::new();
                while let Some(value) = seq.next_element::<Option<T>>()? {
                    if chunks.last().is_none_or(|c| c.len() == CHUNK) {
                        chunks.push(Vec::with_capacity(CHUNK));
                    }
                    chunks.last_mut().expect("a chunk with room").push(value);
                }
                Ok(Chunks(chunks))
            }
        }
        deserializer.deserialize_seq(ChunksVisitor(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Arena<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (Chunks(chunks), free) = <(Chunks<T>, Vec<u32>)>::deserialize(deserializer)?;
        let arena = Arena { held: 0, chunks, free };
        let slots = arena.slots();
        let empty = arena.slot_values().filter(|v| v.is_none()).count();
        let mut seen = vec![false; slots];
        for &slot in &arena.free {
            let fine = arena.chunks.get(slot as usize / CHUNK).and_then(|c| c.get(slot as usize % CHUNK));
            if !matches!(fine, Some(None)) || std::mem::replace(&mut seen[slot as usize], true) {
                return Err(D::Error::custom(format!("free slot {slot} is not an empty slot, or listed twice")));
            }
        }
        if arena.free.len() != empty {
            return Err(D::Error::custom("an empty slot missing from the free list"));
        }
        Ok(Arena { held: slots - empty, ..arena })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_stable_and_reused_last_freed_first() {
        let mut arena = Arena::default();
        let slots: Vec<u32> = (0..3000).map(|i| arena.insert(i)).collect();
        assert_eq!(slots, (0..3000).collect::<Vec<u32>>());
        assert_eq!(arena.remove(5), Some(5));
        assert_eq!(arena.remove(2500), Some(2500));
        assert_eq!(arena.remove(5), None);
        assert_eq!(arena.len(), 2998);
        assert_eq!(arena.insert(-1), 2500);
        assert_eq!(arena.insert(-2), 5);
        assert_eq!(arena.insert(-3), 3000);
        assert_eq!(arena.get(2999), Some(&2999));
        *arena.get_mut(0).unwrap() = 42;
        assert_eq!(arena.get(0), Some(&42));
        assert_eq!(arena.get(1_000_000), None);
    }

    #[test]
    fn round_trip_keeps_slots_and_reuse_order_and_refuses_bad_free_lists() {
        let mut arena = Arena::default();
        for i in 0..2100 {
            arena.insert(i);
        }
        arena.remove(7);
        arena.remove(2050);
        let bytes = bincode::serialize(&arena).unwrap();
        let mut back: Arena<i32> = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back.len(), 2098);
        assert_eq!(back.get(2099), Some(&2099));
        assert_eq!(back.insert(0), 2050);
        let bad = bincode::serialize(&(vec![Some(1), None], vec![0u32])).unwrap();
        assert!(bincode::deserialize::<Arena<i32>>(&bad).is_err());
        let missing = bincode::serialize(&(vec![Some(1), None], Vec::<u32>::new())).unwrap();
        assert!(bincode::deserialize::<Arena<i32>>(&missing).is_err());
    }
}
