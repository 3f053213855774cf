/*
 * budget.h - the providers' request budget shared by every process of the
 * group: one token bucket per provider in PostgreSQL (migration 0006,
 * sigma_provider_budget), so N workers together stay within a provider's
 * provider.X.rate / provider.X.burst whatever N is. docs/pipeline.md ("The
 * provider budget") tells the rule and its bound.
 * Owns: its own database connection (a take never lands inside someone's
 * transaction) and the call of sigma_budget_take, one short transaction each.
 * Must not: fetch, decide how many tokens to ask for (the fetcher does), or
 * hold a transaction open between takes.
 */
#ifndef SG_BUDGET_H
#define SG_BUDGET_H

#include <stddef.h>

#include "providers.h"

typedef struct sg_budget sg_budget;

/* Connects (conninfo NULL: the PG* environment). NULL with a reason. */
sg_budget *sg_budget_open(const char *conninfo, char *err, size_t errlen);
void sg_budget_close(sg_budget *b);

/* An sg_fetch_budget take (fetcher.h): up to want requests of provider p;
 * returns the number granted, with *wait_ms set when none; -1 with err. */
int sg_budget_take(void *budget, sg_provider p, double rate, double burst, int want, double *wait_ms, char *err,
                   size_t errlen);

#endif
