/*
 * runs.h - the nightly run's ledger in PostgreSQL (migration 0004) and the one
 * fan-out routine the producer and the coordinator share. docs/pipeline.md
 * ("The ledger", "Phase completion") explains the rules.
 *
 * Owns: every statement on sigma_run_requests, sigma_runs and
 * sigma_run_outcomes, and the rows of batch_run_history the pipeline opens
 * and closes: requests (one pending per date), opening a run from a request
 * (at most one open run per date), recording an event's outcome once (an
 * ok may replace a failure: a replay), recounting a closed run, deadlines,
 * moving a run to its next phase or closing it, and publishing a phase's
 * tasks for the symbols without an outcome (publish, await the
 * acknowledgements, then mark the phase fanned out). SQL only with parameters.
 * Must not: decide when to run (the programs' loops do), consume from Kafka,
 * or know what a worker does with a task.
 */
#ifndef SG_RUNS_H
#define SG_RUNS_H

#include <stdbool.h>
#include <stddef.h>

#include "bus.h"
#include "calendar.h"
#include "messages.h"
#include "store.h"

#define SG_RUN_ID_MAX SG_MSG_RUN_MAX

/* The 8 factor ETFs (DESIGN.md §4): always in a run, whatever was asked. */
extern const char *const sg_runs_etfs[8];

/* ---- requests (sigmactl run) ------------------------------------------------ */

/* Today's date in New York (the market's day) by the database's clock, so every
 * host agrees whatever its own clock and time zone: the date of `sigmactl run
 * --date today` and of onboarding.date=today. */
int sg_runs_today(sg_store *s, sg_day *out, char *err, size_t errlen);

typedef enum sg_run_request_kind {
    SG_REQUEST_NEW,     /* a request recorded: id */
    SG_REQUEST_PENDING, /* a request for the date waits already: its id */
    SG_REQUEST_OPEN,    /* a run for the date is open: run, phase */
} sg_run_request_kind;

typedef struct sg_run_request {
    sg_run_request_kind kind;
    long long id;
    char run[SG_RUN_ID_MAX + 1];
    char phase[16];
} sg_run_request;

/* Records a request for a run of date (symbols NULL: the run's symbol list),
 * unless a run of that date is open or a request for it is pending. */
int sg_runs_request(sg_store *s, sg_day date, const char *const *symbols, size_t n, const char *by,
                    sg_run_request *out, char *err, size_t errlen);

/* ---- the producer ----------------------------------------------------------- */

typedef struct sg_run_opened {
    bool any;     /* false: no pending request */
    bool joined;  /* the request joined the open run of its date */
    long long request;
    char run[SG_RUN_ID_MAX + 1];
    size_t nsymbols;
    size_t bulk_days, waiting; /* the bulk plan: market days fetched in bulk, symbols that wait for them */
    char bulk_days_text[64];   /* "2025-07-15" or "2025-07-11..2025-07-15 (3)" */
    char bulk_provider[16];    /* "" when no provider serves bulk (then bulk_days is 0) */
} sg_run_opened;

/* Takes the oldest pending request in one transaction: opens its run
 * (batch_run_history running, sigma_runs at phase prices, the prices ledger)
 * or joins it to the open run of its date. */
int sg_runs_open_next(sg_store *s, const char *triggered_by, sg_run_opened *out, char *err, size_t errlen);

/* Runs that are open, at phase (NULL: any phase) and, when unfanned, whose
 * phase is not fanned out. malloc'ed ids; free with sg_strings_free. */
int sg_runs_list(sg_store *s, const char *phase, bool unfanned, char ***ids, size_t *n, char *err, size_t errlen);

/* ---- fan-out (both programs) -------------------------------------------------- */

/* Publishes a task for every symbol of the run's current phase (when it is
 * phase; NULL: whichever it is) that has no
 * outcome yet (attempt counts publications), awaits the acknowledgements,
 * then marks the phase fanned out. Idempotent: run again after a crash, it
 * republishes what has no outcome. *published may be NULL. */
int sg_runs_fan_out(sg_store *s, sg_bus *b, const char *run, const char *phase, long *published, char *err,
                    size_t errlen);

/* ---- the coordinator (inside the caller's unit of work) ---------------------- */

typedef enum sg_run_record {
    SG_RECORD_NEW,       /* the first outcome of (run, phase, symbol) */
    SG_RECORD_UPGRADED,  /* an ok replacing a recorded failure (a replay) */
    SG_RECORD_DUPLICATE, /* it had one: counted in duplicates, nothing else */
    SG_RECORD_UNKNOWN,   /* no such (run, phase, symbol) in the ledger */
} sg_run_record;

/* Records a batch of events' outcomes, ev[i] with skip[i] false, results in
 * out[0..n) (unknown for skipped ones): the first outcome of a (run, phase,
 * symbol), or an ok over a failure; an ok is never replaced
 * (docs/pipeline.md, "Replay"). */
int sg_runs_record_batch(sg_store *s, const sg_event *ev, const bool *skip, size_t n, sg_run_record *out, char *err,
                         size_t errlen);

/* When the run is closed: its counts, status and error_summary recomputed
 * from the ledger (after an upgrade), *closed set. An open run is left to
 * its close. */
int sg_runs_recount(sg_store *s, const char *run, bool *closed, char *err, size_t errlen);

typedef enum sg_run_step {
    SG_STEP_NONE,     /* the phase waits for outcomes (or the run is closed) */
    SG_STEP_ADVANCED, /* the next phase's ledger is written: fan it out after the commit */
    SG_STEP_CLOSED,   /* the run is completed or failed */
} sg_run_step;

/* Records `timed out` for the symbols still without an outcome when the
 * phase is older than timeout_s, then, when every symbol of the phase has
 * an outcome, writes its duration and moves the run on or closes it. */
int sg_runs_check(sg_store *s, const char *run, int timeout_s, sg_run_step *step, char *err, size_t errlen);

/* ---- bulk days (runs_bulk.c; docs/pipeline.md, "Bulk days") ------------------- */

/* A run's bulk plan, as the ledger takes it: per symbol of the run (in its
 * order) the prices row's stage and fetch_from, as text[] and date[]
 * literals (NULL: no plan, nothing changes), and the bulk days. */
typedef struct sg_run_bulk_plan {
    char *stage, *from, *days;
    size_t ndays, nwaiting;
    char days_text[64], provider[16];
} sg_run_bulk_plan;

/* Inside the unit that opens a run, before its ledger is written: when a
 * bulk provider serves this process (bulk.h), the symbols' fetch windows on
 * calc and the plan (bulk.h); an empty plan otherwise. */
int sg_runs_bulk_plan(sg_store *s, sg_day calc, const char *const *symbols, size_t n, sg_run_bulk_plan *p,
                      char *err, size_t errlen);
/* After the run's row: a sigma_run_bulk row per bulk day of the plan. */
int sg_runs_bulk_plan_days(sg_store *s, const char *run, const sg_run_bulk_plan *p, char *err, size_t errlen);
void sg_runs_bulk_plan_free(sg_run_bulk_plan *p);

/* Records a prices_bulk event's outcome in sigma_run_bulk (the rule of
 * sg_runs_record_batch: the first; an ok over a failure; else a duplicate). */
int sg_runs_bulk_record(sg_store *s, const sg_event *e, sg_run_record *out, char *err, size_t errlen);

/* When every bulk day of the run has its outcome: each waiting symbol whose
 * bars of its bulk days are stored gets its prices outcome (ok, covered by
 * bulk); the others move to stage 'alone' (attempt 0: the producer publishes
 * their tasks, with from, and is woken by a NOTIFY). Counts may be NULL. */
int sg_runs_bulk_resolve(sg_store *s, const char *run, long *covered, long *alone, char *err, size_t errlen);

/* The phase deadline for bulk days: those without an outcome are failed
 * (timed out). */
int sg_runs_bulk_deadline(sg_store *s, const char *run, char *err, size_t errlen);

/* The symbols of run that wait for day (stage 'bulk', no outcome, day after
 * their fetch_from), byte order. With lock, the run's row is share-locked
 * first, so the resolution (which takes it for update) cannot happen between
 * this read and the caller's commit. Free with sg_strings_free. */
int sg_runs_bulk_waiting(sg_store *s, const char *run, sg_day day, bool lock, char ***symbols, size_t *n, char *err,
                         size_t errlen);

#endif
