/*
 * bulk.h - a market day's daily bars for every symbol in one request:
 * Polygon's grouped daily bars and FMP's bulk end-of-day prices
 * (docs/providers.md, "Bulk: a market day in one request").
 *
 * Owns: both bulk formats (Polygon's JSON through jansson, FMP's CSV in one
 * pass over the body), every row validated as the per-symbol path validates a
 * bar (providers.h: the trading day, finite prices > 0, high >= low, what
 * NUMERIC(12,4) and INTEGER hold), a ticker the answer repeats refused;
 * which provider serves a run's bulk days (the first of provider.order with a
 * bulk endpoint and an API key, unless provider.bulk is 0); and the plan of a
 * run: which market days enough symbols need (provider.bulk_min_symbols) to
 * be fetched in bulk, and which symbols need nothing else.
 * Must not: do I/O (fetcher.c fetches, store_io.c stores, runs.c keeps the
 * plan in the ledger), or decide anything for a symbol the answer lacks: the
 * caller sends it to the per-symbol path.
 */
#ifndef SG_BULK_H
#define SG_BULK_H

#include <stdbool.h>
#include <stddef.h>

#include "providers.h"
#include "symbols.h"

typedef struct sg_bulk_row {
    char symbol[SG_SYMBOL_MAX + 1];
    sg_bar bar;
    char why[96]; /* "" when storable; else why not ("high below low", "appears 2 times in the answer") */
} sg_bulk_row;

typedef struct sg_bulk {
    sg_bulk_row *v;     /* sorted by symbol (byte order), each symbol once */
    size_t n, cap;
    size_t rows;        /* data rows in the answer */
    size_t not_symbols; /* rows without a valid symbol (lower case, '/', no ticker): no run holds them */
    size_t bad;         /* entries of v that are not storable */
} sg_bulk;

void sg_bulk_free(sg_bulk *b);

/* Parses a bulk answer of provider p for day. OK: out holds its rows (maybe
 * none: a day without data yet); BAD: the answer as a whole is unusable (not
 * the format, an error message, an adjusted or cut answer), err says why and
 * out is empty. A row that fails validation is kept with its reason, so the
 * caller can tell "not in the answer" from "refused". err and the reasons
 * quote the answer only through sg_server_text: no API key. */
sg_answer sg_bulk_parse(sg_provider p, const char *body, size_t len, sg_day day, sg_bulk *out, char *err,
                        size_t errlen);
/* The row of symbol, or NULL when the answer has none. */
const sg_bulk_row *sg_bulk_find(const sg_bulk *b, const char *symbol);

/* The provider of a run's bulk days: the first of order[] with a bulk
 * endpoint and its API key set; false when there is none or provider.bulk
 * is 0 (then everything is fetched per symbol, as before). */
bool sg_bulk_provider(const sg_provider *order, int norder, sg_provider *out);
/* Why there is none, for a message ("provider.bulk is 0", "no provider of
 * provider.order (yahoo) has a bulk endpoint and an API key ..."). */
const char *sg_bulk_none_reason(const sg_provider *order, int norder, char *buf, size_t len);

/* ---- the plan of a run ---- */

#define SG_BULK_HORIZON 366 /* days back from the run's date a plan looks (an incremental symbol stored a row within the year) */

/* A symbol of the run on calc: incremental when its fetch window starts at
 * its last stored day (store_io.h, sg_fetch_window: at least 50 rows in the
 * last year, calc not stored); then it misses the NYSE trading days in
 * (last, calc]. Every other symbol (calc stored, a year of history to fetch)
 * takes no part in the plan. */
typedef struct sg_bulk_need {
    bool incremental;
    sg_day last;
} sg_bulk_need;

typedef struct sg_bulk_plan {
    sg_day *days;  /* the market days fetched in bulk, ascending */
    size_t ndays;
    bool *waits;   /* per symbol: it misses at least one day, and only bulk days */
    size_t nwaiting;
} sg_bulk_plan;

/* A day is fetched in bulk when at least min_symbols incremental symbols
 * miss it; a symbol waits for the bulk when every day it misses is one of
 * those (a symbol that misses another day too is fetched alone, whole
 * window: one request either way). Returns 0, or -1 when out of memory. */
int sg_bulk_plan_make(const sg_bulk_need *need, size_t n, sg_day calc, long min_symbols, sg_bulk_plan *out);
void sg_bulk_plan_free(sg_bulk_plan *p);

#endif
