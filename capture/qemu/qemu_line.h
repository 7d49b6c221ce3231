/* One line of QEMU's trace output, as written by its "log" trace backend
 * for the events memory_region_ops_read / memory_region_ops_write:
 *
 *   memory_region_ops_read cpu 0 mr 0x55d0c1e0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'
 *
 * and for QEMU's virtio events (QEMU 7.2 hw/virtio/trace-events and
 * hw/block/trace-events; pointers printed with %p, counts in decimal):
 *
 *   virtio_queue_notify vdev 0x55653683e800 n 0 vq 0x7f3d1de93010
 *   virtqueue_pop vq 0x7f3d1de93010 elem 0x7f3cc00e9800 in_num 2 out_num 1
 *   virtqueue_fill vq 0x7f3d1de93010 elem 0x7f3cc00e9800 len 4097 idx 0
 *   virtqueue_flush vq 0x7f3d1de93010 count 1
 *   virtio_blk_handle_read vdev 0x55653683e800 req 0x7f3cc00e9800 sector 0 nsectors 8
 *   virtio_blk_handle_write vdev 0x55653683e800 req 0x7f3cc00e9800 sector 2048 nsectors 1
 *   virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x28
 *   scsi_req_parsed target 0 lun 0 tag -1012410480 command 18 dir 1 length 36
 *   scsi_req_parsed_lba target 0 lun 0 tag -1012410480 command 40 lba 2048
 *
 * (hw/scsi/trace-events: virtio_scsi_cmd_req's format repeats the event's
 * name, which the log backend prints before it; the line is taken with
 * the name once or twice.  No element pointer: QEMU prints it right after
 * the command's virtqueue_pop, on the same thread, and then, as its SCSI
 * layer parses the CDB (scsi-bus.c, scsi_req_new), scsi_req_parsed and,
 * for a CDB with an LBA field, scsi_req_parsed_lba.  Those print every
 * number with %d, the LBA with PRIu64: the tag is the request's low 32
 * bits as a signed int, and so is the length.)
 *
 * optionally prefixed "PID@SECONDS.MICROSECONDS:" (QEMU's -msg
 * timestamp=on; PID is the id of the thread that wrote the line).
 * The text comes from another program, so every field is checked. */
#ifndef VMTRACE_QEMU_LINE_H
#define VMTRACE_QEMU_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept; QEMU's lines for these events are about 120 bytes. */
#define QEMU_LINE_MAX 4096u
/* Longest memory region name kept (QEMU's names are short). */
#define QEMU_REGION_NAME_MAX 64u
/* Largest queue index a virtio_queue_notify line may carry: QueueNotify
 * holds it in its low 16 bits (QEMU itself has at most 1024 queues). */
#define QEMU_VIRTIO_QUEUE_INDEX_MAX 0xffffu
/* Largest in_num + out_num, fill idx and flush count: a split ring's
 * size (VIRTQ_SIZE_MAX, 32768; QEMU's own limit is 1024). */
#define QEMU_VIRTIO_RING_MAX 32768u

enum qemu_virtio_kind {
	QEMU_VIRTIO_NOTIFY = 1,    /* virtio_queue_notify: vdev, n, vq */
	QEMU_VIRTIO_POP = 2,       /* virtqueue_pop: vq, elem, in_num, out_num */
	QEMU_VIRTIO_FILL = 3,      /* virtqueue_fill: vq, elem, len, idx */
	QEMU_VIRTIO_FLUSH = 4,     /* virtqueue_flush: vq, count */
	QEMU_VIRTIO_BLK_READ = 5,  /* virtio_blk_handle_read: vdev, elem (req), sector, nsectors */
	QEMU_VIRTIO_BLK_WRITE = 6, /* virtio_blk_handle_write: same fields */
	QEMU_VIRTIO_SCSI_CMD = 7,  /* virtio_scsi_cmd_req: lun, tag, cmd */
	QEMU_VIRTIO_SCSI_PARSED = 8, /* scsi_req_parsed: target, lun, tag, cmd, dir, xfer */
	QEMU_VIRTIO_SCSI_LBA = 9,  /* scsi_req_parsed_lba: target, lun, tag, cmd, lba */
};

/* Largest direction scsi_req_parsed prints (QEMU's SCSIXferMode:
 * 0 none, 1 from the device, 2 to the device). */
#define QEMU_SCSI_DIR_MAX 2u

/* One virtio trace event; fields the event does not carry are 0.  The
 * pointers are QEMU's own (VirtIODevice, VirtQueue, VirtQueueElement):
 * handles to match lines with each other, never dereferenced. */
struct qemu_virtio {
	enum qemu_virtio_kind kind;
	uint64_t vdev;
	uint64_t vq;
	uint64_t elem;     /* the element (blk: req, which is the element) */
	uint32_t n;        /* notify: queue index, <= QEMU_VIRTIO_QUEUE_INDEX_MAX */
	uint32_t in_num;   /* pop: in_num + out_num <= QEMU_VIRTIO_RING_MAX */
	uint32_t out_num;
	uint32_t len;      /* fill: bytes written (QEMU prints %u) */
	uint32_t idx;      /* fill: position after the used idx, < QEMU_VIRTIO_RING_MAX */
	uint32_t count;    /* flush: entries published, <= QEMU_VIRTIO_RING_MAX */
	uint64_t sector;   /* blk */
	uint64_t nsectors; /* blk: <= UINT32_MAX, sector + nsectors fits in 64 bits */
	uint32_t lun;      /* scsi: as QEMU printed it (%u; the parse lines' %d as its 32 bits) */
	uint32_t tag;      /* scsi: the request's tag, low 32 bits (QEMU prints %x of a uint32_t,
			    * the parse lines %d of the same bits) */
	uint8_t cmd;       /* scsi: the CDB's operation code, <= 0xff */
	uint32_t target;   /* scsi parse lines: the SCSI target id (%d, as its 32 bits) */
	uint8_t dir;       /* scsi_req_parsed: <= QEMU_SCSI_DIR_MAX */
	uint32_t xfer;     /* scsi_req_parsed: the transfer length in bytes (%d, as its 32 bits) */
	uint64_t lba;      /* scsi_req_parsed_lba */
};

struct qemu_access {
	bool write;
	uint32_t cpu;       /* QEMU's cpu index (-1 prints as 4294967295: no vCPU) */
	uint64_t addr;      /* guest-physical address */
	uint64_t value;     /* masked to the access width */
	uint32_t size;      /* 1, 2, 4 or 8 */
	bool has_time;      /* the line had a PID@SEC.USEC: prefix */
	uint64_t time_ns;   /* that time, in nanoseconds */
	uint32_t tid;       /* that PID (the writing thread), 0 without a prefix */
	char name[QEMU_REGION_NAME_MAX]; /* memory region name, NUL-terminated */
	struct qemu_virtio vio; /* QEMU_LINE_VIRTIO only (all 0 otherwise) */
};

enum qemu_line_kind {
	QEMU_LINE_OTHER = 0,  /* not one of our events (other trace events, -d output) */
	QEMU_LINE_ACCESS = 1, /* *out filled */
	QEMU_LINE_BAD = 2,    /* claims to be one of our events but does not parse */
	QEMU_LINE_VIRTIO = 3, /* one of the virtio events: out->vio filled, and the prefix fields */
};

/* Parse line[0..len) (no newline) into *out (every field set).  For
 * QEMU_LINE_BAD, *why names the problem ("no 'value' field", "size 3 is
 * not 1, 2, 4 or 8", "bad 'elem' field", ...). */
enum qemu_line_kind qemu_line_parse(const char *line, size_t len, struct qemu_access *out, const char **why);

#endif
