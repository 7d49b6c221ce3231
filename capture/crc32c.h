/* CRC32C (Castagnoli, reflected polynomial 0x82f63b78), as used by iSCSI,
 * ext4 and SCTP: the checksum of every raw trace block.  Uses the SSE4.2
 * crc32 instruction when the CPU has it, a slice-by-8 table otherwise. */
#ifndef VMTRACE_CAPTURE_CRC32C_H
#define VMTRACE_CAPTURE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC32C of len bytes at data, continuing from crc: pass 0 to start and
 * the previous result to continue, so crc32c(crc32c(0, a, n), b, m) equals
 * the CRC of a followed by b.  Thread-safe. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The portable (table) implementation, same contract; for tests. */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);

/* True if crc32c() uses the CPU instruction. */
bool crc32c_hw_available(void);

#endif
