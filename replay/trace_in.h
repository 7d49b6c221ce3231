/* What replay reads from a trace.db: the meta facts and devices it needs to
 * build the emulated machine, the values the recorded devices presented
 * (to take them over where a difference is declared), and the events in
 * order with their memory payloads.  Everything here came from a file that
 * may be someone else's: every row is checked as it is read (types,
 * ranges, the rows it refers to), and a row that contradicts the rest of
 * the file stops replay with a message naming the file, the table and the
 * row ("'t.db': events row seq 42: memory payload is 0 bytes, events.len
 * says 16").  What the structures below hold is checked: the ranges each
 * field's comment gives.
 *
 * Errors: 0, or -1 with the reason in err (naming the file, and the row
 * where one contradicts the rest): the file is input, so a damaged one is
 * refused the same way as a failed read; trace_next returns 1 (an event),
 * 0 (the end) or -1.  Not negative errnos. */
#ifndef VMTRACE_REPLAY_TRACE_IN_H
#define VMTRACE_REPLAY_TRACE_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/emu/emu.h"
#include "capture/event.h"
#include "virtio/device_types.h"

struct tdb;
struct tdb_cursor;

#define TRACE_IN_DEVICES_MAX 32

struct trace_device {
	int id;                  /* devices.device, 0..255 */
	uint64_t base;           /* windows do not overlap; base + 0x200 does not wrap */
	char name[DEVTYPE_LABEL_SIZE]; /* printable (escaped, cut to fit) */
	uint32_t device_id;      /* 0 if never read */
	bool device_id_known;    /* DeviceID was read (0 then: an empty transport) */
	uint32_t version;        /* 0 if never read */
	uint32_t vendor_id;
	bool vendor_known;
	uint64_t features_offered;
	bool features_known;
	/* The set the driver negotiated (devices.features_negotiated; where the
	 * decoder had none, what it accepted), 0 if neither is known. */
	uint64_t features_negotiated;
	uint16_t num_max[EMU_QUEUES_MAX]; /* QueueNumMax as read, 0 if never */
	uint8_t config[EMU_CONFIG_MAX];   /* config bytes as first read */
	bool config_known[EMU_CONFIG_MAX];
};

/* What came into a recorded device from outside (a frame the guest
 * received, the bytes an entropy device returned): the data of a request
 * on a queue the device-type table calls data with flow IN.  Replay hands
 * it to the emulated device where the recorded one had it. */
struct trace_rx {
	int dev;                 /* index into trace_in.dev */
	uint64_t at_seq;         /* deliver before this event: the device's last
				  * access before the request's used entry */
	uint32_t len;
	uint8_t *data;           /* owned; zeros where the bytes were not recorded */
};

/* Where a queue generation's rings were, as the queues table has them. */
struct trace_rings {
	int dev;                 /* index into trace_in.dev */
	unsigned queue;
	uint32_t num;            /* 1..32768 */
	uint64_t desc, avail, used;
	bool packed;             /* VIRTIO_F_RING_PACKED negotiated (Version 2):
				  * avail and used are the driver's and the
				  * device's event suppression areas */
};

/* The first ring-content anomaly the decoder recorded on one queue of a
 * device (a finding in a best-effort ring copy: the copy was torn, or the
 * device itself reported something else), and the event from which replay
 * can no longer trust that queue's copies. */
struct trace_torn {
	bool known;
	uint64_t seq;            /* anomalies.seq */
	/* anomalies.seq, or, where the anomaly sits on the device's own
	 * report of a queue step (a 'queue' event, which follows the access
	 * that started the step), the device's last register access before it */
	uint64_t from_seq;
	char rule[48];           /* printable (escaped, cut to fit) */
	char message[160];       /* printable (escaped, cut to fit) */
};

struct trace_in {
	struct tdb *db;          /* tracedb handle */
	char path[256];          /* for messages */
	char source[16];         /* printable */
	uint64_t ram_base, ram_size;
	bool ram_known;
	uint64_t seed;
	uint64_t events;         /* max(seq) + 1 (0: no events) */
	uint64_t lost_seq;       /* first LOST event, UINT64_MAX if none */
	uint64_t lost_count;
	struct trace_device dev[TRACE_IN_DEVICES_MAX];
	unsigned n_dev;
	/* lowest and highest guest address of any memory row (RAM guess) */
	uint64_t mem_lo, mem_hi;
	struct trace_rings *rings; /* latest set-up first */
	size_t n_rings;
	struct trace_rx *rx;     /* received frames in order (trace_in_load_rx) */
	size_t n_rx;
	/* trace_in_load_torn: [device index * EMU_QUEUES_MAX + queue]; NULL
	 * before (or when the file has no anomalies table) */
	struct trace_torn *torn;
	/* The file holds the device's own pop reports (device_steps): replay
	 * publishes used entries where those say (engine.c) */
	bool has_reports;
};

/* TEV_QUEUE: the device's own report of a virtqueue step (QEMU's virtio
 * trace events); replay follows its fills and flushes (engine.c). */
enum trace_ev_type {
	TEV_MMIO, TEV_MEM, TEV_IRQ, TEV_MARKER, TEV_LOST, TEV_DEVICE, TEV_VIOLATION, TEV_QUEUE, TEV_OTHER,
};

enum trace_mem_kind { TMEM_DRIVER, TMEM_DEVICE, TMEM_SNAPSHOT };

/* One event as replay sees it; data is valid until the next trace_next. */
struct trace_ev {
	uint64_t seq;            /* 0..INT64_MAX, increasing */
	enum trace_ev_type type;
	int device;              /* index into trace_in.dev, -1 none */
	uint64_t offset;         /* MMIO: register offset below 0x200 (gpa if device < 0) */
	bool write;
	unsigned width;          /* MMIO: 1, 2, 4 or 8 */
	uint64_t value;
	uint64_t addr;           /* MEM: guest-physical address; addr + len does not wrap;
				  * QUEUE: the queue index (value: enum vmt_queue_step) */
	enum trace_mem_kind mem_kind;
	bool exact;
	const uint8_t *data;     /* MEM: len bytes (NULL when len is 0) */
	uint32_t len;            /* MEM: 0..VMT_EVENT_DATA_MAX, the payload's length */
	const char *text;        /* violation message / marker */
	/* QUEUE with a device_steps row: the report (token; arg0, arg1 as
	 * enum vmt_queue_step says: fill len / used_pos, flush count) */
	bool has_report;
	uint64_t token, arg0, arg1;
};

/* Open path read-only and load everything but the events. Returns 0, or
 * -1 with the reason (naming the file, and the row where one contradicts
 * the rest) in err. */
int trace_in_open(struct trace_in *t, const char *path, char *err, size_t errlen);
void trace_in_close(struct trace_in *t);
/* Load the inputs (requests on data queues of flow IN) in the order they
 * are due. Returns 0, or -1 with the reason (naming the row) in err. */
int trace_in_load_rx(struct trace_in *t, char *err, size_t errlen);

/* Load the first ring-content anomaly of each device and queue below
 * EMU_QUEUES_MAX (anomalies rows naming a device and a queue; others are
 * no ring copy of a queue the emulator can have) into t->torn.  Damaged
 * rows are passed over.  Returns 0, or -1 with the reason in err. */
int trace_in_load_torn(struct trace_in *t, char *err, size_t errlen);
/* The first anomaly of queue q of device index dev, or NULL. */
const struct trace_torn *trace_in_torn(const struct trace_in *t, int dev, unsigned q);

/* Where a guest address lies in the rings the trace's queues table
 * records (the latest set-up first). */
enum trace_area { TRACE_AREA_DESC = 1, TRACE_AREA_AVAIL, TRACE_AREA_USED };
struct trace_ring_area {
	enum trace_area area;
	int dev;          /* index into trace_in.dev, -1 unknown */
	unsigned queue;
	uint32_t num;
	bool packed;      /* AVAIL and USED: the event suppression areas */
	uint64_t off;     /* from the start of the area */
};
bool trace_in_ring_area(const struct trace_in *t, uint64_t gpa, struct trace_ring_area *out);

/* Event cursor over seq <= until. */
struct trace_cursor {
	struct tdb_cursor *cur;
	const struct trace_in *t;
	int dev_index[VMT_TRACE_DEVICES_MAX]; /* devices.device -> index, -1 unknown */
	bool started;
	uint64_t prev_seq;       /* of the last row returned */
	/* Set after trace_cursor_open: memory events are returned without
	 * their payload (len 0, data NULL; replay's registers-only mode does
	 * not use them), so a memory row that is missing is no error. */
	bool registers_only;
};
int trace_cursor_open(struct trace_cursor *c, const struct trace_in *t, uint64_t until, char *err, size_t errlen);
/* 1 with *ev filled, 0 at the end, -1 on a read error or a row that
 * contradicts the rest of the file (err filled, naming the row). */
int trace_next(struct trace_cursor *c, struct trace_ev *ev, char *err, size_t errlen);
void trace_cursor_close(struct trace_cursor *c);

#endif
