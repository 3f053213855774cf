/* pgctl.c - see pgctl.h. */
#define _GNU_SOURCE /* nftw */
#include "pgctl.h"

#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define RUNUSER "/usr/sbin/runuser"
#define TMP_PREFIX "/tmp/sigma-pg."
#define PG_TIMEOUT_MS 120000

/* "15" < "16" < "100": compare the version directories as numbers. */
static long version_of(const char *bindir)
{
    const char *v = strstr(bindir, "/postgresql/");
    return v ? strtol(v + strlen("/postgresql/"), NULL, 10) : -1;
}

static int newest_bindir(char *out, size_t len, char *err, size_t errlen)
{
    glob_t g;
    long best = -1;
    out[0] = '\0';
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (version_of(g.gl_pathv[i]) > best && access(g.gl_pathv[i], X_OK) == 0) {
                best = version_of(g.gl_pathv[i]);
                snprintf(out, len, "%.*s", (int)(strrchr(g.gl_pathv[i], '/') - g.gl_pathv[i]), g.gl_pathv[i]);
            }
        globfree(&g);
    }
    if (best < 0) {
        snprintf(err, errlen, "PostgreSQL's server programs: no /usr/lib/postgresql/*/bin/pg_ctl "
                              "(scripts/deps.sh installs the postgresql package)");
        return -1;
    }
    return 0;
}

static int program(char *out, size_t len, const sg_pg *pg, const char *name, char *err, size_t errlen)
{
    if (snprintf(out, len, "%s/%s", pg->bindir, name) >= (int)len) {
        snprintf(err, errlen, "%s: path too long", pg->bindir);
        return -1;
    }
    if (access(out, X_OK)) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

int sg_pg_locate(sg_pg *pg, const char *state, const char *log, char *err, size_t errlen)
{
    memset(pg, 0, sizeof *pg);
    char path[PATH_MAX];
    pg->as_postgres = geteuid() == 0;
    snprintf(pg->log, sizeof pg->log, "%s", log);
    if (snprintf(pg->dir, sizeof pg->dir, "%s/pg", state) >= (int)sizeof pg->dir) {
        snprintf(err, errlen, "%s: path too long", state);
        return -1;
    }
    if (newest_bindir(pg->bindir, sizeof pg->bindir, err, errlen) || program(path, sizeof path, pg, "initdb", err, errlen) ||
        program(path, sizeof path, pg, "pg_ctl", err, errlen))
        return -1;
    if (pg->as_postgres && (access(RUNUSER, X_OK) || !getpwnam("postgres"))) {
        snprintf(err, errlen, "running as root, initdb needs the user postgres and %s: %s", RUNUSER,
                 access(RUNUSER, X_OK) ? strerror(errno) : "no user postgres");
        return -1;
    }
    ssize_t n = readlink(pg->dir, pg->real, sizeof pg->real - 1);
    if (n > 0)
        pg->real[n] = '\0';
    else
        snprintf(pg->real, sizeof pg->real, "%s", pg->dir);
    return 0;
}

/* argv with "runuser -u postgres --" in front when root. */
static int run_pg(const sg_pg *pg, const char *const *args, char *err, size_t errlen)
{
    char *argv[24];
    size_t n = 0;
    if (pg->as_postgres) {
        static char *const prefix[] = {RUNUSER, "-u", "postgres", "--"};
        for (size_t i = 0; i < 4; i++)
            argv[n++] = prefix[i];
    }
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int rc = sg_proc_run(argv, pg->log, PG_TIMEOUT_MS, err, errlen);
    if (rc > 0)
        snprintf(err, errlen, "%s exited with status %d (its output: %s)", args[0], rc, pg->log);
    return rc ? -1 : 0;
}

/* pg_ctl stop -m mode, waiting until the server is gone. */
static int stop_mode(const sg_pg *pg, const char *mode, char *err, size_t errlen)
{
    char pg_ctl[PATH_MAX], data[PATH_MAX + 8];
    if (program(pg_ctl, sizeof pg_ctl, pg, "pg_ctl", err, errlen))
        return -1;
    snprintf(data, sizeof data, "%s/data", pg->real);
    const char *args[] = {pg_ctl, "-D", data, "-m", mode, "-w", "-t", "60", "stop", NULL};
    return run_pg(pg, args, err, errlen);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) && errno == ENOENT)
        return 0;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS)) {
        snprintf(err, errlen, "remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static pid_t postmaster_pid(const sg_pg *pg)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/data/postmaster.pid", pg->real);
    FILE *f = fopen(path, "re");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

/* The previous cluster: STATE/pg, and its /tmp directory when it is a link. */
static int remove_old(const sg_pg *pg, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(pg->dir, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (strncmp(pg->real, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 && rm_tree(pg->real, err, errlen))
            return -1;
        if (unlink(pg->dir)) {
            snprintf(err, errlen, "remove %s: %s", pg->dir, strerror(errno));
            return -1;
        }
        return 0;
    }
    return rm_tree(pg->dir, err, errlen);
}

/* Can the postgres user search every directory down to STATE? */
static bool postgres_reaches(const sg_pg *pg)
{
    char state[PATH_MAX], e[256];
    snprintf(state, sizeof state, "%.*s", (int)(strrchr(pg->dir, '/') - pg->dir), pg->dir);
    char *const argv[] = {RUNUSER, "-u", "postgres", "--", "test", "-x", state, NULL};
    return sg_proc_run(argv, "/dev/null", 30000, e, sizeof e) == 0;
}

static bool socket_fits(const char *dir)
{
    struct sockaddr_un a;
    return strlen(dir) + strlen("/.s.PGSQL.5432") < sizeof a.sun_path;
}

/* STATE/pg itself, or a directory in /tmp and STATE/pg a link to it. */
static int place(sg_pg *pg, char *err, size_t errlen)
{
    if ((!pg->as_postgres || postgres_reaches(pg)) && socket_fits(pg->dir)) {
        snprintf(pg->real, sizeof pg->real, "%s", pg->dir);
        if (mkdir(pg->real, 0700)) {
            snprintf(err, errlen, "mkdir %s: %s", pg->real, strerror(errno));
            return -1;
        }
        return 0;
    }
    snprintf(pg->real, sizeof pg->real, "%sXXXXXX", TMP_PREFIX);
    if (!mkdtemp(pg->real) || chmod(pg->real, 0755) || symlink(pg->real, pg->dir)) {
        snprintf(err, errlen, "a cluster directory in /tmp linked from %s: %s", pg->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int sg_pg_create(sg_pg *pg, char *err, size_t errlen)
{
    char initdb[PATH_MAX], data[PATH_MAX + 8], e[1024];
    /* a server still running there (an up killed before its pidfile was
     * written) is the previous system's: stopped before its files go */
    if (postmaster_pid(pg) > 0 && stop_mode(pg, "immediate", e, sizeof e))
        sg_log(SG_LOG_DEBUG, "%s", e);
    if (remove_old(pg, err, errlen) || place(pg, err, errlen) || program(initdb, sizeof initdb, pg, "initdb", err, errlen))
        return -1;
    if (pg->as_postgres) {
        const struct passwd *pw = getpwnam("postgres");
        if (!pw || chown(pg->real, pw->pw_uid, pw->pw_gid)) {
            snprintf(err, errlen, "chown postgres %s: %s", pg->real, pw ? strerror(errno) : "no user postgres");
            return -1;
        }
    }
    snprintf(data, sizeof data, "%s/data", pg->real);
    const char *args[] = {initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", NULL};
    return run_pg(pg, args, err, errlen);
}

/* 'text' quoted for sh (pg_ctl's -o goes through a shell) or for libpq's
 * conninfo (backslash escapes). */
static void quote(char *out, size_t len, const char *s, bool sh)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s && n + 6 < len; s++) {
        if (*s == '\'')
            n += (size_t)snprintf(out + n, len - n, "%s", sh ? "'\\''" : "\\'");
        else if (*s == '\\' && !sh)
            n += (size_t)snprintf(out + n, len - n, "\\\\");
        else
            out[n++] = *s;
    }
    out[n++] = '\'';
    out[n] = '\0';
}

int sg_pg_start(sg_pg *pg, sg_proc *postmaster, char *conninfo, size_t len, char *err, size_t errlen)
{
    char pg_ctl[PATH_MAX], data[PATH_MAX + 8], sock[2 * PATH_MAX], opts[3 * PATH_MAX], host[2 * PATH_MAX];
    if (program(pg_ctl, sizeof pg_ctl, pg, "pg_ctl", err, errlen))
        return -1;
    snprintf(data, sizeof data, "%s/data", pg->real);
    quote(sock, sizeof sock, pg->real, true);
    /* a scratch server: no TCP, no durability (as scripts/pg.sh) */
    snprintf(opts, sizeof opts,
             "-p %d -k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
             " -c wal_level=minimal -c max_wal_senders=0",
             SG_PG_PORT, sock);
    /* no -l: the server's output goes to pg_ctl's, our log file */
    const char *args[] = {pg_ctl, "-D", data, "-w", "-t", "60", "-o", opts, "start", NULL};
    if (run_pg(pg, args, err, errlen))
        return -1;
    pid_t pid = postmaster_pid(pg);
    if (pid <= 0) {
        snprintf(err, errlen, "%s/postmaster.pid: no pid after pg_ctl start", data);
        return -1;
    }
    if (sg_proc_adopt(postmaster, "postgres", pid, err, errlen))
        return -1;
    quote(host, sizeof host, pg->real, false);
    snprintf(conninfo, len, "host=%s port=%d user=postgres dbname=postgres", host, SG_PG_PORT);
    return 0;
}

int sg_pg_stop(const sg_pg *pg, char *err, size_t errlen)
{
    return stop_mode(pg, "fast", err, errlen);
}
