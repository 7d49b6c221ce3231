/* Fuzz target: the raw trace reader and the decoder behind it.
 *
 * Input: [flags][raw trace file bytes].  The file goes into a memory file
 * (memfd) and is read with rawtrace_reader_open/next as `vmtrace decode`
 * reads it; every event is fed to a decoder writing an in-memory trace.db.
 * Flags:
 *   0x01  fix checksums: recompute the file header's CRC and, for every
 *         block that fits, its payload and header CRCs, so mutations of
 *         the contents get past the block checks and reach the records,
 *         the metadata and the decoder
 *   0x02  fix framing: clamp each block's payload length to the bytes
 *         left, number data blocks from 0 without gaps and make the
 *         footer count what precedes it (applied before 0x01)
 *   0x04  also run decode_file (the whole of `vmtrace decode`)
 *   0x08  the decoder keeps guest-memory payloads (store_memory)
 *   0x30  payload cap: default, 1, 64 or UINT32_MAX bytes
 *   0x40  reader only: no decoder (setting up a trace.db costs some
 *         milliseconds, the reader alone some microseconds)
 *   0x80  also `vmtrace dump` the file, plain and with --header --hex
 *
 * Promises checked (RELIABILITY.md R01 and promise 1): the reader either
 * refuses the file at open with a message or returns events that are
 * well formed (type not 0, data present exactly when len > 0, len at most
 * VMT_EVENT_DATA_MAX, sequence numbers 0, 1, 2, ...) and then says
 * truthfully where and why it stopped; metadata within its limits, and
 * re-encoding it decodes to the same; events read re-written by the
 * writer read back identical; the decoder takes every event without a
 * database error and finishes; trace.db holds one events row per event
 * and no chain longer than twice its queue size (direct plus indirect
 * table); `vmtrace dump` exits 0, 1 or 2 and puts no control byte on the
 * terminal (promise 1).  The sanitizers check the rest. */
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "capture/rawtrace_format.h"
#include "cli/commands.h"
#include "decoder/db.h"
#include "decoder/decode_file.h"
#include "decoder/decoder.h"
#include "virtio/virtio.h"
#include "tests/fuzz/fuzz.h"

/* Big enough for several 4 KiB blocks and one maximal MEM record. */
#define FUZZER_MAXLEN (256u * 1024u)

#define FIX_CRC 0x01u
#define FIX_FRAMING 0x02u
#define RUN_DECODE_FILE 0x04u
#define STORE_MEMORY 0x08u
#define READER_ONLY 0x40u
#define RUN_DUMP 0x80u

struct mfile {
	int fd;
	char path[64];
};

static struct mfile in_file = { -1, "" }, out_file = { -1, "" };

static void mfile_open(struct mfile *m, const char *name)
{
	if (m->fd >= 0)
		return;
	m->fd = memfd_create(name, MFD_CLOEXEC);
	if (m->fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

static void mfile_set(struct mfile *m, const uint8_t *p, size_t n)
{
	if (ftruncate(m->fd, 0) != 0 || (n && pwrite(m->fd, p, n, 0) != (ssize_t)n))
		fuzz_fail("writing the memory file: %s", strerror(errno));
}

/* Make the checks of the reader pass where the flags ask (see the top). */
static void fix_trace(uint8_t *b, size_t n, unsigned flags)
{
	uint64_t off = RT_FILE_HEADER_SIZE, seq = 0;

	if (n >= RT_FILE_HEADER_SIZE && (flags & FIX_CRC))
		le32_put(b + 28, crc32c(0, b, 28));
	while (n >= RT_BLOCK_HEADER_SIZE && off <= n - RT_BLOCK_HEADER_SIZE) {
		uint8_t *h = b + off, *payload = h + RT_BLOCK_HEADER_SIZE;
		uint64_t room = n - off - RT_BLOCK_HEADER_SIZE;
		uint32_t len = le32_get(h + 4);

		if (flags & FIX_FRAMING) {
			if (len > room) {
				len = (uint32_t)room;
				le32_put(h + 4, len);
			}
			if (le32_get(h) == RT_MAGIC_DATA) {
				le64_put(h + 16, seq);
				seq += le32_get(h + 8);
			} else if (le32_get(h) == RT_MAGIC_FOOTER) {
				le64_put(h + 16, seq);
				if (len >= 8)
					le64_put(payload, seq);
			}
		}
		if (len > room)
			break;
		if (flags & FIX_CRC) {
			le32_put(h + 24, crc32c(0, payload, len));
			le32_put(h + 28, crc32c(0, h, 28));
		}
		off += RT_BLOCK_HEADER_SIZE + (uint64_t)len;
	}
}

static void check_meta(const struct rawtrace_meta *m)
{
	struct rawtrace_meta again;
	uint8_t *enc = NULL;
	size_t len = 0;
	char why[128];

	if (m->n_kv > RAWTRACE_META_KV_MAX || m->n_devices > RAWTRACE_META_DEVICES_MAX)
		fuzz_fail("metadata over its limits: %zu pairs, %zu devices", m->n_kv, m->n_devices);
	for (size_t i = 0; i < m->n_kv; i++) {
		size_t kl = strlen(m->kv[i].key), vl = strlen(m->kv[i].value);
		if (kl == 0 || kl >= RAWTRACE_META_STR_MAX || vl >= RAWTRACE_META_STR_MAX)
			fuzz_fail("metadata string %zu out of range (%zu, %zu)", i, kl, vl);
	}
	for (size_t i = 0; i < m->n_devices; i++)
		if (!memchr(m->devices[i].name, '\0', sizeof(m->devices[i].name)))
			fuzz_fail("device name %zu not terminated", i);
	/* What was read can be written again and reads back the same. */
	if (rawtrace_meta_encode(m, &enc, &len) != 0)
		fuzz_fail("metadata read back does not encode");
	memset(&again, 0, sizeof(again));
	if (rawtrace_meta_decode(&again, enc, len, why, sizeof(why)) != 0)
		fuzz_fail("re-encoded metadata does not decode: %s", why);
	if (again.source != m->source || again.ram_base != m->ram_base || again.ram_size != m->ram_size ||
	    again.n_kv != m->n_kv || again.n_devices != m->n_devices)
		fuzz_fail("metadata changed through encode and decode");
	for (size_t i = 0; i < m->n_kv; i++)
		if (strcmp(again.kv[i].key, m->kv[i].key) || strcmp(again.kv[i].value, m->kv[i].value))
			fuzz_fail("metadata pair %zu changed through encode and decode", i);
	for (size_t i = 0; i < m->n_devices; i++) {
		const struct vmt_device_desc *a = &again.devices[i], *b = &m->devices[i];
		/* The name is a C string: bytes after its NUL are not kept. */
		if (a->base != b->base || a->size != b->size || a->device_id != b->device_id ||
		    a->version != b->version || a->vendor_id != b->vendor_id || strcmp(a->name, b->name) != 0)
			fuzz_fail("device %zu changed through encode and decode", i);
	}
	rawtrace_meta_clear(&again);
	free(enc);
}

static void check_event(const struct vmt_event *ev, uint64_t n)
{
	if (ev->seq != n)
		fuzz_fail("event %llu has seq %llu", (unsigned long long)n, (unsigned long long)ev->seq);
	if (ev->type == 0 || ev->len > VMT_EVENT_DATA_MAX || (ev->len > 0) != (ev->data != NULL))
		fuzz_fail("bad event %llu: type %u len %u data %p", (unsigned long long)n, ev->type, ev->len,
			  (const void *)ev->data);
	if (ev->len) {
		/* Touch the bytes: they must be readable (ASan). */
		volatile uint8_t sum = 0;
		for (uint32_t i = 0; i < ev->len; i++)
			sum += ev->data[i];
		(void)sum;
	}
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fuzz_fail("query '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Events the writer accepts are written to a second file, which must
 * read back the same. */
struct copy {
	struct rawtrace_writer *w;
	struct rawtrace_reader *r;
	uint64_t written;
};

static void copy_start(struct copy *c, const struct rawtrace_meta *meta)
{
	struct rawtrace_write_opts wo = { .block_size = RAWTRACE_BLOCK_MIN };
	int e;

	memset(c, 0, sizeof(*c));
	mfile_set(&out_file, NULL, 0);
	e = rawtrace_writer_open(&c->w, out_file.path, meta, &wo);
	if (e < 0)
		fuzz_fail("writer refuses metadata the reader accepted: %s", strerror(-e));
}

static void copy_event(struct copy *c, const struct vmt_event *ev)
{
	if (ev->type > VMT_EV_TYPE_MAX)
		return; /* the writer refuses these, by contract */
	if (rawtrace_writer_append(c->w, ev, NULL) != 0)
		fuzz_fail("writer refuses event %llu (type %u len %u)", (unsigned long long)ev->seq, ev->type, ev->len);
	c->written++;
}

/* Read the copy back alongside the original: called with each original
 * event again after the copy is closed. */
static void copy_finish(struct copy *c)
{
	char err[256];

	if (rawtrace_writer_close(c->w, 0, "normal") != 0)
		fuzz_fail("writer close failed");
	c->w = NULL;
	if (rawtrace_reader_open(&c->r, out_file.path, err, sizeof(err)) != 0)
		fuzz_fail("the copy does not open: %s", err);
}

static void copy_compare(struct copy *c, const struct vmt_event *ev, uint64_t copied)
{
	struct vmt_event b;

	if (ev->type > VMT_EV_TYPE_MAX)
		return;
	if (rawtrace_reader_next(c->r, &b) != 1)
		fuzz_fail("the copy ends early at event %llu", (unsigned long long)copied);
	if (b.seq != copied || b.ts_ns != ev->ts_ns || b.type != ev->type || b.source != ev->source ||
	    b.dir != ev->dir || b.width != ev->width || b.vcpu != ev->vcpu || b.flags != ev->flags ||
	    b.base != ev->base || b.addr != ev->addr || b.value != ev->value || b.len != ev->len ||
	    (b.len && memcmp(b.data, ev->data, b.len) != 0))
		fuzz_fail("event %llu reads back different from the copy", (unsigned long long)ev->seq);
}

static void copy_end(struct copy *c)
{
	struct rawtrace_status st;
	struct vmt_event b;

	if (rawtrace_reader_next(c->r, &b) != 0)
		fuzz_fail("the copy holds more events");
	rawtrace_reader_status(c->r, &st);
	if (!st.complete || st.damaged || st.events != c->written)
		fuzz_fail("the copy does not read back whole: %s", st.reason);
	rawtrace_reader_close(c->r);
	c->r = NULL;
}

static void check_decoded(struct decoder *dec, sqlite3 *db, const struct rawtrace_status *st, uint64_t n);

/* Read the file at in_file, and through the decoder into an in-memory db
 * if decode. */
static void read_and_decode(size_t file_size, const struct decoder_opts *opts, bool decode)
{
	struct rawtrace_reader *r = NULL, *again = NULL;
	struct rawtrace_status st;
	struct decoder *dec = NULL;
	struct vmt_event ev;
	struct copy copy;
	sqlite3 *db = NULL;
	char err[256];
	uint64_t n = 0;
	int rc;

	err[0] = 'x';
	rc = rawtrace_reader_open(&r, in_file.path, err, sizeof(err));
	if (rc != 0) {
		if (rc > 0 || err[0] == '\0' || !memchr(err, '\0', sizeof(err)))
			fuzz_fail("open failed (%d) without a message", rc);
		return;
	}
	check_meta(rawtrace_reader_meta(r));
	copy_start(&copy, rawtrace_reader_meta(r));
	if (decode && trace_db_create(&db, ":memory:", err, sizeof(err)) != 0)
		fuzz_fail("trace_db_create: %s", err);
	if (decode && decoder_new(&dec, db, rawtrace_reader_meta(r), opts, err, sizeof(err)) != 0)
		fuzz_fail("decoder_new refuses metadata the reader accepted: %s", err);
	while ((rc = rawtrace_reader_next(r, &ev)) == 1) {
		check_event(&ev, n++);
		/* Each record takes at least 3 bytes: the count is bounded. */
		if (3 * n > file_size)
			fuzz_fail("%llu events from %zu bytes", (unsigned long long)n, file_size);
		copy_event(&copy, &ev);
		if (dec && decoder_feed(dec, &ev) != 0)
			fuzz_fail("decoder_feed failed at event %llu (type %u): %s", (unsigned long long)ev.seq,
				  ev.type, decoder_error(dec));
	}
	if (rc != 0)
		fuzz_fail("reader error %d on a memory file", rc);
	if (rawtrace_reader_next(r, &ev) != 0)
		fuzz_fail("reader goes on after its end");
	rawtrace_reader_status(r, &st);
	if (st.events != n || st.stop_offset > file_size || !memchr(st.reason, '\0', sizeof(st.reason)) ||
	    !memchr(st.end_reason, '\0', sizeof(st.end_reason)))
		fuzz_fail("status: %llu events (%llu read), stop offset %llu of %zu", (unsigned long long)st.events,
			  (unsigned long long)n, (unsigned long long)st.stop_offset, file_size);
	if (st.complete && (st.damaged || st.footer_events != n || st.stop_offset != file_size))
		fuzz_fail("complete, but damaged %d, footer %llu events of %llu, stop %llu of %zu", st.damaged,
			  (unsigned long long)st.footer_events, (unsigned long long)n,
			  (unsigned long long)st.stop_offset, file_size);
	if (st.damaged && st.reason[0] == '\0')
		fuzz_fail("damaged without a reason");
	if (!st.damaged && !st.complete && st.stop_offset != file_size)
		fuzz_fail("clean end at %llu of %zu bytes", (unsigned long long)st.stop_offset, file_size);

	/* The copy: every event (of a type the writer takes) again. */
	copy_finish(&copy);
	uint64_t copied = 0;
	if (rawtrace_reader_open(&again, in_file.path, err, sizeof(err)) != 0)
		fuzz_fail("second open failed: %s", err);
	while (rawtrace_reader_next(again, &ev) == 1) {
		copy_compare(&copy, &ev, copied);
		if (ev.type <= VMT_EV_TYPE_MAX)
			copied++;
	}
	rawtrace_reader_close(again);
	copy_end(&copy);

	if (dec)
		check_decoded(dec, db, &st, n);
	rawtrace_reader_close(r);
}

/* Finish decoding and check the trace.db. */
static void check_decoded(struct decoder *dec, sqlite3 *db, const struct rawtrace_status *st, uint64_t n)
{
	struct decoder_stats ds;

	decoder_note_lost(dec, st->lost);
	if (decoder_finish(dec, st->complete && !st->damaged, st->damaged ? st->reason : NULL) != 0)
		fuzz_fail("decoder_finish: %s", decoder_error(dec));
	decoder_get_stats(dec, &ds);
	if (ds.events != n)
		fuzz_fail("decoder counted %llu of %llu events", (unsigned long long)ds.events, (unsigned long long)n);
	if (query_int(db, "SELECT count(*) FROM events") != (int64_t)n)
		fuzz_fail("events table holds %lld rows for %llu events", (long long)query_int(db, "SELECT count(*) FROM events"),
			  (unsigned long long)n);
	/* Bounded hops: a chain is at most size descriptors plus one indirect
	 * table of at most size. */
	if (query_int(db, "SELECT count(*) FROM chains c JOIN queues q USING (device, queue, generation) "
			  "WHERE c.n_desc > 2 * q.size") != 0)
		fuzz_fail("a chain longer than twice its queue size");
	if (query_int(db, "SELECT count(*) FROM chains c WHERE n_desc > 2 * 32768") != 0)
		fuzz_fail("a chain longer than twice the largest queue");
	decoder_free(dec);
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t caps[] = { 0, 1, 64, UINT32_MAX };
	struct decoder_opts opts;
	struct decode_result res;
	uint8_t *file;
	char err[256];
	unsigned flags;

	if (size > FUZZER_MAXLEN)
		return 0;
	if (size < 1)
		return 0;
	flags = data[0];
	mfile_open(&in_file, "fuzz-rawtrace-in");
	mfile_open(&out_file, "fuzz-rawtrace-copy");
	file = malloc(size);
	if (!file)
		return 0;
	memcpy(file, data + 1, size - 1);
	if (flags & (FIX_CRC | FIX_FRAMING))
		fix_trace(file, size - 1, flags);
	mfile_set(&in_file, file, size - 1);
	free(file);

	memset(&opts, 0, sizeof(opts));
	opts.store_memory = flags & STORE_MEMORY;
	opts.payload_cap = caps[(flags >> 4) & 3];
	read_and_decode(size - 1, &opts, !(flags & READER_ONLY));
	if (flags & RUN_DUMP) {
		const char *plain[] = { "dump", in_file.path, NULL };
		const char *header[] = { "dump", "--header", "--hex", in_file.path, NULL };
		fuzz_run_cmd(cmd_dump, 2, plain);
		fuzz_run_cmd(cmd_dump, 4, header);
	}
	if ((flags & RUN_DECODE_FILE) && !(flags & READER_ONLY)) {
		/* ":memory:" never exists, so decode_file may create it. */
		if (decode_file(in_file.path, ":memory:", &opts, NULL, NULL, &res, err, sizeof(err)) != 0 &&
		    err[0] == '\0')
			fuzz_fail("decode_file failed without a message");
	}
	return 0;
}
