/*
 * badgen.c - the bad-input tests' generator of bad messages and reader of the
 * dead-letter topic (tests/badinput/volume_test.sh).
 *
 *   badgen garbage TOPIC COUNT SEED EXPECT   COUNT bad messages on TOPIC (tasks | onboarding |
 *                                            events), acknowledged; EXPECT gets "ID<TAB>reason"
 *                                            per message a consumer must dead-letter
 *   badgen dead OUT                          the dead-letter topic from its start to its end as
 *                                            it was when asked: "ID<TAB>source topic<TAB>reason
 *                                            <TAB>sigma.cut" per message ("-": no such header; a
 *                                            header holding a control byte: "!a control byte...")
 *
 * Every message carries the header bad.id=TOPIC-N (the dead-letter path keeps a
 * message's headers), and is one seeded variant of: bytes that are no msgpack,
 * a valid message cut short (every prefix length in turn), one over the
 * decoder's 64 KiB limit, a wrong type for each field in turn, a missing field,
 * unknown fields that break a rule (too many keys, a long key, a non-string
 * key, a duplicate, nesting deeper than 8), an unknown major version, a wrong
 * phase, a date out of range, an attempt out of range, a key that is not the
 * symbol or no key, a hostile symbol; on events also a wrong outcome, reason,
 * rows, worker or elapsed time. Before a message is sent it is decoded here
 * with the consumers' own rules (the decoder and the key check): one that
 * passes is a bug of this generator (exit 1), and the reason it gives is the
 * reason expected in the dead-letter topic. Besides COUNT, three messages of
 * 2 MB (over librdkafka's message.max.bytes, 1,000,000) must be refused by
 * the producer itself (MSG_SIZE_TOO_LARGE): they never reach a broker; and
 * one more is the largest the producer takes (its dead letter, with the
 * reason's headers, is over the limit: the consumer must still dead-letter it).
 * The broker from SIGMA_BROKERS. Exit 0, 1 with the reason on stderr, 2: usage.
 * Must not: send a message a consumer would accept (it would be work done).
 */
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "messages.h"

#define EXPECT_REASON_MAX 200 /* consumers may cut a reason; the test compares this much */
#define HUGE_BYTES 2000000    /* over message.max.bytes: the producer refuses it */

/* Writes the reason into err; returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
failf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- a message as a list of fields ------------------------------------------------ */

typedef enum vtype { T_STR, T_INT, T_FLOAT, T_NIL, T_MAP, T_ARRAY, T_BOOL, T_BIN, T_DEEP } vtype;

typedef struct field {
    const char *name;
    size_t name_len; /* 0: strlen(name) */
    vtype type;
    const char *s; /* T_STR, T_BIN */
    size_t len;    /* 0: strlen(s) */
    int64_t i;     /* T_INT; T_DEEP: the depth */
    bool key_int;  /* the key is the integer 7, not a string */
} field;

typedef struct msg {
    field f[40];
    size_t n;
    char key[64];
    size_t key_len;
    bool no_key;
    char pad[70000]; /* a long value's bytes (oversized messages) */
} msg;

static const char *const hostile[] = {
    "'; DROP TABLE symbol_universe; --", "AAPL' OR '1'='1", "$(touch /tmp/pwned)", "../../etc/passwd", "%00",
    "AA\nPL", "AA\rPL", "AA\tPL", "{symbol}", "A?B", "A&B", "A#B", "A/B", "ABCDEFGHIJKLMNOPQRSTU",
    "\xC3\x84PFEL", "\xE8\x8B\xB9\xE6\x9E\x9C", "\xF0\x9F\x8D\x8E", "\xFF\xFE", "A\xE2\x80\x8B" "B", " ",
    "aapl", "A..B", ".A", "A B"};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

static uint64_t rng;
static uint64_t next_rand(void) /* xorshift64*: the same SEED, the same messages */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void put(msg *m, const char *name, vtype t, const char *s, int64_t i)
{
    m->f[m->n++] = (field){.name = name, .type = t, .s = s, .i = i};
}

static field *get(msg *m, const char *name)
{
    for (size_t k = 0; k < m->n; k++)
        if (strcmp(m->f[k].name, name) == 0)
            return &m->f[k];
    return NULL;
}

static void drop(msg *m, size_t k)
{
    memmove(&m->f[k], &m->f[k + 1], (m->n - k - 1) * sizeof m->f[0]);
    m->n--;
}

static void set_key(msg *m, const char *k, size_t len)
{
    m->key_len = len < sizeof m->key ? len : sizeof m->key;
    memcpy(m->key, k, m->key_len);
}

/* A valid message of the topic's kind, its symbol a valid one of its own. */
static void base(msg *m, bool event, bool onboarding, long id)
{
    static char sym[16];
    memset(m, 0, offsetof(msg, pad));
    snprintf(sym, sizeof sym, "BAD%ld", id % 100000);
    put(m, "v", T_STR, "1.1", 0);
    put(m, "run", T_STR, onboarding ? "onboard-00000000-0000-4000-8000-000000000000" : "bad-run", 0);
    put(m, "phase", T_STR, onboarding ? "onboarding" : "prices", 0);
    if (event) {
        put(m, "symbol", T_STR, sym, 0);
        put(m, "outcome", T_STR, "ok", 0);
        put(m, "reason", T_STR, "", 0);
        put(m, "rows", T_INT, NULL, 1);
        put(m, "worker", T_STR, "badgen", 0);
        put(m, "elapsed_ms", T_INT, NULL, 5);
    } else {
        put(m, "date", T_STR, "2025-07-15", 0);
        put(m, "symbol", T_STR, sym, 0);
        put(m, "attempt", T_INT, NULL, 1);
    }
    set_key(m, sym, strlen(sym));
}

/* ---- packing ------------------------------------------------------------------------ */

static void pack_value(msgpack_packer *pk, const field *f)
{
    switch (f->type) {
    case T_STR:
    case T_BIN: {
        size_t n = f->len ? f->len : strlen(f->s);
        if (f->type == T_STR)
            msgpack_pack_str(pk, n), msgpack_pack_str_body(pk, f->s, n);
        else
            msgpack_pack_bin(pk, n), msgpack_pack_bin_body(pk, f->s, n);
        break;
    }
    case T_INT: msgpack_pack_int64(pk, f->i); break;
    case T_FLOAT: msgpack_pack_double(pk, 2025.0715); break;
    case T_NIL: msgpack_pack_nil(pk); break;
    case T_MAP: msgpack_pack_map(pk, 1), msgpack_pack_str(pk, 1), msgpack_pack_str_body(pk, "x", 1), msgpack_pack_int(pk, 1); break;
    case T_ARRAY: msgpack_pack_array(pk, 2), msgpack_pack_int(pk, 1), msgpack_pack_int(pk, 2); break;
    case T_BOOL: msgpack_pack_true(pk); break;
    case T_DEEP:
        for (int64_t d = 0; d < f->i; d++)
            msgpack_pack_array(pk, 1);
        msgpack_pack_nil(pk);
        break;
    }
}

static void pack(const msg *m, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, m->n);
    for (size_t k = 0; k < m->n; k++) {
        const field *f = &m->f[k];
        size_t n = f->name_len ? f->name_len : strlen(f->name);
        if (f->key_int)
            msgpack_pack_int(&pk, 7);
        else
            msgpack_pack_str(&pk, n), msgpack_pack_str_body(&pk, f->name, n);
        pack_value(&pk, f);
    }
}

/* ---- the variants -------------------------------------------------------------------- */

enum {
    V_NOT_MSGPACK, V_TRUNCATED, V_WRONG_TYPE, V_MISSING, V_UNKNOWN, V_MAJOR, V_PHASE, V_DATE, V_INT_RANGE,
    V_KEY, V_SYMBOL, V_EVENT_TEXT, V_COUNT
};

/* A wrong type for field f: a string field gets another type, an integer field a string or other. */
static void wrong_type(field *f, uint64_t r)
{
    static const vtype for_str[] = {T_INT, T_MAP, T_NIL, T_FLOAT, T_ARRAY, T_BOOL, T_BIN};
    static const vtype for_int[] = {T_STR, T_MAP, T_NIL, T_FLOAT, T_ARRAY, T_BOOL, T_BIN};
    vtype t = f->type == T_INT ? for_int[r % 7] : for_str[r % 7];
    if (t == T_INT)
        f->i = -1;
    if (t == T_STR || t == T_BIN)
        f->s = "1";
    f->type = t;
}

/* Unknown fields that break a rule (unknown fields alone are allowed: a newer minor version). */
static void unknown(msg *m, uint64_t r)
{
    static char names[40][8];
    static const char long_key[] = "an_unknown_key_of_sixty_five_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    switch (r % 5) {
    case 0: /* more than 32 keys */
        while (m->n < 33) {
            snprintf(names[m->n], sizeof names[0], "x%zu", m->n);
            put(m, names[m->n], T_INT, NULL, 1);
        }
        break;
    case 1: put(m, long_key, T_INT, NULL, 1); break;
    case 2:
        put(m, "x", T_INT, NULL, 1);
        m->f[m->n - 1].key_int = true;
        break;
    case 3:
        put(m, "future", T_INT, NULL, 1);
        put(m, "future", T_STR, "again", 0);
        break;
    default: put(m, "future", T_DEEP, NULL, 9); break;
    }
}

static void text_of(msg *m, const char *name, const char *const *v, size_t n, uint64_t r)
{
    field *f = get(m, name);
    f->s = v[r % n];
    f->len = 0;
}

/* A valid message with one thing wrong (or none, for the caller to reject). */
static void mutate(msg *m, int variant, bool event, uint64_t r)
{
    static const char *const majors[] = {"2.0", "0.1", "1", "x.y", "01.1", "1.1.1", "10000.0", ""};
    static const char *const phases[] = {"Prices", "price", "prices\n", "", "PRICES", "prices_bulk", "metrics ", "onboarding\r\n"};
    static const char *const dates[] = {"1969-12-31", "2100-01-01", "2025-02-30", "2025-7-15 ", "2025/07/15", "0000-00-00", "9999-99-99", "2025-07-1\n"};
    static const char *const outcomes[] = {"maybe", "OK", "", "ok\n"};
    static const char *const reasons[] = {"line one\nforged: line two", "\xFF\xFE not UTF-8", "tab\there"};
    static const char *const workers[] = {"a b", "", "w\n1"};
    switch (variant) {
    case V_WRONG_TYPE: wrong_type(&m->f[r % m->n], r / 7); break;
    case V_MISSING: drop(m, r % m->n); break;
    case V_UNKNOWN: unknown(m, r); break;
    case V_MAJOR: text_of(m, "v", majors, 8, r); break;
    case V_PHASE: text_of(m, "phase", phases, 8, r); break;
    case V_DATE:
        if (event)
            text_of(m, "phase", phases, 8, r);
        else
            text_of(m, "date", dates, 8, r);
        break;
    case V_INT_RANGE: {
        static const int64_t bad[] = {0, -1, 101, INT64_C(1) << 40};
        field *f = get(m, event ? (r % 2 ? "rows" : "elapsed_ms") : "attempt");
        f->i = event ? (r % 4 == 1 ? -1 : INT64_C(1) << 40) : bad[r % 4];
        break;
    }
    case V_KEY:
        if (r % 2)
            m->no_key = true;
        else
            set_key(m, "S0001", 5); /* a real symbol of the run, not this message's */
        break;
    case V_SYMBOL: {
        field *f = get(m, "symbol");
        f->s = hostile[r % NHOSTILE];
        f->len = 0;
        set_key(m, f->s, strlen(f->s));
        break;
    }
    case V_EVENT_TEXT:
        if (!event) {
            mutate(m, V_SYMBOL, event, r);
            break;
        }
        switch (r % 4) {
        case 0: text_of(m, "outcome", outcomes, 4, r / 4); break;
        case 1: text_of(m, "reason", reasons, 3, r / 4), text_of(m, "outcome", (const char *const[]){"failed"}, 1, 0); break;
        case 2: text_of(m, "outcome", (const char *const[]){"failed"}, 1, 0); break; /* no reason */
        default: text_of(m, "worker", workers, 3, r / 4); break;
        }
        break;
    }
}

/* ---- checking, as the consumers do -------------------------------------------------- */

/* 0 and the reason when a consumer refuses the bytes; -1 when it would accept them. */
static int refused(bool event, const void *v, size_t len, const msg *m, char *why, size_t whylen)
{
    const void *key = m->no_key ? NULL : m->key;
    size_t keylen = m->no_key ? 0 : m->key_len;
    if (event) {
        sg_event e;
        return sg_event_decode(v, len, &e, why, whylen) == 0 && sg_event_key_check(&e, key, keylen, why, whylen) == 0
                   ? -1
                   : 0;
    }
    sg_task t;
    return sg_task_decode(v, len, &t, why, whylen) == 0 && sg_task_key_check(&t, key, keylen, why, whylen) == 0 ? -1
                                                                                                                 : 0;
}

/* ---- producing ------------------------------------------------------------------------ */

static int send_msg(sg_bus *p, const char *topic, const msg *m, const void *v, size_t len, const char *id,
                rd_kafka_resp_err_t *out, char *err, size_t errlen)
{
    rd_kafka_t *rk = sg_bus_handle(p);
    for (;;) {
        rd_kafka_resp_err_t r = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(m->no_key ? NULL : m->key, m->no_key ? 0 : m->key_len),
            RD_KAFKA_V_VALUE((void *)v, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("bad.id", id, -1), RD_KAFKA_V_END);
        if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            *out = r;
            if (r && r != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
                return failf(err, errlen, "produce %s to %s: %s", id, topic, rd_kafka_err2str(r));
            return 0;
        }
        rd_kafka_poll(rk, 100);
    }
}

/* m with an unknown field of n bytes, packed into sb and sent; r: the producer's answer. */
static int send_big(sg_bus *p, const char *topic, msg *m, const char *name, size_t n, msgpack_sbuffer *sb,
                    rd_kafka_resp_err_t *r, char *err, size_t errlen)
{
    char *big = n > sizeof m->pad ? malloc(n) : m->pad;
    if (!big)
        return failf(err, errlen, "out of memory");
    memset(big, 'x', n);
    put(m, "future", T_STR, big, 0);
    m->f[m->n - 1].len = n;
    pack(m, sb);
    int rc = send_msg(p, topic, m, sb->data, sb->size, name, r, err, errlen);
    if (big != m->pad)
        free(big);
    m->n--;
    return rc;
}

/* The largest message the producer takes (message.max.bytes counts the key and
 * headers too): a dead letter of it, with the reason's headers, would not fit. */
static int send_near(sg_bus *p, const char *topic, msg *m, const char *name, msgpack_sbuffer *sb, size_t *size,
                     char *err, size_t errlen)
{
    rd_kafka_resp_err_t r = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    for (size_t n = 1000000; r == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && n > 900000; n -= 8)
        if (send_big(p, topic, m, name, n, sb, &r, err, errlen))
            return -1;
    if (r)
        return failf(err, errlen, "%s: no size near message.max.bytes accepted: %s", name, rd_kafka_err2str(r));
    *size = sb->size;
    return 0;
}

/* The bytes of variant v of message m: packed, or raw for the variants that are no map. */
static void build(msg *m, int variant, bool event, long id, uint64_t r, msgpack_sbuffer *sb)
{
    if (variant == V_NOT_MSGPACK) {
        msgpack_sbuffer_clear(sb);
        size_t n = 1 + r % 200;
        for (size_t k = 0; k < n; k++) {
            char c = k == 0 && r % 3 == 0 ? (char)0xc1 : (char)(next_rand() & 0xff);
            msgpack_sbuffer_write(sb, &c, 1);
        }
        return;
    }
    mutate(m, variant, event, r);
    pack(m, sb);
    if (variant == V_TRUNCATED) /* every prefix length in turn, the empty message included */
        sb->size = (size_t)id % sb->size;
}

static int garbage(const char *topic_arg, long count, uint64_t seed, const char *expect, char *err, size_t errlen)
{
    bool event = strcmp(topic_arg, "events") == 0, onboarding = strcmp(topic_arg, "onboarding") == 0;
    if (!event && !onboarding && strcmp(topic_arg, "tasks") != 0)
        return failf(err, errlen, "TOPIC %s: expected tasks, onboarding or events", topic_arg);
    const char *topic = sg_bus_topic_name(event ? SG_TOPIC_EVENTS : onboarding ? SG_TOPIC_ONBOARDING : SG_TOPIC_TASKS);
    FILE *out = fopen(expect, "w");
    msg *m = malloc(sizeof *m);
    sg_bus *p = out && m ? sg_bus_producer_new(err, errlen) : NULL;
    if (!p) {
        if (!out || !m)
            snprintf(err, errlen, "%s: cannot open, or out of memory", expect);
        free(m);
        if (out)
            fclose(out);
        return -1;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    rng = seed ? seed : 1;
    long sent = 0, oversized = 0, refused_huge = 0, per[V_COUNT] = {0};
    size_t near = 0;
    int rc = 0;
    for (long id = 0; rc == 0 && id < count + 4; id++) {
        char name[64], why[EXPECT_REASON_MAX + 1];
        rd_kafka_resp_err_t r;
        snprintf(name, sizeof name, "%s-%ld", topic_arg, id);
        base(m, event, onboarding, id);
        int variant = (int)(next_rand() % V_COUNT);
        if (id >= count + 3) { /* the largest value the producer accepts */
            rc = send_near(p, topic, m, name, &sb, &near, err, errlen);
        } else if (id >= count) { /* over message.max.bytes: refused by the producer */
            rc = send_big(p, topic, m, name, HUGE_BYTES, &sb, &r, err, errlen);
            if (rc == 0 && r != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
                rc = failf(err, errlen, "%s (%zu bytes): the producer answered '%s'", name, sb.size, rd_kafka_err2str(r));
            refused_huge++;
            continue;
        } else if (id % 1000 == 999) { /* over the decoder's 64 KiB */
            rc = send_big(p, topic, m, name, sizeof m->pad, &sb, &r, err, errlen);
            if (rc == 0 && r)
                rc = failf(err, errlen, "%s (%zu bytes): the producer answered '%s'", name, sb.size, rd_kafka_err2str(r));
            oversized++;
        } else {
            build(m, variant, event, id, next_rand(), &sb);
            if (refused(event, sb.data, sb.size, m, why, sizeof why))
                rc = failf(err, errlen, "%s: variant %d would be accepted (a bug of this generator)", name, variant);
            else
                rc = send_msg(p, topic, m, sb.data, sb.size, name, &r, err, errlen);
            per[variant]++;
        }
        if (rc == 0) {
            refused(event, sb.data, sb.size, m, why, sizeof why);
            fprintf(out, "%s\t%s\n", name, why);
            sent++;
        }
    }
    if (rc == 0)
        rc = sg_bus_await(p, 120000, err, errlen);
    if (rc == 0) {
        printf("%s: %ld bad messages sent and acknowledged (%ld over 64 KiB; by variant:", topic, sent, oversized);
        for (int v = 0; v < V_COUNT; v++)
            printf(" %ld", per[v]);
        printf("; one of %zu bytes, the largest the producer takes); %ld of 2 MB refused by the producer "
               "(message.max.bytes)\n", near, refused_huge);
    }
    msgpack_sbuffer_destroy(&sb);
    sg_bus_free(p);
    free(m);
    if (fclose(out) && rc == 0)
        rc = failf(err, errlen, "%s: write error", expect);
    return rc;
}

/* ---- reading the dead letters ------------------------------------------------------------- */

static void header(const rd_kafka_message_t *m, const char *name, char *out, size_t len)
{
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;
    snprintf(out, len, "-");
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(h, name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR && v) {
        char shown[900];
        sg_msg_escape(v, n, shown, sizeof shown);
        bool control = false;
        for (size_t i = 0; i < n; i++)
            control |= ((const unsigned char *)v)[i] < 0x20 || ((const unsigned char *)v)[i] == 0x7f;
        snprintf(out, len, "%s%s", control ? "!a control byte in the header: " : "", shown);
    }
}

/* Assigns every partition of topic from its start; ends[] gets each high watermark. */
static int assign_all(rd_kafka_t *rk, const char *topic, int64_t *starts, int64_t *ends, int *n, char *err,
                      size_t errlen)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = t ? rd_kafka_metadata(rk, 0, t, &md, 30000) : RD_KAFKA_RESP_ERR__FAIL;
    if (t)
        rd_kafka_topic_destroy(t);
    if (!e && (md->topic_cnt != 1 || md->topics[0].err)) {
        e = md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC : md->topics[0].err;
        rd_kafka_metadata_destroy(md);
    }
    if (e)
        return failf(err, errlen, "metadata of %s: %s", topic, rd_kafka_err2str(e));
    *n = md->topics[0].partition_cnt > 64 ? 64 : md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(*n);
    for (int p = 0; p < *n && !e; p++) {
        e = rd_kafka_query_watermark_offsets(rk, topic, p, &starts[p], &ends[p], 30000);
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = starts[p];
    }
    if (!e)
        e = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return e ? failf(err, errlen, "offsets of %s: %s", topic, rd_kafka_err2str(e)) : 0;
}

static int dead(const char *path, char *err, size_t errlen)
{
    const char *topic = sg_bus_topic_name(SG_TOPIC_DEADLETTER);
    int64_t ends[64], at[64];
    int n = 0, rc;
    FILE *out = fopen(path, "w");
    sg_bus *c = out ? sg_bus_consumer_new("badgen-dead", NULL, NULL, err, errlen) : NULL;
    if (!c) {
        if (out)
            fclose(out);
        return out ? -1 : failf(err, errlen, "%s: cannot open", path);
    }
    rc = assign_all(sg_bus_handle(c), topic, at, ends, &n, err, errlen);
    double deadline = sg_clock_ms() + 120000;
    int left = 0;
    for (int p = 0; p < n; p++)
        left += at[p] < ends[p];
    while (rc == 0 && left > 0) {
        rd_kafka_message_t *m;
        int got = sg_bus_consume(c, 200, &m, err, errlen);
        if (sg_clock_ms() > deadline)
            rc = failf(err, errlen, "%s not read to its end within 120 s", topic);
        if (got != 1)
            continue;
        char id[128], src[128], why[1024], cut[128];
        if (m->offset < ends[m->partition]) {
            header(m, "bad.id", id, sizeof id);
            header(m, "sigma.topic", src, sizeof src);
            header(m, "sigma.reason", why, sizeof why);
            header(m, "sigma.cut", cut, sizeof cut);
            fprintf(out, "%s\t%s\t%s\t%s\n", id, src, why, cut);
        }
        at[m->partition] = m->offset + 1;
        rd_kafka_message_destroy(m);
        left = 0;
        for (int p = 0; p < n; p++)
            left += at[p] < ends[p];
    }
    sg_bus_free(c);
    if (fclose(out) && rc == 0)
        rc = failf(err, errlen, "%s: write error", path);
    return rc;
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    int rc;
    bool g = argc == 6 && strcmp(argv[1], "garbage") == 0, d = argc == 3 && strcmp(argv[1], "dead") == 0;
    if (!g && !d) {
        fputs("usage: badgen garbage TOPIC COUNT SEED EXPECT | badgen dead OUT\n", stderr);
        return 2;
    }
    if (sg_config_check(err, sizeof err))
        rc = -1;
    else if (g)
        rc = garbage(argv[2], strtol(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), argv[5], err, sizeof err);
    else
        rc = dead(argv[2], err, sizeof err);
    if (rc)
        fprintf(stderr, "badgen: %s\n", err);
    sg_config_reset();
    return rc ? 1 : 0;
}
