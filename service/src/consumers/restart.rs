//! What follows a consumer process's exit. Pure decisions, so the rules are
//! tested without processes:
//!
//! - exit 0: the process reached its max messages (or Magento's own idle
//!   time) and is replaced at once; the failure streak is reset;
//! - anything else (non-zero, a signal, a start that failed): restarted after
//!   an exponential backoff, `initial * 2^(streak-1)` capped at `max`;
//! - `crash_loop_limit` failures in a row: the consumer is parked, with no
//!   process until an operator starts it again (and `consumer_crash_loop`
//!   alerts on it).
//!
//! A process ended by cronkeeper itself (a restart request, a stop, idleness,
//! the shutdown) is not a failure and starts no backoff.

use std::time::Duration;

use super::definition::RestartBackoff;

/// How a consumer process ended, as the supervisor saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Exited by itself with this status.
    Code(i32),
    /// Died from a signal it was not sent by cronkeeper.
    Signal(i32),
    /// Could not be started at all (missing program, no magento.root...).
    StartFailed(String),
    /// Ended by cronkeeper on purpose; never counted as a failure.
    Ended(EndReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Restart,
    Stop,
    Idle,
    Shutdown,
    /// `cronkeeper drain`: ended until `cronkeeper resume`.
    Drain,
    /// The slot's lease was lost to another instance.
    LostSlot,
}

impl EndReason {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Restart => "restarted on request",
            Self::Stop => "stopped on request",
            Self::Idle => "stopped: the watched queue stayed empty for idle_timeout",
            Self::Shutdown => "stopped: cronkeeper shut down",
            Self::Drain => "stopped: cronkeeper drain (until cronkeeper resume)",
            Self::LostSlot => "stopped: this node lost the slot's lease",
        }
    }
}

impl Exit {
    /// The `lastExitReason` shown in the API.
    pub fn describe(&self) -> String {
        match self {
            Exit::Code(0) => "exited 0 (max messages reached or idle), replaced".into(),
            Exit::Code(c) => format!("exited with code {c}"),
            Exit::Signal(s) => format!("terminated by signal {s}"),
            Exit::StartFailed(why) => format!("could not start: {why}"),
            Exit::Ended(r) => r.describe().into(),
        }
    }

    pub fn code(&self) -> Option<i32> {
        match self {
            Exit::Code(c) => Some(*c),
            _ => None,
        }
    }

    fn is_failure(&self) -> bool {
        matches!(self, Exit::Code(c) if *c != 0)
            || matches!(self, Exit::Signal(_) | Exit::StartFailed(_))
    }
}

/// What to do next with the slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Start a new process now.
    StartNow,
    /// Start again after this delay (the failure streak is in `failures`).
    Backoff(Duration),
    /// Park the consumer: too many failures in a row.
    Park(String),
    /// Nothing: cronkeeper ended the process on purpose.
    Nothing,
}

/// The decision after `exit`, given the failure streak *before* it. Returns
/// the next step and the new streak.
pub fn after_exit(
    exit: &Exit,
    failures_before: u32,
    crash_loop_limit: u32,
    backoff: RestartBackoff,
) -> (Next, u32) {
    if let Exit::Ended(_) = exit {
        return (Next::Nothing, failures_before);
    }
    if !exit.is_failure() {
        return (Next::StartNow, 0);
    }
    let failures = failures_before.saturating_add(1);
    if failures >= crash_loop_limit {
        let why = format!(
            "crash loop: {failures} failed starts in a row, the last {}",
            exit.describe()
        );
        return (Next::Park(why), failures);
    }
    (Next::Backoff(delay(failures, backoff)), failures)
}

/// `initial * 2^(failures-1)`, capped at `max`.
pub fn delay(failures: u32, backoff: RestartBackoff) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let ms = backoff
        .initial_ms
        .saturating_mul(1u64 << exp)
        .min(backoff.max_ms);
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: RestartBackoff = RestartBackoff {
        initial_ms: 1_000,
        max_ms: 8_000,
    };

    #[test]
    fn a_clean_exit_is_replaced_at_once_and_clears_the_streak() {
        assert_eq!(after_exit(&Exit::Code(0), 3, 5, B), (Next::StartNow, 0));
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        assert_eq!(
            after_exit(&Exit::Code(1), 0, 10, B),
            (Next::Backoff(Duration::from_secs(1)), 1)
        );
        assert_eq!(
            after_exit(&Exit::Code(1), 1, 10, B),
            (Next::Backoff(Duration::from_secs(2)), 2)
        );
        assert_eq!(
            after_exit(&Exit::Signal(9), 2, 10, B),
            (Next::Backoff(Duration::from_secs(4)), 3)
        );
        assert_eq!(
            after_exit(&Exit::Code(255), 6, 10, B),
            (Next::Backoff(Duration::from_secs(8)), 7)
        );
        assert_eq!(delay(40, B), Duration::from_secs(8));
    }

    #[test]
    fn the_crash_loop_limit_parks_the_consumer() {
        let (next, streak) = after_exit(&Exit::Code(3), 2, 3, B);
        assert_eq!(streak, 3);
        match next {
            Next::Park(why) => assert!(
                why.contains("3 failed starts") && why.contains("code 3"),
                "{why}"
            ),
            other => panic!("expected parking, got {other:?}"),
        }
        assert!(matches!(
            after_exit(&Exit::StartFailed("no such file".into()), 0, 1, B).0,
            Next::Park(_)
        ));
    }

    #[test]
    fn processes_ended_by_cronkeeper_are_not_failures() {
        for r in [
            EndReason::Restart,
            EndReason::Stop,
            EndReason::Idle,
            EndReason::Shutdown,
            EndReason::Drain,
            EndReason::LostSlot,
        ] {
            assert_eq!(after_exit(&Exit::Ended(r), 2, 3, B), (Next::Nothing, 2));
        }
    }
}
