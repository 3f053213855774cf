-- 0001 app tables: the app's existing tables that sigmabatch reads or writes
-- (FACTOR_SPEC §12, the seed document), only the columns the batch uses for
-- users, portfolios, positions and company_profiles.
-- On the app's database every table exists and this is a no-op; on a fresh
-- database it creates the whole schema. Tables it creates are recorded in
-- sigmabatch_owned_tables so that the down migration drops only those, never
-- the app's own.
CREATE TABLE IF NOT EXISTS sigmabatch_owned_tables (name TEXT PRIMARY KEY);

DO $$
BEGIN
  IF to_regclass('users') IS NULL THEN
    CREATE TABLE users (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      email VARCHAR(255) UNIQUE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    INSERT INTO sigmabatch_owned_tables VALUES ('users');
  END IF;

  IF to_regclass('portfolios') IS NULL THEN
    CREATE TABLE portfolios (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id UUID REFERENCES users(id),
      name VARCHAR(255),
      deleted_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    INSERT INTO sigmabatch_owned_tables VALUES ('portfolios');
  END IF;

  IF to_regclass('positions') IS NULL THEN
    CREATE TABLE positions (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      portfolio_id UUID NOT NULL REFERENCES portfolios(id),
      symbol VARCHAR(100) NOT NULL,
      investment_class VARCHAR(20),
      entry_date DATE,
      exit_date DATE,
      deleted_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX ix_positions_portfolio_id ON positions (portfolio_id);
    CREATE INDEX ix_positions_symbol ON positions (symbol);
    INSERT INTO sigmabatch_owned_tables VALUES ('positions');
  END IF;

  IF to_regclass('market_data_cache') IS NULL THEN
    CREATE TABLE market_data_cache (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      symbol VARCHAR(20) NOT NULL,
      date DATE NOT NULL,
      open NUMERIC(12, 4),
      high NUMERIC(12, 4),
      low NUMERIC(12, 4),
      close NUMERIC(12, 4) NOT NULL,
      volume INTEGER,
      sector VARCHAR(100),
      industry VARCHAR(100),
      exchange VARCHAR(20),
      country VARCHAR(10),
      market_cap NUMERIC(18, 2),
      data_source VARCHAR(50) NOT NULL DEFAULT 'polygon',
      created_at TIMESTAMPTZ DEFAULT now(),
      updated_at TIMESTAMPTZ DEFAULT now(),
      CONSTRAINT uq_market_data_cache_symbol_date UNIQUE (symbol, date)
    );
    CREATE INDEX ix_market_data_cache_symbol ON market_data_cache (symbol);
    CREATE INDEX ix_market_data_cache_date ON market_data_cache (date);
    CREATE INDEX idx_market_data_cache_symbol_date ON market_data_cache (symbol, date);
    CREATE INDEX idx_market_data_valid_prices ON market_data_cache (symbol, date) WHERE close > 0;
    INSERT INTO sigmabatch_owned_tables VALUES ('market_data_cache');
  END IF;

  IF to_regclass('symbol_universe') IS NULL THEN
    CREATE TABLE symbol_universe (
      symbol VARCHAR(20) PRIMARY KEY,
      asset_type VARCHAR(20),
      sector VARCHAR(100),
      industry VARCHAR(100),
      first_seen_date DATE,
      last_seen_date DATE,
      is_active BOOLEAN NOT NULL DEFAULT true,
      created_at TIMESTAMPTZ DEFAULT now(),
      updated_at TIMESTAMPTZ
    );
    CREATE INDEX idx_symbol_universe_active ON symbol_universe (is_active);
    CREATE INDEX idx_symbol_universe_sector ON symbol_universe (sector);
    CREATE INDEX idx_symbol_universe_asset_type ON symbol_universe (asset_type);
    INSERT INTO sigmabatch_owned_tables VALUES ('symbol_universe');
  END IF;

  IF to_regclass('factor_definitions') IS NULL THEN
    CREATE TABLE factor_definitions (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      name VARCHAR(50) NOT NULL UNIQUE,
      description VARCHAR(500),
      factor_type VARCHAR(20) NOT NULL,
      calculation_method VARCHAR(50),
      etf_proxy VARCHAR(10),
      display_order INTEGER NOT NULL DEFAULT 0,
      is_active BOOLEAN NOT NULL DEFAULT true,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    INSERT INTO sigmabatch_owned_tables VALUES ('factor_definitions');
  END IF;

  IF to_regclass('symbol_factor_exposures') IS NULL THEN
    CREATE TABLE symbol_factor_exposures (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      symbol VARCHAR(20) NOT NULL REFERENCES symbol_universe (symbol) ON DELETE CASCADE,
      factor_id UUID NOT NULL REFERENCES factor_definitions (id),
      calculation_date DATE NOT NULL,
      beta_value NUMERIC(10, 6) NOT NULL,
      r_squared NUMERIC(6, 4),
      observations INTEGER,
      quality_flag VARCHAR(20),
      calculation_method VARCHAR(50) NOT NULL,
      regularization_alpha NUMERIC(6, 4),
      regression_window_days INTEGER,
      created_at TIMESTAMPTZ DEFAULT now(),
      CONSTRAINT uq_symbol_factor_date UNIQUE (symbol, factor_id, calculation_date)
    );
    CREATE INDEX idx_symbol_factor_lookup ON symbol_factor_exposures (symbol, calculation_date);
    CREATE INDEX idx_symbol_factor_calc_date ON symbol_factor_exposures (calculation_date);
    CREATE INDEX idx_symbol_factor_method ON symbol_factor_exposures (calculation_method, calculation_date);
    INSERT INTO sigmabatch_owned_tables VALUES ('symbol_factor_exposures');
  END IF;

  IF to_regclass('symbol_daily_metrics') IS NULL THEN
    CREATE TABLE symbol_daily_metrics (
      symbol VARCHAR(20) PRIMARY KEY REFERENCES symbol_universe (symbol) ON DELETE CASCADE,
      metrics_date DATE NOT NULL,
      current_price NUMERIC(12, 4),
      return_1d NUMERIC(10, 6),
      return_mtd NUMERIC(10, 6),
      return_ytd NUMERIC(10, 6),
      return_1m NUMERIC(10, 6),
      return_3m NUMERIC(10, 6),
      return_1y NUMERIC(10, 6),
      market_cap NUMERIC(18, 2),
      enterprise_value NUMERIC(18, 2),
      pe_ratio NUMERIC(10, 4),
      ps_ratio NUMERIC(10, 4),
      pb_ratio NUMERIC(10, 4),
      sector VARCHAR(100),
      industry VARCHAR(100),
      company_name VARCHAR(255),
      factor_value NUMERIC(10, 6),
      factor_growth NUMERIC(10, 6),
      factor_momentum NUMERIC(10, 6),
      factor_quality NUMERIC(10, 6),
      factor_size NUMERIC(10, 6),
      factor_low_vol NUMERIC(10, 6),
      factor_growth_value_spread NUMERIC(10, 6),
      factor_momentum_spread NUMERIC(10, 6),
      factor_size_spread NUMERIC(10, 6),
      factor_quality_spread NUMERIC(10, 6),
      data_quality_score NUMERIC(5, 2),
      updated_at TIMESTAMPTZ
    );
    CREATE INDEX idx_metrics_date ON symbol_daily_metrics (metrics_date);
    CREATE INDEX idx_metrics_sector ON symbol_daily_metrics (sector);
    CREATE INDEX idx_metrics_market_cap ON symbol_daily_metrics (market_cap);
    CREATE INDEX idx_metrics_return_ytd ON symbol_daily_metrics (return_ytd);
    CREATE INDEX idx_metrics_pe ON symbol_daily_metrics (pe_ratio);
    CREATE INDEX idx_metrics_factor_momentum ON symbol_daily_metrics (factor_momentum);
    CREATE INDEX idx_metrics_factor_value ON symbol_daily_metrics (factor_value);
    CREATE INDEX idx_metrics_sector_cap ON symbol_daily_metrics (sector, market_cap);
    INSERT INTO sigmabatch_owned_tables VALUES ('symbol_daily_metrics');
  END IF;

  IF to_regclass('company_profiles') IS NULL THEN
    CREATE TABLE company_profiles (
      symbol VARCHAR(20) PRIMARY KEY,
      company_name VARCHAR(255),
      sector VARCHAR(100),
      industry VARCHAR(100),
      market_cap NUMERIC(20, 2),
      pe_ratio NUMERIC(12, 4),
      beta NUMERIC(12, 6),
      updated_at TIMESTAMPTZ DEFAULT now()
    );
    INSERT INTO sigmabatch_owned_tables VALUES ('company_profiles');
  END IF;

  IF to_regclass('batch_run_history') IS NULL THEN
    CREATE TABLE batch_run_history (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      batch_run_id VARCHAR(255) NOT NULL,
      triggered_by VARCHAR(255) NOT NULL,
      started_at TIMESTAMPTZ NOT NULL,
      completed_at TIMESTAMPTZ,
      status VARCHAR(50) NOT NULL,
      total_jobs INTEGER NOT NULL DEFAULT 0,
      completed_jobs INTEGER NOT NULL DEFAULT 0,
      failed_jobs INTEGER NOT NULL DEFAULT 0,
      phase_durations JSONB NOT NULL DEFAULT '{}'::jsonb,
      error_summary JSONB,
      portfolio_id UUID,
      activity_log JSONB,
      created_at TIMESTAMPTZ DEFAULT now()
    );
    CREATE INDEX ix_batch_run_history_batch_run_id ON batch_run_history (batch_run_id);
    CREATE INDEX ix_batch_run_history_status ON batch_run_history (status);
    CREATE INDEX ix_batch_run_history_started_at ON batch_run_history (started_at);
    CREATE INDEX ix_batch_run_history_created_at ON batch_run_history (created_at);
    CREATE INDEX ix_batch_run_history_portfolio_id ON batch_run_history (portfolio_id);
    INSERT INTO sigmabatch_owned_tables VALUES ('batch_run_history');
  END IF;
END
$$;
