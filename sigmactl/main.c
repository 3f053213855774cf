/*
 * sigmactl - the operator's tool. One subcommand per task:
 *
 *   factors   factor rows of a price file, as oracle.py prints them
 *   metrics   symbol_daily_metrics rows of a price file
 *   up        the whole system on this machine: the local default (README.md)
 *   down      stops what up started
 *   local     the engine alone on the sample universe
 *   migrate   schema migrations: up, down, status
 *   import-prices, import-profiles   CSV files into the database
 *   compute   a date's factor rows and metrics, database to database
 *   fetch     daily bars from the price providers into the database
 *   synth     a deterministic synthetic universe: prices.csv and Yahoo JSON files
 *   broker    librdkafka's mock Kafka cluster on loopback, for development and tests
 *   run       asks for the nightly run of a date (sigma-producer starts it)
 *   onboard   queues symbols for onboarding, as the web app does
 *   replay    republishes tasks from a topic's offsets (after a failure was fixed)
 *   status    the progress of a nightly run, the onboarding queue and the workers
 *   probe     one HTTP GET, exit 0 on 200: the health check of containers and units
 *
 * Exit codes: 0 done, 1 failed (bad input, I/O), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "log.h"

static int cmd_factors(int argc, char **argv)
{
    return sg_cmd_compute(argc, argv, false);
}

static int cmd_metrics(int argc, char **argv)
{
    return sg_cmd_compute(argc, argv, true);
}

/* Every command in one table: the dispatch and the usage come from it. */
static const struct command {
    const char *name, *synopsis, *doc;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"factors", "PRICES.csv --date D [...]", "factor rows of a price file (CSV on stdout)", cmd_factors},
    {"metrics", "PRICES.csv --date D [...]", "symbol metrics of a price file (CSV on stdout)", cmd_metrics},
    {"up", "[--workers N] [--symbols N] [...]", "the whole system on this machine (the local default)", sg_cmd_up},
    {"down", "[--state DIR]", "stop what up started", sg_cmd_down},
    {"local", "[--state DIR]", "the engine alone on the sample universe", sg_cmd_local},
    {"migrate", "up|down|status [...]", "apply or revert schema migrations", sg_cmd_migrate},
    {"import-prices", "FILE.csv [-d DB]", "validated price rows into market_data_cache", sg_cmd_import_prices},
    {"import-profiles", "FILE.csv [-d DB]", "validated rows into company_profiles", sg_cmd_import_profiles},
    {"compute", "--date D [...] [-d DB]", "factor rows and metrics of a date, in the database", sg_cmd_compute_db},
    {"fetch", "SYMBOL... [--date D] [-d DB]", "daily bars from the providers (Yahoo, FMP, Polygon)", sg_cmd_fetch},
    {"synth", "--end D --out DIR [...]", "a synthetic universe: prices.csv, Yahoo JSON", sg_cmd_synth},
    {"broker", "[--partitions N] [...]", "a Kafka broker for development (librdkafka mock)", sg_cmd_broker},
    {"run", "--date D|today [--symbols A,B] [-d DB]", "ask for the nightly run of a date (sigma-producer)", sg_cmd_run},
    {"onboard", "SYMBOL... [--wait] [...]", "queue symbols for onboarding, as the web app does", sg_cmd_onboard},
    {"replay", "--topic T (--from-offset N|--since T)", "republish tasks from a topic's offsets", sg_cmd_replay},
    {"status", "[RUN] [--json] [--watch]", "progress of a run, the onboarding queue, the workers", sg_cmd_status},
    {"probe", "URL [--timeout S]", "GET URL, exit 0 on 200 (health checks: /healthz, /readyz)", sg_cmd_probe},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fputs("usage: sigmactl COMMAND [ARGS]\ncommands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %s", commands[i].name, commands[i].synopsis);
        fprintf(f, "  %-36s %s\n", line, commands[i].doc);
    }
    fputs("run 'sigmactl COMMAND --help' for a command's options.\n", f);
}

int sg_cmd_usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", cmd);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    sg_log_init("sigmactl", SG_LOG_WARN);
    /* The operator's tool keeps its "% sigmactl: ..." lines unless JSON is asked
     * for; a bad SIGMA_LOG_FORMAT is refused by the commands' setting check. */
    if (sg_log_style_parse(sg_config_get("log.format")) == SG_LOG_JSON)
        sg_log_style(SG_LOG_JSON);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sigmactl: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
