//! End-to-end tests: the real binary, real processes, real signals, real SQLite.

mod support;
mod supervision;
mod api;
mod cli;
mod alerts;
mod distributed;
mod consumers;
