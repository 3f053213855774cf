-- The state status_test.sh reads: two runs (one closed, one open at factors),
-- outcomes with awkward reasons, an onboarding queue in every state, two
-- workers (one alive, one gone), factor rows and universe rows for the
-- symbol statuses. Times the tests compare exactly are fixed; ages are
-- relative to now().
INSERT INTO sigma_runs (batch_run_id, calc_date, symbols, phase, fanned_out, phase_started_at, created_at, closed_at)
VALUES ('nightly-2025-07-14-r1', '2025-07-14', '{AAA,BBB}', 'done', true,
        '2025-07-14 22:00:09.5+00', '2025-07-14 22:00:00+00', '2025-07-14 22:00:09.5+00');
INSERT INTO batch_run_history (batch_run_id, triggered_by, started_at, completed_at, status, total_jobs, completed_jobs,
                               failed_jobs, phase_durations, error_summary)
VALUES ('nightly-2025-07-14-r1', 'sigma-producer:test', '2025-07-14 22:00:00+00', '2025-07-14 22:00:09.5+00',
        'completed', 6, 6, 0, '{"prices": 4.5, "factors": 3.25, "metrics": 1.75}',
        '{"batch_type": "nightly", "calc_date": "2025-07-14"}');
INSERT INTO sigma_run_outcomes (batch_run_id, phase, symbol, attempt, outcome, reason, recorded_at)
SELECT 'nightly-2025-07-14-r1', p, s, 1, 'ok', NULL, '2025-07-14 22:00:05+00'
FROM unnest('{prices,factors,metrics}'::text[]) p, unnest('{AAA,BBB}'::text[]) s;

-- The latest run: prices done (3 ok, 2 failed), factors running for 2 s
-- (1 ok, 1 failed, 2 pending), metrics waiting (4 symbols: the run's list).
INSERT INTO sigma_runs (batch_run_id, calc_date, symbols, phase, fanned_out, phase_started_at, created_at)
VALUES ('nightly-2025-07-15-r2', '2025-07-15', '{AAA,BBB,CCC,DDD}', 'factors', true, now() - interval '2 s',
        '2025-07-15 22:00:00+00');
INSERT INTO batch_run_history (batch_run_id, triggered_by, started_at, status, total_jobs, phase_durations, error_summary)
VALUES ('nightly-2025-07-15-r2', 'sigma-producer:test', '2025-07-15 22:00:00+00', 'running', 13,
        '{"prices": 3.214}', '{"batch_type": "nightly", "calc_date": "2025-07-15"}');
INSERT INTO sigma_run_outcomes (batch_run_id, phase, symbol, attempt, outcome, reason, recorded_at) VALUES
 ('nightly-2025-07-15-r2', 'prices', 'AAA', 1, 'ok', NULL, now()),
 ('nightly-2025-07-15-r2', 'prices', 'BBB', 1, 'failed', '<script>alert(1)</script>', now()),
 ('nightly-2025-07-15-r2', 'prices', 'CCC', 1, 'failed', E'he said "no" & it''s \'bad\'\nsecond line', now()),
 ('nightly-2025-07-15-r2', 'prices', 'DDD', 1, 'ok', NULL, now()),
 ('nightly-2025-07-15-r2', 'prices', 'SPY', 1, 'ok', NULL, now()),
 ('nightly-2025-07-15-r2', 'factors', 'AAA', 1, 'ok', NULL, now()),
 ('nightly-2025-07-15-r2', 'factors', 'BBB', 1, 'failed', 'ridge: Insufficient aligned data: 19 days', now()),
 ('nightly-2025-07-15-r2', 'factors', 'CCC', 1, NULL, NULL, NULL),
 ('nightly-2025-07-15-r2', 'factors', 'DDD', 1, NULL, NULL, NULL);

-- Its bulk days: one stored, one failed, one not answered yet (the prices phase
-- is done: whatever waits is counted all the same), no symbol waiting.
INSERT INTO sigma_run_bulk (batch_run_id, day, attempt, outcome, reason, rows_written, recorded_at) VALUES
 ('nightly-2025-07-15-r2', '2025-07-14', 1, 'ok', NULL, 4, now()),
 ('nightly-2025-07-15-r2', '2025-07-11', 1, 'failed', 'polygon: HTTP 503', NULL, now()),
 ('nightly-2025-07-15-r2', '2025-07-10', 1, NULL, NULL, NULL, NULL);

-- The queue: two completed rows (2 s and 1 s of processing: D = 1.5 s, and
-- their completions 29 s apart, an idle gap counted as D), one processing
-- since 1 s, two pending (NEWB high, so ahead of NEWA), one failed.
INSERT INTO symbol_onboarding_queue (symbol, status, priority, error_message, created_at, started_at, completed_at, attempts) VALUES
 ('DONE1', 'completed', 'normal', NULL, now() - interval '61 s', now() - interval '60 s', now() - interval '58 s', 1),
 ('done2', 'completed', 'normal', NULL, now() - interval '31 s', now() - interval '30 s', now() - interval '29 s', 1),
 ('PROC', 'processing', 'normal', NULL, now() - interval '2 s', now() - interval '1 s', NULL, 1),
 ('NEWA', 'pending', 'normal', NULL, now() - interval '5 s', NULL, NULL, 0),
 ('NEWB', 'pending', 'high', NULL, now() - interval '1 s', NULL, NULL, 0),
 ('ZZZZ', 'failed', 'normal', E'unknown symbol ZZZZ: <b>no</b> provider\nserves it', '2025-07-15 21:00:00+00',
  '2025-07-15 21:00:01+00', '2025-07-15 21:00:02+00', 1);

-- Symbols with factor rows (AAA, DONE1) and one registered without any (UNIV).
INSERT INTO symbol_universe (symbol, added_source) VALUES ('AAA', 'batch'), ('DONE1', 'onboarding'), ('UNIV', 'batch');
INSERT INTO symbol_factor_exposures (symbol, factor_id, calculation_date, beta_value, calculation_method)
SELECT s, (SELECT id FROM factor_definitions ORDER BY display_order LIMIT 1), d, 0.5, 'ridge_regression'
FROM (VALUES ('AAA', date '2025-07-14'), ('AAA', date '2025-07-15'), ('DONE1', date '2025-07-15')) v(s, d);

-- Workers: w1 alive with two partitions (lag 5 and 7), w2 not seen for a minute.
INSERT INTO sigma_workers (id, host, pid, http, partitions, lag, lag_total, started_at, seen_at) VALUES
 ('hostA:101', 'hostA', 101, '127.0.0.1:40123', '{sigma.tasks/0,sigma.tasks/1}',
  '{"sigma.tasks/0": 5, "sigma.tasks/1": 7}', 12, now() - interval '1 h', now()),
 ('hostB:202', 'hostB', 202, NULL, '{sigma.tasks/2}', '{"sigma.tasks/2": 100}', 100, now() - interval '2 h',
  now() - interval '1 min');
