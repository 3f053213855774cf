/* http.c - see http.h. */
#include "http.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "status.h"
#include "symbols.h"
#include "store.h"

#define JSON "application/json"
#define HTML "text/html; charset=utf-8"
#define RUNS_LISTED 20

struct co_http {
    const char *conninfo;
    pthread_mutex_t mu; /* one request at a time on the connection */
    sg_store *store;    /* NULL until the first request, or after it broke */
};

co_http *co_http_new(const char *conninfo)
{
    co_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->conninfo = conninfo;
    if (pthread_mutex_init(&h->mu, NULL)) {
        free(h);
        return NULL;
    }
    return h;
}

void co_http_free(co_http *h)
{
    if (!h)
        return;
    sg_store_close(h->store);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* A reply whose body is a copy of text (or a JSON error object). */
static int reply(sg_reply *out, int status, const char *type, char *body)
{
    out->status = status;
    out->type = type;
    out->body = body;
    out->len = body ? strlen(body) : 0;
    return body ? 0 : -1;
}

static int error_json(sg_reply *out, int status, const char *message)
{
    char *b = malloc(strlen(message) * 6 + 32);
    if (!b)
        return -1;
    char *p = b + sprintf(b, "{\"error\":\"");
    for (const unsigned char *m = (const unsigned char *)message; *m; m++)
        p += *m == '"' || *m == '\\' ? sprintf(p, "\\%c", *m) : *m < 0x20 ? sprintf(p, "\\u%04x", *m) : sprintf(p, "%c", *m);
    sprintf(p, "\"}\n");
    return reply(out, status, JSON, b);
}

/* The connection for this request, with the mutex held; NULL (mutex
 * released, reply filled with 503) when PostgreSQL does not answer. */
static sg_store *take(co_http *h, sg_reply *out)
{
    char err[512];
    const char *keys[] = {"connect_timeout", "dbname", NULL}, *values[] = {"2", h->conninfo ? h->conninfo : "", NULL};
    if (PQpingParams(keys, values, 1) != PQPING_OK) {
        error_json(out, 503, "PostgreSQL does not answer");
        return NULL;
    }
    pthread_mutex_lock(&h->mu);
    if (h->store && PQstatus(sg_store_conn(h->store)) != CONNECTION_OK) {
        sg_store_close(h->store);
        h->store = NULL;
    }
    if (!h->store && !(h->store = sg_store_connect(h->conninfo, err, sizeof err))) {
        pthread_mutex_unlock(&h->mu);
        sg_log(SG_LOG_WARN, "http: %s", err);
        error_json(out, 503, "PostgreSQL: cannot connect");
        return NULL;
    }
    return h->store;
}

static void give(co_http *h)
{
    pthread_mutex_unlock(&h->mu);
}

/* A database failure: logged in full, answered 500 in short. */
static int failed(co_http *h, sg_reply *out, const char *err)
{
    give(h);
    sg_log(SG_LOG_WARN, "http: %s", err);
    return error_json(out, 500, "database error (see the coordinator's log)");
}

/* /: the status page of the latest run. */
static int page(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    co_http *h = ctx;
    char err[1024];
    sg_status *st;
    sg_store *s = take(h, out);
    if (!s)
        return 0;
    if (sg_status_load(s, NULL, &st, err, sizeof err))
        return failed(h, out, err);
    give(h);
    char *html = sg_status_html(st, "2");
    sg_status_free(st);
    return reply(out, 200, HTML, html);
}

static int runs(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    co_http *h = ctx;
    char err[1024], *json = NULL;
    sg_store *s = take(h, out);
    if (!s)
        return 0;
    if (sg_status_runs_json(s, RUNS_LISTED, &json, err, sizeof err))
        return failed(h, out, err);
    give(h);
    return reply(out, 200, JSON, json);
}

/* /runs/{id} */
static int run(const char *path, void *ctx, sg_reply *out)
{
    co_http *h = ctx;
    const char *id = path + strlen("/runs/");
    char err[1024];
    sg_status *st;
    if (!*id || strchr(id, '/'))
        return error_json(out, 404, "no such path: /runs/{id} names one run");
    sg_store *s = take(h, out);
    if (!s)
        return 0;
    int rc = sg_status_load(s, id, &st, err, sizeof err);
    if (rc == SG_STATUS_NO_RUN) {
        give(h);
        return error_json(out, 404, err);
    }
    if (rc)
        return failed(h, out, err);
    give(h);
    char *json = sg_status_json(st);
    sg_status_free(st);
    return reply(out, 200, JSON, json);
}

/* /symbols/{symbol}/status */
static int symbol(const char *path, void *ctx, sg_reply *out)
{
    co_http *h = ctx;
    const char *sym = path + strlen("/symbols/"), *slash = strchr(sym, '/');
    char err[1024], name[256], *json = NULL;
    if (!slash || slash == sym || strcmp(slash, "/status") != 0 || (size_t)(slash - sym) >= sizeof name)
        return error_json(out, 404, "no such path: /symbols/{symbol}/status");
    snprintf(name, sizeof name, "%.*s", (int)(slash - sym), sym);
    sg_store *s = take(h, out);
    if (!s)
        return 0;
    if (sg_status_symbol_json(s, name, &json, err, sizeof err))
        return failed(h, out, err);
    give(h);
    /* an invalid symbol: the app's JSON (unknown, the reason as message), as a bad request */
    return reply(out, sg_symbol_checkn(name, strlen(name), SG_SYMBOL_LOWER_OK, NULL, 0) ? 400 : 200, JSON, json);
}

int co_http_routes(co_http *h, sg_serve *s)
{
    return sg_serve_route(s, "/", page, h) || sg_serve_route(s, "/runs", runs, h) ||
                   sg_serve_route(s, "/runs/*", run, h) || sg_serve_route(s, "/symbols/*", symbol, h)
               ? -1
               : 0;
}
