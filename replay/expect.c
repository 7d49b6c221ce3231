/* Parsing and matching of declared expected differences; see expect.h. */
#include "replay/expect.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "virtio/mmio_regs.h"
#include "virtio/names.h"

static const struct {
	const char *word;
	enum expect_what what;
} kinds[] = {
	{ "used", EXPECT_USED },
	{ "buffers", EXPECT_BUFFERS },
	{ "interrupts", EXPECT_INTERRUPTS },
	{ "violations", EXPECT_VIOLATIONS },
	{ "all", EXPECT_ALL },
};

static int parse_what(struct expect_item *it, const char *w, char *err, size_t errlen)
{
	char *end;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!strcasecmp(w, kinds[i].word)) {
			it->what = kinds[i].what;
			return 0;
		}
	}
	if (!strncasecmp(w, "config", 6) && (w[6] == '\0' || w[6] == '+')) {
		it->what = EXPECT_CONFIG;
		it->config_off = -1;
		if (w[6] == '+') {
			errno = 0;
			unsigned long v = strtoul(w + 7, &end, 0);
			if (errno || end == w + 7 || *end || v >= 0x1000) {
				snprintf(err, errlen, "'%s': expected config+OFFSET with OFFSET below 0x1000", w);
				return -1;
			}
			it->config_off = (int64_t)v;
		}
		return 0;
	}
	if (!strncasecmp(w, "queue", 5) && isdigit((unsigned char)w[5])) {
		unsigned long v = strtoul(w + 5, &end, 10);
		if (*end || v > 0xffff) {
			snprintf(err, errlen, "'%s': expected queueN with N a queue number", w);
			return -1;
		}
		it->what = EXPECT_QUEUE;
		it->queue = (int)v;
		return 0;
	}
	for (size_t i = 0; i < mmio_regs_count; i++) {
		const struct mmio_reg_info *r = &mmio_regs[i];
		if (!strcasecmp(w, r->name) || (r->legacy_name && !strcasecmp(w, r->legacy_name))) {
			it->what = EXPECT_REGISTER;
			it->reg = r->offset;
			return 0;
		}
	}
	snprintf(err, errlen,
		 "'%s' is not a declaration: expected a register name (VendorID, DeviceFeatures, "
		 "QueueNumMax, ...), config[+OFFSET], queueN, used, buffers, interrupts, violations or all", w);
	return -1;
}

int expect_add(struct replay_expect *e, const char *spec, const char *origin, char *err, size_t errlen)
{
	struct expect_item it;
	const char *colon = strrchr(spec, ':');
	const char *what = colon ? colon + 1 : spec;

	memset(&it, 0, sizeof(it));
	it.queue = -1;
	it.config_off = -1;
	if (strlen(spec) >= sizeof(it.text)) {
		snprintf(err, errlen, "declaration '%.40s...' is too long", spec);
		return -1;
	}
	if (e->n >= EXPECT_MAX) {
		snprintf(err, errlen, "more than %d declared differences", EXPECT_MAX);
		return -1;
	}
	snprintf(it.text, sizeof(it.text), "%s", spec);
	if (colon) {
		size_t n = (size_t)(colon - spec);
		if (n == 0 || n >= sizeof(it.dev)) {
			snprintf(err, errlen, "'%s': empty or overlong device before ':'", spec);
			return -1;
		}
		memcpy(it.dev, spec, n);
		it.dev[n] = '\0';
	}
	if (*what == '\0') {
		snprintf(err, errlen, "'%s': nothing declared after the device", spec);
		return -1;
	}
	if (parse_what(&it, what, err, errlen) < 0)
		return -1;
	snprintf(it.origin_buf, sizeof(it.origin_buf), "%s", origin ? origin : "--expect");
	e->items[e->n] = it;
	e->items[e->n].origin = e->items[e->n].origin_buf;
	e->n++;
	return 0;
}

int expect_load_file(struct replay_expect *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[256], sub[192], origin[80];
	unsigned lineno = 0;

	struct stat sb;

	if (!f) {
		snprintf(err, errlen, "'%s': %s", path, strerror(errno));
		return -1;
	}
	/* fopen takes a directory; reading it fails with EISDIR, which
	 * fgets would turn into an empty file.  Pipes (<(...)) are fine. */
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "'%s': %s", path, strerror(EISDIR));
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			fclose(f);
			return -1;
		}
		if ((end = strchr(p, '#')))
			*end = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0')
			continue;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (expect_add(e, p, origin, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, sub);
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "'%s': %s", path, strerror(errno ? errno : EIO));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Does selector sel name this device? */
static bool device_selected(const char *sel, const char *name, uint64_t base, uint32_t device_id)
{
	char buf[16];
	const char *type;
	char *end;

	if (sel[0] == '\0' || !strcasecmp(sel, name))
		return true;
	if (!strncasecmp(sel, "0x", 2)) {
		unsigned long long v = strtoull(sel, &end, 16);
		return *end == '\0' && v == base;
	}
	if (!strcasecmp(sel, virtio_device_short_name(device_id, buf, sizeof(buf))))
		return true;
	type = virtio_device_type_name(device_id);
	return type && !strcasecmp(sel, type);
}

bool expect_selects(const struct expect_item *it, const char *dev_name, uint64_t base, uint32_t device_id)
{
	return device_selected(it->dev, dev_name, base, device_id);
}

static bool covers(const struct expect_item *it, const struct expect_subject *s)
{
	switch (it->what) {
	case EXPECT_ALL:
		return true;
	case EXPECT_QUEUE:
		return s->queue == it->queue;
	case EXPECT_REGISTER:
		return s->what == EXPECT_REGISTER && s->reg == it->reg;
	case EXPECT_CONFIG:
		if (s->what != EXPECT_CONFIG)
			return false;
		return it->config_off < 0 ||
		       (it->config_off >= s->config_off && it->config_off < s->config_off + (int64_t)s->config_len);
	default:
		return s->what == it->what;
	}
}

const struct expect_item *expect_match(const struct replay_expect *e, const struct expect_subject *s)
{
	if (!e)
		return NULL;
	for (unsigned i = 0; i < e->n; i++) {
		const struct expect_item *it = &e->items[i];
		if (device_selected(it->dev, s->dev_name, s->base, s->device_id) && covers(it, s))
			return it;
	}
	return NULL;
}

bool expect_adopts(const struct replay_expect *e, const char *dev_name, uint64_t base,
		   uint32_t device_id, enum expect_what what, uint32_t reg)
{
	if (!e)
		return false;
	for (unsigned i = 0; i < e->n; i++) {
		const struct expect_item *it = &e->items[i];
		if (!device_selected(it->dev, dev_name, base, device_id))
			continue;
		if (it->what == EXPECT_ALL || (it->what == what && (what != EXPECT_REGISTER || it->reg == reg)))
			return true;
	}
	return false;
}
