/*
 * telemetry.h - the process's Prometheus registry: counters, gauges and
 * histograms with labels, rendered in the text exposition format 0.0.4
 * (what /metrics serves, serve.h). Debian packages no C Prometheus client.
 *
 * Owns: families (name, help, type, label names, histogram buckets) in
 * registration order, their series in creation order, the cap on series per
 * family, collectors (callbacks that set gauges just before a render), and the
 * rendering with its escaping. One mutex guards the registry, so the HTTP
 * thread renders while the program's loop counts.
 * Must not: register any family itself (each program registers its own), do
 * I/O, or be confused with metrics.h (the daily price metrics of symbols).
 *
 * Rules a family's name and labels follow (refused with an error logged, and
 * NULL returned, otherwise):
 *   - names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
 *     not starting with "__", each once, "le" not on a histogram;
 *   - a counter's name ends in "_total";
 *   - registering a name again returns the same family when type, labels and
 *     buckets are the same, else NULL (help text of the second call ignored).
 * Series: a family without labels has its one series from registration on
 * (renders 0); a labelled family renders only the label values it was given.
 * Label values are any text; invalid UTF-8 bytes become '?', NULL is "".
 * Cardinality: at most SG_TM_MAX_SERIES series per family; past that, every
 * new combination of label values counts in one series whose values are all
 * "other" (a warning is logged once per family), so a label fed by unbounded
 * input cannot grow the process without bound.
 * Values: counters ignore negative or NaN increments (they only go up);
 * histograms ignore NaN observations; a call of the wrong kind for the
 * family's type (set on a counter) is ignored with an error logged once.
 */
#ifndef SG_TELEMETRY_H
#define SG_TELEMETRY_H

#include <stddef.h>

#define SG_TM_MAX_SERIES 1000

typedef struct sg_tm_family sg_tm_family;

/* labels: comma-separated label names ("phase,reason") or NULL. NULL on a
 * refused name or labels (logged), or out of memory. */
sg_tm_family *sg_tm_counter(const char *name, const char *help, const char *labels);
sg_tm_family *sg_tm_gauge(const char *name, const char *help, const char *labels);
/* buckets: upper bounds, strictly increasing and finite ("+Inf" is always
 * added; a last bound of +Inf given is dropped); NULL/0: the Prometheus
 * clients' defaults .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds). */
sg_tm_family *sg_tm_histogram(const char *name, const char *help, const char *labels, const double *buckets,
                              size_t nbuckets);

/* The label values follow v as `const char *` arguments, one per label name,
 * in order. A NULL family is a no-op, so callers need not check. */
void sg_tm_add(sg_tm_family *f, double v, ...);     /* counter or gauge: += v */
void sg_tm_set(sg_tm_family *f, double v, ...);     /* gauge: = v */
void sg_tm_observe(sg_tm_family *f, double v, ...); /* histogram */
/* Drops every series of a gauge family (values that are re-set at each
 * collection, e.g. lag per partition, so a partition no longer held goes). */
void sg_tm_clear(sg_tm_family *f);

/* Called before each render, without the registry's lock held, to set
 * gauges. Renders are serialized, so a collector never runs twice at once and
 * a render never sees a collector's clear without its sets; a collector must
 * not render. */
typedef void sg_tm_collect_fn(void *ctx);
void sg_tm_collector(sg_tm_collect_fn *fn, void *ctx);

/* The registry in the text exposition format 0.0.4 (NUL-terminated, *len
 * without the NUL when len is not NULL), malloc'd; NULL when out of memory. */
char *sg_tm_render(size_t *len);

/* Frees every family and collector: family pointers held anywhere become
 * invalid (tests; program exit, so ASan sees no leak). */
void sg_tm_reset(void);

#endif
