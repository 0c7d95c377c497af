//! What one job's due fire times turn into: pure decisions, no I/O, so every
//! misfire case is a plain unit test.
//!
//! - A fire time older than the job's starting deadline is MISSED.
//! - `skip`: only a fire time within [`ON_TIME`] of now runs; older ones are MISSED.
//! - `run_once`: the latest fire time within the starting deadline runs (as a
//!   catch-up when it is late or stands for several), the others are MISSED.
//! - All MISSED fire times of one pass collapse into a single MISSED run that
//!   carries their count, however long the downtime was: there is no cliff
//!   after which a schedule stops (as Kubernetes' does after 100 misses).

use crate::domain::{EpochMs, MisfirePolicy, Trigger};

/// How late a fire time may be found and still count as on time: the tick runs
/// every second, so anything within this is a hiccup, not a misfire.
pub const ON_TIME_MS: i64 = 60_000;

/// The starting deadline when a job sets none: Magento's own
/// `schedule_lifetime` default ("missed if not run within 15 minutes").
pub const DEFAULT_STARTING_DEADLINE_MS: i64 = 15 * 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The fire time to run, and why.
    pub run: Option<(EpochMs, Trigger)>,
    /// Fire times recorded MISSED: (how many, earliest, latest).
    pub missed: Option<(u32, EpochMs, EpochMs)>,
}

/// Due fire times older than the window the scheduler enumerates: a long
/// downtime is counted, not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Older {
    pub count: u32,
    pub first: Option<EpochMs>,
}

/// `due` are the job's recent fire times not yet materialised that are <= now,
/// in order; `older` the ones before them.
pub fn plan(due: &[EpochMs], older: Older, now: EpochMs, policy: MisfirePolicy, deadline_ms: i64) -> Plan {
    let more_missed = older.count;
    let Some(&latest) = due.last() else {
        let missed = (older.count > 0).then(|| (older.count, older.first.unwrap_or(now), older.first.unwrap_or(now)));
        return Plan { run: None, missed };
    };
    let late = now - latest;
    let runnable = match policy {
        MisfirePolicy::Skip => late <= ON_TIME_MS,
        MisfirePolicy::RunOnce => late <= deadline_ms.max(ON_TIME_MS),
    };
    let alone = due.len() == 1 && more_missed == 0;
    let run = runnable.then(|| {
        let trigger = if alone && late <= ON_TIME_MS { Trigger::Schedule } else { Trigger::CatchUp };
        (latest, trigger)
    });
    let missed_times: &[EpochMs] = if run.is_some() { &due[..due.len() - 1] } else { due };
    let missed = if missed_times.is_empty() && more_missed == 0 {
        None
    } else {
        let first = older.first.or(missed_times.first().copied()).unwrap_or(latest);
        let last = missed_times.last().copied().unwrap_or(latest);
        Some(((missed_times.len() as u32).saturating_add(more_missed), first, last))
    };
    Plan { run, missed }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn an_on_time_fire_runs_as_scheduled() {
        let p = plan(&[10 * MIN], Older::default(), 10 * MIN + 500, MisfirePolicy::RunOnce, DEFAULT_STARTING_DEADLINE_MS);
        assert_eq!(p, Plan { run: Some((10 * MIN, Trigger::Schedule)), missed: None });
    }

    #[test]
    fn a_backlog_collapses_into_one_catch_up_and_one_missed_record() {
        let due: Vec<_> = (1..=5).map(|m| m * MIN).collect();
        let p = plan(&due, Older::default(), 5 * MIN + 30_000, MisfirePolicy::RunOnce, 10 * MIN);
        assert_eq!(p.run, Some((5 * MIN, Trigger::CatchUp)));
        assert_eq!(p.missed, Some((4, MIN, 4 * MIN)));
    }

    #[test]
    fn a_catch_up_beyond_the_starting_deadline_is_missed_instead() {
        let p = plan(&[MIN, 2 * MIN], Older::default(), 60 * MIN, MisfirePolicy::RunOnce, 10 * MIN);
        assert_eq!(p.run, None);
        assert_eq!(p.missed, Some((2, MIN, 2 * MIN)));
    }

    #[test]
    fn skip_never_catches_up() {
        let p = plan(&[MIN, 2 * MIN], Older::default(), 5 * MIN, MisfirePolicy::Skip, 60 * MIN);
        assert_eq!(p.run, None);
        assert_eq!(p.missed, Some((2, MIN, 2 * MIN)));
        let p = plan(&[MIN, 2 * MIN], Older::default(), 2 * MIN + 1000, MisfirePolicy::Skip, 60 * MIN);
        assert_eq!(p.run, Some((2 * MIN, Trigger::CatchUp)));
        assert_eq!(p.missed, Some((1, MIN, MIN)));
    }

    #[test]
    fn a_huge_downtime_is_counted_not_enumerated() {
        let p = plan(&[MIN, 2 * MIN], Older { count: 1_000_000, first: Some(0) }, 2 * MIN + 10, MisfirePolicy::RunOnce, 10 * MIN);
        assert_eq!(p.run, Some((2 * MIN, Trigger::CatchUp)));
        assert_eq!(p.missed, Some((1_000_001, 0, MIN)));
    }
}
