//! Time zones and Debian cron's DST rules: worked examples in four zones,
//! and properties checked against brute-force walks over every minute.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{America, Australia, Europe, GapInfo, Tz};
use proptest::prelude::*;

use super::Schedule;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Fire times in (after, until], shown as local time with the UTC offset.
fn fires(expr: &str, tz: Tz, after: &str, until: &str) -> Vec<String> {
    Schedule::parse(expr)
        .unwrap()
        .fire_times_between(utc(after), utc(until), tz, 1000)
        .iter()
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string())
        .collect()
}

// America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z);
// 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).

#[test]
fn new_york_fixed_time_job_in_the_spring_gap_runs_once_right_after_it() {
    let ny = America::New_York;
    assert_eq!(
        fires("30 2 * * *", ny, "2024-03-09T12:00:00Z", "2024-03-12T12:00:00Z"),
        ["2024-03-10 03:00 -04:00", "2024-03-11 02:30 -04:00", "2024-03-12 02:30 -04:00"]
    );
    assert_eq!(
        fires("0 2 * * *", ny, "2024-03-09T12:00:00Z", "2024-03-11T12:00:00Z"),
        ["2024-03-10 03:00 -04:00", "2024-03-11 02:00 -04:00"]
    );
    assert_eq!(
        fires("30 1 * * *", ny, "2024-03-09T12:00:00Z", "2024-03-11T12:00:00Z"),
        ["2024-03-10 01:30 -05:00", "2024-03-11 01:30 -04:00"]
    );
}

#[test]
fn new_york_fixed_time_job_with_several_times_in_the_gap_runs_once_after_it() {
    let ny = America::New_York;
    assert_eq!(
        fires("0,30 2 * * *", ny, "2024-03-10T00:00:00Z", "2024-03-11T12:00:00Z"),
        ["2024-03-10 03:00 -04:00", "2024-03-11 02:00 -04:00", "2024-03-11 02:30 -04:00"]
    );
    assert_eq!(
        fires("0,30 2,3 * * *", ny, "2024-03-10T00:00:00Z", "2024-03-10T12:00:00Z"),
        ["2024-03-10 03:00 -04:00", "2024-03-10 03:30 -04:00"]
    );
    assert_eq!(
        fires("30 2 * * 0", ny, "2024-03-09T00:00:00Z", "2024-03-18T00:00:00Z"),
        ["2024-03-10 03:00 -04:00", "2024-03-17 02:30 -04:00"]
    );
}

#[test]
fn new_york_fixed_time_job_in_the_repeated_hour_runs_once_in_the_first_copy() {
    let ny = America::New_York;
    assert_eq!(
        fires("30 1 * * *", ny, "2024-11-02T12:00:00Z", "2024-11-04T12:00:00Z"),
        ["2024-11-03 01:30 -04:00", "2024-11-04 01:30 -05:00"]
    );
    assert_eq!(
        fires("0 2 * * *", ny, "2024-11-02T12:00:00Z", "2024-11-04T12:00:00Z"),
        ["2024-11-03 02:00 -05:00", "2024-11-04 02:00 -05:00"]
    );
    // Starting inside the second copy: today's run is already done.
    assert_eq!(
        fires("30 1 * * *", ny, "2024-11-03T06:10:00Z", "2024-11-04T12:00:00Z"),
        ["2024-11-04 01:30 -05:00"]
    );
}

#[test]
fn new_york_wildcard_jobs_keep_real_time_cadence_across_the_gap() {
    let ny = America::New_York;
    assert_eq!(
        fires("*/15 * * * *", ny, "2024-03-10T06:30:00Z", "2024-03-10T07:30:00Z"),
        [
            "2024-03-10 01:45 -05:00",
            "2024-03-10 03:00 -04:00",
            "2024-03-10 03:15 -04:00",
            "2024-03-10 03:30 -04:00"
        ]
    );
    assert_eq!(
        fires("30 * * * *", ny, "2024-03-10T05:00:00Z", "2024-03-10T08:00:00Z"),
        ["2024-03-10 00:30 -05:00", "2024-03-10 01:30 -05:00", "2024-03-10 03:30 -04:00"]
    );
}

#[test]
fn new_york_wildcard_jobs_fire_in_both_copies_of_the_repeated_hour() {
    let ny = America::New_York;
    assert_eq!(
        fires("*/15 * * * *", ny, "2024-11-03T05:30:00Z", "2024-11-03T07:00:00Z"),
        [
            "2024-11-03 01:45 -04:00",
            "2024-11-03 01:00 -05:00",
            "2024-11-03 01:15 -05:00",
            "2024-11-03 01:30 -05:00",
            "2024-11-03 01:45 -05:00",
            "2024-11-03 02:00 -05:00",
        ]
    );
    assert_eq!(
        fires("30 * * * *", ny, "2024-11-03T04:00:00Z", "2024-11-03T07:45:00Z"),
        [
            "2024-11-03 00:30 -04:00",
            "2024-11-03 01:30 -04:00",
            "2024-11-03 01:30 -05:00",
            "2024-11-03 02:30 -05:00"
        ]
    );
    // Starting inside the second copy.
    assert_eq!(
        fires("30 * * * *", ny, "2024-11-03T06:10:00Z", "2024-11-03T07:45:00Z"),
        ["2024-11-03 01:30 -05:00", "2024-11-03 02:30 -05:00"]
    );
}

// Europe/London: 2024-03-31 01:00 GMT -> 02:00 BST; 2024-10-27 02:00 BST -> 01:00 GMT.

#[test]
fn london_fixed_time_jobs_across_both_changes() {
    let l = Europe::London;
    assert_eq!(
        fires("30 1 * * *", l, "2024-03-30T12:00:00Z", "2024-04-01T12:00:00Z"),
        ["2024-03-31 02:00 +01:00", "2024-04-01 01:30 +01:00"]
    );
    assert_eq!(
        fires("30 2 * * *", l, "2024-03-30T12:00:00Z", "2024-03-31T12:00:00Z"),
        ["2024-03-31 02:30 +01:00"]
    );
    assert_eq!(
        fires("30 1 * * *", l, "2024-10-26T12:00:00Z", "2024-10-28T12:00:00Z"),
        ["2024-10-27 01:30 +01:00", "2024-10-28 01:30 +00:00"]
    );
    assert_eq!(
        fires("0 2 * * *", l, "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z"),
        ["2024-10-27 02:00 +00:00"]
    );
}

#[test]
fn london_wildcard_jobs_across_both_changes() {
    let l = Europe::London;
    assert_eq!(
        fires("*/15 * * * *", l, "2024-03-31T00:30:00Z", "2024-03-31T01:15:00Z"),
        ["2024-03-31 00:45 +00:00", "2024-03-31 02:00 +01:00", "2024-03-31 02:15 +01:00"]
    );
    assert_eq!(
        fires("*/15 * * * *", l, "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"),
        [
            "2024-10-27 01:45 +01:00",
            "2024-10-27 01:00 +00:00",
            "2024-10-27 01:15 +00:00",
            "2024-10-27 01:30 +00:00"
        ]
    );
    assert_eq!(
        fires("30 * * * *", l, "2024-10-26T23:00:00Z", "2024-10-27T02:00:00Z"),
        ["2024-10-27 00:30 +01:00", "2024-10-27 01:30 +01:00", "2024-10-27 01:30 +00:00"]
    );
}

// Europe/Amsterdam: 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET.
// Australia/Sydney: 2024-04-07 03:00 AEDT -> 02:00 AEST; 2024-10-06 02:00 AEST -> 03:00 AEDT.

#[test]
fn amsterdam_and_sydney_fixed_time_jobs_across_both_changes() {
    let a = Europe::Amsterdam;
    assert_eq!(
        fires("30 2 * * *", a, "2024-03-30T12:00:00Z", "2024-03-31T12:00:00Z"),
        ["2024-03-31 03:00 +02:00"]
    );
    assert_eq!(
        fires("30 2 * * *", a, "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z"),
        ["2024-10-27 02:30 +02:00"]
    );
    let s = Australia::Sydney;
    assert_eq!(
        fires("30 2 * * *", s, "2024-10-05T00:00:00Z", "2024-10-06T12:00:00Z"),
        ["2024-10-06 03:00 +11:00"]
    );
    assert_eq!(
        fires("30 2 * * *", s, "2024-04-06T00:00:00Z", "2024-04-07T12:00:00Z"),
        ["2024-04-07 02:30 +11:00"]
    );
    assert_eq!(
        fires("0 2 * * *", s, "2024-10-05T00:00:00Z", "2024-10-06T12:00:00Z"),
        ["2024-10-06 03:00 +11:00"]
    );
}

#[test]
fn amsterdam_and_sydney_wildcard_jobs_across_both_changes() {
    let a = Europe::Amsterdam;
    assert_eq!(
        fires("30 * * * *", a, "2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z"),
        ["2024-10-27 02:30 +02:00", "2024-10-27 02:30 +01:00"]
    );
    let s = Australia::Sydney;
    assert_eq!(
        fires("*/15 * * * *", s, "2024-10-05T15:30:00Z", "2024-10-05T16:15:00Z"),
        ["2024-10-06 01:45 +10:00", "2024-10-06 03:00 +11:00", "2024-10-06 03:15 +11:00"]
    );
}

#[test]
fn the_same_expression_fires_at_different_instants_in_different_zones() {
    let s = Schedule::parse("0 9 * * *").unwrap();
    let after = utc("2024-06-15T12:00:00Z");
    assert_eq!(s.next_after(after, chrono_tz::UTC), Some(utc("2024-06-16T09:00:00Z")));
    assert_eq!(s.next_after(after, Europe::Amsterdam), Some(utc("2024-06-16T07:00:00Z")));
    assert_eq!(s.next_after(after, Australia::Sydney), Some(utc("2024-06-15T23:00:00Z")));
}

#[test]
fn next_after_is_strictly_after_and_limits_are_respected() {
    let s = Schedule::parse("* * * * *").unwrap();
    let t = utc("2024-06-15T10:00:00Z");
    assert_eq!(s.next_after(t, chrono_tz::UTC), Some(utc("2024-06-15T10:01:00Z")));
    assert_eq!(
        s.next_after(t + TimeDelta::seconds(30), chrono_tz::UTC),
        Some(utc("2024-06-15T10:01:00Z"))
    );
    assert_eq!(s.fire_times_between(t, t + TimeDelta::hours(1), chrono_tz::UTC, 5).len(), 5);
    assert_eq!(s.fire_times_between(t, t + TimeDelta::hours(1), chrono_tz::UTC, 1000).len(), 60);
    let leap = Schedule::parse("0 0 29 2 1").unwrap(); // Feb 29 on a Monday: 2016, then 2044
    assert_eq!(
        leap.next_after(utc("2016-03-01T00:00:00Z"), chrono_tz::UTC),
        Some(utc("2044-02-29T00:00:00Z"))
    );
}

// Brute-force oracles: every minute, with no skipping and no cleverness.

/// Wildcard rule: every real minute whose local wall clock matches.
fn oracle_wildcard(
    s: &Schedule,
    tz: Tz,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut t =
        DateTime::from_timestamp(after.timestamp() - after.timestamp().rem_euclid(60), 0).unwrap();
    let mut out = Vec::new();
    while t <= until {
        if t > after && s.matches_local(t.with_timezone(&tz).naive_local()) {
            out.push(t);
        }
        t += TimeDelta::minutes(1);
    }
    out
}

/// Fixed-time rule: every matching local minute, at its first occurrence, or
/// at the end of the gap it falls in.
fn oracle_fixed(
    s: &Schedule,
    tz: Tz,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let from = after.naive_utc() - TimeDelta::days(1);
    let to = until.naive_utc() + TimeDelta::days(1);
    let mut l: NaiveDateTime = from.date().and_hms_opt(0, 0, 0).unwrap();
    let mut set = BTreeSet::new();
    while l <= to {
        if s.matches_local(l) {
            let x = match tz.from_local_datetime(&l) {
                chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => Some(x),
                chrono::LocalResult::None => GapInfo::new(&l, &tz).and_then(|g| g.end),
            };
            if let Some(x) = x.map(|x| x.to_utc()).filter(|x| *x > after && *x <= until) {
                set.insert(x);
            }
        }
        l += TimeDelta::minutes(1);
    }
    set.into_iter().collect()
}

/// The instants in `year` where the zone's offset changes (to the minute).
fn transitions(tz: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let off =
        |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
    let mut t = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    while t < end {
        let next = t + TimeDelta::hours(6);
        if off(t) != off(next) {
            let mut m = t;
            while off(m) == off(t) {
                m += TimeDelta::minutes(1);
            }
            out.push(m);
        }
        t = next;
    }
    out
}

const ZONES: [Tz; 6] = [
    Europe::London,
    America::New_York,
    Europe::Amsterdam,
    Australia::Sydney,
    America::Santiago,
    Australia::Lord_Howe,
];
const FIXED: [&str; 8] = [
    "30 1 * * *",
    "30 2 * * *",
    "0 2 * * *",
    "0 0 * * *",
    "59 23 * * *",
    "15 2 * * 0",
    "0,30 2 * * *",
    "0 1-3 * * *",
];
const WILDCARD: [&str; 6] =
    ["*/15 * * * *", "30 * * * *", "*/7 * * * *", "0 */2 * * *", "* 2 * * *", "45 * * * 0"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn around_every_transition_fire_times_equal_a_minute_by_minute_walk(
        zone in 0usize..ZONES.len(), year in 2000i32..2036, fixed in any::<bool>(), pick in 0usize..8,
    ) {
        let tz = ZONES[zone];
        let expr = if fixed { FIXED[pick % FIXED.len()] } else { WILDCARD[pick % WILDCARD.len()] };
        let s = Schedule::parse(expr).unwrap();
        prop_assert_eq!(s.is_fixed_time(), fixed);
        for t in transitions(tz, year) {
            let (a, b) = (t - TimeDelta::hours(30), t + TimeDelta::hours(30));
            let got = s.fire_times_between(a, b, tz, 10_000);
            let want = if fixed { oracle_fixed(&s, tz, a, b) } else { oracle_wildcard(&s, tz, a, b) };
            prop_assert_eq!(got, want, "{} in {} around {}", expr, tz, t);
        }
    }

    #[test]
    fn over_a_year_a_fixed_time_job_fires_once_on_each_matching_local_day(
        zone in 0usize..ZONES.len(), year in 2000i32..2036, pick in 0usize..6,
    ) {
        let tz = ZONES[zone];
        let expr = FIXED[pick]; // the first six run at one time of day
        let s = Schedule::parse(expr).unwrap();
        let a = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).unwrap();
        let times = s.fire_times_between(a, b, tz, 10_000);
        prop_assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for t in &times {
            *per_day.entry(t.with_timezone(&tz).date_naive()).or_default() += 1;
        }
        let mut d = NaiveDate::from_ymd_opt(year, 1, 2).unwrap();
        while d < NaiveDate::from_ymd_opt(year, 12, 31).unwrap() {
            let day_matches = s.matches_local(d.and_hms_opt(0, 0, 0).unwrap().with_minute_hour_of(expr));
            let want = usize::from(day_matches);
            prop_assert_eq!(per_day.get(&d).copied().unwrap_or(0), want, "{} in {} on {}", expr, tz, d);
            d = d.succ_opt().unwrap();
        }
    }

    #[test]
    fn over_a_year_wildcard_jobs_are_evenly_spaced_in_real_time(zone in 0usize..ZONES.len(), year in 2000i32..2036) {
        let tz = ZONES[zone];
        let a = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).unwrap();
        // Every offset change is a multiple of 15 minutes, so `*/15` never
        // stretches or shrinks in real time.
        let times = Schedule::parse("*/15 * * * *").unwrap().fire_times_between(a, b, tz, 100_000);
        prop_assert!(times.windows(2).all(|w| w[1] - w[0] == TimeDelta::minutes(15)));
        prop_assert!(times.len() >= 35_000);
        // Whole-hour changes keep `30 * * * *` hourly; Lord Howe's half-hour does not.
        if tz != Australia::Lord_Howe {
            let times = Schedule::parse("30 * * * *").unwrap().fire_times_between(a, b, tz, 100_000);
            prop_assert!(times.windows(2).all(|w| w[1] - w[0] == TimeDelta::hours(1)), "{}", tz);
        }
    }
}

/// Puts the (single) hour and minute of a one-time-a-day fixed expression on
/// a date, so the day fields can be checked with `matches_local`.
trait WithTimeOf {
    fn with_minute_hour_of(self, expr: &str) -> NaiveDateTime;
}

impl WithTimeOf for NaiveDateTime {
    fn with_minute_hour_of(self, expr: &str) -> NaiveDateTime {
        let mut it = expr.split(' ');
        let m: u32 = it.next().unwrap().parse().unwrap();
        let h: u32 = it.next().unwrap().parse().unwrap();
        self.date().and_hms_opt(h, m, 0).unwrap()
    }
}

#[test]
fn dates_in_the_property_tests_are_what_the_comments_say() {
    assert_eq!(NaiveDate::from_ymd_opt(2024, 3, 10).unwrap().weekday(), chrono::Weekday::Sun);
}
