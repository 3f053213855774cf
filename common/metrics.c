/*
 * metrics.c - see metrics.h.
 *
 * On the price-cache path (v1, v2) the app holds closes as Decimal and divides
 * Decimals (28 significant digits); on the SQL path (onboarding) it reads
 * floats. Values keep that kind (sg_num) so that printing and rounding them
 * later gives the app's text exactly.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "series.h"

const char *const sg_metric_return_columns[SG_NRETURNS] = {"return_1d", "return_mtd", "return_ytd",
                                                          "return_1m", "return_3m",  "return_1y"};
const char *const sg_metric_factor_columns[SG_METRIC_FACTORS] = {
    "factor_value",  "factor_growth",   "factor_momentum",           "factor_quality",
    "factor_size",   "factor_low_vol",  "factor_growth_value_spread", "factor_momentum_spread",
    "factor_size_spread", "factor_quality_spread"};
static const sg_factor metric_factor_ids[SG_METRIC_FACTORS] = {
    SG_F_VALUE, SG_F_GROWTH, SG_F_MOMENTUM, SG_F_QUALITY, SG_F_SIZE, SG_F_LOW_VOL,
    SG_F_GV_SPREAD, SG_F_MOM_SPREAD, SG_F_SIZE_SPREAD, SG_F_QUAL_SPREAD};

/* How far before its reference day the trading mode takes a close: a week
 * covers any run of holidays and weekends; an older close is stale. */
#define TRADING_MAX_AGE 7

static sg_num price_num(const sg_datapath *dp, const sg_price *r)
{
    sg_num v = {.kind = SG_NUM_NULL};
    if (!r)
        return v;
    if (dp->cache) {
        v.kind = SG_NUM_DEC;
        sg_price_dec(r, &v.d);
    } else {
        v.kind = SG_NUM_FLOAT;
        v.f = r->close;
    }
    return v;
}

/* calculate_return(cur, ref): NULL if either is NULL or ref is 0. */
static sg_num calc_return(const sg_num *cur, const sg_num *ref)
{
    sg_num v = {.kind = SG_NUM_NULL};
    if (cur->kind == SG_NUM_NULL || ref->kind == SG_NUM_NULL)
        return v;
    if (ref->kind == SG_NUM_FLOAT) {
        if (ref->f == 0)
            return v;
        v.kind = SG_NUM_FLOAT;
        v.f = (cur->f - ref->f) / ref->f;
    } else if (sg_dec_return(&cur->d, &ref->d, &v.d) == 0) {
        v.kind = SG_NUM_DEC;
    }
    return v;
}

static sg_day prev_weekday(sg_day d)
{
    do
        d--;
    while (sg_day_weekday(d) >= 5);
    return d;
}

/* App mode: the price row on exactly day, as the app's lookups do. */
static const sg_price *app_lookup(const sg_datapath *dp, long sym, sg_day day)
{
    if (dp->cache)
        return sg_path_price_on(dp, sym, day);
    if (sym < 0 || day > dp->calc)
        return NULL;
    const sg_price *r = sg_prices_on(dp->px, (size_t)sym, day); /* SQL: close > 0 */
    return r && r->close > 0 ? r : NULL;
}

/* Trading mode: the last close > 0 on a trading day in [day - 7, day]. */
static const sg_price *trading_lookup(const sg_datapath *dp, long sym, sg_day day)
{
    if (sym < 0)
        return NULL;
    size_t n;
    const sg_price *r = sg_prices_rows(dp->px, (size_t)sym, &n);
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first row after day */
        size_t mid = (lo + hi) / 2;
        if (r[mid].day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0 && r[i].day >= day - TRADING_MAX_AGE;)
        if (r[i].close > 0 && sg_nyse_is_trading_day(r[i].day))
            return &r[i];
    return NULL;
}

static void reference_days(sg_day calc, sg_metrics_mode mode, sg_day ref[SG_NRETURNS])
{
    int y, m, d;
    sg_day_to_ymd(calc, &y, &m, &d);
    sg_day month_start = sg_day_from_ymd(y, m, 1), year_start = sg_day_from_ymd(y, 1, 1);
    if (mode == SG_METRICS_APP) {
        ref[SG_RET_1D] = prev_weekday(calc);
        ref[SG_RET_MTD] = month_start;
        ref[SG_RET_YTD] = year_start;
    } else {
        ref[SG_RET_1D] = sg_nyse_prev_trading_day(calc);
        ref[SG_RET_MTD] = month_start - 1;
        ref[SG_RET_YTD] = year_start - 1;
    }
    ref[SG_RET_1M] = calc - 30;
    ref[SG_RET_3M] = calc - 90;
    ref[SG_RET_1Y] = calc - 365;
}

static sg_num db_rounded(double beta)
{
    /* The factor columns copy beta_value, already NUMERIC(10,6). */
    char txt[SG_NUM_LEN];
    sg_num v = {.kind = SG_NUM_DEC};
    int n = sg_fmt_db(beta, 6, txt);
    if (sg_dec_parse(txt, (size_t)n, &v.d))
        v.kind = SG_NUM_FLOAT, v.f = beta; /* NaN: keep the float */
    return v;
}

sg_metrics_row *sg_metrics_compute(const sg_prices *px, const char *const *symbols, size_t nsym,
                                   sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline,
                                   const sg_factor_result *factors, const sg_profiles *profiles)
{
    sg_metrics_row *out = calloc(nsym ? nsym : 1, sizeof *out);
    if (!out)
        return NULL;
    sg_datapath dp;
    /* The trading mode reads the price cache's way (closes > 0, NYSE days)
     * whatever pipeline computed the factors. */
    sg_datapath_init(&dp, px, mode == SG_METRICS_APP ? pipeline : SG_PIPELINE_V1, calc);
    sg_day ref[SG_NRETURNS];
    reference_days(calc, mode, ref);
    size_t fr = 0;
    for (size_t s = 0; s < nsym; s++) {
        sg_metrics_row *m = &out[s];
        long idx = sg_prices_find(px, symbols[s]);
        m->sym = (uint32_t)s;
        m->current_price = price_num(&dp, app_lookup(&dp, idx, calc));
        for (int k = 0; k < SG_NRETURNS; k++) {
            const sg_price *r = mode == SG_METRICS_APP ? app_lookup(&dp, idx, ref[k])
                                                       : trading_lookup(&dp, idx, ref[k]);
            sg_num refv = price_num(&dp, r);
            m->ret[k] = calc_return(&m->current_price, &refv);
        }
        const sg_profile *p = sg_profiles_get(profiles, symbols[s]);
        if (p) {
            /* `value or None`: a zero market cap or P/E is NULL. */
            if (p->has_market_cap && p->market_cap != 0)
                m->market_cap = (sg_num){.kind = SG_NUM_FLOAT, .f = p->market_cap};
            if (p->has_pe_ratio && p->pe_ratio != 0)
                m->pe_ratio = (sg_num){.kind = SG_NUM_FLOAT, .f = p->pe_ratio};
            m->sector = p->sector;
            m->industry = p->industry;
            m->company_name = p->company_name;
        }
        bool any_factor = false;
        for (; fr < factors->nrows && factors->rows[fr].sym == s; fr++) {
            any_factor = true;
            for (int k = 0; k < SG_METRIC_FACTORS; k++)
                if (factors->rows[fr].factor == metric_factor_ids[k])
                    m->factor[k] = db_rounded(factors->rows[fr].beta);
        }
        m->data_quality_score = (m->current_price.kind != SG_NUM_NULL ? 30 : 0) +
                                (m->ret[SG_RET_1D].kind != SG_NUM_NULL ? 30 : 0) + (p ? 20 : 0) +
                                (any_factor ? 20 : 0);
    }
    return out;
}
