//! `[[jobs]]` in the config file become domain jobs, checked like API input.

use std::time::Duration;

use super::file::{BackoffFile, JobFile};
use super::{duration, Config, ConfigError};
use crate::domain::{check_command, validate_job_code, Backoff, ConcurrencyPolicy, Executor, Job, LaneName, MisfirePolicy, RetryPolicy};

pub fn jobs_from(files: &[JobFile], config: &Config) -> Result<Vec<Job>, ConfigError> {
    let mut seen = std::collections::BTreeSet::new();
    files
        .iter()
        .enumerate()
        .map(|(i, jf)| {
            let key = format!("jobs[{i}] ({})", jf.code);
            if !seen.insert(jf.code.clone()) {
                return Err(ConfigError::new(key, "a job with this code is declared twice"));
            }
            job_from(jf, config).map_err(|(field, message)| ConfigError::new(format!("{key}.{field}"), message))
        })
        .collect()
}

type FieldError = (&'static str, String);

fn job_from(jf: &JobFile, config: &Config) -> Result<Job, FieldError> {
    validate_job_code(&jf.code).map_err(|m| ("code", m))?;
    crate::cron::Schedule::parse(&jf.schedule).map_err(|e| ("schedule", e.to_string()))?;
    let lane_text = jf.lane.clone().unwrap_or_else(|| "default".into());
    let lane = LaneName::parse(&lane_text).map_err(|e| ("lane", e.to_string()))?;
    if config.lane(lane.as_str()).is_none() {
        return Err(("lane", format!("no lane `{lane}` is configured (add [lanes.{lane}])")));
    }
    if let Some(tz) = &jf.timezone {
        tz.parse::<chrono_tz::Tz>().map_err(|_| ("timezone", format!("`{tz}` is not an IANA time zone")))?;
    }
    let executor = executor_from(jf)?;
    let mut job = Job::new(jf.code.clone(), lane, Some(jf.schedule.clone()), executor);
    job.timezone = jf.timezone.clone();
    job.timeout = opt_duration(&jf.timeout, "timeout")?;
    if job.timeout == Some(Duration::ZERO) {
        return Err(("timeout", "must be greater than zero".into()));
    }
    job.retry = RetryPolicy { max_retries: jf.max_retries.unwrap_or(0), backoff: backoff_from(jf.backoff.as_ref())? };
    if let Some(c) = &jf.concurrency {
        job.concurrency = ConcurrencyPolicy::parse(c).ok_or(("concurrency", format!("`{c}` is not forbid, allow or replace")))?;
    }
    if let Some(m) = &jf.misfire {
        job.misfire = MisfirePolicy::parse(m).ok_or(("misfire", format!("`{m}` is not skip or run_once")))?;
    }
    job.starting_deadline = opt_duration(&jf.starting_deadline, "starting_deadline")?;
    job.priority = jf.priority.unwrap_or(0);
    job.business_critical = jf.business_critical.unwrap_or(false);
    job.paused = jf.paused.unwrap_or(false);
    job.description = jf.description.clone();
    Ok(job)
}

fn executor_from(jf: &JobFile) -> Result<Executor, FieldError> {
    let chosen = [jf.command.is_some(), jf.magento == Some(true), jf.http.is_some()].iter().filter(|b| **b).count();
    if chosen != 1 {
        return Err(("command", "give exactly one of command = [...], magento = true or http = { url = ... }".into()));
    }
    if let Some(argv) = &jf.command {
        let env: Vec<(String, String)> = jf.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        check_command(argv, &env, jf.working_dir.as_deref()).map_err(|(field, message)| {
            // The API's field names, in the config file's words.
            let key = if field.starts_with("argv") {
                "command"
            } else if field.starts_with("env") {
                "env"
            } else {
                "working_dir"
            };
            (key, message)
        })?;
        return Ok(Executor::Command { argv: argv.clone(), env, working_dir: jf.working_dir.clone() });
    }
    if let Some(http) = &jf.http {
        if !(http.url.starts_with("http://") || http.url.starts_with("https://")) {
            return Err(("http.url", "must start with http:// or https://".into()));
        }
        let timeout = opt_duration(&http.timeout, "http.timeout")?;
        return Ok(Executor::Http { url: http.url.clone(), method: http.method.clone(), timeout_secs: timeout.map(|d| d.as_secs().max(1)) });
    }
    Ok(Executor::Magento { code: None })
}

fn backoff_from(b: Option<&BackoffFile>) -> Result<Backoff, FieldError> {
    let mut backoff = Backoff::default();
    let Some(b) = b else { return Ok(backoff) };
    if let Some(d) = opt_duration(&b.initial, "backoff.initial")? {
        backoff.initial_secs = d.as_secs_f64();
    }
    if let Some(d) = opt_duration(&b.max, "backoff.max")? {
        backoff.max_secs = d.as_secs_f64();
    }
    if let Some(f) = b.factor {
        if !(1.0..=10.0).contains(&f) {
            return Err(("backoff.factor", "must be between 1 and 10".into()));
        }
        backoff.factor = f;
    }
    if let Some(j) = b.jitter {
        if !(0.0..=1.0).contains(&j) {
            return Err(("backoff.jitter", "must be between 0 and 1".into()));
        }
        backoff.jitter = j;
    }
    Ok(backoff)
}

fn opt_duration(v: &Option<String>, field: &'static str) -> Result<Option<Duration>, FieldError> {
    match v {
        None => Ok(None),
        Some(_) => duration(v, field, "0s").map(Some).map_err(|e| (field, e.message)),
    }
}
