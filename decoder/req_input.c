/* virtio-input events (Device Types / Input Device): both queues carry
 * struct virtio_input_event { le16 type; le16 code; le32 value; }, 8 bytes
 * each.  eventq buffers are device-writable and filled by the device
 * (decoded when used, from the bytes the device wrote); statusq buffers
 * are device-readable events the driver sends (LED state and the like),
 * decoded when made available.
 *
 * requests row: kind input-event (eventq) or input-status (statusq); op
 * the events as "EV_KEY 30 1" (type name, code, value as a signed 32-bit
 * number; several events joined by ", ", cut with " +N more" to fit the
 * op text); length the bytes of events; data the event bytes (capped). */
#include "decoder/req.h"

#include <stdio.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* sizeof(struct virtio_input_event) (Input Device / Device Operation). */
#define INPUT_EVENT_SIZE 8u
/* Events read for the op text: more never fit in REQ_OP_TEXT_MAX. */
#define INPUT_OP_EVENTS_MAX 16u
/* Room kept for the tail " +N more" (N < 2^32 / 8: 9 digits) and its NUL. */
#define INPUT_OP_TAIL 17u

/* Event type names of linux/input-event-codes.h, which virtio-input
 * carries unchanged; the common ones only. */
static const char *input_type_name(uint16_t type)
{
	switch (type) {
	case 0x00: return "EV_SYN";
	case 0x01: return "EV_KEY";
	case 0x02: return "EV_REL";
	case 0x03: return "EV_ABS";
	case 0x04: return "EV_MSC";
	case 0x05: return "EV_SW";
	case 0x11: return "EV_LED";
	case 0x12: return "EV_SND";
	case 0x14: return "EV_REP";
	}
	return NULL;
}

/* Append the event at ev to out (len bytes, *at used so far).  Returns
 * false, leaving out as it was, if it does not fit with room for the
 * " +N more" tail. */
static bool input_op_add(char *out, size_t len, size_t *at, const uint8_t *ev, bool first)
{
	char one[48];
	uint16_t type = le16_get(ev);
	const char *name = input_type_name(type);
	int32_t value = (int32_t)le32_get(ev + 4);
	int n;

	if (name)
		n = snprintf(one, sizeof(one), "%s%s %u %d", first ? "" : ", ", name, le16_get(ev + 2), value);
	else
		n = snprintf(one, sizeof(one), "%stype %u %u %d", first ? "" : ", ", type, le16_get(ev + 2), value);
	if (n < 0 || (size_t)n + INPUT_OP_TAIL > len - *at)
		return false;
	memcpy(out + *at, one, (size_t)n + 1);
	*at += (size_t)n;
	return true;
}

/* Fill rf with the n_bytes (a multiple of 8) of events at the start of
 * segs: op text into op (REQ_OP_TEXT_MAX bytes), length, data.  Marks c's
 * memory by what could be read. */
static void input_events(struct req_state *rq, struct rings_chain *c, uint64_t n_bytes, char *op,
			 struct req_fields *rf)
{
	uint8_t evs[INPUT_OP_EVENTS_MAX * INPUT_EVENT_SIZE];
	uint64_t n_events = n_bytes / INPUT_EVENT_SIZE;
	uint32_t n_read = n_events < INPUT_OP_EVENTS_MAX ? (uint32_t)n_events : INPUT_OP_EVENTS_MAX;
	unsigned flags;

	rf->has_length = true;
	rf->length = n_bytes;
	uint32_t held = req_payload(rq, c->segs, c->n_segs, 0, n_bytes, &flags);
	req_note_mem(c, flags);
	if (!(flags & SHADOW_HAVE_ALL))
		return;
	rf->data = rq->payload;
	rf->data_len = held;
	if (n_events == 0)
		return;
	if (!(req_chain_read(rq, c->segs, c->n_segs, 0, evs, (uint64_t)n_read * INPUT_EVENT_SIZE) & SHADOW_HAVE_ALL))
		return;
	size_t at = 0;
	uint32_t i = 0;
	op[0] = '\0';
	while (i < n_read && input_op_add(op, REQ_OP_TEXT_MAX, &at, evs + (size_t)i * INPUT_EVENT_SIZE, i == 0))
		i++;
	if (i < n_events)
		snprintf(op + at, REQ_OP_TEXT_MAX - at, "%s+%llu more", i ? " " : "",
			 (unsigned long long)(n_events - i));
	rf->op_text = op;
}

static bool input_is_event(const struct req_queue *q)
{
	return q->role->flow == DEVTYPE_FLOW_IN;
}

/* eventq: check the buffer the driver offers ("These buffers MUST be
 * device-writable, and MUST be at least the size of struct
 * virtio_input_event", Input Device / Device Operation / Driver
 * Requirements); the events come with the used entry.  statusq: decode the
 * events the driver sends, which must be whole ones in readable buffers. */
static uint64_t input_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };
	char op[REQ_OP_TEXT_MAX];

	(void)f;
	if (input_is_event(q)) {
		if (c->complete && (c->n_readable || c->writable < INPUT_EVENT_SIZE) && c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: input eventq buffer at head %u has %u device-readable buffers and %llu writable bytes; "
				      "expected device-writable buffers of at least 8 bytes (Input Device / Device Operation)",
				      q->q, c->head, c->n_readable, (unsigned long long)c->writable);
		return req_insert(q, c, TDB_REQ_INPUT_EVENT, &rf);
	}
	if (!c->complete)
		return req_insert(q, c, TDB_REQ_INPUT_STATUS, &rf);
	if (c->readable == 0 || c->readable % INPUT_EVENT_SIZE || c->n_readable < c->n_segs) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: input statusq request at head %u has %llu readable and %llu writable bytes; "
				      "expected whole 8-byte events in device-readable buffers (Input Device / Device Operation)",
				      q->q, c->head, (unsigned long long)c->readable, (unsigned long long)c->writable);
		rf.has_length = true;
		rf.length = c->readable;
		return req_insert(q, c, TDB_REQ_INPUT_STATUS, &rf);
	}
	struct rings_chain rd = *c;
	rd.n_segs = c->n_readable;
	input_events(q->rq, &rd, c->readable, op, &rf);
	c->mem = rd.mem;
	return req_insert(q, c, TDB_REQ_INPUT_STATUS, &rf);
}

/* eventq: the device wrote len bytes of events.  A length past the buffer
 * is the used-ring check's (device-used-len-too-long) and is not decoded;
 * a length that is not whole events is malformed. */
static void input_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;
	char op[REQ_OP_TEXT_MAX];

	if (!input_is_event(q)) {
		req_complete(q->dec, q->rq, f->request, &rf);
		return;
	}
	req_inflight_view(f, &c);
	rf.has_length = true;
	rf.length = len;
	if (c.complete && len <= c.writable) {
		if (len % INPUT_EVENT_SIZE)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: the device used an input event buffer with length %u, not a multiple of "
				      "the 8-byte struct virtio_input_event (Input Device / Device Operation)",
				      q->q, len);
		else
			input_events(q->rq, &c, len, op, &rf);
	}
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_input = {
	.device_id = VIRTIO_ID_INPUT,
	.avail = input_avail,
	.used = input_used,
};
