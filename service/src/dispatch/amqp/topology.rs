//! Names and declarations on the broker. Every lane has one durable queue,
//! `<prefix>.lane.<lane>`, whose messages are dead-lettered to the fanout
//! exchange `<prefix>.dead-letter`, bound to the durable queue of the same
//! name. Publishing goes through the default exchange, straight to the lane
//! queue. Declarations are idempotent, so every process declares what it uses
//! each time it connects; their arguments never change, or the broker would
//! refuse the second declaration.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

pub fn lane_queue(prefix: &str, lane: &str) -> String {
    format!("{prefix}.lane.{lane}")
}

/// The exchange and the queue that hold messages no worker could process.
pub fn dead_letter(prefix: &str) -> String {
    format!("{prefix}.dead-letter")
}

/// Declares the dead-letter exchange and queue.
pub async fn declare_dead_letter(channel: &Channel, prefix: &str) -> lapin::Result<()> {
    let name = dead_letter(prefix);
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel.exchange_declare(name.as_str().into(), ExchangeKind::Fanout, durable, FieldTable::default()).await?;
    channel.queue_declare(name.as_str().into(), QueueDeclareOptions::durable(), FieldTable::default()).await?;
    channel.queue_bind(name.as_str().into(), name.as_str().into(), "".into(), QueueBindOptions::default(), FieldTable::default()).await
}

/// Declares `lane`'s queue (durable, dead-lettering to [`dead_letter`], with
/// message priorities up to [`super::message::MAX_PRIORITY`]). A queue left by
/// a build without priorities has other arguments and is refused by the broker
/// (PRECONDITION_FAILED): delete it while nothing is queued (docs/setup/upgrading-and-backups.md).
pub async fn declare_lane(channel: &Channel, prefix: &str, lane: &str) -> lapin::Result<lapin::Queue> {
    let mut args = FieldTable::default();
    args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(dead_letter(prefix).into()));
    args.insert("x-max-priority".into(), AMQPValue::ShortShortUInt(super::message::MAX_PRIORITY));
    channel.queue_declare(lane_queue(prefix, lane).as_str().into(), QueueDeclareOptions::durable(), args).await
}

/// A queue's ready messages and consumers, by passive declare (no management
/// plugin needed). `None` if the queue does not exist; the broker closes the
/// channel in that case, so use a channel of its own.
pub async fn inspect(channel: &Channel, queue: &str) -> lapin::Result<Option<(u32, u32)>> {
    let passive = QueueDeclareOptions::durable().passive();
    match channel.queue_declare(queue.into(), passive, FieldTable::default()).await {
        Ok(q) => Ok(Some((q.message_count(), q.consumer_count()))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn is_not_found(e: &lapin::Error) -> bool {
    use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => matches!(amqp.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_and_the_lane() {
        assert_eq!(lane_queue("cronkeeper", "critical"), "cronkeeper.lane.critical");
        assert_eq!(dead_letter("ck-test-1"), "ck-test-1.dead-letter");
    }
}
