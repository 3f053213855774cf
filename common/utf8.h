/*
 * utf8.h - well-formed UTF-8, as Unicode's table 3-7 defines it.
 *
 * Owns: the one check of a UTF-8 sequence that every writer of text for
 * people or parsers uses (log lines, JSON logs, reasons that quote a symbol):
 * no overlong form, no surrogate, nothing past U+10FFFF, no cut sequence.
 * Must not: decide what is shown or how bytes that fail are escaped (each
 * caller has its own rule).
 */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>

/* Length (2..4) of the well-formed multi-byte sequence at s[0..n), or 0 when
 * s[0] is ASCII or does not start one. */
size_t sg_utf8_len(const unsigned char *s, size_t n);

#endif
