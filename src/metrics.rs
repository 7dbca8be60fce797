//! Every metric the daemon exports, named in one place (DESIGN.md "Operations conventions"):
//! prefix `slad_`, base units, counters end in `_total`, histograms with explicit buckets, and
//! labels from a small fixed set (never a ticket, agent or tenant id).
//!
//! The recorder is process-wide: [`install`] builds it once and returns the handle that
//! `/metrics` renders.

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;
use std::sync::OnceLock;
use std::time::Duration;

/// Input records read from Kafka (every record, whatever became of it).
pub const EVENTS_CONSUMED: &str = "slad_events_consumed_total";
/// Input records sent to the dead-letter topic, by `reason` (EVENTS.md section 6).
pub const EVENTS_REJECTED: &str = "slad_events_rejected_total";
/// Inputs skipped because their `event_id` was already applied.
pub const EVENTS_DUPLICATE: &str = "slad_events_duplicate_total";
/// Inputs whose record timestamp was more than `allowed_lateness` behind the arrival clock.
pub const EVENTS_LATE: &str = "slad_events_late_total";
/// Estimated bytes of the engine's state, by `component` and `shard`.
pub const MEMORY: &str = "slad_memory_bytes";
/// Tickets closed by slad after staying `solved` for `engine.solved_ttl`.
pub const TICKETS_EXPIRED: &str = "slad_tickets_expired_total";
/// Event ids forgotten because of `engine.dedupe_max_ids` while still within `dedupe_window`.
pub const DEDUPE_FORGOTTEN_EARLY: &str = "slad_dedupe_forgotten_early_total";
/// Output events handed to the producer, by `type`.
pub const OUTPUTS: &str = "slad_outputs_total";
/// Outputs and dead letters produced again after a delivery failure.
pub const PRODUCE_RETRIES: &str = "slad_produce_retries_total";
/// Tickets held, by `shard`.
pub const TICKETS: &str = "slad_tickets";
/// Armed timers, by `shard`.
pub const TIMERS_ARMED: &str = "slad_timers_armed";
/// Wall-clock emission time minus the logical `ts` of timer-fired outputs.
pub const FIRE_LATENESS: &str = "slad_fire_lateness_seconds";
/// Wall-clock time when an input is read minus its record timestamp: how far behind the
/// producers the daemon reads (an input more than `allowed_lateness` behind is late).
pub const INPUT_DELAY: &str = "slad_input_delay_seconds";
/// Time to apply one input to the engine (decoding included).
pub const APPLY_DURATION: &str = "slad_apply_duration_seconds";
/// Messages between the consumer's position and the high watermark, by `partition`.
pub const CONSUMER_LAG: &str = "slad_consumer_lag";
/// Messages in the producer's queue, not yet acknowledged by the broker.
pub const PRODUCER_QUEUE_DEPTH: &str = "slad_producer_queue_depth";
/// Partition assignments received from the consumer group.
pub const REBALANCES: &str = "slad_rebalances_total";
/// Partitions owned by this process.
pub const PARTITIONS_ASSIGNED: &str = "slad_partitions_assigned";
/// Configuration reloads, by `result` (`ok` or `error`).
pub const CONFIG_RELOADS: &str = "slad_config_reloads_total";
/// Time to encode one partition's checkpoint (on its shard thread).
pub const CHECKPOINT_ENCODE: &str = "slad_checkpoint_encode_seconds";
/// Time to write one checkpoint to the local file and the state topic.
pub const CHECKPOINT_WRITE: &str = "slad_checkpoint_write_seconds";
/// Size of the last checkpoint written, by `partition`.
pub const CHECKPOINT_BYTES: &str = "slad_checkpoint_bytes";
/// Checkpoints written, by `result` (`ok`, `local_failed`, `topic_failed`).
pub const CHECKPOINTS: &str = "slad_checkpoints_total";
/// Bytes produced to the state topic (chunks, manifests).
pub const STATE_TOPIC_BYTES: &str = "slad_state_topic_bytes_total";
/// Time from a partition's assignment to its state restored, by `source` (`local`, `topic`,
/// `none`).
pub const RESTORE_DURATION: &str = "slad_restore_duration_seconds";
/// Size of the checkpoint restored, by `source`.
pub const RESTORE_BYTES: &str = "slad_restore_bytes";
/// Checkpoints found unusable (truncated, corrupt, another format version), by `source`.
pub const CHECKPOINTS_REJECTED: &str = "slad_checkpoints_rejected_total";
/// Outputs not produced again while replaying inputs whose outputs were already acknowledged
/// (between the checkpoint and the committed offset).
pub const OUTPUTS_SUPPRESSED: &str = "slad_outputs_suppressed_total";
/// Outputs produced while replaying inputs the previous owner had read but not committed: an
/// upper bound of the duplicates a restart or a rebalance caused.
pub const OUTPUTS_REEMITTED: &str = "slad_outputs_reemitted_total";
/// Kafka transactions of `kafka.exactly_once`, by `result` (`committed`, `aborted`).
pub const TRANSACTIONS: &str = "slad_transactions_total";
/// Time to commit one transaction (its checkpoint records, offsets and EndTxn).
pub const TRANSACTION_COMMIT: &str = "slad_transaction_commit_seconds";
/// 1 while `/readyz` answers 200, else 0 (set at each scrape).
pub const READY: &str = "slad_ready";
/// Always 1, with the `version` label.
pub const BUILD_INFO: &str = "slad_build_info";

/// Buckets of [`APPLY_DURATION`], seconds.
pub const APPLY_BUCKETS: &[f64] =
    &[0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1];

/// Buckets of [`INPUT_DELAY`], seconds.
pub const INPUT_DELAY_BUCKETS: &[f64] =
    &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86_400.0];

/// Buckets of the checkpoint and restore durations, seconds.
pub const CHECKPOINT_BUCKETS: &[f64] = &[0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Offsets added to `allowed_lateness` for the buckets of [`FIRE_LATENESS`], seconds: a timer
/// fires once the arrival clock minus the lateness passes its due instant, so the interesting
/// resolution is just above the lateness.
const FIRE_OFFSETS: &[f64] = &[0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// Buckets of [`FIRE_LATENESS`] for a given `allowed_lateness`: a coarse scale below it and
/// fine steps just above it, then minutes and hours for backfills.
pub fn fire_lateness_buckets(allowed_lateness_ms: i64) -> Vec<f64> {
    let lateness = allowed_lateness_ms.max(0) as f64 / 1000.0;
    let mut buckets: Vec<f64> = [0.001, 0.01, 0.1, 0.5, 1.0].into_iter().filter(|b| *b < lateness).collect();
    buckets.push(lateness);
    buckets.extend(FIRE_OFFSETS.iter().map(|o| lateness + o));
    buckets.extend([300.0, 3600.0, 86_400.0]);
    buckets.sort_by(f64::total_cmp);
    buckets.dedup();
    buckets
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the first handle) and describes
/// every metric. `allowed_lateness_ms` places the fire-lateness buckets.
pub fn install(allowed_lateness_ms: i64) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(APPLY_DURATION.into()), APPLY_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(INPUT_DELAY.into()), INPUT_DELAY_BUCKETS))
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(FIRE_LATENESS.into()),
                        &fire_lateness_buckets(allowed_lateness_ms),
                    )
                })
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(CHECKPOINT_ENCODE.into()), CHECKPOINT_BUCKETS))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(CHECKPOINT_WRITE.into()), CHECKPOINT_BUCKETS))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(RESTORE_DURATION.into()), CHECKPOINT_BUCKETS))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(TRANSACTION_COMMIT.into()), CHECKPOINT_BUCKETS))
                .expect("bucket lists are not empty")
                // Per-partition lag of a partition that moved to another process disappears.
                .idle_timeout(MetricKindMask::GAUGE, Some(Duration::from_secs(60)));
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed: /metrics will be empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(EVENTS_CONSUMED, Unit::Count, "Input records read from Kafka.");
    describe_counter!(EVENTS_REJECTED, Unit::Count, "Input records rejected and sent to the dead-letter topic.");
    describe_counter!(EVENTS_DUPLICATE, Unit::Count, "Inputs skipped because their event_id was already applied.");
    describe_counter!(EVENTS_LATE, Unit::Count, "Inputs read more than allowed_lateness behind the arrival clock.");
    describe_counter!(OUTPUTS, Unit::Count, "Output events handed to the producer.");
    describe_gauge!(MEMORY, Unit::Bytes, "Estimated bytes of the engine's state, by component.");
    describe_counter!(TICKETS_EXPIRED, Unit::Count, "Tickets closed by slad after engine.solved_ttl in status solved.");
    describe_counter!(
        DEDUPE_FORGOTTEN_EARLY,
        Unit::Count,
        "Event ids forgotten by engine.dedupe_max_ids while still within dedupe_window."
    );
    describe_counter!(PRODUCE_RETRIES, Unit::Count, "Records produced again after a delivery failure.");
    describe_gauge!(TICKETS, Unit::Count, "Tickets held in memory.");
    describe_gauge!(TIMERS_ARMED, Unit::Count, "Armed SLA and routing timers.");
    describe_histogram!(FIRE_LATENESS, Unit::Seconds, "Emission wall time minus due time of timer-fired outputs.");
    describe_histogram!(INPUT_DELAY, Unit::Seconds, "Wall time when an input is read minus its record timestamp.");
    describe_histogram!(APPLY_DURATION, Unit::Seconds, "Time to decode and apply one input.");
    describe_gauge!(CONSUMER_LAG, Unit::Count, "Messages between the consumer position and the high watermark.");
    describe_gauge!(PRODUCER_QUEUE_DEPTH, Unit::Count, "Records in the producer queue not yet acknowledged.");
    describe_counter!(REBALANCES, Unit::Count, "Partition assignments received from the consumer group.");
    describe_gauge!(PARTITIONS_ASSIGNED, Unit::Count, "Input partitions owned by this process.");
    describe_counter!(CONFIG_RELOADS, Unit::Count, "Configuration reloads by result.");
    describe_histogram!(CHECKPOINT_ENCODE, Unit::Seconds, "Time to encode one partition's checkpoint.");
    describe_histogram!(CHECKPOINT_WRITE, Unit::Seconds, "Time to write a checkpoint to disk and the state topic.");
    describe_gauge!(CHECKPOINT_BYTES, Unit::Bytes, "Size of the partition's last checkpoint.");
    describe_counter!(CHECKPOINTS, Unit::Count, "Checkpoints written, by result.");
    describe_counter!(STATE_TOPIC_BYTES, Unit::Bytes, "Bytes produced to the state topic.");
    describe_histogram!(RESTORE_DURATION, Unit::Seconds, "Time from assignment to state restored, by source.");
    describe_gauge!(RESTORE_BYTES, Unit::Bytes, "Size of the last checkpoint restored, by source.");
    describe_counter!(CHECKPOINTS_REJECTED, Unit::Count, "Checkpoints found unusable, by source.");
    describe_counter!(OUTPUTS_SUPPRESSED, Unit::Count, "Outputs of replayed inputs not produced again.");
    describe_counter!(OUTPUTS_REEMITTED, Unit::Count, "Outputs produced again for inputs read before a restart.");
    describe_counter!(TRANSACTIONS, Unit::Count, "Kafka transactions (kafka.exactly_once), by result.");
    describe_histogram!(TRANSACTION_COMMIT, Unit::Seconds, "Time to commit one Kafka transaction.");
    describe_gauge!(READY, Unit::Count, "1 while /readyz answers 200, else 0.");
    describe_gauge!(BUILD_INFO, Unit::Count, "Always 1; the version label names the build.");
    register_rare_series();
}

/// Registers, at 0, the series of rare events: a series that first appears at 1 shows no
/// `increase()` or `rate()` in Prometheus, so an alert on the first failure (or the first slow
/// restore) would never fire and a dashboard would miss the first checkpoint.
fn register_rare_series() {
    let _ = metrics::histogram!(CHECKPOINT_WRITE);
    for source in ["local", "topic", "none"] {
        let _ = metrics::histogram!(RESTORE_DURATION, "source" => source);
    }
    for result in ["ok", "error"] {
        metrics::counter!(CONFIG_RELOADS, "result" => result).absolute(0);
    }
    for result in ["ok", "local_failed", "topic_failed"] {
        metrics::counter!(CHECKPOINTS, "result" => result).absolute(0);
    }
    for source in ["local", "topic"] {
        metrics::counter!(CHECKPOINTS_REJECTED, "source" => source).absolute(0);
    }
}

/// Registers, at 0, the transaction series (only `kafka.exactly_once = true` has them).
pub fn register_transaction_series() {
    let _ = metrics::histogram!(TRANSACTION_COMMIT);
    for result in ["committed", "aborted"] {
        metrics::counter!(TRANSACTIONS, "result" => result).absolute(0);
    }
}

/// Housekeeping of the recorder (histogram buckets, idle series); call every few seconds.
pub fn upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}

/// The installed recorder's handle, if any.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE.get().cloned()
}

/// Sets `slad_ready` from the readiness probe (at each scrape, so the gauge never goes idle).
pub fn set_ready(ready: bool) {
    metrics::gauge!(READY).set(if ready { 1.0 } else { 0.0 });
}

/// Sets `slad_build_info{version}` to 1 (again: gauges not set for a minute are dropped).
pub fn set_build_info() {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fire_lateness_buckets_are_sorted_and_start_fine_above_the_lateness() {
        let b = fire_lateness_buckets(2000);
        assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
        assert!(b.contains(&2.0) && b.contains(&2.001) && b.contains(&2.1));
        assert_eq!(b[0], 0.001);
        let zero = fire_lateness_buckets(0);
        assert_eq!(zero[0], 0.0);
        assert!(zero.windows(2).all(|w| w[0] < w[1]), "{zero:?}");
    }
}
