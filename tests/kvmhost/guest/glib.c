/* The guest's runtime: string functions, messages, the heap (glib.h). */
#include "tests/kvmhost/guest/glib.h"

#include "tests/kvmhost/kh_abi.h"

/* A compiler may turn these loops into calls to themselves: the guest is
 * built with -fno-tree-loop-distribute-patterns (gcc) or -fno-builtin
 * (clang) for that reason. */
void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void put_hex(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";

	port_out8(KH_PORT_LOG, ' ');
	port_out8(KH_PORT_LOG, '0');
	port_out8(KH_PORT_LOG, 'x');
	for (int shift = 28; shift >= 0; shift -= 4)
		port_out8(KH_PORT_LOG, (uint8_t)digits[(v >> shift) & 0xf]);
}

static void put_text(const char *text)
{
	while (*text)
		port_out8(KH_PORT_LOG, (uint8_t)*text++);
}

void glog(const char *text)
{
	put_text(text);
	port_out8(KH_PORT_LOG, '\n');
}

void glog_hex(const char *text, uint32_t a, uint32_t b)
{
	put_text(text);
	put_hex(a);
	put_hex(b);
	port_out8(KH_PORT_LOG, '\n');
}

static uint32_t heap_next = KH_HEAP_BASE;

uint32_t galloc(uint32_t size, uint32_t align)
{
	uint32_t p = (heap_next + align - 1) & ~(align - 1);

	if (p < heap_next || p > KH_HEAP_END || size > KH_HEAP_END - p)
		return 0;
	heap_next = p + size;
	memset((void *)p, 0, size);
	return p;
}
