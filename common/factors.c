/*
 * factors.c - see factors.h.
 *
 * Flow of one computation:
 *   1. every symbol's returns over the two windows (D-120 and D-210), once;
 *   2. ridge: the aligned style-ETF returns F; each symbol's common dates with
 *      F as a bitmask; symbols sorted by mask, so each run of equal masks is a
 *      group solved with one Cholesky factorization (regression.c);
 *   3. spread: four spread columns, four OLS per symbol, the mean R-squared;
 *   4. market and IR: OLS on SPY and TLT, each symbol alone;
 *   5. provider rows from the profiles.
 * A symbol that fails a step gets a failure record for that step and no row;
 * nothing it does touches another symbol.
 */
#include "factors.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regression.h"

#define WINDOW_BUFFER 30      /* "+ 30" in every start date of the app */
#define RIDGE_WINDOW 90
#define SPREAD_WINDOW 180
#define MIN_OBS 30
#define SPREAD_MIN_OBS 60

const sg_factor_def sg_factor_defs[SG_NFACTORS] = {
    [SG_F_VALUE] = {"Value", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_GROWTH] = {"Growth", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_MOMENTUM] = {"Momentum", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_QUALITY] = {"Quality", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_SIZE] = {"Size", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_LOW_VOL] = {"Low Volatility", "ridge_regression", SG_STEP_RIDGE, 90},
    [SG_F_GV_SPREAD] = {"Growth-Value Spread", "spread_regression", SG_STEP_SPREAD, 180},
    [SG_F_MOM_SPREAD] = {"Momentum Spread", "spread_regression", SG_STEP_SPREAD, 180},
    [SG_F_SIZE_SPREAD] = {"Size Spread", "spread_regression", SG_STEP_SPREAD, 180},
    [SG_F_QUAL_SPREAD] = {"Quality Spread", "spread_regression", SG_STEP_SPREAD, 180},
    [SG_F_MARKET] = {"Market Beta (90D)", "ols_market", SG_STEP_MARKET, 90},
    [SG_F_IR] = {"IR Beta", "ols_ir", SG_STEP_IR, 90},
    [SG_F_PROVIDER] = {"Provider Beta (1Y)", "provider", SG_STEP_PROVIDER, 252},
};

const char *const sg_factor_etfs[8] = {"SPY", "VTV", "VUG", "MTUM", "QUAL", "IWM", "USMV", "TLT"};

const char *sg_step_name(sg_step s)
{
    static const char *names[] = {"ridge", "spread", "ols_market", "ols_ir", "provider"};
    return names[s];
}

/* Ridge ETFs in the app's column order (pivot_table sorts columns by name). */
static const char *const ridge_etfs[6] = {"IWM", "MTUM", "QUAL", "USMV", "VTV", "VUG"};
static const sg_factor ridge_factors[6] = {SG_F_SIZE, SG_F_MOMENTUM, SG_F_QUALITY,
                                           SG_F_LOW_VOL, SG_F_VALUE, SG_F_GROWTH};
/* Spread ETFs sorted by name, and the spreads in the app's order (which is
 * also the order their R-squared values are summed in). */
static const char *const spread_etfs[6] = {"IWM", "MTUM", "QUAL", "SPY", "VTV", "VUG"};
static const struct {
    sg_factor factor;
    int lng, sht; /* indexes into spread_etfs */
} spreads[4] = {
    {SG_F_GV_SPREAD, 5, 4},  /* VUG - VTV */
    {SG_F_MOM_SPREAD, 1, 3}, /* MTUM - SPY */
    {SG_F_SIZE_SPREAD, 0, 3}, /* IWM - SPY */
    {SG_F_QUAL_SPREAD, 2, 3}, /* QUAL - SPY */
};

/* One symbol's returns over a window, in the context's arena. */
typedef struct window {
    sg_day start;
    size_t cap;   /* entries per symbol */
    size_t *n;    /* [nsym] */
    sg_day *days; /* [nsym * cap] */
    double *r;
} window;

typedef struct ctx {
    const sg_prices *px;
    const char *const *syms;
    size_t nsym;
    sg_datapath dp;
    const sg_factor_opts *opts;
    window w90, w180;
    size_t *ia, *ib; /* scratch for intersections */
    double *y, *x;
    sg_factor_result *res;
    size_t caprows, capfail;
    bool oom;
} ctx;

/* Makes room for one more element in a growing array; false on OOM. */
static bool reserve(ctx *c, void **v, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 256;
    void *nv = realloc(*v, ncap * elem);
    if (!nv) {
        c->oom = true;
        return false;
    }
    *v = nv;
    *cap = ncap;
    return true;
}

static void add_row(ctx *c, size_t sym, sg_factor f, double beta, double r2, int obs)
{
    sg_factor_result *res = c->res;
    if (!reserve(c, (void **)&res->rows, res->nrows, &c->caprows, sizeof *res->rows))
        return;
    sg_factor_row *r = &res->rows[res->nrows++];
    r->sym = (uint32_t)sym;
    r->factor = (uint8_t)f;
    r->r2_null = false;
    r->observations = obs;
    r->beta = beta;
    r->r2 = r2;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void add_failure(ctx *c, size_t sym, sg_step step, const char *fmt, ...)
{
    sg_factor_result *res = c->res;
    if (!reserve(c, (void **)&res->failures, res->nfailures, &c->capfail, sizeof *res->failures))
        return;
    sg_factor_failure *f = &res->failures[res->nfailures++];
    f->sym = (uint32_t)sym;
    f->step = (uint8_t)step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof f->reason, fmt, ap);
    va_end(ap);
}

static void fail_all(ctx *c, sg_step step, const char *reason)
{
    for (size_t s = 0; s < c->nsym; s++)
        add_failure(c, s, step, "%s", reason);
}

/* Indexes of the dates common to two sorted date lists. */
static size_t intersect(const sg_day *a, size_t na, const sg_day *b, size_t nb, size_t *ia, size_t *ib)
{
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            ia[n] = i++;
            ib[n++] = j++;
        }
    }
    return n;
}

static int window_fill(ctx *c, window *w, sg_day start)
{
    w->start = start;
    w->cap = (size_t)(c->dp.calc - start + 1);
    w->n = calloc(c->nsym ? c->nsym : 1, sizeof *w->n);
    w->days = malloc((c->nsym ? c->nsym : 1) * w->cap * sizeof *w->days);
    w->r = malloc((c->nsym ? c->nsym : 1) * w->cap * sizeof *w->r);
    if (!w->n || !w->days || !w->r)
        return -1;
    for (size_t s = 0; s < c->nsym; s++) {
        long idx = sg_prices_find(c->px, c->syms[s]);
        w->n[s] = sg_path_returns(&c->dp, idx, start, w->days + s * w->cap, w->r + s * w->cap);
    }
    return 0;
}

static void window_free(window *w)
{
    free(w->n);
    free(w->days);
    free(w->r);
}

/* ---- ridge --------------------------------------------------------------- */

static const uint64_t *mask_sort_base;
static size_t mask_sort_words;

static int cmp_mask(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int m = memcmp(mask_sort_base + x * mask_sort_words, mask_sort_base + y * mask_sort_words,
                   mask_sort_words * sizeof(uint64_t));
    return m ? m : (x < y ? -1 : x > y);
}

/* Solves one group of symbols sharing the common dates in mask. */
static void ridge_group(ctx *c, const sg_retset *F, const int *cols, int k, const uint64_t *mask,
                        const size_t *members, size_t m)
{
    const window *w = &c->w90;
    size_t n = 0;
    for (size_t t = 0; t < F->n; t++)
        n += (mask[t / 64] >> (t % 64)) & 1;
    double *X = malloc(sizeof(double) * n * (size_t)k);
    double *Y = malloc(sizeof(double) * n * m);
    double *B = malloc(sizeof(double) * (size_t)k * m);
    double *r2 = malloc(sizeof(double) * m);
    if (!X || !Y || !B || !r2) {
        c->oom = true;
        goto out;
    }
    bool finite = true;
    for (int j = 0; j < k; j++) {
        size_t i = 0;
        for (size_t t = 0; t < F->n; t++)
            if ((mask[t / 64] >> (t % 64)) & 1) {
                X[(size_t)j * n + i] = F->r[cols[j]][t];
                finite &= isfinite(X[(size_t)j * n + i]) != 0;
                i++;
            }
    }
    if (!finite) {
        for (size_t g = 0; g < m; g++)
            add_failure(c, members[g], SG_STEP_RIDGE, "Input X contains infinity (a zero ETF close)");
        goto out;
    }
    for (size_t g = 0; g < m; g++) {
        size_t s = members[g];
        size_t nc = intersect(w->days + s * w->cap, w->n[s], F->days, F->n, c->ia, c->ib);
        for (size_t i = 0; i < nc; i++)
            Y[g * n + i] = w->r[s * w->cap + c->ia[i]];
    }
    char err[128];
    if (sg_ridge_fit_many((int)n, k, X, (int)m, Y, c->opts->alpha, B, r2, err, sizeof err)) {
        for (size_t g = 0; g < m; g++)
            add_failure(c, members[g], SG_STEP_RIDGE, "%s", err);
        goto out;
    }
    c->res->groups++;
    for (size_t g = 0; g < m; g++)
        for (int j = 0; j < k; j++)
            add_row(c, members[g], ridge_factors[cols[j]], B[g * (size_t)k + (size_t)j], r2[g], (int)n);
out:
    free(X);
    free(Y);
    free(B);
    free(r2);
}

static void step_ridge(ctx *c)
{
    sg_retset F;
    if (sg_retset_build(&c->dp, ridge_etfs, 6, c->w90.start, &F)) {
        c->oom = true;
        return;
    }
    int cols[6], k = 0;
    for (int j = 0; j < 6; j++)
        if (F.present[j])
            cols[k++] = j;
    if (F.n == 0) {
        fail_all(c, SG_STEP_RIDGE, "No factor ETF returns available");
        sg_retset_free(&F);
        return;
    }
    const window *w = &c->w90;
    size_t words = (F.n + 63) / 64;
    uint64_t *masks = calloc((c->nsym ? c->nsym : 1) * words, sizeof *masks);
    size_t *cand = malloc((c->nsym ? c->nsym : 1) * sizeof *cand), ncand = 0;
    if (!masks || !cand) {
        c->oom = true;
        goto out;
    }
    for (size_t s = 0; s < c->nsym; s++) {
        if (w->n[s] == 0) {
            add_failure(c, s, SG_STEP_RIDGE, "No return data");
            continue;
        }
        size_t nc = intersect(w->days + s * w->cap, w->n[s], F.days, F.n, c->ia, c->ib);
        if (nc < MIN_OBS) {
            add_failure(c, s, SG_STEP_RIDGE, "Insufficient aligned data: %zu days", nc);
            continue;
        }
        if (nc <= (size_t)k) {
            add_failure(c, s, SG_STEP_RIDGE, "Insufficient degrees of freedom");
            continue;
        }
        bool finite = true;
        for (size_t i = 0; i < nc; i++) {
            finite &= isfinite(w->r[s * w->cap + c->ia[i]]) != 0;
            masks[s * words + c->ib[i] / 64] |= 1ull << (c->ib[i] % 64);
        }
        if (!finite) {
            add_failure(c, s, SG_STEP_RIDGE, "Input y contains infinity (a zero close)");
            continue;
        }
        cand[ncand++] = s;
    }
    mask_sort_base = masks;
    mask_sort_words = words;
    qsort(cand, ncand, sizeof *cand, cmp_mask);
    for (size_t g0 = 0; g0 < ncand && !c->oom;) {
        size_t g1 = g0 + 1;
        while (g1 < ncand && memcmp(masks + cand[g0] * words, masks + cand[g1] * words, words * 8) == 0)
            g1++;
        ridge_group(c, &F, cols, k, masks + cand[g0] * words, cand + g0, g1 - g0);
        g0 = g1;
    }
out:
    free(masks);
    free(cand);
    sg_retset_free(&F);
}

/* ---- spread -------------------------------------------------------------- */

static void step_spread(ctx *c)
{
    sg_retset R;
    if (sg_retset_build(&c->dp, spread_etfs, 6, c->w180.start, &R)) {
        c->oom = true;
        return;
    }
    if (R.n == 0) {
        /* The app raises ValueError here and never computes market, IR and
         * provider rows; sigmabatch skips only this step (DESIGN.md §6). */
        fail_all(c, SG_STEP_SPREAD, "No price data available for spread factors");
        sg_retset_free(&R);
        return;
    }
    size_t ns = 0;
    sg_day *sdays = malloc(R.n * sizeof *sdays);
    double *sx = malloc(4 * R.n * sizeof *sx);
    bool all_present = true;
    for (int j = 0; j < 4; j++)
        all_present &= R.present[spreads[j].lng] && R.present[spreads[j].sht];
    if (!sdays || !sx) {
        c->oom = true;
        goto out;
    }
    /* A missing ETF makes its spread NaN on every date: dropna leaves nothing. */
    for (size_t t = 0; all_present && t < R.n; t++) {
        double v[4];
        bool nan = false;
        for (int j = 0; j < 4; j++) {
            v[j] = R.r[spreads[j].lng][t] - R.r[spreads[j].sht][t];
            nan |= isnan(v[j]) != 0;
        }
        if (nan)
            continue;
        for (int j = 0; j < 4; j++)
            sx[(size_t)j * R.n + ns] = v[j];
        sdays[ns++] = R.days[t];
    }
    if (ns == 0) {
        fail_all(c, SG_STEP_SPREAD, "No spread returns available");
        goto out;
    }
    const window *w = &c->w180;
    for (size_t s = 0; s < c->nsym; s++) {
        if (w->n[s] == 0) {
            add_failure(c, s, SG_STEP_SPREAD, "No return data");
            continue;
        }
        size_t nc = intersect(w->days + s * w->cap, w->n[s], sdays, ns, c->ia, c->ib);
        if (nc < SPREAD_MIN_OBS) {
            add_failure(c, s, SG_STEP_SPREAD, "Insufficient aligned data: %zu days", nc);
            continue;
        }
        for (size_t i = 0; i < nc; i++)
            c->y[i] = w->r[s * w->cap + c->ia[i]];
        sg_ols fit[4];
        bool ok[4];
        int nok = 0;
        double total = 0;
        for (int j = 0; j < 4; j++) {
            const char *why;
            for (size_t i = 0; i < nc; i++)
                c->x[i] = sx[(size_t)j * R.n + c->ib[i]];
            ok[j] = sg_ols_fit(c->y, c->x, nc, &fit[j], &why) == 0;
            if (ok[j]) {
                total += fit[j].r2;
                nok++;
            }
        }
        if (nok == 0) {
            add_failure(c, s, SG_STEP_SPREAD, "All regressions failed");
            continue;
        }
        double avg = total / nok; /* NaN propagates, as in the app */
        for (int j = 0; j < 4; j++)
            if (ok[j])
                add_row(c, s, spreads[j].factor, fit[j].beta, avg, (int)nc);
    }
out:
    free(sdays);
    free(sx);
    sg_retset_free(&R);
}

/* ---- market and IR ------------------------------------------------------- */

static void step_ols(ctx *c, const char *bench, sg_factor factor, sg_step step)
{
    const window *w = &c->w90;
    sg_day *bdays = malloc(w->cap * sizeof *bdays);
    double *br = malloc(w->cap * sizeof *br);
    if (!bdays || !br) {
        c->oom = true;
        goto out;
    }
    size_t nb = sg_path_returns(&c->dp, sg_prices_find(c->px, bench), w->start, bdays, br);
    if (nb == 0) {
        char why[64];
        snprintf(why, sizeof why, "No %s returns available", bench);
        fail_all(c, step, why);
        goto out;
    }
    for (size_t s = 0; s < c->nsym; s++) {
        if (w->n[s] == 0) {
            add_failure(c, s, step, "No return data");
            continue;
        }
        size_t nc = intersect(w->days + s * w->cap, w->n[s], bdays, nb, c->ia, c->ib);
        if (nc < MIN_OBS) {
            add_failure(c, s, step, "Insufficient aligned data: %zu days", nc);
            continue;
        }
        for (size_t i = 0; i < nc; i++) {
            c->y[i] = w->r[s * w->cap + c->ia[i]];
            c->x[i] = br[c->ib[i]];
        }
        sg_ols fit;
        const char *why;
        if (sg_ols_fit(c->y, c->x, nc, &fit, &why)) {
            add_failure(c, s, step, "%s", why);
            continue;
        }
        add_row(c, s, factor, fit.beta, fit.r2, (int)nc);
    }
out:
    free(bdays);
    free(br);
}

/* ---- provider ------------------------------------------------------------ */

static void step_provider(ctx *c, const sg_profiles *profiles)
{
    for (size_t s = 0; profiles && s < c->nsym; s++) {
        const sg_profile *p = sg_profiles_get(profiles, c->syms[s]);
        if (!p || !p->has_beta || p->beta == 0)
            continue;
        add_row(c, s, SG_F_PROVIDER, p->beta, 0, 252); /* the app's fixed 252 */
        if (!c->oom)
            c->res->rows[c->res->nrows - 1].r2_null = true;
    }
}

/* ---- driver -------------------------------------------------------------- */

static int name_rank[SG_NFACTORS];

static int cmp_row(const void *a, const void *b)
{
    const sg_factor_row *x = a, *y = b;
    if (x->sym != y->sym)
        return x->sym < y->sym ? -1 : 1;
    return name_rank[x->factor] - name_rank[y->factor];
}

static void rank_names(void)
{
    for (int i = 0; i < SG_NFACTORS; i++) {
        name_rank[i] = 0;
        for (int j = 0; j < SG_NFACTORS; j++)
            name_rank[i] += strcmp(sg_factor_defs[j].name, sg_factor_defs[i].name) < 0;
    }
}

int sg_factors_compute(const sg_prices *px, const char *const *symbols, size_t nsym, sg_day calc,
                       const sg_factor_opts *opts, const sg_profiles *profiles, sg_factor_result *res,
                       char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    sg_regression_init();
    ctx c = {.px = px, .syms = symbols, .nsym = nsym, .opts = opts, .res = res};
    sg_datapath_init(&c.dp, px, opts->pipeline, calc);
    size_t scratch = (size_t)(RIDGE_WINDOW + SPREAD_WINDOW + 2 * WINDOW_BUFFER) + 2;
    c.ia = malloc(scratch * sizeof *c.ia);
    c.ib = malloc(scratch * sizeof *c.ib);
    c.y = malloc(scratch * sizeof *c.y);
    c.x = malloc(scratch * sizeof *c.x);
    if (!c.ia || !c.ib || !c.y || !c.x ||
        window_fill(&c, &c.w90, calc - (RIDGE_WINDOW + WINDOW_BUFFER)) ||
        window_fill(&c, &c.w180, calc - (SPREAD_WINDOW + WINDOW_BUFFER)))
        c.oom = true;
    if (!c.oom)
        step_ridge(&c);
    if (!c.oom)
        step_spread(&c);
    if (!c.oom)
        step_ols(&c, "SPY", SG_F_MARKET, SG_STEP_MARKET);
    if (!c.oom)
        step_ols(&c, "TLT", SG_F_IR, SG_STEP_IR);
    if (!c.oom)
        step_provider(&c, profiles);
    window_free(&c.w90);
    window_free(&c.w180);
    free(c.ia);
    free(c.ib);
    free(c.y);
    free(c.x);
    if (c.oom) {
        snprintf(err, errlen, "factors: out of memory");
        sg_factor_result_free(res);
        return -1;
    }
    rank_names();
    if (res->nrows) /* rows is NULL when no symbol got one */
        qsort(res->rows, res->nrows, sizeof *res->rows, cmp_row);
    return 0;
}

void sg_factor_result_free(sg_factor_result *res)
{
    free(res->rows);
    free(res->failures);
    memset(res, 0, sizeof *res);
}
