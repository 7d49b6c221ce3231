/* vmtrace's own packet record (docs/export.md, "The vmtrace record"): the
 * bytes a pcapng or pcap record of link type USER0 carries, built in a
 * fixed buffer.  A record that would not fit is cut at VT_RECORD_MAX (the
 * fields come first; a request's data is what gets cut). */
#ifndef VMTRACE_EXPORT_VT_RECORD_H
#define VMTRACE_EXPORT_VT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_RECORD_VERSION 1
#define VT_RECORD_HEADER 32
#define VT_RECORD_MAX 65536u
/* The link type of these records (LINKTYPE_USER0). */
#define VT_LINKTYPE 147

enum vt_kind {
	VT_MMIO = 1,
	VT_INTERRUPT = 2,
	VT_STATUS = 3,
	VT_VIOLATION = 4,
	VT_ANOMALY = 5,
	VT_REQUEST = 6,
	VT_MARKER = 7,
};

enum vt_phase { VT_NOTIFY = 1, VT_USED = 2, VT_IRQ = 3 };

#define VT_NONE64 UINT64_MAX
#define VT_NO_QUEUE 0xffffu
#define VT_NO_WORD 0xffffffffu

struct vt_record {
	uint8_t b[VT_RECORD_MAX];
	uint32_t n;
	bool cut;          /* something did not fit */
};

/* The header: kind, seq (seq_ok false: unknown), devices.device (-1
 * none), virtio device id, queue (VT_NO_QUEUE none), base. */
void vt_begin(struct vt_record *r, enum vt_kind kind, bool seq_ok, uint64_t seq, int device, uint16_t type,
	      uint32_t queue, uint64_t base);
void vt_u8(struct vt_record *r, uint8_t v);
void vt_u16(struct vt_record *r, uint16_t v);
void vt_u32(struct vt_record *r, uint32_t v);
void vt_u64(struct vt_record *r, uint64_t v);
/* A string: u16 length then the bytes (cut at 65535 or the room left). */
void vt_str(struct vt_record *r, const char *s);
/* Raw bytes (the rest of the record), as many as fit. */
void vt_bytes(struct vt_record *r, const void *p, size_t n);

#endif
