-- 0004 down: what 0004 made, nothing else (batch_run_history rows stay: the app's).
DROP TRIGGER sigma_run_requests_notify ON sigma_run_requests;
DROP FUNCTION sigma_run_requests_notify();
DROP TABLE sigma_run_outcomes;
DROP TABLE sigma_runs;
DROP TABLE sigma_run_requests;
