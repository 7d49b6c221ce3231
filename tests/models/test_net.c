/* virtio-net loopback model: config, frames coming back identical, header
 * sizes per layout, the backlog and its bound, frame size limits. */
#include "capture/emu/dev_net.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/models/model_util.h"

#define ALL UINT64_MAX
#define RXQ VIRTIO_NET_Q_RX
#define TXQ VIRTIO_NET_Q_TX
#define RXBUF (VIRTIO_NET_HDR_SIZE + 1514u)

static void make_frame(uint8_t *p, uint32_t len, unsigned tag)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(tag * 31 + i);
}

/* Transmit a frame of len bytes (with an hdr-byte header in front of it, in
 * a separate descriptor as legacy drivers do). Returns the TX head. */
static int net_tx(struct tdev *t, uint32_t hdr, uint32_t len, unsigned tag, bool notify)
{
	uint64_t h = tdev_alloc(t, hdr);
	uint64_t f = tdev_alloc(t, len);

	make_frame(tdev_ptr(t, f, len), len, tag);
	struct rb_seg s[] = { { h, hdr, false }, { f, len, false } };
	int head = tdev_submit(t, TXQ, s, 2);
	if (notify)
		tdev_notify(t, TXQ);
	return head;
}

/* Post a receive buffer of len bytes; returns its guest address. */
static uint64_t net_post_rx(struct tdev *t, uint32_t len)
{
	uint64_t b = tdev_alloc(t, len);
	struct rb_seg s[] = { { b, len, true } };

	tdev_submit(t, RXQ, s, 1);
	return b;
}

/* Check the next used RX entry holds the frame (len, tag) behind a header. */
static void expect_rx(struct tdev *t, uint64_t buf, uint32_t hdr, uint32_t len, unsigned tag)
{
	uint32_t id, ulen;
	uint8_t want[2048];

	CHECK_EQ_U(tdev_used(t, RXQ, &id, &ulen), 1);
	CHECK_EQ_U(ulen, hdr + len);
	if (len > sizeof(want))
		return;
	make_frame(want, len, tag);
	CHECK(memcmp(tdev_ptr(t, buf + hdr, len), want, len) == 0);
}

static void test_config(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	CHECK_EQ_U(t.violations, 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_DEVICE_ID, 4), VIRTIO_ID_NET);
	uint64_t f = tdev_features(&t);
	CHECK(f & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	CHECK(f & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
	CHECK(f & VIRTIO_BIT(VIRTIO_NET_F_MTU));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	CHECK(!(f & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)));
	static const uint8_t mac[6] = DEV_NET_MAC_DEFAULT;
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + i, 1), mac[i]);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_NET_CFG_MAX_VQ_PAIRS, 2), 1);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_NET_CFG_MTU, 2), 1500);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);

	struct dev_net_opts o = { .mac = { 2, 0, 0, 0, 0, 9 }, .mtu = 9000 };
	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, &o, ALL), 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + 0, 1), 2);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + 5, 1), 9);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_NET_CFG_MTU, 2), 9000);
	tdev_close(&t);
}

static void loopback(uint32_t version, uint32_t hdr)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, version, NULL, ALL), 0);
	uint64_t rx = net_post_rx(&t, RXBUF);
	memset(tdev_ptr(&t, rx, hdr), 0xff, hdr);
	tdev_notify(&t, RXQ);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	int head = net_tx(&t, hdr, 60, 1, true);
	CHECK_EQ_U(tdev_used(&t, TXQ, &id, &len), 1);
	CHECK_EQ_U(id, (uint32_t)head);
	CHECK_EQ_U(len, 0);
	expect_rx(&t, rx, hdr, 60, 1);
	/* The header is all zero, but for num_buffers = 1 in the 12-byte form. */
	uint8_t want[12] = { 0 };
	if (hdr == 12)
		want[10] = 1;
	CHECK(memcmp(tdev_ptr(&t, rx, hdr), want, hdr) == 0);
	CHECK_EQ_U(tdev_ack(&t), VIRTIO_MMIO_INT_VRING);
	CHECK_EQ_U(dev_net_stats(t.d)->tx_frames, 1);
	CHECK_EQ_U(dev_net_stats(t.d)->rx_frames, 1);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_loopback_modern(void) { loopback(2, VIRTIO_NET_HDR_SIZE); }
static void test_loopback_legacy(void) { loopback(1, VIRTIO_NET_HDR_SIZE_LEGACY); }

/* Frames sent with no receive buffer wait, in order, until buffers come. */
static void test_backlog(void)
{
	struct tdev t;
	uint64_t rx[3];

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	for (unsigned i = 0; i < 3; i++)
		net_tx(&t, 12, 100 + i, i, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 3);
	rx[0] = net_post_rx(&t, RXBUF);
	rx[1] = net_post_rx(&t, RXBUF);
	tdev_notify(&t, RXQ);
	expect_rx(&t, rx[0], 12, 100, 0);
	expect_rx(&t, rx[1], 12, 101, 1);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 1);
	/* A new frame queues behind the waiting one; a buffer posted without
	 * a notification is still found by the next transmission. */
	rx[2] = net_post_rx(&t, RXBUF);
	net_tx(&t, 12, 200, 7, true);
	expect_rx(&t, rx[2], 12, 102, 2);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 1);
	rx[0] = net_post_rx(&t, RXBUF);
	tdev_notify(&t, RXQ);
	expect_rx(&t, rx[0], 12, 200, 7);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 0);
	CHECK_EQ_U(dev_net_stats(t.d)->dropped, 0);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

/* The backlog holds DEV_NET_BACKLOG_MAX frames; the oldest go first. */
static void test_backlog_bound(void)
{
	struct tdev t;
	const unsigned extra = 3;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	for (unsigned i = 0; i < DEV_NET_BACKLOG_MAX; i++)
		net_tx(&t, 12, 64, i, false);
	tdev_notify(&t, TXQ);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, DEV_NET_BACKLOG_MAX);
	CHECK_EQ_U(dev_net_stats(t.d)->dropped, 0);
	for (unsigned i = 0; i < extra; i++)
		net_tx(&t, 12, 64, DEV_NET_BACKLOG_MAX + i, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, DEV_NET_BACKLOG_MAX);
	CHECK_EQ_U(dev_net_stats(t.d)->dropped, extra);
	while (tdev_used(&t, TXQ, &id, &len))
		;
	uint64_t rx[DEV_NET_BACKLOG_MAX + 1];
	for (unsigned i = 0; i <= DEV_NET_BACKLOG_MAX; i++)
		rx[i] = net_post_rx(&t, RXBUF);
	tdev_notify(&t, RXQ);
	for (unsigned i = 0; i < DEV_NET_BACKLOG_MAX; i++)
		expect_rx(&t, rx[i], 12, 64, extra + i);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 0);
	tdev_close(&t);
}

/* Frame sizes: 14 and VIRTIO_NET_FRAME_MAX pass, 13 and one more do not. */
static void test_frame_limits(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	net_tx(&t, 12, 13, 0, true);
	CHECK_EQ_U(tdev_used(&t, TXQ, &id, &len), 1);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 0);
	net_tx(&t, 12, 14, 0, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 1);
	net_tx(&t, 12, VIRTIO_NET_FRAME_MAX, 0, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 2);
	net_tx(&t, 12, VIRTIO_NET_FRAME_MAX + 1, 0, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 2);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 2);
	/* A header cut short counts as a short frame too. */
	uint64_t h = tdev_alloc(&t, 11);
	struct rb_seg s[] = { { h, 11, false } };
	tdev_submit(&t, TXQ, s, 1);
	tdev_notify(&t, TXQ);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 3);
	/* The big frame arrives whole in a big enough buffer. */
	uint64_t rx0 = net_post_rx(&t, RXBUF);
	uint64_t rx1 = net_post_rx(&t, 12 + VIRTIO_NET_FRAME_MAX);
	tdev_notify(&t, RXQ);
	expect_rx(&t, rx0, 12, 14, 0);
	expect_rx(&t, rx1, 12, VIRTIO_NET_FRAME_MAX, 0);
	uint8_t want[64];
	make_frame(want, 64, 0);
	CHECK(memcmp(tdev_ptr(&t, rx1 + 12 + 256, 64), want, 64) == 0);
	CHECK_EQ_U(dev_net_stats(t.d)->malformed, 3);
	CHECK(!emu_device_broken(t.d));
	tdev_close(&t);
}

/* A receive buffer too small for the frame: reported, the frame dropped,
 * the buffer returned empty; a buffer of exactly header + frame is enough. */
static void test_rx_too_small(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	uint64_t small = net_post_rx(&t, 12 + 59);
	uint64_t exact = net_post_rx(&t, 12 + 60);
	net_tx(&t, 12, 60, 4, true);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 1);
	CHECK_EQ_U(len, 0);
	CHECK_EQ_U(tdev_ptr(&t, small, 1)[0], 0);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	CHECK_EQ_U(dev_net_stats(t.d)->dropped, 1);
	net_tx(&t, 12, 60, 5, true);
	expect_rx(&t, exact, 12, 60, 5);
	/* Split over descriptors is fine: header and frame apart. */
	uint64_t a = tdev_alloc(&t, 12), b = tdev_alloc(&t, 60);
	struct rb_seg s[] = { { a, 12, true }, { b, 60, true } };
	tdev_submit(&t, RXQ, s, 2);
	net_tx(&t, 12, 60, 6, true);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 1);
	CHECK_EQ_U(len, 72);
	uint8_t want[60];
	make_frame(want, 60, 6);
	CHECK(memcmp(tdev_ptr(&t, b, 60), want, 60) == 0);
	CHECK_EQ_U(tdev_ptr(&t, a, 12)[10], 1);
	tdev_close(&t);
}

/* Frames waiting at reset belonged to the old session: they are dropped. */
static void test_reset(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_net, 2, NULL, ALL), 0);
	for (unsigned i = 0; i < 5; i++)
		net_tx(&t, 12, 60, i, true);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 5);
	tdev_write(&t, MMIO_STATUS, 4, 0);
	CHECK_EQ_U(dev_net_stats(t.d)->backlog, 0);
	tdev_reinit(&t, ALL);
	uint64_t rx = net_post_rx(&t, RXBUF);
	tdev_notify(&t, RXQ);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	net_tx(&t, 12, 60, 9, true);
	expect_rx(&t, rx, 12, 60, 9);
	tdev_close(&t);
}

int main(void)
{
	RUN(test_config);
	RUN(test_loopback_modern);
	RUN(test_loopback_legacy);
	RUN(test_backlog);
	RUN(test_backlog_bound);
	RUN(test_frame_limits);
	RUN(test_rx_too_small);
	RUN(test_reset);
	return harness_finish("test_net");
}
