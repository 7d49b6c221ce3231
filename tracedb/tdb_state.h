/* The full state of one device at any seq, from the change tables: every
 * register value (reg_changes), Status with its names, the feature words
 * offered / accepted and the negotiated set, each queue's generation,
 * size, addresses and readiness, and the config bytes; and which write
 * set a register's current value.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_E_DAMAGED_ROW
 * (a row of the change tables that is not what the decoder writes;
 * message names it), TDB_E_NOT_FOUND (no such device, or for
 * tdb_state_setter no value yet), TDB_E_TOO_MANY. */
#ifndef VMTRACE_TRACEDB_TDB_STATE_H
#define VMTRACE_TRACEDB_TDB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_queue;

/* Most registers one state holds (a bound on a hostile file's rows, not a
 * limit real devices meet: about 30 registers of the device and 12 per
 * queue, and a virtio-console with 31 ports has 64 queues, 800 in all);
 * config bytes it keeps (0x100-0x1ff). */
#define TDB_STATE_REGS_MAX 4096
#define TDB_CONFIG_MAX 256
#define TDB_REG_NAME_MAX 32

struct tdb_reg_value {
	char reg[TDB_REG_NAME_MAX];  /* modern name (docs/schema.md), the file's text */
	int64_t queue;               /* -1: not a per-queue register */
	uint64_t value;
	uint64_t seq;                /* the change that set it ("who set this?") */
};

struct tdb_state {
	int device;
	uint64_t seq;
	struct tdb_reg_value *regs;  /* by reg, queue; owned (tdb_state_clear) */
	size_t n_regs;
	bool status_known;
	uint32_t status;
	char status_names[128];      /* the file's text ('ACKNOWLEDGE|DRIVER') */
	uint64_t status_seq;
	bool offered_known[2], accepted_known[2], negotiated_known;
	uint32_t offered[2], accepted[2];  /* feature words 0 and 1 */
	uint64_t negotiated;
	uint64_t negotiated_seq;
	struct tdb_queue *queues;    /* generation live at seq, by queue; owned */
	size_t n_queues;
	uint8_t config[TDB_CONFIG_MAX];      /* as last read or written at or before seq */
	bool config_known[TDB_CONFIG_MAX];
};

/* The state of device at seq (everything that happened at or before it)
 * into *s (tdb_state_clear frees what it holds, also after an error). */
int tdb_state_at(struct tdb *t, int device, uint64_t seq, struct tdb_state *s);
void tdb_state_clear(struct tdb_state *s);

/* The value of register reg (queue -1 if not per queue) of device in
 * force at seq, and the seq of the change that set it. */
int tdb_state_setter(struct tdb *t, int device, const char *reg, int64_t queue, uint64_t seq, uint64_t *value,
		     uint64_t *set_seq);

/* Whether device has an event with a seq in [from, to) (*any): one lookup
 * along events(device, seq).  A device's state changes only at its own
 * events, so a reader that knows it at from knows it at to when *any is
 * false. */
int tdb_state_changes_between(struct tdb *t, int device, uint64_t from, uint64_t to, bool *any);

#endif
