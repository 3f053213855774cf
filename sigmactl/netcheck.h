/*
 * netcheck.h - what `sigmactl up` asks of the network on 127.0.0.1: is a port
 * free before anything starts, and is a started program ready (its HTTP
 * server's /readyz answers 200).
 *
 * Owns: the bind test and the libcurl requests. Must not: retry or wait
 * (callers poll with their own deadlines), or follow a proxy.
 */
#ifndef SG_NETCHECK_H
#define SG_NETCHECK_H

#include <stddef.h>

/* 0 when a listener could bind 127.0.0.1:port now; -1 with the reason in
 * err ("Address already in use"). */
int sg_netcheck_port_free(int port, char *err, size_t errlen);

/* GET http://127.0.0.1:port/readyz within timeout_ms: 1 when it answered
 * 200, 0 otherwise (not listening yet, another status); the last answer or
 * error in what (for the message when the deadline passes). */
int sg_netcheck_ready(int port, int timeout_ms, char *what, size_t whatlen);

/* Frees libcurl's global state (at the end of the command). */
void sg_netcheck_done(void);

#endif
