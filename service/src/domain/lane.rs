//! Lane names: the key that separates pools of slots. Kept to a safe alphabet
//! because they appear in metric labels, AMQP queue names and admin URLs.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct LaneName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("lane name `{0}` is invalid: use 1-64 characters from a-z, 0-9, `_` and `-`")]
pub struct LaneNameError(pub String);

impl LaneName {
    pub fn parse(name: &str) -> Result<Self, LaneNameError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(name.to_string()))
        } else {
            Err(LaneNameError(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LaneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LaneName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LaneName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_simple_names_and_refuses_others() {
        assert!(LaneName::parse("critical").is_ok());
        assert!(LaneName::parse("bulk-2").is_ok());
        assert!(LaneName::parse("Critical").is_err());
        assert!(LaneName::parse("").is_err());
        assert!(LaneName::parse("a b").is_err());
    }
}
