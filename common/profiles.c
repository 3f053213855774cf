/*
 * profiles.c - see profiles.h. Profiles are few (one per symbol), so they are
 * kept sorted by symbol and found by binary search.
 */
#include "profiles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"
#include "symbols.h"

struct sg_profiles {
    sg_profile *v;
    size_t n, cap;
};

static char *dup_field(sg_field f)
{
    if (f.len == 0)
        return NULL;
    char *s = malloc(f.len + 1);
    if (s) {
        memcpy(s, f.p, f.len);
        s[f.len] = '\0';
    }
    return s;
}

static void free_one(sg_profile *p)
{
    free(p->symbol);
    free(p->company_name);
    free(p->sector);
    free(p->industry);
}

void sg_profiles_free(sg_profiles *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free_one(&p->v[i]);
    free(p->v);
    free(p);
}

static int cmp_profile(const void *a, const void *b)
{
    const sg_profile *x = a, *y = b;
    int c = strcmp(x->symbol, y->symbol);
    /* Equal symbols in file order, so de-duplication keeps the last one. */
    return c ? c : (x->line < y->line ? -1 : x->line > y->line);
}

/* A number column: empty is NULL; anything else must be a finite number. */
static int parse_number(sg_field f, bool *has, double *v)
{
    f = sg_field_trim(f);
    *has = false;
    if (f.len == 0)
        return 0;
    char buf[64];
    if (f.len >= sizeof buf)
        return -1;
    memcpy(buf, f.p, f.len);
    buf[f.len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    if (*end || !isfinite(*v))
        return -1;
    *has = true;
    return 0;
}

sg_profiles *sg_profiles_new(void)
{
    return calloc(1, sizeof(sg_profiles));
}

int sg_profiles_add(sg_profiles *ps, const sg_field f[SG_PROFILE_NCOLS], long line, const char **why)
{
    static const char *const bad_number[SG_PROFILE_NCOLS] = {
        [SG_PROFILE_MARKET_CAP] = "market_cap is not a finite number",
        [SG_PROFILE_PE_RATIO] = "pe_ratio is not a finite number",
        [SG_PROFILE_BETA] = "beta is not a finite number"};
    if (ps->n == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 64;
        sg_profile *nv = realloc(ps->v, ncap * sizeof *nv);
        if (!nv) {
            *why = "out of memory";
            return -1;
        }
        ps->v = nv;
        ps->cap = ncap;
    }
    sg_profile *p = &ps->v[ps->n];
    memset(p, 0, sizeof *p);
    p->line = line;
    bool *has[SG_PROFILE_NCOLS] = {[SG_PROFILE_MARKET_CAP] = &p->has_market_cap,
                                   [SG_PROFILE_PE_RATIO] = &p->has_pe_ratio, [SG_PROFILE_BETA] = &p->has_beta};
    double *val[SG_PROFILE_NCOLS] = {[SG_PROFILE_MARKET_CAP] = &p->market_cap,
                                     [SG_PROFILE_PE_RATIO] = &p->pe_ratio, [SG_PROFILE_BETA] = &p->beta};
    for (int k = SG_PROFILE_MARKET_CAP; k <= SG_PROFILE_BETA; k++)
        if (parse_number(f[k], has[k], val[k])) {
            *why = bad_number[k];
            return -1;
        }
    /* Symbols are taken as written (oracle.py does not strip them). */
    p->symbol = f[SG_PROFILE_SYMBOL].len ? dup_field(f[SG_PROFILE_SYMBOL]) : calloc(1, 1);
    p->company_name = dup_field(f[SG_PROFILE_COMPANY_NAME]);
    p->sector = dup_field(f[SG_PROFILE_SECTOR]);
    p->industry = dup_field(f[SG_PROFILE_INDUSTRY]);
    ps->n++;
    if (!p->symbol) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

void sg_profiles_finish(sg_profiles *ps)
{
    if (ps->n == 0)
        return;
    qsort(ps->v, ps->n, sizeof *ps->v, cmp_profile);
    size_t out = 0;
    for (size_t i = 0; i < ps->n; i++) {
        if (i + 1 < ps->n && strcmp(ps->v[i].symbol, ps->v[i + 1].symbol) == 0) {
            free_one(&ps->v[i]);
            continue;
        }
        ps->v[out++] = ps->v[i];
    }
    ps->n = out;
}

const char *const sg_profile_columns[SG_PROFILE_NCOLS] = {"symbol",     "company_name", "sector", "industry",
                                                          "market_cap", "pe_ratio",     "beta"};

sg_profiles *sg_profiles_load_csv(const char *path, char *err, size_t errlen)
{
    sg_csv c;
    if (sg_csv_open(&c, path, err, errlen))
        return NULL;
    sg_profiles *ps = sg_profiles_read_csv(&c, err, errlen);
    sg_csv_close(&c);
    return ps;
}

sg_profiles *sg_profiles_read_csv(sg_csv *c, char *err, size_t errlen)
{
    const char *path = c->path;
    sg_profiles *ps = sg_profiles_new();
    int idx[SG_PROFILE_NCOLS], rc = 1;
    if (!ps) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    } else if (sg_csv_header(c, sg_profile_columns, SG_PROFILE_NCOLS, 1, idx,
                             "symbol,company_name,sector,industry,market_cap,pe_ratio,beta", err, errlen)) {
        rc = -1;
    }
    while (rc == 1 && (rc = sg_csv_next(c, err, errlen)) == 1) {
        sg_field f[SG_PROFILE_NCOLS];
        const char *why;
        char bad[SG_SYMBOL_WHY_LEN];
        for (int k = 0; k < SG_PROFILE_NCOLS; k++)
            f[k] = sg_csv_col(c, idx[k]);
        /* As written (pandas does not strip): " AAA" would never match a price. */
        if (sg_symbol_checkn(f[SG_PROFILE_SYMBOL].p, f[SG_PROFILE_SYMBOL].len, SG_SYMBOL_LOWER_OK, bad, sizeof bad)) {
            snprintf(err, errlen, "%s:%ld: %s", path, c->line, bad);
            rc = -1;
        } else if (sg_profiles_add(ps, f, c->line, &why)) {
            snprintf(err, errlen, "%s:%ld: %s", path, c->line, why);
            rc = -1;
        }
    }
    if (rc != 0) {
        sg_profiles_free(ps);
        return NULL;
    }
    sg_profiles_finish(ps);
    return ps;
}

const sg_profile *sg_profiles_get(const sg_profiles *ps, const char *symbol)
{
    if (!ps)
        return NULL;
    size_t lo = 0, hi = ps->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ps->v[mid].symbol, symbol);
        if (c == 0)
            return &ps->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
