/* Fuzz target: the decoder's ring decoding, split and packed
 * (decoder/rings.c and the request decoders behind it) over synthetic
 * guest RAM, checked against the emulator's virtqueue engine.
 *
 * Input: ring_input.h.  The target writes the event stream of a driver
 * bringing up the device of flags bits 4-5 (modern or legacy layout) with
 * queue 0 at the input's layout, stores the whole RAM image once the
 * queue is live (the decoder walks what it makes available there),
 * notifies, and then runs the operations:
 *   0 QueueNotify 0
 *   1 driver store (le16 offset, n % 65, n bytes)
 *   2 device publishes a used entry (le16 id, le32 length) and its index
 *     (packed: a used descriptor with WRITE at the device's position,
 *     which then moves one slot)
 *   3 interrupt raised (InterruptStatus byte)
 *   4 InterruptStatus read (byte)
 *   5 InterruptACK write (byte)
 *   6 best-effort snapshot (le16 offset, n % 65, n bytes)
 *   7 register access (offset byte * 4, byte: bit 0 write, bits 1-2 width
 *     1/2/4/8, le32 value)
 *   8 device reset and the whole bring-up again
 *   9 QueueReady 0 then 1 (a new queue generation)
 * into an in-memory trace.db.
 *
 * Promises checked: the decoder takes every event and finishes; no chain
 * is longer than twice its queue size (RELIABILITY.md promise 2) and each
 * has its descriptors rows; at most a queue size of chains per event.
 * And where the emulator accepts the layout (vq_setup), the decoder must
 * decode the RAM image as the emulator pops it (the same engine rules,
 * B01-B13): the same chains in order (head, descriptors, readable and
 * writable bytes, indirect), then a violation of the rule the emulator
 * stopped on, or none if it popped everything.  Packed rings (flags bit
 * 6) the same way: chains by buffer id from slot 0, wrap counter 1. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "capture/emu/virtqueue.h"
#include "capture/rawtrace.h"
#include "decoder/db.h"
#include "decoder/decoder.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/ring_input.h"

#define FUZZER_MAXLEN (RI_HEADER + RI_RAM_SIZE + 4096u)
#define DEV_BASE UINT64_C(0x10000000)
/* Chains the emulator's pops are compared with, at most. */
#define EMU_CHAINS_MAX 64u

static struct {
	struct decoder *dec;
	uint64_t seq;
} E;

static uint8_t *ram; /* RI_RAM_SIZE bytes on the heap */

static uint64_t feed(struct vmt_event *ev)
{
	ev->seq = E.seq++;
	ev->ts_ns = ev->seq * 100;
	ev->source = VMT_SRC_EMU;
	if (decoder_feed(E.dec, ev) != 0)
		fuzz_fail("decoder_feed failed at seq %llu (type %u): %s", (unsigned long long)ev->seq, ev->type,
			  decoder_error(E.dec));
	return ev->seq;
}

static uint64_t mmio(bool write, uint32_t off, unsigned width, uint64_t value)
{
	struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = write ? VMT_DIR_WRITE : VMT_DIR_READ, .width = (uint8_t)width,
				.base = DEV_BASE, .addr = off, .value = value };
	return feed(&ev);
}

static uint64_t mem(uint64_t gpa, const void *data, uint32_t len, uint16_t flags)
{
	struct vmt_event ev = { .type = VMT_EV_MEM, .flags = flags, .addr = gpa, .len = len, .data = data };
	return feed(&ev);
}

/* The driver's bring-up of the device with queue 0 at the input's layout. */
static void bring_up(const struct ring_input *ri, const struct emu_model *m)
{
	uint64_t offered = m->features | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	uint64_t accept;

	if (ri->legacy)
		offered &= UINT32_MAX;
	else
		offered |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	if (ri->packed)
		offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	accept = offered;
	if (!ri->indirect)
		accept &= ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (!ri->event_idx)
		accept &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	mmio(false, MMIO_MAGIC_VALUE, 4, VIRTIO_MMIO_MAGIC);
	mmio(false, MMIO_VERSION, 4, ri->legacy ? 1 : 2);
	mmio(false, MMIO_DEVICE_ID, 4, m->device_id);
	mmio(false, MMIO_VENDOR_ID, 4, EMU_VENDOR_ID);
	mmio(true, MMIO_STATUS, 4, 0);
	mmio(true, MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE);
	mmio(true, MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t w = 0; w < (ri->legacy ? 1u : 2u); w++) {
		mmio(true, MMIO_DEVICE_FEATURES_SEL, 4, w);
		mmio(false, MMIO_DEVICE_FEATURES, 4, (uint32_t)(offered >> (32 * w)));
		mmio(true, MMIO_DRIVER_FEATURES_SEL, 4, w);
		mmio(true, MMIO_DRIVER_FEATURES, 4, (uint32_t)(accept >> (32 * w)));
	}
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	if (!ri->legacy) {
		st |= VIRTIO_STATUS_FEATURES_OK;
		mmio(true, MMIO_STATUS, 4, st);
		mmio(false, MMIO_STATUS, 4, st);
	} else {
		mmio(true, MMIO_GUEST_PAGE_SIZE, 4, RI_PAGE);
	}
	mmio(true, MMIO_QUEUE_SEL, 4, 0);
	mmio(false, MMIO_QUEUE_NUM_MAX, 4, VIRTQ_SIZE_MAX);
	mmio(true, MMIO_QUEUE_NUM, 4, ri->num);
	if (ri->legacy) {
		mmio(true, MMIO_QUEUE_ALIGN, 4, ri->align);
		mmio(true, MMIO_QUEUE_PFN, 4, ri->pfn);
	} else {
		uint64_t a[3] = { ri->desc, ri->avail, ri->used };
		for (int i = 0; i < 3; i++) {
			mmio(true, MMIO_QUEUE_DESC_LOW + 0x10 * i, 4, (uint32_t)a[i]);
			mmio(true, MMIO_QUEUE_DESC_HIGH + 0x10 * i, 4, (uint32_t)(a[i] >> 32));
		}
		mmio(true, MMIO_QUEUE_READY, 4, 1);
	}
	mmio(true, MMIO_STATUS, 4, st | VIRTIO_STATUS_DRIVER_OK);
}

/* --- what the emulator pops from the same RAM --- */

struct emu_chain {
	uint16_t head;
	bool indirect;
	uint32_t n_desc; /* buffers, plus the descriptor naming an indirect table */
	uint64_t readable, writable;
	uint32_t n_bufs;
	struct vq_buf bufs[4]; /* the first ones, compared with the descriptors rows */
};

static struct {
	bool valid;           /* the emulator accepted the layout */
	unsigned n;           /* chains popped (the first EMU_CHAINS_MAX kept) */
	struct emu_chain c[EMU_CHAINS_MAX];
	enum rule_id stop;    /* RULE_NONE: everything available was popped */
} emu;

static void emulator_pops(const struct ring_input *ri)
{
	struct guest_mem gm = { .ram = ram, .base = ri->ram_base, .size = RI_RAM_SIZE };
	struct virtqueue vq;
	struct vq_chain c;
	struct vq_fault f;
	int r;

	memset(&emu, 0, sizeof(emu));
	/* No EVENT_IDX here: popping then writes nothing, and the RAM stays
	 * what the decoder saw. */
	int set = ri->packed ? vq_setup_packed(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, false, &f)
			     : vq_setup(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, false, &f);
	if (set != 0)
		return;
	emu.valid = true;
	while ((r = vq_pop(&vq, &c, &f)) == 1) {
		if (emu.n < EMU_CHAINS_MAX) {
			struct emu_chain *e = &emu.c[emu.n];
			e->head = c.head;
			e->indirect = c.indirect;
			e->n_desc = c.n + (c.indirect ? 1 : 0);
			e->readable = c.readable_len;
			e->writable = c.writable_len;
			e->n_bufs = c.n < 4 ? c.n : 4;
			memcpy(e->bufs, c.bufs, e->n_bufs * sizeof(e->bufs[0]));
		}
		if (++emu.n > ri->num)
			fuzz_fail("the emulator popped more chains than its queue holds");
	}
	emu.stop = r < 0 ? f.rule : RULE_NONE;
	vq_release(&vq);
}

/* --- checks on trace.db --- */

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fuzz_fail("query '%s': %s", sql, sqlite3_errmsg(db));
	return st;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = prepare(db, sql);
	int64_t v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static bool is_ring_rule(const char *key)
{
	for (enum rule_id r = RULE_RING_HEAD_RANGE; r <= RULE_RING_WRITE_BEFORE_READ; r++)
		if (strcmp(rule_lookup(r)->key, key) == 0)
			return true;
	return strcmp(rule_lookup(RULE_RING_PACKED_NOT_AVAIL)->key, key) == 0;
}

static void compare_with_emulator(sqlite3 *db, uint64_t seq)
{
	sqlite3_stmt *ch = prepare(db, "SELECT chain, head, n_desc, indirect, readable, writable, memory FROM chains "
				       "WHERE seq_avail = ?1 ORDER BY chain");
	sqlite3_stmt *ds = prepare(db, "SELECT addr, len, flags FROM descriptors WHERE chain = ?1 ORDER BY pos");
	unsigned i = 0, cmp = emu.n < EMU_CHAINS_MAX ? emu.n : EMU_CHAINS_MAX;

	sqlite3_bind_int64(ch, 1, (sqlite3_int64)seq);
	for (; i < cmp && sqlite3_step(ch) == SQLITE_ROW; i++) {
		const struct emu_chain *e = &emu.c[i];
		const char *memory = (const char *)sqlite3_column_text(ch, 6);
		if (sqlite3_column_int64(ch, 1) != e->head || sqlite3_column_int64(ch, 2) != e->n_desc ||
		    sqlite3_column_int(ch, 3) != e->indirect || (uint64_t)sqlite3_column_int64(ch, 4) != e->readable ||
		    (uint64_t)sqlite3_column_int64(ch, 5) != e->writable || !memory || strcmp(memory, "exact") != 0)
			fuzz_fail("chain %u: decoded head %lld, %lld descriptors, indirect %d, %lld+%lld bytes, memory %s; "
				  "the emulator popped head %u, %u descriptors, indirect %d, %llu+%llu bytes",
				  i, (long long)sqlite3_column_int64(ch, 1), (long long)sqlite3_column_int64(ch, 2),
				  sqlite3_column_int(ch, 3), (long long)sqlite3_column_int64(ch, 4),
				  (long long)sqlite3_column_int64(ch, 5), memory ? memory : "NULL", e->head, e->n_desc,
				  e->indirect, (unsigned long long)e->readable, (unsigned long long)e->writable);
		/* The first buffers, in order (the table pointer skipped). */
		unsigned b = 0;
		sqlite3_bind_int64(ds, 1, sqlite3_column_int64(ch, 0));
		while (b < e->n_bufs && sqlite3_step(ds) == SQLITE_ROW) {
			if (sqlite3_column_int64(ds, 2) & VIRTQ_DESC_F_INDIRECT)
				continue;
			if ((uint64_t)sqlite3_column_int64(ds, 0) != e->bufs[b].gpa ||
			    (uint64_t)sqlite3_column_int64(ds, 1) != e->bufs[b].len)
				fuzz_fail("chain %u: descriptor for buffer %u differs from the emulator's", i, b);
			b++;
		}
		if (b != e->n_bufs)
			fuzz_fail("chain %u: %u buffers among its descriptors, the emulator had %u", i, b, e->n_bufs);
		sqlite3_reset(ds);
	}
	if (i != cmp)
		fuzz_fail("%u chains decoded, the emulator popped %u", i, emu.n);
	if (emu.n <= EMU_CHAINS_MAX && emu.stop == RULE_NONE && sqlite3_step(ch) == SQLITE_ROW)
		fuzz_fail("more chains decoded than the emulator popped (%u)", emu.n);
	sqlite3_finalize(ch);
	sqlite3_finalize(ds);

	/* The first ring violation at that event is the emulator's stop. */
	sqlite3_stmt *vs = prepare(db, "SELECT rule FROM violations WHERE seq = ?1 ORDER BY rowid");
	const char *first = NULL;
	sqlite3_bind_int64(vs, 1, (sqlite3_int64)seq);
	while (!first && sqlite3_step(vs) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(vs, 0);
		if (key && is_ring_rule(key))
			first = key;
	}
	const char *want = emu.stop == RULE_NONE ? NULL : rule_lookup(emu.stop)->key;
	if ((first == NULL) != (want == NULL) || (first && strcmp(first, want) != 0))
		fuzz_fail("the decoder's first ring violation is %s, the emulator stopped on %s after %u chains",
			  first ? first : "none", want ? want : "nothing", emu.n);
	sqlite3_finalize(vs);
}

static void check_db(sqlite3 *db)
{
	if (query_int(db, "SELECT count(*) FROM chains c JOIN queues q USING (device, queue, generation) "
			  "WHERE c.n_desc > 2 * q.size") != 0)
		fuzz_fail("a chain longer than twice its queue size");
	if (query_int(db, "SELECT count(*) FROM chains WHERE n_desc > 2 * 32768 OR n_desc < 0") != 0)
		fuzz_fail("a chain longer than twice the largest queue");
	if (query_int(db, "SELECT count(*) FROM chains c WHERE n_desc != "
			  "(SELECT count(*) FROM descriptors d WHERE d.chain = c.chain)") != 0)
		fuzz_fail("a chain whose descriptors rows do not match its n_desc");
	if (query_int(db, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM chains GROUP BY seq_avail)") >
	    (int64_t)VIRTQ_SIZE_MAX)
		fuzz_fail("more than a queue of chains taken at one event");
}

/* --- the operations --- */

static void store(const struct ring_input *ri, struct fuzz_in *in, uint16_t flags)
{
	static uint8_t b[64];
	uint64_t off = fuzz_take(in, 2);
	uint32_t n = (uint32_t)(fuzz_take(in, 1) % 65);

	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)fuzz_take(in, 1);
	if (n)
		mem(ri->ram_base + off, b, n, flags);
}

static void run_ops(const struct ring_input *ri, const struct emu_model *m, struct fuzz_in *in)
{
	uint32_t size = ri->num >= 1 && ri->num <= VIRTQ_SIZE_MAX ? ri->num : 1;
	uint16_t used_idx = 0;
	uint32_t dslot = 0; /* packed: the device's position and wrap counter */
	bool dwrap = true;

	for (unsigned ops = 0; ops < RI_OPS_MAX && fuzz_left(in); ops++) {
		uint8_t op = (uint8_t)fuzz_take(in, 1);
		switch (op % 10) {
		case 0:
			mmio(true, MMIO_QUEUE_NOTIFY, 4, 0);
			break;
		case 1:
			store(ri, in, VMT_MEM_DRIVER_WRITE);
			break;
		case 2: {
			uint8_t e[8];
			if (ri->packed) {
				uint16_t id = (uint16_t)fuzz_take(in, 2);
				le32_put(e, (uint32_t)fuzz_take(in, 4));
				le16_put(e + 4, id);
				le16_put(e + 6, (uint16_t)(VIRTQ_DESC_F_WRITE | (dwrap ? PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED : 0)));
				mem(ri->desc + 16ull * dslot + 8, e, sizeof(e), VMT_MEM_DEVICE_WRITE);
				if (++dslot >= size) {
					dslot = 0;
					dwrap = !dwrap;
				}
				break;
			}
			le32_put(e, (uint32_t)fuzz_take(in, 2));
			le32_put(e + 4, (uint32_t)fuzz_take(in, 4));
			mem(ri->used + 4 + 8ull * (used_idx % size), e, sizeof(e), VMT_MEM_DEVICE_WRITE);
			le16_put(e, ++used_idx);
			mem(ri->used + 2, e, 2, VMT_MEM_DEVICE_WRITE);
			break;
		}
		case 3: {
			struct vmt_event ev = { .type = VMT_EV_IRQ, .width = 1, .base = DEV_BASE, .value = fuzz_take(in, 1) };
			feed(&ev);
			break;
		}
		case 4:
			mmio(false, MMIO_INTERRUPT_STATUS, 4, fuzz_take(in, 1));
			break;
		case 5:
			mmio(true, MMIO_INTERRUPT_ACK, 4, fuzz_take(in, 1));
			break;
		case 6:
			store(ri, in, VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
			break;
		case 7: {
			uint32_t off = (uint32_t)fuzz_take(in, 1) * 4 % 0x200;
			uint8_t how = (uint8_t)fuzz_take(in, 1);
			mmio(how & 1, off, 1u << ((how >> 1) & 3), fuzz_take(in, 4));
			break;
		}
		case 8:
			bring_up(ri, m);
			used_idx = 0;
			dslot = 0;
			dwrap = true;
			break;
		default:
			if (!ri->legacy) {
				mmio(true, MMIO_QUEUE_READY, 4, 0);
				mmio(true, MMIO_QUEUE_READY, 4, 1);
				dslot = 0;
				dwrap = true;
			}
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder_opts opts = { .store_memory = false };
	struct rawtrace_meta meta;
	struct ring_input ri;
	sqlite3 *db = NULL;
	char err[256];

	if (size > FUZZER_MAXLEN)
		return 0;
	if (!ri_parse(&ri, data, size))
		return 0;
	if (!ram && !(ram = malloc(RI_RAM_SIZE)))
		return 0;
	ri_fill_ram(&ri, ram);
	const struct emu_model *m = ri_models[ri.model];

	memset(&meta, 0, sizeof(meta));
	meta.source = VMT_SRC_EMU;
	meta.ram_base = ri.ram_base;
	meta.ram_size = RI_RAM_SIZE;
	if (trace_db_create(&db, ":memory:", err, sizeof(err)) != 0)
		fuzz_fail("trace_db_create: %s", err);
	if (decoder_new(&E.dec, db, &meta, &opts, err, sizeof(err)) != 0)
		fuzz_fail("decoder_new: %s", err);
	E.seq = 0;

	bring_up(&ri, m);
	/* The whole of RAM, stored by the driver once the queue is live: the
	 * decoder takes what the avail index there makes available. */
	uint64_t seq_ram = mem(ri.ram_base, ram, RI_RAM_SIZE, VMT_MEM_DRIVER_WRITE);
	mmio(true, MMIO_QUEUE_NOTIFY, 4, 0);
	emulator_pops(&ri);
	run_ops(&ri, m, &ri.ops);

	if (decoder_finish(E.dec, true, NULL) != 0)
		fuzz_fail("decoder_finish: %s", decoder_error(E.dec));
	decoder_free(E.dec);
	E.dec = NULL;
	check_db(db);
	if (emu.valid)
		compare_with_emulator(db, seq_ram);
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "rings: emulator %s, %u chains, stop rule %d; %lld chains, %lld violations, %lld requests decoded\n",
			emu.valid ? "accepted the layout" : "refused the layout", emu.n, (int)emu.stop,
			(long long)query_int(db, "SELECT count(*) FROM chains"),
			(long long)query_int(db, "SELECT count(*) FROM violations"),
			(long long)query_int(db, "SELECT count(*) FROM requests"));
	if (getenv("FUZZ_TRACE")) {
		sqlite3_stmt *vs = prepare(db, "SELECT seq, rule, message FROM violations ORDER BY rowid");
		while (sqlite3_step(vs) == SQLITE_ROW)
			fprintf(stderr, "  violation at %lld: %s: %s\n", (long long)sqlite3_column_int64(vs, 0),
				(const char *)sqlite3_column_text(vs, 1), (const char *)sqlite3_column_text(vs, 2));
		sqlite3_finalize(vs);
	}
	sqlite3_close(db);
	return 0;
}
