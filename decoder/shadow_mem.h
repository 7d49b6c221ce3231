/* A sparse copy of guest memory rebuilt from the VMT_EV_MEM events of a
 * trace: 4 KiB pages allocated on first touch, every byte marked known or
 * not, and marked best-effort when it came from a snapshot that raced the
 * guest.  Total page memory has a hard cap; bytes beyond it are dropped and
 * read back as missing, so a trace cannot make the decoder grow without
 * bound. */
#ifndef VMTRACE_DECODER_SHADOW_MEM_H
#define VMTRACE_DECODER_SHADOW_MEM_H

#include <stdbool.h>
#include <stdint.h>

#define SHADOW_PAGE_SIZE 4096u
/* Default cap on page memory (data and per-byte state), in bytes. */
#define SHADOW_CAP_DEFAULT (UINT64_C(256) << 20)

struct shadow_mem;

/* What a read found, as bit flags. */
#define SHADOW_HAVE_ALL 0x1u  /* every byte asked for is known */
#define SHADOW_HAVE_SOME 0x2u /* at least one byte is known */
#define SHADOW_ROUGH 0x4u     /* at least one known byte is best-effort */

/* A new empty shadow holding at most cap bytes of pages (0: the default).
 * Returns NULL if out of memory.  Free with shadow_free. */
struct shadow_mem *shadow_new(uint64_t cap);
void shadow_free(struct shadow_mem *sm); /* NULL is a no-op */

/* Store len bytes at gpa.  rough marks them best-effort (a racing snapshot);
 * otherwise they are exact and clear an earlier best-effort mark.  Bytes
 * whose page cannot be allocated (cap reached, or no memory) are dropped;
 * bytes past the end of the 64-bit address space are ignored. */
void shadow_write(struct shadow_mem *sm, uint64_t gpa, const uint8_t *data, uint64_t len, bool rough);

/* Copy len bytes at gpa into dst; unknown bytes read as 0.  Returns
 * SHADOW_* flags.  len 0 returns SHADOW_HAVE_ALL. */
unsigned shadow_read(const struct shadow_mem *sm, uint64_t gpa, void *dst, uint64_t len);

/* Like shadow_read without copying: are all the bytes known?  It stops at
 * the first missing byte (HAVE_SOME then says whether bytes before it were
 * known), so its cost is bounded by the bytes the shadow holds, not by len. */
unsigned shadow_probe(const struct shadow_mem *sm, uint64_t gpa, uint64_t len);

/* Bytes of page memory in use and bytes dropped because of the cap. */
uint64_t shadow_used_bytes(const struct shadow_mem *sm);
uint64_t shadow_dropped_bytes(const struct shadow_mem *sm);

#endif
