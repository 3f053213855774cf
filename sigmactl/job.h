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

/* symbols_arg ("A,B", modified in place) may be NULL for every symbol of the file. */
int sg_job_load(sg_job *j, const char *prices_path, const char *profiles_path, char *symbols_arg);
int sg_job_factors(sg_job *j, sg_day calc, const sg_factor_opts *opts);
int sg_job_metrics(sg_job *j, sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline);
void sg_job_free(sg_job *j);

/* "A, B,A" -> A, B: stripped, de-duplicated and sorted, as oracle.py does.
 * out[] points into list (modified); room for strlen(list)/2+1 entries. */
size_t sg_parse_symbols(char *list, const char **out);

#endif
