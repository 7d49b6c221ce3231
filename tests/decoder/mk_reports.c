/* Write tests/golden/in/reports.db: a blk device whose requests the device
 * also reported (VMT_EV_QUEUE), decoded by the decoder fixture: a write
 * whose copy agrees with the report, a read whose copy shows other buffer
 * counts (torn: its request comes from the report), a pop with no copy at
 * all (request from the report, last), and a write whose copy names another
 * sector than the device wrote (torn).  For the show/info golden cases of
 * the device's reports.
 *
 *   mk_reports OUT.db [EXPECTED.db]
 *
 * With EXPECTED, exit 1 if OUT is not byte for byte EXPECTED (the
 * committed file cannot drift from this generator).  Exit 2 for usage or
 * I/O errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define TOKEN(n) (UINT64_C(0x7f3cc00e9800) + 0x2c0 * (uint64_t)(n))

/* A blk request of type at descriptors head.. head + 2, published on
 * queue 0 and kicked. */
static void blk_chain(struct fx *fx, uint16_t head, uint32_t type, uint64_t sector)
{
	fx_blk_chain(fx, head, type, sector, 0xa5);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, 0);
}

/* The device's steps for one element, then its completion. */
static void device_does(struct fx *fx, int head, uint64_t token, uint64_t in, uint64_t out, bool write,
			uint64_t sector, uint64_t sectors, uint32_t len)
{
	fx_report(fx, 0, VMT_QSTEP_POP, token, in, out);
	fx_report(fx, 0, write ? VMT_QSTEP_BLK_WRITE : VMT_QSTEP_BLK_READ, token, sector, sectors);
	fx_blk_complete(fx, head, token, len);
	if (head < 0)
		return; /* no used entry in the trace: no status read to check */
	fx_mmio(fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(fx, true, MMIO_INTERRUPT_ACK, 1);
}

static int same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa && fb;

	while (same && ((ca = getc(fa)) != EOF) | ((cb = getc(fb)) != EOF))
		same = ca == cb;
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

int main(int argc, char **argv)
{
	struct fx fx;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mk_reports OUT.db [EXPECTED.db]\n");
		return 2;
	}
	fx_open_at(&fx, argv[1]);
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	/* A write the copy shows as the device took it. */
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	device_does(&fx, 0, TOKEN(0), 1, 2, true, 5, 1, 1);
	/* A read whose copy has one writable buffer fewer than the device
	 * mapped: torn. */
	blk_chain(&fx, 3, VIRTIO_BLK_T_IN, 8);
	device_does(&fx, 3, TOKEN(1), 3, 1, false, 8, 1, 513);
	/* A write whose copy names sector 16; the device wrote 17. */
	blk_chain(&fx, 5, VIRTIO_BLK_T_OUT, 16);
	device_does(&fx, 5, TOKEN(2), 1, 2, true, 17, 1, 1);
	/* A kick whose chain the trace never copied (last: a later copy of
	 * the avail ring would show the position). */
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	device_does(&fx, -1, TOKEN(3), 2, 1, false, 64, 8, 4097);
	fx_finish(&fx);
	/* 1 KiB pages keep the committed file small (as tests/golden/in's
	 * other inputs). */
	if (sqlite3_exec(fx.db, "PRAGMA page_size = 1024; VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "mk_reports: '%s': %s\n", argv[1], sqlite3_errmsg(fx.db));
		sqlite3_close(fx.db);
		return 2;
	}
	sqlite3_close(fx.db);
	if (harness_failures)
		return 2;
	if (argc == 3 && !same_bytes(argv[1], argv[2])) {
		fprintf(stderr, "mk_reports: '%s' differs from '%s' (make it again: samples/README.md)\n", argv[1], argv[2]);
		return 1;
	}
	return 0;
}
