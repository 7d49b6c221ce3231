/* Guest RAM with overflow-safe bounds checks. */
#include "capture/emu/guest_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int gmem_init(struct guest_mem *gm, uint64_t base, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	if (size == 0 || size > GMEM_SIZE_MAX || base > UINT64_MAX - size)
		return -EINVAL;
	/* mmap gives zeroed pages lazily, so a large RAM costs nothing until used. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	gm->ram = p;
	gm->base = base;
	gm->size = size;
	return 0;
}

void gmem_release(struct guest_mem *gm)
{
	if (!gm || !gm->ram)
		return;
	munmap(gm->ram, gm->size);
	gm->ram = NULL;
	gm->size = 0;
}

bool gmem_contains(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (!gm->ram || gpa < gm->base)
		return false;
	uint64_t off = gpa - gm->base;
	/* off <= size first, so size - off cannot wrap. */
	return off <= gm->size && len <= gm->size - off;
}

uint8_t *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (!gmem_contains(gm, gpa, len))
		return NULL;
	return gm->ram + (gpa - gm->base);
}

int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const uint8_t *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	if (len)
		memcpy(dst, p, len);
	return 0;
}

int gmem_write(struct guest_mem *gm, enum gmem_actor who, uint64_t gpa, const void *src, uint64_t len)
{
	uint8_t *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	if (len)
		memcpy(p, src, len);
	if (gm->observer)
		gm->observer(gm->observer_ctx, who, gpa, src, len);
	return 0;
}
