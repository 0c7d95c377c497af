//! End-to-end tests: the real binary, real processes, real signals, real SQLite.

mod support;
mod supervision;
mod cli;
mod alerts;
