/*
 * config.c - see config.h. The table is small and read rarely: linear search.
 *
 * Every setting has a kind and a range, checked wherever a value comes from,
 * because a value that silently falls back to its default (or a rate of 0
 * that never refills) is worse than a refusal at start-up.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum kind {
    K_INT,      /* an integer in [lo, hi] */
    K_POSITIVE, /* a number > 0 and <= hi */
    K_URL,      /* an http(s) or file URL template with {symbol} */
    K_BULK_URL, /* an http(s) or file URL template with {date} and without {symbol} */
    K_LIST,     /* a comma-separated list of distinct names from `allowed` */
    K_NAME,     /* a non-empty name: printable ASCII, no spaces (topics, groups, host lists) */
    K_CHOICE,   /* one name from `allowed` */
    K_ADDRESS,  /* an IPv4 or IPv6 address literal (no host name: nothing to resolve at start-up) */
} kind;

typedef struct setting {
    const char *name, *env, *def, *doc;
    kind kind;
    double lo, hi;
    const char *allowed; /* K_LIST */
    char *override;      /* from -X; owned */
} setting;

#define URL_DOC(what) what " URL template (http, https or file; {symbol} required)"
#define BULK_URL_DOC(what) what " URL template (http, https or file; {date} required, no {symbol})"
#define INT(lo, hi) K_INT, lo, hi, NULL
#define POSITIVE(hi) K_POSITIVE, 0, hi, NULL
#define NAME K_NAME, 0, 0, NULL
#define ADDRESS K_ADDRESS, 0, 0, NULL

static setting settings[] = {
    {"provider.order", "SIGMA_PROVIDERS", "yahoo,fmp,polygon", "price providers to ask, in order", K_LIST, 0, 0,
     "yahoo,fmp,polygon", NULL},
    {"provider.yahoo.url", "SIGMA_YAHOO_URL",
     "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?period1={period1}&period2={period2}"
     "&interval=1d&events=history",
     URL_DOC("Yahoo chart API v8") " ({symbol} {period1} {period2})", K_URL, 0, 0, NULL, NULL},
    {"provider.fmp.url", "SIGMA_FMP_URL",
     "https://financialmodelingprep.com/api/v3/historical-price-full/{symbol}?from={from}&to={to}&apikey={apikey}",
     URL_DOC("FMP historical-price-full") " ({symbol} {from} {to} {apikey}; key from FMP_API_KEY)", K_URL, 0, 0,
     NULL, NULL},
    {"provider.polygon.url", "SIGMA_POLYGON_URL",
     "https://api.polygon.io/v2/aggs/ticker/{symbol}/range/1/day/{from}/{to}?adjusted=false&sort=asc&limit=50000"
     "&apiKey={apikey}",
     URL_DOC("Polygon aggregates v2") " ({symbol} {from} {to} {apikey}; key from POLYGON_API_KEY)", K_URL, 0, 0,
     NULL, NULL},
    {"provider.fmp.bulk_url", "SIGMA_FMP_BULK_URL",
     "https://financialmodelingprep.com/api/v4/batch-request-end-of-day-prices?date={date}&apikey={apikey}",
     BULK_URL_DOC("FMP bulk end-of-day prices (CSV)") " ({date} {apikey}; key from FMP_API_KEY)", K_BULK_URL, 0, 0,
     NULL, NULL},
    {"provider.polygon.bulk_url", "SIGMA_POLYGON_BULK_URL",
     "https://api.polygon.io/v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=false&apiKey={apikey}",
     BULK_URL_DOC("Polygon grouped daily bars") " ({date} {apikey}; key from POLYGON_API_KEY)", K_BULK_URL, 0, 0,
     NULL, NULL},
    {"provider.bulk", "SIGMA_BULK", "1",
     "1: a run's market days that many symbols need are fetched in one request each, from the first provider of "
     "provider.order with a bulk endpoint and an API key (fmp, polygon); 0: every symbol alone",
     INT(0, 1), NULL},
    {"provider.bulk_min_symbols", "SIGMA_BULK_MIN_SYMBOLS", "25",
     "a market day is fetched in bulk when at least this many symbols of the run need it (and nothing else)",
     INT(1, 1000000), NULL},
    {"provider.yahoo.rate", "SIGMA_YAHOO_RATE", "5", "Yahoo requests per second over the network (no published limit)",
     POSITIVE(1000000), NULL},
    {"provider.yahoo.burst", "SIGMA_YAHOO_BURST", "10", "Yahoo requests allowed at once after a pause",
     INT(1, 1000000), NULL},
    {"provider.fmp.rate", "SIGMA_FMP_RATE", "5", "FMP requests per second (300 per minute, Starter plan)",
     POSITIVE(1000000), NULL},
    {"provider.fmp.burst", "SIGMA_FMP_BURST", "10", "FMP burst", INT(1, 1000000), NULL},
    {"provider.polygon.rate", "SIGMA_POLYGON_RATE", "0.0833", "Polygon requests per second (5 per minute, free plan)",
     POSITIVE(1000000), NULL},
    {"provider.polygon.burst", "SIGMA_POLYGON_BURST", "5", "Polygon burst", INT(1, 1000000), NULL},
    {"provider.shared_budget", "SIGMA_SHARED_BUDGET", "1",
     "1: the pipeline's workers share each provider's rate and burst through PostgreSQL (migration 0006); "
     "0: each process has its own",
     INT(0, 1), NULL},
    {"provider.polygon.max_pages", "SIGMA_POLYGON_MAX_PAGES", "100",
     "most Polygon pages (next_url) followed for one symbol", INT(1, 100000), NULL},
    {"http.parallel", "SIGMA_HTTP_PARALLEL", "16", "transfers in flight at once", INT(1, 1024), NULL},
    {"http.connect_timeout_ms", "SIGMA_HTTP_CONNECT_TIMEOUT_MS", "5000", "connect timeout", INT(1, 600000), NULL},
    {"http.timeout_ms", "SIGMA_HTTP_TIMEOUT_MS", "30000", "whole-transfer timeout", INT(1, 3600000), NULL},
    {"http.retries", "SIGMA_HTTP_RETRIES", "4", "retries of a 429, 5xx or timeout, per provider", INT(0, 100), NULL},
    {"http.backoff_ms", "SIGMA_HTTP_BACKOFF_MS", "500", "first retry delay; doubles, with jitter", INT(0, 600000),
     NULL},
    {"http.retry_after_max_ms", "SIGMA_HTTP_RETRY_AFTER_MAX_MS", "60000", "longest Retry-After honored",
     INT(0, 3600000), NULL},
    {"db.connect_timeout_s", "SIGMA_DB_CONNECT_TIMEOUT_S", "10", "libpq connect_timeout (conninfo, PGCONNECT_TIMEOUT win)",
     INT(1, 3600), NULL},
    {"db.keepalives_idle_s", "SIGMA_DB_KEEPALIVES_IDLE_S", "30",
     "TCP keepalive (both ends of a session): idle seconds before probes", INT(1, 86400), NULL},
    {"db.keepalives_interval_s", "SIGMA_DB_KEEPALIVES_INTERVAL_S", "10", "TCP keepalive: seconds between probes",
     INT(1, 3600), NULL},
    {"db.keepalives_count", "SIGMA_DB_KEEPALIVES_COUNT", "3", "TCP keepalive: lost probes before the connection is dead",
     INT(1, 100), NULL},
    {"db.statement_timeout_ms", "SIGMA_DB_STATEMENT_TIMEOUT_MS", "900000",
     "statement_timeout where nobody else set it (0: none)", INT(0, 86400000), NULL},
    {"db.lock_timeout_ms", "SIGMA_DB_LOCK_TIMEOUT_MS", "60000", "lock_timeout where nobody else set it (0: none)",
     INT(0, 86400000), NULL},
    {"db.retries", "SIGMA_DB_RETRIES", "10", "retries of a unit of work that failed for a transient reason",
     INT(0, 1000), NULL},
    {"db.retry_max_ms", "SIGMA_DB_RETRY_MAX_MS", "60000", "longest time a unit of work is retried", INT(0, 86400000),
     NULL},
    {"db.backoff_ms", "SIGMA_DB_BACKOFF_MS", "100", "first retry delay of a unit; doubles (at most 10 s), with jitter",
     INT(0, 600000), NULL},
    {"log.format", "SIGMA_LOG_FORMAT", "text",
     "log lines: text (sigmactl: \"% sigmactl: level: ...\"; the programs: time, level, program, run, phase, "
     "symbol) or json (one object per line)", K_CHOICE, 0, 0, "text,json", NULL},
    {"bus.brokers", "SIGMA_BROKERS", "localhost:9092", "Kafka bootstrap servers (--brokers; librdkafka bootstrap.servers)",
     NAME, NULL},
    {"bus.topic.tasks", "SIGMA_TOPIC_TASKS", "sigma.tasks", "topic of the nightly run's tasks", NAME, NULL},
    {"bus.topic.onboarding", "SIGMA_TOPIC_ONBOARDING", "sigma.onboarding", "topic of onboarding requests", NAME, NULL},
    {"bus.topic.events", "SIGMA_TOPIC_EVENTS", "sigma.events", "topic of the workers' outcome events", NAME, NULL},
    {"bus.topic.deadletter", "SIGMA_TOPIC_DEADLETTER", "sigma.deadletter", "topic of undecodable messages", NAME, NULL},
    {"bus.partitions", "SIGMA_BUS_PARTITIONS", "12", "partitions of each topic sigmabatch creates", INT(1, 10000), NULL},
    {"bus.replication", "SIGMA_BUS_REPLICATION", "-1", "replication factor of created topics (-1: the broker's)",
     INT(-1, 100), NULL},
    {"bus.group", "SIGMA_BUS_GROUP", "sigma-workers", "consumer group of the workers (group.id)", NAME, NULL},
    {"bus.timeout_ms", "SIGMA_BUS_TIMEOUT_MS", "30000", "longest wait for the broker: acks, topic creation",
     INT(1, 3600000), NULL},
    {"worker.batch_max", "SIGMA_WORKER_BATCH_MAX", "1000", "most task messages a worker processes as one batch",
     INT(1, 100000), NULL},
    {"worker.batch_wait_ms", "SIGMA_WORKER_BATCH_WAIT_MS", "200",
     "longest wait for a batch to fill after its first message", INT(0, 600000), NULL},
    {"worker.backoff_ms", "SIGMA_WORKER_BACKOFF_MS", "500",
     "first delay before a batch that failed for a transient reason is retried; doubles, with jitter",
     INT(1, 600000), NULL},
    {"worker.backoff_max_ms", "SIGMA_WORKER_BACKOFF_MAX_MS", "30000",
     "longest delay between retries of a batch (keep it well under max.poll.interval.ms)", INT(1, 3600000), NULL},
    {"producer.poll_ms", "SIGMA_PRODUCER_POLL_MS", "5000",
     "producer: look for requests and unfinished fan-outs this often without a NOTIFY", INT(10, 3600000), NULL},
    {"onboarding.timeout_s", "SIGMA_ONBOARDING_TIMEOUT_S", "300",
     "relay: a queue row processing this long without an answer is published again", INT(1, 604800), NULL},
    {"onboarding.attempts", "SIGMA_ONBOARDING_ATTEMPTS", "3",
     "relay: publications of a queue row before it is failed (no worker answered)", INT(1, 100), NULL},
    {"onboarding.claim_max", "SIGMA_ONBOARDING_CLAIM_MAX", "100", "relay: queue rows claimed in one transaction",
     INT(1, 10000), NULL},
    {"onboarding.date", "SIGMA_ONBOARDING_DATE", "today",
     "relay: the calculation date of onboarding tasks: today (in New York) or YYYY-MM-DD", NAME, NULL},
    {"coordinator.group", "SIGMA_COORDINATOR_GROUP", "sigma-coordinator", "consumer group of the coordinator",
     NAME, NULL},
    {"coordinator.phase_timeout_s", "SIGMA_PHASE_TIMEOUT_S", "3600",
     "a phase's deadline: symbols without an outcome by then are failed (timed out)", INT(1, 604800), NULL},
    {"coordinator.poll_ms", "SIGMA_COORDINATOR_POLL_MS", "1000",
     "coordinator: try for the lead, check deadlines and unfinished fan-outs this often", INT(10, 600000), NULL},
    {"coordinator.batch_max", "SIGMA_COORDINATOR_BATCH_MAX", "500", "coordinator: events recorded in one transaction",
     INT(1, 100000), NULL},
    {"serve.address", "SIGMA_SERVE_ADDRESS", "0.0.0.0",
     "address of the HTTP server (/healthz, /readyz, /metrics); :: takes IPv6 and IPv4", ADDRESS, NULL},
    {"serve.port", "SIGMA_SERVE_PORT", "0", "port of the HTTP server (0: any free port, logged; -1: no HTTP)",
     INT(-1, 65535), NULL},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static setting *find(const char *name, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    return NULL;
}

/* What a setting may be, for messages and -X list. */
static const char *allowed_text(const setting *s, char *buf, size_t len)
{
    switch (s->kind) {
    case K_INT: snprintf(buf, len, "an integer from %.0f to %.0f", s->lo, s->hi); break;
    case K_POSITIVE: snprintf(buf, len, "a number > 0 and <= %g", s->hi); break;
    case K_URL: snprintf(buf, len, "an http://, https:// or file:// URL template containing {symbol}"); break;
    case K_BULK_URL:
        snprintf(buf, len, "an http://, https:// or file:// URL template containing {date} and not {symbol}");
        break;
    case K_LIST: snprintf(buf, len, "a comma-separated list of distinct names from %s", s->allowed); break;
    case K_NAME: snprintf(buf, len, "a non-empty name of printable ASCII characters without spaces"); break;
    case K_CHOICE: snprintf(buf, len, "one of %s", s->allowed); break;
    case K_ADDRESS: snprintf(buf, len, "an IPv4 or IPv6 address, e.g. 0.0.0.0, 127.0.0.1, ::, ::1"); break;
    }
    return buf;
}

static bool parse_number(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || isspace((unsigned char)*v))
        return false;
    *out = d;
    return true;
}

static bool parse_int(const char *v, double *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || isspace((unsigned char)*v))
        return false;
    *out = (double)x;
    return true;
}

/* Does the list name only allowed names, each once? */
static const char *list_problem(const char *v, const char *allowed)
{
    const char *p = v;
    if (!*v)
        return "an empty list";
    for (;;) {
        size_t n = strcspn(p, ",");
        bool known = false, twice = false;
        for (const char *a = allowed; *a; a += strcspn(a, ","), a += *a == ',')
            known |= n && strcspn(a, ",") == n && strncmp(a, p, n) == 0;
        for (const char *q = v; q < p && !twice; q += strcspn(q, ","), q += *q == ',')
            twice = strcspn(q, ",") == n && strncmp(q, p, n) == 0;
        if (!known)
            return n ? "an unknown name" : "an empty name";
        if (twice)
            return "a name twice";
        if (!p[n])
            return NULL;
        p += n + 1;
    }
}

static const char *url_problem(const char *v, bool bulk)
{
    static const char *const schemes[] = {"http://", "https://", "file://"};
    bool scheme = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        scheme |= strncasecmp(v, schemes[i], strlen(schemes[i])) == 0;
    if (!scheme)
        return "not an http://, https:// or file:// URL";
    if (bulk && !strstr(v, "{date}"))
        return "no {date}: every market day would get the same answer";
    if (bulk && strstr(v, "{symbol}"))
        return "{symbol} in a bulk template (one request answers for every symbol)";
    if (!bulk && !strstr(v, "{symbol}"))
        return "no {symbol}: every symbol would get the same bars";
    return NULL;
}

static const char *address_problem(const char *v)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
        return NULL;
    return "not an IPv4 or IPv6 address";
}

/* Why v is not a valid value of s, or NULL. */
static const char *value_problem(const setting *s, const char *v)
{
    double d;
    switch (s->kind) {
    case K_INT:
        if (!parse_int(v, &d))
            return "not an integer";
        return d < s->lo || d > s->hi ? "out of range" : NULL;
    case K_POSITIVE:
        if (!parse_number(v, &d))
            return "not a number";
        return d <= 0 || d > s->hi ? "out of range" : NULL;
    case K_URL: return url_problem(v, false);
    case K_BULK_URL: return url_problem(v, true);
    case K_LIST: return list_problem(v, s->allowed);
    case K_CHOICE: return strchr(v, ',') || list_problem(v, s->allowed) ? "not one of the names allowed" : NULL;
    case K_NAME:
        if (!*v)
            return "empty";
        for (const char *c = v; *c; c++)
            if (*c <= ' ' || *c > '~')
                return "not a name (a space or a non-printable character)";
        return NULL;
    case K_ADDRESS: return address_problem(v);
    }
    return "unknown kind";
}

/* "-X name=value: why (allowed: ...)"; a URL template is not echoed (it may
 * hold a key someone pasted into it). */
static void describe(const setting *s, const char *source, const char *v, const char *why, char *err, size_t errlen)
{
    char allowed[160];
    const char *shown = s->kind == K_URL || s->kind == K_BULK_URL ? "..." : v;
    if (strcmp(source, "-X") == 0)
        snprintf(err, errlen, "-X %s=%.40s: %s (allowed: %s)", s->name, shown, why, allowed_text(s, allowed, sizeof allowed));
    else
        snprintf(err, errlen, "%s (environment %s=%.40s): %s (allowed: %s)", s->name, source, shown, why,
                 allowed_text(s, allowed, sizeof allowed));
}

static const char *env_value(const setting *s)
{
    const char *e = getenv(s->env);
    return e && *e ? e : NULL;
}

const char *sg_config_get(const char *name)
{
    setting *s = find(name, strlen(name));
    if (!s)
        return NULL;
    if (s->override)
        return s->override;
    const char *e = env_value(s);
    return e ? e : s->def;
}

double sg_config_number(const char *name)
{
    const setting *s = find(name, strlen(name));
    double d = NAN; /* a setting that is no number (a URL, a list) */
    if (!s)
        return 0;
    const char *v = sg_config_get(name);
    if (value_problem(s, v) || !parse_number(v, &d))
        parse_number(s->def, &d);
    return d;
}

int sg_config_set(const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        snprintf(err, errlen, "-X %s: expected name=value", assignment);
        return -1;
    }
    setting *s = find(assignment, (size_t)(eq - assignment));
    if (!s) {
        snprintf(err, errlen, "-X %.*s: unknown setting (-X list shows them)", (int)(eq - assignment), assignment);
        return -1;
    }
    const char *why = value_problem(s, eq + 1);
    if (why) {
        describe(s, "-X", eq + 1, why, err, errlen);
        return -1;
    }
    char *v = strdup(eq + 1);
    if (!v) {
        snprintf(err, errlen, "-X: out of memory");
        return -1;
    }
    free(s->override);
    s->override = v;
    return 0;
}

static const char *source_of(const setting *s)
{
    return s->override ? "-X" : env_value(s) ? s->env : "default";
}

int sg_config_check(char *err, size_t errlen)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        const char *v = sg_config_get(s->name), *why = value_problem(s, v);
        if (why) {
            describe(s, source_of(s), v, why, err, errlen);
            return -1;
        }
    }
    return 0;
}

int sg_config_list(FILE *out)
{
    int bad = 0;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        const char *v = sg_config_get(s->name), *why = value_problem(s, v);
        char allowed[160];
        fprintf(out, "%s=%s\n    %s (%s; environment %s; %s)\n", s->name, v, s->doc, source_of(s), s->env,
                allowed_text(s, allowed, sizeof allowed));
        if (why) {
            fprintf(out, "    INVALID: %s\n", why);
            bad++;
        }
    }
    return bad;
}

void sg_config_reset(void)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        free(settings[i].override);
        settings[i].override = NULL;
    }
}
