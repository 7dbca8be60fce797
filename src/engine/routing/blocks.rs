//! An ordered set of small `Copy` values kept as a list of sorted blocks, with the first value
//! of every block in one array. The index's sets mostly take values at their end (an agent
//! just assigned becomes the most recently idle) and lose them anywhere; here that costs two
//! binary searches over contiguous memory and a short move within one block, where a B-tree
//! follows a pointer per level. Walks read blocks front to back, and each block keeps the
//! union of its values' bits so that a walk looking for some bits skips blocks without them.

use serde::{Deserialize, Serialize};

pub(super) type Iter<'a, T> = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

/// Bits a value carries, for walks that skip blocks.
pub(super) trait Bits {
    fn bits(&self) -> u128;
}

/// Removals a block takes before its bits are recomputed (until then they may be a superset).
const STALE: u8 = 16;

/// Values per block at most.
const MAX: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Blocks<T> {
    /// Each sorted and non-empty; all of one block below all of the next.
    blocks: Vec<Vec<T>>,
    /// `firsts[i] == blocks[i][0]`.
    firsts: Vec<T>,
    /// `bits[i]` has every bit of every value in `blocks[i]` (maybe more).
    bits: Vec<u128>,
    /// Removals from `blocks[i]` since its bits were computed.
    stale: Vec<u8>,
    len: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks::new()
    }
}

impl<'a, T> IntoIterator for &'a Blocks<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> Blocks<T> {
    pub const fn new() -> Self {
        Blocks { blocks: Vec::new(), firsts: Vec::new(), bits: Vec::new(), stale: Vec::new(), len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// In order.
    pub fn iter(&self) -> Iter<'_, T> {
        self.blocks.iter().flatten()
    }

    /// In order, the values of the blocks that may hold values with all of `need`'s bits
    /// (the caller still tests each value).
    pub fn walk(&self, need: u128) -> impl Iterator<Item = &T> + '_ {
        self.blocks.iter().zip(&self.bits).filter(move |&(_, &bits)| bits & need == need).flat_map(|(b, _)| b)
    }
}

fn bits_of<T: Bits>(block: &[T]) -> u128 {
    block.iter().fold(0, |m, x| m | x.bits())
}

impl<T: Ord + Copy + Bits> Blocks<T> {
    /// The block that holds `x` if anything does: the last whose first value is <= `x`.
    fn block_of(&self, x: &T) -> Option<usize> {
        self.firsts.partition_point(|f| f <= x).checked_sub(1)
    }

    /// Adds `x`; false if it was there.
    pub fn insert(&mut self, x: T) -> bool {
        let i = match self.block_of(&x) {
            Some(i) => i,
            None if self.blocks.is_empty() => {
                let mut block = Vec::with_capacity(MAX + 1);
                block.push(x);
                self.blocks.push(block);
                self.firsts.push(x);
                self.bits.push(x.bits());
                self.stale.push(0);
                self.len = 1;
                return true;
            }
            // Below everything: the first block takes it.
            None => 0,
        };
        let block = &mut self.blocks[i];
        let Err(pos) = block.binary_search(&x) else {
            return false;
        };
        block.insert(pos, x);
        self.firsts[i] = block[0];
        self.bits[i] |= x.bits();
        self.len += 1;
        if block.len() > MAX {
            let mut tail = Vec::with_capacity(MAX + 1);
            tail.extend(block.drain(MAX / 2..));
            self.bits[i] = bits_of(block);
            self.stale[i] = 0;
            self.firsts.insert(i + 1, tail[0]);
            self.bits.insert(i + 1, bits_of(&tail));
            self.stale.insert(i + 1, 0);
            self.blocks.insert(i + 1, tail);
        }
        true
    }

    /// Takes `x` out; false if it was not there.
    pub fn remove(&mut self, x: &T) -> bool {
        let Some(i) = self.block_of(x) else {
            return false;
        };
        let block = &mut self.blocks[i];
        let Ok(pos) = block.binary_search(x) else {
            return false;
        };
        block.remove(pos);
        self.len -= 1;
        if block.is_empty() {
            self.blocks.remove(i);
            self.firsts.remove(i);
            self.bits.remove(i);
            self.stale.remove(i);
            return true;
        }
        self.firsts[i] = block[0];
        let n = block.len();
        // Keep blocks from thinning out: a small block takes in its successor if both fit.
        if n < MAX / 4 && i + 1 < self.blocks.len() && n + self.blocks[i + 1].len() <= MAX {
            let next = self.blocks.remove(i + 1);
            self.firsts.remove(i + 1);
            self.bits.remove(i + 1);
            self.stale.remove(i + 1);
            self.blocks[i].extend(next);
            self.stale[i] = STALE;
        } else {
            self.stale[i] += 1;
        }
        if self.stale[i] >= STALE {
            self.bits[i] = bits_of(&self.blocks[i]);
            self.stale[i] = 0;
        }
        true
    }

    #[cfg(test)]
    pub fn contains(&self, x: &T) -> bool {
        self.block_of(x).is_some_and(|i| self.blocks[i].binary_search(x).is_ok())
    }

    #[cfg(test)]
    pub fn check(&self) {
        assert_eq!(self.blocks.len(), self.firsts.len());
        assert_eq!(self.blocks.len(), self.bits.len());
        for (block, &bits) in self.blocks.iter().zip(&self.bits) {
            assert_eq!(bits_of(block) & !bits, 0, "block bits cover the block");
        }
        assert_eq!(self.len, self.blocks.iter().map(Vec::len).sum::<usize>());
        for (block, first) in self.blocks.iter().zip(&self.firsts) {
            assert!(!block.is_empty() && block.len() <= MAX);
            assert!(block[0] == *first);
        }
        let all: Vec<&T> = self.iter().collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    }
}

#[cfg(test)]
mod tests {
    use super::{Bits, Blocks};

    impl Bits for u32 {
        fn bits(&self) -> u128 {
            1 << (self % 7)
        }
    }
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn behaves_as_an_ordered_set(ops in prop::collection::vec((any::<bool>(), 0..400u32), 0..2000)) {
            let mut blocks = Blocks::new();
            let mut model = BTreeSet::new();
            for (add, x) in ops {
                if add {
                    prop_assert_eq!(blocks.insert(x), model.insert(x));
                } else {
                    prop_assert_eq!(blocks.remove(&x), model.remove(&x));
                }
                prop_assert_eq!(blocks.len(), model.len());
                prop_assert_eq!(blocks.contains(&x), model.contains(&x));
            }
            blocks.check();
            prop_assert!(blocks.iter().eq(model.iter()));
            for need in [0u128, 1, 2, 8, 64, 3] {
                let walked: Vec<u32> = blocks.walk(need).copied().filter(|x| x.bits() & need == need).collect();
                let all: Vec<u32> = model.iter().copied().filter(|x| x.bits() & need == need).collect();
                prop_assert_eq!(walked, all);
            }
        }

        #[test]
        fn appends_and_removals_from_the_front(n in 0..3000u32, k in 1..200u32) {
            let mut blocks = Blocks::new();
            let mut model = BTreeSet::new();
            for x in 0..n {
                blocks.insert(x);
                model.insert(x);
                if x % k == 0 {
                    let first = *model.iter().next().unwrap();
                    prop_assert!(blocks.remove(&first));
                    model.remove(&first);
                }
            }
            blocks.check();
            prop_assert!(blocks.iter().eq(model.iter()));
        }
    }
}
