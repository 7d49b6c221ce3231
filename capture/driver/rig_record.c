/* Recording the built-in driver on the emulated machine (rig_record.h). */
#include "capture/driver/rig_record.h"

#include <stdio.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "capture/session.h"

int rig_record_meta(struct session *s, struct machine *m, const struct rig_cfg *rig, const struct drv_wl_opts *wl)
{
	char buf[RAWTRACE_META_STR_MAX];
	uint32_t ids[RIG_DEVICES_MAX];
	unsigned n_ids = 0;
	int r = 0;

	s->meta.source = VMT_SRC_EMU;
	s->meta.ram_base = RIG_RAM_BASE;
	s->meta.ram_size = RIG_RAM_SIZE;
	for (unsigned i = 0; i < machine_device_count(m) && r == 0; i++) {
		struct vmt_device_desc d;

		machine_device_desc(m, i, &d);
		r = rawtrace_meta_add_device(&s->meta, &d);
		if (n_ids < RIG_DEVICES_MAX)
			ids[n_ids++] = d.device_id;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)wl->seed);
	if (r == 0)
		r = session_meta_set(s, "seed", buf);
	snprintf(buf, sizeof(buf), "ram=0x%llx+0x%llx mmio=0x%llx+0x%llx*%u version=%u",
		 (unsigned long long)RIG_RAM_BASE, (unsigned long long)RIG_RAM_SIZE,
		 (unsigned long long)RIG_MMIO_BASE, (unsigned long long)RIG_MMIO_STRIDE, rig->n_devices,
		 rig->legacy ? 1 : 2);
	if (r == 0)
		r = session_meta_set(s, "layout", buf);
	/* The workloads that run: those of the machine's device types. */
	drv_wl_opts_format_for(wl, ids, n_ids, buf, sizeof(buf));
	if (r == 0)
		r = session_meta_set(s, "workload", buf);
	snprintf(buf, sizeof(buf), "built-in indirect=%s event-idx=%s", wl->indirect ? "on" : "off",
		 wl->event_idx ? "on" : "off");
	if (r == 0)
		r = session_meta_set(s, "driver", buf);
	/* Only a repeated run says so: one round keeps the metadata (and the
	 * trace) as it always was. */
	snprintf(buf, sizeof(buf), "%u", wl->repeat);
	if (r == 0 && wl->repeat > 1)
		r = session_meta_set(s, "repeat", buf);
	return r;
}

/* Before round k of a run: mark it, and reset every device, so no queue of
 * the round before is live when its guest memory is handed out again. */
static void round_start(struct drv_bus *bus, const struct rig_cfg *rig, unsigned k, unsigned rounds)
{
	char text[64];

	snprintf(text, sizeof(text), "round %u of %u", k, rounds);
	bus->ops->marker(bus->ctx, text);
	for (unsigned i = 0; i < rig->n_devices; i++) {
		struct drv_dev d;

		memset(&d, 0, sizeof(d));
		d.bus = bus;
		d.base = rig_device_base(i);
		/* A device that does not reset fails its drv_init next. */
		drv_reset(&d);
	}
}

int rig_record_run(struct rig_record *rr, struct session *s, struct machine *m, const struct rig_cfg *rig,
		   const struct drv_wl_opts *wl, rig_record_progress_fn progress, void *ctx)
{
	unsigned rounds = wl->repeat ? wl->repeat : 1;
	unsigned requests[RIG_DEVICES_MAX] = { 0 }, interrupts[RIG_DEVICES_MAX] = { 0 };
	struct drv_bus bus;
	int r;

	memset(rr, 0, sizeof(*rr));
	snprintf(rr->end_reason, sizeof(rr->end_reason), "normal");
	machine_set_recorder(m, s->w);
	for (unsigned k = 1; k <= rounds && rr->failed == 0; k++) {
		/* Each round hands out guest memory from the start again. */
		rig_bus(&bus, m);
		if (k > 1)
			round_start(&bus, rig, k, rounds);
		for (unsigned i = 0; i < rig->n_devices; i++) {
			const char *name = s->meta.devices[i].name;

			if (progress)
				progress(ctx, name, i, rig->n_devices, k, rounds);
			drv_run_device(&bus, rig_device_base(i), wl, &rr->reports[i]);
			requests[i] += rr->reports[i].requests;
			interrupts[i] += rr->reports[i].interrupts;
			rr->reports[i].requests = requests[i];
			rr->reports[i].interrupts = interrupts[i];
			if (rr->reports[i].result != 0 && rr->failed++ == 0)
				snprintf(rr->end_reason, sizeof(rr->end_reason), "workload failed: %.40s: %.60s", name,
					 rr->reports[i].msg);
		}
	}
	for (unsigned i = 0; i < rig->n_devices; i++)
		rr->violations += emu_violation_count(machine_device(m, i));
	machine_set_recorder(m, NULL);
	r = machine_recorder_error(m);
	return r < 0 ? session_fail(s, r) : 0;
}

static const char *device_name(const struct rawtrace_meta *meta, uint64_t base, char *buf, size_t len)
{
	for (size_t i = 0; i < meta->n_devices; i++)
		if (meta->devices[i].base == base)
			return meta->devices[i].name;
	snprintf(buf, len, "0x%llx", (unsigned long long)base);
	return buf;
}

int rig_record_violations(const char *path, rig_record_violation_fn fn, void *ctx, char *err, size_t errlen)
{
	struct rawtrace_reader *rd = NULL;
	struct vmt_event ev;
	char tmp[32];
	int r;

	r = rawtrace_reader_open(&rd, path, err, errlen);
	if (r < 0)
		return r;
	while ((r = rawtrace_reader_next(rd, &ev)) == 1) {
		struct rig_violation v;

		if (ev.type != VMT_EV_VIOLATION)
			continue;
		v.seq = ev.seq;
		v.device = device_name(rawtrace_reader_meta(rd), ev.base, tmp, sizeof(tmp));
		v.rule = (uint32_t)ev.value;
		v.msg = (const char *)ev.data;
		v.len = ev.len;
		fn(ctx, &v);
	}
	rawtrace_reader_close(rd);
	/* A read error after some violations: what was shown stands. */
	return 0;
}
