/*
 * migrate_cmd.c - `sigmactl migrate up|down|status`.
 *
 *   sigmactl migrate up     [--steps N] [-d CONNINFO] [--dir DIR]   apply pending migrations (all by default)
 *   sigmactl migrate down   [--steps N | --all] [...]              revert the last one (or N, or all)
 *   sigmactl migrate status [...]                                  applied and pending migrations
 *
 * The database is libpq's: -d takes a conninfo string or URI, and PGHOST,
 * PGPORT, PGUSER, PGDATABASE, PGSSLMODE, .pgpass apply as for psql.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "migrate.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

static void usage(FILE *f)
{
    fputs("usage: sigmactl migrate up [--steps N] [-d CONNINFO] [--dir DIR]\n"
          "       sigmactl migrate down [--steps N | --all] [-d CONNINFO] [--dir DIR]\n"
          "       sigmactl migrate status [-d CONNINFO] [--dir DIR]\n"
          "  -d CONNINFO   libpq connection string or URI (default: the PG* environment)\n"
          "  --dir DIR     migration files (default: $SIGMA_MIGRATIONS or " SG_SOURCE_DIR "/migrations)\n",
          f);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "sigmactl migrate: ");
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    usage(stderr);
    return 2;
}

int sg_cmd_migrate(int argc, char **argv)
{
    static const struct option longopts[] = {{"steps", required_argument, NULL, 's'},
                                             {"all", no_argument, NULL, 'a'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"dir", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *conninfo = NULL, *dir = getenv("SIGMA_MIGRATIONS");
    int steps = -1, opt;
    bool all = false;
    if (!dir || !*dir)
        dir = SG_SOURCE_DIR "/migrations";
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v <= 0 || v > 100000)
                return usage_error("--steps: '%s' is not a positive number", optarg);
            steps = (int)v;
            break;
        }
        case 'a': all = true; break;
        case 'd': conninfo = optarg; break;
        case 'D': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return usage_error("%s", "expected one of up, down, status");
    const char *action = argv[optind];
    bool up = strcmp(action, "up") == 0, down = strcmp(action, "down") == 0;
    if (!up && !down && strcmp(action, "status") != 0)
        return usage_error("'%s' is not one of up, down, status", action);
    if (all && steps > 0)
        return usage_error("%s", "--steps and --all do not go together");
    if (all && !down)
        return usage_error("%s", "--all is an option of 'migrate down' ('up' applies all by default)");

    char err[1024];
    sg_store *s = sg_store_connect(conninfo, err, sizeof err);
    if (!s) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return 1;
    }
    int rc;
    if (up)
        rc = sg_migrate_up(s, dir, steps, stdout, err, sizeof err);
    else if (down)
        rc = sg_migrate_down(s, dir, all ? 0 : steps > 0 ? steps : 1, stdout, err, sizeof err);
    else
        rc = sg_migrate_status(s, dir, stdout, err, sizeof err);
    if (rc)
        sg_log(SG_LOG_ERROR, "%s", err);
    sg_store_close(s);
    return rc ? 1 : 0;
}
