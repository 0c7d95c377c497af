-- A run that becomes QUEUED wakes idle claimers in every cronkeeper process at
-- once: they LISTEN on `cronkeeper_queued` (service/src/dispatch/pg_wakeups.rs)
-- instead of finding the run at their next poll. The payload is the lane. NOTIFY
-- is delivered at commit, so a woken claimer sees the row.
CREATE OR REPLACE FUNCTION cronkeeper_notify_queued() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('cronkeeper_queued', NEW.lane);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER runs_notify_queued
    AFTER INSERT OR UPDATE OF status ON runs
    FOR EACH ROW
    WHEN (NEW.status = 'QUEUED')
    EXECUTE FUNCTION cronkeeper_notify_queued();
