/*
 * bulkfetch.c - one bulk request through the providers' code path (bulk.h,
 * the fetcher) and, with -d, the rows of the listed symbols stored the way a
 * worker stores a bulk day (sg_store_write_bar_rows, one transaction), timed.
 * For tests/providers/bulk_test.sh and bench/fetch.
 *
 *   bulkfetch DAY [-d CONNINFO] [--symbols FILE] [-X name=value]...
 *
 * The provider is the bulk provider of provider.order (the first with a bulk
 * endpoint and its API key). Prints one line on stdout:
 *   provider P status ok|not-served|failed rows R symbols S not_symbols N bad B fetch_s F
 *   [stored K missing M refused X store_s T] [why: ...]
 * Exit 0 when the request was served (and stored), 1 otherwise, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "config.h"
#include "fetcher.h"
#include "log.h"
#include "store.h"
#include "store_io.h"

typedef struct unit {
    const char *const *symbols;
    const sg_bar *bars;
    size_t n;
    const char *source;
} unit;

static int store(sg_store *s, void *arg, char *err, size_t errlen)
{
    unit *u = arg;
    return sg_store_write_bar_rows(s, u->symbols, u->bars, u->n, u->source, err, errlen);
}

/* The symbols of a file, one a line. */
static char **read_symbols(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[128], **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!f)
        return NULL;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!*line)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = strdup(line)))
            break;
        (*n)++;
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    char err[1024];
    const char *why, *conninfo = NULL, *file = NULL;
    sg_day day;
    if (argc < 2 || sg_day_parse(argv[1], strlen(argv[1]), &day, &why)) {
        fprintf(stderr, "usage: bulkfetch DAY [-d CONNINFO] [--symbols FILE] [-X name=value]...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bulkfetch: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "-X") == 0 && sg_config_set(v, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 2;
        } else if (strcmp(argv[i], "-d") == 0)
            conninfo = v;
        else if (strcmp(argv[i], "--symbols") == 0)
            file = v;
        else if (strcmp(argv[i], "-X") != 0) {
            fprintf(stderr, "bulkfetch: unknown argument %s\n", argv[i]);
            return 2;
        }
        i++;
    }
    sg_log_init("bulkfetch", SG_LOG_WARN);
    sg_provider order[SG_NPROVIDERS], p;
    int norder = sg_provider_order(sg_config_get("provider.order"), order);
    if (!sg_bulk_provider(order, norder, &p)) {
        printf("provider none status not-served why: %s\n", sg_bulk_none_reason(order, norder, err, sizeof err));
        return 1;
    }
    sg_fetch_job job = {.symbol = "bulk", .bulk = true, .day = day};
    double t0 = sg_clock_ms();
    if (sg_fetch_run(&job, 1, &p, 1, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, "bulkfetch: %s\n", err);
        return 1;
    }
    double t1 = sg_clock_ms();
    const char *status = job.status == SG_FETCH_OK ? "ok" : job.status == SG_FETCH_FAILED ? "failed" : "not-served";
    printf("provider %s status %s rows %zu symbols %zu not_symbols %zu bad %zu fetch_s %.3f", sg_provider_name(p), status,
           job.rows.rows, job.rows.n, job.rows.not_symbols, job.rows.bad, (t1 - t0) / 1e3);
    int rc = job.status == SG_FETCH_OK ? 0 : 1;
    if (rc == 0 && conninfo && file) {
        size_t n, k = 0, missing = 0, refused = 0;
        char **sym = read_symbols(file, &n);
        const char **pick = calloc(n + 1, sizeof *pick);
        sg_bar *bars = calloc(n + 1, sizeof *bars);
        sg_store *s = sym && pick && bars ? sg_store_connect(conninfo, err, sizeof err) : NULL;
        for (size_t i = 0; s && i < n; i++) {
            const sg_bulk_row *r = sg_bulk_find(&job.rows, sym[i]);
            if (!r)
                missing++;
            else if (r->why[0])
                refused++;
            else {
                pick[k] = r->symbol;
                bars[k++] = r->bar;
            }
        }
        unit u = {pick, bars, k, sg_provider_data_source(p)};
        double t2 = sg_clock_ms();
        if (!s || sg_store_unit(s, "bulk store", store, &u, err, sizeof err)) {
            printf(" store failed: %s", s ? err : "cannot connect or out of memory");
            rc = 1;
        } else
            printf(" stored %zu missing %zu refused %zu store_s %.3f", k, missing, refused, (sg_clock_ms() - t2) / 1e3);
        sg_store_close(s);
        for (size_t i = 0; sym && i < n; i++)
            free(sym[i]);
        free(sym);
        free(pick);
        free(bars);
    }
    if (job.status != SG_FETCH_OK)
        printf(" why: %s", job.why);
    printf("\n");
    sg_fetch_job_free(&job);
    sg_config_reset();
    return rc;
}
