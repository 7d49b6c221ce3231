/* One device of one trace, read and normalised for comparison
 * (docs/diff.md, "Events, normalised"): its register accesses,
 * interrupts and violations in seq order as one stream, and each queue's
 * requests as a stream of its own; declarations applied.
 *
 * Errors: 0, or -1 with the reason in err naming the file and the row
 * (the read library's message). */
#ifndef VMTRACE_DIFF_DIFF_STREAM_H
#define VMTRACE_DIFF_DIFF_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diff/diff.h"

struct tdb;

/* Normalised events, struct-of-arrays (what diff_align reads). */
struct diff_events {
	size_t n, cap;
	uint64_t *key, *shape, *seq;
	uint8_t *anchor;
};

/* A request, or (setup) the set-up of a queue generation: an anchor in
 * the queue's stream, so a reset re-aligns the requests after it.  The
 * key aligns on what the request is (kind, operation, sector, length);
 * its status and data are compared once aligned (diff_req_details), where
 * both sides know them: a best-effort copy that missed a status is not a
 * difference. */
struct diff_req {
	int64_t id;                  /* requests.request; -1 for a set-up */
	uint64_t seq;                /* its notify (else where its chain was made available); a set-up's seq_setup */
	char kind[32];               /* "blk out" */
	bool setup;
	uint64_t generation;         /* setup */
	uint32_t size;               /* setup: QueueNum */
	bool sector_known, length_known, status_known, digest_known;
	uint64_t sector, length;
	uint32_t status;
	uint64_t digest;             /* a hash of requests.digest */
	char digest_text[12];        /* its first 8 characters (escaped), for people */
	bool status_compared, digest_compared; /* not declared away (used, buffers) */
	bool has_latency;
	int64_t latency_ns;          /* notify to used entry */
};

struct diff_queue_stream {
	uint32_t queue;
	struct diff_events ev;
	struct diff_req *req;        /* ev.n of them */
	size_t req_cap;
};

struct diff_streams {
	struct diff_events regs;
	struct diff_queue_stream *queues;  /* by queue index */
	size_t n_queues;
	uint64_t rule_count[DIFF_RULES_COUNTED + 1];
	uint64_t left_out;           /* events declarations left out */
};

/* Read device d of t into *s (diff_streams_free frees it, also after an
 * error).  covered[i] counts what declaration i of e left out. */
int diff_streams_load(struct tdb *t, const struct diff_dev *d, const struct replay_expect *e, uint64_t *covered,
		      struct diff_streams *s, char *err, size_t errlen);
void diff_streams_free(struct diff_streams *s);

/* The alignment's view of a stream. */
struct diff_seq diff_events_seq(const struct diff_events *ev);

/* One line for request r: "request 12 blk out sector 16 length 4096
 * status 0 (+1.6us to used)", "q0 set up: generation 2, size 256". */
void diff_req_text(const struct diff_req *r, uint32_t queue, char *buf, size_t len);

/* Whether two aligned requests (or set-ups) differ in what the key left
 * out: the status and data where both sides know them, a set-up's size. */
bool diff_req_details_differ(const struct diff_req *a, const struct diff_req *b);

/* "400ns", "1.6us", "57.5ms". */
void diff_latency_text(int64_t ns, char *buf, size_t len);

#endif
