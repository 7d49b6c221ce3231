/* Decoder internals shared by its files: decoder.c (event dispatch and
 * devices), dec_mmio.c (register semantics), dec_sql.c (statements and
 * batching), and the ring and request decoding (rings.h).
 *
 * Errors: as decoder.h: 0 or -1.  A failure is recorded once (dec_fail,
 * which returns -1 so a caller can `return dec_fail(...)`) and sets
 * dec->failed; the row writers return nothing, and decoder_feed reports
 * the failure. */
#ifndef VMTRACE_DECODER_DEC_PRIV_H
#define VMTRACE_DECODER_DEC_PRIV_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "decoder/decoder.h"
#include "virtio/device_types.h"
#include "virtio/mmio_checker.h"

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
	char name[DEVTYPE_LABEL_SIZE];
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
	ST_REG_CHANGE, ST_STATUS_CHANGE, ST_FEATURE,
	ST_QUEUE_OPEN, ST_QUEUE_UPDATE, ST_QUEUE_END, ST_VIOLATION, ST_ANOMALY, ST_LOST,
	ST_DEVICE_UPSERT, ST_META,
	ST_DEVICE_STEP, ST_CHAIN_TORN, /* reports.c */
	ST_COUNT
};

/* Tables whose rows are buffered and written DEC_BATCH_ROWS at a time with
 * one multi-row INSERT: the bulk of a trace.db.  Nothing reads them while
 * decoding, so they need writing before a commit, or before an UPDATE of
 * the table (only requests has any). */
enum dec_batch_id {
	DB_EVENTS, DB_MEMORY, DB_INTERRUPTS, DB_CHAINS, DB_DESCRIPTORS, DB_USED, DB_NET_FRAMES,
	DB_REQUESTS, /* updated while decoding: dec_batch_flush before an UPDATE */
	DB_COUNT
};

/* Rows per multi-row INSERT: the per-statement work of SQLite (cursor,
 * record buffer, halt) is paid once per batch instead of once per row. */
#define DEC_BATCH_ROWS 32u
/* Text and blob bytes a batch copies before it is written out early. */
#define DEC_BATCH_BYTES (256u << 10)
/* Most columns of a batched table. */
#define DEC_BATCH_COLS_MAX 24u

/* One column value of a buffered row.  Text and blobs are either static
 * (p, len) or copied into the batch's arena (offset in i, len). */
struct dec_val {
	enum { DEC_VAL_NULL = 0, DEC_VAL_INT, DEC_VAL_TEXT, DEC_VAL_BLOB } type;
	bool copied;
	int len;
	sqlite3_int64 i;
	const void *p;
};

struct dec_batch {
	sqlite3_stmt *one;  /* single-row INSERT (rows left at a commit) */
	sqlite3_stmt *many; /* DEC_BATCH_ROWS-row INSERT */
	unsigned ncol;
	unsigned n;         /* complete rows buffered */
	/* Parameters bound to NULL now, bit i for parameter i + 1 of one
	 * (one_null) and of many (many_null): a NULL is bound only when the
	 * parameter held a value, since bindings survive a reset. */
	uint64_t one_null;
	uint64_t many_null[(DEC_BATCH_ROWS * DEC_BATCH_COLS_MAX + 63) / 64];
	struct dec_val *vals; /* DEC_BATCH_ROWS * ncol; owned */
	uint8_t *arena;     /* copied text and blobs; owned */
	size_t used, cap;
};

struct decoder {
	sqlite3 *db;
	struct decoder_opts opts;
	sqlite3_stmt *st[ST_COUNT];
	struct dec_batch batch[DB_COUNT];
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
	/* The vCPUs register accesses came from (bit per vmt_event.vcpu) and
	 * their count, meta 'mmio_vcpus': readers learn whether to show a
	 * cpu column without reading every access. */
	uint64_t mmio_vcpu_seen[(UINT16_MAX + 1) / 64];
	unsigned mmio_vcpus;
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
/* Start a row of batch b: returns its ncol values, all NULL; fill them with
 * dec_val_* and finish with dec_batch_add.  There is always room. */
struct dec_val *dec_batch_row(struct decoder *dec, enum dec_batch_id b);
/* The row started last is complete (counts a row); writes the batch out
 * when it is full or holds DEC_BATCH_BYTES of copies. */
void dec_batch_add(struct decoder *dec, enum dec_batch_id b);
/* Write the rows batch b holds now. Returns 0 or -1. */
int dec_batch_flush(struct decoder *dec, enum dec_batch_id b);
/* Copy len bytes of text or blob into batch b's arena as value v (NULL if
 * p is NULL). */
void dec_val_copy(struct decoder *dec, enum dec_batch_id b, struct dec_val *v, const void *p, int len, bool blob);

static inline void dec_val_int(struct dec_val *v, sqlite3_int64 i)
{
	v->type = DEC_VAL_INT;
	v->i = i;
}

/* Text that outlives the decoder (a string constant). */
static inline void dec_val_static_text(struct dec_val *v, const char *s)
{
	v->type = DEC_VAL_TEXT;
	v->p = s;
	v->len = -1;
}

/* Commit the running transaction if enough rows or time passed. */
int dec_sql_maybe_commit(struct decoder *dec);
/* Write out every batch, then commit (and begin again if reopen). */
int dec_sql_commit(struct decoder *dec, bool reopen);
/* Record a database error once; returns -1. */
int dec_fail(struct decoder *dec, const char *what);

/* Report a broken rule at the current event. dev may be NULL. */
void dec_violation(struct decoder *dec, struct dec_device *d, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Report what would have broken rule in best-effort bytes (a snapshot
 * that raced the guest): an anomaly, not a violation. dev may be NULL. */
void dec_anomaly(struct decoder *dec, struct dec_device *d, int queue, enum rule_id rule, const char *msg);

/* dec_mmio.c: one register access of device d. */
void dec_mmio(struct decoder *dec, struct dec_device *d, const struct vmt_event *ev);
/* An interrupts row at the current event. */
void dec_interrupt_row(struct decoder *dec, struct dec_device *d, const char *kind, uint64_t value);
/* The device's label, "virtio-blk@0x10000000". */
void dec_device_rename(struct dec_device *d);

#endif
