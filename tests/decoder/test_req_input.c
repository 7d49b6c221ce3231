/* virtio-input request decoding (decoder/req_input.c) from hand-built
 * traces: eventq events decoded from the bytes the device wrote at used
 * time, statusq events from the driver's buffer; events split across
 * descriptors; odd and short lengths (request-malformed, nothing decoded);
 * a used length far past the buffer and a buffer past guest RAM (no
 * decode, no crash). */
#include <stdio.h>
#include <string.h>

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define EVENTQ 0
#define STATUSQ 1

static void ev_put(uint8_t *b, uint16_t type, uint16_t code, int32_t value)
{
	le16_put(b, type);
	le16_put(b + 2, code);
	le32_put(b + 4, (uint32_t)value);
}

static void input_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx_init_device(fx, VIRTIO_ID_INPUT, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
}

/* A key press from the device, a relative move with a negative value, and
 * an LED state the driver sends. */
static void test_input_normal(void)
{
	struct fx fx;
	uint8_t ev[8];

	input_open(&fx, "input-normal.db");
	fx_desc(&fx, FX_DESC(EVENTQ), 0, FX_BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	fx_desc(&fx, FX_DESC(EVENTQ), 1, FX_BUF(1), 8, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 0);
	fx_publish(&fx, EVENTQ, 1);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, EVENTQ);
	ev_put(ev, 1, 30, 1);
	fx_dev(&fx, FX_BUF(0), ev, 8);
	fx_used(&fx, EVENTQ, 0, 8);
	ev_put(ev, 2, 0, -5);
	fx_dev(&fx, FX_BUF(1), ev, 8);
	fx_used(&fx, EVENTQ, 1, 8);
	fx_irq(&fx, 1);
	ev_put(ev, 0x11, 0, 1);
	fx_drv(&fx, FX_BUF(2), ev, 8);
	fx_desc(&fx, FX_DESC(STATUSQ), 0, FX_BUF(2), 8, 0, 0);
	fx_publish(&fx, STATUSQ, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, STATUSQ);
	fx_used(&fx, STATUSQ, 0, 0);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 3);
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE request = 1"), "input-event");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "EV_KEY 30 1");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 8);
	CHECK_STR(fx_text(&fx, "SELECT hex(data) FROM requests WHERE request = 1"), "01001E0001000000");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"), "EV_REL 0 -5");
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_irq IS NOT NULL FROM requests WHERE request = 2"), 1);
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE request = 3"), "input-status");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 3"), "EV_LED 0 1");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 3"), 8);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used IS NOT NULL FROM requests WHERE request = 3"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Two events across a 4-byte and a 12-byte writable descriptor (the first
 * event straddles them); a status event across 3 + 5 readable bytes; an
 * unnamed type; eight events in one buffer cut in the op text. */
static void test_input_split(void)
{
	struct fx fx;
	uint8_t ev[64];

	input_open(&fx, "input-split.db");
	fx_desc(&fx, FX_DESC(EVENTQ), 0, FX_BUF(0), 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(EVENTQ), 1, FX_BUF(1), 12, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 0);
	ev_put(ev, 3, 0, 100);
	ev_put(ev + 8, 0, 0, 0);
	fx_dev(&fx, FX_BUF(0), ev, 4);
	fx_dev(&fx, FX_BUF(1), ev + 4, 12);
	fx_used(&fx, EVENTQ, 0, 16);

	fx_desc(&fx, FX_DESC(EVENTQ), 2, FX_BUF(2), 64, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 2);
	for (unsigned i = 0; i < 8; i++)
		ev_put(ev + 8 * i, 1, (uint16_t)(30 + i), 1);
	fx_dev(&fx, FX_BUF(2), ev, 64);
	fx_used(&fx, EVENTQ, 2, 64);

	ev_put(ev, 0x15, 7, 2);
	fx_drv(&fx, FX_BUF(3), ev, 3);
	fx_drv(&fx, FX_BUF(4), ev + 3, 5);
	fx_desc(&fx, FX_DESC(STATUSQ), 0, FX_BUF(3), 3, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(STATUSQ), 1, FX_BUF(4), 5, 0, 0);
	fx_publish(&fx, STATUSQ, 0);
	fx_used(&fx, STATUSQ, 0, 0);
	fx_finish(&fx);

	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "EV_ABS 0 100, EV_SYN 0 0");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 16);
	CHECK_EQ_U(fx_int(&fx, "SELECT length(data) FROM requests WHERE request = 1"), 16);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"),
		  "EV_KEY 30 1, EV_KEY 31 1, EV_KEY 32 1, EV_KEY 33 1, EV_KEY 34 1 +3 more");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 64);
	CHECK_STR(fx_text(&fx, "SELECT kind || ' ' || op FROM requests WHERE request = 3"), "input-status type 21 7 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* A used length of 5 (not whole events), a 4-byte eventq buffer, a
 * readable eventq buffer, a 6-byte status buffer: request-malformed each,
 * nothing decoded. */
static void test_input_odd(void)
{
	struct fx fx;
	uint8_t ev[8];

	input_open(&fx, "input-odd.db");
	fx_desc(&fx, FX_DESC(EVENTQ), 0, FX_BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 0);
	ev_put(ev, 1, 30, 1);
	fx_dev(&fx, FX_BUF(0), ev, 5);
	fx_used(&fx, EVENTQ, 0, 5);
	fx_desc(&fx, FX_DESC(EVENTQ), 1, FX_BUF(1), 4, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 1);
	fx_drv(&fx, FX_BUF(2), ev, 8);
	fx_desc(&fx, FX_DESC(EVENTQ), 2, FX_BUF(2), 8, 0, 0);
	fx_publish(&fx, EVENTQ, 2);
	fx_drv(&fx, FX_BUF(3), ev, 6);
	fx_desc(&fx, FX_DESC(STATUSQ), 0, FX_BUF(3), 6, 0, 0);
	fx_publish(&fx, STATUSQ, 0);
	/* A zero-length status buffer too. */
	fx_desc(&fx, FX_DESC(STATUSQ), 1, FX_BUF(3), 0, 0, 0);
	fx_publish(&fx, STATUSQ, 1);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 5);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 5);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE op IS NOT NULL"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 5);
	CHECK_EQ_U(fx_int(&fx, "SELECT data IS NULL FROM requests WHERE request = 1"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE kind = 'input-status' AND request = 4"), 6);
	fx_close(&fx);
}

/* A used length of 2^32 - 1 on an 8-byte buffer: the used-ring check
 * reports it, the row keeps the length, nothing is decoded.  A 512 KiB
 * buffer used in full whose bytes the trace lacks: length only.  A
 * descriptor reaching past RAM. */
static void test_input_huge(void)
{
	struct fx fx;

	input_open(&fx, "input-huge.db");
	fx_desc(&fx, FX_DESC(EVENTQ), 0, FX_BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 0);
	fx_used(&fx, EVENTQ, 0, UINT32_MAX);
	fx_desc(&fx, FX_DESC(EVENTQ), 1, FX_BUF(1), 0x80000, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 1);
	fx_used(&fx, EVENTQ, 1, 0x80000);
	fx_desc(&fx, FX_DESC(EVENTQ), 2, FX_RAM_BASE + FX_RAM_SIZE - 8, UINT32_MAX, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, EVENTQ, 2);
	fx_used(&fx, EVENTQ, 2, UINT32_MAX - 7);
	fx_desc(&fx, FX_DESC(STATUSQ), 0, FX_RAM_BASE + FX_RAM_SIZE - 8, UINT32_MAX - 7, 0, 0);
	fx_publish(&fx, STATUSQ, 0);
	fx_finish(&fx);

	CHECK_EQ_U(fx_n_rule(&fx, "device-used-len-too-long"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), UINT32_MAX);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL AND data IS NULL FROM requests WHERE request = 1"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 0x80000);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL AND data IS NULL FROM requests WHERE request = 2"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE op IS NOT NULL"), 0);
	fx_close(&fx);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

/* Random descriptors (lengths small, odd, huge; readable or writable;
 * chained or not), heads, used entries and device and driver bytes on
 * every queue: whatever the guest chooses, the decoder must not crash or
 * read out of bounds (run under ASan/UBSan too).  Each request row's op
 * stays within the op text. */
static void test_input_random(void)
{
	struct fx fx;
	int64_t total = 0, with_op = 0;

	for (unsigned round = 0; round < 12; round++) {
		input_open(&fx, "input-random.db");
		fx_random_stores(&fx, &rnd_state, 2, 400);
		fx_finish(&fx);
		fx_random_tally(&fx, &total, &with_op);
		fx_close(&fx);
	}
	/* The walk reaches the decoders, and some requests decode. */
	fx_random_done(total, with_op);
}

int main(void)
{
	RUN(test_input_normal);
	RUN(test_input_split);
	RUN(test_input_odd);
	RUN(test_input_huge);
	RUN(test_input_random);
	return harness_finish("test_req_input");
}
