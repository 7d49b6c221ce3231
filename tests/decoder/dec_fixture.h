/* Test fixture for the ring decoder: a decoder over a scratch trace.db fed
 * hand-built events (MMIO accesses of a driver, guest-memory stores of the
 * driver and the device, interrupts), then queried with SQL. */
#ifndef VMTRACE_TESTS_DEC_FIXTURE_H
#define VMTRACE_TESTS_DEC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

struct sqlite3;
struct decoder;

#define FX_RAM_BASE UINT64_C(0x40000000)
#define FX_RAM_SIZE (UINT64_C(1) << 20)
#define FX_BASE UINT64_C(0x10000000)
/* Ring of queue q: descriptors, avail and used areas. */
#define FX_DESC(q) (FX_RAM_BASE + 0x1000 + 0x1000 * (uint64_t)(q))
#define FX_AVAIL(q) (FX_DESC(q) + 0x400)
#define FX_USED(q) (FX_DESC(q) + 0x800)
/* Buffer n: 8 KiB apart, after the rings. */
#define FX_BUF(n) (FX_RAM_BASE + 0x10000 + 0x2000 * (uint64_t)(n))

struct fx {
	struct sqlite3 *db;
	struct decoder *dec;
	uint64_t seq;
	uint32_t qsize;
	uint16_t avail_idx[4], used_idx[4];
	char path[512];
};

/* Start a decoder over a fresh db named name; RAM known to the decoder. */
void fx_open(struct fx *fx, const char *name);
/* The same at path (replaced if it exists). */
void fx_open_at(struct fx *fx, const char *path);
/* decoder_finish and free; fx->db stays open for queries. */
void fx_finish(struct fx *fx);
void fx_close(struct fx *fx); /* close the db and remove the file */

/* Bring up a modern device of type device_id with features and n_queues
 * queues of fx->qsize entries at FX_DESC/FX_AVAIL/FX_USED, ready. */
void fx_init_device(struct fx *fx, uint32_t device_id, uint64_t features, unsigned n_queues);

uint64_t fx_mmio(struct fx *fx, bool write, uint32_t off, uint32_t value);
/* An access of any width, as a raw trace may hold one. */
uint64_t fx_mmio_w(struct fx *fx, bool write, uint32_t off, uint8_t width, uint64_t value);
uint64_t fx_mem(struct fx *fx, uint64_t gpa, const void *data, uint32_t len, uint16_t flags);
uint64_t fx_drv(struct fx *fx, uint64_t gpa, const void *data, uint32_t len);
uint64_t fx_dev(struct fx *fx, uint64_t gpa, const void *data, uint32_t len);
uint64_t fx_irq(struct fx *fx, uint32_t status);
/* The device's own report of a queue step (VMT_EV_QUEUE) on device base
 * FX_BASE, queue q: step (enum vmt_queue_step), token, arg0, arg1. */
uint64_t fx_report(struct fx *fx, uint64_t q, uint32_t step, uint64_t token, uint64_t arg0, uint64_t arg1);
/* A VMT_EV_QUEUE event with any base, step value and payload bytes. */
uint64_t fx_report_raw(struct fx *fx, uint64_t base, uint64_t q, uint64_t step, const void *data, uint32_t len);

/* Driver writes descriptor i of table at gpa. */
uint64_t fx_desc(struct fx *fx, uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
/* Driver puts head in the next avail slot of queue q and publishes the idx;
 * returns the seq of the idx store. */
uint64_t fx_publish(struct fx *fx, unsigned q, uint16_t head);
/* Device publishes used entry (id, len) on queue q; returns the seq of the idx store. */
uint64_t fx_used(struct fx *fx, unsigned q, uint32_t id, uint32_t len);

/* First column of the first row of sql as an integer; -1 if no row or NULL. */
int64_t fx_int(struct fx *fx, const char *sql);
/* ... as text (static buffer); "(null)" if no row or NULL. */
const char *fx_text(struct fx *fx, const char *sql);

/* One buffer of a chain that fx_chain makes. */
struct fx_seg {
	uint64_t gpa;       /* where it lies */
	uint32_t len;       /* its descriptor's length */
	bool write;         /* device-writable */
	const void *data;   /* bytes stored into it: by the driver before the chain
			     * is published (readable), by the device before the
			     * used entry (writable) */
	uint32_t data_len;  /* how many (0: none stored) */
	uint32_t data_off;  /* where in the buffer */
	uint16_t mem_flags; /* of that store; 0: a driver or device write */
};

/* Add the driver's bytes data[0 .. len) to segs[*n ..] as one readable
 * buffer, or as two split at split if 0 < split < len; only the first
 * copied of them stored (UINT32_MAX: all), with mem_flags.  Buffer k of the
 * chain lies at FX_BUF(base + k). */
void fx_segs_out(struct fx_seg *segs, unsigned *n, uint32_t base, const void *data, uint32_t len, uint32_t split,
		 uint32_t copied, uint16_t mem_flags);
/* The chain segs[0 .. n) at descriptors base .. base + n - 1 of queue q as
 * driver and device make it: each readable buffer's bytes then its
 * descriptor, each writable buffer's descriptor (NEXT to the following
 * one but the last); the avail entry, a kick; the device's stores into the
 * writable buffers, the used entry (base, used_len); with irq, an
 * interrupt the driver reads and acknowledges. */
void fx_chain(struct fx *fx, unsigned q, uint32_t base, const struct fx_seg *segs, unsigned n, uint32_t used_len,
	      bool irq);

/* A blk request of type (VIRTIO_BLK_T_IN or _OUT) at descriptors head ..
 * head + 2 of queue 0, published, not kicked: a 16-byte header at
 * FX_BUF(head) naming sector, 512 data bytes at FX_BUF(head + 1) (an OUT
 * request's stored by the driver, each byte fill), a status byte at
 * FX_BUF(head + 2).  Returns the seq of the avail idx store. */
uint64_t fx_blk_chain(struct fx *fx, uint16_t head, uint32_t type, uint64_t sector, uint8_t fill);
/* The device completes the request at head with used length len on queue
 * 0, as QEMU reports it: status byte 0, a fill report for token, the used
 * entry, a flush report, an interrupt.  head < 0: a request the trace has
 * no copy of (no status store, no used entry).  Returns the seq of the
 * fill report. */
uint64_t fx_blk_complete(struct fx *fx, int head, uint64_t token, uint32_t len);

/* printf into one of four static buffers used in turn: a query for
 * fx_int and fx_text built from values. */
const char *fx_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many violations of rule (its name, e.g. "request-malformed"). */
int64_t fx_n_rule(struct fx *fx, const char *rule);
/* The op text of request id; "(null)" if none. */
const char *fx_op(struct fx *fx, unsigned id);

uint64_t fx_fnv(const void *data, uint64_t len);
/* After a round of random stores (decoder finished): no request's op text
 * reaches 80 characters (checked); *requests and *with_op grow by the
 * requests rows and those with an op. */
void fx_random_tally(struct fx *fx, int64_t *requests, int64_t *with_op);
/* After all rounds: print the totals, and check that the walks reached the
 * request decoders (more than 100 requests) and some requests decoded. */
void fx_random_done(int64_t requests, int64_t with_op);
/* One xorshift64 step of *state (nonzero): the tests' repeatable random
 * numbers. */
uint64_t fx_rnd(uint64_t *state);
/* steps random ring stores on queues 0 .. n_queues - 1 from *state:
 * descriptors (small, odd or huge lengths at FX_BUF(0..7) or anywhere,
 * random flags and next), avail heads, used entries, device and driver
 * bytes.  What a hostile guest and device may leave in a trace. */
void fx_random_stores(struct fx *fx, uint64_t *state, unsigned n_queues, unsigned steps);

#endif
