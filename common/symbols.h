/*
 * symbols.h - the one validation of a ticker symbol, for every entry point:
 * command lines, files, database rows, provider requests and (later) messages.
 *
 * Owns: what a symbol is. 1 to 20 bytes (symbol_universe.symbol and every
 * other symbol column the batch writes are VARCHAR(20)) of
 *     A-Z 0-9 . - _ ^ =
 * (BRK.B, BRK-B, ^VIX, EURUSD=X, GC=F, private PRIV_FUND, OCC options such as
 * AAPL251219C00150000), starting with a letter, a digit, '^' or '_', and
 * without "..". So no symbol is ever a path ('/', '..', a leading '.'),
 * a quote, a separator, white space, a control byte or non-ASCII text.
 * Lower-case letters are refused (the app stores symbols upper-cased) unless
 * the caller passes SG_SYMBOL_LOWER_OK: the engine's own CSV files keep the
 * oracle's behaviour, which computes a lower-case symbol as written.
 * Reasons name the symbol (quoted, cut and escaped so that any byte prints
 * safely) and what is wrong with it, in words a person understands.
 * Must not: upper-case, trim or otherwise repair a symbol (callers decide),
 * decide what a run includes (sg_symbol_excluded in store_io does), or do I/O.
 */
#ifndef SG_SYMBOLS_H
#define SG_SYMBOLS_H

#include <stddef.h>

#define SG_SYMBOL_MAX 20 /* VARCHAR(20) */

enum { SG_SYMBOL_LOWER_OK = 1 }; /* flags of sg_symbol_checkn */

/* 0 when s is a valid symbol; -1 with the reason in why (may be NULL). A
 * reason fits in SG_SYMBOL_WHY_LEN bytes. */
#define SG_SYMBOL_WHY_LEN 192
int sg_symbol_check(const char *s, char *why, size_t whylen);
/* The same for len bytes at s (which may hold NUL bytes: refused), with flags. */
int sg_symbol_checkn(const char *s, size_t len, unsigned flags, char *why, size_t whylen);

/* Length of the UTF-8 sequence at s[0..n) when it is well formed and shows as
 * a visible character; 0 for anything to escape as \xNN bytes: not UTF-8,
 * C1 control characters (U+0080..U+009F, NEL among them), and the invisible
 * or reordering ones (zero-width U+200B..U+200F, line and paragraph
 * separators and bidirectional controls U+2028..U+202E, U+2060..U+206F,
 * U+FEFF), which would hide or move text in a message. */
size_t sg_utf8_visible(const unsigned char *s, size_t n);

/* A comma-separated list ("A, B,A"): items trimmed of blanks, empty items
 * skipped, sorted (byte order) and de-duplicated, as oracle.py does. out[]
 * points into list (modified in place) and needs room for strlen(list)/2+1
 * entries. Returns the count (0 for an empty list), or -1 when an item is
 * not a valid symbol, with the reason in why. */
long sg_symbol_list_parse(char *list, unsigned flags, const char **out, char *why, size_t whylen);

#endif
