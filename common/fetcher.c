/*
 * fetcher.c - see fetcher.h.
 *
 * One loop drives everything: refill the token buckets, start the jobs that
 * are due and allowed (a free transfer slot and a token of their provider),
 * let curl work until the next event (a transfer done, a retry due, a token
 * back), then judge every finished transfer:
 *   200 and a usable answer      -> the symbol is served (or Polygon's next page);
 *   404, unknown symbol, bad body -> the next provider;
 *   429, 5xx, timeout, no network -> the same provider again after a backoff
 *                                   (Retry-After when given), then the next one.
 * Easy handles are made per transfer; the multi handle keeps the connections,
 * so requests to one host reuse them.
 */
#include "fetcher.h"

#include <curl/curl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "instruments.h"
#include "log.h"
#include "symbols.h"

#define MAX_BODY (64u << 20) /* a year of daily bars is ~30 KB, a bulk day of every ticker a few MB */

typedef struct bucket {
    double tokens, rate, burst;
    double expires_ms, ask_after_ms; /* shared budget: tokens held until; next take not before */
} bucket;

/* Shared budget: tokens are taken 50 ms of the rate at a time (fewer round
 * trips at high rates) and dropped when unused for HOLD_MS, so tokens taken
 * long ago never add to a later burst. */
#define BATCH_S 0.05
#define HOLD_MS 100.0

static sg_fetch_budget shared;

void sg_fetch_set_budget(const sg_fetch_budget *b)
{
    shared = b ? *b : (sg_fetch_budget){0};
}

/* A progress line once waiting has lasted this long, then at most every PROGRESS_EVERY_MS. */
#define PROGRESS_AFTER_MS 2000.0
#define PROGRESS_EVERY_MS 10000.0

typedef struct run {
    CURLM *multi;
    sg_fetch_job *jobs;
    size_t n, done;
    const sg_provider *order;
    int norder, in_flight, parallel, retries, max_pages;
    int requests, network_requests, rate_waits; /* for the summary line */
    double waiting_since_ms, last_progress_ms;
    long connect_ms, timeout_ms;
    double backoff_ms, retry_after_max_ms, last_ms;
    bucket buckets[SG_NPROVIDERS];
    bool shared; /* tokens come from the shared budget, not refills */
    unsigned long long rng;
    sg_fetch_done_fn on_done;
    void *ctx;
    bool stopped; /* on_done asked to stop */
} run;

static double jitter(run *r) /* uniform in [0.5, 1.5): spreads retries of many symbols apart */
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return 0.5 + (double)(r->rng >> 11) / 9007199254740992.0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sg_fetch_job *j = userdata;
    size_t n = size * nmemb;
    if (j->len + n + 1 > MAX_BODY)
        return 0; /* curl aborts the transfer: CURLE_WRITE_ERROR */
    if (j->len + n + 1 > j->cap) {
        size_t ncap = j->cap ? j->cap : 1 << 15;
        while (ncap < j->len + n + 1)
            ncap *= 2;
        char *nb = realloc(j->body, ncap);
        if (!nb)
            return 0;
        j->body = nb;
        j->cap = ncap;
    }
    memcpy(j->body + j->len, ptr, n);
    j->len += n;
    j->body[j->len] = '\0';
    return n;
}

/* Adds a provider's reason to the job's; a server may echo the request back,
 * so the text is cleared of API keys before anyone can print it. */
static void note(sg_fetch_job *j, const char *fmt, const char *a, const char *b)
{
    char piece[1024]; /* a provider's name and a reason of at most a few hundred bytes: no cut */
    size_t used = strlen(j->why);
    snprintf(piece, sizeof piece, fmt, a, b);
    sg_redact_secrets(piece, sizeof piece); /* redact, then cut into why */
    snprintf(j->why + used, sizeof j->why - used, "%s%s", used ? "; " : "", piece);
}

static void forget_pages(sg_fetch_job *j)
{
    for (int i = 0; i < j->npages; i++)
        free(j->pages[i]);
    free(j->pages);
    j->pages = NULL;
    j->npages = 0;
}

static sg_provider provider_of(const run *r, const sg_fetch_job *j)
{
    return r->order[j->idx];
}

static void finish(run *r, sg_fetch_job *j, sg_fetch_status st)
{
    j->status = st;
    if (st == SG_FETCH_OK)
        j->served_by = provider_of(r, j);
    else {
        sg_bars_free(&j->bars);
        sg_bulk_free(&j->rows);
    }
    forget_pages(j);
    free(j->url);
    free(j->body); /* a finished job keeps its bars, not its last response */
    j->url = j->body = NULL;
    j->len = j->cap = 0;
    r->done++;
    if (r->on_done && !r->stopped && r->on_done(j, r->ctx))
        r->stopped = true;
}

/* The current provider cannot serve the symbol: the next one, or the end. */
static void next_provider(run *r, sg_fetch_job *j, bool transient, const char *why)
{
    note(j, "%s: %s", sg_provider_name(provider_of(r, j)), why);
    j->transient |= transient;
    sg_bars_free(&j->bars); /* pages of a provider that failed midway are not kept */
    sg_bulk_free(&j->rows);
    forget_pages(j);
    free(j->url);
    j->url = NULL;
    j->retries = 0;
    j->not_before_ms = 0;
    if (++j->idx >= r->norder)
        finish(r, j, j->transient ? SG_FETCH_FAILED : SG_FETCH_NOT_SERVED);
}

#define SETOPT(h, opt, val)                                                                                  \
    do {                                                                                                     \
        if (rc == CURLE_OK)                                                                                  \
            rc = curl_easy_setopt((h), (opt), (val));                                                        \
    } while (0)

/* Rate limits protect providers' servers: only http(s) requests take a token. */
static bool is_network(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int start(run *r, sg_fetch_job *j)
{
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    CURLcode rc = CURLE_OK;
    SETOPT(h, CURLOPT_URL, j->url);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_data);
    SETOPT(h, CURLOPT_WRITEDATA, (void *)j);
    SETOPT(h, CURLOPT_PRIVATE, (void *)j);
    SETOPT(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl was built with: gzip, deflate, br */
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
    SETOPT(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(h, CURLOPT_MAXREDIRS, 5L);
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_USERAGENT, "sigmabatch/0.1 (+https://github.com/sigmasight)");
    if (rc != CURLE_OK || curl_multi_add_handle(r->multi, h) != CURLM_OK) {
        curl_easy_cleanup(h);
        return -1;
    }
    j->len = 0;
    j->easy = h;
    j->in_flight = 1;
    j->requests++;
    r->in_flight++;
    r->requests++;
    r->network_requests += is_network(j->url);
    r->rate_waits += j->token_wait;
    j->token_wait = false;
    return 0;
}

static bool transient_curl_error(CURLcode c)
{
    return c != CURLE_FILE_COULDNT_READ_FILE && c != CURLE_UNSUPPORTED_PROTOCOL && c != CURLE_URL_MALFORMAT &&
           c != CURLE_WRITE_ERROR && c != CURLE_TOO_MANY_REDIRECTS;
}

/* Schedules another try of the same provider, or gives up on it. */
static void retry_later(run *r, sg_fetch_job *j, const char *what, long status, double retry_after_ms)
{
    char redacted[512], why[96];
    if (j->retries >= r->retries) {
        snprintf(why, sizeof why, "%s after %d retries", what, j->retries);
        next_provider(r, j, true, why);
        return;
    }
    double delay = r->backoff_ms * ldexp(1.0, j->retries < 30 ? j->retries : 30) * jitter(r);
    if (retry_after_ms > delay)
        delay = retry_after_ms < r->retry_after_max_ms ? retry_after_ms : r->retry_after_max_ms;
    j->retries++;
    j->not_before_ms = sg_clock_ms() + delay;
    sg_inst_provider_retry(sg_provider_name(provider_of(r, j)), status);
    /* a long wait is shown without -v too, so a quiet run is never a mystery */
    sg_log(delay >= PROGRESS_AFTER_MS ? SG_LOG_WARN : SG_LOG_INFO, "%s %s: %s, retry %d in %.1f s (%s)",
           sg_provider_name(provider_of(r, j)), j->symbol, what, j->retries, delay / 1e3,
           sg_redact_url(j->url, redacted, sizeof redacted));
}

/* Takes a finished or abandoned transfer out of the multi handle and frees it. */
static void detach(CURLM *multi, CURL *h)
{
    CURLMcode mc = curl_multi_remove_handle(multi, h);
    if (mc != CURLM_OK)
        sg_log(SG_LOG_WARN, "fetch: curl_multi_remove_handle: %s", curl_multi_strerror(mc));
    curl_easy_cleanup(h);
}

static void close_multi(CURLM *multi)
{
    CURLMcode mc = curl_multi_cleanup(multi);
    if (mc != CURLM_OK)
        sg_log(SG_LOG_WARN, "fetch: curl_multi_cleanup: %s", curl_multi_strerror(mc));
}

/* Why the page at url must not be fetched (NULL: it may); remembers it. A
 * next_url that points to a page seen before would be followed forever. */
static const char *page_problem(run *r, sg_fetch_job *j, const char *url, char *why, size_t len)
{
    for (int i = 0; i < j->npages; i++)
        if (strcmp(j->pages[i], url) == 0) {
            snprintf(why, len, "next_url repeats page %d (a loop)", i + 1);
            return why;
        }
    if (j->npages >= r->max_pages) {
        snprintf(why, len, "more than %d pages (provider.polygon.max_pages)", r->max_pages);
        return why;
    }
    char **nv = realloc(j->pages, (size_t)(j->npages + 1) * sizeof *nv);
    if (nv)
        j->pages = nv;
    if (!nv || !(j->pages[j->npages] = strdup(url)))
        return "out of memory";
    j->npages++;
    return NULL;
}

/* Points the job at the provider's next page, or gives up on the provider. */
static void follow(run *r, sg_fetch_job *j, char *next)
{
    char why[96];
    const char *problem;
    char *url = sg_provider_follow_url(provider_of(r, j), j->url, next);
    free(next);
    if (!url) {
        next_provider(r, j, false, "next_url is not an http(s) URL");
        return;
    }
    free(j->url);
    j->url = url;
    if ((problem = page_problem(r, j, url, why, sizeof why)))
        next_provider(r, j, false, problem);
}

static void judge(run *r, sg_fetch_job *j, CURLcode result)
{
    CURL *h = j->easy;
    long status = 0;
    curl_off_t retry_after = -1;
    char what[96], err[256];
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK)
        retry_after = -1;
    detach(r->multi, h);
    j->easy = NULL;
    j->in_flight = 0;
    r->in_flight--;
    sg_provider p = provider_of(r, j);
    if (is_network(j->url))
        sg_inst_provider_answer(sg_provider_name(p), result == CURLE_OK ? status : 0);
    if (result != CURLE_OK) {
        snprintf(what, sizeof what, "%s", curl_easy_strerror(result));
        if (transient_curl_error(result))
            retry_later(r, j, what, 0, 0);
        else
            next_provider(r, j, false, what);
        return;
    }
    if (status == 429 || status >= 500) {
        snprintf(what, sizeof what, "HTTP %ld", status);
        retry_later(r, j, what, status, retry_after > 0 ? (double)retry_after * 1e3 : 0);
        return;
    }
    if (status != 200 && status != 0 && status != 404) { /* 0: file:// */
        snprintf(what, sizeof what, "HTTP %ld", status);
        next_provider(r, j, false, what);
        return;
    }
    char *next = NULL;
    sg_answer a = j->bulk ? sg_bulk_parse(p, j->body ? j->body : "", j->len, j->day, &j->rows, err, sizeof err)
                          : sg_provider_parse_response(p, j->body ? j->body : "", j->len, j->symbol, j->from, j->to,
                                                       &j->bars, &next, err, sizeof err);
    if (a == SG_ANSWER_OK && status == 404)
        a = SG_ANSWER_UNKNOWN, snprintf(err, sizeof err, "HTTP 404");
    if (a != SG_ANSWER_OK) {
        free(next);
        next_provider(r, j, false, err);
        return;
    }
    j->retries = 0;
    if (next) /* Polygon's next page: the same job, another request */
        follow(r, j, next);
    else
        finish(r, j, SG_FETCH_OK);
}

static void refill(run *r)
{
    double t = sg_clock_ms(), dt = (t - r->last_ms) / 1e3;
    r->last_ms = t;
    if (r->shared)
        return;
    for (int p = 0; p < SG_NPROVIDERS; p++) {
        bucket *b = &r->buckets[p];
        b->tokens = fmin(b->burst, b->tokens + dt * b->rate);
    }
}

/* The provider's first URL for the job, remembered as its first page. */
static bool first_page(run *r, sg_fetch_job *j)
{
    char why[96];
    const char *problem;
    if (!(j->url = j->bulk ? sg_provider_bulk_url(provider_of(r, j), j->day)
                           : sg_provider_url(provider_of(r, j), j->symbol, j->from, j->to)))
        problem = j->bulk && !sg_provider_has_bulk(provider_of(r, j)) ? "no bulk endpoint"
                                                                       : "cannot build the URL (out of memory)";
    else
        problem = page_problem(r, j, j->url, why, sizeof why);
    if (problem)
        next_provider(r, j, false, problem);
    return !problem;
}

/* Tokens of p from the shared budget: false (and *wait) when none came. An
 * unreachable database spends no request: it waits a second and asks again. */
static bool take_shared(run *r, sg_provider p, double t, double *wait)
{
    bucket *b = &r->buckets[p];
    if (t < b->ask_after_ms) {
        *wait = fmin(*wait, b->ask_after_ms - t);
        return false;
    }
    char err[512];
    double w = 0;
    int want = (int)fmax(1, fmin(b->burst, floor(b->rate * BATCH_S)));
    int got = shared.take(shared.ctx, p, b->rate, b->burst, want, &w, err, sizeof err);
    if (got < 0) {
        sg_log(SG_LOG_WARN, "fetch: %s (no %s request until the budget answers)", err, sg_provider_name(p));
        w = 1000;
    }
    if (got <= 0) {
        b->ask_after_ms = t + fmax(w, 1);
        *wait = fmin(*wait, fmax(w, 1));
        return false;
    }
    b->tokens = got;
    b->expires_ms = t + HOLD_MS;
    return true;
}

/* One token of p for a network request: false (and *wait) when none yet. */
static bool take_token(run *r, sg_provider p, double t, double *wait)
{
    bucket *b = &r->buckets[p];
    if (r->shared && b->tokens >= 1 && t > b->expires_ms)
        b->tokens = 0; /* held too long: spent nowhere, never saved up */
    if (b->tokens < 1) {
        if (r->shared)
            return take_shared(r, p, t, wait) && (b->tokens -= 1, true);
        *wait = fmin(*wait, (1 - b->tokens) / b->rate * 1e3);
        return false;
    }
    b->tokens -= 1;
    return true;
}

/* Starts what may start; returns how long to wait for the next due retry or token. */
static long dispatch(run *r)
{
    double t = sg_clock_ms(), wait = 1000;
    for (size_t i = 0; i < r->n && r->in_flight < r->parallel && !r->stopped; i++) {
        sg_fetch_job *j = &r->jobs[i];
        if (j->in_flight || j->idx >= r->norder || j->status != (sg_fetch_status)-1)
            continue;
        if (j->not_before_ms > t) {
            wait = fmin(wait, j->not_before_ms - t);
            continue;
        }
        if (!j->url && !first_page(r, j))
            continue;
        if (is_network(j->url) && !take_token(r, provider_of(r, j), t, &wait)) {
            if (!j->token_wait)
                sg_inst_provider_throttled(sg_provider_name(provider_of(r, j)));
            j->token_wait = true;
            continue;
        }
        if (start(r, j))
            next_provider(r, j, false, "cannot start a transfer (out of memory)");
    }
    return (long)ceil(fmax(wait, 1));
}

/* While requests wait (for a token or a retry) for long, one line now and
 * then says how far the run is and what it waits for: a quiet run of minutes
 * looks hung. */
static void progress(run *r)
{
    double t = sg_clock_ms(), rate_s = 0;
    size_t on_token = 0, on_retry = 0, queued[SG_NPROVIDERS] = {0};
    for (size_t i = 0; i < r->n; i++) {
        const sg_fetch_job *j = &r->jobs[i];
        if (j->in_flight || j->status != (sg_fetch_status)-1 || j->idx >= r->norder)
            continue;
        if (j->not_before_ms > t)
            on_retry++;
        else if (j->token_wait)
            on_token++, queued[provider_of(r, j)]++;
    }
    if (!on_token && !on_retry) {
        r->waiting_since_ms = 0;
        return;
    }
    if (r->waiting_since_ms == 0)
        r->waiting_since_ms = t;
    if (t - r->waiting_since_ms < PROGRESS_AFTER_MS ||
        (r->last_progress_ms && t - r->last_progress_ms < PROGRESS_EVERY_MS))
        return;
    r->last_progress_ms = t;
    for (int p = 0; p < SG_NPROVIDERS; p++)
        rate_s = fmax(rate_s, (double)queued[p] / r->buckets[p].rate);
    sg_log(SG_LOG_WARN, "fetch: %zu of %zu symbols done, %zu waiting for a rate limit (about %.0f s more), %zu for a retry",
           r->done, r->n, on_token, rate_s, on_retry);
}

static const char *const rate_setting[SG_NPROVIDERS][2] = {
    {"provider.yahoo.rate", "provider.yahoo.burst"},
    {"provider.fmp.rate", "provider.fmp.burst"},
    {"provider.polygon.rate", "provider.polygon.burst"}};

int sg_fetch_run(sg_fetch_job *jobs, size_t n, const sg_provider *order, int norder, sg_fetch_done_fn on_done,
                 void *ctx, char *err, size_t errlen)
{
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "fetch: curl_global_init failed");
            return -1;
        }
        curl_ready = 1;
    }
    if (sg_config_check(err, errlen))
        return -1; /* never a silent default for a bad setting */
    run r = {.jobs = jobs, .n = n, .order = order, .norder = norder, .last_ms = sg_clock_ms(), .on_done = on_done, .ctx = ctx,
             .rng = (unsigned long long)time(NULL) * 2654435761u | 1};
    r.max_pages = (int)sg_config_number("provider.polygon.max_pages");
    r.parallel = (int)fmax(1, sg_config_number("http.parallel"));
    r.retries = (int)fmax(0, sg_config_number("http.retries"));
    r.connect_ms = (long)sg_config_number("http.connect_timeout_ms");
    r.timeout_ms = (long)sg_config_number("http.timeout_ms");
    r.backoff_ms = sg_config_number("http.backoff_ms");
    r.retry_after_max_ms = sg_config_number("http.retry_after_max_ms");
    for (int p = 0; p < SG_NPROVIDERS; p++) {
        r.buckets[p].rate = fmax(1e-6, sg_config_number(rate_setting[p][0]));
        r.buckets[p].burst = fmax(1, sg_config_number(rate_setting[p][1]));
        r.buckets[p].tokens = shared.take ? 0 : r.buckets[p].burst;
    }
    r.shared = shared.take != NULL;
    for (size_t i = 0; i < n; i++) {
        sg_fetch_job *j = &jobs[i];
        memset(&j->status, 0, sizeof *j - offsetof(sg_fetch_job, status));
        j->status = (sg_fetch_status)-1; /* pending */
        /* An invalid symbol never reaches a URL: "../x" or "A/B" would read
         * files outside a file:// template's directory. */
        char why[SG_SYMBOL_WHY_LEN];
        if (!j->bulk && sg_symbol_check(j->symbol, why, sizeof why)) {
            snprintf(j->why, sizeof j->why, "%s", why);
            finish(&r, j, SG_FETCH_NOT_SERVED);
        } else if (norder == 0) {
            finish(&r, j, SG_FETCH_NOT_SERVED);
        }
    }
    if (!(r.multi = curl_multi_init())) {
        snprintf(err, errlen, "fetch: curl_multi_init failed");
        return -1;
    }
    /* Connections are reused across transfers to a host; a few per host at most. */
    if (curl_multi_setopt(r.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r.parallel) != CURLM_OK) {
        snprintf(err, errlen, "fetch: curl_multi_setopt failed");
        close_multi(r.multi);
        return -1;
    }
    int rc = 0;
    while (r.done < n && !r.stopped) {
        refill(&r);
        long wait = dispatch(&r);
        progress(&r);
        int running, finished = 0;
        CURLMcode mc = curl_multi_perform(r.multi, &running);
        CURLMsg *msg;
        int left;
        while (mc == CURLM_OK && !r.stopped && (msg = curl_multi_info_read(r.multi, &left))) {
            sg_fetch_job *j = NULL;
            if (msg->msg != CURLMSG_DONE ||
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j) != CURLE_OK || !j)
                continue;
            judge(&r, j, msg->data.result);
            finished++;
        }
        /* A transfer just finished frees a slot: start the next one before
         * sleeping; otherwise sleep until curl has news or something is due. */
        if (mc == CURLM_OK && !finished)
            mc = curl_multi_poll(r.multi, NULL, 0, (int)(r.in_flight ? fmin(wait, 100) : wait), NULL);
        if (mc != CURLM_OK) {
            snprintf(err, errlen, "fetch: %s", curl_multi_strerror(mc));
            rc = -1;
            break;
        }
    }
    sg_log(SG_LOG_INFO, "fetch: %zu symbols, %d requests (%d over the network), %d waited for a rate limit", n,
           r.requests, r.network_requests, r.rate_waits);
    for (size_t i = 0; i < n; i++) /* after an error: nothing left in flight */
        if (jobs[i].easy) {
            detach(r.multi, jobs[i].easy);
            jobs[i].easy = NULL;
        }
    close_multi(r.multi);
    return rc ? rc : r.stopped ? 1 : 0;
}

void sg_fetch_job_free(sg_fetch_job *job)
{
    sg_bars_free(&job->bars);
    sg_bulk_free(&job->rows);
    forget_pages(job);
    free(job->url);
    free(job->body);
    job->url = job->body = NULL;
    job->len = job->cap = 0;
}
