-- 0008 down: the table and the columns 0008 made.
DROP INDEX IF EXISTS sigma_run_outcomes_unpublished;
DROP TABLE IF EXISTS sigma_run_bulk;
ALTER TABLE sigma_run_outcomes DROP COLUMN IF EXISTS fetch_from, DROP COLUMN IF EXISTS stage;
