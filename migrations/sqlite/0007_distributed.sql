-- Distributed mode (issue 4).
--
-- Worker registration: what each worker process offers, for the `workers`
-- query and for the consumer counts of embedded lane queues. `lane_slots` is
-- `lane=slots` pairs joined by commas, in the order the worker was given them.
ALTER TABLE instances ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN lane_slots TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN version TEXT NOT NULL DEFAULT '';

-- AMQP dispatch: when a QUEUED run's id was last published to its lane queue
-- and confirmed by the broker; NULL until then. The publisher (dispatch/amqp)
-- looks for QUEUED runs with NULL here, and for ones published long ago that
-- still wait, so a run queued while the broker was away is published later.
ALTER TABLE runs ADD COLUMN published_at BIGINT;
CREATE INDEX runs_unpublished ON runs (status, published_at);
