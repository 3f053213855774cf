/*
 * series.h - from stored closes to the return series the regressions read
 * (FACTOR_SPEC §1.1 and §2: the app's three data paths and get_returns).
 *
 * Owns: which stored rows a pipeline sees (v2 and v1: the price cache, closes
 * > 0 on NYSE days inside [D-200, D] or [D-366, D]; onboarding: every stored
 * row), simple returns over a symbol's own kept dates (gap semantics), and the
 * date-aligned return sets of the factor ETFs.
 * Must not: regress, or decide which symbols to compute.
 */
#ifndef SG_SERIES_H
#define SG_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"
#include "prices.h"

typedef enum sg_pipeline { SG_PIPELINE_V2, SG_PIPELINE_V1, SG_PIPELINE_ONBOARDING } sg_pipeline;

int sg_pipeline_parse(const char *s, sg_pipeline *out); /* 0 or -1 */
const char *sg_pipeline_name(sg_pipeline p);

/* Lookback of the metrics' trading mode and of v1: enough for a 1y return. */
#define SG_LOOKBACK_MAX 400

typedef struct sg_datapath {
    const sg_prices *px;
    sg_pipeline pipeline;
    sg_day calc;
    bool cache;         /* price-cache path */
    sg_day cache_start; /* first day the cache holds */
    sg_day tlo;         /* trading[] covers [tlo, calc] */
    unsigned char trading[SG_LOOKBACK_MAX + 1];
} sg_datapath;

void sg_datapath_init(sg_datapath *dp, const sg_prices *px, sg_pipeline pipeline, sg_day calc);

/* The price row the path sees for symbol sym on day, or NULL (on the cache
 * path: close > 0 inside the cache window, any weekday, as PriceCache.get_price). */
const sg_price *sg_path_price_on(const sg_datapath *dp, long sym, sg_day day);

/* Closes of symbol index sym the path keeps in [start, calc], in date order.
 * days/closes need room for calc - start + 1 entries. Returns the count. */
size_t sg_path_closes(const sg_datapath *dp, long sym, sg_day start, sg_day *days, double *closes);

/* r_t = P_t / P_prev - 1 over consecutive kept rows, dropping NaN (0 -> 0);
 * inf (0 -> x) is kept, as pandas' dropna keeps it. Returns the count. */
size_t sg_returns(const sg_day *days, const double *closes, size_t n, sg_day *rdays, double *r);

/* Returns of one symbol over [start, calc]; buffers as sg_path_closes. */
size_t sg_path_returns(const sg_datapath *dp, long sym, sg_day start, sg_day *rdays, double *r);

/* Aligned returns of a set of symbols (get_returns with align_dates=True):
 * a symbol with no row in the window has no column; dates missing in any
 * column are dropped before returns are taken. */
#define SG_RETSET_MAX 8
typedef struct sg_retset {
    int k;                         /* symbols asked for */
    bool present[SG_RETSET_MAX];   /* has a column */
    size_t n;                      /* aligned return dates */
    sg_day *days;                  /* [n] */
    double *r[SG_RETSET_MAX];      /* [n] each, NULL when absent */
} sg_retset;

int sg_retset_build(const sg_datapath *dp, const char *const *symbols, int k, sg_day start, sg_retset *out);
void sg_retset_free(sg_retset *rs);

#endif
