-- 0002 down: the seed's downgrade.
DROP TABLE symbol_onboarding_queue;
ALTER TABLE symbol_universe DROP COLUMN added_source;
ALTER TABLE symbol_universe DROP COLUMN last_price_date;
ALTER TABLE symbol_universe DROP COLUMN last_factor_date;
