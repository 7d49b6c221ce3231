/* Read-only view of guest RAM through a shared memory file (guest_ram.h). */
#include "capture/qemu/guest_ram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)

int guest_ram_create(struct guest_ram *g, uint64_t size, const struct guest_ram_layout *l, char *err,
		     size_t errlen)
{
	uint64_t low = l->low;
	void *map;
	int fd, r;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	/* A split layout is x86's, at 0; a range at base must not wrap. */
	if (size == 0 || size > GUEST_RAM_SIZE_MAX || low > size || (l->base != 0 && low != size) ||
	    l->base > UINT64_MAX - size) {
		snprintf(err, errlen, "guest RAM size %llu is out of range", (unsigned long long)size);
		return -EINVAL;
	}
	/* Close-on-exec like every descriptor of ours: the caller clears
	 * it in the VMM's process only, which opens it as /dev/fd/N. */
	fd = memfd_create("vmtrace-guest-ram", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "unable to create the guest RAM file: %s", strerror(errno));
		return r;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		r = -errno;
		snprintf(err, errlen, "unable to size the guest RAM file to %llu bytes: %s",
			 (unsigned long long)size, strerror(errno));
		close(fd);
		return r;
	}
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "unable to map the guest RAM file: %s", strerror(errno));
		close(fd);
		return r;
	}
	g->map = map;
	g->size = size;
	g->base = l->base;
	g->low = low;
	g->fd = fd;
	g->owned_map = true;
	return 0;
}

void guest_ram_wrap(struct guest_ram *g, const void *buf, uint64_t size, uint64_t low)
{
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->map = buf;
	g->size = size;
	g->low = low > size ? size : low;
}

void guest_ram_wrap_at(struct guest_ram *g, const void *buf, uint64_t base, uint64_t size)
{
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (base > UINT64_MAX - size)
		return;
	g->map = buf;
	g->size = size;
	g->base = base;
	g->low = size;
}

bool guest_ram_read(const struct guest_ram *g, uint64_t gpa, void *out, uint64_t len)
{
	uint64_t off;

	if (!g->map || len > g->size)
		return false;
	if (gpa >= g->base && gpa - g->base < g->low) {
		if (len > g->low - (gpa - g->base))
			return false;
		off = gpa - g->base;
	} else if (g->base == 0 && gpa >= GUEST_RAM_HIGH_BASE) {
		uint64_t high = g->size - g->low;
		uint64_t rel = gpa - GUEST_RAM_HIGH_BASE;
		if (rel >= high || len > high - rel)
			return false;
		off = g->low + rel;
	} else {
		return false;
	}
	memcpy(out, g->map + off, (size_t)len);
	return true;
}

/* QEMU's x86 machines (hw/i386/microvm.c, pc_piix.c, pc_q35.c): RAM that
 * does not fit below the PCI/MMIO hole continues at 4 GiB. */
uint64_t guest_ram_x86_low(const char *machine, uint64_t ram_size)
{
	if (!machine || !*machine)
		machine = "pc";
	if (strncmp(machine, "microvm", 7) == 0)
		return ram_size > 3 * GIB ? 3 * GIB : ram_size;
	if (strncmp(machine, "q35", 3) == 0 || strncmp(machine, "pc-q35", 6) == 0)
		return ram_size >= 0xb0000000u ? 2 * GIB : ram_size;
	if (strcmp(machine, "pc") == 0 || strncmp(machine, "pc-i440fx", 9) == 0)
		return ram_size >= 0xe0000000u ? 3 * GIB : ram_size;
	return 0; /* not a machine type vmtrace knows: no guess */
}

enum qemu_arch { ARCH_UNKNOWN, ARCH_X86, ARCH_ARM, ARCH_RISCV64 };

/* The target of QEMU binary qemu, from its file name. */
static enum qemu_arch qemu_arch_of(const char *qemu)
{
	static const struct {
		const char *name;
		enum qemu_arch arch;
	} bins[] = {
		{ "qemu-system-x86_64", ARCH_X86 }, { "qemu-system-i386", ARCH_X86 },
		{ "qemu-system-aarch64", ARCH_ARM }, { "qemu-system-arm", ARCH_ARM },
		{ "qemu-system-riscv64", ARCH_RISCV64 },
	};
	const char *base;

	if (!qemu)
		return ARCH_UNKNOWN;
	base = strrchr(qemu, '/');
	base = base ? base + 1 : qemu;
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		if (strcmp(base, bins[i].name) == 0)
			return bins[i].arch;
	return ARCH_UNKNOWN;
}

/* Is machine "virt" or one of arm's versioned "virt-X.Y"? */
static bool is_virt(const char *machine, bool versioned)
{
	if (strcmp(machine, "virt") == 0)
		return true;
	return versioned && strncmp(machine, "virt-", 5) == 0 && machine[5] >= '0' && machine[5] <= '9';
}

int guest_ram_layout(const char *qemu, const char *machine, uint64_t ram_size, struct guest_ram_layout *out)
{
	enum qemu_arch arch = qemu_arch_of(qemu);
	uint64_t base, max;

	memset(out, 0, sizeof(*out));
	if (!machine)
		machine = "";
	out->machine = *machine ? machine : arch == ARCH_X86 ? "pc" : "";
	switch (arch) {
	case ARCH_X86:
		if (ram_size == 0 || ram_size > GUEST_RAM_SIZE_MAX)
			return GUEST_RAM_E_SIZE;
		out->low = guest_ram_x86_low(machine, ram_size);
		if (out->low == 0)
			return GUEST_RAM_E_UNKNOWN;
		out->source = "QEMU hw/i386/microvm.c, pc_piix.c, pc_q35.c: RAM at 0, above the PCI hole at 4 GiB";
		return 0;
	case ARCH_ARM:
		/* No default machine: QEMU refuses to start without -M. */
		if (!is_virt(machine, true))
			return GUEST_RAM_E_UNKNOWN;
		base = GUEST_RAM_ARM_VIRT_BASE;
		max = GUEST_RAM_ARM_VIRT_SIZE_MAX;
		out->source = "QEMU hw/arm/virt.c base_memmap[VIRT_MEM]: RAM at 1 GiB";
		break;
	case ARCH_RISCV64:
		/* The default machine is spike, whose layout is not known here. */
		if (!is_virt(machine, false))
			return GUEST_RAM_E_UNKNOWN;
		base = GUEST_RAM_RISCV_VIRT_BASE;
		max = GUEST_RAM_SIZE_MAX;
		out->source = "QEMU hw/riscv/virt.c virt_memmap[VIRT_DRAM]: RAM at 2 GiB";
		break;
	default:
		return GUEST_RAM_E_UNKNOWN;
	}
	if (ram_size == 0 || ram_size > max || ram_size > GUEST_RAM_SIZE_MAX || base > UINT64_MAX - ram_size)
		return GUEST_RAM_E_SIZE;
	out->base = base;
	out->low = ram_size;
	return 0;
}

void guest_ram_release(struct guest_ram *g)
{
	/* Only what guest_ram_create made is ours to undo. */
	if (g->owned_map) {
		munmap((void *)g->map, (size_t)g->size);
		if (g->fd >= 0)
			close(g->fd);
	}
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}
