/* Raw trace metadata: the key/value and device tables, their on-disk
 * encoding, and the --flush option parser. */
#include "capture/rawtrace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/rawtrace_format.h"
#include "virtio/virtio.h"

int rawtrace_meta_set(struct rawtrace_meta *m, const char *key, const char *value)
{
	char *v;

	if (!m || !key || !value || !*key || strlen(key) >= RAWTRACE_META_STR_MAX ||
	    strlen(value) >= RAWTRACE_META_STR_MAX)
		return -EINVAL;
	for (size_t i = 0; i < m->n_kv; i++) {
		if (strcmp(m->kv[i].key, key) != 0)
			continue;
		/* Replace in place so a key appears once. */
		v = strdup(value);
		if (!v)
			return -ENOMEM;
		free(m->kv[i].value);
		m->kv[i].value = v;
		return 0;
	}
	if (m->n_kv >= RAWTRACE_META_KV_MAX)
		return -ENOSPC;
	char *k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	m->kv[m->n_kv].key = k;
	m->kv[m->n_kv].value = v;
	m->n_kv++;
	return 0;
}

const char *rawtrace_meta_get(const struct rawtrace_meta *m, const char *key)
{
	if (!m || !key)
		return NULL;
	for (size_t i = 0; i < m->n_kv && i < RAWTRACE_META_KV_MAX; i++)
		if (m->kv[i].key && strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].value;
	return NULL;
}

int rawtrace_meta_add_device(struct rawtrace_meta *m, const struct vmt_device_desc *d)
{
	if (!m || !d)
		return -EINVAL;
	if (m->n_devices >= RAWTRACE_META_DEVICES_MAX)
		return -ENOSPC;
	m->devices[m->n_devices] = *d;
	m->devices[m->n_devices].name[sizeof(d->name) - 1] = '\0';
	m->n_devices++;
	return 0;
}

void rawtrace_meta_clear(struct rawtrace_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_kv && i < RAWTRACE_META_KV_MAX; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	memset(m, 0, sizeof(*m));
}

int rawtrace_meta_encode(const struct rawtrace_meta *m, uint8_t **out, size_t *len)
{
	size_t n = 4 + 8 + 8 + 4 + 4, pos = 0;
	uint8_t *p;

	if (m->n_kv > RAWTRACE_META_KV_MAX || m->n_devices > RAWTRACE_META_DEVICES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < m->n_kv; i++) {
		/* The struct may have been filled by hand: check what
		 * rawtrace_meta_set would have refused. */
		if (!m->kv[i].key || !m->kv[i].value || !*m->kv[i].key ||
		    strlen(m->kv[i].key) >= RAWTRACE_META_STR_MAX ||
		    strlen(m->kv[i].value) >= RAWTRACE_META_STR_MAX)
			return -EINVAL;
		n += 8 + strlen(m->kv[i].key) + strlen(m->kv[i].value);
	}
	n += (size_t)m->n_devices * VMT_DEVICE_DESC_BYTES;
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	le32_put(p, m->source);
	le64_put(p + 4, m->ram_base);
	le64_put(p + 12, m->ram_size);
	le32_put(p + 20, (uint32_t)m->n_kv);
	pos = 24;
	for (size_t i = 0; i < m->n_kv; i++) {
		const char *s[2] = { m->kv[i].key, m->kv[i].value };
		for (int j = 0; j < 2; j++) {
			size_t l = strlen(s[j]);
			le32_put(p + pos, (uint32_t)l);
			memcpy(p + pos + 4, s[j], l);
			pos += 4 + l;
		}
	}
	le32_put(p + pos, (uint32_t)m->n_devices);
	pos += 4;
	for (size_t i = 0; i < m->n_devices; i++) {
		vmt_device_desc_encode(&m->devices[i], p + pos);
		pos += VMT_DEVICE_DESC_BYTES;
	}
	*out = p;
	*len = pos;
	return 0;
}

/* Read one length-prefixed string at *pos into a new NUL-terminated copy
 * (*out), checking the length against both the cap and the bytes left.
 * Returns 0, -EPROTO (reason in why) or -ENOMEM. */
static int meta_get_string(const uint8_t *p, size_t len, size_t *pos, bool allow_empty,
			   char **out, const char *what, char *why, size_t whylen)
{
	size_t at = *pos;
	uint32_t l;

	if (len - at < 4) {
		snprintf(why, whylen, "%s length at payload offset %zu runs past the block", what, at);
		return -EPROTO;
	}
	l = le32_get(p + at);
	if (l >= RAWTRACE_META_STR_MAX || (!allow_empty && l == 0)) {
		snprintf(why, whylen, "%s length %u at payload offset %zu is out of range", what, l, at);
		return -EPROTO;
	}
	if (len - at - 4 < l) {
		snprintf(why, whylen, "%s at payload offset %zu runs past the block", what, at);
		return -EPROTO;
	}
	if (memchr(p + at + 4, 0, l)) {
		snprintf(why, whylen, "%s at payload offset %zu holds a NUL byte", what, at);
		return -EPROTO;
	}
	*out = malloc((size_t)l + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, p + at + 4, l);
	(*out)[l] = '\0';
	*pos = at + 4 + l;
	return 0;
}

int rawtrace_meta_decode(struct rawtrace_meta *m, const uint8_t *p, size_t len,
			 char *why, size_t whylen)
{
	size_t pos;
	uint32_t n;
	int r;

	if (len < 24) {
		snprintf(why, whylen, "payload of %zu bytes is too short", len);
		return -EPROTO;
	}
	m->source = le32_get(p);
	m->ram_base = le64_get(p + 4);
	m->ram_size = le64_get(p + 12);
	n = le32_get(p + 20);
	if (n > RAWTRACE_META_KV_MAX) {
		snprintf(why, whylen, "%u key/value pairs, more than the %d allowed", n, RAWTRACE_META_KV_MAX);
		return -EPROTO;
	}
	pos = 24;
	for (uint32_t i = 0; i < n; i++) {
		char *k = NULL, *v = NULL;
		r = meta_get_string(p, len, &pos, false, &k, "key", why, whylen);
		if (r == 0)
			r = meta_get_string(p, len, &pos, true, &v, "value", why, whylen);
		if (r < 0) {
			free(k);
			rawtrace_meta_clear(m);
			return r;
		}
		m->kv[m->n_kv].key = k;
		m->kv[m->n_kv].value = v;
		m->n_kv++;
	}
	if (len - pos < 4) {
		snprintf(why, whylen, "device count at payload offset %zu runs past the block", pos);
		goto fail;
	}
	n = le32_get(p + pos);
	pos += 4;
	if (n > RAWTRACE_META_DEVICES_MAX) {
		snprintf(why, whylen, "%u devices, more than the %d allowed", n, RAWTRACE_META_DEVICES_MAX);
		goto fail;
	}
	if ((len - pos) != (size_t)n * VMT_DEVICE_DESC_BYTES) {
		snprintf(why, whylen, "device table of %u entries does not fill the %zu bytes left",
			 n, len - pos);
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		vmt_device_desc_decode(&m->devices[i], p + pos, VMT_DEVICE_DESC_BYTES);
		pos += VMT_DEVICE_DESC_BYTES;
	}
	m->n_devices = n;
	return 0;
fail:
	rawtrace_meta_clear(m);
	return -EPROTO;
}

int rawtrace_parse_flush(const char *s, struct rawtrace_write_opts *opts)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !opts)
		return -EINVAL;
	if (strcmp(s, "block") == 0) {
		opts->flush = RAWTRACE_FLUSH_BLOCK;
		return 0;
	}
	if (strcmp(s, "event") == 0) {
		opts->flush = RAWTRACE_FLUSH_EVENT;
		return 0;
	}
	/* Digits by hand: strtoul would accept signs and spaces. Cap at one
	 * day, far beyond any useful interval. */
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 86400000ull)
			return -EINVAL;
	}
	if (p == s || v == 0 || (*p && strcmp(p, "ms") != 0))
		return -EINVAL;
	opts->flush = RAWTRACE_FLUSH_INTERVAL;
	opts->interval_ms = (uint32_t)v;
	return 0;
}
