/*
 * test_messages.c - tasks and events on the bus (messages.h), as
 * schemas/messages.md specifies them.
 *
 * Round trips at the limits, then malformed bytes of every kind a broken or
 * hostile producer could publish, each rejected with the reason a dead-letter
 * reader needs ("task: field 'symbol': ..."). Every input lives in a buffer
 * of exactly its length, so AddressSanitizer sees any read past the end.
 */
#include <msgpack.h>

#include "messages.h"
#include "symbols.h"
#include "sgtest.h"

/* ---- building maps field by field ------------------------------------------ */

/* One map entry. kind: s string, S string of n bytes (may hold NUL), i int,
 * u uint64, f float64, b bool, n nil, B binary, m nested map, a array,
 * d nested 10 deep, - delete the key, k integer key with int value. */
typedef struct kv {
    const char *key;
    char kind;
    const char *s;
    int64_t i;
    double f;
    size_t n;
} kv;

#define S(k, v)                                                                                                        \
    {                                                                                                                  \
        k, 's', v, 0, 0, 0                                                                                             \
    }
#define I(k, v)                                                                                                        \
    {                                                                                                                  \
        k, 'i', NULL, v, 0, 0                                                                                          \
    }
#define DEL(k)                                                                                                         \
    {                                                                                                                  \
        k, '-', NULL, 0, 0, 0                                                                                          \
    }

static const kv base_task[] = {S("v", "1.0"),        S("run", "2025-07-15.nightly"),
                               S("phase", "prices"), S("date", "2025-07-15"),
                               S("symbol", "AAPL"),  I("attempt", 1)};
static const kv base_event[] = {S("v", "1.0"),         S("run", "2025-07-15.nightly"),
                                S("phase", "factors"), S("symbol", "BRK.B"),
                                S("outcome", "ok"),    S("reason", ""),
                                I("rows", 13),         S("worker", "host-a:4242"),
                                I("elapsed_ms", 87)};

static void pack_value(msgpack_packer *pk, const kv *e)
{
    int rc = 0;
    switch (e->kind) {
    case 's': rc = msgpack_pack_str_with_body(pk, e->s, strlen(e->s)); break;
    case 'S': rc = msgpack_pack_str_with_body(pk, e->s, e->n); break;
    case 'B': rc = msgpack_pack_bin_with_body(pk, e->s, strlen(e->s)); break;
    case 'i': rc = msgpack_pack_int64(pk, e->i); break;
    case 'u': rc = msgpack_pack_uint64(pk, (uint64_t)e->i); break;
    case 'f': rc = msgpack_pack_double(pk, e->f); break;
    case 'b': rc = msgpack_pack_true(pk); break;
    case 'n': rc = msgpack_pack_nil(pk); break;
    case 'm': rc = msgpack_pack_map(pk, 1) || msgpack_pack_str_with_body(pk, "a", 1) || msgpack_pack_int(pk, 1); break;
    case 'a': rc = msgpack_pack_array(pk, 2) || msgpack_pack_int(pk, 1) || msgpack_pack_int(pk, 2); break;
    case 'd':
        for (int k = 0; k < 10; k++)
            rc |= msgpack_pack_array(pk, 1);
        rc |= msgpack_pack_nil(pk);
        break;
    default: fail_msg("bad kind %c", e->kind);
    }
    assert_int_equal(rc, 0);
}

static void pack_entry(msgpack_packer *pk, const kv *e)
{
    if (e->kind == 'k') {
        assert_int_equal(msgpack_pack_int(pk, 7), 0);
        assert_int_equal(msgpack_pack_int(pk, 1), 0);
        return;
    }
    assert_int_equal(msgpack_pack_str_with_body(pk, e->key, strlen(e->key)), 0);
    pack_value(pk, e);
}

/* The base map with overrides: an override of an existing key replaces it in
 * place ('-' deletes it), a new key is appended; dup appends it regardless. */
static msgpack_sbuffer build(const kv *base, size_t nbase, const kv *over, size_t nover, bool dup)
{
    kv all[64];
    size_t n = 0;
    for (size_t i = 0; i < nbase; i++)
        all[n++] = base[i];
    for (size_t j = 0; j < nover; j++) {
        size_t i = 0;
        while (!dup && i < n && (over[j].kind == 'k' || strcmp(all[i].key, over[j].key)))
            i++;
        if (dup || i == n)
            all[n++] = over[j];
        else
            all[i] = over[j];
    }
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += all[i].kind != '-';
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_map(&pk, live), 0);
    for (size_t i = 0; i < n; i++)
        if (all[i].kind != '-')
            pack_entry(&pk, &all[i]);
    return sb;
}

/* Decodes len bytes from an exact-size heap copy; "OK" or the error. */
static const char *decode(bool task, const void *data, size_t len)
{
    static char err[600];
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, data, len);
    sg_task t;
    sg_event e;
    int rc = task ? sg_task_decode(copy, len, &t, err, sizeof err) : sg_event_decode(copy, len, &e, err, sizeof err);
    free(copy);
    if (rc == 0)
        return "OK";
    assert_true(strlen(err) > 0);
    return err;
}

static const char *task_with(const kv *over, size_t n)
{
    msgpack_sbuffer sb = build(base_task, 6, over, n, false);
    const char *r = decode(true, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return r;
}

static const char *event_with(const kv *over, size_t n)
{
    msgpack_sbuffer sb = build(base_event, 9, over, n, false);
    const char *r = decode(false, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return r;
}

#define TASK1(e) task_with((const kv[]){e}, 1)
#define EVENT1(e) event_with((const kv[]){e}, 1)

/* The decoder's reason for a bad symbol: the one validation's own (symbols.h),
 * after "task: field 'symbol': ". */
static const char *symbol_reason(const char *kind, const char *symbol)
{
    static char want[400];
    char why[SG_SYMBOL_WHY_LEN];
    assert_int_equal(sg_symbol_check(symbol, why, sizeof why), -1);
    snprintf(want, sizeof want, "%s: field 'symbol': %s", kind, why);
    return want;
}

/* ---- round trips ---------------------------------------------------------- */

static void roundtrip_task(const sg_task *t)
{
    sg_msg_buf b = {0};
    char err[600];
    sg_task back;
    if (sg_task_encode(t, &b, err, sizeof err))
        fail_msg("encode: %s", err);
    if (sg_task_decode(b.data, b.len, &back, err, sizeof err))
        fail_msg("decode: %s", err);
    assert_int_equal(back.major, SG_MSG_MAJOR);
    assert_int_equal(back.minor, SG_MSG_MINOR);
    assert_string_equal(back.run, t->run);
    assert_int_equal(back.phase, t->phase);
    assert_int_equal(back.date, t->date);
    assert_string_equal(back.symbol, t->symbol);
    assert_int_equal(back.attempt, t->attempt);
    sg_msg_buf_free(&b);
}

static void test_task_roundtrip(void **state)
{
    (void)state;
    char run64[65];
    memset(run64, 'r', 64);
    run64[64] = '\0';
    sg_task t = {0};
    strcpy(t.run, "2025-07-15.nightly");
    strcpy(t.symbol, "AAPL");
    t.date = DAY(2025, 7, 15);
    t.attempt = 1;
    for (int p = SG_PHASE_PRICES; p <= SG_PHASE_ONBOARDING; p++) {
        t.phase = (sg_phase)p;
        roundtrip_task(&t);
    }
    /* the limits: longest run and symbol, every symbol character, the date range, attempt 1..100 */
    strcpy(t.run, run64);
    strcpy(t.symbol, "A.-^=_09ZZZZZZZZZZZZ");
    assert_int_equal(strlen(t.symbol), SG_MSG_SYMBOL_MAX);
    t.date = DAY(1970, 1, 1);
    t.attempt = SG_MSG_ATTEMPT_MAX;
    roundtrip_task(&t);
    t.date = DAY(2099, 12, 31);
    strcpy(t.symbol, "X");
    strcpy(t.run, "a.b_c:d-9");
    roundtrip_task(&t);
    t.date = DAY(2024, 2, 29); /* leap day */
    roundtrip_task(&t);
}

static void roundtrip_event(const sg_event *e)
{
    sg_msg_buf b = {0};
    char err[600];
    sg_event back;
    if (sg_event_encode(e, &b, err, sizeof err))
        fail_msg("encode: %s", err);
    if (sg_event_decode(b.data, b.len, &back, err, sizeof err))
        fail_msg("decode: %s", err);
    assert_string_equal(back.run, e->run);
    assert_int_equal(back.phase, e->phase);
    assert_string_equal(back.symbol, e->symbol);
    assert_int_equal(back.outcome, e->outcome);
    assert_string_equal(back.reason, e->reason);
    assert_int_equal(back.rows, e->rows);
    assert_string_equal(back.worker, e->worker);
    assert_int_equal(back.elapsed_ms, e->elapsed_ms);
    sg_msg_buf_free(&b);
}

static void test_event_roundtrip(void **state)
{
    (void)state;
    sg_event e = {0};
    strcpy(e.run, "r1");
    e.phase = SG_PHASE_FACTORS;
    strcpy(e.symbol, "BRK.B");
    e.outcome = SG_OUTCOME_OK;
    e.rows = 13;
    strcpy(e.worker, "host-a:4242");
    e.elapsed_ms = 87;
    roundtrip_event(&e);
    /* limits: rows and elapsed at 0 and at their maxima, a 500-byte UTF-8 reason, a 64-byte worker */
    e.rows = 0;
    e.elapsed_ms = 0;
    roundtrip_event(&e);
    e.outcome = SG_OUTCOME_FAILED;
    e.rows = SG_MSG_ROWS_MAX;
    e.elapsed_ms = SG_MSG_ELAPSED_MAX;
    e.reason[0] = '\0';
    for (int k = 0; k < 250; k++)
        strcat(e.reason, "\xc3\xa9"); /* é: 2 bytes each */
    assert_int_equal(strlen(e.reason), SG_MSG_REASON_MAX);
    memset(e.worker, 'w', SG_MSG_WORKER_MAX);
    e.worker[SG_MSG_WORKER_MAX] = '\0';
    roundtrip_event(&e);
    strcpy(e.reason, "too little history: 12 returns, 60 needed \xe2\x82\xac \xf0\x9f\x93\x88");
    roundtrip_event(&e);
}

/* The encoder refuses what a consumer would reject, with the same reason. */
static void test_encode_rejects(void **state)
{
    (void)state;
    char err[600];
    sg_msg_buf b = {0};
    sg_task t = {0};
    strcpy(t.run, "r");
    strcpy(t.symbol, "aapl");
    t.date = DAY(2025, 7, 15);
    t.attempt = 1;
    assert_int_equal(sg_task_encode(&t, &b, err, sizeof err), -1);
    assert_string_equal(err, symbol_reason("task", "aapl"));
    strcpy(t.symbol, "AAPL");
    t.phase = (sg_phase)9;
    assert_int_equal(sg_task_encode(&t, &b, err, sizeof err), -1);
    assert_contains(err, "field 'phase'");
    t.phase = SG_PHASE_PRICES;
    t.date = DAY(2100, 1, 1);
    assert_int_equal(sg_task_encode(&t, &b, err, sizeof err), -1);
    assert_contains(err, "task: field 'date': outside 1970-01-01..2099-12-31");
    t.date = DAY(2025, 7, 15);
    t.attempt = 0;
    assert_int_equal(sg_task_encode(&t, &b, err, sizeof err), -1);
    assert_string_equal(err, "task: field 'attempt': 0 is out of range 1..100");
    sg_event e = {0};
    strcpy(e.run, "r");
    strcpy(e.symbol, "A");
    strcpy(e.worker, "w");
    e.outcome = SG_OUTCOME_FAILED; /* without a reason */
    assert_int_equal(sg_event_encode(&e, &b, err, sizeof err), -1);
    assert_string_equal(err, "event: field 'reason': required when the outcome is failed");
    sg_msg_buf_free(&b);
}

/* ---- forward compatibility ------------------------------------------------ */

static void test_newer_minor_with_unknown_keys(void **state)
{
    (void)state;
    const kv over[] = {S("v", "1.7"),
                       S("priority", "high"),
                       {"extra", 'm', NULL, 0, 0, 0},
                       {"list", 'a', NULL, 0, 0, 0},
                       {"blob", 'B', "xyz", 0, 0, 0}};
    assert_string_equal(task_with(over, 5), "OK");
    assert_string_equal(event_with(over, 5), "OK");
    msgpack_sbuffer sb = build(base_task, 6, over, 5, false);
    sg_task t;
    char err[256];
    assert_int_equal(sg_task_decode(sb.data, sb.size, &t, err, sizeof err), 0);
    assert_int_equal(t.major, 1);
    assert_int_equal(t.minor, 7);
    assert_string_equal(t.symbol, "AAPL");
    msgpack_sbuffer_destroy(&sb);
}

/* ---- malformed bytes -------------------------------------------------------- */

static void test_empty_and_truncated(void **state)
{
    (void)state;
    assert_string_equal(decode(true, "", 0), "task: empty message");
    assert_string_equal(decode(false, "", 0), "event: empty message");
    const bool kinds[] = {true, false};
    for (int k = 0; k < 2; k++) {
        msgpack_sbuffer sb = kinds[k] ? build(base_task, 6, NULL, 0, false) : build(base_event, 9, NULL, 0, false);
        assert_string_equal(decode(kinds[k], sb.data, sb.size), "OK");
        for (size_t cut = 1; cut < sb.size; cut++) { /* every prefix of a valid message */
            const char *r = decode(kinds[k], sb.data, cut);
            if (!strstr(r, "truncated"))
                fail_msg("cut at %zu of %zu: %s", cut, sb.size, r);
            assert_contains(r, kinds[k] ? "task: malformed msgpack at byte " : "event: malformed msgpack at byte ");
        }
        msgpack_sbuffer_destroy(&sb);
    }
}

static void test_not_a_map(void **state)
{
    (void)state;
    assert_string_equal(decode(true, "\x92\x01\x02", 3), "task: expected a map, got an array");
    assert_string_equal(decode(true,
                               "\xa3"
                               "abc",
                               4),
                        "task: expected a map, got a string");
    assert_string_equal(decode(true, "\x07", 1), "task: expected a map, got an integer");
    assert_string_equal(decode(false, "\xc0", 1), "event: expected a map, got nil");
    assert_string_equal(decode(true, "\xcb\x7f\xf8\0\0\0\0\0\0", 9), "task: expected a map, got a float"); /* NaN */
    assert_string_equal(decode(true, "\xc1", 1), "task: malformed msgpack at byte 1: invalid msgpack type byte 0xc1");
    assert_string_equal(decode(true, "{\"v\":\"1.0\"}", 11), "task: 10 trailing bytes after the message");
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    msgpack_sbuffer sb = build(base_task, 6, NULL, 0, false);
    char buf[256];
    memcpy(buf, sb.data, sb.size);
    buf[sb.size] = '\0';
    assert_string_equal(decode(true, buf, sb.size + 1), "task: 1 trailing bytes after the message");
    memcpy(buf + sb.size, sb.data, sb.size); /* two messages back to back */
    assert_contains(decode(true, buf, 2 * sb.size), "trailing bytes after the message");
    msgpack_sbuffer_destroy(&sb);
}

/* Headers claiming 2^32 - 1 entries or bytes, with nothing behind them:
 * rejected before anything is allocated. */
static void test_huge_headers(void **state)
{
    (void)state;
    assert_string_equal(
        decode(true, "\xdd\xff\xff\xff\xff", 5),
        "task: malformed msgpack at byte 5: truncated, or a header lies: 4294967295 entries in 0 bytes");
    assert_string_equal(
        decode(true, "\xdf\xff\xff\xff\xff\x01\x02", 7),
        "task: malformed msgpack at byte 5: truncated, or a header lies: 8589934590 entries in 2 bytes");
    assert_contains(decode(false,
                           "\xdb\xff\xff\xff\xff"
                           "abc",
                           8),
                    "truncated");
    assert_contains(decode(false, "\xc6\xff\xff\xff\xff", 5), "truncated");
    assert_contains(decode(false, "\xc9\xff\xff\xff\xff\x01", 6), "truncated");
    /* a map whose value is a huge array header */
    const char inner[] = "\x81\xa1x\xdd\x00\x01\x00\x00\x01";
    assert_contains(decode(true, inner, sizeof inner - 1), "header lies: 65536 entries in 1 bytes");
}

static void test_limits_of_the_map(void **state)
{
    (void)state;
    kv many[40];
    char names[40][8];
    for (int i = 0; i < 27; i++) { /* 6 + 27 = 33 keys */
        snprintf(names[i], sizeof names[i], "x%d", i);
        many[i] = (kv)I(names[i], i);
    }
    assert_string_equal(task_with(many, 27), "task: 33 keys, more than the limit of 32");
    assert_string_equal(task_with(many, 26), "OK");
    size_t big = SG_MSG_MAX_BYTES + 1;
    char *huge = calloc(1, big);
    assert_string_equal(decode(true, huge, big), "task: 65537 bytes, more than the limit of 65536");
    free(huge);
    assert_contains(TASK1(((kv){"deep", 'd', NULL, 0, 0, 0})), ": nested too deeply");
}

static void test_keys(void **state)
{
    (void)state;
    assert_string_equal(TASK1(((kv){"", 'k', NULL, 0, 0, 0})), "task: key 6 is an integer, expected a string");
    assert_string_equal(TASK1(I("", 1)), "task: key 6 has 0 bytes, expected 1..64");
    char longkey[80];
    memset(longkey, 'k', 65);
    longkey[65] = '\0';
    assert_string_equal(TASK1(I(longkey, 1)), "task: key 6 has 65 bytes, expected 1..64");
    msgpack_sbuffer sb = build(base_task, 6, (const kv[]){S("symbol", "MSFT")}, 1, true);
    assert_string_equal(decode(true, sb.data, sb.size), "task: duplicate key 'symbol'");
    msgpack_sbuffer_destroy(&sb);
    sb = build(base_event, 9, (const kv[]){I("x", 1), I("x", 2)}, 2, true); /* unknown keys too */
    assert_string_equal(decode(false, sb.data, sb.size), "event: duplicate key 'x'");
    msgpack_sbuffer_destroy(&sb);
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(TASK1(DEL("v")), "task: field 'v': missing");
    assert_string_equal(TASK1(S("v", "2.0")), "task: field 'v': unknown major version 2 (this reader knows 1.x)");
    assert_string_equal(EVENT1(S("v", "0.9")), "event: field 'v': unknown major version 0 (this reader knows 1.x)");
    assert_string_equal(TASK1(I("v", 1)), "task: field 'v': expected a string, got an integer");
    assert_string_equal(TASK1(S("v", "1")), "task: field 'v': 1 bytes, expected 3..9");
    assert_string_equal(TASK1(S("v", "01.0")), "task: field 'v': '01.0' is not MAJOR.MINOR");
    assert_string_equal(TASK1(S("v", "1.0.1")), "task: field 'v': '1.0.1' is not MAJOR.MINOR");
    assert_string_equal(TASK1(S("v", "1.-1")), "task: field 'v': '1.-1' is not MAJOR.MINOR");
    /* an unknown major is reported first, whatever else the message holds */
    const kv v2[] = {S("v", "2.0"), DEL("symbol"), I("attempt", -3)};
    assert_string_equal(task_with(v2, 3), "task: field 'v': unknown major version 2 (this reader knows 1.x)");
}

static void test_missing_fields(void **state)
{
    (void)state;
    const char *task_keys[] = {"run", "phase", "date", "symbol", "attempt"};
    char want[128];
    for (size_t i = 0; i < 5; i++) {
        snprintf(want, sizeof want, "task: field '%s': missing", task_keys[i]);
        assert_string_equal(TASK1(DEL(task_keys[i])), want);
    }
    const char *event_keys[] = {"run", "phase", "symbol", "outcome", "reason", "rows", "worker", "elapsed_ms"};
    for (size_t i = 0; i < 8; i++) {
        snprintf(want, sizeof want, "event: field '%s': missing", event_keys[i]);
        assert_string_equal(EVENT1(DEL(event_keys[i])), want);
    }
    assert_string_equal(decode(true, "\x80", 1), "task: field 'v': missing");
}

static void test_wrong_types(void **state)
{
    (void)state;
    assert_string_equal(TASK1(I("run", 7)), "task: field 'run': expected a string, got an integer");
    assert_string_equal(TASK1(((kv){"phase", 'n', NULL, 0, 0, 0})), "task: field 'phase': expected a string, got nil");
    assert_string_equal(TASK1(((kv){"date", 'b', NULL, 0, 0, 0})),
                        "task: field 'date': expected a string, got a boolean");
    assert_string_equal(TASK1(((kv){"symbol", 'B', "AAPL", 0, 0, 0})),
                        "task: field 'symbol': expected a string, got binary");
    assert_string_equal(TASK1(((kv){"symbol", 'm', NULL, 0, 0, 0})),
                        "task: field 'symbol': expected a string, got a map");
    assert_string_equal(TASK1(((kv){"symbol", 'a', NULL, 0, 0, 0})),
                        "task: field 'symbol': expected a string, got an array");
    assert_string_equal(TASK1(S("attempt", "1")), "task: field 'attempt': expected an integer, got a string");
    assert_string_equal(TASK1(((kv){"attempt", 'f', NULL, 0, 1.0, 0})),
                        "task: field 'attempt': expected an integer, got a float");
    assert_string_equal(TASK1(((kv){"attempt", 'f', NULL, 0, NAN, 0})),
                        "task: field 'attempt': expected an integer, got a float");
    assert_string_equal(EVENT1(((kv){"elapsed_ms", 'f', NULL, 0, NAN, 0})),
                        "event: field 'elapsed_ms': expected an integer, got a float");
    assert_string_equal(EVENT1(((kv){"rows", 'f', NULL, 0, INFINITY, 0})),
                        "event: field 'rows': expected an integer, got a float");
    assert_string_equal(EVENT1(I("outcome", 0)), "event: field 'outcome': expected a string, got an integer");
    assert_string_equal(EVENT1(((kv){"worker", 'm', NULL, 0, 0, 0})),
                        "event: field 'worker': expected a string, got a map");
}

static void test_integer_ranges(void **state)
{
    (void)state;
    assert_string_equal(TASK1(I("attempt", 0)), "task: field 'attempt': 0 is out of range 1..100");
    assert_string_equal(TASK1(I("attempt", -1)), "task: field 'attempt': -1 is out of range 1..100");
    assert_string_equal(TASK1(I("attempt", 101)), "task: field 'attempt': 101 is out of range 1..100");
    assert_string_equal(TASK1(((kv){"attempt", 'u', NULL, -1, 0, 0})),
                        "task: field 'attempt': 18446744073709551615 is out of range 1..100");
    assert_string_equal(TASK1(I("attempt", INT64_MIN)),
                        "task: field 'attempt': -9223372036854775808 is out of range 1..100");
    assert_string_equal(EVENT1(I("rows", -1)), "event: field 'rows': -1 is out of range 0..10000000");
    assert_string_equal(EVENT1(I("rows", 10000001)), "event: field 'rows': 10000001 is out of range 0..10000000");
    assert_string_equal(EVENT1(I("elapsed_ms", -5)), "event: field 'elapsed_ms': -5 is out of range 0..86400000");
    assert_string_equal(EVENT1(I("elapsed_ms", INT64_MAX)),
                        "event: field 'elapsed_ms': 9223372036854775807 is out of range 0..86400000");
}

static void test_dates(void **state)
{
    (void)state;
    assert_string_equal(TASK1(S("date", "2025-02-30")),
                        "task: field 'date': '2025-02-30': day is out of range for month");
    assert_string_equal(TASK1(S("date", "2025-13-01")), "task: field 'date': '2025-13-01': month out of range");
    assert_string_equal(TASK1(S("date", "2025/07/15")), "task: field 'date': '2025/07/15': expected YYYY-MM-DD");
    assert_string_equal(TASK1(S("date", "2025-7-15")), "task: field 'date': 9 bytes, expected 10..10");
    assert_string_equal(TASK1(S("date", "2025-07-15T00:00:00")), "task: field 'date': 19 bytes, expected 10..10");
    assert_string_equal(TASK1(S("date", "1969-12-31")),
                        "task: field 'date': 1969-12-31 is outside 1970-01-01..2099-12-31");
    assert_string_equal(TASK1(S("date", "2100-01-01")),
                        "task: field 'date': 2100-01-01 is outside 1970-01-01..2099-12-31");
    assert_string_equal(TASK1(S("date", "0000-01-01")), "task: field 'date': '0000-01-01': year out of range");
    assert_string_equal(TASK1(((kv){"date", 'S',
                                    "2025-07\0"
                                    "15",
                                    0, 0, 10})),
                        "task: field 'date': contains a NUL byte");
    assert_string_equal(TASK1(I("date", 20250715)), "task: field 'date': expected a string, got an integer");
}

static void test_enums(void **state)
{
    (void)state;
    assert_string_equal(TASK1(S("phase", "pricing")),
                        "task: field 'phase': 'pricing' is not one of prices, factors, metrics, onboarding, prices_bulk");
    assert_string_equal(TASK1(S("phase", "PRICES")),
                        "task: field 'phase': 'PRICES' is not one of prices, factors, metrics, onboarding, prices_bulk");
    assert_string_equal(TASK1(S("phase", "")), "task: field 'phase': 0 bytes, expected 1..15");
    assert_string_equal(EVENT1(S("outcome", "maybe")), "event: field 'outcome': 'maybe' is not one of ok, failed");
    assert_string_equal(EVENT1(S("outcome", "OK")), "event: field 'outcome': 'OK' is not one of ok, failed");
}

/* A value quoted in a reason is escaped: the reason is one printable line
 * (a dead letter's header, a log line) whatever the message held. */
static void test_reasons_escaped(void **state)
{
    (void)state;
    assert_string_equal(TASK1(S("phase", "prices\n% forged")),
                        "task: field 'phase': 'prices\\x0A% forged' is not one of prices, factors, metrics, onboarding, "
                        "prices_bulk");
    assert_string_equal(TASK1(S("date", "2025-07-1\r")), "task: field 'date': '2025-07-1\\x0D': expected YYYY-MM-DD");
    assert_string_equal(EVENT1(S("outcome", "ok\xe2\x80\xae")),
                        "event: field 'outcome': 'ok\\xE2\\x80\\xAE' is not one of ok, failed");
    assert_string_equal(TASK1(S("v", "\xc3\x84.1")), "task: field 'v': '\xc3\x84.1' is not MAJOR.MINOR");
    char out[16];
    sg_msg_escape("\x01\x02\x03\x04\x05", 5, out, sizeof out); /* cut at a whole escape */
    assert_string_equal(out, "\\x01\\x02\\x03");
}

/* The key of a task or event must be its symbol (or, prices_bulk, its day). */
static void test_key_check(void **state)
{
    (void)state;
    char err[300];
    sg_task t = {.phase = SG_PHASE_PRICES};
    snprintf(t.symbol, sizeof t.symbol, "AAPL");
    assert_int_equal(sg_task_key_check(&t, "AAPL", 4, err, sizeof err), 0);
    assert_int_equal(sg_task_key_check(&t, "AAPLX", 4, err, sizeof err), 0); /* keylen bytes only */
    assert_int_equal(sg_task_key_check(&t, "MSFT", 4, err, sizeof err), -1);
    assert_string_equal(err, "task: key 'MSFT' (4 bytes) is not the message's symbol AAPL");
    assert_int_equal(sg_task_key_check(&t, NULL, 0, err, sizeof err), -1);
    assert_string_equal(err, "task: empty key (the key must be the message's symbol, AAPL)");
    assert_int_equal(sg_task_key_check(&t, "AA\nPL", 5, err, sizeof err), -1);
    assert_string_equal(err, "task: key 'AA\\x0APL' (5 bytes) is not the message's symbol AAPL");
    sg_event e = {.phase = SG_PHASE_PRICES_BULK, .day = sg_day_from_ymd(2025, 7, 14)};
    assert_int_equal(sg_event_key_check(&e, "2025-07-14", 10, err, sizeof err), 0);
    assert_int_equal(sg_event_key_check(&e, "AAPL", 4, err, sizeof err), -1);
    assert_string_equal(err, "event: key 'AAPL' (4 bytes) is not the message's day 2025-07-14");
}

static void test_symbols(void **state)
{
    (void)state;
    assert_string_equal(TASK1(S("symbol", "aapl")), symbol_reason("task", "aapl"));
    assert_string_equal(TASK1(S("symbol", "A\"B")), symbol_reason("task", "A\"B"));
    assert_string_equal(TASK1(S("symbol", "A'B")), symbol_reason("task", "A'B"));
    assert_string_equal(TASK1(S("symbol", "BRK B")), symbol_reason("task", "BRK B"));
    assert_string_equal(TASK1(S("symbol", "\xc3\x89")), symbol_reason("task", "\xc3\x89"));
    assert_string_equal(TASK1(((kv){"symbol", 'S', "AA\0PL", 0, 0, 5})), "task: field 'symbol': contains a NUL byte");
    assert_string_equal(TASK1(S("symbol", "")), "task: field 'symbol': 0 bytes, expected 1..20");
    assert_string_equal(TASK1(S("symbol", "ABCDEFGHIJKLMNOPQRSTU")), "task: field 'symbol': 21 bytes, expected 1..20");
    assert_string_equal(EVENT1(S("symbol", "a;DROP")), symbol_reason("event", "a;DROP"));
    assert_string_equal(TASK1(S("symbol", "^GSPC")), "OK");
    assert_string_equal(TASK1(S("symbol", "EURUSD=X")), "OK");
}


/* ---- 1.1: prices_bulk tasks and events, prices' from ------------------------------ */

static const kv base_bulk_task[] = {S("v", "1.1"),  S("run", "nightly-2025-07-15-r1"), S("phase", "prices_bulk"),
                                    S("date", "2025-07-15"), S("day", "2025-07-14"), I("attempt", 1)};
static const kv base_bulk_event[] = {S("v", "1.1"),        S("run", "nightly-2025-07-15-r1"),
                                     S("phase", "prices_bulk"), S("day", "2025-07-15"),
                                     S("outcome", "ok"),        S("reason", "polygon: 10000 stored"),
                                     I("rows", 10000),          S("worker", "w1"),
                                     I("elapsed_ms", 900)};

static const char *bulk_task_with(const kv *over, size_t n)
{
    msgpack_sbuffer sb = build(base_bulk_task, 6, over, n, false);
    const char *r = decode(true, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return r;
}

static const char *bulk_event_with(const kv *over, size_t n)
{
    msgpack_sbuffer sb = build(base_bulk_event, 9, over, n, false);
    const char *r = decode(false, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return r;
}

#define BTASK1(e) bulk_task_with((const kv[]){e}, 1)
#define BEVENT1(e) bulk_event_with((const kv[]){e}, 1)

static void test_bulk_roundtrip(void **state)
{
    (void)state;
    sg_msg_buf b = {0};
    char err[600], key[SG_DATE_LEN];
    sg_task t = {0}, back;
    strcpy(t.run, "nightly-2025-07-15-r1");
    t.phase = SG_PHASE_PRICES_BULK;
    t.date = DAY(2025, 7, 15);
    t.day = DAY(2025, 7, 11);
    t.attempt = 2;
    if (sg_task_encode(&t, &b, err, sizeof err) || sg_task_decode(b.data, b.len, &back, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(back.phase, SG_PHASE_PRICES_BULK);
    assert_int_equal(back.day, DAY(2025, 7, 11));
    assert_int_equal(back.date, DAY(2025, 7, 15));
    assert_string_equal(back.symbol, "");
    assert_false(back.has_from);
    assert_int_equal(back.minor, 1);
    assert_string_equal(sg_task_key(&back, key), "2025-07-11"); /* the Kafka key: its day */
    /* a prices task with the window the run planned */
    sg_task p = {0};
    strcpy(p.run, "r");
    strcpy(p.symbol, "AAPL");
    p.date = DAY(2025, 7, 15);
    p.attempt = 1;
    p.has_from = true;
    p.from = DAY(2025, 7, 10);
    if (sg_task_encode(&p, &b, err, sizeof err) || sg_task_decode(b.data, b.len, &back, err, sizeof err))
        fail_msg("%s", err);
    assert_true(back.has_from);
    assert_int_equal(back.from, DAY(2025, 7, 10));
    assert_string_equal(sg_task_key(&back, key), "AAPL");
    p.has_from = false; /* without: exactly the 1.0 fields */
    if (sg_task_encode(&p, &b, err, sizeof err) || sg_task_decode(b.data, b.len, &back, err, sizeof err))
        fail_msg("%s", err);
    assert_false(back.has_from);
    /* the bulk event */
    sg_event e = {0}, eb;
    strcpy(e.run, "r");
    e.phase = SG_PHASE_PRICES_BULK;
    e.day = DAY(2025, 7, 15);
    e.outcome = SG_OUTCOME_FAILED;
    strcpy(e.reason, "polygon grouped daily bars of 2025-07-15: HTTP 500 after 4 retries");
    strcpy(e.worker, "w");
    if (sg_event_encode(&e, &b, err, sizeof err) || sg_event_decode(b.data, b.len, &eb, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(eb.phase, SG_PHASE_PRICES_BULK);
    assert_int_equal(eb.day, DAY(2025, 7, 15));
    assert_string_equal(eb.symbol, "");
    assert_string_equal(sg_event_key(&eb, key), "2025-07-15");
    /* the encoder refuses what the decoder would */
    t.day = DAY(2025, 7, 12); /* a Saturday */
    assert_int_equal(sg_task_encode(&t, &b, err, sizeof err), -1);
    assert_string_equal(err, "task: field 'day': 2025-07-12 is not an NYSE trading day");
    p.phase = SG_PHASE_FACTORS;
    p.has_from = true;
    assert_int_equal(sg_task_encode(&p, &b, err, sizeof err), -1);
    assert_string_equal(err, "task: field 'from': only in a prices task");
    sg_msg_buf_free(&b);
}

static void test_bulk_strict(void **state)
{
    (void)state;
    assert_string_equal(bulk_task_with(NULL, 0), "OK");
    assert_string_equal(bulk_event_with(NULL, 0), "OK");
    /* the day: required, a real trading day, never after the date */
    assert_string_equal(BTASK1(DEL("day")), "task: field 'day': missing");
    assert_string_equal(BTASK1(S("day", "2025-07-16")), "task: field 'day': 2025-07-16 is after the task's date 2025-07-15");
    assert_string_equal(BTASK1(S("day", "2025-07-04")), "task: field 'day': 2025-07-04 is not an NYSE trading day");
    assert_string_equal(BTASK1(S("day", "2025-07-13")), "task: field 'day': 2025-07-13 is not an NYSE trading day");
    assert_string_equal(BTASK1(S("day", "2025-02-30")), "task: field 'day': '2025-02-30': day is out of range for month");
    assert_string_equal(BTASK1(I("day", 20250714)), "task: field 'day': expected a string, got an integer");
    /* no symbol, no from */
    assert_string_equal(BTASK1(S("symbol", "AAPL")),
                        "task: field 'symbol': not allowed in a prices_bulk task (its key is the day)");
    assert_string_equal(BTASK1(S("from", "2025-07-10")), "task: field 'from': only in a prices task");
    assert_string_equal(BEVENT1(S("symbol", "AAPL")),
                        "event: field 'symbol': not allowed in a prices_bulk event (its key is the day)");
    assert_string_equal(BEVENT1(DEL("day")), "event: field 'day': missing");
    /* the other phases: day refused, from only in prices, never after the date */
    assert_string_equal(TASK1(S("day", "2025-07-14")), "task: field 'day': only in a prices_bulk task");
    assert_string_equal(EVENT1(S("day", "2025-07-14")), "event: field 'day': only in a prices_bulk event");
    assert_string_equal(TASK1(S("from", "2025-07-10")), "OK");
    assert_string_equal(TASK1(S("from", "2025-07-15")), "OK");
    assert_string_equal(TASK1(S("from", "2025-07-16")), "task: field 'from': 2025-07-16 is after the task's date 2025-07-15");
    assert_string_equal(TASK1(S("from", "2025-7-10")), "task: field 'from': 9 bytes, expected 10..10");
    const kv factors_from[] = {S("phase", "factors"), S("from", "2025-07-10")};
    assert_string_equal(task_with(factors_from, 2), "task: field 'from': only in a prices task");
    /* a 1.0 reader's view of a bulk task: the phase is the first thing it cannot read (a dead letter) */
    assert_string_equal(BTASK1(S("phase", "prices-bulk")),
                        "task: field 'phase': 'prices-bulk' is not one of prices, factors, metrics, onboarding, prices_bulk");
}

static void test_strings(void **state)
{
    (void)state;
    char run65[70];
    memset(run65, 'r', 65);
    run65[65] = '\0';
    assert_string_equal(TASK1(S("run", run65)), "task: field 'run': 65 bytes, expected 1..64");
    assert_string_equal(TASK1(S("run", "")), "task: field 'run': 0 bytes, expected 1..64");
    assert_string_equal(TASK1(S("run", "a b")),
                        "task: field 'run': byte 0x20 at position 2 is not allowed (A-Z a-z 0-9 . _ : -)");
    assert_string_equal(TASK1(S("run", "r'1")),
                        "task: field 'run': character ''' at position 2 is not allowed (A-Z a-z 0-9 . _ : -)");
    assert_string_equal(EVENT1(S("worker", "")), "event: field 'worker': 0 bytes, expected 1..64");
    assert_string_equal(
        EVENT1(S("worker", "host a")),
        "event: field 'worker': byte 0x20 at position 5 is not allowed (printable ASCII without spaces)");
    char reason[600];
    memset(reason, 'x', 501);
    reason[501] = '\0';
    const kv failed[] = {S("outcome", "failed"), S("reason", reason)};
    assert_string_equal(event_with(failed, 2), "event: field 'reason': 501 bytes, expected 0..500");
    const kv empty[] = {S("outcome", "failed"), S("reason", "")};
    assert_string_equal(event_with(empty, 2), "event: field 'reason': required when the outcome is failed");
    assert_string_equal(EVENT1(S("reason", "line\nbreak")), "event: field 'reason': control character 0x0a at byte 5");
    assert_string_equal(EVENT1(S("reason", "bad \xff byte")), "event: field 'reason': invalid UTF-8 at byte 5");
    assert_string_equal(EVENT1(S("reason", "cut \xe2\x82")), "event: field 'reason': invalid UTF-8 at byte 5");
    assert_string_equal(EVENT1(S("reason", "overlong \xc0\xaf")), "event: field 'reason': invalid UTF-8 at byte 10");
}

/* Arbitrary bytes never crash the decoder: a deterministic sweep of
 * mutations of a valid message (one byte set to each of 256 values). */
static void test_mutations(void **state)
{
    (void)state;
    msgpack_sbuffer sb = build(base_event, 9, NULL, 0, false);
    char *m = malloc(sb.size);
    int rejected = 0;
    for (size_t at = 0; at < sb.size; at++)
        for (int v = 0; v < 256; v++) {
            memcpy(m, sb.data, sb.size);
            m[at] = (char)v;
            const char *r = decode(false, m, sb.size);
            if (strcmp(r, "OK") != 0) {
                assert_true(strncmp(r, "event: ", 7) == 0);
                rejected++;
            }
        }
    assert_true(rejected > 0);
    free(m);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_roundtrip),
        cmocka_unit_test(test_event_roundtrip),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_newer_minor_with_unknown_keys),
        cmocka_unit_test(test_empty_and_truncated),
        cmocka_unit_test(test_not_a_map),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_huge_headers),
        cmocka_unit_test(test_limits_of_the_map),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_reasons_escaped),
        cmocka_unit_test(test_key_check),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_bulk_roundtrip),
        cmocka_unit_test(test_bulk_strict),
    };
    return cmocka_run_group_tests_name("messages", tests, NULL, NULL);
}
