/* virtio-balloon request decoding (decoder/req_balloon.c) from hand-built
 * traces: inflate and deflate page counts, named stats; arrays split
 * across descriptors (an entry straddling two); odd lengths and writable
 * buffers (request-malformed, nothing decoded); huge arrays whose bytes
 * the trace lacks, a descriptor past RAM, many stats cut in the op text;
 * free_page_vq chains get no requests row. */
#include <stdio.h>
#include <string.h>

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define INFLATEQ 0
#define DEFLATEQ 1
#define STATSQ 2
/* Traditional Memory Balloon Device / Feature bits. */
#define F_STATS_VQ VIRTIO_BIT(1)
#define F_FREE_PAGE_HINT VIRTIO_BIT(3)

static void stat_put(uint8_t *b, uint16_t tag, uint64_t val)
{
	le16_put(b, tag);
	le64_put(b + 2, val);
}

static void balloon_open(struct fx *fx, const char *name, uint64_t extra, unsigned n_queues)
{
	fx_open(fx, name);
	fx_init_device(fx, VIRTIO_ID_BALLOON, VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_STATS_VQ | extra, n_queues);
}

static void test_balloon_normal(void)
{
	struct fx fx;
	uint8_t pfns[12], st[30];

	balloon_open(&fx, "balloon-normal.db", 0, 3);
	le32_put(pfns, 0x40100);
	le32_put(pfns + 4, 0x40101);
	le32_put(pfns + 8, 0x40102);
	fx_drv(&fx, FX_BUF(0), pfns, 12);
	fx_desc(&fx, FX_DESC(INFLATEQ), 0, FX_BUF(0), 12, 0, 0);
	fx_publish(&fx, INFLATEQ, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, INFLATEQ);
	fx_used(&fx, INFLATEQ, 0, 0);
	fx_irq(&fx, 1);
	fx_drv(&fx, FX_BUF(1), pfns, 4);
	fx_desc(&fx, FX_DESC(DEFLATEQ), 0, FX_BUF(1), 4, 0, 0);
	fx_publish(&fx, DEFLATEQ, 0);
	fx_used(&fx, DEFLATEQ, 0, 0);
	stat_put(st, 0, 1);
	stat_put(st + 10, 4, 123456);
	stat_put(st + 20, 42, 7);
	fx_drv(&fx, FX_BUF(2), st, 30);
	fx_desc(&fx, FX_DESC(STATSQ), 0, FX_BUF(2), 30, 0, 0);
	fx_publish(&fx, STATSQ, 0);
	fx_used(&fx, STATSQ, 0, 0);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 3);
	CHECK_STR(fx_text(&fx, "SELECT kind || ': ' || op FROM requests WHERE request = 1"), "balloon-inflate: 3 pages");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 3 * 4096);
	CHECK_STR(fx_text(&fx, "SELECT hex(data) FROM requests WHERE request = 1"), "000104000101040002010400");
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used IS NOT NULL AND seq_irq IS NOT NULL FROM requests WHERE request = 1"), 1);
	CHECK_STR(fx_text(&fx, "SELECT kind || ': ' || op FROM requests WHERE request = 2"), "balloon-deflate: 1 page");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 4096);
	CHECK_STR(fx_text(&fx, "SELECT kind || ': ' || op FROM requests WHERE request = 3"),
		  "balloon-stats: swap-in=1 free-memory=123456 tag42=7");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 3"), 30);
	CHECK_EQ_U(fx_int(&fx, "SELECT length(data) FROM requests WHERE request = 3"), 30);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* A PFN array over 6 + 6 bytes (the second PFN straddles), stats over
 * 7 + 13 bytes, all ten named tags cut in the op text. */
static void test_balloon_split(void)
{
	struct fx fx;
	uint8_t pfns[12], st[100];

	balloon_open(&fx, "balloon-split.db", 0, 3);
	for (unsigned i = 0; i < 3; i++)
		le32_put(pfns + 4 * i, 0x12345600u + i);
	fx_drv(&fx, FX_BUF(0), pfns, 6);
	fx_drv(&fx, FX_BUF(1), pfns + 6, 6);
	fx_desc(&fx, FX_DESC(INFLATEQ), 0, FX_BUF(0), 6, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(INFLATEQ), 1, FX_BUF(1), 6, 0, 0);
	fx_publish(&fx, INFLATEQ, 0);
	stat_put(st, 5, 1024);
	stat_put(st + 10, 6, 512);
	fx_drv(&fx, FX_BUF(2), st, 7);
	fx_drv(&fx, FX_BUF(3), st + 7, 13);
	fx_desc(&fx, FX_DESC(STATSQ), 0, FX_BUF(2), 7, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(STATSQ), 1, FX_BUF(3), 13, 0, 0);
	fx_publish(&fx, STATSQ, 0);
	fx_used(&fx, STATSQ, 0, 0);
	for (unsigned i = 0; i < 10; i++)
		stat_put(st + 10 * i, (uint16_t)i, 1000000000ull * i);
	fx_drv(&fx, FX_BUF(4), st, 100);
	fx_desc(&fx, FX_DESC(STATSQ), 2, FX_BUF(4), 100, 0, 0);
	fx_publish(&fx, STATSQ, 2);
	fx_finish(&fx);

	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "3 pages");
	CHECK_STR(fx_text(&fx, "SELECT hex(data) FROM requests WHERE request = 1"), "005634120156341202563412");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"), "total-memory=1024 available-memory=512");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 3"),
		  "swap-in=0 swap-out=1000000000 major-faults=2000000000 +7 more");
	CHECK_EQ_U(fx_int(&fx, "SELECT length(op) < 80 FROM requests WHERE request = 3"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length(data) FROM requests WHERE request = 3"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* 6 bytes of PFNs, a writable buffer on deflateq, an empty inflate
 * array (a zero-length descriptor), 15 bytes of stats: request-malformed
 * each, nothing decoded. */
static void test_balloon_odd(void)
{
	struct fx fx;
	uint8_t b[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	balloon_open(&fx, "balloon-odd.db", 0, 3);
	fx_drv(&fx, FX_BUF(0), b, sizeof(b));
	fx_desc(&fx, FX_DESC(INFLATEQ), 0, FX_BUF(0), 6, 0, 0);
	fx_publish(&fx, INFLATEQ, 0);
	fx_desc(&fx, FX_DESC(DEFLATEQ), 0, FX_BUF(0), 4, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(DEFLATEQ), 1, FX_BUF(1), 4, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, DEFLATEQ, 0);
	fx_desc(&fx, FX_DESC(STATSQ), 0, FX_BUF(0), 15, 0, 0);
	fx_publish(&fx, STATSQ, 0);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 3);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE op IS NOT NULL OR data IS NOT NULL "
			       "OR length IS NOT NULL"), 0);
	fx_close(&fx);
}

/* 512 KiB of PFNs the trace never saw: the count and length from the
 * descriptors, no data.  A descriptor of 2^32 - 4 bytes reaching past RAM.
 * A chain on free_page_vq (queue 3 with STATS_VQ and FREE_PAGE_HINT): no
 * requests row. */
static void test_balloon_huge(void)
{
	struct fx fx;
	uint8_t b[4] = { 0 };

	balloon_open(&fx, "balloon-huge.db", F_FREE_PAGE_HINT, 4);
	fx_desc(&fx, FX_DESC(INFLATEQ), 0, FX_BUF(0), 0x80000, 0, 0);
	fx_publish(&fx, INFLATEQ, 0);
	fx_used(&fx, INFLATEQ, 0, 0);
	fx_desc(&fx, FX_DESC(DEFLATEQ), 0, FX_RAM_BASE + FX_RAM_SIZE - 8, UINT32_MAX - 3, 0, 0);
	fx_publish(&fx, DEFLATEQ, 0);
	fx_used(&fx, DEFLATEQ, 0, UINT32_MAX);
	fx_drv(&fx, FX_BUF(1), b, 4);
	fx_desc(&fx, FX_DESC(3), 0, FX_BUF(1), 4, 0, 0);
	fx_publish(&fx, 3, 0);
	fx_used(&fx, 3, 0, 0);
	fx_finish(&fx);

	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "131072 pages");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 131072ull * 4096);
	CHECK_EQ_U(fx_int(&fx, "SELECT data IS NULL FROM requests WHERE request = 1"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE queue = 3"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains WHERE queue = 3"), 1);
	fx_close(&fx);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

/* Random descriptors (lengths small, odd, huge; readable or writable;
 * chained or not), heads, used entries and device and driver bytes on
 * every queue: whatever the guest chooses, the decoder must not crash or
 * read out of bounds (run under ASan/UBSan too).  Each request row's op
 * stays within the op text. */
static void test_balloon_random(void)
{
	struct fx fx;
	int64_t total = 0, with_op = 0;

	for (unsigned round = 0; round < 12; round++) {
		balloon_open(&fx, "balloon-random.db", F_FREE_PAGE_HINT, 4);
		fx_random_stores(&fx, &rnd_state, 4, 400);
		fx_finish(&fx);
		fx_random_tally(&fx, &total, &with_op);
		fx_close(&fx);
	}
	/* The walk reaches the decoders, and some requests decode. */
	fx_random_done(total, with_op);
}

int main(void)
{
	RUN(test_balloon_normal);
	RUN(test_balloon_split);
	RUN(test_balloon_odd);
	RUN(test_balloon_huge);
	RUN(test_balloon_random);
	return harness_finish("test_req_balloon");
}
