-- 0005 down: what 0005 made, nothing else (the queue and its rows are the app's).
DROP TRIGGER symbol_onboarding_queue_notify ON symbol_onboarding_queue;
DROP FUNCTION symbol_onboarding_queue_notify();
DROP INDEX symbol_onboarding_queue_processing;
DROP INDEX symbol_onboarding_queue_claim;
ALTER TABLE symbol_onboarding_queue DROP COLUMN attempts;
