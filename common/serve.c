/*
 * serve.c - see serve.h.
 *
 * The socket is bound here and handed to MHD (MHD_OPTION_LISTEN_SOCKET)
 * rather than bound by MHD: bind's own errno then names the cause ("Address
 * already in use"), and an IPv6 "::" is made to take IPv4 too. From
 * MHD_start_daemon on the socket is MHD's: libmicrohttpd 0.9.75 closes it on
 * its failure paths and in MHD_stop_daemon.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "telemetry.h"

#define CONNECTION_LIMIT 64
#define CONNECTION_TIMEOUT_S 10
#define TEXT_TYPE "text/plain; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct route {
    char *pattern;
    size_t len; /* what must match: the whole path, or a prefix without its '*' */
    bool prefix;
    sg_serve_fn *fn;
    void *ctx;
} route;

struct sg_serve {
    char *program;
    sg_ready_fn *ready;
    void *ready_ctx;
    route *routes;
    size_t nroutes;
    bool started;
    struct MHD_Daemon *mhd;
    int port; /* -1 until serving */
};

/* ---- replies ----------------------------------------------------------------- */

/* A plain-text reply, its body malloc'd; -1 when out of memory. */
#if defined(__GNUC__)
static int text(sg_reply *out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
static int text(sg_reply *out, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *body = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!body)
        return -1;
    va_start(ap, fmt);
    vsnprintf(body, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *out = (sg_reply){.status = status, .type = TEXT_TYPE, .body = body, .len = (size_t)n};
    return 0;
}

static int healthz(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    (void)ctx;
    return text(out, 200, "ok\n");
}

static int readyz(const char *path, void *ctx, sg_reply *out)
{
    const sg_serve *s = ctx;
    char why[256] = "";
    (void)path;
    if (!s->ready || s->ready(s->ready_ctx, why, sizeof why))
        return text(out, 200, "ready\n");
    why[sizeof why - 1] = '\0';
    return text(out, 503, "not ready: %s\n", why[0] ? why : "(no reason given)");
}

static int metrics(const char *path, void *ctx, sg_reply *out)
{
    size_t len;
    (void)path;
    (void)ctx;
    char *body = sg_tm_render(&len);
    if (!body)
        return -1;
    *out = (sg_reply){.status = 200, .type = METRICS_TYPE, .body = body, .len = len};
    return 0;
}

/* Hands r to MHD (its body with it). MHD_NO closes the connection. */
static enum MHD_Result send_reply(struct MHD_Connection *c, sg_reply *r, bool allow)
{
    struct MHD_Response *resp = r->len ? MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE)
                                       : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp || !r->len)
        free(r->body); /* not taken by MHD */
    if (!resp)
        return MHD_NO;
    bool ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type ? r->type : TEXT_TYPE) == MHD_YES &&
              MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
              (!allow || MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_YES);
    enum MHD_Result ret = ok ? MHD_queue_response(c, (unsigned)r->status, resp) : MHD_NO;
    MHD_destroy_response(resp);
    return ret;
}

/* ---- routing ----------------------------------------------------------------- */

/* An exact route, else the longest prefix route that matches path. */
static const route *find_route(const sg_serve *s, const char *path)
{
    const route *best = NULL;
    for (size_t i = 0; i < s->nroutes; i++) {
        const route *r = &s->routes[i];
        if (!r->prefix && strcmp(r->pattern, path) == 0)
            return r;
        if (r->prefix && strncmp(r->pattern, path, r->len) == 0 && (!best || r->len > best->len))
            best = r;
    }
    return best;
}

/* The route's reply: a handler that fails, or answers a status that is not
 * one or a length without a body, gets 500. */
static int route_reply(const route *rt, const char *method, const char *path, sg_reply *r)
{
    int rc = rt->fn(path, rt->ctx, r);
    if (rc == 0 && r->status == 0)
        r->status = 200;
    if (rc == 0 && r->status >= 100 && r->status <= 599 && (r->body || !r->len))
        return 0;
    sg_log(SG_LOG_ERROR, "http: %s %s: the handler %s", method, path,
           rc                   ? "failed"
           : r->body || !r->len ? "answered no HTTP status"
                                : "answered a length without a body");
    free(r->body);
    return text(r, 500, "internal error\n");
}

/* MHD's access handler: the first call of each request answers it (a body a
 * client sends is discarded: no route takes one). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    const sg_serve *s = cls;
    sg_reply r = {0};
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    const route *rt = find_route(s, url);
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    int rc;
    if (!rt)
        rc = text(&r, 404, "%s: no such path: %s\n", s->program, url);
    else if (!get)
        rc = text(&r, 405, "%s %s: only GET and HEAD\n", method, url);
    else
        rc = route_reply(rt, method, url, &r);
    if (rc != 0)
        return MHD_NO; /* out of memory: MHD closes the connection */
    sg_log(SG_LOG_DEBUG, "http: %s %s %d", method, url, r.status);
    return send_reply(c, &r, rt && !get);
}

static const char *route_problem(const sg_serve *s, const char *pattern, sg_serve_fn *fn)
{
    const char *star = pattern ? strchr(pattern, '*') : NULL;
    if (!pattern || pattern[0] != '/')
        return "a pattern starts with '/'";
    if (star && star[1])
        return "'*' may only end a pattern";
    if (!fn)
        return "no handler";
    if (s->started)
        return "routes are added before sg_serve_start";
    for (size_t i = 0; i < s->nroutes; i++)
        if (strcmp(s->routes[i].pattern, pattern) == 0)
            return "routed already";
    return NULL;
}

int sg_serve_route(sg_serve *s, const char *pattern, sg_serve_fn *fn, void *ctx)
{
    const char *why = s ? route_problem(s, pattern, fn) : "no server";
    route *grown = why ? NULL : realloc(s->routes, (s->nroutes + 1) * sizeof *grown);
    char *copy = grown ? strdup(pattern) : NULL;
    if (grown)
        s->routes = grown;
    if (!copy) {
        sg_log(SG_LOG_ERROR, "http: route %s: %s", pattern ? pattern : "(null)", why ? why : "out of memory");
        return -1;
    }
    size_t len = strlen(copy);
    bool prefix = copy[len - 1] == '*';
    s->routes[s->nroutes++] = (route){.pattern = copy, .len = len - prefix, .prefix = prefix, .fn = fn, .ctx = ctx};
    return 0;
}

/* ---- the server -------------------------------------------------------------- */

sg_serve *sg_serve_new(const char *program, sg_ready_fn *ready, void *ctx)
{
    sg_serve *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->program = strdup(program ? program : "sigmabatch");
    s->ready = ready;
    s->ready_ctx = ctx;
    s->port = -1;
    if (!s->program || sg_serve_route(s, "/healthz", healthz, s) != 0 || sg_serve_route(s, "/readyz", readyz, s) != 0 ||
        sg_serve_route(s, "/metrics", metrics, s) != 0) {
        sg_serve_free(s);
        return NULL;
    }
    return s;
}

/* serve.address (an IPv4 or IPv6 literal, checked by config) and port. */
static int parse_address(const char *address, int port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    memset(sa, 0, sizeof *sa);
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return 0;
    }
    return -1;
}

/* "serve.port 8480 on 127.0.0.1: Address already in use"; the address is the
 * setting to blame when it is not this machine's. */
static void bind_error(int e, const char *address, int port, char *err, size_t errlen)
{
    if (e == EADDRNOTAVAIL)
        snprintf(err, errlen, "serve.address %s (serve.port %d): %s", address, port, strerror(e));
    else
        snprintf(err, errlen, "serve.port %d on %s: %s", port, address, strerror(e));
}

/* A listening socket on address:port; -1 with the reason. "::" takes IPv4
 * too, whatever net.ipv6.bindv6only says. */
static int listen_socket(const char *address, int port, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    socklen_t len;
    int one = 1, zero = 0, e;
    if (parse_address(address, port, &sa, &len) != 0) {
        snprintf(err, errlen, "serve.address %s: not an IPv4 or IPv6 address", address);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "serve.address %s: socket: %s", address, strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)) {
        e = errno;
        snprintf(err, errlen, "serve.address %s: setsockopt: %s", address, strerror(e));
    } else if (bind(fd, (struct sockaddr *)&sa, len) != 0 || listen(fd, CONNECTION_LIMIT) != 0) {
        bind_error(errno, address, port, err, errlen);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

static int bound_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    return ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                          : ((struct sockaddr_in *)&sa)->sin_port);
}

/* MHD's own messages (a connection refused at the limit, a failed accept),
 * each line at most once every 10 s while it repeats, with the count of
 * those left out: a flood of connections must not flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char last[256];
    static double last_ms;
    static unsigned left_out;
    char line[256];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    double now = sg_clock_ms();
    if (pthread_mutex_lock(&mu) != 0)
        return;
    bool repeat = strcmp(line, last) == 0 && now - last_ms < 10000;
    unsigned n = left_out;
    if (repeat) {
        left_out++;
    } else {
        snprintf(last, sizeof last, "%s", line);
        last_ms = now;
        left_out = 0;
    }
    if (pthread_mutex_unlock(&mu) != 0 || repeat)
        return;
    if (n)
        sg_log(SG_LOG_WARN, "http: %s (%u repeats of the message before left out)", line, n);
    else
        sg_log(SG_LOG_WARN, "http: %s", line);
}

/* Starts MHD on fd with SIGTERM and SIGINT blocked: the threads it creates
 * inherit the mask, so the program's signals reach the program's threads. */
static struct MHD_Daemon *start_mhd(sg_serve *s, int fd, char *err, size_t errlen)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    int rc = pthread_sigmask(SIG_BLOCK, &block, &old);
    if (rc != 0) {
        snprintf(err, errlen, "http: pthread_sigmask: %s", strerror(rc));
        close(fd);
        return NULL;
    }
    // clang-format off
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first: MHD logs while it starts */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
        MHD_OPTION_END);
    // clang-format on
    rc = pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!d)
        snprintf(err, errlen, "http: libmicrohttpd did not start (its message above)");
    else if (rc != 0)
        sg_log(SG_LOG_WARN, "http: pthread_sigmask: %s (SIGTERM and SIGINT stay blocked here)", strerror(rc));
    return d;
}

int sg_serve_start(sg_serve *s, char *err, size_t errlen)
{
    int port = (int)sg_config_number("serve.port");
    const char *address = sg_config_get("serve.address");
    if (!s) {
        snprintf(err, errlen, "http: no server (out of memory)");
        return -1;
    }
    if (s->started) {
        snprintf(err, errlen, "http: started already");
        return -1;
    }
    s->started = true;
    if (port < 0) {
        sg_log(SG_LOG_INFO, "http: off (serve.port -1)");
        return 0;
    }
    int fd = listen_socket(address, port, err, errlen);
    if (fd < 0)
        return -1;
    int bound = bound_port(fd);
    if (bound < 0) {
        snprintf(err, errlen, "serve.port %d on %s: getsockname: %s", port, address, strerror(errno));
        close(fd);
        return -1;
    }
    s->mhd = start_mhd(s, fd, err, errlen);
    if (!s->mhd)
        return -1;
    s->port = bound;
    /* Printed at every verbosity: with port 0 this line is how one finds it. */
    sg_log_write(SG_LOG_INFO, strchr(address, ':') ? "http: listening on [%s]:%d" : "http: listening on %s:%d",
                 address, bound);
    return 0;
}

void sg_serve_where(const sg_serve *s, char *out, size_t outlen)
{
    const char *address = sg_config_get("serve.address");
    char host[256] = "localhost";
    if (!s || s->port < 0) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    if (strcmp(address, "0.0.0.0") == 0 || strcmp(address, "::") == 0) { /* every interface: the host's name */
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        address = host;
    }
    snprintf(out, outlen, strchr(address, ':') ? "[%s]:%d" : "%s:%d", address, s->port);
}

int sg_serve_port(const sg_serve *s)
{
    return s ? s->port : -1;
}

void sg_serve_free(sg_serve *s)
{
    if (!s)
        return;
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    for (size_t i = 0; i < s->nroutes; i++)
        free(s->routes[i].pattern);
    free(s->routes);
    free(s->program);
    free(s);
}
