/*
 * replay_cmd.c - `sigmactl replay`: republishes tasks from a topic's offsets.
 *
 *   sigmactl replay --topic T (--from-offset N | --since TIME) [--until TIME]
 *                   [--partition P] [--symbol S] [--run R] [--failed-only]
 *                   [--dry-run] [--dead-letters] [-d CONNINFO] [--brokers LIST] [-X ...]
 *
 * Reads the topic with an assigned consumer (no group, nothing committed),
 * from each partition's start (--from-offset, or the first message at or
 * after --since) up to its high watermark as it was at the start, so it ends.
 * Keeps the tasks that pass the filters (--failed-only: those whose
 * (run, phase, symbol) has a failed outcome in sigma_run_outcomes, and the
 * later phases of that (run, symbol)), each
 * distinct task once, in the order read (a symbol's phases stay in order on
 * its partition), and publishes them again as tasks of their run with the
 * highest attempt seen + 1 (at most 100), awaiting the acknowledgements.
 * --dead-letters reads bus.topic.deadletter: a message that decodes now is
 * republished; one that still cannot be decoded stays, reported with its
 * reason. docs/pipeline.md ("Replay") tells the rules.
 * Owns: the command line, the bounded read, the filters, the republication.
 * Must not: write the ledger or any table (the coordinator records what the
 * workers answer), or commit offsets for any group.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "commands.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "messages.h"
#include "store.h"
#include "symbols.h"

#define GROUP "sigmactl-replay" /* librdkafka wants one; never joined (assign) nor committed */

typedef struct opts {
    const char *topic, *symbol, *run, *conninfo;
    long long from_offset, since_ms, until_ms; /* -1: not given */
    int partition;                             /* -1: every partition */
    int failed_only, dry_run, dead_letters, verbose;
} opts;

/* One task to republish, and where it was read first. */
typedef struct item {
    sg_task task;
    int32_t partition;
    int64_t offset;
    int attempt_max;
} item;

typedef struct items {
    item *v;
    size_t n, cap;
} items;

typedef struct tally {
    long read, not_task, filtered, stays;
} tally;

static void usage(FILE *f)
{
    fputs("usage: sigmactl replay --topic T (--from-offset N | --since TIME) [--until TIME] [--partition P]\n"
          "                       [--symbol S] [--run R] [--failed-only] [--dry-run] [--dead-letters]\n"
          "                       [-d CONNINFO] [--brokers LIST] [-X name=value]... [-F FILE] [-v]\n"
          "  republishes the tasks read from T (up to its end at the start) as tasks of their run,\n"
          "  attempt + 1, each distinct (run, phase, symbol, date) once, and awaits the broker's acks.\n"
          "  --from-offset N   start at offset N of every partition read (0: the beginning)\n"
          "  --since TIME      start at the first message at or after TIME; --until TIME: none after it\n"
          "                    TIME: ISO 8601 (2025-07-15T22:00:00Z, +HH:MM offsets) or epoch milliseconds\n"
          "  --partition P     only partition P; --symbol S, --run R: only that symbol, that run\n"
          "  --failed-only     only tasks whose (run, phase, symbol) has a failed outcome, and the later\n"
          "                    phases of that symbol (reads the ledger: -d or the PG* environment)\n"
          "  -F FILE           -X assignments from a file, one name=value a line (# comments)\n"
          "  --dry-run         list what would be republished; publish nothing\n"
          "  --dead-letters    read the dead-letter topic (bus.topic.deadletter unless --topic): what\n"
          "                    decodes now is republished, the rest stays and is listed with its reason\n"
          "  prints 'read N, matched M, republished K'. Exit 0 done, 1 failed, 2 usage error.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl replay", usage, fmt, arg);
}

/* ---- arguments ------------------------------------------------------------------- */

static int parse_count(const char *s, long long max, long long *out)
{
    char *end;
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ISO 8601 with Z or +-HH:MM (fractions of a second to the millisecond), or
 * epoch milliseconds. */
static int parse_time(const char *s, long long *ms)
{
    if (parse_count(s, 4102444800000LL, ms) == 0)
        return 0;
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    long long frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    long off = 0;
    if (*p == 'Z')
        p++;
    else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) && p[3] == ':' &&
             isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
        off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        if (*p == '-')
            off = -off;
        p += 6;
    } else
        return -1;
    if (*p)
        return -1;
    int mon = tm.tm_mon, day = tm.tm_mday;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mon != mon || tm.tm_mday != day || t < 0) /* 2025-02-30 normalizes: refused */
        return -1;
    *ms = ((long long)t - off) * 1000 + frac;
    return *ms < 0 ? -1 : 0;
}

static bool run_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > SG_MSG_RUN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
            return false;
    return true;
}

enum { O_TOPIC = 256, O_FROM, O_SINCE, O_UNTIL, O_PART, O_SYMBOL, O_RUN, O_FAILED, O_DRY, O_DEAD, O_BROKERS };

/* One option; returns 0, or the exit code of a usage error (2). */
static int take_option(opts *o, int key, const char *arg)
{
    char err[512];
    long long v;
    switch (key) {
    case O_TOPIC: o->topic = arg; return 0;
    case O_FROM:
        return parse_count(arg, INT64_MAX, &o->from_offset)
                   ? usage_error("--from-offset: '%s' is not an offset (an integer >= 0)", arg) : 0;
    case O_SINCE:
        return parse_time(arg, &o->since_ms)
                   ? usage_error("--since: '%s' is not a time (2025-07-15T22:00:00Z, or epoch milliseconds)", arg) : 0;
    case O_UNTIL:
        return parse_time(arg, &o->until_ms)
                   ? usage_error("--until: '%s' is not a time (2025-07-15T22:00:00Z, or epoch milliseconds)", arg) : 0;
    case O_PART:
        if (parse_count(arg, 99999, &v))
            return usage_error("--partition: '%s' is not a partition number (0..99999)", arg);
        o->partition = (int)v;
        return 0;
    case O_SYMBOL: {
        char why[SG_SYMBOL_WHY_LEN];
        if (sg_symbol_check(arg, why, sizeof why)) {
            fprintf(stderr, "sigmactl replay: --symbol: %s\n", why);
            usage(stderr);
            return 2;
        }
        o->symbol = arg;
        return 0;
    }
    case O_RUN:
        if (!run_id_ok(arg))
            return usage_error("--run: '%s' is not a run id (1..64 of A-Z a-z 0-9 . _ : -)", arg);
        o->run = arg;
        return 0;
    case O_FAILED: o->failed_only = 1; return 0;
    case O_DRY: o->dry_run = 1; return 0;
    case O_DEAD: o->dead_letters = 1; return 0;
    case O_BROKERS:
        if (sg_bus_brokers(arg, err, sizeof err))
            return usage_error("--brokers: %s", err);
        return 0;
    case 'X':
        if (sg_bus_option(arg, err, sizeof err))
            return usage_error("%s", err);
        return 0;
    case 'F':
        if (sg_bus_option_file(arg, err, sizeof err))
            return usage_error("%s", err);
        return 0;
    case 'd': o->conninfo = arg; return 0;
    case 'v': o->verbose++; return 0;
    }
    return 2;
}

/* Parses and checks the command line: -1 to go on, else the exit code. */
static int parse_args(opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"topic", required_argument, NULL, O_TOPIC},       {"from-offset", required_argument, NULL, O_FROM},
        {"since", required_argument, NULL, O_SINCE},       {"until", required_argument, NULL, O_UNTIL},
        {"partition", required_argument, NULL, O_PART},    {"symbol", required_argument, NULL, O_SYMBOL},
        {"run", required_argument, NULL, O_RUN},           {"failed-only", no_argument, NULL, O_FAILED},
        {"dry-run", no_argument, NULL, O_DRY},             {"dead-letters", no_argument, NULL, O_DEAD},
        {"brokers", required_argument, NULL, O_BROKERS},   {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},                  {NULL, 0, NULL, 0}};
    int opt, rc;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:X:F:v", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        if (opt == ':')
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return usage_error("unknown option '%s'", argv[optind - 1]);
        if ((rc = take_option(o, opt, optarg)))
            return rc;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->topic && o->dead_letters)
        o->topic = sg_bus_topic_name(SG_TOPIC_DEADLETTER);
    if (!o->topic)
        return usage_error("%s", "--topic is required (or --dead-letters)");
    if ((o->from_offset >= 0) == (o->since_ms >= 0))
        return usage_error("%s", "give exactly one of --from-offset and --since");
    if (o->until_ms >= 0 && o->since_ms >= 0 && o->until_ms < o->since_ms)
        return usage_error("%s", "--until is before --since");
    char err[512];
    if (sg_config_check(err, sizeof err))
        return usage_error("%s", err);
    return -1;
}

/* ---- reading ------------------------------------------------------------------------ */

/* The topic's partitions from all-topics metadata (naming the topic could
 * make a broker create it). */
static int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int *n, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e) {
        snprintf(err, errlen, "metadata of %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    *n = -1;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0)
            *n = md->topics[i].err ? -1 : md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    if (*n < 0)
        snprintf(err, errlen, "topic %s: not in the cluster's metadata (no such topic?)", topic);
    return *n < 0 ? -1 : 0;
}

/* Each partition's start (in .offset) and end (high watermark, in .opaque):
 * partitions with nothing to read are left out. */
static int plan_read(rd_kafka_t *rk, const opts *o, rd_kafka_topic_partition_list_t **out, char *err, size_t errlen)
{
    int timeout = (int)sg_config_number("bus.timeout_ms"), n;
    if (topic_partitions(rk, o->topic, timeout, &n, err, errlen))
        return -1;
    if (o->partition >= n) {
        snprintf(err, errlen, "--partition %d: topic %s has partitions 0..%d", o->partition, o->topic, n - 1);
        return -1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        if (o->partition < 0 || o->partition == p)
            rd_kafka_topic_partition_list_add(l, o->topic, p)->offset = o->since_ms >= 0 ? o->since_ms : 0;
    if (o->since_ms >= 0) {
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, l, timeout);
        if (e) {
            snprintf(err, errlen, "offsets of %s for --since: %s", o->topic, rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(l);
            return -1;
        }
    }
    *out = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *t = &l->elems[i];
        int64_t lo, hi;
        rd_kafka_resp_err_t e = t->err ? t->err
                                       : rd_kafka_query_watermark_offsets(rk, o->topic, t->partition, &lo, &hi, timeout);
        if (e) {
            snprintf(err, errlen, "offsets of %s [%d]: %s", o->topic, (int)t->partition, rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(l);
            rd_kafka_topic_partition_list_destroy(*out);
            return -1;
        }
        /* --since: the broker's offset for the time, or, when it answers -1
         * ("none at or after"; librdkafka's mock broker answers that to every
         * lookup), the partition from its start: judge() filters by time. */
        int64_t start = o->since_ms >= 0 ? (t->offset >= 0 ? t->offset : lo) : o->from_offset;
        if (start >= hi)
            continue;
        if (start < lo)
            start = lo;
        rd_kafka_topic_partition_t *a = rd_kafka_topic_partition_list_add(*out, o->topic, t->partition);
        a->offset = start;
        a->opaque = (void *)(intptr_t)hi;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

/* Whether every assigned partition's position reached its end. */
static bool all_read(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *plan)
{
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(plan);
    bool done = rd_kafka_position(rk, pos) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; done && i < pos->cnt; i++)
        done = pos->elems[i].offset >= (int64_t)(intptr_t)plan->elems[i].opaque;
    rd_kafka_topic_partition_list_destroy(pos);
    return done;
}

static int64_t end_of(const rd_kafka_topic_partition_list_t *plan, int32_t partition)
{
    for (int i = 0; i < plan->cnt; i++)
        if (plan->elems[i].partition == partition)
            return (int64_t)(intptr_t)plan->elems[i].opaque;
    return -1;
}

static void header_reason(const rd_kafka_message_t *m, char *out, size_t len)
{
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;
    snprintf(out, len, "(no sigma.reason header)");
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(h, "sigma.reason", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR && v)
        sg_msg_escape(v, n, out, len); /* anyone can write a header: one line, whatever it holds */
}

/* Adds a task, or raises the attempt of the same task read before. */
static int keep(items *it, const sg_task *t, const rd_kafka_message_t *m)
{
    for (size_t i = 0; i < it->n; i++) {
        item *x = &it->v[i];
        if (x->task.phase == t->phase && x->task.date == t->date && x->task.day == t->day &&
            strcmp(x->task.symbol, t->symbol) == 0 && strcmp(x->task.run, t->run) == 0) {
            if (t->attempt > x->attempt_max)
                x->attempt_max = t->attempt;
            return 0;
        }
    }
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 256;
        item *v = realloc(it->v, cap * sizeof *v);
        if (!v)
            return -1;
        it->v = v;
        it->cap = cap;
    }
    it->v[it->n++] = (item){*t, m->partition, m->offset, t->attempt};
    return 0;
}

/* One message: decoded and filtered (all but --failed-only). */
static int judge(const opts *o, const rd_kafka_message_t *m, items *it, tally *c)
{
    sg_task t;
    char why[512];
    c->read++;
    if (o->until_ms >= 0 || o->since_ms >= 0) {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if ((o->until_ms >= 0 && ts > o->until_ms) || (o->since_ms >= 0 && ts < o->since_ms)) {
            c->filtered++;
            return 0;
        }
    }
    if (sg_task_decode(m->payload, m->len, &t, why, sizeof why) || sg_task_key_check(&t, m->key, m->key_len, why, sizeof why)) {
        if (o->dead_letters) {
            char first[512], key[4 * 64 + 1];
            header_reason(m, first, sizeof first);
            sg_msg_escape(m->key ? m->key : "", m->key_len > 64 ? 64 : m->key_len, key, sizeof key);
            printf("stays: %s [%d] @%lld key %s: %s (dead-lettered for: %s)\n", o->topic, (int)m->partition,
                   (long long)m->offset, key, why, first);
            c->stays++;
        } else {
            sg_log(SG_LOG_INFO, "%s [%d] @%lld: not a task: %s", o->topic, (int)m->partition, (long long)m->offset, why);
            c->not_task++;
        }
        return 0;
    }
    if ((o->symbol && strcmp(o->symbol, t.symbol) != 0) || (o->run && strcmp(o->run, t.run) != 0)) {
        c->filtered++;
        return 0;
    }
    return keep(it, &t, m);
}

static int read_topic(sg_bus *consumer, const opts *o, items *it, tally *c, char *err, size_t errlen)
{
    rd_kafka_t *rk = sg_bus_handle(consumer);
    rd_kafka_topic_partition_list_t *plan = NULL;
    if (plan_read(rk, o, &plan, err, errlen))
        return -1;
    rd_kafka_resp_err_t e = plan->cnt ? rd_kafka_assign(rk, plan) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e) {
        snprintf(err, errlen, "assign %s: %s", o->topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(plan);
        return -1;
    }
    double idle_limit = sg_config_number("bus.timeout_ms"), last = sg_clock_ms();
    int rc = 0;
    while (rc == 0 && plan->cnt && !all_read(rk, plan)) {
        rd_kafka_message_t *m = NULL;
        int got = sg_bus_consume(consumer, 200, &m, err, errlen);
        if (got < 0 && sg_bus_fatal(consumer, err, errlen))
            rc = -1;
        else if (got < 0)
            sg_log(SG_LOG_WARN, "reading %s: %s", o->topic, err);
        if (got == 1) {
            last = sg_clock_ms();
            if (m->offset < end_of(plan, m->partition) && judge(o, m, it, c)) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            }
            rd_kafka_message_destroy(m);
        } else if (rc == 0 && sg_clock_ms() - last > idle_limit) {
            snprintf(err, errlen, "reading %s: nothing came for %.0f ms before the end recorded at the start",
                     o->topic, idle_limit);
            rc = -1;
        }
    }
    if (plan->cnt && (e = rd_kafka_assign(rk, NULL)) && rc == 0) {
        snprintf(err, errlen, "unassign %s: %s", o->topic, rd_kafka_err2str(e));
        rc = -1;
    }
    rd_kafka_topic_partition_list_destroy(plan);
    return rc;
}

/* ---- --failed-only -------------------------------------------------------------------- */

/* Keeps the items whose (run, phase, symbol) has a failed outcome, and those
 * of a later phase of a (run, symbol) that failed before: they ran on what was
 * missing (metrics of a symbol without prices can be ok, and wrong). One
 * query for all of them. */
static int only_failed(const char *conninfo, items *it, char *err, size_t errlen)
{
    if (!it->n)
        return 0;
    const char **run = calloc(it->n, sizeof *run), **phase = calloc(it->n, sizeof *phase),
               **sym = calloc(it->n, sizeof *sym);
    char *p[3] = {NULL, NULL, NULL};
    sg_store *s = NULL;
    PGresult *r = NULL;
    int rc = -1;
    if (run && phase && sym) {
        for (size_t i = 0; i < it->n; i++) {
            run[i] = it->v[i].task.run;
            phase[i] = sg_phase_name(it->v[i].task.phase);
            sym[i] = it->v[i].task.symbol;
        }
        p[0] = sg_store_text_array(run, it->n);
        p[1] = sg_store_text_array(phase, it->n);
        p[2] = sg_store_text_array(sym, it->n);
    }
    if (!p[0] || !p[1] || !p[2])
        snprintf(err, errlen, "--failed-only: out of memory");
    else if ((s = sg_store_connect(conninfo, err, errlen)) &&
             (r = sg_store_query(s, "--failed-only: the ledger's failed outcomes",
                                 "SELECT t.i - 1 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY"
                                 " AS t(r, p, s, i) WHERE EXISTS (SELECT 1 FROM sigma_run_outcomes o"
                                 "   WHERE o.batch_run_id = t.r AND o.symbol = t.s AND o.outcome = 'failed'"
                                 "   AND array_position(ARRAY['prices', 'factors', 'metrics'], o.phase)"
                                 "    <= coalesce(array_position(ARRAY['prices', 'factors', 'metrics'], t.p), 0)"
                                 "   OR o.batch_run_id = t.r AND o.symbol = t.s AND o.phase = t.p AND o.outcome = 'failed')"
                                 " ORDER BY t.i",
                                 3, (const char *const *)p, err, errlen))) {
        size_t k = 0;
        for (int i = 0; i < PQntuples(r); i++)
            it->v[k++] = it->v[atol(PQgetvalue(r, i, 0))];
        it->n = k;
        rc = 0;
    }
    PQclear(r);
    sg_store_close(s);
    free(run);
    free(phase);
    free(sym);
    for (int i = 0; i < 3; i++)
        free(p[i]);
    return rc;
}

/* ---- republishing ------------------------------------------------------------------ */

static int republish(const opts *o, items *it, char *err, size_t errlen)
{
    sg_bus *p = NULL;
    sg_msg_buf buf = {0};
    int rc = 0;
    if (!o->dry_run && !(p = sg_bus_producer_new(err, errlen)))
        return -1;
    for (size_t i = 0; rc == 0 && i < it->n; i++) {
        item *x = &it->v[i];
        char d[SG_DATE_LEN], key[SG_DATE_LEN];
        x->task.attempt = x->attempt_max < SG_MSG_ATTEMPT_MAX ? x->attempt_max + 1 : SG_MSG_ATTEMPT_MAX;
        const char *to = sg_bus_topic_name(x->task.phase == SG_PHASE_ONBOARDING ? SG_TOPIC_ONBOARDING : SG_TOPIC_TASKS);
        if (o->dry_run || o->verbose)
            printf("%s %s %s %s %s attempt %d -> %s (read from %s [%d] @%lld)\n", o->dry_run ? "would republish" : "republish",
                   x->task.run, sg_phase_name(x->task.phase), sg_task_key(&x->task, key), sg_day_format(x->task.date, d),
                   x->task.attempt, to, o->topic, (int)x->partition, (long long)x->offset);
        if (!o->dry_run)
            rc = sg_task_encode(&x->task, &buf, err, errlen) ||
                 sg_bus_produce(p, to, sg_task_key(&x->task, key), buf.data, buf.len, NULL, err, errlen);
    }
    if (rc == 0 && p)
        rc = sg_bus_await(p, (int)sg_config_number("bus.timeout_ms"), err, errlen);
    sg_msg_buf_free(&buf);
    sg_bus_free(p);
    return rc ? -1 : 0;
}

int sg_cmd_replay(int argc, char **argv)
{
    opts o = {.from_offset = -1, .since_ms = -1, .until_ms = -1, .partition = -1};
    int rc = parse_args(&o, argc, argv);
    if (rc >= 0) {
        sg_daemon_close();
        return rc;
    }
    sg_log_init("sigmactl replay", o.verbose ? SG_LOG_INFO : SG_LOG_WARN);
    char err[1024];
    items it = {0};
    tally c = {0};
    sg_bus *consumer = sg_bus_consumer_new(GROUP, NULL, NULL, err, sizeof err);
    rc = !consumer || read_topic(consumer, &o, &it, &c, err, sizeof err) ? 1 : 0;
    sg_bus_free(consumer);
    size_t matched = it.n;
    if (rc == 0 && o.failed_only && only_failed(o.conninfo, &it, err, sizeof err))
        rc = 1;
    if (rc == 0 && republish(&o, &it, err, sizeof err))
        rc = 1;
    if (rc)
        fprintf(stderr, "sigmactl replay: %s\n", err);
    else
        printf("read %ld, matched %zu, republished %zu%s (%ld not tasks, %ld filtered out, %zu without a failed outcome)\n",
               c.read, it.n, o.dry_run ? (size_t)0 : it.n, o.dry_run ? " (dry run)" : "", c.not_task + c.stays,
               c.filtered, matched - it.n);
    if (rc == 0 && o.dead_letters)
        printf("%ld dead letter(s) still undecodable: left in %s\n", c.stays, o.topic);
    free(it.v);
    sg_daemon_close();
    return rc;
}
