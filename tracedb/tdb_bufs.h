/* The guest buffers requests carried, read in one pass for a seq range:
 * what a reader needs to name memory by request (format/tdb/fmt_tdb.h
 * fmt_tdb_bufs_load), without a query per request and chain.
 *
 * Errors: 0, or a tracedb error (tdb_open.h: negative errno, positive
 * TDB_E_*) with tdb_errmsg saying what; fn's nonzero return stops the walk
 * and is returned. */
#ifndef VMTRACE_TRACEDB_TDB_BUFS_H
#define VMTRACE_TRACEDB_TDB_BUFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_desc;

/* One request with its chain's descriptors. */
struct tdb_req_bufs {
	int64_t request;
	int device;                   /* devices.device */
	int kind;                     /* enum tdb_request_kind */
	const char *op;               /* "" if none; valid during the call */
	uint64_t seq_avail;           /* the chain's */
	bool end_known;               /* the chain's first used entry, or the end of */
	uint64_t end_seq;             /* its queue generation if it has none */
	const struct tdb_desc *desc;  /* n_desc of them, in chain order (pos, addr, len, flags set) */
	uint32_t n_desc;
};

/* Call fn for each request whose chain was made available in the seq
 * range [from, to] (to 0: no end), and before them those still in flight
 * at from whose chains were made available before it (a buffer posted
 * long before the device fills it: a receive queue's), each set in
 * request order.  With the indexes of docs/schema.md the cost follows the
 * range and the queues' sizes, not the trace.  A request whose chain,
 * descriptors or used entry cannot be read as such (missing, damaged,
 * more than TDB_CHAIN_DESC_MAX descriptors) is left out, as is one whose
 * own row is damaged: those buffers are just not named. */
int tdb_bufs_each(struct tdb *t, uint64_t from, uint64_t to, int (*fn)(void *arg, const struct tdb_req_bufs *b),
		  void *arg);

#endif
