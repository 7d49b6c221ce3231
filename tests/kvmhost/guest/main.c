/* The guest's driver: read the boot block, bring every device listed
 * there to DRIVER_OK, then either do each device's I/O or, in loop mode,
 * read the first device's Status register loop times.  Returns
 * KH_RESULT_PASS or the first failure's KH_FAIL code (entry.S reports it). */
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/guest/vio.h"
#include "tests/kvmhost/guest/work.h"
#include "tests/kvmhost/kh_abi.h"

uint32_t guest_main(void);

static struct vio_dev devs[KH_DEVICES_MAX];
static const struct work_ops *ops[KH_DEVICES_MAX];

const struct work_ops *work_find(uint32_t device_id)
{
	static const struct work_ops *const all[] = { &work_blk, &work_net, &work_console, &work_rng };

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->device_id == device_id)
			return all[i];
	return 0;
}

static uint32_t bring_up(struct vio_dev *d, unsigned i, uint32_t base, uint32_t version)
{
	uint32_t r;

	if ((r = vio_probe(d, i, base, version)) != 0)
		return r;
	if (d->device_id == 0)
		return 0; /* a placeholder window: nothing more may be touched */
	ops[i] = work_find(d->device_id);
	if (!ops[i]) {
		glog_hex("no driver for DeviceID", base, d->device_id);
		return KH_FAIL(i, STEP_UNKNOWN_DEVICE);
	}
	if ((r = vio_init(d, ops[i]->want_lo, 0)) != 0)
		return r;
	if ((r = vio_setup_queues(d, ops[i]->n_queues)) != 0)
		return r;
	if ((r = ops[i]->setup(d)) != 0)
		return r;
	vio_driver_ok(d);
	return 0;
}

uint32_t guest_main(void)
{
	const struct kh_boot *boot = (const struct kh_boot *)KH_BOOT_ADDR;
	uint32_t version, n, r;

	if (boot->magic != KH_BOOT_MAGIC || boot->n_devices > KH_DEVICES_MAX) {
		glog_hex("bad boot block", boot->magic, boot->n_devices);
		return KH_FAIL(0xff, 0xff);
	}
	version = boot->flags & KH_BOOT_LEGACY ? VIRTIO_MMIO_VERSION_LEGACY : VIRTIO_MMIO_VERSION_MODERN;
	n = boot->n_devices;
	for (unsigned i = 0; i < n; i++)
		if ((r = bring_up(&devs[i], i, boot->base[i], version)) != 0)
			return r;
	port_out32(KH_PORT_PHASE, KH_PHASE_INIT_DONE);

	if (boot->loop && n == 0) {
		glog("loop mode needs a device");
		return KH_FAIL(0xff, 0xfe);
	}
	if (boot->loop) {
		uint32_t addr = boot->base[0] + MMIO_STATUS;

		uint32_t k = boot->loop;

		/* Eight reads per round: the loop's own instructions go through
		 * KVM's instruction emulator too, and would otherwise cost about
		 * a tenth of the exit rate. */
		port_out32(KH_PORT_PHASE, KH_PHASE_LOOP_START);
		for (; k >= 8; k -= 8) {
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
			(void)mmio_read32(addr);
		}
		for (; k; k--)
			(void)mmio_read32(addr);
		port_out32(KH_PORT_PHASE, KH_PHASE_LOOP_END);
		return KH_RESULT_PASS;
	}
	for (unsigned i = 0; i < n; i++)
		if (ops[i] && (r = ops[i]->io(&devs[i])) != 0)
			return r;
	return KH_RESULT_PASS;
}
