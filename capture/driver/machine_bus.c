/* The driver's bus over an emulated machine, and the bump allocator that
 * hands out guest memory for rings and buffers. */
#include "capture/driver/bus.h"

#include "capture/emu/machine.h"

static uint64_t mb_mmio_read(void *ctx, uint64_t gpa, unsigned width)
{
	return machine_mmio_read(ctx, gpa, width);
}

static void mb_mmio_write(void *ctx, uint64_t gpa, unsigned width, uint64_t value)
{
	machine_mmio_write(ctx, gpa, width, value);
}

static int mb_mem_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	return machine_mem_write(ctx, gpa, src, len);
}

static int mb_mem_read(void *ctx, uint64_t gpa, void *dst, uint64_t len)
{
	return machine_mem_read(ctx, gpa, dst, len);
}

static bool mb_irq_pending(void *ctx, uint64_t base)
{
	return machine_irq_pending(ctx, base);
}

static void mb_marker(void *ctx, const char *text)
{
	machine_marker(ctx, text);
}

static const struct drv_bus_ops machine_bus_ops = {
	.mmio_read = mb_mmio_read,
	.mmio_write = mb_mmio_write,
	.mem_write = mb_mem_write,
	.mem_read = mb_mem_read,
	.irq_pending = mb_irq_pending,
	.marker = mb_marker,
};

void drv_bus_from_machine(struct drv_bus *bus, struct machine *m, uint64_t start, uint64_t end)
{
	bus->ops = &machine_bus_ops;
	bus->ctx = m;
	bus->alloc_next = start;
	bus->alloc_end = end;
}

/* Bump allocation: nothing is ever freed, which suits a driver that runs a
 * bounded workload once.  Address 0 doubles as the failure value, so a
 * region starting at guest-physical 0 never hands out its first byte. */
uint64_t drv_bus_alloc(struct drv_bus *bus, uint64_t len, uint64_t align)
{
	uint64_t addr;

	if (align == 0 || (align & (align - 1)) != 0 || len == 0)
		return 0;
	if (bus->alloc_next > UINT64_MAX - (align - 1))
		return 0;
	addr = (bus->alloc_next + align - 1) & ~(align - 1);
	if (addr == 0)
		addr = align;
	if (addr < bus->alloc_next || addr > bus->alloc_end || len > bus->alloc_end - addr)
		return 0;
	bus->alloc_next = addr + len;
	return addr;
}
