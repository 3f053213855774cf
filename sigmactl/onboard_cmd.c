/*
 * onboard_cmd.c - `sigmactl onboard`: queue symbols for onboarding as the web
 * app does (docs/pipeline.md, "Onboarding").
 *
 *   sigmactl onboard SYMBOL... [--priority high|normal|low] [--wait] [--timeout S] [-d CONNINFO]
 *
 * Inserts one symbol_onboarding_queue row per symbol (status pending: the
 * relay in sigma-producer wakes on its NOTIFY). A symbol already pending or
 * processing (the partial unique index) is reported with that row, not an
 * error. Symbols are checked here (an entry point): lower case is upper-cased
 * (as the relay does for the app's rows); anything else invalid is a usage
 * error naming the reason, and nothing is inserted. --wait polls the rows and
 * prints each outcome as it arrives: exit 0 when every row completed, 1 when
 * one failed or the timeout passed.
 * Owns: the command line. Must not: publish, fetch or compute.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "store.h"
#include "symbols.h"

static void usage(FILE *f)
{
    fputs("usage: sigmactl onboard SYMBOL... [--priority high|normal|low] [--wait] [--timeout S] [-d CONNINFO]\n"
          "  queues symbols in symbol_onboarding_queue as the web app does; sigma-producer relays them.\n"
          "  --priority  the rows' priority (default normal)\n"
          "  --wait      print each symbol's outcome as it arrives; exit 1 if one failed or timed out\n"
          "  --timeout   seconds --wait waits in all (default 300)\n"
          "  -d          libpq connection string or URI (default: the PG* environment)\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl onboard", usage, fmt, arg);
}

typedef struct entry {
    char symbol[SG_SYMBOL_MAX + 1];
    char id[37];
    int done; /* its outcome was printed */
} entry;

/* Inserts the row, or finds the pending/processing one of the symbol. */
static int queue(sg_store *s, entry *e, const char *priority, char *err, size_t errlen)
{
    const char *p[2] = {e->symbol, priority};
    PGresult *r = sg_store_query(s, "onboard: insert",
                                 "INSERT INTO symbol_onboarding_queue (symbol, priority, status) VALUES ($1, $2, 'pending')"
                                 " ON CONFLICT (symbol) WHERE status IN ('pending', 'processing') DO NOTHING RETURNING id::text",
                                 2, p, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        snprintf(e->id, sizeof e->id, "%s", PQgetvalue(r, 0, 0));
        printf("%s queued (row %s, priority %s)\n", e->symbol, e->id, priority);
        PQclear(r);
        return 0;
    }
    PQclear(r);
    r = sg_store_query(s, "onboard: the symbol's open row",
                       "SELECT id::text, status FROM symbol_onboarding_queue WHERE symbol = $1"
                       " AND status IN ('pending', 'processing')",
                       1, p, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) { /* finished between the two statements: queue it again */
        PQclear(r);
        return queue(s, e, priority, err, errlen);
    }
    snprintf(e->id, sizeof e->id, "%s", PQgetvalue(r, 0, 0));
    printf("%s already %s (row %s): not queued again\n", e->symbol, PQgetvalue(r, 0, 1), e->id);
    PQclear(r);
    return 0;
}

/* Polls the rows until each is completed or failed, or the deadline. */
static int wait_for(sg_store *s, entry *v, size_t n, int timeout_s, char *err, size_t errlen)
{
    size_t left = n, failed = 0;
    double end = sg_clock_ms() + timeout_s * 1000.0;
    while (left) {
        for (size_t i = 0; i < n; i++) {
            if (v[i].done)
                continue;
            PGresult *r = sg_store_query(s, "onboard: row status",
                                         "SELECT status, coalesce(error_message, ''),"
                                         " (SELECT count(*) FROM symbol_factor_exposures e JOIN symbol_onboarding_queue q"
                                         "  ON q.id = $1::uuid AND e.symbol = upper(q.symbol)"
                                         "  AND e.calculation_date = (SELECT max(calculation_date) FROM"
                                         "  symbol_factor_exposures x WHERE x.symbol = upper(q.symbol)))"
                                         " FROM symbol_onboarding_queue WHERE id = $1::uuid",
                                         1, (const char *const[]){v[i].id}, err, errlen);
            if (!r)
                return -1;
            const char *st = PQntuples(r) ? PQgetvalue(r, 0, 0) : "gone";
            if (strcmp(st, "completed") == 0) {
                printf("%s completed (%s factor rows)\n", v[i].symbol, PQgetvalue(r, 0, 2));
            } else if (strcmp(st, "failed") == 0 || strcmp(st, "gone") == 0) {
                printf("%s failed: %s\n", v[i].symbol, PQntuples(r) ? PQgetvalue(r, 0, 1) : "the row was deleted");
                failed++;
            } else {
                PQclear(r);
                continue;
            }
            fflush(stdout);
            PQclear(r);
            v[i].done = 1;
            left--;
        }
        if (left && sg_clock_ms() > end) {
            for (size_t i = 0; i < n; i++)
                if (!v[i].done)
                    printf("%s timed out: no outcome within %d s\n", v[i].symbol, timeout_s);
            return 1;
        }
        if (left)
            usleep(100 * 1000);
    }
    return failed ? 1 : 0;
}

int sg_cmd_onboard(int argc, char **argv)
{
    static const struct option longopts[] = {{"priority", required_argument, NULL, 'p'},
                                             {"wait", no_argument, NULL, 'w'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *priority = "normal", *conninfo = NULL;
    int wait = 0, timeout_s = 300, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p': priority = optarg; break;
        case 'w': wait = 1; break;
        case 't': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || end == optarg || t < 1 || t > 86400)
                return usage_error("--timeout: '%s' is not a number of seconds from 1 to 86400", optarg);
            timeout_s = (int)t;
            break;
        }
        case 'd': conninfo = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (strcmp(priority, "high") && strcmp(priority, "normal") && strcmp(priority, "low"))
        return usage_error("--priority: '%s' is not one of high, normal, low", priority);
    if (optind >= argc)
        return usage_error("%s", "no symbol given");
    size_t n = (size_t)(argc - optind);
    entry *v = calloc(n, sizeof *v);
    if (!v) {
        fputs("sigmactl onboard: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *a = argv[optind + (int)i];
        char why[SG_SYMBOL_WHY_LEN];
        if (sg_symbol_checkn(a, strlen(a), SG_SYMBOL_LOWER_OK, why, sizeof why)) {
            free(v);
            return usage_error("%s", why);
        }
        for (size_t k = 0; a[k]; k++)
            v[i].symbol[k] = (char)(a[k] >= 'a' && a[k] <= 'z' ? a[k] - 'a' + 'A' : a[k]);
    }
    char err[1024] = "";
    int rc = 1;
    sg_store *s = sg_store_connect(conninfo, err, sizeof err);
    if (s) {
        rc = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = queue(s, &v[i], priority, err, sizeof err) ? 1 : 0;
        fflush(stdout);
        if (rc == 0 && wait)
            rc = wait_for(s, v, n, timeout_s, err, sizeof err) ? 1 : 0;
    }
    if (rc && err[0])
        fprintf(stderr, "sigmactl onboard: %s\n", err);
    sg_store_close(s);
    free(v);
    return rc;
}
