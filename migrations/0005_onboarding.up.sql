-- 0005 onboarding: what the relay (sigma-producer) and the workers need of the
-- app's symbol_onboarding_queue (docs/pipeline.md, "Onboarding"). The app's
-- columns stay as they are; one column is added: attempts.
ALTER TABLE symbol_onboarding_queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; -- publications so far

-- The relay's claim: pending rows by priority's meaning (high, normal, low;
-- anything else counts as normal), then created_at. The expression is the one
-- the claim orders by, so the index serves it.
CREATE INDEX symbol_onboarding_queue_claim ON symbol_onboarding_queue
    ((CASE priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END), created_at)
    WHERE status = 'pending';
-- The relay's look for rows processing past the timeout.
CREATE INDEX symbol_onboarding_queue_processing ON symbol_onboarding_queue (started_at)
    WHERE status = 'processing';

-- The relay LISTENs on symbol_onboarding_queue: a row inserted (or set back to
-- pending by the app) wakes it at once; its timer covers a missed notification.
CREATE FUNCTION symbol_onboarding_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('symbol_onboarding_queue', NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER symbol_onboarding_queue_notify AFTER INSERT OR UPDATE OF status ON symbol_onboarding_queue
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION symbol_onboarding_queue_notify();
