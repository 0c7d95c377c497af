//! The `timeline` query: what the timeline view draws, one row per job.
//!
//! A row has two views of the same runs, and a request pays only for the ones
//! it selects:
//! - `runs`: every run (narrow windows, where each block is wide enough to
//!   hover and click);
//! - `spans`: runs folded by the database into stretches of one status
//!   (wide windows: a day of an every-minute job is 1,440 runs, more than the
//!   pixels of a row). Folding follows `resolutionSeconds`, the shortest gap
//!   the client tells apart; a span never mixes statuses, so a failure always
//!   stands on its own;
//! - `spanColumns`: the same spans as parallel lists, one per field. A list of
//!   scalars costs the GraphQL layer a fraction of a list of objects (no
//!   per-field resolver for every span), which is what keeps a day of sixty
//!   busy jobs (~1,400 spans) within the timeline's latency target.

use std::collections::HashMap;

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::runs::{RunObject, RunStatusGql};
use super::{datetime, state};
use crate::api::errors::{ApiError, IntoGql};
use crate::store::timeline::{Span, TimelineDetail};

/// The widest window `timeline` serves.
const MAX_TIMELINE_DAYS: i64 = 31;
/// Without `resolutionSeconds`, spans fold gaps shorter than this fraction of
/// the window (one pixel of a 1,000-pixel track).
const DEFAULT_PIXELS: i64 = 1000;

/// One job's runs in a timeline window.
#[derive(SimpleObject)]
pub struct TimelineRow {
    pub job_code: String,
    /// Every run overlapping the window, in scheduled order (at most 50,000 per request).
    pub runs: Vec<RunObject>,
    /// The same runs folded into spans (see `timeline(resolutionSeconds:)`), in time order.
    pub spans: Vec<TimelineSpan>,
    /// `spans` as parallel lists (entry i of every list is span i): the same
    /// answer, cheaper to produce and to parse when there are thousands of spans.
    pub span_columns: TimelineSpanColumns,
}

/// [`TimelineSpan`]s column by column, in time order.
#[derive(SimpleObject, Default)]
pub struct TimelineSpanColumns {
    pub status: Vec<RunStatusGql>,
    pub start: Vec<DateTime<Utc>>,
    pub end: Vec<DateTime<Utc>>,
    pub count: Vec<i32>,
    pub first_run_id: Vec<ID>,
    pub last_run_id: Vec<ID>,
}

impl TimelineSpanColumns {
    fn push(&mut self, s: &TimelineSpan) {
        self.status.push(s.status);
        self.start.push(s.start);
        self.end.push(s.end);
        self.count.push(s.count);
        self.first_run_id.push(s.first_run_id.clone());
        self.last_run_id.push(s.last_run_id.clone());
    }
}

/// Consecutive runs of one job with the same status, drawn as one block.
/// Runs join a span when the next one starts at most the resolution after the
/// previous one ended; a run of another status always starts a new span.
#[derive(SimpleObject)]
pub struct TimelineSpan {
    pub status: RunStatusGql,
    /// When its first run started (or was due, if it never started).
    pub start: DateTime<Utc>,
    /// When its last run ended; now for a run still running.
    pub end: DateTime<Utc>,
    /// Occurrences folded into it, counted as `Run.count` counts them.
    pub count: i32,
    /// Its lowest run id (the first run, for runs created in time order).
    pub first_run_id: ID,
    /// Its highest run id: open `run(id)` for the details of the latest.
    pub last_run_id: ID,
}

impl From<Span> for TimelineSpan {
    fn from(s: Span) -> Self {
        TimelineSpan {
            status: s.status.into(),
            start: datetime(s.start),
            end: datetime(s.end),
            count: s.count.clamp(0, i32::MAX as i64) as i32,
            first_run_id: ID(s.first_run.to_string()),
            last_run_id: ID(s.last_run.to_string()),
        }
    }
}

#[derive(Default)]
pub struct TimelineQuery;

#[Object]
impl TimelineQuery {
    /// Runs overlapping `[from, to)`, grouped by job, for the timeline view (at most 31 days).
    /// `output` is null here (it can be 64 KiB a run); fetch `run(id)` for it.
    /// `resolutionSeconds` sets how `spans` fold: same-status runs less than this
    /// apart become one span (default: the window / 1000, at least 1 s). Select
    /// `spans` instead of `runs` for windows holding more runs than the view has pixels.
    #[graphql(complexity = "super::TIMELINE_READ + 100 * child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        job_codes: Option<Vec<String>>,
        resolution_seconds: Option<i32>,
    ) -> async_graphql::Result<Vec<TimelineRow>> {
        if to <= from {
            return Err(ApiError::bad_input("to", "must be after `from`")).gql();
        }
        let window_ms = (to - from).num_milliseconds();
        if to - from > chrono::Duration::days(MAX_TIMELINE_DAYS) {
            return Err(ApiError::bad_input("to", format!("the window may span at most {MAX_TIMELINE_DAYS} days"))).gql();
        }
        let gap_ms = match resolution_seconds {
            None => (window_ms / DEFAULT_PIXELS).max(1000),
            Some(s) if s >= 1 && i64::from(s) * 1000 <= window_ms => i64::from(s) * 1000,
            Some(s) => {
                return Err(ApiError::bad_input("resolutionSeconds", format!("must be between 1 and the window's length in seconds, not {s}"))).gql()
            }
        };
        let st = state(ctx);
        let (from, to, now) = (from.timestamp_millis(), to.timestamp_millis(), st.clock.now_ms());
        let codes = job_codes.as_deref();
        let asked = ctx.look_ahead();
        let (asked_runs, asked_spans, asked_columns) = (asked.field("runs"), asked.field("spans"), asked.field("spanColumns"));

        let mut rows: Vec<TimelineRow> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut row_of = |rows: &mut Vec<TimelineRow>, code: &str| -> usize {
            *index.entry(code.to_string()).or_insert_with(|| {
                rows.push(TimelineRow { job_code: code.to_string(), runs: Vec::new(), spans: Vec::new(), span_columns: TimelineSpanColumns::default() });
                rows.len() - 1
            })
        };
        if asked_runs.exists() {
            // Only read the text columns when the request selects them: a timeline
            // is thousands of rows, and most views draw blocks from times and status.
            let detail = TimelineDetail { error_and_worker: asked_runs.field("error").exists() || asked_runs.field("worker").exists() };
            for run in crate::store::timeline::timeline(&st.store, from, to, codes, now, detail).await.gql()? {
                let i = row_of(&mut rows, &run.job_code);
                rows[i].runs.push(RunObject(run));
            }
        }
        if asked_spans.exists() || asked_columns.exists() || !asked_runs.exists() {
            // Also when neither is selected: the rows list the jobs with runs, cheaply.
            for span in crate::store::timeline::spans(&st.store, from, to, codes, now, gap_ms).await.gql()? {
                let i = row_of(&mut rows, &span.job_code);
                let span = TimelineSpan::from(span);
                if asked_columns.exists() {
                    rows[i].span_columns.push(&span);
                }
                if asked_spans.exists() {
                    rows[i].spans.push(span);
                }
            }
        }
        Ok(rows)
    }
}
