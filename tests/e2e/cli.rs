//! The command line as an operator uses it: exit codes and messages.

use std::process::Command;

use crate::support::BIN;

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).envs(envs.iter().copied()).env_remove("CRONKEEPER_JWT_SECRET").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn cron_next_prints_rfc3339_fire_times_in_the_zone() {
    let (code, out, _) = run(&["cron", "next", "0 2 * * *", "--tz", "Europe/Amsterdam", "-n", "3", "--after", "2026-03-28T00:00:00Z"], &[]);
    assert_eq!(code, 0);
    let lines: Vec<_> = out.lines().collect();
    // 29 March 2026 is the spring-forward day: 02:00 does not exist, the job runs right after the gap.
    assert_eq!(lines, ["2026-03-28T02:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"]);
}

#[test]
fn cron_next_rejects_a_bad_expression_naming_the_field() {
    let (code, _, err) = run(&["cron", "next", "*/5 * * foo *"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("month"), "{err}");
}

#[test]
fn an_invalid_config_value_stops_the_start_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[lanes.bulk]\nslots = 0\n").unwrap();
    let (code, _, err) = run(&["serve", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("lanes.bulk.slots"), "{err}");
    let (code, _, err) = run(&["serve"], &[("CRONKEEPER_LISTEN", "nowhere")]);
    assert_eq!(code, 1);
    assert!(err.contains("listen"), "{err}");
}

#[test]
fn importing_a_malformed_crontab_names_the_file_and_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.crontab.xml");
    let bad = dir.path().join("b.crontab.xml");
    std::fs::write(&good, r#"<config><group id="default"><job name="good_job" instance="A" method="run"><schedule>* * * * *</schedule></job></group></config>"#).unwrap();
    std::fs::write(&bad, "<config>\n<group id=\"default\">\n<job name=\"x\" instance=\"A\" method=\"run\">\n</group></config>").unwrap();
    let db = format!("sqlite://{}/ck.db", dir.path().display());
    let (code, _, err) = run(&["import", "magento-crontab", dir.path().to_str().unwrap()], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert_eq!(code, 1);
    assert!(err.contains("b.crontab.xml") && err.contains(":4"), "{err}");
    std::fs::remove_file(&bad).unwrap();
    let (code, out, err) = run(&["import", "magento-crontab", dir.path().to_str().unwrap()], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("1 created, 0 updated"), "{out}");
}

#[test]
fn importing_magentos_core_crontabs_twice_changes_nothing_the_second_time() {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/magento-reference/crontab");
    if !std::path::Path::new(shared).exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must provide {shared}");
        eprintln!("SKIPPED: {shared} not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/ck.db", dir.path().display());
    let (code, first, err) = run(&["import", "magento-crontab", shared], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert_eq!(code, 0, "{err}");
    assert!(first.contains("paused until their config_path schedule is known"), "{first}");
    let (_, second, _) = run(&["import", "magento-crontab", shared], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert!(second.starts_with("0 created, 0 updated"), "{second}");
}

#[test]
fn drain_and_resume_flip_the_shared_switch() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/ck.db", dir.path().display());
    let (code, out, _) = run(&["drain", "--wait", "--timeout", "5s"], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert_eq!(code, 0);
    assert!(out.contains("drained"), "{out}");
    let (code, out, _) = run(&["resume"], &[("CRONKEEPER_DATABASE_URL", &db)]);
    assert_eq!(code, 0);
    assert!(out.contains("resumed"));
}
