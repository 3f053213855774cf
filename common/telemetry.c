/*
 * telemetry.c - see telemetry.h.
 *
 * A family keeps its series in an array, in creation order, and finds one by
 * a hash of its label values compared first: families have a few series, at
 * most SG_TM_MAX_SERIES + 1, so a scan of integers costs less than a table.
 * Label values are kept as one key per series, "v1\0v2\0...", which is both
 * what is compared and what is rendered.
 */
#include "telemetry.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef enum tm_type { TM_COUNTER, TM_GAUGE, TM_HISTOGRAM } tm_type;
typedef enum tm_op { OP_ADD, OP_SET, OP_OBSERVE } tm_op;

typedef struct series {
    uint64_t hash;
    char *key; /* the label values, each NUL-terminated, in label order */
    size_t keylen;
    double value;     /* counter, gauge */
    double sum;       /* histogram */
    uint64_t count;   /* histogram */
    uint64_t *counts; /* histogram: observations per bucket, not cumulative; +Inf last */
} series;

struct sg_tm_family {
    char *name, *help;
    tm_type type;
    char **labels;
    size_t nlabels;
    double *bounds; /* histogram: upper bounds, +Inf not included */
    size_t nbounds;
    series *series;
    size_t nseries, cap;
    bool capped, misused; /* each warned about once */
    sg_tm_family *next;
};

typedef struct collector {
    sg_tm_collect_fn *fn;
    void *ctx;
    struct collector *next;
} collector;

static const char *const type_names[] = {"counter", "gauge", "histogram"};
static const double default_bounds[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;        /* the registry */
static pthread_mutex_t render_mu = PTHREAD_MUTEX_INITIALIZER; /* one collection + render at a time */
static sg_tm_family *families, **families_tail = &families;
static collector *collectors, **collectors_tail = &collectors;
static size_t ncollectors;

/* A normal mutex fails only when misused: a bug, not a condition to handle. */
static void lock(pthread_mutex_t *m)
{
    if (pthread_mutex_lock(m) != 0)
        abort();
}

static void unlock(pthread_mutex_t *m)
{
    if (pthread_mutex_unlock(m) != 0)
        abort();
}

/* ---- names and labels ------------------------------------------------------ */

static bool word_char(char c, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon && c == ':');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names (colon), without ':' for labels. */
static bool valid_name(const char *s, size_t n, bool colon)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!word_char(s[i], colon))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Why the label list cannot be used, or NULL; its names counted in *n. */
static const char *labels_problem(const char *labels, tm_type type, size_t *n)
{
    *n = 0;
    if (!labels || !*labels)
        return NULL;
    for (const char *p = labels;; p++) {
        size_t len = strcspn(p, ",");
        if (!valid_name(p, len, false))
            return "a label name is not [a-zA-Z_][a-zA-Z0-9_]*";
        if (len >= 2 && p[0] == '_' && p[1] == '_')
            return "label names starting with __ are reserved";
        if (type == TM_HISTOGRAM && len == 2 && strncmp(p, "le", 2) == 0)
            return "le is the histogram's own label";
        for (const char *q = labels; q < p; q += strcspn(q, ",") + 1)
            if (strcspn(q, ",") == len && strncmp(q, p, len) == 0)
                return "a label name twice";
        ++*n;
        p += len;
        if (!*p)
            return NULL;
    }
}

static const char *bounds_problem(const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(b[i]) || (isinf(b[i]) && !(i == n - 1 && b[i] > 0)))
            return "a bucket bound is not finite";
        if (i && !(b[i] > b[i - 1]))
            return "bucket bounds are not strictly increasing";
    }
    return NULL;
}

static const char *family_problem(tm_type type, const char *name, const char *labels, const double *b, size_t nb,
                                  size_t *nlabels)
{
    if (!name || !valid_name(name, strlen(name), true))
        return "the name is not [a-zA-Z_:][a-zA-Z0-9_:]*";
    if (type == TM_COUNTER && !ends_with(name, "_total"))
        return "a counter's name must end in _total";
    const char *why = labels_problem(labels, type, nlabels);
    return why ? why : type == TM_HISTOGRAM ? bounds_problem(b, nb) : NULL;
}

/* ---- families --------------------------------------------------------------- */

static void free_series(series *s)
{
    free(s->key);
    free(s->counts);
}

static void free_family(sg_tm_family *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nseries; i++)
        free_series(&f->series[i]);
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    free(f->series);
    free(f->labels);
    free(f->bounds);
    free(f->name);
    free(f->help);
    free(f);
}

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

/* A new family, its values checked already; NULL when out of memory. */
static sg_tm_family *new_family(tm_type type, const char *name, const char *help, const char *labels, size_t nlabels,
                                const double *b, size_t nb)
{
    sg_tm_family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->type = type;
    f->name = dup_str(name);
    f->help = dup_str(help);
    f->labels = calloc(nlabels ? nlabels : 1, sizeof *f->labels);
    f->bounds = calloc(nb ? nb : 1, sizeof *f->bounds);
    bool ok = f->name && f->help && f->labels && f->bounds;
    for (const char *p = labels; ok && f->nlabels < nlabels; p += strcspn(p, ",") + 1) {
        f->labels[f->nlabels] = strndup(p, strcspn(p, ","));
        ok = f->labels[f->nlabels++] != NULL;
    }
    if (ok && nb)
        memcpy(f->bounds, b, nb * sizeof *b);
    f->nbounds = nb;
    if (!ok) {
        free_family(f);
        return NULL;
    }
    return f;
}

static bool same_shape(const sg_tm_family *a, const sg_tm_family *b)
{
    if (a->type != b->type || a->nlabels != b->nlabels || a->nbounds != b->nbounds)
        return false;
    for (size_t i = 0; i < a->nlabels; i++)
        if (strcmp(a->labels[i], b->labels[i]) != 0)
            return false;
    return a->nbounds == 0 || memcmp(a->bounds, b->bounds, a->nbounds * sizeof *a->bounds) == 0;
}

static series *find_or_add(sg_tm_family *f, const char *key, size_t keylen, bool *capped);

/* The family of that name: the new one appended, or an equal one already
 * there (the new one freed); NULL when they differ. */
static sg_tm_family *add_family(sg_tm_family *f)
{
    bool unused;
    lock(&mu);
    sg_tm_family *old = families;
    while (old && strcmp(old->name, f->name) != 0)
        old = old->next;
    if (!old) {
        /* a family without labels has its one series from the start: it renders 0 */
        if (f->nlabels == 0 && !find_or_add(f, "", 0, &unused)) {
            unlock(&mu);
            free_family(f);
            return NULL;
        }
        *families_tail = f;
        families_tail = &f->next;
    }
    unlock(&mu);
    if (!old)
        return f;
    bool same = same_shape(old, f);
    if (!same)
        sg_log(SG_LOG_ERROR, "telemetry: %s: registered already as a %s with other labels or buckets", f->name,
               type_names[old->type]);
    free_family(f);
    return same ? old : NULL;
}

static sg_tm_family *family(tm_type type, const char *name, const char *help, const char *labels, const double *b,
                            size_t nb)
{
    size_t nlabels;
    const char *why = family_problem(type, name, labels, b, nb, &nlabels);
    if (why) {
        sg_log(SG_LOG_ERROR, "telemetry: %s %s: %s", type_names[type], name ? name : "(null)", why);
        return NULL;
    }
    if (type == TM_HISTOGRAM && nb && isinf(b[nb - 1]))
        nb--; /* +Inf is always there */
    sg_tm_family *f = new_family(type, name, help, labels, nlabels, b, nb);
    if (!f) {
        sg_log(SG_LOG_ERROR, "telemetry: %s %s: out of memory", type_names[type], name);
        return NULL;
    }
    return add_family(f);
}

sg_tm_family *sg_tm_counter(const char *name, const char *help, const char *labels)
{
    return family(TM_COUNTER, name, help, labels, NULL, 0);
}

sg_tm_family *sg_tm_gauge(const char *name, const char *help, const char *labels)
{
    return family(TM_GAUGE, name, help, labels, NULL, 0);
}

sg_tm_family *sg_tm_histogram(const char *name, const char *help, const char *labels, const double *buckets,
                              size_t nbuckets)
{
    if (!buckets || !nbuckets) {
        buckets = default_bounds;
        nbuckets = sizeof default_bounds / sizeof default_bounds[0];
    }
    return family(TM_HISTOGRAM, name, help, labels, buckets, nbuckets);
}

/* ---- series ----------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, lo = s[0] == 0xE0 ? 0xA0 : lo, hi = s[0] == 0xED ? 0x9F : hi; /* no overlongs, no surrogates */
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, lo = s[0] == 0xF0 ? 0x90 : lo, hi = s[0] == 0xF4 ? 0x8F : hi; /* up to U+10FFFF */
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Copies v, invalid UTF-8 bytes as '?' (the format requires UTF-8); returns
 * the end of the copy. */
static char *copy_utf8(char *dst, const char *v)
{
    const unsigned char *s = (const unsigned char *)v;
    while (*s) {
        size_t n = utf8_seq(s);
        if (n == 0) {
            *dst++ = '?';
            s++;
            continue;
        }
        memcpy(dst, s, n);
        dst += n;
        s += n;
    }
    return dst;
}

/* The label values of one call as a key ("v1\0v2\0"): in buf when it fits,
 * else malloc'd; NULL when out of memory. */
static char *make_key(size_t nlabels, va_list ap, char *buf, size_t bufsize, size_t *keylen)
{
    va_list aq;
    size_t len = 0;
    va_copy(aq, ap);
    for (size_t i = 0; i < nlabels; i++) {
        const char *v = va_arg(aq, const char *);
        len += strlen(v ? v : "") + 1;
    }
    va_end(aq);
    char *key = len <= bufsize ? buf : malloc(len);
    char *p = key;
    for (size_t i = 0; key && i < nlabels; i++) {
        const char *v = va_arg(ap, const char *);
        p = copy_utf8(p, v ? v : "");
        *p++ = '\0';
    }
    *keylen = len;
    return key;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static series *lookup(sg_tm_family *f, const char *key, size_t keylen, uint64_t hash)
{
    for (size_t i = 0; i < f->nseries; i++) {
        series *s = &f->series[i];
        if (s->hash == hash && s->keylen == keylen && memcmp(s->key, key, keylen) == 0)
            return s;
    }
    return NULL;
}

static series *append(sg_tm_family *f, const char *key, size_t keylen, uint64_t hash)
{
    if (f->nseries == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 4;
        series *grown = realloc(f->series, cap * sizeof *grown);
        if (!grown)
            return NULL;
        f->series = grown;
        f->cap = cap;
    }
    series s = {.hash = hash, .keylen = keylen, .key = malloc(keylen ? keylen : 1)};
    if (f->type == TM_HISTOGRAM)
        s.counts = calloc(f->nbounds + 1, sizeof *s.counts);
    if (!s.key || (f->type == TM_HISTOGRAM && !s.counts)) {
        free_series(&s);
        return NULL;
    }
    memcpy(s.key, key, keylen);
    f->series[f->nseries] = s;
    return &f->series[f->nseries++];
}

/* The series of those label values, created if need be; past the cap, the
 * series whose values are all "other" (*capped set the first time). NULL when
 * out of memory. Called with the lock held. */
static series *find_or_add(sg_tm_family *f, const char *key, size_t keylen, bool *capped)
{
    uint64_t hash = fnv1a(key, keylen);
    series *s = lookup(f, key, keylen, hash);
    if (s)
        return s;
    if (f->nseries < SG_TM_MAX_SERIES)
        return append(f, key, keylen, hash);
    size_t olen = sizeof "other" * f->nlabels;
    char stack[384], *okey = olen <= sizeof stack ? stack : malloc(olen);
    if (!okey)
        return NULL;
    for (size_t i = 0; i < f->nlabels; i++)
        memcpy(okey + i * sizeof "other", "other", sizeof "other");
    hash = fnv1a(okey, olen);
    s = lookup(f, okey, olen, hash);
    if (!s)
        s = append(f, okey, olen, hash);
    if (okey != stack)
        free(okey);
    *capped = !f->capped;
    f->capped = true;
    return s;
}

static bool op_fits(tm_type t, tm_op op)
{
    return op == OP_ADD ? t != TM_HISTOGRAM : op == OP_SET ? t == TM_GAUGE : t == TM_HISTOGRAM;
}

/* Values a family's type ignores: counters only go up; a NaN observation
 * would make the sum NaN for ever. */
static bool ignored(tm_type t, double v)
{
    return (t == TM_COUNTER && !(v >= 0)) || (t == TM_HISTOGRAM && isnan(v));
}

static void apply(const sg_tm_family *f, series *s, tm_op op, double v)
{
    size_t i = 0;
    switch (op) {
    case OP_ADD: s->value += v; break;
    case OP_SET: s->value = v; break;
    case OP_OBSERVE:
        while (i < f->nbounds && v > f->bounds[i])
            i++;
        s->counts[i]++;
        s->count++;
        s->sum += v;
        break;
    }
}

static void update(sg_tm_family *f, tm_op op, double v, va_list ap)
{
    static const char *const op_names[] = {"sg_tm_add", "sg_tm_set", "sg_tm_observe"};
    char buf[512];
    size_t keylen;
    bool capped = false, misuse = false;
    if (!f || ignored(f->type, v))
        return;
    char *key = op_fits(f->type, op) ? make_key(f->nlabels, ap, buf, sizeof buf, &keylen) : NULL;
    lock(&mu);
    if (!op_fits(f->type, op)) {
        misuse = !f->misused;
        f->misused = true;
    } else if (key) {
        series *s = find_or_add(f, key, keylen, &capped);
        if (s)
            apply(f, s, op, v);
    }
    unlock(&mu);
    if (key != buf)
        free(key);
    if (misuse)
        sg_log(SG_LOG_ERROR, "telemetry: %s on %s, a %s: ignored", op_names[op], f->name, type_names[f->type]);
    if (capped)
        sg_log(SG_LOG_WARN, "telemetry: %s has %d series: new label values count in the series labelled \"other\"",
               f->name, SG_TM_MAX_SERIES);
}

void sg_tm_add(sg_tm_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(f, OP_ADD, v, ap);
    va_end(ap);
}

void sg_tm_set(sg_tm_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(f, OP_SET, v, ap);
    va_end(ap);
}

void sg_tm_observe(sg_tm_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(f, OP_OBSERVE, v, ap);
    va_end(ap);
}

void sg_tm_clear(sg_tm_family *f)
{
    if (!f || f->type != TM_GAUGE)
        return;
    lock(&mu);
    for (size_t i = 0; i < f->nseries; i++)
        free_series(&f->series[i]);
    f->nseries = 0;
    f->capped = false;
    unlock(&mu);
}

/* ---- collectors and rendering ------------------------------------------------ */

void sg_tm_collector(sg_tm_collect_fn *fn, void *ctx)
{
    collector *c = calloc(1, sizeof *c);
    if (!c || !fn) {
        sg_log(SG_LOG_ERROR, "telemetry: collector: %s", c ? "no function" : "out of memory");
        free(c);
        return;
    }
    c->fn = fn;
    c->ctx = ctx;
    lock(&mu);
    *collectors_tail = c;
    collectors_tail = &c->next;
    ncollectors++;
    unlock(&mu);
}

/* Calls the collectors without the lock (they set gauges): only the first n,
 * whose links are written before n was read, are followed. */
static void collect(void)
{
    lock(&mu);
    collector *c = collectors;
    size_t n = ncollectors;
    unlock(&mu);
    for (size_t i = 0; i < n; i++, c = c->next)
        c->fn(c->ctx);
}

/* v as the Go client prints it (strconv 'g', -1): the fewest significant
 * digits that read back as v, in exponent form when the exponent is below -4
 * or 6 and above ("1", "0.005", "1.234567e+06"). */
static const char *number(double v, char *buf, size_t len)
{
    int p = 1;
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    for (; p < 17; p++) {
        snprintf(buf, len, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    snprintf(buf, len, "%.*e", p - 1, v);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp >= -4 && exp < 6)
        snprintf(buf, len, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, v);
    return buf;
}

/* Label values escape \, " and newline; help text \ and newline. */
static void put_escaped(FILE *out, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '"' && quote)
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

/* name+suffix{labels[,le="..."]} value */
static void sample(FILE *out, const sg_tm_family *f, const char *suffix, const series *s, const char *le,
                   const char *value)
{
    const char *v = s->key;
    fprintf(out, "%s%s", f->name, suffix);
    for (size_t i = 0; i < f->nlabels; i++, v += strlen(v) + 1) {
        fprintf(out, "%c%s=\"", i ? ',' : '{', f->labels[i]);
        put_escaped(out, v, true);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%cle=\"%s\"", f->nlabels ? ',' : '{', le);
    fprintf(out, "%s %s\n", f->nlabels || le ? "}" : "", value);
}

static void render_histogram(FILE *out, const sg_tm_family *f, const series *s)
{
    char le[32], value[32];
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= f->nbounds; i++) {
        cumulative += s->counts[i];
        snprintf(value, sizeof value, "%llu", (unsigned long long)cumulative);
        sample(out, f, "_bucket", s, i < f->nbounds ? number(f->bounds[i], le, sizeof le) : "+Inf", value);
    }
    sample(out, f, "_sum", s, NULL, number(s->sum, value, sizeof value));
    snprintf(value, sizeof value, "%llu", (unsigned long long)s->count);
    sample(out, f, "_count", s, NULL, value);
}

static void render_family(FILE *out, const sg_tm_family *f)
{
    char value[32];
    if (*f->help) {
        fprintf(out, "# HELP %s ", f->name);
        put_escaped(out, f->help, false);
        fputc('\n', out);
    }
    fprintf(out, "# TYPE %s %s\n", f->name, type_names[f->type]);
    for (size_t i = 0; i < f->nseries; i++) {
        if (f->type == TM_HISTOGRAM)
            render_histogram(out, f, &f->series[i]);
        else
            sample(out, f, "", &f->series[i], NULL, number(f->series[i].value, value, sizeof value));
    }
}

char *sg_tm_render(size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    lock(&render_mu);
    collect();
    FILE *out = open_memstream(&text, &n);
    if (out) {
        lock(&mu);
        for (const sg_tm_family *f = families; f; f = f->next)
            render_family(out, f);
        unlock(&mu);
        bool failed = ferror(out) != 0;
        if (fclose(out) != 0 || failed) {
            free(text);
            text = NULL;
        }
    } else {
        text = NULL;
    }
    unlock(&render_mu);
    if (text && len)
        *len = n;
    return text;
}

void sg_tm_reset(void)
{
    lock(&render_mu);
    lock(&mu);
    while (families) {
        sg_tm_family *next = families->next;
        free_family(families);
        families = next;
    }
    families_tail = &families;
    while (collectors) {
        collector *next = collectors->next;
        free(collectors);
        collectors = next;
    }
    collectors_tail = &collectors;
    ncollectors = 0;
    unlock(&mu);
    unlock(&render_mu);
}
