//! Lane pools, executors and process supervision.
