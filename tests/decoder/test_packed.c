/* Packed virtqueues (VIRTIO_F_RING_PACKED) decoded from hand-built traces:
 * blk requests through the shared request decoder, ids reused at once,
 * two laps round the ring (wrap counters), one snapshot holding both a
 * used descriptor and the chain that reuses its id, and hostile rings
 * (a stray used id, an id past the queue, a loop round the ring, a stale
 * descriptor mid-chain), each an expected violation; no false
 * ring-areas-overlap from split-ring sizes; and RELIABILITY.md's B-cases
 * in packed form (B01/B02 crossing the ring's end, B04/B05 slots and flag
 * bits, B06 sizes, B07-B11 tables and buffers, B12 areas, B13 used
 * descriptors, B14 rewrites, B16 generations), each with its rule. */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define BUF(n) (FX_RAM_BASE + 0x10000 + 0x2000 * (uint64_t)(n))
#define FEAT (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED))

static char q[512];
#define SQL(...) (snprintf(q, sizeof(q), __VA_ARGS__), q)

static int64_t n_violations(struct fx *fx, const char *rule)
{
	return fx_int(fx, SQL("SELECT count(*) FROM violations WHERE rule = '%s'", rule));
}

/* The driver writes a descriptor at slot of queue 0, available for wrap. */
static uint64_t pk_desc(struct fx *fx, uint32_t slot, bool wrap, uint64_t addr, uint32_t len, uint16_t id,
			uint16_t flags)
{
	uint8_t b[16];
	struct vring_desc d = { .addr = addr, .len = len, .next = id,
				.flags = (uint16_t)(flags | packed_ring_avail_flags(wrap)) };

	packed_ring_desc_encode(b, &d);
	return fx_drv(fx, FX_DESC(0) + 16ull * slot, b, sizeof(b));
}

/* The device writes a used descriptor (id, len, flags) at slot. */
static uint64_t pk_used(struct fx *fx, uint32_t slot, bool wrap, uint16_t id, uint32_t len)
{
	uint8_t b[8];

	le32_put(b, len);
	le16_put(b + 4, id);
	le16_put(b + 6, packed_ring_used_flags(wrap));
	return fx_dev(fx, FX_DESC(0) + 16ull * slot + 8, b, sizeof(b));
}

/* Descriptor (addr, len, id, flags) into slot of a ring copy being built. */
static void ring_put(uint8_t *ring, uint32_t slot, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	struct vring_desc d = { .addr = addr, .len = len, .next = id, .flags = flags };

	packed_ring_desc_encode(ring + 16 * (size_t)slot, &d);
}

static void test_blk(void)
{
	struct fx fx;
	uint8_t hdr[16] = { 0 }, data[512], status = 0;

	fx_open(&fx, "packed_blk.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, FEAT, 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + 1);
	le32_put(hdr, VIRTIO_BLK_T_OUT);
	le64_put(hdr + 8, 5);
	fx_drv(&fx, BUF(0), hdr, sizeof(hdr));
	fx_drv(&fx, BUF(1), data, sizeof(data));
	/* Later descriptors first, the head's flags last, as Linux does. */
	pk_desc(&fx, 1, true, BUF(1), 512, 0, VIRTQ_DESC_F_NEXT);
	pk_desc(&fx, 2, true, BUF(2), 1, 0, VIRTQ_DESC_F_WRITE);
	uint64_t s_avail = pk_desc(&fx, 0, true, BUF(0), 16, 0, VIRTQ_DESC_F_NEXT);
	uint64_t s_notify = fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, BUF(2), &status, 1);
	uint64_t s_used = pk_used(&fx, 0, true, 0, 1);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);
	/* A read with id 0 again, at slots 3..5. */
	le32_put(hdr, VIRTIO_BLK_T_IN);
	le64_put(hdr + 8, 7);
	fx_drv(&fx, BUF(3), hdr, sizeof(hdr));
	pk_desc(&fx, 4, true, BUF(4), 512, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	pk_desc(&fx, 5, true, BUF(5), 1, 0, VIRTQ_DESC_F_WRITE);
	pk_desc(&fx, 3, true, BUF(3), 16, 0, VIRTQ_DESC_F_NEXT);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, BUF(4), data, sizeof(data));
	fx_dev(&fx, BUF(5), &status, 1);
	/* The used descriptor goes where the device's position is: slot 3
	 * (it skipped the 3 slots of the first chain). */
	uint64_t s_used2 = pk_used(&fx, 3, true, 0, 513);
	fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_avail FROM chains WHERE avail_idx = 32768"), s_avail);
	CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains WHERE avail_idx = 32768"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT head FROM chains WHERE avail_idx = 32771"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT writable FROM chains WHERE avail_idx = 32771"), 513);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 2);
	CHECK_EQ_U(fx_int(&fx, SQL("SELECT used_idx FROM used WHERE seq = %llu", (unsigned long long)s_used2)), 32771);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op) FROM requests"), "out,in");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE op = 'in'"), 7);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_notify FROM requests WHERE op = 'out'"), s_notify);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE op = 'out'"), s_used);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE op = 'in'"), s_used2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Three laps of single-descriptor rng requests, each used at once with
 * the same id: the wrap counters flip at the end of the ring. */
static void test_laps(void)
{
	struct fx fx;
	bool wrap = true;

	fx_open(&fx, "packed_laps.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	for (uint32_t k = 0; k < 3 * fx.qsize; k++) {
		uint32_t slot = k % fx.qsize;
		if (k && slot == 0)
			wrap = !wrap;
		pk_desc(&fx, slot, wrap, BUF(0), 64, 2, VIRTQ_DESC_F_WRITE);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_dev(&fx, BUF(0), "0123456789abcdef", 16);
		pk_used(&fx, slot, wrap, 2, 16);
	}
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 3 * fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains WHERE avail_idx < 32768"), fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 3 * fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'rng' AND length = 16"), 3 * fx.qsize);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* One best-effort copy of the whole ring shows chain A used at slot 0 and
 * chain B, reusing A's id, available at slot 1: A's used entry is A's. */
static void test_reuse_in_one_copy(void)
{
	struct fx fx;
	uint8_t ring[8 * 16] = { 0 };

	fx_open(&fx, "packed_reuse.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	ring_put(ring, 0, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	/* Next copy: slot 0 used (id 0, 8 bytes), slot 1 a new chain with id 0. */
	ring_put(ring, 0, BUF(0), 8, 0, packed_ring_used_flags(true));
	ring_put(ring, 1, BUF(1), 32, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT c.avail_idx FROM used u JOIN chains c USING (chain)"), 32768);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* A late copy: slot 1's chain (id 0) was made available and used between
 * two copies, and the chain at slot 2 reuses id 0.  The used descriptor
 * at slot 1 is the lost chain's, not slot 2's; slot 2's comes later. */
static void test_lost_chain(void)
{
	struct fx fx;
	uint8_t ring[8 * 16] = { 0 };
	const uint16_t snap = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;

	fx_open(&fx, "packed_lost.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	ring_put(ring, 0, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	ring_put(ring, 0, BUF(0), 8, 0, packed_ring_used_flags(true));
	ring_put(ring, 1, BUF(0), 8, 0, packed_ring_used_flags(true));
	ring_put(ring, 2, BUF(2), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	ring_put(ring, 2, BUF(2), 9, 0, packed_ring_used_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT used_idx FROM used WHERE chain IS NULL"), 32769);
	CHECK_EQ_U(fx_int(&fx, "SELECT c.avail_idx FROM used u JOIN chains c USING (chain) WHERE u.len = 9"), 32770);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* The same out of order: the lost chain at slot 1 had id 2 and was used
 * first (at slot 0), then chain A (id 0) at slot 1, and chain C reuses
 * id 0 at slot 2.  A's used entry is A's, C's comes later, and the stray
 * id 2 is excused as the lost chain's. */
static void test_lost_out_of_order(void)
{
	struct fx fx;
	uint8_t ring[8 * 16] = { 0 };
	const uint16_t snap = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;

	fx_open(&fx, "packed_lost_ooo.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	ring_put(ring, 0, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	ring_put(ring, 0, BUF(0), 7, 2, packed_ring_used_flags(true));
	ring_put(ring, 1, BUF(1), 8, 0, packed_ring_used_flags(true));
	ring_put(ring, 2, BUF(2), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	ring_put(ring, 2, BUF(2), 9, 0, packed_ring_used_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT c.avail_idx FROM used u JOIN chains c USING (chain) WHERE u.len = 8"), 32768);
	CHECK_EQ_U(fx_int(&fx, "SELECT c.avail_idx FROM used u JOIN chains c USING (chain) WHERE u.len = 9"), 32770);
	CHECK_EQ_U(fx_int(&fx, "SELECT chain FROM used WHERE len = 7"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies"), 0);
	fx_close(&fx);
}

/* A snapshot of the ring in two pieces (as a ring longer than one event is
 * copied): the first holds a used descriptor (out of order, at slot 6),
 * the second the chain it completes (slot 7): nothing is followed until
 * the last piece is in, so the used descriptor is not taken for a stray. */
static void test_pieces(void)
{
	struct fx fx;
	uint8_t ring[8 * 16] = { 0 };
	const uint16_t snap = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;

	fx_open(&fx, "packed_pieces.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	/* Slots 0..5: chains made available and used one by one. */
	for (uint32_t i = 0; i < 6; i++) {
		ring_put(ring, i, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
		fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
		ring_put(ring, i, BUF(0), 4, 0, packed_ring_used_flags(true));
		fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	}
	/* Slot 6: a chain with id 1, seen. */
	ring_put(ring, 6, BUF(1), 64, 1, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	/* Slot 7's chain (id 2) completed first: its used descriptor is at
	 * slot 6, the chain still shows at slot 7. */
	ring_put(ring, 6, BUF(1), 5, 2, packed_ring_used_flags(true));
	ring_put(ring, 7, BUF(2), 64, 2, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	fx_mem(&fx, FX_DESC(0), ring, 16 * 7, snap);
	fx_mem(&fx, FX_DESC(0) + 16 * 7, ring + 16 * 7, 16, snap);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 8);
	CHECK_EQ_U(fx_int(&fx, "SELECT c.avail_idx FROM used u JOIN chains c USING (chain) WHERE u.len = 5"), 32768 + 7);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used"), 7);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies"), 0);
	fx_close(&fx);
}

static void test_hostile(void)
{
	struct fx fx;

	/* A used descriptor naming an id nothing is in flight with. */
	fx_open(&fx, "packed_stray.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 0, true, BUF(0), 64, 1, VIRTQ_DESC_F_WRITE);
	pk_used(&fx, 0, true, 5, 8);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "device-used-id-not-in-flight"), 1);
	fx_close(&fx);

	/* A buffer id past the queue size. */
	fx_open(&fx, "packed_id.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 0, true, BUF(0), 64, (uint16_t)fx.qsize, VIRTQ_DESC_F_WRITE);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "ring-head-out-of-range"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
	fx_close(&fx);

	/* NEXT on every descriptor of the ring: a loop, read once round. */
	fx_open(&fx, "packed_loop.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	for (uint32_t i = 1; i < fx.qsize; i++)
		pk_desc(&fx, i, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
	pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "ring-chain-too-long"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM descriptors"), fx.qsize);
	fx_close(&fx);

	/* The chain's second descriptor still marked for the other lap. */
	fx_open(&fx, "packed_stale.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 1, false, BUF(1), 64, 0, VIRTQ_DESC_F_WRITE);
	pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "ring-packed-desc-not-avail"), 1);
	CHECK_EQ_U(n_violations(&fx, "ring-areas-overlap"), 0);
	fx_close(&fx);
}

/* Random rings: snapshots of random descriptors (flags biased towards
 * available / used for both wrap counters, ids and lengths near the
 * limits), random driver and device stores, notifies and interrupts, on a
 * blk device with INDIRECT_DESC: no crash (ASan/UBSan), and every used row
 * that names a chain names one of its queue. */
static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void rnd_desc(uint8_t *b)
{
	static const uint16_t fl[] = { 0, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT,
				       VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT };
	static const uint32_t lens[] = { 0, 1, 16, 32, 512, 4096, 0xffffffffu, 0x10 * 9 };
	struct vring_desc d;
	uint64_t r = rnd();

	d.addr = (r & 1) ? FX_RAM_BASE + (rnd() % FX_RAM_SIZE) : BUF(rnd() % 8);
	if ((r & 0x30) == 0x30)
		d.addr = rnd();
	d.len = lens[(r >> 8) % 8];
	d.next = (uint16_t)((r >> 16) % 12); /* ids around the queue size 8 */
	d.flags = fl[(r >> 24) % 5];
	switch ((r >> 32) % 4) {
	case 0: d.flags |= packed_ring_avail_flags(true); break;
	case 1: d.flags |= packed_ring_avail_flags(false); break;
	case 2: d.flags |= packed_ring_used_flags((r >> 40) & 1); break;
	default: d.flags |= (uint16_t)(rnd() & 0x8080); break;
	}
	packed_ring_desc_encode(b, &d);
}

static void test_random(void)
{
	int64_t chains = 0, used = 0, viol = 0, anom = 0;

	for (unsigned round = 0; round < 12; round++) {
		struct fx fx;
		char name[64];
		snprintf(name, sizeof(name), "packed_rnd%u.db", round);
		fx_open(&fx, name);
		fx_init_device(&fx, VIRTIO_ID_BLOCK, FEAT | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 2);
		for (unsigned step = 0; step < 300; step++) {
			uint8_t ring[8 * 16], b[16];
			unsigned qi = rnd() % 2;
			switch (rnd() % 6) {
			case 0:
				for (unsigned i = 0; i < 8; i++)
					rnd_desc(ring + 16 * i);
				fx_mem(&fx, FX_DESC(qi), ring, sizeof(ring),
				       (rnd() & 1) ? VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT : VMT_MEM_DRIVER_WRITE);
				break;
			case 1:
				rnd_desc(b);
				fx_drv(&fx, FX_DESC(qi) + 16 * (rnd() % 8), b, sizeof(b));
				break;
			case 2:
				rnd_desc(b);
				fx_dev(&fx, FX_DESC(qi) + 16 * (rnd() % 8) + 8, b + 8, 8);
				break;
			case 3:
				/* indirect tables and buffers */
				for (unsigned i = 0; i < 8; i++)
					rnd_desc(ring + 16 * i);
				fx_drv(&fx, BUF(rnd() % 8), ring, (uint32_t)(16 * (1 + rnd() % 8)));
				break;
			case 4:
				fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, qi);
				break;
			default:
				fx_mmio(&fx, false, MMIO_INTERRUPT_STATUS, 1);
				fx_mmio(&fx, true, MMIO_INTERRUPT_ACK, 1);
				break;
			}
		}
		fx_finish(&fx);
		CHECK(fx_int(&fx, "SELECT count(*) FROM chains") > 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used u JOIN chains c USING (chain) WHERE u.queue != c.queue"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains WHERE n_desc > 16"), 0);
		chains += fx_int(&fx, "SELECT count(*) FROM chains");
		used += fx_int(&fx, "SELECT count(*) FROM used");
		viol += fx_int(&fx, "SELECT count(*) FROM violations");
		anom += fx_int(&fx, "SELECT count(*) FROM anomalies");
		fx_close(&fx);
	}
	fprintf(stderr, "random packed rings: %lld chains, %lld used, %lld violations, %lld anomalies\n",
		(long long)chains, (long long)used, (long long)viol, (long long)anom);
}


/* --- RELIABILITY.md's B-cases in packed form, through the decoder --- */

/* The event-stream bring-up of fx_init_device with queue 0 of num entries
 * at the given areas (descriptor ring, driver and device event
 * suppression structures), for the layouts fx_init_device cannot make. */
static void pk_bringup(struct fx *fx, uint32_t device_id, uint64_t features, uint32_t num, uint64_t desc, uint64_t drv,
		       uint64_t dev)
{
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
		fx_mmio(fx, true, MMIO_DRIVER_FEATURES_SEL, w);
		fx_mmio(fx, true, MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * w)));
	}
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	fx_mmio(fx, true, MMIO_STATUS, st);
	fx_mmio(fx, false, MMIO_STATUS, st);
	fx_mmio(fx, true, MMIO_QUEUE_SEL, 0);
	fx_mmio(fx, false, MMIO_QUEUE_READY, 0);
	fx_mmio(fx, false, MMIO_QUEUE_NUM_MAX, 32768);
	fx_mmio(fx, true, MMIO_QUEUE_NUM, num);
	const uint64_t a[3] = { desc, drv, dev };
	for (unsigned i = 0; i < 3; i++) {
		fx_mmio(fx, true, MMIO_QUEUE_DESC_LOW + 0x10 * i, (uint32_t)a[i]);
		fx_mmio(fx, true, MMIO_QUEUE_DESC_HIGH + 0x10 * i, (uint32_t)(a[i] >> 32));
	}
	fx_mmio(fx, true, MMIO_QUEUE_READY, 1);
	fx_mmio(fx, true, MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
}

/* B12: packed ring areas.  The descriptor ring needs 16-byte alignment
 * and 16 * num bytes, the two event suppression structures 4-byte
 * alignment and 4 bytes (no split-ring sizes: event areas side by side
 * are legal); areas misaligned, overlapping, past RAM or in the MMIO
 * window are reported with their rule. */
static void test_b12_areas(void)
{
	const uint64_t END = FX_RAM_BASE + FX_RAM_SIZE;
	static const struct {
		uint32_t num;
		uint64_t desc, drv, dev;
		const char *rule; /* NULL: no violation at all */
	} c[] = {
		{ 8, FX_DESC(0), FX_DESC(0) + 128, FX_DESC(0) + 132, NULL },
		{ 5, FX_DESC(0), FX_DESC(0) + 80, FX_DESC(0) + 84, NULL }, /* ring of 80 bytes */
		{ 8, FX_DESC(0) + 8, FX_DESC(0) + 0x400, FX_DESC(0) + 0x800, "ring-misaligned" },
		{ 8, FX_DESC(0), FX_DESC(0) + 0x402, FX_DESC(0) + 0x800, "ring-misaligned" }, /* 2-aligned: split only */
		{ 8, FX_DESC(0), FX_DESC(0) + 0x400, FX_DESC(0) + 0x801, "ring-misaligned" },
		{ 8, FX_DESC(0), FX_DESC(0) + 124, FX_DESC(0) + 0x800, "ring-areas-overlap" }, /* in the last slot */
		{ 8, FX_DESC(0), FX_DESC(0) + 0x400, FX_DESC(0) + 0x400, "ring-areas-overlap" },
		{ 8, END - 64, FX_DESC(0) + 0x400, FX_DESC(0) + 0x800, "ring-outside-memory" },
		{ 8, FX_DESC(0), END, FX_DESC(0) + 0x800, "ring-outside-memory" }, /* just past RAM */
		{ 8, FX_DESC(0), FX_BASE, FX_DESC(0) + 0x800, "ring-outside-memory" }, /* the MMIO window */
		{ 8, FX_BASE, FX_DESC(0) + 0x400, FX_DESC(0) + 0x800, "ring-outside-memory" },
		{ 8, UINT64_MAX - 15, FX_DESC(0) + 0x400, FX_DESC(0) + 0x800, "ring-outside-memory" },
		{ 8, END - 144, END - 8, END - 4, NULL }, /* the last bytes of RAM */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fx fx;
		fx_open(&fx, "packed_b12.db");
		pk_bringup(&fx, VIRTIO_ID_ENTROPY, FEAT, c[i].num, c[i].desc, c[i].drv, c[i].dev);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_finish(&fx);
		int64_t all = fx_int(&fx, "SELECT count(*) FROM violations");
		if (c[i].rule) {
			CHECK_EQ_U(n_violations(&fx, c[i].rule), 1);
			CHECK_EQ_U(all, 1);
		} else {
			CHECK_EQ_U(all, 0);
		}
		if (harness_failures)
			fprintf(stderr, "    (case %zu: %s)\n", i, fx_text(&fx, "SELECT group_concat(message, ' | ') FROM violations"));
		fx_close(&fx);
	}
}

/* B13: used descriptors naming what is not in flight.  An id past the
 * queue size; an id that is no chain's; a used descriptor written where
 * the driver's position is (nothing was made available there: not a
 * chain lost to a late copy, as exact stores show everything); a used
 * length beyond the chain's writable bytes (and exactly at it). */
static void test_b13_used(void)
{
	struct fx fx;

	fx_open(&fx, "packed_b13_range.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
	pk_used(&fx, 0, true, (uint16_t)(fx.qsize + 3), 8);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "device-used-id-not-in-flight"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 1);
	fx_close(&fx);

	fx_open(&fx, "packed_b13_ahead.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
	pk_used(&fx, 0, true, 0, 8);
	/* Nothing is in flight now; the device writes slot 1 anyway. */
	pk_used(&fx, 1, true, 0, 8);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "device-used-id-not-in-flight"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 1);
	fx_close(&fx);

	/* The buffer id is the last descriptor's: a used descriptor naming
	 * the first one's id (3) names no chain; the chain (id 5) stays in
	 * flight. */
	fx_open(&fx, "packed_b13_first_id.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 1, true, BUF(1), 32, 5, VIRTQ_DESC_F_WRITE);
	pk_desc(&fx, 0, true, BUF(0), 32, 3, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
	pk_used(&fx, 0, true, 3, 8);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT head FROM chains"), 5);
	CHECK_EQ_U(n_violations(&fx, "device-used-id-not-in-flight"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 0);
	fx_close(&fx);

	for (uint32_t len = 64; len <= 65; len++) {
		fx_open(&fx, "packed_b13_len.db");
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
		pk_desc(&fx, 1, true, BUF(1), 32, 4, VIRTQ_DESC_F_WRITE);
		pk_desc(&fx, 0, true, BUF(0), 32, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
		pk_used(&fx, 0, true, 4, len);
		fx_finish(&fx);
		CHECK_EQ_U(n_violations(&fx, "device-used-len-too-long"), len > 64);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), len > 64);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 1);
		fx_close(&fx);
	}
}

/* B04 / B05: slots, wrap counters and flag bits.  Slot 1 made available
 * before slot 0: nothing is taken until slot 0 is, then both in ring
 * order.  A driver that sets both AVAIL and USED (or neither) on the
 * descriptor at its position made nothing available: no chain, no
 * device finding, until it writes the flags right.  A driver that makes
 * a slot available again while the device still holds every slot (a
 * whole ring in flight): ring-avail-idx-jump, and no chain for it. */
static void test_b04_b05_slots(void)
{
	struct fx fx;

	fx_open(&fx, "packed_b04_order.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 1, true, BUF(1), 64, 1, VIRTQ_DESC_F_WRITE);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	uint64_t s0 = pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(head) FROM (SELECT head FROM chains ORDER BY chain)"), "0,1");
	CHECK_EQ_U(fx_int(&fx, SQL("SELECT count(*) FROM chains WHERE seq_avail = %llu", (unsigned long long)s0)), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);

	static const uint16_t bad[] = { PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED, 0, PACKED_DESC_F_USED };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[16];
		struct vring_desc d = { .addr = BUF(0), .len = 64, .next = 0,
					.flags = (uint16_t)(VIRTQ_DESC_F_WRITE | bad[i]) };
		fx_open(&fx, "packed_b04_bits.db");
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
		packed_ring_desc_encode(b, &d);
		fx_drv(&fx, FX_DESC(0), b, sizeof(b));
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		uint64_t s = pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
		pk_used(&fx, 0, true, 0, 8);
		fx_finish(&fx);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
		CHECK_EQ_U(fx_int(&fx, "SELECT seq_avail FROM chains"), s);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 1);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies"), 0);
		fx_close(&fx);
	}

	fx_open(&fx, "packed_b05_jump.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	for (uint32_t i = 0; i < fx.qsize; i++)
		pk_desc(&fx, i, true, BUF(i), 64, (uint16_t)i, VIRTQ_DESC_F_WRITE);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	/* Slot 0 in the next lap, while the device holds all eight. */
	pk_desc(&fx, 0, false, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_finish(&fx);
	CHECK_EQ_U(n_violations(&fx, "ring-avail-idx-jump"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 1);
	/* The offered chain is shown (where it was), and goes nowhere. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), fx.qsize + 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), fx.qsize);
	fx_close(&fx);
}

/* B01 / B02 crossing the ring's end: after three chains the driver's
 * position is slot 3; a chain of exactly the queue size from there (3..7,
 * then 0..2 in the next lap) is legal, and one more lap later NEXT on
 * every descriptor is a loop: read once round, ring-chain-too-long. */
static void test_b01_b02_wrapping(void)
{
	struct fx fx;

	for (unsigned loop = 0; loop < 2; loop++) {
		fx_open(&fx, "packed_b01.db");
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
		for (uint32_t i = 0; i < 3; i++) {
			pk_desc(&fx, i, true, BUF(i), 64, (uint16_t)i, VIRTQ_DESC_F_WRITE);
			pk_used(&fx, i, true, (uint16_t)i, 8);
		}
		/* Later descriptors first, the first one's flags last. */
		for (uint32_t k = fx.qsize; k-- > 0;) {
			uint32_t slot = (3 + k) % fx.qsize;
			bool last = k + 1 == fx.qsize;
			pk_desc(&fx, slot, slot >= 3, BUF(k % 8), 64, 7,
				(uint16_t)(VIRTQ_DESC_F_WRITE | (last && !loop ? 0 : VIRTQ_DESC_F_NEXT)));
		}
		fx_finish(&fx);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 4);
		CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains WHERE avail_idx = 32771"), fx.qsize);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM descriptors d JOIN chains c USING (chain) WHERE c.avail_idx = 32771"),
			   fx.qsize);
		CHECK_EQ_U(n_violations(&fx, "ring-chain-too-long"), loop);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), loop);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), loop ? 3 : 4);
		fx_close(&fx);
	}
}

/* B06: packed rings need no power of two.  Rings of 1, 3 and 5 entries
 * decode lap after lap with no violation; QueueNum 0 and one past
 * QueueNumMax are reported and nothing is decoded from them; the largest
 * queue (32768) is legal. */
static void test_b06_sizes(void)
{
	static const uint32_t ok[] = { 1, 3, 5 };
	struct fx fx;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool wrap = true;
		fx_open(&fx, "packed_b06.db");
		fx.qsize = ok[i];
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
		for (uint32_t k = 0; k < 4 * ok[i] + 1; k++) {
			uint32_t slot = k % ok[i];
			if (k && slot == 0)
				wrap = !wrap;
			pk_desc(&fx, slot, wrap, BUF(0), 64, (uint16_t)(k % ok[i]), VIRTQ_DESC_F_WRITE);
			pk_used(&fx, slot, wrap, (uint16_t)(k % ok[i]), 4);
		}
		fx_finish(&fx);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 4 * ok[i] + 1);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL"), 4 * ok[i] + 1);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
		fx_close(&fx);
	}

	static const struct { uint32_t num; const char *rule; } bad[] = {
		{ 0, "queue-num-zero" }, { 32769, "queue-num-above-max" }, { 0x10000, "queue-num-above-max" },
		{ 32768, NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_open(&fx, "packed_b06_bad.db");
		pk_bringup(&fx, VIRTIO_ID_ENTROPY, FEAT, bad[i].num, FX_DESC(0), FX_RAM_BASE + 0x90000,
			   FX_RAM_BASE + 0x90004);
		pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_finish(&fx);
		if (bad[i].rule) {
			CHECK(n_violations(&fx, bad[i].rule) >= 1);
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 0);
		} else {
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
		}
		fx_close(&fx);
	}
}

/* B07-B11: indirect tables and buffers in packed chains, each reported
 * with its rule, no request made of the chain, nothing read for it. */
static void test_b07_b11(void)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		bool indirect_ok, nested;
		const char *rule;
	} c[] = {
		{ BUF(4), 0, VIRTQ_DESC_F_INDIRECT, true, false, "ring-indirect-length" },
		{ BUF(4), 24, VIRTQ_DESC_F_INDIRECT, true, false, "ring-indirect-length" },
		{ BUF(4), 9 * 16, VIRTQ_DESC_F_INDIRECT, true, false, "ring-indirect-length" }, /* > queue size 8 */
		{ BUF(4), 0xfffffff0u, VIRTQ_DESC_F_INDIRECT, true, false, "ring-indirect-length" },
		{ BUF(4), 32, VIRTQ_DESC_F_INDIRECT, true, true, "ring-indirect-nested" },
		{ BUF(4), 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, true, false, "ring-indirect-with-next" },
		{ BUF(4), 32, VIRTQ_DESC_F_INDIRECT, false, false, "ring-indirect-not-negotiated" },
		{ FX_RAM_BASE + FX_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, true, false, "ring-buffer-outside-memory" },
		{ FX_RAM_BASE + FX_RAM_SIZE - 4, 8, VIRTQ_DESC_F_WRITE, true, false, "ring-buffer-outside-memory" },
		{ UINT64_MAX - 7, 16, VIRTQ_DESC_F_WRITE, true, false, "ring-buffer-outside-memory" },
		{ BUF(0), 0xffffffffu, VIRTQ_DESC_F_WRITE, true, false, "ring-buffer-outside-memory" },
		{ BUF(4), 8 * 16, VIRTQ_DESC_F_INDIRECT, true, false, NULL }, /* a table of the queue size */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fx fx;
		uint8_t t[8 * 16];
		fx_open(&fx, "packed_b07.db");
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT | (c[i].indirect_ok ? VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) : 0), 1);
		for (unsigned k = 0; k < 8; k++) {
			struct vring_desc d = { .addr = BUF(k), .len = 16, .flags = VIRTQ_DESC_F_WRITE };
			if (c[i].nested && k == 1)
				d = (struct vring_desc){ .addr = BUF(4), .len = 32, .flags = VIRTQ_DESC_F_INDIRECT };
			packed_ring_desc_encode(t + 16 * k, &d);
		}
		fx_drv(&fx, BUF(4), t, sizeof(t));
		if (c[i].flags & VIRTQ_DESC_F_NEXT)
			pk_desc(&fx, 1, true, BUF(5), 16, 1, VIRTQ_DESC_F_WRITE);
		pk_desc(&fx, 0, true, c[i].addr, c[i].len, 1, c[i].flags);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_finish(&fx);
		if (c[i].rule) {
			CHECK_EQ_U(n_violations(&fx, c[i].rule), 1);
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 1);
			/* No request of the chain at slot 0 (with NEXT, slot 1 is
			 * the next chain). */
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests r JOIN chains c USING (chain) "
					       "WHERE c.avail_idx = 32768"), 0);
		} else {
			CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
			CHECK_EQ_U(fx_int(&fx, "SELECT n_desc FROM chains"), 9);
			CHECK_EQ_U(fx_int(&fx, "SELECT writable FROM chains"), 8 * 16);
		}
		CHECK(fx_int(&fx, "SELECT max(n_desc) FROM chains") <= 2 * 8);
		if (harness_failures)
			fprintf(stderr, "    (case %zu: %s)\n", i, fx_text(&fx, "SELECT group_concat(rule) FROM violations"));
		fx_close(&fx);
	}
}

/* B14: the driver rewrites a descriptor after the chain was taken (while
 * the device may be reading it): the chain keeps what was read when it
 * was taken, the rewrite is no new chain, and its used descriptor is
 * matched to it. */
static void test_b14_rewrite(void)
{
	struct fx fx;

	fx_open(&fx, "packed_b14.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	pk_desc(&fx, 0, true, FX_RAM_BASE + FX_RAM_SIZE - 4, 0xffffffffu, 0x7fff,
		VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	pk_used(&fx, 0, true, 0, 16);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT addr FROM descriptors"), BUF(0));
	CHECK_EQ_U(fx_int(&fx, "SELECT len FROM descriptors"), 64);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NOT NULL AND len = 16"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* B16: QueueReady 0 and 1 again, or a reset and a ring elsewhere, on a
 * live packed queue with a chain in flight: a new queue generation whose
 * positions and wrap counters start over at slot 0, wrap 1; the old
 * chain stays in flight in its generation, and the new ring's used
 * descriptor goes to the new chain. */
static void test_b16_generation(void)
{
	for (unsigned how = 0; how < 2; how++) {
		struct fx fx;
		fx_open(&fx, "packed_b16.db");
		fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
		pk_desc(&fx, 0, true, BUF(0), 64, 0, VIRTQ_DESC_F_WRITE);
		pk_desc(&fx, 1, true, BUF(1), 64, 1, VIRTQ_DESC_F_WRITE);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		pk_used(&fx, 0, true, 0, 4);
		uint64_t ring = FX_DESC(0);
		if (how == 0) {
			fx_mmio(&fx, true, MMIO_QUEUE_SEL, 0);
			fx_mmio(&fx, true, MMIO_QUEUE_READY, 0);
			fx_mmio(&fx, false, MMIO_QUEUE_READY, 0);
			fx_drv(&fx, FX_DESC(0), (uint8_t[128]){ 0 }, 128);
			fx_mmio(&fx, true, MMIO_QUEUE_READY, 1);
		} else {
			ring = FX_DESC(2);
			pk_bringup(&fx, VIRTIO_ID_ENTROPY, FEAT, 8, ring, ring + 0x400, ring + 0x404);
		}
		uint8_t b[16];
		struct vring_desc d = { .addr = BUF(2), .len = 64, .next = 1,
					.flags = VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true) };
		packed_ring_desc_encode(b, &d);
		fx_drv(&fx, ring, b, sizeof(b));
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		le32_put(b, 9);
		le16_put(b + 4, 1);
		le16_put(b + 6, packed_ring_used_flags(true));
		fx_dev(&fx, ring + 8, b, 8);
		fx_finish(&fx);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM queues WHERE queue = 0"), 2);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 3);
		CHECK_EQ_U(fx_int(&fx, "SELECT avail_idx FROM chains WHERE generation = 2"), 32768);
		CHECK_EQ_U(fx_int(&fx, "SELECT c.generation FROM used u JOIN chains c USING (chain) WHERE u.len = 9"), 2);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE chain IS NULL"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE rule LIKE 'ring-%' OR rule LIKE 'device-%'"), 0);
		if (harness_failures)
			fprintf(stderr, "    (case %u: %s)\n", how, fx_text(&fx, "SELECT group_concat(message, ' | ') FROM violations"));
		fx_close(&fx);
	}
}

/* B05 is judged on driver stores only: in copies a whole lap can pass
 * between two copies, the used descriptors of slots 0..3 overwritten by
 * the next lap's chains before the second copy.  The device's position
 * then lags, and the slots look held: no ring-avail-idx-jump (neither
 * violation nor anomaly), every chain decoded. */
static void test_b05_copies_lap(void)
{
	struct fx fx;
	uint8_t ring[8 * 16] = { 0 };
	const uint16_t snap = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;

	fx_open(&fx, "packed_b05_lap.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, FEAT, 1);
	for (uint32_t i = 0; i < 8; i++) {
		ring_put(ring, i, BUF(i), 64, (uint16_t)i, VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(true));
	}
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	for (uint32_t i = 0; i < 8; i++) {
		bool next_lap = i < 4;
		ring_put(ring, i, BUF(i), next_lap ? 64 : 8, (uint16_t)i,
			 next_lap ? VIRTQ_DESC_F_WRITE | packed_ring_avail_flags(false)
				  : VIRTQ_DESC_F_WRITE | packed_ring_used_flags(true));
	}
	fx_mem(&fx, FX_DESC(0), ring, sizeof(ring), snap);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 12);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'ring-avail-idx-jump'"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_blk);
	RUN(test_laps);
	RUN(test_reuse_in_one_copy);
	RUN(test_lost_chain);
	RUN(test_lost_out_of_order);
	RUN(test_pieces);
	RUN(test_hostile);
	RUN(test_b12_areas);
	RUN(test_b13_used);
	RUN(test_b04_b05_slots);
	RUN(test_b05_copies_lap);
	RUN(test_b01_b02_wrapping);
	RUN(test_b06_sizes);
	RUN(test_b07_b11);
	RUN(test_b14_rewrite);
	RUN(test_b16_generation);
	RUN(test_random);
	return harness_finish("test_packed");
}
