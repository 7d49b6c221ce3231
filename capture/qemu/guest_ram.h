/* A read-only view of a running guest's RAM, shared with the VMM through a
 * memory file (QEMU: memory-backend-file,share=on).  The guest keeps
 * running while vmtrace reads it, so every copy may be torn: callers mark
 * what they copy best-effort.
 *
 * x86 machines put RAM at guest-physical 0 up to a "low" limit and the
 * rest at 4 GiB; the backend file holds both parts back to back.
 *
 * Errors: guest_ram_create returns 0 or a negative errno with a message in
 * err; guest_ram_read returns true or false (nothing copied). */
#ifndef VMTRACE_QEMU_GUEST_RAM_H
#define VMTRACE_QEMU_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_RAM_HIGH_BASE (UINT64_C(1) << 32)
/* Guest RAM vmtrace agrees to map (bounds the arithmetic below). */
#define GUEST_RAM_SIZE_MAX (UINT64_C(1) << 40)

struct guest_ram {
	const uint8_t *map; /* backend bytes, mapped read-only; NULL when empty */
	uint64_t size;      /* bytes of RAM (and of the mapping) */
	uint64_t low;       /* bytes at guest-physical 0; size - low start at 4 GiB */
	int fd;             /* the memory file (memfd), -1 if not ours */
	bool owned_map;     /* map and fd came from guest_ram_create */
};

/* Create an anonymous memory file of size bytes (memfd) for the VMM to use
 * as guest RAM, and map it read-only.  g->fd has FD_CLOEXEC set: clear it
 * in the VMM's process (between fork and exec) so the VMM inherits it.
 * Returns 0 or a negative errno with a message in err. */
int guest_ram_create(struct guest_ram *g, uint64_t size, uint64_t low, char *err, size_t errlen);

/* View size bytes at buf as guest RAM (tests). */
void guest_ram_wrap(struct guest_ram *g, const void *buf, uint64_t size, uint64_t low);

/* Copy [gpa, gpa + len) into out.  Returns true, or false with nothing
 * copied if any byte lies outside guest RAM or the range spans the gap
 * between low and high RAM. */
bool guest_ram_read(const struct guest_ram *g, uint64_t gpa, void *out, uint64_t len);

/* Where the first byte of low RAM ends for QEMU's x86 machine type with
 * this much RAM ("microvm", "pc", "q35", or their versioned names).
 * Returns ram_size when everything is below 4 GiB, or 0 if the machine is
 * not one vmtrace knows the layout of and RAM is too big to guess. */
uint64_t guest_ram_x86_low(const char *machine, uint64_t ram_size);

void guest_ram_release(struct guest_ram *g); /* safe on a zeroed struct */

#endif
