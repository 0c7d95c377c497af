use std::collections::BTreeMap;

use super::*;
use crate::domain::LaneName;
use crate::store::testing::sqlite_store;

fn def(code: &str, group: &str, schedule: Option<&str>) -> MagentoJobDef {
    MagentoJobDef {
        code: code.into(),
        group: group.into(),
        schedule: schedule.map(String::from),
        config_path: schedule.is_none().then(|| format!("crontab/{group}/jobs/{code}/schedule/cron_expr")),
        instance: "Vendor\\Cron".into(),
        method: "execute".into(),
        command: None,
    }
}

fn config() -> Config {
    Config::load_with_env(None, &BTreeMap::new()).unwrap()
}

#[tokio::test]
async fn a_first_sync_creates_jobs_in_their_mapped_lanes_and_pauses_unscheduled_ones() {
    let (store, _d) = sqlite_store().await;
    let defs = [def("sales_send_order_emails", "default", Some("*/1 * * * *")), def("newsletter_send_all", "default", Some("*/5 * * * *")), def("sitemap_generate", "default", None)];
    let r = apply(&store, &config(), &defs, true, 1).await.unwrap();
    assert_eq!(r.created.len(), 3);
    assert_eq!(r.awaiting_schedule, ["sitemap_generate"]);
    let email = store::jobs::require(&store, "sales_send_order_emails").await.unwrap();
    assert_eq!((email.lane.as_str(), email.source, email.paused), ("critical", JobSource::Magento, false));
    assert!(store::jobs::require(&store, "sitemap_generate").await.unwrap().paused);
}

#[tokio::test]
async fn a_resync_keeps_what_the_operator_changed() {
    let (store, _d) = sqlite_store().await;
    let cfg = config();
    apply(&store, &cfg, &[def("newsletter_send_all", "default", Some("*/5 * * * *"))], true, 1).await.unwrap();
    let mut job = store::jobs::require(&store, "newsletter_send_all").await.unwrap();
    job.lane = LaneName::parse("bulk").unwrap();
    job.paused = true;
    job.overrides = vec!["lane".into(), "paused".into()];
    store::jobs::save(&store, &job, 2).await.unwrap();
    let r = apply(&store, &cfg, &[def("newsletter_send_all", "default", Some("*/10 * * * *"))], true, 3).await.unwrap();
    assert_eq!(r.updated, ["newsletter_send_all"]);
    let after = store::jobs::require(&store, "newsletter_send_all").await.unwrap();
    assert_eq!((after.lane.as_str(), after.paused, after.schedule.as_deref()), ("bulk", true, Some("*/10 * * * *")));
    let again = apply(&store, &cfg, &[def("newsletter_send_all", "default", Some("*/10 * * * *"))], true, 4).await.unwrap();
    assert_eq!(again.unchanged, ["newsletter_send_all"]);
}

#[tokio::test]
async fn a_full_sync_removes_jobs_magento_no_longer_declares_but_never_user_jobs() {
    let (store, _d) = sqlite_store().await;
    let cfg = config();
    apply(&store, &cfg, &[def("a", "default", Some("* * * * *")), def("b", "default", Some("* * * * *"))], true, 1).await.unwrap();
    let user = Job::new("mine", LaneName::parse("default").unwrap(), Some("* * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    store::jobs::save(&store, &user, 1).await.unwrap();
    let r = apply(&store, &cfg, &[def("a", "default", Some("* * * * *")), def("mine", "default", Some("* * * * *"))], true, 2).await.unwrap();
    assert_eq!(r.removed, ["b"]);
    assert!(r.warnings.iter().any(|w| w.contains("mine")));
    assert_eq!(store::jobs::require(&store, "mine").await.unwrap().source, JobSource::User);
}

#[tokio::test]
async fn an_invalid_schedule_changes_nothing() {
    let (store, _d) = sqlite_store().await;
    let err = apply(&store, &config(), &[def("a", "default", Some("* * * * *")), def("b", "default", Some("1-x * * * *"))], true, 1).await.unwrap_err();
    assert!(err.to_string().contains("job `b`"), "{err}");
    assert_eq!(store::jobs::count(&store, &Default::default()).await.unwrap(), 0);
}

#[tokio::test]
async fn importing_magentos_own_crontab_files_is_idempotent() {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/magento-reference/crontab"));
    if !dir.exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must have ../shared/magento-reference/crontab");
        eprintln!("SKIPPED importing_magentos_own_crontab_files_is_idempotent: {} not found", dir.display());
        return;
    }
    let (store, _d) = sqlite_store().await;
    let cfg = config();
    let first = import_files(&store, &cfg, &[dir.clone()], 1).await.unwrap();
    assert!(first.created.len() > 50, "{first}");
    let second = import_files(&store, &cfg, &[dir], 2).await.unwrap();
    assert!(second.created.is_empty() && second.updated.is_empty(), "{second}");
    assert_eq!(second.unchanged.len(), first.created.len());
}

fn config_with_root(root: &str) -> Config {
    Config::load_with_env(None, &BTreeMap::from([("CRONKEEPER_MAGENTO_ROOT".to_string(), root.to_string())])).unwrap()
}

fn indexer_update(indexer: &str) -> MagentoJobDef {
    MagentoJobDef {
        code: format!("indexer_update_all_views.{indexer}"),
        group: "index".into(),
        schedule: Some("* * * * *".into()),
        config_path: None,
        instance: "Magento\\Indexer\\Cron\\UpdateMview".into(),
        method: "execute".into(),
        command: Some(vec!["cronkeeper:indexer:update".into(), indexer.into()]),
    }
}

#[tokio::test]
async fn a_job_with_its_own_bin_magento_arguments_becomes_a_forbid_command_job_in_critical() {
    let (store, _d) = sqlite_store().await;
    let cfg = config_with_root("/srv/magento");
    let r = apply(&store, &cfg, &[indexer_update("catalog_product_price")], true, 1).await.unwrap();
    assert_eq!(r.created, ["indexer_update_all_views.catalog_product_price"]);
    let job = store::jobs::require(&store, "indexer_update_all_views.catalog_product_price").await.unwrap();
    assert_eq!((job.lane.as_str(), job.concurrency, job.source), ("critical", crate::domain::ConcurrencyPolicy::Forbid, JobSource::Magento));
    let Executor::Command { argv, working_dir, .. } = &job.executor else { panic!("{:?}", job.executor) };
    assert_eq!(argv[1..], ["/srv/magento/bin/magento", "cronkeeper:indexer:update", "catalog_product_price"]);
    assert_eq!(argv[0], cfg.magento.php);
    assert_eq!(working_dir.as_deref(), Some("/srv/magento"));
    let again = apply(&store, &cfg, &[indexer_update("catalog_product_price")], true, 2).await.unwrap();
    assert_eq!(again.unchanged.len(), 1, "{again}");
}

#[tokio::test]
async fn a_job_that_drops_its_arguments_goes_back_to_the_magento_executor() {
    let (store, _d) = sqlite_store().await;
    let cfg = config_with_root("/srv/magento");
    let mut def = indexer_update("catalogsearch_fulltext");
    apply(&store, &cfg, &[def.clone()], true, 1).await.unwrap();
    def.command = None;
    let r = apply(&store, &cfg, &[def.clone()], true, 2).await.unwrap();
    assert_eq!(r.updated, [def.code.as_str()]);
    assert_eq!(store::jobs::require(&store, &def.code).await.unwrap().executor, Executor::Magento { code: None });
}

#[tokio::test]
async fn bin_magento_arguments_without_a_magento_root_or_blank_are_refused_and_change_nothing() {
    let (store, _d) = sqlite_store().await;
    let err = apply(&store, &config(), &[def("a", "default", Some("* * * * *")), indexer_update("x")], true, 1).await.unwrap_err();
    assert!(matches!(&err, SyncError::Invalid { field: "command", .. }), "{err}");
    assert!(err.to_string().contains("magento.root"), "{err}");
    let mut blank = indexer_update("y");
    blank.command = Some(vec!["cronkeeper:indexer:update".into(), " ".into()]);
    let err = apply(&store, &config_with_root("/srv/m"), &[blank], true, 1).await.unwrap_err();
    assert!(err.to_string().contains("blank"), "{err}");
    assert_eq!(store::jobs::count(&store, &Default::default()).await.unwrap(), 0);
}
