/* Replay: feed the driver side of a trace.db (register writes and reads,
 * guest-memory stores, ring contents) into the built-in emulator, compare
 * everything the emulated device does (read values, interrupts, used-ring
 * entries, bytes written into guest buffers, violations) with what was
 * recorded, and report where they first differ.
 *
 * Errors: replay_run returns 0 when it ran (whether the trace matched is
 * in the result's divergences, not in the return value), or -1 with the
 * reason in err when the trace cannot be replayed at all. */
#ifndef VMTRACE_REPLAY_REPLAY_H
#define VMTRACE_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/expect.h"
#include "virtio/device_types.h"

/* Devices of a trace replay takes: one emulated device each, so at most
 * what a machine holds (capture/emu/machine.h MACHINE_DEVICES_MAX); a trace
 * with more is refused (replay/trace_in.h TRACE_IN_DEVICES_MAX is the same
 * bound; setup.c checks both at compile time). */
#define REPLAY_DEVICES_MAX 32

/* Events shown with a divergence: the ones before it and its own. */
#define REPLAY_CONTEXT 6
/* Divergences kept in full (more are counted). */
#define REPLAY_DIVS_KEPT 200

struct replay_opts {
	uint64_t until;          /* last seq to replay (UINT64_MAX: all) */
	bool keep_going;         /* do not stop at the first divergence */
	const struct replay_expect *expect; /* declared differences, may be NULL */
	/* Replay only the register accesses: the driver's writes drive the
	 * emulated devices, its reads are compared (InterruptStatus without
	 * bit 0, the used-buffer bit); the emulator processes no ring (a
	 * QueueNotify write goes nowhere) and memory events, device stores,
	 * interrupts and violations of the trace are not compared. For traces
	 * whose ring contents cannot be used (none recorded, or torn copies). */
	bool registers_only;
	/* Called now and then with events replayed so far (NULL: never). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct replay_brief {
	uint64_t seq;
	char text[112];
};

struct replay_div {
	uint64_t seq;
	bool at_setup;           /* a value the emulator took over before replay */
	int device;              /* devices.device in the trace, -1 none */
	char device_name[DEVTYPE_LABEL_SIZE];
	const char *kind;        /* "read", "device-write", "interrupt", "used",
				  * "violation", "missing", "extra", "config" */
	char where[112];         /* register, ring slot or guest address */
	bool has_values;         /* expected/actual are numbers */
	uint64_t expected, actual;
	char expected_text[112]; /* otherwise a description of each side */
	char actual_text[112];
	const char *section;     /* spec section involved, or NULL */
	char note[300];          /* why they differ, where that is known */
	const char *declared_by; /* the declaration that covers it, or NULL */
	struct replay_brief before[REPLAY_CONTEXT];
	unsigned n_before;
};

struct replay_device_info {
	int device;
	uint64_t base;
	uint32_t device_id;
	char name[DEVTYPE_LABEL_SIZE];
	char model[16];          /* emulator model, "" if none */
	uint32_t version;
	char why_not[96];        /* when there is no model */
	bool empty;              /* no model because DeviceID read 0: an empty transport */
	/* Torn ring copy (a best-effort trace, never an exact one): from
	 * unverified_from on, the device's ring contents were neither
	 * processed nor compared (registers only for this device, see
	 * replay_opts.registers_only), because the decoder recorded an
	 * anomaly in a copy of one of its queues' rings: the first one of a
	 * queue the emulated device has is torn_*.  Not a divergence. */
	bool unverified;
	uint64_t unverified_from;
	uint64_t torn_seq;       /* the anomaly's seq (>= unverified_from) */
	unsigned torn_queue;
	char torn_rule[48];      /* printable */
	char torn_message[160];  /* printable */
	/* The emulated device had already failed on ring contents when it
	 * switched: that failure (DEVICE_NEEDS_RESET, the configuration-change
	 * interrupt) is not compared until the driver resets the device. */
	bool failure_masked;
};

struct replay_result {
	char path[256];
	char source[16];         /* "emu", "qemu", "kvm-bpf" */
	bool exact;              /* device side recorded exactly (emulator traces) */
	bool registers_only;     /* replayed with opts.registers_only */
	uint64_t events_skipped; /* events read and not compared: the devices'
				  * own queue reports ('queue' events), and in
				  * registers-only mode (the whole trace, or a
				  * device whose ring contents are unverified) the
				  * memory, interrupt and violation events */
	unsigned devices_unverified; /* devices[] with unverified set */
	unsigned failures_taken_over; /* registers only: device failures caused by
				       * ring contents the emulated device was put
				       * into where a read showed them */
	uint64_t events_total;   /* events in the trace up to --until */
	uint64_t events_replayed;
	uint64_t last_seq;       /* last event replayed */
	uint64_t divergences;    /* not covered by a declaration */
	uint64_t declared;       /* covered by a declaration */
	uint64_t unverified;     /* best-effort snapshot bytes that differed (not counted) */
	uint64_t not_compared;   /* snapshots of queues the emulator does not have */
	unsigned not_replayed;   /* devices left out (not empty transports): the
				  * trace was not replayed in full, never "identical" */
	double seconds;
	bool stopped;            /* stopped at the first divergence */
	struct replay_div *divs; /* undeclared, in order (at most REPLAY_DIVS_KEPT) */
	unsigned n_divs;
	struct replay_div *decl; /* declared, first of each kind per device */
	unsigned n_decl;
	struct replay_div first_unverified;
	struct replay_device_info devices[REPLAY_DEVICES_MAX];
	unsigned n_devices;
};

/* Replay the trace.db at path. Returns 0 with *res filled (its divergences
 * say whether it matched; not_replayed > 0: devices the emulator cannot
 * model were left out, their reasons in devices[].why_not), or -1 with the reason in err when the trace
 * cannot be replayed at all (not a trace.db, no devices the emulator can
 * model, events lost, and, unless opts->registers_only, no usable ring
 * contents: queues set up but no memory rows, or memory events without
 * their rows; the message then suggests --registers-only).
 * replay_result_free releases *res either way. */
int replay_run(const char *path, const struct replay_opts *opts, struct replay_result *res,
	       char *err, size_t errlen);
void replay_result_free(struct replay_result *res);

#endif
