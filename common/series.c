/*
 * series.c - see series.h.
 *
 * The NYSE calendar is evaluated once per run into a bitmap over the longest
 * lookback, so filtering a row costs one byte load.
 */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sg_pipeline_parse(const char *s, sg_pipeline *out)
{
    if (strcmp(s, "v2") == 0)
        *out = SG_PIPELINE_V2;
    else if (strcmp(s, "v1") == 0)
        *out = SG_PIPELINE_V1;
    else if (strcmp(s, "onboarding") == 0)
        *out = SG_PIPELINE_ONBOARDING;
    else
        return -1;
    return 0;
}

const char *sg_pipeline_name(sg_pipeline p)
{
    return p == SG_PIPELINE_V2 ? "v2" : p == SG_PIPELINE_V1 ? "v1" : "onboarding";
}

void sg_datapath_init(sg_datapath *dp, const sg_prices *px, sg_pipeline pipeline, sg_day calc)
{
    memset(dp, 0, sizeof *dp);
    dp->px = px;
    dp->pipeline = pipeline;
    dp->calc = calc;
    dp->cache = pipeline != SG_PIPELINE_ONBOARDING;
    /* symbol_cache.py:44 holds 200 days; batch_orchestrator.py:489 loads 366. */
    dp->cache_start = calc - (pipeline == SG_PIPELINE_V2 ? 200 : 366);
    dp->tlo = calc - SG_LOOKBACK_MAX;
    for (int i = 0; i <= SG_LOOKBACK_MAX; i++)
        dp->trading[i] = sg_nyse_is_trading_day(dp->tlo + i);
}

/* On the onboarding (SQL) path the app asks for upper(symbol) and then looks
 * for the symbol as given among the columns: a lower-case name finds nothing. */
static bool db_path_hides(const sg_datapath *dp, long sym)
{
    if (dp->cache)
        return false;
    for (const char *s = sg_prices_symbol(dp->px, (size_t)sym); *s; s++)
        if (*s >= 'a' && *s <= 'z')
            return true;
    return false;
}

const sg_price *sg_path_price_on(const sg_datapath *dp, long sym, sg_day day)
{
    if (sym < 0 || day > dp->calc)
        return NULL;
    if (dp->cache && day < dp->cache_start)
        return NULL;
    const sg_price *r = sg_prices_on(dp->px, (size_t)sym, day);
    if (!r || (dp->cache && !(r->close > 0)) || db_path_hides(dp, sym))
        return NULL;
    return r;
}

size_t sg_path_closes(const sg_datapath *dp, long sym, sg_day start, sg_day *days, double *closes)
{
    if (sym < 0 || db_path_hides(dp, sym))
        return 0;
    if (dp->cache && start < dp->cache_start)
        start = dp->cache_start;
    size_t n, out = 0;
    const sg_price *r = sg_prices_rows(dp->px, (size_t)sym, &n);
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first row on or after start */
        size_t mid = (lo + hi) / 2;
        if (r[mid].day < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && r[i].day <= dp->calc; i++) {
        if (dp->cache) {
            int t = r[i].day - dp->tlo;
            bool trading = t >= 0 ? dp->trading[t] : sg_nyse_is_trading_day(r[i].day);
            if (!trading || !(r[i].close > 0))
                continue;
        }
        days[out] = r[i].day;
        closes[out++] = r[i].close;
    }
    return out;
}

size_t sg_returns(const sg_day *days, const double *closes, size_t n, sg_day *rdays, double *r)
{
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        double v = closes[i] / closes[i - 1] - 1; /* pandas pct_change */
        if (isnan(v))
            continue;
        rdays[out] = days[i];
        r[out++] = v;
    }
    return out;
}

size_t sg_path_returns(const sg_datapath *dp, long sym, sg_day start, sg_day *rdays, double *r)
{
    /* Closes and returns share the caller's buffers: the returns of row i are
     * written at i-1, after row i has been read. */
    size_t n = sg_path_closes(dp, sym, start, rdays, r);
    return sg_returns(rdays, r, n, rdays, r);
}

void sg_retset_free(sg_retset *rs)
{
    free(rs->days);
    for (int j = 0; j < SG_RETSET_MAX; j++)
        free(rs->r[j]);
    memset(rs, 0, sizeof *rs);
}

int sg_retset_build(const sg_datapath *dp, const char *const *symbols, int k, sg_day start, sg_retset *out)
{
    memset(out, 0, sizeof *out);
    out->k = k;
    size_t cap = (size_t)(dp->calc - start + 1);
    sg_day *days[SG_RETSET_MAX] = {0};
    double *cl[SG_RETSET_MAX] = {0};
    size_t cnt[SG_RETSET_MAX] = {0};
    int rc = -1;
    sg_day *adays = malloc(cap * sizeof *adays);
    double *acl[SG_RETSET_MAX] = {0};
    if (!adays)
        goto done;
    for (int j = 0; j < k; j++) {
        days[j] = malloc(cap * sizeof(sg_day));
        cl[j] = malloc(cap * sizeof(double));
        acl[j] = malloc(cap * sizeof(double));
        if (!days[j] || !cl[j] || !acl[j])
            goto done;
        cnt[j] = sg_path_closes(dp, sg_prices_find(dp->px, symbols[j]), start, days[j], cl[j]);
        out->present[j] = cnt[j] > 0;
    }
    /* Dates every present column has (a k-way merge). */
    size_t pos[SG_RETSET_MAX] = {0}, na = 0;
    int first = -1;
    for (int j = 0; j < k; j++)
        if (out->present[j] && first < 0)
            first = j;
    for (size_t i = 0; first >= 0 && i < cnt[first]; i++) {
        sg_day d = days[first][i];
        bool all = true;
        for (int j = 0; j < k && all; j++) {
            if (!out->present[j])
                continue;
            while (pos[j] < cnt[j] && days[j][pos[j]] < d)
                pos[j]++;
            all = pos[j] < cnt[j] && days[j][pos[j]] == d;
        }
        if (!all)
            continue;
        for (int j = 0; j < k; j++)
            if (out->present[j])
                acl[j][na] = cl[j][pos[j]];
        adays[na++] = d;
    }
    /* Returns on the aligned rows; a row with NaN in any column is dropped. */
    out->days = malloc(cap * sizeof(sg_day));
    for (int j = 0; j < k; j++)
        if (out->present[j] && !(out->r[j] = malloc(cap * sizeof(double))))
            goto done;
    if (!out->days)
        goto done;
    for (size_t i = 1; i < na; i++) {
        bool nan = false;
        for (int j = 0; j < k; j++)
            if (out->present[j]) {
                out->r[j][out->n] = acl[j][i] / acl[j][i - 1] - 1;
                nan |= isnan(out->r[j][out->n]) != 0;
            }
        if (!nan)
            out->days[out->n++] = adays[i];
    }
    rc = 0;
done:
    for (int j = 0; j < SG_RETSET_MAX; j++) {
        free(days[j]);
        free(cl[j]);
        free(acl[j]);
    }
    free(adays);
    if (rc)
        sg_retset_free(out);
    return rc;
}
