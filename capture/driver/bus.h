/* What the built-in driver needs from the machine it drives: register
 * access, guest memory, the interrupt line, and markers.  The emulator's
 * machine provides it (machine_bus.c); tests can provide fakes. */
#ifndef VMTRACE_DRIVER_BUS_H
#define VMTRACE_DRIVER_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct drv_bus_ops {
	uint64_t (*mmio_read)(void *ctx, uint64_t gpa, unsigned width);
	void (*mmio_write)(void *ctx, uint64_t gpa, unsigned width, uint64_t value);
	int (*mem_write)(void *ctx, uint64_t gpa, const void *src, uint64_t len);
	int (*mem_read)(void *ctx, uint64_t gpa, void *dst, uint64_t len);
	bool (*irq_pending)(void *ctx, uint64_t base);
	void (*marker)(void *ctx, const char *text);
};

struct drv_bus {
	const struct drv_bus_ops *ops;
	void *ctx;
	/* Guest-physical memory the driver may hand out (rings, buffers):
	 * a bump allocator over [alloc_next, alloc_end). */
	uint64_t alloc_next;
	uint64_t alloc_end;
};

struct machine;
/* A bus over a machine, handing out guest memory in [start, end). */
void drv_bus_from_machine(struct drv_bus *bus, struct machine *m, uint64_t start, uint64_t end);

/* Allocate len bytes aligned to align (a power of two) from the bus's
 * region; returns the guest-physical address, or 0 if it does not fit. */
uint64_t drv_bus_alloc(struct drv_bus *bus, uint64_t len, uint64_t align);

#endif
