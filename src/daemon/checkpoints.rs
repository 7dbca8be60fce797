//! One partition's checkpoint schedule: when its engine is encoded, when the encoded bytes may
//! be written, and which generations the state topic holds.
//!
//! Invariant: a checkpoint is handed to the writer only once every output produced before it
//! was encoded is acknowledged ([`OffsetTracker::is_acked_before`]), so a restored checkpoint
//! never stands for an output that was lost. At most one checkpoint per partition is pending
//! or being written at a time; generations only grow.
//!
//! Timer outputs fired by the wall clock (a caught-up partition) belong to no input, so no
//! offset commit covers them: only a checkpoint does. So a checkpoint is also due once
//! [`TIMER_BURST`] such outputs were produced since the last one (not only every interval), and
//! while that checkpoint is on its way the shard holds further timers of the partition (at most
//! [`TIMER_HOLD`]): a crash then fires again about one burst of timer outputs per partition.

use crate::kafka::offsets::OffsetTracker;
use crate::state::topic::CHUNK;
use crate::state::writer::Written;
use std::time::{Duration, Instant};

/// Timer outputs (fired by the wall clock) after which a checkpoint is due.
pub(crate) const TIMER_BURST: u64 = 16;
/// Longest wait for the checkpoint of a burst before the partition's timers fire again.
pub(crate) const TIMER_HOLD: Duration = Duration::from_secs(2);

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
    /// Timer outputs fired by the wall clock since the last checkpoint was encoded.
    timer_outputs: u64,
    /// No burst checkpoint before this (encoding takes at most a tenth of the shard's time).
    earliest: Option<Instant>,
    /// While the checkpoint of a burst is pending or written: until when timers are held.
    hold_until: Option<Instant>,
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
        Checkpoints {
            generation,
            published,
            stale,
            due,
            pending: None,
            writing: false,
            dirty: false,
            timer_outputs: 0,
            earliest: None,
            hold_until: None,
        }
    }

    pub fn published(&self) -> Option<u64> {
        self.published
    }

    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// Notes `count` outputs fired by timers that no input's commit covers.
    pub fn timers_fired(&mut self, count: u64) {
        self.timer_outputs += count;
        self.dirty = true;
    }

    /// Whether a checkpoint should be encoded now: the interval passed, or a burst of timer
    /// outputs waits for one.
    pub fn is_due(&self, now: Instant) -> bool {
        let burst = self.timer_outputs >= TIMER_BURST && self.earliest.is_none_or(|e| now >= e);
        self.dirty && !self.writing && self.pending.is_none() && (now >= self.due || burst)
    }

    /// Until when the partition's timers wait for the checkpoint of a burst, if they do.
    pub fn holds_timers(&self, now: Instant) -> Option<Instant> {
        self.hold_until.filter(|until| now < *until && (self.writing || self.pending.is_some()))
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
        self.earliest = Some(now + took * 9);
        self.hold_until = (self.timer_outputs >= TIMER_BURST).then(|| now + TIMER_HOLD);
        self.timer_outputs = 0;
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
        self.hold_until = None;
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

    #[test]
    #[allow(clippy::disallowed_methods)] // any instant will do as the schedule's start
    fn a_burst_of_timer_outputs_is_checkpointed_before_more_timers_fire() {
        let start = Instant::now();
        let interval = Duration::from_secs(30);
        let mut tracker = OffsetTracker::new();
        let mut c = Checkpoints::new(1, Some(1), None, Vec::new(), start + interval);
        c.timers_fired(TIMER_BURST - 1);
        assert!(!c.is_due(start), "below a burst, the interval rules");
        c.timers_fired(1);
        assert!(c.is_due(start), "a burst is due at once after a restore");
        let burst = tracker.push(5, TIMER_BURST as u32);
        c.encoded(&tracker, b"after the burst".to_vec(), Duration::from_millis(10), start, interval);
        assert_eq!(c.holds_timers(start), Some(start + TIMER_HOLD), "timers wait for the burst's checkpoint");
        assert_eq!(c.holds_timers(start + TIMER_HOLD), None, "never longer than the hold");
        for _ in 0..TIMER_BURST {
            tracker.ack(burst);
        }
        assert!(c.take_ready(&tracker).is_some());
        assert!(c.holds_timers(start).is_some(), "still held while it is written");
        c.on_written(&written(2, true));
        assert_eq!(c.holds_timers(start), None);
        c.timers_fired(TIMER_BURST);
        assert!(!c.is_due(start + Duration::from_millis(89)), "encoding takes at most a tenth of the time");
        assert!(c.is_due(start + Duration::from_millis(90)));
        c.encoded(&tracker, b"small".to_vec(), Duration::ZERO, start, interval);
        c.on_written(&written(3, true));
        c.timers_fired(3);
        assert!(!c.is_due(start + Duration::from_secs(1)));
        c.encoded(&tracker, b"few".to_vec(), Duration::ZERO, start + interval, interval);
        assert_eq!(c.holds_timers(start + interval), None, "a few timer outputs hold nothing");
    }
}
