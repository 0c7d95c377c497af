//! The cron expression parser and the next-fire-time search, on arbitrary text.
//! An accepted expression is also evaluated: its warnings, and its next fire
//! times in zones with and without DST (a 30-minute shift included), starting
//! just before a spring-forward and a fall-back, so a panic or an endless
//! search in `next_after` shows up as a crash or a libFuzzer timeout.
#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use cronkeeper::cron::Schedule;
use libfuzzer_sys::fuzz_target;

const ZONES: [Tz; 3] = [Tz::UTC, Tz::Europe__Amsterdam, Tz::Australia__Lord_Howe];

fn starts() -> [DateTime<Utc>; 2] {
    [
        Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(),  // Amsterdam springs forward at 01:00 UTC
        Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap(), // and falls back at 01:00 UTC
    ]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schedule) = Schedule::parse(text) else { return };
    let _ = schedule.warnings();
    let _ = schedule.is_fixed_time();
    let _ = schedule.every();
    assert_eq!(Schedule::parse(schedule.expression()).as_ref(), Ok(&schedule), "re-parsing the trimmed text");
    for tz in ZONES {
        for start in starts() {
            let times = schedule.fire_times_between(start, start + chrono::Duration::days(2), tz, 3);
            assert!(times.windows(2).all(|w| w[0] < w[1]), "fire times go forward: {times:?}");
            if let Some(next) = schedule.next_after(start, tz) {
                assert!(next > start, "{next} is not after {start}");
                let local = next.with_timezone(&tz).naive_local();
                let _ = schedule.matches_local(local);
            }
        }
    }
});
