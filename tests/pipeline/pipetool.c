/*
 * pipetool.c - the pipeline tests' client of the topics (common/messages and
 * common/bus), where kcat, the independent client, cannot speak msgpack.
 *
 *   pipetool publish PHASE DATE RUN TIMES SYMBOL...   tasks (each TIMES times), acknowledged
 *   pipetool major2 SYMBOL                            a task map with v "2.0" (unknown major)
 *   pipetool collect FILE                             appends "phase symbol outcome rows worker reason"
 *                                                     per event until SIGTERM
 *   pipetool mirror FILE                              publishes every task on the tasks topic once
 *                                                     more (a message whose bytes were seen is not
 *                                                     copied again), until SIGTERM; FILE: the count
 *   pipetool shuffle TOPIC COUNTFILE [--seed S] [--hold-ms MS] [--share PCT] [--from-now]
 *            stale duplicates: TOPIC (tasks | onboarding | events, or a topic's full name) read
 *            in a group of its own from the beginning (--from-now: messages stamped before it
 *            started are skipped); PCT% of the distinct messages (default 100, chosen by a
 *            hash of the seed and the message: the same run and seed pick the same ones) are
 *            published once more, same key and bytes (so the same partition), each held back
 *            0..MS ms (default 1000, seeded) and those due together released in shuffled order:
 *            a copy of an old message arriving after newer ones. A message whose key and bytes
 *            were seen before (its own copies among them) is not copied again. COUNTFILE: the
 *            number of copies the broker acknowledged, rewritten atomically as it grows (0 at
 *            start). Until SIGTERM or SIGINT; then the copies still held are released, all
 *            acknowledged, the count written, exit 0.
 *   pipetool encode-events   stdin: lines "RUN PHASE SYMBOL ok|failed [REASON...]";
 *                            stdout: "SYMBOL:<event bytes>#EOM#" for kcat -P -K: -D '#EOM#'
 *   pipetool decode-tasks    stdin: kcat -C -f '%k %S %s' (key, value size, value);
 *                            stdout: "RUN PHASE SYMBOL ATTEMPT DATE" per task
 * The broker from SIGMA_BROKERS. Exit 0, or 1 with the reason on stderr (2: usage).
 */
#include <limits.h>
#include <msgpack.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "messages.h"

static volatile sig_atomic_t run = 1;
static void stop(int sig) { (void)sig; run = 0; }

/* N to path through a temporary file and a rename: a reader never sees half a number. */
static void write_count(const char *path, size_t n)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int bad = !f || fprintf(f, "%zu\n", n) < 0;
    if (f && fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "pipetool: %s: cannot write the count\n", path);
        unlink(tmp);
    }
}

static int publish(int argc, char **argv, char *err, size_t errlen)
{
    if (argc < 6)
        return snprintf(err, errlen, "publish PHASE DATE RUN TIMES SYMBOL..."), -1;
    sg_task t = {.attempt = 1};
    const char *why;
    if (sg_phase_parse(argv[1], &t.phase) || sg_day_parse(argv[2], strlen(argv[2]), &t.date, &why))
        return snprintf(err, errlen, "bad phase or date"), -1;
    snprintf(t.run, sizeof t.run, "%s", argv[3]);
    int times = atoi(argv[4]);
    sg_bus *p = sg_bus_producer_new(err, errlen);
    sg_msg_buf buf = {0};
    int rc = p ? 0 : -1;
    for (int k = 0; rc == 0 && k < times; k++)
        for (int i = 5; rc == 0 && i < argc; i++) {
            snprintf(t.symbol, sizeof t.symbol, "%s", argv[i]);
            rc = sg_task_encode(&t, &buf, err, errlen) ||
                 sg_bus_produce(p, sg_bus_topic_name(SG_TOPIC_TASKS), t.symbol, buf.data, buf.len, NULL, err, errlen);
        }
    if (rc == 0)
        rc = sg_bus_await(p, 30000, err, errlen);
    sg_msg_buf_free(&buf);
    sg_bus_free(p);
    return rc ? -1 : 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static int major2(const char *symbol, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    const char *kv[] = {"v", "2.0", "run", "r2", "phase", "factors", "date", "2025-07-15", "symbol", symbol};
    for (int i = 0; i < 10; i++)
        pack_str(&pk, kv[i]);
    pack_str(&pk, "attempt");
    msgpack_pack_int(&pk, 1);
    sg_bus *p = sg_bus_producer_new(err, errlen);
    int rc = !p || sg_bus_produce(p, sg_bus_topic_name(SG_TOPIC_TASKS), symbol, sb.data, sb.size, NULL, err, errlen) ||
             sg_bus_await(p, 30000, err, errlen);
    sg_bus_free(p);
    msgpack_sbuffer_destroy(&sb);
    return rc ? -1 : 0;
}

static int collect(const char *path, char *err, size_t errlen)
{
    char group[64];
    snprintf(group, sizeof group, "pipetool-%ld", (long)getpid());
    FILE *f = fopen(path, "a");
    if (!f)
        return snprintf(err, errlen, "%s: cannot open", path), -1;
    const char *topic = sg_bus_topic_name(SG_TOPIC_EVENTS);
    sg_bus *c = sg_bus_consumer_new(group, NULL, NULL, err, errlen);
    int rc = !c || sg_bus_subscribe(c, &topic, 1, err, errlen) ? -1 : 0;
    while (rc == 0 && run) {
        rd_kafka_message_t *m;
        char why[512];
        sg_event e;
        int r = sg_bus_consume(c, 100, &m, why, sizeof why);
        if (r < 0)
            fprintf(stderr, "pipetool: %s\n", why);
        if (r != 1)
            continue;
        if (sg_event_decode(m->payload, m->len, &e, why, sizeof why))
            fprintf(f, "UNDECODABLE %s\n", why);
        else
            fprintf(f, "%s %s %s %lld %s %s\n", sg_phase_name(e.phase), e.symbol, sg_outcome_name(e.outcome),
                    (long long)e.rows, e.worker, e.reason);
        fflush(f);
        rd_kafka_message_destroy(m);
    }
    sg_bus_free(c);
    fclose(f);
    return rc;
}

/* Every task published twice: each distinct message of the tasks topic (from
 * the beginning, a group of its own) is produced once more with the same key
 * and bytes; the copies, read back, are recognised by their bytes and skipped. */
static int mirror(const char *path, char *err, size_t errlen)
{
    char group[64];
    snprintf(group, sizeof group, "pipetool-mirror-%ld", (long)getpid());
    const char *topic = sg_bus_topic_name(SG_TOPIC_TASKS);
    sg_bus *c = sg_bus_consumer_new(group, NULL, NULL, err, errlen);
    sg_bus *p = c ? sg_bus_producer_new(err, errlen) : NULL;
    int rc = !p || sg_bus_subscribe(c, &topic, 1, err, errlen) ? -1 : 0;
    char **seen = NULL;
    size_t *seen_len = NULL, nseen = 0, cap = 0, copies = 0;
    bool pending = false;
    while (rc == 0 && run) {
        rd_kafka_message_t *m;
        char why[512];
        int r = sg_bus_consume(c, 100, &m, why, sizeof why);
        if (r < 0)
            fprintf(stderr, "pipetool: %s\n", why);
        if (r != 1) {
            if (pending) { /* a pause in the stream: the copies acknowledged, then counted */
                rc = sg_bus_await(p, 30000, err, errlen);
                pending = false;
                write_count(path, copies);
            }
            continue;
        }
        bool dup = false;
        for (size_t i = 0; !dup && i < nseen; i++)
            dup = seen_len[i] == m->len && memcmp(seen[i], m->payload, m->len) == 0;
        if (!dup) {
            if (nseen == cap) {
                cap = cap ? 2 * cap : 1024;
                char **s2 = realloc(seen, cap * sizeof *seen);
                size_t *l2 = s2 ? realloc(seen_len, cap * sizeof *seen_len) : NULL;
                if (s2)
                    seen = s2;
                if (!l2) {
                    snprintf(err, errlen, "out of memory");
                    rc = -1;
                    rd_kafka_message_destroy(m);
                    break;
                }
                seen_len = l2;
            }
            seen[nseen] = malloc(m->len ? m->len : 1);
            if (!seen[nseen]) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                rd_kafka_message_destroy(m);
                break;
            }
            memcpy(seen[nseen], m->payload, m->len);
            seen_len[nseen++] = m->len;
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(m->key_len < 255 ? m->key_len : 255), m->key ? (char *)m->key : "");
            rc = sg_bus_produce(p, topic, key, m->payload, m->len, NULL, err, errlen);
            copies++;
            pending = true;
        }
        rd_kafka_message_destroy(m);
    }
    for (size_t i = 0; i < nseen; i++)
        free(seen[i]);
    free(seen);
    free(seen_len);
    sg_bus_free(p);
    sg_bus_free(c);
    return rc ? -1 : 0;
}

/* ---- shuffle: stale duplicates, held back and released out of order ---- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A message's identity: its key and bytes (never 0: the empty slot). */
static uint64_t digest(const rd_kafka_message_t *m)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *k = m->key, *v = m->payload;
    for (size_t i = 0; i < m->key_len; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    h = (h ^ 0x1ff) * 1099511628211ULL; /* key and value apart: ("ab","c") is not ("a","bc") */
    for (size_t i = 0; i < m->len; i++)
        h = (h ^ v[i]) * 1099511628211ULL;
    h = mix64(h);
    return h ? h : 1;
}

/* The digests seen: open addressing, at most half full. */
typedef struct seen_set {
    uint64_t *slot;
    size_t cap, n;
} seen_set;

/* true if d was new (and is now in the set); -1 when out of memory. */
static int seen_add(seen_set *s, uint64_t d)
{
    if (2 * (s->n + 1) > s->cap) {
        seen_set g = {calloc(s->cap ? 2 * s->cap : 4096, sizeof *g.slot), s->cap ? 2 * s->cap : 4096, 0};
        if (!g.slot)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                seen_add(&g, s->slot[i]);
        free(s->slot);
        *s = g;
    }
    size_t i = d & (s->cap - 1);
    while (s->slot[i] && s->slot[i] != d)
        i = (i + 1) & (s->cap - 1);
    if (s->slot[i])
        return 0;
    s->slot[i] = d;
    s->n++;
    return 1;
}

typedef struct held {
    double due;             /* sg_clock_ms() when it goes out */
    char key[128];
    void *value;
    size_t len;
    sg_bus_ticket *ticket;  /* once released: the broker's answer */
} held;

typedef struct shuffler {
    const char *topic, *countfile;
    uint64_t seed, rng;
    int hold_ms, share;
    int64_t since_ms; /* --from-now: messages stamped before are skipped; else -1 */
    seen_set seen;
    held *h;          /* held back, in arrival order, then the released ones awaiting their ticket */
    size_t nheld, cap;
    size_t acknowledged;
} shuffler;

static void held_free(held *x)
{
    free(x->value);
    free(x->ticket);
}

/* Queues a copy of m, due in 0..hold_ms ms, when it is new and in the share. */
static int shuffle_take(shuffler *sh, const rd_kafka_message_t *m, char *err, size_t errlen)
{
    if (sh->since_ms >= 0 && rd_kafka_message_timestamp(m, NULL) < sh->since_ms)
        return 0;
    uint64_t d = digest(m);
    int fresh = seen_add(&sh->seen, d);
    if (fresh < 0)
        return snprintf(err, errlen, "out of memory"), -1;
    if (!fresh || mix64(d ^ sh->seed) % 100 >= (uint64_t)sh->share)
        return 0;
    if (sh->nheld == sh->cap) {
        size_t cap = sh->cap ? 2 * sh->cap : 256;
        held *h = realloc(sh->h, cap * sizeof *h);
        if (!h)
            return snprintf(err, errlen, "out of memory"), -1;
        sh->h = h;
        sh->cap = cap;
    }
    held *x = &sh->h[sh->nheld];
    memset(x, 0, sizeof *x);
    x->due = sg_clock_ms() + (double)(mix64(d ^ mix64(sh->seed)) % (uint64_t)(sh->hold_ms + 1));
    snprintf(x->key, sizeof x->key, "%.*s", (int)(m->key_len < sizeof x->key ? m->key_len : sizeof x->key - 1),
             m->key ? (const char *)m->key : "");
    if (!(x->value = malloc(m->len ? m->len : 1)))
        return snprintf(err, errlen, "out of memory"), -1;
    memcpy(x->value, m->payload, m->len);
    x->len = m->len;
    sh->nheld++;
    return 0;
}

/* Publishes the copies due by now (all with force), in a shuffled order. */
static int shuffle_release(shuffler *sh, sg_bus *p, bool force, char *err, size_t errlen)
{
    double now = sg_clock_ms();
    size_t ndue = 0;
    held **due = malloc((sh->nheld ? sh->nheld : 1) * sizeof *due);
    if (!due)
        return snprintf(err, errlen, "out of memory"), -1;
    for (size_t i = 0; i < sh->nheld; i++)
        if (!sh->h[i].ticket && (force || sh->h[i].due <= now))
            due[ndue++] = &sh->h[i];
    for (size_t i = ndue; i > 1; i--) { /* Fisher-Yates, seeded */
        size_t j = (size_t)((sh->rng = mix64(sh->rng)) % i);
        held *t = due[i - 1];
        due[i - 1] = due[j];
        due[j] = t;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ndue; i++) {
        if (!(due[i]->ticket = calloc(1, sizeof *due[i]->ticket))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else
            rc = sg_bus_produce(p, sh->topic, due[i]->key, due[i]->value, due[i]->len, due[i]->ticket, err, errlen);
    }
    free(due);
    return rc;
}

/* Counts and forgets the copies the broker answered; rewrites the count file when it grew. */
static void shuffle_settle(shuffler *sh, sg_bus *p)
{
    size_t before = sh->acknowledged, k = 0;
    rd_kafka_poll(sg_bus_handle(p), 0); /* delivery reports fill the tickets */
    for (size_t i = 0; i < sh->nheld; i++) {
        held *x = &sh->h[i];
        if (x->ticket && x->ticket->done) {
            if (x->ticket->err)
                fprintf(stderr, "pipetool: a copy for key %s was not delivered: %s\n", x->key,
                        rd_kafka_err2str(x->ticket->err));
            else
                sh->acknowledged++;
            held_free(x);
        } else {
            sh->h[k++] = *x;
        }
    }
    sh->nheld = k;
    if (sh->acknowledged != before)
        write_count(sh->countfile, sh->acknowledged);
}

static int shuffle_loop(shuffler *sh, sg_bus *c, sg_bus *p, char *err, size_t errlen)
{
    int rc = 0;
    while (rc == 0 && run) {
        rd_kafka_message_t *m;
        char why[512];
        int r = sg_bus_consume(c, 20, &m, why, sizeof why);
        if (r < 0)
            fprintf(stderr, "pipetool: %s\n", why);
        if (r == 1) {
            rc = shuffle_take(sh, m, err, errlen);
            rd_kafka_message_destroy(m);
        }
        if (rc == 0)
            rc = shuffle_release(sh, p, false, err, errlen);
        shuffle_settle(sh, p);
    }
    /* SIGTERM: what is still held goes out now, and is counted once acknowledged */
    if (rc == 0 && (rc = shuffle_release(sh, p, true, err, errlen)) == 0)
        rc = sg_bus_await(p, 30000, err, errlen);
    shuffle_settle(sh, p);
    return rc;
}

/* "tasks" | "onboarding" | "events", or a topic's full name. */
static const char *topic_of(const char *name)
{
    static const struct { const char *role; sg_bus_topic t; } roles[] = {
        {"tasks", SG_TOPIC_TASKS}, {"onboarding", SG_TOPIC_ONBOARDING}, {"events", SG_TOPIC_EVENTS}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(name, roles[i].role) == 0 || strcmp(name, sg_bus_topic_name(roles[i].t)) == 0)
            return sg_bus_topic_name(roles[i].t);
    return NULL;
}

/* A whole number in lo..hi, or -1. */
static long long bounded(const char *s, long long lo, long long hi)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return *s && !*end && v >= lo && v <= hi ? v : -1;
}

/* Returns 2 on a usage error (printed), else fills sh. */
static int shuffle_args(int argc, char **argv, shuffler *sh)
{
    if (argc < 3 || !(sh->topic = topic_of(argv[1])))
        goto usage;
    sh->countfile = argv[2];
    sh->seed = 1;
    sh->hold_ms = 1000;
    sh->share = 100;
    sh->since_ms = -1;
    for (int i = 3; i < argc; i++) {
        long long v;
        if (strcmp(argv[i], "--from-now") == 0) {
            struct timespec now; /* the messages' CreateTime is wall-clock milliseconds */
            clock_gettime(CLOCK_REALTIME, &now);
            sh->since_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        }
        else if (i + 1 >= argc)
            goto usage;
        else if (strcmp(argv[i], "--seed") == 0 && (v = bounded(argv[i + 1], 0, LLONG_MAX)) >= 0)
            sh->seed = (uint64_t)v, i++;
        else if (strcmp(argv[i], "--hold-ms") == 0 && (v = bounded(argv[i + 1], 0, 600000)) >= 0)
            sh->hold_ms = (int)v, i++;
        else if (strcmp(argv[i], "--share") == 0 && (v = bounded(argv[i + 1], 0, 100)) >= 0)
            sh->share = (int)v, i++;
        else
            goto usage;
    }
    sh->rng = mix64(sh->seed ^ 0x5eed);
    return 0;
usage:
    fputs("usage: pipetool shuffle tasks|onboarding|events COUNTFILE [--seed S] [--hold-ms 0..600000] "
          "[--share 0..100] [--from-now]\n",
          stderr);
    return 2;
}

static int shuffle(shuffler *sh, char *err, size_t errlen)
{
    char group[64];
    snprintf(group, sizeof group, "pipetool-shuffle-%ld", (long)getpid());
    sg_bus *c = sg_bus_consumer_new(group, NULL, NULL, err, errlen);
    sg_bus *p = c ? sg_bus_producer_new(err, errlen) : NULL;
    int rc = !p || sg_bus_subscribe(c, &sh->topic, 1, err, errlen) ? -1 : 0;
    if (rc == 0) {
        write_count(sh->countfile, 0);
        rc = shuffle_loop(sh, c, p, err, errlen);
    }
    sg_bus_free(p); /* first: its last delivery reports still write to the tickets */
    sg_bus_free(c);
    for (size_t i = 0; i < sh->nheld; i++)
        held_free(&sh->h[i]);
    free(sh->h);
    free(sh->seen.slot);
    return rc ? -1 : 0;
}

static int encode_events(void)
{
    char line[1024], err[512];
    sg_msg_buf b = {0};
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        sg_event e = {.rows = 1, .elapsed_ms = 5};
        char phase[32], outcome[16];
        int used = 0;
        if (sscanf(line, "%64s %31s %20s %15s %n", e.run, phase, e.symbol, outcome, &used) < 4 ||
            sg_phase_parse(phase, &e.phase)) {
            fprintf(stderr, "pipetool: bad line: %s\n", line);
            return 1;
        }
        e.outcome = strcmp(outcome, "ok") == 0 ? SG_OUTCOME_OK : SG_OUTCOME_FAILED;
        snprintf(e.reason, sizeof e.reason, "%s", line + used);
        snprintf(e.worker, sizeof e.worker, "kcat-test");
        if (sg_event_encode(&e, &b, err, sizeof err)) {
            fprintf(stderr, "pipetool: %s\n", err);
            return 1;
        }
        printf("%s:", e.symbol);
        fwrite(b.data, 1, b.len, stdout);
        fputs("#EOM#", stdout);
    }
    sg_msg_buf_free(&b);
    return 0;
}

static int decode_tasks(void)
{
    char key[256], err[512], d[SG_DATE_LEN];
    size_t len;
    static char value[SG_MSG_MAX_BYTES];
    while (scanf("%255s %zu", key, &len) == 2) {
        if (getchar() != ' ' || len > sizeof value || fread(value, 1, len, stdin) != len) {
            fprintf(stderr, "pipetool: truncated input after key %s\n", key);
            return 1;
        }
        sg_task t;
        if (sg_task_decode(value, len, &t, err, sizeof err))
            printf("BAD %s %s\n", key, err);
        else
            printf("%s %s %s %d %s\n", t.run, sg_phase_name(t.phase), t.symbol, t.attempt, sg_day_format(t.date, d));
    }
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024] = "";
    int rc = -1;
    if (argc == 2 && strcmp(argv[1], "encode-events") == 0)
        return encode_events();
    if (argc == 2 && strcmp(argv[1], "decode-tasks") == 0)
        return decode_tasks();
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    if (sg_config_check(err, sizeof err) == 0 && argc >= 2) {
        if (strcmp(argv[1], "publish") == 0)
            rc = publish(argc - 1, argv + 1, err, sizeof err);
        else if (strcmp(argv[1], "major2") == 0 && argc == 3)
            rc = major2(argv[2], err, sizeof err);
        else if (strcmp(argv[1], "collect") == 0 && argc == 3)
            rc = collect(argv[2], err, sizeof err);
        else if (strcmp(argv[1], "mirror") == 0 && argc == 3)
            rc = mirror(argv[2], err, sizeof err);
        else if (strcmp(argv[1], "shuffle") == 0) {
            shuffler sh = {0};
            if (shuffle_args(argc - 1, argv + 1, &sh))
                return 2;
            rc = shuffle(&sh, err, sizeof err);
        } else {
            fputs("usage: pipetool publish|major2|collect|mirror|shuffle|encode-events|decode-tasks ...\n", stderr);
            return 2;
        }
    }
    if (rc)
        fprintf(stderr, "pipetool: %s\n", err);
    sg_config_reset();
    return rc ? 1 : 0;
}
