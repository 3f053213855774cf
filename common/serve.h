/*
 * serve.h - the HTTP server of every long-running program (libmicrohttpd):
 * liveness, readiness, Prometheus metrics, and the routes a program adds.
 *
 * Owns: the listening socket (settings serve.address and serve.port; port 0
 * takes any free port, -1 means no HTTP at all), the server's threads, the
 * routing of GET and HEAD requests, the built-in routes, and the status codes
 * and headers every reply carries:
 *   /healthz  200 "ok\n": the process answers (liveness);
 *   /readyz   200 "ready\n", or 503 "not ready: <why>\n" from the ready
 *             callback (readiness; no callback: always ready);
 *   /metrics  200, the registry of telemetry.h, Content-Type
 *             "text/plain; version=0.0.4; charset=utf-8";
 *   an unknown path: 404 naming it; a known path with a method other than
 *   GET or HEAD: 405 with "Allow: GET, HEAD"; a handler's failure: 500.
 * Every reply carries "Cache-Control: no-store"; a HEAD gets the headers (with
 * the Content-Length of the body) and no body.
 * Must not: know what a program does (its routes and readiness are
 * callbacks), or take the program's signals: its threads block SIGTERM and
 * SIGINT, so they reach the program's own threads.
 *
 * Threads: one listening thread, and one thread per connection
 * (MHD_USE_THREAD_PER_CONNECTION, at most 64 connections, each closed after
 * 10 s idle). A handler that takes long holds only its own connection, so
 * /healthz keeps answering; a pool of a few threads would let a few slow
 * /metrics scrapes starve the probes. Handlers and the ready callback run on
 * those threads, several at once: what they read must be thread-safe.
 */
#ifndef SG_SERVE_H
#define SG_SERVE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sg_serve sg_serve;

/* A handler's reply: status 0 means 200; type NULL means
 * "text/plain; charset=utf-8"; body malloc'd by the handler (or NULL with len
 * 0), freed by serve whatever the handler returns. */
typedef struct sg_reply {
    int status;
    const char *type;
    char *body;
    size_t len;
} sg_reply;

/* path: the request's path, percent-decoded, without the query string.
 * Returns 0 (reply filled) or -1 (the client gets 500). */
typedef int sg_serve_fn(const char *path, void *ctx, sg_reply *out);
/* Readiness: true when ready, else false with what is missing in why. */
typedef bool sg_ready_fn(void *ctx, char *why, size_t whylen);

/* A server of program (its name in 404 bodies) with its built-in routes; not
 * started. NULL when out of memory. */
sg_serve *sg_serve_new(const char *program, sg_ready_fn *ready, void *ctx);

/* Adds a route, before sg_serve_start. pattern: an exact path ("/runs"), or a
 * prefix: a pattern ending in '*' ("/symbols/" then '*' answers "/symbols/"
 * and every path under it; "/runs/" without it is exact). An exact route wins
 * over a prefix, a longer prefix over a shorter one.
 * -1 (logged) for a pattern not starting with '/', with a '*' elsewhere than
 * at its end, already routed (the built-in routes included), after the start,
 * or out of memory. */
int sg_serve_route(sg_serve *s, const char *pattern, sg_serve_fn *fn, void *ctx);

/* Binds serve.address:serve.port and starts serving on its own threads;
 * logs "http: listening on ADDRESS:PORT" (info). Returns 0, or -1 with a
 * reason naming the setting and the address in err ("serve.port 8480 on
 * 127.0.0.1: Address already in use"). Port -1: no HTTP, returns 0. */
int sg_serve_start(sg_serve *s, char *err, size_t errlen);

/* The bound port (what port 0 picked), or -1 when not serving. */
int sg_serve_port(const sg_serve *s);

/* "HOST:PORT" where others reach the server: serve.address, or the host's
 * name when it is a wildcard (0.0.0.0, ::); "" when not serving. */
void sg_serve_where(const sg_serve *s, char *out, size_t outlen);

/* Stops serving (waits for the replies in progress) and frees s; NULL is fine. */
void sg_serve_free(sg_serve *s);

#endif
