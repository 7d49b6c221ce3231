/* The emulator and the decoder judge hostile rings alike (issue 12: one
 * split-ring walker).  Each bad ring of RELIABILITY.md B01-B11 is built in
 * the guest RAM of a real emulated device (rng), driven by a driver whose
 * every register access, every guest-memory store (driver's and
 * device's) and every interrupt is also fed to a decoder, as the
 * emulator's recorder would write them.  Then:
 *   - the emulator's violations and the decoder's are the same rules in
 *     the same order, and for ring rules the same message (the decoder
 *     prefixes "queue 0: "), which names the head and the descriptor;
 *   - the place agrees: the emulator's vq_pop over the same RAM names the
 *     descriptor (index, position in the chain, indirect or not) at which
 *     the walk stopped, and the decoder's descriptors rows of that chain
 *     end there;
 *   - an rng chain that is not writable buffers only (a device-readable
 *     buffer, or no writable byte: Entropy Device / Device Operation) is
 *     request-malformed to both, and its request still decoded;
 *   - B02, a chain exactly queue-size long (direct, and an indirect table
 *     of queue-size entries), is accepted by both: no violation, the chain
 *     decoded whole and its used entry matched;
 *   - the QEMU ring snapshots (capture/qemu/ring_snap.c, the third user of
 *     the walker) copy enough: shown the same register accesses over the
 *     same RAM, their best-effort copies alone lead a second decoder to
 *     the same ring rules and messages, as anomalies (snapshots may be
 *     torn, so they are never violations), and to the same register
 *     violations.
 * Run under ASan/UBSan too (meson setup -Db_sanitize=address,undefined). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "capture/emu/virtqueue.h"
#include "capture/event.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/ring_snap.h"
#include "capture/rawtrace.h"
#include "decoder/db.h"
#include "decoder/decoder.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/ring_builder.h"

#define DEV_BASE UINT64_C(0x10000000)
/* At 0: the QEMU snapshots see guest RAM as x86 machines lay it out. */
#define RAM_BASE UINT64_C(0)
#define RAM_SIZE UINT64_C(0x100000)
#define RAM_END (RAM_BASE + RAM_SIZE)
#define RING_GPA (RAM_BASE + 0x1000)
#define BUF_GPA (RAM_BASE + 0x40000)
#define TABLE_GPA (BUF_GPA + 0x10000)
#define QN 8u
#define REPORTS_MAX 16u
#define ACCESSES_MAX 256u

#define V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_INDIRECT VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define IND VIRTQ_DESC_F_INDIRECT

/* A decoder and its scratch trace.db. */
struct side {
	sqlite3 *db;
	struct decoder *dec;
	uint64_t seq;
	uint8_t source; /* VMT_SRC_* of its events */
	bool feed_failed;
};

static struct {
	struct guest_mem gm;
	struct emu_device *d;
	struct ring_builder rb;
	uint32_t version;
	uint64_t accept;
	/* What the emulator reported. */
	unsigned n_viol;
	enum rule_id rule[REPORTS_MAX];
	char msg[REPORTS_MAX][256];
	/* The decoder fed the emulator's events, and the register accesses
	 * kept for the snapshot leg. */
	struct side x;
	unsigned n_acc;
	struct access {
		uint32_t off, value;
		bool write;
	} acc[ACCESSES_MAX];
} A;

/* --- the event stream --- */

static void side_feed(struct side *sd, struct vmt_event *ev)
{
	ev->seq = sd->seq++;
	ev->ts_ns = ev->seq * 100;
	ev->source = sd->source;
	if (decoder_feed(sd->dec, ev) != 0 && !sd->feed_failed) {
		fprintf(stderr, "[%s] decoder_feed failed at seq %llu: %s\n", harness_case,
			(unsigned long long)ev->seq, decoder_error(sd->dec));
		sd->feed_failed = true;
	}
}

static void feed(struct vmt_event *ev)
{
	side_feed(&A.x, ev);
}

static bool side_open(struct side *sd, uint8_t source)
{
	struct decoder_opts opts = { .store_memory = false };
	struct rawtrace_meta meta;
	char err[256];

	memset(sd, 0, sizeof(*sd));
	sd->source = source;
	memset(&meta, 0, sizeof(meta));
	meta.source = source;
	meta.ram_base = RAM_BASE;
	meta.ram_size = RAM_SIZE;
	if (trace_db_create(&sd->db, ":memory:", err, sizeof(err)) != 0 ||
	    decoder_new(&sd->dec, sd->db, &meta, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "[%s] decoder: %s\n", harness_case, err);
		return false;
	}
	return true;
}

static void side_close(struct side *sd)
{
	decoder_free(sd->dec);
	if (sd->db)
		sqlite3_close(sd->db);
	memset(sd, 0, sizeof(*sd));
}

static void note_access(uint32_t off, bool write, uint32_t value)
{
	if (A.n_acc < ACCESSES_MAX)
		A.acc[A.n_acc] = (struct access){ .off = off, .value = value, .write = write };
	A.n_acc++;
}

static void on_store(void *ctx, enum gmem_actor who, uint64_t gpa, const void *data, uint64_t len)
{
	const uint8_t *p = data;

	(void)ctx;
	while (len) {
		uint32_t n = len > VMT_EVENT_DATA_MAX ? VMT_EVENT_DATA_MAX : (uint32_t)len;
		struct vmt_event ev = { .type = VMT_EV_MEM, .addr = gpa, .len = n, .data = p,
					.flags = who == GMEM_DEVICE ? VMT_MEM_DEVICE_WRITE : VMT_MEM_DRIVER_WRITE };
		feed(&ev);
		gpa += n;
		p += n;
		len -= n;
	}
}

static void on_irq(void *ctx, struct emu_device *d, uint32_t status)
{
	struct vmt_event ev = { .type = VMT_EV_IRQ, .width = 1, .base = DEV_BASE, .value = status };

	(void)ctx;
	(void)d;
	feed(&ev);
}

static void on_violation(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg)
{
	(void)ctx;
	(void)d;
	if (A.n_viol < REPORTS_MAX) {
		A.rule[A.n_viol] = rule;
		snprintf(A.msg[A.n_viol], sizeof(A.msg[0]), "%s", msg ? msg : "");
	}
	A.n_viol++;
}

/* A register access as the emulator's recorder writes it: a write before
 * what the device does in response, a read after, with its value. */
static uint32_t rd(uint32_t off)
{
	uint64_t v = emu_mmio_read(A.d, off, 4);
	struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = VMT_DIR_READ, .width = 4, .base = DEV_BASE,
				.addr = off, .value = v };

	feed(&ev);
	note_access(off, false, (uint32_t)v);
	return (uint32_t)v;
}

static void wr(uint32_t off, uint32_t v)
{
	struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = VMT_DIR_WRITE, .width = 4, .base = DEV_BASE,
				.addr = off, .value = v };

	feed(&ev);
	note_access(off, true, v);
	emu_mmio_write(A.d, off, 4, v);
}

/* --- set-up --- */

static bool open_pair(uint32_t version)
{
	struct emu_device_cfg cfg;
	struct emu_hooks hooks = { .irq = on_irq, .violation = on_violation };

	memset(&A, 0, sizeof(A));
	A.version = version;
	if (gmem_init(&A.gm, RAM_BASE, RAM_SIZE) < 0)
		return false;
	A.gm.observer = on_store;
	memset(&cfg, 0, sizeof(cfg));
	cfg.base = DEV_BASE;
	cfg.version = version;
	cfg.model = &emu_model_rng;
	if (emu_device_new(&A.d, &cfg, &A.gm, &hooks) < 0) {
		gmem_release(&A.gm);
		return false;
	}
	return side_open(&A.x, VMT_SRC_EMU);
}

static void close_pair(void)
{
	side_close(&A.x);
	emu_device_free(A.d);
	rb_release(&A.rb);
	gmem_release(&A.gm);
	memset(&A, 0, sizeof(A));
}

/* The driver's initialization with queue 0 of qnum entries (the ring is
 * built for num entries at RING_GPA; qnum is what QueueNum says). */
static void driver_init(uint64_t accept, uint32_t num, uint32_t qnum)
{
	A.accept = accept;
	rd(MMIO_MAGIC_VALUE);
	rd(MMIO_VERSION);
	rd(MMIO_DEVICE_ID);
	rd(MMIO_VENDOR_ID);
	wr(MMIO_STATUS, 0);
	wr(MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	for (uint32_t w = 0; w < (A.version == 2 ? 2u : 1u); w++) {
		wr(MMIO_DEVICE_FEATURES_SEL, w);
		rd(MMIO_DEVICE_FEATURES);
		wr(MMIO_DRIVER_FEATURES_SEL, w);
		wr(MMIO_DRIVER_FEATURES, (uint32_t)(accept >> (32 * w)));
	}
	if (A.version == 2) {
		st |= VIRTIO_STATUS_FEATURES_OK;
		wr(MMIO_STATUS, st);
		rd(MMIO_STATUS);
	} else {
		wr(MMIO_GUEST_PAGE_SIZE, 4096);
	}
	wr(MMIO_QUEUE_SEL, 0);
	rd(MMIO_QUEUE_NUM_MAX);
	wr(MMIO_QUEUE_NUM, qnum);
	if (A.version == 2) {
		if (rb_init_modern(&A.rb, &A.gm, num, RING_GPA) < 0)
			CHECK(!"rb_init_modern");
		uint64_t a[3] = { A.rb.desc, A.rb.avail, A.rb.used };
		for (int i = 0; i < 3; i++) {
			wr(MMIO_QUEUE_DESC_LOW + 0x10 * i, (uint32_t)a[i]);
			wr(MMIO_QUEUE_DESC_HIGH + 0x10 * i, (uint32_t)(a[i] >> 32));
		}
		wr(MMIO_QUEUE_READY, 1);
	} else {
		if (rb_init_legacy(&A.rb, &A.gm, num, RING_GPA, 4096) < 0)
			CHECK(!"rb_init_legacy");
		wr(MMIO_QUEUE_ALIGN, 4096);
		wr(MMIO_QUEUE_PFN, (uint32_t)(RING_GPA / 4096));
	}
	wr(MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	/* The ring areas as the driver zeroed them, so the decoder's copy of
	 * guest memory holds them (rb_init wrote them past the observer). */
	uint64_t len = A.version == 2 ? rb_modern_bytes(num) : rb_legacy_bytes(num, 4096);
	on_store(NULL, GMEM_DRIVER, RING_GPA, A.gm.ram + (RING_GPA - RAM_BASE), len);
}

static bool boot(uint32_t version, uint64_t accept, uint32_t num)
{
	if (!open_pair(version)) {
		CHECK(!"open_pair failed");
		close_pair();
		return false;
	}
	driver_init(accept, num, num);
	if (A.n_viol) {
		fprintf(stderr, "[%s] initialization: %s\n", harness_case, A.msg[0]);
		CHECK(!"initialization reported violations");
	}
	return true;
}

static void avail(uint32_t slot, uint16_t head, uint16_t idx)
{
	rb_avail_put_raw(&A.rb, slot, head);
	rb_avail_set_idx(&A.rb, idx);
}

/* --- the comparison --- */

static bool is_ring_rule(enum rule_id r)
{
	return r >= RULE_RING_HEAD_RANGE && r <= RULE_RING_WRITE_BEFORE_READ;
}

static int64_t q_int_db(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "[%s] query '%s': %s\n", harness_case, sql, sqlite3_errmsg(db));
		harness_failures++;
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t q_int(const char *sql)
{
	return q_int_db(A.x.db, sql);
}

/* What the emulator's engine says about the same RAM, popped afresh:
 * the rule and place of its stop (RULE_NONE if it popped everything). */
static void engine_pop(uint32_t num, struct vq_fault *f, unsigned *chains)
{
	struct virtqueue vq;
	struct vq_chain c;

	memset(f, 0, sizeof(*f));
	*chains = 0;
	/* No EVENT_IDX: popping writes nothing into guest RAM. */
	if (vq_setup(&vq, &A.gm, num, A.rb.desc, A.rb.avail, A.rb.used, (A.accept & F_INDIRECT) != 0, false, f) < 0)
		return;
	int r;
	while ((r = vq_pop(&vq, &c, f)) == 1 && *chains <= num)
		++*chains;
	if (r == 0)
		f->rule = RULE_NONE;
	vq_release(&vq);
}

static int snap_emit(void *ctx, const struct vmt_event *ev)
{
	struct vmt_event e = *ev;

	side_feed(ctx, &e);
	return 0;
}

/* The snapshot leg (see the top): the recorded register accesses shown to
 * ring_snap over the final RAM, its copies and the accesses fed to a
 * second decoder, whose anomalies must be the emulator's ring rules and
 * whose violations its other rules. */
static void snapshot_compare(void)
{
	struct side sd;
	struct guest_ram g;
	struct ring_snap *rs = NULL;

	if (A.n_acc > ACCESSES_MAX) {
		CHECK(!"more register accesses than kept");
		return;
	}
	if (!side_open(&sd, VMT_SRC_QEMU)) {
		CHECK(!"snapshot decoder");
		side_close(&sd);
		return;
	}
	guest_ram_wrap(&g, A.gm.ram, RAM_SIZE, RAM_SIZE);
	if (ring_snap_new(&rs, &g, snap_emit, &sd) != 0) {
		CHECK(!"ring_snap_new");
		side_close(&sd);
		return;
	}
	/* Each access after the snapshot it triggers, then a last status
	 * read for the used side. */
	for (unsigned i = 0; i <= A.n_acc; i++) {
		uint32_t off = i < A.n_acc ? A.acc[i].off : MMIO_INTERRUPT_STATUS;
		uint32_t value = i < A.n_acc ? A.acc[i].value : emu_interrupt_status(A.d);
		bool write = i < A.n_acc && A.acc[i].write;
		CHECK_EQ_U(ring_snap_access(rs, DEV_BASE, off, write, 4, value, sd.seq * 100), 0);
		struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = write ? VMT_DIR_WRITE : VMT_DIR_READ, .width = 4,
					.base = DEV_BASE, .addr = off, .value = value };
		side_feed(&sd, &ev);
	}
	ring_snap_free(rs);
	if (decoder_finish(sd.dec, true, NULL) != 0) {
		fprintf(stderr, "[%s] snapshot decoder_finish: %s\n", harness_case, decoder_error(sd.dec));
		harness_failures++;
	}
	CHECK(!sd.feed_failed);

	/* Ring rules as anomalies, with the walker's message. */
	sqlite3_stmt *st;
	unsigned k = 0;
	if (sqlite3_prepare_v2(sd.db, "SELECT rule, message FROM anomalies ORDER BY seq, rowid", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0);
			const char *msg = (const char *)sqlite3_column_text(st, 1);
			while (k < A.n_viol && k < REPORTS_MAX && !is_ring_rule(A.rule[k]))
				k++;
			if (k >= A.n_viol || k >= REPORTS_MAX) {
				fprintf(stderr, "[%s] from snapshots the decoder also finds %s: %s\n", harness_case, key, msg);
				harness_failures++;
				continue;
			}
			CHECK_STR(key, rule_lookup(A.rule[k])->key);
			CHECK_STR(msg, A.msg[k]);
			k++;
		}
		sqlite3_finalize(st);
	}
	for (; k < A.n_viol && k < REPORTS_MAX; k++)
		if (is_ring_rule(A.rule[k])) {
			fprintf(stderr, "[%s] from snapshots the decoder misses %s: %s\n", harness_case,
				rule_lookup(A.rule[k])->key, A.msg[k]);
			harness_failures++;
		}
	/* Register rules as violations, the same ones.  Request rules are
	 * judged on exact memory only, never on snapshots. */
	unsigned others = 0;
	for (unsigned i = 0; i < A.n_viol && i < REPORTS_MAX; i++)
		others += !is_ring_rule(A.rule[i]) && A.rule[i] != RULE_REQUEST_MALFORMED;
	CHECK_EQ_U(q_int_db(sd.db, "SELECT count(*) FROM violations WHERE rule NOT LIKE 'ring-%'"), others);
	CHECK_EQ_U(q_int_db(sd.db, "SELECT count(*) FROM anomalies WHERE rule = 'request-malformed'"), 0);
	CHECK_EQ_U(q_int_db(sd.db, "SELECT count(*) FROM violations WHERE rule LIKE 'ring-%'"), 0);
	if (A.n_viol == 0)
		CHECK_EQ_U(q_int_db(sd.db, "SELECT count(*) FROM chains"), q_int("SELECT count(*) FROM chains"));
	side_close(&sd);
}

/* Finish decoding and compare the two sides' findings (see the top). */
static void compare_at(int line, uint32_t num)
{
	int saved = harness_failures;

	if (decoder_finish(A.x.dec, true, NULL) != 0) {
		fprintf(stderr, "[%s] decoder_finish: %s\n", harness_case, decoder_error(A.x.dec));
		harness_failures++;
	}
	CHECK(!A.x.feed_failed);

	/* The same rules in the same order, the same messages. */
	sqlite3_stmt *st;
	unsigned n = 0;
	if (sqlite3_prepare_v2(A.x.db, "SELECT rule, message FROM violations ORDER BY seq, rowid", -1, &st, NULL) != SQLITE_OK) {
		CHECK(!"prepare violations");
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *msg = (const char *)sqlite3_column_text(st, 1);
		if (n >= A.n_viol || n >= REPORTS_MAX) {
			fprintf(stderr, "[%s] the decoder also reports %s: %s\n", harness_case, key, msg);
			harness_failures++;
			n++;
			continue;
		}
		CHECK_STR(key, rule_lookup(A.rule[n])->key);
		if (is_ring_rule(A.rule[n])) {
			char want[300];
			snprintf(want, sizeof(want), "queue 0: %s", A.msg[n]);
			CHECK_STR(msg, want);
		}
		n++;
	}
	sqlite3_finalize(st);
	for (; n < A.n_viol && n < REPORTS_MAX; n++) {
		fprintf(stderr, "[%s] only the emulator reports %s: %s\n", harness_case, rule_lookup(A.rule[n])->key,
			A.msg[n]);
		harness_failures++;
	}
	CHECK_EQ_U(q_int("SELECT count(*) FROM anomalies"), 0);

	/* The same place: the engine's stop against the decoder's last chain. */
	struct vq_fault f;
	unsigned chains;
	engine_pop(num, &f, &chains);
	if (A.n_viol && is_ring_rule(A.rule[0])) {
		CHECK_EQ_U(f.rule, A.rule[0]);
		CHECK_STR(f.msg, A.msg[0]);
	}
	bool at_desc = f.rule != RULE_NONE && f.rule != RULE_RING_AVAIL_JUMP && f.rule != RULE_RING_HEAD_RANGE &&
		       is_ring_rule(f.rule);
	if (at_desc) {
		char sql[256];
		int64_t chain = q_int("SELECT max(chain) FROM chains");
		snprintf(sql, sizeof(sql), "SELECT head FROM chains WHERE chain = %lld", (long long)chain);
		CHECK_EQ_U(q_int(sql), f.at.head);
		snprintf(sql, sizeof(sql), "SELECT n_desc FROM chains WHERE chain = %lld", (long long)chain);
		if (f.rule == RULE_RING_CHAIN_LOOP) {
			/* Stopped before reading one more: the place is that next one. */
			CHECK_EQ_U(q_int(sql), f.at.pos);
		} else {
			CHECK_EQ_U(q_int(sql), f.at.pos + 1);
			snprintf(sql, sizeof(sql), "SELECT idx FROM descriptors WHERE chain = %lld AND pos = %u",
				 (long long)chain, f.at.pos);
			CHECK_EQ_U(q_int(sql), f.at.idx);
			snprintf(sql, sizeof(sql), "SELECT in_indirect FROM descriptors WHERE chain = %lld AND pos = %u",
				 (long long)chain, f.at.pos);
			CHECK_EQ_U(q_int(sql), f.at.indirect);
		}
	}
	if (f.rule == RULE_NONE && A.n_viol == 0)
		CHECK_EQ_U(q_int("SELECT count(*) FROM chains"), chains);
	snapshot_compare();
	if (harness_failures != saved)
		fprintf(stderr, "    (case at line %d, version %u)\n", line, A.version);
}
#define COMPARE(num) compare_at(__LINE__, (num))

/* The device stopped on rule (the emulator side of the bargain). */
static void expect_rule_at(int line, enum rule_id rule)
{
	if (A.n_viol != 1 || A.rule[0] != rule) {
		fprintf(stderr, "%s:%d: [%s] the emulator reported %u violation(s), first %s; expected %s\n", __FILE__,
			line, harness_case, A.n_viol, A.n_viol ? rule_lookup(A.rule[0])->key : "none",
			rule_lookup(rule)->key);
		harness_failures++;
	}
}
#define EXPECT_RULE(rule) expect_rule_at(__LINE__, (rule))

/* --- the bad rings --- */

static void test_b01_loops(void)
{
	for (uint32_t v = 1; v <= 2; v++) {
		/* A self loop, then loops of k. */
		for (uint32_t k = 1; k <= QN; k++) {
			if (!boot(v, V1, QN))
				return;
			for (uint32_t i = 0; i < k; i++)
				rb_set_desc(&A.rb, i, BUF_GPA + 16 * i, 16, W | NX, (uint16_t)((i + 1) % k));
			avail(0, 0, 1);
			wr(MMIO_QUEUE_NOTIFY, 0);
			EXPECT_RULE(RULE_RING_CHAIN_LOOP);
			COMPARE(QN);
			close_pair();
		}
	}
	/* Entered from a head that is not on the loop. */
	if (!boot(2, V1, QN))
		return;
	rb_set_desc(&A.rb, 5, BUF_GPA, 16, W | NX, 6);
	rb_set_desc(&A.rb, 6, BUF_GPA, 16, W | NX, 7);
	rb_set_desc(&A.rb, 7, BUF_GPA, 16, W | NX, 6);
	avail(0, 5, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_CHAIN_LOOP);
	COMPARE(QN);
	close_pair();
	/* Inside an indirect table. */
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	rb_put_desc(&A.gm, TABLE_GPA, BUF_GPA, 16, W | NX, 1);
	rb_put_desc(&A.gm, TABLE_GPA + 16, BUF_GPA, 16, W | NX, 0);
	rb_set_desc(&A.rb, 0, TABLE_GPA, 32, IND, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_CHAIN_LOOP);
	COMPARE(QN);
	close_pair();
}

/* B02: queue-size chains are legal for both. */
static void test_b02_full_chains(void)
{
	static const uint16_t order[QN] = { 3, 0, 7, 1, 6, 2, 5, 4 };

	for (uint32_t v = 1; v <= 2; v++) {
		if (!boot(v, V1, QN))
			return;
		for (uint32_t i = 0; i < QN; i++)
			rb_set_desc(&A.rb, order[i], BUF_GPA + 16 * i, 16, (uint16_t)(W | (i + 1 < QN ? NX : 0)),
				    i + 1 < QN ? order[i + 1] : 0);
		avail(0, order[0], 1);
		wr(MMIO_QUEUE_NOTIFY, 0);
		CHECK_EQ_U(A.n_viol, 0);
		CHECK_EQ_U(rb_used_idx(&A.rb), 1);
		COMPARE(QN);
		CHECK_EQ_U(q_int("SELECT count(*) FROM violations"), 0);
		CHECK_EQ_U(q_int("SELECT n_desc FROM chains"), QN);
		CHECK_EQ_U(q_int("SELECT writable FROM chains"), 16 * QN);
		CHECK_EQ_U(q_int("SELECT count(*) FROM used WHERE chain IS NOT NULL AND id = 3 AND len = 128"), 1);
		close_pair();
	}
	/* An indirect table of queue-size entries. */
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	for (uint32_t i = 0; i < QN; i++)
		rb_put_desc(&A.gm, TABLE_GPA + 16 * i, BUF_GPA + 16 * i, 16, (uint16_t)(W | (i + 1 < QN ? NX : 0)),
			    (uint16_t)(i + 1 < QN ? i + 1 : 0));
	rb_set_desc(&A.rb, 2, TABLE_GPA, 16 * QN, IND, 0);
	avail(0, 2, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ_U(A.n_viol, 0);
	CHECK_EQ_U(rb_used_idx(&A.rb), 1);
	COMPARE(QN);
	CHECK_EQ_U(q_int("SELECT n_desc FROM chains"), QN + 1);
	CHECK_EQ_U(q_int("SELECT indirect FROM chains"), 1);
	CHECK_EQ_U(q_int("SELECT count(*) FROM used WHERE chain IS NOT NULL"), 1);
	close_pair();
}

/* B03: next out of range, in the ring's table and in an indirect one. */
static void test_b03_next_range(void)
{
	static const uint16_t nexts[] = { QN, QN + 1, 0x1234, 0xffff };

	for (size_t i = 0; i < sizeof(nexts) / sizeof(nexts[0]); i++) {
		for (uint32_t v = 1; v <= 2; v++) {
			if (!boot(v, V1, QN))
				return;
			rb_set_desc(&A.rb, 0, BUF_GPA, 16, W | NX, 1);
			rb_set_desc(&A.rb, 1, BUF_GPA + 16, 16, W | NX, nexts[i]);
			avail(0, 0, 1);
			wr(MMIO_QUEUE_NOTIFY, 0);
			EXPECT_RULE(RULE_RING_NEXT_RANGE);
			COMPARE(QN);
			close_pair();
		}
	}
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	rb_put_desc(&A.gm, TABLE_GPA, BUF_GPA, 16, W | NX, 2);
	rb_put_desc(&A.gm, TABLE_GPA + 16, BUF_GPA, 16, W, 0);
	rb_set_desc(&A.rb, 0, TABLE_GPA, 32, IND, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_NEXT_RANGE);
	COMPARE(QN);
	close_pair();
}

/* B04: a head outside the queue; N (the last descriptor) is fine. */
static void test_b04_head_range(void)
{
	static const uint16_t heads[] = { QN, 999, 0xffff };

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		for (uint32_t v = 1; v <= 2; v++) {
			if (!boot(v, V1, QN))
				return;
			rb_set_desc(&A.rb, QN - 1, BUF_GPA, 16, W, 0);
			avail(0, heads[i], 1);
			wr(MMIO_QUEUE_NOTIFY, 0);
			EXPECT_RULE(RULE_RING_HEAD_RANGE);
			COMPARE(QN);
			close_pair();
		}
	}
	if (!boot(2, V1, QN))
		return;
	rb_set_desc(&A.rb, QN - 1, BUF_GPA, 16, W, 0);
	avail(0, QN - 1, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ_U(A.n_viol, 0);
	COMPARE(QN);
	close_pair();
}

/* B05: the avail idx a queue and one ahead, and more; a queue's worth at
 * once is legal. */
static void test_b05_avail_jump(void)
{
	static const uint16_t idxs[] = { QN + 1, 300, 0x8000, 0xffff, QN };

	for (size_t i = 0; i < sizeof(idxs) / sizeof(idxs[0]); i++) {
		if (!boot(2, V1, QN))
			return;
		for (uint32_t d = 0; d < QN; d++) {
			rb_set_desc(&A.rb, d, BUF_GPA + 16 * d, 16, W, 0);
			rb_avail_put_raw(&A.rb, d, (uint16_t)(QN - 1 - d));
		}
		rb_avail_set_idx(&A.rb, idxs[i]);
		wr(MMIO_QUEUE_NOTIFY, 0);
		if (idxs[i] == QN) {
			CHECK_EQ_U(A.n_viol, 0);
			CHECK_EQ_U(rb_used_idx(&A.rb), QN);
		} else {
			EXPECT_RULE(RULE_RING_AVAIL_JUMP);
		}
		COMPARE(QN);
		close_pair();
	}
}

/* B06: queue sizes no queue may have, for both transports. */
static void test_b06_queue_num(void)
{
	static const uint32_t nums[] = { 0, 3, EMU_QUEUE_NUM_MAX_DEFAULT * 2, 0x10000 };

	for (uint32_t v = 1; v <= 2; v++) {
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			if (!open_pair(v)) {
				CHECK(!"open_pair");
				close_pair();
				return;
			}
			driver_init(V1, QN, nums[i]);
			struct rb_seg s = { BUF_GPA, 16, true };
			rb_submit(&A.rb, &s, 1);
			wr(MMIO_QUEUE_NOTIFY, 0);
			CHECK(A.n_viol >= 1);
			CHECK_EQ_U(rb_used_idx(&A.rb), 0);
			COMPARE(QN);
			close_pair();
		}
	}
}

/* B07-B09: indirect tables of bad lengths, nested, with NEXT, not
 * negotiated. */
static void indirect_case(int line, uint64_t accept, uint32_t len, uint16_t flags, bool nested, enum rule_id rule)
{
	if (!boot(2, accept, QN))
		return;
	rb_put_desc(&A.gm, TABLE_GPA, nested ? TABLE_GPA + 0x100 : BUF_GPA, 16, nested ? IND : (uint16_t)(W | NX), 1);
	rb_put_desc(&A.gm, TABLE_GPA + 16, BUF_GPA + 16, 16, W, 0);
	rb_put_desc(&A.gm, TABLE_GPA + 0x100, BUF_GPA, 16, W, 0);
	rb_set_desc(&A.rb, 0, TABLE_GPA, len, flags, 1);
	rb_set_desc(&A.rb, 1, BUF_GPA + 32, 16, W, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	expect_rule_at(line, rule);
	compare_at(line, QN);
	close_pair();
}

static void test_b07_b09_indirect(void)
{
	const uint64_t acc = V1 | F_INDIRECT;

	indirect_case(__LINE__, acc, 0, IND, false, RULE_RING_INDIRECT_LEN);
	indirect_case(__LINE__, acc, 8, IND, false, RULE_RING_INDIRECT_LEN);
	indirect_case(__LINE__, acc, 17, IND, false, RULE_RING_INDIRECT_LEN);
	indirect_case(__LINE__, acc, 16 * (QN + 1), IND, false, RULE_RING_INDIRECT_LEN);
	indirect_case(__LINE__, acc, 0xfffffff0u, IND, false, RULE_RING_INDIRECT_LEN);
	indirect_case(__LINE__, acc, 32, IND, true, RULE_RING_INDIRECT_NESTED);
	indirect_case(__LINE__, acc, 32, IND | NX, false, RULE_RING_INDIRECT_WITH_NEXT);
	indirect_case(__LINE__, V1, 32, IND, false, RULE_RING_INDIRECT_NOT_NEGOTIATED);
}

/* B10 / B11: buffers and tables outside guest RAM or wrapping, 4 GiB
 * lengths (outside this 1 MiB RAM); a buffer ending at the end of RAM is
 * legal. */
static void test_b10_b11_outside(void)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
	} cases[] = {
		{ RAM_END - 8, 16, W },
		{ RAM_BASE - 16, 16, W },
		{ UINT64_C(0xfffffffffffffff0), 0x20, W },
		{ BUF_GPA, 0xffffffffu, W },             /* B11 */
		{ RAM_BASE, 0xffffffffu, 0 },             /* B11 */
		{ RAM_END - 16, 32, IND },                /* a table past the end */
		{ UINT64_C(0xfffffffffffffff0), 32, IND }, /* a table wrapping */
		{ RAM_END - 16, 16, W },                  /* N: legal */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!boot(2, V1 | F_INDIRECT, QN))
			return;
		rb_set_desc(&A.rb, 0, cases[i].addr, cases[i].len, cases[i].flags, 0);
		avail(0, 0, 1);
		wr(MMIO_QUEUE_NOTIFY, 0);
		if (i + 1 == sizeof(cases) / sizeof(cases[0]))
			CHECK_EQ_U(A.n_viol, 0);
		else
			EXPECT_RULE(RULE_RING_BUFFER_OUTSIDE_MEMORY);
		COMPARE(QN);
		close_pair();
	}
	/* Second in a chain, and in an indirect table. */
	if (!boot(1, V1, QN))
		return;
	rb_set_desc(&A.rb, 4, BUF_GPA, 16, NX, 5);
	rb_set_desc(&A.rb, 5, UINT64_C(0x90000000), 512, W, 0);
	avail(0, 4, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_BUFFER_OUTSIDE_MEMORY);
	COMPARE(QN);
	close_pair();
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	rb_put_desc(&A.gm, TABLE_GPA, BUF_GPA, 16, NX, 1);
	rb_put_desc(&A.gm, TABLE_GPA + 16, RAM_END, 1, W, 0);
	rb_set_desc(&A.rb, 0, TABLE_GPA, 32, IND, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_BUFFER_OUTSIDE_MEMORY);
	COMPARE(QN);
	close_pair();
}

/* Readable after writable, directly and in an indirect table. */
static void test_write_before_read(void)
{
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	rb_set_desc(&A.rb, 0, BUF_GPA, 16, W | NX, 1);
	rb_set_desc(&A.rb, 1, BUF_GPA + 16, 16, 0, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_WRITE_BEFORE_READ);
	COMPARE(QN);
	close_pair();
	if (!boot(2, V1 | F_INDIRECT, QN))
		return;
	rb_put_desc(&A.gm, TABLE_GPA, BUF_GPA, 16, W | NX, 1);
	rb_put_desc(&A.gm, TABLE_GPA + 16, BUF_GPA + 16, 16, 0, 0);
	rb_set_desc(&A.rb, 3, TABLE_GPA, 32, IND, 0);
	avail(0, 3, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_WRITE_BEFORE_READ);
	COMPARE(QN);
	close_pair();
}

/* An rng request with a device-readable buffer (first, so no ring rule is
 * broken), and one with no writable byte: request-malformed to the
 * emulator's model and to the decoder alike, at the same chain, and both
 * go on (the request is answered, decoded and used). */
static void test_rng_not_writable_only(void)
{
	for (uint32_t v = 1; v <= 2; v++) {
		if (!boot(v, V1, QN))
			return;
		rb_set_desc(&A.rb, 0, BUF_GPA, 16, NX, 1);          /* device-readable */
		rb_set_desc(&A.rb, 1, BUF_GPA + 16, 16, W, 0);
		rb_set_desc(&A.rb, 2, BUF_GPA + 32, 16, W, 0);      /* a good one after */
		rb_avail_put_raw(&A.rb, 0, 0);
		rb_avail_put_raw(&A.rb, 1, 2);
		rb_avail_set_idx(&A.rb, 2);
		wr(MMIO_QUEUE_NOTIFY, 0);
		EXPECT_RULE(RULE_REQUEST_MALFORMED);
		CHECK_EQ_U(rb_used_idx(&A.rb), 2);
		COMPARE(QN);
		CHECK_EQ_U(q_int("SELECT count(*) FROM violations WHERE rule = 'request-malformed' AND message LIKE "
				 "'queue 0: rng request at head 0 has 1 device-readable buffers and 16 writable bytes;%'"), 1);
		CHECK_EQ_U(q_int("SELECT count(*) FROM requests WHERE kind = 'rng'"), 2);
		CHECK_EQ_U(q_int("SELECT count(*) FROM used WHERE chain IS NOT NULL"), 2);
		close_pair();
	}
	/* Readable only: no writable byte either. */
	if (!boot(2, V1, QN))
		return;
	rb_set_desc(&A.rb, 4, BUF_GPA, 16, 0, 0);
	avail(0, 4, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_REQUEST_MALFORMED);
	COMPARE(QN);
	CHECK_EQ_U(q_int("SELECT count(*) FROM violations WHERE rule = 'request-malformed' AND message LIKE "
			 "'queue 0: rng request at head 4 has 1 device-readable buffers and 0 writable bytes;%'"), 1);
	close_pair();
	/* Writable only: nothing to report (the control). */
	if (!boot(2, V1, QN))
		return;
	rb_set_desc(&A.rb, 0, BUF_GPA, 16, W | NX, 1);
	rb_set_desc(&A.rb, 1, BUF_GPA + 16, 16, W, 0);
	avail(0, 0, 1);
	wr(MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ_U(A.n_viol, 0);
	COMPARE(QN);
	close_pair();
}

/* Good chains before a bad one: both take the good ones, then stop on the
 * same rule. */
static void test_good_then_bad(void)
{
	if (!boot(2, V1, QN))
		return;
	rb_set_desc(&A.rb, 0, BUF_GPA, 16, W, 0);
	rb_set_desc(&A.rb, 1, BUF_GPA + 16, 16, W | NX, 2); /* rng: writable buffers only */
	rb_set_desc(&A.rb, 2, BUF_GPA + 32, 16, W, 0);
	rb_set_desc(&A.rb, 3, BUF_GPA, 16, W | NX, 3);
	rb_avail_put_raw(&A.rb, 0, 0);
	rb_avail_put_raw(&A.rb, 1, 1);
	rb_avail_put_raw(&A.rb, 2, 3);
	rb_avail_set_idx(&A.rb, 3);
	wr(MMIO_QUEUE_NOTIFY, 0);
	EXPECT_RULE(RULE_RING_CHAIN_LOOP);
	CHECK_EQ_U(rb_used_idx(&A.rb), 2);
	COMPARE(QN);
	CHECK_EQ_U(q_int("SELECT count(*) FROM chains"), 3);
	CHECK_EQ_U(q_int("SELECT count(*) FROM used WHERE chain IS NOT NULL"), 2);
	close_pair();
}

int main(void)
{
	RUN(test_b01_loops);
	RUN(test_b02_full_chains);
	RUN(test_b03_next_range);
	RUN(test_b04_head_range);
	RUN(test_b05_avail_jump);
	RUN(test_b06_queue_num);
	RUN(test_b07_b09_indirect);
	RUN(test_b10_b11_outside);
	RUN(test_write_before_read);
	RUN(test_rng_not_writable_only);
	RUN(test_good_then_bad);
	return harness_finish("test_walker_agree");
}
