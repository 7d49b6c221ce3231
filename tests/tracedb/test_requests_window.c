/* The decoder keeps requests rows in memory until their interrupt and
 * writes them once (decoder/rings_priv.h, REQ_PENDING_ROWS).  A row that
 * leaves memory earlier is written as it stands and later changes become
 * UPDATEs.  Both ways must give the same rows: a request that waits longer
 * than the window for its notify, its used entry and its interrupt, and a
 * stream of completions that never see an interrupt until the end (more
 * than the per-device list of completions awaiting one). */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "decoder/dec_priv.h"
#include "decoder/rings_priv.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define BUF(n) (FX_RAM_BASE + 0x10000 + 0x100 * (uint64_t)(n))

static char q[512];
#define SQL(...) (snprintf(q, sizeof(q), __VA_ARGS__), q)

/* Console: receive buffer R is made available by stores only, then more
 * than a window of transmit requests complete with interrupts, and only
 * then R is notified, filled, used and interrupted. */
static void test_late_request(void)
{
	const uint32_t n_tx = REQ_PENDING_ROWS + 50;
	struct fx fx;

	fx_open(&fx, "late.db");
	fx_init_device(&fx, VIRTIO_ID_CONSOLE, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
	fx_desc(&fx, FX_DESC(0), 0, BUF(0), 64, VIRTQ_DESC_F_WRITE, 0);
	uint64_t avail = fx_publish(&fx, 0, 0);
	fx_drv(&fx, BUF(1), "tx", 2);
	for (uint32_t i = 0; i < n_tx; i++) {
		uint16_t head = (uint16_t)(i % fx.qsize);
		fx_desc(&fx, FX_DESC(1), head, BUF(1), 2, 0, 0);
		fx_publish(&fx, 1, head);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 1);
		fx_used(&fx, 1, head, 0);
		fx_irq(&fx, VIRTIO_MMIO_INT_VRING);
	}
	uint64_t notify = fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_dev(&fx, BUF(0), "world\n", 6);
	uint64_t used = fx_used(&fx, 0, 0, 6);
	uint64_t irq = fx_irq(&fx, VIRTIO_MMIO_INT_VRING);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), n_tx + 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(DISTINCT request) FROM requests"), n_tx + 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'console-tx' AND data = CAST('tx' AS BLOB) "
			       "AND seq_used > seq_notify AND seq_irq > seq_used AND length = 2"), n_tx);
	/* R was made available by a store, announced by the late notify. */
	CHECK(avail < notify);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_notify FROM requests WHERE kind = 'console-rx'"), notify);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_used FROM requests WHERE kind = 'console-rx'"), used);
	CHECK_EQ_U(fx_int(&fx, "SELECT seq_irq FROM requests WHERE kind = 'console-rx'"), irq);
	CHECK_STR(fx_text(&fx, "SELECT data FROM requests WHERE kind = 'console-rx'"), "world\n");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE kind = 'console-rx'"), 6);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Entropy: n requests complete without an interrupt, then one interrupt
 * covers them all: the first RINGS_IRQ_PENDING_MAX one by one, the rest as
 * an id range.  Both parts have rows written already and rows still in
 * memory. */
static void test_interrupt_at_the_end(void)
{
	const uint32_t n = RINGS_IRQ_PENDING_MAX + 2 * REQ_PENDING_ROWS + 7;
	struct fx fx;

	fx_open(&fx, "noirq.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t head = (uint16_t)(i % fx.qsize);
		fx_desc(&fx, FX_DESC(0), head, BUF(head), 16, VIRTQ_DESC_F_WRITE, 0);
		fx_publish(&fx, 0, head);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_used(&fx, 0, head, 16);
	}
	/* In flight when the interrupt comes: it stays without one. */
	fx_desc(&fx, FX_DESC(0), 0, BUF(0), 16, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	uint64_t irq = fx_irq(&fx, VIRTIO_MMIO_INT_VRING);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), n + 1);
	CHECK_EQ_U(fx_int(&fx, SQL("SELECT count(*) FROM requests WHERE seq_irq = %llu AND length = 16 "
				   "AND seq_used > seq_notify", (unsigned long long)irq)), n);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE seq_used IS NULL AND seq_irq IS NULL "
			       "AND request = (SELECT max(request) FROM requests)"), 1);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_late_request);
	RUN(test_interrupt_at_the_end);
	return harness_finish("test_requests_window");
}
