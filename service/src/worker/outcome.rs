//! How an execution ended, in one shape for every executor, so the run status is
//! derived in exactly one place ([`Ending::run_status`]).

use crate::domain::RunStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The process exited by itself with this code.
    Exited(i32),
    /// The process was ended by a signal we did not send (OOM killer, crash, ...).
    Signaled(i32),
    /// The deadline passed; the process group was terminated.
    TimedOut,
    /// A kill request ended it (operator, `replace` policy, shutdown).
    Killed,
    /// An HTTP job got a response with this status (2xx is success).
    HttpStatus(u16),
    /// The job could not be carried out at all (command: could not be started;
    /// HTTP: connection refused, DNS, TLS, invalid URL...). `Outcome::error`
    /// says why.
    Failed,
}

impl Ending {
    pub fn is_success(self) -> bool {
        match self {
            Self::Exited(code) => code == 0,
            Self::HttpStatus(status) => (200..300).contains(&status),
            _ => false,
        }
    }

    /// The terminal run status this ending maps to.
    pub fn run_status(self) -> RunStatus {
        match self {
            Self::TimedOut => RunStatus::TimedOut,
            Self::Killed => RunStatus::Killed,
            e if e.is_success() => RunStatus::Succeeded,
            _ => RunStatus::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ending: Ending,
    /// The leader's exit code when it exited by itself (also after a timeout or
    /// kill if it handled SIGTERM and exited); `None` for signals and HTTP.
    pub exit_code: Option<i32>,
    /// Captured stdout and stderr (capped), or the HTTP response body excerpt.
    /// Supervisor notes (leftover processes ended, output cut off) are appended
    /// as lines starting with `[cronkeeper]`.
    pub output: String,
    /// Why it did not succeed, in words for an operator; `None` on success.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_map_to_run_statuses() {
        assert_eq!(Ending::Exited(0).run_status(), RunStatus::Succeeded);
        assert_eq!(Ending::Exited(3).run_status(), RunStatus::Failed);
        assert_eq!(Ending::Signaled(9).run_status(), RunStatus::Failed);
        assert_eq!(Ending::TimedOut.run_status(), RunStatus::TimedOut);
        assert_eq!(Ending::Killed.run_status(), RunStatus::Killed);
        assert_eq!(Ending::HttpStatus(204).run_status(), RunStatus::Succeeded);
        assert_eq!(Ending::HttpStatus(302).run_status(), RunStatus::Failed);
        assert_eq!(Ending::HttpStatus(500).run_status(), RunStatus::Failed);
        assert_eq!(Ending::Failed.run_status(), RunStatus::Failed);
    }
}
