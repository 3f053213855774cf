/*
 * log.h - one logging macro with levels, one line per event, on stderr.
 *
 * Owns: the program name and verbosity, and the line format
 * "% program: LEVEL: message" (kcat's "% " prefix keeps diagnostics apart from
 * data on stdout). Must not: print data, or anything secret (callers pass
 * connection strings through sg_log_redact first, once later issues need it).
 */
#ifndef SG_LOG_H
#define SG_LOG_H

enum sg_log_level { SG_LOG_ERROR = 0, SG_LOG_WARN = 1, SG_LOG_INFO = 2, SG_LOG_DEBUG = 3 };

void sg_log_init(const char *program, int level);
int sg_log_level(void);

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sg_log_write(int level, const char *fmt, ...);

/* Milliseconds on the monotonic clock: for timing lines and for schedules. */
double sg_clock_ms(void);

/* The level is checked before the arguments are evaluated. */
#define sg_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= sg_log_level())                                                             \
            sg_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
