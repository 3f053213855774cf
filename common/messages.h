/*
 * messages.h - the values on the bus: a task (work for one symbol in one phase
 * of a run) and an event (a worker's outcome for it), as msgpack maps with
 * string keys. schemas/messages.md is the contract; this is its code.
 *
 * Owns: encoding, and decoding that trusts nothing: types, lengths, ranges,
 * required fields, duplicate keys, trailing bytes, the symbol's characters and
 * the schema version (an unknown major version is rejected; unknown keys with
 * the known major are ignored, so a newer minor version can add fields).
 * Every rejection names the field: "task: field 'symbol': ...".
 * Must not: talk to Kafka (bus.h) or the database, or allocate what the caller
 * must free: decoded messages are plain structs with fixed-size strings.
 */
#ifndef SG_MESSAGES_H
#define SG_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

/* The schema this code writes; it reads any minor version of this major. */
#define SG_MSG_MAJOR 1
#define SG_MSG_MINOR 1 /* 1.1: phase prices_bulk (key day, no symbol); prices' optional from */

/* Limits (schemas/messages.md explains each). */
#define SG_MSG_MAX_BYTES 65536      /* a whole encoded message */
#define SG_MSG_MAX_KEYS 32          /* entries in the top-level map */
#define SG_MSG_RUN_MAX 64           /* run id: 1..64 of [A-Za-z0-9._:-] */
#define SG_MSG_SYMBOL_MAX 20        /* symbol: 1..20 of [A-Z0-9.^=_-] */
#define SG_MSG_WORKER_MAX 64        /* worker id: 1..64 printable ASCII, no space */
#define SG_MSG_REASON_MAX 500       /* reason: 0..500 bytes of UTF-8, no control characters */
#define SG_MSG_ATTEMPT_MAX 100      /* attempt: 1..100 */
#define SG_MSG_ROWS_MAX 10000000    /* rows written: 0..10^7 */
#define SG_MSG_ELAPSED_MAX 86400000 /* elapsed: 0..one day, in ms */
#define SG_MSG_DATE_MIN "1970-01-01"
#define SG_MSG_DATE_MAX "2099-12-31"

typedef enum sg_phase {
    SG_PHASE_PRICES = 0,
    SG_PHASE_FACTORS,
    SG_PHASE_METRICS,
    SG_PHASE_ONBOARDING,
    SG_PHASE_PRICES_BULK, /* 1.1: one market day's bars for every symbol of the run waiting for it */
} sg_phase;

typedef enum sg_outcome { SG_OUTCOME_OK = 0, SG_OUTCOME_FAILED } sg_outcome;

typedef struct sg_task {
    int major, minor; /* as decoded; encoding always writes SG_MSG_MAJOR.SG_MSG_MINOR */
    char run[SG_MSG_RUN_MAX + 1];
    sg_phase phase;
    sg_day date; /* the calculation date */
    char symbol[SG_MSG_SYMBOL_MAX + 1]; /* "" in a prices_bulk task */
    int attempt;
    sg_day day;    /* prices_bulk: the market day to fetch (an NYSE trading day <= date) */
    bool has_from; /* prices (1.1, optional): the window starts at from, as the run planned it */
    sg_day from;
} sg_task;

typedef struct sg_event {
    int major, minor;
    char run[SG_MSG_RUN_MAX + 1];
    sg_phase phase;
    char symbol[SG_MSG_SYMBOL_MAX + 1]; /* "" for prices_bulk */
    sg_day day;                         /* prices_bulk: the task's market day */
    sg_outcome outcome;
    char reason[SG_MSG_REASON_MAX + 1]; /* required (non-empty) when failed */
    int64_t rows;
    char worker[SG_MSG_WORKER_MAX + 1];
    int64_t elapsed_ms;
} sg_event;

/* A growable buffer for encoded bytes; free with sg_msg_buf_free. */
typedef struct sg_msg_buf {
    char *data;
    size_t len, cap;
} sg_msg_buf;

void sg_msg_buf_free(sg_msg_buf *b);

/* The Kafka key of a task or event: its symbol, or for prices_bulk its day
 * ("YYYY-MM-DD", written into buf). */
const char *sg_task_key(const sg_task *t, char buf[SG_DATE_LEN]);
const char *sg_event_key(const sg_event *e, char buf[SG_DATE_LEN]);

/* 0 when a message's Kafka key (keylen bytes, maybe not text) is its key
 * above; -1 with the reason otherwise ("task: key 'X' (1 bytes) is not the
 * message's symbol AAPL", "task: empty key ..."). A consumer dead-letters such
 * a message: the key decides the partition, so a wrong one breaks the order
 * of one symbol's work. */
int sg_task_key_check(const sg_task *t, const void *key, size_t keylen, char *err, size_t errlen);
int sg_event_key_check(const sg_event *e, const void *key, size_t keylen, char *err, size_t errlen);

/* len bytes as one printable line into out (always terminated, cut to fit):
 * control bytes, bytes that are not UTF-8 and invisible characters
 * (sg_utf8_visible) as \xNN, visible UTF-8 as itself. Every reason the decoders give is escaped so: a value
 * quoted from a message cannot forge a log line or a header. */
void sg_msg_escape(const void *data, size_t len, char *out, size_t outlen);

/* Names: "prices", "factors", ..., "prices_bulk"; "ok", "failed". Parse returns 0 or -1. */
const char *sg_phase_name(sg_phase p);
int sg_phase_parse(const char *s, sg_phase *out);
const char *sg_outcome_name(sg_outcome o);

/* Encodes into out (reset first). The struct is validated with the decoder's
 * rules, so nothing is published that a consumer would reject. Returns 0, or
 * -1 with a reason in err. */
int sg_task_encode(const sg_task *t, sg_msg_buf *out, char *err, size_t errlen);
int sg_event_encode(const sg_event *e, sg_msg_buf *out, char *err, size_t errlen);

/* Decodes exactly len bytes. Returns 0, or -1 with the reason in err
 * ("task: field 'date': day is out of range for month"). */
int sg_task_decode(const void *data, size_t len, sg_task *out, char *err, size_t errlen);
int sg_event_decode(const void *data, size_t len, sg_event *out, char *err, size_t errlen);

#endif
