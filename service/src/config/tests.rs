use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn from_toml(text: &str) -> Result<Config, ConfigError> {
    Config::from_file(Config::parse_file(text, "test.toml")?)
}

#[test]
fn no_file_gives_newcomer_defaults() {
    let c = Config::load_with_env(None, &BTreeMap::new()).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://var/cronkeeper.db");
    assert_eq!(c.default_timeout, Duration::from_secs(1800));
    let names: Vec<_> = c.lanes.iter().map(|l| l.name.as_str().to_string()).collect();
    assert_eq!(names, ["bulk", "critical", "default"]);
}

#[test]
fn the_documented_file_shape_loads() {
    let c = from_toml(
        r#"
listen = "127.0.0.1:9090"
database_url = "sqlite://var/x.db"
default_timeout = "30m"
timezone = "Europe/Amsterdam"
[lanes.critical]
slots = 4
[lanes.default]
slots = 2
[lanes.bulk]
slots = 1
[magento]
root = "/var/www/magento"
php = "php8.3"
[[jobs]]
code = "nightly_export"
schedule = "0 2 * * *"
lane = "bulk"
timeout = "2h"
command = ["/usr/local/bin/export.sh", "--full"]
"#,
    )
    .unwrap();
    assert_eq!(c.lane("critical").unwrap().slots, 4);
    assert_eq!(c.timezone, chrono_tz::Europe::Amsterdam);
    assert_eq!(c.jobs.len(), 1);
    assert_eq!(c.jobs[0].timeout, Some(Duration::from_secs(7200)));
    assert_eq!(c.magento.php, "php8.3");
}

#[test]
fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:9000\"\n[lanes.bulk]\nslots = 1\n").unwrap();
    let c = Config::load_with_env(
        Some(&path),
        &env(&[("CRONKEEPER_LISTEN", "127.0.0.1:9001"), ("CRONKEEPER_LANES_BULK_SLOTS", "3"), ("CRONKEEPER_MAGENTO_ROOT", "/srv/m")]),
    )
    .unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(c.lane("bulk").unwrap().slots, 3);
    assert_eq!(c.magento.root.as_deref(), Some(std::path::Path::new("/srv/m")));
}

#[test]
fn errors_name_the_key_and_the_problem() {
    let e = from_toml("[lanes.bulk]\nslots = 0\n").unwrap_err();
    assert_eq!(e.key, "lanes.bulk.slots");
    let e = from_toml("timezone = \"Mars/Base\"\n").unwrap_err();
    assert_eq!(e.key, "timezone");
    let e = from_toml("default_timeout = \"30\"\n").unwrap_err();
    assert_eq!(e.key, "default_timeout");
    assert!(e.message.contains("unit"));
    let e = from_toml("[lanes.bulk]\nslotz = 2\n").unwrap_err();
    assert!(e.message.contains("slotz"), "{e}");
    assert!(e.key.starts_with("test.toml:"), "{e}");
    let e = Config::load_with_env(None, &env(&[("CRONKEEPER_LANES_BULK_SLOTS", "many")])).unwrap_err();
    assert!(e.key.contains("CRONKEEPER_LANES_BULK_SLOTS"));
}

#[test]
fn job_errors_name_the_job_and_field() {
    let e = from_toml("[[jobs]]\ncode = \"x\"\nschedule = \"@hourly\"\ncommand = [\"true\"]\n").unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).schedule");
    let e = from_toml("[[jobs]]\ncode = \"x\"\nschedule = \"* * * * *\"\nlane = \"nope\"\ncommand = [\"true\"]\n").unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).lane");
    let e = from_toml("[[jobs]]\ncode = \"x\"\nschedule = \"* * * * *\"\n").unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).command");
}

#[test]
fn a_command_job_that_tries_to_escape_is_refused_naming_the_field() {
    let job = |extra: &str| format!("[[jobs]]\ncode = \"x\"\nschedule = \"* * * * *\"\ncommand = [\"true\"]\n{extra}");
    let e = from_toml(&job("env = { LD_PRELOAD = \"/tmp/evil.so\" }\n")).unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).env");
    assert!(e.to_string().contains("dynamic loader"), "{e}");
    let e = from_toml(&job("env = { \"A B\" = \"1\" }\n")).unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).env");
    let e = from_toml(&job("working_dir = \"var/www\"\n")).unwrap_err();
    assert_eq!(e.key, "jobs[0] (x).working_dir");
    assert!(from_toml(&job("env = { MAGE_MODE = \"production\" }\nworking_dir = \"/var/www\"\n")).is_ok());
}

#[test]
fn conflicting_supervision_timers_are_refused() {
    let e = from_toml("heartbeat_interval = \"30s\"\nheartbeat_expiry = \"60s\"\n").unwrap_err();
    assert_eq!(e.key, "heartbeat_expiry");
    let e = from_toml("kill_grace = \"2m\"\ndrain_timeout = \"1m\"\n").unwrap_err();
    assert_eq!(e.key, "drain_timeout");
}

#[test]
fn short_jwt_secrets_are_refused_without_echoing_them() {
    let e = Config::load_with_env(None, &env(&[("CRONKEEPER_JWT_SECRET", "tooshort")])).unwrap_err();
    assert_eq!(e.key, "auth.jwt_secret (from CRONKEEPER_JWT_SECRET)".replace(" (from CRONKEEPER_JWT_SECRET)", ""));
    assert!(!e.to_string().contains("tooshort"));
}
