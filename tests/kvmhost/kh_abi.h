/* What the KVM test host (kvmhost.c) and its freestanding guest
 * (guest/) agree on: the guest-physical memory map, the boot block the
 * host writes before the first KVM_RUN, and the I/O ports the guest
 * reports through.  Compiled into both, so it holds only fixed-width
 * plain types and constants (the guest is 32-bit, the host 64-bit).
 *
 * Memory map (guest-physical; RAM is one slot at 0, no paging):
 *   0x00000800  GDT (flat code and data segments), written by the host
 *   0x00001000  struct kh_boot, written by the host
 *   ...         stack, growing down from KH_STACK_TOP
 *   0x00100000  the guest image (flat binary), entry at its first byte
 *   0x00400000  ... end of RAM: rings and buffers, the guest's to hand out
 *   0x10000000  device i's virtio-mmio registers at + i * 0x200 (no RAM
 *               there, so every access is a KVM_EXIT_MMIO) */
#ifndef VMTRACE_KVMHOST_KH_ABI_H
#define VMTRACE_KVMHOST_KH_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define KH_RAM_BASE 0x00000000u
#define KH_RAM_SIZE 0x04000000u /* 64 MiB */
#define KH_GDT_ADDR 0x00000800u
#define KH_BOOT_ADDR 0x00001000u
#define KH_STACK_TOP 0x00080000 /* no suffix: entry.S uses it */
#define KH_LOAD_ADDR 0x00100000u
#define KH_IMAGE_MAX 0x00300000u /* the image must end below KH_HEAP_BASE */
#define KH_HEAP_BASE 0x00400000u
#define KH_HEAP_END KH_RAM_SIZE

/* Segment selectors the host loads (GDT entries 1 and 2). */
#define KH_SEL_CODE 0x08u
#define KH_SEL_DATA 0x10u

#define KH_DEVICES_MAX 16u

#define KH_BOOT_MAGIC 0x6f6f626bu /* "kboo" */
#define KH_BOOT_LEGACY 0x1u       /* expect Version 1 (legacy) devices */

#ifndef __ASSEMBLER__
/* The boot block at KH_BOOT_ADDR. */
struct kh_boot {
	uint32_t magic;     /* KH_BOOT_MAGIC */
	uint32_t flags;     /* KH_BOOT_* */
	uint32_t loop;      /* 0: initialize and do I/O; N: initialize, then N Status reads */
	uint32_t n_devices; /* entries used in base[] */
	uint32_t base[KH_DEVICES_MAX]; /* register windows, in the host's order */
};
#endif

/* I/O ports (KVM_EXIT_IO), all written with OUT.  A guest never reads them. */
#define KH_PORT_RESULT 0x00f4 /* 32-bit: KH_RESULT_PASS or a failure code; then HLT */
#define KH_PORT_LOG 0x00f5u    /* 8-bit: one character of a message line ('\n' ends it) */
#define KH_PORT_PHASE 0x00f6u  /* 32-bit: KH_PHASE_* */

#define KH_RESULT_PASS 0u
/* Failure codes: KH_FAIL(device index, step). */
#define KH_FAIL(dev, step) (0x01000000u | ((uint32_t)(dev) << 8) | (uint32_t)(step))

/* What the guest's I/O carries, so tests can find it in a decoded trace
 * (check_trace.py repeats these values). */
#define KH_BLK_SECTOR 7u        /* written with the pattern, read back, compared */
#define KH_BLK_PATTERN(i) ((uint8_t)((i) * 7u + 0x5au)) /* byte i of the sector */
#define KH_NET_ETHERTYPE 0x88b5u /* IEEE local experimental */
#define KH_NET_FRAME_LEN 64u     /* bytes after the virtio-net header */
#define KH_CONSOLE_LINE "kvmhost guest: hello on port 0\n"
#define KH_RNG_BYTES 32u

#define KH_PHASE_INIT_DONE 1u  /* every device reached DRIVER_OK */
#define KH_PHASE_LOOP_START 2u /* the --loop accesses start with the next exit */
#define KH_PHASE_LOOP_END 3u   /* ... and ended with the previous one */

#endif
