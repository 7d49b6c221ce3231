/* CRC32C, software slice-by-8 with an SSE4.2 fast path picked at run time. */
#include "capture/crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82f63b78u /* Castagnoli, bit-reflected */

static uint32_t table[8][256];
static bool use_hw;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Build the slice-by-8 tables: table[0] is the classic byte table; table[k]
 * advances a byte that sits k positions further from the end of the word. */
static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xffu];
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	use_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* The table walk on the raw (pre-inverted) register value. */
static uint32_t crc32c_sw_raw(uint32_t c, const uint8_t *p, size_t len)
{
	/* Bytes one at a time until p is 8-aligned, so the word loads below
	 * are cheap; the loads are assembled little-endian explicitly. */
	while (len && ((uintptr_t)p & 7u)) {
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xffu];
		len--;
	}
	while (len >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		c = table[7][lo & 0xffu] ^ table[6][(lo >> 8) & 0xffu] ^
		    table[5][(lo >> 16) & 0xffu] ^ table[4][lo >> 24] ^
		    table[3][hi & 0xffu] ^ table[2][(hi >> 8) & 0xffu] ^
		    table[1][(hi >> 16) & 0xffu] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xffu];
	return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The crc32 instruction computes exactly this CRC (same polynomial, same
 * bit order) on the raw register value. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw_raw(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t c64;

	while (len && ((uintptr_t)p & 7u)) {
		c = __builtin_ia32_crc32qi(c, *p++);
		len--;
	}
	c64 = c;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* x86 is little-endian: the bytes in file order */
		c64 = __builtin_ia32_crc32di(c64, w);
		p += 8;
		len -= 8;
	}
	c = (uint32_t)c64;
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&init_once, crc32c_init);
	return ~crc32c_sw_raw(~crc, data, len);
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&init_once, crc32c_init);
#if defined(__x86_64__) && defined(__GNUC__)
	if (use_hw)
		return ~crc32c_hw_raw(~crc, data, len);
#endif
	return ~crc32c_sw_raw(~crc, data, len);
}

bool crc32c_hw_available(void)
{
	pthread_once(&init_once, crc32c_init);
	return use_hw;
}
