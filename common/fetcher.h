/*
 * fetcher.h - daily bars for many symbols at once, over HTTP(S) or file://,
 * with the curl multi interface.
 *
 * Owns: concurrency (transfers in flight), politeness (a token bucket per
 * provider, for network requests only: file:// reads are not rate-limited;
 * or, when a shared budget is set, tokens taken from it), retries of 429, 5xx, timeouts and connection errors with
 * exponential backoff and jitter, honoring Retry-After, timeouts, gzip,
 * connection reuse, Polygon's pagination (a page limit and a check for pages
 * seen before), progress lines during long waits, and the cascade: a symbol one
 * provider cannot serve is asked of the next.
 * A bulk job (bulk.h) is one request of a provider's bulk endpoint for a
 * market day, with the same politeness, retries and timeouts; its answer is
 * parsed into rows, and a provider that cannot answer ends it (no cascade:
 * the caller sends its symbols to the per-symbol path).
 * Must not: decide what to fetch, or store anything; never print an API key
 * (URLs in logs go through sg_redact_url); never request an invalid symbol
 * (sg_symbol_check: such a job ends NOT_SERVED with the reason, no request).
 */
#ifndef SG_FETCHER_H
#define SG_FETCHER_H

#include "bulk.h"
#include "providers.h"

typedef enum sg_fetch_status {
    SG_FETCH_OK,         /* served; bars may be empty when nothing traded in the window */
    SG_FETCH_NOT_SERVED, /* every provider answered, none could serve it (unknown symbol, bad answers) */
    SG_FETCH_FAILED,     /* a provider stayed unreachable or refused (429/5xx/timeouts) past its retries */
} sg_fetch_status;

typedef struct sg_fetch_job {
    /* in */
    const char *symbol; /* a bulk job: a label for the log lines ("bulk 2025-07-15") */
    sg_day from, to;
    bool bulk;          /* a bulk request: day's bars for every ticker (bulk.h), into rows */
    sg_day day;
    /* out */
    sg_fetch_status status;
    sg_provider served_by;
    sg_bars bars;
    sg_bulk rows;   /* a bulk job's answer */
    char why[512];  /* per provider, why it did not serve ("yahoo: Not Found: ...; fmp: ...") */
    int requests;   /* HTTP requests made for this symbol */
    /* private */
    int idx, retries, in_flight;
    bool token_wait;  /* this request waited for its provider's rate limit */
    char **pages;     /* URLs of this provider's pages so far (Polygon's next_url loops) */
    int npages;
    double not_before_ms;
    char *url, *body;
    size_t len, cap;
    bool transient;
    void *easy;
} sg_fetch_job;

/* Called as each job reaches its outcome, while the other transfers go on:
 * store its bars here, and the writes overlap the fetching. Returns 0 to go
 * on, or nonzero to stop the run: no further request is made (the bars could
 * not be kept, say, and every request would spend quota for nothing). May be NULL. */
typedef int (*sg_fetch_done_fn)(sg_fetch_job *job, void *ctx);

/* Fetches every job through the providers in order[0..norder). Returns 0 (each
 * job has its outcome), 1 when on_done stopped the run (jobs it was not
 * called for have no outcome: status is not one of the above), or -1 with err
 * when the machinery itself fails. */
int sg_fetch_run(sg_fetch_job *jobs, size_t n, const sg_provider *order, int norder, sg_fetch_done_fn on_done,
                 void *ctx, char *err, size_t errlen);
void sg_fetch_job_free(sg_fetch_job *job);

/* A request budget shared with other processes (common/budget.h): take asks
 * for up to want requests of provider p at rate/burst and returns how many
 * were granted (0..want), with *wait_ms set when none, or -1 with err. */
typedef struct sg_fetch_budget {
    int (*take)(void *ctx, sg_provider p, double rate, double burst, int want, double *wait_ms, char *err,
                size_t errlen);
    void *ctx;
} sg_fetch_budget;

/* From now on every run of this process takes its http(s) tokens from b
 * instead of its own buckets (NULL: its own buckets again). */
void sg_fetch_set_budget(const sg_fetch_budget *b);

#endif
