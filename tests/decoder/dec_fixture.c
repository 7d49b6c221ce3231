/* Hand-built event streams for the ring decoder tests; see dec_fixture.h. */
#include "tests/decoder/dec_fixture.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "decoder/db.h"
#include "decoder/decoder.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

static uint64_t feed(struct fx *fx, struct vmt_event *ev)
{
	ev->seq = fx->seq++;
	ev->ts_ns = ev->seq * 10;
	ev->source = VMT_SRC_EMU;
	if (decoder_feed(fx->dec, ev) != 0) {
		fprintf(stderr, "decoder_feed failed at seq %llu: %s\n", (unsigned long long)ev->seq,
			decoder_error(fx->dec));
		harness_failures++;
	}
	return ev->seq;
}

void fx_open(struct fx *fx, const char *name)
{
	fx_open_at(fx, harness_tmpfile(name));
}

void fx_open_at(struct fx *fx, const char *path)
{
	char err[256];
	struct rawtrace_meta meta;
	struct decoder_opts opts = { .store_memory = false, .payload_cap = 0 };

	memset(fx, 0, sizeof(*fx));
	fx->qsize = 8;
	snprintf(fx->path, sizeof(fx->path), "%s", path);
	unlink(fx->path);
	if (trace_db_create(&fx->db, fx->path, err, sizeof(err)) != 0) {
		fprintf(stderr, "trace_db_create: %s\n", err);
		exit(1);
	}
	memset(&meta, 0, sizeof(meta));
	meta.source = VMT_SRC_EMU;
	meta.ram_base = FX_RAM_BASE;
	meta.ram_size = FX_RAM_SIZE;
	if (decoder_new(&fx->dec, fx->db, &meta, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "decoder_new: %s\n", err);
		exit(1);
	}
}

void fx_finish(struct fx *fx)
{
	CHECK(decoder_finish(fx->dec, true, NULL) == 0);
	decoder_free(fx->dec);
	fx->dec = NULL;
}

void fx_close(struct fx *fx)
{
	if (fx->dec)
		fx_finish(fx);
	sqlite3_close(fx->db);
	unlink(fx->path);
}

uint64_t fx_mmio_w(struct fx *fx, bool write, uint32_t off, uint8_t width, uint64_t value)
{
	struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = write ? VMT_DIR_WRITE : VMT_DIR_READ, .width = width,
				.base = FX_BASE, .addr = off, .value = value };
	return feed(fx, &ev);
}

uint64_t fx_mmio(struct fx *fx, bool write, uint32_t off, uint32_t value)
{
	return fx_mmio_w(fx, write, off, 4, value);
}

uint64_t fx_mem(struct fx *fx, uint64_t gpa, const void *data, uint32_t len, uint16_t flags)
{
	struct vmt_event ev = { .type = VMT_EV_MEM, .flags = flags, .addr = gpa, .len = len, .data = data };
	return feed(fx, &ev);
}

uint64_t fx_drv(struct fx *fx, uint64_t gpa, const void *data, uint32_t len)
{
	return fx_mem(fx, gpa, data, len, VMT_MEM_DRIVER_WRITE);
}

uint64_t fx_dev(struct fx *fx, uint64_t gpa, const void *data, uint32_t len)
{
	return fx_mem(fx, gpa, data, len, VMT_MEM_DEVICE_WRITE);
}

uint64_t fx_irq(struct fx *fx, uint32_t status)
{
	struct vmt_event ev = { .type = VMT_EV_IRQ, .width = 1, .base = FX_BASE, .value = status };
	return feed(fx, &ev);
}

uint64_t fx_report_raw(struct fx *fx, uint64_t base, uint64_t q, uint64_t step, const void *data, uint32_t len)
{
	struct vmt_event ev = { .type = VMT_EV_QUEUE, .base = base, .addr = q, .value = step, .len = len, .data = data };
	return feed(fx, &ev);
}

uint64_t fx_report(struct fx *fx, uint64_t q, uint32_t step, uint64_t token, uint64_t arg0, uint64_t arg1)
{
	struct vmt_queue_report r = { .token = token, .arg0 = arg0, .arg1 = arg1 };
	uint8_t b[VMT_QUEUE_REPORT_BYTES];

	vmt_queue_report_encode(&r, b);
	return fx_report_raw(fx, FX_BASE, q, step, b, sizeof(b));
}

void fx_init_device(struct fx *fx, uint32_t device_id, uint64_t features, unsigned n_queues)
{
	static uint8_t zeros[0x1000];

	fx_mmio(fx, false, MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
	fx_mmio(fx, false, MMIO_VERSION, 2);
	fx_mmio(fx, false, MMIO_DEVICE_ID, device_id);
	fx_mmio(fx, false, MMIO_VENDOR_ID, 0x554d4551);
	fx_mmio(fx, true, MMIO_STATUS, 0);
	fx_mmio(fx, true, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	fx_mmio(fx, true, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t w = 0; w < 2; w++) {
		fx_mmio(fx, true, MMIO_DEVICE_FEATURES_SEL, w);
		fx_mmio(fx, false, MMIO_DEVICE_FEATURES, (uint32_t)(features >> (32 * w)));
	}
	for (uint32_t w = 0; w < 2; w++) {
		fx_mmio(fx, true, MMIO_DRIVER_FEATURES_SEL, w);
		fx_mmio(fx, true, MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * w)));
	}
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	fx_mmio(fx, true, MMIO_STATUS, st);
	fx_mmio(fx, false, MMIO_STATUS, st);
	for (unsigned q = 0; q < n_queues; q++) {
		/* A careful driver zeroes its rings before handing them over. */
		fx_drv(fx, FX_DESC(q), zeros, sizeof(zeros));
		fx_mmio(fx, true, MMIO_QUEUE_SEL, q);
		fx_mmio(fx, false, MMIO_QUEUE_READY, 0);
		fx_mmio(fx, false, MMIO_QUEUE_NUM_MAX, 256);
		fx_mmio(fx, true, MMIO_QUEUE_NUM, fx->qsize);
		fx_mmio(fx, true, MMIO_QUEUE_DESC_LOW, (uint32_t)FX_DESC(q));
		fx_mmio(fx, true, MMIO_QUEUE_DESC_HIGH, (uint32_t)(FX_DESC(q) >> 32));
		fx_mmio(fx, true, MMIO_QUEUE_DRIVER_LOW, (uint32_t)FX_AVAIL(q));
		fx_mmio(fx, true, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(FX_AVAIL(q) >> 32));
		fx_mmio(fx, true, MMIO_QUEUE_DEVICE_LOW, (uint32_t)FX_USED(q));
		fx_mmio(fx, true, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(FX_USED(q) >> 32));
		fx_mmio(fx, true, MMIO_QUEUE_READY, 1);
	}
	fx_mmio(fx, true, MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
}

uint64_t fx_desc(struct fx *fx, uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t b[16];

	le64_put(b, addr);
	le32_put(b + 8, len);
	le16_put(b + 12, flags);
	le16_put(b + 14, next);
	return fx_drv(fx, table + 16ull * i, b, sizeof(b));
}

uint64_t fx_publish(struct fx *fx, unsigned q, uint16_t head)
{
	uint8_t b[2];

	le16_put(b, head);
	fx_drv(fx, FX_AVAIL(q) + 4 + 2ull * (fx->avail_idx[q] % fx->qsize), b, 2);
	le16_put(b, ++fx->avail_idx[q]);
	return fx_drv(fx, FX_AVAIL(q) + 2, b, 2);
}

uint64_t fx_used(struct fx *fx, unsigned q, uint32_t id, uint32_t len)
{
	uint8_t b[8];

	le32_put(b, id);
	le32_put(b + 4, len);
	fx_dev(fx, FX_USED(q) + 4 + 8ull * (fx->used_idx[q] % fx->qsize), b, 8);
	le16_put(b, ++fx->used_idx[q]);
	return fx_dev(fx, FX_USED(q) + 2, b, 2);
}

void fx_segs_out(struct fx_seg *segs, unsigned *n, uint32_t base, const void *data, uint32_t len, uint32_t split,
		 uint32_t copied, uint16_t mem_flags)
{
	const uint8_t *p = data;
	uint32_t first = split && split < len ? split : len;
	uint32_t stored = copied < len ? copied : len;

	segs[*n] = (struct fx_seg){ .gpa = FX_BUF(base + *n), .len = first, .data = p,
				    .data_len = stored < first ? stored : first, .mem_flags = mem_flags };
	(*n)++;
	if (first == len)
		return;
	segs[*n] = (struct fx_seg){ .gpa = FX_BUF(base + *n), .len = len - first, .data = p + first,
				    .data_len = stored > first ? stored - first : 0, .mem_flags = mem_flags };
	(*n)++;
}

void fx_chain(struct fx *fx, unsigned q, uint32_t base, const struct fx_seg *segs, unsigned n, uint32_t used_len,
	      bool irq)
{
	for (unsigned i = 0; i < n; i++) {
		const struct fx_seg *s = &segs[i];
		uint16_t flags = (uint16_t)((s->write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (!s->write && s->data_len)
			fx_mem(fx, s->gpa + s->data_off, s->data, s->data_len,
			       s->mem_flags ? s->mem_flags : VMT_MEM_DRIVER_WRITE);
		fx_desc(fx, FX_DESC(q), base + i, s->gpa, s->len, flags, (uint16_t)(i + 1 < n ? base + i + 1 : 0));
	}
	fx_publish(fx, q, (uint16_t)base);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, q);
	for (unsigned i = 0; i < n; i++) {
		const struct fx_seg *s = &segs[i];
		if (s->write && s->data_len)
			fx_mem(fx, s->gpa + s->data_off, s->data, s->data_len,
			       s->mem_flags ? s->mem_flags : VMT_MEM_DEVICE_WRITE);
	}
	fx_used(fx, q, base, used_len);
	if (!irq)
		return;
	fx_irq(fx, 1);
	fx_mmio(fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(fx, true, MMIO_INTERRUPT_ACK, 1);
}

uint64_t fx_blk_chain(struct fx *fx, uint16_t head, uint32_t type, uint64_t sector, uint8_t fill)
{
	uint8_t hdr[16] = { 0 }, data[512];
	bool in = type == VIRTIO_BLK_T_IN;

	memset(data, fill, sizeof(data));
	le32_put(hdr, type);
	le64_put(hdr + 8, sector);
	fx_drv(fx, FX_BUF(head), hdr, sizeof(hdr));
	if (!in)
		fx_drv(fx, FX_BUF(head + 1), data, sizeof(data));
	fx_desc(fx, FX_DESC(0), head, FX_BUF(head), 16, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	fx_desc(fx, FX_DESC(0), head + 1u, FX_BUF(head + 1), sizeof(data),
		VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), (uint16_t)(head + 2));
	fx_desc(fx, FX_DESC(0), head + 2u, FX_BUF(head + 2), 1, VIRTQ_DESC_F_WRITE, 0);
	return fx_publish(fx, 0, head);
}

uint64_t fx_blk_complete(struct fx *fx, int head, uint64_t token, uint32_t len)
{
	uint8_t status = 0;

	if (head >= 0)
		fx_dev(fx, FX_BUF(head + 2), &status, 1);
	uint64_t s = fx_report(fx, 0, VMT_QSTEP_FILL, token, len, fx->used_idx[0] + 1u);
	if (head >= 0)
		fx_used(fx, 0, (uint32_t)head, len);
	fx_report(fx, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
	fx_irq(fx, 1);
	return s;
}

int64_t fx_int(struct fx *fx, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(fx->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad query '%s': %s\n", sql, sqlite3_errmsg(fx->db));
		harness_failures++;
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

const char *fx_text(struct fx *fx, const char *sql)
{
	static char buf[4][512];
	static unsigned next;
	char *out = buf[next++ % 4];
	sqlite3_stmt *st;

	snprintf(out, sizeof(buf[0]), "(null)");
	if (sqlite3_prepare_v2(fx->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad query '%s': %s\n", sql, sqlite3_errmsg(fx->db));
		harness_failures++;
		return out;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(out, sizeof(buf[0]), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

const char *fx_sql(const char *fmt, ...)
{
	static char buf[4][512];
	static unsigned next;
	char *out = buf[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return out;
}

int64_t fx_n_rule(struct fx *fx, const char *rule)
{
	return fx_int(fx, fx_sql("SELECT count(*) FROM violations WHERE rule = '%s'", rule));
}

const char *fx_op(struct fx *fx, unsigned id)
{
	return fx_text(fx, fx_sql("SELECT op FROM requests WHERE request = %u", id));
}

uint64_t fx_fnv(const void *data, uint64_t len)
{
	const uint8_t *p = data;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (uint64_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

uint64_t fx_rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

void fx_random_tally(struct fx *fx, int64_t *requests, int64_t *with_op)
{
	CHECK_EQ_U(fx_int(fx, "SELECT count(*) FROM requests WHERE length(op) >= 80"), 0);
	*requests += fx_int(fx, "SELECT count(*) FROM requests");
	*with_op += fx_int(fx, "SELECT count(*) FROM requests WHERE op IS NOT NULL");
}

void fx_random_done(int64_t requests, int64_t with_op)
{
	printf("%s: %lld requests, %lld with op\n", harness_case, (long long)requests, (long long)with_op);
	CHECK(requests > 100 && with_op > 0);
}

void fx_random_stores(struct fx *fx, uint64_t *state, unsigned n_queues, unsigned steps)
{
	for (unsigned step = 0; step < steps; step++) {
		unsigned qq = (unsigned)(fx_rnd(state) % n_queues);
		uint64_t r = fx_rnd(state);
		uint8_t b[64];
		for (unsigned i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)fx_rnd(state);
		switch (r % 5) {
		case 0: {
			uint32_t len = (uint32_t)((r >> 8) & 3 ? fx_rnd(state) % 80 : fx_rnd(state));
			uint64_t addr = (fx_rnd(state) & 7) ? FX_BUF(fx_rnd(state) % 8) + fx_rnd(state) % 16 : fx_rnd(state);
			fx_desc(fx, FX_DESC(qq), (uint32_t)(fx_rnd(state) % fx->qsize), addr, len,
				(uint16_t)(fx_rnd(state) % 4), (uint16_t)(fx_rnd(state) % fx->qsize));
			break;
		}
		case 1:
			fx_publish(fx, qq, (uint16_t)(fx_rnd(state) % fx->qsize));
			break;
		case 2:
			fx_used(fx, qq, (uint32_t)(fx_rnd(state) % fx->qsize),
				(uint32_t)((r >> 8) & 3 ? fx_rnd(state) % 80 : fx_rnd(state)));
			break;
		case 3:
			fx_dev(fx, FX_BUF(fx_rnd(state) % 8) + fx_rnd(state) % 16, b, (uint32_t)(fx_rnd(state) % sizeof(b)));
			break;
		default:
			fx_drv(fx, FX_BUF(fx_rnd(state) % 8) + fx_rnd(state) % 16, b, (uint32_t)(fx_rnd(state) % sizeof(b)));
			break;
		}
	}
}
