/*
 * migrate_cmd.c - `sigmactl migrate up|down|status`.
 *
 *   sigmactl migrate up     [--steps N] [-d CONNINFO] [--dir DIR]   apply pending migrations (all by default)
 *   sigmactl migrate down   [--steps N | --all] [...]              revert the last one (or N, or all)
 *   sigmactl migrate status [...]                                  applied and pending migrations
 *
 * The database is libpq's: -d takes a conninfo string or URI, and PGHOST,
 * PGPORT, PGUSER, PGDATABASE, PGSSLMODE, .pgpass apply as for psql.
 *
 * The migration files: --dir, else $SIGMA_MIGRATIONS, else the installed
 * PREFIX/share/sigmabatch/migrations beside this program's bin/ (paths.h),
 * else the source tree's migrations/ (a program run from its build tree).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "migrate.h"
#include "paths.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

/* dir: the directory the command would use as the options stand, and from
 * where (--help names them), or NULL. */
static void usage(FILE *f, const char *dir, const char *from)
{
    fputs("usage: sigmactl migrate up [--steps N] [-d CONNINFO] [--dir DIR]\n"
          "       sigmactl migrate down [--steps N | --all] [-d CONNINFO] [--dir DIR]\n"
          "       sigmactl migrate status [-d CONNINFO] [--dir DIR]\n"
          "  -d CONNINFO   libpq connection string or URI (default: the PG* environment)\n"
          "  --dir DIR     migration files (default: $SIGMA_MIGRATIONS, else the installed\n"
          "                PREFIX/share/sigmabatch/migrations beside bin/, else " SG_SOURCE_DIR "/migrations)\n",
          f);
    if (dir)
        fprintf(f, "migrations: %s (%s)\n", dir, from);
}

/* The default directory: $SIGMA_MIGRATIONS, the installed one, the source
 * tree's; *from says which. */
static const char *default_dir(char *buf, size_t len, const char **from)
{
    const char *env = getenv("SIGMA_MIGRATIONS");
    if (env && *env) {
        *from = "$SIGMA_MIGRATIONS";
        return env;
    }
    if (sg_paths_installed(NULL, "migrations", buf, len) == 0) {
        *from = "installed";
        return buf;
    }
    *from = "source tree";
    return SG_SOURCE_DIR "/migrations";
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "sigmactl migrate: ");
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    usage(stderr, NULL, NULL);
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
    char installed[4096];
    const char *from, *conninfo = NULL, *dir = default_dir(installed, sizeof installed, &from);
    int steps = -1, opt;
    bool all = false;
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
        case 'D': dir = optarg, from = "--dir"; break;
        case 'h': usage(stdout, dir, from); return 0;
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
