/* virtio-console model: config, output, input from every source, echo,
 * partial fills, the bounds, emerg_wr, reset. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "capture/emu/dev_console.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/models/model_util.h"

#define ALL UINT64_MAX
#define RXQ VIRTIO_CONSOLE_Q_RX
#define TXQ VIRTIO_CONSOLE_Q_TX

static void con_tx(struct tdev *t, const char *s)
{
	size_t n = strlen(s);
	uint64_t b = tdev_alloc(t, n);

	tdev_put(t, b, s, n);
	struct rb_seg seg[] = { { b, (uint32_t)n, false } };
	tdev_submit(t, TXQ, seg, 1);
	tdev_notify(t, TXQ);
}

static uint64_t con_post_rx(struct tdev *t, uint32_t len)
{
	uint64_t b = tdev_alloc(t, len);
	struct rb_seg s[] = { { b, len, true } };

	tdev_submit(t, RXQ, s, 1);
	return b;
}

/* The next used RX entry carries exactly want. */
static void expect_rx(struct tdev *t, uint64_t buf, const char *want)
{
	uint32_t id, len;

	CHECK_EQ_U(tdev_used(t, RXQ, &id, &len), 1);
	CHECK_EQ_U(len, strlen(want));
	CHECK(memcmp(tdev_ptr(t, buf, len ? len : 1), want, len) == 0);
}

static void expect_output(struct tdev *t, const char *want)
{
	const uint8_t *p;
	size_t n = dev_console_output(t->d, &p);

	CHECK_EQ_U(n, strlen(want));
	CHECK(n == strlen(want) && (n == 0 || memcmp(p, want, n) == 0));
}

static void test_config(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	CHECK_EQ_U(t.violations, 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_DEVICE_ID, 4), VIRTIO_ID_CONSOLE);
	uint64_t f = tdev_features(&t);
	CHECK(f & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
	CHECK(!(f & VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT)));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_COLS, 2), DEV_CONSOLE_COLS);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_ROWS, 2), DEV_CONSOLE_ROWS);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_MAX_PORTS, 4), 1);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_output(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	expect_output(&t, "");
	con_tx(&t, "hel");
	con_tx(&t, "lo\n");
	CHECK_EQ_U(tdev_used(&t, TXQ, &id, &len), 1);
	CHECK_EQ_U(len, 0);
	CHECK_EQ_U(tdev_ack(&t), VIRTIO_MMIO_INT_VRING);
	expect_output(&t, "hello\n");
	/* Without echo nothing comes back. */
	con_post_rx(&t, 16);
	tdev_notify(&t, RXQ);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	CHECK_EQ_U(dev_console_stats(t.d)->tx_bytes, 6);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

/* Initial input survives the driver's reset at start-up and fills
 * buffers partly or wholly. */
static void input_initial(uint32_t version)
{
	static const uint8_t in[] = "abc";
	struct dev_console_opts o = { .input = in, .input_len = 3 };
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, version, &o, ALL), 0);
	CHECK_EQ_U(dev_console_stats(t.d)->pending, 3);
	uint64_t b0 = con_post_rx(&t, 2);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b0, "ab");
	uint64_t b1 = con_post_rx(&t, 8);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b1, "c");
	/* A buffer with nothing to put in it stays posted. */
	con_post_rx(&t, 8);
	tdev_notify(&t, RXQ);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	CHECK_EQ_U(dev_console_stats(t.d)->rx_bytes, 3);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_input_modern(void) { input_initial(2); }
static void test_input_legacy(void) { input_initial(1); }

static void test_input_later(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	/* Buffers posted: delivered at once, with an interrupt. */
	uint64_t b0 = con_post_rx(&t, 16);
	tdev_notify(&t, RXQ);
	unsigned irqs = t.irqs;
	CHECK_EQ_U(dev_console_input(t.d, "hi", 2), 0);
	expect_rx(&t, b0, "hi");
	CHECK(t.irqs > irqs);
	CHECK_EQ_U(tdev_ack(&t), VIRTIO_MMIO_INT_VRING);
	/* None posted: waits for the next one. */
	CHECK_EQ_U(dev_console_input(t.d, "there", 5), 0);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	CHECK_EQ_U(dev_console_stats(t.d)->pending, 5);
	uint64_t b1 = con_post_rx(&t, 3);
	uint64_t b2 = con_post_rx(&t, 3);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b1, "the");
	expect_rx(&t, b2, "re");
	/* Not a console: refused. */
	struct tdev other;
	CHECK_EQ_U(tdev_open(&other, &emu_model_rng, 2, NULL, ALL), 0);
	CHECK_EQ_U(dev_console_input(other.d, "x", 1), (uint64_t)-EINVAL);
	const uint8_t *p;
	CHECK_EQ_U(dev_console_output(other.d, &p), 0);
	CHECK(p == NULL);
	tdev_close(&other);
	tdev_close(&t);
}

static void test_echo(void)
{
	struct dev_console_opts o = { .echo = true };
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, &o, ALL), 0);
	uint64_t b = con_post_rx(&t, 64);
	con_tx(&t, "ping");
	expect_output(&t, "ping");
	expect_rx(&t, b, "ping");
	/* Echo with no buffer posted: waits. */
	con_tx(&t, "pong");
	CHECK_EQ_U(dev_console_stats(t.d)->pending, 4);
	b = con_post_rx(&t, 64);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b, "pong");
	expect_output(&t, "pingpong");
	tdev_close(&t);
}

static void test_files(void)
{
	const char *in_path = harness_tmpfile("con.in");
	const char *out_path = harness_tmpfile("con.out");
	char got[64] = { 0 };
	struct tdev t;

	int fd = open(in_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	CHECK_EQ_U(write(fd, "from file", 9), 9);
	close(fd);
	fd = open(out_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	CHECK_EQ_U(write(fd, "old:", 4), 4);
	close(fd);

	struct dev_console_opts o = { .in = in_path, .out = out_path };
	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, &o, ALL), 0);
	uint64_t b0 = con_post_rx(&t, 4);
	uint64_t b1 = con_post_rx(&t, 64);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b0, "from");
	expect_rx(&t, b1, " file");
	con_tx(&t, "new");
	expect_output(&t, "new");
	fd = open(out_path, O_RDONLY);
	CHECK_EQ_U(read(fd, got, sizeof(got) - 1), 7);
	close(fd);
	CHECK_STR(got, "old:new");
	tdev_close(&t);
	unlink(in_path);
	unlink(out_path);

	o.out = harness_tmpfile("no-such-dir/x");
	o.in = NULL;
	CHECK(tdev_open(&t, &emu_model_console, 2, &o, ALL) < 0);
}

/* Output keeps DEV_CONSOLE_OUTPUT_MAX bytes and counts the rest; input
 * waiting for buffers is capped the same way. */
static void test_bounds(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	uint64_t big = tdev_alloc(&t, DEV_CONSOLE_OUTPUT_MAX);
	memset(tdev_ptr(&t, big, DEV_CONSOLE_OUTPUT_MAX), 'o', DEV_CONSOLE_OUTPUT_MAX);
	struct rb_seg s[] = { { big, DEV_CONSOLE_OUTPUT_MAX - 1, false } };
	tdev_submit(&t, TXQ, s, 1);
	tdev_notify(&t, TXQ);
	const uint8_t *p;
	CHECK_EQ_U(dev_console_output(t.d, &p), DEV_CONSOLE_OUTPUT_MAX - 1);
	CHECK_EQ_U(dev_console_stats(t.d)->out_dropped, 0);
	con_tx(&t, "xyz");
	CHECK_EQ_U(dev_console_output(t.d, &p), DEV_CONSOLE_OUTPUT_MAX);
	CHECK_EQ_U(p[DEV_CONSOLE_OUTPUT_MAX - 1], 'x');
	CHECK_EQ_U(dev_console_stats(t.d)->out_dropped, 2);
	CHECK_EQ_U(dev_console_stats(t.d)->tx_bytes, DEV_CONSOLE_OUTPUT_MAX + 2);

	uint8_t *in = calloc(1, DEV_CONSOLE_INPUT_MAX + 1);
	CHECK_EQ_U(dev_console_input(t.d, in, DEV_CONSOLE_INPUT_MAX), 0);
	CHECK_EQ_U(dev_console_input(t.d, in, 1), DEV_CONSOLE_E_FULL);
	CHECK_EQ_U(dev_console_stats(t.d)->in_dropped, 1);
	CHECK_EQ_U(dev_console_stats(t.d)->pending, DEV_CONSOLE_INPUT_MAX);
	free(in);
	tdev_close(&t);
}

static void test_emerg_wr(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	tdev_write(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, '!');
	expect_output(&t, "!");
	/* Read-only fields ignore writes. */
	tdev_write(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_COLS, 2, 3);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_CONSOLE_CFG_COLS, 2), DEV_CONSOLE_COLS);
	tdev_close(&t);
}

/* Reset drops ring state only: output and host input stay. */
static void test_reset(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_console, 2, NULL, ALL), 0);
	con_tx(&t, "before");
	dev_console_input(t.d, "kept", 4);
	con_post_rx(&t, 64); /* posted, never notified, then reset */
	tdev_write(&t, MMIO_STATUS, 4, 0);
	tdev_reinit(&t, ALL);
	CHECK_EQ_U(tdev_used(&t, RXQ, &id, &len), 0);
	uint64_t b = con_post_rx(&t, 64);
	tdev_notify(&t, RXQ);
	expect_rx(&t, b, "kept");
	con_tx(&t, "+after");
	expect_output(&t, "before+after");
	tdev_close(&t);
}

int main(void)
{
	RUN(test_config);
	RUN(test_output);
	RUN(test_input_modern);
	RUN(test_input_legacy);
	RUN(test_input_later);
	RUN(test_echo);
	RUN(test_files);
	RUN(test_bounds);
	RUN(test_emerg_wr);
	RUN(test_reset);
	return harness_finish("test_console");
}
