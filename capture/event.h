/* The one event record every capture source produces (emulator, QEMU trace
 * events, KVM/BPF), as held in memory.  The raw trace stores these; the
 * decoder consumes them without asking where they came from.
 *
 * Errors: vmt_device_desc_decode returns 0, or -1 for a descriptor too
 * short (input, though the value is not a positive code as in the house
 * style); nothing else here fails. */
#ifndef VMTRACE_CAPTURE_EVENT_H
#define VMTRACE_CAPTURE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "virtio/device_types.h"

/* Devices one trace holds at most, from the raw trace to trace.db: the
 * decoder names a device (devices.device 0..255) on its first access and
 * refuses more (DEC_DEVICES_MAX), and every reader of what it wrote takes
 * the same bound (tracedb's TDB_DEVICES_MAX, the formatter's
 * FMT_DEVICES_MAX).  A vmtrace choice, not a virtio one; recorders follow
 * fewer (RAWTRACE_META_DEVICES_MAX, RING_SNAP_DEVICES_MAX,
 * MMIO_DEVICES_MAX, MACHINE_DEVICES_MAX), devices past theirs are still
 * decoded from their register accesses. */
#define VMT_TRACE_DEVICES_MAX 256

enum vmt_source {
	VMT_SRC_UNKNOWN = 0,
	VMT_SRC_EMU = 1,  /* built-in emulator, exact and deterministic */
	VMT_SRC_QEMU = 2, /* QEMU trace events */
	VMT_SRC_KVM_BPF = 3, /* eBPF on kvm:kvm_mmio */
};

enum vmt_event_type {
	VMT_EV_MMIO = 1,      /* register access: base, addr (offset), width, dir, value */
	VMT_EV_MEM = 2,       /* guest memory bytes at addr (gpa); flags say whose */
	VMT_EV_IRQ = 3,       /* device interrupt line: value = InterruptStatus, width 1 raised / 0 lowered */
	VMT_EV_MARKER = 4,    /* free text in data (workload phases, notes) */
	VMT_EV_LOST = 5,      /* value = number of events the source dropped here */
	VMT_EV_DEVICE = 6,    /* a device appeared: data holds a struct vmt_device_desc, encoded */
	VMT_EV_VIOLATION = 7, /* a rule broken as seen by the source: value = rule id, data = message */
	VMT_EV_QUEUE = 8,     /* the device's own report of a virtqueue step (QEMU's virtio trace
			       * events): base = device, addr = queue index, value = enum
			       * vmt_queue_step, data = struct vmt_queue_report, encoded */
	VMT_EV_TYPE_MAX = 8,
};

enum vmt_dir {
	VMT_DIR_READ = 0,
	VMT_DIR_WRITE = 1,
};

/* VMT_EV_MEM flags: who wrote or what was observed. */
#define VMT_MEM_DRIVER_WRITE 0x1u /* the driver stored these bytes (exact) */
#define VMT_MEM_DEVICE_WRITE 0x2u /* the device stored these bytes (exact) */
#define VMT_MEM_SNAPSHOT 0x4u     /* bytes read by the recorder at this point */
#define VMT_MEM_BEST_EFFORT 0x8u  /* snapshot raced a running guest: may be torn */
#define VMT_MEM_TRUNCATED 0x10u   /* the region was longer than what was kept */

/* Largest data payload of one event; longer memory regions are split into
 * several VMT_EV_MEM events by the source. */
#define VMT_EVENT_DATA_MAX 65536u

struct vmt_event {
	uint64_t seq;   /* assigned by the raw trace writer: 0, 1, 2, ... */
	uint64_t ts_ns; /* source clock, nanoseconds; deterministic for the emulator */
	uint8_t type;   /* enum vmt_event_type */
	uint8_t source; /* enum vmt_source */
	uint8_t dir;    /* enum vmt_dir (MMIO) */
	uint8_t width;  /* access width in bytes 1, 2, 4, 8 (MMIO); raised flag (IRQ) */
	uint16_t vcpu;  /* vCPU or thread index; 0 if unknown */
	uint16_t flags; /* VMT_MEM_* for MEM; 0 otherwise */
	uint64_t base;  /* device base address (MMIO, IRQ, DEVICE, VIOLATION) */
	uint64_t addr;  /* MMIO: register offset from base; MEM: guest-physical address */
	uint64_t value; /* MMIO value; IRQ status; LOST count; VIOLATION rule id */
	uint32_t len;   /* bytes at data */
	const uint8_t *data; /* borrowed; valid until the next event is read or emitted */
};

/* A device the source knows about (emulator config, or discovered from
 * MagicValue/Version/DeviceID reads). */
struct vmt_device_desc {
	uint64_t base;
	uint32_t size;      /* register window, usually 0x200 */
	uint32_t device_id; /* 0 if not known yet */
	uint32_t version;   /* 1 legacy, 2 modern, 0 not known yet */
	uint32_t vendor_id;
	char name[DEVTYPE_LABEL_SIZE]; /* "virtio-blk@0xfeb02e00" style label, NUL-terminated */
};

/* Encoded size of a vmt_device_desc inside a VMT_EV_DEVICE payload (and
 * the raw trace's device table): base, size, id, version, vendor, then the
 * name in VMT_DEVICE_DESC_NAME_BYTES. */
#define VMT_DEVICE_DESC_BYTES 56u
/* The name field of the encoding: a label that does not fit is cut there
 * (no NUL) and rebuilt from the type and base when decoded. */
#define VMT_DEVICE_DESC_NAME_BYTES 32u
void vmt_device_desc_encode(const struct vmt_device_desc *d, uint8_t out[VMT_DEVICE_DESC_BYTES]);
/* Returns 0, or -1 if len is too short. The name is always NUL-terminated. */
int vmt_device_desc_decode(struct vmt_device_desc *d, const uint8_t *in, size_t len);

/* VMT_EV_QUEUE steps: what the device says it did with a queue, beside
 * (and independent of) the ring copies.  The token is the device's own
 * handle on one element (QEMU's VirtQueueElement pointer): it links the
 * pop of a chain to the request it carried and to its fill. */
enum vmt_queue_step {
	VMT_QSTEP_POP = 1,       /* took the next available chain: arg0 = in_num (device-writable
				  * buffers), arg1 = out_num (device-readable), as QEMU mapped them */
	VMT_QSTEP_FILL = 2,      /* put the element in the used ring: arg0 = len written,
				  * arg1 = position after the current used idx */
	VMT_QSTEP_FLUSH = 3,     /* published arg0 filled entries (used idx += arg0) */
	VMT_QSTEP_BLK_READ = 4,  /* virtio-blk read: arg0 = sector, arg1 = sectors (512 bytes) */
	VMT_QSTEP_BLK_WRITE = 5, /* virtio-blk write: arg0 = sector, arg1 = sectors */
	VMT_QSTEP_SCSI_CMD = 6,  /* virtio-scsi command taken: arg0 = the CDB's operation code
				  * (cdb[0]), arg1 = the LUN as QEMU reads it (bytes 2-3 of
				  * the request's lun[8], & 0x3fff) */
	VMT_QSTEP_SCSI_XFER = 7, /* the same command as the device's SCSI layer parsed it (QEMU's
				  * scsi_req_parsed): arg0 = the transfer length in bytes it
				  * computed from the CDB (the low 32 bits: QEMU prints an
				  * int), arg1 = the direction (0 none, 1 from the device,
				  * 2 to the device) */
	VMT_QSTEP_SCSI_LBA = 8,  /* and the CDB's LBA field as it read it (scsi_req_parsed_lba,
				  * for CDBs that have one): arg0 = the LBA, arg1 = 0 */
	VMT_QSTEP_MAX = 8,
};

struct vmt_queue_report {
	uint64_t token; /* 0 for FLUSH */
	uint64_t arg0;
	uint64_t arg1;
};

/* Encoded size of a vmt_queue_report in a VMT_EV_QUEUE payload: token,
 * arg0, arg1 as le64. */
#define VMT_QUEUE_REPORT_BYTES 24u
void vmt_queue_report_encode(const struct vmt_queue_report *q, uint8_t out[VMT_QUEUE_REPORT_BYTES]);
/* Returns 0, or -1 if len is not VMT_QUEUE_REPORT_BYTES. */
int vmt_queue_report_decode(struct vmt_queue_report *q, const uint8_t *in, size_t len);
/* "pop", "fill", "flush", "blk-read", "blk-write", "scsi-cmd", "scsi-xfer",
 * "scsi-lba", or "unknown". */
const char *vmt_queue_step_name(uint32_t step);

const char *vmt_source_name(uint32_t source);     /* "emu", "qemu", "kvm-bpf", "unknown" */
const char *vmt_event_type_name(uint32_t type);   /* "mmio", "mem", ... or "unknown" */

#endif
