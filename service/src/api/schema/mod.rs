//! The GraphQL schema, one file per concept: jobs, runs, lanes and workers,
//! operations (who am I, cron preview), alerts (rules, alerts), alert
//! channels,
//! admin (audit log, Magento sync, purge, retention), consumers (Magento
//! queue consumers and queue depths), the timeline view,
//! and subscriptions. The roots merge them, so each file owns its queries,
//! mutations and types together.
//!
//! Limits live here: the document budget ([`budget`]: the text's length, then
//! the size with fragments expanded, checked first), a fair share of
//! operations at once per token subject ([`fair_share`]), depth (stops `job { lastRun { job { lastRun ... } } }`
//! recursion), complexity (lists count once per requested item), and the
//! page cap in [`super::connection`].

pub mod admin;
pub mod alert_channels;
pub mod alerts;
pub mod budget;
pub mod consumers;
pub mod fair_share;
pub mod job_page;
pub mod jobs;
pub mod lanes;
pub mod ops;
pub mod runs;
pub mod subscription;
pub mod timeline;

use async_graphql::{Context, Enum, MergedObject, Schema, SchemaBuilder};
use chrono::{DateTime, Utc};

use super::ApiState;
use crate::domain::EpochMs;
use crate::store::Direction;

/// Deep enough for GraphiQL's introspection query, too shallow for abuse.
pub const MAX_DEPTH: usize = 16;
/// A full page of 500 runs with every field is about 15 000.
pub const MAX_COMPLEXITY: usize = 50_000;
/// What a field that reads the store once per item costs (`lastRun`,
/// `nextRunAt`, `runCounts`, `Run.job`), so aliases cannot multiply store
/// reads: at most about 4 500 of them per request (a page of 500 jobs with
/// nine aliased `lastRun`s), while the admin grid (500 jobs with their last
/// run and next fire time) stays near 25 000.
pub const STORE_READ: usize = 10;
/// What one `timeline` costs before its rows: at most 10 timelines a request
/// (one timeline can be thousands of runs).
pub const TIMELINE_READ: usize = 5_000;

#[derive(MergedObject, Default)]
pub struct Query(
    jobs::JobsQuery,
    runs::RunsQuery,
    timeline::TimelineQuery,
    lanes::LanesQuery,
    ops::OpsQuery,
    alerts::AlertsQuery,
    alert_channels::AlertChannelsQuery,
    admin::AdminQuery,
    consumers::ConsumersQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    jobs::JobsMutation,
    runs::RunsMutation,
    alerts::AlertsMutation,
    alert_channels::AlertChannelsMutation,
    admin::AdminMutation,
    consumers::ConsumersMutation,
);

pub type ApiSchema = Schema<Query, Mutation, subscription::Subscription>;

pub fn builder() -> SchemaBuilder<Query, Mutation, subscription::Subscription> {
    Schema::build(Query::default(), Mutation::default(), subscription::Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// Extensions run in this order: the budget refuses an oversized text before
/// the operation waits for its turn, and parses it once the turn has come.
pub fn build(state: ApiState) -> ApiSchema {
    builder().extension(budget::DocumentBudget).extension(state.fair_share.clone()).data(state).finish()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a ApiState {
    ctx.data_unchecked::<ApiState>()
}

pub(crate) fn datetime(ms: EpochMs) -> DateTime<Utc> {
    crate::domain::to_datetime(ms)
}

/// Complexity of a connection field: its children once per requested item.
pub(crate) fn page_complexity(first: Option<i32>, child: usize) -> usize {
    let n = first.unwrap_or(super::connection::DEFAULT_PAGE).clamp(1, super::connection::MAX_PAGE) as usize;
    1 + n * child
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

impl From<SortDirection> for Direction {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => Direction::Asc,
            SortDirection::Desc => Direction::Desc,
        }
    }
}
