/* Serving the test guest's exits with the built-in emulator, and the
 * ground-truth trace of what was served.
 *
 * Guest RAM is the machine's own RAM (a plain anonymous mmap made by
 * capture/emu/guest_mem.c), which the host hands to KVM as its memory
 * slot: the emulated devices read and write the very rings and buffers
 * the guest uses, with no copying.
 *
 * The truth trace is a raw trace written by the machine's recorder, so it
 * is the same kind of file `vmtrace record --emu` writes (source "emu":
 * every value in it is the one the emulator returned, exactly): one MMIO
 * event per access served, in order, with base, offset, width, direction
 * and value; the device's stores into guest memory and its interrupts, as
 * the emulator makes them; and, since the guest's own stores never pass
 * through the host, copies of the rings and the buffers they point to
 * taken at each QueueNotify and InterruptStatus access (capture/qemu's
 * ring_snap, flagged SNAPSHOT but not BEST_EFFORT: the only vCPU is
 * stopped in its exit while the copy is made).
 *
 * With ioeventfds, QueueNotify writes complete inside KVM and the host
 * only learns of them when it reads the eventfd, which it does before
 * serving each exit.  Each one becomes a QueueNotify write event there,
 * before the access of the exit, with the queue worked out from the
 * rings (see serve_eventfds). */
#ifndef VMTRACE_KVMHOST_SERVE_H
#define VMTRACE_KVMHOST_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct rig_cfg;
struct serve;

struct serve_cfg {
	const struct rig_cfg *devices; /* models in order, layout, rng seed */
	uint64_t ram_size;             /* guest RAM at gpa 0 */
	const char *truth_path;        /* raw trace to write, or NULL */
	const char *command;           /* for the trace's metadata */
	bool ioeventfd;                /* QueueNotify arrives through eventfds */
};

struct serve_stats {
	uint64_t reads, writes;      /* MMIO exits served */
	uint64_t outside;            /* ... of them outside every device window */
	uint64_t eventfd_signals;    /* sum of the eventfd counters read */
	uint64_t eventfd_notifies;   /* QueueNotify writes delivered from them */
	uint64_t eventfd_unclear;    /* eventfd reads whose signal count did not
				      * match the queues with new buffers */
	unsigned violations;         /* reported by the emulated devices */
};

/* Build the machine (RAM, devices at rig_device_base(i) with the same
 * model options as `vmtrace record --emu`) and, if asked, open the truth
 * trace.  Returns 0, or a negative errno with a message in err. */
int serve_new(struct serve **out, const struct serve_cfg *cfg, char *err, size_t errlen);

struct machine *serve_machine(struct serve *s);

/* Hand device i's QueueNotify eventfd to s (s closes it). */
void serve_set_eventfd(struct serve *s, unsigned i, int fd);

/* Serve one KVM_EXIT_MMIO: len (1, 2, 4 or 8) bytes at gpa; a write's
 * value is read from data, a read's value stored into it (little-endian). */
void serve_mmio(struct serve *s, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write);

/* Read every eventfd that has been signalled and deliver the QueueNotify
 * writes it stands for.  Call before serving each exit.
 *
 * An eventfd counts writes, so the number of writes is known, but not the
 * value written (no datamatch) nor the order relative to other devices'
 * notifies in between two exits.  The queue is taken to be each queue
 * whose available index moved since it was last delivered; when that
 * number of queues differs from the number of writes the trace gets a
 * marker saying so (and the notifies recorded are those queues). */
void serve_eventfds(struct serve *s);

/* A marker (free text) in the truth trace. */
void serve_marker(struct serve *s, const char *text);

void serve_get_stats(const struct serve *s, struct serve_stats *st);

/* Close the truth trace with end_reason.  Returns 0, or the first
 * error the trace had (negative errno) with a message in err. */
int serve_finish(struct serve *s, const char *end_reason, char *err, size_t errlen);

/* Free everything; if serve_finish was not called, the truth trace is
 * closed with the end reason "kvmhost stopped before the end".  NULL is a
 * no-op. */
void serve_free(struct serve *s);

#endif
