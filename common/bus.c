/*
 * bus.c - see bus.h and docs/pipeline.md ("The bus").
 *
 * A handle's configuration is built in one order, the same for every
 * program: the settings (bus.brokers -> bootstrap.servers), then the role's
 * defaults, then the -X properties of its role in the order given (a
 * consumer's property is not set on a producer, nor the reverse), then a check that no
 * -X property undid what the role requires (idempotence, acks=all, manual
 * commits): those are the guarantees the pipeline's correctness rests on.
 */
#include "bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "instruments.h"
#include "log.h"

/* ---- -X properties for librdkafka ------------------------------------------ */

typedef struct prop {
    char *name, *value;
} prop;

static prop *props;
static size_t nprops;

/* Substrings of property names whose values are secret. */
static const char *const secret_marks[] = {"password",           "secret",   "key.pem", "ssl_key",
                                           "oauthbearer.config", "sasl.jaas"};

bool sg_bus_secret(const char *name)
{
    for (size_t i = 0; i < sizeof secret_marks / sizeof secret_marks[0]; i++)
        if (strstr(name, secret_marks[i]))
            return true;
    return false;
}

/* Replaces every occurrence of a secret value in librdkafka's text (copied
 * through a second buffer, so a value inside the mark cannot loop). */
static void redact(char *text, size_t cap, const char *secret)
{
    char out[1024];
    size_t n = strlen(secret), o = 0;
    if (n == 0 || cap > sizeof out)
        return;
    for (const char *p = text; *p && o + 1 < cap;) {
        if (strncmp(p, secret, n) == 0) {
            o += (size_t)snprintf(out + o, cap - o, "[redacted]");
            p += n;
        } else
            out[o++] = *p++;
    }
    out[o < cap ? o : cap - 1] = '\0';
    memcpy(text, out, cap);
}

/* librdkafka's verdict on one property: 0, or -1 with the reason. */
static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen)
{
    char why[512];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) == RD_KAFKA_CONF_OK)
        return 0;
    if (sg_bus_secret(name))
        redact(why, sizeof why, value);
    snprintf(err, errlen, "librdkafka property %s: %s", name, why);
    return -1;
}

/* librdkafka's own table of its properties (rd_kafka_conf_properties_show:
 * "name | C/P | range | ..."), malloc'd text; NULL when it cannot be had. */
static char *properties_table(void)
{
    char *table = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&table, &size);
    if (!f)
        return NULL;
    rd_kafka_conf_properties_show(f);
    if (fclose(f) == 0)
        return table;
    free(table);
    return NULL;
}

/* The role of a property in that table: 'C' a consumer's, 'P' a producer's,
 * '*' both's, 0 when not listed (or no table: set it, as before). A program
 * has one -X list for all its handles (a worker has both roles), so each
 * handle takes the properties of its role only: librdkafka would ignore the
 * others anyway, with a CONFWARN line in every program's log. */
static char prop_role(const char *table, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = table; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *bar = strchr(l, '|'), *eol = strchr(l, '\n');
        if (!bar || (eol && bar > eol) || strncmp(l, name, n) != 0 || (l[n] != ' ' && l + n != bar))
            continue;
        const char *c = bar + 1 + strspn(bar + 1, " ");
        return *c == 'C' || *c == 'P' || *c == '*' ? *c : 0;
    }
    return 0;
}

static int add_prop(const char *name, size_t namelen, const char *value, char *err, size_t errlen)
{
    prop *grown = realloc(props, (nprops + 1) * sizeof *props);
    if (!grown) {
        snprintf(err, errlen, "-X: out of memory");
        return -1;
    }
    props = grown;
    props[nprops].name = strndup(name, namelen);
    props[nprops].value = strdup(value);
    if (!props[nprops].name || !props[nprops].value) {
        free(props[nprops].name);
        free(props[nprops].value);
        snprintf(err, errlen, "-X: out of memory");
        return -1;
    }
    nprops++;
    return 0;
}

int sg_bus_option(const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        snprintf(err, errlen, "-X %s: expected name=value", assignment);
        return -1;
    }
    char name[256];
    size_t n = (size_t)(eq - assignment);
    if (n >= sizeof name) {
        snprintf(err, errlen, "-X %.40s...: name too long", assignment);
        return -1;
    }
    memcpy(name, assignment, n);
    name[n] = '\0';
    if (sg_config_get(name)) /* sigmabatch's own setting */
        return sg_config_set(assignment, err, errlen);
    /* Anything else is librdkafka's: ask it now, so a typo fails at startup
     * with its name rather than when the first handle is made. */
    rd_kafka_conf_t *probe = rd_kafka_conf_new();
    char why[512];
    int rc = conf_set(probe, name, eq + 1, why, sizeof why);
    rd_kafka_conf_destroy(probe);
    if (rc) {
        snprintf(err, errlen, "-X %s: neither a sigmabatch setting (-X list) nor accepted by librdkafka (%s)", name,
                 why);
        return -1;
    }
    return add_prop(name, n, eq + 1, err, errlen);
}

/* s without the spaces and tabs around it (in place). */
static char *trim(char *s)
{
    s += strspn(s, " \t");
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int sg_bus_option_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "-F %s: cannot read it: %s", path, strerror(errno));
        return -1;
    }
    char line[4096], why[1024];
    int rc = 0;
    for (long no = 1; rc == 0 && fgets(line, sizeof line, f); no++) {
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            snprintf(err, errlen, "%s:%ld: a line longer than %zu bytes", path, no, sizeof line - 2);
            rc = -1;
            break;
        }
        char *t = trim(line), *eq = strchr(t, '=');
        if (*t == '\0' || *t == '#')
            continue;
        if (!eq || eq == t) { /* not echoed: the line may be a secret */
            snprintf(err, errlen, "%s:%ld: expected name=value", path, no);
            rc = -1;
            break;
        }
        /* "name = value": the spaces around '=' are the file's, not the value's */
        char *name_end = eq;
        while (name_end > t && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        char *value = trim(eq + 1);
        memmove(name_end + 1, value, strlen(value) + 1);
        *name_end = '=';
        if (sg_bus_option(t, why, sizeof why)) {
            snprintf(err, errlen, "%s:%ld: %s", path, no, why);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "-F %s: cannot read it: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

int sg_bus_brokers(const char *list, char *err, size_t errlen)
{
    char a[1024];
    if (!*list || snprintf(a, sizeof a, "bus.brokers=%s", list) >= (int)sizeof a) {
        snprintf(err, errlen, "--brokers: expected host:port[,host:port...] (at most 1000 bytes)");
        return -1;
    }
    return sg_config_set(a, err, errlen);
}

void sg_bus_options_reset(void)
{
    for (size_t i = 0; i < nprops; i++) {
        free(props[i].name);
        free(props[i].value);
    }
    free(props);
    props = NULL;
    nprops = 0;
}

void sg_bus_options_print(FILE *out)
{
    for (size_t i = 0; i < nprops; i++)
        fprintf(out, "%s=%s\n", props[i].name, sg_bus_secret(props[i].name) ? "[redacted]" : props[i].value);
}

/* ---- topics ------------------------------------------------------------- */

static const char *const topic_settings[SG_TOPIC_COUNT] = {"bus.topic.tasks", "bus.topic.onboarding",
                                                           "bus.topic.events", "bus.topic.deadletter"};

const char *sg_bus_topic_name(sg_bus_topic t)
{
    return (unsigned)t < SG_TOPIC_COUNT ? sg_config_get(topic_settings[t]) : NULL;
}

/* A whole-number setting within lo..hi. */
static int int_setting(const char *name, long lo, long hi, long *out, char *err, size_t errlen)
{
    const char *v = sg_config_get(name);
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || x < lo || x > hi) {
        snprintf(err, errlen, "setting %s=%s: expected a whole number in %ld..%ld", name, v ? v : "", lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int sg_bus_partitions(char *err, size_t errlen)
{
    long n;
    return int_setting("bus.partitions", 1, 10000, &n, err, errlen) ? -1 : (int)n;
}

/* ---- handles ------------------------------------------------------------- */

struct sg_bus {
    rd_kafka_t *rk;
    bool consumer;
    sg_bus_rebalance_fn *hook;
    void *hook_opaque;
    /* producer: deliveries since the last sg_bus_await */
    long delivered, failed;
    rd_kafka_resp_err_t first_failure;
};

/* librdkafka's own log lines, through ours (syslog levels: 3 err ... 7 debug). */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    int l = level <= 3 ? SG_LOG_ERROR : level <= 4 ? SG_LOG_WARN : level <= 6 ? SG_LOG_INFO : SG_LOG_DEBUG;
    sg_log(l, "kafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

/* Errors librdkafka recovers from by itself are warnings; only a fatal one
 * (idempotence broken) makes the handle unusable: sg_bus_fatal reports it. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL)
        sg_log(SG_LOG_ERROR, "kafka %s: fatal: %s", rd_kafka_name(rk), reason);
    else
        sg_log(SG_LOG_WARN, "kafka %s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    sg_bus *b = opaque;
    sg_bus_ticket *t = m->_private;
    sg_inst_delivered(m->rkt ? rd_kafka_topic_name(m->rkt) : "?", !m->err);
    if (m->err) {
        if (!b->failed++)
            b->first_failure = m->err;
    } else
        b->delivered++;
    if (t) {
        t->err = m->err;
        t->partition = m->partition;
        t->offset = m->offset;
        t->done = 1;
    }
}

/* The hook first (commit what is finished while the partitions are still
 * ours), then the assignment change the protocol asks for. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    sg_bus *b = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t r = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        sg_log(SG_LOG_ERROR, "kafka rebalance: %s; dropping the assignment", rd_kafka_err2str(err));
        if ((r = rd_kafka_assign(rk, NULL)))
            sg_log(SG_LOG_ERROR, "kafka rebalance: unassign: %s", rd_kafka_err2str(r));
        return;
    }
    sg_log(SG_LOG_INFO, "kafka rebalance: %s %d partition(s) (%s)", assign ? "assigned" : "revoked", parts->cnt,
           coop ? "cooperative" : "eager");
    if (b->hook)
        b->hook(b, assign, parts, b->hook_opaque);
    if (coop)
        e = assign ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
    else
        r = rd_kafka_assign(rk, assign ? parts : NULL);
    if (e) {
        sg_log(SG_LOG_ERROR, "kafka rebalance: %s: %s", assign ? "assign" : "unassign", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    } else if (r)
        sg_log(SG_LOG_ERROR, "kafka rebalance: %s: %s", assign ? "assign" : "unassign", rd_kafka_err2str(r));
}

/* Properties a role requires, and the values that satisfy each. */
typedef struct required {
    const char *name, *value, *also;
} required;

static const required producer_required[] = {
    {"enable.idempotence", "true", NULL},
    {"acks", "all", "-1"},
};
static const required consumer_required[] = {
    {"enable.auto.commit", "false", NULL},
    {"enable.auto.offset.store", "false", NULL},
};

/* Settings, then role defaults, then -X properties (those of this role:
 * prop_role), then the requirements. group: a consumer's, NULL for a producer. */
static rd_kafka_conf_t *build_conf(const required *req, size_t nreq, const char *group, char *err, size_t errlen)
{
    char other = group ? 'P' : 'C';
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "bootstrap.servers", sg_config_get("bus.brokers"), err, errlen) ||
        conf_set(conf, "client.id", "sigmabatch", err, errlen))
        goto fail;
    for (size_t i = 0; i < nreq; i++)
        if (conf_set(conf, req[i].name, req[i].value, err, errlen))
            goto fail;
    if (group && (conf_set(conf, "group.id", group, err, errlen) ||
                  conf_set(conf, "auto.offset.reset", "earliest", err, errlen)))
        goto fail;
    char *table = nprops ? properties_table() : NULL; /* rendered once for all the -X properties */
    for (size_t i = 0; i < nprops; i++) {
        if (prop_role(table, props[i].name) == other) {
            sg_log(SG_LOG_DEBUG, "-X %s: a %s property, not set on the %s", props[i].name,
                   other == 'C' ? "consumer's" : "producer's", group ? "consumer" : "producer");
            continue;
        }
        if (conf_set(conf, props[i].name, props[i].value, err, errlen)) {
            free(table);
            goto fail;
        }
    }
    free(table);
    for (size_t i = 0; i < nreq; i++) {
        char v[64];
        size_t vlen = sizeof v;
        if (rd_kafka_conf_get(conf, req[i].name, v, &vlen) != RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "librdkafka property %s: cannot read it back", req[i].name);
            goto fail;
        }
        if (strcmp(v, req[i].value) && !(req[i].also && strcmp(v, req[i].also) == 0)) {
            snprintf(err, errlen, "-X %s=%s: sigmabatch requires %s=%s (docs/pipeline.md)", req[i].name, v, req[i].name,
                     req[i].value);
            goto fail;
        }
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static sg_bus *bus_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, sg_bus *b, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_set_opaque(conf, b);
    b->rk = rd_kafka_new(type, conf, why, sizeof why); /* owns conf on success */
    if (!b->rk) {
        snprintf(err, errlen, "cannot create the Kafka %s: %s", type == RD_KAFKA_PRODUCER ? "producer" : "consumer",
                 why);
        rd_kafka_conf_destroy(conf);
        free(b);
        return NULL;
    }
    return b;
}

sg_bus *sg_bus_producer_new(char *err, size_t errlen)
{
    rd_kafka_conf_t *conf =
        build_conf(producer_required, sizeof producer_required / sizeof producer_required[0], NULL, err, errlen);
    if (!conf)
        return NULL;
    sg_bus *b = calloc(1, sizeof *b);
    if (!b) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    return bus_new(RD_KAFKA_PRODUCER, conf, b, err, errlen);
}

sg_bus *sg_bus_consumer_new(const char *group, sg_bus_rebalance_fn *hook, void *opaque, char *err, size_t errlen)
{
    if (!group)
        group = sg_config_get("bus.group");
    if (!group || !*group) {
        snprintf(err, errlen, "consumer: no group (setting bus.group is empty)");
        return NULL;
    }
    rd_kafka_conf_t *conf =
        build_conf(consumer_required, sizeof consumer_required / sizeof consumer_required[0], group, err, errlen);
    if (!conf)
        return NULL;
    sg_bus *b = calloc(1, sizeof *b);
    if (!b) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->consumer = true;
    b->hook = hook;
    b->hook_opaque = opaque;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    if (!bus_new(RD_KAFKA_CONSUMER, conf, b, err, errlen))
        return NULL;
    rd_kafka_resp_err_t r = rd_kafka_poll_set_consumer(b->rk); /* one queue: events and messages */
    if (r) {
        snprintf(err, errlen, "consumer: cannot redirect its queue: %s", rd_kafka_err2str(r));
        sg_bus_free(b);
        return NULL;
    }
    return b;
}

rd_kafka_t *sg_bus_handle(sg_bus *b)
{
    return b->rk;
}

bool sg_bus_fatal(sg_bus *b, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_resp_err_t r = rd_kafka_fatal_error(b->rk, why, sizeof why);
    if (r)
        snprintf(err, errlen, "Kafka client unusable: %s: %s", rd_kafka_err2name(r), why);
    return r != RD_KAFKA_RESP_ERR_NO_ERROR;
}

void sg_bus_free(sg_bus *b)
{
    char err[512];
    if (!b)
        return;
    if (b->consumer) {
        rd_kafka_resp_err_t r = rd_kafka_consumer_close(b->rk);
        if (r)
            sg_log(SG_LOG_WARN, "kafka consumer: leaving the group: %s", rd_kafka_err2str(r));
    } else if (sg_bus_await(b, (int)sg_config_number("bus.timeout_ms"), err, sizeof err))
        sg_log(SG_LOG_ERROR, "kafka producer: closing: %s", err);
    rd_kafka_destroy(b->rk);
    free(b);
}

/* ---- producing ------------------------------------------------------------ */

int sg_bus_produce(sg_bus *b, const char *topic, const char *key, const void *value, size_t len, sg_bus_ticket *ticket,
                   char *err, size_t errlen)
{
    double deadline = sg_clock_ms() + sg_config_number("bus.timeout_ms");
    if (ticket)
        memset(ticket, 0, sizeof *ticket);
    for (;;) {
        rd_kafka_resp_err_t r =
            rd_kafka_producev(b->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                              RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(ticket), RD_KAFKA_V_END);
        if (r == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(b->rk, 0); /* serve delivery reports as we go */
            return 0;
        }
        if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL || sg_clock_ms() > deadline) {
            snprintf(err, errlen, "produce to %s (key %s): %s", topic, key ? key : "none", rd_kafka_err2str(r));
            return -1;
        }
        rd_kafka_poll(b->rk, 100); /* the queue drains as the broker acknowledges */
    }
}

int sg_bus_await(sg_bus *b, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_resp_err_t r = rd_kafka_flush(b->rk, timeout_ms);
    int left = rd_kafka_outq_len(b->rk);
    long failed = b->failed;
    rd_kafka_resp_err_t first = b->first_failure;
    b->failed = b->delivered = 0;
    b->first_failure = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (r == RD_KAFKA_RESP_ERR__TIMED_OUT || left > 0) {
        snprintf(err, errlen, "%d message(s) not acknowledged by the broker within %d ms", left, timeout_ms);
        return -1;
    }
    if (failed) {
        snprintf(err, errlen, "%ld message(s) not delivered; the first: %s", failed, rd_kafka_err2str(first));
        return -1;
    }
    return 0;
}

/* ---- consuming ------------------------------------------------------------ */

int sg_bus_subscribe(sg_bus *b, const char *const *topics, size_t n, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t r = rd_kafka_subscribe(b->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (r) {
        snprintf(err, errlen, "subscribe to %zu topic(s) (first %s): %s", n, n ? topics[0] : "none",
                 rd_kafka_err2str(r));
        return -1;
    }
    return 0;
}

int sg_bus_consume(sg_bus *b, int timeout_ms, rd_kafka_message_t **out, char *err, size_t errlen)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(b->rk, timeout_ms);
    *out = NULL;
    if (!m)
        return 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        return 0;
    }
    if (m->err) {
        snprintf(err, errlen, "consume%s%s [%d]: %s", m->rkt ? " from " : "", m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                 (int)m->partition, rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return -1;
    }
    sg_inst_consumed(rd_kafka_topic_name(m->rkt));
    *out = m;
    return 1;
}

int sg_bus_done(sg_bus *b, const rd_kafka_message_t *m, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    const char *topic = rd_kafka_topic_name(m->rkt);
    rd_kafka_topic_partition_list_add(l, topic, m->partition)->offset = m->offset + 1;
    rd_kafka_resp_err_t r = rd_kafka_offsets_store(b->rk, l);
    if (!r && l->elems[0].err)
        r = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (r) { /* typically: the partition was revoked meanwhile */
        snprintf(err, errlen, "store offset %s [%d] @%lld: %s", topic, (int)m->partition, (long long)m->offset + 1,
                 rd_kafka_err2str(r));
        return -1;
    }
    return 0;
}

int sg_bus_commit(sg_bus *b, char *err, size_t errlen)
{
    rd_kafka_resp_err_t r = rd_kafka_commit(b->rk, NULL, 0);
    if (r && r != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        snprintf(err, errlen, "commit offsets: %s", rd_kafka_err2str(r));
        return -1;
    }
    return 0;
}

/* ---- creating topics ------------------------------------------------------- */

/* Reads the CreateTopics result: an existing topic is fine. */
static int topics_result(rd_kafka_event_t *ev, const char *names, char *err, size_t errlen)
{
    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "create topics %s at %s: %s", names, sg_config_get("bus.brokers"),
                 rd_kafka_event_error_string(ev));
        return -1;
    }
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t **t = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
    if (!res) {
        snprintf(err, errlen, "create topics: unexpected event %s", rd_kafka_event_name(ev));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t r = rd_kafka_topic_result_error(t[i]);
        const char *name = rd_kafka_topic_result_name(t[i]);
        if (r == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            sg_log(SG_LOG_INFO, "topic %s: exists", name);
        else if (r) {
            const char *why = rd_kafka_topic_result_error_string(t[i]);
            snprintf(err, errlen, "create topic %s: %s", name, why ? why : rd_kafka_err2str(r));
            return -1;
        } else
            sg_log(SG_LOG_INFO, "topic %s: created", name);
    }
    return 0;
}

/* Which of the four topics the cluster lacks (all-topics metadata: asking
 * for one topic by name could auto-create it with the broker's defaults).
 * Returns how many are missing, or -1. */
static int missing_topics(rd_kafka_t *rk, int timeout_ms, bool missing[SG_TOPIC_COUNT], char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t r = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (r) {
        snprintf(err, errlen, "list topics at %s: %s", sg_config_get("bus.brokers"), rd_kafka_err2str(r));
        return -1;
    }
    int n = 0;
    for (int i = 0; i < SG_TOPIC_COUNT; i++) {
        const char *name = sg_bus_topic_name((sg_bus_topic)i);
        missing[i] = true;
        for (int k = 0; k < md->topic_cnt && missing[i]; k++)
            if (strcmp(md->topics[k].topic, name) == 0 && !md->topics[k].err) {
                missing[i] = false;
                sg_log(SG_LOG_INFO, "topic %s: exists with %d partition(s)", name, md->topics[k].partition_cnt);
            }
        n += missing[i];
    }
    rd_kafka_metadata_destroy(md);
    return n;
}

/* The NewTopic objects of the missing topics; returns their count or -1. */
static int new_topics(const bool missing[SG_TOPIC_COUNT], rd_kafka_NewTopic_t **nt, char *err, size_t errlen)
{
    long parts, repl;
    int n = 0;
    if (int_setting("bus.partitions", 1, 10000, &parts, err, errlen) ||
        int_setting("bus.replication", -1, 100, &repl, err, errlen))
        return -1;
    if (repl == 0) {
        snprintf(err, errlen, "setting bus.replication=0: expected -1 (the broker's default) or 1..100");
        return -1;
    }
    for (int i = 0; i < SG_TOPIC_COUNT; i++) {
        char why[512];
        if (!missing[i])
            continue;
        nt[n] = rd_kafka_NewTopic_new(sg_bus_topic_name((sg_bus_topic)i), (int)parts, (int)repl, why, sizeof why);
        if (!nt[n]) {
            snprintf(err, errlen, "topic %s: %s", sg_bus_topic_name((sg_bus_topic)i), why);
            rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
            return -1;
        }
        n++;
    }
    return n;
}

/* CreateTopics for the NewTopic objects, waiting for the answer. */
static int admin_create(rd_kafka_t *rk, rd_kafka_NewTopic_t **nt, int n, const char *names, int timeout_ms, char *err,
                        size_t errlen)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    char why[512];
    int rc = -1;
    if (rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, why, sizeof why) ||
        rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, why, sizeof why))
        snprintf(err, errlen, "create topics: options: %s", why);
    else {
        rd_kafka_CreateTopics(rk, nt, (size_t)n, o, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
        if (!ev)
            snprintf(err, errlen, "create topics %s: no answer from the broker within %d ms", names, timeout_ms);
        else {
            rc = topics_result(ev, names, err, errlen);
            rd_kafka_event_destroy(ev);
        }
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

int sg_bus_create_topics(int timeout_ms, char *err, size_t errlen)
{
    bool missing[SG_TOPIC_COUNT];
    rd_kafka_NewTopic_t *nt[SG_TOPIC_COUNT];
    sg_bus *b = sg_bus_producer_new(err, errlen); /* any client can be an admin client */
    if (!b)
        return -1;
    int n = missing_topics(b->rk, timeout_ms, missing, err, errlen), rc = n < 0 ? -1 : 0;
    if (n > 0 && (n = new_topics(missing, nt, err, errlen)) < 0)
        rc = -1;
    else if (n > 0) {
        char names[512] = ""; /* for the errors: which topics */
        for (int i = 0; i < SG_TOPIC_COUNT; i++)
            if (missing[i])
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? "," : "",
                         sg_bus_topic_name((sg_bus_topic)i));
        rc = admin_create(b->rk, nt, n, names, timeout_ms, err, errlen);
        rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    }
    sg_bus_free(b);
    return rc;
}

/* What a dead letter keeps of a message too large to be sent with its headers. */
#define DEAD_LETTER_CUT 65536
#define DEAD_LETTER_CUT_KEY 1024

/* A dead letter's headers: the original message's own (so whoever sent it can
 * find it again), without any sigma.* header it carried (a dead letter
 * replayed and refused again gets this refusal's), then this refusal's. */
static rd_kafka_headers_t *dead_letter_headers(const rd_kafka_message_t *m, const char *const kv[][2], size_t n)
{
    rd_kafka_headers_t *orig = NULL, *h;
    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig) {
        h = rd_kafka_headers_new(rd_kafka_header_cnt(orig) + n);
        const char *name;
        const void *v;
        size_t len;
        for (size_t i = 0; rd_kafka_header_get_all(orig, i, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
            if (strncmp(name, "sigma.", 6) != 0)
                rd_kafka_header_add(h, name, -1, v, (ssize_t)len);
    } else
        h = rd_kafka_headers_new(n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_header_add(h, kv[i][0], -1, kv[i][1], -1);
    return h;
}

int sg_bus_dead_letter(sg_bus *b, const rd_kafka_message_t *m, const char *why, const char *who, char *err,
                       size_t errlen)
{
    const char *topic = rd_kafka_topic_name(m->rkt), *dl = sg_bus_topic_name(SG_TOPIC_DEADLETTER);
    char part[16], off[24], cut[96] = "";
    snprintf(part, sizeof part, "%d", (int)m->partition);
    snprintf(off, sizeof off, "%lld", (long long)m->offset);
    const char *const kv[][2] = {{"sigma.reason", why}, {"sigma.topic", topic},  {"sigma.partition", part},
                                 {"sigma.offset", off}, {"sigma.worker", who}, {"sigma.cut", cut}};
    size_t key_len = m->key_len, len = m->len;
    double deadline = sg_clock_ms() + sg_config_number("bus.timeout_ms");
    for (;;) {
        rd_kafka_headers_t *h = dead_letter_headers(m, kv, sizeof kv / sizeof kv[0] - !cut[0]);
        rd_kafka_resp_err_t r = rd_kafka_producev(
            b->rk, RD_KAFKA_V_TOPIC(dl), RD_KAFKA_V_KEY(m->key, key_len), RD_KAFKA_V_VALUE(m->payload, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (r == RD_KAFKA_RESP_ERR_NO_ERROR)
            break; /* the message owns the headers now */
        rd_kafka_headers_destroy(h);
        if (r == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && !cut[0]) {
            /* With the headers it no longer fits message.max.bytes: the first
             * DEAD_LETTER_CUT bytes of value and key show what it was (a value
             * that size is no message of any schema), the header what is missing. */
            len = len > DEAD_LETTER_CUT ? DEAD_LETTER_CUT : len;
            key_len = key_len > DEAD_LETTER_CUT_KEY ? DEAD_LETTER_CUT_KEY : key_len;
            snprintf(cut, sizeof cut, "value %zu of %zu bytes, key %zu of %zu bytes", len, m->len, key_len,
                     m->key_len);
            continue;
        }
        if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL || sg_clock_ms() > deadline) {
            snprintf(err, errlen, "produce to %s (from %s [%s] @%s): %s", dl, topic, part, off, rd_kafka_err2str(r));
            return -1;
        }
        rd_kafka_poll(b->rk, 100); /* room comes back as deliveries are reported */
    }
    sg_inst_dead_letter(topic);
    sg_log(SG_LOG_WARN, "dead letter: %s [%s] @%s: %s", topic, part, off, why);
    return 0;
}
