/* virtio-console workload on port 0 (no MULTIPORT): post receive buffers,
 * write lines on the transmit queue, and read them back on the receive
 * queue (the emulator's console is configured to echo its output).  The
 * receive buffers are smaller than a line, so a line comes back in pieces. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/driver/workload.h"
#include "virtio/virtio.h"

#define CON_RX_BUF 64u   /* bytes per receive buffer */
#define CON_RX_POSTED 4u /* receive buffers kept posted */
#define CON_LINE_MAX 160u

/* Options: --workload console:lines=N. */
enum { CON_OPT_LINES };
static const struct drv_wl_key console_keys[] = {
	[CON_OPT_LINES] = { "lines", 1, 64, 2, "lines written and echoed back" },
};
/* This workload (end of file): its options are read through it. */
extern const struct drv_workload drv_wl_console;

struct console_state {
	uint16_t cols, rows;
	unsigned n_rx;
	uint64_t rx;  /* n_rx buffers of CON_RX_BUF */
	uint64_t tx;  /* CON_LINE_MAX */
};

static int console_read_config(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct console_state *s = state;
	unsigned tries = 0;
	uint32_t gen;

	if (!drv_has(d, VIRTIO_CONSOLE_F_SIZE))
		return 0;
	do {
		gen = drv_config_begin(d);
		s->cols = drv_config_read16(d, VIRTIO_CONSOLE_CFG_COLS);
		s->rows = drv_config_read16(d, VIRTIO_CONSOLE_CFG_ROWS);
	} while (drv_config_retry(d, gen, &tries));
	return 0;
}

static int rx_post(struct drv_dev *d, struct console_state *s, unsigned slot)
{
	struct drv_sg sg = { s->rx + (uint64_t)slot * CON_RX_BUF, CON_RX_BUF };

	return drv_submit(d, VIRTIO_CONSOLE_Q_RX, &sg, 0, 1, slot);
}

/* Write one line and collect the echo until it is as long as the line. */
static int console_line(struct drv_dev *d, struct console_state *s, const char *line, unsigned len)
{
	struct drv_sg sg = { s->tx, len };
	char got[CON_LINE_MAX];
	unsigned have = 0, idle = 0;
	bool tx_done = false;
	uint64_t tok;
	uint32_t n, handled;
	int r;

	r = drv_mem_write(d, s->tx, line, len);
	if (r == 0)
		r = drv_submit(d, VIRTIO_CONSOLE_Q_TX, &sg, 1, 0, 0);
	if (r != 0)
		return r;
	drv_kick(d, VIRTIO_CONSOLE_Q_TX);

	while (!tx_done || have < len) {
		bool progress = false, reposted = false;

		r = drv_handle_interrupt(d, &handled);
		if (r != 0)
			return r;
		while ((r = drv_get_used(d, VIRTIO_CONSOLE_Q_TX, &tok, &n)) == 1)
			tx_done = progress = true;
		if (r != 0)
			return r;
		while ((r = drv_get_used(d, VIRTIO_CONSOLE_Q_RX, &tok, &n)) == 1) {
			if (tok >= s->n_rx)
				return drv_error(d, DRV_E_REFUSED, "receive queue returned unknown slot %llu",
						 (unsigned long long)tok);
			if (n > len - have)
				return drv_error(d, DRV_E_VERIFY, "echo is longer than the %u bytes written", len);
			r = drv_mem_read(d, s->rx + tok * CON_RX_BUF, got + have, n);
			if (r != 0)
				return r;
			have += n;
			progress = true;
			r = rx_post(d, s, (unsigned)tok);
			if (r != 0)
				return r;
			reposted = true;
		}
		if (r != 0)
			return r;
		if (reposted)
			drv_kick(d, VIRTIO_CONSOLE_Q_RX);
		idle = progress ? 0 : idle + 1;
		if (idle >= DRV_POLL_MAX) {
			if (!tx_done)
				return drv_error(d, DRV_E_REFUSED, "the line was never used on the transmit queue");
			return drv_error(d, DRV_E_VERIFY, "only %u of %u bytes came back on the receive queue", have,
					 len);
		}
	}
	if (memcmp(got, line, len) != 0) {
		size_t at = drv_first_diff((const uint8_t *)line, (const uint8_t *)got, len);

		return drv_error(d, DRV_E_VERIFY, "echo differs at byte %zu: got 0x%02x, wrote 0x%02x", at,
				 (uint8_t)got[at], (uint8_t)line[at]);
	}
	return 0;
}

static int console_run(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct console_state *s = state;
	char line[CON_LINE_MAX];
	unsigned lines = drv_wl_opt(o, &drv_wl_console, CON_OPT_LINES);
	int r = 0;

	s->n_rx = d->vq[VIRTIO_CONSOLE_Q_RX].num < CON_RX_POSTED ? d->vq[VIRTIO_CONSOLE_Q_RX].num : CON_RX_POSTED;
	s->rx = drv_mem_alloc(d, (uint64_t)s->n_rx * CON_RX_BUF, 16);
	s->tx = drv_mem_alloc(d, CON_LINE_MAX, 16);
	if (!s->rx || !s->tx)
		return -ENOMEM;
	if (drv_has(d, VIRTIO_CONSOLE_F_SIZE))
		drv_marker(d, "console: port 0, %ux%u", s->cols, s->rows);
	for (unsigned i = 0; i < s->n_rx && r == 0; i++)
		r = rx_post(d, s, i);
	if (r != 0)
		return r;
	drv_kick(d, VIRTIO_CONSOLE_Q_RX);

	for (unsigned l = 0; l < lines && r == 0; l++) {
		int len = snprintf(line, sizeof(line),
				   "vmtrace console line %u of %u: the quick brown fox jumps over the lazy dog (seed %llu)\n",
				   l + 1, lines, (unsigned long long)o->seed);

		if (len < 0 || (size_t)len >= sizeof(line))
			return drv_error(d, -EINVAL, "console line too long");
		drv_marker(d, "console: write line %u (%d bytes), read it back", l + 1, len);
		r = console_line(d, s, line, (unsigned)len);
	}
	return r;
}

const struct drv_workload drv_wl_console = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.summary = "write lines to port 0, compare the echo",
	.keys = console_keys,
	.n_keys = sizeof(console_keys) / sizeof(console_keys[0]),
	.n_queues = 2,
	.features = VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE),
	.state_size = sizeof(struct console_state),
	.read_config = console_read_config,
	.run = console_run,
};
