/* See vt_record.h. */
#include "export/vt_record.h"

#include <string.h>

static void raw(struct vt_record *r, const void *p, size_t n)
{
	size_t room = VT_RECORD_MAX - r->n;

	if (n > room) {
		n = room;
		r->cut = true;
	}
	memcpy(r->b + r->n, p, n);
	r->n += (uint32_t)n;
}

void vt_u8(struct vt_record *r, uint8_t v)
{
	raw(r, &v, 1);
}

void vt_u16(struct vt_record *r, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	raw(r, b, 2);
}

void vt_u32(struct vt_record *r, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	raw(r, b, 4);
}

void vt_u64(struct vt_record *r, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	raw(r, b, 8);
}

void vt_str(struct vt_record *r, const char *s)
{
	size_t n = s ? strlen(s) : 0, room = VT_RECORD_MAX - r->n;

	if (room < 2) {
		r->cut = true;
		return;
	}
	if (n > 0xffff)
		n = 0xffff;
	if (n > room - 2) {
		n = room - 2;
		r->cut = true;
	}
	vt_u16(r, (uint16_t)n);
	raw(r, s, n);
}

void vt_bytes(struct vt_record *r, const void *p, size_t n)
{
	raw(r, p, n);
}

void vt_begin(struct vt_record *r, enum vt_kind kind, bool seq_ok, uint64_t seq, int device, uint16_t type,
	      uint32_t queue, uint64_t base)
{
	r->n = 0;
	r->cut = false;
	vt_u8(r, VT_RECORD_VERSION);
	vt_u8(r, (uint8_t)kind);
	vt_u16(r, VT_RECORD_HEADER);
	vt_u32(r, seq_ok ? 1u : 0u);
	vt_u64(r, seq_ok ? seq : 0);
	vt_u32(r, (uint32_t)device);
	vt_u16(r, type);
	vt_u16(r, queue > 0xffffu ? VT_NO_QUEUE : (uint16_t)queue);
	vt_u64(r, base);
}
