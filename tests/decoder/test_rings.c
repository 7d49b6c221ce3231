/* Ring and request decoding from hand-built traces: well-formed blk, net,
 * console and rng requests with their latency links, hostile rings (each
 * an expected violation at an expected seq, and no crash), missing and
 * best-effort memory. */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

static int64_t violation_seq(struct fx *fx, const char *rule)
{
	return fx_int(fx, fx_sql("SELECT min(seq) FROM violations WHERE rule = '%s'", rule));
}

static int64_t ring_violations(struct fx *fx)
{
	return fx_int(fx, "SELECT count(*) FROM violations WHERE rule LIKE 'ring-%' OR rule LIKE 'device-%' "
			  "OR rule = 'request-malformed'");
}

/* A blk write (header, 512 data bytes, status) then a read back. */
static void test_blk_write_read(void)
{
	struct fx fx;
	uint8_t hdr[16] = { 0 }, data[512], status = 0;

	fx_open(&fx, "blk.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	le32_put(hdr, VIRTIO_BLK_T_OUT);
	le64_put(hdr + 8, 5);
	fx_drv(&fx, FX_BUF(0), hdr, sizeof(hdr));
	fx_drv(&fx, FX_BUF(1), data, sizeof(data));
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 512, VIRTQ_DESC_F_NEXT, 2);
	fx_desc(&fx, FX_DESC(0), 2, FX_BUF(2), 1, VIRTQ_DESC_F_WRITE, 0);
	uint64_t s_avail = fx_publish(&fx, 0, 0);
	uint64_t s_notify = fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, FX_BUF(2), &status, 1);
	uint64_t s_used = fx_used(&fx, 0, 0, 1);
	uint64_t s_irq = fx_irq(&fx, 1);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);

	/* Read it back into another buffer. */
	le32_put(hdr, VIRTIO_BLK_T_IN);
	le64_put(hdr + 8, 7);
	fx_drv(&fx, FX_BUF(3), hdr, sizeof(hdr));
	fx_desc(&fx, FX_DESC(0), 3, FX_BUF(3), 16, VIRTQ_DESC_F_NEXT, 4);
	fx_desc(&fx, FX_DESC(0), 4, FX_BUF(4), 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	fx_desc(&fx, FX_DESC(0), 5, FX_BUF(5), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 3);
	uint64_t s_notify2 = fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, FX_BUF(4), data, sizeof(data));
	status = VIRTIO_BLK_S_IOERR;
	fx_dev(&fx, FX_BUF(5), &status, 1);
	uint64_t s_used2 = fx_used(&fx, 0, 3, 513);
	/* No raised-line event this time: the status read is the interrupt. */
	uint64_t s_read2 = fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_avail FROM chains WHERE head = 0"), s_avail);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains WHERE head = 0"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT readable FROM chains WHERE head = 0"), 528);
	CHECK_EQ_U(fx_int(&fx, "SELECT writable FROM chains WHERE head = 0"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT writable FROM chains WHERE head = 3"), 513);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,exact");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM descriptors"), 6);
	CHECK_EQ_U(fx_int(&fx, "SELECT addr FROM descriptors d JOIN chains c USING (chain) WHERE c.head = 0 AND pos = 1"), FX_BUF(1));
	CHECK_EQ_U(fx_int(&fx, "SELECT flags FROM descriptors d JOIN chains c USING (chain) WHERE c.head = 3 AND pos = 1"), 3);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq FROM used WHERE used_idx = 0"), s_used);
	CHECK_EQ_U(fx_int(&fx, "SELECT u.chain = c.chain FROM used u, chains c WHERE u.used_idx = 1 AND c.head = 3"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT len FROM used WHERE used_idx = 1"), 513);

	char dig[17];
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)fx_fnv(data, sizeof(data)));
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 2);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "out");
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE request = 1"), "blk");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 1"), 5);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 512);
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 1"), 0);
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE request = 1"), dig);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_notify FROM requests WHERE request = 1"), s_notify);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE request = 1"), s_used);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_irq FROM requests WHERE request = 1"), s_irq);
	CHECK_EQ_U(fx_int(&fx, "SELECT ts_irq FROM requests WHERE request = 1"), s_irq * 10);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"), "in");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 2"), 7);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 512);
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 2"), VIRTIO_BLK_S_IOERR);
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE request = 2"), dig);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_notify FROM requests WHERE request = 2"), s_notify2);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE request = 2"), s_used2);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_irq FROM requests WHERE request = 2"), s_read2);
	CHECK_EQ_U(fx_int(&fx, "SELECT notify_to_used_ns FROM request_latency WHERE request = 2"), (s_used2 - s_notify2) * 10);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Event-index drivers may not kick: the avail idx store alone decodes. */
static void test_no_kick(void)
{
	struct fx fx;
	uint8_t hdr[16] = { 0 };

	fx_open(&fx, "nokick.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1);
	le32_put(hdr, VIRTIO_BLK_T_FLUSH);
	fx_drv(&fx, FX_BUF(0), hdr, sizeof(hdr));
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	uint64_t s_avail = fx_publish(&fx, 0, 0);
	uint8_t st = 0;
	fx_dev(&fx, FX_BUF(1), &st, 1);
	uint64_t s_used = fx_used(&fx, 0, 0, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_avail FROM chains"), s_avail);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests"), "flush");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_notify FROM requests"), s_avail);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests"), s_used);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_irq FROM requests"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT digest IS NULL FROM requests"), 1);
	fx_close(&fx);
}

static void make_frame(uint8_t *f, unsigned len, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(ethertype >> 8);
	f[13] = (uint8_t)ethertype;
	for (unsigned i = 14; i < len; i++)
		f[i] = (uint8_t)i;
}

static void test_net(void)
{
	struct fx fx;
	uint8_t pkt[12 + 60] = { 0 };

	fx_open(&fx, "net.db");
	fx_init_device(&fx, VIRTIO_ID_NET, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
	/* RX buffer posted first. */
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 1526, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	/* TX: header then an ARP-sized frame in one buffer. */
	make_frame(pkt + 12, 60, 0x0806);
	fx_drv(&fx, FX_BUF(1), pkt, sizeof(pkt));
	fx_desc(&fx, FX_DESC(1), 0, FX_BUF(1), sizeof(pkt), 0, 0);
	fx_publish(&fx, 1, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 1);
	fx_used(&fx, 1, 0, 0);
	/* RX: the device writes header (num_buffers 1) and an IPv4 frame. */
	uint8_t rx[12 + 100] = { 0 };
	le16_put(rx + 10, 1);
	make_frame(rx + 12, 100, 0x0800);
	fx_dev(&fx, FX_BUF(0), rx, sizeof(rx));
	uint64_t s_rx = fx_used(&fx, 0, 0, sizeof(rx));
	fx_irq(&fx, 1);
	fx_finish(&fx);

	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE queue = 1"), "net-tx");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE queue = 1"), 60);
	CHECK_EQ_U(fx_int(&fx, "SELECT length(data) FROM requests WHERE queue = 1"), 60);
	CHECK_EQ_U(fx_int(&fx, "SELECT n.ethertype FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 1"), 0x0806);
	CHECK_STR(fx_text(&fx, "SELECT n.dst_mac FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 1"),
		  "ff:ff:ff:ff:ff:ff");
	CHECK_STR(fx_text(&fx, "SELECT n.src_mac FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 1"),
		  "52:54:00:12:34:56");
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE queue = 0"), "net-rx");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE queue = 0"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE queue = 0"), s_rx);
	CHECK_EQ_U(fx_int(&fx, "SELECT n.ethertype FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 0"), 0x0800);
	CHECK_EQ_U(fx_int(&fx, "SELECT n.frame_len FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 0"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT n.num_buffers FROM net_frames n JOIN requests r USING (request) WHERE r.queue = 0"), 1);
	char dig[17];
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)fx_fnv(rx + 12, 100));
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE queue = 0"), dig);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

static void test_console_rng(void)
{
	struct fx fx;

	fx_open(&fx, "console.db");
	fx_init_device(&fx, VIRTIO_ID_CONSOLE, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 64, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_drv(&fx, FX_BUF(1), "hello", 5);
	fx_desc(&fx, FX_DESC(1), 0, FX_BUF(1), 5, 0, 0);
	fx_publish(&fx, 1, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 1);
	fx_used(&fx, 1, 0, 0);
	fx_dev(&fx, FX_BUF(0), "world\n", 6);
	fx_used(&fx, 0, 0, 6);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT data FROM requests WHERE kind = 'console-tx'"), "hello");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE kind = 'console-tx'"), 5);
	CHECK_STR(fx_text(&fx, "SELECT data FROM requests WHERE kind = 'console-rx'"), "world\n");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE kind = 'console-rx'"), 6);
	fx_close(&fx);

	fx_open(&fx, "rng.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 64, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, FX_BUF(0), "0123456789abcdef0123456789abcdef", 32);
	fx_used(&fx, 0, 0, 32);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests"), "rng");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests"), 32);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* --- hostile rings --- */

/* A blk device with one readable 16-byte header at FX_BUF(0). */
static void hostile_open(struct fx *fx, const char *name, uint64_t extra_features)
{
	uint8_t hdr[16] = { 0 };

	fx_open(fx, name);
	fx_init_device(fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1) | extra_features, 1);
	fx_drv(fx, FX_BUF(0), hdr, sizeof(hdr));
}

static void test_loop(void)
{
	struct fx fx;

	hostile_open(&fx, "loop.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 0);
	uint64_t s = fx_publish(&fx, 0, 0);
	/* A self loop too. */
	fx_desc(&fx, FX_DESC(0), 2, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 2);
	uint64_t s2 = fx_publish(&fx, 0, 2);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_finish(&fx);
	CHECK_EQ_U(fx_n_rule(&fx, "ring-chain-too-long"), 2);
	CHECK_EQ_U(violation_seq(&fx, "ring-chain-too-long"), s);
	CHECK_EQ_U(fx_int(&fx, "SELECT max(seq) FROM violations WHERE rule = 'ring-chain-too-long'"), s2);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains WHERE head = 0"), fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 0);
	fx_close(&fx);
}

/* B02: a chain exactly queue-size long is legal. */
static void test_chain_full_length(void)
{
	struct fx fx;

	uint8_t hdr[16] = { VIRTIO_BLK_T_OUT };

	hostile_open(&fx, "full.db", 0);
	fx_drv(&fx, FX_BUF(0), hdr, sizeof(hdr));
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	for (uint32_t i = 1; i + 1 < fx.qsize; i++)
		fx_desc(&fx, FX_DESC(0), i, FX_BUF(1) + 512 * i, 512, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	fx_desc(&fx, FX_DESC(0), fx.qsize - 1, FX_BUF(2), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_finish(&fx);
	CHECK_EQ_U(ring_violations(&fx), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains"), fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests"), 512 * (fx.qsize - 2));
	/* The data was never stored: the digest is unknown, the chain partial. */
	CHECK_EQ_U(fx_int(&fx, "SELECT digest IS NULL FROM requests"), 1);
	CHECK_STR(fx_text(&fx, "SELECT memory FROM chains"), "partial");
	fx_close(&fx);
}

static void test_next_and_head_range(void)
{
	struct fx fx;

	hostile_open(&fx, "next.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 9);
	uint64_t s = fx_publish(&fx, 0, 0);
	uint64_t s2 = fx_publish(&fx, 0, 20);
	fx_finish(&fx);
	CHECK_EQ_U(violation_seq(&fx, "ring-next-out-of-range"), s);
	CHECK_EQ_U(violation_seq(&fx, "ring-head-out-of-range"), s2);
	CHECK_EQ_U(ring_violations(&fx), 2);
	fx_close(&fx);
}

static void test_avail_jump(void)
{
	struct fx fx;
	uint8_t b[2];

	hostile_open(&fx, "jump.db", 0);
	le16_put(b, 100);
	uint64_t s = fx_drv(&fx, FX_AVAIL(0) + 2, b, 2);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	/* After the resync, the next entry decodes normally. */
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx.avail_idx[0] = 100;
	fx_publish(&fx, 0, 0);
	fx_finish(&fx);
	CHECK_EQ_U(fx_n_rule(&fx, "ring-avail-idx-jump"), 1);
	CHECK_EQ_U(violation_seq(&fx, "ring-avail-idx-jump"), s);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT avail_idx FROM chains"), 100);
	fx_close(&fx);
}

static void test_indirect(void)
{
	struct fx fx;
	uint64_t table = FX_BUF(6);

	/* Good indirect chain first. */
	hostile_open(&fx, "indirect.db", VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	fx_desc(&fx, table, 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, table, 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_desc(&fx, FX_DESC(0), 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fx_publish(&fx, 0, 0);
	/* Nested. */
	fx_desc(&fx, table + 64, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fx_desc(&fx, FX_DESC(0), 1, table + 64, 16, VIRTQ_DESC_F_INDIRECT, 0);
	uint64_t s_nested = fx_publish(&fx, 0, 1);
	/* Bad lengths: 24, 0, and more than the queue size entries. */
	fx_desc(&fx, FX_DESC(0), 2, table, 24, VIRTQ_DESC_F_INDIRECT, 0);
	uint64_t s_len = fx_publish(&fx, 0, 2);
	fx_desc(&fx, FX_DESC(0), 3, table, 0, VIRTQ_DESC_F_INDIRECT, 0);
	fx_publish(&fx, 0, 3);
	fx_desc(&fx, FX_DESC(0), 4, table, 16 * (fx.qsize + 1), VIRTQ_DESC_F_INDIRECT, 0);
	fx_publish(&fx, 0, 4);
	/* INDIRECT with NEXT. */
	fx_desc(&fx, FX_DESC(0), 5, table, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 6);
	uint64_t s_next = fx_publish(&fx, 0, 5);
	/* Indirect table outside RAM (and wrapping). */
	fx_desc(&fx, FX_DESC(0), 6, UINT64_C(0xfffffffffffffff0), 32, VIRTQ_DESC_F_INDIRECT, 0);
	uint64_t s_out = fx_publish(&fx, 0, 6);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT indirect FROM chains WHERE head = 0"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains WHERE head = 0"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM descriptors d JOIN chains c USING (chain) WHERE c.head = 0 AND in_indirect"), 2);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE chain = (SELECT chain FROM chains WHERE head = 0)"), "in");
	CHECK_EQ_U(violation_seq(&fx, "ring-indirect-nested"), s_nested);
	CHECK_EQ_U(fx_n_rule(&fx, "ring-indirect-length"), 3);
	CHECK_EQ_U(violation_seq(&fx, "ring-indirect-length"), s_len);
	CHECK_EQ_U(violation_seq(&fx, "ring-indirect-with-next"), s_next);
	CHECK_EQ_U(violation_seq(&fx, "ring-buffer-outside-memory"), s_out);
	CHECK_EQ_U(ring_violations(&fx), 6);
	fx_close(&fx);

	/* Not negotiated. */
	hostile_open(&fx, "indirect2.db", 0);
	fx_desc(&fx, table, 0, FX_BUF(0), 16, 0, 0);
	fx_desc(&fx, FX_DESC(0), 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	uint64_t s = fx_publish(&fx, 0, 0);
	fx_finish(&fx);
	CHECK_EQ_U(violation_seq(&fx, "ring-indirect-not-negotiated"), s);
	fx_close(&fx);
}

static void test_buffer_outside(void)
{
	struct fx fx;

	hostile_open(&fx, "outside.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, UINT64_C(0x90000000), 512, VIRTQ_DESC_F_NEXT, 2);
	fx_desc(&fx, FX_DESC(0), 2, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	uint64_t s = fx_publish(&fx, 0, 0);
	/* Inside RAM but 4 GiB long (B11), and wrapping (B10). */
	fx_desc(&fx, FX_DESC(0), 3, FX_BUF(0), 0xffffffffu, 0, 0);
	fx_publish(&fx, 0, 3);
	fx_desc(&fx, FX_DESC(0), 4, UINT64_C(0xffffffffffffff00), 0x1000, 0, 0);
	fx_publish(&fx, 0, 4);
	/* Readable after writable. */
	fx_desc(&fx, FX_DESC(0), 5, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	fx_desc(&fx, FX_DESC(0), 6, FX_BUF(0), 16, 0, 0);
	uint64_t s_wr = fx_publish(&fx, 0, 5);
	fx_finish(&fx);
	CHECK_EQ_U(fx_n_rule(&fx, "ring-buffer-outside-memory"), 3);
	CHECK_EQ_U(violation_seq(&fx, "ring-buffer-outside-memory"), s);
	CHECK_EQ_U(violation_seq(&fx, "ring-readable-after-writable"), s_wr);
	fx_close(&fx);
}

static void test_used_hostile(void)
{
	struct fx fx;
	uint8_t b[2];

	hostile_open(&fx, "used.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	uint64_t s_nif = fx_used(&fx, 0, 5, 0);     /* never made available */
	uint64_t s_range = fx_used(&fx, 0, 999, 0); /* out of range */
	uint64_t s_long = fx_used(&fx, 0, 0, 100);  /* 1 writable byte */
	uint64_t s_dup = fx_used(&fx, 0, 0, 1);     /* already used */
	le16_put(b, 1);
	uint64_t s_back = fx_dev(&fx, FX_USED(0) + 2, b, 2);
	fx_finish(&fx);
	CHECK_EQ_U(fx_n_rule(&fx, "device-used-id-not-in-flight"), 3);
	CHECK_EQ_U(violation_seq(&fx, "device-used-id-not-in-flight"), s_nif);
	CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT count(*) FROM violations WHERE rule = 'device-used-id-not-in-flight' AND seq IN (%llu, %llu)",
				   (unsigned long long)s_range, (unsigned long long)s_dup)), 2);
	CHECK_EQ_U(violation_seq(&fx, "device-used-len-too-long"), s_long);
	CHECK_EQ_U(violation_seq(&fx, "device-used-idx-backwards"), s_back);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 4);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 1);
	fx_close(&fx);
}

static void test_spurious_interrupt(void)
{
	struct fx fx;

	hostile_open(&fx, "spurious.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_used(&fx, 0, 0, 1);
	fx_irq(&fx, 1);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);
	fx_irq(&fx, 1);
	uint64_t s = fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);
	/* A config change alone is not a used-buffer interrupt. */
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 2);
	fx_finish(&fx);
	CHECK_EQ_U(fx_n_rule(&fx, "device-interrupt-spurious"), 1);
	CHECK_EQ_U(violation_seq(&fx, "device-interrupt-spurious"), s);
	fx_close(&fx);
}

/* Without memory for the rings nothing is guessed and nothing reported. */
static void test_missing_memory(void)
{
	struct fx fx;
	uint8_t b[8];

	fx_open(&fx, "missing.db");
	/* Rings somewhere the trace never shows (no zeroing either). */
	fx_mmio(&fx, false, MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
	fx_mmio(&fx, false, MMIO_VERSION, 2);
	fx_mmio(&fx, false, MMIO_DEVICE_ID, VIRTIO_ID_BLOCK);
	fx_mmio(&fx, true, MMIO_QUEUE_SEL, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NUM, 8);
	fx_mmio(&fx, true, MMIO_QUEUE_DESC_LOW, (uint32_t)FX_DESC(2));
	fx_mmio(&fx, true, MMIO_QUEUE_DRIVER_LOW, (uint32_t)FX_AVAIL(2));
	fx_mmio(&fx, true, MMIO_QUEUE_DEVICE_LOW, (uint32_t)FX_USED(2));
	fx_mmio(&fx, true, MMIO_QUEUE_READY, 1);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0); /* nothing known: nothing decoded */
	/* Only the avail ring is seen: the head is known, its descriptors not. */
	le16_put(b, 3);
	fx_drv(&fx, FX_AVAIL(2) + 4, b, 2);
	le16_put(b, 1);
	fx_drv(&fx, FX_AVAIL(2) + 2, b, 2);
	/* The used idx moves but the entry itself is not in the trace. */
	le16_put(b, 1);
	fx_dev(&fx, FX_USED(2) + 2, b, 2);
	/* Then an entry naming an unknown head: not reported, we could not see. */
	le32_put(b, 6);
	le32_put(b + 4, 0);
	fx_dev(&fx, FX_USED(2) + 4 + 8, b, 8);
	le16_put(b, 2);
	fx_dev(&fx, FX_USED(2) + 2, b, 2);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
	CHECK_STR(fx_text(&fx, "SELECT memory FROM chains"), "missing");
	CHECK_EQ_U(fx_int(&fx, "SELECT head FROM chains"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL AND sector IS NULL AND length IS NULL FROM requests"), 1);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* Best-effort snapshots decode, mark the chain, and raise no violations. */
static void test_best_effort(void)
{
	struct fx fx;
	uint8_t ring[0x1000] = { 0 };
	uint8_t hdr[16] = { 0 };

	hostile_open(&fx, "rough.db", 0);
	le32_put(hdr, VIRTIO_BLK_T_OUT);
	fx_drv(&fx, FX_BUF(0), hdr, sizeof(hdr));
	/* A snapshot of the whole ring block: a good chain at slot 0 and a
	 * looping one at slot 1. */
	uint8_t *d = ring;
	le64_put(d, FX_BUF(0)); le32_put(d + 8, 16); le16_put(d + 12, VIRTQ_DESC_F_NEXT); le16_put(d + 14, 1);
	d += 16;
	le64_put(d, FX_BUF(1)); le32_put(d + 8, 1); le16_put(d + 12, VIRTQ_DESC_F_WRITE);
	d += 16;
	le64_put(d, FX_BUF(0)); le32_put(d + 8, 16); le16_put(d + 12, VIRTQ_DESC_F_NEXT); le16_put(d + 14, 2);
	le16_put(ring + 0x400 + 4, 0);
	le16_put(ring + 0x400 + 6, 2);
	le16_put(ring + 0x400 + 2, 2);
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "best-effort,best-effort");
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* Best-effort copies of a head the driver got back and made available
 * again between two copies: the next copy shows the new chain in the
 * avail ring before (in trace order) the used entry that gave the head
 * back.  The used entry completes the old chain, the next one the new:
 * no used id "not in flight", both chains completed. */
static void rough_copy_ordered(struct fx *fx, uint16_t avail_idx, uint16_t used_idx, const uint32_t *used_ids,
			       bool used_first);

static void rough_copy(struct fx *fx, uint16_t avail_idx, uint16_t used_idx, const uint32_t *used_ids)
{
	rough_copy_ordered(fx, avail_idx, used_idx, used_ids, false);
}

/* As rough_copy; used_first: the used ring is copied before the rings the
 * driver writes (so its entries come in trace order before the chains
 * they complete). */
static void rough_copy_ordered(struct fx *fx, uint16_t avail_idx, uint16_t used_idx, const uint32_t *used_ids,
			       bool used_first)
{
	const uint16_t rough = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;
	uint8_t desc[32] = { 0 }, avail[4 + 2 * 8] = { 0 }, used[4 + 8 * 8] = { 0 };

	le64_put(desc, FX_BUF(0)); le32_put(desc + 8, 16); le16_put(desc + 12, VIRTQ_DESC_F_NEXT); le16_put(desc + 14, 1);
	le64_put(desc + 16, FX_BUF(1)); le32_put(desc + 24, 1); le16_put(desc + 28, VIRTQ_DESC_F_WRITE);
	for (uint16_t i = 0; i < avail_idx; i++)
		le16_put(avail + 4 + 2 * i, 0);
	le16_put(avail + 2, avail_idx);
	for (uint16_t i = 0; i < used_idx; i++) {
		le32_put(used + 4 + 8 * i, used_ids[i]);
		le32_put(used + 8 + 8 * i, 1);
	}
	le16_put(used + 2, used_idx);
	if (used_first)
		fx_mem(fx, FX_USED(0), used, sizeof(used), rough);
	fx_mem(fx, FX_DESC(0), desc, sizeof(desc), rough);
	fx_mem(fx, FX_AVAIL(0), avail, sizeof(avail), rough);
	if (!used_first)
		fx_mem(fx, FX_USED(0), used, sizeof(used), rough);
}

static void test_best_effort_head_reused(void)
{
	static const uint32_t ids[] = { 0, 0 };
	struct fx fx;

	hostile_open(&fx, "rough-reuse.db", 0);
	rough_copy(&fx, 1, 0, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy(&fx, 2, 1, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy(&fx, 2, 2, ids);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(DISTINCT chain) FROM used WHERE chain IS NOT NULL"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'device-used-id-not-in-flight'"), 0);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* The same, with the device's reports: one best-effort copy shows head 0
 * at two avail positions (the driver got the first chain back and reused
 * head 0 before the copy was read, as a 9p mount under load did).  The
 * copy holds one chain for two and which cannot be told: both torn, no
 * request from either, though their buffer counts agree with the pops.
 * A head made available once per copy is not touched. */
static void test_best_effort_head_twice_reported(void)
{
	static const uint32_t ids[] = { 0, 0, 0 };
	const uint64_t token = UINT64_C(0x7f67c0ca1a90);
	struct fx fx;

	hostile_open(&fx, "rough-twice.db", 0);
	rough_copy(&fx, 1, 0, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, token, 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, token, 0, 0);
	fx_report(&fx, 0, VMT_QSTEP_FILL, token, 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
	/* Position 1 is popped (and its blk read judged against the copy)
	 * before the copy that shows head 0 at positions 1 and 2 too;
	 * position 2 is popped after it. */
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, token + 0x40, 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, token + 0x40, 0, 0);
	rough_copy(&fx, 3, 3, ids);
	fx_report(&fx, 0, VMT_QSTEP_FILL, token + 0x40, 1, 2);
	fx_report(&fx, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, token + 0x80, 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, token + 0x80, 16, 0);
	fx_report(&fx, 0, VMT_QSTEP_FILL, token + 0x80, 1, 3);
	fx_report(&fx, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 3);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM (SELECT memory FROM chains ORDER BY chain)"),
		  "best-effort,torn,torn");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'ring-copy-torn' AND message LIKE "
			       "'%shows head 0 at a later position too%'"),
		   2);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(verdict) FROM (SELECT verdict FROM device_steps WHERE step = 'pop' "
			       "ORDER BY seq)"),
		  "agrees,agrees,torn");
	/* Every blk read is there: the first from its copy, the two others
	 * from the device's reports (no digest), with their sectors; the
	 * second's copy agreed with its report until the third showed its
	 * head. */
	CHECK_STR(fx_text(&fx, "SELECT group_concat(r, ' ') FROM (SELECT op || ':' || sector || ':' || (digest IS NULL) AS r "
			       "FROM requests ORDER BY request)"),
		  "in:0:0 in:0:1 in:16:1");
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* virtio-rng's driver makes one head available for every request: a copy
 * late enough shows it made available three more times while the first
 * copy's chain was in flight (the device used each before the driver
 * reused it).  The used entries complete the four chains in avail order,
 * none "not in flight" (a single waiting slot per head lost the first
 * and matched the rest one chain off). */
static void test_best_effort_head_reused_often(void)
{
	static const uint32_t ids[] = { 0, 0, 0, 0 };
	struct fx fx;

	hostile_open(&fx, "rough-reuse-often.db", 0);
	rough_copy(&fx, 1, 0, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy(&fx, 4, 1, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy(&fx, 4, 4, ids);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 4);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 4);
	/* The k-th used entry completes the k-th chain. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used u JOIN chains c ON c.chain = u.chain "
			       "WHERE c.avail_idx = u.used_idx"), 4);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'device-used-id-not-in-flight'"), 0);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* A copy of the used ring taken before (in trace order) the copy of the
 * avail ring that shows the chain it completes: the entry waits for that
 * avail copy instead of naming an id "not in flight".  A used id that no
 * later avail copy puts in flight is still reported, once an avail copy
 * came after it, or at the end of the trace. */
static void test_best_effort_used_first(void)
{
	static const uint32_t ids[] = { 0, 0, 0 }, stray[] = { 0, 5, 0 };
	struct fx fx;

	hostile_open(&fx, "rough-used-first.db", 0);
	rough_copy(&fx, 1, 0, ids);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy_ordered(&fx, 2, 2, ids, true);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy_ordered(&fx, 3, 3, ids, true);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 3);
	/* The third entry waited for an avail copy the trace ended before. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used u JOIN chains c ON c.chain = u.chain "
			       "WHERE c.avail_idx = u.used_idx"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'device-used-id-not-in-flight'"), 0);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);

	hostile_open(&fx, "rough-used-stray.db", 0);
	rough_copy(&fx, 1, 0, stray);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy_ordered(&fx, 2, 2, stray, true); /* slot 1 names id 5: waits */
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy_ordered(&fx, 3, 3, stray, true); /* an avail copy came: reported */
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'device-used-id-not-in-flight'"), 1);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);

	/* The same stray entry with no copy after it: reported at the end. */
	hostile_open(&fx, "rough-used-stray-end.db", 0);
	rough_copy(&fx, 1, 0, stray);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	rough_copy_ordered(&fx, 2, 2, stray, true);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'device-used-id-not-in-flight'"), 1);
	fx_close(&fx);
}

/* A queue reset mid-flight and a new generation (B16). */
static void test_generation(void)
{
	struct fx fx;

	hostile_open(&fx, "gen.db", 0);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_STATUS, 0); /* device reset */
	fx_used(&fx, 0, 0, 1);              /* late store: no queue is live */
	fx.avail_idx[0] = fx.used_idx[0] = 0;
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 16, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_used(&fx, 0, 0, 1);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(DISTINCT generation) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE seq_used IS NOT NULL"), 1);
	CHECK_EQ_U(ring_violations(&fx), 0);
	fx_close(&fx);
}

/* Seeded random ring contents and used entries: nothing may crash, hang
 * or leak (run under ASan/UBSan), and the chains decoded are exactly the
 * ones a device would take (avail_model below counts them on its own). */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	return fx_rnd(&rnd_state);
}

/* What the test wrote to one queue's available ring, and the chains a
 * device reading it takes (virtio 2.7.13: the device consumes the entries
 * from its last seen index up to the driver's idx).  A move of the idx by
 * more than the queue size is refused whole (ring-avail-jump); a slot
 * holding a head outside the queue gives no chain (ring-head-range); a slot
 * the trace never wrote is unknown and gives none either. */
struct avail_model {
	uint16_t last;        /* the device's next position */
	bool have_idx;        /* the idx was written at least once */
	bool slot_set[16];    /* fx.qsize <= 16 in test_random_rings */
	uint16_t slot[16];
	uint64_t chains;
};

static void avail_model_slot(struct avail_model *m, uint32_t qsize, uint16_t pos, uint16_t head)
{
	m->slot_set[pos % qsize] = true;
	m->slot[pos % qsize] = head;
}

static void avail_model_idx(struct avail_model *m, uint32_t qsize, uint16_t idx)
{
	uint16_t n = (uint16_t)(idx - m->last);

	m->have_idx = true;
	if (n > qsize) {
		m->last = idx;
		return;
	}
	for (uint16_t i = 0; i < n; i++, m->last++) {
		uint32_t s = m->last % qsize;
		if (m->slot_set[s] && m->slot[s] < qsize)
			m->chains++;
	}
}

static void test_random_rings(void)
{
	struct fx fx;
	static const uint32_t types[] = { VIRTIO_ID_BLOCK, VIRTIO_ID_NET, VIRTIO_ID_CONSOLE, VIRTIO_ID_ENTROPY, 9 };

	for (unsigned round = 0; round < 20; round++) {
		fx_open(&fx, "random.db");
		fx.qsize = 1u << (rnd() % 5);
		uint64_t feat = VIRTIO_BIT(VIRTIO_F_VERSION_1) | (rnd() & 1 ? VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) : 0);
		fx_init_device(&fx, types[round % 5], feat, 2);
		struct avail_model model[2];
		memset(model, 0, sizeof(model));
		for (unsigned step = 0; step < 300; step++) {
			unsigned qq = rnd() % 2;
			uint64_t r = rnd();
			uint8_t b[16];
			switch (r % 6) {
			case 0: { /* a descriptor, in the ring or a table in the buffer area */
				uint64_t table = (r >> 8) & 1 ? FX_DESC(qq) : FX_BUF(6);
				uint64_t addr = (rnd() & 3) ? FX_BUF(rnd() % 8) + (rnd() % 64) : rnd();
				fx_desc(&fx, table, (uint32_t)(rnd() % (fx.qsize + 2)), addr, (uint32_t)(rnd() & 3 ? rnd() % 4096 : rnd()),
					(uint16_t)(rnd() % 8), (uint16_t)(rnd() % (fx.qsize + 2)));
				break;
			}
			case 1: {
				uint16_t head = (uint16_t)(rnd() % (fx.qsize + 1));
				avail_model_slot(&model[qq], fx.qsize, fx.avail_idx[qq], head);
				fx_publish(&fx, qq, head);
				avail_model_idx(&model[qq], fx.qsize, fx.avail_idx[qq]);
				break;
			}
			case 2:
				fx_used(&fx, qq, (uint32_t)(rnd() % (fx.qsize + 1)), (uint32_t)(rnd() % 2048));
				break;
			case 3:
				for (unsigned i = 0; i < sizeof(b); i++)
					b[i] = (uint8_t)rnd();
				fx_mem(&fx, FX_BUF(rnd() % 8) + rnd() % 4096, b, sizeof(b),
				       (uint16_t)(rnd() & 1 ? VMT_MEM_DEVICE_WRITE : VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT));
				break;
			case 4:
				fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, qq);
				break;
			case 5:
				if (rnd() % 8 == 0) { /* raw idx stores: jumps and backwards moves */
					uint16_t idx = (uint16_t)rnd();
					bool avail = rnd() & 1;
					le16_put(b, idx);
					fx_drv(&fx, (avail ? FX_AVAIL(qq) : FX_USED(qq)) + 2, b, 2);
					if (avail)
						avail_model_idx(&model[qq], fx.qsize, idx);
				} else {
					fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, (uint32_t)(rnd() % 4));
				}
				break;
			}
		}
		fx_finish(&fx);
		for (unsigned qi = 0; qi < 2; qi++)
			CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT count(*) FROM chains WHERE queue = %u", qi)), model[qi].chains);
		fx_close(&fx);
	}
}

int main(void)
{
	RUN(test_blk_write_read);
	RUN(test_no_kick);
	RUN(test_net);
	RUN(test_console_rng);
	RUN(test_loop);
	RUN(test_chain_full_length);
	RUN(test_next_and_head_range);
	RUN(test_avail_jump);
	RUN(test_indirect);
	RUN(test_buffer_outside);
	RUN(test_used_hostile);
	RUN(test_spurious_interrupt);
	RUN(test_missing_memory);
	RUN(test_best_effort);
	RUN(test_best_effort_head_reused);
	RUN(test_best_effort_head_reused_often);
	RUN(test_best_effort_head_twice_reported);
	RUN(test_best_effort_used_first);
	RUN(test_generation);
	RUN(test_random_rings);
	return harness_finish("test_rings");
}
