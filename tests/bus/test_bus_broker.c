/*
 * test_bus_broker.c - the bus module against a running broker (bus.h), run
 * by broker_test.sh with SIGMA_BROKERS pointing at `sigmactl broker`.
 *
 * The pipeline's contract with Kafka, end to end: topics created through the
 * Admin API (existing ones are fine), N messages produced idempotently and
 * each acknowledged (its ticket names partition and offset), consumed back
 * in a group with explicit commits, then a second consumer in the same group
 * starts at the committed offsets: it sees only what came after.
 * Every wait has a deadline; the mock needs ~3 s to form a group.
 */
#include "bus.h"
#include "config.h"
#include "log.h"
#include "sgtest.h"

#define N 200
#define DEADLINE_MS 60000.0

static char group[64], tag[32]; /* this run's group, and its values' prefix "pid:" */

static void test_create_topics(void **state)
{
    (void)state;
    char err[1024];
    /* the broker made them already: "exists" is success */
    if (sg_bus_create_topics(10000, err, sizeof err))
        fail_msg("%s", err);
}

/* The mock has no Admin API (no controller): creating a missing topic fails
 * at the deadline, naming the topic and the broker; docs/pipeline.md. */
static void test_create_missing_topic_on_mock(void **state)
{
    (void)state;
    char err[1024], set[128], name[64];
    snprintf(name, sizeof name, "test.missing.%ld", (long)getpid());
    snprintf(set, sizeof set, "bus.topic.deadletter=%s", name);
    assert_int_equal(sg_config_set(set, err, sizeof err), 0);
    assert_int_equal(sg_bus_create_topics(1500, err, sizeof err), -1);
    assert_contains(err, "create topics ");
    assert_contains(err, name);
    assert_contains(err, getenv("SIGMA_BROKERS"));
    assert_int_equal(sg_config_set("bus.topic.deadletter=sigma.deadletter", err, sizeof err), 0);
}

/* Consumes until want messages arrived (or the deadline); marks each one
 * done and commits; returns the count and each key's first value seen. */
static int consume(sg_bus *c, int want, int *seen, double quiet_ms)
{
    char err[1024];
    int got = 0;
    double deadline = sg_clock_ms() + DEADLINE_MS, quiet_until = 0;
    while (sg_clock_ms() < deadline) {
        if (got >= want && quiet_until == 0)
            quiet_until = sg_clock_ms() + quiet_ms; /* then listen a while for extras */
        if (quiet_until && sg_clock_ms() > quiet_until)
            break;
        rd_kafka_message_t *m;
        int rc = sg_bus_consume(c, 100, &m, err, sizeof err);
        if (rc < 0) {
            print_message("consumer (going on): %s\n", err);
            continue;
        }
        if (rc == 0)
            continue;
        char val[32] = "";
        int i = -1;
        snprintf(val, sizeof val, "%.*s", (int)(m->len < 31 ? m->len : 31), (const char *)m->payload);
        if (strncmp(val, tag, strlen(tag)) == 0) { /* ignore earlier runs' messages on a reused broker */
            i = atoi(val + strlen(tag));
            assert_true(i >= 0 && i < 2 * N);
            seen[i]++;
            got++;
        }
        assert_int_equal(sg_bus_done(c, m, err, sizeof err), 0);
        rd_kafka_message_destroy(m);
    }
    if (sg_bus_commit(c, err, sizeof err))
        fail_msg("%s", err);
    return got;
}

static void produce(int from, int to)
{
    char err[1024];
    sg_bus *p = sg_bus_producer_new(err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    static sg_bus_ticket tickets[2 * N];
    for (int i = from; i < to; i++) {
        char key[16], val[48];
        snprintf(key, sizeof key, "S%04d", i % 37); /* several messages per key */
        snprintf(val, sizeof val, "%s%d", tag, i);
        if (sg_bus_produce(p, sg_bus_topic_name(SG_TOPIC_TASKS), key, val, strlen(val), &tickets[i], err, sizeof err))
            fail_msg("%s", err);
    }
    if (sg_bus_await(p, 30000, err, sizeof err))
        fail_msg("%s", err);
    for (int i = from; i < to; i++) { /* acknowledged, one by one */
        assert_true(tickets[i].done);
        assert_int_equal(tickets[i].err, RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_true(tickets[i].offset >= 0);
    }
    sg_bus_free(p);
}

static int assigned_events, revoked_events;

static void hook(sg_bus *b, bool assigned, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)b;
    (void)parts;
    (void)opaque;
    assigned_events += assigned;
    revoked_events += !assigned;
}

static void test_produce_consume_commit(void **state)
{
    (void)state;
    char err[1024];
    const char *topic = sg_bus_topic_name(SG_TOPIC_TASKS);
    snprintf(group, sizeof group, "test-group-%ld", (long)getpid());
    snprintf(tag, sizeof tag, "%ld:", (long)getpid());
    double t0 = sg_clock_ms();
    produce(0, N);
    fprintf(stderr, "%% produced %d in %.0f ms\n", N, sg_clock_ms() - t0);

    int seen[2 * N] = {0};
    sg_bus *c = sg_bus_consumer_new(group, hook, NULL, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    if (sg_bus_subscribe(c, &topic, 1, err, sizeof err))
        fail_msg("%s", err);
    int got = consume(c, N, seen, 500);
    assert_int_equal(got, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1); /* each once: no loss, no duplicate */
    assert_true(assigned_events >= 1);
    fprintf(stderr, "%% consumed %d at %.0f ms\n", N, sg_clock_ms() - t0);
    sg_bus_free(c); /* leaves the group: the hook hears the revocation first */
    assert_true(revoked_events >= 1);
    fprintf(stderr, "%% left the group at %.0f ms\n", sg_clock_ms() - t0);

    produce(N, N + 5);
    int seen2[2 * N] = {0};
    c = sg_bus_consumer_new(group, NULL, NULL, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    if (sg_bus_subscribe(c, &topic, 1, err, sizeof err))
        fail_msg("%s", err);
    got = consume(c, 5, seen2, 1500);
    fprintf(stderr, "%% second consumer done at %.0f ms\n", sg_clock_ms() - t0);
    assert_int_equal(got, 5); /* from the committed offsets on */
    for (int i = N; i < N + 5; i++)
        assert_int_equal(seen2[i], 1);
    sg_bus_free(c);
}

int main(void)
{
    sg_log_init("test_bus_broker", SG_LOG_WARN);
    if (!getenv("SIGMA_BROKERS")) {
        fprintf(stderr, "test_bus_broker: set SIGMA_BROKERS (broker_test.sh does)\n");
        return 2;
    }
    /* The mock keeps a member that left until its session times out (45 s by
     * default) before the next member's join completes: docs/pipeline.md. */
    char err[512];
    if (sg_bus_option("session.timeout.ms=6000", err, sizeof err)) {
        fprintf(stderr, "test_bus_broker: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_topics),
        cmocka_unit_test(test_create_missing_topic_on_mock),
        cmocka_unit_test(test_produce_consume_commit),
    };
    int rc = cmocka_run_group_tests_name("bus.broker", tests, NULL, NULL);
    sg_bus_options_reset();
    sg_config_reset();
    return rc;
}
