/* See fmt_tdb.h. */
#include "format/tdb/fmt_tdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/fmt_device.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"

/* The value of a non-queue register in s, or 0 (its reset value) if it
 * was never written before the state's seq. */
static uint32_t reg_or_zero(const struct tdb_state *s, const char *reg)
{
	for (size_t i = 0; i < s->n_regs; i++)
		if (s->regs[i].queue == -1 && !strcmp(s->regs[i].reg, reg))
			return (uint32_t)s->regs[i].value;
	return 0;
}

int fmt_tdb_fill_device(struct fmt_ctx *c, struct tdb *t, int device, uint64_t seq)
{
	const struct tdb_device *td = tdb_device_by_id(t, device);
	struct tdb_state s = { 0 };
	struct fmt_device *d;
	int r = 0;

	if (!td)
		return TDB_E_NOT_FOUND;
	d = fmt_ctx_device(c, td->base);
	if (!d)
		return -ENOMEM;
	fmt_device_set_name(d, td->name);
	d->version = td->version == 1 || td->version == 2 ? td->version : 0;
	d->device_id = td->device_id > 0 && td->device_id <= UINT32_MAX ? (uint32_t)td->device_id : 0;
	fmt_device_reset(d);
	d->page_size = 0;
	if (seq == 0)
		return 0; /* nothing happened yet: the reset state */
	r = tdb_state_at(t, device, seq - 1, &s);
	if (r != 0)
		goto cleanup;
	/* Registers never written before seq hold their reset value, 0. */
	d->dev_features_sel = reg_or_zero(&s, "DeviceFeaturesSel");
	d->drv_features_sel = reg_or_zero(&s, "DriverFeaturesSel");
	d->queue_sel = reg_or_zero(&s, "QueueSel");
	d->page_size = reg_or_zero(&s, "GuestPageSize");
	for (size_t i = 0; i < s.n_queues; i++) {
		const struct tdb_queue *tq = &s.queues[i];
		struct fmt_queue *q;

		if (tq->bad || tq->queue >= FMT_QUEUES_MAX || !(tq->known & TDB_Q_SIZE))
			continue;
		/* A generation that ended before seq has no rings any more. */
		if ((tq->known & TDB_Q_SEQ_END) && tq->seq_end < seq)
			continue;
		q = &d->q[tq->queue];
		q->num = tq->size;
		/* The decoder gives the three addresses for both layouts. */
		q->desc = tq->known & TDB_Q_DESC ? tq->desc_addr : 0;
		q->driver = tq->known & TDB_Q_DRIVER ? tq->driver_addr : 0;
		q->device = tq->known & TDB_Q_DEVICE_AREA ? tq->device_addr : 0;
		q->align = tq->known & TDB_Q_ALIGN ? tq->align : 0;
		q->ready = tq->ready;
	}
cleanup:
	tdb_state_clear(&s);
	return r;
}

int fmt_tdb_fill(struct fmt_ctx *c, struct tdb *t, uint64_t seq)
{
	struct tdb_device *devs = NULL;
	struct tdb_notes *notes;
	size_t n = 0;
	int r;

	/* Leniently: a damaged devices row is left out here (show and the
	 * cursor name it), not a reason to stop formatting. */
	notes = calloc(1, sizeof(*notes));
	if (!notes)
		return -ENOMEM;
	r = tdb_devices_read(t, TDB_BY_ID, notes, &devs, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (devs[i].id < 0 || devs[i].bad)
			continue;
		r = fmt_tdb_fill_device(c, t, devs[i].id, seq);
		if (r == TDB_E_NOT_FOUND)
			r = 0; /* its row is damaged: shown by address */
	}
	free(devs);
	free(notes);
	return r;
}
