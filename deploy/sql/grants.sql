-- grants.sql - the least-privilege role of sigmabatch's programs (docs/operations.md,
-- "The database roles").
--
--   psql -v ON_ERROR_STOP=1 -d DB -f deploy/sql/grants.sql     (as the tables' owner or a superuser)
--
-- Two kinds of role:
-- * the OWNER (the role that runs `sigmactl migrate up`, and `sigmactl import-prices`, whose bulk
--   path drops and rebuilds market_data_cache's indexes): owns the schema's tables, never used by
--   the running programs;
-- * sigma_app (this file): a NOLOGIN group role holding exactly what sigma-producer,
--   sigma-worker, sigma-coordinator and sigmactl run/onboard/status/replay need, and nothing
--   else: no DDL, no TRUNCATE, no DELETE except on sigma_workers, read-only on the app's tables
--   it only reads. A login role is a member that inherits it (below); its password is set by the
--   operator, never written in this file.
--
-- Idempotent: run it again after every `sigmactl migrate up` (a new table is granted to no one
-- until it is listed here). Each run first takes back everything sigma_app holds on the schema's
-- tables, sequences and functions, so the grants are exactly these whatever was granted before.
-- Tables are named unqualified, as the migrations create them: the schema is the first of the
-- search_path (public by default).
--
-- Not needed, so not granted: LISTEN (no privilege exists for it), pg_notify from the triggers
-- (they run as the table's trigger, no grant), pg_try_advisory_lock (PUBLIC may execute it),
-- foreign-key checks (run as the referenced table's owner), the identity sequence of
-- sigma_run_requests (an identity column's nextval is not privilege-checked).
--
-- The example login role (the password comes from the environment or a prompt, never this file):
--   CREATE ROLE sigma LOGIN IN ROLE sigma_app;
--   \password sigma                 -- or: ALTER ROLE sigma PASSWORD :'pw' with psql -v pw=...
\set ON_ERROR_STOP on

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sigma_app') THEN
    CREATE ROLE sigma_app NOLOGIN;
  END IF;
END
$$;
-- A group role: no login, no powers of its own, whatever it was created with.
ALTER ROLE sigma_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

DO $$
BEGIN
  -- the database: connect, and temporary tables (the set-based writes stage rows in
  -- ON COMMIT DELETE ROWS / DROP temp tables: sg_factor_rows, sg_metrics_in, sg_prices_in)
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO sigma_app', current_database());
  -- the schema: use it, never create in it. PostgreSQL 15 no longer lets PUBLIC create in
  -- public; a database upgraded from an older release still does, which would let any role
  -- (this one included) create tables there: take it back (CVE-2018-1058's advice).
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO sigma_app', current_schema());
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC, sigma_app', current_schema());
  -- start from nothing on the schema's objects
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM sigma_app', current_schema());
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM sigma_app', current_schema());
  EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM sigma_app', current_schema());
END
$$;

-- The app's tables the batch reads only (FACTOR_SPEC §1.2's symbol list, the factor
-- definitions by name, the company profiles of the metrics rows).
GRANT SELECT ON positions, portfolios, factor_definitions, company_profiles TO sigma_app;

-- The app's tables the batch writes: every write is an upsert (INSERT ... ON CONFLICT DO
-- UPDATE, which needs SELECT, INSERT and UPDATE), nothing is deleted.
GRANT SELECT, INSERT, UPDATE ON
  market_data_cache,          -- worker: the prices phase and onboarding's bars
  symbol_universe,            -- worker: registration, last_price_date, last_factor_date, is_active
  symbol_factor_exposures,    -- worker: the factor rows (status: a symbol's state)
  symbol_daily_metrics,       -- worker: the metrics rows
  batch_run_history,          -- producer opens a run, coordinator closes and recounts it
  symbol_onboarding_queue     -- sigmactl onboard inserts; producer's relay claims and marks; worker completes
TO sigma_app;

-- sigmabatch's own tables (migrations 0004-0008).
GRANT SELECT, INSERT, UPDATE ON
  sigma_run_requests,         -- sigmactl run inserts; producer takes (FOR UPDATE SKIP LOCKED) and marks
  sigma_runs,                 -- producer opens; coordinator moves phases, closes
  sigma_run_outcomes,         -- the ledger: producer and coordinator write, replay --failed-only reads
  sigma_run_bulk,             -- the bulk days: producer plans them, workers and coordinator mark them
  sigma_provider_budget       -- worker: sigma_budget_take (SECURITY INVOKER) inserts and updates the bucket
TO sigma_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
  sigma_workers               -- worker: heartbeat upsert, stale rows and its own row deleted
TO sigma_app;

-- The one function the programs call by name; functions are executable by PUBLIC unless
-- revoked: this one is sigma_app's only.
REVOKE ALL ON FUNCTION sigma_budget_take(TEXT, DOUBLE PRECISION, DOUBLE PRECISION, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sigma_budget_take(TEXT, DOUBLE PRECISION, DOUBLE PRECISION, INTEGER) TO sigma_app;
