//! Alert channels managed over the API, next to the config file's (which
//! stay read-only: the file would put them back at the next start).
//!
//! The URL and the webhook key are write-only: they are validated, stored and
//! used for delivery, but never returned, logged or repeated in an error
//! (the audit log redacts them, `api::audit`). An update that leaves them
//! out keeps the stored ones, so a form never has to show them.

use super::{ActionError, Ctx, Result};
use crate::alerts::channel::{ChannelConfig, ChannelKind};
use crate::store::alert_channels::{self as cstore, ChannelRow, SOURCE_CONFIG};
use crate::store::alerts as astore;

/// `createAlertChannel`'s input.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub kind: String,
    pub url: String,
    /// Webhooks only: the HMAC-SHA256 key.
    pub secret: Option<String>,
}

/// `updateAlertChannel`'s input: what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct ChannelChanges {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
}

/// Longest API channel name.
pub const MAX_NAME_LEN: usize = 64;

/// API channel names go into URLs of the Magento admin and into idempotency
/// keys: letters, digits, `.`, `_` and `-` only.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.len() <= MAX_NAME_LEN && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ActionError::invalid("name", format!("must be 1 to {MAX_NAME_LEN} letters, digits, dots, dashes or underscores")))
    }
}

fn declared_in_file(ctx: &Ctx, name: &str) -> bool {
    ctx.config.alerts.channel(name).is_some()
}

fn in_file_error(name: &str, verb: &str) -> ActionError {
    ActionError::invalid("name", format!("channel `{name}` is declared in the configuration file; {verb} it there"))
}

fn validated(name: &str, kind: &str, url: &str, secret: Option<&str>) -> Result<ChannelConfig> {
    ChannelConfig::parse(name, kind, url, secret).map_err(|e| ActionError::invalid(e.field, e.message))
}

async fn row(ctx: &Ctx, name: &str) -> Result<ChannelRow> {
    cstore::get_channel(&ctx.store, name).await?.ok_or_else(|| ActionError::NotFound(format!("alert channel `{name}`")))
}

/// Creates a channel (admin). Every field is checked before anything is
/// written; a name the file or the API already uses is refused.
pub async fn create_alert_channel(ctx: &Ctx, input: NewChannel) -> Result<ChannelRow> {
    let name = input.name.trim();
    check_name(name)?;
    let channel = validated(name, &input.kind, &input.url, input.secret.as_deref())?;
    if declared_in_file(ctx, name) || !cstore::create_api_channel(&ctx.store, &channel, ctx.now()).await? {
        return Err(ActionError::invalid("name", format!("a channel named `{name}` exists already")));
    }
    tracing::info!(channel = %name, kind = channel.kind.as_str(), "alert channel created");
    row(ctx, name).await
}

/// Changes an API channel (admin). A URL or key left out is kept; a key is
/// dropped when the channel becomes a Slack one, and required when it becomes
/// a webhook without one. Config channels are refused, unknown ones NOT_FOUND.
pub async fn update_alert_channel(ctx: &Ctx, name: &str, changes: ChannelChanges) -> Result<ChannelRow> {
    if declared_in_file(ctx, name) {
        return Err(in_file_error(name, "change"));
    }
    let Some(stored) = cstore::api_channel(&ctx.store, name).await? else {
        return match cstore::get_channel(&ctx.store, name).await? {
            Some(r) if r.source == SOURCE_CONFIG => Err(in_file_error(name, "change")),
            _ => Err(ActionError::NotFound(format!("alert channel `{name}`"))),
        };
    };
    let kind = changes.kind.unwrap_or_else(|| stored.kind.as_str().to_string());
    let url = changes.url.unwrap_or_else(|| stored.url.expose().to_string());
    let secret = match (changes.secret, ChannelKind::parse(&kind)) {
        (Some(given), _) => Some(given),
        // A Slack channel has no key: the webhook's is dropped with the kind.
        (None, Some(ChannelKind::Slack)) => None,
        (None, _) => stored.secret.as_ref().map(|s| s.expose().to_string()),
    };
    let channel = validated(name, &kind, &url, secret.as_deref())?;
    if !cstore::update_api_channel(&ctx.store, &channel, ctx.now()).await? {
        return Err(ActionError::NotFound(format!("alert channel `{name}`")));
    }
    tracing::info!(channel = %name, kind = channel.kind.as_str(), "alert channel changed");
    row(ctx, name).await
}

/// Deletes an API channel (admin); false when there is none of that name.
/// Refused while a rule names it (the rules are listed), so no rule is left
/// pointing at nothing; config channels are removed from the file.
pub async fn delete_alert_channel(ctx: &Ctx, name: &str) -> Result<bool> {
    if declared_in_file(ctx, name) {
        return Err(in_file_error(name, "remove"));
    }
    match cstore::get_channel(&ctx.store, name).await? {
        None => return Ok(false),
        Some(r) if r.source == SOURCE_CONFIG => return Err(in_file_error(name, "remove")),
        Some(_) => {}
    }
    let users: Vec<String> = astore::list_rules(&ctx.store).await?.into_iter().filter(|r| r.rule.channels.iter().any(|c| c == name)).map(|r| r.rule.name).collect();
    if !users.is_empty() {
        let list = users.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        return Err(ActionError::invalid("name", format!("channel `{name}` is used by the alert rules {list}: take it out of them first")));
    }
    let deleted = cstore::delete_api_channel(&ctx.store, name).await?;
    if deleted {
        tracing::info!(channel = %name, "alert channel deleted");
    }
    Ok(deleted)
}
