//! A lane queue message carries one run id and nothing else: the body is the
//! id in decimal ASCII (`12345`), so an operator reading the queue or the
//! dead-letter queue sees which run it names. It is persistent, so a durable
//! queue keeps it across a broker restart. Its AMQP priority follows the run's
//! (see [`rank`]), so a lane queue with a backlog hands out the highest first,
//! as the embedded queue does.

use lapin::BasicProperties;

use crate::domain::RunId;

pub fn body(id: RunId) -> Vec<u8> {
    id.to_string().into_bytes()
}

/// Lane queues are declared with `x-max-priority` = this: RabbitMQ keeps one
/// sub-queue per level, so its documentation advises few levels.
pub const MAX_PRIORITY: u8 = 9;

/// A run's priority (any i32, higher first, 0 by default) as an AMQP priority
/// 0..=9, keeping the order: 0 is level 5, and each further level doubles the
/// distance: 1 → 6, 2-3 → 7, 4-7 → 8, 8 and up → 9; -1 → 4, -2..-3 → 3,
/// -4..-7 → 2, -8..-15 → 1, -16 and below → 0. Priorities far apart at the
/// ends share a level; within a level the broker is first in, first out.
pub fn rank(priority: i32) -> u8 {
    // How many doublings away from 0: 0 for 0, 1 for ±1, 2 for ±2..3, ...
    let steps = (32 - priority.unsigned_abs().leading_zeros()) as u8;
    let mid = MAX_PRIORITY / 2 + 1; // 5: four levels above, five below
    if priority >= 0 {
        mid + steps.min(MAX_PRIORITY - mid)
    } else {
        mid - steps.min(mid)
    }
}

pub fn properties(id: RunId, priority: i32) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_priority(rank(priority))
        .with_content_type("text/plain".into())
        .with_message_id(id.to_string().as_str().into())
        .with_app_id("cronkeeper".into())
}

/// The run id a body names, or why it names none.
pub fn parse(body: &[u8]) -> Result<RunId, String> {
    let text = std::str::from_utf8(body).map_err(|_| format!("the body is not text ({} bytes)", body.len()))?;
    let text = text.trim();
    match text.parse::<RunId>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!("the body `{}` is not a run id", text.chars().take(64).collect::<String>())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_keep_the_order_and_stay_within_the_queue_maximum() {
        assert_eq!(rank(0), 5);
        assert_eq!([rank(1), rank(2), rank(3), rank(4), rank(7), rank(8), rank(1000), rank(i32::MAX)], [6, 7, 7, 8, 8, 9, 9, 9]);
        assert_eq!([rank(-1), rank(-2), rank(-3), rank(-4), rank(-8), rank(i32::MIN)], [4, 3, 3, 2, 1, 0]);
        let mut last = 0;
        for p in -40..=40 {
            let r = rank(p);
            assert!(r >= last && r <= MAX_PRIORITY, "rank({p}) = {r} after {last}");
            last = r;
        }
    }

    #[test]
    fn a_body_names_its_run_and_reads_back() {
        assert_eq!(body(12345), b"12345");
        assert_eq!(parse(&body(12345)), Ok(12345));
        assert_eq!(parse(b" 7\n"), Ok(7));
    }

    #[test]
    fn anything_but_a_positive_id_is_refused_with_the_reason() {
        assert!(parse(b"").unwrap_err().contains("not a run id"));
        assert!(parse(b"-3").unwrap_err().contains("`-3`"));
        assert!(parse(b"{\"run\":1}").is_err());
        assert!(parse(&[0xff, 0xfe]).unwrap_err().contains("not text"));
    }
}
