/*
 * compute.h - "compute and write the factor and metrics rows of these symbols
 * on D" from the database: the one code path of `sigmactl compute` and of the
 * worker's factors and metrics phases, so both store the same rows.
 *
 * Owns: the read (the closes of the symbols and of the 8 factor ETFs over the
 * longest lookback, one query; the company profiles), the engine calls in the
 * order compute has always made them (factors, values that do not fit their
 * columns screened out, then metrics fed by those factor rows), and the
 * writes as bodies of a unit of work.
 * Must not: open transactions (the caller's sg_store_unit does), choose the
 * symbols, or log per-symbol outcomes (callers report them their own way).
 */
#ifndef SG_COMPUTE_H
#define SG_COMPUTE_H

#include <stdbool.h>

#include "factors.h"
#include "metrics.h"
#include "store.h"

typedef struct sg_compute {
    sg_prices *px;
    sg_profiles *prof;
    const char *const *symbols; /* not owned: must outlive the compute */
    size_t nsym;
    sg_factor_result res;
    sg_metrics_row *mrows; /* NULL until sg_compute_metrics */
    long misfits;          /* factor rows dropped by the screen: the last failures of res */
    size_t nulled;         /* metrics values made NULL by the screen */
} sg_compute;

/* Reads the closes of symbols[0..n) and the factor ETFs in
 * [calc - SG_LOOKBACK_MAX, calc] and every profile; frees what an earlier
 * call loaded (a unit of work may run it twice). 0, or -1 with err. */
int sg_compute_load(sg_compute *c, sg_store *s, const char *const *symbols, size_t n, sg_day calc, char *err,
                    size_t errlen);
/* Whether any loaded symbol has a close in [calc - 7, calc]: a date outside
 * the data would only write NULL metrics. */
bool sg_compute_has_data(const sg_compute *c, sg_day calc);
#define SG_COMPUTE_RECENT_DAYS 7

/* The factor engine (alpha 1.0), then the screen of values that do not fit
 * their columns (their rows become failures). 0, or -1 with err (OOM). */
int sg_compute_factors(sg_compute *c, sg_day calc, sg_pipeline pipeline, char *err, size_t errlen);
/* Metrics from the prices and the factor rows; NULLs for misfits. */
int sg_compute_metrics(sg_compute *c, sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline, char *err,
                       size_t errlen);

/* Bodies of units of work: the symbols registered (added_source 'batch') and
 * the factor rows; the metrics rows (kept_newer may be NULL). */
int sg_compute_write_factors(sg_store *s, const sg_compute *c, sg_day calc, char *err, size_t errlen);
int sg_compute_write_metrics(sg_store *s, const sg_compute *c, sg_day calc, size_t *kept_newer, char *err,
                             size_t errlen);

/* Factor rows of symbol i, and its failures joined ("ridge: ...; spread: ...")
 * into why (cut at whylen, on a character boundary). */
size_t sg_compute_symbol_rows(const sg_compute *c, size_t i);
void sg_compute_symbol_why(const sg_compute *c, size_t i, char *why, size_t whylen);

void sg_compute_free(sg_compute *c);

#endif
