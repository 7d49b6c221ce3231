/* vmtrace diff: where two trace.db files part ways (docs/diff.md).
 * Devices are paired, each pair's events normalised (diff_stream.h) and
 * aligned (diff_align.h), and the result described: the first
 * divergence with context and both sides' state, the differing segments,
 * and what was negotiated, requested and violated on each side.
 *
 * Errors: diff_run returns 0 when both traces were read (whether they
 * differ is in the result), or -1 with the reason in err (naming the
 * file, and the row when one contradicts the rest). */
#ifndef VMTRACE_DIFF_DIFF_H
#define VMTRACE_DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diff/diff_align.h"
#include "replay/expect.h"
#include "tracedb/tdb_devices.h"

#define DIFF_MAPS_MAX 32
#define DIFF_CONTEXT_MAX 100
#define DIFF_CONTEXT_DEFAULT 3
/* Segments kept per pair of devices (all are counted). */
#define DIFF_SEGMENTS_KEPT 10000

struct diff_opts {
	const struct replay_expect *expect;   /* may be NULL */
	struct { uint64_t a, b; } map[DIFF_MAPS_MAX];
	unsigned n_map;
	const char *device;                   /* a device of A (name, base, type), NULL all */
	unsigned context;                     /* events before the divergence, each side */
	bool first;                           /* lockstep to the first divergence only */
};

struct diff_dev {
	int device;                           /* devices.device */
	uint64_t base;
	char name[TDB_NAME_MAX];              /* printable (escaped) */
	char type[TDB_TYPE_MAX];              /* "block", "" unknown */
	int64_t device_id;                    /* -1 never read */
	uint32_t version;
	uint64_t first_seq;
	bool features_known;
	uint64_t features;                    /* negotiated, else accepted (devices row) */
};

/* Where a run is on one side: events [from, to] (n of them), or, when
 * n is 0, after the event `after` (none: at the start). */
struct diff_place {
	uint64_t n;
	uint64_t from, to;
	bool has_after;
	uint64_t after;
	/* In a request stream, the requests (requests.request) the seqs
	 * belong to (several requests can share a notify's seq); -1 none
	 * (a set-up, or a register stream). */
	int64_t req_from, req_to, req_after;
};

struct diff_segment {
	enum diff_op op;                      /* CHANGED, REMOVED, INSERTED */
	int queue;                            /* -1: the register stream; else that queue's requests */
	struct diff_place a, b;
	size_t ia, ib;                        /* where it starts in the streams (diff_run's) */
};

/* Segments whose first event on each side is described in text. */
#define DIFF_SEGMENT_TEXTS 20
struct diff_seg_text {
	char a[128], b[128];                  /* the normalised event's text, "" none */
};

struct diff_line {
	uint64_t seq;
	bool at;                              /* the divergent event itself */
	char text[256];                       /* show's line (registers) or the request's */
};

struct diff_state_queue {
	uint32_t queue, size;
	bool ready;
};
#define DIFF_STATE_QUEUES_MAX 64

/* A register's value in a side's state (tdb_state's). */
struct diff_state_reg {
	char reg[32];                         /* modern name, printable */
	int64_t queue;                        /* -1: not a per-queue register */
	uint64_t value;
};
#define DIFF_STATE_REGS_MAX 96

/* A side's device just before the divergence. */
struct diff_state {
	bool known;
	char status[128];                     /* "ACKNOWLEDGE|DRIVER", "" none */
	uint32_t status_value;
	bool status_known, features_known;
	uint64_t features;                    /* negotiated, else accepted */
	struct diff_state_queue queues[DIFF_STATE_QUEUES_MAX];
	unsigned n_queues;
	struct diff_state_reg regs[DIFF_STATE_REGS_MAX]; /* the first ones, by register and queue */
	unsigned n_regs;
};

struct diff_first {
	enum diff_op op;
	int queue;                            /* -1 registers */
	struct diff_place a, b;               /* the first event of the run on each side (n 0 or 1) */
	char text_a[256], text_b[256];        /* the events' normalised text ("" none) */
	struct diff_line ctx_a[DIFF_CONTEXT_MAX + 1], ctx_b[DIFF_CONTEXT_MAX + 1];
	unsigned n_ctx_a, n_ctx_b;
	struct diff_state state_a, state_b;
};

struct diff_qsize {
	uint32_t queue;
	bool has_a, has_b;
	uint32_t size_a, size_b;
};

struct diff_reqsum {
	uint32_t queue;
	char kind[32];                        /* "blk out", "net-rx", "rng" */
	uint64_t count_a, count_b;
	bool has_lat_a, has_lat_b;
	int64_t p50_a, p50_b, p99_a, p99_b;   /* notify to used entry, ns */
};

/* Rule ids counted one by one (diff_rulesum.rule); the rest in one bucket, rule DIFF_RULES_COUNTED. */
#define DIFF_RULES_COUNTED 64

struct diff_rulesum {
	uint32_t rule;
	uint64_t count_a, count_b;
};

enum diff_pair_result { DIFF_PAIR_SAME, DIFF_PAIR_DIFFERENT, DIFF_PAIR_ONLY_A, DIFF_PAIR_ONLY_B, DIFF_PAIR_DECLARED };

struct diff_pair {
	bool has_a, has_b;
	struct diff_dev a, b;
	/* An empty transport (DeviceID 0) on both sides, or on the one side
	 * that has it: one on one side only is listed, and is no difference
	 * (an x86 microvm has none, an arm virt machine 32 slots). */
	bool empty;
	enum diff_pair_result result;
	uint64_t events_a, events_b;          /* events compared (registers and requests) */
	struct diff_segment *segs;            /* the first DIFF_SEGMENTS_KEPT */
	size_t n_segs;
	uint64_t segs_total;
	uint64_t differing_a, differing_b;    /* events in the segments */
	struct diff_seg_text seg_text[DIFF_SEGMENT_TEXTS]; /* of segs[0, DIFF_SEGMENT_TEXTS) */
	bool has_first;
	struct diff_first *first;             /* owned */
	bool features_known_a, features_known_b;
	uint64_t features_a, features_b;      /* negotiated (else accepted) at the end */
	struct diff_qsize *qsizes;
	size_t n_qsizes;
	struct diff_reqsum *reqs;
	size_t n_reqs;
	struct diff_rulesum *rules;
	size_t n_rules;
};

struct diff_side {
	char path[256];
	char source[16];
	uint64_t events;
};

struct diff_result {
	struct diff_side a, b;
	struct diff_pair *pairs;
	size_t n_pairs;
	unsigned different;                   /* pairs that differ, or devices on one side only (not empty transports) */
	uint64_t covered[EXPECT_MAX];         /* events or values each declaration left out */
	bool first_only;                      /* opts.first */
	bool mapped;                          /* opts.n_map > 0 */
	struct diff_align_stats stats;
	double seconds;
};

int diff_run(const char *path_a, const char *path_b, const struct diff_opts *opts, struct diff_result *res,
	     char *err, size_t errlen);
void diff_result_free(struct diff_result *res);

/* "same", "different", "only in a", "only in b", "declared". */
const char *diff_pair_result_name(enum diff_pair_result r);
/* "changed", "removed", "inserted" (and "same"). */
const char *diff_op_name(enum diff_op op);

#endif
