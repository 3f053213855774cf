/*
 * bus.h - Kafka for every sigmabatch program, configured in one place
 * (librdkafka). docs/pipeline.md explains the rules.
 *
 * Owns: routing of `-X name=value` (a name in sigmabatch's settings table,
 * config.h, goes there; any other name is a librdkafka property, checked by
 * librdkafka at once so an unknown one is an error naming it), the broker list
 * (`--brokers`, setting bus.brokers), the topic names and partition counts
 * (settings bus.topic.*, bus.partitions, bus.replication), creating the
 * topics with the Admin API, idempotent acks=all producers whose deliveries
 * callers can await, and group consumers that commit only what the caller
 * says is processed. Secrets (sasl.password, ssl.key.password, ...) never
 * print: property listings and errors redact them.
 * Must not: know message formats (messages.h), the database, or the mock
 * cluster: rdkafka_mock.h belongs to `sigmactl broker` alone.
 */
#ifndef SG_BUS_H
#define SG_BUS_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- options (-X, --brokers) --------------------------------------------- */

/* "name=value" from -X: to sigmabatch's settings when the name is there,
 * else to librdkafka (validated now). Returns 0, or -1 with a reason. */
int sg_bus_option(const char *assignment, char *err, size_t errlen);
/* -F FILE: one "name=value" a line, each as -X would take it, in order ('#'
 * starts a comment line; blank lines and spaces around name and value are
 * skipped), so secrets (sasl.password) stay out of the command line, as kcat's
 * -F keeps them. Returns 0, or -1 with "FILE:LINE: reason" (the value of a
 * secret property never in it). */
int sg_bus_option_file(const char *path, char *err, size_t errlen);
/* --brokers LIST: sets bus.brokers (bootstrap.servers). */
int sg_bus_brokers(const char *list, char *err, size_t errlen);
/* Forgets the librdkafka properties given with -X (frees them). */
void sg_bus_options_reset(void);
/* Prints the librdkafka properties given with -X, secrets redacted. */
void sg_bus_options_print(FILE *out);
/* Whether a property's value is secret (never printed). */
bool sg_bus_secret(const char *name);

/* ---- topics --------------------------------------------------------------- */

typedef enum sg_bus_topic {
    SG_TOPIC_TASKS = 0,
    SG_TOPIC_ONBOARDING,
    SG_TOPIC_EVENTS,
    SG_TOPIC_DEADLETTER,
    SG_TOPIC_COUNT
} sg_bus_topic;

/* The topic's name from its setting (bus.topic.tasks, ...). */
const char *sg_bus_topic_name(sg_bus_topic t);
/* bus.partitions as a number, or -1 with a reason when it is not 1..10000. */
int sg_bus_partitions(char *err, size_t errlen);

/* Creates the four topics (bus.partitions, bus.replication) with the Admin
 * API; an existing topic is fine. Waits up to timeout_ms. */
int sg_bus_create_topics(int timeout_ms, char *err, size_t errlen);

/* ---- handles --------------------------------------------------------------- */

typedef struct sg_bus sg_bus;

/* A producer's record of one message: filled by the delivery report. */
typedef struct sg_bus_ticket {
    volatile int done;       /* set when the broker acknowledged, or gave up */
    rd_kafka_resp_err_t err; /* RD_KAFKA_RESP_ERR_NO_ERROR: acknowledged */
    int32_t partition;
    int64_t offset;
} sg_bus_ticket;

/* Rebalance hook: called before the library applies an assignment
 * (assigned = true) or a revocation (assigned = false), so a consumer can
 * commit what it finished and drop what it loses. */
typedef void sg_bus_rebalance_fn(sg_bus *b, bool assigned, const rd_kafka_topic_partition_list_t *parts, void *opaque);

/* An idempotent producer with acks=all. NULL with a reason on error. */
sg_bus *sg_bus_producer_new(char *err, size_t errlen);
/* A consumer in group (NULL: the setting bus.group), automatic commits and
 * offset stores off, reading from the earliest offset of a new group. */
sg_bus *sg_bus_consumer_new(const char *group, sg_bus_rebalance_fn *hook, void *opaque, char *err, size_t errlen);
/* Leaves the group (consumer) or waits for deliveries (producer, up to
 * bus.timeout_ms), then frees. NULL is fine. */
void sg_bus_free(sg_bus *b);
/* The librdkafka handle, for what this module does not wrap. */
rd_kafka_t *sg_bus_handle(sg_bus *b);
/* Whether librdkafka raised a fatal error (the handle is unusable). */
bool sg_bus_fatal(sg_bus *b, char *err, size_t errlen);

/* ---- producing ------------------------------------------------------------- */

/* Queues one message (key = the symbol). ticket, if not NULL, must live
 * until its done is set. Waits for room while the queue is full. */
int sg_bus_produce(sg_bus *b, const char *topic, const char *key, const void *value, size_t len, sg_bus_ticket *ticket,
                   char *err, size_t errlen);
/* Waits up to timeout_ms until every queued message is acknowledged; -1 if
 * one was not, or failed (the count and the first error in err). */
int sg_bus_await(sg_bus *b, int timeout_ms, char *err, size_t errlen);

/* Sends a message this program cannot use to the dead-letter topic: its
 * original key, bytes and headers (but any sigma.* header it carried), and in
 * headers the reason (sigma.reason), where it
 * came from (sigma.topic, sigma.partition, sigma.offset) and who sent it
 * (sigma.worker), so an operator can read and replay it. A message that no
 * longer fits message.max.bytes with these headers keeps the first 64 KiB of
 * its value and 1 KiB of its key, and says so in sigma.cut ("value 65536 of
 * 999934 bytes, key 5 of 5 bytes"). Queued like any message: sg_bus_await
 * acknowledges it. */
int sg_bus_dead_letter(sg_bus *b, const rd_kafka_message_t *m, const char *why, const char *who, char *err,
                       size_t errlen);

/* ---- consuming ------------------------------------------------------------- */

int sg_bus_subscribe(sg_bus *b, const char *const *topics, size_t n, char *err, size_t errlen);
/* Returns 1 with a message in *out (free it with rd_kafka_message_destroy),
 * 0 when none came within timeout_ms, -1 with the error a consumer reported
 * (most are transient: log it and go on unless sg_bus_fatal()). */
int sg_bus_consume(sg_bus *b, int timeout_ms, rd_kafka_message_t **out, char *err, size_t errlen);
/* Marks a message processed: its offset + 1 is stored for the next commit. */
int sg_bus_done(sg_bus *b, const rd_kafka_message_t *m, char *err, size_t errlen);
/* Commits the stored offsets, synchronously. Nothing stored is not an error. */
int sg_bus_commit(sg_bus *b, char *err, size_t errlen);

#endif
