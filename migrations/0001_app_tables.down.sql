-- 0001 down: drops only the tables 0001 created (recorded in
-- sigmabatch_owned_tables), in reverse dependency order; the app's own tables
-- are never touched.
DO $$
DECLARE
  t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['symbol_daily_metrics', 'symbol_factor_exposures', 'factor_definitions',
                           'symbol_universe', 'market_data_cache', 'company_profiles',
                           'batch_run_history', 'positions', 'portfolios', 'users']
  LOOP
    IF EXISTS (SELECT 1 FROM sigmabatch_owned_tables WHERE name = t) THEN
      EXECUTE format('DROP TABLE IF EXISTS %I', t);
    END IF;
  END LOOP;
END
$$;
DROP TABLE sigmabatch_owned_tables;
