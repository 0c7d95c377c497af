//! Parse errors. Every field error names the field, the way operators read the
//! expression: `day-of-week: `8x` is not a number or a name`.

use std::fmt;

/// The five fields of a Magento cron expression, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Field {
    pub const ALL: [Field; 5] =
        [Field::Minute, Field::Hour, Field::DayOfMonth, Field::Month, Field::DayOfWeek];

    pub fn name(self) -> &'static str {
        match self {
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
        }
    }

    /// The values the wall clock can show in this field (Magento formats the
    /// time with PHP's `i`, `H`, `d`, `m` and `w`).
    pub fn range(self) -> (u32, u32) {
        match self {
            Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 6),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an expression was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("the cron expression is empty")]
    Empty,
    #[error(
        "`{expr}` has {found} field(s); a Magento cron expression needs 5 \
         (minute hour day-of-month month day-of-week)"
    )]
    TooFewFields { expr: String, found: usize },
    #[error("`{expr}` has {found} fields; Magento accepts 5, or 6 with the sixth ignored")]
    TooManyFields { expr: String, found: usize },
    #[error(
        "`{0}` is not supported: Magento has no @-macros; write the five fields \
         (for example `0 0 * * *` for daily) or use cronkeeper's `@every <duration>`"
    )]
    UnsupportedMacro(String),
    #[error("@every: {0}")]
    Every(String),
    #[error("{field}: {reason}")]
    Field { field: Field, reason: String },
}

impl CronError {
    pub(crate) fn field(field: Field, reason: impl Into<String>) -> Self {
        CronError::Field { field, reason: reason.into() }
    }
}
