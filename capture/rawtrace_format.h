/* On-disk layout of the raw trace (private to capture/rawtrace_*.c and the
 * tests).  docs/raw-trace-format.md describes the same bytes in prose; keep
 * the two in step.  All integers are little-endian.
 *
 * Errors: rawtrace_meta_encode and _decode return 0 or a negative errno
 * (-EINVAL, -EPROTO for a payload that does not decode, with the reason,
 * -ENOMEM). */
#ifndef VMTRACE_CAPTURE_RAWTRACE_FORMAT_H
#define VMTRACE_CAPTURE_RAWTRACE_FORMAT_H

#include <stdint.h>
#include <string.h>

#include "capture/crc32c.h"
#include "virtio/virtio.h"

/* File header, 32 bytes at offset 0:
 *   0  u8[8] magic "\x89VMT\r\n\x1a\n" (PNG-style: catches text-mode damage)
 *   8  le32  format version (RAWTRACE_FORMAT_VERSION)
 *  12  le32  header size (32)
 *  16  le32  flags (0; readers ignore)
 *  20  u8[8] reserved (0)
 *  28  le32  CRC32C of bytes 0..27 */
#define RT_FILE_MAGIC "\x89VMT\r\n\x1a\n"
#define RT_FILE_MAGIC_LEN 8u
#define RT_FILE_HEADER_SIZE 32u

/* Block header, 32 bytes, before every block payload:
 *   0  le32 block magic (RT_MAGIC_*)
 *   4  le32 payload length in bytes
 *   8  le32 record count
 *  12  le32 reserved (0; readers ignore)
 *  16  le64 sequence number of the first record (data), next sequence (footer), 0 (metadata)
 *  24  le32 CRC32C of the payload
 *  28  le32 CRC32C of bytes 0..27 of this header */
#define RT_BLOCK_HEADER_SIZE 32u
#define RT_MAGIC_META 0x4d544d56u   /* "VMTM" */
#define RT_MAGIC_DATA 0x44544d56u   /* "VMTD" */
#define RT_MAGIC_FOOTER 0x46544d56u /* "VMTF" */

/* Footer payload: le64 events, le64 lost, le32 reason length, reason bytes. */
#define RT_FOOTER_FIXED 20u
#define RT_FOOTER_REASON_MAX 127u /* fits rawtrace_status.end_reason with its NUL */

/* Event record (inside a data block payload):
 *   u8      type (non-zero)
 *   u8      field mask (RT_F_*)
 *   varint  zigzag(ts_ns - previous ts_ns in the block, wrapping)
 *   then, in bit order, the fields whose bit is set.
 * Fields marked "sticky" default to the previous record's value in the same
 * block; the others default to 0.  Every block starts from all-zero
 * context, so a block decodes on its own.  varint = unsigned LEB128, at
 * most 10 bytes. */
#define RT_F_SOURCE 0x01u /* u8 source                        (sticky) */
#define RT_F_DIRW 0x02u   /* u8 dir, u8 width */
#define RT_F_VCPU 0x04u   /* varint vcpu, <= 0xffff            (sticky) */
#define RT_F_FLAGS 0x08u  /* varint flags, <= 0xffff */
#define RT_F_BASE 0x10u   /* varint base                       (sticky) */
#define RT_F_ADDR 0x20u   /* varint addr */
#define RT_F_VALUE 0x40u  /* varint value */
#define RT_F_DATA 0x80u   /* varint len (1..VMT_EVENT_DATA_MAX), then len bytes */

/* Largest encoding of a record without its data bytes:
 * type, mask, ts (10), source (1), dir+width (2), vcpu (3), flags (3),
 * base (10), addr (10), value (10), len (3). */
#define RT_RECORD_FIXED_MAX 54u

/* The reader decodes through a context like this one. */
struct rt_context {
	uint64_t ts;
	uint64_t base;
	uint16_t vcpu;
	uint8_t source;
};

/* Fill a block header (computes its CRC; payload_crc is the caller's). */
static inline void rt_block_header_put(uint8_t h[RT_BLOCK_HEADER_SIZE], uint32_t magic,
				       uint32_t payload_len, uint32_t count, uint64_t first_seq,
				       uint32_t payload_crc)
{
	le32_put(h, magic);
	le32_put(h + 4, payload_len);
	le32_put(h + 8, count);
	le32_put(h + 12, 0);
	le64_put(h + 16, first_seq);
	le32_put(h + 24, payload_crc);
	le32_put(h + 28, crc32c(0, h, 28));
}

/* Fill the file header. */
static inline void rt_file_header_put(uint8_t h[RT_FILE_HEADER_SIZE], uint32_t version)
{
	memset(h, 0, RT_FILE_HEADER_SIZE);
	memcpy(h, RT_FILE_MAGIC, RT_FILE_MAGIC_LEN);
	le32_put(h + 8, version);
	le32_put(h + 12, RT_FILE_HEADER_SIZE);
	le32_put(h + 28, crc32c(0, h, 28));
}

/* Metadata payload (rawtrace_meta.c):
 *   le32 source, le64 ram_base, le64 ram_size,
 *   le32 n_kv, then n_kv times: le32 key length, key, le32 value length, value
 *   le32 n_devices, then n_devices times a 56-byte vmt_device_desc encoding.
 * Keys are 1..RAWTRACE_META_STR_MAX-1 bytes, values 0..RAWTRACE_META_STR_MAX-1,
 * neither holds a NUL byte. */
struct rawtrace_meta;

/* Encode m into a malloc'ed payload (*out, *len; the caller frees).
 * Returns 0, -EINVAL if m breaks a limit, or -ENOMEM. */
int rawtrace_meta_encode(const struct rawtrace_meta *m, uint8_t **out, size_t *len);

/* Decode a metadata payload into m (which must be empty, e.g. zeroed).
 * Returns 0, -EPROTO with a reason in why, or -ENOMEM.  On failure m
 * holds nothing that needs freeing. */
int rawtrace_meta_decode(struct rawtrace_meta *m, const uint8_t *p, size_t len,
			 char *why, size_t whylen);

#endif
