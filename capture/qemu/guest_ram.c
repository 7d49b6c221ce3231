/* Read-only view of guest RAM through a shared memory file (guest_ram.h). */
#include "capture/qemu/guest_ram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)

int guest_ram_create(struct guest_ram *g, uint64_t size, uint64_t low, char *err, size_t errlen)
{
	void *map;
	int fd, r;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (size == 0 || size > GUEST_RAM_SIZE_MAX || low > size) {
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

bool guest_ram_read(const struct guest_ram *g, uint64_t gpa, void *out, uint64_t len)
{
	uint64_t off;

	if (!g->map || len > g->size)
		return false;
	if (gpa < g->low) {
		if (len > g->low - gpa)
			return false;
		off = gpa;
	} else if (gpa >= GUEST_RAM_HIGH_BASE) {
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
	if (!machine)
		machine = "pc";
	if (strncmp(machine, "microvm", 7) == 0)
		return ram_size > 3 * GIB ? 3 * GIB : ram_size;
	if (strncmp(machine, "q35", 3) == 0 || strncmp(machine, "pc-q35", 6) == 0)
		return ram_size >= 0xb0000000u ? 2 * GIB : ram_size;
	if (strcmp(machine, "pc") == 0 || strncmp(machine, "pc-i440fx", 9) == 0)
		return ram_size >= 0xe0000000u ? 3 * GIB : ram_size;
	/* Every x86 machine keeps its first 2 GiB of RAM at 0. */
	return ram_size <= 2 * GIB ? ram_size : 0;
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
