//! `/metrics` in the Prometheus text format, written by hand: a handful of
//! gauges does not need a metrics crate. Every figure comes from two grouped
//! queries on indexed columns plus in-memory state, so a scrape stays cheap on
//! a large history.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::store;

pub(super) async fn metrics(State(app): State<Arc<super::App>>) -> Response {
    match render(&app.state).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        Err(e) => {
            tracing::error!(cause = %e, "metrics could not be collected");
            (StatusCode::INTERNAL_SERVER_ERROR, "metrics unavailable; see the service log\n").into_response()
        }
    }
}

/// Label values are lane names and status names, both from a safe alphabet,
/// but escape anyway so a future label cannot break the format.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub async fn render(state: &super::ApiState) -> Result<String, store::StoreError> {
    let now = state.clock.now_ms();
    let mut out = String::with_capacity(4096);
    let w = &mut out;

    let _ = writeln!(w, "# HELP cronkeeper_runs_total Runs held in the store, by lane and status (drops when history is purged).");
    let _ = writeln!(w, "# TYPE cronkeeper_runs_total gauge");
    for (lane, status, n) in store::runs::counts_by_lane_status(&state.store).await? {
        let _ = writeln!(w, "cronkeeper_runs_total{{lane=\"{}\",status=\"{}\"}} {n}", label(&lane), status.as_str());
    }

    let figures = store::runs::lane_figures(&state.store).await?;
    let figure = |lane: &str| figures.iter().find(|f| f.lane == lane).cloned().unwrap_or_default();
    let lanes: Vec<_> = state.config.lanes.iter().map(|l| (l.name.to_string(), l.slots)).collect();
    let gauges: [(&str, &str); 4] = [
        ("cronkeeper_lane_slots", "Configured slots per lane."),
        ("cronkeeper_lane_busy", "Runs currently RUNNING per lane."),
        ("cronkeeper_lane_queued", "Runs QUEUED and waiting for a slot, per lane."),
        ("cronkeeper_lane_oldest_queued_age_seconds", "Age of the oldest QUEUED run per lane (0 when none)."),
    ];
    for (name, help) in gauges {
        let _ = writeln!(w, "# HELP {name} {help}");
        let _ = writeln!(w, "# TYPE {name} gauge");
        for (lane, slots) in &lanes {
            let f = figure(lane);
            let value = match name {
                "cronkeeper_lane_slots" => *slots as f64,
                "cronkeeper_lane_busy" => f.running as f64,
                "cronkeeper_lane_queued" => f.queued as f64,
                _ => f.oldest_queued_at.map(|t| ((now - t).max(0)) as f64 / 1000.0).unwrap_or(0.0),
            };
            let _ = writeln!(w, "{name}{{lane=\"{}\"}} {value}", label(lane));
        }
    }

    let lag = state.readiness.lag_ms() as f64 / 1000.0;
    let _ = writeln!(w, "# HELP cronkeeper_scheduler_lag_seconds How late the last scheduler tick ran behind the fire times it handled.");
    let _ = writeln!(w, "# TYPE cronkeeper_scheduler_lag_seconds gauge");
    let _ = writeln!(w, "cronkeeper_scheduler_lag_seconds {lag}");
    let alive = state.readiness.scheduler_alive(now) as i32;
    let _ = writeln!(w, "# HELP cronkeeper_scheduler_up 1 when the scheduler ticked recently.");
    let _ = writeln!(w, "# TYPE cronkeeper_scheduler_up gauge");
    let _ = writeln!(w, "cronkeeper_scheduler_up {alive}");
    let refused = state.fair_share.refused();
    let _ = writeln!(w, "# HELP cronkeeper_graphql_refused_busy_total GraphQL operations refused with TOO_MANY_REQUESTS (their subject's share was in use) since the start.");
    let _ = writeln!(w, "# TYPE cronkeeper_graphql_refused_busy_total counter");
    let _ = writeln!(w, "cronkeeper_graphql_refused_busy_total {refused}");

    // From the outbox, so every node reports the same figures. A gauge, not a
    // counter: purging old notifications lowers it.
    let _ = writeln!(w, "# HELP cronkeeper_alert_deliveries Alert notifications in the outbox, by outcome.");
    let _ = writeln!(w, "# TYPE cronkeeper_alert_deliveries gauge");
    use crate::alerts::DeliveryStatus;
    use store::alerts::{count_notifications, NotificationFilter};
    for (outcome, status) in [("pending", DeliveryStatus::Pending), ("delivered", DeliveryStatus::Delivered), ("failed", DeliveryStatus::Failed)] {
        let n = count_notifications(&state.store, &NotificationFilter { status: Some(status), ..Default::default() }).await?;
        let _ = writeln!(w, "cronkeeper_alert_deliveries{{outcome=\"{outcome}\"}} {n}");
    }
    Ok(out)
}
