/* Guest RAM as the emulator sees it: one contiguous region with
 * bounds-checked accessors.  Every address and length here comes from the
 * guest, so every access is checked with overflow-safe arithmetic.
 *
 * Errors: 0, or a negative errno: -EINVAL and -ENOMEM from gmem_init,
 * -EFAULT for a range outside RAM (the guest's mistake, reported by the
 * callers as a rule); gmem_ptr returns NULL instead. */
#ifndef VMTRACE_EMU_GUEST_MEM_H
#define VMTRACE_EMU_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

enum gmem_actor {
	GMEM_DRIVER = 0, /* the driver (guest) stored the bytes */
	GMEM_DEVICE = 1, /* the device stored the bytes (used ring, buffers) */
};

/* Called after every gmem_write, e.g. to record the bytes in the trace. */
typedef void (*gmem_observer_fn)(void *ctx, enum gmem_actor who, uint64_t gpa,
				 const void *data, uint64_t len);

struct guest_mem {
	uint8_t *ram;  /* host copy of guest RAM; owned (gmem_init / gmem_release) */
	uint64_t base; /* guest-physical address of ram[0] */
	uint64_t size; /* bytes */
	gmem_observer_fn observer;
	void *observer_ctx;
};

/* Guest RAM is at most this large (keeps base + size far from overflow). */
#define GMEM_SIZE_MAX (UINT64_C(1) << 40)

/* Allocate size zeroed bytes at guest-physical base. Returns 0, -EINVAL or -ENOMEM. */
int gmem_init(struct guest_mem *gm, uint64_t base, uint64_t size);
void gmem_release(struct guest_mem *gm);

/* True if [gpa, gpa + len) lies entirely inside guest RAM (no wrap). */
bool gmem_contains(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Host pointer to [gpa, gpa + len), or NULL if any byte is outside RAM. */
uint8_t *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy out of / into guest RAM. Return 0, or -EFAULT (nothing copied) if
 * the range is not inside RAM. gmem_write calls the observer. */
int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(struct guest_mem *gm, enum gmem_actor who, uint64_t gpa, const void *src, uint64_t len);

#endif
