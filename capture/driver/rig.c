/* The standard recording machine; see rig.h. */
#include "capture/driver/rig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/machine.h"

_Static_assert(RIG_DEVICES_MAX <= MACHINE_DEVICES_MAX, "the built-in machine's devices fit in one machine");

int rig_parse_devices(struct rig_cfg *cfg, const char *list, char *err, size_t errlen)
{
	const char *p = list;

	cfg->n_devices = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const struct emu_model *model = NULL;
		char name[32];

		if (len == 0 || len >= sizeof(name)) {
			snprintf(err, errlen, "empty or overlong device name in '%s'", list);
			return -EINVAL;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		model = emu_model_find(name);
		if (!model) {
			snprintf(err, errlen, "unknown device '%s' (expected blk, net, console or rng)", name);
			return -EINVAL;
		}
		if (cfg->n_devices >= RIG_DEVICES_MAX) {
			snprintf(err, errlen, "more than %u devices", RIG_DEVICES_MAX);
			return -EINVAL;
		}
		/* Keep the model's own (static) name, not the caller's string. */
		cfg->devices[cfg->n_devices++] = model->name;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int rig_build(struct machine **out, const struct rig_cfg *cfg, char *err, size_t errlen)
{
	struct machine *m = NULL;
	int r;

	*out = NULL;
	r = machine_new(&m, RIG_RAM_BASE, RIG_RAM_SIZE);
	if (r < 0) {
		snprintf(err, errlen, "cannot create a machine with %llu MiB of RAM: %s",
			 (unsigned long long)(RIG_RAM_SIZE >> 20), strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < cfg->n_devices; i++) {
		struct emu_device_cfg dc;
		struct emu_opts_buf opts;
		struct emu_machine_params mp = { .seed = cfg->seed, .blk_image = cfg->blk_image };

		memset(&dc, 0, sizeof(dc));
		dc.base = rig_device_base(i);
		dc.version = cfg->legacy ? 1 : 2;
		dc.offer_packed = cfg->packed;
		dc.model = emu_model_find(cfg->devices[i]);
		if (!dc.model) {
			snprintf(err, errlen, "unknown device '%s'", cfg->devices[i]);
			machine_free(m);
			return -EINVAL;
		}
		/* Each model's own settings for the built-in machine (the nth
		 * net device gets the nth MAC). */
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cfg->devices[j], dc.model->name))
				mp.instance++;
		emu_model_machine_cfg(&dc, &opts, dc.model, &mp);
		r = machine_add_device(m, &dc, NULL);
		if (r < 0) {
			if (cfg->blk_image && !strcmp(dc.model->name, "blk"))
				snprintf(err, errlen, "cannot create virtio-blk@0x%llx with image '%s': %s",
					 (unsigned long long)dc.base, cfg->blk_image, strerror(-r));
			else
				snprintf(err, errlen, "cannot create virtio-%s@0x%llx: %s", dc.model->name,
					 (unsigned long long)dc.base, strerror(-r));
			machine_free(m);
			return r;
		}
	}
	*out = m;
	return 0;
}

void rig_bus(struct drv_bus *bus, struct machine *m)
{
	drv_bus_from_machine(bus, m, RIG_RAM_BASE, RIG_RAM_BASE + RIG_RAM_SIZE);
}
