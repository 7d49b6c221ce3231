/* What the decoder found at and around an event: the violations and
 * anomalies at a seq, requests with their events, a descriptor chain with
 * its descriptors and used entry, and which chain and request an event
 * belongs to.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_E_DAMAGED_ROW
 * (message names the row), TDB_E_NOT_FOUND (no such chain or request),
 * TDB_E_TOO_MANY.  Callbacks return nonzero to stop the walk (the walk
 * then returns 0).  Text in the structures is the file's: escape it
 * before it reaches a terminal; pointers are valid during the callback. */
#ifndef VMTRACE_TRACEDB_TDB_LINKS_H
#define VMTRACE_TRACEDB_TDB_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedb/tdb_vocab.h"

struct tdb;

struct tdb_violation {
	uint64_t seq;
	int device;                  /* -1 none */
	const char *rule, *section, *message;   /* never NULL ("" if not text) */
	const char *severity_text, *actor_text; /* the file's words, never NULL */
	int severity;                /* enum tdb_severity, -1 a word the decoder never writes */
	int actor;                   /* enum tdb_actor, -1 likewise */
};

/* Call fn for each violation at seq, in rowid order. */
int tdb_violations_at(struct tdb *t, uint64_t seq, int (*fn)(void *arg, const struct tdb_violation *v), void *arg);

/* The first max violations in seq order (every device), as info lists
 * them. */
int tdb_violations_first(struct tdb *t, unsigned max, int (*fn)(void *arg, const struct tdb_violation *v), void *arg);

/* The number of violations and anomalies rows (anomalies: 0 in files
 * without the table). */
int tdb_violations_count(struct tdb *t, uint64_t *violations, uint64_t *anomalies);

struct tdb_anomaly {
	uint64_t seq;
	int device;                  /* -1 none */
	int64_t queue;               /* -1 none */
	const char *rule, *message;
};
int tdb_anomalies_at(struct tdb *t, uint64_t seq, int (*fn)(void *arg, const struct tdb_anomaly *a), void *arg);

/* Most descriptors a chain holds here (a split ring has at most 32768). */
#define TDB_CHAIN_DESC_MAX 32768

struct tdb_desc {
	uint32_t pos, idx, len, next;
	uint64_t addr;
	uint16_t flags;
	bool in_indirect;
};

struct tdb_chain {
	int64_t chain;
	int device;
	uint32_t queue;
	uint64_t generation;
	uint32_t avail_idx, head, n_desc;
	uint64_t seq_avail;
	bool indirect;
	uint64_t readable, writable;
	int memory;                  /* enum tdb_chain_memory */
	struct tdb_desc *desc;       /* n_desc_read of them; owned (tdb_chain_clear) */
	uint32_t n_desc_read;
	bool used_known;             /* the used entry that completed it */
	uint64_t used_seq;
	uint32_t used_idx, used_len;
};

/* Chain id with its descriptors and used entry into *c (on an error *c
 * holds nothing to free; tdb_chain_clear is still fine). */
int tdb_chain_read(struct tdb *t, int64_t chain, struct tdb_chain *c);
void tdb_chain_clear(struct tdb_chain *c);

struct tdb_request {
	int64_t request;
	int device;
	uint32_t queue;
	int64_t chain;               /* -1 none */
	int kind;                    /* enum tdb_request_kind */
	const char *op;              /* blk: "in", "out", ...; NULL if none */
	bool sector_known, length_known, status_known;
	uint64_t sector, length;
	uint32_t status;
	const char *digest;          /* NULL if none */
	/* the events it spans: -1 where there is none */
	int64_t seq_notify, seq_used, seq_irq, seq_avail;
	int64_t ts_notify, ts_used, ts_irq;
	const void *data;            /* payload (capped), data_len bytes */
	size_t data_len;
};

/* Call fn for each request of device (-1: every device) in request order;
 * the seq range [from, to] keeps those notified in it (to 0: no end). */
int tdb_requests_each(struct tdb *t, int device, uint64_t from, uint64_t to,
		      int (*fn)(void *arg, const struct tdb_request *r), void *arg);

/* The same for the requests whose kind is in kinds (bits 1u << enum
 * tdb_request_kind; 0: every kind): rows of other kinds are not read (nor
 * checked). */
int tdb_requests_of_kinds(struct tdb *t, int device, unsigned kinds, uint64_t from, uint64_t to,
			  int (*fn)(void *arg, const struct tdb_request *r), void *arg);

/* Requests in the order of the seq of one of their events (the index of
 * that column walked once): a reader going through the events in order
 * meets each request's notify, used entry and interrupt in turn. */
enum tdb_req_at { TDB_REQ_AT_NOTIFY, TDB_REQ_AT_USED, TDB_REQ_AT_IRQ };
struct tdb_req_cursor;
/* Those whose column is in [from, to] (to 0: no end). */
int tdb_req_cursor_open(struct tdb *t, enum tdb_req_at col, uint64_t from, uint64_t to, struct tdb_req_cursor **out);
/* The next into *q (pointers valid until the next call) and its column's
 * seq into *seq: 0, TDB_END, TDB_E_DAMAGED_ROW (that row; the cursor goes
 * on past it), or a negative error. */
int tdb_req_cursor_next(struct tdb_req_cursor *c, struct tdb_request *q, int64_t *seq);
void tdb_req_cursor_close(struct tdb_req_cursor *c); /* NULL is fine */

/* Request id (fn is called once). */
int tdb_request_read(struct tdb *t, int64_t request, int (*fn)(void *arg, const struct tdb_request *r), void *arg);

/* Which chain and request the event at seq belongs to: the chain it made
 * available or completed (seq_avail, used entry), the request it
 * announced, completed or interrupted (seq_notify, seq_used, seq_irq);
 * the lowest where several.  -1 where none.  Each part one lookup in an
 * index of the decoder's (docs/schema.md), whatever the trace's length. */
struct tdb_event_links {
	int64_t chain, request;
};
int tdb_event_links(struct tdb *t, uint64_t seq, struct tdb_event_links *out);

#endif
