/*
 * beat.h - the worker's heartbeat in sigma_workers, on a thread of its own.
 *
 * Owns: one thread and one PostgreSQL connection that report the worker
 * (sg_status_heartbeat: id, host, pid, HTTP address, partitions and their
 * lag) every WK_BEAT_MS, whatever the poll loop is doing: a batch that waits
 * minutes on its writes leaves the worker shown alive, as it is. The lag is
 * read from the consumer's cached watermarks (librdkafka's calls are
 * thread-safe).
 * Must not: touch the batch, the poll loop's connection or anything else of
 * the worker's; fail the worker (a beat that fails is logged, and the next
 * one reconnects).
 */
#ifndef WK_BEAT_H
#define WK_BEAT_H

#include <stddef.h>

#include "bus.h"

#define WK_BEAT_MS 5000

typedef struct wk_beat wk_beat;

/* Starts beating for worker id (conninfo as the worker's; http may be NULL).
 * The first beat is sent before this returns. NULL with err when the thread
 * cannot start; the strings and the consumer must outlive wk_beat_stop. */
wk_beat *wk_beat_start(const char *conninfo, const char *id, const char *http, sg_bus *consumer, char *err,
                       size_t errlen);

/* Stops the thread (a beat in flight is finished first), then removes the
 * worker's row (sg_status_leave: a clean stop) and closes the connection. */
void wk_beat_stop(wk_beat *b);

#endif
