//! One field of an expression, parsed the way Magento's
//! `Schedule::matchCronExpression` reads it, and compiled to a bit mask of the
//! values it matches (bit `v` set means the wall-clock value `v` matches).
//!
//! Magento re-reads the text for every minute it checks; we read it once. The
//! order of the checks is Magento's: split the list on `,`; split a part on
//! `/` (the step must be numeric); then `*`, `a-b`, `a` (with a step: `a/n`),
//! or a plain value.

use super::error::{CronError, Field};

/// What a number or a name stood for, and how it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub text: String,
    pub value: u32,
    pub kind: TokenKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Number,
    MonthName,
    WeekdayName,
}

/// One comma-separated part of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// `*`
    Any,
    /// `a`
    Value(Token),
    /// `a-b`, `a-b/n`: values in `a..=b` with `(v - a) % n == 0`.
    Range { from: Token, to: Token, step: Option<u32> },
    /// `*/n`: values in `0..=60` divisible by `n` (from 0 in every field).
    StarStep(u32),
    /// `a/n`: values in `0..=60` congruent to `a` modulo `n`, including values
    /// below `a`.
    Congruent { base: Token, step: u32 },
}

impl Part {
    /// Whether Magento's test for this part accepts the value `v`.
    // `is_multiple_of` needs Rust 1.87; the workspace supports 1.80.
    #[allow(unknown_lints, clippy::manual_is_multiple_of)]
    fn matches(&self, v: u32) -> bool {
        match self {
            Part::Any => true,
            Part::Value(t) => v == t.value,
            Part::Range { from, to, step } => {
                v >= from.value
                    && v <= to.value
                    && match step {
                        None => true,
                        Some(n) => (v - from.value) % n == 0,
                    }
            }
            // Magento: `$from = 0; $to = 60;` then `($num - 0) % $mod === 0`.
            Part::StarStep(n) => v <= 60 && v % n == 0,
            // Magento: `$offset = a; $from = 0; $to = 60;` then
            // `($num - $offset) % $mod === 0`, a remainder that may be negative
            // but is zero exactly when `n` divides `v - a`.
            Part::Congruent { base, step } => {
                v <= 60 && (i64::from(v) - i64::from(base.value)) % i64::from(*step) == 0
            }
        }
    }
}

/// A parsed field: its text, its parts, and the compiled mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub field: Field,
    pub text: String,
    pub parts: Vec<Part>,
    /// Bit `v` set when value `v` (0..=63) matches.
    pub mask: u64,
}

impl FieldSpec {
    pub fn parse(field: Field, text: &str) -> Result<FieldSpec, CronError> {
        let parts = if text == "*" {
            vec![Part::Any]
        } else {
            text.split(',').map(|p| parse_part(field, text, p)).collect::<Result<Vec<_>, _>>()?
        };
        let mut mask = 0u64;
        for v in 0..64u32 {
            if parts.iter().any(|p| p.matches(v)) {
                mask |= 1 << v;
            }
        }
        Ok(FieldSpec { field, text: text.to_string(), parts, mask })
    }

    #[inline]
    pub fn contains(&self, v: u32) -> bool {
        v < 64 && self.mask & (1 << v) != 0
    }

    /// The mask limited to the values the clock can show in this field.
    pub fn valid_mask(&self) -> u64 {
        let (lo, hi) = self.field.range();
        self.mask & range_mask(lo, hi)
    }

    /// True when every value the clock can show matches.
    pub fn is_unrestricted(&self) -> bool {
        let (lo, hi) = self.field.range();
        self.valid_mask() == range_mask(lo, hi)
    }

    /// The smallest matching value `>= from`, up to `to` inclusive.
    pub fn next_at_or_after(&self, from: u32, to: u32) -> Option<u32> {
        if from > to || from >= 64 {
            return None;
        }
        let m = self.mask & range_mask(from, to.min(63));
        (m != 0).then(|| m.trailing_zeros())
    }
}

pub(crate) fn range_mask(lo: u32, hi: u32) -> u64 {
    if lo > hi || lo >= 64 {
        return 0;
    }
    let hi = hi.min(63);
    let upper = if hi == 63 { u64::MAX } else { (1u64 << (hi + 1)) - 1 };
    upper & !((1u64 << lo) - 1)
}

fn parse_part(field: Field, whole: &str, part: &str) -> Result<Part, CronError> {
    if part.is_empty() {
        return Err(CronError::field(field, format!("`{whole}` has an empty item in its list")));
    }
    let (body, step) = match part.split_once('/') {
        None => (part, None),
        Some((body, step)) => {
            if step.contains('/') {
                return Err(CronError::field(
                    field,
                    format!("`{part}` has more than one `/` (expected `match/step`)"),
                ));
            }
            if step.is_empty() || !step.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CronError::field(
                    field,
                    format!("`{part}`: the step `{step}` is not a number"),
                ));
            }
            let n = parse_number(field, step)?;
            if n == 0 {
                return Err(CronError::field(
                    field,
                    format!("`{part}`: the step must be at least 1"),
                ));
            }
            (body, Some(n))
        }
    };
    if body == "*" {
        return Ok(match step {
            None => Part::Any,
            Some(n) => Part::StarStep(n),
        });
    }
    if let Some((a, b)) = body.split_once('-') {
        if b.contains('-') {
            return Err(CronError::field(
                field,
                format!("`{part}` is not a range `from-to` (too many `-`)"),
            ));
        }
        let from = parse_token(field, a)?;
        let to = parse_token(field, b)?;
        return Ok(Part::Range { from, to, step });
    }
    if body.is_empty() {
        // Magento reads `/5` as `0/5` (an empty base turns into PHP's `false`,
        // then 0); we refuse it as the typo it almost certainly is.
        return Err(CronError::field(field, format!("`{part}` has nothing before the `/`")));
    }
    let token = parse_token(field, body)?;
    Ok(match step {
        None => Part::Value(token),
        Some(n) => Part::Congruent { base: token, step: n },
    })
}

fn parse_number(field: Field, text: &str) -> Result<u32, CronError> {
    text.parse::<u32>().map_err(|_| CronError::field(field, format!("`{text}` is too large")))
}

/// Magento's `getNumeric`: a number, or a name recognised by its first three
/// letters in any case (`jan`..`dec` are 1..12, `sun`..`sat` are 0..6), in
/// any field. `January`, `MONDAY` and even `Junk` (read as `jun`) are names.
fn parse_token(field: Field, text: &str) -> Result<Token, CronError> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let value = parse_number(field, text)?;
        return Ok(Token { text: text.to_string(), value, kind: TokenKind::Number });
    }
    if let Some((value, kind)) = name_value(text) {
        return Ok(Token { text: text.to_string(), value, kind });
    }
    Err(CronError::field(field, format!("`{text}` is not a number or a name")))
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn name_value(text: &str) -> Option<(u32, TokenKind)> {
    let bytes = text.as_bytes();
    if bytes.len() < 3 {
        return None;
    }
    let prefix: Vec<u8> = bytes[..3].iter().map(|b| b.to_ascii_lowercase()).collect();
    if let Some(i) = MONTHS.iter().position(|m| m.as_bytes() == prefix.as_slice()) {
        return Some((i as u32 + 1, TokenKind::MonthName));
    }
    WEEKDAYS
        .iter()
        .position(|d| d.as_bytes() == prefix.as_slice())
        .map(|i| (i as u32, TokenKind::WeekdayName))
}

/// The full English names, to tell `monday` (fine) from `monkey` (read as `mon`).
pub(crate) fn is_full_or_short_name(text: &str) -> bool {
    const FULL: [&str; 19] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    let lower = text.to_ascii_lowercase();
    lower.len() == 3 || FULL.contains(&lower.as_str())
}
