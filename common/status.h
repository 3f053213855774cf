/*
 * status.h - the operator's view: the state of a nightly run, the onboarding
 * queue and the workers, as `sigmactl status` prints it and the programs
 * serve it over HTTP (docs/status.md has every format and rule).
 *
 * Owns: reading that state from PostgreSQL in one read-only snapshot
 * (sigma_runs, sigma_run_outcomes, sigma_run_bulk, batch_run_history,
 * symbol_onboarding_queue, sigma_workers); rendering it as text (bars on a terminal, plain greppable
 * lines otherwise), JSON (jansson) and one self-contained HTML page with every
 * value from the database escaped; the status of one symbol as the web app
 * polls it; and the workers' self-reports in sigma_workers (migration 0007:
 * heartbeat, leave). The renderers are pure: a status built by hand renders
 * like a loaded one. SQL only with parameters.
 * Must not: change a run, an outcome or a queue row; serve HTTP or talk to
 * Kafka (a worker measures its own partitions and lag and passes them in).
 */
#ifndef SG_STATUS_H
#define SG_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define SG_STATUS_ALIVE_S 15            /* a worker seen within this many seconds is alive */
#define SG_STATUS_PRUNE_S 3600          /* a worker's row unseen this long is deleted by the next heartbeat */
#define SG_STATUS_FAILURES_MAX 50       /* failed outcomes held (all are counted) */
#define SG_STATUS_QUEUE_FAILURES_MAX 10 /* the latest failed queue rows held */
#define SG_STATUS_RUNS_MAX 10           /* recent runs held (the page's list) */
#define SG_STATUS_NPHASES 3             /* prices, factors, metrics */

/* Times are epoch seconds from the database's clock; NAN when there is none. */
typedef struct sg_status_run {
    const char *id, *calc_date, *phase; /* phase: prices, factors, metrics, done */
    const char *status;                 /* batch_run_history.status: running, completed, failed */
    bool closed;
    double created_at, closed_at;
    long total_jobs, completed_jobs, failed_jobs; /* batch_run_history's counts (final once closed) */
} sg_status_run;

typedef struct sg_status_phase {
    const char *name;  /* prices, factors, metrics */
    const char *state; /* waiting, running, done */
    long total, ok, failed, pending;
    double started_at, finished_at;
    double seconds; /* running: elapsed so far; done: the recorded duration; NAN: none */
} sg_status_phase;

/* The run's bulk days (migration 0008: a market day of every ticker in one
 * request, for the symbols that miss few days): counts of sigma_run_bulk, and
 * the prices ledger's symbols still waiting for one (stage 'bulk', no outcome). */
typedef struct sg_status_bulk {
    long days, ok, failed, pending;
    long waiting; /* symbols */
} sg_status_bulk;

typedef struct sg_status_failure {
    const char *phase, *symbol, *reason;
} sg_status_failure;

typedef struct sg_status_queue_failure {
    const char *symbol, *message; /* message: error_message (may be NULL) */
    double at;                    /* completed_at */
} sg_status_queue_failure;

typedef struct sg_status_worker {
    const char *id, *host, *http; /* http may be NULL */
    int pid;
    bool alive; /* seen within SG_STATUS_ALIVE_S */
    double started_at, seen_at;
    size_t npartitions;
    const char *const *partitions; /* "topic/partition" */
    const int64_t *lag;            /* per partition; -1: not known */
    int64_t lag_total;             /* the known lags' sum */
} sg_status_worker;

typedef struct sg_status {
    double now;   /* the database's clock at the load: every age is measured from it */
    bool has_run; /* false: no run recorded yet (loaded with run NULL) */
    sg_status_run run;
    const char *error_summary; /* batch_run_history.error_summary as JSON text, or NULL */
    sg_status_phase phases[SG_STATUS_NPHASES];
    sg_status_bulk bulk; /* all 0 for a run without bulk days */
    long failures_total; /* failed outcomes of the run; the first nfailures are held */
    size_t nfailures;
    const sg_status_failure *failures;
    long queue_pending, queue_processing, queue_completed, queue_failed, queue_other;
    size_t nqueue_failures;
    const sg_status_queue_failure *queue_failures; /* latest first */
    size_t nworkers;
    const sg_status_worker *workers; /* by id */
    long workers_alive;
    int64_t lag_total; /* of the alive workers */
    size_t nruns;
    const sg_status_run *runs; /* recent runs, newest first */
    void *owned;               /* what sg_status_free releases (NULL in a status built by hand) */
} sg_status;

/* run: a batch_run_id, or NULL for the latest run (by created_at). -1 with
 * the database error, SG_STATUS_NO_RUN with "no run 'X'" for a named run that
 * does not exist. With run NULL and no run at all it succeeds with has_run
 * false (the queue and the workers still show). */
#define SG_STATUS_NO_RUN (-2)
int sg_status_load(sg_store *s, const char *run, sg_status **out, char *err, size_t errlen);
void sg_status_free(sg_status *st);
bool sg_status_closed(const sg_status *st); /* the run is closed (completed or failed) */

/* tty: progress bars (ANSI bold and colours); else plain lines, one fact per
 * line, in the stable wording of docs/status.md. Database text is printed
 * with control bytes replaced, so a reason can neither break a line nor send
 * a terminal escape. */
void sg_status_text(FILE *out, const sg_status *st, bool tty);
/* malloc'd JSON text (docs/status.md, "JSON"); NULL when out of memory. */
char *sg_status_json(const sg_status *st);
/* The whole status page, malloc'd: inline CSS, no script, no external asset.
 * refresh_hint: seconds for <meta http-equiv="refresh"> (digits only; NULL:
 * "2"; "" or "0": no refresh, e.g. for a closed run). NULL when out of memory. */
char *sg_status_html(const sg_status *st, const char *refresh_hint);

/* /runs: the limit (1..1000) most recent runs, newest first, malloc'd JSON. */
int sg_status_runs_json(sg_store *s, int limit, char **json, char *err, size_t errlen);
/* /symbols/{symbol}/status: {"symbol", "status": ready|processing|pending|
 * error|unknown, "message", "estimated_seconds"} by the rules of
 * docs/status.md. An invalid symbol is status unknown with the reason as the
 * message (never a query); -1 only for a database error. */
int sg_status_symbol_json(sg_store *s, const char *symbol, char **json, char *err, size_t errlen);

/* ---- the workers' self-reports (sigma_workers) ------------------------------------ */

/* One worker as it reports itself: lag[i] belongs to partitions[i] ("topic/
 * partition"); a negative lag is not known (stored as JSON null, not summed). */
typedef struct sg_member {
    const char *id, *host, *http; /* http may be NULL */
    int pid;
    const char *const *partitions;
    const int64_t *lag;
    size_t npartitions;
} sg_member;

/* Upserts the worker's row with seen_at = now() (started_at kept unless its
 * host or pid changed: a restart under the same --id), and deletes rows
 * unseen for SG_STATUS_PRUNE_S. One statement, no retry: the next beat is. */
int sg_status_heartbeat(sg_store *s, const sg_member *m, char *err, size_t errlen);
/* Deletes the worker's row (a clean stop). */
int sg_status_leave(sg_store *s, const char *id, char *err, size_t errlen);

/* ---- building blocks (pure; exported for the tests) -------------------------------- */

/* "2025-07-15T22:00:03Z" (UTC, seconds), or "-" for NAN; out holds 24 bytes. */
const char *sg_status_iso(double epoch, char out[24]);
/* Appends text HTML-escaped (& < > " ' and control bytes) to b. */
void sg_status_html_escape(sg_copybuf *b, const char *text);

#endif
