/* The inspector's lists and its timeline strip, read a page at a time on
 * indexed columns (docs/schema.md's indexes): request ids in request
 * order, the requests that took longest or carried most (a bounded
 * top-N), the seqs of violations and anomalies, a device's first status
 * change with some bits, a queue generation's chains, and the strip's
 * bucket boundaries and markers.  No call here loads a table into memory.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_E_DAMAGED_ROW
 * (message names the row), TDB_E_NOT_FOUND. */
#ifndef VMTRACE_TRACEDB_TDB_LISTS_H
#define VMTRACE_TRACEDB_TDB_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedb/tdb_events.h"

struct tdb;

/* Request ids of kinds (bits 1u << enum tdb_request_kind; 0 every kind)
 * in request order (the decoder numbers requests as it finds their chains,
 * so this is the order of their notifies): the first max strictly after
 * key (TDB_FORWARD; INT64_MIN from the start), or the last max strictly
 * before it, highest first (TDB_BACKWARD; INT64_MAX from the end).  A page
 * is a range of the primary key; with kinds it also passes over the rows
 * of other kinds between its ids (there is no index on kind). */
int tdb_request_ids_page(struct tdb *t, unsigned kinds, int64_t key, enum tdb_direction dir, int64_t *ids,
			 size_t max, size_t *n);

enum tdb_request_rank {
	TDB_RANK_LATENCY,  /* ts_used - ts_notify, longest first (requests with both) */
	TDB_RANK_SIZE,     /* length, largest first (requests with a length) */
};

/* The first max request ids of kinds ranked by, ties in request order:
 * one pass over the requests keeping max of them (SQLite's bounded sort),
 * never the whole table.  *ranked (may be NULL) gets how many requests
 * had the value ranked (so a caller can say "the 10000 slowest of N"). */
int tdb_request_ids_top(struct tdb *t, enum tdb_request_rank by, unsigned kinds, int64_t *ids, size_t max,
			size_t *n, uint64_t *ranked);

/* Which request kinds the file has (bits 1u << enum tdb_request_kind, into
 * *kinds) and how many of each (counts, tdb_vocab_request_kind.n of them;
 * may be NULL): one pass over the requests' kind column.  A kind word the
 * decoder never writes is TDB_E_DAMAGED_ROW. */
int tdb_request_kinds(struct tdb *t, unsigned *kinds, uint64_t *counts);

/* The seqs at which a rule was broken (violations, and anomalies when the
 * file has them), each once: the first max strictly after seq (TDB_FORWARD)
 * or the last max strictly before it, highest first (TDB_BACKWARD); with
 * inclusive, seq itself counts.  Rows whose seq is not a sequence number
 * are passed over (they name no event).  Violations are found on their seq
 * index;
 * anomalies have none (a file has few: each page passes over them). */
int tdb_finding_seqs(struct tdb *t, uint64_t seq, bool inclusive, enum tdb_direction dir, uint64_t *seqs, size_t max,
		     size_t *n);

/* The first status change of device whose new Status has every bit of
 * bits (VIRTIO_STATUS_DRIVER_OK: where the device went live): 0 with *seq,
 * or TDB_E_NOT_FOUND.  The status_changes rows of other devices before it
 * are passed over (a handful per device). */
int tdb_status_first_with(struct tdb *t, int device, uint32_t bits, uint64_t *seq);

/* The feature set device negotiated last at or before seq (the features
 * table's 'negotiated' rows: a handful per device, passed over): 0 with
 * *features, or TDB_E_NOT_FOUND if it had negotiated none by then. */
int tdb_negotiated_at(struct tdb *t, int device, uint64_t seq, uint64_t *features);

/* The chains made available on a queue generation, counted up to cap
 * (*n == cap: cap or more), on the chains_queue index. */
int tdb_chains_count(struct tdb *t, int device, uint32_t queue, uint64_t generation, uint64_t cap, uint64_t *n);

/* The timeline's bucket boundaries: for each i < n, seqs[i] = the first
 * event in [lo, hi] whose ts_ns is at least ts[i], found by a binary search
 * on seq (each probe a primary-key lookup: n * log2(hi - lo) of them).  A
 * trace whose times do not grow with seq (vCPU clocks, a hostile file)
 * gives rough boundaries, not a longer search; seqs[] is made
 * non-decreasing.  hi + 1 where no event is that late. */
int tdb_seq_at_times(struct tdb *t, uint64_t lo, uint64_t hi, const int64_t *ts, size_t n, uint64_t *seqs);

/* The time of the first event at or after seq: 0 with *at and *ts_ns, or
 * TDB_END if there is none. */
int tdb_event_time(struct tdb *t, uint64_t seq, uint64_t *at, int64_t *ts_ns);

/* Bits of tdb_marks_in's marks. */
enum { TDB_MARK_VIOLATION = 1u << 0, TDB_MARK_STATUS = 1u << 1, TDB_MARK_RESET = 1u << 2 };

/* For each i < n, marks[i] says what the seq range [bounds[i],
 * bounds[i + 1]) holds (bounds has n + 1 entries, non-decreasing): a
 * violation (violations_seq index), a status change, a reset among its
 * first status_rows status changes (the primary key): at most
 * n * (2 + status_rows) rows read. */
int tdb_marks_in(struct tdb *t, const uint64_t *bounds, size_t n, unsigned status_rows, unsigned *marks);

#endif
