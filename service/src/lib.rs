//! cronkeeper: a supervised, lane-isolated scheduler that takes over Magento 2's
//! cron and background workers.
//!
//! The life of a run, and the module that owns each step:
//!
//! - [`cron`]: Magento-compatible cron expressions (plus `@every`), next fire
//!   times in a job's time zone, and warnings for surprising expressions.
//! - [`domain`]: jobs, runs and their status machine, lanes, policies.
//! - [`config`]: layered configuration (defaults, TOML file, `CRONKEEPER_*`).
//! - [`store`]: the one place that talks SQL; the embedded queue lives here too.
//! - [`scheduler`]: the tick that materialises due runs idempotently and applies
//!   concurrency and misfire policies.
//! - [`dispatch`]: how QUEUED runs reach workers: the embedded queue (the
//!   store) or RabbitMQ lane queues (AMQP), behind one interface.
//! - [`worker`]: lane pools with reserved slots, executors, process supervision
//!   (timeouts, kills, output capture) and recovery of orphans.
//! - [`magento`]: `crontab.xml` import and the Magento job-to-lane mapping.
//! - [`consumers`]: supervision of Magento's queue consumers (fenced process
//!   slots across nodes, restarts, crash-loop parking, only-when-messages) and
//!   queue depths from Magento's MySQL queue and RabbitMQ.
//! - [`alerts`]: alert rules, their evaluation and lifecycle, the notification
//!   outbox, Slack and signed-webhook channels, the dead man's switch.
//! - [`api`]: GraphQL over axum, JWT auth, health and metrics.
//! - [`app`]: wires it all together with one shutdown signal.
//! - [`cli`]: the `cronkeeper` command line.

pub mod actions;
pub mod alerts;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consumers;
pub mod cron;
pub mod dispatch;
pub mod domain;
pub mod events;
pub mod magento;
pub mod scheduler;
pub mod store;
pub mod telemetry;
pub mod wakeups;
pub mod worker;
