/* virtio-net work: read the MAC (byte reads) and link status (a 16-bit
 * read), post one receive buffer, send one frame to our own MAC and
 * compare what the loopback device gives back. */
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/guest/vio.h"
#include "tests/kvmhost/guest/work.h"
#include "tests/kvmhost/kh_abi.h"

#define NET_RX_BUF (VIRTIO_NET_HDR_SIZE + 1514u)

static uint8_t net_mac[6];

static uint32_t net_setup(struct vio_dev *d)
{
	uint32_t gen;
	uint16_t status = VIRTIO_NET_S_LINK_UP;
	unsigned tries = 0;

	do {
		gen = vio_config_generation(d);
		for (unsigned i = 0; i < 6; i++)
			net_mac[i] = vio_has(d, VIRTIO_NET_F_MAC)
				? mmio_read8(d->base + MMIO_CONFIG + VIRTIO_NET_CFG_MAC + i)
				: (uint8_t)(i == 0 ? 0x02 : i); /* a locally administered one */
		if (vio_has(d, VIRTIO_NET_F_STATUS))
			status = mmio_read16(d->base + MMIO_CONFIG + VIRTIO_NET_CFG_STATUS);
	} while (gen != vio_config_generation(d) && ++tries < VIO_CONFIG_TRIES);
	if (!(status & VIRTIO_NET_S_LINK_UP))
		return vio_fail(d, STEP_NET_LINK, "net link down", status, 0);
	return 0;
}

static uint32_t net_io(struct vio_dev *d)
{
	/* The header has num_buffers once VERSION_1 is negotiated; a legacy
	 * driver without MRG_RXBUF uses the 10-byte one. */
	uint32_t hdr_len = vio_has(d, VIRTIO_F_VERSION_1) ? VIRTIO_NET_HDR_SIZE : VIRTIO_NET_HDR_SIZE_LEGACY;
	uint32_t rx = galloc(NET_RX_BUF, 64);
	uint32_t hdr = galloc(VIRTIO_NET_HDR_SIZE, 16);
	uint32_t frame = galloc(KH_NET_FRAME_LEN, 64);
	uint8_t *f = (uint8_t *)frame;
	uint32_t len, r;

	if (!rx || !hdr || !frame)
		return vio_fail(d, STEP_NO_MEMORY, "net buffers", 0, 0);
	vio_submit(d, VIRTIO_NET_Q_RX, &(struct vio_buf){ rx, NET_RX_BUF, true }, 1);
	vio_notify(d, VIRTIO_NET_Q_RX);

	memcpy(f, net_mac, 6);
	memcpy(f + 6, net_mac, 6);
	f[12] = (uint8_t)(KH_NET_ETHERTYPE >> 8);
	f[13] = (uint8_t)KH_NET_ETHERTYPE;
	for (uint32_t i = 14; i < KH_NET_FRAME_LEN; i++)
		f[i] = (uint8_t)(i ^ 0xa5);
	struct vio_buf tx[2] = { { hdr, hdr_len, false }, { frame, KH_NET_FRAME_LEN, false } };
	vio_submit(d, VIRTIO_NET_Q_TX, tx, 2);
	vio_notify(d, VIRTIO_NET_Q_TX);
	if ((r = vio_wait(d, VIRTIO_NET_Q_TX, &len)) != 0)
		return r;
	if ((r = vio_wait(d, VIRTIO_NET_Q_RX, &len)) != 0)
		return r;
	if (len != hdr_len + KH_NET_FRAME_LEN)
		return vio_fail(d, STEP_NET_LEN, "net received length", len, hdr_len + KH_NET_FRAME_LEN);
	if (memcmp((void *)(rx + hdr_len), f, KH_NET_FRAME_LEN) != 0)
		return vio_fail(d, STEP_NET_DATA, "net received frame differs", len, 0);
	return 0;
}

const struct work_ops work_net = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.want_lo = 1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_STATUS,
	.n_queues = 2,
	.setup = net_setup,
	.io = net_io,
};
