//! Magento-compatible cron expressions, cronkeeper's `@every`, and next fire
//! times in a job's time zone.
//!
//! # Expressions: Magento's semantics
//!
//! cronkeeper reads an expression exactly as Magento 2's
//! `Magento\Cron\Model\Schedule` does (`setCronExpr`, `matchCronExpression`,
//! `getNumeric`), quirks included, so a `crontab.xml` schedule runs on the
//! same minutes under cronkeeper as under `bin/magento cron:run`.
//!
//! - **Fields.** The text is split on white space into five fields: minute,
//!   hour, day-of-month, month, day-of-week. A sixth field is accepted and
//!   ignored (it is neither seconds nor a year). Fewer than five or more than
//!   six is an error.
//! - **All five fields are ANDed**, day-of-month and day-of-week included:
//!   `0 0 13 * 5` runs on Friday the 13th only (Unix cron would run on every
//!   13th and every Friday).
//! - **Values** are those of the local wall clock: minute 0-59, hour 0-23,
//!   day 1-31, month 1-12, weekday 0-6 with Sunday 0. `7` is not Sunday: it
//!   never matches. Out-of-range numbers are accepted and never match.
//! - **Parts.** A field is a comma-separated list of parts; a part is
//!   - `*`: everything;
//!   - `a`: that value;
//!   - `a-b`: `a` to `b` inclusive; ranges do not wrap (`5-1` matches
//!     nothing, without an error);
//!   - `a-b/n`: `a`, `a+n`, ... up to `b`;
//!   - `*/n`: the multiples of `n` from **0** in every field: `*/2` on
//!     day-of-month is 2, 4, ..., 30 (not 1, 3, ...), `*/3` on month is 3, 6,
//!     9, 12;
//!   - `a/n`: every value congruent to `a` modulo `n`, including values
//!     *below* `a`: `15/10` on minutes is 5, 15, 25, 35, 45, 55, and `a/1`
//!     is everything.
//! - **Names**: a token is a name when its first three letters, in any case,
//!   are `jan`..`dec` (1..12) or `sun`..`sat` (0..6). Names are accepted in
//!   every field and mean their number there (`mon` in the month field is
//!   January); `January`, `MONDAY`, and even `Junk` (read as `jun`) are
//!   names. A step must be a number.
//! - `@daily`-style macros do not exist in Magento and are errors, as is any
//!   token that is neither a number nor a name.
//!
//! Where cronkeeper is stricter than Magento: Magento only notices a bad token
//! when it evaluates it (`1,foo` matches minute 1 and throws on the others),
//! reads an empty or unknown base of `a/n` as 0 (`/5` and `foo/5` mean
//! `*/5`), and takes anything PHP's `is_numeric` takes (`1e1`, `+5`, `5.0`).
//! cronkeeper refuses all of these when the expression is parsed: numbers are
//! plain decimal digits.
//!
//! # Differences from the `cron` crate and Unix cron
//!
//! - No seconds field: the first field is the minute; a sixth field is
//!   ignored rather than read as a year.
//! - Weekdays are 0-6 with Sunday 0; the `cron` crate numbers them 1-7 (Sunday
//!   1) and Unix cron also accepts 7 for Sunday.
//! - Day-of-month and day-of-week are ANDed; Unix cron ORs them when both are
//!   restricted.
//! - `*/n` and `a/n` count as described above, not "from the first value".
//! - No `L`, `W`, `#`, `?` and no `@yearly`-style macros.
//!
//! # cronkeeper's extension: `@every`
//!
//! `@every <duration>` (`@every 10s`, `@every 1m30s`, minimum 1s) fires at the
//! multiples of the interval since the Unix epoch, in UTC, so fire times are
//! the same across restarts and independent of the time zone.
//!
//! # Time zones and daylight-saving time
//!
//! Expressions match local wall-clock minutes in the job's IANA time zone.
//! Around DST changes cronkeeper follows Debian cron, not Magento (Magento
//! simply skips local times that do not exist and matches repeated ones
//! twice):
//!
//! - A **fixed-time** job is one whose minute and hour fields both do not
//!   start with `*` (`30 2 * * *`, `0 6,15 * * *`). Every other job is a
//!   **wildcard** job (`*/15 * * * *`, `30 * * * *`).
//! - **Spring forward** (a gap, such as 02:00 → 03:00): a fixed-time job
//!   whose time falls in the gap runs once, at the first real instant after
//!   the gap (03:00). Wildcard jobs keep their cadence in real time; the
//!   missing local times simply do not occur (`*/15` fires at 01:45, then
//!   03:00).
//! - **Fall back** (a repeated hour, such as 01:00-02:00 twice): a fixed-time
//!   job runs once, in the first occurrence. Wildcard jobs keep their cadence
//!   in real time, so they fire in both copies of the hour.
//!
//! # Warnings
//!
//! [`Schedule::warnings`] lists what is legal but probably unintended: `7` in
//! day-of-week, out-of-range numbers, `*/n` on day-of-month or month, both
//! day fields restricted, `a/n` with `a >= n`, ranges that do not wrap, names
//! in the wrong field or read by their first three letters, an ignored sixth
//! field, and expressions that can never match.

mod calendar;
mod error;
mod field;
mod next;
mod parse;
mod warnings;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dst;
#[cfg(test)]
mod tests_table;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

pub use error::{CronError, Field};
use parse::Kind;

/// A parsed schedule: a Magento five-field expression or `@every`.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    expr: String,
    kind: Kind,
}

impl Schedule {
    /// Parses an expression; see the module documentation for the grammar.
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        let kind = parse::parse(expr)?;
        Ok(Schedule { expr: expr.trim().to_string(), kind })
    }

    /// The expression as written (surrounding white space removed).
    pub fn expression(&self) -> &str {
        &self.expr
    }

    /// Things that are legal but probably not what was meant. Empty for
    /// `@every`.
    pub fn warnings(&self) -> Vec<String> {
        match &self.kind {
            Kind::Cron(spec) => warnings::warnings(spec),
            Kind::Every(_) => Vec::new(),
        }
    }

    /// The interval of an `@every` schedule.
    pub fn every(&self) -> Option<Duration> {
        match &self.kind {
            Kind::Every(d) => Some(*d),
            Kind::Cron(_) => None,
        }
    }

    /// True for a Debian "fixed-time" job (minute and hour fields both do not
    /// start with `*`), which gets the run-once DST treatment.
    pub fn is_fixed_time(&self) -> bool {
        matches!(&self.kind, Kind::Cron(spec) if spec.fixed_time)
    }

    /// Magento's match on one local wall-clock minute (seconds ignored).
    /// false for @every.
    pub fn matches_local(&self, local: NaiveDateTime) -> bool {
        match &self.kind {
            Kind::Cron(spec) => spec.matches(local),
            Kind::Every(_) => false,
        }
    }

    /// First fire time strictly after `after`, in `tz`, with the DST rules
    /// above. None if it never fires (e.g. `0 0 31 2 *`, or day-of-week 7)
    /// within a bounded search (50 years).
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Cron(spec) => next::next_after(spec, after, tz),
            Kind::Every(d) => next::every_next(*d, after),
        }
    }

    /// All fire times in (after, until], at most `limit`.
    pub fn fire_times_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        tz: Tz,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut cursor = after;
        while out.len() < limit {
            match self.next_after(cursor, tz) {
                Some(t) if t <= until => {
                    out.push(t);
                    cursor = t;
                }
                _ => break,
            }
        }
        out
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expr)
    }
}

impl std::str::FromStr for Schedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}
