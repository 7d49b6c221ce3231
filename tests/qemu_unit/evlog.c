/* Event log for the capture tests (evlog.h). */
#include "tests/qemu_unit/evlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int evlog_emit(void *ctx, const struct vmt_event *ev)
{
	struct evlog *l = ctx;
	uint8_t *copy = NULL;

	l->calls++;
	if (l->fail_at && l->calls == l->fail_at)
		return l->fail_rc;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct vmt_event *v = realloc(l->ev, cap * sizeof(*v));
		if (!v)
			abort();
		l->ev = v;
		l->cap = cap;
	}
	if (ev->len) {
		if (!ev->data || !(copy = malloc(ev->len)))
			abort();
		memcpy(copy, ev->data, ev->len);
	}
	l->ev[l->n] = *ev;
	l->ev[l->n].data = copy;
	l->n++;
	return 0;
}

void evlog_clear(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->ev[i].data);
	l->n = 0;
	l->calls = 0;
}

void evlog_release(struct evlog *l)
{
	evlog_clear(l);
	free(l->ev);
	l->ev = NULL;
	l->cap = 0;
}

static bool event_equal(const struct vmt_event *a, const struct vmt_event *b)
{
	return a->ts_ns == b->ts_ns && a->type == b->type && a->source == b->source && a->dir == b->dir &&
	       a->width == b->width && a->vcpu == b->vcpu && a->flags == b->flags && a->base == b->base &&
	       a->addr == b->addr && a->value == b->value && a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

bool evlog_equal(const struct evlog *a, const struct evlog *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!event_equal(&a->ev[i], &b->ev[i]))
			return false;
	return true;
}

size_t evlog_count(const struct evlog *l, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->ev[i].type == type;
	return n;
}

uint64_t evlog_mem_bytes(const struct evlog *l)
{
	uint64_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->ev[i].type == VMT_EV_MEM)
			n += l->ev[i].len;
	return n;
}

void evlog_dump(const struct evlog *l, const char *title)
{
	fprintf(stderr, "  %s: %zu event(s)\n", title, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct vmt_event *e = &l->ev[i];
		fprintf(stderr, "    [%zu] %s base=0x%" PRIx64 " addr=0x%" PRIx64 " len=%" PRIu32 " value=0x%" PRIx64
			" flags=0x%x dir=%u width=%u vcpu=%u ts=%" PRIu64 "\n",
			i, vmt_event_type_name(e->type), e->base, e->addr, e->len, e->value, e->flags, e->dir,
			e->width, e->vcpu, e->ts_ns);
	}
}
