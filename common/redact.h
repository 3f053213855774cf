/*
 * redact.h - passwords out of connection errors.
 *
 * Owns: finding every password a libpq connection string (key=value or URI,
 * well-formed or not) or PGPASSWORD holds, and masking it in a message, in
 * any spelling libpq may echo. Why its own module: libpq prints what it could
 * not parse, a malformed password included, so every connection error passes
 * here before it is logged.
 * Must not: connect, log, or grow the message (a mask is as long as what it
 * hides, so nothing is ever cut after redaction).
 */
#ifndef SG_REDACT_H
#define SG_REDACT_H

/* Masks in msg (in place; it never grows) every password conninfo or
 * PGPASSWORD holds, in any spelling libpq may echo: raw, percent-decoded, or
 * a quoted fragment of one, even when conninfo is malformed. */
void sg_redact_conninfo(const char *conninfo, char *msg);

#endif
