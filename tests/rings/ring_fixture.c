/* Fake guest RAM and visit recorder for the walker tests; see
 * ring_fixture.h. */
#include "tests/rings/ring_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

static bool overlaps(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	return len && a < hi && lo < a + len;
}

static int rfx_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	struct rfx *f = ctx;

	f->reads++;
	if (gpa < RFX_RAM_BASE || gpa - RFX_RAM_BASE > RFX_RAM_SIZE || len > RFX_RAM_SIZE - (gpa - RFX_RAM_BASE) ||
	    overlaps(gpa, len, f->missing_lo, f->missing_hi))
		return VRING_MEM_MISSING;
	memcpy(dst, f->ram + (gpa - RFX_RAM_BASE), len);
	return overlaps(gpa, len, f->rough_lo, f->rough_hi) ? VRING_MEM_ROUGH : VRING_MEM_EXACT;
}

static bool rfx_contains(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (len && gpa + (len - 1) < gpa)
		return false;
	return gpa >= RFX_RAM_BASE && gpa - RFX_RAM_BASE <= RFX_RAM_SIZE && len <= RFX_RAM_SIZE - (gpa - RFX_RAM_BASE);
}

static int rfx_on_desc(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct rfx *f = ctx;

	if (f->n_desc < RFX_REC_MAX) {
		f->desc[f->n_desc] = *d;
		f->at[f->n_desc] = *at;
	}
	f->n_desc++;
	return 0;
}

static int rfx_on_indirect(void *ctx, uint64_t table, uint32_t bytes, const struct vring_place *at)
{
	struct rfx *f = ctx;

	(void)at;
	f->n_ind++;
	f->ind_table = table;
	f->ind_bytes = bytes;
	return 0;
}

static int rfx_on_buf(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct rfx *f = ctx;

	(void)at;
	if (f->n_buf < RFX_REC_MAX)
		f->buf[f->n_buf] = *d;
	if ((int)f->n_buf++ == f->buf_ret_at)
		return f->buf_ret;
	return 0;
}

const struct vring_ops rfx_ops_trace = {
	.read = rfx_read, .contains = rfx_contains,
	.on_desc = rfx_on_desc, .on_indirect = rfx_on_indirect, .on_buf = rfx_on_buf,
};
const struct vring_ops rfx_ops_emu = {
	.read = rfx_read, .contains = rfx_contains,
	.on_desc = rfx_on_desc, .on_indirect = rfx_on_indirect, .on_buf = rfx_on_buf,
	.mem_complete = true,
};
const struct vring_ops rfx_ops_salvage = {
	.read = rfx_read, .contains = rfx_contains,
	.on_desc = rfx_on_desc, .on_indirect = rfx_on_indirect, .on_buf = rfx_on_buf,
	.salvage = true,
};
const struct vring_ops rfx_ops_bare = { .read = rfx_read, .contains = rfx_contains };

void rfx_reset(struct rfx *f)
{
	uint8_t *ram = f->ram;

	if (!ram && !(ram = malloc(RFX_RAM_SIZE)))
		SKIP("out of memory");
	memset(f, 0, sizeof(*f));
	f->ram = ram;
	memset(f->ram, 0, RFX_RAM_SIZE);
	f->buf_ret_at = -1;
}

void rfx_release(struct rfx *f)
{
	free(f->ram);
	f->ram = NULL;
}
