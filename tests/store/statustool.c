/*
 * statustool - common/status's calls that sigmactl does not expose, for
 * tests/store/status_test.sh (the programs serve them over HTTP):
 *
 *   statustool html CONNINFO [RUN|-] [REFRESH]   the status page on stdout
 *   statustool runs CONNINFO LIMIT               /runs
 *   statustool symbol CONNINFO SYMBOL            /symbols/{symbol}/status
 *   statustool heartbeat CONNINFO ID HOST PID HTTP|- [TOPIC/PARTITION=LAG]...
 *   statustool leave CONNINFO ID
 *
 * Exit 0, 1 with the error on stderr, 2 on a bad command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static int html(sg_store *s, int argc, char **argv, char *err, size_t errlen)
{
    const char *run = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] : NULL;
    sg_status *st;
    if (sg_status_load(s, run, &st, err, errlen))
        return 1;
    char *page = sg_status_html(st, argc > 4 ? argv[4] : NULL);
    sg_status_free(st);
    if (!page)
        return 1;
    fputs(page, stdout);
    free(page);
    return 0;
}

static int print_json(int rc, char **json)
{
    if (rc == 0 && *json)
        printf("%s\n", *json);
    free(*json);
    return rc ? 1 : 0;
}

/* TOPIC/PARTITION=LAG arguments into the member's arrays. */
static int heartbeat(sg_store *s, int argc, char **argv, char *err, size_t errlen)
{
    size_t n = argc > 7 ? (size_t)(argc - 7) : 0;
    const char **parts = calloc(n + 1, sizeof *parts);
    int64_t *lag = calloc(n + 1, sizeof *lag);
    for (size_t i = 0; parts && lag && i < n; i++) {
        char *eq = strrchr(argv[7 + i], '=');
        if (!eq) {
            free(parts);
            free(lag);
            return 2;
        }
        *eq = '\0';
        parts[i] = argv[7 + i];
        lag[i] = strtoll(eq + 1, NULL, 10);
    }
    sg_member m = {argv[3], argv[4], strcmp(argv[6], "-") ? argv[6] : NULL, atoi(argv[5]), parts, lag, n};
    int rc = parts && lag ? sg_status_heartbeat(s, &m, err, errlen) : -1;
    free(parts);
    free(lag);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: statustool html|runs|symbol|heartbeat|leave CONNINFO ...\n", stderr);
        return 2;
    }
    const char *cmd = argv[1];
    char err[1024] = "";
    sg_store *s = sg_store_connect(argv[2], err, sizeof err);
    int rc = 2;
    char *json = NULL;
    if (!s)
        rc = 1;
    else if (strcmp(cmd, "html") == 0)
        rc = html(s, argc, argv, err, sizeof err);
    else if (strcmp(cmd, "runs") == 0 && argc == 4)
        rc = print_json(sg_status_runs_json(s, atoi(argv[3]), &json, err, sizeof err), &json);
    else if (strcmp(cmd, "symbol") == 0 && argc == 4)
        rc = print_json(sg_status_symbol_json(s, argv[3], &json, err, sizeof err), &json);
    else if (strcmp(cmd, "heartbeat") == 0 && argc >= 7)
        rc = heartbeat(s, argc, argv, err, sizeof err);
    else if (strcmp(cmd, "leave") == 0 && argc == 4)
        rc = sg_status_leave(s, argv[3], err, sizeof err) ? 1 : 0;
    if (rc == 1)
        fprintf(stderr, "statustool %s: %s\n", cmd, err);
    else if (rc == 2)
        fprintf(stderr, "statustool: bad command line\n");
    sg_store_close(s);
    return rc;
}
