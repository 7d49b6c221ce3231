/* virtio-mmio register behaviour of the emulated device, both layouts,
 * checked against the spec's MMIO Device Register Layout and Legacy
 * interface tables: values read, effects of writes, reset, feature
 * negotiation, and the access rules (width, alignment, direction,
 * undefined offsets, config field widths). */
#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/emu/emu_fixture.h"
#include "tests/harness.h"

/* The register tables, typed in from the spec chapter (not from
 * virtio/mmio_regs.c, so a mistake there shows up here). */
struct reg { uint32_t off; const char *name; };

static const struct reg modern_ro[] = {
	{ 0x000, "MagicValue" }, { 0x004, "Version" }, { 0x008, "DeviceID" }, { 0x00c, "VendorID" },
	{ 0x010, "DeviceFeatures" }, { 0x034, "QueueNumMax" }, { 0x060, "InterruptStatus" },
	{ 0x0b0, "SHMLenLow" }, { 0x0b4, "SHMLenHigh" }, { 0x0b8, "SHMBaseLow" }, { 0x0bc, "SHMBaseHigh" },
	{ 0x0fc, "ConfigGeneration" },
};
static const struct reg modern_wo[] = {
	{ 0x014, "DeviceFeaturesSel" }, { 0x020, "DriverFeatures" }, { 0x024, "DriverFeaturesSel" },
	{ 0x030, "QueueSel" }, { 0x038, "QueueNum" }, { 0x050, "QueueNotify" }, { 0x064, "InterruptACK" },
	{ 0x080, "QueueDescLow" }, { 0x084, "QueueDescHigh" }, { 0x090, "QueueDriverLow" },
	{ 0x094, "QueueDriverHigh" }, { 0x0a0, "QueueDeviceLow" }, { 0x0a4, "QueueDeviceHigh" },
	{ 0x0ac, "SHMSel" },
};
static const struct reg modern_rw[] = {
	{ 0x044, "QueueReady" }, { 0x070, "Status" }, { 0x0c0, "QueueReset" },
};
static const struct reg legacy_ro[] = {
	{ 0x000, "MagicValue" }, { 0x004, "Version" }, { 0x008, "DeviceID" }, { 0x00c, "VendorID" },
	{ 0x010, "HostFeatures" }, { 0x034, "QueueNumMax" }, { 0x060, "InterruptStatus" },
};
static const struct reg legacy_wo[] = {
	{ 0x014, "HostFeaturesSel" }, { 0x020, "GuestFeatures" }, { 0x024, "GuestFeaturesSel" },
	{ 0x028, "GuestPageSize" }, { 0x030, "QueueSel" }, { 0x038, "QueueNum" }, { 0x03c, "QueueAlign" },
	{ 0x050, "QueueNotify" }, { 0x064, "InterruptACK" },
};
static const struct reg legacy_rw[] = {
	{ 0x040, "QueuePFN" }, { 0x070, "Status" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct layout {
	uint32_t version;
	const struct reg *ro, *wo, *rw;
	size_t n_ro, n_wo, n_rw;
};

static const struct layout layouts[2] = {
	{ 1, legacy_ro, legacy_wo, legacy_rw, N(legacy_ro), N(legacy_wo), N(legacy_rw) },
	{ 2, modern_ro, modern_wo, modern_rw, N(modern_ro), N(modern_wo), N(modern_rw) },
};

static bool in_table(const struct reg *t, size_t n, uint32_t off)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].off == off)
			return true;
	return false;
}

static bool defined_in(const struct layout *l, uint32_t off)
{
	return in_table(l->ro, l->n_ro, off) || in_table(l->wo, l->n_wo, off) || in_table(l->rw, l->n_rw, off);
}

static bool readable_in(const struct layout *l, uint32_t off)
{
	return in_table(l->ro, l->n_ro, off) || in_table(l->rw, l->n_rw, off);
}

/* A probed device of the given layout with no violations recorded. */
static bool open_probed(struct fx *f, const struct emu_model *m, uint32_t version)
{
	if (fx_open(f, m, version, 0) < 0) {
		CHECK(!"fx_open failed");
		return false;
	}
	fx_probe(f);
	FX_EXPECT_NONE(f);
	fx_clear(f);
	return true;
}

/* --- values --- */

static void test_identification_modern(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	CHECK_EQ_U(fx_rd(&f, MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ_U(fx_rd(&f, MMIO_VERSION), 2);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
	CHECK_EQ_U(fx_rd(&f, MMIO_VENDOR_ID), EMU_VENDOR_ID);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	if (!open_probed(&f, &emu_model_blk, 2))
		return;
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	fx_close(&f);
}

static void test_identification_legacy(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 1))
		return;
	CHECK_EQ_U(fx_rd(&f, MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ_U(fx_rd(&f, MMIO_VERSION), 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
	CHECK_EQ_U(fx_rd(&f, MMIO_VENDOR_ID), EMU_VENDOR_ID);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* rng offers VERSION_1 (32), INDIRECT_DESC (28), EVENT_IDX (29), RING_RESET (40). */
static void test_device_features_words(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), (1u << 28) | (1u << 29));
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), (1u << 0) | (1u << 8));
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), 0);
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0xffffffffu);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), 0);
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), (1u << 28) | (1u << 29));
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	/* Legacy: the same low word, and never VERSION_1 or any bit >= 32. */
	if (!open_probed(&f, &emu_model_rng, 1))
		return;
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), (1u << 28) | (1u << 29));
	fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), 0);
	FX_EXPECT_NONE(&f);
	CHECK(!(emu_device_features(f.d) & VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	fx_close(&f);
}

static void test_queue_num_max(void)
{
	for (uint32_t version = 1; version <= 2; version++) {
		struct fx f;

		if (!open_probed(&f, &emu_model_rng, version))
			return;
		fx_wr(&f, MMIO_QUEUE_SEL, 0);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), EMU_QUEUE_NUM_MAX_DEFAULT);
		fx_wr(&f, MMIO_QUEUE_SEL, 1); /* rng has one queue */
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), 0);
		fx_wr(&f, MMIO_QUEUE_SEL, 0x10000);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), 0);
		fx_wr(&f, MMIO_QUEUE_SEL, 0xffffffffu);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), 0);
		FX_EXPECT_NONE(&f);
		fx_close(&f);

		/* A configured maximum, and a two-queue device. */
		if (fx_open(&f, &emu_model_net, version, 64) < 0) {
			CHECK(!"fx_open net");
			return;
		}
		fx_probe(&f);
		for (uint32_t q = 0; q < 3; q++) {
			fx_wr(&f, MMIO_QUEUE_SEL, q);
			CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), q < 2 ? 64 : 0);
		}
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

static void test_queue_ready_and_pfn_read_back(void)
{
	struct fx f;

	/* Modern: QueueReady returns the last value written. */
	if (!open_probed(&f, &emu_model_net, 2))
		return;
	fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
	fx_queue_modern(&f, 0, 16, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x200);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 1);
	fx_wr(&f, MMIO_QUEUE_SEL, 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0); /* per queue */
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 1);
	fx_wr(&f, MMIO_QUEUE_READY, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_RESET), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	/* Legacy: QueuePFN returns the page number in use, per queue. */
	if (!open_probed(&f, &emu_model_net, 1))
		return;
	fx_negotiate(&f, 0);
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), 0);
	fx_queue_legacy(&f, 0, 16, 4096, (uint32_t)(FX_RING_GPA / 4096));
	fx_queue_legacy(&f, 1, 16, 4096, (uint32_t)(FX_RING_GPA / 4096) + 4);
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), FX_RING_GPA / 4096);
	fx_wr(&f, MMIO_QUEUE_SEL, 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), FX_RING_GPA / 4096 + 4);
	fx_wr(&f, MMIO_QUEUE_PFN, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), 0);
	FX_EXPECT_NONE(&f);
	CHECK(!emu_device_broken(f.d));
	fx_close(&f);
}

static void test_shm_absent_region(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	for (uint32_t id = 0; id < 3; id++) {
		fx_wr(&f, MMIO_SHM_SEL, id == 2 ? 0xffffffffu : id);
		CHECK_EQ_U(fx_rd(&f, MMIO_SHM_LEN_LOW), 0xffffffffu);
		CHECK_EQ_U(fx_rd(&f, MMIO_SHM_LEN_HIGH), 0xffffffffu);
		CHECK_EQ_U(fx_rd(&f, MMIO_SHM_BASE_LOW), 0xffffffffu);
		CHECK_EQ_U(fx_rd(&f, MMIO_SHM_BASE_HIGH), 0xffffffffu);
	}
	/* Using the SHM registers is at most an informational finding. */
	CHECK(f.n_viol == fx_count(&f, RULE_SHM_UNEXPECTED));
	fx_close(&f);
}

static void test_config_generation(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_console, 2))
		return;
	uint32_t g0 = fx_rd(&f, MMIO_CONFIG_GENERATION);
	CHECK_EQ_U(fx_rd(&f, MMIO_CONFIG_GENERATION), g0); /* stable without a change */
	emu_config_changed(f.d);
	uint32_t g1 = fx_rd(&f, MMIO_CONFIG_GENERATION);
	CHECK(g1 != g0);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U(f.n_irq, 1);
	CHECK_EQ_U(f.last_irq_status & VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_CONFIG);
	emu_config_changed(f.d);
	CHECK(fx_rd(&f, MMIO_CONFIG_GENERATION) != g1);
	/* InterruptACK of the config bit clears it. */
	fx_wr(&f, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* Interrupt bits are kept until acknowledged, bit by bit. */
static void test_interrupt_ack_per_bit(void)
{
	struct fx f;

	if (fx_open(&f, &emu_model_rng, 2, 0) < 0 || fx_start(&f, emu_device_features(f.d), 8) < 0) {
		CHECK(!"start");
		fx_close(&f);
		return;
	}
	struct rb_seg s = { FX_BUF_GPA, 16, true };
	CHECK(rb_submit(&f.rb, &s, 1) >= 0);
	fx_notify(&f, 0);
	emu_config_changed(f.d);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	fx_wr(&f, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	fx_wr(&f, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* --- Status and reset --- */

static void test_status_write_and_reset_modern(void)
{
	struct fx f;

	if (fx_open(&f, &emu_model_rng, 2, 0) < 0)
		return;
	fx_probe(&f);
	fx_wr(&f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
	fx_wr(&f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	/* A live device with both interrupt bits pending, then Status 0. */
	if (fx_open(&f, &emu_model_rng, 2, 0) < 0 || fx_start(&f, emu_device_features(f.d), 8) < 0) {
		CHECK(!"start");
		fx_close(&f);
		return;
	}
	struct rb_seg s = { FX_BUF_GPA, 16, true };
	rb_submit(&f.rb, &s, 1);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), 1);
	emu_config_changed(f.d);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 3);
	CHECK(emu_negotiated(f.d) != 0);
	fx_wr(&f, MMIO_STATUS, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), 0);
	fx_wr(&f, MMIO_QUEUE_SEL, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
	CHECK_EQ_U(emu_driver_features(f.d), 0);
	CHECK_EQ_U(emu_negotiated(f.d), 0);
	/* Negotiated features are gone: FEATURES_OK without DriverFeatures
	 * lacks VERSION_1 and is refused. */
	fx_wr(&f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	fx_wr(&f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fx_wr(&f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* A notify now does nothing: the queue is gone. */
	uint16_t before = rb_used_idx(&f.rb);
	rb_submit(&f.rb, &s, 1);
	fx_clear(&f);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), before);
	CHECK_EQ_U(f.dev_writes, 0);
	fx_close(&f);
}

static void test_reset_clears_all_queues(void)
{
	struct fx f;

	/* Modern, two queues ready. */
	if (!open_probed(&f, &emu_model_net, 2))
		return;
	CHECK(fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
	fx_queue_modern(&f, 0, 16, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x200);
	fx_queue_modern(&f, 1, 16, FX_RING_GPA + 0x1000, FX_RING_GPA + 0x1100, FX_RING_GPA + 0x1200);
	fx_driver_ok(&f);
	fx_wr(&f, MMIO_STATUS, 0);
	for (uint32_t q = 0; q < 2; q++) {
		fx_wr(&f, MMIO_QUEUE_SEL, q);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
	}
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	/* Legacy: "The device sets QueuePFN to zero (0x0) for all queues". */
	if (!open_probed(&f, &emu_model_net, 1))
		return;
	fx_negotiate(&f, 0);
	fx_queue_legacy(&f, 0, 16, 4096, (uint32_t)(FX_RING_GPA / 4096));
	fx_queue_legacy(&f, 1, 16, 4096, (uint32_t)(FX_RING_GPA / 4096) + 4);
	fx_driver_ok(&f);
	fx_wr(&f, MMIO_STATUS, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
	for (uint32_t q = 0; q < 2; q++) {
		fx_wr(&f, MMIO_QUEUE_SEL, q);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), 0);
	}
	CHECK_EQ_U(emu_driver_features(f.d), 0);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

/* --- feature negotiation --- */

static void test_features_ok_accepted(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	uint64_t all = emu_device_features(f.d);
	CHECK(fx_negotiate(&f, all) & VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ_U(emu_negotiated(f.d), all);
	FX_EXPECT_NONE(&f);
	/* A subset is fine too. */
	CHECK(fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ_U(emu_negotiated(f.d), VIRTIO_BIT(VIRTIO_F_VERSION_1));
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

static void test_features_ok_refused_unoffered(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	/* Bit 0 is not offered by rng. */
	uint32_t st = fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | 1u);
	CHECK_EQ_U(st & VIRTIO_STATUS_FEATURES_OK, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	FX_EXPECT(&f, RULE_FEATURES_NOT_OFFERED);
	fx_clear(&f);
	/* A high unoffered bit (VIRTIO_F_RING_PACKED). */
	st = fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	CHECK_EQ_U(st & VIRTIO_STATUS_FEATURES_OK, 0);
	FX_EXPECT(&f, RULE_FEATURES_NOT_OFFERED);
	fx_close(&f);
}

static void test_features_ok_refused_without_version_1(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	uint32_t st = fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	CHECK_EQ_U(st & VIRTIO_STATUS_FEATURES_OK, 0);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	FX_EXPECT(&f, RULE_VERSION_1_NOT_ACCEPTED);
	fx_close(&f);
}

static void test_legacy_features(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 1))
		return;
	/* Legacy has no FEATURES_OK: the features are taken at DRIVER_OK. */
	fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	fx_driver_ok(&f);
	CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ_U(emu_negotiated(f.d), VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	FX_EXPECT_NONE(&f);
	/* An unoffered bit is reported and never negotiated. */
	fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | 1u);
	fx_driver_ok(&f);
	FX_EXPECT(&f, RULE_FEATURES_NOT_OFFERED);
	CHECK_EQ_U(emu_negotiated(f.d) & 1u, 0);
	fx_close(&f);
}

/* --- access rules --- */

static void test_wrong_width_and_alignment(void)
{
	static const unsigned widths[] = { 1, 2, 8 };

	for (size_t li = 0; li < 2; li++) {
		const struct layout *l = &layouts[li];
		struct fx f;

		if (!open_probed(&f, &emu_model_rng, l->version))
			return;
		/* Reads of every readable register. */
		for (uint32_t off = 0; off < 0x100; off += 4) {
			if (!readable_in(l, off))
				continue;
			for (size_t w = 0; w < N(widths); w++) {
				fx_clear(&f);
				uint64_t v = emu_mmio_read(f.d, off, widths[w]);
				CHECK_EQ_U(v, 0);
				FX_EXPECT(&f, RULE_REG_WIDTH);
			}
			for (uint32_t mis = 1; mis < 4; mis++) {
				fx_clear(&f);
				CHECK_EQ_U(emu_mmio_read(f.d, off + mis, 4), 0);
				FX_EXPECT(&f, RULE_REG_ALIGN);
			}
		}
		/* Writes of every writable register: reported, no effect. */
		for (uint32_t off = 0; off < 0x100; off += 4) {
			if (!defined_in(l, off) || in_table(l->ro, l->n_ro, off))
				continue;
			if (off == MMIO_QUEUE_NOTIFY)
				continue; /* no visible state; covered below */
			for (size_t w = 0; w < N(widths); w++) {
				fx_clear(&f);
				emu_mmio_write(f.d, off, widths[w], 1);
				FX_EXPECT(&f, RULE_REG_WIDTH);
			}
			fx_clear(&f);
			emu_mmio_write(f.d, off + 2, 4, 1);
			FX_EXPECT(&f, RULE_REG_ALIGN);
		}
		/* None of those writes took effect. */
		fx_clear(&f);
		CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
		CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_NUM_MAX), EMU_QUEUE_NUM_MAX_DEFAULT); /* QueueSel still 0 */
		fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0);
		CHECK_EQ_U(fx_rd(&f, MMIO_DEVICE_FEATURES), (1u << 28) | (1u << 29));
		if (l->version == 2)
			CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
		else
			CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), 0);
		CHECK_EQ_U(emu_driver_features(f.d), 0);
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

/* Widths other than 1, 2, 4, 8 (a trace may carry any): never a valid
 * control register access, so reported, read as 0 and dropped. */
static void test_odd_widths(void)
{
	static const unsigned widths[] = { 0, 3, 5, 16 };

	for (uint32_t version = 1; version <= 2; version++) {
		struct fx f;

		if (!open_probed(&f, &emu_model_rng, version))
			return;
		for (size_t i = 0; i < N(widths); i++) {
			fx_clear(&f);
			CHECK_EQ_U(emu_mmio_read(f.d, MMIO_MAGIC_VALUE, widths[i]), 0);
			FX_EXPECT(&f, RULE_REG_WIDTH);
			fx_clear(&f);
			emu_mmio_write(f.d, MMIO_STATUS, widths[i], VIRTIO_STATUS_ACKNOWLEDGE);
			FX_EXPECT(&f, RULE_REG_WIDTH);
			if (f.n_viol != 1)
				fprintf(stderr, "    (width %u, version %u)\n", widths[i], version);
		}
		fx_clear(&f);
		CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
		fx_close(&f);
	}
}

/* Config space beyond what the device type defines is not described
 * anywhere: the driver MUST NOT access it (register layout, driver
 * requirements).  rng has no config space at all; blk's ends at 0x48. */
static void test_config_beyond_layout(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	CHECK_EQ_U(emu_mmio_read(f.d, MMIO_CONFIG, 4), 0);
	FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
	fx_close(&f);

	if (!open_probed(&f, &emu_model_blk, 2))
		return;
	CHECK_EQ_U(emu_mmio_read(f.d, MMIO_CONFIG + 0x80, 4), 0);
	FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
	fx_close(&f);
}

/* A two-byte write of DRIVER_OK-worthy status, one-byte InterruptACK, an
 * eight-byte QueueNotify: the device acts on none of them. */
static void test_wrong_width_writes_ignored_live(void)
{
	struct fx f;

	if (fx_open(&f, &emu_model_rng, 2, 0) < 0 || fx_start(&f, emu_device_features(f.d), 8) < 0) {
		CHECK(!"start");
		fx_close(&f);
		return;
	}
	struct rb_seg s = { FX_BUF_GPA, 16, true };
	rb_submit(&f.rb, &s, 1);
	fx_clear(&f);
	emu_mmio_write(f.d, MMIO_QUEUE_NOTIFY, 2, 0);
	emu_mmio_write(f.d, MMIO_QUEUE_NOTIFY, 8, 0);
	emu_mmio_write(f.d, MMIO_QUEUE_NOTIFY + 1, 1, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), 0);
	FX_EXPECT(&f, RULE_REG_WIDTH, RULE_REG_WIDTH, RULE_REG_ALIGN);
	fx_clear(&f);
	fx_notify(&f, 0);
	CHECK_EQ_U(rb_used_idx(&f.rb), 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	emu_mmio_write(f.d, MMIO_INTERRUPT_ACK, 1, 1);
	CHECK_EQ_U(fx_rd(&f, MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	emu_mmio_write(f.d, MMIO_STATUS, 2, 0);
	CHECK(fx_rd(&f, MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK); /* no reset */
	FX_EXPECT(&f, RULE_REG_WIDTH, RULE_REG_WIDTH);
	fx_close(&f);
}

static void test_write_read_only(void)
{
	for (size_t li = 0; li < 2; li++) {
		const struct layout *l = &layouts[li];
		struct fx f;

		if (!open_probed(&f, &emu_model_rng, l->version))
			return;
		fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 0);
		for (size_t i = 0; i < l->n_ro; i++) {
			uint32_t before = fx_rd(&f, l->ro[i].off);
			fx_clear(&f);
			fx_wr(&f, l->ro[i].off, 0x5a5a5a5a);
			FX_EXPECT(&f, RULE_WRITE_READ_ONLY);
			if (f.n_viol != 1)
				fprintf(stderr, "    (register %s, version %u)\n", l->ro[i].name, l->version);
			CHECK_EQ_U(fx_rd(&f, l->ro[i].off), before);
		}
		fx_close(&f);
	}
}

static void test_read_write_only(void)
{
	for (size_t li = 0; li < 2; li++) {
		const struct layout *l = &layouts[li];
		struct fx f;

		if (!open_probed(&f, &emu_model_rng, l->version))
			return;
		fx_wr(&f, MMIO_QUEUE_SEL, 0);
		fx_wr(&f, MMIO_QUEUE_NUM, 8);
		fx_wr(&f, MMIO_DEVICE_FEATURES_SEL, 1);
		for (size_t i = 0; i < l->n_wo; i++) {
			fx_clear(&f);
			CHECK_EQ_U(fx_rd(&f, l->wo[i].off), 0);
			FX_EXPECT(&f, RULE_READ_WRITE_ONLY);
			if (f.n_viol != 1)
				fprintf(stderr, "    (register %s, version %u)\n", l->wo[i].name, l->version);
		}
		fx_close(&f);
	}
}

static void test_undefined_offsets(void)
{
	for (size_t li = 0; li < 2; li++) {
		const struct layout *l = &layouts[li];
		struct fx f;
		unsigned tested = 0;

		if (!open_probed(&f, &emu_model_rng, l->version))
			return;
		for (uint32_t off = 0; off < 0x100; off += 4) {
			if (defined_in(l, off))
				continue;
			tested++;
			fx_clear(&f);
			CHECK_EQ_U(fx_rd(&f, off), 0);
			FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
			fx_clear(&f);
			fx_wr(&f, off, 0x1000); /* a page size / pfn / address: must do nothing */
			FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
			if (f.n_viol != 1)
				fprintf(stderr, "    (offset 0x%03x, version %u)\n", off, l->version);
		}
		/* The layout-specific registers are undefined in the other layout. */
		CHECK_EQ_U(tested, l->version == 2 ? 35u : 46u);
		fx_clear(&f);
		CHECK_EQ_U(fx_rd(&f, MMIO_STATUS), 0);
		fx_wr(&f, MMIO_QUEUE_SEL, 0);
		if (l->version == 2)
			CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_READY), 0);
		else
			CHECK_EQ_U(fx_rd(&f, MMIO_QUEUE_PFN), 0);
		FX_EXPECT_NONE(&f);
		fx_close(&f);
	}
}

/* Specific cross-layout offsets named in the brief. */
static void test_cross_layout_offsets(void)
{
	static const uint32_t legacy_only[] = { 0x028, 0x03c, 0x040 };
	static const uint32_t modern_only[] = { 0x044, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4,
						0x0ac, 0x0b0, 0x0b4, 0x0b8, 0x0bc, 0x0c0, 0x0fc };
	struct fx f;

	if (!open_probed(&f, &emu_model_rng, 2))
		return;
	for (size_t i = 0; i < N(legacy_only); i++) {
		fx_clear(&f);
		fx_wr(&f, legacy_only[i], 1);
		FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
	}
	fx_clear(&f);
	CHECK_EQ_U(fx_rd(&f, 0x018), 0);
	CHECK_EQ_U(fx_rd(&f, 0x0f0), 0);
	FX_EXPECT(&f, RULE_UNDEFINED_OFFSET, RULE_UNDEFINED_OFFSET);
	fx_close(&f);

	if (!open_probed(&f, &emu_model_rng, 1))
		return;
	for (size_t i = 0; i < N(modern_only); i++) {
		fx_clear(&f);
		fx_rd(&f, modern_only[i]);
		FX_EXPECT(&f, RULE_UNDEFINED_OFFSET);
	}
	fx_close(&f);
}

/* --- config space --- */

static uint64_t cfg_rd(struct fx *f, uint32_t off, unsigned w)
{
	return emu_mmio_read(f->d, MMIO_CONFIG + off, w);
}

static void test_config_width_blk(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_blk, 2))
		return;
	/* capacity: le64, read as two aligned 32-bit halves. */
	CHECK_EQ_U(cfg_rd(&f, 0, 4), (1u << 20) / 512);
	CHECK_EQ_U(cfg_rd(&f, 4, 4), 0);
	CHECK_EQ_U(cfg_rd(&f, 0x14, 4), 512); /* blk_size */
	cfg_rd(&f, 0x10, 2); /* geometry.cylinders */
	cfg_rd(&f, 0x12, 1); /* geometry.heads */
	cfg_rd(&f, 0x13, 1);
	FX_EXPECT_NONE(&f);
	static const struct { uint32_t off; unsigned w; } bad[] = {
		{ 0, 8 }, { 0, 2 }, { 0, 1 }, { 2, 4 }, { 0x08, 2 }, { 0x10, 4 }, { 0x10, 1 },
		{ 0x12, 2 }, { 0x15, 2 }, { 0x14, 8 },
	};
	for (size_t i = 0; i < N(bad); i++) {
		fx_clear(&f);
		cfg_rd(&f, bad[i].off, bad[i].w);
		FX_EXPECT(&f, RULE_CONFIG_WIDTH);
		if (f.n_viol != 1)
			fprintf(stderr, "    (blk Config+0x%x width %u)\n", bad[i].off, bad[i].w);
	}
	fx_close(&f);
}

static void test_config_width_net(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_net, 2))
		return;
	CHECK_EQ_U(cfg_rd(&f, 0, 1), 0x52);
	CHECK_EQ_U(cfg_rd(&f, 1, 1), 0x54);
	for (uint32_t i = 2; i < 6; i++)
		cfg_rd(&f, i, 1);
	cfg_rd(&f, 6, 2);                  /* status */
	CHECK_EQ_U(cfg_rd(&f, 10, 2), 1500); /* mtu */
	FX_EXPECT_NONE(&f);
	static const struct { uint32_t off; unsigned w; } bad[] = {
		{ 0, 2 }, { 0, 4 }, { 4, 4 }, { 6, 1 }, { 6, 4 }, { 10, 1 },
	};
	for (size_t i = 0; i < N(bad); i++) {
		fx_clear(&f);
		cfg_rd(&f, bad[i].off, bad[i].w);
		FX_EXPECT(&f, RULE_CONFIG_WIDTH);
		if (f.n_viol != 1)
			fprintf(stderr, "    (net Config+0x%x width %u)\n", bad[i].off, bad[i].w);
	}
	fx_close(&f);
}

static void test_config_width_console(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_console, 2))
		return;
	cfg_rd(&f, 0, 2); /* cols */
	cfg_rd(&f, 2, 2); /* rows */
	cfg_rd(&f, 4, 4); /* max_nr_ports */
	FX_EXPECT_NONE(&f);
	static const struct { uint32_t off; unsigned w; } bad[] = {
		{ 0, 4 }, { 0, 1 }, { 1, 2 }, { 4, 2 }, { 6, 2 }, { 4, 8 },
	};
	for (size_t i = 0; i < N(bad); i++) {
		fx_clear(&f);
		cfg_rd(&f, bad[i].off, bad[i].w);
		FX_EXPECT(&f, RULE_CONFIG_WIDTH);
		if (f.n_viol != 1)
			fprintf(stderr, "    (console Config+0x%x width %u)\n", bad[i].off, bad[i].w);
	}
	/* Writes: emerg_wr is writable once FEATURES_OK is set. */
	fx_clear(&f);
	CHECK(fx_negotiate(&f, emu_device_features(f.d)) & VIRTIO_STATUS_FEATURES_OK);
	emu_mmio_write(f.d, MMIO_CONFIG + 8, 4, 'x');
	FX_EXPECT_NONE(&f);
	emu_mmio_write(f.d, MMIO_CONFIG + 8, 1, 'x');
	FX_EXPECT(&f, RULE_CONFIG_WIDTH);
	fx_close(&f);
}

static void test_config_write_read_only_field(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_blk, 2))
		return;
	CHECK(fx_negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
	emu_mmio_write(f.d, MMIO_CONFIG + 0, 4, 0x12345678);
	FX_EXPECT(&f, RULE_WRITE_READ_ONLY);
	fx_clear(&f);
	CHECK_EQ_U(cfg_rd(&f, 0, 4), (1u << 20) / 512);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

static void test_config_legacy_bytewise(void)
{
	struct fx f;

	if (!open_probed(&f, &emu_model_blk, 1))
		return;
	uint64_t cap = 0;
	for (uint32_t i = 0; i < 8; i++)
		cap |= cfg_rd(&f, i, 1) << (8 * i);
	CHECK_EQ_U(cap, (1u << 20) / 512);
	/* Any width is a legacy driver's business. */
	CHECK_EQ_U(cfg_rd(&f, 0, 4), (1u << 20) / 512);
	cfg_rd(&f, 0x14, 2);
	cfg_rd(&f, 0x10, 4);
	FX_EXPECT_NONE(&f);
	fx_close(&f);

	if (!open_probed(&f, &emu_model_net, 1))
		return;
	for (uint32_t i = 0; i < 12; i++)
		cfg_rd(&f, i, 1);
	CHECK_EQ_U(cfg_rd(&f, 0, 1), 0x52);
	FX_EXPECT_NONE(&f);
	fx_close(&f);
}

int main(void)
{
	RUN(test_identification_modern);
	RUN(test_identification_legacy);
	RUN(test_device_features_words);
	RUN(test_queue_num_max);
	RUN(test_queue_ready_and_pfn_read_back);
	RUN(test_shm_absent_region);
	RUN(test_config_generation);
	RUN(test_interrupt_ack_per_bit);
	RUN(test_status_write_and_reset_modern);
	RUN(test_reset_clears_all_queues);
	RUN(test_features_ok_accepted);
	RUN(test_features_ok_refused_unoffered);
	RUN(test_features_ok_refused_without_version_1);
	RUN(test_legacy_features);
	RUN(test_wrong_width_and_alignment);
	RUN(test_wrong_width_writes_ignored_live);
	RUN(test_odd_widths);
	RUN(test_config_beyond_layout);
	RUN(test_write_read_only);
	RUN(test_read_write_only);
	RUN(test_undefined_offsets);
	RUN(test_cross_layout_offsets);
	RUN(test_config_width_blk);
	RUN(test_config_width_net);
	RUN(test_config_width_console);
	RUN(test_config_write_read_only_field);
	RUN(test_config_legacy_bytewise);
	return harness_finish("test_registers");
}
