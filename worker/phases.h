/*
 * phases.h - what a worker does for one group of tasks: the symbols of one
 * (run, phase, date) in a batch, processed set-based (contract "Phases").
 *
 * Owns: prices (fetch windows, the providers' cascade, each symbol's bars in
 * its own unit of work, as `sigmactl fetch`), factors and metrics (one read,
 * one engine call, one unit of work for the group's rows, through
 * common/compute: the rows `sigmactl compute` stores), and the outcome of
 * every symbol: ok with the rows written, or failed with a reason a person
 * understands. Tells transient failures (the database unreachable past
 * sg_store_unit's retries) apart from permanent ones.
 * Must not: talk to Kafka, or answer for a symbol when the group failed for a
 * transient reason (the batch is retried; nothing of it is answered).
 */
#ifndef WK_PHASES_H
#define WK_PHASES_H

#include <stddef.h>
#include <stdint.h>

#include "messages.h"
#include "providers.h"
#include "store.h"

typedef struct wk_outcome {
    sg_outcome outcome;
    int64_t rows;
    char reason[SG_MSG_REASON_MAX + 1]; /* required when failed; a note (or empty) when ok */
} wk_outcome;

typedef struct wk_env {
    sg_store *store;
    sg_provider order[SG_NPROVIDERS]; /* the cascade (setting provider.order) */
    int norder;
} wk_env;

/* No planned window: the prices phase computes the symbol's own. */
#define WK_NO_FROM (-1)

/* Runs phase on date D for symbols[0..n) (distinct), filling out[0..n).
 * from[i] (prices): the window the run planned for symbols[i] (a task's
 * from: [from, D], fetched unless every NYSE trading day in (from, D] is
 * stored), or WK_NO_FROM; from may be NULL. Returns 0 when every symbol has
 * its outcome, or -1 with err when the group must be retried later
 * (transient): then no outcome is meaningful. */
int wk_phase_run(wk_env *env, sg_phase phase, sg_day date, const char *const *symbols, const sg_day *from, size_t n,
                 wk_outcome *out, char *err, size_t errlen);

#endif
