/* The guest's small runtime: register and port access, the string
 * functions the compiler may call, and messages to the host (KH_PORT_LOG).
 * The guest runs with flat segments and no paging, so a guest-physical
 * address is a pointer. */
#ifndef VMTRACE_KVMHOST_GUEST_GLIB_H
#define VMTRACE_KVMHOST_GUEST_GLIB_H

#include <stddef.h>
#include <stdint.h>

/* Compiler barrier: x86 keeps stores in order, so ring updates need only
 * this between writing an entry and publishing its index. */
#define barrier() __asm__ __volatile__("" ::: "memory")

/* One register access each: a single MOV of the given width, which is one
 * KVM_EXIT_MMIO. */
static inline uint32_t mmio_read32(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline uint16_t mmio_read16(uint32_t addr)
{
	return *(volatile uint16_t *)addr;
}
static inline uint8_t mmio_read8(uint32_t addr)
{
	return *(volatile uint8_t *)addr;
}
static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void port_out32(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline void port_out8(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Send one line to the host: the text, then " " and each number in hex,
 * then '\n'.  Used for failures only (each character is an exit). */
void glog(const char *text);
void glog_hex(const char *text, uint32_t a, uint32_t b);

/* Guest RAM for rings and buffers: a bump allocator over
 * [KH_HEAP_BASE, KH_HEAP_END).  Returns zeroed memory aligned to align
 * (a power of two), or 0 when the heap is exhausted. */
uint32_t galloc(uint32_t size, uint32_t align);

#endif
