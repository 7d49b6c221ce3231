/* See fmt_mem.h. */
#include "format/fmt_mem.h"

#include <inttypes.h>

#include "capture/event.h"
#include "format/fmt_device.h"
#include "format/fmt_out.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

/* Areas an event crossing several is said to span, at most. */
#define SPAN_LIST_MAX 4

enum area { AREA_DESC, AREA_AVAIL, AREA_USED };
static const char *const area_name[] = { "desc", "avail", "used" };
/* A packed ring's areas: the descriptor ring and the two event
 * suppression structures (QueueDriver, QueueDevice). */
static const char *const packed_area_name[] = { "desc", "driver event", "device event" };

static const char *name_of(enum area a, bool packed)
{
	return packed ? packed_area_name[a] : area_name[a];
}

/* The bytes of one memory event, with bounds: data may be NULL (the
 * trace.db was decoded without memory, or the caller did not load it). */
struct span {
	uint64_t off; /* of the event's first byte in the area */
	uint64_t len; /* bytes of the event (all inside the area) */
	const uint8_t *data;
};

/* Whether the field [foff, foff + fsize) of the area is wholly inside the
 * event and its bytes are at hand; *p points at them. */
static bool field_bytes(const struct span *s, uint64_t foff, uint64_t fsize, const uint8_t **p)
{
	if (!s->data || foff < s->off || foff - s->off > s->len || fsize > s->len - (foff - s->off))
		return false;
	*p = s->data + (foff - s->off);
	return true;
}

/* Append the names of the flags in bits (unknown ones as hex after them);
 * "0" for none. */
static void flag_names(struct fmt_out *o, uint16_t flags, const uint16_t *bit, const char *const *name, size_t n)
{
	const char *sep = "";
	uint16_t rest = flags;

	if (flags == 0) {
		fmt_out_printf(o, "0");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (flags & bit[i]) {
			fmt_out_printf(o, "%s%s", sep, name[i]);
			sep = "|";
			rest &= (uint16_t)~bit[i];
		}
	}
	if (rest)
		fmt_out_printf(o, "%s0x%x", sep, rest);
}

void fmt_desc_flags(struct fmt_out *o, uint16_t flags)
{
	static const uint16_t bit[] = { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT };
	static const char *const name[] = { "NEXT", "WRITE", "INDIRECT" };

	flag_names(o, flags, bit, name, sizeof(bit) / sizeof(bit[0]));
}

void fmt_packed_desc_flags(struct fmt_out *o, uint16_t flags)
{
	static const uint16_t bit[] = { PACKED_DESC_F_AVAIL, PACKED_DESC_F_USED, VIRTQ_DESC_F_NEXT,
					VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT };
	static const char *const name[] = { "AVAIL", "USED", "NEXT", "WRITE", "INDIRECT" };
	bool a = flags & PACKED_DESC_F_AVAIL, u = flags & PACKED_DESC_F_USED;

	flag_names(o, flags, bit, name, sizeof(bit) / sizeof(bit[0]));
	/* What the two bits say, for whichever side's wrap counter matches:
	 * available when they differ (for the driver wrap counter AVAIL),
	 * used when they are equal (for the device wrap counter both). */
	fmt_out_printf(o, " (%s, wrap %d)", a != u ? "avail" : "used", a ? 1 : 0);
}

/* The fields of one descriptor, for either layout: split (addr, len,
 * flags, next) and packed (addr, len, id, flags). */
enum desc_field_kind { DF_ADDR, DF_LEN, DF_FLAGS, DF_NUM };
struct desc_field {
	unsigned off, size;
	enum desc_field_kind kind;
	const char *name;
};
static const struct desc_field split_fields[] = {
	{ 0, 8, DF_ADDR, "addr" }, { 8, 4, DF_LEN, "len" }, { 12, 2, DF_FLAGS, "flags" }, { 14, 2, DF_NUM, "next" },
};
static const struct desc_field packed_fields[] = {
	{ 0, 8, DF_ADDR, "addr" }, { 8, 4, DF_LEN, "len" }, { 12, 2, DF_NUM, "id" }, { 14, 2, DF_FLAGS, "flags" },
};
#define DESC_FIELDS 4

/* The value of field f at p (its f->size bytes). */
static void desc_field_value(struct fmt_out *o, const struct desc_field *f, bool packed, const uint8_t *p)
{
	switch (f->kind) {
	case DF_ADDR: fmt_out_printf(o, "0x%" PRIx64, le64_get(p)); break;
	case DF_LEN: fmt_out_printf(o, "%" PRIu32, le32_get(p)); break;
	case DF_NUM: fmt_out_printf(o, "%u", le16_get(p)); break;
	case DF_FLAGS:
		if (packed)
			fmt_packed_desc_flags(o, le16_get(p));
		else
			fmt_desc_flags(o, le16_get(p));
		break;
	}
}

/* A descriptor table (split) or ring (packed) event: one descriptor whole
 * ("q0 desc[3] addr=.. len=.. flags=.. next=.." / "... len=.. id=..
 * flags=.."), one field ("q0 desc[3].len 512"), whole fields of one
 * ("q0 desc[3] len=512 id=0"), several descriptors or the whole area. */
static void name_desc(struct fmt_out *o, unsigned q, uint32_t num, bool packed, const struct span *s)
{
	const struct desc_field *fields = packed ? packed_fields : split_fields;
	const char *area = packed ? "desc ring" : "desc table";
	uint64_t first = s->off / VIRTQ_DESC_SIZE, last = (s->off + s->len - 1) / VIRTQ_DESC_SIZE;
	unsigned in = (unsigned)(s->off % VIRTQ_DESC_SIZE);
	uint64_t end_in = in + s->len; /* <= 16 when first == last */
	size_t fa = DESC_FIELDS, fb = DESC_FIELDS;
	const uint8_t *p;

	if (s->len == 0) {
		fmt_out_printf(o, "q%u desc[%" PRIu64 "] (0 bytes)", q, first);
		return;
	}
	if (in == 0 && first == 0 && s->len == VIRTQ_DESC_SIZE * (last + 1) && last > 0 &&
	    s->len == VIRTQ_DESC_SIZE * (uint64_t)num) {
		fmt_out_printf(o, "q%u %s (%" PRIu32 " entries)", q, area, num);
		return;
	}
	if (first != last) {
		fmt_out_printf(o, "q%u desc[%" PRIu64 "..%" PRIu64 "]", q, first, last);
		if (in || s->len % VIRTQ_DESC_SIZE)
			fmt_out_printf(o, " (%" PRIu64 " bytes at +0x%x)", s->len, in);
		return;
	}
	if (in == 0 && s->len == VIRTQ_DESC_SIZE) {
		fmt_out_printf(o, "q%u desc[%" PRIu64 "]", q, first);
		if (field_bytes(s, first * VIRTQ_DESC_SIZE, VIRTQ_DESC_SIZE, &p)) {
			struct vring_desc d;
			if (packed) {
				packed_ring_desc_decode(p, &d);
				fmt_out_printf(o, " addr=0x%" PRIx64 " len=%" PRIu32 " id=%u flags=", d.addr, d.len,
					       d.next);
				fmt_packed_desc_flags(o, d.flags);
			} else {
				split_ring_desc_decode(p, &d);
				fmt_out_printf(o, " addr=0x%" PRIx64 " len=%" PRIu32 " flags=", d.addr, d.len);
				fmt_desc_flags(o, d.flags);
				if ((d.flags & VIRTQ_DESC_F_NEXT) || d.next)
					fmt_out_printf(o, " next=%u", d.next);
			}
		}
		return;
	}
	/* The fields the event starts and ends with, when it starts and
	 * ends on field boundaries. */
	for (size_t i = 0; i < DESC_FIELDS; i++) {
		if (fields[i].off == in)
			fa = i;
		if (fields[i].off + fields[i].size == end_in)
			fb = i;
	}
	if (fa < DESC_FIELDS && fb < DESC_FIELDS && fa == fb) {
		fmt_out_printf(o, "q%u desc[%" PRIu64 "].%s", q, first, fields[fa].name);
		if (field_bytes(s, s->off, s->len, &p)) {
			fmt_out_printf(o, " ");
			desc_field_value(o, &fields[fa], packed, p);
		}
		return;
	}
	if (fa < DESC_FIELDS && fb < DESC_FIELDS && fa < fb) {
		fmt_out_printf(o, "q%u desc[%" PRIu64 "]", q, first);
		for (size_t i = fa; i <= fb; i++) {
			fmt_out_printf(o, " %s", fields[i].name);
			if (field_bytes(s, first * VIRTQ_DESC_SIZE + fields[i].off, fields[i].size, &p)) {
				fmt_out_printf(o, "=");
				desc_field_value(o, &fields[i], packed, p);
			}
		}
		return;
	}
	fmt_out_printf(o, "q%u desc[%" PRIu64 "] +0x%x (%" PRIu64 " bytes)", q, first, in, s->len);
}

/* Append a packed event suppression structure's desc word:
 * "0x8005 (off 5 wrap 1)". */
static void event_off_wrap(struct fmt_out *o, uint16_t v)
{
	fmt_out_printf(o, "0x%x (off %u wrap %u)", v, v & 0x7fffu, v >> 15);
}

/* Append its flags word: ENABLE, DISABLE, DESC (bits 0..1), other bits as
 * hex after them. */
static void event_flags(struct fmt_out *o, uint16_t v)
{
	static const char *const mode[] = { "ENABLE", "DISABLE", "DESC", "3" };

	fmt_out_printf(o, "%s", mode[v & 3u]);
	if (v & ~3u)
		fmt_out_printf(o, "|0x%x", v & ~3u);
}

/* A packed ring's driver or device event suppression structure (le16
 * off_wrap, le16 flags): both fields, one, or other bytes of it. */
static void name_event(struct fmt_out *o, unsigned q, enum area a, const struct span *s)
{
	const char *an = name_of(a, true);
	const uint8_t *p;

	if (s->len == 0 || !((s->off == 0 || s->off == 2) && (s->off + s->len == 2 || s->off + s->len == 4))) {
		fmt_out_printf(o, "q%u %s +0x%" PRIx64 " (%" PRIu64 " bytes)", q, an, s->off, s->len);
		return;
	}
	fmt_out_printf(o, "q%u %s", q, an);
	if (s->off == 0) {
		fmt_out_printf(o, " off_wrap");
		if (field_bytes(s, 0, 2, &p)) {
			fmt_out_printf(o, "=");
			event_off_wrap(o, le16_get(p));
		}
	}
	if (s->off + s->len == 4) {
		fmt_out_printf(o, " flags");
		if (field_bytes(s, 2, 2, &p)) {
			fmt_out_printf(o, "=");
			event_flags(o, le16_get(p));
		}
	}
}

/* An avail or used ring event: flags, idx, ring[num] of elem bytes, then
 * the event word (used_event in avail, avail_event in used). */
static void name_ring(struct fmt_out *o, unsigned q, enum area a, uint32_t num, const struct span *s)
{
	bool used = a == AREA_USED;
	uint64_t elem = used ? VIRTQ_USED_ELEM_SIZE : 2;
	uint64_t ring_end = 4 + elem * num, end = s->off + s->len; /* both <= area size: no wrap */
	const char *an = area_name[a], *ev_name = used ? "avail_event" : "used_event";
	const uint8_t *p;

	if (s->len == 0) {
		fmt_out_printf(o, "q%u %s +0x%" PRIx64 " (0 bytes)", q, an, s->off);
		return;
	}
	/* One field exactly. */
	if (s->off == 0 && s->len == 2) {
		fmt_out_printf(o, "q%u %s.flags", q, an);
		if (field_bytes(s, 0, 2, &p)) {
			uint16_t f = le16_get(p);
			fmt_out_printf(o, " 0x%x", f);
			if (f & 1u)
				fmt_out_printf(o, " %s", used ? "NO_NOTIFY" : "NO_INTERRUPT");
		}
		return;
	}
	if (s->off == 2 && s->len == 2) {
		fmt_out_printf(o, "q%u %s.idx", q, an);
		if (field_bytes(s, 2, 2, &p))
			fmt_out_printf(o, " %u", le16_get(p));
		return;
	}
	if (s->off == ring_end && s->len == 2) {
		fmt_out_printf(o, "q%u %s.%s", q, an, ev_name);
		if (field_bytes(s, ring_end, 2, &p))
			fmt_out_printf(o, " %u", le16_get(p));
		return;
	}
	if (s->off >= 4 && end <= ring_end && (s->off - 4) / elem == (end - 1 - 4) / elem) {
		uint64_t i = (s->off - 4) / elem, in = (s->off - 4) % elem;
		if (!used && in == 0 && s->len == 2) {
			fmt_out_printf(o, "q%u avail.ring[%" PRIu64 "]", q, i);
			if (field_bytes(s, s->off, 2, &p))
				fmt_out_printf(o, " head %u", le16_get(p));
			return;
		}
		if (used && in == 0 && s->len == 8) {
			fmt_out_printf(o, "q%u used.ring[%" PRIu64 "]", q, i);
			if (field_bytes(s, s->off, 8, &p))
				fmt_out_printf(o, " id %" PRIu32 " len %" PRIu32, le32_get(p), le32_get(p + 4));
			return;
		}
		if (used && (in == 0 || in == 4) && s->len == 4) {
			fmt_out_printf(o, "q%u used.ring[%" PRIu64 "].%s", q, i, in ? "len" : "id");
			if (field_bytes(s, s->off, 4, &p))
				fmt_out_printf(o, " %" PRIu32, le32_get(p));
			return;
		}
		fmt_out_printf(o, "q%u %s.ring[%" PRIu64 "] +%" PRIu64 " (%" PRIu64 " bytes)", q, an, i, in, s->len);
		return;
	}
	/* The whole area (a snapshot, the set-up's zeroing): its size, and
	 * the index and flags when the bytes are there. */
	if (s->off == 0 && end == ring_end + 2) {
		fmt_out_printf(o, "q%u %s ring (%" PRIu32 " entries)", q, an, num);
		if (field_bytes(s, 0, 4, &p))
			fmt_out_printf(o, " idx=%u flags=0x%x", le16_get(p + 2), le16_get(p));
		if (field_bytes(s, ring_end, 2, &p))
			fmt_out_printf(o, " %s=%u", ev_name, le16_get(p));
		return;
	}
	/* Several fields: a summary, with the values of flags, idx and the
	 * event word when they are wholly there. */
	fmt_out_printf(o, "q%u %s", q, an);
	if (s->off < 2) {
		fmt_out_printf(o, " flags");
		if (field_bytes(s, 0, 2, &p))
			fmt_out_printf(o, "=0x%x", le16_get(p));
	}
	if (s->off < 4 && end > 2) {
		fmt_out_printf(o, " idx");
		if (field_bytes(s, 2, 2, &p))
			fmt_out_printf(o, "=%u", le16_get(p));
	}
	if (end > 4 && s->off < ring_end) {
		uint64_t lo = s->off > 4 ? (s->off - 4) / elem : 0;
		uint64_t hi = (end < ring_end ? end - 4 - 1 : ring_end - 4 - 1) / elem;
		if (lo == hi)
			fmt_out_printf(o, " ring[%" PRIu64 "]", lo);
		else
			fmt_out_printf(o, " ring[%" PRIu64 "..%" PRIu64 "]", lo, hi);
	}
	if (end > ring_end) {
		fmt_out_printf(o, " %s", ev_name);
		if (field_bytes(s, ring_end, 2, &p))
			fmt_out_printf(o, "=%u", le16_get(p));
	}
}

/* Whether [addr, addr + len) lies wholly in the area [start, start + size);
 * *off gets its offset.  len may be 0; nothing wraps. */
static bool inside(uint64_t addr, uint64_t len, uint64_t start, uint64_t size, uint64_t *off)
{
	if (size == 0 || addr < start || addr - start >= size || len > size - (addr - start))
		return false;
	*off = addr - start;
	return true;
}

/* Whether the two ranges share a byte (len and size > 0 checked by the
 * caller); neither end is computed, so neither wraps. */
static bool overlaps(uint64_t addr, uint64_t len, uint64_t start, uint64_t size)
{
	if (addr <= start)
		return start - addr < len;
	return addr - start < size;
}

struct span_item {
	uint32_t queue;
	enum area area;
	bool packed;
};

bool fmt_mem_name(struct fmt_out *o, const struct fmt_ctx *c, const struct vmt_event *ev,
		  struct fmt_mem_place *where)
{
	struct span_item list[SPAN_LIST_MAX];
	const struct fmt_device *span_dev = NULL;
	size_t n_list = 0, n_span = 0;

	if (ev->type != VMT_EV_MEM)
		return false;
	for (size_t di = 0; di < c->n; di++) {
		const struct fmt_device *d = c->dev[di];
		for (uint32_t qi = 0; qi < FMT_QUEUES_MAX; qi++) {
			struct fmt_areas a;
			uint64_t st[3], sz[3], off;

			if (d->q[qi].num == 0 || !fmt_queue_areas(d, qi, &a))
				continue; /* the cheap test first: most queues are unused */
			st[AREA_DESC] = a.desc;
			sz[AREA_DESC] = a.desc_size;
			st[AREA_AVAIL] = a.avail;
			sz[AREA_AVAIL] = a.avail_size;
			st[AREA_USED] = a.used;
			sz[AREA_USED] = a.used_size;
			for (int k = 0; k < 3; k++) {
				if (inside(ev->addr, ev->len, st[k], sz[k], &off)) {
					struct span s = { off, ev->len, ev->data };
					if (k == AREA_DESC)
						name_desc(o, qi, a.num, a.packed, &s);
					else if (a.packed)
						name_event(o, qi, (enum area)k, &s);
					else
						name_ring(o, qi, (enum area)k, a.num, &s);
					if (where) {
						where->dev = d;
						where->queue = qi;
					}
					return true;
				}
				if (sz[k] && ev->len && overlaps(ev->addr, ev->len, st[k], sz[k])) {
					if (!span_dev)
						span_dev = d;
					if (n_list < SPAN_LIST_MAX && d == span_dev)
						list[n_list++] = (struct span_item){ qi, (enum area)k, a.packed };
					n_span++;
				}
			}
		}
	}
	if (n_span == 0)
		return false;
	fmt_out_printf(o, "spans");
	for (size_t i = 0; i < n_list; i++)
		fmt_out_printf(o, "%s q%" PRIu32 " %s", i ? "," : "", list[i].queue,
			       name_of(list[i].area, list[i].packed));
	if (n_span > n_list)
		fmt_out_printf(o, " and %zu more", n_span - n_list);
	if (where) {
		where->dev = span_dev;
		where->queue = list[0].queue;
	}
	return true;
}

bool fmt_gpa_name(struct fmt_out *o, const struct fmt_ctx *c, uint64_t gpa, struct fmt_mem_place *where)
{
	static const char *const desc_field[16] = {
		"addr", "addr", "addr", "addr", "addr", "addr", "addr", "addr",
		"len", "len", "len", "len", "flags", "flags", "next", "next",
	};
	static const char *const packed_desc_field[16] = {
		"addr", "addr", "addr", "addr", "addr", "addr", "addr", "addr",
		"len", "len", "len", "len", "id", "id", "flags", "flags",
	};

	for (size_t di = 0; di < c->n; di++) {
		const struct fmt_device *d = c->dev[di];
		for (uint32_t qi = 0; qi < FMT_QUEUES_MAX; qi++) {
			struct fmt_areas a;
			uint64_t off;

			if (d->q[qi].num == 0 || !fmt_queue_areas(d, qi, &a))
				continue;
			if (inside(gpa, 1, a.desc, a.desc_size, &off)) {
				fmt_out_printf(o, "q%" PRIu32 " desc[%" PRIu64 "].%s", qi, off / VIRTQ_DESC_SIZE,
					       (a.packed ? packed_desc_field : desc_field)[off % VIRTQ_DESC_SIZE]);
			} else if (a.packed && inside(gpa, 1, a.avail, a.avail_size, &off)) {
				/* An event suppression structure: off_wrap, flags. */
				fmt_out_printf(o, "q%" PRIu32 " %s.%s", qi, name_of(AREA_AVAIL, true),
					       off < 2 ? "off_wrap" : "flags");
			} else if (a.packed && inside(gpa, 1, a.used, a.used_size, &off)) {
				fmt_out_printf(o, "q%" PRIu32 " %s.%s", qi, name_of(AREA_USED, true),
					       off < 2 ? "off_wrap" : "flags");
			} else if (inside(gpa, 1, a.avail, a.avail_size, &off)) {
				uint64_t ring_end = 4 + 2ull * a.num;
				if (off < 2)
					fmt_out_printf(o, "q%" PRIu32 " avail.flags", qi);
				else if (off < 4)
					fmt_out_printf(o, "q%" PRIu32 " avail.idx", qi);
				else if (off < ring_end)
					fmt_out_printf(o, "q%" PRIu32 " avail.ring[%" PRIu64 "]", qi, (off - 4) / 2);
				else
					fmt_out_printf(o, "q%" PRIu32 " avail.used_event", qi);
			} else if (inside(gpa, 1, a.used, a.used_size, &off)) {
				uint64_t ring_end = 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * a.num;
				if (off < 2)
					fmt_out_printf(o, "q%" PRIu32 " used.flags", qi);
				else if (off < 4)
					fmt_out_printf(o, "q%" PRIu32 " used.idx", qi);
				else if (off < ring_end)
					fmt_out_printf(o, "q%" PRIu32 " used.ring[%" PRIu64 "].%s", qi,
						       (off - 4) / VIRTQ_USED_ELEM_SIZE,
						       (off - 4) % VIRTQ_USED_ELEM_SIZE < 4 ? "id" : "len");
				else
					fmt_out_printf(o, "q%" PRIu32 " used.avail_event", qi);
			} else {
				continue;
			}
			if (where) {
				where->dev = d;
				where->queue = qi;
			}
			return true;
		}
	}
	return false;
}
