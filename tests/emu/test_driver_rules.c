/* Driver-order rules the emulator reports (through its checker) for the
 * accesses it serves: Device Initialization, Virtqueue Configuration,
 * notifications, the legacy interface.  Each scenario asserts exactly the
 * violations expected; a correct initialization of either layout, and a
 * request processed over it, report none. */
#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/emu/emu_fixture.h"
#include "tests/harness.h"

#define ACK VIRTIO_STATUS_ACKNOWLEDGE
#define DRV VIRTIO_STATUS_DRIVER
#define FOK VIRTIO_STATUS_FEATURES_OK
#define DOK VIRTIO_STATUS_DRIVER_OK
#define V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)

static bool open_dev(struct fx *f, const struct emu_model *m, uint32_t version)
{
	if (fx_open(f, m, version, 0) < 0) {
		CHECK(!"fx_open failed");
		return false;
	}
	return true;
}

static bool start(struct fx *f, const struct emu_model *m, uint32_t version, uint64_t accept, uint32_t num)
{
	if (!open_dev(f, m, version))
		return false;
	if (fx_start(f, accept, num) < 0) {
		CHECK(!"fx_start failed");
		fx_close(f);
		return false;
	}
	return true;
}

/* Read both feature words and write the driver's, selectors first. */
static void features(struct fx *f, uint64_t accept)
{
	fx_wr(f, MMIO_DEVICE_FEATURES_SEL, 0);
	fx_rd(f, MMIO_DEVICE_FEATURES);
	fx_wr(f, MMIO_DEVICE_FEATURES_SEL, 1);
	fx_rd(f, MMIO_DEVICE_FEATURES);
	fx_wr(f, MMIO_DRIVER_FEATURES_SEL, 0);
	fx_wr(f, MMIO_DRIVER_FEATURES, (uint32_t)accept);
	fx_wr(f, MMIO_DRIVER_FEATURES_SEL, 1);
	fx_wr(f, MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
}

/* --- correct sequences --- */

static void test_correct_init_modern(void)
{
	for (unsigned mi = 0; mi < 4; mi++) {
		const struct emu_model *m = mi == 0 ? &emu_model_rng : mi == 1 ? &emu_model_blk :
					    mi == 2 ? &emu_model_net : &emu_model_console;
		struct fx f;

		if (!open_dev(&f, m, 2))
			return;
		fx_probe(&f);
		fx_rd(&f, MMIO_VENDOR_ID);
		CHECK(fx_negotiate(&f, emu_device_features(f.d)) & FOK);
		for (uint32_t q = 0; q < m->num_queues; q++)
			fx_queue_modern(&f, q, 64, FX_RING_GPA + q * 0x2000, FX_RING_GPA + q * 0x2000 + 0x400,
					FX_RING_GPA + q * 0x2000 + 0x1000);
		/* Config read as the spec asks: generation, fields, generation. */
		fx_rd(&f, MMIO_CONFIG_GENERATION);
		fx_rd(&f, MMIO_CONFIG_GENERATION);
		fx_driver_ok(&f);
		CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), ACK | DRV | FOK | DOK);
		CHECK(!emu_device_broken(f.d));
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

static void test_correct_init_legacy(void)
{
	for (unsigned mi = 0; mi < 4; mi++) {
		const struct emu_model *m = mi == 0 ? &emu_model_rng : mi == 1 ? &emu_model_blk :
					    mi == 2 ? &emu_model_net : &emu_model_console;
		struct fx f;

		if (!open_dev(&f, m, 1))
			return;
		fx_probe(&f);
		fx_negotiate(&f, emu_device_features(f.d));
		for (uint32_t q = 0; q < m->num_queues; q++)
			fx_queue_legacy(&f, q, 64, 4096, (uint32_t)(FX_RING_GPA / 4096) + 4 * q);
		fx_driver_ok(&f);
		CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), ACK | DRV | DOK);
		CHECK(!emu_device_broken(f.d));
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

/* Full round trip on rng: request, used entry, interrupt, acknowledge. */
static void test_correct_request_both_layouts(void)
{
	for (uint32_t version = 1; version <= 2; version++) {
		struct fx f;

		if (!start(&f, &emu_model_rng, version, V1, 8))
			return;
		struct rb_seg s = { FX_BUF_GPA, 64, true };
		int head = rb_submit(&f.rb, &s, 1);
		CHECK(head >= 0);
		fx_notify(&f, 0);
		uint32_t id = 0xffff, len = 0;
		CHECK_EQ_U(rb_used_pop(&f.rb, &id, &len), 1);
		CHECK_EQ_U(id, (uint32_t)head);
		CHECK_EQ_U(len, 64);
		CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
		CHECK_EQ_U(f.n_irq, 1);
		fx_wr(&f, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
		CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
		/* Orderly shutdown: reset. */
		fx_wr(&f, MMIO_STATUS, 0);
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

/* --- initialization order --- */

static void test_init_order(void)
{
	struct fx f;

	/* Status touched before anything was read. */
	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_wr(&f, MMIO_STATUS, 0);
	FX_EXPECT(&f, RULE_INIT_ORDER);
	FX_EXPECT_MSG(&f, 0, "MagicValue");
	fx_rd(&f, MMIO_STATUS); /* reported once only */
	FX_EXPECT(&f, RULE_INIT_ORDER);
	fx_close(&f);

	/* Version skipped. */
	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_rd(&f, MMIO_MAGIC_VALUE);
	fx_rd(&f, MMIO_DEVICE_ID);
	FX_EXPECT(&f, RULE_INIT_ORDER);
	FX_EXPECT_MSG(&f, 0, "Version");
	fx_close(&f);

	/* DeviceID skipped. */
	if (!open_dev(&f, &emu_model_rng, 1))
		return;
	fx_rd(&f, MMIO_MAGIC_VALUE);
	fx_rd(&f, MMIO_VERSION);
	fx_wr(&f, MMIO_STATUS, ACK);
	FX_EXPECT(&f, RULE_INIT_ORDER);
	FX_EXPECT_MSG(&f, 0, "DeviceID");
	fx_close(&f);
}

/* A device whose DeviceID reads 0 must be left alone after that read. */
static const struct emu_model placeholder_model = {
	.name = "placeholder",
	.device_id = 0,
	.num_queues = 0,
};

static void test_device_id_zero(void)
{
	struct fx f;

	if (!open_dev(&f, &placeholder_model, 2))
		return;
	fx_probe(&f);
	FX_EXPECT_NONE(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	FX_EXPECT(&f, RULE_DEVICE_ID_ZERO);
	fx_close(&f);
}

/* --- status --- */

static void test_features_ok_before_driver(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, 0);
	fx_wr(&f, MMIO_STATUS, ACK);
	features(&f, V1);
	fx_wr(&f, MMIO_STATUS, ACK | FOK);
	FX_EXPECT(&f, RULE_STATUS_ORDER);
	FX_EXPECT_MSG(&f, 0, "Status: FEATURES_OK set before DRIVER");
	fx_close(&f);
}

static void test_driver_ok_before_features_ok(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, 0);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	features(&f, V1);
	fx_wr(&f, MMIO_STATUS, ACK | DRV | DOK);
	FX_EXPECT(&f, RULE_STATUS_ORDER);
	FX_EXPECT_MSG(&f, 0, "FEATURES_OK");
	fx_close(&f);
}

static void test_status_cleared_without_reset(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	fx_wr(&f, MMIO_STATUS, ACK);
	FX_EXPECT(&f, RULE_STATUS_CLEARED);
	FX_EXPECT_MSG(&f, 0, "DRIVER");
	fx_close(&f);

	/* Writing the device's DEVICE_NEEDS_RESET back, or omitting it, is no clear. */
	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	emu_device_fail(f.d, RULE_RING_HEAD_RANGE, "test-made failure");
	fx_clear(&f);
	uint32_t st = fx_rd(&f, MMIO_STATUS);
	CHECK(st & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	fx_wr(&f, MMIO_STATUS, st & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

static void test_features_ok_not_reread(void)
{
	struct fx f;

	/* Queue set-up right after FEATURES_OK. */
	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	features(&f, V1);
	fx_wr(&f, MMIO_STATUS, ACK | DRV | FOK);
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	FX_EXPECT(&f, RULE_FEATURES_OK_NOT_REREAD);
	fx_close(&f);

	/* DRIVER_OK right after FEATURES_OK. */
	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	features(&f, V1);
	fx_wr(&f, MMIO_STATUS, ACK | DRV | FOK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV | FOK | DOK);
	FX_EXPECT(&f, RULE_FEATURES_OK_NOT_REREAD);
	fx_close(&f);
}

static void test_feature_selectors(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	fx_rd(&f, MMIO_DEVICE_FEATURES);
	FX_EXPECT(&f, RULE_DEVICE_FEATURES_SEL);
	fx_clear(&f);
	fx_wr(&f, MMIO_DRIVER_FEATURES, 0);
	FX_EXPECT(&f, RULE_DRIVER_FEATURES_SEL);
	fx_close(&f);
}

static void test_driver_features_after_features_ok(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	CHECK(fx_negotiate(&f, V1) & FOK);
	fx_wr(&f, MMIO_DRIVER_FEATURES_SEL, 0);
	fx_wr(&f, MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_INDIRECT_DESC);
	FX_EXPECT(&f, RULE_FEATURES_AFTER_FEATURES_OK);
	/* The device keeps the set accepted at FEATURES_OK. */
	CHECK_EQ_U(emu_negotiated(f.d), V1);
	fx_close(&f);
}

/* --- queue set-up --- */

static void begin_queue(struct fx *f, uint32_t version)
{
	fx_probe(f);
	fx_negotiate(f, V1);
	fx_wr(f, MMIO_QUEUE_SEL, 0);
	fx_rd(f, version == 2 ? MMIO_QUEUE_READY : MMIO_QUEUE_PFN);
	fx_rd(f, MMIO_QUEUE_NUM_MAX);
}

static void test_queue_num_limits(void)
{
	for (uint32_t version = 1; version <= 2; version++) {
		struct fx f;

		if (!open_dev(&f, &emu_model_rng, version))
			return;
		begin_queue(&f, version);
		fx_wr(&f, MMIO_QUEUE_NUM, EMU_QUEUE_NUM_MAX_DEFAULT); /* N: fine */
		FX_EXPECT_NONE(&f);
		fx_wr(&f, MMIO_QUEUE_NUM, EMU_QUEUE_NUM_MAX_DEFAULT * 2); /* above max, still a power of 2 */
		FX_EXPECT(&f, RULE_QUEUE_NUM_ABOVE_MAX);
		FX_EXPECT_MSG(&f, 0, "512");
		fx_clear(&f);
		fx_wr(&f, MMIO_QUEUE_NUM, 3);
		FX_EXPECT(&f, RULE_QUEUE_NUM_NOT_POW2);
		fx_clear(&f);
		fx_wr(&f, MMIO_QUEUE_NUM, 1); /* 2^0 is a power of two */
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

static void test_queue_write_while_ready(void)
{
	struct fx f;

	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	fx_wr(&f, MMIO_QUEUE_NUM, 4);
	FX_EXPECT(&f, RULE_QUEUE_WRITE_WHILE_READY);
	fx_clear(&f);
	static const uint32_t regs[] = { MMIO_QUEUE_DESC_LOW, MMIO_QUEUE_DESC_HIGH, MMIO_QUEUE_DRIVER_LOW,
					 MMIO_QUEUE_DRIVER_HIGH, MMIO_QUEUE_DEVICE_LOW, MMIO_QUEUE_DEVICE_HIGH };
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		fx_wr(&f, regs[i], 0x100);
		FX_EXPECT(&f, RULE_QUEUE_WRITE_WHILE_READY);
		fx_clear(&f);
	}
	/* The writes were not applied: the queue still runs on its old ring. */
	struct rb_seg s = { FX_BUF_GPA, 32, true };
	int head = rb_submit(&f.rb, &s, 1);
	fx_notify(&f, 0);
	uint32_t id = 0xffff, len = 0;
	CHECK_EQ_U(rb_used_pop(&f.rb, &id, &len), 1);
	CHECK_EQ_U(id, (uint32_t)head);
	CHECK_EQ_U(len, 32);
	CHECK(!emu_device_broken(f.d));
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	/* Legacy: QueueNum / QueueAlign while QueuePFN is set. */
	if (!start(&f, &emu_model_rng, 1, 0, 8))
		return;
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	fx_wr(&f, MMIO_QUEUE_NUM, 4);
	fx_wr(&f, MMIO_QUEUE_ALIGN, 8192);
	FX_EXPECT(&f, RULE_QUEUE_WRITE_WHILE_READY, RULE_QUEUE_WRITE_WHILE_READY);
	fx_clear(&f);
	head = rb_submit(&f.rb, &s, 1);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_pop(&f.rb, &id, &len), 1);
	CHECK_EQ_U(id, (uint32_t)head);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

static void test_queue_ready_not_read_back(void)
{
	struct fx f;

	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	fx_wr(&f, MMIO_QUEUE_READY, 0);
	fx_wr(&f, MMIO_QUEUE_NUM, 8);
	FX_EXPECT(&f, RULE_QUEUE_READY_NOT_READ_BACK);
	fx_close(&f);
}

static void test_queue_not_available(void)
{
	struct fx f;

	/* rng has no queue 1: QueueNumMax reads 0, enabling it is reported. */
	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	CHECK(fx_negotiate(&f, V1) & FOK);
	fx_queue_modern(&f, 1, 8, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x200);
	/* QueueNum 8 is also above the QueueNumMax of 0 the driver read. */
	FX_EXPECT(&f, RULE_QUEUE_NUM_ABOVE_MAX, RULE_QUEUE_SEL_RANGE);
	fx_clear(&f);
	/* Queue 0 is unaffected. */
	fx_queue_modern(&f, 0, 8, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x200);
	fx_driver_ok(&f);
	FX_EXPECT_NONE(&f);
	CHECK(!emu_device_broken(f.d));
	fx_close(&f);
}

static void test_ring_area_misaligned(void)
{
	static const struct { uint64_t desc, drv, dev; } bad[] = {
		{ FX_RING_GPA + 8, FX_RING_GPA + 0x100, FX_RING_GPA + 0x200 },
		{ FX_RING_GPA, FX_RING_GPA + 0x101, FX_RING_GPA + 0x200 },
		{ FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x202 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx f;

		if (!open_dev(&f, &emu_model_rng, 2))
			return;
		fx_probe(&f);
		CHECK(fx_negotiate(&f, V1) & FOK);
		fx_queue_modern(&f, 0, 8, bad[i].desc, bad[i].drv, bad[i].dev);
		FX_EXPECT(&f, RULE_RING_MISALIGNED);
		fx_close(&f);
	}
}

static void test_queue_reset_not_negotiated(void)
{
	struct fx f;

	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	fx_wr(&f, MMIO_QUEUE_RESET, 1);
	FX_EXPECT(&f, RULE_QUEUE_RESET_NOT_NEGOTIATED);
	fx_clear(&f);
	/* Not negotiated: the queue was not reset. */
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 1);
	struct rb_seg s = { FX_BUF_GPA, 16, true };
	rb_submit(&f.rb, &s, 1);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), 1);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* --- notifications --- */

static void test_notify_before_driver_ok(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 2))
		return;
	fx_probe(&f);
	CHECK(fx_negotiate(&f, V1) & FOK);
	CHECK(rb_init_modern(&f.rb, &f.gm, 8, FX_RING_GPA) == 0);
	fx_queue_modern(&f, 0, 8, f.rb.desc, f.rb.avail, f.rb.used);
	struct rb_seg s = { FX_BUF_GPA, 16, true };
	rb_submit(&f.rb, &s, 1);
	fx_notify(&f, 0);
	FX_EXPECT(&f, RULE_NOTIFY_BEFORE_DRIVER_OK);
	/* "The device MUST NOT consume buffers ... before DRIVER_OK." */
	CHECK_EQ_U(rb_used_idx(&f.rb), 0);
	CHECK_EQ_U(f.dev_writes, 0);
	CHECK_EQ_U(f.n_irq, 0);
	fx_clear(&f);
	fx_driver_ok(&f);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), 1);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

static void test_notify_unknown_queue(void)
{
	struct fx f;

	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	fx_notify(&f, 1);
	FX_EXPECT(&f, RULE_NOTIFY_UNKNOWN_QUEUE);
	fx_clear(&f);
	fx_notify(&f, 0xffffffffu);
	FX_EXPECT(&f, RULE_NOTIFY_UNKNOWN_QUEUE);
	CHECK(!emu_device_broken(f.d));
	CHECK_EQ_U(f.dev_writes, 0);
	fx_close(&f);
}

static void test_interrupt_ack_undefined_bits(void)
{
	struct fx f;

	if (!start(&f, &emu_model_rng, 2, V1, 8))
		return;
	fx_wr(&f, MMIO_INTERRUPT_ACK, 0x4);
	FX_EXPECT(&f, RULE_INTERRUPT_ACK_UNDEFINED);
	fx_clear(&f);
	fx_wr(&f, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_MASK);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* --- config --- */

static void test_config_write_before_features_ok(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_console, 2))
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, ACK);
	fx_wr(&f, MMIO_STATUS, ACK | DRV);
	emu_mmio_write(f.d, MMIO_CONFIG + 8, 4, 'x'); /* emerg_wr */
	FX_EXPECT(&f, RULE_CONFIG_WRITE_BEFORE_FEATURES_OK);
	fx_close(&f);
}

/* --- legacy --- */

static void legacy_begin(struct fx *f)
{
	fx_probe(f);
	fx_wr(f, MMIO_STATUS, 0);
	fx_wr(f, MMIO_STATUS, ACK);
	fx_wr(f, MMIO_STATUS, ACK | DRV);
	fx_wr(f, MMIO_DEVICE_FEATURES_SEL, 0);
	fx_rd(f, MMIO_DEVICE_FEATURES);
	fx_wr(f, MMIO_DRIVER_FEATURES_SEL, 0);
	fx_wr(f, MMIO_DRIVER_FEATURES, 0);
}

static void test_legacy_pfn_before_page_size(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 1))
		return;
	legacy_begin(&f);
	fx_queue_legacy(&f, 0, 8, 4096, (uint32_t)(FX_RING_GPA / 4096));
	FX_EXPECT(&f, RULE_LEGACY_PFN_BEFORE_PAGE_SIZE);
	fx_close(&f);
}

static void test_legacy_page_size_and_align_pow2(void)
{
	struct fx f;

	if (!open_dev(&f, &emu_model_rng, 1))
		return;
	legacy_begin(&f);
	fx_wr(&f, MMIO_GUEST_PAGE_SIZE, 3000);
	FX_EXPECT(&f, RULE_LEGACY_PAGE_SIZE_NOT_POW2);
	fx_clear(&f);
	fx_wr(&f, MMIO_GUEST_PAGE_SIZE, 0);
	FX_EXPECT(&f, RULE_LEGACY_PAGE_SIZE_NOT_POW2);
	fx_clear(&f);
	fx_wr(&f, MMIO_GUEST_PAGE_SIZE, 4096);
	FX_EXPECT_NONE(&f);
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	fx_rd(&f, MMIO_QUEUE_PFN);
	fx_rd(&f, MMIO_QUEUE_NUM_MAX);
	fx_wr(&f, MMIO_QUEUE_NUM, 8);
	fx_wr(&f, MMIO_QUEUE_ALIGN, 100);
	FX_EXPECT(&f, RULE_LEGACY_ALIGN_NOT_POW2);
	fx_clear(&f);
	fx_wr(&f, MMIO_QUEUE_ALIGN, 4096);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

int main(void)
{
	RUN(test_correct_init_modern);
	RUN(test_correct_init_legacy);
	RUN(test_correct_request_both_layouts);
	RUN(test_init_order);
	RUN(test_device_id_zero);
	RUN(test_features_ok_before_driver);
	RUN(test_driver_ok_before_features_ok);
	RUN(test_status_cleared_without_reset);
	RUN(test_features_ok_not_reread);
	RUN(test_feature_selectors);
	RUN(test_driver_features_after_features_ok);
	RUN(test_queue_num_limits);
	RUN(test_queue_write_while_ready);
	RUN(test_queue_ready_not_read_back);
	RUN(test_queue_not_available);
	RUN(test_ring_area_misaligned);
	RUN(test_queue_reset_not_negotiated);
	RUN(test_notify_before_driver_ok);
	RUN(test_notify_unknown_queue);
	RUN(test_interrupt_ack_undefined_bits);
	RUN(test_config_write_before_features_ok);
	RUN(test_legacy_pfn_before_page_size);
	RUN(test_legacy_page_size_and_align_pow2);
	return harness_finish("test_driver_rules");
}
