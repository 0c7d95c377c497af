-- A claim takes the lane's next QUEUED run: ORDER BY priority DESC, scheduled_at,
-- id LIMIT 1 (store::runs::claim_next). With priority ascending in this index,
-- SQLite read every QUEUED run of the lane and sorted them for each claim
-- ("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"), so a claim cost grew with the
-- backlog: 2,500 runs due at once meant 2,500 rows sorted per claim, and SQLite
-- was most of the worker's CPU in the throughput bench. In the order of the
-- ORDER BY (id is the rowid, which ends every index entry) a claim reads one
-- entry. PostgreSQL and MySQL have had `priority DESC` since their first migration.
DROP INDEX runs_claimable;
CREATE INDEX runs_claimable ON runs (lane, status, priority DESC, scheduled_at);
