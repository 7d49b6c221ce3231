/* virtio-blk work: read the capacity, write the pattern to KH_BLK_SECTOR,
 * read it back into another buffer and compare, then flush. */
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/guest/vio.h"
#include "tests/kvmhost/guest/work.h"
#include "tests/kvmhost/kh_abi.h"

static uint32_t blk_setup(struct vio_dev *d)
{
	uint32_t gen, cap_lo, cap_hi, blk_size = VIRTIO_BLK_SECTOR_SIZE;
	unsigned tries = 0;

	/* capacity is a 64-bit field: two 32-bit reads, which must come
	 * from one ConfigGeneration. */
	do {
		gen = vio_config_generation(d);
		cap_lo = mmio_read32(d->base + MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY);
		cap_hi = mmio_read32(d->base + MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4);
		if (vio_has(d, VIRTIO_BLK_F_BLK_SIZE))
			blk_size = mmio_read32(d->base + MMIO_CONFIG + VIRTIO_BLK_CFG_BLK_SIZE);
	} while (gen != vio_config_generation(d) && ++tries < VIO_CONFIG_TRIES);
	if (cap_hi == 0 && cap_lo <= KH_BLK_SECTOR)
		return vio_fail(d, STEP_CONFIG, "blk capacity too small", cap_lo, cap_hi);
	if (blk_size < VIRTIO_BLK_SECTOR_SIZE)
		return vio_fail(d, STEP_CONFIG, "blk block size", blk_size, 0);
	return 0;
}

/* One request: header, optional data, status byte. */
static uint32_t blk_request(struct vio_dev *d, uint32_t type, uint32_t data, bool data_in)
{
	uint32_t hdr = galloc(VIRTIO_BLK_REQ_HDR_SIZE, 16);
	uint32_t status = galloc(1, 1);
	struct vio_buf b[3];
	unsigned n = 0;
	uint32_t len, r;

	if (!hdr || !status)
		return vio_fail(d, STEP_NO_MEMORY, "blk request", 0, 0);
	*(volatile uint32_t *)(hdr + 0) = type;
	*(volatile uint32_t *)(hdr + 4) = 0;
	*(volatile uint32_t *)(hdr + 8) = type == VIRTIO_BLK_T_FLUSH ? 0 : KH_BLK_SECTOR;
	*(volatile uint32_t *)(hdr + 12) = 0;
	*(volatile uint8_t *)status = 0xff;
	b[n++] = (struct vio_buf){ hdr, VIRTIO_BLK_REQ_HDR_SIZE, false };
	if (data)
		b[n++] = (struct vio_buf){ data, VIRTIO_BLK_SECTOR_SIZE, data_in };
	b[n++] = (struct vio_buf){ status, 1, true };
	vio_submit(d, 0, b, n);
	vio_notify(d, 0);
	if ((r = vio_wait(d, 0, &len)) != 0)
		return r;
	if (*(volatile uint8_t *)status != VIRTIO_BLK_S_OK)
		return vio_fail(d, STEP_BLK_STATUS, "blk request failed (type, status)", type,
				*(volatile uint8_t *)status);
	if (len < 1 + (data_in ? VIRTIO_BLK_SECTOR_SIZE : 0))
		return vio_fail(d, STEP_BLK_STATUS, "blk used length (type, len)", type, len);
	return 0;
}

static uint32_t blk_io(struct vio_dev *d)
{
	uint32_t out = galloc(VIRTIO_BLK_SECTOR_SIZE, 512);
	uint32_t in = galloc(VIRTIO_BLK_SECTOR_SIZE, 512);
	uint32_t r;

	if (!out || !in)
		return vio_fail(d, STEP_NO_MEMORY, "blk buffers", 0, 0);
	for (uint32_t i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++)
		((uint8_t *)out)[i] = KH_BLK_PATTERN(i);
	if ((r = blk_request(d, VIRTIO_BLK_T_OUT, out, false)) != 0)
		return r;
	if ((r = blk_request(d, VIRTIO_BLK_T_IN, in, true)) != 0)
		return r;
	if (memcmp((void *)in, (void *)out, VIRTIO_BLK_SECTOR_SIZE) != 0)
		return vio_fail(d, STEP_BLK_DATA, "blk read-back differs", KH_BLK_SECTOR, 0);
	if (vio_has(d, VIRTIO_BLK_F_FLUSH))
		return blk_request(d, VIRTIO_BLK_T_FLUSH, 0, false);
	return 0;
}

const struct work_ops work_blk = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.want_lo = 1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_BLK_SIZE,
	.n_queues = 1,
	.setup = blk_setup,
	.io = blk_io,
};
