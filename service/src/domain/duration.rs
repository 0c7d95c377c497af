//! Human durations as operators write them in config and GraphQL: `30m`, `2h`,
//! `1m30s`, `500ms`. A bare number is refused: `30` could mean seconds or minutes.

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a duration ({reason}); write it like 30s, 5m, 2h or 1m30s")]
pub struct DurationError {
    pub input: String,
    pub reason: String,
}

pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let trimmed = input.trim();
    let err = |reason: &str| DurationError { input: input.to_string(), reason: reason.to_string() };
    if trimmed.is_empty() {
        return Err(err("empty"));
    }
    if trimmed.chars().all(|c| c.is_ascii_digit()) {
        return Err(err("a unit is required"));
    }
    humantime::parse_duration(trimmed).map_err(|e| err(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_forms() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn refuses_bare_numbers_and_garbage() {
        assert!(parse_duration("30").unwrap_err().to_string().contains("unit"));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }
}
