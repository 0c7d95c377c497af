//! Wall-clock search: the first local minute at or after a given one that the
//! expression matches, skipping whole months, days and hours that cannot
//! match. No time zone here; [`super::next`] maps wall-clock minutes to
//! instants.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::field::range_mask;
use super::parse::CronSpec;

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if NaiveDate::from_ymd_opt(year, 2, 29).is_some() => 29,
        2 => 28,
        _ => 31,
    }
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if date.month() == 12 {
        (date.year().checked_add(1)?, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
}

impl CronSpec {
    /// False when no wall-clock minute can ever match: a field matches none of
    /// the values the clock shows (`7` as the only weekday, minute `60`), or no
    /// matching month has a matching day (`0 0 31 2 *`, `0 0 30 feb *`).
    pub(crate) fn can_ever_match(&self) -> bool {
        if self.minute().valid_mask() == 0
            || self.hour().valid_mask() == 0
            || self.dow().valid_mask() == 0
        {
            return false;
        }
        (1..=12u32).any(|m| {
            let longest = if m == 2 { 29 } else { days_in_month(2001, m) };
            self.month().contains(m) && self.dom().mask & range_mask(1, longest) != 0
        })
    }

    /// Magento's match of one wall-clock minute.
    pub(crate) fn matches(&self, t: NaiveDateTime) -> bool {
        self.minute().contains(t.minute())
            && self.hour().contains(t.hour())
            && self.dom().contains(t.day())
            && self.month().contains(t.month())
            && self.dow().contains(t.weekday().num_days_from_sunday())
    }

    /// The first matching minute `>= from` (seconds of `from` are dropped),
    /// on or before the date `until`. Skips months whose matching days do not
    /// exist, days whose weekday or day-of-month does not match, hours, then
    /// minutes, so the cost is a few steps per matching day tried.
    pub(crate) fn next_local_match(
        &self,
        from: NaiveDateTime,
        until: NaiveDate,
    ) -> Option<NaiveDateTime> {
        if !self.can_ever_match() {
            return None;
        }
        let mut date = from.date();
        let mut hour = from.hour();
        let mut minute = from.minute();
        loop {
            if date > until {
                return None;
            }
            let dim = days_in_month(date.year(), date.month());
            let day = if self.month().contains(date.month()) {
                self.dom().next_at_or_after(date.day(), dim)
            } else {
                None
            };
            let Some(day) = day else {
                date = first_of_next_month(date)?;
                (hour, minute) = (0, 0);
                continue;
            };
            if day != date.day() {
                date = date.with_day(day)?;
                (hour, minute) = (0, 0);
            }
            if !self.dow().contains(date.weekday().num_days_from_sunday()) {
                date = date.succ_opt()?;
                (hour, minute) = (0, 0);
                continue;
            }
            let Some(h) = self.hour().next_at_or_after(hour, 23) else {
                date = date.succ_opt()?;
                (hour, minute) = (0, 0);
                continue;
            };
            if h != hour {
                (hour, minute) = (h, 0);
            }
            match self.minute().next_at_or_after(minute, 59) {
                Some(m) => return date.and_hms_opt(hour, m, 0),
                None if hour < 23 => (hour, minute) = (hour + 1, 0),
                None => {
                    date = date.succ_opt()?;
                    (hour, minute) = (0, 0);
                }
            }
        }
    }
}
