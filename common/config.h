/*
 * config.h - the programs' own settings, in one table (as PgBouncer keeps
 * them): name, environment variable, default, description.
 *
 * Owns: the table, reading the environment, `-X name=value` overrides (kcat's
 * habit; names of librdkafka properties will pass through to the bus), and
 * `-X list`. A value is looked up by name; parsing numbers is the caller's.
 * Must not: hold secrets: API keys are read from their environment variables
 * by the providers and never enter this table, so they never print.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* Returns the value of a setting (override, environment, default), or NULL
 * for an unknown name. */
const char *sg_config_get(const char *name);
/* A number setting; the default's value when the setting does not parse. */
double sg_config_number(const char *name);
/* "name=value": sets an override. Returns 0, or -1 with a reason in err. */
int sg_config_set(const char *assignment, char *err, size_t errlen);
/* Forgets every override (frees them). */
void sg_config_reset(void);
/* Prints every setting with its value and where it came from. */
void sg_config_list(FILE *out);

#endif
