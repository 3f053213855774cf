/*
 * broker_cmd.c - `sigmactl broker`: a Kafka broker for development and tests,
 * librdkafka's mock cluster served to other processes on loopback.
 *
 *   sigmactl broker [--partitions N] [--brokers N] [--address-file PATH] [-X name=value]
 *
 * Creates the project's four topics (settings bus.topic.*) with N partitions,
 * prints the bootstrap address on stdout (and writes it atomically to PATH),
 * and serves until SIGTERM or SIGINT; a second signal ends it at once.
 * Owns: every call of rdkafka_mock.h in sigmabatch; nothing else may use the
 * mock (programs reach this broker like any other, through --brokers).
 * Must not: pretend to be durable: its data lives in this process only
 * (docs/pipeline.md lists its limits).
 */
#include <errno.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "commands.h"
#include "config.h"
#include "log.h"

#define MAX_PARTITIONS 1000 /* the mock keeps every partition in memory */
#define MAX_BROKERS 16

static void usage(FILE *f)
{
    fputs("usage: sigmactl broker [--partitions N] [--brokers N] [--address-file PATH] [-X name=value]\n"
          "  serves librdkafka's mock Kafka cluster on 127.0.0.1 for development and tests: N brokers\n"
          "  (1..16, default 1), the topics of the settings bus.topic.* created with N partitions\n"
          "  (1..1000, default: the setting bus.partitions). Prints the bootstrap address on stdout\n"
          "  and, with --address-file, writes it to PATH atomically (removed at exit). Runs until\n"
          "  SIGTERM or SIGINT. Its data lives in this process only: not for production.\n"
          "  -X name=value sets one of sigmabatch's settings (-X list shows them).\n",
          f);
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "sigmactl broker: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    return 2;
}

/* Plain decimal in lo..hi; -1 otherwise. */
static int parse_count(const char *s, int lo, int hi)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
        return -1;
    int v = atoi(s);
    return v < lo || v > hi ? -1 : v;
}

typedef struct opts {
    int partitions, brokers;
    const char *address_file;
} opts;

/* Returns -1 to go on, else the exit code (help, usage error). */
static int parse(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {{"partitions", required_argument, NULL, 'p'},
                                             {"brokers", required_argument, NULL, 'b'},
                                             {"address-file", required_argument, NULL, 'a'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char err[512];
    int c;
    o->partitions = -1;
    o->brokers = 1;
    o->address_file = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if ((o->partitions = parse_count(optarg, 1, MAX_PARTITIONS)) < 0)
                return usage_error("--partitions: expected a whole number in 1..1000, got", optarg);
            break;
        case 'b':
            if ((o->brokers = parse_count(optarg, 1, MAX_BROKERS)) < 0)
                return usage_error("--brokers: expected a number of brokers in 1..16, got", optarg);
            break;
        case 'a': o->address_file = optarg; break;
        case 'X':
            if (strcmp(optarg, "list") == 0) {
                sg_config_list(stdout);
                return 0;
            }
            if (sg_config_set(optarg, err, sizeof err))
                return usage_error(err, NULL);
            break;
        case 'h': usage(stdout); return 0;
        default: return usage_error("unknown option or missing argument", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (o->partitions < 0 && (o->partitions = sg_bus_partitions(err, sizeof err)) < 0)
        return usage_error(err, NULL);
    return -1;
}

/* PATH.tmp.PID, then rename: a reader never sees half an address. */
static int write_address(const char *path, const char *addr)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        sg_log(SG_LOG_ERROR, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sg_log(SG_LOG_ERROR, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = fprintf(f, "%s\n", addr) < 0;
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        sg_log(SG_LOG_ERROR, "%s: cannot write the address: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The host handle's log lines, through ours; it has no bootstrap.servers on
 * purpose (it never connects), so that one warning is expected and dropped. */
static void host_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
        return;
    sg_log(level <= 3 ? SG_LOG_ERROR : level <= 4 ? SG_LOG_WARN : SG_LOG_DEBUG, "mock cluster: %s: %s", fac, buf);
}

/* A producer handle that never produces: the mock cluster lives in it. */
static rd_kafka_t *host_handle(void)
{
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, host_log);
    if (rd_kafka_conf_set(conf, "client.id", "sigmactl-broker", why, sizeof why) != RD_KAFKA_CONF_OK) {
        sg_log(SG_LOG_ERROR, "broker: configure the host handle: %s", why);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) {
        sg_log(SG_LOG_ERROR, "broker: create the host handle: %s", why);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

static int create_topics(rd_kafka_mock_cluster_t *mc, const opts *o)
{
    int replicas = o->brokers < 3 ? o->brokers : 3;
    for (int t = 0; t < SG_TOPIC_COUNT; t++) {
        const char *name = sg_bus_topic_name((sg_bus_topic)t);
        rd_kafka_resp_err_t r = rd_kafka_mock_topic_create(mc, name, o->partitions, replicas);
        if (r) {
            sg_log(SG_LOG_ERROR, "broker: create topic %s (%d partitions): %s", name, o->partitions,
                   rd_kafka_err2str(r));
            return -1;
        }
    }
    return 0;
}

/* Waits for SIGTERM or SIGINT (blocked since before any thread started). */
static int await_signal(const sigset_t *set)
{
    int sig;
    if (sigwait(set, &sig) != 0) {
        sg_log(SG_LOG_ERROR, "broker: sigwait failed");
        return -1;
    }
    sg_log(SG_LOG_INFO, "broker: %s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}

/* Serves the cluster until a signal; returns the exit code. */
static int serve(const opts *o, const sigset_t *set)
{
    rd_kafka_t *rk = host_handle();
    if (!rk)
        return 1;
    int rc = 1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, o->brokers);
    if (!mc) {
        sg_log(SG_LOG_ERROR, "broker: cannot start the mock cluster of %d broker(s)", o->brokers);
        goto out;
    }
    if (create_topics(mc, o) == 0) {
        const char *addr = rd_kafka_mock_cluster_bootstraps(mc);
        if (o->address_file == NULL || write_address(o->address_file, addr) == 0) {
            printf("%s\n", addr);
            fflush(stdout);
            sg_log(SG_LOG_INFO, "broker: %d broker(s) at %s; topics %s %s %s %s with %d partition(s)", o->brokers, addr,
                   sg_bus_topic_name(SG_TOPIC_TASKS), sg_bus_topic_name(SG_TOPIC_ONBOARDING),
                   sg_bus_topic_name(SG_TOPIC_EVENTS), sg_bus_topic_name(SG_TOPIC_DEADLETTER), o->partitions);
            rc = await_signal(set) ? 1 : 0;
            /* a second signal now ends the process at once (default action) */
            pthread_sigmask(SIG_UNBLOCK, set, NULL);
            if (o->address_file && unlink(o->address_file) != 0)
                sg_log(SG_LOG_WARN, "%s: %s", o->address_file, strerror(errno));
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
out:
    rd_kafka_destroy(rk);
    return rc;
}

int sg_cmd_broker(int argc, char **argv)
{
    sg_log_init("sigmactl broker", SG_LOG_INFO);
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before librdkafka starts its threads, which inherit the mask:
     * the signal waits for sigwait instead of landing in a random thread. */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        sg_log(SG_LOG_ERROR, "broker: cannot block signals");
        return 1;
    }
    return serve(&o, &set);
}
