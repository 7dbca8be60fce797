//! A tenant's table of the strings that repeat across its tickets: channels, tiers, groups,
//! skill names and agent ids. Each distinct string is allocated once and shared by reference
//! count, so a ticket holds 16-byte handles instead of its own copies.
//!
//! Invariant: a name no ticket holds any more is dropped at the next sweep, so the table is
//! bounded by the distinct names in use (a sweep runs when the table has doubled since the
//! last one: amortised constant time per insert).

use rustc_hash::FxHashSet;
use std::sync::Arc;

/// A shared string.
pub type Name = Arc<str>;

#[derive(Debug, Default, Clone)]
pub struct Names {
    table: FxHashSet<Name>,
    /// Table size after the last sweep.
    swept_at: usize,
}

impl Names {
    /// The table's handle for `text`.
    pub fn intern(&mut self, text: &str) -> Name {
        if let Some(name) = self.table.get(text) {
            return name.clone();
        }
        if self.table.len() >= 2 * self.swept_at.max(64) {
            self.table.retain(|name| Arc::strong_count(name) > 1);
            self.swept_at = self.table.len();
        }
        let name: Name = Arc::from(text);
        self.table.insert(name.clone());
        name
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes of the table and the strings it holds.
    pub fn memory_bytes(&self) -> usize {
        self.table.capacity() * (size_of::<Name>() + 1) + self.table.iter().map(|n| n.len() + 16).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_allocation_per_distinct_name_and_unused_names_are_dropped() {
        let mut names = Names::default();
        let a = names.intern("email");
        let b = names.intern("email");
        assert!(Arc::ptr_eq(&a, &b));
        let kept: Vec<Name> = (0..100).map(|i| names.intern(&format!("kept-{i}"))).collect();
        for i in 0..10_000 {
            names.intern(&format!("once-{i}"));
        }
        assert!(names.len() < 400, "{} names held", names.len());
        assert!(Arc::ptr_eq(&names.intern("kept-7"), &kept[7]));
    }
}
