/* The workload registry and the --workload spec: every registered
 * workload's options parse at their limits and are refused one past them
 * with the message the user sees; defaults; the spec's syntax errors; the
 * trace metadata's spec (all groups, or only the devices present); the
 * option lines of `vmtrace record --help`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/driver/workload.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

static void test_registry(void)
{
	CHECK(drv_workload_count() >= 4);
	CHECK(drv_workload_count() <= DRV_WL_MAX);
	CHECK(drv_workload_at(drv_workload_count()) == NULL);
	for (size_t i = 0; i < drv_workload_count(); i++) {
		const struct drv_workload *wl = drv_workload_at(i);
		const struct devtype *t = devtype_find(wl->device_id);

		CHECK(wl->name && wl->summary && wl->run && wl->read_config);
		/* Its name is the device type's short name (--emu, labels). */
		CHECK(t != NULL);
		if (t)
			CHECK_STR(wl->name, t->short_name);
		CHECK(drv_workload_find(wl->device_id) == wl);
		CHECK(drv_workload_by_name(wl->name) == wl);
		CHECK(wl->n_keys >= 1 && wl->n_keys <= DRV_WL_KEYS_MAX);
		CHECK(wl->n_queues >= 1);
		for (size_t k = 0; k < wl->n_keys; k++) {
			const struct drv_wl_key *key = &wl->keys[k];

			CHECK(key->key && key->help);
			CHECK(key->min >= 1 && key->min <= key->def && key->def <= key->max);
			for (size_t j = 0; j < k; j++)
				CHECK(strcmp(wl->keys[j].key, key->key) != 0);
		}
		for (size_t j = 0; j < i; j++)
			CHECK(drv_workload_at(j)->device_id != wl->device_id);
	}
	CHECK(drv_workload_find(0) == NULL);
	CHECK(drv_workload_find(VIRTIO_ID_GPU) == NULL);
	CHECK(drv_workload_by_name("queue") == NULL);
	CHECK(drv_workload_by_name(NULL) == NULL);
}

/* The defaults the help text and the samples were made with. */
static void test_defaults(void)
{
	static const struct { const char *dev, *key; unsigned v; } want[] = {
		{ "blk", "sectors", 32 }, { "blk", "requests", 8 }, { "net", "frames", 8 }, { "net", "batch", 4 },
		{ "console", "lines", 2 }, { "rng", "requests", 4 }, { "rng", "bytes", 64 }, { "queue", "size", 64 },
	};
	struct drv_wl_opts o;
	unsigned v;

	drv_wl_opts_init(&o);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = 0;
		CHECK(drv_wl_opt_by_name(&o, want[i].dev, want[i].key, &v) == 0);
		CHECK_EQ_U(v, want[i].v);
	}
	for (size_t i = 0; i < drv_workload_count(); i++) {
		const struct drv_workload *wl = drv_workload_at(i);

		for (size_t k = 0; k < wl->n_keys; k++)
			CHECK_EQ_U(drv_wl_opt(&o, wl, k), wl->keys[k].def);
		CHECK_EQ_U(drv_wl_opt(&o, wl, wl->n_keys), 0);
		CHECK(!drv_wl_opts_names(&o, wl->name));
	}
	CHECK_EQ_U(o.queue_size, DRV_QUEUE_SIZE_DEFAULT);
	CHECK(o.indirect && o.event_idx);
	CHECK_EQ_U(o.seed, 1);
	CHECK_EQ_U(o.given, 0);
	CHECK(drv_wl_opt_by_name(&o, "blk", "speed", &v) == -ENOENT);
	CHECK(drv_wl_opt_by_name(&o, "disk", "sectors", &v) == -ENOENT);
}

/* Every key of every group at min and max, and refused at max + 1 and
 * min - 1 with the same message as before the registry. */
static void test_every_key(void)
{
	char spec[128], err[256], want[256];
	struct drv_wl_opts o, d;
	unsigned v;

	for (size_t i = 0; i <= drv_workload_count(); i++) {
		const struct drv_workload *wl = drv_workload_at(i);
		const char *dev = wl ? wl->name : "queue";
		static const struct drv_wl_key queue_size = { "size", 1, VIRTQ_SIZE_MAX, 64, "" };
		size_t n = wl ? wl->n_keys : 1;

		for (size_t k = 0; k < n; k++) {
			const struct drv_wl_key *key = wl ? &wl->keys[k] : &queue_size;
			unsigned limits[2] = { key->min, key->max };

			for (int l = 0; l < 2; l++) {
				drv_wl_opts_init(&o);
				snprintf(spec, sizeof(spec), "%s:%s=%u", dev, key->key, limits[l]);
				CHECK(drv_wl_opts_parse(&o, spec, err, sizeof(err)) == 0);
				CHECK(drv_wl_opt_by_name(&o, dev, key->key, &v) == 0);
				CHECK_EQ_U(v, limits[l]);
				if (wl)
					CHECK_EQ_U(drv_wl_opt(&o, wl, k), limits[l]);
				CHECK(drv_wl_opts_names(&o, dev));
				/* Only that group is named. */
				for (size_t j = 0; j < drv_workload_count(); j++)
					if (j != i)
						CHECK(!drv_wl_opts_names(&o, drv_workload_at(j)->name));
			}
			drv_wl_opts_init(&o);
			d = o;
			snprintf(spec, sizeof(spec), "%s:%s=%u", dev, key->key, key->max + 1);
			CHECK(drv_wl_opts_parse(&o, spec, err, sizeof(err)) == -EINVAL);
			snprintf(want, sizeof(want), "bad value '%u' for '%s:%s' (expected %u..%u)", key->max + 1, dev,
				 key->key, key->min, key->max);
			CHECK_STR(err, want);
			snprintf(spec, sizeof(spec), "%s:%s=%u", dev, key->key, key->min - 1);
			CHECK(drv_wl_opts_parse(&o, spec, err, sizeof(err)) == -EINVAL);
			snprintf(want, sizeof(want), "bad value '%u' for '%s:%s' (expected %u..%u)", key->min - 1, dev,
				 key->key, key->min, key->max);
			CHECK_STR(err, want);
			CHECK(memcmp(&d, &o, sizeof(d)) == 0);
		}
		drv_wl_opts_init(&o);
		snprintf(spec, sizeof(spec), "%s:speed=1", dev);
		CHECK(drv_wl_opts_parse(&o, spec, err, sizeof(err)) == -EINVAL);
		snprintf(want, sizeof(want), "unknown key 'speed' for '%s'", dev);
		CHECK_STR(err, want);
	}
}

/* The spec's syntax and its messages (as before the registry). */
static void test_spec(void)
{
	struct drv_wl_opts o, d;
	char err[256];
	unsigned v;

	drv_wl_opts_init(&o);
	d = o;
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=64,requests=16;net:frames=32", err, sizeof(err)) == 0);
	CHECK(drv_wl_opt_by_name(&o, "blk", "sectors", &v) == 0 && v == 64);
	CHECK(drv_wl_opt_by_name(&o, "blk", "requests", &v) == 0 && v == 16);
	CHECK(drv_wl_opt_by_name(&o, "net", "frames", &v) == 0 && v == 32);
	CHECK(drv_wl_opt_by_name(&o, "net", "batch", &v) == 0 && v == 4);
	CHECK(drv_wl_opts_names(&o, "blk") && drv_wl_opts_names(&o, "net") && !drv_wl_opts_names(&o, "rng"));
	CHECK(!drv_wl_opts_names(&o, "queue") && !drv_wl_opts_names(&o, "disk"));
	CHECK(drv_wl_opts_parse(&o, "rng:bytes=65536;queue:size=32768", err, sizeof(err)) == 0);
	CHECK(drv_wl_opts_names(&o, "rng") && drv_wl_opts_names(&o, "queue"));
	CHECK_EQ_U(o.queue_size, 32768);
	/* A later group of the same device overrides one key only. */
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=1;blk:requests=2", err, sizeof(err)) == 0);
	CHECK(drv_wl_opt_by_name(&o, "blk", "sectors", &v) == 0 && v == 1);
	CHECK(drv_wl_opt_by_name(&o, "blk", "requests", &v) == 0 && v == 2);

	/* Empty items are mistakes, not skipped (strtok would skip them). */
	static const char *const garbage[] = {
		"", ";;", "rng:", "rng:bytes=5;", ";rng:bytes=5", "rng:bytes=5,,requests=1", "rng:bytes=5,",
		"rng:bytes= 5", "rng:bytes=+5", "rng:bytes=", ":bytes=5", "rng:bytes=5 ", "blk:sectors=-1",
		"blk:sectors=12x", "blk", "blk:sectors", "blk:sectors=99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		d = o;
		if (drv_wl_opts_parse(&o, garbage[i], err, sizeof(err)) != -EINVAL) {
			fprintf(stderr, "workload '%s' accepted\n", garbage[i]);
			CHECK(!"garbage workload accepted");
		}
		CHECK(memcmp(&d, &o, sizeof(d)) == 0);
	}
	CHECK(drv_wl_opts_parse(&o, "", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "empty workload (expected DEVICE:KEY=NUMBER[,KEY=NUMBER...][;...])");
	CHECK(drv_wl_opts_parse(&o, "disk:sectors=1", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "unknown workload 'disk' (expected blk, net, console, rng or queue)");
	CHECK(drv_wl_opts_parse(&o, "blk", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "'blk': expected DEVICE:KEY=NUMBER[,KEY=NUMBER...]");
	CHECK(drv_wl_opts_parse(&o, "blk:sectors", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "'blk:sectors': expected KEY=NUMBER");
	CHECK(drv_wl_opts_parse(&o, "rng:bytes=5,,requests=1", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "'rng:': an empty KEY=NUMBER item");
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=12x", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "bad value '12x' for 'blk:sectors' (expected 1..8192)");
	/* A failed parse leaves the options alone, even after good groups. */
	d = o;
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=5;net:frames=0", err, sizeof(err)) == -EINVAL);
	CHECK(memcmp(&d, &o, sizeof(d)) == 0);
}

static void test_format(void)
{
	static const uint32_t blk_rng[] = { VIRTIO_ID_ENTROPY, VIRTIO_ID_BLOCK, VIRTIO_ID_BLOCK };
	static const uint32_t other[] = { VIRTIO_ID_GPU };
	struct drv_wl_opts o, d;
	char buf[256], err[128];

	drv_wl_opts_init(&o);
	drv_wl_opts_format(&o, buf, sizeof(buf));
	CHECK_STR(buf, "blk:sectors=32,requests=8;net:frames=8,batch=4;console:lines=2;"
		  "rng:requests=4,bytes=64;queue:size=64");
	/* The formatted spec parses back to the same options. */
	drv_wl_opts_init(&d);
	CHECK(drv_wl_opts_parse(&d, "blk:sectors=1;queue:size=3", err, sizeof(err)) == 0);
	CHECK(drv_wl_opts_parse(&d, buf, err, sizeof(err)) == 0);
	d.given = 0;
	CHECK(memcmp(&d, &o, sizeof(d)) == 0);

	/* The metadata of a machine: only its devices' groups, in registry
	 * order whatever the machine's order, each once; then queue. */
	CHECK(drv_wl_opts_parse(&o, "blk:sectors=2,requests=1;rng:requests=1,bytes=16;queue:size=4", err,
				sizeof(err)) == 0);
	drv_wl_opts_format_for(&o, blk_rng, 3, buf, sizeof(buf));
	CHECK_STR(buf, "blk:sectors=2,requests=1;rng:requests=1,bytes=16;queue:size=4");
	drv_wl_opts_format_for(&o, other, 1, buf, sizeof(buf));
	CHECK_STR(buf, "queue:size=4");
	drv_wl_opts_format_for(&o, NULL, 0, buf, sizeof(buf));
	CHECK_STR(buf, "queue:size=4");
	/* Too small: cut at a group, NUL-terminated. */
	memset(buf, 'x', sizeof(buf));
	drv_wl_opts_format_for(&o, blk_rng, 3, buf, 30);
	CHECK_STR(buf, "blk:sectors=2,requests=1");
	drv_wl_opts_format(&o, buf, 1);
	CHECK_STR(buf, "");
}

/* record --help's option lines, as they were written by hand before. */
static void test_help(void)
{
	static const char want_keys[] =
		"        blk:sectors=N     sectors written and read back (1-8192, default 32)\n"
		"        blk:requests=N    requests they are split into (1-256, default 8)\n"
		"        net:frames=N      frames sent and received back (1-4096, default 8)\n"
		"        net:batch=N       frames per notification (1-16, default 4)\n"
		"        console:lines=N   lines written and echoed back (1-64, default 2)\n"
		"        rng:requests=N    requests for random bytes (1-256, default 4)\n"
		"        rng:bytes=N       about N bytes per request (1-65536, default 64)\n"
		"        queue:size=N      queue size asked for, capped by QueueNumMax\n"
		"                          (1-32768, default 64)\n";
	static const char want_sum[] =
		"  blk      write a pattern to sectors 0..N-1, read it back, flush, get-id\n"
		"  net      send frames to the loopback device, compare what comes back\n"
		"  console  write lines to port 0, compare the echo\n"
		"  rng      read random bytes, check lengths and that they are not all zero\n";
	struct drv_wl_opts o;
	char *text = NULL, names[64];
	size_t len = 0;
	FILE *f;

	drv_wl_opts_init(&o);
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	drv_wl_help_keys(f, &o, 8, 26);
	fclose(f);
	CHECK_STR(text, want_keys);
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	drv_wl_help_summaries(f, 2, 11);
	fclose(f);
	CHECK_STR(text, want_sum);
	free(text);

	drv_wl_names_join(names, sizeof(names), ", ", NULL);
	CHECK_STR(names, "blk, net, console, rng");
	drv_wl_names_join(names, sizeof(names), ",", " or ");
	CHECK_STR(names, "blk,net,console or rng");
	drv_wl_names_join(names, 8, ",", NULL);
	CHECK_STR(names, "blk,net");
}

int main(void)
{
	RUN(test_registry);
	RUN(test_defaults);
	RUN(test_every_key);
	RUN(test_spec);
	RUN(test_format);
	RUN(test_help);
	return harness_finish("test_workload");
}
