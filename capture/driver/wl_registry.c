/* The built-in driver's workloads: one line per device type it can drive,
 * in the order of --workload groups, of `vmtrace record --help` and of the
 * trace's workload metadata.  Each workload's options, defaults and
 * checks are in its own file (wl_<type>.c); see workload.h. */
#include "capture/driver/workload.h"

#include <string.h>

/* wl_blk.c, wl_net.c, wl_console.c, wl_rng.c */
extern const struct drv_workload drv_wl_blk;
extern const struct drv_workload drv_wl_net;
extern const struct drv_workload drv_wl_console;
extern const struct drv_workload drv_wl_rng;

static const struct drv_workload *const workloads[] = {
	&drv_wl_blk,
	&drv_wl_net,
	&drv_wl_console,
	&drv_wl_rng,
};

#define N_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))
/* One bit per group in drv_wl_opts.given, and one row of val each. */
_Static_assert(N_WORKLOADS <= DRV_WL_MAX, "raise DRV_WL_MAX (workload.h)");

size_t drv_workload_count(void)
{
	return N_WORKLOADS;
}

const struct drv_workload *drv_workload_at(size_t i)
{
	return i < N_WORKLOADS ? workloads[i] : NULL;
}

const struct drv_workload *drv_workload_find(uint32_t device_id)
{
	for (size_t i = 0; i < N_WORKLOADS; i++)
		if (workloads[i]->device_id == device_id)
			return workloads[i];
	return NULL;
}

const struct drv_workload *drv_workload_by_name(const char *name)
{
	for (size_t i = 0; name && i < N_WORKLOADS; i++)
		if (!strcmp(workloads[i]->name, name))
			return workloads[i];
	return NULL;
}
