//! From wall-clock matches to instants: time zones and Debian cron's DST
//! rules, plus `@every`.
//!
//! Every matching local minute `L` has a "first copy": the instant the clock
//! first shows `L` (the earlier one in a fall-back hour). A local minute in a
//! spring-forward gap has none; a fixed-time job uses the end of the gap
//! instead. First copies never go backwards as `L` goes forward, so the first
//! one after `after` is found by walking matching minutes from the local time
//! of `after`.
//!
//! Wildcard jobs also fire at the "second copies" of a fall-back hour: the
//! instants `T..T+len` after a transition `T` that turns the clock back by
//! `len`. Those are found by looking for such a transition between `after`
//! and the first-copy candidate, probing the zone's offset once a day and
//! bisecting to the second (two transitions within one day that cancel out
//! would be missed; tzdb has none in modern times).

use std::time::Duration;

use chrono::{DateTime, Months, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::{GapInfo, Tz};

use super::parse::CronSpec;

/// How far ahead the search looks before deciding an expression never fires.
/// Feb 29 on a given weekday can be 40 years apart (around 2100), so 50.
pub(crate) const SEARCH_YEARS: u32 = 50;

/// Safety net for the candidate walk; real walks take a handful of steps (at
/// most the minutes of one repeated hour).
const MAX_CANDIDATES: usize = 20_000;

fn floor_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(t)
}

fn offset_at(tz: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc())
}

fn local_minus(l: NaiveDateTime, offset_secs: i64) -> Option<DateTime<Utc>> {
    l.checked_sub_signed(TimeDelta::try_seconds(offset_secs)?).map(|n| n.and_utc())
}

/// First fire time strictly after `after` for a five-field expression.
pub(crate) fn next_after(spec: &CronSpec, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    if !spec.can_ever_match() {
        return None;
    }
    let start = floor_minute(after.with_timezone(&tz).naive_local());
    let until = start
        .date()
        .checked_add_months(Months::new(12 * SEARCH_YEARS))
        .unwrap_or(chrono::NaiveDate::MAX);
    let first = first_copy_after(spec, after, tz, start, until);
    if spec.fixed_time {
        return first;
    }
    let second = second_copy_after(spec, after, tz, first, until);
    match (first, second) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The first matching local minute, from `start` on, whose first copy (or,
/// for a fixed-time job in a gap, the end of the gap) is after `after`.
fn first_copy_after(
    spec: &CronSpec,
    after: DateTime<Utc>,
    tz: Tz,
    start: NaiveDateTime,
    until: chrono::NaiveDate,
) -> Option<DateTime<Utc>> {
    let mut cursor = start;
    for _ in 0..MAX_CANDIDATES {
        let l = spec.next_local_match(cursor, until)?;
        let instant = match tz.from_local_datetime(&l) {
            chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => Some(x),
            // Debian: a fixed-time job whose time was skipped runs right after the gap.
            chrono::LocalResult::None if spec.fixed_time => {
                GapInfo::new(&l, &tz).and_then(|g| g.end)
            }
            // A wildcard job's skipped minutes just do not happen.
            chrono::LocalResult::None => None,
        };
        if let Some(x) = instant.map(|x| x.with_timezone(&Utc)) {
            if x > after {
                return Some(x);
            }
        }
        cursor = l.checked_add_signed(TimeDelta::minutes(1))?;
    }
    None
}

/// For wildcard jobs: the first second copy (a minute of a repeated
/// fall-back hour, as it happens the second time) after `after` and before
/// `bound`.
fn second_copy_after(
    spec: &CronSpec,
    after: DateTime<Utc>,
    tz: Tz,
    bound: Option<DateTime<Utc>>,
    until: chrono::NaiveDate,
) -> Option<DateTime<Utc>> {
    let day = TimeDelta::days(1);
    // A repeated hour that began shortly before `after` may still be running.
    let mut p = after.checked_sub_signed(day).unwrap_or(after);
    let hi = bound.or_else(|| after.checked_add_signed(day * 2))?;
    let mut off_p = offset_at(tz, p);
    while p < hi {
        let q = p.checked_add_signed(day).map_or(hi, |q| q.min(hi));
        let off_q = offset_at(tz, q);
        if off_q != off_p {
            let t = first_change(tz, p, q, off_p);
            let off_t = offset_at(tz, t);
            if off_t < off_p {
                if let Some(found) = second_copy_in(spec, after, t, off_p, off_t, until) {
                    return Some(found);
                }
            }
        }
        p = q;
        off_p = off_q;
    }
    None
}

/// The first instant in `(p, q]` whose offset is not `off_p`, to the second.
fn first_change(tz: Tz, mut p: DateTime<Utc>, mut q: DateTime<Utc>, off_p: i64) -> DateTime<Utc> {
    while q - p > TimeDelta::seconds(1) {
        let mid = p + (q - p) / 2;
        if offset_at(tz, mid) == off_p {
            p = mid;
        } else {
            q = mid;
        }
    }
    q.with_nanosecond(0).unwrap_or(q)
}

/// The first matching minute of the repeated local range `[t+new, t+old)`
/// as it happens after the transition `t`, if that instant is after `after`.
fn second_copy_in(
    spec: &CronSpec,
    after: DateTime<Utc>,
    t: DateTime<Utc>,
    off_old: i64,
    off_new: i64,
    until: chrono::NaiveDate,
) -> Option<DateTime<Utc>> {
    let local_start = t.naive_utc().checked_add_signed(TimeDelta::try_seconds(off_new)?)?;
    let local_end = t.naive_utc().checked_add_signed(TimeDelta::try_seconds(off_old)?)?;
    let mut cursor = floor_minute(local_start);
    for _ in 0..MAX_CANDIDATES {
        let l = spec.next_local_match(cursor, until)?;
        if l >= local_end {
            return None;
        }
        if l >= local_start {
            let b = local_minus(l, off_new)?;
            if b > after {
                return Some(b);
            }
        }
        cursor = l.checked_add_signed(TimeDelta::minutes(1))?;
    }
    None
}

/// `@every`: the multiples of the interval since the Unix epoch (UTC).
pub(crate) fn every_next(interval: Duration, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    const NANOS: i128 = 1_000_000_000;
    let step = i128::try_from(interval.as_nanos()).ok().filter(|&n| n > 0)?;
    let now = i128::from(after.timestamp()) * NANOS + i128::from(after.timestamp_subsec_nanos());
    let next = (now.div_euclid(step) + 1).checked_mul(step)?;
    let secs = i64::try_from(next.div_euclid(NANOS)).ok()?;
    DateTime::from_timestamp(secs, next.rem_euclid(NANOS) as u32)
}
