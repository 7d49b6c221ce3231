/* Serving exits with the built-in emulator; the truth trace (serve.h). */
#include "tests/kvmhost/serve.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/driver/rig.h"
#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/ring_snap.h"
#include "capture/rawtrace.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

struct serve {
	struct machine *m;
	struct rawtrace_writer *truth; /* NULL without --truth */
	int truth_error;               /* first error of our own appends */
	uint64_t own_events;           /* events appended here, not by the machine */
	struct guest_ram ram_view;     /* the machine's RAM, for ring_snap */
	struct ring_snap *snap;
	bool ioeventfd;
	unsigned n_dev;
	int efd[MACHINE_DEVICES_MAX];  /* QueueNotify eventfds, -1 if none */
	/* Available index of each queue as of its last delivered notify. */
	uint16_t seen_avail[MACHINE_DEVICES_MAX][EMU_QUEUES_MAX];
	struct serve_stats stats;
};

/* The machine's clock: it stamps event k with k * MACHINE_TICK_NS and
 * counts only its own events, so events appended here take the stamp
 * its next event will get. */
static uint64_t machine_now(const struct serve *s)
{
	return (rawtrace_writer_events(s->truth) - s->own_events) * MACHINE_TICK_NS;
}

static int snap_emit(void *ctx, const struct vmt_event *ev)
{
	struct serve *s = ctx;
	struct vmt_event e = *ev;
	int r;

	/* Copied while the only vCPU waits in its exit: exact, not raced. */
	e.flags &= (uint16_t)~VMT_MEM_BEST_EFFORT;
	e.source = VMT_SRC_EMU;
	e.ts_ns = machine_now(s);
	r = rawtrace_writer_append(s->truth, &e, NULL);
	if (r < 0)
		return r;
	s->own_events++;
	return 0;
}

static void snap_access(struct serve *s, uint64_t base, uint32_t off, bool write, uint32_t width, uint64_t value)
{
	int r;

	if (!s->snap || s->truth_error)
		return;
	r = ring_snap_access(s->snap, base, off, write, width, value, machine_now(s));
	if (r < 0)
		s->truth_error = r;
}

static int open_truth(struct serve *s, const struct serve_cfg *cfg, char *err, size_t errlen)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_INTERVAL, .interval_ms = 1000 };
	struct rawtrace_meta *meta = calloc(1, sizeof(*meta));
	int r = 0;

	if (!meta)
		return -ENOMEM;
	meta->source = VMT_SRC_EMU;
	meta->ram_base = 0;
	meta->ram_size = cfg->ram_size;
	for (unsigned i = 0; i < machine_device_count(s->m) && r == 0; i++) {
		struct vmt_device_desc d;
		machine_device_desc(s->m, i, &d);
		r = rawtrace_meta_add_device(meta, &d);
	}
	if (r == 0)
		r = rawtrace_meta_set(meta, "recorder", "kvmhost (tests/kvmhost): KVM exits served by the built-in emulator");
	if (r == 0 && cfg->command)
		r = rawtrace_meta_set(meta, "command", cfg->command);
	if (r == 0)
		r = rawtrace_meta_set(meta, "layout", cfg->devices->legacy ? "legacy" : "modern");
	if (r == 0)
		r = rawtrace_meta_set(meta, "ioeventfd", cfg->ioeventfd
			? "QueueNotify (4-byte writes, no datamatch) completes in KVM; recorded when the eventfd is read, before the next exit's access"
			: "off");
	if (r == 0)
		r = rawtrace_writer_open(&s->truth, cfg->truth_path, meta, &wo);
	if (r < 0)
		snprintf(err, errlen, "cannot write the truth trace '%s': %s", cfg->truth_path, strerror(-r));
	rawtrace_meta_clear(meta);
	free(meta);
	if (r < 0)
		return r;

	guest_ram_wrap(&s->ram_view, machine_mem(s->m)->ram, cfg->ram_size, cfg->ram_size);
	r = ring_snap_new(&s->snap, &s->ram_view, snap_emit, s);
	if (r < 0) {
		snprintf(err, errlen, "cannot set up ring snapshots: %s", strerror(-r));
		return r;
	}
	machine_set_recorder(s->m, s->truth);
	return 0;
}

int serve_new(struct serve **out, const struct serve_cfg *cfg, char *err, size_t errlen)
{
	struct serve *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < MACHINE_DEVICES_MAX; i++)
		s->efd[i] = -1;
	s->ioeventfd = cfg->ioeventfd;
	r = machine_new(&s->m, 0, cfg->ram_size);
	if (r < 0) {
		snprintf(err, errlen, "cannot create a machine with %llu MiB of RAM: %s",
			 (unsigned long long)(cfg->ram_size >> 20), strerror(-r));
		goto fail;
	}
	/* The devices `vmtrace record --emu` builds (capture/driver/rig.c),
	 * at the same bases; only RAM differs (at 0 here, for the guest). */
	for (unsigned i = 0; i < cfg->devices->n_devices; i++) {
		struct emu_device_cfg dc;
		struct emu_opts_buf opts;
		struct emu_machine_params mp = { .seed = cfg->devices->seed };

		memset(&dc, 0, sizeof(dc));
		dc.base = rig_device_base(i);
		dc.version = cfg->devices->legacy ? VIRTIO_MMIO_VERSION_LEGACY : VIRTIO_MMIO_VERSION_MODERN;
		dc.model = emu_model_find(cfg->devices->devices[i]);
		if (!dc.model) {
			snprintf(err, errlen, "unknown device '%s'", cfg->devices->devices[i]);
			r = -EINVAL;
			goto fail;
		}
		/* The models' settings in the built-in machine (the guest
		 * reads back what it writes to the console; nth net, nth MAC). */
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cfg->devices->devices[j], dc.model->name))
				mp.instance++;
		emu_model_machine_cfg(&dc, &opts, dc.model, &mp);
		r = machine_add_device(s->m, &dc, NULL);
		if (r < 0) {
			snprintf(err, errlen, "cannot create virtio-%s@0x%llx: %s", dc.model->name,
				 (unsigned long long)dc.base, strerror(-r));
			goto fail;
		}
	}
	s->n_dev = machine_device_count(s->m);
	if (cfg->truth_path && (r = open_truth(s, cfg, err, errlen)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	serve_free(s);
	return r;
}

struct machine *serve_machine(struct serve *s)
{
	return s->m;
}

void serve_set_eventfd(struct serve *s, unsigned i, int fd)
{
	if (i >= MACHINE_DEVICES_MAX) {
		close(fd);
		return;
	}
	if (s->efd[i] >= 0)
		close(s->efd[i]);
	s->efd[i] = fd;
}

static uint64_t le_get(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = len; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static void le_put(uint8_t *p, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static unsigned device_index(const struct serve *s, const struct emu_device *d)
{
	for (unsigned i = 0; i < s->n_dev; i++)
		if (machine_device(s->m, i) == d)
			return i;
	return MACHINE_DEVICES_MAX;
}

/* A reset or a queue (re)configured starts the rings over: available
 * indices restart at 0. */
static void forget_avail(struct serve *s, const struct emu_device *d, uint32_t off, uint64_t value)
{
	unsigned i;

	if (!s->ioeventfd)
		return;
	if (!((off == MMIO_STATUS && value == 0) || off == MMIO_QUEUE_READY || off == MMIO_QUEUE_PFN ||
	      off == MMIO_QUEUE_RESET))
		return;
	if ((i = device_index(s, d)) < MACHINE_DEVICES_MAX)
		memset(s->seen_avail[i], 0, sizeof(s->seen_avail[i]));
}

void serve_mmio(struct serve *s, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	struct emu_device *d = machine_device_at(s->m, gpa);
	uint64_t base = d ? emu_device_base(d) : 0;
	uint32_t off = (uint32_t)(gpa - base);
	uint64_t v;

	if (len == 0 || len > 8)
		len = len == 0 ? 1 : 8; /* KVM never sends these; keep the copy in bounds */
	if (!d)
		s->stats.outside++;
	if (is_write) {
		s->stats.writes++;
		v = le_get(data, len);
		if (d) {
			forget_avail(s, d, off, v);
			snap_access(s, base, off, true, len, v);
		}
		machine_mmio_write(s->m, gpa, len, v);
		return;
	}
	s->stats.reads++;
	/* ring_snap uses a read's value only for Version; its copies (at
	 * InterruptStatus) must come before the read's own event. */
	if (d && off != MMIO_VERSION)
		snap_access(s, base, off, false, len, 0);
	v = machine_mmio_read(s->m, gpa, len);
	if (d && off == MMIO_VERSION)
		snap_access(s, base, off, false, len, v);
	le_put(data, len, v);
}

/* Device i's eventfd said count QueueNotify writes happened. */
static void deliver_notifies(struct serve *s, unsigned i, uint64_t count)
{
	struct emu_device *d = machine_device(s->m, i);
	const struct emu_model *model = emu_device_model(d);
	uint64_t base = emu_device_base(d);
	unsigned moved[EMU_QUEUES_MAX], n_moved = 0;

	for (unsigned q = 0; q < model->num_queues && q < EMU_QUEUES_MAX; q++) {
		struct virtqueue *vq = emu_queue(d, q);
		uint8_t idx[2];

		if (!vq || gmem_read(machine_mem(s->m), vq->avail + 2, idx, sizeof(idx)) < 0)
			continue;
		if (le16_get(idx) != s->seen_avail[i][q]) {
			s->seen_avail[i][q] = le16_get(idx);
			moved[n_moved++] = q;
		}
	}
	if (count != n_moved) {
		char text[200];

		s->stats.eventfd_unclear++;
		snprintf(text, sizeof(text),
			 "ioeventfd at 0x%llx: %llu QueueNotify write(s) but %u queue(s) with new buffers; %s",
			 (unsigned long long)(base + MMIO_QUEUE_NOTIFY), (unsigned long long)count, n_moved,
			 n_moved ? "recorded as notifies of those queues" : "none recorded");
		serve_marker(s, text);
	}
	for (unsigned k = 0; k < n_moved; k++) {
		s->stats.eventfd_notifies++;
		snap_access(s, base, MMIO_QUEUE_NOTIFY, true, 4, moved[k]);
		machine_mmio_write(s->m, base + MMIO_QUEUE_NOTIFY, 4, moved[k]);
	}
}

void serve_eventfds(struct serve *s)
{
	struct pollfd pfd[MACHINE_DEVICES_MAX];
	unsigned n = 0, dev[MACHINE_DEVICES_MAX];

	if (!s->ioeventfd)
		return;
	for (unsigned i = 0; i < s->n_dev; i++) {
		if (s->efd[i] < 0)
			continue;
		pfd[n] = (struct pollfd){ .fd = s->efd[i], .events = POLLIN };
		dev[n++] = i;
	}
	/* One poll for all of them: this runs before every exit. */
	if (n == 0 || poll(pfd, n, 0) <= 0)
		return;
	for (unsigned k = 0; k < n; k++) {
		uint64_t count;

		if (!(pfd[k].revents & POLLIN))
			continue;
		if (read(pfd[k].fd, &count, sizeof(count)) != (ssize_t)sizeof(count) || count == 0)
			continue;
		s->stats.eventfd_signals += count;
		deliver_notifies(s, dev[k], count);
	}
}

void serve_marker(struct serve *s, const char *text)
{
	machine_marker(s->m, text);
}

void serve_get_stats(const struct serve *s, struct serve_stats *st)
{
	*st = s->stats;
	st->violations = 0;
	for (unsigned i = 0; i < s->n_dev; i++)
		st->violations += emu_violation_count(machine_device(s->m, i));
}

int serve_finish(struct serve *s, const char *end_reason, char *err, size_t errlen)
{
	int r = s->truth_error;

	if (!s->truth)
		return 0;
	if (r == 0)
		r = machine_recorder_error(s->m);
	machine_set_recorder(s->m, NULL);
	int rc = rawtrace_writer_close(s->truth, 0, end_reason);
	s->truth = NULL;
	if (r == 0)
		r = rc;
	if (r < 0)
		snprintf(err, errlen, "writing the truth trace failed: %s", strerror(-r));
	return r;
}

void serve_free(struct serve *s)
{
	if (!s)
		return;
	if (s->truth) {
		machine_set_recorder(s->m, NULL);
		rawtrace_writer_close(s->truth, 0, "kvmhost stopped before the end");
	}
	ring_snap_free(s->snap);
	for (unsigned i = 0; i < MACHINE_DEVICES_MAX; i++)
		if (s->efd[i] >= 0)
			close(s->efd[i]);
	machine_free(s->m);
	free(s);
}
