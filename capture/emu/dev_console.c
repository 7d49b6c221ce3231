/* virtio-console model (Device Types / Console Device), port 0 only:
 * queue 0 carries input to the driver, queue 1 output from it.  Output is
 * kept in a bounded buffer (and appended to opts->out); input comes
 * from opts->in, opts->input, dev_console_input() or, with
 * opts->echo, the output itself.  Input fills receive buffers as far as
 * it goes: a buffer may come back partly filled. */
#include "capture/emu/dev_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/emu/emu.h"
#include "virtio/virtio.h"

#define CONSOLE_CONFIG_SIZE 12u
#define CONSOLE_BOUNCE 4096u
/* Bytes taken from one transmit chain; the rest is counted as dropped. */
#define CONSOLE_CHAIN_MAX (1u << 20)

/* A byte FIFO with a hard size limit; storage grows on demand. */
struct console_bytes {
	uint8_t *p;
	size_t head, len, alloc, max;
};

struct console_state {
	struct console_bytes out; /* head stays 0: everything is kept */
	struct console_bytes in;
	int out_fd;  /* opts->out, or -1 */
	int in_fd;   /* opts->in, or -1 (also once it reached EOF) */
	bool echo;
	struct dev_console_stats stats;
	uint8_t bounce[CONSOLE_BOUNCE];
};

/* Append up to n bytes within the FIFO's limit; returns the bytes taken. */
static size_t bytes_append(struct console_bytes *b, const uint8_t *p, size_t n)
{
	if (n > b->max - b->len)
		n = b->max - b->len;
	if (n == 0)
		return 0;
	if (b->head + b->len + n > b->alloc) {
		/* Slide the live bytes down first; grow only if still short. */
		if (b->head) {
			memmove(b->p, b->p + b->head, b->len);
			b->head = 0;
		}
		if (b->len + n > b->alloc) {
			size_t want = b->alloc ? b->alloc : 4096;
			while (want < b->len + n)
				want *= 2;
			if (want > b->max)
				want = b->max;
			uint8_t *q = realloc(b->p, want);
			if (!q)
				return 0;
			b->p = q;
			b->alloc = want;
		}
	}
	memcpy(b->p + b->head + b->len, p, n);
	b->len += n;
	return n;
}

static void bytes_consume(struct console_bytes *b, size_t n)
{
	b->head += n;
	b->len -= n;
	if (b->len == 0)
		b->head = 0;
}

static void bytes_free(struct console_bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->head = b->len = b->alloc = 0;
}

static void console_queue_input(struct console_state *s, const uint8_t *p, size_t n)
{
	size_t took = bytes_append(&s->in, p, n);

	s->stats.in_dropped += n - took;
	s->stats.pending = s->in.len;
}

/* Top the FIFO up from the input file when it ran dry. */
static void console_read_file(struct console_state *s)
{
	if (s->in_fd < 0 || s->in.len)
		return;
	ssize_t r;
	do
		r = read(s->in_fd, s->bounce, sizeof(s->bounce));
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		console_queue_input(s, s->bounce, (size_t)r);
	} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		close(s->in_fd);
		s->in_fd = -1;
	}
}

/* Fill posted receive buffers with pending input.  Returns -1 if the
 * device failed, else 0. */
static int console_deliver(struct emu_device *d, struct console_state *s)
{
	struct virtqueue *vq = emu_queue(d, VIRTIO_CONSOLE_Q_RX);
	bool pushed = false;
	struct vq_chain c;
	struct vq_fault f;
	int r = 0;

	for (uint32_t i = 0; vq && i < vq->num; i++) {
		console_read_file(s);
		if (s->in.len == 0)
			break;
		r = vq_pop(vq, &c, &f);
		if (r == 0)
			break;
		if (r < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return -1;
		}
		if (c.n_readable) {
			emu_violation(d, RULE_REQUEST_MALFORMED,
				      "console receive buffer %u has %u device-readable descriptors (Console Device / Device Operation)",
				      c.head, c.n_readable);
			s->stats.malformed++;
		}
		uint64_t n = c.writable_len < s->in.len ? c.writable_len : s->in.len;
		uint64_t w = vq_chain_write(emu_mem(d), &c, 0, s->in.p + s->in.head, n);
		bytes_consume(&s->in, (size_t)w);
		s->stats.rx_bytes += w;
		s->stats.pending = s->in.len;
		if (vq_push(vq, &c, (uint32_t)w, &f) < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return -1;
		}
		pushed = true;
	}
	if (pushed)
		emu_queue_interrupt(d, VIRTIO_CONSOLE_Q_RX);
	return 0;
}

/* Output bytes: keep, write through to the output file, maybe echo. */
static void console_output(struct console_state *s, const uint8_t *p, size_t n)
{
	size_t took = bytes_append(&s->out, p, n);

	s->stats.tx_bytes += n;
	s->stats.out_dropped += n - took;
	if (s->out_fd >= 0) {
		size_t done = 0;
		while (done < n) {
			ssize_t r = write(s->out_fd, p + done, n - done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				s->stats.out_errors++;
				break;
			}
			done += (size_t)r;
		}
	}
	if (s->echo)
		console_queue_input(s, p, n);
}

/* Take every available transmit chain (at most CONSOLE_CHAIN_MAX bytes
 * each) as output; complete each with length 0. */
static void console_tx(struct emu_device *d, struct console_state *s)
{
	struct virtqueue *vq = emu_queue(d, VIRTIO_CONSOLE_Q_TX);
	bool pushed = false;
	struct vq_chain c;
	struct vq_fault f;
	int r;

	for (uint32_t i = 0; vq && i < vq->num && (r = vq_pop(vq, &c, &f)) != 0; i++) {
		if (r < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		if (c.writable_len) {
			emu_violation(d, RULE_REQUEST_MALFORMED,
				      "console transmit chain %u has %llu device-writable bytes (Console Device / Device Operation)",
				      c.head, (unsigned long long)c.writable_len);
			s->stats.malformed++;
		}
		uint64_t len = c.readable_len < CONSOLE_CHAIN_MAX ? c.readable_len : CONSOLE_CHAIN_MAX;
		s->stats.out_dropped += c.readable_len - len;
		for (uint64_t off = 0; off < len;) {
			size_t n = len - off < CONSOLE_BOUNCE ? (size_t)(len - off) : CONSOLE_BOUNCE;
			uint64_t got = vq_chain_read(emu_mem(d), &c, off, s->bounce, n);
			console_output(s, s->bounce, (size_t)got);
			if (got != n)
				break; /* cannot happen: buffers were checked at pop */
			off += n;
		}
		if (vq_push(vq, &c, 0, &f) < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		pushed = true;
	}
	if (pushed)
		emu_queue_interrupt(d, VIRTIO_CONSOLE_Q_TX);
}

static void console_queue_notify(struct emu_device *d, unsigned q)
{
	struct console_state *s = emu_model_state(d);

	if (!s)
		return;
	if (q == VIRTIO_CONSOLE_Q_TX)
		console_tx(d, s);
	/* Both: new receive buffers, or echoed output waiting for one. */
	if (!emu_device_broken(d))
		console_deliver(d, s);
}

/* emerg_wr: the driver writes one character for immediate output. */
static void console_config_write(struct emu_device *d, uint32_t offset, unsigned width)
{
	struct console_state *s = emu_model_state(d);
	uint8_t ch;

	if (!s || offset != VIRTIO_CONSOLE_CFG_EMERG_WR)
		return;
	ch = emu_config(d)[VIRTIO_CONSOLE_CFG_EMERG_WR];
	console_output(s, &ch, 1);
	if (s->echo)
		console_deliver(d, s);
}

static void console_destroy(struct emu_device *d)
{
	struct console_state *s = emu_model_state(d);

	if (!s)
		return;
	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->in_fd >= 0)
		close(s->in_fd);
	bytes_free(&s->out);
	bytes_free(&s->in);
	free(s);
	emu_set_model_state(d, NULL);
}

static int console_init(struct emu_device *d, const void *opts_v)
{
	static const struct dev_console_opts defaults;
	const struct dev_console_opts *opts = opts_v ? opts_v : &defaults;
	struct console_state *s = calloc(1, sizeof(*s));
	uint8_t *cfg = emu_config(d);
	int r;

	if (!s)
		return -ENOMEM;
	s->out_fd = s->in_fd = -1;
	s->out.max = DEV_CONSOLE_OUTPUT_MAX;
	s->in.max = DEV_CONSOLE_INPUT_MAX;
	s->echo = opts->echo;
	emu_set_model_state(d, s);
	if (opts->out) {
		s->out_fd = open(opts->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	if (opts->in) {
		/* Non-blocking: a FIFO or terminal must not stall the device. */
		s->in_fd = open(opts->in, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (s->in_fd < 0) {
			r = -errno;
			goto fail;
		}
	} else if (opts->input && opts->input_len) {
		console_queue_input(s, opts->input, opts->input_len);
	}
	memset(cfg, 0, CONSOLE_CONFIG_SIZE);
	le16_put(cfg + VIRTIO_CONSOLE_CFG_COLS, DEV_CONSOLE_COLS);
	le16_put(cfg + VIRTIO_CONSOLE_CFG_ROWS, DEV_CONSOLE_ROWS);
	le32_put(cfg + VIRTIO_CONSOLE_CFG_MAX_PORTS, 1);
	return 0;
fail:
	console_destroy(d);
	return r;
}

/* Host-side input and the output record are not ring state: they survive
 * a reset (every driver resets the device before using it, which must not
 * throw away input given at start-up). */
static void console_reset(struct emu_device *d)
{
}

static struct console_state *console_state(const struct emu_device *d)
{
	if (emu_device_model(d) != &emu_model_console)
		return NULL;
	return emu_model_state(d);
}

size_t dev_console_output(struct emu_device *d, const uint8_t **bytes)
{
	struct console_state *s = console_state(d);

	*bytes = s ? s->out.p : NULL;
	return s ? s->out.len : 0;
}

int dev_console_input(struct emu_device *d, const void *p, size_t n)
{
	struct console_state *s = console_state(d);
	uint64_t dropped;

	if (!s)
		return -EINVAL;
	dropped = s->stats.in_dropped;
	console_queue_input(s, p, n);
	console_deliver(d, s);
	return s->stats.in_dropped != dropped ? DEV_CONSOLE_E_FULL : 0;
}

const struct dev_console_stats *dev_console_stats(const struct emu_device *d)
{
	const struct console_state *s = console_state(d);

	return s ? &s->stats : NULL;
}

/* The built-in workload reads back what it writes. */
static void console_machine_opts(void *opts, const struct emu_machine_params *p)
{
	struct dev_console_opts *o = opts;

	(void)p;
	o->echo = true;
}

const struct emu_model emu_model_console = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.features = VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE) |
		    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_RESET),
	.config_size = CONSOLE_CONFIG_SIZE,
	.opts_size = sizeof(struct dev_console_opts),
	.init = console_init,
	.destroy = console_destroy,
	.reset = console_reset,
	.queue_notify = console_queue_notify,
	.config_write = console_config_write,
	.machine_opts = console_machine_opts,
};
