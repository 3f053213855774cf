/*
 * synth.h - a deterministic synthetic market: the eight factor ETFs and N
 * stocks as daily OHLCV bars on NYSE trading days, and the two formats they are
 * written in (the prices CSV of make_prices.py, Yahoo Finance chart v8 JSON).
 *
 * Owns: the latent factor model (market + 6 styles + rates, as make_prices.py),
 * its own PRNG (splitmix64 seeding xoshiro256**) and math (polar normals, log
 * and exp from + - * / and sqrt only), so the same options give the same bytes
 * on every IEEE-754 machine; price rounding to 4 decimals; the US Eastern UTC
 * offset of a date; the text of the CSV rows and of a chart document.
 * Must not: open files, create directories, log, or use rand(), libm's
 * transcendental functions or the C library's time zone (sigmactl synth does
 * the I/O; the rest would make the output machine-dependent).
 *
 * Every symbol has its own random stream, keyed by (seed, ETF or stock
 * number): a stock's bars do not depend on --symbols, nor on which other
 * symbols are generated, nor on the order they are asked for.
 */
#ifndef SG_SYNTH_GEN_H /* not SG_SYNTH_H: tests/unit/synth.h, a test fixture, has that guard */
#define SG_SYNTH_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calendar.h"

#define SG_SYNTH_NETFS 8
#define SG_SYNTH_MAX_STOCKS 100000
#define SG_SYNTH_MIN_DAYS 2
#define SG_SYNTH_MAX_DAYS 5000
#define SG_SYNTH_SYMLEN 8 /* "S100000" + NUL */

typedef struct sg_synth_opts {
    size_t nstocks; /* S0001..; the number is zero-padded to at least 4 digits */
    size_t ndays;   /* trading days, the last on or before end */
    sg_day end;
    uint64_t seed;
} sg_synth_opts;

/* Prices in ticks of 0.0001 (the 4 decimals of market_data_cache). */
typedef struct sg_synth_bar {
    int64_t open, high, low, close;
    int64_t volume;
} sg_synth_bar;

typedef struct sg_synth sg_synth;

/* Builds the trading-day calendar and the latent factor returns. Returns NULL
 * with a reason in *why and errno EINVAL (bad options, or a window that would
 * start before the year 1) or ENOMEM. */
sg_synth *sg_synth_new(const sg_synth_opts *o, const char **why);
void sg_synth_free(sg_synth *u);

/* Symbols are indexed 0..nsymbols-1 in byte order of their names (the order
 * of prices.csv); ETFs and stocks interleave (QUAL < S0001 < SPY). */
size_t sg_synth_nsymbols(const sg_synth *u);
const char *sg_synth_symbol(const sg_synth *u, size_t i);
bool sg_synth_is_etf(const sg_synth *u, size_t i);
size_t sg_synth_ndays(const sg_synth *u);
const sg_day *sg_synth_days(const sg_synth *u); /* ascending */

/* Fills bars[0..ndays-1] for symbol i and returns the close of the day
 * before the first bar (Yahoo's chartPreviousClose), in ticks. */
int64_t sg_synth_bars(const sg_synth *u, size_t i, sg_synth_bar *bars);

/* x * 10^4 rounded half away from zero, in ticks, exactly as the app rounds
 * to NUMERIC(.., 4) (numfmt's sg_fmt_db: Decimal(str(x)), so 0.00035 gives
 * 4 although its binary value is below the half). x finite, |x| < 10^8. */
int64_t sg_synth_round4(double x);

/* America/New_York's UTC offset on a date, in seconds (-14400 EDT, -18000
 * EST): DST from the second Sunday of March to the first Sunday of November
 * since 2007 (as providers.c's sg_new_york_offset), and by the earlier federal
 * rules before, so that old timestamps are the ones Yahoo gives. */
int sg_synth_utc_offset(sg_day day);
/* The NYSE session open, 09:30 New York time, as Unix seconds. */
int64_t sg_synth_session_open(sg_day day);

/* Writers: 0, or -1 when the stream reports an error (errno is stdio's). */
int sg_synth_write_csv_header(FILE *f);
/* The rows of symbol i, one per day: symbol,date,open,high,low,close,volume. */
int sg_synth_write_csv(FILE *f, const sg_synth *u, size_t i, const sg_synth_bar *bars);
/* The chart v8 document of symbol i, one line, as Yahoo shapes it. */
int sg_synth_write_yahoo(FILE *f, const sg_synth *u, size_t i, const sg_synth_bar *bars,
                         int64_t prev_close);

#endif
