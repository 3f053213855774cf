/*
 * config.h - the programs' own settings, in one table (as PgBouncer keeps
 * them): name, environment variable, default, description, and what a value
 * may be (a kind and a range).
 *
 * Owns: the table, reading the environment, `-X name=value` overrides (kcat's
 * habit; names of librdkafka properties will pass through to the bus), `-X
 * list`, and the validation of every value: a value that does not parse or is
 * out of range is an error naming the setting and what is allowed, never a
 * silent default.
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
/* A number (or integer) setting's value. Callers run sg_config_check first:
 * a value that does not parse gives the default's value here. 0 for an
 * unknown name, NAN for a setting that is no number. */
double sg_config_number(const char *name);
/* "name=value": sets an override after checking the value. Returns 0, or -1
 * with a reason in err ("-X http.retries=abc: not an integer (allowed: ...)"). */
int sg_config_set(const char *assignment, char *err, size_t errlen);
/* Checks the value every setting has now (-X, environment or default).
 * Returns 0, or -1 with the first bad one, where it came from and what is
 * allowed in err. Programs call it at start-up: a bad value is a usage error. */
int sg_config_check(char *err, size_t errlen);
/* Forgets every override (frees them). */
void sg_config_reset(void);
/* Prints every setting with its value, where it came from and what it may
 * be; a bad value is marked. Returns the number of bad values. */
int sg_config_list(FILE *out);

#endif
