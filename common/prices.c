/*
 * prices.c - see prices.h.
 *
 * Rows are appended to one array with a symbol id; finish() buckets them by
 * symbol (counting sort), sorts each bucket by date only if it is not sorted
 * already (files usually are), and keeps the last of equal dates. Symbol ids
 * come from an open-addressing hash table of interned names.
 */
#include "prices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"
#include "log.h"
#include "symbols.h"

struct raw_row {
    sg_price px;
    uint32_t sym;
    uint32_t seq;
};

struct sg_prices {
    /* building */
    struct raw_row *raw;
    size_t nraw, capraw;
    char **names; /* by id */
    size_t nsym, capsym;
    uint32_t *slots; /* hash table: id + 1, 0 = empty */
    size_t nslots;
    long last_id; /* files come grouped by symbol: the last id is the likely one */
    /* finished */
    size_t *order;  /* sorted position -> id */
    size_t *off, *cnt; /* by sorted position */
    sg_price *rows;
    size_t skipped;
};

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int grow_slots(sg_prices *p)
{
    size_t n = 1024;
    while (n < (p->nsym + 1) * 2) /* at most half full */
        n *= 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t id = 0; id < p->nsym; id++) {
        size_t h = hash_str(p->names[id], strlen(p->names[id])) & (n - 1);
        while (s[h])
            h = (h + 1) & (n - 1);
        s[h] = (uint32_t)id + 1;
    }
    free(p->slots);
    p->slots = s;
    p->nslots = n;
    return 0;
}

/* Id of a symbol, interning it when intern is set; -1 if absent or on OOM. */
static long symbol_id(sg_prices *p, const char *sym, size_t len, int intern)
{
    if (intern && p->nsym && strncmp(p->names[p->last_id], sym, len) == 0 && p->names[p->last_id][len] == '\0')
        return p->last_id;
    if (p->nslots) {
        size_t h = hash_str(sym, len) & (p->nslots - 1);
        for (; p->slots[h]; h = (h + 1) & (p->nslots - 1)) {
            const char *name = p->names[p->slots[h] - 1];
            if (strncmp(name, sym, len) == 0 && name[len] == '\0')
                return p->last_id = (long)p->slots[h] - 1;
        }
    }
    if (!intern)
        return -1;
    if ((p->nsym + 1) * 2 > p->nslots && grow_slots(p))
        return -1;
    if (p->nsym == p->capsym) {
        size_t ncap = p->capsym ? p->capsym * 2 : 256;
        char **nn = realloc(p->names, ncap * sizeof *nn);
        if (!nn)
            return -1;
        p->names = nn;
        p->capsym = ncap;
    }
    char *name = malloc(len + 1);
    if (!name)
        return -1;
    memcpy(name, sym, len);
    name[len] = '\0';
    p->names[p->nsym] = name;
    size_t h = hash_str(sym, len) & (p->nslots - 1);
    while (p->slots[h])
        h = (h + 1) & (p->nslots - 1);
    p->slots[h] = (uint32_t)p->nsym + 1;
    return p->last_id = (long)p->nsym++;
}

sg_prices *sg_prices_new(void)
{
    return calloc(1, sizeof(sg_prices));
}

void sg_prices_free(sg_prices *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsym; i++)
        free(p->names[i]);
    free(p->names);
    free(p->slots);
    free(p->raw);
    free(p->order);
    free(p->off);
    free(p->cnt);
    free(p->rows);
    free(p);
}

int sg_prices_add(sg_prices *p, const char *sym, size_t symlen, sg_day day, const char *close_text,
                  size_t close_len, const char **why)
{
    sg_dec d;
    if (memchr(sym, '\0', symlen)) {
        *why = "symbol contains a NUL byte";
        return -1;
    }
    if (sg_dec_parse(close_text, close_len, &d)) {
        *why = "close is not a number";
        return -1;
    }
    if (d.neg && d.ndig > 0) {
        *why = "close is negative";
        return -1;
    }
    if (d.ndig > 18 || d.decpt - d.ndig < -30 || d.decpt - d.ndig > 30) {
        *why = "close has more digits than a price can hold (18 significant)";
        return -1;
    }
    double close = sg_dec_to_double(&d);
    if (!isfinite(close)) {
        *why = "close is out of range";
        return -1;
    }
    long id = symbol_id(p, sym, symlen, 1);
    if (id < 0) {
        *why = "out of memory";
        return -1;
    }
    if (p->nraw == p->capraw) {
        size_t ncap = p->capraw ? p->capraw * 2 : 4096;
        struct raw_row *nr = realloc(p->raw, ncap * sizeof *nr);
        if (!nr) {
            *why = "out of memory";
            return -1;
        }
        p->raw = nr;
        p->capraw = ncap;
    }
    struct raw_row *r = &p->raw[p->nraw];
    int64_t coef = 0;
    for (int i = 0; i < d.ndig; i++)
        coef = coef * 10 + (d.dig[i] - '0');
    r->px.close = close == 0 ? 0.0 : close; /* "-0" is a zero close */
    r->px.coef = coef;
    r->px.exp = (int16_t)(d.ndig ? d.decpt - d.ndig : 0);
    r->px.day = day;
    r->sym = (uint32_t)id;
    r->seq = (uint32_t)p->nraw++;
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    const struct raw_row *x = a, *y = b;
    if (x->px.day != y->px.day)
        return x->px.day < y->px.day ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const sg_prices *sort_ctx;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(sort_ctx->names[*(const size_t *)a], sort_ctx->names[*(const size_t *)b]);
}

int sg_prices_finish(sg_prices *p)
{
    size_t ns = p->nsym;
    size_t *start = calloc(ns + 1, sizeof *start);
    struct raw_row *b = malloc((p->nraw ? p->nraw : 1) * sizeof *b);
    p->order = malloc((ns ? ns : 1) * sizeof *p->order);
    p->off = malloc((ns ? ns : 1) * sizeof *p->off);
    p->cnt = malloc((ns ? ns : 1) * sizeof *p->cnt);
    p->rows = malloc((p->nraw ? p->nraw : 1) * sizeof *p->rows);
    if (!start || !b || !p->order || !p->off || !p->cnt || !p->rows) {
        free(start);
        free(b);
        return -1;
    }
    /* Bucket by symbol id, keeping file order inside a bucket. */
    for (size_t i = 0; i < p->nraw; i++)
        start[p->raw[i].sym + 1]++;
    for (size_t s = 0; s < ns; s++)
        start[s + 1] += start[s];
    size_t *fill = malloc((ns ? ns : 1) * sizeof *fill);
    if (!fill) {
        free(start);
        free(b);
        return -1;
    }
    memcpy(fill, start, ns * sizeof *fill);
    for (size_t i = 0; i < p->nraw; i++)
        b[fill[p->raw[i].sym]++] = p->raw[i];
    free(fill);
    /* Symbols in byte order; rows of each sorted by date, last of a date wins. */
    for (size_t s = 0; s < ns; s++)
        p->order[s] = s;
    sort_ctx = p;
    qsort(p->order, ns, sizeof *p->order, cmp_name);
    size_t out = 0;
    for (size_t pos = 0; pos < ns; pos++) {
        size_t id = p->order[pos];
        struct raw_row *r = b + start[id];
        size_t n = start[id + 1] - start[id];
        for (size_t i = 1; i < n; i++)
            if (r[i].px.day <= r[i - 1].px.day) {
                qsort(r, n, sizeof *r, cmp_row);
                break;
            }
        p->off[pos] = out;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && r[i + 1].px.day == r[i].px.day)
                continue; /* a later row of the same date replaces this one */
            p->rows[out++] = r[i].px;
        }
        p->cnt[pos] = out - p->off[pos];
    }
    free(start);
    free(b);
    free(p->raw);
    p->raw = NULL;
    p->nraw = p->capraw = 0;
    /* Re-key the hash table by sorted position. */
    char **names = malloc((ns ? ns : 1) * sizeof *names);
    if (!names)
        return -1;
    for (size_t pos = 0; pos < ns; pos++)
        names[pos] = p->names[p->order[pos]];
    free(p->names);
    p->names = names;
    p->nslots = 0;
    free(p->slots);
    p->slots = NULL;
    return ns ? grow_slots(p) : 0;
}

size_t sg_prices_count(const sg_prices *p)
{
    return p->nsym;
}

const char *sg_prices_symbol(const sg_prices *p, size_t i)
{
    return p->names[i];
}

long sg_prices_find(const sg_prices *p, const char *sym)
{
    return symbol_id((sg_prices *)p, sym, strlen(sym), 0);
}

const sg_price *sg_prices_rows(const sg_prices *p, size_t i, size_t *n)
{
    *n = p->cnt[i];
    return p->rows + p->off[i];
}

const sg_price *sg_prices_on(const sg_prices *p, size_t i, sg_day day)
{
    const sg_price *r = p->rows + p->off[i];
    size_t lo = 0, hi = p->cnt[i];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->cnt[i] && r[lo].day == day ? &r[lo] : NULL;
}

size_t sg_prices_rows_total(const sg_prices *p)
{
    return p->nsym ? p->off[p->nsym - 1] + p->cnt[p->nsym - 1] : 0;
}

size_t sg_prices_skipped(const sg_prices *p)
{
    return p->skipped;
}

void sg_price_dec(const sg_price *r, sg_dec *out)
{
    memset(out, 0, sizeof *out);
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)r->coef);
    if (r->coef == 0)
        return;
    memcpy(out->dig, tmp, (size_t)n);
    out->ndig = n;
    out->decpt = n + r->exp;
    while (out->ndig > 0 && out->dig[out->ndig - 1] == '0')
        out->ndig--;
}

/* ---- CSV loading --------------------------------------------------------- */

#define MAX_WARNINGS_SHOWN 5

static void skip_row(sg_prices *p, const sg_csv *c, const char *why)
{
    if (p->skipped++ < MAX_WARNINGS_SHOWN)
        sg_log(SG_LOG_WARN, "%s:%ld: %s; row skipped (the app cannot store it)", c->path, c->line,
               why);
}

sg_prices *sg_prices_load_csv(const char *path, char *err, size_t errlen)
{
    sg_csv c;
    if (sg_csv_open(&c, path, err, errlen))
        return NULL;
    sg_prices *p = sg_prices_read_csv(&c, err, errlen);
    sg_csv_close(&c);
    return p;
}

sg_prices *sg_prices_read_csv(sg_csv *c, char *err, size_t errlen)
{
    const char *path = c->path;
    static const char *const cols[] = {"symbol", "date", "close"};
    int idx[3];
    sg_prices *p = sg_prices_new();
    int rc = 1;
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    } else if (sg_csv_header(c, cols, 3, 3, idx, "symbol,date,open,high,low,close,volume", err, errlen)) {
        rc = -1;
    }
    char q[64];
    while (rc == 1 && (rc = sg_csv_next(c, err, errlen)) == 1) {
        sg_field sym = sg_field_trim(sg_csv_col(c, idx[0]));
        sg_field date = sg_field_trim(sg_csv_col(c, idx[1]));
        sg_field close = sg_field_trim(sg_csv_col(c, idx[2]));
        if (sym.len == 0 || close.len == 0) {
            skip_row(p, c, sym.len == 0 ? "empty symbol" : "empty close");
            continue;
        }
        char bad[SG_SYMBOL_WHY_LEN];
        if (sg_symbol_checkn(sym.p, sym.len, SG_SYMBOL_LOWER_OK, bad, sizeof bad)) {
            snprintf(err, errlen, "%s:%ld: %s", path, c->line, bad);
            rc = -1;
            break;
        }
        /* Like the app, take the date part of a timestamp ("2025-07-15T00:00:00"). */
        size_t dlen = date.len > 10 && (date.p[10] == 'T' || date.p[10] == ' ') ? 10 : date.len;
        sg_day day;
        const char *why;
        if (sg_day_parse(date.p, dlen, &day, &why)) {
            snprintf(err, errlen, "%s:%ld: bad date '%s': %s", path, c->line, sg_field_quote(date, q), why);
            rc = -1;
            break;
        }
        if (sg_prices_add(p, sym.p, sym.len, day, close.p, close.len, &why)) {
            snprintf(err, errlen, "%s:%ld: bad close '%s' for %.*s: %s", path, c->line,
                     sg_field_quote(close, q), (int)(sym.len > 20 ? 20 : sym.len), sym.p, why);
            rc = -1;
            break;
        }
    }
    sg_csv_release(c); /* every row is copied: sort them without the file beside them */
    if (rc == 0 && sg_prices_finish(p)) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    if (rc != 0) {
        sg_prices_free(p);
        return NULL;
    }
    if (p->skipped > MAX_WARNINGS_SHOWN)
        sg_log(SG_LOG_WARN, "%s: %zu rows skipped in all (empty symbol or close)", path, p->skipped);
    return p;
}
