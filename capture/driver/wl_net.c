/* virtio-net workload against the emulator's loopback (every frame sent
 * comes back on the receive queue): post receive buffers, send frames of
 * varied length in batches, and compare each received frame byte for byte
 * with what was sent.  The virtio_net_hdr always has its own descriptor
 * (10 bytes on legacy without MRG_RXBUF, 12 with VERSION_1), as a legacy
 * device without VIRTIO_F_ANY_LAYOUT requires. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/driver/workload.h"
#include "virtio/virtio.h"

#define ETH_HLEN 14u
#define ETH_ZLEN 60u       /* shortest frame (without FCS) */
#define ETH_FRAME_STD 1514u
#define ETH_TYPE_TEST 0x88b5u /* IEEE local experimental ethertype */
/* Receive data buffer: a full frame plus a VLAN tag; with the header that
 * is more than the 1526 bytes the spec asks for without MRG_RXBUF. */
#define NET_RX_DATA 1536u
/* Receive buffers kept posted at most. */
#define NET_RX_POSTED_MAX 16u

/* Options: --workload net:frames=N,batch=N. */
enum { NET_OPT_FRAMES, NET_OPT_BATCH };
static const struct drv_wl_key net_keys[] = {
	[NET_OPT_FRAMES] = { "frames", 1, 4096, 8, "frames sent and received back" },
	[NET_OPT_BATCH] = { "batch", 1, 16, 4, "frames per notification" },
};
/* This workload (end of file): its options are read through it. */
extern const struct drv_workload drv_wl_net;

struct net_state {
	uint8_t mac[6];
	uint16_t status;
	uint16_t mtu;
	unsigned hdr_len;
	unsigned frame_max;
	unsigned n_rx;     /* receive slots */
	uint64_t rx_hdr;   /* n_rx headers */
	uint64_t rx_data;  /* n_rx data buffers of NET_RX_DATA */
	uint64_t tx_hdr;   /* one zeroed header shared by all frames */
	uint64_t tx_data;  /* batch frames of NET_RX_DATA */
};

static int net_read_config(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct net_state *s = state;
	unsigned tries = 0;
	uint32_t gen;

	do {
		gen = drv_config_begin(d);
		if (drv_has(d, VIRTIO_NET_F_MAC))
			for (unsigned i = 0; i < 6; i++)
				s->mac[i] = drv_config_read8(d, VIRTIO_NET_CFG_MAC + i);
		if (drv_has(d, VIRTIO_NET_F_STATUS))
			s->status = drv_config_read16(d, VIRTIO_NET_CFG_STATUS);
		if (drv_has(d, VIRTIO_NET_F_MTU))
			s->mtu = drv_config_read16(d, VIRTIO_NET_CFG_MTU);
	} while (drv_config_retry(d, gen, &tries));
	if (!drv_has(d, VIRTIO_NET_F_MAC)) {
		/* A locally administered unicast address of our own. */
		static const uint8_t local[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
		memcpy(s->mac, local, sizeof(local));
	}
	return 0;
}

static unsigned frame_len(const struct net_state *s, const struct drv_wl_opts *o, unsigned i)
{
	unsigned span = s->frame_max - ETH_ZLEN + 1;

	/* The shortest and the longest frame, and varied lengths between. */
	if (i == 0)
		return ETH_ZLEN;
	if (i + 1 == drv_wl_opt(o, &drv_wl_net, NET_OPT_FRAMES))
		return s->frame_max;
	return ETH_ZLEN + (unsigned)((i * 389u + o->seed * 7u) % span);
}

/* Frame i: to and from our own address, test ethertype, then a sequence
 * number and pattern bytes. Returns its length. */
static unsigned frame_build(const struct net_state *s, const struct drv_wl_opts *o, unsigned i, uint8_t *f)
{
	unsigned len = frame_len(s, o, i);

	memcpy(f, s->mac, 6);
	memcpy(f + 6, s->mac, 6);
	f[12] = (uint8_t)(ETH_TYPE_TEST >> 8);
	f[13] = (uint8_t)ETH_TYPE_TEST;
	f[14] = (uint8_t)(i >> 24);
	f[15] = (uint8_t)(i >> 16);
	f[16] = (uint8_t)(i >> 8);
	f[17] = (uint8_t)i;
	drv_pattern(f + 18, len - 18, o->seed, 0x10000u + i);
	return len;
}

static int rx_post(struct drv_dev *d, struct net_state *s, unsigned slot)
{
	struct drv_sg sg[2] = {
		{ s->rx_hdr + (uint64_t)slot * s->hdr_len, s->hdr_len },
		{ s->rx_data + (uint64_t)slot * NET_RX_DATA, NET_RX_DATA },
	};

	return drv_submit(d, VIRTIO_NET_Q_RX, sg, 0, 2, slot);
}

/* Check one received frame against frame number want. */
static int rx_check(struct drv_dev *d, struct net_state *s, const struct drv_wl_opts *o, unsigned slot,
		    uint32_t len, unsigned want, uint8_t *exp, uint8_t *got)
{
	unsigned elen = frame_build(s, o, want, exp);
	size_t at;
	int r;

	if (len != s->hdr_len + elen)
		return drv_error(d, DRV_E_VERIFY, "frame %u came back with %u bytes, expected %u (header %u + frame %u)",
				 want, len, s->hdr_len + elen, s->hdr_len, elen);
	r = drv_mem_read(d, s->rx_data + (uint64_t)slot * NET_RX_DATA, got, elen);
	if (r != 0)
		return r;
	at = drv_first_diff(exp, got, elen);
	if (at < elen)
		return drv_error(d, DRV_E_VERIFY, "frame %u differs at byte %zu: got 0x%02x, sent 0x%02x", want, at,
				 got[at], exp[at]);
	return 0;
}

/* Send frames [first, first + n) and wait until each was used on the
 * transmit queue and came back on the receive queue. *recvd counts the
 * frames received so far (over the whole run). */
static int net_batch(struct drv_dev *d, struct net_state *s, const struct drv_wl_opts *o, unsigned first,
		     unsigned n, unsigned *recvd, uint8_t *exp, uint8_t *got)
{
	unsigned tx_done = 0, idle = 0;
	uint64_t tok;
	uint32_t len, handled;
	int r;

	for (unsigned j = 0; j < n; j++) {
		unsigned flen = frame_build(s, o, first + j, exp);
		struct drv_sg sg[2] = {
			{ s->tx_hdr, s->hdr_len },
			{ s->tx_data + (uint64_t)j * NET_RX_DATA, flen },
		};

		r = drv_mem_write(d, sg[1].gpa, exp, flen);
		if (r == 0)
			r = drv_submit(d, VIRTIO_NET_Q_TX, sg, 2, 0, first + j);
		if (r != 0)
			return r == -ENOSPC ? drv_error(d, r, "transmit ring unexpectedly full") : r;
	}
	drv_kick(d, VIRTIO_NET_Q_TX);

	while (tx_done < n || *recvd < first + n) {
		bool progress = false, reposted = false;

		r = drv_handle_interrupt(d, &handled);
		if (r != 0)
			return r;
		while ((r = drv_get_used(d, VIRTIO_NET_Q_TX, &tok, &len)) == 1) {
			tx_done++;
			progress = true;
		}
		if (r != 0)
			return r;
		while ((r = drv_get_used(d, VIRTIO_NET_Q_RX, &tok, &len)) == 1) {
			if (tok >= s->n_rx)
				return drv_error(d, DRV_E_REFUSED, "receive queue returned unknown slot %llu",
						 (unsigned long long)tok);
			if (*recvd >= first + n)
				return drv_error(d, DRV_E_VERIFY, "a frame came back that was never sent (after %u)",
						 *recvd);
			r = rx_check(d, s, o, (unsigned)tok, len, *recvd, exp, got);
			if (r != 0)
				return r;
			(*recvd)++;
			progress = true;
			r = rx_post(d, s, (unsigned)tok);
			if (r != 0)
				return r;
			reposted = true;
		}
		if (r != 0)
			return r;
		if (reposted)
			drv_kick(d, VIRTIO_NET_Q_RX);
		idle = progress ? 0 : idle + 1;
		if (idle >= DRV_POLL_MAX) {
			if (tx_done < n)
				return drv_error(d, DRV_E_REFUSED, "frame %u was never used on the transmit queue",
						 first + tx_done);
			return drv_error(d, DRV_E_VERIFY, "frame %u did not come back on the receive queue", *recvd);
		}
	}
	return 0;
}

static int net_run(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct net_state *s = state;
	struct drv_vring *rxq = &d->vq[VIRTIO_NET_Q_RX], *txq = &d->vq[VIRTIO_NET_Q_TX];
	unsigned frames = drv_wl_opt(o, &drv_wl_net, NET_OPT_FRAMES), batch, recvd = 0;
	uint8_t *exp = NULL, *got = NULL, *zero = NULL;
	int r;

	if (drv_has(d, VIRTIO_NET_F_STATUS) && !(s->status & VIRTIO_NET_S_LINK_UP))
		return drv_error(d, DRV_E_REFUSED, "link is down (status 0x%x)", s->status);
	s->hdr_len = drv_has(d, VIRTIO_F_VERSION_1) || drv_has(d, VIRTIO_NET_F_MRG_RXBUF) ?
		VIRTIO_NET_HDR_SIZE : VIRTIO_NET_HDR_SIZE_LEGACY;
	s->frame_max = ETH_FRAME_STD;
	if (drv_has(d, VIRTIO_NET_F_MTU) && s->mtu >= ETH_ZLEN && s->mtu + ETH_HLEN < s->frame_max)
		s->frame_max = s->mtu + ETH_HLEN;
	if (rxq->num < 2 || txq->num < 2)
		return drv_error(d, DRV_E_REFUSED, "queues of %u/%u entries cannot hold header + frame chains",
				 rxq->num, txq->num);

	s->n_rx = rxq->num / drv_vring_cost(rxq, 2);
	if (s->n_rx > NET_RX_POSTED_MAX)
		s->n_rx = NET_RX_POSTED_MAX;
	if (s->n_rx > frames)
		s->n_rx = frames;
	batch = drv_wl_opt(o, &drv_wl_net, NET_OPT_BATCH);
	if (batch > s->n_rx)
		batch = s->n_rx;
	if (batch > txq->num / drv_vring_cost(txq, 2))
		batch = txq->num / drv_vring_cost(txq, 2);

	exp = malloc(NET_RX_DATA);
	got = malloc(NET_RX_DATA);
	zero = calloc(1, VIRTIO_NET_HDR_SIZE);
	if (!exp || !got || !zero) {
		r = drv_error(d, -ENOMEM, "out of memory");
		goto out;
	}
	s->rx_hdr = drv_mem_alloc(d, (uint64_t)s->n_rx * s->hdr_len, 2);
	s->rx_data = drv_mem_alloc(d, (uint64_t)s->n_rx * NET_RX_DATA, 16);
	s->tx_hdr = drv_mem_alloc(d, s->hdr_len, 2);
	s->tx_data = drv_mem_alloc(d, (uint64_t)batch * NET_RX_DATA, 16);
	if (!s->rx_hdr || !s->rx_data || !s->tx_hdr || !s->tx_data) {
		r = -ENOMEM;
		goto out;
	}
	/* No checksum offload, no GSO: an all-zero header. */
	r = drv_mem_write(d, s->tx_hdr, zero, s->hdr_len);
	if (r != 0)
		goto out;

	drv_marker(d, "net: post %u receive buffer%s (header %u bytes)", s->n_rx, drv_plural(s->n_rx), s->hdr_len);
	for (unsigned i = 0; i < s->n_rx && r == 0; i++)
		r = rx_post(d, s, i);
	if (r != 0)
		goto out;
	drv_kick(d, VIRTIO_NET_Q_RX);

	if (frames == 1)
		drv_marker(d, "net: send 1 frame and receive it back");
	else
		drv_marker(d, "net: send %u frames in batches of %u and receive them back", frames, batch);
	for (unsigned sent = 0; sent < frames && r == 0; sent += batch) {
		unsigned n = frames - sent < batch ? frames - sent : batch;

		r = net_batch(d, s, o, sent, n, &recvd, exp, got);
	}
	if (r == 0)
		drv_marker(d, "net: %u frame%s came back intact", recvd, drv_plural(recvd));
out:
	free(exp);
	free(got);
	free(zero);
	return r;
}

const struct drv_workload drv_wl_net = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.summary = "send frames to the loopback device, compare what comes back",
	.keys = net_keys,
	.n_keys = sizeof(net_keys) / sizeof(net_keys[0]),
	.n_queues = 2,
	.features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MTU),
	.state_size = sizeof(struct net_state),
	.read_config = net_read_config,
	.run = net_run,
};
