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
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

#define ALL_STATUS_MODERN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
			   VIRTIO_STATUS_DRIVER_OK)
#define ALL_STATUS_LEGACY (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK)

/* Run every device of a rig with opts; check what each one reached. */
static void run_rig(const char *devices, bool legacy, const struct drv_wl_opts *o)
{
	struct rig_cfg cfg = { .legacy = legacy, .seed = o->seed, .packed = o->packed && !legacy };
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
		if (cfg.packed)
			want |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
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
		/* Packed rings only where asked for, and never on legacy. */
		CHECK_EQ_U(!!(rep.features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)), cfg.packed);

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

/* Packed virtqueues (record --packed) with every ring variant: each
 * workload verifies its data (blk read back, net frames, console bytes,
 * rng bytes), the emulator sees no rule broken.  Rings of 4 and 8 with
 * many more requests wrap both wrap counters many times over, direct
 * chains of 3 take slots across the ring's end; a legacy rig ignores the
 * option. */
static void test_packed(void)
{
	static const char *const specs[] = {
		"",
		"queue:size=4;blk:sectors=200,requests=40;net:frames=70,batch=3;console:lines=5;rng:requests=20",
		"queue:size=8;blk:sectors=300,requests=100;net:frames=100,batch=5;console:lines=12;rng:requests=33",
		"queue:size=16;blk:sectors=800,requests=200;net:frames=300,batch=7;console:lines=40;rng:requests=100",
		/* Packed rings need no power of two: rings of 5 and 7. */
		"queue:size=5;blk:sectors=100,requests=30;net:frames=50,batch=2;console:lines=7;rng:requests=23",
		"queue:size=7;blk:sectors=90,requests=45;net:frames=61,batch=3;console:lines=9;rng:requests=29",
	};
	struct drv_wl_opts o;
	char err[128];

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		for (unsigned v = 0; v < 4; v++) {
			drv_wl_opts_init(&o);
			o.packed = true;
			o.indirect = !(v & 1);
			o.event_idx = !(v & 2);
			if (specs[i][0])
				CHECK(drv_wl_opts_parse(&o, specs[i], err, sizeof(err)) == 0);
			run_rig("blk,net,console,rng", false, &o);
		}
	}
	drv_wl_opts_init(&o);
	o.packed = true;
	run_rig("blk,net,console,rng", true, &o);
}

/* The packed ring's driver side alone, this test playing the device in
 * guest RAM: descriptors and wrap bits as the spec lays them out, used
 * descriptors taken back out of order across the ring's end, the
 * notification decision against each device event suppression mode, and
 * impossible used descriptors refused. */
struct pk_dev {
	struct machine *m;
	struct drv_bus bus;
	struct drv_vring vq;
	struct packed_pos used; /* the "device's" used position */
};

static void pk_used(struct pk_dev *t, uint16_t id, uint32_t len, uint16_t slots)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d = { .len = len, .next = id, .flags = (uint16_t)(packed_ring_used_flags(t->used.wrap) | VIRTQ_DESC_F_WRITE) };

	packed_ring_desc_encode(b, &d);
	CHECK(machine_mem_write(t->m, t->vq.desc + 16ull * t->used.slot, b, sizeof(b)) == 0);
	packed_ring_advance(&t->used, t->vq.num, slots);
}

static void pk_dev_event(struct pk_dev *t, uint16_t off, bool wrap, uint16_t flags)
{
	uint8_t b[PACKED_EVENT_SIZE];
	struct packed_event e = { .off = off, .wrap = wrap, .flags = flags };

	packed_ring_event_encode(b, &e);
	CHECK(machine_mem_write(t->m, t->vq.used, b, sizeof(b)) == 0);
}

static bool pk_open(struct pk_dev *t, uint32_t num, bool indirect, bool event_idx)
{
	memset(t, 0, sizeof(*t));
	if (machine_new(&t->m, RIG_RAM_BASE, RIG_RAM_SIZE) < 0) {
		CHECK(!"machine_new failed");
		return false;
	}
	rig_bus(&t->bus, t->m);
	CHECK_EQ_U(drv_vring_alloc_packed(&t->vq, &t->bus, 0, num, indirect, event_idx), 0);
	t->used = (struct packed_pos){ 0, true };
	return true;
}

static void pk_close(struct pk_dev *t)
{
	drv_vring_release(&t->vq);
	machine_free(t->m);
}

static void test_packed_vring(void)
{
	struct drv_sg sg[3] = { { RIG_RAM_BASE + 0x100000, 16 }, { RIG_RAM_BASE + 0x100100, 32 },
				{ RIG_RAM_BASE + 0x100200, 64 } };
	struct pk_dev t;
	uint64_t tok;
	uint32_t len;
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;

	/* Direct chains of 2 in a ring of 3 slots: the second chain starts
	 * in slot 2 and ends in slot 0 of the next lap. */
	if (!pk_open(&t, 3, false, false))
		return;
	CHECK_EQ_U(drv_vring_add(&t.vq, sg, 1, 1, 100), 0);
	CHECK(machine_mem_read(t.m, t.vq.desc, b, 16) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK_EQ_U(d.flags, VIRTQ_DESC_F_NEXT | PACKED_DESC_F_AVAIL);
	CHECK_EQ_U(d.addr, sg[0].gpa);
	CHECK(machine_mem_read(t.m, t.vq.desc + 16, b, 16) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK_EQ_U(d.flags, VIRTQ_DESC_F_WRITE | PACKED_DESC_F_AVAIL);
	uint16_t id0 = d.next;
	CHECK_EQ_U(drv_vring_add(&t.vq, sg, 1, 1, 101), -ENOSPC); /* 1 slot left */
	CHECK(!drv_vring_has_used(&t.vq));
	pk_used(&t, id0, 32, 2);
	CHECK(drv_vring_has_used(&t.vq));
	CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), 1);
	CHECK_EQ_U(tok, 100);
	CHECK_EQ_U(len, 32);
	CHECK_EQ_U(drv_vring_add(&t.vq, sg, 1, 1, 102), 0);
	CHECK(machine_mem_read(t.m, t.vq.desc, b, 16) == 0);
	packed_ring_desc_decode(b, &d);
	/* Slot 0 now belongs to the second lap: AVAIL 0, USED 1. */
	CHECK_EQ_U(d.flags, VIRTQ_DESC_F_WRITE | PACKED_DESC_F_USED);
	CHECK(!t.vq.avail_wrap);
	CHECK_EQ_U(drv_vring_in_flight(&t.vq), 1);
	pk_used(&t, d.next, 0, 2);
	CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), 1);
	CHECK_EQ_U(tok, 102);
	CHECK_EQ_U(drv_vring_in_flight(&t.vq), 0);
	/* 100 more single-buffer requests, two in flight, completed in the
	 * opposite order. */
	for (unsigned i = 0; i < 100; i++) {
		uint16_t ids[2];
		for (unsigned k = 0; k < 2; k++) {
			uint16_t pos = t.vq.next_avail;
			CHECK_EQ_U(drv_vring_add(&t.vq, &sg[2], 0, 1, 1000 + 2 * i + k), 0);
			CHECK(machine_mem_read(t.m, t.vq.desc + 16ull * pos, b, 16) == 0);
			packed_ring_desc_decode(b, &d);
			ids[k] = d.next;
		}
		pk_used(&t, ids[1], 64, 1);
		pk_used(&t, ids[0], 7, 1);
		CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), 1);
		CHECK_EQ_U(tok, 1000 + 2 * i + 1);
		CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), 1);
		CHECK_EQ_U(tok, 1000 + 2 * i);
		CHECK_EQ_U(len, 7);
		CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), 0);
	}
	/* Impossible used descriptors: an id not in flight, a length past
	 * the writable bytes, a used descriptor with nothing in flight. */
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[2], 0, 1, 7), 0);
	pk_used(&t, 2999, 4, 1);
	CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), -EPROTO);
	CHECK(strstr(t.vq.fault, "not in flight") != NULL);
	pk_close(&t);

	if (!pk_open(&t, 4, false, false))
		return;
	pk_used(&t, 0, 0, 1);
	CHECK(!drv_vring_has_used(&t.vq));
	CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), -EPROTO);
	CHECK(strstr(t.vq.fault, "no buffer is in flight") != NULL);
	pk_close(&t);

	if (!pk_open(&t, 4, false, false))
		return;
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[0], 0, 1, 5), 0);
	CHECK(machine_mem_read(t.m, t.vq.desc, b, 16) == 0);
	packed_ring_desc_decode(b, &d);
	pk_used(&t, d.next, 17, 1);
	CHECK_EQ_U(drv_vring_get_used(&t.vq, &tok, &len), -EPROTO);
	CHECK(strstr(t.vq.fault, "writable bytes") != NULL);
	pk_close(&t);

	/* Indirect: one slot, a table of 3 entries with WRITE only. */
	if (!pk_open(&t, 4, true, false))
		return;
	CHECK_EQ_U(drv_vring_add(&t.vq, sg, 1, 2, 9), 0);
	CHECK(machine_mem_read(t.m, t.vq.desc, b, 16) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK_EQ_U(d.flags, VIRTQ_DESC_F_INDIRECT | PACKED_DESC_F_AVAIL);
	CHECK_EQ_U(d.len, 48);
	uint64_t table = d.addr;
	for (unsigned i = 0; i < 3; i++) {
		CHECK(machine_mem_read(t.m, table + 16 * i, b, 16) == 0);
		packed_ring_desc_decode(b, &d);
		CHECK_EQ_U(d.addr, sg[i].gpa);
		CHECK_EQ_U(d.flags, i ? VIRTQ_DESC_F_WRITE : 0);
	}
	CHECK_EQ_U(t.vq.next_avail, 1);
	pk_close(&t);

	/* Notifications: the device's event suppression decides. */
	if (!pk_open(&t, 4, false, true))
		return;
	CHECK(!drv_vring_kick_prepare(&t.vq)); /* nothing added */
	/* The driver armed its own event at the next used slot. */
	CHECK(machine_mem_read(t.m, t.vq.avail, b, 4) == 0);
	struct packed_event e;
	packed_ring_event_decode(b, &e);
	CHECK_EQ_U(e.flags, PACKED_EVENT_F_DESC);
	CHECK_EQ_U(e.off, 0);
	CHECK(e.wrap);
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[0], 0, 1, 1), 0);
	CHECK(drv_vring_kick_prepare(&t.vq)); /* ENABLE (zeroed area) */
	pk_dev_event(&t, 0, true, PACKED_EVENT_F_DISABLE);
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[0], 0, 1, 2), 0);
	CHECK(!drv_vring_kick_prepare(&t.vq));
	/* DESC: notify only once slot 3 (wrap 1) was made available. */
	pk_dev_event(&t, 3, true, PACKED_EVENT_F_DESC);
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[0], 0, 1, 3), 0); /* slot 2 */
	CHECK(!drv_vring_kick_prepare(&t.vq));
	CHECK_EQ_U(drv_vring_add(&t.vq, &sg[0], 0, 1, 4), 0); /* slot 3 */
	CHECK(drv_vring_kick_prepare(&t.vq));
	pk_close(&t);
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
	RUN(test_packed);
	RUN(test_packed_vring);
	RUN(test_big_requests);
	RUN(test_two_of_a_kind);
	return harness_finish("test_driver");
}
