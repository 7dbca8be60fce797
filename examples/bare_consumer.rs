//! The baseline of the daemon benchmark (docs/daemon.md): a bare rdkafka `BaseConsumer` reading a
//! topic from the beginning, doing nothing with the messages. slad's consumption rate is reported
//! as a ratio to this one, measured on the same topic in the same run.
//!
//! cargo run --release --example bare_consumer -- BROKERS TOPIC [COUNT]
//!
//! Reads every partition from the start until COUNT messages (default: the high watermarks at
//! start) and prints the rate from the first message to the last.

// A benchmark is a shell: it reads the clock.
#![allow(clippy::disallowed_methods)]

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(brokers), Some(topic)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bare_consumer BROKERS TOPIC [COUNT]");
        std::process::exit(2);
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "slad-bare-consumer")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    let mut tpl = TopicPartitionList::new();
    let mut total = 0i64;
    for t in metadata.topics() {
        for p in t.partitions() {
            let (low, high) = consumer.fetch_watermarks(topic, p.id(), Duration::from_secs(10)).expect("watermarks");
            total += high - low;
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning).expect("partition");
        }
    }
    let count: u64 = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(total.max(0) as u64);
    consumer.assign(&tpl).expect("assign");
    let mut seen = 0u64;
    let mut bytes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last_message = Instant::now();
    while seen < count && last_message.elapsed() < Duration::from_secs(10) {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                use rdkafka::Message;
                first.get_or_insert_with(Instant::now);
                last_message = Instant::now();
                seen += 1;
                bytes += message.payload().map_or(0, <[u8]>::len) as u64;
            }
            Some(Err(error)) => eprintln!("{error}"),
            None => {}
        }
    }
    let elapsed = first.map_or(Duration::ZERO, |f| f.elapsed()).as_secs_f64().max(1e-9);
    println!(
        "bare consumer: {seen} messages ({:.1} MiB) in {elapsed:.2} s = {:.0} messages/s",
        bytes as f64 / 1_048_576.0,
        seen as f64 / elapsed
    );
}
