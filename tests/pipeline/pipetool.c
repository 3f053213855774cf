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
 *   pipetool encode-events   stdin: lines "RUN PHASE SYMBOL ok|failed [REASON...]";
 *                            stdout: "SYMBOL:<event bytes>#EOM#" for kcat -P -K: -D '#EOM#'
 *   pipetool decode-tasks    stdin: kcat -C -f '%k %S %s' (key, value size, value);
 *                            stdout: "RUN PHASE SYMBOL ATTEMPT DATE" per task
 * The broker from SIGMA_BROKERS. Exit 0, or 1 with the reason on stderr (2: usage).
 */
#include <msgpack.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "messages.h"

static volatile sig_atomic_t run = 1;
static void stop(int sig) { (void)sig; run = 0; }

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
                FILE *f = fopen(path, "w");
                if (f) {
                    fprintf(f, "%zu\n", copies);
                    fclose(f);
                }
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
        else {
            fputs("usage: pipetool publish|major2|collect|mirror|encode-events|decode-tasks ...\n", stderr);
            return 2;
        }
    }
    if (rc)
        fprintf(stderr, "pipetool: %s\n", err);
    sg_config_reset();
    return rc ? 1 : 0;
}
