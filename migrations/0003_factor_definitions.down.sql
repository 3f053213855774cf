-- 0003 down: removes the definitions 0003 inserted (and their exposure rows,
-- which cannot exist without them); definitions the database held before stay.
DELETE FROM symbol_factor_exposures e
USING factor_definitions f, sigmabatch_seeded_factors s
WHERE e.factor_id = f.id AND f.name = s.name;
DELETE FROM factor_definitions f USING sigmabatch_seeded_factors s WHERE f.name = s.name;
DROP TABLE sigmabatch_seeded_factors;
