/*
 * sgt_universe.h - a small deterministic synthetic universe for the factor and
 * metrics tests, built in memory (no data files).
 *
 * Integer arithmetic only: closes are whole multiples of 0.0001 computed with
 * 64-bit integers from a fixed LCG, so the universe is the same on every
 * machine and can be written out as CSV to compute the expected values with
 * oracle.py (the expected numbers in test_factors.c were obtained that way:
 * sgt_universe -> CSV -> oracle.py --date 2025-07-15 [--pipeline P]).
 *
 * Prices follow two common factors m (market) and s (style) plus noise, in
 * basis points per trading day: r = (lm*m + ls*s)/100 + noise.
 */
#ifndef SGT_UNIVERSE_H
#define SGT_UNIVERSE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"

#ifndef SGT_UNUSED
#define SGT_UNUSED __attribute__((unused))
#endif

typedef void (*sgt_emit_fn)(void *ctx, const char *sym, sg_day day, const char *close);

typedef struct sgt_symbol {
    const char *sym;
    int lm, ls, noise; /* loadings on m and s (percent), noise half-width (bp) */
    int first;         /* first trading day index kept (0 = the whole history) */
} sgt_symbol;

/* The app's eight factor ETFs, then the stocks. */
static const sgt_symbol sgt_symbols[] SGT_UNUSED = {
    {"SPY", 100, 0, 30, 0},   {"VTV", 90, -40, 40, 0}, {"VUG", 110, 50, 40, 0}, {"MTUM", 105, 30, 40, 0},
    {"QUAL", 95, 10, 40, 0},  {"IWM", 120, -20, 40, 0}, {"USMV", 70, -10, 40, 0}, {"TLT", -20, 0, 40, 0},
    {"FULL", 130, 40, 150, 0}, /* complete history */
    {"GAP", 80, -30, 120, 0},  /* misses the trading day 15 sessions before D */
    {"FLAT", 0, 0, 0, 0},      /* constant close 50.0000 */
    {"IPO45", 100, 0, 150, -45}, /* only the last 45 trading days */
    {"IPO20", 100, 0, 150, -20}, /* only the last 20 */
    {"LEV", 700, 0, 50, 0},    /* about 7x the market: market beta clipped to 5 */
    {"WKND", 60, 20, 100, 0},  /* plus a row on Saturday 2025-07-12 */
    {"ZERO", 90, 10, 100, 0},  /* a zero close 10 sessions before D */
};
#define SGT_NSYMBOLS (sizeof sgt_symbols / sizeof sgt_symbols[0])
#define SGT_NETFS 8

/* Options: leave ETFs out (bit i = sgt_symbols[i]), or keep VUG only on even
 * and VTV only on odd trading days (both present, never on a common date). */
#define SGT_WITHOUT(i) (1u << (i))
#define SGT_DISJOINT_VUG_VTV (1u << 16)

static inline uint64_t sgt_lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static inline uint64_t sgt_seed(const char *sym)
{
    uint64_t h = 1469598103934665603ull;
    for (; *sym; sym++)
        h = (h ^ (unsigned char)*sym) * 1099511628211ull;
    return h;
}

/* Emits every row of the universe ending on calc (NYSE days of [calc-400, calc]). */
static inline void sgt_universe(sg_day calc, unsigned opts, sgt_emit_fn emit, void *ctx)
{
    enum { MAXD = 401 };
    sg_day days[MAXD];
    int nd = 0;
    for (sg_day d = calc - 400; d <= calc; d++)
        if (sg_nyse_is_trading_day(d))
            days[nd++] = d;
    int m[MAXD], s[MAXD];
    uint64_t f = 1;
    for (int t = 0; t < nd; t++) {
        m[t] = (int)(sgt_lcg(&f) % 201) - 100;
        s[t] = (int)(sgt_lcg(&f) % 121) - 60;
    }
    for (size_t k = 0; k < SGT_NSYMBOLS; k++) {
        const sgt_symbol *y = &sgt_symbols[k];
        if (k < 32 && (opts & (1u << k)))
            continue;
        uint64_t rng = sgt_seed(y->sym);
        int64_t p = 1000000; /* 100.0000 */
        int first = y->first < 0 ? nd + y->first : y->first;
        for (int t = 0; t < nd; t++) {
            int noise = y->noise ? (int)(sgt_lcg(&rng) % (uint64_t)(2 * y->noise + 1)) - y->noise : 0;
            int bp = (y->lm * m[t] + y->ls * s[t]) / 100 + noise;
            if (t > 0)
                p += p * bp / 10000;
            if (strcmp(y->sym, "FLAT") == 0)
                p = 500000;
            if (t < first)
                continue;
            if (strcmp(y->sym, "GAP") == 0 && t == nd - 1 - 15)
                continue;
            if ((opts & SGT_DISJOINT_VUG_VTV) && ((strcmp(y->sym, "VUG") == 0 && t % 2) ||
                                                  (strcmp(y->sym, "VTV") == 0 && !(t % 2))))
                continue;
            char close[32];
            int64_t q = strcmp(y->sym, "ZERO") == 0 && t == nd - 1 - 10 ? 0 : p;
            snprintf(close, sizeof close, "%lld.%04lld", (long long)(q / 10000), (long long)(q % 10000));
            emit(ctx, y->sym, days[t], close);
            if (strcmp(y->sym, "WKND") == 0 && days[t] == sg_day_from_ymd(2025, 7, 11))
                emit(ctx, y->sym, sg_day_from_ymd(2025, 7, 12), "77.7700");
        }
    }
}

#endif
