/*
 * linesrv.h - a line-per-command control socket served by its own thread.
 *
 * A unix stream socket at PATH; each client sends commands, one per line, and
 * gets exactly one reply line per command (what the handler writes; the server
 * adds the newline). Several clients may be connected at once (up to 16); a
 * client that does not read its replies is dropped rather than waited for.
 * Owns: the socket file (a stale socket left by a dead process is replaced,
 * a live one or any other file is an error), the thread, the framing.
 * Must not: interpret commands (the handler does), or stop the process: a bad
 * line only ever gets an "error: ..." reply.
 */
#ifndef SG_LINESRV_H
#define SG_LINESRV_H

#include <stddef.h>

/* Answers one command line (no newline) into reply (one line, no newline). */
typedef void (*sg_linesrv_fn)(void *arg, const char *line, char *reply, size_t replylen);

typedef struct sg_linesrv sg_linesrv;

/* Listens on path and starts the thread; NULL with err filled on failure.
 * Call it with the signals the process waits for already blocked: the
 * thread inherits the mask. */
sg_linesrv *sg_linesrv_start(const char *path, sg_linesrv_fn fn, void *arg, char *err, size_t errlen);

/* Stops the thread, closes every connection and removes the socket file. */
void sg_linesrv_stop(sg_linesrv *s);

#endif
