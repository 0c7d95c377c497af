-- The scheduler looks for stale QUEUED runs (past their starting deadline)
-- every 10 s: `status = 'QUEUED' AND scheduled_at < bound`. Without an index
-- led by scheduled_at for QUEUED rows, every queued run was read and its job's
-- deadline looked up, on each pass (the steady-tick p99 in docs/performance.md).
-- A partial index holds only the QUEUED rows, so it costs nothing for the
-- history that makes up almost all of the table.
CREATE INDEX runs_queued_time ON runs (scheduled_at) WHERE status = 'QUEUED';
