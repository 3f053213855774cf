-- 0008 bulk: a run's market days fetched in one request each (docs/pipeline.md,
-- "Bulk days"). The producer plans them when it opens the run: a market day at
-- least provider.bulk_min_symbols symbols miss gets a row here (one prices_bulk
-- task), and a symbol whose every missing day is such a day waits for them
-- (stage 'bulk', its window's start in fetch_from) instead of a prices task of
-- its own. When every bulk day has its outcome, the coordinator records each
-- waiting symbol covered (its bars of those days are stored) or moves it to
-- stage 'alone', and the producer publishes its prices task (with from).
ALTER TABLE sigma_run_outcomes
    ADD COLUMN stage TEXT CHECK (stage IN ('bulk', 'alone')), -- NULL: a prices task of its own from the start
    ADD COLUMN fetch_from DATE;                               -- the last stored day when the run was planned

CREATE TABLE sigma_run_bulk (
    batch_run_id VARCHAR(64) NOT NULL REFERENCES sigma_runs (batch_run_id) ON DELETE CASCADE,
    day DATE NOT NULL,                     -- the market day fetched in one request
    attempt INTEGER NOT NULL DEFAULT 0,    -- publications of its task so far
    published_at TIMESTAMPTZ,
    outcome TEXT CHECK (outcome IN ('ok', 'failed')),
    reason TEXT,
    rows_written BIGINT,                   -- symbols whose bar of the day it stored
    worker TEXT,
    elapsed_ms BIGINT,
    recorded_at TIMESTAMPTZ,
    duplicates INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_run_id, day),
    CHECK ((outcome IS NULL) = (recorded_at IS NULL))
);
-- The producer asks, every round, whether a run has tasks never published (the
-- symbols a bulk day left alone): this answers it without reading the pending rows.
CREATE INDEX sigma_run_outcomes_unpublished ON sigma_run_outcomes (batch_run_id, phase)
    WHERE outcome IS NULL AND attempt = 0 AND stage = 'alone';
