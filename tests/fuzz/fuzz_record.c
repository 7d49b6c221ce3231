/* Small emulator recordings; see fuzz_record.h. */
#include "tests/fuzz/fuzz_record.h"

#include <stdio.h>
#include <string.h>

#include "capture/driver/bus.h"
#include "capture/driver/rig.h"
#include "capture/driver/workload.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"

int fuzz_record(const char *path, const struct fuzz_recording *rec)
{
	struct rig_cfg cfg = { .legacy = rec->legacy, .seed = 1, .packed = rec->packed };
	struct rawtrace_write_opts wo = { .block_size = rec->block_size };
	struct rawtrace_writer *w = NULL;
	struct rawtrace_meta meta;
	struct drv_wl_opts wl;
	struct machine *m = NULL;
	struct drv_bus bus;
	char err[256], buf[256];
	int r = -1;

	memset(&meta, 0, sizeof(meta));
	drv_wl_opts_init(&wl);
	wl.indirect = rec->indirect;
	wl.event_idx = rec->event_idx;
	wl.packed = rec->packed;
	if (rig_parse_devices(&cfg, rec->devices, err, sizeof(err)) != 0 ||
	    (rec->workload && drv_wl_opts_parse(&wl, rec->workload, err, sizeof(err)) != 0) ||
	    rig_build(&m, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_record: %s\n", err);
		goto out;
	}
	meta.source = VMT_SRC_EMU;
	meta.ram_base = RIG_RAM_BASE;
	meta.ram_size = RIG_RAM_SIZE;
	for (unsigned i = 0; i < machine_device_count(m); i++) {
		struct vmt_device_desc d;
		machine_device_desc(m, i, &d);
		rawtrace_meta_add_device(&meta, &d);
	}
	rawtrace_meta_set(&meta, "seed", "1");
	drv_wl_opts_format(&wl, buf, sizeof(buf));
	rawtrace_meta_set(&meta, "workload", buf);
	if (rawtrace_writer_open(&w, path, &meta, &wo) != 0) {
		fprintf(stderr, "fuzz_record: unable to create '%s'\n", path);
		goto out;
	}
	machine_set_recorder(m, w);
	rig_bus(&bus, m);
	for (unsigned i = 0; i < cfg.n_devices; i++) {
		struct drv_report rep;
		if (drv_run_device(&bus, rig_device_base(i), &wl, &rep) != 0) {
			fprintf(stderr, "fuzz_record: %s workload failed: %s\n", cfg.devices[i], rep.msg);
			goto out;
		}
	}
	machine_set_recorder(m, NULL);
	r = rawtrace_writer_close(w, 0, "normal") == 0 ? 0 : -1;
	w = NULL;
out:
	if (w) {
		machine_set_recorder(m, NULL);
		rawtrace_writer_close(w, 0, "aborted");
	}
	machine_free(m);
	rawtrace_meta_clear(&meta);
	return r;
}
