/*
 * metrics.h - symbol_daily_metrics rows (FACTOR_SPEC §11).
 *
 * Owns: the price lookups and returns of a metrics row in two modes, the
 * profile and factor columns, and the data quality score.
 *   app      equals the app (and oracle.py --metrics): exact-date lookups on
 *            the previous weekday, the 1st of the month, Jan 1, D-30/90/365.
 *   trading  the corrected semantics of DESIGN.md §6 (docs/engine.md): the
 *            last close on or before the previous trading day, the last day of
 *            the previous month / year, and D-30/90/365.
 * Must not: compute factor rows (it copies the engine's).
 */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "factors.h"
#include "numfmt.h"

typedef enum sg_metrics_mode { SG_METRICS_TRADING, SG_METRICS_APP } sg_metrics_mode;

/* A value as the app holds it: NULL, a float, or a Decimal. */
typedef enum sg_num_kind { SG_NUM_NULL, SG_NUM_FLOAT, SG_NUM_DEC } sg_num_kind;
typedef struct sg_num {
    sg_num_kind kind;
    double f;
    sg_dec d;
} sg_num;

enum { SG_RET_1D, SG_RET_MTD, SG_RET_YTD, SG_RET_1M, SG_RET_3M, SG_RET_1Y, SG_NRETURNS };
#define SG_METRIC_FACTORS 10 /* factor_value .. factor_quality_spread */

extern const char *const sg_metric_return_columns[SG_NRETURNS];
extern const char *const sg_metric_factor_columns[SG_METRIC_FACTORS];

typedef struct sg_metrics_row {
    uint32_t sym;
    sg_num current_price;
    sg_num ret[SG_NRETURNS];
    sg_num market_cap, pe_ratio;
    const char *sector, *industry, *company_name; /* borrowed from the profiles */
    sg_num factor[SG_METRIC_FACTORS];
    int data_quality_score;
} sg_metrics_row;

/* One row per symbol, in the order given. factors holds the engine's rows for
 * the same symbols and date. Returns the rows (free()) or NULL on OOM. */
sg_metrics_row *sg_metrics_compute(const sg_prices *px, const char *const *symbols, size_t nsym,
                                   sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline,
                                   const sg_factor_result *factors, const sg_profiles *profiles);

#endif
