/* vmtrace record: options, the user's output files and the summary; the
 * recording itself is a capture/session.h session driven by the emulator
 * (capture/driver/rig_record.h, --emu), QEMU's trace events
 * (cli/record_qemu.c, capture/qemu/qemu_pump.h) or BPF on KVM
 * (cli/record_bpf.c, capture/kvm/kvm_pump.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/driver/driver.h"
#include "capture/driver/rig.h"
#include "capture/driver/rig_record.h"
#include "capture/driver/workload.h"
#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"
#include "capture/session.h"
#include "cli/commands.h"
#include "cli/record_bpf.h"
#include "cli/record_out.h"
#include "cli/record_qemu.h"
#include "cli/util.h"
#include "config.h"
#include "virtio/names.h"
#include "virtio/rules.h"

#if HAVE_SQLITE
#define RECORD_DEFAULT_OUTPUT "vmtrace.db"
#else
/* Without the decoder (no SQLite) only raw traces can be written. */
#define RECORD_DEFAULT_OUTPUT "vmtrace.vmt"
#endif
/* Violations printed in full; the rest are only counted. */
#define RECORD_VIOLATIONS_SHOWN 20

struct record_opts {
	const char *emu;    /* device list, NULL without --emu */
	int cmd_at;         /* argv index of the command to record, 0 if none */
	const char *qemu_log;
	bool no_snapshots;
	bool no_hold;
	bool flush_given;
	const char *emu_only; /* an --emu option given, for the error with a command */
	const char *output; /* trace.db, or a raw trace if it ends in ".vmt" */
	const char *raw;    /* --raw: keep the raw trace here too */
	bool force;
	bool quiet;
	bool bpf;           /* --bpf: KVM MMIO exits through BPF */
	const char *bpf_only; /* an option given that needs --bpf */
	struct record_bpf_opts bo; /* --pid, --window, ... */
	struct rig_cfg rig;
	struct drv_wl_opts wl;
	struct rawtrace_write_opts wopts;
};

static void record_usage(FILE *f)
{
	struct drv_wl_opts def;
	char names[256], list[256];

	drv_wl_opts_init(&def);
	fprintf(f,
		"usage: vmtrace record [options] -- qemu-system-ARCH [QEMU ARGS...]\n"
		"       vmtrace record --bpf [options] -- VMM [ARGS...]\n"
		"       vmtrace record --bpf [options] --pid PID\n"
		"       vmtrace record --emu DEVICES [options]\n"
		"\n"
		"Record every access a driver makes to virtio-mmio devices, then decode it\n"
		"into a SQLite trace.db (see 'vmtrace info', 'vmtrace show', vmtrace-trace-db(5)).\n"
		"\n"
		"With a QEMU command, vmtrace runs it with these options added:\n"
		"  -trace memory_region_ops_read -trace memory_region_ops_write,file=PIPE\n"
		"      every MMIO access, read by vmtrace while the guest runs (accesses to\n"
		"      regions named 'virtio-mmio' are kept; devices are found from them)\n"
		"  -trace virtio_queue_notify -trace virtqueue_pop -trace virtqueue_fill\n"
		"  -trace virtqueue_flush -trace virtio_blk_handle_read/_write\n"
		"      QEMU's own report of each queue step (pop, fill, flush, blk request),\n"
		"      kept beside the ring copies to check them; rings are also copied at\n"
		"      each pop. A QEMU without these events warns and records without them\n"
		"  -msg timestamp=on\n"
		"      each trace line names the QEMU thread that wrote it (the command's\n"
		"      last -msg is repeated with timestamp=on, its other settings kept)\n"
		"  -object memory-backend-file,...,share=on -machine memory-backend=...\n"
		"      guest RAM in a memory file vmtrace maps read-only: at every\n"
		"      QueueNotify write and InterruptStatus read it copies the rings and\n"
		"      the buffers they point to (at most 64 KiB per buffer, 4 MiB per\n"
		"      copy). The guest keeps running meanwhile, so these copies are marked\n"
		"      best-effort. Not added if the command sets up guest memory itself.\n"
		"  -global virtio-mmio.ioeventfd=off\n"
		"      under KVM, QueueNotify writes would otherwise go to an eventfd and\n"
		"      never reach the trace (not added if the command sets it)\n"
		"The guest's console stays on the terminal; Ctrl-C and SIGTERM go to QEMU;\n"
		"the raw trace reaches the disk every second, so a crash loses at most\n"
		"the last second; vmtrace exits with QEMU's status (or dies of its signal).\n"
		"\n");
	fputs("With --bpf, vmtrace loads a BPF program on KVM's tracepoints (kvm:kvm_mmio,\n"
		"kvm:kvm_fast_mmio) for the command's process (and its children), or for\n"
		"process PID; the VMM runs unchanged. Every MMIO exit of its guest is seen,\n"
		"reads with the value the guest got, writes an ioeventfd takes in the kernel\n"
		"included. Accesses are kept for the 0x200-byte windows where a MagicValue\n"
		"read returned 0x74726976 (and those named with --window); accesses to a\n"
		"window before that read are held back until it is seen. Records the BPF\n"
		"ring buffer had no room for are counted as lost in the trace. Needs root,\n"
		"or CAP_BPF and CAP_PERFMON. With --pid, Ctrl-C or SIGTERM detaches: the\n"
		"trace is complete up to then and vmtrace exits 0.\n"
		"\n", f);
	fputs("With --emu, vmtrace builds an emulated machine (64 MiB of RAM at 0x40000000;\n"
	      "device i's registers at 0x10000000 + i * 0x200, in the order given) and runs\n"
	      "its built-in driver on it: probe, initialization, queue set-up, then a\n"
	      "workload per device that checks its own results:\n", f);
	/* Each workload's summary and options come from its own file
	 * (capture/driver/wl_<type>.c) through the registry. */
	drv_wl_help_summaries(f, 2, 11);
	drv_wl_names_join(names, sizeof(names), ", ", NULL);
	drv_wl_names_join(list, sizeof(list), ",", NULL);
	fprintf(f,
		"Every register access, guest-memory store, interrupt and phase marker is\n"
		"recorded. The same arguments give a byte-identical trace file.\n"
		"\n"
		"options:\n"
		"  -e, --emu DEVICES     devices to emulate, comma-separated (a type may repeat):\n"
		"                        %s (e.g. %s)\n"
		"      --legacy          legacy (Version 1) register layout, not Version 2\n"
		"      --packed          packed virtqueues (VIRTIO_F_RING_PACKED offered and\n"
		"                        negotiated; Version 2 layout only)\n"
		"  -w, --workload SPEC   workload sizes: 'DEV:KEY=N[,KEY=N]' groups joined by\n"
		"                        ';', e.g. 'blk:sectors=64,requests=16;net:frames=32'\n"
		"                        (repeatable: each adds its groups)\n",
		names, list);
	drv_wl_help_keys(f, &def, 8, 26);
	fprintf(f,
		"      --repeat N        run the whole driver N times (1-%u, default 1):\n"
		"                        each round after the first resets every device\n"
		"                        and drives it again, for traces as long as wanted\n"
		"                        (about 90,000 events a round with every device at\n"
		"                        its largest sizes; progress on a terminal)\n",
		DRV_WL_REPEAT_MAX);
	fprintf(f,
		"  -o, --output FILE     trace.db to write (default %s); a name ending in\n"
		"                        .vmt writes the raw trace only (vmtrace dump reads\n"
		"                        it, vmtrace decode turns it into a trace.db);\n"
		"                        an existing FILE is renamed FILE.old once the new\n"
		"                        one is complete (FILE.recording-XXXXXX.vmt and\n"
		"                        FILE.decoding-XXXXXX until then)\n"
		"      --raw FILE        also keep the raw trace in FILE (the decoded file\n"
		"                        is made from it after recording)\n"
		"  -f, --force           overwrite FILE instead of renaming it\n"
		"      --seed N          seed of the rng device and the data patterns\n"
		"                        (default %llu)\n"
		"      --blk-image FILE  back blk devices with FILE (a raw image) instead of\n"
		"                        1 MiB (2048 sectors) of memory; the workload WRITES\n"
		"                        its first blk:sectors sectors\n"
		"      --flush MODE      when trace blocks reach the file: 'block' (when full;\n"
		"                        the default with --emu), 'event' (after every event),\n"
		"                        or every N milliseconds (default 1000 for a command)\n"
		"      --fsync           fsync(2) the trace after every block\n"
		"      --no-indirect     do not negotiate VIRTIO_F_INDIRECT_DESC\n"
		"      --no-event-idx    do not negotiate VIRTIO_F_EVENT_IDX\n"
		"      --qemu-log FILE   (QEMU) also copy everything QEMU wrote to its trace\n"
		"                        output into FILE\n"
		"      --no-snapshots    (QEMU, --bpf) no ring contents: register accesses only\n"
		"      --no-hold         (QEMU) let QEMU run on while vmtrace copies rings: a\n"
		"                        little faster, but copies may come after the guest\n"
		"                        reused the buffers (found and flagged as anomalies)\n",
		RECORD_DEFAULT_OUTPUT,
		(unsigned long long)def.seed);
	fprintf(f,
		"      --bpf             record a KVM VMM's MMIO exits with BPF (see above)\n"
		"      --pid PID         (--bpf) attach to running process PID instead of a command\n"
		"      --window BASE[+SIZE]  (--bpf) keep accesses to this guest-physical range\n"
		"                        (SIZE 0x200 if left out) without waiting for its\n"
		"                        MagicValue read (repeatable, at most %d)\n"
		"      --only-windows    (--bpf) record nothing but the --window ranges\n"
		"                        (filtered in the kernel: cheapest)\n"
		"      --ring-size SIZE  (--bpf) BPF ring buffer, a power of two (default %uM)\n"
		"  -v, --verbose         (--bpf) show libbpf's debug messages\n"
		"  -q, --quiet           print only errors, no summary\n"
		"  -h, --help            this help\n"
		"\n"
		"The summary on stderr shows, per device, the status reached, the features\n"
		"negotiated and the used buffers taken back, then one line:\n"
		"  [ vmtrace record: N events (0 lost), D devices, B bytes -> FILE ]\n"
		"\n"
		"Exit status with a command: QEMU's (or its fatal signal, re-raised); 69 if\n"
		"it could not be started or lacks the trace events; 1 if the trace could not\n"
		"be written (what was recorded is kept and named).\n"
		"With --bpf: the command's status; 69 if it could not be started or the BPF\n"
		"program could not be loaded (the missing privilege is named); with --pid, 0\n"
		"once detached or the process ended, 1 if recording failed.\n"
		"With --emu: 0 recorded, every workload verified; 1 a workload failed, the\n"
		"emulator saw the built-in driver break a rule of the spec (they are printed),\n"
		"or the trace could not be written.\n"
		"Always: 2 bad arguments, or an output that is not a regular file or that\n"
		"another vmtrace is writing (nothing is recorded then).\n"
		"\n"
		"Examples:\n"
		"  vmtrace record -o boot.db -- qemu-system-x86_64 -M microvm -nographic \\\n"
		"      -kernel bzImage -append console=ttyS0 -device virtio-rng-device\n"
		"  vmtrace record --bpf -o vm.db -- qemu-system-x86_64 -enable-kvm -M microvm ...\n"
		"  sudo vmtrace record --bpf --pid \"$(pidof qemu-system-x86_64)\" -o vm.db\n"
		"  vmtrace record --emu blk,net,console,rng -o t.vmt && vmtrace dump t.vmt\n"
		"  vmtrace record --emu net --legacy --workload 'net:frames=100' -o net.vmt\n"
		"  vmtrace record --emu blk,net,console,rng --repeat 114 -o big.db \\\n"
		"      -w 'blk:sectors=2048,requests=256;net:frames=4096;rng:requests=256'\n",
		RECORD_BPF_WINDOWS_MAX, MMIO_RING_DEFAULT >> 20);
}

enum {
	OPT_LEGACY = 256,
	OPT_PACKED,
	OPT_SEED,
	OPT_BLK_IMAGE,
	OPT_FLUSH,
	OPT_FSYNC,
	OPT_NO_INDIRECT,
	OPT_NO_EVENT_IDX,
	OPT_RAW,
	OPT_QEMU_LOG,
	OPT_NO_SNAPSHOTS,
	OPT_NO_HOLD,
	OPT_BPF,
	OPT_PID,
	OPT_WINDOW,
	OPT_ONLY_WINDOWS,
	OPT_RING_SIZE,
	OPT_REPEAT,
};

static const struct option record_longopts[] = {
	{ "emu", required_argument, NULL, 'e' },
	{ "legacy", no_argument, NULL, OPT_LEGACY },
	{ "packed", no_argument, NULL, OPT_PACKED },
	{ "workload", required_argument, NULL, 'w' },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "output", required_argument, NULL, 'o' },
	{ "raw", required_argument, NULL, OPT_RAW },
	{ "qemu-log", required_argument, NULL, OPT_QEMU_LOG },
	{ "no-snapshots", no_argument, NULL, OPT_NO_SNAPSHOTS },
	{ "no-hold", no_argument, NULL, OPT_NO_HOLD },
	{ "force", no_argument, NULL, 'f' },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "blk-image", required_argument, NULL, OPT_BLK_IMAGE },
	{ "flush", required_argument, NULL, OPT_FLUSH },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "no-indirect", no_argument, NULL, OPT_NO_INDIRECT },
	{ "no-event-idx", no_argument, NULL, OPT_NO_EVENT_IDX },
	{ "bpf", no_argument, NULL, OPT_BPF },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "only-windows", no_argument, NULL, OPT_ONLY_WINDOWS },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool has_device(const struct rig_cfg *rig, const char *name)
{
	for (unsigned i = 0; i < rig->n_devices; i++)
		if (!strcmp(rig->devices[i], name))
			return true;
	return false;
}

/* True if a device of the rig is of type device_id (a model of that
 * type: "blk" and "blk-ro" are both block devices). */
static bool has_type(const struct rig_cfg *rig, uint32_t device_id)
{
	for (unsigned i = 0; i < rig->n_devices; i++) {
		const struct emu_model *m = emu_model_find(rig->devices[i]);

		if (m && m->device_id == device_id)
			return true;
	}
	return false;
}

/* Options that make no sense for the devices asked for are refused before
 * anything runs, not ignored or left to fail half-way. */
static int check_emu_options(const struct record_opts *o)
{
	struct stat st;
	uint64_t sectors = RIG_BLK_CAPACITY / 512;
	unsigned want = 0;

	for (size_t i = 0; i < drv_workload_count(); i++) {
		const struct drv_workload *wl = drv_workload_at(i);

		if (drv_wl_opts_names(&o->wl, wl->name) && !has_type(&o->rig, wl->device_id))
			return usage_error("--workload sets %s sizes, but --emu '%s' has no %s device", wl->name,
					   o->emu, wl->name);
	}
	if (!has_device(&o->rig, "blk")) {
		if (o->rig.blk_image)
			return usage_error("--blk-image is for a blk device, but --emu '%s' has none", o->emu);
		return 0;
	}
	if (o->rig.blk_image) {
		if (stat(o->rig.blk_image, &st) != 0)
			return usage_error("--blk-image '%s': %s", o->rig.blk_image, strerror(errno));
		/* The model sizes the disk from st_size: a regular file only. */
		if (!S_ISREG(st.st_mode))
			return usage_error("--blk-image '%s' is not a regular file", o->rig.blk_image);
		sectors = (uint64_t)st.st_size / 512;
	}
	/* --blk-image is this command's option: the disk it makes must hold
	 * what the blk workload writes. */
	if (drv_wl_opt_by_name(&o->wl, "blk", "sectors", &want) == 0 && want > sectors)
		return usage_error("blk:sectors=%u is more than the disk's %llu sectors%s", want,
				   (unsigned long long)sectors,
				   o->rig.blk_image ? "" : " (give a larger disk with --blk-image FILE)");
	return 0;
}

/* Parse argv into o.  Returns 0 to go on, EXIT_USAGE after a message, or
 * -1 after --help was printed (exit 0). */
static int record_parse(struct record_opts *o, int argc, char **argv)
{
	unsigned repeat = 1;
	char err[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->output = RECORD_DEFAULT_OUTPUT;
	drv_wl_opts_init(&o->wl);
	o->wopts.flush = RAWTRACE_FLUSH_BLOCK;

	/* '+': stop at the first word that is not an option (the command to
	 * trace); ':': report a missing argument ourselves. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:e:w:o:fvqh", record_longopts, NULL)) != -1) {
		uint64_t num;

		switch (c) {
		case OPT_BPF:
			o->bpf = true;
			break;
		case OPT_PID:
			if (parse_u64(optarg, 1, INT32_MAX, &num) != 0)
				return usage_error("bad --pid '%s' (expected a process id)", optarg);
			o->bo.pid = (pid_t)num;
			o->bpf_only = "--pid";
			break;
		case OPT_WINDOW:
			if (o->bo.n_windows == RECORD_BPF_WINDOWS_MAX)
				return usage_error("at most %d --window options", RECORD_BPF_WINDOWS_MAX);
			if (kvm_window_parse(optarg, &o->bo.windows[o->bo.n_windows]) != 0)
				return usage_error("bad --window '%s' (expected BASE[+SIZE], multiples of 0x200, "
						   "e.g. 0xd0000000+0x400)", optarg);
			o->bo.n_windows++;
			o->bpf_only = "--window";
			break;
		case OPT_ONLY_WINDOWS:
			o->bo.only_windows = true;
			o->bpf_only = "--only-windows";
			break;
		case OPT_RING_SIZE:
			if (parse_size(optarg, &num) != 0 || num < MMIO_RING_MIN || num > MMIO_RING_MAX ||
			    (num & (num - 1)))
				return usage_error("bad --ring-size '%s' (a power of two from 64K to 1G)", optarg);
			o->bo.ring_bytes = (uint32_t)num;
			o->bpf_only = "--ring-size";
			break;
		case 'v':
			o->bo.verbose = true;
			o->bpf_only = "--verbose";
			break;
		case 'e':
			o->emu = optarg;
			break;
		case OPT_LEGACY:
			o->rig.legacy = true;
			o->emu_only = "--legacy";
			break;
		case OPT_PACKED:
			o->rig.packed = true;
			o->wl.packed = true;
			o->emu_only = "--packed";
			break;
		case 'w':
			/* Each -w adds its groups (a later key wins), as if
			 * joined by ';'. */
			if (drv_wl_opts_parse(&o->wl, optarg, err, sizeof(err)) != 0)
				return usage_error("--workload: %s", err);
			o->emu_only = "--workload";
			break;
		case OPT_REPEAT:
			if (parse_u64(optarg, 1, DRV_WL_REPEAT_MAX, &num) != 0)
				return usage_error("bad --repeat '%s' (expected 1 to %u)", optarg, DRV_WL_REPEAT_MAX);
			repeat = (unsigned)num;
			o->emu_only = "--repeat";
			break;
		case OPT_QEMU_LOG:
			if (!*optarg)
				return usage_error("empty --qemu-log file name");
			o->qemu_log = optarg;
			break;
		case OPT_NO_SNAPSHOTS:
			o->no_snapshots = true;
			break;
		case OPT_NO_HOLD:
			o->no_hold = true;
			break;
		case 'o':
			if (!*optarg)
				return usage_error("empty output file name");
			o->output = optarg;
			break;
		case OPT_RAW:
			if (!*optarg)
				return usage_error("empty --raw file name");
			o->raw = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->wl.seed) != 0)
				return usage_error("bad --seed '%s' (expected a number)", optarg);
			o->emu_only = "--seed";
			break;
		case OPT_BLK_IMAGE:
			if (!*optarg)
				return usage_error("empty --blk-image file name");
			o->rig.blk_image = optarg;
			o->emu_only = "--blk-image";
			break;
		case OPT_FLUSH:
			if (rawtrace_parse_flush(optarg, &o->wopts) != 0)
				return usage_error("bad --flush '%s' (expected block, event or milliseconds)", optarg);
			o->flush_given = true;
			break;
		case OPT_FSYNC:
			o->wopts.fsync = true;
			break;
		case OPT_NO_INDIRECT:
			o->wl.indirect = false;
			o->emu_only = "--no-indirect";
			break;
		case OPT_NO_EVENT_IDX:
			o->wl.event_idx = false;
			o->emu_only = "--no-event-idx";
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			record_usage(stdout);
			return -1;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->bpf_only && !o->bpf)
		return usage_error("%s is for recording with --bpf", o->bpf_only);
	if (o->bpf) {
		if (o->emu || o->emu_only)
			return usage_error("%s is for the built-in emulator, not for --bpf", o->emu ? "--emu" : o->emu_only);
		if (o->qemu_log || o->no_hold)
			return usage_error("%s is for recording QEMU's trace events, not for --bpf",
					   o->qemu_log ? "--qemu-log" : "--no-hold");
		if (o->bo.pid && optind < argc)
			return usage_error("give either --pid PID or a command to record, not both");
		if (!o->bo.pid && optind >= argc)
			return usage_error("--bpf needs a command to run after '--' or --pid PID");
		if (o->bo.only_windows && !o->bo.n_windows)
			return usage_error("--only-windows needs at least one --window");
		o->cmd_at = o->bo.pid ? 0 : optind;
		if (!o->flush_given) {
			o->wopts.flush = RAWTRACE_FLUSH_INTERVAL;
			o->wopts.interval_ms = 1000;
		}
		return 0;
	}
	if (optind < argc) {
		if (o->emu)
			return usage_error("give either --emu DEVICES or a command to record, not both");
		if (o->emu_only)
			return usage_error("%s is for the built-in emulator (--emu), not for a command", o->emu_only);
		o->cmd_at = optind;
		/* A live source: blocks reach the file every second, so a
		 * crash loses at most the last second. */
		if (!o->flush_given) {
			o->wopts.flush = RAWTRACE_FLUSH_INTERVAL;
			o->wopts.interval_ms = 1000;
		}
		return 0;
	}
	if (o->qemu_log || o->no_snapshots || o->no_hold)
		return usage_error("%s is for recording a QEMU command",
				   o->qemu_log ? "--qemu-log" : o->no_snapshots ? "--no-snapshots" : "--no-hold");
	if (!o->emu)
		return usage_error("nothing to record: give a QEMU command after '--' or --emu DEVICES "
				   "(e.g. --emu blk,net,console,rng)");
	if (rig_parse_devices(&o->rig, o->emu, err, sizeof(err)) != 0)
		return usage_error("--emu: %s", err);
	o->wl.repeat = repeat;
	o->rig.seed = o->wl.seed;
	/* VIRTIO_F_RING_PACKED is bit 34: a Version 1 device has only 32. */
	if (o->rig.packed && o->rig.legacy)
		return usage_error("--packed needs the Version 2 layout: packed virtqueues (feature bit 34) do "
				   "not exist with --legacy");
	return check_emu_options(o);
}

struct shown_violations {
	unsigned total;  /* counted while recording */
	unsigned shown;  /* read back so far */
};

static void violations_heading(const struct shown_violations *sv)
{
	error("the emulator saw the built-in driver break %u rule(s) of the spec (a vmtrace bug):", sv->total);
}

static void show_violation(void *ctx, const struct rig_violation *v)
{
	struct shown_violations *sv = ctx;

	if (sv->shown == 0)
		violations_heading(sv);
	if (sv->shown++ >= RECORD_VIOLATIONS_SHOWN)
		return;
	fprintf(stderr, "  event %llu %s: %s: %.*s\n", (unsigned long long)v->seq, v->device, rule_lookup(v->rule)->key,
		(int)(v->len > 400 ? 400 : v->len), v->msg ? v->msg : "");
}

/* Print the violations the emulator recorded, read back from the trace:
 * they are the built-in driver's bugs. */
static void print_violations(const char *path, unsigned total)
{
	struct shown_violations sv = { .total = total };
	char err[256];

	if (rig_record_violations(path, show_violation, &sv, err, sizeof(err)) < 0) {
		error("%u spec violation(s) by the built-in driver; cannot read them back: %s", total, err);
		return;
	}
	if (sv.shown == 0)
		violations_heading(&sv);
	if (sv.shown > RECORD_VIOLATIONS_SHOWN)
		fprintf(stderr, "  ... and %u more\n", sv.shown - RECORD_VIOLATIONS_SHOWN);
}

/* One device's lines of the summary; names are padded to width. */
static void print_device(const struct vmt_device_desc *desc, const struct drv_report *rep, unsigned violations,
			 int width)
{
	char st[128], feat[512];

	virtio_status_str(rep->status, st, sizeof(st));
	virtio_features_str(rep->device_id, rep->features, feat, sizeof(feat));
	fprintf(stderr, "  %-*s %-6s v%u  %s, %u used buffer%s, %u interrupt%s", width, desc->name,
		rep->result == 0 && !violations ? "ok" : "FAILED", rep->version, st, rep->requests,
		drv_plural(rep->requests), rep->interrupts, drv_plural(rep->interrupts));
	if (violations)
		fprintf(stderr, ", %u violation%s", violations, violations == 1 ? "" : "s");
	fputc('\n', stderr);
	fprintf(stderr, "  %-*s features: %s\n", width, "", rep->features ? feat : "(none)");
	if (rep->result != 0)
		fprintf(stderr, "  %-*s error: %s\n", width, "", rep->msg);
}

/* Progress on a terminal: which device the driver works on; for a
 * repeated run one line, rewritten each round, with the events so far
 * (ctx is the session). */
static void show_progress(void *ctx, const char *name, unsigned i, unsigned n, unsigned round, unsigned rounds)
{
	const struct session *s = ctx;

	if (rounds <= 1)
		fprintf(stderr, "vmtrace: driving %s (%u/%u)\n", name, i + 1, n);
	else if (i == 0)
		fprintf(stderr, "\rvmtrace record: round %u of %u, %llu events", round, rounds,
			(unsigned long long)session_events(s));
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct session ss;
	struct machine *m = NULL;
	struct rig_record rr;
	char err[256];
	struct record_out ro = { 0 };
	const char *raw_path;
	int r, status = 1;
	bool progress;

	session_init(&ss, VMT_SRC_EMU);
	r = record_parse(&o, argc, argv);
	if (r != 0)
		return r < 0 ? 0 : r;
	/* main() names argv[0] "vmtrace record" for getopt's messages; the
	 * trace keeps the command as typed ("vmtrace record --emu ..."). */
	argv[0] = (char *)"record";
	if (o.bpf) {
		o.bo.output = o.output;
		o.bo.raw = o.raw;
		o.bo.force = o.force;
		o.bo.quiet = o.quiet;
		o.bo.no_snapshots = o.no_snapshots;
		o.bo.wopts = o.wopts;
		return record_bpf(&o.bo, o.cmd_at ? argc - o.cmd_at : 0, o.cmd_at ? argv + o.cmd_at : NULL, argc, argv);
	}
	if (o.cmd_at) {
		struct record_qemu_opts qo = {
			.output = o.output,
			.raw = o.raw,
			.qemu_log = o.qemu_log,
			.force = o.force,
			.quiet = o.quiet,
			.no_ram = o.no_snapshots,
			.no_hold = o.no_hold,
			.wopts = o.wopts,
		};
		return record_qemu(&qo, argc - o.cmd_at, argv + o.cmd_at, argc, argv);
	}
	progress = !o.quiet && stderr_is_tty();

	r = rig_build(&m, &o.rig, err, sizeof(err));
	if (r < 0) {
		/* With an image file, the likely cause is the file: bad input. */
		if (o.rig.blk_image && r != -ENOMEM)
			return usage_error("%s", err);
		error("%s", err);
		return 1;
	}
	if (session_meta_common(&ss, argc, argv) != 0 || rig_record_meta(&ss, m, &o.rig, &o.wl) != 0) {
		error("cannot build the trace metadata");
		goto out;
	}
	r = record_out_open(&ro, &ss, o.output, o.raw, o.force, o.quiet, &o.wopts);
	if (r != 0) {
		status = r;
		goto out;
	}
	raw_path = ro.raw_path;
	rig_record_run(&rr, &ss, m, &o.rig, &o.wl, progress ? show_progress : NULL, &ss);
	if (progress && o.wl.repeat > 1)
		fputs("\r\033[K", stderr);
	if (record_out_end_trace(&ro, &ss, rr.end_reason, NULL) != 0)
		goto out;

	if (rr.violations)
		print_violations(raw_path, rr.violations);
	if (record_out_finish(&ro, progress) != 0)
		goto out;
	for (unsigned i = 0; i < o.rig.n_devices; i++)
		if (rr.reports[i].result != 0)
			error("%s: workload failed: %s", ss.meta.devices[i].name, rr.reports[i].msg);
	if (!o.quiet) {
		struct session_summary sum = {
			.events = ss.events,
			.devices = o.rig.n_devices,
			.output = o.output,
			.raw = ro.db_path ? o.raw : NULL,
		};
		int width = 0;

		fprintf(stderr, "vmtrace record: %s machine%s, %u device%s, seed %llu\n",
			o.rig.legacy ? "legacy (Version 1)" : "Version 2", o.rig.packed ? " (packed rings)" : "",
			o.rig.n_devices,
			o.rig.n_devices == 1 ? "" : "s", (unsigned long long)o.wl.seed);
		for (unsigned i = 0; i < o.rig.n_devices; i++)
			if ((int)strlen(ss.meta.devices[i].name) > width)
				width = (int)strlen(ss.meta.devices[i].name);
		for (unsigned i = 0; i < o.rig.n_devices; i++)
			print_device(&ss.meta.devices[i], &rr.reports[i], emu_violation_count(machine_device(m, i)),
				     width);
		session_print_summary(stderr, &sum);
	}
	status = rr.failed || rr.violations ? 1 : 0;
out:
	record_out_release(&ro, &ss, "aborted");
	machine_free(m);
	return status;
}
