/* virtio-console work: read the size (16-bit reads), post a receive
 * buffer, write KH_CONSOLE_LINE on port 0 and compare the echo (the
 * host's console model loops output back as input). */
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/guest/vio.h"
#include "tests/kvmhost/guest/work.h"
#include "tests/kvmhost/kh_abi.h"

#define CONSOLE_RX_BUF 128u

static uint32_t console_setup(struct vio_dev *d)
{
	uint32_t gen;
	unsigned tries = 0;

	if (!vio_has(d, VIRTIO_CONSOLE_F_SIZE))
		return 0;
	do {
		gen = vio_config_generation(d);
		(void)mmio_read16(d->base + MMIO_CONFIG + VIRTIO_CONSOLE_CFG_COLS);
		(void)mmio_read16(d->base + MMIO_CONFIG + VIRTIO_CONSOLE_CFG_ROWS);
	} while (gen != vio_config_generation(d) && ++tries < VIO_CONFIG_TRIES);
	return 0;
}

static uint32_t console_io(struct vio_dev *d)
{
	static const char line[] = KH_CONSOLE_LINE;
	uint32_t n = sizeof(line) - 1;
	uint32_t rx = galloc(CONSOLE_RX_BUF, 64);
	uint32_t tx = galloc(n, 64);
	uint32_t len, r;

	if (!rx || !tx)
		return vio_fail(d, STEP_NO_MEMORY, "console buffers", 0, 0);
	vio_submit(d, VIRTIO_CONSOLE_Q_RX, &(struct vio_buf){ rx, CONSOLE_RX_BUF, true }, 1);
	vio_notify(d, VIRTIO_CONSOLE_Q_RX);
	memcpy((void *)tx, line, n);
	vio_submit(d, VIRTIO_CONSOLE_Q_TX, &(struct vio_buf){ tx, n, false }, 1);
	vio_notify(d, VIRTIO_CONSOLE_Q_TX);
	if ((r = vio_wait(d, VIRTIO_CONSOLE_Q_TX, &len)) != 0)
		return r;
	if ((r = vio_wait(d, VIRTIO_CONSOLE_Q_RX, &len)) != 0)
		return r;
	if (len != n)
		return vio_fail(d, STEP_CONSOLE_LEN, "console echo length", len, n);
	if (memcmp((void *)rx, line, n) != 0)
		return vio_fail(d, STEP_CONSOLE_DATA, "console echo differs", len, 0);
	return 0;
}

const struct work_ops work_console = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.want_lo = 1u << VIRTIO_CONSOLE_F_SIZE,
	.n_queues = 2,
	.setup = console_setup,
	.io = console_io,
};
