//! Warnings: expressions that parse and mean what Magento says they mean, but
//! probably not what their author meant. They never change the meaning.

use super::error::Field;
use super::field::{is_full_or_short_name, FieldSpec, Part, Token, TokenKind};
use super::parse::CronSpec;

fn list(values: &[u32]) -> String {
    let shown: Vec<String> = values.iter().take(6).map(u32::to_string).collect();
    let more = if values.len() > 6 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

pub(crate) fn warnings(spec: &CronSpec) -> Vec<String> {
    let mut out = Vec::new();
    for f in &spec.fields {
        field_warnings(f, &mut out);
    }
    if !spec.dom().is_unrestricted() && !spec.dow().is_unrestricted() {
        out.push(format!(
            "day-of-month `{}` and day-of-week `{}` are both restricted: Magento runs the job \
             only on days matching both (AND), unlike Unix cron which runs on days matching \
             either (OR)",
            spec.dom().text,
            spec.dow().text
        ));
    }
    if let Some(sixth) = &spec.sixth {
        out.push(format!(
            "the sixth field `{sixth}` is ignored (Magento reads only five fields; it is not \
             a seconds or a year field)"
        ));
    }
    if !spec.can_ever_match() {
        out.push("this expression never matches any date and time: the job will never run".into());
    }
    out
}

fn field_warnings(f: &FieldSpec, out: &mut Vec<String>) {
    let field = f.field;
    let (lo, hi) = field.range();
    for part in &f.parts {
        for token in tokens(part) {
            token_warnings(field, token, out);
        }
        match part {
            Part::StarStep(n) if *n > 1 && matches!(field, Field::DayOfMonth | Field::Month) => {
                let values: Vec<u32> = (lo..=hi).filter(|v| v % n == 0).collect();
                let unix: Vec<u32> = (lo..=hi).step_by(*n as usize).collect();
                out.push(format!(
                    "{field}: `*/{n}` counts from 0 in Magento, so it matches {} (not {} as \
                     in Unix cron)",
                    list(&values),
                    list(&unix)
                ));
            }
            Part::Range { from, to, .. } if from.value > to.value => out.push(format!(
                "{field}: the range `{}-{}` matches nothing: Magento ranges do not wrap around",
                from.text, to.text
            )),
            Part::Congruent { base, step } if base.value >= *step => {
                let values: Vec<u32> = (lo..=hi)
                    .filter(|v| (i64::from(*v) - i64::from(base.value)) % i64::from(*step) == 0)
                    .collect();
                out.push(format!(
                    "{field}: `{}/{step}` matches every value congruent to {} modulo {step}, \
                     including those below {} ({})",
                    base.text,
                    base.value,
                    base.value,
                    if values.is_empty() { "none here".to_string() } else { list(&values) }
                ));
            }
            _ => {}
        }
    }
}

fn tokens(part: &Part) -> Vec<&Token> {
    match part {
        Part::Value(t) => vec![t],
        Part::Range { from, to, .. } => vec![from, to],
        Part::Congruent { base, .. } => vec![base],
        Part::Any | Part::StarStep(_) => vec![],
    }
}

fn token_warnings(field: Field, t: &Token, out: &mut Vec<String>) {
    let (lo, hi) = field.range();
    match t.kind {
        TokenKind::Number if field == Field::DayOfWeek && t.value == 7 => out.push(format!(
            "day-of-week: `{}` never matches: Magento weekdays are 0-6 (Sunday is 0, not 7)",
            t.text
        )),
        TokenKind::Number if t.value < lo || t.value > hi => {
            out.push(format!("{field}: `{}` is outside {lo}-{hi} and never matches", t.text))
        }
        TokenKind::Number => {}
        TokenKind::MonthName | TokenKind::WeekdayName => {
            let wrong_kind = match t.kind {
                TokenKind::MonthName => field != Field::Month,
                _ => field != Field::DayOfWeek,
            };
            if wrong_kind {
                let what = if t.kind == TokenKind::MonthName { "a month" } else { "a weekday" };
                out.push(format!(
                    "{field}: `{}` is {what} name; Magento reads it as the number {} here",
                    t.text, t.value
                ));
            }
            if !is_full_or_short_name(&t.text) {
                out.push(format!(
                    "{field}: `{}` is read as `{}` (Magento looks only at the first three letters)",
                    t.text,
                    t.text.get(..3).unwrap_or(&t.text).to_ascii_lowercase()
                ));
            }
        }
    }
}
