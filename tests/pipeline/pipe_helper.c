/*
 * pipe_helper.c - the tests' client of the pipeline's topics (common/messages
 * and common/bus), where kcat cannot speak msgpack.
 *
 *   pipe_helper publish PHASE DATE RUN TIMES SYMBOL...   tasks (each TIMES times), acknowledged
 *   pipe_helper major2 SYMBOL                            a task map with v "2.0" (unknown major)
 *   pipe_helper events FILE                              appends "phase symbol outcome rows worker reason"
 *                                                        per event until SIGTERM
 * The broker from SIGMA_BROKERS. Exit 0, or 1 with the reason on stderr.
 */
#include <msgpack.h>
#include <signal.h>
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

static int events(const char *path, char *err, size_t errlen)
{
    char group[64];
    snprintf(group, sizeof group, "pipe-helper-%ld", (long)getpid());
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
            fprintf(stderr, "pipe_helper: %s\n", why);
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

int main(int argc, char **argv)
{
    char err[1024] = "";
    int rc = -1;
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    if (sg_config_check(err, sizeof err) == 0 && argc >= 2) {
        if (strcmp(argv[1], "publish") == 0)
            rc = publish(argc - 1, argv + 1, err, sizeof err);
        else if (strcmp(argv[1], "major2") == 0 && argc == 3)
            rc = major2(argv[2], err, sizeof err);
        else if (strcmp(argv[1], "events") == 0 && argc == 3)
            rc = events(argv[2], err, sizeof err);
        else
            snprintf(err, sizeof err, "usage: pipe_helper publish|major2|events ...");
    }
    if (rc)
        fprintf(stderr, "pipe_helper: %s\n", err);
    sg_config_reset();
    return rc ? 1 : 0;
}
