/* Recording a divergence with what led to it (the last events replayed,
 * the device, a matching declaration); see diverge.h. */
#include "replay/diverge.h"

#include <stdio.h>

#include "replay/describe.h"
#include "replay/engine_priv.h"
#include "replay/report_add.h"

static const struct trace_device *tdev(const struct engine *e, int dev)
{
	return dev >= 0 && (unsigned)dev < e->t->n_dev ? &e->t->dev[dev] : NULL;
}

void diverge_report(struct engine *e, uint64_t seq, int dev, struct replay_div *d,
		    const struct expect_subject *subj)
{
	const struct trace_device *td = tdev(e, dev);
	struct expect_subject s = *subj;
	const struct expect_item *it;

	d->seq = seq;
	d->device = td ? td->id : -1;
	snprintf(d->device_name, sizeof(d->device_name), "%s", td ? td->name : "");
	s.dev_name = td ? td->name : "";
	s.base = td ? td->base : 0;
	s.device_id = td ? td->device_id : 0;
	uint64_t n = e->n_recent < REPLAY_CONTEXT ? e->n_recent : REPLAY_CONTEXT;
	d->n_before = 0;
	for (uint64_t i = e->n_recent - n; i < e->n_recent; i++) {
		const struct trace_ev *ev = &e->recent[i % REPLAY_CONTEXT].ev;
		/* A divergence settled later (the end of a best-effort
		 * replay) has no context at hand. */
		if (ev->seq > seq)
			break;
		struct replay_brief *b = &d->before[d->n_before++];
		b->seq = ev->seq;
		describe_event(e->t, ev, b->text, sizeof(b->text));
	}
	it = expect_match(e->o->expect, &s);
	if (it) {
		d->declared_by = it->text;
		replay_add_declared(e->res, d);
		return;
	}
	replay_add_div(e->res, d);
	if (!e->o->keep_going)
		e->stop = true;
}

void diverge_hexbytes(char *buf, size_t len, const uint8_t *p, uint32_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%02x", i ? " " : "", p[i]);
}
