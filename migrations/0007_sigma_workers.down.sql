-- 0007 down: the table 0007 made.
DROP TABLE IF EXISTS sigma_workers;
