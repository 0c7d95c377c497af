//! `[graphql]`: how the GraphQL API shares the machine between callers.
//!
//! One caller (one token subject) may run only a few operations at a time;
//! more wait their turn, in arrival order, and give up after `queue_timeout`
//! with TOO_MANY_REQUESTS. So a script hammering the API with one token slows
//! down itself, not the other admins (see `api::schema::fair_share`).

use std::time::Duration;

use serde::Deserialize;

use super::{duration, fmt, ConfigError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlFile {
    pub max_concurrent_per_subject: Option<i64>,
    pub queue_timeout: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlConfig {
    /// Operations (HTTP requests, WebSocket queries and mutations, the set-up
    /// of a subscription) one token subject may have executing at once.
    pub max_concurrent_per_subject: usize,
    /// How long an operation over that limit waits for a turn before it is
    /// refused with TOO_MANY_REQUESTS.
    pub queue_timeout: Duration,
}

/// Two at a time: an admin's page and its background refresh run side by
/// side, while one token cannot hold more than one of a 2-core machine's
/// cores with heavy queries for long.
pub const DEFAULT_MAX_CONCURRENT_PER_SUBJECT: usize = 2;
/// Shorter than the Magento module's 5 s request timeout, so a refused
/// request reaches the admin as TOO_MANY_REQUESTS, not as a client timeout.
pub const DEFAULT_QUEUE_TIMEOUT: &str = "2s";
const MAX_QUEUE_TIMEOUT: Duration = Duration::from_secs(60);

pub fn graphql_from(f: &GraphqlFile) -> Result<GraphqlConfig, ConfigError> {
    let limit = f.max_concurrent_per_subject.unwrap_or(DEFAULT_MAX_CONCURRENT_PER_SUBJECT as i64);
    if !(1..=1024).contains(&limit) {
        return Err(ConfigError::new("graphql.max_concurrent_per_subject", "must be between 1 and 1024"));
    }
    let queue_timeout = duration(&f.queue_timeout, "graphql.queue_timeout", DEFAULT_QUEUE_TIMEOUT)?;
    if queue_timeout > MAX_QUEUE_TIMEOUT {
        return Err(ConfigError::new(
            "graphql.queue_timeout",
            format!("{} is longer than {}: a caller would rather get an answer", fmt(queue_timeout), fmt(MAX_QUEUE_TIMEOUT)),
        ));
    }
    Ok(GraphqlConfig { max_concurrent_per_subject: limit as usize, queue_timeout })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_two_operations_and_a_two_second_wait() {
        let c = graphql_from(&GraphqlFile::default()).unwrap();
        assert_eq!(c, GraphqlConfig { max_concurrent_per_subject: 2, queue_timeout: Duration::from_secs(2) });
    }

    #[test]
    fn a_limit_of_zero_or_a_long_wait_is_refused_with_its_key() {
        let zero = graphql_from(&GraphqlFile { max_concurrent_per_subject: Some(0), queue_timeout: None }).unwrap_err();
        assert_eq!(zero.key, "graphql.max_concurrent_per_subject");
        let long = graphql_from(&GraphqlFile { max_concurrent_per_subject: None, queue_timeout: Some("5m".into()) }).unwrap_err();
        assert_eq!(long.key, "graphql.queue_timeout");
        assert!(long.message.contains("5m"), "{}", long.message);
    }

    #[test]
    fn the_file_and_the_environment_set_both() {
        let file = crate::config::Config::parse_file("[graphql]\nmax_concurrent_per_subject = 4\nqueue_timeout = \"500ms\"\n", "t.toml").unwrap();
        let c = crate::config::Config::from_file(file).unwrap();
        assert_eq!(c.graphql, GraphqlConfig { max_concurrent_per_subject: 4, queue_timeout: Duration::from_millis(500) });
        let env: std::collections::BTreeMap<String, String> = [
            ("CRONKEEPER_GRAPHQL_MAX_CONCURRENT_PER_SUBJECT", "8"),
            ("CRONKEEPER_GRAPHQL_QUEUE_TIMEOUT", "10s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = crate::config::Config::load_with_env(None, &env).unwrap();
        assert_eq!(c.graphql, GraphqlConfig { max_concurrent_per_subject: 8, queue_timeout: Duration::from_secs(10) });
    }
}
