/* The built-in driver end to end in-process: machine + devices + driver,
 * modern and legacy, feature and ring variants; plus probe against a fake
 * bus (the workload spec: test_workload.c). */
#include <errno.h>

#include "capture/driver/driver.h"
#include "capture/driver/rig.h"
#include "capture/driver/workload.h"
#include "capture/emu/dev_console.h"
#include "capture/emu/machine.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

#define ALL_STATUS_MODERN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
			   VIRTIO_STATUS_DRIVER_OK)
#define ALL_STATUS_LEGACY (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK)

/* Run every device of a rig with opts; check what each one reached. */
static void run_rig(const char *devices, bool legacy, const struct drv_wl_opts *o)
{
	struct rig_cfg cfg = { .legacy = legacy, .seed = o->seed };
	struct machine *m = NULL;
	struct drv_bus bus;
	char err[256];

	CHECK(rig_parse_devices(&cfg, devices, err, sizeof(err)) == 0);
	CHECK(rig_build(&m, &cfg, err, sizeof(err)) == 0);
	if (!m)
		return;
	rig_bus(&bus, m);
	for (unsigned i = 0; i < cfg.n_devices; i++) {
		struct emu_device *dev = machine_device(m, i);
		const struct drv_workload *wl = drv_workload_find(emu_device_model(dev)->device_id);
		struct drv_report rep;
		uint64_t offered = emu_device_features(dev), want;
		int r = drv_run_device(&bus, rig_device_base(i), o, &rep);

		if (r != 0 || getenv("TEST_VERBOSE"))
			fprintf(stderr, "[%s] %s%s: result %d, %u used buffers, %u interrupts, features 0x%llx%s%s\n",
				harness_case, cfg.devices[i], legacy ? " (legacy)" : "", r, rep.requests,
				rep.interrupts, (unsigned long long)rep.features, rep.msg[0] ? ": " : "", rep.msg);
		CHECK_EQ_U(r, 0);
		CHECK_EQ_U(emu_violation_count(dev), 0);
		CHECK_EQ_U(emu_device_status(dev), legacy ? ALL_STATUS_LEGACY : ALL_STATUS_MODERN);
		CHECK_EQ_U(rep.status, legacy ? ALL_STATUS_LEGACY : ALL_STATUS_MODERN);
		CHECK_EQ_U(rep.version, legacy ? 1 : 2);
		CHECK(rep.requests > 0);
		CHECK(rep.interrupts > 0);
		CHECK_EQ_U(emu_interrupt_status(dev), 0);

		/* Negotiated: what the workload wants, as far as offered,
		 * VERSION_1 always on modern, never on legacy. */
		want = wl->features;
		if (o->indirect)
			want |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
		if (o->event_idx)
			want |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
		want &= offered;
		if (legacy)
			want &= UINT32_MAX;
		else
			want |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
		CHECK_EQ_U(rep.features, want);
		CHECK_EQ_U(emu_driver_features(dev), want);
		CHECK_EQ_U(emu_negotiated(dev), want);
		/* The emulator offers both ring features: the default run must use them. */
		if (o->indirect)
			CHECK(rep.features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
		else
			CHECK(!(rep.features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)));
		if (o->event_idx)
			CHECK(rep.features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
		else
			CHECK(!(rep.features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)));

		if (!strcmp(cfg.devices[i], "console")) {
			const uint8_t *out = NULL;
			size_t n = dev_console_output(dev, &out);

			CHECK(n > 0 && out && memmem(out, n, "vmtrace console line 1 of", 25));
		}
	}
	machine_free(m);
}

static void test_modern_all(void)
{
	struct drv_wl_opts o;

	drv_wl_opts_init(&o);
	run_rig("blk,net,console,rng", false, &o);
}

static void test_legacy_all(void)
{
	struct drv_wl_opts o;

	drv_wl_opts_init(&o);
	run_rig("blk,net,console,rng", true, &o);
}

static void test_no_indirect_no_event_idx(void)
{
	struct drv_wl_opts o;

	drv_wl_opts_init(&o);
	o.indirect = false;
	run_rig("blk,net,console,rng", false, &o);
	run_rig("blk,net,console,rng", true, &o);
	drv_wl_opts_init(&o);
	o.event_idx = false;
	run_rig("blk,net,console,rng", false, &o);
	run_rig("blk,net,console,rng", true, &o);
	drv_wl_opts_init(&o);
	o.event_idx = false;
	o.indirect = false;
	run_rig("blk,net,console,rng", false, &o);
}

/* Small rings: indices wrap many times, the write batch waits for room,
 * direct chains compete for descriptors. */
static void test_small_rings(void)
{
	struct drv_wl_opts o;
	char err[128];

	drv_wl_opts_init(&o);
	CHECK(drv_wl_opts_parse(&o, "queue:size=4;blk:sectors=200,requests=40;net:frames=70,batch=3;"
				"console:lines=5;rng:requests=20", err, sizeof(err)) == 0);
	run_rig("blk,net,console,rng", false, &o);
	run_rig("blk,net,console,rng", true, &o);
	o.indirect = false;
	run_rig("blk,net,console,rng", false, &o);
	o.event_idx = false;
	run_rig("blk,net,console,rng", true, &o);
}

static void test_big_requests(void)
{
	struct drv_wl_opts o;
	char err[128];

	drv_wl_opts_init(&o);
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=2048,requests=3;rng:bytes=65536", err, sizeof(err)) == 0);
	run_rig("blk,rng", false, &o);
	o.indirect = false;
	run_rig("blk,rng", true, &o);
}

static void test_two_of_a_kind(void)
{
	struct drv_wl_opts o;

	drv_wl_opts_init(&o);
	o.seed = 77;
	run_rig("net,blk,net,rng,blk", false, &o);
}

/* A fake register window for probe tests: counts every access. */
struct fake {
	uint32_t magic, version, device_id;
	unsigned reads, writes, mem;
	uint32_t last_off;
};

static uint64_t fake_read(void *ctx, uint64_t gpa, unsigned width)
{
	struct fake *f = ctx;

	f->reads++;
	f->last_off = (uint32_t)(gpa - 0x1000);
	switch (gpa - 0x1000) {
	case MMIO_MAGIC_VALUE: return f->magic;
	case MMIO_VERSION: return f->version;
	case MMIO_DEVICE_ID: return f->device_id;
	default: return 0;
	}
}
static void fake_write(void *ctx, uint64_t gpa, unsigned width, uint64_t v) { ((struct fake *)ctx)->writes++; }
static int fake_mem_write(void *ctx, uint64_t gpa, const void *s, uint64_t n) { ((struct fake *)ctx)->mem++; return 0; }
static int fake_mem_read(void *ctx, uint64_t gpa, void *d, uint64_t n) { ((struct fake *)ctx)->mem++; return 0; }
static bool fake_irq(void *ctx, uint64_t base) { return false; }

static const struct drv_bus_ops fake_ops = { fake_read, fake_write, fake_mem_write, fake_mem_read, fake_irq, NULL };

static void test_probe_rules(void)
{
	struct fake f = { .magic = VIRTIO_MMIO_MAGIC, .version = 2, .device_id = 0 };
	struct drv_bus bus = { &fake_ops, &f, 0x100000, 0x200000 };
	struct drv_wl_opts o;
	struct drv_report rep;

	drv_wl_opts_init(&o);
	/* DeviceID 0: MagicValue, Version, DeviceID, and nothing else. */
	CHECK_EQ_U(drv_run_device(&bus, 0x1000, &o, &rep), DRV_E_ABSENT);
	CHECK_EQ_U(f.reads, 3);
	CHECK_EQ_U(f.last_off, MMIO_DEVICE_ID);
	CHECK_EQ_U(f.writes + f.mem, 0);

	/* Bad magic: stop after MagicValue. */
	f = (struct fake){ .magic = 0x12345678, .version = 2, .device_id = 2 };
	CHECK_EQ_U(drv_run_device(&bus, 0x1000, &o, &rep), DRV_E_ABSENT);
	CHECK_EQ_U(f.reads, 1);
	CHECK(strstr(rep.msg, "MagicValue") != NULL);

	/* Unknown Version: DeviceID is not read. */
	f = (struct fake){ .magic = VIRTIO_MMIO_MAGIC, .version = 3, .device_id = 2 };
	CHECK_EQ_U(drv_run_device(&bus, 0x1000, &o, &rep), DRV_E_ABSENT);
	CHECK_EQ_U(f.reads, 2);

	/* A device type without a workload: probed (with VendorID), not initialized. */
	f = (struct fake){ .magic = VIRTIO_MMIO_MAGIC, .version = 2, .device_id = 9 };
	CHECK_EQ_U(drv_run_device(&bus, 0x1000, &o, &rep), DRV_E_UNSUPPORTED);
	CHECK_EQ_U(f.reads, 4);
	CHECK_EQ_U(f.writes, 0);

	/* A modern device that offers no VERSION_1 (features read as 0). */
	f = (struct fake){ .magic = VIRTIO_MMIO_MAGIC, .version = 2, .device_id = VIRTIO_ID_ENTROPY };
	CHECK_EQ_U(drv_run_device(&bus, 0x1000, &o, &rep), DRV_E_REFUSED);
	CHECK(strstr(rep.msg, "VERSION_1") != NULL);
	CHECK(rep.status & VIRTIO_STATUS_FAILED);
}

static void test_rig_devices(void)
{
	struct rig_cfg cfg = { 0 };
	char err[160];

	CHECK(rig_parse_devices(&cfg, "blk,net,console,rng", err, sizeof(err)) == 0);
	CHECK_EQ_U(cfg.n_devices, 4);
	CHECK_STR(cfg.devices[3], "rng");
	CHECK(rig_parse_devices(&cfg, "blk,,rng", err, sizeof(err)) == -EINVAL);
	CHECK(rig_parse_devices(&cfg, "blk,gpu", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "'gpu'") != NULL);
	CHECK(rig_parse_devices(&cfg, "", err, sizeof(err)) == -EINVAL);
	CHECK(rig_parse_devices(&cfg, "rng,", err, sizeof(err)) == -EINVAL);
	CHECK(rig_parse_devices(&cfg, "rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng",
				err, sizeof(err)) == 0);
	CHECK(rig_parse_devices(&cfg, "rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng,rng",
				err, sizeof(err)) == -EINVAL);
}

int main(void)
{
	RUN(test_rig_devices);
	RUN(test_probe_rules);
	RUN(test_modern_all);
	RUN(test_legacy_all);
	RUN(test_no_indirect_no_event_idx);
	RUN(test_small_rings);
	RUN(test_big_requests);
	RUN(test_two_of_a_kind);
	return harness_finish("test_driver");
}
