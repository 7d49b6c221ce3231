/* Decoder internals shared by its files: decoder.c (event dispatch and
 * devices), dec_mmio.c (register semantics), dec_sql.c (statements and
 * batching), and the ring and request decoding (rings.h). */
#ifndef VMTRACE_DECODER_DEC_PRIV_H
#define VMTRACE_DECODER_DEC_PRIV_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "decoder/decoder.h"
#include "spec/mmio_checker.h"

#define DEC_DEVICES_MAX 256
#define DEC_QUEUES_MAX MMIO_CHECK_QUEUES
#define DEC_CONFIG_MAX 256u
#define DEC_CONTROL_REGS (0x100 / 4)

struct dec_ring; /* rings.h */

struct dec_queue {
	uint32_t generation; /* generations opened so far; the open one if open */
	bool open;           /* a generation row exists and is not ended */
	bool ready;          /* QueueReady 1 / QueuePFN != 0 */
	uint32_t size, num_max;
	uint64_t desc, driver, device;
	uint32_t pfn, align;
	struct dec_ring *ring; /* set while ready and decodable */
	/* Last value stored in reg_changes per queue register, by offset / 4. */
	uint64_t last[DEC_CONTROL_REGS];
	uint64_t known[2];     /* bit i: last[i] is valid */
};

struct dec_device {
	unsigned id; /* devices.device */
	uint64_t base;
	char name[48];
	uint32_t device_id;
	bool id_known;
	uint32_t version; /* 0 until known */
	uint32_t vendor_id;
	struct mmio_checker checker;
	uint32_t status;          /* as last written or read */
	uint32_t status_written;  /* as last written */
	uint64_t offered, accepted, negotiated;
	uint32_t dev_sel, drv_sel, queue_sel, page_size;
	uint64_t first_seq, last_seq, events;
	uint8_t config[DEC_CONFIG_MAX];
	uint32_t config_len; /* highest config byte seen + 1 */
	uint64_t last[DEC_CONTROL_REGS]; /* non-queue registers, as in dec_queue */
	uint64_t known[2];
	struct dec_queue q[DEC_QUEUES_MAX];
};

enum dec_stmt {
	ST_EVENT, ST_MEMORY, ST_REG_CHANGE, ST_STATUS_CHANGE, ST_FEATURE,
	ST_QUEUE_OPEN, ST_QUEUE_UPDATE, ST_QUEUE_END, ST_INTERRUPT, ST_VIOLATION, ST_LOST,
	ST_DEVICE_UPSERT, ST_META,
	ST_COUNT
};

struct decoder {
	sqlite3 *db;
	struct decoder_opts opts;
	sqlite3_stmt *st[ST_COUNT];
	struct dec_device *dev[DEC_DEVICES_MAX];
	unsigned n_dev;
	/* The event being decoded: every row links back to it. */
	const struct vmt_event *ev;
	struct dec_device *cur;
	uint64_t ram_base, ram_size;
	uint64_t rows_in_txn;
	struct timespec last_commit;
	struct decoder_stats stats;
	bool failed;
	char err[256];
	struct dec_rings *rings; /* rings.h */
};

/* dec_sql.c */
int dec_sql_prepare(struct decoder *dec);
void dec_sql_finalize(struct decoder *dec);
/* Step one of the decoder's statements, reset it and clear its bindings
 * where columns may stay unbound; counts a row. Returns 0 or -1. */
int dec_sql_run(struct decoder *dec, enum dec_stmt which);
/* Step and reset a statement prepared elsewhere (rings.c keeps its own),
 * without clearing its bindings; counts a row. Returns 0 or -1. */
int dec_sql_step(struct decoder *dec, sqlite3_stmt *st);
/* Commit the running transaction if enough rows or time passed. */
int dec_sql_maybe_commit(struct decoder *dec);
int dec_sql_commit(struct decoder *dec, bool reopen);
/* Record a database error once; returns -1. */
int dec_fail(struct decoder *dec, const char *what);

/* Report a broken rule at the current event. dev may be NULL. */
void dec_violation(struct decoder *dec, struct dec_device *d, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* dec_mmio.c: one register access of device d. */
void dec_mmio(struct decoder *dec, struct dec_device *d, const struct vmt_event *ev);
/* An interrupts row at the current event. */
void dec_interrupt_row(struct decoder *dec, struct dec_device *d, const char *kind, uint64_t value);
/* The device's label, "virtio-blk@0x10000000". */
void dec_device_rename(struct dec_device *d);

#endif
