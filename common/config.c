/*
 * config.c - see config.h. The table is small and read rarely: linear search.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

typedef struct setting {
    const char *name, *env, *def, *doc;
    char *override; /* from -X; owned */
} setting;

static setting settings[] = {
    {"provider.order", "SIGMA_PROVIDERS", "yahoo,fmp,polygon", "price providers to ask, in order", NULL},
    {"provider.yahoo.url", "SIGMA_YAHOO_URL",
     "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?period1={period1}&period2={period2}"
     "&interval=1d&events=history",
     "Yahoo chart API v8 URL template ({symbol} {period1} {period2})", NULL},
    {"provider.fmp.url", "SIGMA_FMP_URL",
     "https://financialmodelingprep.com/api/v3/historical-price-full/{symbol}?from={from}&to={to}&apikey={apikey}",
     "FMP historical-price-full URL template ({symbol} {from} {to} {apikey}; key from FMP_API_KEY)", NULL},
    {"provider.polygon.url", "SIGMA_POLYGON_URL",
     "https://api.polygon.io/v2/aggs/ticker/{symbol}/range/1/day/{from}/{to}?adjusted=false&sort=asc&limit=50000"
     "&apiKey={apikey}",
     "Polygon aggregates v2 URL template ({symbol} {from} {to} {apikey}; key from POLYGON_API_KEY)", NULL},
    {"provider.yahoo.rate", "SIGMA_YAHOO_RATE", "5", "Yahoo requests per second (no published limit)", NULL},
    {"provider.yahoo.burst", "SIGMA_YAHOO_BURST", "10", "Yahoo requests allowed at once after a pause", NULL},
    {"provider.fmp.rate", "SIGMA_FMP_RATE", "5", "FMP requests per second (300 per minute, Starter plan)", NULL},
    {"provider.fmp.burst", "SIGMA_FMP_BURST", "10", "FMP burst", NULL},
    {"provider.polygon.rate", "SIGMA_POLYGON_RATE", "0.0833",
     "Polygon requests per second (5 per minute, free plan)", NULL},
    {"provider.polygon.burst", "SIGMA_POLYGON_BURST", "5", "Polygon burst", NULL},
    {"http.parallel", "SIGMA_HTTP_PARALLEL", "16", "transfers in flight at once", NULL},
    {"http.connect_timeout_ms", "SIGMA_HTTP_CONNECT_TIMEOUT_MS", "5000", "connect timeout", NULL},
    {"http.timeout_ms", "SIGMA_HTTP_TIMEOUT_MS", "30000", "whole-transfer timeout", NULL},
    {"http.retries", "SIGMA_HTTP_RETRIES", "4", "retries of a 429, 5xx or timeout, per provider", NULL},
    {"http.backoff_ms", "SIGMA_HTTP_BACKOFF_MS", "500", "first retry delay; doubles, with jitter", NULL},
    {"http.retry_after_max_ms", "SIGMA_HTTP_RETRY_AFTER_MAX_MS", "60000", "longest Retry-After honored", NULL},
    {"bus.brokers", "SIGMA_BROKERS", "localhost:9092", "Kafka bootstrap servers (--brokers; librdkafka bootstrap.servers)", NULL},
    {"bus.topic.tasks", "SIGMA_TOPIC_TASKS", "sigma.tasks", "topic of the nightly run's tasks", NULL},
    {"bus.topic.onboarding", "SIGMA_TOPIC_ONBOARDING", "sigma.onboarding", "topic of onboarding requests", NULL},
    {"bus.topic.events", "SIGMA_TOPIC_EVENTS", "sigma.events", "topic of the workers' outcome events", NULL},
    {"bus.topic.deadletter", "SIGMA_TOPIC_DEADLETTER", "sigma.deadletter", "topic of undecodable messages", NULL},
    {"bus.partitions", "SIGMA_BUS_PARTITIONS", "12", "partitions of each topic sigmabatch creates (1..10000)", NULL},
    {"bus.replication", "SIGMA_BUS_REPLICATION", "-1", "replication factor of created topics (-1: the broker's)", NULL},
    {"bus.group", "SIGMA_BUS_GROUP", "sigma-workers", "consumer group of the workers (group.id)", NULL},
    {"bus.timeout_ms", "SIGMA_BUS_TIMEOUT_MS", "30000", "longest wait for the broker: acks, topic creation", NULL},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static setting *find(const char *name, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    return NULL;
}

const char *sg_config_get(const char *name)
{
    setting *s = find(name, strlen(name));
    if (!s)
        return NULL;
    if (s->override)
        return s->override;
    const char *e = getenv(s->env);
    return e && *e ? e : s->def;
}

double sg_config_number(const char *name)
{
    const char *v = sg_config_get(name);
    char *end;
    double d = v ? strtod(v, &end) : 0;
    if (!v || *end || end == v) {
        setting *s = find(name, strlen(name));
        d = s ? strtod(s->def, NULL) : 0;
    }
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
    char *v = strdup(eq + 1);
    if (!v) {
        snprintf(err, errlen, "-X: out of memory");
        return -1;
    }
    free(s->override);
    s->override = v;
    return 0;
}

void sg_config_list(FILE *out)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        const char *e = getenv(s->env);
        const char *from = s->override ? "-X" : e && *e ? s->env : "default";
        fprintf(out, "%s=%s\n    %s (%s; environment %s)\n", s->name, sg_config_get(s->name), s->doc, from, s->env);
    }
}

void sg_config_reset(void)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        free(settings[i].override);
        settings[i].override = NULL;
    }
}
