/*
 * daemon.h - what every long-running program shares: its command line, its
 * name and id, and its signals.
 *
 * Owns: the options sigma-producer, sigma-worker and sigma-coordinator all
 * take (-d CONNINFO, --brokers LIST, -X name=value and -X list, -v, --help)
 * plus those a program adds; usage errors (exit 2 with the usage, as kcat
 * does); the check of every setting before anything starts; the log's name
 * and level; the program's id (HOST:PID); SIGTERM and SIGINT (the first asks
 * the loop to stop after the step in hand, a second exits at once).
 * Must not: connect to anything, or know what a program does.
 */
#ifndef SG_DAEMON_H
#define SG_DAEMON_H

#include <getopt.h>
#include <signal.h>
#include <stddef.h>

/* 1 until SIGTERM or SIGINT: the programs' loops run while it is set. */
extern volatile sig_atomic_t sg_running;

typedef struct sg_daemon {
    const char *name;  /* in: "sigma-worker" */
    const char *usage; /* in: the whole usage text, "usage: ..." first */
    const char *conninfo; /* -d, or NULL for the PG* environment */
    char id[72];          /* HOST:PID (a program may override it) */
} sg_daemon;

/* A program's own option: called with getopt's key and argument; returns 0,
 * or -1 with a reason in err (a usage error). */
typedef int sg_daemon_option_fn(int key, const char *arg, void *ctx, char *err, size_t errlen);

/* Parses the command line: the common options, and `extra` (getopt_long
 * entries ending with a zero entry, keys > 255, handled by on_extra). Then
 * checks every setting and starts the log. Returns -1 to go on, or the exit
 * code (0 after --help or -X list, 2 on a usage error). */
int sg_daemon_configure(sg_daemon *d, int argc, char **argv, const struct option *extra, sg_daemon_option_fn *on_extra,
                        void *ctx);

/* Installs the SIGTERM and SIGINT handlers. */
void sg_daemon_signals(void);

/* Sleeps ms, or less when a signal asks to stop. */
void sg_daemon_sleep_ms(double ms);

/* Gives the heap's free memory back to the system (glibc's malloc_trim), for a
 * program going idle after a burst of work: free() returns memory only from the
 * top of the heap, so one block still in use above a batch's freed blocks keeps
 * all of them resident until the next burst (tests/soak/README.md: a worker kept
 * its 57 MiB peak after a 1000-symbol night instead of going back to 28 MiB).
 * A no-op with another C library. */
void sg_daemon_release_memory(void);

/* Forgets the settings and properties given on the command line (frees them). */
void sg_daemon_close(void);

#endif
