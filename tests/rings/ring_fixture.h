/* Test fixture for the virtqueue chain walkers (virtio/split_ring.c,
 * virtio/packed_ring.c): a fake guest RAM with a hole and a torn part, read
 * through struct vring_ops, and a recorder of what the walk showed its
 * visitors.  Walker-neutral: a test puts its ring layout into rfx->ram. */
#ifndef VMTRACE_TESTS_RING_FIXTURE_H
#define VMTRACE_TESTS_RING_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/vring.h"

#define RFX_RAM_BASE UINT64_C(0x100000)
#define RFX_RAM_SIZE (UINT64_C(1) << 20)
#define RFX_REC_MAX 64u /* visits recorded; later ones only counted */

struct rfx {
	uint8_t *ram;                    /* RFX_RAM_SIZE bytes at RFX_RAM_BASE; rfx_reset allocates it */
	uint64_t missing_lo, missing_hi; /* [lo, hi): not available */
	uint64_t rough_lo, rough_hi;     /* [lo, hi): best-effort */
	unsigned reads;                  /* calls of read */
	unsigned n_desc, n_buf, n_ind;   /* calls of on_desc, on_buf, on_indirect */
	struct vring_desc desc[RFX_REC_MAX]; /* on_desc's descriptors ... */
	struct vring_place at[RFX_REC_MAX];  /* ... and their places */
	struct vring_desc buf[RFX_REC_MAX];  /* on_buf's buffers */
	uint64_t ind_table;              /* the last on_indirect's table ... */
	uint32_t ind_bytes;              /* ... and length */
	int buf_ret_at;                  /* on_buf returns buf_ret for buffer number buf_ret_at (-1: never) */
	int buf_ret;
};

/* All visitors recording into the struct rfx passed as ctx: as a trace
 * walks (bytes may be missing), as the emulator walks (all RAM readable),
 * and salvaging as the QEMU ring snapshots do. */
extern const struct vring_ops rfx_ops_trace, rfx_ops_emu, rfx_ops_salvage;
/* read and contains only. */
extern const struct vring_ops rfx_ops_bare;

/* Zero f and its RAM (allocated on the first call; exit 77, a skip, if
 * that fails); no hole, no torn part, buf_ret_at -1. */
void rfx_reset(struct rfx *f);
/* Free f's RAM. */
void rfx_release(struct rfx *f);

#endif
