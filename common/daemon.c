/* daemon.c - see daemon.h. */
#include "daemon.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bus.h"
#include "config.h"
#include "log.h"

volatile sig_atomic_t sg_running = 1;

static void on_signal(int sig)
{
    if (!sg_running)
        _exit(128 + sig); /* the second signal: at once */
    sg_running = 0;
}

void sg_daemon_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

void sg_daemon_sleep_ms(double ms)
{
    for (double end = sg_clock_ms() + ms; sg_running && sg_clock_ms() < end;) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void sg_daemon_release_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0); /* every arena: the top given back, free pages inside madvised away */
#endif
}

void sg_daemon_close(void)
{
    sg_bus_options_reset();
    sg_config_reset();
}

static int usage_error(const sg_daemon *d, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", d->name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", d->usage);
    sg_daemon_close();
    return 2;
}

/* The common options, then the program's own, in one getopt_long table. */
static struct option *options(const struct option *extra)
{
    static const struct option common[] = {{"db", required_argument, NULL, 'd'},
                                           {"brokers", required_argument, NULL, 'b'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {"help", no_argument, NULL, 'h'}};
    static struct option all[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        all[n++] = common[i];
    for (size_t i = 0; extra && extra[i].name && n < sizeof all / sizeof all[0] - 1; i++)
        all[n++] = extra[i];
    memset(&all[n], 0, sizeof all[n]);
    return all;
}

int sg_daemon_configure(sg_daemon *d, int argc, char **argv, const struct option *extra, sg_daemon_option_fn *on_extra,
                        void *ctx)
{
    char err[1024], host[48] = "localhost";
    int opt, verbosity = SG_LOG_WARN;
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(d->id, sizeof d->id, "%s:%ld", host, (long)getpid());
    sg_log_init(d->name, SG_LOG_WARN);
    const struct option *longopts = options(extra);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":d:b:X:F:v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': d->conninfo = optarg; break;
        case 'v': verbosity++; break;
        case 'h': fputs(d->usage, stdout); return 0;
        case 'b':
            if (sg_bus_brokers(optarg, err, sizeof err))
                return usage_error(d, "%s", err);
            break;
        case 'X':
            if (strcmp(optarg, "list") == 0) {
                int bad = sg_config_list(stdout);
                sg_bus_options_print(stdout);
                return bad ? usage_error(d, "%s", "-X list: a setting above is INVALID") : 0;
            }
            if (sg_bus_option(optarg, err, sizeof err))
                return usage_error(d, "%s", err);
            break;
        case 'F':
            if (sg_bus_option_file(optarg, err, sizeof err))
                return usage_error(d, "%s", err);
            break;
        case ':': return usage_error(d, "option '%s' needs a value", argv[optind - 1]);
        case '?': return usage_error(d, "unknown option '%s'", argv[optind - 1]);
        default:
            if (!on_extra || on_extra(opt, optarg, ctx, err, sizeof err))
                return usage_error(d, "%s", on_extra ? err : "unknown option");
        }
    }
    if (optind < argc)
        return usage_error(d, "unexpected argument '%s'", argv[optind]);
    if (sg_config_check(err, sizeof err)) /* environment values and defaults: -X ones were checked as set */
        return usage_error(d, "%s", err);
    sg_log_init(d->name, verbosity > SG_LOG_DEBUG ? SG_LOG_DEBUG : verbosity);
    sg_log_style(sg_log_style_parse(sg_config_get("log.format"))); /* checked above: text or json */
    return -1;
}
