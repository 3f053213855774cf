-- 0007 sigma_workers: the workers' consumer group as its members report themselves
-- (docs/status.md, "Workers"). librdkafka's mock cluster cannot describe a
-- group, so each sigma-worker writes its own row every few seconds (common/status.c,
-- sg_status_heartbeat) and deletes it when it stops cleanly; a real cluster is
-- read the same way. A row not seen for a while is a worker gone (killed, or
-- its machine lost): `sigmactl status` shows it as such, and the next heartbeat
-- of any worker removes rows an hour old.
CREATE TABLE sigma_workers (
    id         TEXT PRIMARY KEY,                 -- the worker's id: HOST:PID, or its --id
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    http       TEXT,                             -- its HTTP address ("127.0.0.1:40123"), NULL when it serves none
    partitions TEXT[] NOT NULL DEFAULT '{}',     -- assigned, as "topic/partition"
    lag        JSONB NOT NULL DEFAULT '{}',      -- per partition: {"sigma.tasks/3": 12, ...}; null when unknown
    lag_total  BIGINT NOT NULL DEFAULT 0,        -- the sum of the known lags
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
