/* A read-only view of a running guest's RAM, shared with the VMM through a
 * memory file (QEMU: memory-backend-file,share=on).  The guest keeps
 * running while vmtrace reads it, so every copy may be torn: callers mark
 * what they copy best-effort.
 *
 * RAM starts at a base address that depends on the machine type (0 on
 * x86, 1 GiB on arm `virt`, 2 GiB on riscv64 `virt`: guest_ram_layout).
 * x86 machines put RAM at guest-physical 0 up to a "low" limit and the
 * rest at 4 GiB; the backend file holds both parts back to back.
 *
 * Errors: guest_ram_create returns 0 or a negative errno with a message in
 * err; guest_ram_layout returns 0 or a positive GUEST_RAM_E_* (no layout);
 * guest_ram_read returns true or false (nothing copied). */
#ifndef VMTRACE_QEMU_GUEST_RAM_H
#define VMTRACE_QEMU_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_RAM_HIGH_BASE (UINT64_C(1) << 32)
/* Guest RAM vmtrace agrees to map (bounds the arithmetic below). */
#define GUEST_RAM_SIZE_MAX (UINT64_C(1) << 40)
/* arm/aarch64 `virt`: RAM from 1 GiB (QEMU hw/arm/virt.c, base_memmap[]
 * VIRT_MEM = { GiB, LEGACY_RAMLIMIT_BYTES }), at most 255 GiB
 * (LEGACY_RAMLIMIT_GB: "mach-virt: cannot model more than 255GB RAM"). */
#define GUEST_RAM_ARM_VIRT_BASE (UINT64_C(1) << 30)
#define GUEST_RAM_ARM_VIRT_SIZE_MAX (UINT64_C(255) << 30)
/* riscv64 `virt`: RAM from 2 GiB (QEMU hw/riscv/virt.c, virt_memmap[]
 * VIRT_DRAM = { 0x80000000, 0x0 }: the size is the machine's RAM). */
#define GUEST_RAM_RISCV_VIRT_BASE UINT64_C(0x80000000)

/* Where a machine puts its RAM.  The first low bytes of RAM are at
 * guest-physical base, the other size - low bytes (x86 only, base 0) at
 * GUEST_RAM_HIGH_BASE. */
struct guest_ram_layout {
	uint64_t base;       /* guest-physical address of RAM's first byte */
	uint64_t low;        /* bytes from base on (all of RAM when not split) */
	const char *machine; /* machine type: the caller's, or "pc" for x86's default (not owned) */
	const char *source;  /* where the numbers come from (static) */
};

/* guest_ram_layout's positive returns. */
enum {
	GUEST_RAM_E_UNKNOWN = 1, /* no layout known for this binary and machine type */
	GUEST_RAM_E_SIZE = 2,    /* the machine cannot hold this much RAM (or 0 bytes) */
};

struct guest_ram {
	const uint8_t *map; /* backend bytes, mapped read-only; NULL when empty */
	uint64_t size;      /* bytes of RAM (and of the mapping) */
	uint64_t base;      /* guest-physical address of the first low byte */
	uint64_t low;       /* bytes at base; size - low start at 4 GiB (base 0 only) */
	int fd;             /* the memory file (memfd), -1 if not ours */
	bool owned_map;     /* map and fd came from guest_ram_create */
};

/* Where QEMU binary qemu (a path or name: qemu-system-x86_64, -i386,
 * -aarch64, -arm, -riscv64) with machine type machine ("" or NULL: the
 * binary's default) puts ram_size bytes of RAM: fills *out and returns 0,
 * GUEST_RAM_E_UNKNOWN for a binary or machine type vmtrace knows no
 * layout of (no guess is made), or GUEST_RAM_E_SIZE when ram_size is 0,
 * above GUEST_RAM_SIZE_MAX, or more than the machine can hold at its base
 * (base + size never wraps). */
int guest_ram_layout(const char *qemu, const char *machine, uint64_t ram_size, struct guest_ram_layout *out);

/* Create an anonymous memory file of size bytes (memfd) for the VMM to use
 * as guest RAM at layout l (l->low <= size; l->base != 0 only when
 * unsplit: l->low == size), and map it read-only.  g->fd has FD_CLOEXEC set: clear it
 * in the VMM's process (between fork and exec) so the VMM inherits it.
 * Returns 0 or a negative errno with a message in err. */
int guest_ram_create(struct guest_ram *g, uint64_t size, const struct guest_ram_layout *l, char *err,
		     size_t errlen);

/* View size bytes at buf as guest RAM at guest-physical 0 (tests). */
void guest_ram_wrap(struct guest_ram *g, const void *buf, uint64_t size, uint64_t low);

/* View size bytes at buf as one range of guest RAM at base (tests); an
 * empty view if base + size would wrap. */
void guest_ram_wrap_at(struct guest_ram *g, const void *buf, uint64_t base, uint64_t size);

/* Copy [gpa, gpa + len) into out.  Returns true, or false with nothing
 * copied if any byte lies outside guest RAM (below base included) or the
 * range spans the gap between low and high RAM. */
bool guest_ram_read(const struct guest_ram *g, uint64_t gpa, void *out, uint64_t len);

/* Where the first byte of low RAM ends for QEMU's x86 machine type with
 * this much RAM ("microvm", "pc", "q35", or their versioned names; NULL or
 * "": pc, QEMU's default).  Returns ram_size when everything is below
 * 4 GiB, or 0 if the machine is not one vmtrace knows the layout of. */
uint64_t guest_ram_x86_low(const char *machine, uint64_t ram_size);

void guest_ram_release(struct guest_ram *g); /* safe on a zeroed struct */

#endif
