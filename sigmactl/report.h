/*
 * report.h - the CSV reports of `sigmactl factors` and `sigmactl metrics`,
 * byte for byte what oracle.py prints for the same arguments.
 *
 * Owns: column sets, number formats (raw: Python repr; --db-round: PostgreSQL
 * NUMERIC text with the app's NULL rules) and quoting.
 * Must not: compute.
 */
#ifndef SG_REPORT_H
#define SG_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "factors.h"
#include "metrics.h"

typedef struct sg_report_opts {
    bool db_round;
    bool full;
    double alpha;
} sg_report_opts;

void sg_report_factors(FILE *out, const char *const *symbols, const sg_factor_result *res,
                       const sg_report_opts *o);
void sg_report_metrics(FILE *out, const char *const *symbols, size_t nsym, sg_day calc,
                       const sg_metrics_row *rows, const sg_report_opts *o);

#endif
