/*
 * store_io.h - the batch's reads and writes of the app's tables, set-based.
 *
 * Owns: one query for the closes of a set of symbols over a window, the
 * symbol list of a run (FACTOR_SPEC §1.2 step 3), company profiles, and the
 * writes of factor rows, metrics rows and the symbol_universe bookkeeping
 * (ensure_symbols_in_universe, last_factor_date), each as COPY into a
 * temporary table and one INSERT ... ON CONFLICT ... DO UPDATE on the natural
 * key. Writers run inside the caller's transaction: a unit of work commits as
 * a whole or not at all.
 * Must not: compute, or open transactions of its own.
 */
#ifndef SG_STORE_IO_H
#define SG_STORE_IO_H

#include "factors.h"
#include "metrics.h"
#include "store.h"

/* Closes of symbols[0..n) in [from, to], all stored rows (pipelines filter
 * later). NULL with err on failure. */
sg_prices *sg_store_load_prices(sg_store *s, const char *const *symbols, size_t n, sg_day from, sg_day to,
                                char *err, size_t errlen);
sg_profiles *sg_store_load_profiles(sg_store *s, char *err, size_t errlen);

/* The symbols of a run on calc: open PUBLIC positions of live portfolios and
 * the active universe, less inactive and private symbols and expired options,
 * plus SPY TLT GLD USO UUP; upper-cased, sorted. A listed symbol that is not a
 * valid symbol (sg_symbol_check: positions.symbol is VARCHAR(100), anything
 * can be in it) is not in out but in refused, as its reason, so that it fails
 * alone. Free both with sg_strings_free. */
int sg_store_symbol_list(sg_store *s, sg_day calc, char ***out, size_t *n, char ***refused, size_t *nrefused, char *err,
                         size_t errlen);
void sg_strings_free(char **v, size_t n);

/* ensure_symbols_in_universe (FACTOR_SPEC §10): new symbols inserted active
 * with first/last_seen_date = calc and added_source (NULL keeps the app's
 * NULL); existing ones get last_seen_date = calc unless it is newer already
 * (bookkeeping dates never move back). */
int sg_store_ensure_symbols(sg_store *s, const char *const *symbols, size_t n, sg_day calc,
                            const char *added_source, char *err, size_t errlen);
/* Factor rows of calc, upserted on (symbol, factor_id, calculation_date);
 * last_factor_date = calc for the symbols that got a row, unless newer. The
 * factor names are looked up in factor_definitions first: a missing name is
 * an error (nothing of it is written), never a silent drop; the rows are
 * counted back after the upsert. Values must fit (sg_store_screen_factors):
 * one that does not is an error naming it, not PostgreSQL's overflow. */
int sg_store_write_factors(sg_store *s, const char *const *symbols, const sg_factor_result *res, sg_day calc,
                           double alpha, char *err, size_t errlen);
/* Metrics rows, upserted on symbol (one row per symbol, the latest): a stored
 * row of a later metrics_date is kept, and *kept_newer (may be NULL) counts
 * those. Values must fit (sg_store_screen_metrics). */
int sg_store_write_metrics(sg_store *s, const char *const *symbols, size_t n, sg_day calc,
                           const sg_metrics_row *rows, size_t *kept_newer, char *err, size_t errlen);

/* ---- prices from providers ---- */

/* What to fetch for a symbol on D, as the app decides it: fewer than 50
 * stored rows in the last 365 days -> a full year [D-365, D]; otherwise from
 * its last stored date (gap-fill and incremental); a row on D -> skip. */
typedef struct sg_fetch_window {
    sg_day from, to;
    bool skip;
    bool incremental; /* from is the last stored day (not skip, and not a full year) */
    long recent_rows; /* rows in (D-365, D], counted up to 50 (all the rule needs) */
} sg_fetch_window;

int sg_store_fetch_windows(sg_store *s, const char *const *symbols, size_t n, sg_day calc, sg_fetch_window *out,
                           char *err, size_t errlen);
/* A symbol's bars in one transaction: upserted on (symbol, date), the symbol
 * registered (added_source 'batch' when new) and its last_price_date moved
 * forward, all committed together or not at all. */
struct sg_bars;
int sg_store_write_bars(sg_store *s, const char *symbol, const struct sg_bars *bars, const char *data_source,
                        char *err, size_t errlen);
/* The same for many symbols' bars at once (a bulk day: 10,000 rows): one
 * COPY into a temporary table, one upsert of market_data_cache and one of
 * symbol_universe, rows in key order (concurrent writers never deadlock),
 * in the caller's transaction. The stored rows are those
 * sg_store_write_bars stores for the same bars (the same text for every
 * value, the same data_source). (symbol, date) pairs must be distinct. */
struct sg_bar;
int sg_store_write_bar_rows(sg_store *s, const char *const *symbols, const struct sg_bar *bars, size_t n,
                            const char *data_source, char *err, size_t errlen);
/* complete[i]: every NYSE trading day in (from[i], calc] has a stored row
 * of symbols[i] (the window a run planned is filled). */
int sg_store_days_complete(sg_store *s, const char *const *symbols, const sg_day *from, size_t n, sg_day calc,
                           bool *complete, char *err, size_t errlen);

/* ---- what fits the columns ---- */

/* The NUMERIC(p,s) columns the batch writes: the one place their limits live
 * (schemas/tables.sql; tests/store/values_test.sh compares them with the
 * catalog). A value fits when |value rounded to s digits| < 10^(p-s). */
typedef enum sg_numcol {
    SG_COL_EXPOSURE_BETA, SG_COL_EXPOSURE_R2, SG_COL_EXPOSURE_ALPHA,
    SG_COL_METRICS_PRICE, SG_COL_METRICS_RETURN, SG_COL_METRICS_MARKET_CAP, SG_COL_METRICS_PE,
    SG_COL_METRICS_FACTOR, SG_COL_METRICS_QUALITY,
    SG_COL_PROFILE_MARKET_CAP, SG_COL_PROFILE_PE, SG_COL_PROFILE_BETA,
    SG_COL_PRICE,
    SG_NUMCOLS
} sg_numcol;

typedef struct sg_numcol_def {
    const char *table, *column;
    int precision, scale;
} sg_numcol_def;

extern const sg_numcol_def sg_numcols[SG_NUMCOLS];

/* NULL when v fits col; otherwise why, for example "1250000 does not fit
 * symbol_daily_metrics.pe_ratio NUMERIC(10,4) (|value| < 10^6)". */
const char *sg_numcol_check_dec(sg_numcol col, const sg_dec *v, char *why, size_t whylen);
const char *sg_numcol_check_double(sg_numcol col, double v, char *why, size_t whylen);

/* Factor rows whose beta or R-squared does not fit symbol_factor_exposures
 * leave the result and become failures of their (symbol, step), the reason
 * naming factor, value and column: one absurd value never sinks the others.
 * Returns the number of rows dropped, or -1 with err (out of memory). */
long sg_store_screen_factors(sg_factor_result *res, char *err, size_t errlen);
/* Metrics values that do not fit symbol_daily_metrics become NULL (the
 * column's "unknown", as for a missing reference close), each logged as a
 * warning naming symbol, column and value; a return_1d made NULL no longer
 * counts in data_quality_score. Returns the number of values made NULL. */
size_t sg_store_screen_metrics(const char *const *symbols, sg_metrics_row *rows, size_t n);

/* The stored closes of symbols[0..n): count, first and last date (NULL days
 * as 0 when none). For messages about dates outside the data. */
int sg_store_price_range(sg_store *s, const char *const *symbols, size_t n, long *rows, sg_day *first,
                         sg_day *last, char *err, size_t errlen);

/* Private ("_", ^EQ[A-F0-9]{8,}$) or an OCC option that expired before calc. */
bool sg_symbol_excluded(const char *symbol, sg_day calc);

#endif
