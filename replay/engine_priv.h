/* The replay engine's state, shared by engine.c (the event loop and exact
 * comparisons), snapshot.c (best-effort ring snapshots of traces from QEMU
 * and BPF) and diverge.c (recording a divergence with its context).
 * Calls go one way: engine.c -> snapshot.c -> diverge.c, and engine.c ->
 * diverge.c; nothing calls back into engine.c. */
#ifndef VMTRACE_REPLAY_ENGINE_PRIV_H
#define VMTRACE_REPLAY_ENGINE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/emu/emu.h"
#include "replay/replay.h"
#include "replay/setup.h"
#include "replay/trace_in.h"
#include "virtio/packed_ring.h"

/* Something the emulated device did, waiting to be matched with the
 * recorded device's next action. */
struct actual {
	uint8_t type;     /* VMT_EV_MEM, VMT_EV_IRQ, VMT_EV_VIOLATION */
	uint64_t base;
	uint64_t addr;
	uint64_t value;
	uint32_t len;
	uint8_t *data;    /* owned copy (MEM), message (VIOLATION) */
	uint64_t cause;   /* seq of the driver event it answered */
};

struct dev_state {
	uint32_t queue_sel;
	uint32_t features_sel;
	int lacking_queue;  /* last notified queue the model does not have, -1 */
	/* The emulator's last violation report (traces of other sources do
	 * not record their device's view, so it explains what follows). */
	uint64_t violation_seq;
	char violation[160];
	/* Registers only: the ring-content rule the recorded device reported
	 * since its last reset (exact traces; RULE_NONE if none), which made
	 * the emulator's twin fail in the recording. */
	uint32_t ring_rule;
	uint64_t ring_rule_seq;
	/* Torn ring copy (best-effort traces): from seq torn_from on
	 * (UINT64_MAX: never) the device replays registers only; unverified
	 * once that seq is reached.  failure_masked: the emulated device had
	 * failed on ring contents before that (replay_device_info). */
	uint64_t torn_from;
	bool unverified;
	bool failure_masked;
	/* best-effort used-ring checks, per queue */
	uint16_t used_checked[EMU_QUEUES_MAX];
	struct used_track {
		uint64_t used_addr;  /* the emulator's ring when last compared */
		uint16_t last_ours;
		/* Snapshots that showed the recorded device ahead, not yet
		 * caught up with: (seq, recorded idx), idx increasing. */
		struct ahead { uint64_t seq; uint16_t idx; } *ahead;
		unsigned n_ahead, cap_ahead;
		/* Packed rings: the next used position to compare in the
		 * recorded copies (of the ring at ring, for the queue's set-up
		 * whose pops were counted up to popped), and the first position
		 * a copy showed the recorded device had used before the
		 * emulated one (ahead_seq: that copy). */
		uint64_t ring, popped;
		struct packed_pos chk;
		bool pk_ahead;
		uint64_t ahead_seq;
		struct packed_pos ahead_at;
	} ut[EMU_QUEUES_MAX];
	/* Following the recorded device's own reports (engine.follow): per
	 * queue generation the emulator holds (vq_hold), the elements the
	 * recorded device popped and not yet filled, in pop order, and the
	 * fills waiting for their flush.  Arrays of the queue's size. */
	struct report_track {
		uint32_t num;            /* the queue's size when set up, 0 none */
		uint64_t popped;         /* pops reported since set-up */
		struct flight { uint64_t token, ord; } *fl;
		uint32_t n_fl;
		struct staged { uint64_t ord, token, seq; uint16_t pos; } *st;
		uint32_t n_st;
		uint8_t *seen;           /* flush: positions filled */
	} rt[EMU_QUEUES_MAX];
};

struct engine {
	const struct trace_in *t;
	const struct replay_opts *o;
	struct replay_result *res;
	struct replay_rig rig;
	bool exact;
	bool regs_only;     /* opts->registers_only: see replay.h */
	/* A best-effort trace with the device's own reports: used entries
	 * are published at its fill and flush reports (engine.c) */
	bool follow;
	uint64_t next_torn; /* lowest torn_from of a device not yet unverified */
	bool stop;
	uint64_t cur_seq;   /* event being replayed */
	struct actual *act;
	unsigned n_act, cap_act, head_act;
	struct recent {
		struct trace_ev ev;  /* data and text pointers cleared */
		char text[64];
	} recent[REPLAY_CONTEXT];
	uint64_t n_recent;
	struct dev_state ds[TRACE_IN_DEVICES_MAX];
	/* best-effort sources: device-owned snapshot parts wait for their
	 * trigger (the access after them) to run before they are compared */
	struct pending_snap {
		uint64_t seq, addr;
		uint32_t len;
		uint8_t *data;     /* owned copy */
		int dev;           /* used ring: device index and queue; -1 buffer */
		unsigned queue;
		int owner;         /* buffer: device index of its batch, -1 not known yet */
	} *pend;
	unsigned n_pend, cap_pend;
	/* A packed descriptor ring copied in several events (rings of more
	 * than VMT_EVENT_DATA_MAX bytes), gathered until its last piece:
	 * device index and queue, bytes in and expected. */
	struct pk_pieces {
		uint8_t *data;     /* owned */
		uint32_t have, need;
		uint64_t seq, addr;
		int dev;
		unsigned queue;
	} pieces;
	bool driver_phase;  /* inside a snapshot batch's driver-owned part */
	bool foreign_batch; /* inside the batch of a queue the emulator lacks */
	int batch_dev;      /* device index of the batch being read, -1 not known */
	size_t next_rx;     /* next recorded frame to deliver */
	/* Following reports: the packed ring whose fills wait for the end of
	 * their batch (device index, -1 none; the last fill's seq). */
	int pk_dev;
	unsigned pk_queue;
	uint64_t pk_seq;
};

/* Whether device index dev replays registers only: the whole replay
 * does, or its ring contents are unverified (a torn copy). */
static inline bool engine_regs_only(const struct engine *e, int dev)
{
	return e->regs_only || (dev >= 0 && e->ds[dev].unverified);
}

/* Best-effort snapshot handling (snapshot.c). */
void snapshot_event(struct engine *e, const struct trace_ev *ev);
/* Compare the device-owned snapshot parts held back for the access just
 * replayed; snapshot_free_pending drops them (end of replay). */
void snapshot_flush_pending(struct engine *e);
void snapshot_free_pending(struct engine *e);
/* End of replay: used buffers the recorded device had and the emulated
 * one never got to are reported (missing). */
void snapshot_finish(struct engine *e);
/* The emulated device published used entries on queue q of device index
 * dev outside an access (at the recorded device's flush report): what the
 * recorded one was ahead by is caught up with. */
void snapshot_caught_up(struct engine *e, int dev, unsigned q, const struct virtqueue *vq);
/* Device index dev is unverified from now on: its parts held back and
 * the used entries it was behind on are dropped, not compared. */
void snapshot_drop_device(struct engine *e, int dev);

#endif
