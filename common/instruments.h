/*
 * instruments.h - the metrics every sigmabatch program exposes on /metrics,
 * and one call per thing counted. docs/observability.md lists them.
 *
 * Owns: the families' names, help, labels and buckets (registered on first
 * use, so a program exposes only what it does), the label values (an
 * outcome's reason becomes a short class, so a free-text reason never makes a
 * new series per symbol), and the consumer-lag collector.
 * Must not: render or serve (telemetry.h, serve.h), or decide anything: a
 * count never changes what a program does.
 */
#ifndef SG_INSTRUMENTS_H
#define SG_INSTRUMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "bus.h"

/* The bus: a message read, a delivery report, a dead letter (by source topic). */
void sg_inst_consumed(const char *topic);
void sg_inst_delivered(const char *topic, bool acknowledged);
void sg_inst_dead_letter(const char *topic);

/* Outcomes: a worker's answers, and the coordinator's recorded ones. */
void sg_inst_outcome(const char *phase, bool ok, const char *reason);
void sg_inst_recorded(const char *phase, bool ok, const char *reason);
/* A recorded event's fate: "new", "duplicate", "unknown", "upgraded", "invalid". */
void sg_inst_event(const char *result);

/* A worker's batch (messages, seconds) and one phase's work within it. */
void sg_inst_batch(size_t messages, double seconds);
void sg_inst_phase(const char *phase, size_t symbols, double seconds);

/* Providers: an answer (HTTP status, 0 for a transport error), a retry, a
 * wait for the rate limit. */
void sg_inst_provider_answer(const char *provider, long status);
void sg_inst_provider_retry(const char *provider, long status);
void sg_inst_provider_throttled(const char *provider);

/* The database: a failed statement or unit (its SQLSTATE, and whether it is
 * retried). */
void sg_inst_db_error(const char *sqlstate, bool transient);

/* The relay's queue rows: "published", "republished", "refused", "given_up", "unacknowledged". */
void sg_inst_onboarding(const char *result, size_t n);

/* A run the coordinator closed (completed or failed: the status page says which). */
void sg_inst_run_closed(void);

/* Registers sigma_build_info and sigma_process_start_time_seconds for program. */
void sg_inst_process(const char *program);

/* Sets sigma_consumer_lag{topic,partition} and
 * sigma_consumer_assigned_partitions from a consumer at each scrape. */
void sg_inst_lag_collector(sg_bus *consumer);

/* The reason's class for a label: its first clause (up to ':', ';', '(' or
 * ','), lower case, at most 40 bytes, printable ASCII: "HTTP 503 from yahoo
 * (retried 4 times): ..." -> "http 503 from yahoo"; "ridge: Insufficient
 * aligned data: 19 days" -> "ridge". A family's series are capped
 * (telemetry.h), so even an unexpected reason cannot grow memory. */
void sg_inst_reason_class(const char *reason, char *out, size_t outlen);

#endif
