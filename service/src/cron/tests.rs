//! Errors, warnings, `@every`, and property tests of the parser.

use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::{CronError, Field, Schedule};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn err(expr: &str) -> String {
    match Schedule::parse(expr) {
        Ok(_) => panic!("`{expr}` should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_field_and_the_reason() {
    assert_eq!(err("0 0 * * 8x"), "day-of-week: `8x` is not a number or a name");
    assert_eq!(err("foo * * * *"), "minute: `foo` is not a number or a name");
    assert_eq!(err("0 ja * * *"), "hour: `ja` is not a number or a name");
    assert!(err("0 0 1,,2 * *").starts_with("day-of-month: "));
    assert!(err("0 0 * 1-2-3 *").starts_with("month: "));
    assert!(err("*/0 * * * *").contains("at least 1"));
    assert!(err("* * * * */x").starts_with("day-of-week: "));
    assert!(err("1/2/3 * * * *").contains("more than one `/`"));
    assert!(err("*-5 * * * *").contains("`*` is not a number or a name"));
    assert!(err("* * * * */mon").contains("not a number"), "a step must be numeric, as in Magento");
}

#[test]
fn errors_carry_the_field_as_data() {
    match Schedule::parse("0 0 * * 8x") {
        Err(CronError::Field { field, .. }) => assert_eq!(field, Field::DayOfWeek),
        other => panic!("{other:?}"),
    }
}

#[test]
fn numbers_are_plain_decimal_digits_unlike_phps_is_numeric() {
    for expr in ["1e1 * * * *", "+5 * * * *", "5.0 * * * *", "-5 * * * *", "0x1 * * * *"] {
        assert!(Schedule::parse(expr).is_err(), "`{expr}`");
    }
    assert!(err("99999999999 * * * *").contains("too large"));
}

#[test]
fn a_missing_or_unknown_base_before_a_step_is_refused_where_magento_would_read_zero() {
    assert!(err("/5 * * * *").starts_with("minute: "));
    assert!(err("foo/5 * * * *").starts_with("minute: "));
}

#[test]
fn fewer_than_five_fields_or_more_than_six_are_refused() {
    assert!(matches!(Schedule::parse(""), Err(CronError::Empty)));
    assert!(matches!(Schedule::parse("   "), Err(CronError::Empty)));
    assert!(matches!(Schedule::parse("* * * *"), Err(CronError::TooFewFields { found: 4, .. })));
    assert!(matches!(
        Schedule::parse("* * * * * * *"),
        Err(CronError::TooManyFields { found: 7, .. })
    ));
    assert!(Schedule::parse("* * * * * *").is_ok());
}

#[test]
fn macros_are_refused_because_magento_has_none() {
    for m in ["@daily", "@hourly", "@reboot", "@yearly", "@every10s", "@EVERY 10s"] {
        assert!(matches!(Schedule::parse(m), Err(CronError::UnsupportedMacro(_))), "{m}");
    }
    assert!(err("@daily").contains("0 0 * * *"));
}

#[test]
fn every_accepts_human_durations_of_at_least_one_second() {
    assert_eq!(Schedule::parse("@every 10s").unwrap().every(), Some(Duration::from_secs(10)));
    assert_eq!(Schedule::parse("@every 1m30s").unwrap().every(), Some(Duration::from_secs(90)));
    assert_eq!(Schedule::parse("@every 1m 30s").unwrap().every(), Some(Duration::from_secs(90)));
    assert_eq!(Schedule::parse(" @every  2h ").unwrap().every(), Some(Duration::from_secs(7200)));
    for bad in ["@every", "@every 500ms", "@every 0s", "@every 10", "@every soon"] {
        assert!(matches!(Schedule::parse(bad), Err(CronError::Every(_))), "{bad}");
    }
    assert_eq!(Schedule::parse("0 * * * *").unwrap().every(), None);
}

#[test]
fn every_fires_on_multiples_of_the_interval_since_the_epoch() {
    let s = Schedule::parse("@every 10s").unwrap();
    assert_eq!(
        s.next_after(utc("2024-06-15T12:00:03Z"), chrono_tz::Asia::Tokyo),
        Some(utc("2024-06-15T12:00:10Z"))
    );
    assert_eq!(
        s.next_after(utc("2024-06-15T12:00:10Z"), chrono_tz::UTC),
        Some(utc("2024-06-15T12:00:20Z"))
    );
    let s = Schedule::parse("@every 1m30s").unwrap();
    let t = s.next_after(utc("2024-06-15T12:00:00Z"), chrono_tz::UTC).unwrap();
    assert_eq!(t.timestamp() % 90, 0);
    assert_eq!(t, utc("2024-06-15T12:01:30Z"));
    let s = Schedule::parse("@every 7s").unwrap();
    let times = s.fire_times_between(
        utc("2024-06-15T12:00:00Z"),
        utc("2024-06-15T12:01:00Z"),
        chrono_tz::UTC,
        100,
    );
    assert_eq!(times.len(), 8, "multiples of 7 in (1718452800, +60]");
    assert!(times.iter().all(|t| t.timestamp() % 7 == 0));
    assert!(!s.matches_local(utc("2024-06-15T12:00:00Z").naive_utc()));
    assert!(s.warnings().is_empty());
}

#[test]
fn expression_keeps_the_text_as_written_without_surrounding_space() {
    let s = Schedule::parse("  30 6,15 * * *\n").unwrap();
    assert_eq!(s.expression(), "30 6,15 * * *");
    assert_eq!(s, Schedule::parse("30 6,15 * * *").unwrap());
    assert_eq!(s.clone(), s);
}

#[test]
fn fixed_time_jobs_are_those_whose_minute_and_hour_do_not_start_with_a_star() {
    for (expr, fixed) in [
        ("30 2 * * *", true),
        ("0 6,15 * * *", true),
        ("0-59 0-23 * * *", true),
        ("*/15 * * * *", false),
        ("30 * * * *", false),
        ("0 */2 * * *", false),
        ("* 2 * * *", false),
        ("@every 1h", false),
    ] {
        assert_eq!(Schedule::parse(expr).unwrap().is_fixed_time(), fixed, "{expr}");
    }
}

fn warns(expr: &str, needle: &str) -> bool {
    Schedule::parse(expr).unwrap().warnings().iter().any(|w| w.contains(needle))
}

#[test]
fn warnings_flag_weekday_seven() {
    assert!(warns("0 0 * * 7", "never matches: Magento weekdays are 0-6"));
    assert!(warns("0 0 * * 1-7", "`7` never matches"));
    assert!(warns("0 0 * * 7", "never matches any date"));
}

#[test]
fn warnings_flag_star_steps_on_day_of_month_and_month() {
    assert!(warns("0 0 */2 * *", "matches 2, 4, 6"));
    assert!(warns("0 0 1 */3 *", "matches 3, 6, 9, 12"));
    assert!(!warns("*/2 */2 * * */2", "counts from 0"));
    assert!(!warns("0 0 */1 * *", "counts from 0"));
}

#[test]
fn warnings_flag_both_day_fields_restricted() {
    assert!(warns("0 0 13 * 5", "AND"));
    assert!(!warns("0 0 13 * *", "AND"));
    assert!(!warns("0 0 * * 5", "AND"));
    assert!(!warns("0 0 1-31 * 0-6", "AND"), "a field covering every value is not a restriction");
}

#[test]
fn warnings_flag_other_surprises() {
    assert!(warns("15/10 * * * *", "including those below 15 (5, 15, 25"));
    assert!(warns("50-10 * * * *", "do not wrap"));
    assert!(warns("0 0 * * jan", "a month name"));
    assert!(warns("0 0 1 mon *", "a weekday name"));
    assert!(warns("0 0 * * Monkey", "read as `mon`"));
    assert!(!warns("0 0 * * Monday", "read as"));
    assert!(warns("60 * * * *", "outside 0-59"));
    assert!(warns("0 0 31 2 *", "never matches any date"));
    assert!(warns("0 0 * * * *", "sixth field"));
}

#[test]
fn ordinary_expressions_have_no_warnings() {
    for (expr, _, _) in &super::tests_table::TABLE[..14] {
        assert_eq!(Schedule::parse(expr).unwrap().warnings(), Vec::<String>::new(), "{expr}");
    }
}

#[test]
fn ten_thousand_next_after_calls_complete() {
    let tzs = [
        chrono_tz::UTC,
        chrono_tz::Europe::London,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Sydney,
    ];
    let schedules: Vec<Schedule> =
        super::tests_table::TABLE.iter().map(|(e, _, _)| Schedule::parse(e).unwrap()).collect();
    let mut t = utc("2024-01-01T00:00:00Z");
    let mut fired = 0;
    for i in 0..10_000 {
        let s = &schedules[i % schedules.len()];
        if let Some(next) = s.next_after(t, tzs[i % tzs.len()]) {
            assert!(next > t);
            fired += 1;
        }
        t += chrono::TimeDelta::minutes(37);
    }
    assert!(fired > 8_000);
}

/// Magento's `matchCronExpression`, transliterated independently of the
/// parser (lazy, on strings, PHP's truthiness of "" and "0"), for tokens made
/// of digits and names. `None` is a CronException.
fn magento_match(expr: &str, num: i64) -> Option<bool> {
    let truthy = |s: &str| !s.is_empty() && s != "0";
    let get_numeric = |s: &str| -> Option<i64> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok();
        }
        let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
        let months =
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        let p = s.get(..3)?.to_ascii_lowercase();
        months
            .iter()
            .position(|m| *m == p)
            .map(|i| i as i64 + 1)
            .or_else(|| names.iter().position(|d| *d == p).map(|i| i as i64))
    };
    if expr == "*" {
        return Some(true);
    }
    if truthy(expr) && expr.contains(',') {
        for e in expr.split(',') {
            if magento_match(e, num)? {
                return Some(true);
            }
        }
        return Some(false);
    }
    let (expr, modulus, stepped) = if truthy(expr) && expr.contains('/') {
        let e: Vec<&str> = expr.split('/').collect();
        if e.len() != 2 || e[1].is_empty() || !e[1].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        (e[0], e[1].parse::<i64>().ok()?, true)
    } else {
        (expr, 1, false)
    };
    let mut offset = 0;
    let (from, to);
    if expr == "*" {
        (from, to) = (Some(0), Some(60));
    } else if truthy(expr) && expr.contains('-') {
        let e: Vec<&str> = expr.split('-').collect();
        if e.len() != 2 {
            return None;
        }
        (from, to) = (get_numeric(e[0]), get_numeric(e[1]));
        if stepped {
            offset = from.unwrap_or(0);
        }
    } else if stepped {
        offset = get_numeric(expr).unwrap_or(0); // PHP: false - used as 0
        (from, to) = (Some(0), Some(60));
    } else {
        from = get_numeric(expr);
        to = from;
    }
    let (from, to) = (from?, to?);
    if modulus == 0 {
        return None;
    }
    Some(num >= from && num <= to && (num - offset) % modulus == 0)
}

fn field_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        (0u32..70).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "jan", "Mar", "DEC", "sun", "Fri", "sat", "monday", "July", "07"
        ])
        .prop_map(String::from),
    ];
    let part = prop_oneof![
        Just("*".to_string()),
        token.clone(),
        (token.clone(), token.clone()).prop_map(|(a, b)| format!("{a}-{b}")),
        (token.clone(), token.clone(), 0u32..70).prop_map(|(a, b, n)| format!("{a}-{b}/{n}")),
        (0u32..70).prop_map(|n| format!("*/{n}")),
        (token, 0u32..70).prop_map(|(a, n)| format!("{a}/{n}")),
    ];
    prop::collection::vec(part, 1..4).prop_map(|parts| parts.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(s in "[ -~\t\n]{0,40}", start in 0i64..4_000_000_000, tz in 0usize..4) {
        let tzs = [chrono_tz::UTC, chrono_tz::Europe::London, chrono_tz::America::New_York, chrono_tz::Australia::Lord_Howe];
        if let Ok(sched) = Schedule::parse(&s) {
            let after = DateTime::from_timestamp(start, 0).unwrap();
            let _ = sched.warnings();
            let _ = sched.fire_times_between(after, after + chrono::TimeDelta::days(3), tzs[tz], 5);
        }
    }

    #[test]
    fn cron_like_strings_never_panic(s in "[0-9a-zA-Z*/,@ -]{0,30}", start in 0i64..4_000_000_000) {
        if let Ok(sched) = Schedule::parse(&s) {
            let after = DateTime::from_timestamp(start, 0).unwrap();
            let _ = sched.warnings();
            let _ = sched.next_after(after, chrono_tz::America::New_York);
        }
    }

    #[test]
    fn compiled_fields_agree_with_a_transliteration_of_magentos_matcher(text in field_text(), f in 0usize..5) {
        let field = Field::ALL[f];
        if let Ok(spec) = super::field::FieldSpec::parse(field, &text) {
            let (lo, hi) = field.range();
            for v in lo..=hi {
                prop_assert_eq!(magento_match(&text, i64::from(v)), Some(spec.contains(v)), "{} on {}", text, v);
            }
        } else {
            // We refuse only a list with a part Magento throws on when it gets to it
            // (Magento stops at the first part that matches, so `*,0/0` never throws there).
            let (lo, hi) = field.range();
            prop_assert!(
                text.split(',').any(|p| (lo..=hi).any(|v| magento_match(p, i64::from(v)).is_none())),
                "{} refused", text
            );
        }
    }
}
