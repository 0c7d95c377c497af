//! The operations behind the consumer mutations. Like [`crate::actions`],
//! every one validates its input before writing, and errors name the field.
//! The supervisors on every node act on what is written here within a second.

use super::definition::{ConsumerSource, StoredConsumer, MAX_INSTANCES};
use super::sync::{self, ConsumerSyncError, ConsumerSyncReport, MagentoConsumerDef};
use crate::actions::{ActionError, Ctx, Result};
use crate::domain::LaneName;
use crate::store;

async fn require(ctx: &Ctx, name: &str) -> Result<StoredConsumer> {
    store::consumers::get(&ctx.store, name)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("consumer `{name}`")))
}

/// `startConsumer`: clears a stop and a crash-loop parking.
pub async fn start(ctx: &Ctx, name: &str) -> Result<StoredConsumer> {
    require(ctx, name).await?;
    store::consumers::set_stopped(&ctx.store, name, false, ctx.now()).await?;
    tracing::info!(consumer = %name, "consumer started on request");
    require(ctx, name).await
}

/// `stopConsumer`: every process is ended and none started until `startConsumer`.
pub async fn stop(ctx: &Ctx, name: &str) -> Result<StoredConsumer> {
    require(ctx, name).await?;
    store::consumers::set_stopped(&ctx.store, name, true, ctx.now()).await?;
    tracing::info!(consumer = %name, "consumer stopped on request");
    require(ctx, name).await
}

/// `restartConsumer` (one) and `cronkeeper consumers restart` (all): every
/// running process is replaced by a fresh one.
pub async fn restart(ctx: &Ctx, name: &str) -> Result<StoredConsumer> {
    require(ctx, name).await?;
    store::consumers::bump_generation(&ctx.store, Some(name), ctx.now()).await?;
    require(ctx, name).await
}

/// Changes how a consumer runs; each field set becomes an override a Magento
/// re-import keeps. Config-file consumers are refused: the file is their source.
#[derive(Debug, Clone, Default)]
pub struct ConsumerChanges {
    pub instances: Option<i32>,
    pub lane: Option<String>,
    pub max_messages: Option<i32>,
    pub only_when_messages: Option<bool>,
}

pub async fn update(ctx: &Ctx, name: &str, changes: ConsumerChanges) -> Result<StoredConsumer> {
    let mut c = require(ctx, name).await?;
    if c.source == ConsumerSource::Config {
        return Err(ActionError::invalid(
            "name",
            format!("consumer `{name}` is declared in the configuration file; change it there"),
        ));
    }
    if let Some(n) = changes.instances {
        if !(0..=MAX_INSTANCES as i32).contains(&n) {
            return Err(ActionError::invalid(
                "instances",
                format!("must be between 0 and {MAX_INSTANCES}"),
            ));
        }
        c.definition.instances = n as u32;
        c.add_override("instances");
    }
    if let Some(lane) = changes.lane {
        let lane =
            LaneName::parse(&lane).map_err(|e| ActionError::invalid("lane", e.to_string()))?;
        if ctx.config.lane(lane.as_str()).is_none() {
            return Err(ActionError::invalid(
                "lane",
                format!("no lane `{lane}` is configured"),
            ));
        }
        c.definition.lane = lane;
        c.add_override("lane");
    }
    if let Some(n) = changes.max_messages {
        if n < 1 {
            return Err(ActionError::invalid("maxMessages", "must be at least 1"));
        }
        c.definition.max_messages = n as u32;
        c.add_override("maxMessages");
    }
    if let Some(only) = changes.only_when_messages {
        if only && c.definition.watch_queue.is_none() {
            return Err(ActionError::invalid(
                "onlyWhenMessages",
                "the consumer has no queue to watch",
            ));
        }
        c.definition.only_when_messages = only;
        c.add_override("onlyWhenMessages");
    }
    c.updated_at = ctx.now();
    store::consumers::save_all(&ctx.store, std::slice::from_ref(&c), &[]).await?;
    Ok(c)
}

/// `syncMagentoConsumers`: the module's push of Magento's merged consumer list.
pub async fn sync_magento(
    ctx: &Ctx,
    defs: Vec<MagentoConsumerDef>,
    remove_missing: bool,
) -> Result<ConsumerSyncReport> {
    let report = sync::apply(&ctx.store, &ctx.config, &defs, remove_missing, ctx.now())
        .await
        .map_err(|e| match e {
            ConsumerSyncError::Invalid {
                index,
                field,
                message,
                ..
            } => ActionError::invalid(format!("[{index}].{field}"), message),
            ConsumerSyncError::Store(e) => e.into(),
        })?;
    for name in report
        .created
        .iter()
        .chain(&report.updated)
        .chain(&report.removed)
    {
        tracing::info!(consumer = %name, "magento sync changed a consumer");
    }
    Ok(report)
}
