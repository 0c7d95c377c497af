//! "Only when messages are waiting" and the idle timeout, decided from the
//! watched queue's depth. Pure, so the rules are tested on plain numbers:
//!
//! - `only_when_messages`: no process is *started* while the queue has nothing
//!   ready; running ones are left to finish (they exit on their own at max
//!   messages or Magento's `maxIdleTime`).
//! - `idle_timeout`: once the queue has had nothing ready or in flight for
//!   that long, the processes are stopped, and they come back when messages
//!   arrive (as with `only_when_messages`).
//! - An unknown depth (no source configured for the queue, or the source
//!   failed) never stops or holds back a consumer: running it is the safe side.

use super::definition::ConsumerDefinition;
use crate::domain::EpochMs;

/// What one node remembers about a consumer's queue between ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// Last time the queue had messages ready or in flight (or when watching began).
    pub last_active: EpochMs,
    /// Stopped for idleness and waiting for messages.
    pub idled: bool,
}

impl Activity {
    pub fn new(now: EpochMs) -> Self {
        Self {
            last_active: now,
            idled: false,
        }
    }
}

/// What the depth allows this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// New processes may be started.
    pub may_start: bool,
    /// Running processes should be stopped (idle timeout reached).
    pub stop_idle: bool,
}

pub const OPEN: Gate = Gate {
    may_start: true,
    stop_idle: false,
};

/// Depth of the watched queue: `ready` messages waiting, `in_flight` being
/// handled (when the transport knows).
pub fn gate(
    def: &ConsumerDefinition,
    ready: Option<i64>,
    in_flight: Option<i64>,
    now: EpochMs,
    activity: &mut Activity,
) -> Gate {
    let Some(ready) = ready else { return OPEN };
    if ready > 0 || in_flight.unwrap_or(0) > 0 {
        activity.last_active = now;
    }
    if ready > 0 {
        activity.idled = false;
        return OPEN;
    }
    if let Some(limit) = def.idle_timeout {
        if activity.idled || now - activity.last_active >= limit.as_millis() as i64 {
            activity.idled = true;
            return Gate {
                may_start: false,
                stop_idle: true,
            };
        }
    }
    Gate {
        may_start: !def.only_when_messages,
        stop_idle: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    fn def(only: bool, idle: Option<Duration>) -> ConsumerDefinition {
        let mut d = ConsumerDefinition::new("q");
        d.only_when_messages = only;
        d.idle_timeout = idle;
        d
    }

    #[test]
    fn only_when_messages_holds_back_starts_until_a_message_is_ready() {
        let d = def(true, None);
        let mut a = Activity::new(0);
        assert_eq!(
            gate(&d, Some(0), Some(0), 1_000, &mut a),
            Gate {
                may_start: false,
                stop_idle: false
            }
        );
        assert_eq!(
            gate(&d, Some(0), Some(3), 2_000, &mut a),
            Gate {
                may_start: false,
                stop_idle: false
            },
            "in-flight work is left alone"
        );
        assert_eq!(gate(&d, Some(1), None, 3_000, &mut a), OPEN);
    }

    #[test]
    fn an_unknown_depth_never_holds_a_consumer_back() {
        let mut a = Activity::new(0);
        assert_eq!(
            gate(&def(true, secs(1)), None, None, 1_000_000, &mut a),
            OPEN
        );
    }

    #[test]
    fn the_idle_timeout_stops_processes_and_messages_bring_them_back() {
        let d = def(false, secs(10));
        let mut a = Activity::new(0);
        assert_eq!(gate(&d, Some(0), Some(0), 5_000, &mut a), OPEN);
        assert_eq!(
            gate(&d, Some(0), Some(1), 9_000, &mut a),
            OPEN,
            "in flight counts as activity"
        );
        assert_eq!(gate(&d, Some(0), Some(0), 18_000, &mut a), OPEN);
        assert_eq!(
            gate(&d, Some(0), Some(0), 19_000, &mut a),
            Gate {
                may_start: false,
                stop_idle: true
            }
        );
        assert!(a.idled);
        assert_eq!(
            gate(&d, Some(0), Some(0), 19_500, &mut a),
            Gate {
                may_start: false,
                stop_idle: true
            },
            "stays idle"
        );
        assert_eq!(gate(&d, Some(2), Some(0), 20_000, &mut a), OPEN);
        assert!(!a.idled);
    }
}
