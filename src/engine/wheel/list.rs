//! A slot's contents: a FIFO of [`Ref`]s stored in fixed-size chunks drawn from a shared
//! [`Pool`].
//!
//! Invariants:
//! - A list's chunks are linked `head -> ... -> tail` by `next`; every chunk in a list holds at
//!   least one ref (`start < end`), and `len` is the sum of `end - start` over its chunks.
//! - A chunk belongs to exactly one list or to the pool's free list.
//! - Only the tail chunk receives refs; only the head chunk gives them up. Chunks in the
//!   middle may be partly filled (after [`RefList::append`]).
//!
//! Chunks are 128 bytes (ten 12-byte refs and an 8-byte header) aligned to 64 bytes, so a ref
//! costs 12.8 bytes and a list costs at most one partly filled chunk.

/// `None` for a chunk or entry index.
pub(super) const NIL: u32 = u32::MAX;

/// Refs per chunk.
pub(super) const CHUNK_REFS: usize = 10;

/// A reference from a slot to a slab entry. It is live while the entry is armed with the same
/// `stamp`; any later arm, cancel or fire of the entry makes it stale. `low` holds the low 32
/// bits of the deadline it was armed with, enough to cascade it from levels up to 5 without
/// reading the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ref {
    pub index: u32,
    pub stamp: u32,
    pub low: u32,
}

impl Ref {
    pub fn new(index: u32, stamp: u32, deadline: u64) -> Ref {
        Ref { index, stamp, low: deadline as u32 }
    }
}

const EMPTY_REF: Ref = Ref { index: NIL, stamp: 0, low: 0 };

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Chunk {
    refs: [Ref; CHUNK_REFS],
    next: u32,
    start: u16,
    end: u16,
}

const EMPTY_CHUNK: Chunk = Chunk { refs: [EMPTY_REF; CHUNK_REFS], next: NIL, start: 0, end: 0 };

/// The chunks of every list of a wheel, with a free list of released chunks.
pub(super) struct Pool {
    chunks: Vec<Chunk>,
    free: u32,
    in_use: usize,
}

impl Pool {
    pub fn with_capacity(chunks: usize) -> Pool {
        Pool { chunks: Vec::with_capacity(chunks), free: NIL, in_use: 0 }
    }

    /// Chunks needed for `refs` refs spread over `lists` lists.
    pub fn chunks_for(refs: usize, lists: usize) -> usize {
        refs.div_ceil(CHUNK_REFS).saturating_add(lists)
    }

    /// Bytes reserved by the pool.
    pub fn bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>()
    }

    /// Chunks currently held by lists.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    fn alloc(&mut self) -> u32 {
        self.in_use += 1;
        if self.free != NIL {
            let index = self.free;
            let chunk = &mut self.chunks[index as usize];
            self.free = chunk.next;
            chunk.next = NIL;
            chunk.start = 0;
            chunk.end = 0;
            index
        } else {
            let index = self.chunks.len();
            assert!(index < NIL as usize, "timing wheel: more than {} chunks", NIL);
            self.chunks.push(EMPTY_CHUNK);
            index as u32
        }
    }

    fn release(&mut self, index: u32) {
        self.in_use -= 1;
        let chunk = &mut self.chunks[index as usize];
        chunk.next = self.free;
        chunk.start = 0;
        chunk.end = 0;
        self.free = index;
    }
}

/// A FIFO of refs. Plain data: the chunks live in the [`Pool`] passed to every call, and a
/// list dropped without [`RefList::clear`] leaks its chunks into the pool (never unsafely).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RefList {
    head: u32,
    tail: u32,
    len: u32,
}

impl Default for RefList {
    fn default() -> Self {
        RefList::EMPTY
    }
}

impl RefList {
    pub const EMPTY: RefList = RefList { head: NIL, tail: NIL, len: 0 };

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `r` at the back.
    #[inline]
    pub fn push(&mut self, pool: &mut Pool, r: Ref) {
        if self.tail == NIL || pool.chunks[self.tail as usize].end as usize == CHUNK_REFS {
            let chunk = pool.alloc();
            if self.tail == NIL {
                self.head = chunk;
            } else {
                pool.chunks[self.tail as usize].next = chunk;
            }
            self.tail = chunk;
        }
        let chunk = &mut pool.chunks[self.tail as usize];
        chunk.refs[chunk.end as usize] = r;
        chunk.end += 1;
        self.len += 1;
    }

    /// The ref at the front.
    pub fn front(&self, pool: &Pool) -> Option<Ref> {
        if self.head == NIL {
            return None;
        }
        let chunk = &pool.chunks[self.head as usize];
        Some(chunk.refs[chunk.start as usize])
    }

    /// Removes and returns the ref at the front.
    #[inline]
    pub fn pop(&mut self, pool: &mut Pool) -> Option<Ref> {
        if self.head == NIL {
            return None;
        }
        let chunk = &mut pool.chunks[self.head as usize];
        let r = chunk.refs[chunk.start as usize];
        chunk.start += 1;
        self.len -= 1;
        if chunk.start == chunk.end {
            let next = chunk.next;
            pool.release(self.head);
            if self.head == self.tail {
                *self = RefList::EMPTY;
            } else {
                self.head = next;
            }
        }
        Some(r)
    }

    /// Loads the header of the front chunk, so that a walk's next [`RefList::pop_chunk`] does
    /// not wait for it: walking a long list is otherwise one dependent cache miss per chunk.
    #[inline]
    pub fn touch_front(&self, pool: &Pool) {
        if let Some(chunk) = pool.chunks.get(self.head as usize) {
            std::hint::black_box(chunk.end);
        }
    }

    /// Removes the front chunk and returns a copy of its refs (valid in `refs[..n]`).
    #[inline]
    pub fn pop_chunk(&mut self, pool: &mut Pool) -> Option<([Ref; CHUNK_REFS], usize)> {
        if self.head == NIL {
            return None;
        }
        let chunk = &pool.chunks[self.head as usize];
        let (start, end, next) = (chunk.start as usize, chunk.end as usize, chunk.next);
        let mut refs = [EMPTY_REF; CHUNK_REFS];
        refs[..end - start].copy_from_slice(&chunk.refs[start..end]);
        pool.release(self.head);
        self.len -= (end - start) as u32;
        if self.head == self.tail {
            *self = RefList::EMPTY;
        } else {
            self.head = next;
        }
        Some((refs, end - start))
    }

    /// Moves every ref of `other` to the back of `self`, keeping their order. O(1).
    pub fn append(&mut self, pool: &mut Pool, other: RefList) {
        if other.head == NIL {
            return;
        }
        if self.head == NIL {
            *self = other;
            return;
        }
        pool.chunks[self.tail as usize].next = other.head;
        self.tail = other.tail;
        self.len += other.len;
    }

    /// Keeps only the refs for which `keep` holds, in order, and returns how many it dropped.
    pub fn retain(&mut self, pool: &mut Pool, mut keep: impl FnMut(Ref) -> bool) -> usize {
        let mut source = std::mem::take(self);
        let before = source.len();
        while let Some((refs, n)) = source.pop_chunk(pool) {
            // Decide for the whole chunk first, so that `keep`'s memory accesses overlap.
            let mut kept = [false; CHUNK_REFS];
            for (kept, &r) in kept.iter_mut().zip(&refs[..n]) {
                *kept = keep(r);
            }
            for (&kept, &r) in kept.iter().zip(&refs[..n]) {
                if kept {
                    self.push(pool, r);
                }
            }
        }
        before - self.len()
    }

    /// Releases every chunk of the list.
    pub fn clear(&mut self, pool: &mut Pool) {
        while self.pop_chunk(pool).is_some() {}
    }

    /// Calls `f` on every ref, front to back.
    pub fn for_each(&self, pool: &Pool, mut f: impl FnMut(Ref)) {
        let mut at = self.head;
        while at != NIL {
            let chunk = &pool.chunks[at as usize];
            chunk.refs[chunk.start as usize..chunk.end as usize].iter().for_each(|&r| f(r));
            at = chunk.next;
        }
    }

    /// Checks the list's links and length against the pool; `Err` describes the first fault.
    pub fn check(&self, pool: &Pool) -> Result<usize, String> {
        let (mut at, mut len, mut chunks, mut last) = (self.head, 0usize, 0usize, NIL);
        while at != NIL {
            let chunk = pool.chunks.get(at as usize).ok_or_else(|| format!("chunk {at} out of range in {self:?}"))?;
            if chunk.start >= chunk.end || chunk.end as usize > CHUNK_REFS {
                return Err(format!("chunk {at} holds [{}, {}) in {self:?}", chunk.start, chunk.end));
            }
            len += (chunk.end - chunk.start) as usize;
            chunks += 1;
            if chunks > pool.chunks.len() {
                return Err(format!("cycle in {self:?}"));
            }
            last = at;
            at = chunk.next;
        }
        if last != self.tail || len != self.len() {
            return Err(format!("{self:?}: walked {len} refs ending at chunk {last}"));
        }
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(index: u32) -> Ref {
        Ref::new(index, index * 2, index as u64 * 3)
    }

    fn collect(list: &RefList, pool: &Pool) -> Vec<u32> {
        let mut out = Vec::new();
        list.for_each(pool, |r| out.push(r.index));
        out
    }

    #[test]
    fn chunk_is_128_bytes() {
        assert_eq!(std::mem::size_of::<Chunk>(), 128);
        assert_eq!(std::mem::size_of::<Ref>(), 8);
    }

    #[test]
    fn fifo_across_chunk_boundaries() {
        let mut pool = Pool::with_capacity(0);
        let mut list = RefList::EMPTY;
        for i in 0..100 {
            list.push(&mut pool, r(i));
        }
        assert_eq!(list.len(), 100);
        assert_eq!(list.check(&pool), Ok(100usize.div_ceil(CHUNK_REFS)));
        for i in 0..40 {
            assert_eq!(list.pop(&mut pool), Some(r(i)));
        }
        assert_eq!(list.front(&pool), Some(r(40)));
        list.push(&mut pool, r(100));
        assert_eq!(collect(&list, &pool), (40..=100).collect::<Vec<_>>());
        list.check(&pool).unwrap();
        while list.pop(&mut pool).is_some() {}
        assert!(list.is_empty());
        assert_eq!(list, RefList::EMPTY);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn append_keeps_partly_filled_chunks_in_the_middle() {
        let mut pool = Pool::with_capacity(0);
        let (mut a, mut b) = (RefList::EMPTY, RefList::EMPTY);
        for i in 0..20 {
            a.push(&mut pool, r(i));
        }
        for i in 20..23 {
            b.push(&mut pool, r(i));
        }
        a.append(&mut pool, b);
        a.push(&mut pool, r(23));
        a.check(&pool).unwrap();
        assert_eq!(collect(&a, &pool), (0..24).collect::<Vec<_>>());
        let mut empty = RefList::EMPTY;
        empty.append(&mut pool, a);
        assert_eq!(collect(&empty, &pool), (0..24).collect::<Vec<_>>());
        empty.append(&mut pool, RefList::EMPTY);
        assert_eq!(empty.len(), 24);
        empty.clear(&mut pool);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn retain_keeps_order_and_reuses_chunks() {
        let mut pool = Pool::with_capacity(0);
        let mut list = RefList::EMPTY;
        for i in 0..200 {
            list.push(&mut pool, r(i));
        }
        let allocated = pool.chunks.len();
        assert_eq!(list.retain(&mut pool, |r| r.index % 3 == 0), 133);
        assert_eq!(collect(&list, &pool), (0..200).filter(|i| i % 3 == 0).collect::<Vec<_>>());
        list.check(&pool).unwrap();
        assert!(pool.chunks.len() <= allocated + 1);
        assert_eq!(list.retain(&mut pool, |_| false), 67);
        assert!(list.is_empty());
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn pop_chunk_drains_in_order() {
        let mut pool = Pool::with_capacity(0);
        let mut list = RefList::EMPTY;
        for i in 0..31 {
            list.push(&mut pool, r(i));
        }
        list.touch_front(&pool);
        list.pop(&mut pool);
        let mut seen = Vec::new();
        while let Some((refs, n)) = list.pop_chunk(&mut pool) {
            seen.extend(refs[..n].iter().map(|r| r.index));
        }
        assert_eq!(seen, (1..31).collect::<Vec<_>>());
        assert_eq!(pool.in_use(), 0);
    }
}
