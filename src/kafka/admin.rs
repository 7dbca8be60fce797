//! Topic creation: the input and output topics for `slad loadgen --create-topics` and
//! `slad demo` (the daemon never creates those: operators do, with their retention and
//! replication), and the compacted state topic, which the daemon creates when it is missing
//! (as Kafka Streams creates its changelog topics).

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaResult;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// How long an admin request may take before it is given up.
const ADMIN_DEADLINE: Duration = Duration::from_secs(30);

/// Runs a future to completion on this thread (the admin client's own thread drives it);
/// `None` if it has not completed after [`ADMIN_DEADLINE`] (a broker that never answers).
fn block_on<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut waited = Duration::ZERO;
    let step = Duration::from_millis(100);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return Some(output),
            Poll::Pending if waited >= ADMIN_DEADLINE => return None,
            Poll::Pending => {
                // An unpark may end a wait early: the deadline counts waits, so it comes early, never late.
                std::thread::park_timeout(step);
                waited += step;
            }
        }
    }
}

fn timed_out() -> rdkafka::error::KafkaError {
    rdkafka::error::KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut)
}

/// Creates each topic that does not exist yet (`partitions` partitions, replication 1); an
/// existing topic is left as it is. Returns the topics created.
pub fn ensure_topics(config: &ClientConfig, topics: &[&str], partitions: i32) -> KafkaResult<Vec<String>> {
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    let new: Vec<NewTopic<'_>> =
        topics.iter().map(|t| NewTopic::new(t, partitions.max(1), TopicReplication::Fixed(1))).collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = block_on(admin.create_topics(new.iter(), &options)).ok_or_else(timed_out)??;
    let mut created = Vec::new();
    for result in results {
        match result {
            Ok(topic) => created.push(topic),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(rdkafka::error::KafkaError::AdminOp(code)).inspect_err(|_| {
                    tracing::error!(topic, %code, "could not create the topic");
                })
            }
        }
    }
    Ok(created)
}

/// Creates `topic` with `cleanup.policy=compact` and `partitions` partitions if it does not
/// exist (replication: the broker's default). Returns whether it was created.
pub fn ensure_compacted(config: &ClientConfig, topic: &str, partitions: i32) -> KafkaResult<bool> {
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    let new = NewTopic::new(topic, partitions.max(1), TopicReplication::Fixed(-1)).set("cleanup.policy", "compact");
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = block_on(admin.create_topics([&new], &options)).ok_or_else(timed_out)??;
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(true),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => Ok(false),
        Some(Err((_, code))) => Err(rdkafka::error::KafkaError::AdminOp(code)),
    }
}

/// The number of partitions of `topic`, if the broker knows the topic.
pub fn partition_count<C: rdkafka::ClientContext>(
    client: &rdkafka::client::Client<C>,
    topic: &str,
    timeout: Duration,
) -> KafkaResult<Option<i32>> {
    // Asking for every topic: some brokers wait out the timeout when asked for a missing one.
    let metadata = client.fetch_metadata(None, timeout)?;
    Ok(metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len() as i32)
        .filter(|n| *n > 0))
}
