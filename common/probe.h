/*
 * probe.h - what a long-running program can say about its links: whether it
 * is ready (PostgreSQL and the broker answer; a worker holds partitions), and
 * how far its consumer lags behind each partition's end.
 *
 * Owns: the readiness check behind /readyz (PQping with a short timeout: no
 * connection is kept or borrowed; a metadata request to the broker; the
 * consumer's assignment), and the lag per assigned partition (the log end the
 * consumer last saw minus its position: no broker round trip).
 * Must not: use the program's own database connection (the HTTP server calls
 * it from its own threads), change anything, or wait longer than
 * SG_PROBE_TIMEOUT_MS per link.
 */
#ifndef SG_PROBE_H
#define SG_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define SG_PROBE_TIMEOUT_MS 2000

typedef struct sg_probe {
    const char *conninfo; /* -d, or NULL for the PG* environment */
    sg_bus *bus;          /* a handle whose broker must answer */
    sg_bus *consumer;     /* a consumer that must hold partitions, or NULL */
} sg_probe;

/* An sg_ready_fn (serve.h): ctx is an sg_probe. False with what is missing
 * in why ("PostgreSQL does not answer ...", "the broker does not answer
 * (...)", "no partitions assigned ..."). */
bool sg_probe_ready(void *ctx, char *why, size_t whylen);

/* One assigned partition's lag; lag is -1 while unknown (nothing fetched yet). */
typedef struct sg_lag {
    char topic[256];
    int32_t partition;
    int64_t lag;
} sg_lag;

/* The consumer's assigned partitions and their lag, in a malloc'd array (free
 * it); returns the count, 0 with none, -1 when the assignment is unknown. */
int sg_probe_lag(sg_bus *consumer, sg_lag **out);

#endif
