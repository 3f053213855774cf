/*
 * log.h - one logging macro with levels, one line per event, on stderr.
 *
 * Owns: the program name and verbosity, the line formats, and the context a
 * line carries (run, phase, symbol: set by whoever is working on them, per
 * thread). Three styles:
 *   SG_LOG_CLI   "% sigmactl: error: message" (kcat's "% " prefix keeps
 *                diagnostics apart from data on stdout; sigmactl's default)
 *   SG_LOG_TEXT  "2026-11-27T08:50:01.123Z info sigma-worker run=R phase=prices
 *                symbol=AAPL: message" (the long-running programs' default:
 *                a time on every line, context as key=value)
 *   SG_LOG_JSON  {"time":...,"level":...,"program":...,"run":...,"phase":...,
 *                "symbol":...,"message":...} one object per line (log.format=json)
 * Every line passes a last guard that masks what looks like a secret
 * (password=, apikey=, token=, user:password@ in URLs), whatever its source.
 * Must not: print data (stdout is the programs' data channel), or block on
 * anything but stderr.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stddef.h>

enum sg_log_level { SG_LOG_ERROR = 0, SG_LOG_WARN = 1, SG_LOG_INFO = 2, SG_LOG_DEBUG = 3 };
enum sg_log_style { SG_LOG_CLI = 0, SG_LOG_TEXT, SG_LOG_JSON };

void sg_log_init(const char *program, int level);
int sg_log_level(void);
/* The line format; sg_log_init keeps it. */
void sg_log_style(enum sg_log_style style);
/* "text" or "json" (the setting log.format) to a style of long-running
 * programs; -1 when it is neither. */
int sg_log_style_parse(const char *name);

/* The context of this thread's next lines: NULL or "" leaves a field out.
 * Strings are copied (cut at 64 bytes). sg_log_context(NULL, NULL, NULL)
 * clears it. */
void sg_log_context(const char *run, const char *phase, const char *symbol);

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sg_log_write(int level, const char *fmt, ...);

/* The line sg_log_write would print for a message, without the newline
 * (tests; the guard and the escaping live here). Returns its length. */
size_t sg_log_format(char *out, size_t outlen, int level, const char *message);

/* Masks secrets in s in place (never grows it): the values of password=,
 * apikey=, api_key=, token=, sasl.password= and secret=, and the password
 * of a URL's user:password@. */
void sg_log_mask_secrets(char *s);

/* Milliseconds on the monotonic clock: for timing lines and for schedules. */
double sg_clock_ms(void);

/* The level is checked before the arguments are evaluated. */
#define sg_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= sg_log_level())                                                             \
            sg_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
