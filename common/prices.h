/*
 * prices.h - the daily closes the engine reads: one sorted, de-duplicated
 * series per symbol, as market_data_cache holds them.
 *
 * Owns: the in-memory price table (built row by row by a CSV file today, by
 * the store tomorrow), its validation rules (finite, non-negative closes; real
 * dates; last row wins on a duplicate (symbol, date), as the unique key makes
 * it in the database), and symbol lookup.
 * Must not: filter by pipeline, calendar or window (series.c does that).
 */
#ifndef SG_PRICES_H
#define SG_PRICES_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "csvfile.h"
#include "numfmt.h"

typedef struct sg_price {
    double close;
    int64_t coef; /* close = coef * 10^exp exactly, for Decimal arithmetic */
    sg_day day;
    int16_t exp;
} sg_price;

typedef struct sg_prices sg_prices;

/* Building: add rows in any order, then finish. */
sg_prices *sg_prices_new(void);
/* Adds one row; close_text is the decimal text of the close. Returns 0, or -1
 * with the reason ("negative close", ...) in *why. */
int sg_prices_add(sg_prices *p, const char *sym, size_t symlen, sg_day day, const char *close_text,
                  size_t close_len, const char **why);
/* Sorts, de-duplicates (the last added row of a (symbol, date) wins) and
 * orders symbols by name (byte order). Returns 0 or -1 (out of memory). */
int sg_prices_finish(sg_prices *p);
void sg_prices_free(sg_prices *p);

/* Loads the CSV format of make_prices.py: a header naming at least symbol,
 * date and close, in any order. Rows with an empty symbol or close are skipped
 * with a counted warning (the app cannot store them); any other bad row
 * rejects the file: NULL, with "path:line: reason" in err. A symbol must pass
 * sg_symbol_checkn with SG_SYMBOL_LOWER_OK: lower case is computed as written,
 * as oracle.py does (docs/engine.md). */
sg_prices *sg_prices_load_csv(const char *path, char *err, size_t errlen);
/* The same from an opened CSV (csvfile.h), read to its end and its bytes
 * released (sg_csv_release) before the rows are sorted; the caller closes it. */
sg_prices *sg_prices_read_csv(sg_csv *c, char *err, size_t errlen);

/* Reading, after finish. Symbols are indexed 0..count-1 in byte order. */
size_t sg_prices_count(const sg_prices *p);
const char *sg_prices_symbol(const sg_prices *p, size_t i);
long sg_prices_find(const sg_prices *p, const char *sym); /* -1 if absent */
const sg_price *sg_prices_rows(const sg_prices *p, size_t i, size_t *n);
/* The row of symbol i on day, or NULL. */
const sg_price *sg_prices_on(const sg_prices *p, size_t i, sg_day day);
size_t sg_prices_skipped(const sg_prices *p); /* rows skipped while loading */
size_t sg_prices_rows_total(const sg_prices *p);

/* The close's exact decimal value. */
void sg_price_dec(const sg_price *r, sg_dec *out);

#endif
