//! Live updates over WebSocket (graphql-transport-ws): run status changes as
//! they happen, and alert changes and notification outcomes. A subscriber that falls
//! behind loses the oldest events rather than slowing the workers: the UI
//! refetches on reconnect anyway.

use async_graphql::{Context, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::alerts::AlertEventObject;
use super::runs::{RunObject, RunStatusGql};
use super::{datetime, state};
use crate::api::auth::{AuthError, Principal};
use crate::api::errors::{ApiError, IntoGql};
use crate::events::RunEvent;

pub struct RunEventObject(RunEvent);

#[Object(name = "RunEvent")]
impl RunEventObject {
    async fn run_id(&self) -> ID {
        ID(self.0.run_id.to_string())
    }
    async fn job_code(&self) -> &str {
        &self.0.job_code
    }
    async fn lane(&self) -> &str {
        &self.0.lane
    }
    /// The status the run changed to.
    async fn status(&self) -> RunStatusGql {
        self.0.status.into()
    }
    async fn at(&self) -> DateTime<Utc> {
        datetime(self.0.at)
    }
    /// The run as it is now (it may have moved on since the event).
    async fn run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RunObject>> {
        Ok(crate::store::runs::get(&state(ctx).store, self.0.run_id).await.gql()?.map(RunObject))
    }
}

pub struct Subscription;

fn require_principal(ctx: &Context<'_>) -> async_graphql::Result<()> {
    ctx.data_opt::<Principal>().map(|_| ()).ok_or(ApiError::Unauthenticated(AuthError::Missing)).gql()
}

#[Subscription]
impl Subscription {
    /// Run status changes, optionally for one job only.
    async fn run_events(&self, ctx: &Context<'_>, job_code: Option<String>) -> async_graphql::Result<impl Stream<Item = RunEventObject>> {
        require_principal(ctx)?;
        let events = BroadcastStream::new(state(ctx).events.subscribe_runs());
        Ok(events.filter_map(move |e| {
            let keep = match e {
                Ok(e) if job_code.as_ref().map_or(true, |c| *c == e.job_code) => Some(RunEventObject(e)),
                _ => None,
            };
            async move { keep }
        }))
    }

    /// Alert changes (opened, reminded, acknowledged, resolved) and
    /// notification outcomes (delivered, failed for good), as they happen on
    /// this node.
    async fn alert_events(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = AlertEventObject>> {
        require_principal(ctx)?;
        let events = BroadcastStream::new(state(ctx).alert_events.subscribe());
        Ok(events.filter_map(|e| async move { e.ok().map(AlertEventObject) }))
    }
}
