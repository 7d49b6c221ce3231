/* Queue set-ups: the queues table, one row per queue generation.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_E_DAMAGED_ROW
 * (strict read, the row named), TDB_E_TOO_MANY (more than
 * TDB_QUEUE_ROWS_MAX rows).  Strict when notes is NULL, lenient otherwise
 * (tdb_devices.h). */
#ifndef VMTRACE_TRACEDB_TDB_QUEUES_H
#define VMTRACE_TRACEDB_TDB_QUEUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_notes;

/* Most queues rows one call returns. */
#define TDB_QUEUE_ROWS_MAX (1u << 20)

/* Bits of tdb_queue.known (column not NULL) and .bad (damaged). */
enum {
	TDB_Q_DEVICE = 1u << 0, TDB_Q_QUEUE = 1u << 1, TDB_Q_GENERATION = 1u << 2, TDB_Q_SEQ_SETUP = 1u << 3,
	TDB_Q_SIZE = 1u << 4, TDB_Q_NUM_MAX = 1u << 5, TDB_Q_DESC = 1u << 6, TDB_Q_DRIVER = 1u << 7,
	TDB_Q_DEVICE_AREA = 1u << 8, TDB_Q_PFN = 1u << 9, TDB_Q_PAGE_SIZE = 1u << 10, TDB_Q_ALIGN = 1u << 11,
	TDB_Q_SEQ_READY = 1u << 12, TDB_Q_SEQ_END = 1u << 13,
};

struct tdb_queue {
	int device;                  /* devices.device 0..255 (-1 damaged) */
	uint32_t queue;
	uint64_t generation;
	uint64_t seq_setup, seq_ready, seq_end;  /* seq_ready/_end: see known */
	uint32_t size, num_max;      /* QueueNum as written, QueueNumMax as read */
	uint64_t desc_addr, driver_addr, device_addr;
	uint32_t legacy_pfn, page_size, align;
	bool ready;                  /* TDB_Q_AT: QueueReady 1 at that seq */
	char end_reason[48];         /* the file's text, "" if none */
	unsigned known, bad;         /* TDB_Q_* bits */
};

enum tdb_queue_select {
	TDB_QUEUES_ALL,      /* every generation, the latest set-up first */
	TDB_QUEUES_LATEST,   /* each queue's latest generation, by queue */
	TDB_QUEUES_AT,       /* each queue's generation set up at or before seq, by queue */
};

/* Queues rows of device (-1: every device) into a new array *out
 * (free() it) of *n. */
int tdb_queues_read(struct tdb *t, int device, enum tdb_queue_select which, uint64_t seq, struct tdb_notes *notes,
		    struct tdb_queue **out, size_t *n);

#endif
