/* commands.h - the subcommands of sigmactl; each returns the exit code. */
#ifndef SG_COMMANDS_H
#define SG_COMMANDS_H

#include <stdbool.h>

int sg_cmd_compute(int argc, char **argv, bool metrics); /* factors, metrics */
int sg_cmd_local(int argc, char **argv);                 /* the local default */
int sg_cmd_migrate(int argc, char **argv);               /* schema migrations */

#endif
