/* The QEMU command line vmtrace runs: the user's, checked, plus what
 * vmtrace needs added to it:
 *
 *   -trace memory_region_ops_read [-trace VIRTIO_EVENT...] -trace memory_region_ops_write,file=TRACE
 *       every MMIO access, written to TRACE (a pipe vmtrace reads); QEMU
 *       keeps the file= of the last -trace only, so it is on the last one
 *   -object memory-backend-file,id=vmtrace-ram,size=RAM,mem-path=RAMFILE,share=on
 *   -machine memory-backend=vmtrace-ram
 *       guest RAM in a file vmtrace maps read-only, for ring snapshots
 *       (only when the command has no memory backend of its own)
 *   -global virtio-mmio.ioeventfd=off
 *       so that, under KVM, QueueNotify writes reach the trace instead of
 *       an eventfd (unless the command sets it itself)
 *   VIRTIO_EVENT: virtio_queue_notify, virtqueue_pop, virtqueue_fill,
 *   virtqueue_flush, virtio_blk_handle_read, virtio_blk_handle_write
 *       QEMU's own report of each queue step, into the same TRACE (QEMU has
 *       one trace file); a QEMU lacking one warns and records without it
 *   -msg timestamp=on
 *       every trace line prefixed PID@SEC.USEC: (PID: the writing thread),
 *       which pairs a virtio_queue_notify with its QueueNotify write.  QEMU
 *       takes only the last -msg: the user's last one is repeated with
 *       timestamp=on (its other items kept); not added if it says so already
 *       (this also timestamps QEMU's own error messages)
 *
 * Nothing here runs anything; qemu_args_build only reads the words.
 *
 * Errors: qemu_args_build returns 0, 1 (a positive input error: a command
 * vmtrace cannot record, with a message in err) or -ENOMEM. */
#ifndef VMTRACE_QEMU_ARGS_H
#define VMTRACE_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_ARGS_RAM_ID "vmtrace-ram"
#define QEMU_DEFAULT_RAM (UINT64_C(128) << 20) /* x86 machines' default -m */
#define QEMU_ARGS_VIRTIO_EVENTS 9 /* the virtio (and SCSI parse) trace events added */

struct qemu_args_opts {
	const char *trace_path; /* where QEMU writes trace lines */
	const char *ram_path;   /* guest RAM file for the memory backend; NULL: do not share RAM */
};

struct qemu_plan {
	char **argv;          /* NULL-terminated; array and strings owned (qemu_args_release) */
	int argc;
	char machine[64];     /* machine type from -M/-machine, "" for QEMU's default */
	uint64_t ram_size;    /* guest RAM bytes (-m, or QEMU's default) */
	bool share_ram;       /* the memory backend options were added */
	bool kvm;             /* the command asks for KVM */
	bool ioeventfd_added; /* -global virtio-mmio.ioeventfd=off was added */
	bool ioeventfd_user_on; /* the command turns ioeventfd on itself */
	bool msg_added;       /* -msg ...,timestamp=on was added */
	bool msg_timestamp_forced; /* the command's last -msg said timestamp=off: turned on */
	char note[512];       /* why RAM is not shared, if it is not ("" otherwise) */
};

/* Check argv (argv[0] is the QEMU binary) and build the plan.  Returns 0,
 * or 1 with a message in err for a command vmtrace cannot record (not
 * QEMU, -daemonize, its own trace file, ...), or -ENOMEM. */
int qemu_args_build(struct qemu_plan *p, int argc, char *const *argv, const struct qemu_args_opts *o, char *err,
		    size_t errlen);

void qemu_args_release(struct qemu_plan *p); /* safe on a zeroed plan */

#endif
