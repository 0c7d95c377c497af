//! Splitting an expression into fields, Magento's way (`setCronExpr`), plus
//! cronkeeper's `@every` extension.

use std::time::Duration;

use super::error::{CronError, Field};
use super::field::FieldSpec;

/// A parsed five-field expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CronSpec {
    /// minute, hour, day-of-month, month, day-of-week.
    pub fields: [FieldSpec; 5],
    /// Magento accepts a sixth field and never reads it.
    pub sixth: Option<String>,
    /// Debian cron's "fixed-time" job: neither the minute field nor the hour
    /// field starts with `*`. Such a job gets the DST treatment (run once after
    /// a spring-forward gap, once in a fall-back hour).
    pub fixed_time: bool,
}

impl CronSpec {
    pub fn minute(&self) -> &FieldSpec {
        &self.fields[0]
    }
    pub fn hour(&self) -> &FieldSpec {
        &self.fields[1]
    }
    pub fn dom(&self) -> &FieldSpec {
        &self.fields[2]
    }
    pub fn month(&self) -> &FieldSpec {
        &self.fields[3]
    }
    pub fn dow(&self) -> &FieldSpec {
        &self.fields[4]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Cron(Box<CronSpec>),
    Every(Duration),
}

/// PHP's `preg_split('#\s+#', ...)` without the `u` flag: `\s` is the six
/// ASCII white-space bytes (note: vertical tab included, unlike
/// `char::is_ascii_whitespace`).
fn is_php_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

pub(crate) fn parse(expr: &str) -> Result<Kind, CronError> {
    let words: Vec<&str> = expr.split(is_php_space).filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else {
        return Err(CronError::Empty);
    };
    if first.starts_with('@') {
        if *first == "@every" {
            return parse_every(&words[1..].join(" ")).map(Kind::Every);
        }
        return Err(CronError::UnsupportedMacro((*first).to_string()));
    }
    if words.len() < 5 {
        return Err(CronError::TooFewFields { expr: expr.to_string(), found: words.len() });
    }
    if words.len() > 6 {
        return Err(CronError::TooManyFields { expr: expr.to_string(), found: words.len() });
    }
    let mut specs = Vec::with_capacity(5);
    for (field, text) in Field::ALL.iter().zip(&words) {
        specs.push(FieldSpec::parse(*field, text)?);
    }
    let fields: [FieldSpec; 5] = specs.try_into().expect("five fields");
    let fixed_time = !words[0].starts_with('*') && !words[1].starts_with('*');
    Ok(Kind::Cron(Box::new(CronSpec {
        fields,
        sixth: words.get(5).map(|s| s.to_string()),
        fixed_time,
    })))
}

fn parse_every(text: &str) -> Result<Duration, CronError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CronError::Every(
            "needs a duration, like `@every 10s` or `@every 1m30s`".into(),
        ));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CronError::Every(format!("`{text}` needs a unit (`{text}s`? `{text}m`?)")));
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| CronError::Every(format!("`{text}` is not a duration: {e}")))?;
    if d < Duration::from_secs(1) {
        return Err(CronError::Every(format!("`{text}` is shorter than the minimum of 1s")));
    }
    Ok(d)
}
