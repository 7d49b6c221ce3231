/* virtio-net model (Device Types / Network Device) with a loopback
 * backend: every frame the driver transmits on queue 1 comes back as a
 * received frame on queue 0.  Frames that find no posted receive buffer
 * wait in a bounded backlog until the driver posts one and notifies. */
#include "capture/emu/dev_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/virtio.h"

#define NET_CONFIG_SIZE 12u

struct net_frame {
	uint32_t len;
	uint8_t *data; /* malloc'd, len <= VIRTIO_NET_FRAME_MAX */
};

struct net_state {
	struct net_frame backlog[DEV_NET_BACKLOG_MAX]; /* FIFO ring */
	unsigned head;
	struct dev_net_stats stats;
	/* Staging for one transmitted frame (header stripped), and a zeroed
	 * header prefix for received ones. */
	uint8_t frame[VIRTIO_NET_FRAME_MAX];
	bool no_loopback; /* frames come in through dev_net_receive only */
};

/* The header in front of every frame: 12 bytes (with num_buffers) once
 * VERSION_1 or MRG_RXBUF is negotiated, 10 for a legacy driver. */
static uint32_t net_hdr_size(const struct emu_device *d)
{
	if (emu_has_feature(d, VIRTIO_F_VERSION_1) || emu_has_feature(d, VIRTIO_NET_F_MRG_RXBUF))
		return VIRTIO_NET_HDR_SIZE;
	return VIRTIO_NET_HDR_SIZE_LEGACY;
}

/* Put one frame into the next posted receive buffer.  Returns 1 if the
 * frame was consumed (delivered, or dropped because the buffer is too
 * small), 0 if no buffer is posted, -1 if the device failed. */
static int net_rx_one(struct emu_device *d, struct net_state *s, const uint8_t *data,
		      uint32_t len, bool *pushed)
{
	struct virtqueue *vq = emu_queue(d, VIRTIO_NET_Q_RX);
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
	uint32_t hdr_len = net_hdr_size(d);
	struct vq_chain c;
	struct vq_fault f;
	uint32_t written = 0;
	int r;

	if (!vq)
		return 0;
	r = vq_pop(vq, &c, &f);
	if (r == 0)
		return 0;
	if (r < 0) {
		emu_device_fail(d, f.rule, "%s", f.msg);
		return -1;
	}
	if (c.n_readable) {
		emu_violation(d, RULE_REQUEST_MALFORMED,
			      "net receive buffer %u has %u device-readable descriptors (Network Device / Setting Up Receive Buffers)",
			      c.head, c.n_readable);
		s->stats.malformed++;
	}
	if (c.writable_len < (uint64_t)hdr_len + len) {
		/* Without MRG_RXBUF every buffer must hold a whole frame. */
		emu_violation(d, RULE_REQUEST_MALFORMED,
			      "net receive buffer %u holds %llu bytes, a %u-byte frame needs %u; frame dropped (Network Device / Setting Up Receive Buffers)",
			      c.head, (unsigned long long)c.writable_len, len, hdr_len + len);
		s->stats.malformed++;
		s->stats.dropped++;
	} else {
		if (hdr_len == VIRTIO_NET_HDR_SIZE)
			le16_put(hdr + 10, 1); /* num_buffers */
		written = (uint32_t)vq_chain_write(emu_mem(d), &c, 0, hdr, hdr_len);
		written += (uint32_t)vq_chain_write(emu_mem(d), &c, hdr_len, data, len);
		s->stats.rx_frames++;
	}
	if (vq_push(vq, &c, written, &f) < 0) {
		emu_device_fail(d, f.rule, "%s", f.msg);
		return -1;
	}
	*pushed = true;
	return 1;
}

static void net_backlog_drop_front(struct net_state *s)
{
	free(s->backlog[s->head].data);
	s->backlog[s->head].data = NULL;
	s->head = (s->head + 1) % DEV_NET_BACKLOG_MAX;
	s->stats.backlog--;
}

/* Queue a copy of a frame; the oldest frame makes room if the backlog is full. */
static void net_backlog_push(struct net_state *s, const uint8_t *data, uint32_t len)
{
	uint8_t *copy = malloc(len);

	if (!copy) {
		s->stats.dropped++;
		return;
	}
	memcpy(copy, data, len);
	if (s->stats.backlog == DEV_NET_BACKLOG_MAX) {
		net_backlog_drop_front(s);
		s->stats.dropped++;
	}
	struct net_frame *fr = &s->backlog[(s->head + s->stats.backlog) % DEV_NET_BACKLOG_MAX];
	fr->data = copy;
	fr->len = len;
	s->stats.backlog++;
}

/* Deliver waiting frames, oldest first, while receive buffers last.
 * Returns -1 if the device failed. */
static int net_backlog_flush(struct emu_device *d, struct net_state *s, bool *pushed)
{
	while (s->stats.backlog) {
		struct net_frame *fr = &s->backlog[s->head];
		int r = net_rx_one(d, s, fr->data, fr->len, pushed);
		if (r <= 0)
			return r;
		net_backlog_drop_front(s);
	}
	return 0;
}

/* Take one transmitted chain: check it, then loop its frame back. */
static int net_tx_one(struct emu_device *d, struct net_state *s, const struct vq_chain *c,
		      bool *rx_pushed)
{
	uint32_t hdr_len = net_hdr_size(d);

	if (c->writable_len)
		emu_violation(d, RULE_REQUEST_MALFORMED,
			      "net transmit chain %u has %llu device-writable bytes (Network Device / Packet Transmission)",
			      c->head, (unsigned long long)c->writable_len);
	if (c->readable_len < (uint64_t)hdr_len + DEV_NET_FRAME_MIN ||
	    c->readable_len > (uint64_t)hdr_len + VIRTIO_NET_FRAME_MAX) {
		emu_violation(d, RULE_REQUEST_MALFORMED,
			      "net transmit chain %u: %llu bytes, a %u-byte header and a frame of %u..%u bytes expected (Network Device / Packet Transmission)",
			      c->head, (unsigned long long)c->readable_len, hdr_len,
			      DEV_NET_FRAME_MIN, VIRTIO_NET_FRAME_MAX);
		s->stats.malformed++;
		return 0;
	}
	uint32_t len = (uint32_t)(c->readable_len - hdr_len);
	vq_chain_read(emu_mem(d), c, hdr_len, s->frame, len);
	s->stats.tx_frames++;
	if (s->no_loopback)
		return 0;
	/* Frames keep their order: a new one waits behind the backlog. */
	if (s->stats.backlog == 0) {
		int r = net_rx_one(d, s, s->frame, len, rx_pushed);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	net_backlog_push(s, s->frame, len);
	return net_backlog_flush(d, s, rx_pushed);
}

/* Queue 0 (receive): buffers were posted, deliver the backlog.  Queue 1
 * (transmit): loop every available frame back, completing each transmit
 * chain with length 0.  Interrupts only for queues that got used entries. */
static void net_queue_notify(struct emu_device *d, unsigned q)
{
	struct net_state *s = emu_model_state(d);
	bool rx_pushed = false, tx_pushed = false;
	struct vq_chain c;
	struct vq_fault f;
	int r;

	if (!s)
		return;
	if (q == VIRTIO_NET_Q_RX) {
		if (net_backlog_flush(d, s, &rx_pushed) < 0)
			return;
	} else if (q == VIRTIO_NET_Q_TX) {
		struct virtqueue *vq = emu_queue(d, q);
		for (uint32_t i = 0; vq && i < vq->num && (r = vq_pop(vq, &c, &f)) != 0; i++) {
			if (r < 0) {
				emu_device_fail(d, f.rule, "%s", f.msg);
				return;
			}
			/* The chain is copied out before the loopback pops the
			 * receive queue, so completing it afterwards is safe. */
			if (net_tx_one(d, s, &c, &rx_pushed) < 0)
				return;
			if (vq_push(vq, &c, 0, &f) < 0) {
				emu_device_fail(d, f.rule, "%s", f.msg);
				return;
			}
			tx_pushed = true;
		}
	}
	if (tx_pushed)
		emu_queue_interrupt(d, VIRTIO_NET_Q_TX);
	if (rx_pushed)
		emu_queue_interrupt(d, VIRTIO_NET_Q_RX);
}

int dev_net_receive(struct emu_device *d, const uint8_t *frame, uint32_t len)
{
	struct net_state *s = emu_model_state(d);
	bool pushed = false;

	if (!s || emu_device_model(d) != &emu_model_net || len > VIRTIO_NET_FRAME_MAX)
		return -1;
	net_backlog_push(s, frame, len);
	if (net_backlog_flush(d, s, &pushed) < 0)
		return -1;
	if (pushed)
		emu_queue_interrupt(d, VIRTIO_NET_Q_RX);
	return 0;
}

static int net_init(struct emu_device *d, const void *opts_v)
{
	static const uint8_t mac_default[6] = DEV_NET_MAC_DEFAULT;
	static const uint8_t zero[6];
	static const struct dev_net_opts defaults;
	const struct dev_net_opts *opts = opts_v ? opts_v : &defaults;
	struct net_state *s = calloc(1, sizeof(*s));
	uint8_t *cfg = emu_config(d);

	if (!s)
		return -ENOMEM;
	memset(cfg, 0, NET_CONFIG_SIZE);
	memcpy(cfg + VIRTIO_NET_CFG_MAC, memcmp(opts->mac, zero, 6) ? opts->mac : mac_default, 6);
	le16_put(cfg + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	le16_put(cfg + VIRTIO_NET_CFG_MAX_VQ_PAIRS, 1);
	le16_put(cfg + VIRTIO_NET_CFG_MTU, opts->mtu ? opts->mtu : DEV_NET_MTU_DEFAULT);
	s->no_loopback = opts->no_loopback;
	emu_set_model_state(d, s);
	return 0;
}

static void net_drop_backlog(struct net_state *s)
{
	while (s->stats.backlog)
		net_backlog_drop_front(s);
	s->head = 0;
}

static void net_destroy(struct emu_device *d)
{
	struct net_state *s = emu_model_state(d);

	if (!s)
		return;
	net_drop_backlog(s);
	free(s);
	emu_set_model_state(d, NULL);
}

/* Frames still waiting belong to the driver session that sent them. */
static void net_reset(struct emu_device *d)
{
	struct net_state *s = emu_model_state(d);

	if (s)
		net_drop_backlog(s);
}

const struct dev_net_stats *dev_net_stats(const struct emu_device *d)
{
	const struct net_state *s;

	if (emu_device_model(d) != &emu_model_net)
		return NULL;
	s = emu_model_state(d);
	return s ? &s->stats : NULL;
}

/* The built-in machine's nth net device: the default MAC counted up by n
 * in its last byte; frames loop back (the workload checks them). */
static void net_machine_opts(void *opts, const struct emu_machine_params *p)
{
	static const uint8_t mac[6] = DEV_NET_MAC_DEFAULT;
	struct dev_net_opts *o = opts;

	memcpy(o->mac, mac, sizeof(mac));
	o->mac[5] = (uint8_t)(mac[5] + p->instance);
}

static int net_supply(struct emu_device *d, const uint8_t *data, uint32_t len)
{
	return dev_net_receive(d, data, len);
}

const struct emu_model emu_model_net = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		    VIRTIO_BIT(VIRTIO_NET_F_MTU) |
		    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_RESET),
	.config_size = NET_CONFIG_SIZE,
	.opts_size = sizeof(struct dev_net_opts),
	.init = net_init,
	.destroy = net_destroy,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
	.machine_opts = net_machine_opts,
	.supply = net_supply,
};
