//! Tests against every core Magento 2.4 crontab.xml / cron_groups.xml kept in
//! `shared/magento-reference/crontab` (beside the repository). These pin the
//! importer to real inputs: job counts, the `config_path` jobs, the jobs Magento
//! leaves unscheduled, and exactly which jobs the default lane mapping protects.
//!
//! Locally the directory may be absent; the tests then say what they skipped. In CI
//! (`CI` set) its absence is a failure, so the suite cannot pass vacuously.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;

const REFERENCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/magento-reference/crontab");

fn reference_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(REFERENCE_DIR);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: Magento reference files missing at {REFERENCE_DIR} (required in CI)");
    }
    eprintln!("{test}: skipped, Magento reference files not found at {REFERENCE_DIR}");
    None
}

fn import_reference(test: &str) -> Option<MagentoImport> {
    let dir = reference_dir(test)?;
    Some(import(&[dir]).expect("every core crontab.xml imports"))
}

fn codes<'a>(jobs: impl IntoIterator<Item = &'a MagentoCronJob>) -> BTreeSet<&'a str> {
    jobs.into_iter().map(|j| j.code.as_str()).collect()
}

#[test]
fn every_core_crontab_file_parses_on_its_own() {
    let Some(dir) = reference_dir("every_core_crontab_file_parses_on_its_own") else { return };
    let files = collect_crontab_files(&[dir]).unwrap();
    assert_eq!(files.len(), 26, "one crontab.xml per core module with cron jobs");
    let mut total = 0;
    for file in &files {
        let jobs = parse_crontab(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!jobs.is_empty(), "{} declares no jobs", file.display());
        total += jobs.len();
    }
    assert_eq!(total, 53);
}

#[test]
fn job_counts_per_core_file_match_the_files() {
    let Some(dir) = reference_dir("job_counts_per_core_file_match_the_files") else { return };
    for (file, count) in [
        ("Sales.crontab.xml", 14),
        ("Catalog.crontab.xml", 5),
        ("Indexer.crontab.xml", 3),
        ("Analytics.crontab.xml", 3),
        ("Security.crontab.xml", 3),
        ("MessageQueue.crontab.xml", 2),
        ("Cron.crontab.xml", 1),
    ] {
        assert_eq!(parse_crontab(&dir.join(file)).unwrap().len(), count, "{file}");
    }
}

#[test]
fn the_message_queue_file_declares_jobs_in_two_groups() {
    let Some(dir) = reference_dir("the_message_queue_file_declares_jobs_in_two_groups") else { return };
    let jobs = parse_crontab(&dir.join("MessageQueue.crontab.xml")).unwrap();
    let pairs: Vec<_> = jobs.iter().map(|j| (j.code.as_str(), j.group.as_str())).collect();
    assert_eq!(pairs, [("messagequeue_clean_outdated_locks", "default"), ("consumers_runner", "consumers")]);
}

#[test]
fn all_core_files_merge_into_53_unique_jobs_without_conflicts() {
    let Some(import) = import_reference("all_core_files_merge_into_53_unique_jobs_without_conflicts") else { return };
    assert_eq!(import.jobs.len(), 53);
    assert!(
        import.warnings.iter().all(|w| matches!(w, ImportWarning::Unscheduled { .. })),
        "core codes are unique across groups: {:?}",
        import.warnings
    );
    let groups: BTreeSet<_> = import.jobs.iter().map(|j| j.group.as_str()).collect();
    assert_eq!(groups, BTreeSet::from(["consumers", "default", "index"]));
}

#[test]
fn the_config_path_jobs_are_currency_rates_and_product_alerts() {
    let Some(import) = import_reference("the_config_path_jobs_are_currency_rates_and_product_alerts") else { return };
    let with_path: Vec<_> = import
        .jobs
        .iter()
        .filter(|j| j.config_path.is_some())
        .map(|j| (j.code.as_str(), j.config_path.as_deref().unwrap()))
        .collect();
    assert_eq!(
        with_path,
        [
            ("currency_rates_update", "crontab/default/jobs/currency_rates_update/schedule/cron_expr"),
            ("catalog_product_alert", "crontab/default/jobs/catalog_product_alert/schedule/cron_expr"),
        ]
    );
    assert!(import.jobs.iter().filter(|j| j.config_path.is_some()).all(|j| j.schedule.is_none()));
}

#[test]
fn the_jobs_magento_leaves_unscheduled_are_flagged() {
    let Some(import) = import_reference("the_jobs_magento_leaves_unscheduled_are_flagged") else { return };
    let expected = BTreeSet::from([
        "analytics_subscribe",
        "analytics_update",
        "analytics_collect_data",
        "system_backup",
        "paypal_fetch_settlement_reports",
        "sitemap_generate",
    ]);
    assert_eq!(codes(import.jobs.iter().filter(|j| j.is_unscheduled())), expected);
    let warned: BTreeSet<_> = import
        .warnings
        .iter()
        .filter_map(|w| match w {
            ImportWarning::Unscheduled { code, .. } => Some(code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(warned, expected);
}

#[test]
fn the_default_lane_mapping_puts_exactly_the_protected_jobs_in_critical() {
    let Some(import) = import_reference("the_default_lane_mapping_puts_exactly_the_protected_jobs_in_critical") else {
        return;
    };
    let mapping = LaneMapping::magento_defaults();
    let lane_of = |j: &&MagentoCronJob| mapping.lane_for(&j.code, &j.group).as_str().to_string();
    let critical = codes(import.jobs.iter().filter(|j| lane_of(j) == "critical"));
    assert_eq!(
        critical,
        BTreeSet::from([
            "sales_send_order_emails",
            "sales_send_order_invoice_emails",
            "sales_send_order_shipment_emails",
            "sales_send_order_creditmemo_emails",
            "sales_grid_order_async_insert",
            "sales_grid_order_invoice_async_insert",
            "sales_grid_order_shipment_async_insert",
            "sales_grid_order_creditmemo_async_insert",
            "indexer_reindex_all_invalid",
            "indexer_update_all_views",
            "indexer_clean_all_changelogs",
            "catalog_index_refresh_price",
        ])
    );
    assert!(import.jobs.iter().filter(|j| lane_of(j) != "critical").all(|j| lane_of(&j) == "default"));
    assert_eq!(import.jobs.iter().filter(|j| lane_of(j) == "default").count(), 53 - 12);
}

#[test]
fn the_core_cron_groups_files_parse_with_their_settings() {
    let Some(dir) = reference_dir("the_core_cron_groups_files_parse_with_their_settings") else { return };
    let files = collect_cron_groups_files(&[dir]).unwrap();
    assert_eq!(files.len(), 3);
    let groups = load_cron_groups(&files).unwrap();
    let by_id = |id: &str| groups.iter().find(|g| g.id == id).unwrap_or_else(|| panic!("group {id}"));
    assert_eq!(by_id("default").schedule_generate_every, Some(15));
    assert_eq!(by_id("default").use_separate_process, Some(false));
    assert_eq!(by_id("index").schedule_generate_every, Some(1));
    assert_eq!(by_id("index").use_separate_process, Some(true));
    assert_eq!(by_id("consumers").history_failure_lifetime, Some(600));
    assert_eq!(groups.len(), 3);
}

#[test]
fn a_copy_of_the_core_files_with_one_broken_file_imports_nothing() {
    let Some(dir) = reference_dir("a_copy_of_the_core_files_with_one_broken_file_imports_nothing") else { return };
    let tmp = tempfile::tempdir().unwrap();
    for file in collect_crontab_files(&[dir]).unwrap() {
        std::fs::copy(&file, tmp.path().join(file.file_name().unwrap())).unwrap();
    }
    let broken: &Path = &tmp.path().join("Sales.crontab.xml");
    let text = std::fs::read_to_string(broken).unwrap().replace("</group>", "</grup>");
    std::fs::write(broken, text).unwrap();
    let err = load_all(&[tmp.path().to_path_buf()]).unwrap_err();
    match &err {
        ImportError::Xml { source_name, line, .. } => {
            assert!(source_name.ends_with("Sales.crontab.xml"), "{err}");
            assert!(err.to_string().ends_with("expected 'group' tag, not 'grup'"), "position said once: {err}");
            assert_eq!(*line, 54, "the first </group> of Sales.crontab.xml: {err}");
        }
        other => panic!("expected an XML error, got {other:?}"),
    }
}
