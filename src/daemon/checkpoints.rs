//! One partition's checkpoint schedule: when its engine is encoded, when the encoded bytes may
//! be written, and which generations the state topic holds.
//!
//! Invariant: a checkpoint is handed to the writer only once every output produced before it
//! was encoded is acknowledged ([`OffsetTracker::is_acked_before`]), so a restored checkpoint
//! never stands for an output that was lost. At most one checkpoint per partition is pending
//! or being written at a time; generations only grow.

use crate::kafka::offsets::OffsetTracker;
use crate::state::topic::CHUNK;
use crate::state::writer::Written;
use std::time::{Duration, Instant};

/// An encoded checkpoint waiting for the outputs before it to be acknowledged.
struct Pending {
    mark: u64,
    generation: u64,
    bytes: Vec<u8>,
}

/// A checkpoint ready for the writer.
pub(crate) struct Ready {
    pub generation: u64,
    pub bytes: Vec<u8>,
    /// Chunk sets to delete once it is published.
    pub stale: Vec<(u64, u32)>,
}

pub(crate) struct Checkpoints {
    /// The newest generation encoded (or restored).
    generation: u64,
    /// The newest generation the state topic holds, as far as this owner knows.
    published: Option<u64>,
    /// Chunk sets of the state topic to delete with the next publish.
    stale: Vec<(u64, u32)>,
    due: Instant,
    pending: Option<Pending>,
    writing: bool,
    /// Whether the engine changed since the last checkpoint was encoded.
    dirty: bool,
}

impl Checkpoints {
    /// After a restore: `generation` is the newest generation known (restored, or named by the
    /// group's commit), `restored` the generation restored with its size in bytes.
    pub fn new(
        generation: u64,
        published: Option<u64>,
        restored: Option<(u64, usize)>,
        mut stale: Vec<(u64, u32)>,
        due: Instant,
    ) -> Checkpoints {
        if let Some((restored, bytes)) = restored {
            stale.push((restored, bytes.div_ceil(CHUNK) as u32));
        }
        Checkpoints { generation, published, stale, due, pending: None, writing: false, dirty: false }
    }

    pub fn published(&self) -> Option<u64> {
        self.published
    }

    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// Whether a periodic checkpoint should be encoded now.
    pub fn is_due(&self, now: Instant) -> bool {
        self.dirty && !self.writing && self.pending.is_none() && now >= self.due
    }

    /// Whether the engine holds anything no checkpoint has (checked before a final one).
    pub fn needs_final(&self) -> bool {
        self.dirty || self.pending.is_some() || self.published.is_some_and(|p| p < self.generation)
    }

    /// Keeps `bytes`, encoded after every group of `tracker` pushed so far in `took`. The next
    /// one is due after `interval`, or after nine times `took` if longer: encoding, which
    /// holds the shard, never takes more than a tenth of its time.
    pub fn encoded(
        &mut self,
        tracker: &OffsetTracker,
        bytes: Vec<u8>,
        took: Duration,
        now: Instant,
        interval: Duration,
    ) {
        self.generation += 1;
        self.pending = Some(Pending { mark: tracker.mark(), generation: self.generation, bytes });
        self.dirty = false;
        self.due = now + interval.max(took * 9);
    }

    /// Whether an encoded checkpoint waits to be written.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some() && !self.writing
    }

    /// The pending checkpoint, once the outputs before it are all acknowledged.
    pub fn take_ready(&mut self, tracker: &OffsetTracker) -> Option<Ready> {
        if self.writing || !self.pending.as_ref().is_some_and(|p| tracker.is_acked_before(p.mark)) {
            return None;
        }
        let pending = self.pending.take()?;
        self.writing = true;
        Some(Ready { generation: pending.generation, bytes: pending.bytes, stale: self.stale.clone() })
    }

    /// The writer finished with generation `written.generation`.
    pub fn on_written(&mut self, written: &Written) {
        self.writing = false;
        if written.published {
            self.published = Some(self.published.map_or(written.generation, |p| p.max(written.generation)));
            // The chunks of the generation just published go with the next one.
            self.stale = vec![(written.generation, written.chunks)];
        } else {
            // Partly written chunks are deleted with the next publish; the state is written again.
            self.stale.push((written.generation, written.chunks));
            self.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(generation: u64, published: bool) -> Written {
        Written { partition: 0, generation, chunks: 2, local: true, published }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // any instant will do as the schedule's start
    fn a_checkpoint_waits_for_the_outputs_before_it() {
        let start = Instant::now();
        let interval = Duration::from_secs(30);
        let mut tracker = OffsetTracker::new();
        let mut c = Checkpoints::new(4, Some(4), Some((4, CHUNK + 1)), vec![(2, 1)], start);
        assert!(!c.is_due(start), "nothing changed since the restore");
        c.touch();
        assert!(c.is_due(start));
        let before = tracker.push(10, 1);
        c.encoded(&tracker, b"state".to_vec(), Duration::ZERO, start, interval);
        let after = tracker.push(11, 1);
        assert!(!c.is_due(start + interval), "one at a time");
        assert!(c.take_ready(&tracker).is_none(), "an output before it is in flight");
        tracker.ack(before);
        let ready = c.take_ready(&tracker).expect("ready once acknowledged");
        assert_eq!(ready.generation, 5);
        assert_eq!(ready.stale, vec![(2, 1), (4, 2)]);
        c.on_written(&written(5, true));
        assert_eq!(c.published(), Some(5));
        c.touch();
        c.encoded(&tracker, b"again".to_vec(), Duration::ZERO, start + interval, interval);
        assert!(c.take_ready(&tracker).is_none(), "the output after the first one is in flight");
        tracker.ack(after);
        assert_eq!(c.take_ready(&tracker).map(|r| r.stale), Some(vec![(5, 2)]));
        c.on_written(&written(6, false));
        assert_eq!(c.published(), Some(5), "a failed publish is not named in commits");
        assert!(c.needs_final());
    }
}
