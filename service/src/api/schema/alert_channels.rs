//! Alert channels over GraphQL: every channel listed masked (a URL or HMAC
//! key never leaves the service), and the admin's mutations for the ones
//! managed over the API. The config file's channels are shown with `source:
//! CONFIG` and refused by the mutations. The rules are in `crate::actions`
//! (`alert_channels`); docs/alerting.md says where the secrets are stored.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{datetime, state};
use crate::actions::{self, ChannelChanges, NewChannel};
use crate::api::audit::mutation_redacting;
use crate::api::auth::Role;
use crate::api::errors::IntoGql;
use crate::store::alert_channels::{self as cstore, ChannelRow, SOURCE_API};
use crate::store::alerts as astore;

/// Argument keys whose values are secrets here: the whole URL of a channel
/// is (a Slack webhook URL is its credential). `secret` is redacted anyway.
const SECRET_ARGUMENTS: [&str; 2] = ["url", "secret"];

/// Where a channel comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertChannelSource {
    /// `[[alerts.channels]]` in the config file: changed there only.
    Config,
    /// Made with `createAlertChannel`; stored in the database.
    Api,
}

/// A channel as it may be shown: never its URL or key.
#[derive(SimpleObject)]
pub struct AlertChannel {
    pub name: String,
    /// `slack` or `webhook`.
    pub kind: String,
    /// Scheme and host only, e.g. `https://hooks.slack.com/…`.
    pub masked_url: String,
    /// Webhooks: requests carry `X-Cronkeeper-Signature`.
    pub signed: bool,
    pub source: AlertChannelSource,
    /// Names of the rules that notify it (a channel in use cannot be deleted).
    pub used_by: Vec<String>,
    /// When an API channel was last changed; null for config channels.
    pub updated_at: Option<DateTime<Utc>>,
}

fn shown(row: ChannelRow, used_by: Vec<String>) -> AlertChannel {
    let api = row.source == SOURCE_API;
    AlertChannel {
        name: row.name,
        kind: row.kind,
        masked_url: row.url_masked,
        signed: row.signed,
        source: if api { AlertChannelSource::Api } else { AlertChannelSource::Config },
        used_by,
        updated_at: api.then(|| datetime(row.updated_at)),
    }
}

/// The rules naming `channel`.
fn users(rules: &[astore::StoredRule], channel: &str) -> Vec<String> {
    rules.iter().filter(|r| r.rule.channels.iter().any(|c| c == channel)).map(|r| r.rule.name.clone()).collect()
}

async fn answer(ctx: &Context<'_>, row: ChannelRow) -> async_graphql::Result<AlertChannel> {
    let rules = astore::list_rules(&state(ctx).store).await.gql()?;
    let used_by = users(&rules, &row.name);
    Ok(shown(row, used_by))
}

#[derive(Default)]
pub struct AlertChannelsQuery;

#[Object]
impl AlertChannelsQuery {
    /// Every channel, by name: this node's config file's and the API's, masked.
    async fn alert_channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AlertChannel>> {
        let st = state(ctx);
        let now = st.clock.now_ms();
        // The config file's as this node reads it, the API's from the database.
        let mut rows: Vec<ChannelRow> = st.config.alerts.channels.iter().map(|c| ChannelRow::of(c, cstore::SOURCE_CONFIG, now)).collect();
        for row in cstore::list_channels(&st.store).await.gql()? {
            if row.source == SOURCE_API && !rows.iter().any(|r| r.name == row.name) {
                rows.push(row);
            }
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        let rules = astore::list_rules(&st.store).await.gql()?;
        Ok(rows.into_iter().map(|r| { let used_by = users(&rules, &r.name); shown(r, used_by) }).collect())
    }
}

/// A new channel. `url` and `secret` are write-only: no answer, log or audit
/// entry ever shows them.
#[derive(InputObject)]
pub struct AlertChannelInput {
    /// Unique among all channels; letters, digits, `.`, `_`, `-` (at most 64).
    pub name: String,
    /// `slack` or `webhook`.
    pub kind: String,
    /// An http:// or https:// URL: the Slack incoming webhook or the receiver.
    pub url: String,
    /// Webhooks only (required there): the HMAC-SHA256 key, at least 16 characters.
    pub secret: Option<String>,
}

/// Changes to an API channel: a field left out (or null) keeps its value, so
/// a form can leave the URL and the key empty to keep them.
#[derive(InputObject)]
pub struct AlertChannelChanges {
    /// The channel to change (names cannot change: rules refer to them).
    pub name: String,
    /// `slack` or `webhook`. Becoming `slack` drops the key; becoming
    /// `webhook` needs one.
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
}

#[derive(Default)]
pub struct AlertChannelsMutation;

#[Object]
impl AlertChannelsMutation {
    /// Creates a channel (admin). BAD_USER_INPUT naming the field
    /// (`input.url`) for a bad or taken name, an unknown kind, a URL that is
    /// not http(s), or a key missing, short, or given for Slack.
    async fn create_alert_channel(&self, ctx: &Context<'_>, input: AlertChannelInput) -> async_graphql::Result<AlertChannel> {
        let row = mutation_redacting(ctx, Role::Admin, &SECRET_ARGUMENTS, |a| async move {
            let input = NewChannel { name: input.name, kind: input.kind, url: input.url, secret: input.secret };
            Ok(actions::create_alert_channel(&a, input).await.map_err(|e| e.within("input"))?)
        })
        .await?;
        answer(ctx, row).await
    }

    /// Changes a channel made over the API (admin); URL and key left out are
    /// kept. Config channels are refused (BAD_USER_INPUT), unknown ones NOT_FOUND.
    async fn update_alert_channel(&self, ctx: &Context<'_>, input: AlertChannelChanges) -> async_graphql::Result<AlertChannel> {
        let row = mutation_redacting(ctx, Role::Admin, &SECRET_ARGUMENTS, |a| async move {
            let changes = ChannelChanges { kind: input.kind, url: input.url, secret: input.secret };
            Ok(actions::update_alert_channel(&a, &input.name, changes).await.map_err(|e| e.within("input"))?)
        })
        .await?;
        answer(ctx, row).await
    }

    /// Deletes a channel made over the API (admin). Refused (BAD_USER_INPUT,
    /// naming the rules) while a rule notifies it, and for config channels.
    /// False when there is no such channel.
    async fn delete_alert_channel(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<bool> {
        mutation_redacting(ctx, Role::Admin, &SECRET_ARGUMENTS, |a| async move { Ok(actions::delete_alert_channel(&a, &name).await?) }).await
    }
}
