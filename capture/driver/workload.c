/* Workload options, the per-device run sequence and helpers shared by the
 * workloads; see workload.h. */
#include "capture/driver/workload.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "virtio/virtio.h"

void drv_wl_opts_init(struct drv_wl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->blk_sectors = 32;
	o->blk_requests = 8;
	o->net_frames = 8;
	o->net_batch = 4;
	o->console_lines = 2;
	o->rng_requests = 4;
	o->rng_bytes = 64;
	o->queue_size = DRV_QUEUE_SIZE_DEFAULT;
	o->indirect = true;
	o->event_idx = true;
	o->seed = 1;
}

struct wl_key {
	const char *dev;
	const char *key;
	size_t field; /* offset of the unsigned in drv_wl_opts */
	unsigned min, max;
};

static const struct wl_key wl_keys[] = {
	{ "blk", "sectors", offsetof(struct drv_wl_opts, blk_sectors), 1, 8192 },
	{ "blk", "requests", offsetof(struct drv_wl_opts, blk_requests), 1, 256 },
	{ "net", "frames", offsetof(struct drv_wl_opts, net_frames), 1, 4096 },
	{ "net", "batch", offsetof(struct drv_wl_opts, net_batch), 1, 16 },
	{ "console", "lines", offsetof(struct drv_wl_opts, console_lines), 1, 64 },
	{ "rng", "requests", offsetof(struct drv_wl_opts, rng_requests), 1, 256 },
	{ "rng", "bytes", offsetof(struct drv_wl_opts, rng_bytes), 1, 65536 },
	{ "queue", "size", offsetof(struct drv_wl_opts, queue_size), 1, VIRTQ_SIZE_MAX },
};
#define N_WL_KEYS (sizeof(wl_keys) / sizeof(wl_keys[0]))

/* Bit of a workload group in drv_wl_opts.given: its first key's index. */
static unsigned wl_group_bit(const char *dev)
{
	for (size_t i = 0; i < N_WL_KEYS; i++)
		if (!strcmp(wl_keys[i].dev, dev))
			return 1u << i;
	return 0;
}

bool drv_wl_opts_names(const struct drv_wl_opts *o, const char *dev)
{
	return (o->given & wl_group_bit(dev)) != 0;
}

static unsigned *wl_field(struct drv_wl_opts *o, const struct wl_key *k)
{
	return (unsigned *)((char *)o + k->field);
}

/* Parse one "KEY=N" of group dev into o. */
static int parse_kv(struct drv_wl_opts *o, const char *dev, char *kv, char *err, size_t errlen)
{
	char *eq = strchr(kv, '=');
	const struct wl_key *k = NULL;
	unsigned long v;
	char *end;

	if (!eq) {
		snprintf(err, errlen, "'%s:%s': expected KEY=NUMBER", dev, kv);
		return -EINVAL;
	}
	*eq = '\0';
	for (size_t i = 0; i < N_WL_KEYS; i++)
		if (!strcmp(wl_keys[i].dev, dev) && !strcmp(wl_keys[i].key, kv))
			k = &wl_keys[i];
	if (!k) {
		snprintf(err, errlen, "unknown key '%s' for '%s'", kv, dev);
		return -EINVAL;
	}
	/* Digits only: strtoul would take " 5", "+5" and "-1". */
	errno = 0;
	v = isdigit((unsigned char)eq[1]) ? strtoul(eq + 1, &end, 10) : 0;
	if (!isdigit((unsigned char)eq[1]) || errno || *end || v < k->min || v > k->max) {
		snprintf(err, errlen, "bad value '%s' for '%s:%s' (expected %u..%u)", eq + 1, dev, kv,
			 k->min, k->max);
		return -EINVAL;
	}
	*wl_field(o, k) = (unsigned)v;
	return 0;
}

/* Cut *s at the next sep (strsep, which unlike strtok keeps empty items so
 * that ";;" and "rng:bytes=5,,requests=1" are refused, not skipped). */
static char *next_item(char **s, int sep)
{
	char *item = *s, *p;

	if (!item)
		return NULL;
	p = strchr(item, sep);
	if (p) {
		*p = '\0';
		*s = p + 1;
	} else {
		*s = NULL;
	}
	return item;
}

int drv_wl_opts_parse(struct drv_wl_opts *o, const char *spec, char *err, size_t errlen)
{
	struct drv_wl_opts tmp = *o;
	char *copy = strdup(spec), *rest = copy, *grp;
	int r = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!*spec) {
		snprintf(err, errlen, "empty workload (expected DEVICE:KEY=NUMBER[,KEY=NUMBER...][;...])");
		r = -EINVAL;
	}
	while (r == 0 && (grp = next_item(&rest, ';'))) {
		char *colon = strchr(grp, ':'), *kvs, *kv;
		bool known = false;

		if (!colon || colon == grp || !colon[1]) {
			snprintf(err, errlen, "'%s': expected DEVICE:KEY=NUMBER[,KEY=NUMBER...]", grp);
			r = -EINVAL;
			break;
		}
		*colon = '\0';
		for (size_t i = 0; i < N_WL_KEYS; i++)
			known |= !strcmp(wl_keys[i].dev, grp);
		if (!known) {
			snprintf(err, errlen, "unknown workload '%s' (expected blk, net, console, rng or queue)", grp);
			r = -EINVAL;
			break;
		}
		kvs = colon + 1;
		while (r == 0 && (kv = next_item(&kvs, ','))) {
			if (!*kv) {
				snprintf(err, errlen, "'%s:': an empty KEY=NUMBER item", grp);
				r = -EINVAL;
			} else {
				r = parse_kv(&tmp, grp, kv, err, errlen);
			}
		}
		if (r == 0)
			tmp.given |= wl_group_bit(grp);
	}
	free(copy);
	if (r == 0)
		*o = tmp;
	return r;
}

void drv_wl_opts_format(const struct drv_wl_opts *o, char *buf, size_t len)
{
	size_t used = 0;
	const char *dev = NULL;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < N_WL_KEYS; i++) {
		const struct wl_key *k = &wl_keys[i];
		unsigned v = *(const unsigned *)((const char *)o + k->field);
		int n;

		if (dev && !strcmp(dev, k->dev))
			n = snprintf(buf + used, len - used, ",%s=%u", k->key, v);
		else
			n = snprintf(buf + used, len - used, "%s%s:%s=%u", dev ? ";" : "", k->dev, k->key, v);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
		dev = k->dev;
	}
}

const struct drv_workload *drv_workload_find(uint32_t device_id)
{
	static const struct drv_workload *const all[] = { &drv_wl_blk, &drv_wl_net, &drv_wl_console, &drv_wl_rng };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->device_id == device_id)
			return all[i];
	return NULL;
}

static void report_fill(struct drv_report *r, const struct drv_dev *d, int result)
{
	r->version = d->version;
	r->device_id = d->device_id;
	r->vendor_id = d->vendor_id;
	r->status = d->status;
	r->offered = d->offered;
	r->features = d->features;
	r->queues = d->n_queues;
	r->requests = d->requests;
	r->interrupts = d->interrupts;
	r->result = result;
	if (result != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", d->err[0] ? d->err : "failed");
}

int drv_run_device(struct drv_bus *bus, uint64_t base, const struct drv_wl_opts *o, struct drv_report *r)
{
	struct drv_dev d;
	const struct drv_workload *wl;
	void *state = NULL;
	uint64_t wanted;
	uint32_t handled;
	int rc;

	memset(r, 0, sizeof(*r));
	r->base = base;
	rc = drv_probe(&d, bus, base);
	if (rc != 0)
		goto out;
	wl = drv_workload_find(d.device_id);
	if (!wl) {
		rc = drv_error(&d, DRV_E_UNSUPPORTED, "no built-in workload for device type %u", d.device_id);
		goto out;
	}
	drv_marker(&d, "%s: init (%s)", wl->name, d.tp->name);
	wanted = wl->features;
	if (o->indirect)
		wanted |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (o->event_idx)
		wanted |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	rc = drv_init(&d, wanted);
	if (rc != 0)
		goto out;
	rc = drv_setup_queues(&d, wl->n_queues, o->queue_size);
	if (rc != 0)
		goto out;
	state = calloc(1, wl->state_size ? wl->state_size : 1);
	if (!state) {
		rc = drv_error(&d, -ENOMEM, "out of memory");
		drv_set_failed(&d);
		goto out;
	}
	rc = wl->read_config(&d, state, o);
	if (rc != 0) {
		drv_set_failed(&d);
		goto out;
	}
	drv_driver_ok(&d);
	rc = wl->run(&d, state, o);
	if (rc == 0) {
		/* Leave no interrupt unacknowledged behind. */
		rc = drv_handle_interrupt(&d, &handled);
	}
	if (rc == 0)
		drv_marker(&d, "%s: done, %u used buffers, %u interrupts", wl->name, d.requests, d.interrupts);
	else
		drv_marker(&d, "%s: failed: %s", wl->name, d.err);
	if (rc != 0 && rc != DRV_E_VERIFY)
		drv_set_failed(&d);
out:
	report_fill(r, &d, rc);
	free(state);
	drv_release(&d);
	return rc;
}

/* xorshift64*: cheap, deterministic, and good enough that a device
 * returning the wrong sector or a shifted frame shows as a mismatch. */
void drv_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t stream)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (stream + 1) * 0xbf58476d1ce4e5b9ull;

	if (x == 0)
		x = 1;
	for (size_t i = 0; i < len; i++) {
		if ((i & 7) == 0) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
		}
		buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> (8 * (i & 7)));
	}
}

size_t drv_first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return len;
}

int drv_mem_write(struct drv_dev *d, uint64_t gpa, const void *src, uint64_t len)
{
	if (d->bus->ops->mem_write(d->bus->ctx, gpa, src, len) < 0)
		return drv_error(d, -EFAULT, "store of %llu bytes at 0x%llx failed", (unsigned long long)len,
				 (unsigned long long)gpa);
	return 0;
}

int drv_mem_read(struct drv_dev *d, uint64_t gpa, void *dst, uint64_t len)
{
	if (d->bus->ops->mem_read(d->bus->ctx, gpa, dst, len) < 0)
		return drv_error(d, -EFAULT, "load of %llu bytes at 0x%llx failed", (unsigned long long)len,
				 (unsigned long long)gpa);
	return 0;
}

uint64_t drv_mem_alloc(struct drv_dev *d, uint64_t len, uint64_t align)
{
	uint64_t gpa = drv_bus_alloc(d->bus, len, align);

	if (!gpa)
		drv_error(d, -ENOMEM, "guest memory for the workload ran out (%llu bytes wanted)",
			  (unsigned long long)len);
	return gpa;
}
