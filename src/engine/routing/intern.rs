//! Dense ids for the names routing compares often: skills, groups and channels.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

pub(super) type SkillId = u32;
pub(super) type GroupId = u32;
pub(super) type ChanId = u32;

/// Names to dense ids `0..len`, in order of first sight. Ids are never reused.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    len: u32,
}

impl Interner {
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The id of `name`, and whether it was new.
    pub fn intern(&mut self, name: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = self.len;
        self.ids.insert(name.into(), id);
        self.len += 1;
        (id, true)
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }
}
