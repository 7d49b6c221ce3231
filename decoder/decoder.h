/* The decoder: a streaming, source-blind consumer of events that writes
 * what they meant into trace.db.  Memory use depends on the number of
 * devices, queues and guest pages touched (capped), never on the trace
 * length: rows wait in fixed-size batches and the requests window
 * (rings_priv.h), and SQLite's page cache is bounded by cache_size (db.c).
 * tests/tracedb/test_memory_flat.c checks it.
 *
 * Errors: 0 or -1, with the message in err (decoder_new) or from
 * decoder_error; -1 is the decoder's own failure (trace.db not written,
 * out of memory), never the trace's content: what the guest or the device
 * did wrong becomes violations and anomalies rows.  Not a negative errno;
 * a failed decoder stays failed. */
#ifndef VMTRACE_DECODER_DECODER_H
#define VMTRACE_DECODER_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

struct sqlite3;
struct rawtrace_meta;
struct decoder;

/* Devices one trace.db holds at most (devices.device is 0..255): a decoder
 * names a window a device on its first access and refuses more.  Readers of
 * trace.db files take the same bound (capture/event.h). */
#define DEC_DEVICES_MAX VMT_TRACE_DEVICES_MAX

struct decoder_opts {
	bool store_memory;    /* keep guest-memory payloads in the memory table */
	uint32_t payload_cap; /* bytes of request data kept per request; 0 = default */
};
#define DECODER_PAYLOAD_CAP_DEFAULT 2048u

struct decoder_stats {
	uint64_t events;
	uint64_t rows;      /* rows inserted plus UPDATE statements run */
	uint64_t lost;
	uint64_t violations;
	uint64_t anomalies; /* inconsistencies in best-effort snapshots */
	uint64_t requests;
	unsigned devices;
};

/* Start decoding into db (created by trace_db_create; borrowed). meta may
 * be NULL. Returns 0 or -1 with a message in err. */
int decoder_new(struct decoder **out, struct sqlite3 *db, const struct rawtrace_meta *meta,
		const struct decoder_opts *opts, char *err, size_t errlen);

/* Decode one event (events must come in sequence order). Returns 0, or
 * -1 on a database error (message via decoder_error). */
int decoder_feed(struct decoder *dec, const struct vmt_event *ev);

/* The source counted total lost events (e.g. a raw trace footer): keep
 * the larger of it and the lost-events records seen. */
void decoder_note_lost(struct decoder *dec, uint64_t total);

/* Record how the input ended (complete, or where it stopped and why),
 * write the per-device summaries, commit and compact the file into a
 * single-file database. Returns 0 or -1. */
int decoder_finish(struct decoder *dec, bool complete, const char *stop_reason);

void decoder_get_stats(const struct decoder *dec, struct decoder_stats *st);
const char *decoder_error(const struct decoder *dec);
void decoder_free(struct decoder *dec); /* NULL is a no-op */

#endif
