/* commands.h - the subcommands of sigmactl; each returns the exit code. */
#ifndef SG_COMMANDS_H
#define SG_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "csvfile.h"
#include "store.h"

int sg_cmd_compute(int argc, char **argv, bool metrics); /* factors, metrics */
int sg_cmd_local(int argc, char **argv);                 /* the local default */
int sg_cmd_migrate(int argc, char **argv);               /* schema migrations */
int sg_cmd_import_prices(int argc, char **argv);         /* CSV -> market_data_cache */
int sg_cmd_import_profiles(int argc, char **argv);       /* CSV -> company_profiles */
int sg_cmd_compute_db(int argc, char **argv);            /* database -> engine -> database */
int sg_cmd_fetch(int argc, char **argv);                 /* providers -> market_data_cache */
int sg_cmd_synth(int argc, char **argv);                 /* a synthetic universe -> files */
int sg_cmd_broker(int argc, char **argv);                /* the mock Kafka cluster, for development */
int sg_cmd_run(int argc, char **argv);                   /* a request for the nightly run */
int sg_cmd_onboard(int argc, char **argv);               /* symbols into symbol_onboarding_queue */
int sg_cmd_replay(int argc, char **argv);                /* tasks republished from a topic's offsets */
int sg_cmd_status(int argc, char **argv);                /* a run's progress, the queue, the workers */
int sg_cmd_up(int argc, char **argv);                    /* the whole system on this machine */
int sg_cmd_down(int argc, char **argv);                  /* stops what up started */
int sg_cmd_probe(int argc, char **argv);                 /* one HTTP GET: a health check */

/* "sigmactl CMD: <fmt with arg>" on stderr, then the command's usage: exit 2. */
int sg_cmd_usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, const char *arg);

/* import-prices' reading of an opened CSV: the header, then every row checked
 * and written into b as COPY text (id, the seven columns, then the line number,
 * or the data source when bulk). The row count, or -1 when rejected (each bad
 * row logged). *sorted: (symbol, date) strictly increases. No I/O but the log:
 * tests/fuzz drives it. */
long sg_import_prices_rows(sg_csv *c, sg_copybuf *b, bool bulk, bool *sorted);
/* import-profiles' the same, in two steps: the header (symbol and at least one
 * profile column; idx[k]: the field of sg_profile_columns[k], or -1), 0 or -1;
 * then the rows into b (line, symbol, the present columns) with each row's
 * file line in *lines (malloc'ed): the row count, or -1 when rejected. */
int sg_import_profiles_header(sg_csv *c, int *idx);
long sg_import_profiles_rows(sg_csv *c, const int *idx, sg_copybuf *b, long **lines);

#endif
