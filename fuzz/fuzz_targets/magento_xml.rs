//! The Magento XML importers on arbitrary text: crontab.xml (then merged and
//! each schedule parsed, mapped to a lane, as `import magento-crontab` does),
//! cron_groups.xml and queue_consumer.xml. Errors are fine; panics and hangs
//! are not.
#![no_main]

use cronkeeper::cron::Schedule;
use cronkeeper::magento::{merge_jobs, parse_cron_groups_str, parse_crontab_str, LaneMapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(jobs) = parse_crontab_str(text, "fuzz.crontab.xml") {
        let lanes = LaneMapping::magento_defaults();
        let import = merge_jobs(jobs);
        for job in &import.jobs {
            let _ = lanes.lane_for(&job.code, &job.group);
            if let Some(expr) = &job.schedule {
                let _ = Schedule::parse(expr);
            }
        }
        for warning in &import.warnings {
            let _ = warning.to_string();
        }
    } else if let Err(e) = parse_crontab_str(text, "fuzz.crontab.xml") {
        let _ = e.to_string();
    }
    let _ = parse_cron_groups_str(text, "fuzz.cron_groups.xml").map_err(|e| e.to_string());
    let _ = cronkeeper::consumers::import::parse_str(text, "fuzz.queue_consumer.xml").map_err(|e| e.to_string());
});
