/*
 * test_bus.c - the bus's configuration rules (bus.h), without a broker:
 * where -X goes, unknown properties named in the error, secrets never
 * printed, and the guarantees no -X may undo (docs/pipeline.md, "The bus").
 * tests/bus/ runs producers and consumers against `sigmactl broker`.
 */
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "sgtest.h"

static int reset(void **state)
{
    (void)state;
    sg_bus_options_reset();
    sg_config_reset();
    return 0;
}

/* Everything sg_bus_options_print writes, as one string. */
static const char *printed(void)
{
    static char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    sg_bus_options_print(f);
    fclose(f);
    return buf;
}

static void test_unknown_property_is_named(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(sg_bus_option("no.such.property=1", err, sizeof err), -1);
    assert_contains(err, "-X no.such.property: neither a sigmabatch setting (-X list) nor accepted by librdkafka");
    assert_contains(err, "No such configuration property: \"no.such.property\"");
    assert_int_equal(sg_bus_option("bus.topic.taks=x", err, sizeof err), -1); /* a typo of a setting */
    assert_contains(err, "-X bus.topic.taks:");
    assert_int_equal(sg_bus_option("compression.codec=zip", err, sizeof err), -1); /* a bad value */
    assert_contains(err, "compression.codec");
    assert_int_equal(sg_bus_option("acks", err, sizeof err), -1);
    assert_string_equal(err, "-X acks: expected name=value");
    assert_int_equal(sg_bus_option("=1", err, sizeof err), -1);
    assert_string_equal(printed(), ""); /* nothing was kept */
}

static void test_routing(void **state)
{
    (void)state;
    char err[1024];
    /* sigmabatch's settings go to its table ... */
    assert_int_equal(sg_bus_option("bus.topic.tasks=nightly.tasks", err, sizeof err), 0);
    assert_string_equal(sg_bus_topic_name(SG_TOPIC_TASKS), "nightly.tasks");
    assert_int_equal(sg_bus_option("bus.partitions=6", err, sizeof err), 0);
    assert_int_equal(sg_bus_partitions(err, sizeof err), 6);
    assert_int_equal(sg_bus_brokers("k1:9092,k2:9092", err, sizeof err), 0);
    assert_string_equal(sg_config_get("bus.brokers"), "k1:9092,k2:9092");
    /* ... anything else to librdkafka, kept in order */
    assert_int_equal(sg_bus_option("compression.codec=lz4", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("security.protocol=sasl_ssl", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("sasl.mechanisms=SCRAM-SHA-512", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("sasl.username=sigma", err, sizeof err), 0);
    assert_string_equal(printed(), "compression.codec=lz4\nsecurity.protocol=sasl_ssl\n"
                                   "sasl.mechanisms=SCRAM-SHA-512\nsasl.username=sigma\n");
    assert_string_equal(sg_bus_topic_name(SG_TOPIC_EVENTS), "sigma.events"); /* defaults */
    assert_string_equal(sg_bus_topic_name(SG_TOPIC_DEADLETTER), "sigma.deadletter");
    assert_null(sg_bus_topic_name(SG_TOPIC_COUNT));
}

static void test_secrets_are_redacted(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(sg_bus_option("sasl.password=hunter2", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("ssl.key.password=s3cr3t", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("ssl.key.pem=-----BEGIN PRIVATE KEY-----", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("client.rack=r1", err, sizeof err), 0);
    const char *p = printed();
    assert_string_equal(p, "sasl.password=[redacted]\nssl.key.password=[redacted]\n"
                           "ssl.key.pem=[redacted]\nclient.rack=r1\n");
    /* Debian's librdkafka has no OIDC: a property of another build is an
     * error naming it, and the secret stays out of the message. */
    if (sg_bus_option("sasl.oauthbearer.client.secret=topsecretvalue", err, sizeof err) == -1) {
        assert_contains(err, "-X sasl.oauthbearer.client.secret:");
        assert_null(strstr(err, "topsecretvalue"));
    }
    assert_null(strstr(p, "hunter2"));
    assert_true(sg_bus_secret("ssl.keystore.password"));
    assert_true(sg_bus_secret("ssl.key.pem"));
    assert_true(sg_bus_secret("sasl.oauthbearer.config"));
    assert_false(sg_bus_secret("sasl.username"));
    assert_false(sg_bus_secret("ssl.ca.location"));
}

static void test_bad_partitions_setting(void **state)
{
    (void)state;
    char err[1024];
    const char *bad[] = {"bus.partitions=0",     "bus.partitions=-1", "bus.partitions=abc",
                         "bus.partitions=10001", "bus.partitions=",   "bus.partitions=3.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* checked by the settings table as it is set (config.c), with what is allowed */
        assert_int_equal(sg_bus_option(bad[i], err, sizeof err), -1);
        assert_contains(err, "bus.partitions=");
        assert_contains(err, "(allowed: an integer from 1 to 10000)");
        assert_int_equal(sg_bus_partitions(err, sizeof err), 12); /* the default stays */
    }
}

/* Handles are made without contacting a broker, so the rules are testable here. */
static void test_required_properties(void **state)
{
    (void)state;
    char err[1024];
    sg_bus *b = sg_bus_producer_new(err, sizeof err);
    if (!b)
        fail_msg("producer: %s", err);
    sg_bus_free(b);
    b = sg_bus_consumer_new("g1", NULL, NULL, err, sizeof err);
    if (!b)
        fail_msg("consumer: %s", err);
    sg_bus_free(b);

    assert_int_equal(sg_bus_option("enable.idempotence=false", err, sizeof err), 0);
    assert_null(sg_bus_producer_new(err, sizeof err));
    assert_string_equal(err,
                        "-X enable.idempotence=false: sigmabatch requires enable.idempotence=true (docs/pipeline.md)");
    sg_bus_options_reset();
    assert_int_equal(sg_bus_option("acks=1", err, sizeof err), 0);
    assert_null(sg_bus_producer_new(err, sizeof err));
    assert_string_equal(err, "-X acks=1: sigmabatch requires acks=all (docs/pipeline.md)");
    sg_bus_options_reset();
    assert_int_equal(sg_bus_option("acks=all", err, sizeof err), 0);
    b = sg_bus_producer_new(err, sizeof err);
    assert_non_null(b);
    sg_bus_free(b);
    sg_bus_options_reset();
    assert_int_equal(sg_bus_option("enable.auto.commit=true", err, sizeof err), 0);
    assert_null(sg_bus_consumer_new(NULL, NULL, NULL, err, sizeof err));
    assert_string_equal(err,
                        "-X enable.auto.commit=true: sigmabatch requires enable.auto.commit=false (docs/pipeline.md)");
    sg_bus_options_reset();
    assert_int_equal(sg_bus_option("enable.auto.offset.store=true", err, sizeof err), 0);
    assert_null(sg_bus_consumer_new(NULL, NULL, NULL, err, sizeof err));
    assert_contains(err, "requires enable.auto.offset.store=false");
    sg_bus_options_reset();
    assert_int_equal(sg_bus_option("bus.group=", err, sizeof err), -1); /* the settings table refuses it */
    assert_string_equal(err, "-X bus.group=: empty (allowed: a non-empty name of printable ASCII characters without spaces)");
}

/* A property's value on a handle, read back from librdkafka. */
static const char *handle_prop(sg_bus *b, const char *name)
{
    static char v[128];
    size_t n = sizeof v;
    const rd_kafka_conf_t *c = rd_kafka_conf(sg_bus_handle(b));
    assert_int_equal(rd_kafka_conf_get(c, name, v, &n), RD_KAFKA_CONF_OK);
    return v;
}

/* One -X list for every handle: each takes its role's properties (as
 * librdkafka's table marks them), both take the common ones. */
static void test_properties_by_role(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(sg_bus_option("session.timeout.ms=7000", err, sizeof err), 0); /* C */
    assert_int_equal(sg_bus_option("linger.ms=7", err, sizeof err), 0);             /* P */
    assert_int_equal(sg_bus_option("socket.timeout.ms=7001", err, sizeof err), 0);  /* both */
    sg_bus *p = sg_bus_producer_new(err, sizeof err), *c = sg_bus_consumer_new("g1", NULL, NULL, err, sizeof err);
    assert_non_null(p);
    assert_non_null(c);
    assert_string_equal(handle_prop(p, "linger.ms"), "7");
    assert_string_equal(handle_prop(p, "session.timeout.ms"), "45000"); /* librdkafka's default: not set */
    assert_string_equal(handle_prop(p, "socket.timeout.ms"), "7001");
    assert_string_equal(handle_prop(c, "session.timeout.ms"), "7000");
    assert_string_equal(handle_prop(c, "linger.ms"), "5");
    assert_string_equal(handle_prop(c, "socket.timeout.ms"), "7001");
    sg_bus_free(p);
    sg_bus_free(c);
    sg_bus_options_reset();
}

/* Writes text to a scratch file; returns its path (static). */
static const char *scratch_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sg-test-bus-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* -F FILE: -X assignments a line, comments and blanks skipped, spaces around
 * name and value the file's; a bad line named by FILE:LINE, never echoed. */
static void test_option_file(void **state)
{
    (void)state;
    char err[1024], want[1200];
    const char *path = scratch_file("# the cluster\n\n  linger.ms = 9  \r\nbus.partitions=6\n"
                                    "sasl.password= p w=d \n");
    assert_int_equal(sg_bus_option_file(path, err, sizeof err), 0);
    FILE *f = tmpfile();
    sg_bus_options_print(f);
    rewind(f);
    char listed[1024] = "";
    size_t n = fread(listed, 1, sizeof listed - 1, f);
    listed[n] = '\0';
    fclose(f);
    assert_non_null(strstr(listed, "linger.ms=9\n"));
    assert_non_null(strstr(listed, "sasl.password=[redacted]"));
    assert_null(strstr(listed, "p w=d"));
    assert_string_equal(sg_config_get("bus.partitions"), "6");
    sg_bus_options_reset();
    sg_config_reset();

    path = scratch_file("linger.ms=1\nsasl.password Hunter2Secret\n");
    assert_int_equal(sg_bus_option_file(path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: expected name=value", path);
    assert_string_equal(err, want);
    path = scratch_file("\n\nno.such.property=1\n");
    assert_int_equal(sg_bus_option_file(path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3: -X no.such.property: neither", path);
    assert_memory_equal(err, want, strlen(want));
    unlink(path);
    assert_int_equal(sg_bus_option_file(path, err, sizeof err), -1);
    snprintf(want, sizeof want, "-F %s: cannot read it: No such file or directory", path);
    assert_string_equal(err, want);
    sg_bus_options_reset();
}

/* An answer never comes from a broker that is not there: the wait ends at
 * its deadline with a reason, and no message is reported delivered. */
static void test_await_without_broker(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(sg_bus_brokers("127.0.0.1:1", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("message.timeout.ms=300", err, sizeof err), 0);
    assert_int_equal(sg_bus_option("bus.timeout_ms=2000", err, sizeof err), 0);
    sg_bus *b = sg_bus_producer_new(err, sizeof err);
    assert_non_null(b);
    sg_bus_ticket t;
    assert_int_equal(sg_bus_produce(b, "sigma.tasks", "AAPL", "x", 1, &t, err, sizeof err), 0);
    assert_int_equal(sg_bus_await(b, 5000, err, sizeof err), -1);
    assert_contains(err, "1 message(s) not delivered; the first: ");
    assert_true(t.done);
    assert_int_not_equal(t.err, RD_KAFKA_RESP_ERR_NO_ERROR);
    sg_bus_free(b);
}

int main(void)
{
    sg_log_init("test_bus", SG_LOG_ERROR - 1); /* librdkafka's connection warnings are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unknown_property_is_named, reset),
        cmocka_unit_test_setup(test_routing, reset),
        cmocka_unit_test_setup(test_secrets_are_redacted, reset),
        cmocka_unit_test_setup(test_bad_partitions_setting, reset),
        cmocka_unit_test_setup(test_required_properties, reset),
        cmocka_unit_test_setup(test_properties_by_role, reset),
        cmocka_unit_test_setup(test_option_file, reset),
        cmocka_unit_test_setup(test_await_without_broker, reset),
    };
    int rc = cmocka_run_group_tests_name("bus", tests, NULL, NULL);
    reset(NULL);
    return rc;
}
