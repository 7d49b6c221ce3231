/* See fmt_device.h. */
#include "format/fmt_device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"

#define LEGACY_PAGE_DEFAULT 4096u  /* GuestPageSize not written: Linux's value */
#define LEGACY_ALIGN_DEFAULT 4096u /* QueueAlign not written: the spec's example */

int fmt_ctx_new(struct fmt_ctx **out)
{
	struct fmt_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void fmt_ctx_free(struct fmt_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->dev[i]);
	free(c);
}

struct fmt_device *fmt_ctx_find(const struct fmt_ctx *c, uint64_t base)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->dev[i]->base == base)
			return c->dev[i];
	return NULL;
}

struct fmt_device *fmt_ctx_device(struct fmt_ctx *c, uint64_t base)
{
	struct fmt_device *d = fmt_ctx_find(c, base);

	if (d)
		return d;
	if (c->n >= FMT_DEVICES_MAX)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->base = base;
	c->dev[c->n++] = d;
	return d;
}

void fmt_device_set_name(struct fmt_device *d, const char *name)
{
	size_t n = name ? strnlen(name, FMT_NAME_MAX - 1) : 0;

	memcpy(d->name, name ? name : "", n);
	d->name[n] = '\0';
}

void fmt_device_reset(struct fmt_device *d)
{
	d->dev_features_sel = 0;
	d->drv_features_sel = 0;
	d->queue_sel = 0;
	d->unknown = 0; /* a reset sets every selector to 0 */
	d->drv_features = 0;
	memset(d->q, 0, sizeof(d->q));
}

/* Replace the low or high half of *v. */
static void set_half(uint64_t *v, bool high, uint32_t x)
{
	if (high)
		*v = (*v & 0xffffffffu) | (uint64_t)x << 32;
	else
		*v = (*v & ~(uint64_t)0xffffffffu) | x;
}

/* One queue address register pair (Low at off, High at off + 4). */
static void track_addr(uint64_t *a, uint32_t reg, uint32_t off, unsigned width, uint64_t v)
{
	if (width == 8 && off == reg)
		*a = v; /* both halves in one access */
	else
		set_half(a, off == reg + 4, (uint32_t)v);
}

void fmt_device_track(struct fmt_device *d, const struct vmt_event *ev)
{
	struct fmt_queue *q;
	uint32_t off, v32;

	if (ev->type != VMT_EV_MMIO || ev->addr >= MMIO_CONFIG)
		return;
	off = (uint32_t)ev->addr;
	v32 = (uint32_t)ev->value;
	/* Only whole registers: a narrower or misaligned access changes
	 * bytes of one, which vmtrace does not guess at. */
	if ((off & 3u) || !(ev->width == 4 || ev->width == 8))
		return;
	if (ev->dir != VMT_DIR_WRITE) {
		if (off == MMIO_VERSION && (v32 == VIRTIO_MMIO_VERSION_LEGACY || v32 == VIRTIO_MMIO_VERSION_MODERN))
			d->version = v32;
		else if (off == MMIO_DEVICE_ID && v32 != 0)
			d->device_id = v32;
		return;
	}
	q = d->queue_sel < FMT_QUEUES_MAX && !(d->unknown & FMT_UNKNOWN_QUEUE_SEL) ? &d->q[d->queue_sel] : NULL;
	switch (off) {
	case MMIO_DEVICE_FEATURES_SEL:
		d->dev_features_sel = v32;
		d->unknown &= ~FMT_UNKNOWN_DEV_FEATURES_SEL;
		break;
	case MMIO_DRIVER_FEATURES_SEL:
		d->drv_features_sel = v32;
		d->unknown &= ~FMT_UNKNOWN_DRV_FEATURES_SEL;
		break;
	case MMIO_DRIVER_FEATURES:
		/* Words past 1 name no feature vmtrace knows; a word the
		 * caller could not give the selector of is not guessed. */
		if (!(d->unknown & FMT_UNKNOWN_DRV_FEATURES_SEL) && d->drv_features_sel < 2)
			set_half(&d->drv_features, d->drv_features_sel == 1, v32);
		break;
	case MMIO_GUEST_PAGE_SIZE: d->page_size = v32; break;
	case MMIO_QUEUE_SEL:
		d->queue_sel = v32;
		d->unknown &= ~FMT_UNKNOWN_QUEUE_SEL;
		break;
	case MMIO_STATUS:
		if (v32 == 0)
			fmt_device_reset(d);
		break;
	}
	if (!q)
		return;
	switch (off) {
	case MMIO_QUEUE_NUM: q->num = v32; break;
	case MMIO_QUEUE_ALIGN: q->align = v32; break;
	case MMIO_QUEUE_PFN: q->pfn = v32; break;
	case MMIO_QUEUE_READY: q->ready = v32 & 1u; break;
	case MMIO_QUEUE_RESET:
		if (v32 & 1u)
			memset(q, 0, sizeof(*q));
		break;
	case MMIO_QUEUE_DESC_LOW:
	case MMIO_QUEUE_DESC_HIGH:
		track_addr(&q->desc, MMIO_QUEUE_DESC_LOW, off, ev->width, ev->value);
		break;
	case MMIO_QUEUE_DRIVER_LOW:
	case MMIO_QUEUE_DRIVER_HIGH:
		track_addr(&q->driver, MMIO_QUEUE_DRIVER_LOW, off, ev->width, ev->value);
		break;
	case MMIO_QUEUE_DEVICE_LOW:
	case MMIO_QUEUE_DEVICE_HIGH:
		track_addr(&q->device, MMIO_QUEUE_DEVICE_LOW, off, ev->width, ev->value);
		break;
	}
}

void fmt_ctx_track(struct fmt_ctx *c, const struct vmt_event *ev)
{
	struct fmt_device *d;

	if (ev->type != VMT_EV_MMIO)
		return;
	d = fmt_ctx_device(c, ev->base);
	if (d)
		fmt_device_track(d, ev);
}

/* True if an area of size bytes at start stays below 2^64 (size > 0). */
static bool fits(uint64_t start, uint64_t size)
{
	return size > 0 && size - 1 <= UINT64_MAX - start;
}

static void place(uint64_t start, uint64_t size, uint64_t *a, uint64_t *a_size)
{
	*a = start;
	*a_size = start != 0 && fits(start, size) ? size : 0;
}

bool fmt_device_packed(const struct fmt_device *d)
{
	return (d->drv_features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) != 0;
}

bool fmt_queue_areas(const struct fmt_device *d, uint32_t qi, struct fmt_areas *a)
{
	const struct fmt_queue *q;
	uint64_t num, desc_bytes, driver_bytes, device_bytes;

	memset(a, 0, sizeof(*a));
	if (qi >= FMT_QUEUES_MAX)
		return false;
	q = &d->q[qi];
	if (q->num == 0 || q->num > VIRTQ_SIZE_MAX)
		return false;
	num = q->num;
	a->num = q->num;
	a->packed = fmt_device_packed(d);
	/* Both layouts have num 16-byte descriptors; a packed ring's other
	 * two areas are its 4-byte event suppression structures. */
	desc_bytes = virtq_desc_bytes(q->num);
	driver_bytes = a->packed ? PACKED_EVENT_SIZE : virtq_avail_bytes(q->num);
	device_bytes = a->packed ? PACKED_EVENT_SIZE : virtq_used_bytes(q->num);
	if (q->pfn && d->version != VIRTIO_MMIO_VERSION_MODERN) {
		/* Legacy: one contiguous region at PFN * page size; the used
		 * ring starts at the next QueueAlign boundary.  (A legacy
		 * driver cannot accept RING_PACKED, a word-1 feature; one
		 * that wrote it anyway gets its areas where the decoder puts
		 * them: at the split ring's addresses.) */
		uint64_t page = d->page_size ? d->page_size : LEGACY_PAGE_DEFAULT;
		uint64_t align = q->align ? q->align : LEGACY_ALIGN_DEFAULT;
		uint64_t desc = (uint64_t)q->pfn * page; /* < 2^64: both below 2^32 */
		uint64_t avail, end;

		if (!fits(desc, virtq_desc_bytes(q->num)))
			return true;
		place(desc, desc_bytes, &a->desc, &a->desc_size);
		avail = desc + virtq_desc_bytes(q->num);
		if (!fits(avail, virtq_avail_bytes(q->num)))
			return true;
		place(avail, driver_bytes, &a->avail, &a->avail_size);
		if (virtq_avail_bytes(q->num) > UINT64_MAX - avail)
			return true; /* the avail ring ends at 2^64 exactly */
		end = avail + 6 + 2 * num;
		if ((align & (align - 1)) != 0 || end > UINT64_MAX - (align - 1))
			return true; /* not a power of two, or wraps: no used ring */
		place((end + align - 1) & ~(align - 1), device_bytes, &a->used, &a->used_size);
		return true;
	}
	place(q->desc, desc_bytes, &a->desc, &a->desc_size);
	place(q->driver, driver_bytes, &a->avail, &a->avail_size);
	place(q->device, device_bytes, &a->used, &a->used_size);
	return true;
}
