/*
 * sigmactl - the operator's tool. One subcommand per task:
 *
 *   factors   factor rows of a price file, as oracle.py prints them
 *   metrics   symbol_daily_metrics rows of a price file
 *   local     the main job on the local default (see README.md)
 *   migrate   schema migrations: up, down, status
 *   import-prices, import-profiles   CSV files into the database
 *   compute   a date's factor rows and metrics, database to database
 *   fetch     daily bars from the price providers into the database
 *   synth     a deterministic synthetic universe: prices.csv and Yahoo JSON files
 *
 * Exit codes: 0 done, 1 failed (bad input, I/O), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static void usage(FILE *f)
{
    fputs("usage: sigmactl COMMAND [ARGS]\n"
          "commands:\n"
          "  factors PRICES.csv --date D [...]   factor rows of a price file (CSV on stdout)\n"
          "  metrics PRICES.csv --date D [...]   symbol metrics of a price file (CSV on stdout)\n"
          "  local [--state DIR]                 run the main job on the local default\n"
          "  migrate up|down|status [...]        apply or revert schema migrations\n"
          "  import-prices FILE.csv [-d DB]      validated price rows into market_data_cache\n"
          "  import-profiles FILE.csv [-d DB]    validated rows into company_profiles\n"
          "  compute --date D [...] [-d DB]      factor rows and metrics of a date, in the database\n"
          "  fetch SYMBOL... [--date D] [-d DB]  daily bars from the providers (Yahoo, FMP, Polygon)\n"
          "  synth --end D --out DIR [...]       a synthetic universe: prices.csv, Yahoo JSON\n"
          "run 'sigmactl COMMAND --help' for a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    sg_log_init("sigmactl", SG_LOG_WARN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "factors") == 0)
        return sg_cmd_compute(argc - 1, argv + 1, false);
    if (strcmp(cmd, "metrics") == 0)
        return sg_cmd_compute(argc - 1, argv + 1, true);
    if (strcmp(cmd, "local") == 0)
        return sg_cmd_local(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return sg_cmd_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "import-prices") == 0)
        return sg_cmd_import_prices(argc - 1, argv + 1);
    if (strcmp(cmd, "import-profiles") == 0)
        return sg_cmd_import_profiles(argc - 1, argv + 1);
    if (strcmp(cmd, "compute") == 0)
        return sg_cmd_compute_db(argc - 1, argv + 1);
    if (strcmp(cmd, "fetch") == 0)
        return sg_cmd_fetch(argc - 1, argv + 1);
    if (strcmp(cmd, "synth") == 0)
        return sg_cmd_synth(argc - 1, argv + 1);
    fprintf(stderr, "sigmactl: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
