/* MMIO records whose width is not 1, 2, 4 or 8 (the raw format's width is a
 * byte nobody limits): each becomes one anomaly row and changes no state;
 * no shift by 64 or more (UBSan in the sanitizer run caught one in
 * config_access before). */
#include <stdio.h>

#include "decoder/decoder.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

static void test_odd_widths(void)
{
	static const uint8_t widths[] = { 0, 3, 5, 7, 9, 16, 64, 255 };
	struct fx fx;

	fx_open(&fx, "width.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	int64_t status = fx_int(&fx, "SELECT count(*) FROM reg_changes");
	for (size_t i = 0; i < sizeof(widths); i++) {
		fx_mmio_w(&fx, false, MMIO_CONFIG, widths[i], UINT64_MAX);
		fx_mmio_w(&fx, true, MMIO_CONFIG + 8, widths[i], UINT64_MAX);
		fx_mmio_w(&fx, true, MMIO_STATUS, widths[i], 0);
		fx_mmio_w(&fx, false, 0x1f8, widths[i], UINT64_MAX);
	}
	/* The good sizes still work after them. */
	fx_mmio_w(&fx, false, MMIO_CONFIG, 8, UINT64_C(0x0102030405060708));
	fx_mmio_w(&fx, false, MMIO_CONFIG + 8, 1, 0x1ff);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'register-width'"), 4 * sizeof(widths));
	CHECK(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE message LIKE '16-byte write at offset 0x108 recorded%'") == 1);
	/* No status change from the odd-width Status writes. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM reg_changes"), (uint64_t)status);
	/* Config holds only the well-formed reads: 8 bytes, then 1 (masked to a byte). */
	CHECK_STR(fx_text(&fx, "SELECT hex(config) FROM devices"), "0807060504030201FF");
	/* Every event is still a row, with its recorded width. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM events WHERE type = 'mmio' AND width = 255"), 4);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_odd_widths);
	return harness_finish("test_mmio_width");
}
