/*
 * onboard.h - what a worker does for an onboarding task: one row of
 * symbol_onboarding_queue (DESIGN.md §4; docs/pipeline.md, "Onboarding").
 *
 * Owns: the row's outcome. A row already completed or failed (a duplicate
 * task) is left as it is. Otherwise: the symbol's history through the
 * providers' cascade (the fetch window rules: a full year [D-365, D] for a
 * symbol with little stored), its bars stored, its factor rows computed with
 * the onboarding pipeline (FACTOR_SPEC §1.1) from its stored closes and the
 * factor ETFs', then ONE transaction: symbol_universe upserted (added_source
 * 'onboarding' when new, active), the factor rows, the row `completed`. Or the
 * row `failed` with an error_message a person understands (what was tried,
 * what each provider answered, what the engine said).
 * Must not: emit events (an onboarding task belongs to no run), talk to Kafka,
 * or mark a row failed for a transient cause (the database unreachable, the
 * fetch machinery broken: the batch is retried).
 */
#ifndef WK_ONBOARD_H
#define WK_ONBOARD_H

#include <stdbool.h>

#include "messages.h"
#include "phases.h"

/* The queue row's id (a uuid) from the task's run ("onboard-<uuid>"); false
 * when the run is not of that form (the task is a dead letter). */
bool wk_onboard_row_id(const char *run, char id[37]);

/* Onboards t->symbol for the queue row of t->run on t->date. 0 with the
 * outcome in *out (for the log: ok, or failed with the row's message), or -1
 * with err when the batch must be retried (transient). */
int wk_onboard_run(wk_env *env, const sg_task *t, wk_outcome *out, char *err, size_t errlen);

#endif
