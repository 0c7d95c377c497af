-- The timeline query (store::runs::timeline) selects runs of some jobs scheduled
-- in [from - 24 h, to) and keeps those that end at or after `from`. With
-- runs_job_time on (job_code, scheduled_at) alone, every run of the extra
-- lookback day was read from the table only to be thrown away (half of the
-- rows read for a 24-hour window); with finished_at in the index the filter is
-- decided on the index entry. Same leading columns, so every query that used
-- the old index uses this one, and the runs table keeps the same number of
-- indexes to maintain. See docs/performance.md, "API (issue 3)".
DROP INDEX runs_job_time;
CREATE INDEX runs_job_time ON runs (job_code, scheduled_at, finished_at);
