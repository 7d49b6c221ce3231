/* Sparse guest memory for the decoder; see shadow_mem.h. */
#include "decoder/shadow_mem.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_BITS 12
#define MAP_WORDS (SHADOW_PAGE_SIZE / 64)

struct shadow_page {
	uint64_t pfn;
	uint32_t n_have;  /* bits set in have */
	uint32_t n_rough; /* bits set in rough */
	uint64_t have[MAP_WORDS];  /* bit i % 64 of word i / 64: byte i is known */
	uint64_t rough[MAP_WORDS]; /* same layout: byte i came from a best-effort snapshot */
	uint8_t data[SHADOW_PAGE_SIZE];
};

struct shadow_mem {
	struct shadow_page **tab; /* open addressing by pfn; owned, pages owned */
	size_t tab_cap;           /* power of two, or 0 */
	size_t n_pages;
	uint64_t cap, used, dropped;
};

struct shadow_mem *shadow_new(uint64_t cap)
{
	struct shadow_mem *sm = calloc(1, sizeof(*sm));

	if (!sm)
		return NULL;
	sm->cap = cap ? cap : SHADOW_CAP_DEFAULT;
	return sm;
}

void shadow_free(struct shadow_mem *sm)
{
	if (!sm)
		return;
	for (size_t i = 0; i < sm->tab_cap; i++)
		free(sm->tab[i]);
	free(sm->tab);
	free(sm);
}

static size_t slot_of(uint64_t pfn, size_t cap)
{
	return (size_t)((pfn * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (cap - 1);
}

static struct shadow_page *page_find(const struct shadow_mem *sm, uint64_t pfn)
{
	if (!sm->tab_cap)
		return NULL;
	for (size_t i = slot_of(pfn, sm->tab_cap);; i = (i + 1) & (sm->tab_cap - 1)) {
		struct shadow_page *p = sm->tab[i];
		if (!p)
			return NULL;
		if (p->pfn == pfn)
			return p;
	}
}

/* Double the table; the load stays under one half so probes stay short and
 * a free slot always exists. */
static int tab_grow(struct shadow_mem *sm)
{
	size_t ncap = sm->tab_cap ? sm->tab_cap * 2 : 1024;
	struct shadow_page **nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -1;
	for (size_t i = 0; i < sm->tab_cap; i++) {
		struct shadow_page *p = sm->tab[i];
		if (!p)
			continue;
		size_t j = slot_of(p->pfn, ncap);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = p;
	}
	free(sm->tab);
	sm->tab = nt;
	sm->tab_cap = ncap;
	return 0;
}

/* The page of pfn, allocated on first touch; NULL once the cap is reached. */
static struct shadow_page *page_get(struct shadow_mem *sm, uint64_t pfn)
{
	struct shadow_page *p = page_find(sm, pfn);

	if (p)
		return p;
	if (sm->used + sizeof(*p) > sm->cap)
		return NULL;
	if ((sm->n_pages + 1) * 2 > sm->tab_cap && tab_grow(sm) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pfn = pfn;
	size_t i = slot_of(pfn, sm->tab_cap);
	while (sm->tab[i])
		i = (i + 1) & (sm->tab_cap - 1);
	sm->tab[i] = p;
	sm->n_pages++;
	sm->used += sizeof(*p);
	return p;
}

/* Bits set in x (no popcnt instruction assumed). */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
	x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* The bit-map operations below work on the bits [from, to) of a page map,
 * one 64-bit word at a time; from < to <= SHADOW_PAGE_SIZE. This is the
 * mask of the bits of word w inside the range. */
static uint64_t range_mask(uint32_t w, uint32_t from, uint32_t to)
{
	uint32_t lo = w == from / 64 ? from % 64 : 0;
	uint32_t hi = w == (to - 1) / 64 ? (to - 1) % 64 + 1 : 64;
	uint64_t below_hi = hi == 64 ? UINT64_MAX : (UINT64_C(1) << hi) - 1;

	return below_hi & ~((UINT64_C(1) << lo) - 1);
}

/* Set (or clear) bits [from, to) of map; returns the change in set bits. */
static int map_update(uint64_t *map, uint32_t from, uint32_t to, bool set)
{
	int delta = 0;

	for (uint32_t w = from / 64; w <= (to - 1) / 64; w++) {
		uint64_t m = range_mask(w, from, to);
		if (set) {
			delta += (int)popcount64(m & ~map[w]);
			map[w] |= m;
		} else {
			delta -= (int)popcount64(m & map[w]);
			map[w] &= ~m;
		}
	}
	return delta;
}

/* Are all (all true) or any (all false) of bits [from, to) of map set? */
static bool map_test(const uint64_t *map, uint32_t from, uint32_t to, bool all)
{
	for (uint32_t w = from / 64; w <= (to - 1) / 64; w++) {
		uint64_t m = range_mask(w, from, to);
		if (all && (map[w] & m) != m)
			return false;
		if (!all && (map[w] & m))
			return true;
	}
	return all;
}

static bool map_bit(const uint64_t *map, uint32_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* Bytes from gpa to the end of the address space, capped at len. */
static uint64_t clip(uint64_t gpa, uint64_t len)
{
	uint64_t room = gpa ? (0 - gpa) : UINT64_MAX;

	return len > room ? room : len;
}

void shadow_write(struct shadow_mem *sm, uint64_t gpa, const uint8_t *data, uint64_t len, bool rough)
{
	len = clip(gpa, len);
	while (len) {
		uint32_t off = (uint32_t)(gpa & (SHADOW_PAGE_SIZE - 1));
		uint32_t n = SHADOW_PAGE_SIZE - off;
		if (n > len)
			n = (uint32_t)len;
		struct shadow_page *p = page_get(sm, gpa >> PAGE_BITS);
		if (!p) {
			sm->dropped += n;
		} else {
			memcpy(p->data + off, data, n);
			/* A complete page stays complete: no map to update. */
			if (p->n_have != SHADOW_PAGE_SIZE)
				p->n_have = (uint32_t)((int)p->n_have + map_update(p->have, off, off + n, true));
			if (rough || p->n_rough)
				p->n_rough = (uint32_t)((int)p->n_rough + map_update(p->rough, off, off + n, rough));
		}
		data += n;
		gpa += n;
		len -= n;
	}
}

/* Flags for bytes [off, off + n) of p (p may be NULL). */
static unsigned page_flags(const struct shadow_page *p, uint32_t off, uint32_t n)
{
	unsigned f;

	if (!p || n == 0)
		return n == 0 ? SHADOW_HAVE_ALL : 0;
	if (p->n_have == SHADOW_PAGE_SIZE || map_test(p->have, off, off + n, true))
		f = SHADOW_HAVE_ALL | SHADOW_HAVE_SOME;
	else
		f = map_test(p->have, off, off + n, false) ? SHADOW_HAVE_SOME : 0;
	if (p->n_rough && map_test(p->rough, off, off + n, false))
		f |= SHADOW_ROUGH;
	return f;
}

/* Shared walk of shadow_read and shadow_probe: dst NULL means probe only,
 * which stops at the first page that is not complete. */
static unsigned walk(const struct shadow_mem *sm, uint64_t gpa, uint8_t *dst, uint64_t len)
{
	unsigned acc = SHADOW_HAVE_ALL;
	bool any = false;

	if (clip(gpa, len) < len) {
		/* Past the end of the address space: never known. */
		if (dst)
			memset(dst, 0, len);
		return 0;
	}
	while (len) {
		uint32_t off = (uint32_t)(gpa & (SHADOW_PAGE_SIZE - 1));
		uint32_t n = SHADOW_PAGE_SIZE - off;
		if (n > len)
			n = (uint32_t)len;
		const struct shadow_page *p = page_find(sm, gpa >> PAGE_BITS);
		unsigned f = page_flags(p, off, n);
		if (dst) {
			if (p) {
				memcpy(dst, p->data + off, n);
				if (!(f & SHADOW_HAVE_ALL))
					for (uint32_t i = 0; i < n; i++)
						if (!map_bit(p->have, off + i))
							dst[i] = 0;
			} else {
				memset(dst, 0, n);
			}
			dst += n;
		}
		any |= (f & SHADOW_HAVE_SOME) != 0;
		acc = (acc & f & SHADOW_HAVE_ALL) | ((acc | f) & SHADOW_ROUGH);
		if (!(f & SHADOW_HAVE_ALL) && !dst)
			break;
		gpa += n;
		len -= n;
	}
	return acc | (any ? SHADOW_HAVE_SOME : 0);
}

unsigned shadow_read(const struct shadow_mem *sm, uint64_t gpa, void *dst, uint64_t len)
{
	return walk(sm, gpa, dst, len);
}

unsigned shadow_probe(const struct shadow_mem *sm, uint64_t gpa, uint64_t len)
{
	return walk(sm, gpa, NULL, len);
}

uint64_t shadow_used_bytes(const struct shadow_mem *sm)
{
	return sm->used;
}

uint64_t shadow_dropped_bytes(const struct shadow_mem *sm)
{
	return sm->dropped;
}
