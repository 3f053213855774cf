/*
 * bulkday.h - what a worker does for a prices_bulk task: one market day's bars,
 * in one request, for every symbol of the run that waits for that day
 * (docs/pipeline.md, "Bulk days").
 *
 * Owns: the provider (common/bulk.h: the first of provider.order with a
 * bulk endpoint and a key), the request (the fetcher: politeness, retries of
 * 429, 5xx and timeouts, the group's budget), and ONE transaction that
 * share-locks the run, reads who waits for the day, and stores the answer's
 * rows of those symbols (COPY and one upsert; last_price_date moves with
 * them), then the outcome: ok with the symbols stored (and a note of the
 * missing and refused ones), or failed with why the provider did not answer.
 * Either way the coordinator decides per symbol from what is stored.
 * Must not: store a ticker nobody waits for, answer before the commit, or
 * fail the task for a transient cause (the database unreachable: retried).
 */
#ifndef WK_BULKDAY_H
#define WK_BULKDAY_H

#include "messages.h"
#include "phases.h"

/* Runs the bulk task t (phase prices_bulk). 0 with the outcome in *out, or
 * -1 with err when the batch must be retried (transient). */
int wk_bulk_run(wk_env *env, const sg_task *t, wk_outcome *out, char *err, size_t errlen);

#endif
