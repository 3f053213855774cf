-- 0004 pipeline: the distributed nightly run (docs/pipeline.md, "The ledger").
-- A durable run request (sigmactl run), one row per run with its current phase,
-- and the ledger: one row per (run, phase, symbol), its outcome NULL until the
-- first event. batch_run_history stays the app's table, used as the app uses it.
CREATE TABLE sigma_run_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calc_date DATE NOT NULL,
    symbols TEXT[],                        -- NULL: the run's symbol list (FACTOR_SPEC §1.2)
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'started', 'joined')),
    batch_run_id VARCHAR(64),              -- the run it started, or the open run it joined
    handled_at TIMESTAMPTZ
);
-- One pending request per date: a second `sigmactl run` finds the first.
CREATE UNIQUE INDEX sigma_run_requests_one_pending ON sigma_run_requests (calc_date) WHERE status = 'pending';

CREATE TABLE sigma_runs (
    batch_run_id VARCHAR(64) PRIMARY KEY,  -- = batch_run_history.batch_run_id
    calc_date DATE NOT NULL,
    request_id BIGINT REFERENCES sigma_run_requests (id),
    symbols TEXT[],                        -- as requested (NULL: the run's symbol list)
    phase TEXT NOT NULL CHECK (phase IN ('prices', 'factors', 'metrics', 'done')),
    fanned_out BOOLEAN NOT NULL DEFAULT false, -- every task of the phase acknowledged by the broker
    phase_started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at TIMESTAMPTZ
);
-- At most one open run per date.
CREATE UNIQUE INDEX sigma_runs_one_open ON sigma_runs (calc_date) WHERE closed_at IS NULL;

CREATE TABLE sigma_run_outcomes (
    batch_run_id VARCHAR(64) NOT NULL REFERENCES sigma_runs (batch_run_id) ON DELETE CASCADE,
    phase TEXT NOT NULL CHECK (phase IN ('prices', 'factors', 'metrics')),
    symbol VARCHAR(20) NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,    -- publications of the task so far
    published_at TIMESTAMPTZ,
    outcome TEXT CHECK (outcome IN ('ok', 'failed')),
    reason TEXT,
    rows_written BIGINT,
    worker TEXT,
    elapsed_ms BIGINT,
    recorded_at TIMESTAMPTZ,
    duplicates INTEGER NOT NULL DEFAULT 0, -- events after the first: counted here, never as outcomes
    PRIMARY KEY (batch_run_id, phase, symbol),
    CHECK ((outcome IS NULL) = (recorded_at IS NULL))
);
CREATE INDEX sigma_run_outcomes_pending ON sigma_run_outcomes (batch_run_id, phase) WHERE outcome IS NULL;

-- The producer LISTENs on sigma_run_requests: a request wakes it at once.
CREATE FUNCTION sigma_run_requests_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sigma_run_requests', NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER sigma_run_requests_notify AFTER INSERT ON sigma_run_requests
    FOR EACH ROW EXECUTE FUNCTION sigma_run_requests_notify();
