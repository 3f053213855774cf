-- 0002 v2 batch tables: the seed's migration (03-database-schema-changes.md),
-- to the letter: the onboarding queue, its indexes, and the three tracking
-- columns of symbol_universe.
CREATE TABLE symbol_onboarding_queue (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    symbol VARCHAR(20) NOT NULL,
    status VARCHAR(20) DEFAULT 'pending',  -- pending, processing, completed, failed
    requested_by UUID REFERENCES users(id),
    priority VARCHAR(10) DEFAULT 'normal',  -- high, normal, low
    error_message TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);

CREATE INDEX idx_queue_status ON symbol_onboarding_queue(status, priority, created_at);

-- Prevent duplicate pending/processing jobs for same symbol
CREATE UNIQUE INDEX idx_queue_pending_symbol ON symbol_onboarding_queue(symbol)
    WHERE status IN ('pending', 'processing');

ALTER TABLE symbol_universe ADD COLUMN added_source VARCHAR(50);
ALTER TABLE symbol_universe ADD COLUMN last_price_date DATE;
ALTER TABLE symbol_universe ADD COLUMN last_factor_date DATE;
