-- 0003 factor definitions: seed_factors (FACTOR_SPEC §9): a definition is
-- inserted only when no row with that name exists; existing rows are never
-- updated (the app's database may hold the migration's spread variants). The
-- names inserted here are recorded, so that the down migration removes only those.
CREATE TABLE sigmabatch_seeded_factors (name VARCHAR(50) PRIMARY KEY);

WITH inserted AS (
  INSERT INTO factor_definitions (name, description, factor_type, calculation_method, etf_proxy, display_order, is_active)
  SELECT v.name, v.description, v.factor_type, v.calculation_method, v.etf_proxy, v.display_order, true
  FROM (VALUES
    ('Market Beta (90D)', 'Market beta vs SPY over 90 days', 'market', 'rolling_regression', 'SPY', 0),
    ('Provider Beta (1Y)', 'Provider-reported 1-year beta', 'market', 'provider_data', 'SPY', 1),
    ('IR Beta', 'Interest rate beta vs TLT', 'macro', 'rolling_regression', 'TLT', 2),
    ('Momentum', 'MTUM ETF beta', 'style', 'ridge_regression', 'MTUM', 3),
    ('Value', 'VTV ETF beta', 'style', 'ridge_regression', 'VTV', 4),
    ('Growth', 'VUG ETF beta', 'style', 'ridge_regression', 'VUG', 5),
    ('Size', 'IWM ETF beta', 'style', 'ridge_regression', 'IWM', 6),
    ('Quality', 'QUAL ETF beta', 'style', 'ridge_regression', 'QUAL', 7),
    ('Low Volatility', 'USMV ETF beta', 'style', 'ridge_regression', 'USMV', 8),
    ('Growth-Value Spread', 'VUG minus VTV return spread beta', 'style', 'spread_regression', 'VUG', 9),
    ('Momentum Spread', 'MTUM minus SPY return spread beta', 'style', 'spread_regression', 'MTUM', 10),
    ('Size Spread', 'IWM minus SPY return spread beta', 'style', 'spread_regression', 'IWM', 11),
    ('Quality Spread', 'QUAL minus SPY return spread beta', 'style', 'spread_regression', 'QUAL', 12)
  ) AS v (name, description, factor_type, calculation_method, etf_proxy, display_order)
  WHERE NOT EXISTS (SELECT 1 FROM factor_definitions f WHERE f.name = v.name)
  RETURNING name
)
INSERT INTO sigmabatch_seeded_factors SELECT name FROM inserted;
