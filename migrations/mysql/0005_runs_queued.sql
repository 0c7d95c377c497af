-- The scheduler looks for stale QUEUED runs (past their starting deadline)
-- every 10 s: `status = 'QUEUED' AND scheduled_at < bound`. MySQL has no
-- partial indexes; (status, scheduled_at) gives the same range scan, at the
-- cost of one more index entry per run. See migrations/sqlite/0006.
CREATE INDEX runs_queued_time ON runs (status, scheduled_at);
