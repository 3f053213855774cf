/*
 * coordinator.h - what sigma-coordinator does between its main loop's lines:
 * a batch of events, the sweep, and the lead (docs/pipeline.md, "The
 * coordinator", "Leadership").
 *
 * Owns: the order of effects for a batch of events (one transaction that
 * records each outcome once and checks every run it touched; then the next
 * phases' fan-outs; then the dead letters, acknowledged; then the offsets),
 * the periodic sweep (deadlines, unfinished fan-outs of factors and metrics),
 * and the advisory lock that makes one coordinator the leader.
 * Must not: publish prices tasks of a new run (the producer does), or keep
 * any state the database does not hold: a restart resumes from it.
 */
#ifndef SG_COORDINATOR_H
#define SG_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "bus.h"
#include "store.h"

/* Records the events of msgs[0..n) and moves their runs on; then offsets.
 * Returns 0, or -1 when the batch must be read again (nothing committed to
 * Kafka: the caller rejoins the group, which redelivers from the last commit). */
int sg_coord_batch(sg_store *s, sg_bus *producer, sg_bus *consumer, rd_kafka_message_t **msgs, size_t n,
                   const char *me, char *err, size_t errlen);

/* Deadlines and completion of every open run; fan-outs of factors and
 * metrics left unfinished. Failures are logged: the next sweep tries again. */
void sg_coord_sweep(sg_store *s, sg_bus *producer);

/* The lead: a session-level advisory lock on a connection of its own. */
typedef struct sg_lead sg_lead;
sg_lead *sg_lead_new(const char *conninfo);
/* Tries to take the lock (connecting first when needed): true when held. */
bool sg_lead_try(sg_lead *l);
/* Whether the lock is still held (its connection alive). */
bool sg_lead_held(sg_lead *l);
void sg_lead_free(sg_lead *l);

#endif
