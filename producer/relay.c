/* relay.c - see relay.h and docs/pipeline.md ("Onboarding").
 *
 * One claim is one unit of work: SELECT ... FOR UPDATE SKIP LOCKED, publish,
 * await the acknowledgements, mark, COMMIT. Holding the row locks until the
 * mark is what keeps a second relay from publishing the same rows; a relay
 * that dies before its COMMIT leaves them pending (its transaction rolls
 * back), and the next claim publishes them again: harmless, workers are
 * idempotent. The unit may run twice (sg_store_unit's retries): it starts
 * from scratch each time. */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "instruments.h"
#include "log.h"
#include "messages.h"
#include "runs.h"
#include "symbols.h"

/* Order by the priority's meaning, never its spelling: the same expression
 * as the index symbol_onboarding_queue_claim. */
static const char claim_sql[] =
    "SELECT id::text, symbol, attempts FROM symbol_onboarding_queue WHERE status = 'pending'"
    " ORDER BY (CASE priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END), created_at, id"
    " LIMIT $1::int FOR UPDATE SKIP LOCKED";
static const char stale_sql[] =
    "SELECT id::text, symbol, attempts FROM symbol_onboarding_queue"
    " WHERE status = 'processing' AND started_at < now() - make_interval(secs => $2::int)"
    " ORDER BY started_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED";

typedef struct claim {
    sg_bus *bus;
    int max, timeout_s, attempts_max;
    const char *date_setting;
    pr_relay_counts counts;
    long claimed; /* rows of the pending claim: == max means more may wait */
} claim;

/* A row in hand: published (with its ticket) or failed (with why). */
typedef struct row {
    const char *id;
    char symbol[SG_SYMBOL_MAX + 1];
    int attempts;
    int stale; /* processing past the timeout */
    int publish;
    sg_bus_ticket ticket;
    char why[SG_SYMBOL_WHY_LEN + 96];
} row;

static int set_failed(sg_store *s, const char *id, const char *why, char *err, size_t errlen)
{
    const char *p[2] = {id, why};
    PGresult *r = sg_store_query(s, "onboarding: fail row",
                                 "UPDATE symbol_onboarding_queue SET status = 'failed', error_message = $2,"
                                 " completed_at = now() WHERE id = $1::uuid",
                                 2, p, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

/* The task's date: onboarding.date, or today in New York (the market's day). */
static int task_date(sg_store *s, const char *setting, sg_day *out, char *err, size_t errlen)
{
    const char *why;
    if (strcmp(setting, "today") == 0)
        return sg_runs_today(s, out, err, errlen);
    if (sg_day_parse(setting, strlen(setting), out, &why) == 0)
        return 0;
    snprintf(err, errlen, "onboarding.date: '%s' is neither 'today' nor a date YYYY-MM-DD (%s)", setting, why);
    return -1;
}

/* Decides what to do with a claimed row: publish it (the symbol upper-cased:
 * the app may store what the user typed), or fail it with the reason. */
static void judge(claim *c, row *w)
{
    const char *sym = w->symbol;
    char why[SG_SYMBOL_WHY_LEN];
    if (w->stale && w->attempts >= c->attempts_max) {
        snprintf(w->why, sizeof w->why, "no worker answered within %d s after %d attempt(s)", c->timeout_s,
                 w->attempts);
        return;
    }
    if (sg_symbol_checkn(sym, strlen(sym), SG_SYMBOL_LOWER_OK, why, sizeof why)) {
        snprintf(w->why, sizeof w->why, "not a plausible ticker (never fetched): %s", why);
        return;
    }
    for (char *p = w->symbol; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    w->publish = 1;
}

static int publish(claim *c, row *w, sg_day date, sg_msg_buf *buf, char *err, size_t errlen)
{
    sg_task t = {.phase = SG_PHASE_ONBOARDING, .date = date};
    snprintf(t.run, sizeof t.run, "%s%s", PR_RELAY_RUN_PREFIX, w->id);
    snprintf(t.symbol, sizeof t.symbol, "%s", w->symbol);
    t.attempt = w->attempts + 1 > SG_MSG_ATTEMPT_MAX ? SG_MSG_ATTEMPT_MAX : w->attempts + 1;
    if (sg_task_encode(&t, buf, err, errlen))
        return -1;
    return sg_bus_produce(c->bus, sg_bus_topic_name(SG_TOPIC_ONBOARDING), t.symbol, buf->data, buf->len, &w->ticket,
                          err, errlen);
}

/* Marks the acknowledged rows processing (a new started_at, one more attempt). */
static int mark(sg_store *s, claim *c, row *rows, size_t n, char *err, size_t errlen)
{
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    size_t k = 0;
    if (!ids) {
        snprintf(err, errlen, "onboarding: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].publish)
            continue;
        if (rows[i].ticket.err != RD_KAFKA_RESP_ERR_NO_ERROR || !rows[i].ticket.done) {
            c->counts.unacked++;
            continue;
        }
        ids[k++] = rows[i].id;
        if (rows[i].stale)
            c->counts.republished++;
        else
            c->counts.published++;
        sg_log_context(NULL, "onboarding", rows[i].symbol); /* valid: it was published */
        sg_log(SG_LOG_INFO, "onboarding %s (row %s): %s, attempt %d", rows[i].symbol, rows[i].id,
               rows[i].stale ? "published again (no answer in time)" : "published", rows[i].attempts + 1);
    }
    sg_log_context(NULL, NULL, NULL);
    PGresult *r = k ? sg_store_query_list(s, "onboarding: mark processing",
                                          "UPDATE symbol_onboarding_queue SET status = 'processing', started_at = now(),"
                                          " attempts = attempts + 1 WHERE id = ANY($1::uuid[])",
                                          ids, k, 0, NULL, err, errlen)
                    : NULL;
    free(ids);
    if (k && !r)
        return -1;
    PQclear(r);
    return 0;
}

/* Rows of a claim query into rows[*n...]. */
static void take(PGresult *r, row *rows, size_t *n, int stale)
{
    for (int i = 0; i < PQntuples(r); i++) {
        row *w = &rows[(*n)++];
        memset(w, 0, sizeof *w);
        w->id = PQgetvalue(r, i, 0);
        snprintf(w->symbol, sizeof w->symbol, "%s", PQgetvalue(r, i, 1));
        if (strlen(PQgetvalue(r, i, 1)) > SG_SYMBOL_MAX) /* cannot be (VARCHAR(20)), but never trust a cut */
            snprintf(w->symbol, sizeof w->symbol, "%s", "");
        w->attempts = atoi(PQgetvalue(r, i, 2));
        w->stale = stale;
    }
}

/* After an await that timed out: what is still queued or in flight is
 * purged and its delivery reports served, so no report can reach a ticket
 * after the rows are freed. The rows stay unmarked. */
static void drain(sg_bus *b)
{
    rd_kafka_t *rk = sg_bus_handle(b);
    rd_kafka_resp_err_t r = rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (r)
        sg_log(SG_LOG_WARN, "onboarding: purge of unacknowledged messages: %s", rd_kafka_err2str(r));
    for (int i = 0; i < 100 && rd_kafka_outq_len(rk) > 0; i++)
        rd_kafka_poll(rk, 100);
}

static int handle(sg_store *s, claim *c, row *rows, size_t n, sg_day date, char *err, size_t errlen)
{
    sg_msg_buf buf = {0};
    char e[512];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        judge(c, &rows[i]);
        if (!rows[i].publish) {
            rc = set_failed(s, rows[i].id, rows[i].why, err, errlen);
            rows[i].stale ? c->counts.given_up++ : c->counts.refused++;
            sg_log(SG_LOG_WARN, "onboarding row %s: failed: %s", rows[i].id, rows[i].why);
        } else
            rc = publish(c, &rows[i], date, &buf, err, errlen);
    }
    sg_msg_buf_free(&buf);
    if (rc) /* nothing is marked; what was queued may still go out: republished later, harmlessly */
        return -1;
    if (sg_bus_await(c->bus, (int)sg_config_number("bus.timeout_ms"), e, sizeof e)) {
        sg_log(SG_LOG_WARN, "onboarding: %s; those rows stay as they were and are published again later", e);
        drain(c->bus);
    }
    return mark(s, c, rows, n, err, errlen);
}

static int claim_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    claim *c = arg;
    char max[16], timeout[16];
    snprintf(max, sizeof max, "%d", c->max);
    snprintf(timeout, sizeof timeout, "%d", c->timeout_s);
    memset(&c->counts, 0, sizeof c->counts);
    sg_day date;
    if (task_date(s, c->date_setting, &date, err, errlen))
        return -1;
    PGresult *pending = sg_store_query(s, "onboarding: claim pending rows", claim_sql, 1,
                                       (const char *const[]){max}, err, errlen);
    PGresult *stale = pending ? sg_store_query(s, "onboarding: rows processing past the timeout", stale_sql, 2,
                                               (const char *const[]){max, timeout}, err, errlen)
                              : NULL;
    int rc = -1;
    if (!stale)
        goto out;
    size_t n = 0, cap = (size_t)PQntuples(pending) + (size_t)PQntuples(stale);
    row *rows = calloc(cap ? cap : 1, sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "onboarding: out of memory for %zu rows", cap);
        goto out;
    }
    take(pending, rows, &n, 0);
    take(stale, rows, &n, 1);
    c->claimed = PQntuples(pending);
    rc = n ? handle(s, c, rows, n, date, err, errlen) : 0;
    free(rows);
out:
    PQclear(pending);
    PQclear(stale);
    return rc;
}

int pr_relay_round(sg_store *s, sg_bus *b, pr_relay_counts *counts, char *err, size_t errlen)
{
    claim c = {.bus = b,
               .max = (int)sg_config_number("onboarding.claim_max"),
               .timeout_s = (int)sg_config_number("onboarding.timeout_s"),
               .attempts_max = (int)sg_config_number("onboarding.attempts"),
               .date_setting = sg_config_get("onboarding.date")};
    do {
        c.claimed = 0;
        if (sg_store_unit(s, "onboarding relay", claim_unit, &c, err, errlen))
            return -1;
        counts->published += c.counts.published;
        counts->republished += c.counts.republished;
        counts->refused += c.counts.refused;
        counts->given_up += c.counts.given_up;
        counts->unacked += c.counts.unacked;
        sg_inst_onboarding("published", c.counts.published); /* committed: the unit returned */
        sg_inst_onboarding("republished", c.counts.republished);
        sg_inst_onboarding("refused", c.counts.refused);
        sg_inst_onboarding("given_up", c.counts.given_up);
        sg_inst_onboarding("unacknowledged", c.counts.unacked);
    } while (c.claimed == c.max && c.counts.unacked == 0);
    return 0;
}
