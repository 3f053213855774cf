/*
 * batch.h - the batch in hand: task messages consumed together, answered
 * together, committed together (docs/pipeline.md, "The worker").
 *
 * Owns: collecting up to worker.batch_max messages or until
 * worker.batch_wait_ms passed since the first; decoding them (what cannot be
 * decoded, or is an onboarding task that names no queue row, becomes a dead
 * letter); grouping by (run, phase, date) with each symbol once per group;
 * the order of effects: the groups' database commits (phases.h, onboard.h),
 * then one event per task message (none for onboarding tasks: their answer is
 * the queue row) and the dead letters, produced and acknowledged,
 * then the offsets stored and committed; dropping messages whose partition
 * was revoked.
 * Must not: answer a task before its rows are committed, store an offset
 * before its answer is acknowledged, or decide what a phase does.
 */
#ifndef WK_BATCH_H
#define WK_BATCH_H

#include <signal.h>
#include <stdbool.h>

#include "bus.h"
#include "phases.h"

typedef struct wk_batch wk_batch;

wk_batch *wk_batch_new(const char *worker_id);
void wk_batch_free(wk_batch *b); /* destroys the messages in hand, committing nothing */
size_t wk_batch_size(const wk_batch *b);

/* Consumes until max messages are in hand, wait_ms passed since the first,
 * or *run is cleared. Returns the count in hand (0: nothing came within
 * about 100 ms). Consumer errors are logged; -1 only when fatal. */
long wk_batch_collect(wk_batch *b, sg_bus *consumer, size_t max, int wait_ms, volatile sig_atomic_t *run, char *err,
                      size_t errlen);

/* Decodes, groups and runs every group not yet done, then produces and awaits
 * the answers. 0 when the batch is answered; -1 with err when it failed for a
 * transient reason and must be run again (done groups are not redone). */
int wk_batch_process(wk_batch *b, wk_env *env, sg_bus *producer, char *err, size_t errlen);

/* Stores every message's offset and commits them, then empties the batch. */
void wk_batch_commit(wk_batch *b, sg_bus *consumer);

/* The rebalance hook's half: drops the messages of revoked partitions. */
void wk_batch_revoke(wk_batch *b, const rd_kafka_topic_partition_list_t *parts);

/* Counts of the last processed batch, for the log line. */
typedef struct wk_batch_stats {
    size_t messages, groups, duplicates, dead, ok, failed;
} wk_batch_stats;
wk_batch_stats wk_batch_last_stats(const wk_batch *b);

#endif
