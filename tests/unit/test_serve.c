/*
 * test_serve.c - the HTTP server of the long-running programs (serve.h),
 * through a real client (libcurl) on loopback: the built-in routes
 * (/healthz, /readyz following the ready callback, /metrics with the
 * exposition format's content type), a program's exact and prefix routes,
 * 404, 405 with Allow, HEAD, Cache-Control on every reply, a handler that
 * takes long while /healthz answers, the connection limit and idle timeout,
 * the settings (port 0, -1, a port in use, an address not of this machine,
 * IPv6).
 */
#include "config.h"
#include "serve.h"
#include "sgtest.h"
#include "telemetry.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

/* ---- the client ---------------------------------------------------------------- */

typedef struct response {
    long status;
    char body[65536];
    size_t len;
    char headers[8192]; /* "\nName: value\r" lines as received */
    size_t hlen;
} response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t len = size * n;
    if (r->len + len >= sizeof r->body)
        return 0;
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t len = size * n;
    if (r->hlen + len + 1 >= sizeof r->headers)
        return 0;
    r->headers[r->hlen++] = '\n';
    memcpy(r->headers + r->hlen, p, len);
    r->hlen += len;
    r->headers[r->hlen] = '\0';
    return len;
}

/* The value of a response header (case-insensitive name), or NULL. */
static const char *header(const response *r, const char *name)
{
    static char value[512];
    size_t n = strlen(name);
    for (const char *line = strchr(r->headers, '\n'); line; line = strchr(line + 1, '\n')) {
        if (strncasecmp(line + 1, name, n) == 0 && line[1 + n] == ':') {
            const char *v = line + 2 + n + strspn(line + 2 + n, " ");
            snprintf(value, sizeof value, "%.*s", (int)strcspn(v, "\r\n"), v);
            return value;
        }
    }
    return NULL;
}

#define CURL_OK(call)                                                                                                  \
    do {                                                                                                               \
        CURLcode rc_ = (call);                                                                                         \
        if (rc_ != CURLE_OK)                                                                                           \
            fail_msg("%s: %s", #call, curl_easy_strerror(rc_));                                                        \
    } while (0)

/* method path on host:port; the response in r. Every reply carries
 * Cache-Control: no-store, so every request checks it. */
static void request_at(const char *host, int port, const char *method, const char *path, response *r)
{
    char url[512];
    CURL *c = curl_easy_init();
    assert_non_null(c);
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "http://%s:%d%s", host, port, path);
    CURL_OK(curl_easy_setopt(c, CURLOPT_URL, url));
    CURL_OK(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body));
    CURL_OK(curl_easy_setopt(c, CURLOPT_WRITEDATA, r));
    CURL_OK(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header));
    CURL_OK(curl_easy_setopt(c, CURLOPT_HEADERDATA, r));
    CURL_OK(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L));
    CURL_OK(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    if (strcmp(method, "HEAD") == 0)
        CURL_OK(curl_easy_setopt(c, CURLOPT_NOBODY, 1L));
    else if (strcmp(method, "POST") == 0)
        CURL_OK(curl_easy_setopt(c, CURLOPT_POSTFIELDS, "symbol=AAPL"));
    else if (strcmp(method, "GET") != 0)
        CURL_OK(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method));
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
    CURL_OK(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status));
    curl_easy_cleanup(c);
    if (!header(r, "Cache-Control") || strcmp(header(r, "Cache-Control"), "no-store") != 0)
        fail_msg("%s %s: no Cache-Control: no-store in\n%s", method, url, r->headers);
}

static void request(int port, const char *method, const char *path, response *r)
{
    request_at("127.0.0.1", port, method, path, r);
}

static void assert_reply(const response *r, long status, const char *type, const char *body)
{
    assert_int_equal(r->status, status);
    assert_string_equal(header(r, "Content-Type"), type);
    assert_string_equal(r->body, body);
}

#define TEXT "text/plain; charset=utf-8"

/* ---- servers ------------------------------------------------------------------- */

static void configure(const char *address, const char *port)
{
    char a[128], err[512];
    sg_config_reset();
    snprintf(a, sizeof a, "serve.address=%s", address);
    if (sg_config_set(a, err, sizeof err) != 0)
        fail_msg("%s", err);
    snprintf(a, sizeof a, "serve.port=%s", port);
    if (sg_config_set(a, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* A started server on 127.0.0.1, any free port. */
static sg_serve *started(sg_serve *s)
{
    char err[512] = "";
    assert_non_null(s);
    configure("127.0.0.1", "0");
    if (sg_serve_start(s, err, sizeof err) != 0)
        fail_msg("sg_serve_start: %s", err);
    assert_true(sg_serve_port(s) > 0);
    return s;
}

typedef struct readiness {
    atomic_int ready;
    const char *why;
} readiness;

static bool is_ready(void *ctx, char *why, size_t whylen)
{
    readiness *r = ctx;
    if (atomic_load(&r->ready))
        return true;
    snprintf(why, whylen, "%s", r->why);
    return false;
}

/* ---- the built-in routes --------------------------------------------------------- */

static void test_healthz(void **state)
{
    (void)state;
    response r;
    sigset_t mask;
    sg_serve *s = started(sg_serve_new("sigma-test", NULL, NULL));
    request(sg_serve_port(s), "GET", "/healthz", &r);
    assert_reply(&r, 200, TEXT, "ok\n");
    request(sg_serve_port(s), "GET", "/healthz?verbose=1", &r); /* the query is not the path */
    assert_reply(&r, 200, TEXT, "ok\n");
    /* the server's threads took SIGTERM out of their mask, not out of ours */
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
    assert_int_equal(sigismember(&mask, SIGTERM), 0);
    assert_int_equal(sigismember(&mask, SIGINT), 0);
    sg_serve_free(s);
}

static void test_readyz(void **state)
{
    (void)state;
    response r;
    readiness rd = {.why = "bus: no partition assigned yet"};
    atomic_store(&rd.ready, 1);
    sg_serve *s = started(sg_serve_new("sigma-test", is_ready, &rd));
    int port = sg_serve_port(s);
    request(port, "GET", "/readyz", &r);
    assert_reply(&r, 200, TEXT, "ready\n");
    atomic_store(&rd.ready, 0);
    request(port, "GET", "/readyz", &r);
    assert_reply(&r, 503, TEXT, "not ready: bus: no partition assigned yet\n");
    request(port, "GET", "/healthz", &r); /* alive all the same */
    assert_reply(&r, 200, TEXT, "ok\n");
    atomic_store(&rd.ready, 1);
    request(port, "GET", "/readyz", &r);
    assert_reply(&r, 200, TEXT, "ready\n");
    sg_serve_free(s);

    /* no callback: always ready */
    s = started(sg_serve_new("sigma-test", NULL, NULL));
    request(sg_serve_port(s), "GET", "/readyz", &r);
    assert_reply(&r, 200, TEXT, "ready\n");
    sg_serve_free(s);
}

static void test_metrics(void **state)
{
    (void)state;
    response r;
    sg_tm_reset();
    sg_tm_family *c = sg_tm_counter("sigma_test_requests_total", "Requests \"seen\".", "phase");
    sg_tm_add(c, 3, "prices");
    sg_serve *s = started(sg_serve_new("sigma-test", NULL, NULL));
    request(sg_serve_port(s), "GET", "/metrics", &r);
    assert_reply(&r, 200, "text/plain; version=0.0.4; charset=utf-8",
                 "# HELP sigma_test_requests_total Requests \"seen\".\n"
                 "# TYPE sigma_test_requests_total counter\n"
                 "sigma_test_requests_total{phase=\"prices\"} 3\n");
    sg_tm_add(c, 1, "prices"); /* each scrape renders anew */
    request(sg_serve_port(s), "GET", "/metrics", &r);
    assert_contains(r.body, "sigma_test_requests_total{phase=\"prices\"} 4\n");
    sg_serve_free(s);
    sg_tm_reset();
}

/* ---- a program's routes -------------------------------------------------------------- */

static int runs_list(const char *path, void *ctx, sg_reply *out)
{
    (void)ctx;
    char *body = malloc(64);
    if (!body)
        return -1;
    snprintf(body, 64, "{\"route\":\"exact\",\"path\":\"%s\"}\n", path);
    *out = (sg_reply){.type = "application/json", .body = body, .len = strlen(body)}; /* status 0: 200 */
    return 0;
}

/* Echoes which prefix answered (ctx) and the path; 404 for /runs/missing. */
static int echo(const char *path, void *ctx, sg_reply *out)
{
    char *body = malloc(256);
    if (!body)
        return -1;
    snprintf(body, 256, "%s %s\n", (const char *)ctx, path);
    *out = (sg_reply){.status = strcmp(path, "/runs/missing") == 0 ? 404 : 200, .body = body, .len = strlen(body)};
    return 0;
}

static int failing(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    (void)ctx;
    out->body = strdup("half a reply"); /* freed by serve all the same */
    return -1;
}

static int no_status(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    (void)ctx;
    out->status = 42;
    return 0;
}

static int no_body(const char *path, void *ctx, sg_reply *out)
{
    (void)path;
    (void)ctx;
    out->len = 10;
    return 0;
}

static void test_routes(void **state)
{
    (void)state;
    response r;
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    assert_int_equal(sg_serve_route(s, "/runs", runs_list, NULL), 0);
    assert_int_equal(sg_serve_route(s, "/runs/*", echo, "runs/*"), 0);
    assert_int_equal(sg_serve_route(s, "/runs/special/*", echo, "runs/special/*"), 0);
    assert_int_equal(sg_serve_route(s, "/fail", failing, NULL), 0);
    assert_int_equal(sg_serve_route(s, "/odd", no_status, NULL), 0);
    assert_int_equal(sg_serve_route(s, "/nobody", no_body, NULL), 0);
    /* refused patterns */
    assert_int_equal(sg_serve_route(s, "runs", echo, NULL), -1);
    assert_int_equal(sg_serve_route(s, "/a*b", echo, NULL), -1);
    assert_int_equal(sg_serve_route(s, "/runs", echo, NULL), -1);
    assert_int_equal(sg_serve_route(s, "/healthz", echo, NULL), -1);
    assert_int_equal(sg_serve_route(s, "/x", NULL, NULL), -1);
    assert_int_equal(sg_serve_route(NULL, "/x", echo, NULL), -1);
    started(s);
    assert_int_equal(sg_serve_route(s, "/late", echo, NULL), -1);
    int port = sg_serve_port(s);

    request(port, "GET", "/runs", &r);
    assert_reply(&r, 200, "application/json", "{\"route\":\"exact\",\"path\":\"/runs\"}\n");
    request(port, "GET", "/runs?date=2025-07-15", &r);
    assert_reply(&r, 200, "application/json", "{\"route\":\"exact\",\"path\":\"/runs\"}\n");
    request(port, "GET", "/runs/", &r);
    assert_reply(&r, 200, TEXT, "runs/* /runs/\n");
    request(port, "GET", "/runs/42/phases", &r);
    assert_reply(&r, 200, TEXT, "runs/* /runs/42/phases\n");
    request(port, "GET", "/runs/special/7", &r); /* the longer prefix */
    assert_reply(&r, 200, TEXT, "runs/special/* /runs/special/7\n");
    request(port, "GET", "/runs/BRK%2EB", &r); /* paths arrive percent-decoded */
    assert_reply(&r, 200, TEXT, "runs/* /runs/BRK.B\n");
    request(port, "GET", "/runs/missing", &r); /* a handler's own status */
    assert_reply(&r, 404, TEXT, "runs/* /runs/missing\n");
    request(port, "GET", "/runsx", &r);
    assert_int_equal(r.status, 404);
    request(port, "GET", "/fail", &r);
    assert_reply(&r, 500, TEXT, "internal error\n");
    request(port, "GET", "/odd", &r);
    assert_reply(&r, 500, TEXT, "internal error\n");
    request(port, "GET", "/nobody", &r);
    assert_reply(&r, 500, TEXT, "internal error\n");
    sg_serve_free(s);
}

static void test_not_found(void **state)
{
    (void)state;
    response r;
    sg_serve *s = started(sg_serve_new("sigma-worker", NULL, NULL));
    request(sg_serve_port(s), "GET", "/nope", &r);
    assert_reply(&r, 404, TEXT, "sigma-worker: no such path: /nope\n");
    request(sg_serve_port(s), "GET", "/", &r);
    assert_reply(&r, 404, TEXT, "sigma-worker: no such path: /\n");
    request(sg_serve_port(s), "POST", "/nope", &r); /* unknown whatever the method */
    assert_int_equal(r.status, 404);
    sg_serve_free(s);
}

static void test_methods(void **state)
{
    (void)state;
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    static const char *const paths[] = {"/healthz", "/readyz", "/metrics", "/runs", "/runs/7"};
    response r;
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    assert_int_equal(sg_serve_route(s, "/runs", runs_list, NULL), 0);
    assert_int_equal(sg_serve_route(s, "/runs/*", echo, "runs/*"), 0);
    started(s);
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
            request(sg_serve_port(s), methods[m], paths[p], &r);
            if (r.status != 405)
                fail_msg("%s %s: %ld", methods[m], paths[p], r.status);
            assert_string_equal(header(&r, "Allow"), "GET, HEAD");
        }
    }
    request(sg_serve_port(s), "GET", "/healthz", &r); /* 405 is not sticky */
    assert_reply(&r, 200, TEXT, "ok\n");
    assert_null(header(&r, "Allow"));
    sg_serve_free(s);
}

static void test_head(void **state)
{
    (void)state;
    response r;
    sg_tm_reset();
    sg_tm_counter("sigma_test_total", "Test.", NULL);
    sg_serve *s = started(sg_serve_new("sigma-test", NULL, NULL));
    request(sg_serve_port(s), "HEAD", "/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    assert_string_equal(header(&r, "Content-Length"), "3"); /* what GET would send */
    assert_string_equal(header(&r, "Content-Type"), TEXT);
    request(sg_serve_port(s), "HEAD", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    assert_string_equal(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    request(sg_serve_port(s), "HEAD", "/nope", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.len, 0);
    sg_serve_free(s);
    sg_tm_reset();
}

/* ---- threads -------------------------------------------------------------------- */

typedef struct slow {
    atomic_int entered, release;
    int port;
    response r;
} slow;

static int slow_handler(const char *path, void *ctx, sg_reply *out)
{
    slow *w = ctx;
    (void)path;
    atomic_store(&w->entered, 1);
    for (int i = 0; i < 2000 && !atomic_load(&w->release); i++) /* 20 s at most */
        usleep(10000);
    out->body = strdup("done\n");
    out->len = out->body ? 5 : 0;
    return out->body ? 0 : -1;
}

static void *slow_client(void *arg)
{
    slow *w = arg;
    request(w->port, "GET", "/slow", &w->r);
    return NULL;
}

static void test_slow_handler(void **state)
{
    (void)state;
    response r;
    pthread_t t;
    slow w = {0};
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    assert_int_equal(sg_serve_route(s, "/slow", slow_handler, &w), 0);
    w.port = sg_serve_port(started(s));
    assert_int_equal(pthread_create(&t, NULL, slow_client, &w), 0);
    for (int i = 0; i < 1000 && !atomic_load(&w.entered); i++)
        usleep(10000);
    assert_true(atomic_load(&w.entered));
    /* the slow handler holds its own connection only */
    double t0 = sg_clock_ms();
    request(w.port, "GET", "/healthz", &r);
    assert_reply(&r, 200, TEXT, "ok\n");
    request(w.port, "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_true(sg_clock_ms() - t0 < 2000);
    atomic_store(&w.release, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_reply(&w.r, 200, TEXT, "done\n");
    sg_serve_free(s);
}

/* An idle TCP connection to port (nothing sent). */
static int idle_connection(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* A GET that may fail (the connection refused by the limit): the status, or 0. */
static long try_get(int port, const char *path)
{
    char url[128];
    long status = 0;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL_OK(curl_easy_setopt(c, CURLOPT_URL, url));
    CURL_OK(curl_easy_setopt(c, CURLOPT_NOBODY, 1L));
    CURL_OK(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L));
    CURL_OK(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    if (curl_easy_perform(c) == CURLE_OK)
        CURL_OK(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status));
    curl_easy_cleanup(c);
    return status;
}

/* 64 connections at most, each closed after 10 s without a request: 64 idle
 * clients keep the probes out for no longer than that. */
static void test_connection_limit_and_timeout(void **state)
{
    (void)state;
    enum { LIMIT = 64 };
    int fds[LIMIT];
    sg_serve *s = started(sg_serve_new("sigma-test", NULL, NULL));
    int port = sg_serve_port(s);
    double t0 = sg_clock_ms();
    for (int i = 0; i < LIMIT; i++)
        fds[i] = idle_connection(port);
    usleep(300000); /* MHD accepts them */
    assert_int_equal(try_get(port, "/healthz"), 0);
    /* the idle ones time out after 10 s, and the server answers again */
    long status = 0;
    while (status != 200 && sg_clock_ms() - t0 < 20000) {
        usleep(250000);
        status = try_get(port, "/healthz");
    }
    double waited = sg_clock_ms() - t0;
    if (status != 200 || waited < 9000 || waited > 14000)
        fail_msg("healthz answered %ld after %.0f ms (expected 200 after 10 s)", status, waited);
    char c;
    assert_int_equal(recv(fds[0], &c, 1, 0), 0); /* closed by the server */
    for (int i = 0; i < LIMIT; i++)
        close(fds[i]);
    sg_serve_free(s);
}

/* ---- settings ------------------------------------------------------------------- */

static void test_port_in_use(void **state)
{
    (void)state;
    char err[512] = "", port[16], expected[128];
    sg_serve *a = started(sg_serve_new("sigma-a", NULL, NULL));
    sg_serve *b = sg_serve_new("sigma-b", NULL, NULL);
    snprintf(port, sizeof port, "%d", sg_serve_port(a));
    configure("127.0.0.1", port);
    assert_int_equal(sg_serve_start(b, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "serve.port %s on 127.0.0.1: Address already in use", port);
    assert_string_equal(err, expected);
    assert_int_equal(sg_serve_port(b), -1);
    configure("0.0.0.0", port); /* the wildcard address collides too */
    sg_serve_free(b);
    b = sg_serve_new("sigma-b", NULL, NULL);
    assert_int_equal(sg_serve_start(b, err, sizeof err), -1);
    assert_contains(err, "Address already in use");
    sg_serve_free(b);
    response r;
    request(sg_serve_port(a), "GET", "/healthz", &r); /* the first one still serves */
    assert_int_equal(r.status, 200);
    assert_int_equal(sg_serve_start(a, err, sizeof err), -1); /* once only */
    sg_serve_free(a);
    sg_serve_free(NULL);
    assert_int_equal(sg_serve_start(NULL, err, sizeof err), -1); /* sg_serve_new ran out of memory */
}

static void test_port_off(void **state)
{
    (void)state;
    char err[512] = "";
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    configure("127.0.0.1", "-1");
    assert_int_equal(sg_serve_start(s, err, sizeof err), 0);
    assert_int_equal(sg_serve_port(s), -1);
    assert_string_equal(err, "");
    sg_serve_free(s);
}

static void test_address_not_here(void **state)
{
    (void)state;
    char err[512] = "";
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    configure("192.0.2.1", "0"); /* TEST-NET-1: no machine's address */
    assert_int_equal(sg_serve_start(s, err, sizeof err), -1);
    assert_string_equal(err, "serve.address 192.0.2.1 (serve.port 0): Cannot assign requested address");
    sg_serve_free(s);
}

static void test_ipv6(void **state)
{
    (void)state;
    char err[512] = "";
    response r;
    sg_serve *s = sg_serve_new("sigma-test", NULL, NULL);
    configure("::", "0"); /* IPv6 and IPv4 */
    if (sg_serve_start(s, err, sizeof err) != 0)
        fail_msg("%s", err);
    request_at("[::1]", sg_serve_port(s), "GET", "/healthz", &r);
    assert_reply(&r, 200, TEXT, "ok\n");
    request_at("127.0.0.1", sg_serve_port(s), "GET", "/healthz", &r);
    assert_reply(&r, 200, TEXT, "ok\n");
    sg_serve_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz),
        cmocka_unit_test(test_readyz),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_slow_handler),
        cmocka_unit_test(test_connection_limit_and_timeout),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_port_off),
        cmocka_unit_test(test_address_not_here),
        cmocka_unit_test(test_ipv6),
    };
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    sg_log_init("test_serve", SG_LOG_INFO);
    int failed = cmocka_run_group_tests_name("serve", tests, NULL, NULL);
    sg_config_reset();
    sg_tm_reset();
    curl_global_cleanup();
    return failed;
}
