//! The checkpoint writer: one thread that writes each checkpoint handed to it to the local
//! file, then to the state topic, and reports the result to whoever asked.
//!
//! Jobs are done in the order given, so a partition's generations reach the state topic in
//! order and the last manifest in the log is the newest.

use super::local::LocalStore;
use super::topic::{StateTopic, CHUNK};
use crate::metrics as m;
use crossbeam_channel::{unbounded, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

/// What a write achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub partition: i32,
    pub generation: u64,
    /// Chunk records of this generation in the state topic (to delete when it is superseded).
    pub chunks: u32,
    pub local: bool,
    /// Whether the state topic holds it (its manifest is acknowledged).
    pub published: bool,
}

/// One checkpoint to write.
pub struct Job {
    pub partition: i32,
    /// Partitions of the state topic.
    pub topic_partitions: i32,
    pub generation: u64,
    pub bytes: Vec<u8>,
    /// Chunk sets of superseded generations, deleted once this one is published.
    pub stale: Vec<(u64, u32)>,
    pub done: Box<dyn FnOnce(Written) + Send>,
}

/// The writer thread's handle; dropping every clone of the sender ends the thread.
pub struct Writer {
    jobs: Sender<Job>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(local: LocalStore, topic: StateTopic) -> std::io::Result<Writer> {
        let (jobs, rx) = unbounded::<Job>();
        let thread = std::thread::Builder::new().name("slad-state".into()).spawn(move || {
            for job in rx {
                let written = write(&local, &topic, &job);
                (job.done)(written);
            }
        })?;
        Ok(Writer { jobs, thread: Some(thread) })
    }

    pub fn submit(&self, job: Job) {
        if let Err(error) = self.jobs.send(job) {
            let job = error.into_inner();
            (job.done)(Written {
                partition: job.partition,
                generation: job.generation,
                chunks: 0,
                local: false,
                published: false,
            });
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let (closed, _) = unbounded();
        self.jobs = closed;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// The shell measures how long writes take.
#[allow(clippy::disallowed_methods)]
fn write(local: &LocalStore, topic: &StateTopic, job: &Job) -> Written {
    let started = Instant::now();
    let partition = job.partition;
    let local_ok = match local.save(partition, job.generation, &job.bytes) {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(partition, dir = %local.dir().display(), %error, "could not write the local checkpoint");
            false
        }
    };
    let published = match topic.publish(partition, job.topic_partitions, job.generation, &job.bytes, &job.stale) {
        Ok(bytes) => {
            metrics::counter!(m::STATE_TOPIC_BYTES).increment(bytes);
            true
        }
        Err(error) => {
            tracing::warn!(partition, generation = job.generation, %error, "could not publish the checkpoint");
            false
        }
    };
    let result = match (local_ok, published) {
        (_, false) => "topic_failed",
        (false, true) => "local_failed",
        (true, true) => "ok",
    };
    metrics::counter!(m::CHECKPOINTS, "result" => result).increment(1);
    metrics::histogram!(m::CHECKPOINT_WRITE).record(started.elapsed().as_secs_f64());
    metrics::gauge!(m::CHECKPOINT_BYTES, "partition" => partition.to_string()).set(job.bytes.len() as f64);
    tracing::debug!(partition, generation = job.generation, bytes = job.bytes.len(), result, "checkpoint written");
    Written {
        partition,
        generation: job.generation,
        chunks: job.bytes.len().div_ceil(CHUNK) as u32,
        local: local_ok,
        published,
    }
}
