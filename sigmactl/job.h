/*
 * job.h - one computation of sigmactl: a price file (and profiles) in, factor
 * rows and metrics out. Shared by `factors`, `metrics` and `local`.
 *
 * Owns: loading the inputs, the symbol list, the results, and freeing all of
 * it. Errors are logged here (file, line, reason); callers only see -1.
 */
#ifndef SG_JOB_H
#define SG_JOB_H

#include "factors.h"
#include "metrics.h"

typedef struct sg_job {
    sg_prices *px;
    sg_profiles *prof;    /* NULL without --profiles */
    const char **symbols; /* sorted; into px or the --symbols argument */
    size_t nsym;
    sg_factor_result res;
    sg_metrics_row *mrows; /* NULL until sg_job_metrics */
    double load_ms, factors_ms;
} sg_job;

/* symbols[0..nsym) (sorted, valid: sg_symbol_list_parse), or NULL for every
 * symbol of the file. The array is copied; the strings must outlive the job. */
int sg_job_load(sg_job *j, const char *prices_path, const char *profiles_path, const char *const *symbols, size_t nsym);
int sg_job_factors(sg_job *j, sg_day calc, const sg_factor_opts *opts);
int sg_job_metrics(sg_job *j, sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline);
void sg_job_free(sg_job *j);

#endif
