--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: sigma_budget_take(text, double precision, double precision, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sigma_budget_take(p_provider text, p_rate double precision, p_burst double precision, p_want integer) RETURNS TABLE(granted integer, wait_ms double precision)
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: sigma_run_requests_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sigma_run_requests_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('sigma_run_requests', NEW.id::text);
    RETURN NEW;
END
$$;


--
-- Name: symbol_onboarding_queue_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.symbol_onboarding_queue_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('symbol_onboarding_queue', NEW.id::text);
    RETURN NEW;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: batch_run_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.batch_run_history (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    batch_run_id character varying(255) NOT NULL,
    triggered_by character varying(255) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    status character varying(50) NOT NULL,
    total_jobs integer DEFAULT 0 NOT NULL,
    completed_jobs integer DEFAULT 0 NOT NULL,
    failed_jobs integer DEFAULT 0 NOT NULL,
    phase_durations jsonb DEFAULT '{}'::jsonb NOT NULL,
    error_summary jsonb,
    portfolio_id uuid,
    activity_log jsonb,
    created_at timestamp with time zone DEFAULT now()
);


--
-- Name: company_profiles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.company_profiles (
    symbol character varying(20) NOT NULL,
    company_name character varying(255),
    sector character varying(100),
    industry character varying(100),
    market_cap numeric(20,2),
    pe_ratio numeric(12,4),
    beta numeric(12,6),
    updated_at timestamp with time zone DEFAULT now()
);


--
-- Name: factor_definitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.factor_definitions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name character varying(50) NOT NULL,
    description character varying(500),
    factor_type character varying(20) NOT NULL,
    calculation_method character varying(50),
    etf_proxy character varying(10),
    display_order integer DEFAULT 0 NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: market_data_cache; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.market_data_cache (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    symbol character varying(20) NOT NULL,
    date date NOT NULL,
    open numeric(12,4),
    high numeric(12,4),
    low numeric(12,4),
    close numeric(12,4) NOT NULL,
    volume integer,
    sector character varying(100),
    industry character varying(100),
    exchange character varying(20),
    country character varying(10),
    market_cap numeric(18,2),
    data_source character varying(50) DEFAULT 'polygon'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now()
);


--
-- Name: portfolios; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.portfolios (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid,
    name character varying(255),
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: positions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.positions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    portfolio_id uuid NOT NULL,
    symbol character varying(100) NOT NULL,
    investment_class character varying(20),
    entry_date date,
    exit_date date,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sigma_provider_budget; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_provider_budget (
    provider text NOT NULL,
    tokens double precision NOT NULL,
    refilled_at timestamp with time zone NOT NULL
);


--
-- Name: sigma_run_bulk; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_run_bulk (
    batch_run_id character varying(64) NOT NULL,
    day date NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    published_at timestamp with time zone,
    outcome text,
    reason text,
    rows_written bigint,
    worker text,
    elapsed_ms bigint,
    recorded_at timestamp with time zone,
    duplicates integer DEFAULT 0 NOT NULL,
    CONSTRAINT sigma_run_bulk_check CHECK (((outcome IS NULL) = (recorded_at IS NULL))),
    CONSTRAINT sigma_run_bulk_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'failed'::text])))
);


--
-- Name: sigma_run_outcomes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_run_outcomes (
    batch_run_id character varying(64) NOT NULL,
    phase text NOT NULL,
    symbol character varying(20) NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    published_at timestamp with time zone,
    outcome text,
    reason text,
    rows_written bigint,
    worker text,
    elapsed_ms bigint,
    recorded_at timestamp with time zone,
    duplicates integer DEFAULT 0 NOT NULL,
    stage text,
    fetch_from date,
    CONSTRAINT sigma_run_outcomes_check CHECK (((outcome IS NULL) = (recorded_at IS NULL))),
    CONSTRAINT sigma_run_outcomes_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'failed'::text]))),
    CONSTRAINT sigma_run_outcomes_phase_check CHECK ((phase = ANY (ARRAY['prices'::text, 'factors'::text, 'metrics'::text]))),
    CONSTRAINT sigma_run_outcomes_stage_check CHECK ((stage = ANY (ARRAY['bulk'::text, 'alone'::text])))
);


--
-- Name: sigma_run_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_run_requests (
    id bigint NOT NULL,
    calc_date date NOT NULL,
    symbols text[],
    requested_by text NOT NULL,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    batch_run_id character varying(64),
    handled_at timestamp with time zone,
    CONSTRAINT sigma_run_requests_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'started'::text, 'joined'::text])))
);


--
-- Name: sigma_run_requests_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.sigma_run_requests ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.sigma_run_requests_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: sigma_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_runs (
    batch_run_id character varying(64) NOT NULL,
    calc_date date NOT NULL,
    request_id bigint,
    symbols text[],
    phase text NOT NULL,
    fanned_out boolean DEFAULT false NOT NULL,
    phase_started_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    closed_at timestamp with time zone,
    CONSTRAINT sigma_runs_phase_check CHECK ((phase = ANY (ARRAY['prices'::text, 'factors'::text, 'metrics'::text, 'done'::text])))
);


--
-- Name: sigma_workers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigma_workers (
    id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    http text,
    partitions text[] DEFAULT '{}'::text[] NOT NULL,
    lag jsonb DEFAULT '{}'::jsonb NOT NULL,
    lag_total bigint DEFAULT 0 NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sigmabatch_owned_tables; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigmabatch_owned_tables (
    name text NOT NULL
);


--
-- Name: sigmabatch_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigmabatch_schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sigmabatch_seeded_factors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sigmabatch_seeded_factors (
    name character varying(50) NOT NULL
);


--
-- Name: symbol_daily_metrics; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.symbol_daily_metrics (
    symbol character varying(20) NOT NULL,
    metrics_date date NOT NULL,
    current_price numeric(12,4),
    return_1d numeric(10,6),
    return_mtd numeric(10,6),
    return_ytd numeric(10,6),
    return_1m numeric(10,6),
    return_3m numeric(10,6),
    return_1y numeric(10,6),
    market_cap numeric(18,2),
    enterprise_value numeric(18,2),
    pe_ratio numeric(10,4),
    ps_ratio numeric(10,4),
    pb_ratio numeric(10,4),
    sector character varying(100),
    industry character varying(100),
    company_name character varying(255),
    factor_value numeric(10,6),
    factor_growth numeric(10,6),
    factor_momentum numeric(10,6),
    factor_quality numeric(10,6),
    factor_size numeric(10,6),
    factor_low_vol numeric(10,6),
    factor_growth_value_spread numeric(10,6),
    factor_momentum_spread numeric(10,6),
    factor_size_spread numeric(10,6),
    factor_quality_spread numeric(10,6),
    data_quality_score numeric(5,2),
    updated_at timestamp with time zone
);


--
-- Name: symbol_factor_exposures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.symbol_factor_exposures (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    symbol character varying(20) NOT NULL,
    factor_id uuid NOT NULL,
    calculation_date date NOT NULL,
    beta_value numeric(10,6) NOT NULL,
    r_squared numeric(6,4),
    observations integer,
    quality_flag character varying(20),
    calculation_method character varying(50) NOT NULL,
    regularization_alpha numeric(6,4),
    regression_window_days integer,
    created_at timestamp with time zone DEFAULT now()
);


--
-- Name: symbol_onboarding_queue; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.symbol_onboarding_queue (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    symbol character varying(20) NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying,
    requested_by uuid,
    priority character varying(10) DEFAULT 'normal'::character varying,
    error_message text,
    created_at timestamp with time zone DEFAULT now(),
    started_at timestamp with time zone,
    completed_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL
);


--
-- Name: symbol_universe; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.symbol_universe (
    symbol character varying(20) NOT NULL,
    asset_type character varying(20),
    sector character varying(100),
    industry character varying(100),
    first_seen_date date,
    last_seen_date date,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone,
    added_source character varying(50),
    last_price_date date,
    last_factor_date date
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email character varying(255),
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: batch_run_history batch_run_history_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batch_run_history
    ADD CONSTRAINT batch_run_history_pkey PRIMARY KEY (id);


--
-- Name: company_profiles company_profiles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.company_profiles
    ADD CONSTRAINT company_profiles_pkey PRIMARY KEY (symbol);


--
-- Name: factor_definitions factor_definitions_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.factor_definitions
    ADD CONSTRAINT factor_definitions_name_key UNIQUE (name);


--
-- Name: factor_definitions factor_definitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.factor_definitions
    ADD CONSTRAINT factor_definitions_pkey PRIMARY KEY (id);


--
-- Name: market_data_cache market_data_cache_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.market_data_cache
    ADD CONSTRAINT market_data_cache_pkey PRIMARY KEY (id);


--
-- Name: portfolios portfolios_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portfolios
    ADD CONSTRAINT portfolios_pkey PRIMARY KEY (id);


--
-- Name: positions positions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.positions
    ADD CONSTRAINT positions_pkey PRIMARY KEY (id);


--
-- Name: sigma_provider_budget sigma_provider_budget_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_provider_budget
    ADD CONSTRAINT sigma_provider_budget_pkey PRIMARY KEY (provider);


--
-- Name: sigma_run_bulk sigma_run_bulk_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_run_bulk
    ADD CONSTRAINT sigma_run_bulk_pkey PRIMARY KEY (batch_run_id, day);


--
-- Name: sigma_run_outcomes sigma_run_outcomes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_run_outcomes
    ADD CONSTRAINT sigma_run_outcomes_pkey PRIMARY KEY (batch_run_id, phase, symbol);


--
-- Name: sigma_run_requests sigma_run_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_run_requests
    ADD CONSTRAINT sigma_run_requests_pkey PRIMARY KEY (id);


--
-- Name: sigma_runs sigma_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_runs
    ADD CONSTRAINT sigma_runs_pkey PRIMARY KEY (batch_run_id);


--
-- Name: sigma_workers sigma_workers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_workers
    ADD CONSTRAINT sigma_workers_pkey PRIMARY KEY (id);


--
-- Name: sigmabatch_owned_tables sigmabatch_owned_tables_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigmabatch_owned_tables
    ADD CONSTRAINT sigmabatch_owned_tables_pkey PRIMARY KEY (name);


--
-- Name: sigmabatch_schema_migrations sigmabatch_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigmabatch_schema_migrations
    ADD CONSTRAINT sigmabatch_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: sigmabatch_seeded_factors sigmabatch_seeded_factors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigmabatch_seeded_factors
    ADD CONSTRAINT sigmabatch_seeded_factors_pkey PRIMARY KEY (name);


--
-- Name: symbol_daily_metrics symbol_daily_metrics_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_daily_metrics
    ADD CONSTRAINT symbol_daily_metrics_pkey PRIMARY KEY (symbol);


--
-- Name: symbol_factor_exposures symbol_factor_exposures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_factor_exposures
    ADD CONSTRAINT symbol_factor_exposures_pkey PRIMARY KEY (id);


--
-- Name: symbol_onboarding_queue symbol_onboarding_queue_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_onboarding_queue
    ADD CONSTRAINT symbol_onboarding_queue_pkey PRIMARY KEY (id);


--
-- Name: symbol_universe symbol_universe_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_universe
    ADD CONSTRAINT symbol_universe_pkey PRIMARY KEY (symbol);


--
-- Name: market_data_cache uq_market_data_cache_symbol_date; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.market_data_cache
    ADD CONSTRAINT uq_market_data_cache_symbol_date UNIQUE (symbol, date);


--
-- Name: symbol_factor_exposures uq_symbol_factor_date; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_factor_exposures
    ADD CONSTRAINT uq_symbol_factor_date UNIQUE (symbol, factor_id, calculation_date);


--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: idx_market_data_cache_symbol_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_market_data_cache_symbol_date ON public.market_data_cache USING btree (symbol, date);


--
-- Name: idx_market_data_valid_prices; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_market_data_valid_prices ON public.market_data_cache USING btree (symbol, date) WHERE (close > (0)::numeric);


--
-- Name: idx_metrics_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_date ON public.symbol_daily_metrics USING btree (metrics_date);


--
-- Name: idx_metrics_factor_momentum; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_factor_momentum ON public.symbol_daily_metrics USING btree (factor_momentum);


--
-- Name: idx_metrics_factor_value; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_factor_value ON public.symbol_daily_metrics USING btree (factor_value);


--
-- Name: idx_metrics_market_cap; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_market_cap ON public.symbol_daily_metrics USING btree (market_cap);


--
-- Name: idx_metrics_pe; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_pe ON public.symbol_daily_metrics USING btree (pe_ratio);


--
-- Name: idx_metrics_return_ytd; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_return_ytd ON public.symbol_daily_metrics USING btree (return_ytd);


--
-- Name: idx_metrics_sector; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_sector ON public.symbol_daily_metrics USING btree (sector);


--
-- Name: idx_metrics_sector_cap; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_metrics_sector_cap ON public.symbol_daily_metrics USING btree (sector, market_cap);


--
-- Name: idx_queue_pending_symbol; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_queue_pending_symbol ON public.symbol_onboarding_queue USING btree (symbol) WHERE ((status)::text = ANY ((ARRAY['pending'::character varying, 'processing'::character varying])::text[]));


--
-- Name: idx_queue_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_queue_status ON public.symbol_onboarding_queue USING btree (status, priority, created_at);


--
-- Name: idx_symbol_factor_calc_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_factor_calc_date ON public.symbol_factor_exposures USING btree (calculation_date);


--
-- Name: idx_symbol_factor_lookup; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_factor_lookup ON public.symbol_factor_exposures USING btree (symbol, calculation_date);


--
-- Name: idx_symbol_factor_method; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_factor_method ON public.symbol_factor_exposures USING btree (calculation_method, calculation_date);


--
-- Name: idx_symbol_universe_active; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_universe_active ON public.symbol_universe USING btree (is_active);


--
-- Name: idx_symbol_universe_asset_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_universe_asset_type ON public.symbol_universe USING btree (asset_type);


--
-- Name: idx_symbol_universe_sector; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_symbol_universe_sector ON public.symbol_universe USING btree (sector);


--
-- Name: ix_batch_run_history_batch_run_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_batch_run_history_batch_run_id ON public.batch_run_history USING btree (batch_run_id);


--
-- Name: ix_batch_run_history_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_batch_run_history_created_at ON public.batch_run_history USING btree (created_at);


--
-- Name: ix_batch_run_history_portfolio_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_batch_run_history_portfolio_id ON public.batch_run_history USING btree (portfolio_id);


--
-- Name: ix_batch_run_history_started_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_batch_run_history_started_at ON public.batch_run_history USING btree (started_at);


--
-- Name: ix_batch_run_history_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_batch_run_history_status ON public.batch_run_history USING btree (status);


--
-- Name: ix_market_data_cache_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_market_data_cache_date ON public.market_data_cache USING btree (date);


--
-- Name: ix_market_data_cache_symbol; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_market_data_cache_symbol ON public.market_data_cache USING btree (symbol);


--
-- Name: ix_positions_portfolio_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_positions_portfolio_id ON public.positions USING btree (portfolio_id);


--
-- Name: ix_positions_symbol; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_positions_symbol ON public.positions USING btree (symbol);


--
-- Name: sigma_run_outcomes_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sigma_run_outcomes_pending ON public.sigma_run_outcomes USING btree (batch_run_id, phase) WHERE (outcome IS NULL);


--
-- Name: sigma_run_outcomes_unpublished; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sigma_run_outcomes_unpublished ON public.sigma_run_outcomes USING btree (batch_run_id, phase) WHERE ((outcome IS NULL) AND (attempt = 0) AND (stage = 'alone'::text));


--
-- Name: sigma_run_requests_one_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sigma_run_requests_one_pending ON public.sigma_run_requests USING btree (calc_date) WHERE (status = 'pending'::text);


--
-- Name: sigma_runs_one_open; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sigma_runs_one_open ON public.sigma_runs USING btree (calc_date) WHERE (closed_at IS NULL);


--
-- Name: symbol_onboarding_queue_claim; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX symbol_onboarding_queue_claim ON public.symbol_onboarding_queue USING btree ((
CASE priority
    WHEN 'high'::text THEN 0
    WHEN 'low'::text THEN 2
    ELSE 1
END), created_at) WHERE ((status)::text = 'pending'::text);


--
-- Name: symbol_onboarding_queue_processing; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX symbol_onboarding_queue_processing ON public.symbol_onboarding_queue USING btree (started_at) WHERE ((status)::text = 'processing'::text);


--
-- Name: sigma_run_requests sigma_run_requests_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sigma_run_requests_notify AFTER INSERT ON public.sigma_run_requests FOR EACH ROW EXECUTE FUNCTION public.sigma_run_requests_notify();


--
-- Name: symbol_onboarding_queue symbol_onboarding_queue_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER symbol_onboarding_queue_notify AFTER INSERT OR UPDATE OF status ON public.symbol_onboarding_queue FOR EACH ROW WHEN (((new.status)::text = 'pending'::text)) EXECUTE FUNCTION public.symbol_onboarding_queue_notify();


--
-- Name: portfolios portfolios_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portfolios
    ADD CONSTRAINT portfolios_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: positions positions_portfolio_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.positions
    ADD CONSTRAINT positions_portfolio_id_fkey FOREIGN KEY (portfolio_id) REFERENCES public.portfolios(id);


--
-- Name: sigma_run_bulk sigma_run_bulk_batch_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_run_bulk
    ADD CONSTRAINT sigma_run_bulk_batch_run_id_fkey FOREIGN KEY (batch_run_id) REFERENCES public.sigma_runs(batch_run_id) ON DELETE CASCADE;


--
-- Name: sigma_run_outcomes sigma_run_outcomes_batch_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_run_outcomes
    ADD CONSTRAINT sigma_run_outcomes_batch_run_id_fkey FOREIGN KEY (batch_run_id) REFERENCES public.sigma_runs(batch_run_id) ON DELETE CASCADE;


--
-- Name: sigma_runs sigma_runs_request_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sigma_runs
    ADD CONSTRAINT sigma_runs_request_id_fkey FOREIGN KEY (request_id) REFERENCES public.sigma_run_requests(id);


--
-- Name: symbol_daily_metrics symbol_daily_metrics_symbol_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_daily_metrics
    ADD CONSTRAINT symbol_daily_metrics_symbol_fkey FOREIGN KEY (symbol) REFERENCES public.symbol_universe(symbol) ON DELETE CASCADE;


--
-- Name: symbol_factor_exposures symbol_factor_exposures_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_factor_exposures
    ADD CONSTRAINT symbol_factor_exposures_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.factor_definitions(id);


--
-- Name: symbol_factor_exposures symbol_factor_exposures_symbol_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_factor_exposures
    ADD CONSTRAINT symbol_factor_exposures_symbol_fkey FOREIGN KEY (symbol) REFERENCES public.symbol_universe(symbol) ON DELETE CASCADE;


--
-- Name: symbol_onboarding_queue symbol_onboarding_queue_requested_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.symbol_onboarding_queue
    ADD CONSTRAINT symbol_onboarding_queue_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES public.users(id);


--
-- PostgreSQL database dump complete
--


