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

enum { C_SYMBOL, C_NAME, C_SECTOR, C_INDUSTRY, C_CAP, C_PE, C_BETA, NCOLS };
static const char *col_names[NCOLS] = {"symbol",     "company_name", "sector", "industry",
                                       "market_cap", "pe_ratio",     "beta"};

sg_profiles *sg_profiles_load_csv(const char *path, char *err, size_t errlen)
{
    sg_csv c;
    if (sg_csv_open(&c, path, err, errlen))
        return NULL;
    sg_profiles *ps = calloc(1, sizeof *ps);
    int idx[NCOLS], rc = 1;
    if (!ps) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    } else if (sg_csv_header(&c, col_names, NCOLS, 1, idx, "symbol,company_name,sector,industry,market_cap,pe_ratio,beta",
                             err, errlen)) {
        rc = -1;
    }
    char q[64];
    while (rc == 1 && (rc = sg_csv_next(&c, err, errlen)) == 1) {
        sg_field f[NCOLS];
        for (int k = 0; k < NCOLS; k++)
            f[k] = sg_csv_col(&c, idx[k]);
        if (ps->n == ps->cap) {
            size_t ncap = ps->cap ? ps->cap * 2 : 64;
            sg_profile *nv = realloc(ps->v, ncap * sizeof *nv);
            if (!nv) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
            ps->v = nv;
            ps->cap = ncap;
        }
        sg_profile *p = &ps->v[ps->n];
        memset(p, 0, sizeof *p);
        p->line = c.line;
        int bad = -1;
        if (parse_number(f[C_CAP], &p->has_market_cap, &p->market_cap))
            bad = C_CAP;
        else if (parse_number(f[C_PE], &p->has_pe_ratio, &p->pe_ratio))
            bad = C_PE;
        else if (parse_number(f[C_BETA], &p->has_beta, &p->beta))
            bad = C_BETA;
        if (bad >= 0) {
            snprintf(err, errlen, "%s:%ld: %s '%s' is not a finite number", path, c.line, col_names[bad],
                     sg_field_quote(f[bad], q));
            rc = -1;
            break;
        }
        /* Symbols are taken as written (oracle.py does not strip them). */
        p->symbol = f[C_SYMBOL].len ? dup_field(f[C_SYMBOL]) : calloc(1, 1);
        p->company_name = dup_field(f[C_NAME]);
        p->sector = dup_field(f[C_SECTOR]);
        p->industry = dup_field(f[C_INDUSTRY]);
        ps->n++;
        if (!p->symbol) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
        }
    }
    sg_csv_close(&c);
    if (rc != 0) {
        sg_profiles_free(ps);
        return NULL;
    }
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
