/*
 * up_cmd.c - `sigmactl up`: the whole system on one machine (DESIGN.md §7,
 * docs/local.md).
 *
 *   sigmactl up [--workers N] [--symbols N] [--state DIR] [--port P] [-v]
 *
 * The story: the checks (the programs, the state directory, its lock, a system
 * already there, the ports) -> a throwaway PostgreSQL, migrated -> a synthetic
 * universe, registered in symbol_universe -> `sigmactl broker` -> the
 * coordinator, N workers and the producer, each detached with a pidfile and
 * awaited on its /readyz -> the lock released -> up_run.c: a nightly run and
 * onboarding, their progress, the summary.
 * Owns: the order, the deadlines and what is said when something fails (who,
 * the end of its log); stopping what it started when it gives up.
 * Must not: leave a half-started system (every failure stops what was
 * started), or signal a process it did not start (proc.h).
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "netcheck.h"
#include "store.h"
#include "up.h"

#define READY_MS 90000  /* each component's deadline to answer /readyz 200 */
#define BROKER_MS 30000 /* the broker's to write its address */
#define SETUP_MS 300000 /* a setup command's (migrate, synth) */
#define STOP_MS 30000   /* SIGTERM to SIGKILL */
#define TAIL_LINES 12

volatile sig_atomic_t sg_up_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    sg_up_interrupted = 1;
}

static void usage(FILE *f)
{
    fputs("usage: sigmactl up [--workers N] [--symbols N] [--state DIR] [--port P] [-v]\n"
          "  brings up the whole system on this machine: a throwaway PostgreSQL, the mock Kafka broker,\n"
          "  sigma-producer, sigma-coordinator and N sigma-workers (each detached, logging to\n"
          "  DIR/logs/NAME.log); runs a nightly run on a synthetic universe and onboards a few symbols,\n"
          "  shows their progress and a summary. The system keeps running: sigmactl down stops it.\n"
          "  --workers N  sigma-worker processes (1..32, default 2)\n"
          "  --symbols N  stocks in the night's universe (1..10000, default 200)\n"
          "  --state DIR  the state directory (default $SIGMA_STATE, else ./state/local)\n"
          "  --port P     the coordinator's status page on 127.0.0.1:P (default 8480); the producer\n"
          "               serves on P+1, the workers on P+2..P+1+N\n"
          "  -v           say more (each command started)\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl up", usage, fmt, arg);
}

/* Plain decimal in lo..hi, else -1. */
static int parse_int(const char *s, int lo, int hi)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
        return -1;
    int v = atoi(s);
    return v < lo || v > hi ? -1 : v;
}

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, sg_up *u, const char **state)
{
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'}, {"symbols", required_argument, NULL, 's'},
        {"state", required_argument, NULL, 'S'},   {"port", required_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *port = NULL;
    int opt;
    u->workers = 2, u->symbols = 200, u->port = 8480;
    *state = getenv("SIGMA_STATE") && *getenv("SIGMA_STATE") ? getenv("SIGMA_STATE") : "state/local";
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            if ((u->workers = parse_int(optarg, 1, SG_UP_MAX_WORKERS)) < 0)
                return usage_error("--workers: '%s' is not a number of workers in 1..32", optarg);
            break;
        case 's':
            if ((u->symbols = parse_int(optarg, 1, 10000)) < 0)
                return usage_error("--symbols: '%s' is not a number of stocks in 1..10000", optarg);
            break;
        case 'S': *state = optarg; break;
        case 'p': port = optarg; break;
        case 'v': u->verbose++; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!**state)
        return usage_error("%s", "--state: empty directory name");
    /* checked after --workers: the workers' ports must fit too */
    if (port && (u->port = parse_int(port, 1024, 65534 - u->workers)) < 0) {
        char range[64];
        snprintf(range, sizeof range, "1024..%d", 65534 - u->workers);
        fprintf(stderr, "sigmactl up: --port: '%s' is not a port in %s (P..P+1+workers are used)\n", port, range);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* ---- messages ---------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sigmactl up: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* Appends ", s" (or s to an empty list); a list that would overflow ends in "...". */
static void append(char *list, size_t len, const char *s)
{
    size_t n = strlen(list), need = strlen(s) + (n ? 2 : 0);
    if (n + need + 4 >= len) {
        if (n + 4 < len && strcmp(list + (n >= 3 ? n - 3 : 0), "...") != 0)
            strcat(list, "...");
        return;
    }
    if (n)
        strcat(list, ", ");
    strcat(list, s);
}

/* "  name         text" */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void step(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %-12s ", name);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

static void log_path(const sg_up *u, const char *name, char *out, size_t len)
{
    if (sg_upstate_path(&u->st, out, len, "logs/%s.log", name))
        snprintf(out, len, "/dev/null");
}

/* ---- the checks ---------------------------------------------------------------- */

/* The programs live next to sigmactl: the same build. */
static int find_programs(sg_up *u)
{
    ssize_t n = readlink("/proc/self/exe", u->self, sizeof u->self - 1);
    if (n <= 0)
        return fail("/proc/self/exe: %s", strerror(errno));
    u->self[n] = '\0';
    char tmp[PATH_MAX];
    memcpy(tmp, u->self, (size_t)n + 1);
    snprintf(u->bindir, sizeof u->bindir, "%s", dirname(tmp));
    const char *progs[] = {"sigma-producer", "sigma-coordinator", "sigma-worker"};
    for (size_t i = 0; i < 3; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", u->bindir, progs[i]);
        if (access(path, X_OK))
            return fail("missing program %s: %s (the programs live next to sigmactl; scripts/build.sh builds them)",
                        path, strerror(errno));
    }
    return 0;
}

/* A system in the state dir already: all alive is "already up" (0), some
 * dead is an error (1); none alive: stale pidfiles, removed (-1: go on). */
static int existing(sg_up *u)
{
    sg_proc v[SG_UP_MAX_PROCS];
    size_t n = sg_upstate_procs(&u->st, v, SG_UP_MAX_PROCS), alive = 0;
    char dead[1024] = "";
    for (size_t i = 0; i < n; i++) {
        if (sg_proc_ours(&v[i]))
            alive++;
        else
            append(dead, sizeof dead, v[i].name);
    }
    /* the system file is written once every program was started: without it
     * the processes alive are a start that never finished (an up killed) */
    if (n && alive == n && sg_upstate_load_sys(&u->st, &u->sys) == 0) {
        printf("sigmactl up: already up in %s (%zu processes running); nothing started\n", u->st.dir, n);
        sg_up_addresses(stdout, u);
        return 0;
    }
    if (n && alive == n) {
        fail("a start in %s did not finish (%zu processes running, no run/system); run sigmactl down --state %s first",
             u->st.dir, n, u->st.dir);
        return 1;
    }
    if (alive) {
        fail("a system in %s is partly running: %s not running (see %s/logs/); run sigmactl down --state %s first",
             u->st.dir, dead, u->st.dir, u->st.dir);
        return 1;
    }
    if (n && u->verbose)
        printf("  (removing the pidfiles of a system that is gone: %s)\n", dead);
    sg_upstate_forget(&u->st);
    return -1;
}

/* Every port free before anything starts, each named with its component. */
static int ports_free(const sg_up *u)
{
    char why[256], role[32];
    for (int i = 0; i < u->workers + 2; i++) {
        int port = u->port + i;
        if (i == 0)
            snprintf(role, sizeof role, "coordinator status page");
        else if (i == 1)
            snprintf(role, sizeof role, "producer");
        else
            snprintf(role, sizeof role, "worker w%d", i - 1);
        if (sg_netcheck_port_free(port, why, sizeof why))
            return fail("port %d (%s) is in use: %s; choose another with --port (it uses %d..%d)", port, role, why,
                        u->port, u->port + u->workers + 1);
    }
    return 0;
}

/* ---- stopping what was started -------------------------------------------------- */

static sg_up_comp *comp_named(sg_up *u, const char *name)
{
    for (size_t i = 0; i < u->ncomps; i++)
        if (strcmp(u->comps[i].p.name, name) == 0)
            return &u->comps[i];
    return NULL;
}

/* The programs, then the broker, then PostgreSQL; the pidfiles removed. */
static void stop_started(sg_up *u)
{
    sg_proc v[SG_UP_MAX_PROCS];
    size_t n = 0;
    char err[1024], names[1024] = "";
    for (size_t i = u->ncomps; i-- > 0;)
        if (strcmp(u->comps[i].p.name, "postgres") && strcmp(u->comps[i].p.name, "broker"))
            v[n++] = u->comps[i].p;
    sg_up_comp *b = comp_named(u, "broker"), *pg = comp_named(u, "postgres");
    sg_proc_stop(v, n, STOP_MS, NULL);
    if (b)
        sg_proc_stop(&b->p, 1, STOP_MS, NULL);
    if (pg && sg_proc_ours(&pg->p) && sg_pg_stop(&u->pg, err, sizeof err))
        fail("stopping PostgreSQL: %s", err);
    for (size_t i = 0; i < u->ncomps; i++)
        append(names, sizeof names, u->comps[i].p.name);
    sg_upstate_forget(&u->st);
    if (u->ncomps)
        fprintf(stderr, "sigmactl up: stopped what it had started: %s\n", names);
    u->ncomps = 0;
}

/* ---- starting ------------------------------------------------------------------ */

/* An argv built in one buffer. */
typedef struct args {
    char *v[64];
    int n;
    bool bad;
    char buf[24576];
    size_t used;
} args;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void arg(args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof a->buf - a->used;
    int n = vsnprintf(a->buf + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room || a->n >= 62) {
        a->bad = true;
        return;
    }
    a->v[a->n++] = a->buf + a->used;
    a->v[a->n] = NULL;
    a->used += (size_t)n + 1;
}

static void show_command(const sg_up *u, const args *a)
{
    if (!u->verbose)
        return;
    fputs("  $", stdout);
    for (int i = 0; i < a->n; i++) {
        const char *v = a->v[i];
        if (!strpbrk(v, " '\"$\\{}*?;&|<>()")) {
            printf(" %s", v);
            continue;
        }
        fputs(" '", stdout); /* as sh reads it back: ' becomes '\'' */
        for (; *v; v++) {
            if (*v == '\'')
                fputs("'\\''", stdout);
            else
                putchar(*v);
        }
        putchar('\'');
    }
    putchar('\n');
}

/* A sigmactl command run to its end (migrate, synth), output in logs/setup.log. */
static int setup_command(sg_up *u, args *a, const char *what)
{
    char log[PATH_MAX], err[1024];
    log_path(u, "setup", log, sizeof log);
    show_command(u, a);
    int rc = a->bad ? -1 : sg_proc_run(a->v, log, SETUP_MS, err, sizeof err);
    if (rc == 0)
        return 0;
    char tail[2048];
    sg_proc_log_tail(log, TAIL_LINES, tail, sizeof tail);
    if (rc > 0)
        snprintf(err, sizeof err, "exited with status %d", rc);
    return fail("%s: %s; the end of %s:\n%s", what, a->bad ? "arguments too long" : err, log, tail);
}

/* Spawns one long-running program and records its pidfile. */
static int spawn(sg_up *u, args *a, const char *name, const char *prog, const char *role, int port)
{
    char log[PATH_MAX], err[1024];
    sg_up_comp *c = &u->comps[u->ncomps];
    memset(c, 0, sizeof *c);
    log_path(u, name, log, sizeof log);
    show_command(u, a);
    if (a->bad)
        return fail("%s: arguments too long", name);
    if (sg_proc_spawn(&c->p, name, a->v, log, err, sizeof err))
        return fail("cannot start %s: %s", name, err);
    c->port = port, c->role = role, c->prog = prog;
    u->ncomps++;
    if (sg_upstate_save_proc(&u->st, &c->p, err, sizeof err))
        return fail("the pidfile of %s: %s", name, err);
    return 0;
}

static double seconds_since(double t0)
{
    return (sg_clock_ms() - t0) / 1000.0;
}

static int start_postgres(sg_up *u)
{
    char log[PATH_MAX], err[2048];
    double t0 = sg_clock_ms();
    log_path(u, "postgres", log, sizeof log);
    sg_up_comp *c = &u->comps[u->ncomps];
    memset(c, 0, sizeof *c);
    if (sg_pg_locate(&u->pg, u->st.dir, log, err, sizeof err) || sg_pg_create(&u->pg, err, sizeof err) ||
        sg_pg_start(&u->pg, &c->p, u->sys.db, sizeof u->sys.db, err, sizeof err))
        return fail("PostgreSQL: %s", err);
    c->prog = "postgres", c->role = "PostgreSQL";
    u->ncomps++;
    if (sg_upstate_save_proc(&u->st, &c->p, err, sizeof err))
        return fail("the pidfile of postgres: %s", err);
    step("postgres", "ready in %.1f s (pid %ld, socket in %s)", seconds_since(t0), (long)c->p.pid, u->pg.real);
    return 0;
}

/* The stocks S0001..S<symbols> as the app registers them: active rows of
 * symbol_universe, so the run's own symbol list (FACTOR_SPEC §1.2) is used. */
static int register_universe(sg_up *u)
{
    char err[1024], n[16], width[16], name[16];
    snprintf(n, sizeof n, "%d", u->symbols);
    snprintf(width, sizeof width, "%d", sg_up_stock(u->symbols, 1, name));
    const char *p[3] = {n, width, SG_UP_DATE};
    sg_store *s = sg_store_connect(u->sys.db, err, sizeof err);
    PGresult *r = s ? sg_store_query(s, "register the universe",
                                     "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source, first_seen_date)"
                                     " SELECT 'S' || lpad(i::text, $2::int, '0'), 'stock', true, 'sigmactl up', $3::date - 400"
                                     " FROM generate_series(1, $1::int) i ON CONFLICT (symbol) DO NOTHING",
                                     3, p, err, sizeof err)
                    : NULL;
    PQclear(r);
    sg_store_close(s);
    return r ? 0 : fail("%s", err);
}

static int prepare_data(sg_up *u)
{
    char out[PATH_MAX];
    args a = {.n = 0};
    arg(&a, "%s", u->self), arg(&a, "migrate"), arg(&a, "up"), arg(&a, "-d"), arg(&a, "%s", u->sys.db);
    if (setup_command(u, &a, "sigmactl migrate up"))
        return -1;
    if (sg_upstate_path(&u->st, out, sizeof out, "synth"))
        return fail("%s: path too long", u->st.dir);
    args b = {.n = 0};
    arg(&b, "%s", u->self), arg(&b, "synth"), arg(&b, "--symbols"), arg(&b, "%d", u->symbols + SG_UP_ONBOARD);
    arg(&b, "--days"), arg(&b, "%d", SG_UP_DAYS), arg(&b, "--end"), arg(&b, SG_UP_DATE), arg(&b, "--out"),
        arg(&b, "%s", out);
    if (setup_command(u, &b, "sigmactl synth") || register_universe(u))
        return -1;
    step("universe", "the 8 factor ETFs and %d stocks, %d days to %s, as Yahoo chart JSON in %s/yahoo", u->symbols + SG_UP_ONBOARD,
         SG_UP_DAYS, SG_UP_DATE, out);
    return 0;
}

/* Reports a component that exited: its name, status and the end of its log. */
static int died(sg_up *u, const sg_up_comp *c, int status)
{
    char log[PATH_MAX], tail[4096];
    log_path(u, c->p.name, log, sizeof log);
    sg_proc_log_tail(log, TAIL_LINES, tail, sizeof tail);
    char how[48] = "exited";
    if (status >= 0)
        snprintf(how, sizeof how, "exited with status %d", status);
    return fail("%s (%s) %s while starting; the end of %s:\n%s", c->p.name, c->prog, how, log, tail);
}

/* Has any started component exited? Reports the first one. */
static int any_died(sg_up *u)
{
    for (size_t i = 0; i < u->ncomps; i++) {
        int st;
        if (sg_proc_exited(&u->comps[i].p, &st))
            return died(u, &u->comps[i], st);
    }
    return 0;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short: the loops look at the flag */
}

static int start_broker(sg_up *u)
{
    char addr_file[PATH_MAX];
    double t0 = sg_clock_ms();
    if (sg_upstate_path(&u->st, addr_file, sizeof addr_file, "run/broker.addr"))
        return fail("%s: path too long", u->st.dir);
    unlink(addr_file);
    args a = {.n = 0};
    /* a worker without a partition is never ready: at least one each */
    arg(&a, "%s", u->self), arg(&a, "broker"), arg(&a, "--partitions"), arg(&a, "%d", u->workers > 12 ? u->workers : 12);
    arg(&a, "--address-file"), arg(&a, "%s", addr_file);
    if (spawn(u, &a, "broker", "sigmactl broker", "broker", 0))
        return -1;
    for (;;) {
        FILE *f = fopen(addr_file, "re");
        if (f) {
            char *ok = fgets(u->sys.brokers, sizeof u->sys.brokers, f);
            fclose(f);
            u->sys.brokers[strcspn(u->sys.brokers, "\n")] = '\0';
            if (ok && u->sys.brokers[0])
                break;
        }
        if (any_died(u))
            return -1;
        if (sg_up_interrupted)
            return fail("interrupted");
        if (seconds_since(t0) * 1000 > BROKER_MS)
            return fail("the broker wrote no address to %s within %d s", addr_file, BROKER_MS / 1000);
        nap_ms(50);
    }
    step("broker", "ready in %.1f s (pid %ld, %s)", seconds_since(t0), (long)u->comps[u->ncomps - 1].p.pid,
         u->sys.brokers);
    return 0;
}

/* What every program gets: the database, the broker, its HTTP server. */
static void common_args(const sg_up *u, args *a, const char *prog, int port)
{
    arg(a, "%s/%s", u->bindir, prog), arg(a, "-d"), arg(a, "%s", u->sys.db), arg(a, "--brokers");
    arg(a, "%s", u->sys.brokers), arg(a, "-X"), arg(a, "serve.address=127.0.0.1"), arg(a, "-X");
    arg(a, "serve.port=%d", port), arg(a, "-v");
}

static int start_programs(sg_up *u)
{
    static char roles_[SG_UP_MAX_WORKERS][24], names[SG_UP_MAX_WORKERS][16];
    args a = {.n = 0};
    /* short session timeouts: a killed worker's partitions move within seconds */
    common_args(u, &a, "sigma-coordinator", u->port);
    arg(&a, "-X"), arg(&a, "coordinator.poll_ms=200"), arg(&a, "-X"), arg(&a, "session.timeout.ms=6000");
    if (spawn(u, &a, "coordinator", "sigma-coordinator", "coordinator status page", u->port))
        return -1;
    for (int i = 0; i < u->workers; i++) {
        int port = u->port + 2 + i;
        args w = {.n = 0};
        snprintf(names[i], sizeof names[i], "w%d", i + 1);
        snprintf(roles_[i], sizeof roles_[i], "worker w%d", i + 1);
        common_args(u, &w, "sigma-worker", port);
        arg(&w, "--id"), arg(&w, "%s", names[i]), arg(&w, "-X"), arg(&w, "session.timeout.ms=6000");
        arg(&w, "-X"), arg(&w, "worker.batch_wait_ms=100"), arg(&w, "-X"), arg(&w, "provider.order=yahoo");
        arg(&w, "-X"), arg(&w, "provider.yahoo.url=file://%s/synth/yahoo/{symbol}.json", u->st.dir);
        if (spawn(u, &w, names[i], "sigma-worker", roles_[i], port))
            return -1;
    }
    args p = {.n = 0};
    common_args(u, &p, "sigma-producer", u->port + 1);
    arg(&p, "-X"), arg(&p, "producer.poll_ms=200"), arg(&p, "-X"), arg(&p, "onboarding.date=%s", SG_UP_DATE);
    return spawn(u, &p, "producer", "sigma-producer", "producer", u->port + 1);
}

/* Polls every program's /readyz until each answered 200, one deadline for all. */
static int await_ready(sg_up *u)
{
    double t0 = sg_clock_ms();
    char what[SG_UP_MAX_PROCS][256];
    memset(what, 0, sizeof what);
    for (;;) {
        size_t waiting = 0;
        if (any_died(u))
            return -1;
        for (size_t i = 0; i < u->ncomps; i++) {
            sg_up_comp *c = &u->comps[i];
            if (!c->port || c->ready)
                continue;
            if ((c->ready = sg_netcheck_ready(c->port, 1000, what[i], sizeof what[i])))
                step(c->p.name, "ready in %.1f s (pid %ld, http://127.0.0.1:%d/)", seconds_since(t0), (long)c->p.pid,
                     c->port);
            else
                waiting++;
        }
        if (!waiting)
            return 0;
        if (sg_up_interrupted)
            return fail("interrupted");
        if (seconds_since(t0) * 1000 > READY_MS) {
            for (size_t i = 0; i < u->ncomps; i++)
                if (u->comps[i].port && !u->comps[i].ready) {
                    char log[PATH_MAX], tail[4096];
                    log_path(u, u->comps[i].p.name, log, sizeof log);
                    sg_proc_log_tail(log, TAIL_LINES, tail, sizeof tail);
                    return fail("%s (%s) not ready within %d s (%s); the end of %s:\n%s", u->comps[i].p.name,
                                u->comps[i].prog, READY_MS / 1000, what[i], log, tail);
                }
        }
        nap_ms(100);
    }
}

/* Each up starts with empty logs: what they hold is this system's. */
static void clear_logs(const sg_up *u)
{
    char pattern[PATH_MAX];
    glob_t g;
    if (sg_upstate_path(&u->st, pattern, sizeof pattern, "logs/*.log") || glob(pattern, 0, NULL, &g))
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        unlink(g.gl_pathv[i]);
    globfree(&g);
}

static int start_all(sg_up *u)
{
    char err[1024];
    clear_logs(u);
    printf("sigmactl up: starting the local default in %s\n", u->st.dir);
    fflush(stdout);
    u->sys.port = u->port, u->sys.workers = u->workers;
    snprintf(u->sys.date, sizeof u->sys.date, "%s", SG_UP_DATE);
    if (start_postgres(u) || prepare_data(u) || start_broker(u) || start_programs(u))
        return -1;
    if (sg_upstate_save_sys(&u->st, &u->sys, err, sizeof err))
        return fail("%s", err);
    return await_ready(u);
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* a closed terminal while starting: stop what was started */
}

/* The checks and the start; returns -1 when the system is up, else the exit code. */
static int bring_up(sg_up *u, const char *state)
{
    char err[2048];
    long holder;
    if (find_programs(u))
        return 1;
    if (sg_upstate_open(&u->st, state, true, err, sizeof err))
        return fail("cannot use the state directory %s: %s", state, err);
    int rc = sg_upstate_lock(&u->st, &holder, err, sizeof err);
    if (rc < 0)
        return fail("%s", err);
    if (rc > 0)
        return fail("%s is locked by another sigmactl up starting a system there (pid %ld); wait for it, or stop it",
                    u->st.dir, holder);
    if ((rc = existing(u)) >= 0 || (rc = ports_free(u)) > 0)
        return rc;
    install_signals();
    if (start_all(u)) {
        stop_started(u);
        return sg_up_interrupted ? 130 : 1;
    }
    sg_upstate_unlock(&u->st);
    return -1;
}

int sg_cmd_up(int argc, char **argv)
{
    sg_log_init("sigmactl up", SG_LOG_WARN);
    sg_up *u = calloc(1, sizeof *u);
    if (!u) {
        fputs("sigmactl up: out of memory\n", stderr);
        return 1;
    }
    const char *state;
    u->st.lock_fd = -1;
    int rc = parse(argc, argv, u, &state);
    if (rc < 0)
        rc = bring_up(u, state);
    if (rc < 0)
        rc = sg_up_run(u);
    sg_netcheck_done();
    sg_upstate_close(&u->st);
    free(u);
    return rc;
}
