/* The raw trace file: append-only, self-describing, crash-safe.
 *
 * A file is a fixed header (magic, format version), a metadata block
 * (source, guest RAM, key/value strings, device table), then data blocks
 * of encoded events, each with its own CRC, and finally a footer block
 * written by a clean close.  A file without the footer was cut short
 * (crash, kill -9): the reader returns every event of every intact block
 * and reports where and why it stopped.  docs/raw-trace-format.md is the
 * byte-level description.
 *
 * Errors: 0 or a negative errno (writer errors stick: close reports the
 * first); -EPROTO for a file that is not a raw trace, -EINVAL for a bad
 * argument or event.  rawtrace_reader_next returns 1 (an event), 0 (the
 * end of what is readable: damage is reported by rawtrace_reader_status,
 * not as an error) or a negative errno. */
#ifndef VMTRACE_CAPTURE_RAWTRACE_H
#define VMTRACE_CAPTURE_RAWTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

#define RAWTRACE_FORMAT_VERSION 1u
#define RAWTRACE_META_KV_MAX 64      /* key/value strings in the metadata */
#define RAWTRACE_META_STR_MAX 1024   /* bytes per key or value */
/* Devices in the metadata table (docs/raw-trace-format.md: "n_devices
 * (<= 64)"); a reader refuses more.  Devices a source finds later come as
 * VMT_EV_DEVICE events; the decoder takes DEC_DEVICES_MAX in all. */
#define RAWTRACE_META_DEVICES_MAX 64
#define RAWTRACE_BLOCK_DEFAULT (64u * 1024u)
#define RAWTRACE_BLOCK_MIN 4096u
#define RAWTRACE_BLOCK_MAX (16u * 1024u * 1024u)

struct rawtrace_kv {
	char *key;   /* owned by the rawtrace_meta (malloc) */
	char *value; /* owned by the rawtrace_meta (malloc) */
};

/* What the file says about itself. */
struct rawtrace_meta {
	uint32_t source;   /* enum vmt_source */
	uint64_t ram_base; /* guest RAM, if known (0/0 otherwise) */
	uint64_t ram_size;
	size_t n_kv;
	struct rawtrace_kv kv[RAWTRACE_META_KV_MAX]; /* e.g. "command", "seed", "vmtrace-version" */
	size_t n_devices;
	struct vmt_device_desc devices[RAWTRACE_META_DEVICES_MAX];
};

/* Add a key/value pair (copied). Returns 0, or -ENOSPC / -EINVAL / -ENOMEM. */
int rawtrace_meta_set(struct rawtrace_meta *m, const char *key, const char *value);
/* Value for key, or NULL. */
const char *rawtrace_meta_get(const struct rawtrace_meta *m, const char *key);
/* Add a device to the table. Returns 0 or -ENOSPC. */
int rawtrace_meta_add_device(struct rawtrace_meta *m, const struct vmt_device_desc *d);
/* Free the strings; the struct itself may be reused after rawtrace_meta_clear. */
void rawtrace_meta_clear(struct rawtrace_meta *m);

enum rawtrace_flush {
	RAWTRACE_FLUSH_BLOCK = 0,    /* write a block when it is full (and at close) */
	RAWTRACE_FLUSH_INTERVAL = 1, /* also write the partial block every interval_ms */
	RAWTRACE_FLUSH_EVENT = 2,    /* write a block after every event (slow, loses nothing) */
};

struct rawtrace_write_opts {
	uint32_t block_size;     /* bytes of events per block; 0 = RAWTRACE_BLOCK_DEFAULT */
	enum rawtrace_flush flush;
	uint32_t interval_ms;    /* for RAWTRACE_FLUSH_INTERVAL; 0 = 1000 */
	bool fsync;              /* fsync(2) after each block written */
};

/* Parse a --flush argument: "block", "event" or a number of milliseconds
 * ("250", "250ms").  Returns 0 or -EINVAL. */
int rawtrace_parse_flush(const char *s, struct rawtrace_write_opts *opts);

struct rawtrace_writer;

/* Create path (truncating it) and write the header and metadata.
 * On success *out owns the open file. Returns 0 or a negative errno. */
int rawtrace_writer_open(struct rawtrace_writer **out, const char *path,
			 const struct rawtrace_meta *meta, const struct rawtrace_write_opts *opts);

/* Append one event; ev->seq is ignored and the assigned sequence number is
 * returned in *seq (may be NULL).  ev->len must be <= VMT_EVENT_DATA_MAX.
 * Returns 0 or a negative errno (the writer is then unusable: the error
 * sticks and close reports it).  Exception: -EINVAL for a bad event (type 0
 * or above VMT_EV_TYPE_MAX, len too large, data NULL with len > 0, a
 * VMT_EV_QUEUE whose payload is not VMT_QUEUE_REPORT_BYTES or whose step
 * (value) is not 1..VMT_QSTEP_MAX) refuses only that event and does not
 * stick. */
int rawtrace_writer_append(struct rawtrace_writer *w, const struct vmt_event *ev, uint64_t *seq);

/* Write the buffered partial block now (and fsync if asked). */
int rawtrace_writer_flush(struct rawtrace_writer *w);

/* Statistics so far. */
uint64_t rawtrace_writer_events(const struct rawtrace_writer *w);
uint64_t rawtrace_writer_bytes(const struct rawtrace_writer *w); /* file bytes written incl. buffered */

/* Flush, write the footer (events, lost count, end reason such as "normal"
 * or "target exited with status 1"), close and free.  NULL is a no-op.
 * Returns 0 or the first error seen by any call on this writer. */
int rawtrace_writer_close(struct rawtrace_writer *w, uint64_t lost, const char *end_reason);

struct rawtrace_reader;

/* Open and validate the file header and metadata. On failure returns a
 * negative errno or -EPROTO for a file that is not a vmtrace raw trace,
 * with a message naming the file and offset in err. */
int rawtrace_reader_open(struct rawtrace_reader **out, const char *path, char *err, size_t errlen);

const struct rawtrace_meta *rawtrace_reader_meta(const struct rawtrace_reader *r);

/* Next event: returns 1 with *ev filled (ev->data valid until the next
 * call), 0 at the clean end or where the readable part ends, negative
 * errno on an I/O error.  Damage is not an error: the reader stops before
 * it and rawtrace_reader_status tells where. */
int rawtrace_reader_next(struct rawtrace_reader *r, struct vmt_event *ev);

struct rawtrace_status {
	bool complete;        /* a footer was read: the writer closed cleanly */
	bool damaged;         /* reading stopped at damage (truncation, bad CRC, bad record) */
	uint64_t stop_offset; /* file offset of the first byte not read */
	char reason[160];     /* e.g. "block at offset 65600: payload CRC mismatch" */
	uint64_t events;      /* events returned so far */
	uint64_t footer_events; /* from the footer, if complete */
	uint64_t lost;        /* from the footer plus VMT_EV_LOST events seen */
	char end_reason[128]; /* from the footer, if complete */
	uint64_t blocks;      /* data blocks read (added with the first writer) */
};
void rawtrace_reader_status(const struct rawtrace_reader *r, struct rawtrace_status *st);

void rawtrace_reader_close(struct rawtrace_reader *r); /* NULL is a no-op */

#endif
