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
 * NULL); existing ones get last_seen_date = calc. */
int sg_store_ensure_symbols(sg_store *s, const char *const *symbols, size_t n, sg_day calc,
                            const char *added_source, char *err, size_t errlen);
/* Factor rows of calc, upserted on (symbol, factor_id, calculation_date);
 * last_factor_date = calc for the symbols that got a row. */
int sg_store_write_factors(sg_store *s, const char *const *symbols, const sg_factor_result *res, sg_day calc,
                           double alpha, char *err, size_t errlen);
/* Metrics rows, upserted on symbol (one row per symbol, the latest). */
int sg_store_write_metrics(sg_store *s, const char *const *symbols, size_t n, sg_day calc,
                           const sg_metrics_row *rows, char *err, size_t errlen);

/* ---- prices from providers ---- */

/* What to fetch for a symbol on D, as the app decides it: fewer than 50
 * stored rows in the last 365 days -> a full year [D-365, D]; otherwise from
 * its last stored date (gap-fill and incremental); a row on D -> skip. */
typedef struct sg_fetch_window {
    sg_day from, to;
    bool skip;
    long recent_rows; /* rows in (D-365, D] */
} sg_fetch_window;

int sg_store_fetch_windows(sg_store *s, const char *const *symbols, size_t n, sg_day calc, sg_fetch_window *out,
                           char *err, size_t errlen);
/* A symbol's bars in one transaction: upserted on (symbol, date), the symbol
 * registered (added_source 'batch' when new) and its last_price_date moved
 * forward, all committed together or not at all. */
struct sg_bars;
int sg_store_write_bars(sg_store *s, const char *symbol, const struct sg_bars *bars, const char *data_source,
                        char *err, size_t errlen);

/* Private ("_", ^EQ[A-F0-9]{8,}$) or an OCC option that expired before calc. */
bool sg_symbol_excluded(const char *symbol, sg_day calc);

#endif
