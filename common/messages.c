/*
 * messages.c - see messages.h and schemas/messages.md.
 *
 * Decoding happens in three steps, each trusting only what the step before
 * proved: (1) a structural walk of the raw bytes, which bounds every length
 * and container count by the bytes actually present (msgpack-c would
 * otherwise allocate what a header claims: 2^32 entries), and finds
 * truncation and trailing bytes; (2) msgpack-c's unpacker on the proven
 * bytes; (3) the fields, each with its type, length and range.
 */
#include "messages.h"
#include "symbols.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8    /* nesting allowed inside unknown (future) fields */
#define MAX_KEY_LEN 64 /* longer keys are no field of any version */

/* ---- names ------------------------------------------------------------- */

static const char *const phase_names[] = {"prices", "factors", "metrics", "onboarding", "prices_bulk"};
#define NPHASES 5
static const char *const outcome_names[] = {"ok", "failed"};

const char *sg_phase_name(sg_phase p)
{
    return (unsigned)p < NPHASES ? phase_names[p] : NULL;
}

int sg_phase_parse(const char *s, sg_phase *out)
{
    for (int i = 0; i < NPHASES; i++)
        if (strcmp(s, phase_names[i]) == 0) {
            *out = (sg_phase)i;
            return 0;
        }
    return -1;
}

const char *sg_outcome_name(sg_outcome o)
{
    return (unsigned)o < 2 ? outcome_names[o] : NULL;
}

const char *sg_task_key(const sg_task *t, char buf[SG_DATE_LEN])
{
    return t->phase == SG_PHASE_PRICES_BULK ? sg_day_format(t->day, buf) : t->symbol;
}

const char *sg_event_key(const sg_event *e, char buf[SG_DATE_LEN])
{
    return e->phase == SG_PHASE_PRICES_BULK ? sg_day_format(e->day, buf) : e->symbol;
}

void sg_msg_escape(const void *data, size_t len, char *out, size_t outlen)
{
    const unsigned char *s = data;
    size_t w = 0;
    if (!outlen)
        return;
    for (size_t i = 0; i < len;) {
        size_t u = s[i] >= 0x80 ? sg_utf8_visible(s + i, len - i) : 0;
        size_t n = u ? u : s[i] < 0x20 || s[i] >= 0x7F ? 4 : 1;
        if (w + n >= outlen)
            break;
        if (u)
            memcpy(out + w, s + i, u);
        else if (n == 4)
            snprintf(out + w, outlen - w, "\\x%02X", s[i]);
        else
            out[w] = (char)s[i];
        w += n;
        i += u ? u : 1;
    }
    out[w] = '\0';
}

/* 0 when the key is want; -1 with the reason (the key escaped and cut) otherwise. */
static int key_check(const char *kind, const void *key, size_t keylen, const char *want, const char *what, char *err,
                     size_t errlen)
{
    char shown[4 * 40 + 1];
    if (key && keylen == strlen(want) && memcmp(key, want, keylen) == 0)
        return 0;
    if (!key || keylen == 0)
        snprintf(err, errlen, "%s: empty key (the key must be the message's %s, %s)", kind, what, want);
    else {
        sg_msg_escape(key, keylen > 40 ? 40 : keylen, shown, sizeof shown);
        snprintf(err, errlen, "%s: key '%s%s' (%zu bytes) is not the message's %s %s", kind, shown,
                 keylen > 40 ? "..." : "", keylen, what, want);
    }
    return -1;
}

int sg_task_key_check(const sg_task *t, const void *key, size_t keylen, char *err, size_t errlen)
{
    char buf[SG_DATE_LEN];
    return key_check("task", key, keylen, sg_task_key(t, buf), t->phase == SG_PHASE_PRICES_BULK ? "day" : "symbol",
                     err, errlen);
}

int sg_event_key_check(const sg_event *e, const void *key, size_t keylen, char *err, size_t errlen)
{
    char buf[SG_DATE_LEN];
    return key_check("event", key, keylen, sg_event_key(e, buf), e->phase == SG_PHASE_PRICES_BULK ? "day" : "symbol",
                     err, errlen);
}

/* ---- step 1: the structural walk ----------------------------------------- */

typedef struct walk {
    const uint8_t *p;
    size_t len, off;
    const char *why;
    char whybuf[96];
} walk;

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads an n-byte big-endian length at the cursor. */
static int walk_len(walk *w, int n, uint64_t *out)
{
    if (w->len - w->off < (size_t)n)
        return w->why = "truncated", -1;
    *out = be(w->p + w->off, n);
    w->off += (size_t)n;
    return 0;
}

/* Skips n payload bytes, proving they are present. */
static int walk_skip(walk *w, uint64_t n)
{
    if (n > w->len - w->off)
        return w->why = "truncated", -1;
    w->off += (size_t)n;
    return 0;
}

static int walk_object(walk *w, int depth);

/* n objects (2n for a map): each takes at least one byte, so a count larger
 * than the bytes left is a lie, caught before anything is allocated. */
static int walk_items(walk *w, uint64_t n, int depth)
{
    if (depth >= MAX_DEPTH)
        return w->why = "nested too deeply", -1;
    if (n > w->len - w->off) {
        snprintf(w->whybuf, sizeof w->whybuf, "truncated, or a header lies: %llu entries in %zu bytes",
                 (unsigned long long)n, w->len - w->off);
        return w->why = w->whybuf, -1;
    }
    for (uint64_t i = 0; i < n; i++)
        if (walk_object(w, depth + 1))
            return -1;
    return 0;
}

/* Sizes of the fixed-width types 0xc0..0xdf (-1: variable or invalid). */
static int fixed_size(uint8_t b)
{
    switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3: return 0;
    case 0xcc:
    case 0xd0: return 1;
    case 0xcd:
    case 0xd1: return 2;
    case 0xca:
    case 0xce:
    case 0xd2: return 4;
    case 0xcb:
    case 0xcf:
    case 0xd3: return 8;
    case 0xd4: return 2;
    case 0xd5: return 3;
    case 0xd6: return 5;
    case 0xd7: return 9;
    case 0xd8: return 17;
    default: return -1;
    }
}

static int walk_object(walk *w, int depth)
{
    if (w->off >= w->len)
        return w->why = "truncated", -1;
    uint8_t b = w->p[w->off++];
    uint64_t n;
    if (b <= 0x7f || b >= 0xe0)
        return 0;
    if (b <= 0x8f)
        return walk_items(w, 2u * (b & 0x0f), depth);
    if (b <= 0x9f)
        return walk_items(w, b & 0x0f, depth);
    if (b <= 0xbf)
        return walk_skip(w, b & 0x1f);
    int fs = fixed_size(b);
    if (fs >= 0)
        return walk_skip(w, (uint64_t)fs);
    switch (b) {
    case 0xc4:
    case 0xd9: return walk_len(w, 1, &n) ? -1 : walk_skip(w, n);
    case 0xc5:
    case 0xda: return walk_len(w, 2, &n) ? -1 : walk_skip(w, n);
    case 0xc6:
    case 0xdb: return walk_len(w, 4, &n) ? -1 : walk_skip(w, n);
    case 0xc7: return walk_len(w, 1, &n) ? -1 : walk_skip(w, n + 1);
    case 0xc8: return walk_len(w, 2, &n) ? -1 : walk_skip(w, n + 1);
    case 0xc9: return walk_len(w, 4, &n) ? -1 : walk_skip(w, n + 1);
    case 0xdc: return walk_len(w, 2, &n) ? -1 : walk_items(w, n, depth);
    case 0xdd: return walk_len(w, 4, &n) ? -1 : walk_items(w, n, depth);
    case 0xde: return walk_len(w, 2, &n) ? -1 : walk_items(w, 2 * n, depth);
    case 0xdf: return walk_len(w, 4, &n) ? -1 : walk_items(w, 2 * n, depth);
    default: return w->why = "invalid msgpack type byte 0xc1", -1;
    }
}

/* ---- step 3 helpers: fields -------------------------------------------- */

/* A decoding in progress: the kind ("task"/"event"), the map's values by
 * field name, and the caller's error buffer. */
typedef struct fields {
    const char *kind;
    const msgpack_object_kv *kv;
    uint32_t n;
    char *err;
    size_t errlen;
} fields;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
bad(const fields *f, const char *field, const char *fmt, ...)
{
    char raw[1024]; /* the reason before escaping: values quoted from the message may hold any byte */
    int k = field ? snprintf(raw, sizeof raw, "%s: field '%s': ", f->kind, field)
                  : snprintf(raw, sizeof raw, "%s: ", f->kind);
    if (k >= 0 && (size_t)k < sizeof raw) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw + k, sizeof raw - (size_t)k, fmt, ap);
        va_end(ap);
    }
    sg_msg_escape(raw, strlen(raw), f->err, f->errlen);
    return -1;
}

static const char *type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a float";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_BIN: return "binary";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an extension";
    }
}

static bool key_is(const msgpack_object *k, const char *name)
{
    return k->via.str.size == strlen(name) && memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

/* Keys are strings, short, and each appears once. The map has at most
 * SG_MSG_MAX_KEYS entries, so the pairwise check is cheap. */
static int check_keys(const fields *f)
{
    for (uint32_t i = 0; i < f->n; i++) {
        const msgpack_object *k = &f->kv[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return bad(f, NULL, "key %u is %s, expected a string", (unsigned)i, type_name(k));
        if (k->via.str.size == 0 || k->via.str.size > MAX_KEY_LEN)
            return bad(f, NULL, "key %u has %u bytes, expected 1..%d", (unsigned)i, (unsigned)k->via.str.size,
                       MAX_KEY_LEN);
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object *o = &f->kv[j].key;
            if (o->via.str.size == k->via.str.size && memcmp(o->via.str.ptr, k->via.str.ptr, k->via.str.size) == 0)
                return bad(f, NULL, "duplicate key '%.*s'", (int)k->via.str.size, k->via.str.ptr);
        }
    }
    return 0;
}

/* The value of a field, or NULL when the map has no such key. */
static const msgpack_object *find(const fields *f, const char *name)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (key_is(&f->kv[i].key, name))
            return &f->kv[i].val;
    return NULL;
}

/* The value of a required field, or NULL after setting the error. */
static const msgpack_object *need(const fields *f, const char *name)
{
    const msgpack_object *v = find(f, name);
    if (!v)
        bad(f, name, "missing");
    return v;
}

/* A known field that this kind of message must not carry (strict: a 1.1
 * reader knows it, so its presence where it means nothing is an error). */
static int absent(const fields *f, const char *name, const char *why)
{
    return find(f, name) ? bad(f, name, "%s", why) : 0;
}

static int get_int(const fields *f, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const msgpack_object *v = need(f, name);
    if (!v)
        return -1;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (v->via.u64 > (uint64_t)max)
            return bad(f, name, "%llu is out of range %lld..%lld", (unsigned long long)v->via.u64, (long long)min,
                       (long long)max);
        *out = (int64_t)v->via.u64;
    } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        if (v->via.i64 < min)
            return bad(f, name, "%lld is out of range %lld..%lld", (long long)v->via.i64, (long long)min,
                       (long long)max);
        *out = v->via.i64;
    } else
        return bad(f, name, "expected an integer, got %s", type_name(v));
    if (*out < min)
        return bad(f, name, "%lld is out of range %lld..%lld", (long long)*out, (long long)min, (long long)max);
    return 0;
}

/* A string of min..max bytes without NUL, copied into buf (max + 1 bytes). */
static int get_str(const fields *f, const char *name, size_t min, size_t max, char *buf)
{
    const msgpack_object *v = need(f, name);
    if (!v)
        return -1;
    if (v->type != MSGPACK_OBJECT_STR)
        return bad(f, name, "expected a string, got %s", type_name(v));
    size_t n = v->via.str.size;
    if (n < min || n > max)
        return bad(f, name, "%zu bytes, expected %zu..%zu", n, min, max);
    if (memchr(v->via.str.ptr, '\0', n))
        return bad(f, name, "contains a NUL byte");
    memcpy(buf, v->via.str.ptr, n);
    buf[n] = '\0';
    return 0;
}

/* Every byte in the set; the reason names the first one that is not. */
static int check_chars(const fields *f, const char *name, const char *s, const char *set, const char *what)
{
    size_t bad_at = strspn(s, set);
    if (s[bad_at] == '\0')
        return 0;
    unsigned char c = (unsigned char)s[bad_at];
    if (c > 0x20 && c < 0x7f)
        return bad(f, name, "character '%c' at position %zu is not allowed (%s)", c, bad_at + 1, what);
    return bad(f, name, "byte 0x%02x at position %zu is not allowed (%s)", c, bad_at + 1, what);
}

static int get_symbol(const fields *f, char *buf)
{
    char why[SG_SYMBOL_WHY_LEN];
    if (get_str(f, "symbol", 1, SG_MSG_SYMBOL_MAX, buf))
        return -1;
    if (sg_symbol_check(buf, why, sizeof why))
        return bad(f, "symbol", "%s", why);
    return 0;
}

static int get_run(const fields *f, char *buf)
{
    if (get_str(f, "run", 1, SG_MSG_RUN_MAX, buf))
        return -1;
    return check_chars(f, "run", buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-",
                       "A-Z a-z 0-9 . _ : -");
}

static int get_phase(const fields *f, sg_phase *out)
{
    char buf[16];
    if (get_str(f, "phase", 1, sizeof buf - 1, buf))
        return -1;
    if (sg_phase_parse(buf, out))
        return bad(f, "phase", "'%s' is not one of prices, factors, metrics, onboarding, prices_bulk", buf);
    return 0;
}

/* A date field: a real day in SG_MSG_DATE_MIN..SG_MSG_DATE_MAX. */
static int get_day(const fields *f, const char *name, sg_day *out)
{
    char buf[SG_DATE_LEN];
    const char *why;
    sg_day lo, hi;
    if (get_str(f, name, 10, 10, buf))
        return -1;
    if (sg_day_parse(buf, 10, out, &why))
        return bad(f, name, "'%s': %s", buf, why);
    if (sg_day_parse(SG_MSG_DATE_MIN, 10, &lo, &why) || sg_day_parse(SG_MSG_DATE_MAX, 10, &hi, &why))
        return bad(f, name, "internal: bad limits");
    if (*out < lo || *out > hi)
        return bad(f, name, "%s is outside %s..%s", buf, SG_MSG_DATE_MIN, SG_MSG_DATE_MAX);
    return 0;
}

static int get_date(const fields *f, sg_day *out)
{
    return get_day(f, "date", out);
}

/* A day no later than the task's date (day, from). */
static int not_after(const fields *f, const char *name, sg_day v, sg_day date)
{
    char a[SG_DATE_LEN], b[SG_DATE_LEN];
    if (v > date)
        return bad(f, name, "%s is after the task's date %s", sg_day_format(v, a), sg_day_format(date, b));
    return 0;
}

/* prices_bulk's market day: an NYSE trading day, no later than the date. */
static int get_bulk_day(const fields *f, sg_day date, sg_day *out)
{
    char d[SG_DATE_LEN];
    if (get_day(f, "day", out) || not_after(f, "day", *out, date))
        return -1;
    if (!sg_nyse_is_trading_day(*out))
        return bad(f, "day", "%s is not an NYSE trading day", sg_day_format(*out, d));
    return 0;
}

/* "MAJOR.MINOR", each 0..9999 without leading zeros. */
static int parse_version(const char *s, int *major, int *minor)
{
    int *part[2] = {major, minor};
    for (int i = 0; i < 2; i++) {
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n > 4 || (n > 1 && s[0] == '0'))
            return -1;
        *part[i] = atoi(s);
        s += n;
        if (i == 0 && *s++ != '.')
            return -1;
    }
    return *s ? -1 : 0;
}

static int get_version(const fields *f, int *major, int *minor)
{
    char buf[16];
    if (get_str(f, "v", 3, 9, buf))
        return -1;
    if (parse_version(buf, major, minor))
        return bad(f, "v", "'%s' is not MAJOR.MINOR", buf);
    if (*major != SG_MSG_MAJOR)
        return bad(f, "v", "unknown major version %d (this reader knows %d.x)", *major, SG_MSG_MAJOR);
    return 0;
}

/* UTF-8 without control characters (a reason is one line of text). */
static int get_reason(const fields *f, char *buf)
{
    if (get_str(f, "reason", 0, SG_MSG_REASON_MAX, buf))
        return -1;
    const unsigned char *s = (const unsigned char *)buf;
    for (size_t i = 0; s[i];) {
        unsigned c = s[i];
        int more = c < 0x80                          ? 0
                   : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1
                   : (c & 0xf0) == 0xe0              ? 2
                   : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 3
                                                     : -1;
        if (c < 0x20 || c == 0x7f)
            return bad(f, "reason", "control character 0x%02x at byte %zu", c, i + 1);
        if (more < 0)
            return bad(f, "reason", "invalid UTF-8 at byte %zu", i + 1);
        for (int k = 1; k <= more; k++)
            if ((s[i + (size_t)k] & 0xc0) != 0x80)
                return bad(f, "reason", "invalid UTF-8 at byte %zu", i + 1);
        i += (size_t)more + 1;
    }
    return 0;
}

/* ---- steps 1 and 2: bytes to a map ------------------------------------- */

/* Proves the bytes are one msgpack map and unpacks them into u. */
static int unpack_map(fields *f, const void *data, size_t len, msgpack_unpacked *u)
{
    if (len == 0)
        return bad(f, NULL, "empty message");
    if (len > SG_MSG_MAX_BYTES)
        return bad(f, NULL, "%zu bytes, more than the limit of %d", len, SG_MSG_MAX_BYTES);
    walk w = {data, len, 0, NULL, ""};
    if (walk_object(&w, 0))
        return bad(f, NULL, "malformed msgpack at byte %zu: %s", w.off, w.why);
    if (w.off != len)
        return bad(f, NULL, "%zu trailing bytes after the message", len - w.off);
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next(u, data, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len)
        return bad(f, NULL, "msgpack-c cannot unpack the message (code %d)", (int)rc);
    const msgpack_object *root = &u->data;
    if (root->type != MSGPACK_OBJECT_MAP)
        return bad(f, NULL, "expected a map, got %s", type_name(root));
    if (root->via.map.size > SG_MSG_MAX_KEYS)
        return bad(f, NULL, "%u keys, more than the limit of %d", (unsigned)root->via.map.size, SG_MSG_MAX_KEYS);
    f->kv = root->via.map.ptr;
    f->n = root->via.map.size;
    return check_keys(f);
}

/* ---- decoding ------------------------------------------------------------ */

/* What names the work: prices_bulk's day (and no symbol), or the symbol
 * (and no day); from only in a prices task, no later than the date. */
static int task_target(const fields *f, sg_task *t)
{
    if (t->phase == SG_PHASE_PRICES_BULK)
        return absent(f, "symbol", "not allowed in a prices_bulk task (its key is the day)") ||
                       get_bulk_day(f, t->date, &t->day) || absent(f, "from", "only in a prices task")
                   ? -1
                   : 0;
    if (get_symbol(f, t->symbol) || absent(f, "day", "only in a prices_bulk task"))
        return -1;
    if (!find(f, "from"))
        return 0;
    if (t->phase != SG_PHASE_PRICES)
        return bad(f, "from", "only in a prices task");
    t->has_from = true;
    return get_day(f, "from", &t->from) || not_after(f, "from", t->from, t->date) ? -1 : 0;
}

static int task_fields(const fields *f, sg_task *t)
{
    int64_t attempt;
    if (get_version(f, &t->major, &t->minor) || get_run(f, t->run) || get_phase(f, &t->phase) ||
        get_date(f, &t->date) || task_target(f, t) || get_int(f, "attempt", 1, SG_MSG_ATTEMPT_MAX, &attempt))
        return -1;
    t->attempt = (int)attempt;
    return 0;
}

int sg_task_decode(const void *data, size_t len, sg_task *out, char *err, size_t errlen)
{
    fields f = {"task", NULL, 0, err, errlen};
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    sg_task t;
    memset(&t, 0, sizeof t);
    int rc = unpack_map(&f, data, len, &u) || task_fields(&f, &t) ? -1 : 0;
    msgpack_unpacked_destroy(&u);
    if (rc == 0)
        *out = t;
    return rc;
}

static int event_outcome(const fields *f, sg_event *e)
{
    char buf[8];
    if (get_str(f, "outcome", 1, sizeof buf - 1, buf))
        return -1;
    if (strcmp(buf, "ok") == 0)
        e->outcome = SG_OUTCOME_OK;
    else if (strcmp(buf, "failed") == 0)
        e->outcome = SG_OUTCOME_FAILED;
    else
        return bad(f, "outcome", "'%s' is not one of ok, failed", buf);
    return 0;
}

/* prices_bulk's day (and no symbol), or the symbol (and no day). */
static int event_target(const fields *f, sg_event *e)
{
    if (e->phase == SG_PHASE_PRICES_BULK)
        return absent(f, "symbol", "not allowed in a prices_bulk event (its key is the day)") ||
                       get_day(f, "day", &e->day)
                   ? -1
                   : 0;
    return get_symbol(f, e->symbol) || absent(f, "day", "only in a prices_bulk event") ? -1 : 0;
}

static int event_fields(const fields *f, sg_event *e)
{
    if (get_version(f, &e->major, &e->minor) || get_run(f, e->run) || get_phase(f, &e->phase) ||
        event_target(f, e) || event_outcome(f, e) || get_reason(f, e->reason) ||
        get_int(f, "rows", 0, SG_MSG_ROWS_MAX, &e->rows) || get_str(f, "worker", 1, SG_MSG_WORKER_MAX, e->worker) ||
        check_chars(f, "worker", e->worker,
                    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
                    "printable ASCII without spaces") ||
        get_int(f, "elapsed_ms", 0, SG_MSG_ELAPSED_MAX, &e->elapsed_ms))
        return -1;
    if (e->outcome == SG_OUTCOME_FAILED && !e->reason[0])
        return bad(f, "reason", "required when the outcome is failed");
    return 0;
}

int sg_event_decode(const void *data, size_t len, sg_event *out, char *err, size_t errlen)
{
    fields f = {"event", NULL, 0, err, errlen};
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    sg_event e;
    memset(&e, 0, sizeof e);
    int rc = unpack_map(&f, data, len, &u) || event_fields(&f, &e) ? -1 : 0;
    msgpack_unpacked_destroy(&u);
    if (rc == 0)
        *out = e;
    return rc;
}

/* ---- encoding ------------------------------------------------------------ */

void sg_msg_buf_free(sg_msg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* msgpack_packer's write callback: appends to an sg_msg_buf. */
static int buf_write(void *data, const char *p, size_t n)
{
    sg_msg_buf *b = data;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n) ? -1 : 0;
}

/* One "key": "string value" pair. */
static int pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    return pack_str(pk, k) || pack_str(pk, v) ? -1 : 0;
}

static int pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
    return pack_str(pk, k) || msgpack_pack_int64(pk, v) ? -1 : 0;
}

static int pack_version(msgpack_packer *pk)
{
    char v[16];
    snprintf(v, sizeof v, "%d.%d", SG_MSG_MAJOR, SG_MSG_MINOR);
    return pack_kv_str(pk, "v", v);
}

static int encode_fail(const char *kind, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", kind, what);
    return -1;
}

static bool in_range(sg_day d)
{
    return d >= sg_day_from_ymd(1970, 1, 1) && d <= sg_day_from_ymd(2099, 12, 31);
}

int sg_task_encode(const sg_task *t, sg_msg_buf *out, char *err, size_t errlen)
{
    const char *phase = sg_phase_name(t->phase);
    bool bulk = t->phase == SG_PHASE_PRICES_BULK, from = !bulk && t->has_from;
    char date[SG_DATE_LEN], extra[SG_DATE_LEN];
    if (!phase)
        return encode_fail("task", "field 'phase': not a phase", err, errlen);
    if (!in_range(t->date))
        return encode_fail("task", "field 'date': outside " SG_MSG_DATE_MIN ".." SG_MSG_DATE_MAX, err, errlen);
    if ((bulk && !in_range(t->day)) || (from && !in_range(t->from)))
        return encode_fail("task", bulk ? "field 'day': outside " SG_MSG_DATE_MIN ".." SG_MSG_DATE_MAX
                                        : "field 'from': outside " SG_MSG_DATE_MIN ".." SG_MSG_DATE_MAX,
                           err, errlen);
    sg_day_format(t->date, date);
    sg_day_format(bulk ? t->day : t->from, extra);
    out->len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    /* prices_bulk names its day instead of a symbol; prices may carry from */
    if (msgpack_pack_map(&pk, 6 + from) || pack_version(&pk) || pack_kv_str(&pk, "run", t->run) ||
        pack_kv_str(&pk, "phase", phase) || pack_kv_str(&pk, "date", date) ||
        pack_kv_str(&pk, bulk ? "day" : "symbol", bulk ? extra : t->symbol) ||
        (from && pack_kv_str(&pk, "from", extra)) || pack_kv_int(&pk, "attempt", t->attempt))
        return encode_fail("task", "out of memory while encoding", err, errlen);
    sg_task check; /* publish nothing a consumer would reject */
    return sg_task_decode(out->data, out->len, &check, err, errlen);
}

int sg_event_encode(const sg_event *e, sg_msg_buf *out, char *err, size_t errlen)
{
    const char *phase = sg_phase_name(e->phase), *outcome = sg_outcome_name(e->outcome);
    bool bulk = e->phase == SG_PHASE_PRICES_BULK;
    char day[SG_DATE_LEN];
    if (!phase)
        return encode_fail("event", "field 'phase': not a phase", err, errlen);
    if (!outcome)
        return encode_fail("event", "field 'outcome': not an outcome", err, errlen);
    if (bulk && !in_range(e->day))
        return encode_fail("event", "field 'day': outside " SG_MSG_DATE_MIN ".." SG_MSG_DATE_MAX, err, errlen);
    sg_day_format(e->day, day);
    out->len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    if (msgpack_pack_map(&pk, 9) || pack_version(&pk) || pack_kv_str(&pk, "run", e->run) ||
        pack_kv_str(&pk, "phase", phase) || pack_kv_str(&pk, bulk ? "day" : "symbol", bulk ? day : e->symbol) ||
        pack_kv_str(&pk, "outcome", outcome) || pack_kv_str(&pk, "reason", e->reason) ||
        pack_kv_int(&pk, "rows", e->rows) || pack_kv_str(&pk, "worker", e->worker) ||
        pack_kv_int(&pk, "elapsed_ms", e->elapsed_ms))
        return encode_fail("event", "out of memory while encoding", err, errlen);
    sg_event check;
    return sg_event_decode(out->data, out->len, &check, err, errlen);
}
