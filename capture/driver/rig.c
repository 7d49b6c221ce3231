/* The standard recording machine; see rig.h. */
#include "capture/driver/rig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/machine.h"

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
	static const uint8_t mac[6] = RIG_NET_MAC;
	struct machine *m = NULL;
	unsigned n_net = 0;
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

		memset(&dc, 0, sizeof(dc));
		dc.base = rig_device_base(i);
		dc.version = cfg->legacy ? 1 : 2;
		dc.model = emu_model_find(cfg->devices[i]);
		if (!dc.model) {
			snprintf(err, errlen, "unknown device '%s'", cfg->devices[i]);
			machine_free(m);
			return -EINVAL;
		}
		dc.opts.blk_image = cfg->blk_image;
		dc.opts.blk_capacity = RIG_BLK_CAPACITY;
		memcpy(dc.opts.net_mac, mac, sizeof(mac));
		if (!strcmp(dc.model->name, "net"))
			dc.opts.net_mac[5] = (uint8_t)(mac[5] + n_net++);
		/* The console workload reads back what it writes. */
		dc.opts.console_echo = true;
		dc.opts.rng_seed = cfg->seed;
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
