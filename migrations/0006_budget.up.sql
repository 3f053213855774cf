-- The providers' request budget, shared by every process that fetches (docs/pipeline.md,
-- "The provider budget"): one token bucket per provider, refilled by the database's clock.
CREATE TABLE IF NOT EXISTS sigma_provider_budget (
    provider    TEXT PRIMARY KEY,
    tokens      DOUBLE PRECISION NOT NULL,
    refilled_at TIMESTAMPTZ NOT NULL
);

-- Takes up to p_want requests of p_provider's budget (p_rate per second, p_burst at most)
-- in its own short transaction: granted (0..p_want), and when none, how long to wait.
-- The time is read after the row lock, so a waiting caller never counts a refill twice.
CREATE OR REPLACE FUNCTION sigma_budget_take(p_provider TEXT, p_rate DOUBLE PRECISION, p_burst DOUBLE PRECISION,
                                             p_want INTEGER)
RETURNS TABLE (granted INTEGER, wait_ms DOUBLE PRECISION) LANGUAGE plpgsql AS $$
DECLARE
    t DOUBLE PRECISION;
    last TIMESTAMPTZ;
    now_ts TIMESTAMPTZ;
BEGIN
    INSERT INTO sigma_provider_budget (provider, tokens, refilled_at) VALUES (p_provider, p_burst, clock_timestamp())
        ON CONFLICT (provider) DO NOTHING;
    SELECT b.tokens, b.refilled_at INTO t, last FROM sigma_provider_budget b WHERE b.provider = p_provider FOR UPDATE;
    now_ts := greatest(clock_timestamp(), last);
    t := least(p_burst, t + p_rate * extract(epoch FROM now_ts - last)::double precision);
    granted := greatest(0, least(p_want, floor(t)::integer));
    t := t - granted;
    wait_ms := CASE WHEN granted > 0 THEN 0 ELSE (1 - t) / p_rate * 1000 END;
    UPDATE sigma_provider_budget SET tokens = t, refilled_at = now_ts WHERE provider = p_provider;
    RETURN NEXT;
END
$$;
