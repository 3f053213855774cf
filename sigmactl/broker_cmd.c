/*
 * broker_cmd.c - `sigmactl broker`: a Kafka broker for development and tests,
 * librdkafka's mock cluster served to other processes on loopback.
 *
 *   sigmactl broker [--partitions N] [--brokers N] [--address-file PATH]
 *                   [--control SOCKET] [-X name=value]
 *
 * Creates the project's four topics (settings bus.topic.*) with N partitions,
 * prints the bootstrap address on stdout (and writes it atomically to PATH),
 * and serves until SIGTERM or SIGINT; a second signal ends it at once.
 *
 * --control SOCKET: faults on demand, for fault-injection tests. A unix stream
 * socket (ready before the address is printed, removed at exit) takes one
 * command per line and answers one line each, "ok ..." or "error: <why>":
 *   errors API COUNT ERROR [ERROR...]  the next COUNT requests of API (a name
 *        as below or its ApiKey number) to any broker fail with the ERROR(s)
 *        (names as rd_kafka_err2name prints them, RD_KAFKA_RESP_ERR_ prefix
 *        optional; one ERROR is repeated COUNT times, else give COUNT of them).
 *        _TRANSPORT closes the client's connection instead of answering.
 *   clear API          drops the errors of API not served yet
 *   pending API        how many of them are still queued
 *   down BROKER / up BROKER   broker 1..N stops / resumes listening (down
 *        closes its open connections; connecting to it is refused)
 *   rtt BROKER MS      delays every response of the broker by MS ms (0: none)
 *   help               the commands, on one line
 * APIs: Produce Fetch ListOffsets OffsetCommit OffsetFetch FindCoordinator
 * JoinGroup Heartbeat LeaveGroup SyncGroup ApiVersion InitProducerId
 * AddPartitionsToTxn AddOffsetsToTxn EndTxn TxnOffsetCommit: the requests
 * whose handlers in librdkafka 2.0.2's mock take queued errors (Metadata's
 * does not: refused, rather than queueing errors that would never be served).
 * Each injected error served is logged ("answered ... with the injected
 * error ..."), counted from the mock's own request log.
 * Thread safety (checked in librdkafka 2.0.2, src/rdkafka_mock.c): the error
 * stack calls take the cluster's mutex, and set_down/up/rtt are ops on the
 * cluster's queue answered by its thread, so the control thread may call them.
 * Owns: every call of rdkafka_mock.h in sigmabatch; nothing else may use the
 * mock (programs reach this broker like any other, through --brokers).
 * Must not: pretend to be durable: its data lives in this process only
 * (docs/pipeline.md lists its limits).
 */
#include <errno.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "commands.h"
#include "config.h"
#include "linesrv.h"
#include "log.h"

#define MAX_PARTITIONS 1000 /* the mock keeps every partition in memory */
#define MAX_BROKERS 16

static void usage(FILE *f)
{
    fputs("usage: sigmactl broker [--partitions N] [--brokers N] [--address-file PATH] [--control SOCKET]\n"
          "                       [-X name=value]\n"
          "  serves librdkafka's mock Kafka cluster on 127.0.0.1 for development and tests: N brokers\n"
          "  (1..16, default 1), the topics of the settings bus.topic.* created with N partitions\n"
          "  (1..1000, default: the setting bus.partitions). Prints the bootstrap address on stdout\n"
          "  and, with --address-file, writes it to PATH atomically (removed at exit). Runs until\n"
          "  SIGTERM or SIGINT. Its data lives in this process only: not for production.\n"
          "  --control SOCKET listens on a unix socket for fault commands, one per line (send 'help'):\n"
          "  errors API COUNT ERROR..., clear API, pending API, down BROKER, up BROKER, rtt BROKER MS.\n"
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
    const char *address_file, *control;
} opts;

/* Returns -1 to go on, else the exit code (help, usage error). */
static int parse(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {{"partitions", required_argument, NULL, 'p'},
                                             {"brokers", required_argument, NULL, 'b'},
                                             {"address-file", required_argument, NULL, 'a'},
                                             {"control", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char err[512];
    int c;
    o->partitions = -1;
    o->brokers = 1;
    o->address_file = o->control = NULL;
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
        case 'c': o->control = optarg; break;
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

/* ---- Faults on demand (--control) ---- */

/* The requests whose mock handlers take queued errors (librdkafka 2.0.2,
 * src/rdkafka_mock_handlers.c); names as the mock's log spells them, keys
 * as the Kafka protocol numbers them. */
static const struct api {
    const char *name;
    int16_t key;
} APIS[] = {{"Produce", 0},         {"Fetch", 1},           {"ListOffsets", 2},     {"OffsetCommit", 8},
            {"OffsetFetch", 9},     {"FindCoordinator", 10}, {"JoinGroup", 11},      {"Heartbeat", 12},
            {"LeaveGroup", 13},     {"SyncGroup", 14},      {"ApiVersion", 18},     {"InitProducerId", 22},
            {"AddPartitionsToTxn", 24}, {"AddOffsetsToTxn", 25}, {"EndTxn", 26},    {"TxnOffsetCommit", 28}};
#define API_COUNT (sizeof APIS / sizeof APIS[0])
#define METADATA_KEY 3
#define MAX_ERRORS 100000 /* per command */
#define MAX_RTT_MS 600000

/* The errors queued per API, in the order the mock serves them: only for
 * the log line that says which one a request got. */
typedef struct queue {
    rd_kafka_resp_err_t *err;
    size_t head, count, cap;
} queue;

typedef struct faults {
    rd_kafka_mock_cluster_t *mc; /* NULL until the cluster runs */
    int brokers;
    pthread_mutex_t lock; /* the queues: the control thread pushes, the mock's thread pops */
    queue q[API_COUNT];
} faults;

static int queue_push(queue *q, const rd_kafka_resp_err_t *errs, size_t n)
{
    if (q->head + q->count + n > q->cap) {
        if (q->count > 0)
            memmove(q->err, q->err + q->head, q->count * sizeof *q->err);
        q->head = 0;
        if (q->count + n > q->cap) {
            size_t cap = q->count + n + 16;
            rd_kafka_resp_err_t *e = realloc(q->err, cap * sizeof *e);
            if (!e)
                return -1;
            q->err = e;
            q->cap = cap;
        }
    }
    memcpy(q->err + q->head + q->count, errs, n * sizeof *errs);
    q->count += n;
    return 0;
}

/* -1: not a name or number of a supported API (why in reply). */
static int api_index(const char *s, char *reply, size_t len)
{
    char *end;
    long key = strtol(s, &end, 10);
    int numeric = *s && !*end;
    for (size_t i = 0; i < API_COUNT; i++)
        if (numeric ? APIS[i].key == key : strcasecmp(s, APIS[i].name) == 0)
            return (int)i;
    if (numeric ? key == METADATA_KEY : strcasecmp(s, "Metadata") == 0)
        snprintf(reply, len, "error: %s: librdkafka 2.0.2's mock cluster never answers Metadata requests "
                             "with queued errors; use down/up or errors on another API", s);
    else
        snprintf(reply, len, "error: %s: not an API whose requests the mock cluster fails on demand "
                             "(help lists them)", s);
    return -1;
}

/* An error as rd_kafka_err2name prints it, RD_KAFKA_RESP_ERR_ prefix optional. */
static int error_code(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
        s += 18;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++)
        if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
            *out = descs[i].code;
            return 0;
        }
    return -1;
}

static int broker_id(const faults *f, const char *s, char *reply, size_t len)
{
    int id = parse_count(s, 1, f->brokers);
    if (id < 0)
        snprintf(reply, len, "error: broker '%s': expected a broker number in 1..%d", s, f->brokers);
    return id;
}

/* errors API COUNT ERROR [ERROR...] */
static void cmd_errors(faults *f, int argc, char **argv, char *reply, size_t len)
{
    int api, count;
    if (argc < 4) {
        snprintf(reply, len, "error: usage: errors API COUNT ERROR [ERROR...]");
        return;
    }
    if ((api = api_index(argv[1], reply, len)) < 0)
        return;
    if ((count = parse_count(argv[2], 1, MAX_ERRORS)) < 0) {
        snprintf(reply, len, "error: count '%s': expected a whole number in 1..%d", argv[2], MAX_ERRORS);
        return;
    }
    if (argc - 3 != 1 && argc - 3 != count) {
        snprintf(reply, len, "error: %d errors for a count of %d: give one (repeated) or %d", argc - 3, count, count);
        return;
    }
    rd_kafka_resp_err_t *errs = malloc((size_t)count * sizeof *errs);
    if (!errs) {
        snprintf(reply, len, "error: out of memory");
        return;
    }
    for (int i = 0; i < count; i++) {
        const char *name = argv[3 + (argc - 3 == 1 ? 0 : i)];
        if (error_code(name, &errs[i]) != 0) {
            snprintf(reply, len, "error: %s: not a librdkafka error name (as rd_kafka_err2name prints them, "
                                 "e.g. NOT_LEADER_FOR_PARTITION)", name);
            free(errs);
            return;
        }
    }
    /* under the lock: the log of the requests served sees both or neither */
    pthread_mutex_lock(&f->lock);
    queue *q = &f->q[api];
    int bad = queue_push(q, errs, (size_t)count);
    if (!bad)
        rd_kafka_mock_push_request_errors_array(f->mc, APIS[api].key, (size_t)count, errs);
    size_t pending = q->count;
    pthread_mutex_unlock(&f->lock);
    if (bad)
        snprintf(reply, len, "error: out of memory");
    else
        snprintf(reply, len, "ok %s: %d error(s) queued, %zu pending", APIS[api].name, count, pending);
    if (!bad)
        sg_log(SG_LOG_INFO, "broker: control: the next %d %s request(s) fail (%s%s)", count, APIS[api].name,
           rd_kafka_err2name(errs[0]), count > 1 && argc - 3 == 1 ? ", each" : count > 1 ? ", ..." : "");
    free(errs);
}

/* clear API / pending API */
static void cmd_queue(faults *f, int clear, int argc, char **argv, char *reply, size_t len)
{
    int api;
    if (argc != 2) {
        snprintf(reply, len, "error: usage: %s API", argv[0]);
        return;
    }
    if ((api = api_index(argv[1], reply, len)) < 0)
        return;
    pthread_mutex_lock(&f->lock);
    queue *q = &f->q[api];
    size_t n = q->count;
    if (clear) {
        rd_kafka_mock_clear_request_errors(f->mc, APIS[api].key);
        q->head = q->count = 0;
    }
    pthread_mutex_unlock(&f->lock);
    if (clear) {
        snprintf(reply, len, "ok %s: %zu pending error(s) dropped", APIS[api].name, n);
        sg_log(SG_LOG_INFO, "broker: control: %zu pending %s error(s) dropped", n, APIS[api].name);
    } else
        snprintf(reply, len, "ok %s %zu", APIS[api].name, n);
}

/* down BROKER / up BROKER / rtt BROKER MS */
static void cmd_broker(faults *f, int argc, char **argv, char *reply, size_t len)
{
    int rtt = strcmp(argv[0], "rtt") == 0, id, ms = 0;
    if (argc != (rtt ? 3 : 2)) {
        snprintf(reply, len, "error: usage: %s BROKER%s", argv[0], rtt ? " MS" : "");
        return;
    }
    if ((id = broker_id(f, argv[1], reply, len)) < 0)
        return;
    if (rtt && (ms = parse_count(argv[2], 0, MAX_RTT_MS)) < 0) {
        snprintf(reply, len, "error: rtt '%s': expected milliseconds in 0..%d", argv[2], MAX_RTT_MS);
        return;
    }
    rd_kafka_resp_err_t r = rtt                           ? rd_kafka_mock_broker_set_rtt(f->mc, id, ms)
                            : strcmp(argv[0], "down") == 0 ? rd_kafka_mock_broker_set_down(f->mc, id)
                                                           : rd_kafka_mock_broker_set_up(f->mc, id);
    if (r) {
        snprintf(reply, len, "error: %s %d: the mock cluster refused: %s", argv[0], id, rd_kafka_err2str(r));
        return;
    }
    if (rtt)
        snprintf(reply, len, "ok broker %d rtt %d ms", id, ms);
    else
        snprintf(reply, len, "ok broker %d %s", id, argv[0]);
    sg_log(SG_LOG_INFO, "broker: control: %s", reply + 3);
}

#define MAX_WORDS 600 /* a 1023-byte line holds at most 512 words */

static void control(void *arg, const char *line, char *reply, size_t len)
{
    faults *f = arg;
    char buf[1024], *argv[MAX_WORDS], *save = NULL;
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *w = strtok_r(buf, " \t", &save); w && argc < MAX_WORDS; w = strtok_r(NULL, " \t", &save))
        argv[argc++] = w;
    if (argc == 0)
        snprintf(reply, len, "error: empty command (help lists them)");
    else if (strcmp(argv[0], "errors") == 0)
        cmd_errors(f, argc, argv, reply, len);
    else if (strcmp(argv[0], "clear") == 0 || strcmp(argv[0], "pending") == 0)
        cmd_queue(f, argv[0][0] == 'c', argc, argv, reply, len);
    else if (strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0 || strcmp(argv[0], "rtt") == 0)
        cmd_broker(f, argc, argv, reply, len);
    else if (strcmp(argv[0], "help") == 0 && argc == 1)
        snprintf(reply, len, "ok commands: errors API COUNT ERROR [ERROR...] | clear API | pending API | "
                             "down BROKER | up BROKER | rtt BROKER MS | help; BROKER 1..%d; API one of "
                             "Produce Fetch ListOffsets OffsetCommit OffsetFetch FindCoordinator JoinGroup "
                             "Heartbeat LeaveGroup SyncGroup ApiVersion InitProducerId AddPartitionsToTxn "
                             "AddOffsetsToTxn EndTxn TxnOffsetCommit",
                 f->brokers);
    else
        snprintf(reply, len, "error: unknown command '%.64s' (help lists them)", argv[0]);
}

/* "[thrd:...]: Broker 1: Received ProduceRequestV7 from 127.0.0.1:40312", the mock's
 * debug line before its handler takes the next queued error of that API:
 * logs which error that request gets. (An error queued while a request of
 * the same API is between this line and its handler is misattributed to
 * the next one: the count stays right, the peer may not.) */
static void served(faults *f, const char *line)
{
    int broker;
    const char *name = strstr(line, ": Received ");
    const char *end = name ? strstr(name, "RequestV") : NULL;
    const char *who = strstr(line, "Broker ");
    if (!end || !who || sscanf(who, "Broker %d:", &broker) != 1)
        return;
    name += strlen(": Received ");
    for (size_t i = 0; i < API_COUNT; i++) {
        if (strlen(APIS[i].name) != (size_t)(end - name) || strncmp(name, APIS[i].name, (size_t)(end - name)))
            continue;
        pthread_mutex_lock(&f->lock);
        queue *q = &f->q[i];
        if (q->count > 0) {
            rd_kafka_resp_err_t e = q->err[q->head++];
            q->count--;
            const char *from = strstr(end, " from ");
            sg_log(SG_LOG_INFO, "broker: broker %d answered a %s request%s with the injected error %s (%zu more queued)",
                   broker, APIS[i].name, from ? from : "", rd_kafka_err2name(e), q->count);
        }
        pthread_mutex_unlock(&f->lock);
        return;
    }
}

static void faults_free(faults *f)
{
    for (size_t i = 0; i < API_COUNT; i++)
        free(f->q[i].err);
    pthread_mutex_destroy(&f->lock);
}

/* The host handle's log lines, through ours; it has no bootstrap.servers on
 * purpose (it never connects), so that one warning is expected and dropped.
 * With --control, the mock's debug lines tell which requests got injected
 * errors (its opaque is then the fault state). */
static void host_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    faults *f = rd_kafka_opaque(rk);
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
        return;
    if (f && level == 7 && strcmp(fac, "MOCK") == 0)
        served(f, buf);
    sg_log(level <= 3 ? SG_LOG_ERROR : level <= 4 ? SG_LOG_WARN : SG_LOG_DEBUG, "mock cluster: %s: %s", fac, buf);
}

/* A producer handle that never produces: the mock cluster lives in it. */
static rd_kafka_t *host_handle(faults *f)
{
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, host_log);
    rd_kafka_conf_set_opaque(conf, f);
    if (rd_kafka_conf_set(conf, "client.id", "sigmactl-broker", why, sizeof why) != RD_KAFKA_CONF_OK ||
        (f && rd_kafka_conf_set(conf, "debug", "mock", why, sizeof why) != RD_KAFKA_CONF_OK)) {
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

/* Prints and writes the address, then waits for a signal; the exit code. */
static int announce_and_wait(const opts *o, rd_kafka_mock_cluster_t *mc, const sigset_t *set)
{
    const char *addr = rd_kafka_mock_cluster_bootstraps(mc);
    if (o->address_file && write_address(o->address_file, addr) != 0)
        return 1;
    printf("%s\n", addr);
    fflush(stdout);
    sg_log(SG_LOG_INFO, "broker: %d broker(s) at %s; topics %s %s %s %s with %d partition(s)%s%s", o->brokers, addr,
           sg_bus_topic_name(SG_TOPIC_TASKS), sg_bus_topic_name(SG_TOPIC_ONBOARDING), sg_bus_topic_name(SG_TOPIC_EVENTS),
           sg_bus_topic_name(SG_TOPIC_DEADLETTER), o->partitions, o->control ? "; control socket " : "",
           o->control ? o->control : "");
    int rc = await_signal(set) ? 1 : 0;
    /* a second signal now ends the process at once (default action) */
    pthread_sigmask(SIG_UNBLOCK, set, NULL);
    if (o->address_file && unlink(o->address_file) != 0)
        sg_log(SG_LOG_WARN, "%s: %s", o->address_file, strerror(errno));
    return rc;
}

/* Serves the cluster (and its control socket) until a signal; the exit code.
 * The control socket is listening before the address is announced. */
static int serve(const opts *o, const sigset_t *set)
{
    faults f = {.brokers = o->brokers};
    pthread_mutex_init(&f.lock, NULL);
    rd_kafka_t *rk = host_handle(o->control ? &f : NULL);
    int rc = 1;
    if (!rk)
        goto out;
    rd_kafka_mock_cluster_t *mc = f.mc = rd_kafka_mock_cluster_new(rk, o->brokers);
    if (!mc)
        sg_log(SG_LOG_ERROR, "broker: cannot start the mock cluster of %d broker(s)", o->brokers);
    else if (create_topics(mc, o) == 0) {
        char err[512];
        sg_linesrv *ctl = NULL;
        if (o->control && !(ctl = sg_linesrv_start(o->control, control, &f, err, sizeof err)))
            sg_log(SG_LOG_ERROR, "broker: --control: %s", err);
        else
            rc = announce_and_wait(o, mc, set);
        sg_linesrv_stop(ctl);
    }
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
out:
    faults_free(&f);
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
