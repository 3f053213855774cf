/* compute.c - see compute.h. */
#include "compute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "store_io.h"

static void unload(sg_compute *c)
{
    sg_prices_free(c->px);
    sg_profiles_free(c->prof);
    c->px = NULL;
    c->prof = NULL;
}

int sg_compute_load(sg_compute *c, sg_store *s, const char *const *symbols, size_t n, sg_day calc, char *err,
                    size_t errlen)
{
    unload(c);
    c->symbols = symbols;
    c->nsym = n;
    /* The symbols, and the factor ETFs every regression needs, over the
     * longest lookback (v1's 366 days, the metrics' 372). */
    const char **want = malloc((n + 8) * sizeof *want);
    if (!want) {
        snprintf(err, errlen, "load prices: out of memory");
        return -1;
    }
    if (n)
        memcpy(want, symbols, n * sizeof *want);
    memcpy(want + n, sg_factor_etfs, 8 * sizeof *want);
    c->px = sg_store_load_prices(s, want, n + 8, calc - SG_LOOKBACK_MAX, calc, err, errlen);
    free(want);
    if (!c->px || !(c->prof = sg_store_load_profiles(s, err, errlen))) {
        unload(c);
        return -1;
    }
    return 0;
}

bool sg_compute_has_data(const sg_compute *c, sg_day calc)
{
    for (size_t i = 0; c->px && i < sg_prices_count(c->px); i++) {
        size_t n;
        const sg_price *r = sg_prices_rows(c->px, i, &n);
        for (size_t k = n; k-- > 0 && r[k].day >= calc - SG_COMPUTE_RECENT_DAYS;)
            if (r[k].day <= calc)
                return true;
    }
    return false;
}

int sg_compute_factors(sg_compute *c, sg_day calc, sg_pipeline pipeline, char *err, size_t errlen)
{
    sg_factor_opts fo = {.pipeline = pipeline, .alpha = 1.0};
    sg_factor_result_free(&c->res);
    if (sg_factors_compute(c->px, c->symbols, c->nsym, calc, &fo, c->prof, &c->res, err, errlen))
        return -1;
    /* A factor row whose value does not fit becomes its symbol's failure. */
    c->misfits = sg_store_screen_factors(&c->res, err, errlen);
    return c->misfits < 0 ? -1 : 0;
}

int sg_compute_metrics(sg_compute *c, sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline, char *err,
                       size_t errlen)
{
    free(c->mrows);
    c->mrows = sg_metrics_compute(c->px, c->symbols, c->nsym, calc, mode, pipeline, &c->res, c->prof);
    if (!c->mrows) {
        snprintf(err, errlen, "metrics: out of memory");
        return -1;
    }
    c->nulled = sg_store_screen_metrics(c->symbols, c->mrows, c->nsym);
    return 0;
}

int sg_compute_write_factors(sg_store *s, const sg_compute *c, sg_day calc, char *err, size_t errlen)
{
    if (sg_store_ensure_symbols(s, c->symbols, c->nsym, calc, "batch", err, errlen))
        return -1;
    return sg_store_write_factors(s, c->symbols, &c->res, calc, 1.0, err, errlen);
}

int sg_compute_write_metrics(sg_store *s, const sg_compute *c, sg_day calc, size_t *kept_newer, char *err,
                             size_t errlen)
{
    return sg_store_write_metrics(s, c->symbols, c->nsym, calc, c->mrows, kept_newer, err, errlen);
}

/* A cut at a buffer's end never leaves half a UTF-8 sequence behind. */
static void utf8_cut(char *s)
{
    size_t len = strlen(s), k = len;
    while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0)
        return;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (len - (k - 1) < need)
        s[k - 1] = '\0';
}

size_t sg_compute_symbol_rows(const sg_compute *c, size_t i)
{
    size_t n = 0;
    for (size_t k = 0; k < c->res.nrows; k++)
        n += c->res.rows[k].sym == i;
    return n;
}

void sg_compute_symbol_why(const sg_compute *c, size_t i, char *why, size_t whylen)
{
    size_t len = 0;
    why[0] = '\0';
    for (size_t k = 0; k < c->res.nfailures && len + 1 < whylen; k++) {
        const sg_factor_failure *f = &c->res.failures[k];
        if (f->sym != i)
            continue;
        int w = snprintf(why + len, whylen - len, "%s%s: %s", len ? "; " : "", sg_step_name(f->step), f->reason);
        len = w < 0 ? len : len + (size_t)w < whylen ? len + (size_t)w : whylen - 1;
    }
    utf8_cut(why);
}

void sg_compute_free(sg_compute *c)
{
    free(c->mrows);
    sg_factor_result_free(&c->res);
    unload(c);
    memset(c, 0, sizeof *c);
}
