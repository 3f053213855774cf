/*
 * relay.h - the onboarding relay of sigma-producer (DESIGN.md §3;
 * docs/pipeline.md, "Onboarding"): symbol_onboarding_queue onto Kafka.
 *
 * Owns: claiming pending queue rows (FOR UPDATE SKIP LOCKED, priority high,
 * normal, low by meaning, then created_at), failing the rows whose symbol is
 * not a plausible ticker (never published), publishing one onboarding task per
 * other row (key = the symbol, run = onboard-<row id>), and only after the
 * broker acknowledged it marking the row processing with started_at and one
 * more attempt, in the transaction that holds the claim; publishing again a
 * row processing past onboarding.timeout_s, and failing it after
 * onboarding.attempts publications.
 * Must not: fetch or compute anything, set a row completed (workers do), or
 * touch a row it has not claimed.
 */
#ifndef PR_RELAY_H
#define PR_RELAY_H

#include <stddef.h>

#include "bus.h"
#include "store.h"

/* The channel the queue's trigger notifies (migration 0005). */
#define PR_RELAY_CHANNEL "symbol_onboarding_queue"
/* The run id of a queue row's task: "onboard-" + the row's uuid. */
#define PR_RELAY_RUN_PREFIX "onboard-"

typedef struct pr_relay_counts {
    long published;   /* first publications, acknowledged and marked */
    long republished; /* rows processing past the timeout, published again */
    long refused;     /* failed: not a plausible ticker */
    long given_up;    /* failed: no worker answered after the last attempt */
    long unacked;     /* published but not acknowledged: left as they were */
} pr_relay_counts;

/* Claims and handles rows until none is left (each claim its own
 * transaction of at most onboarding.claim_max rows). Adds to *counts.
 * 0, or -1 with err (a database error; the rows stay as they were). */
int pr_relay_round(sg_store *s, sg_bus *b, pr_relay_counts *counts, char *err, size_t errlen);

#endif
