/*
 * http.h - the coordinator's HTTP routes: the operator's view of the runs.
 *
 *   /                          the status page (status.h: the latest run, its
 *                              phases, failures, the queue, the workers)
 *   /runs                      recent runs, newest first (JSON)
 *   /runs/{id}                 one run as `sigmactl status --json` shows it
 *   /symbols/{symbol}/status   the app's contract {symbol, status, message,
 *                              estimated_seconds} (docs/status.md)
 *
 * Owns: one database connection of its own for these reads (the loop's is
 * never shared across threads), used by one request at a time, checked with
 * a quick ping first so a request fails in seconds (503), not after the
 * retries of a unit of work, when PostgreSQL is away.
 * Must not: write anything.
 */
#ifndef CO_HTTP_H
#define CO_HTTP_H

#include "serve.h"

typedef struct co_http co_http;

/* The routes' state; conninfo as -d (NULL: PG*). NULL when out of memory. */
co_http *co_http_new(const char *conninfo);
/* Adds the four routes to s (before sg_serve_start). */
int co_http_routes(co_http *h, sg_serve *s);
/* After the server stopped: closes the connection and frees h. */
void co_http_free(co_http *h);

#endif
