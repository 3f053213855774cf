/*
 * probe_cmd.c - `sigmactl probe`: one HTTP GET, exit 0 when it answers 200.
 *
 *   sigmactl probe URL [--timeout S]
 *
 * The health check of the containers and units (deploy/): the image has no
 * curl or wget, and `sigmactl` is in it already, linked with libcurl. The body
 * goes to stdout as it came (docker and Kubernetes keep a probe's output);
 * anything but 200 is one line on stderr with the status and the body's first
 * line (`HTTP 503: not ready: PostgreSQL does not answer ...`), exit 1.
 * Owns: the command line and one request. Must not: retry (the orchestrator's
 * probe has its own period and threshold), follow redirects or a proxy (a
 * probe asks the process it names, never another host), or ask anything but
 * http and https.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"

static void usage(FILE *f)
{
    fputs("usage: sigmactl probe URL [--timeout S]\n"
          "  GET URL (http or https); exit 0 when it answers 200, 1 otherwise, 2 on a usage error.\n"
          "  The body goes to stdout; another status, a refused connection or a timeout is one line\n"
          "  on stderr. No retry, no redirect, no proxy. For health checks:\n"
          "    sigmactl probe http://127.0.0.1:8080/healthz\n"
          "  --timeout  seconds for the whole request (0.1..3600, default 5)\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl probe", usage, fmt, arg);
}

/* The body: all of it to stdout, its first line kept for the message. */
typedef struct body {
    char first[200];
    size_t len;
    int line_done;
} body;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    body *b = ctx;
    size_t total = size * n;
    for (size_t i = 0; i < total && !b->line_done; i++) {
        if (p[i] == '\n' || p[i] == '\r' || b->len + 1 == sizeof b->first)
            b->line_done = 1;
        else
            b->first[b->len++] = (p[i] >= ' ' && p[i] != 0x7f) ? p[i] : ' ';
    }
    return fwrite(p, 1, total, stdout) == total ? total : 0;
}

#define SET(opt, val)                                                                                                  \
    do {                                                                                                               \
        if (r == CURLE_OK)                                                                                             \
            r = curl_easy_setopt(c, opt, val);                                                                         \
    } while (0)

/* One GET; the status in *code (0 when nothing answered). */
static CURLcode get(const char *url, double timeout_s, body *b, long *code)
{
    CURL *c = curl_easy_init();
    if (!c)
        return CURLE_FAILED_INIT;
    CURLcode r = CURLE_OK;
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    SET(CURLOPT_USERAGENT, "sigmactl-probe");
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, b);
    if (r == CURLE_OK)
        r = curl_easy_perform(c);
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code) != CURLE_OK)
        *code = 0;
    curl_easy_cleanup(c);
    return r;
}

int sg_cmd_probe(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    double timeout_s = 5;
    char *end;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case 't':
            timeout_s = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(timeout_s) || timeout_s < 0.1 || timeout_s > 3600)
                return usage_error("--timeout: '%s' is not a number of seconds in 0.1..3600", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("%s", "a URL is required");
    if (argc - optind > 1)
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    const char *url = argv[optind];
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return usage_error("'%.200s' is not an http:// or https:// URL", url);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("sigmactl probe: curl_global_init failed\n", stderr);
        return 1;
    }
    body b = {0};
    long code = 0;
    CURLcode r = get(url, timeout_s, &b, &code);
    fflush(stdout);
    int rc = 0;
    if (r != CURLE_OK) {
        fprintf(stderr, "sigmactl probe: %.200s: %s\n", url, curl_easy_strerror(r));
        rc = 1;
    } else if (code != 200) {
        fprintf(stderr, "sigmactl probe: %.200s: HTTP %ld%s%.*s\n", url, code, b.len ? ": " : "", (int)b.len, b.first);
        rc = 1;
    }
    curl_global_cleanup();
    return rc;
}
