/* virtio-scsi commands (Device Types / SCSI Host Device / Device
 * Operation: Request Queues).  A requestq chain is, readable first:
 *   struct virtio_scsi_cmd_req: u8 lun[8], le64 id (tag), u8 task_attr,
 *     u8 prio, u8 crn, [le32 pi_bytesout, le32 pi_bytesin with
 *     VIRTIO_SCSI_F_T10_PI], u8 cdb[cdb_size]; then data-out bytes;
 * then, writable:
 *   struct virtio_scsi_cmd_resp: le32 sense_len, le32 resid,
 *     le16 status_qualifier, u8 status, u8 response, u8 sense[sense_size];
 *     then data-in bytes.
 * cdb_size and sense_size come from the device configuration (the driver
 * may write them; the spec's defaults are 32 and 96): both are guest or
 * device controlled, so every size below is widened and checked against
 * the chain before a byte is read.
 *
 * The control queue (task management, asynchronous notification) and the
 * event queue are not data queues in the device-type table: their chains
 * and used entries are recorded, no requests row (a TMF or an event is not
 * an I/O the requests table's sector/length columns describe). */
#include "decoder/req.h"

#include <stdio.h>

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

/* Facts from the spec's SCSI Host Device section. */
#define SCSI_F_T10_PI 3u
#define SCSI_REQ_FIXED 19u        /* lun[8], id, task_attr, prio, crn */
#define SCSI_REQ_PI_EXTRA 8u      /* pi_bytesout, pi_bytesin */
#define SCSI_RESP_FIXED 12u       /* sense_len, resid, status_qualifier, status, response */
#define SCSI_CDB_SIZE_DEFAULT 32u
#define SCSI_SENSE_SIZE_DEFAULT 96u
#define SCSI_CFG_SENSE_SIZE 20u   /* config offsets */
#define SCSI_CFG_CDB_SIZE 24u
/* CDB bytes looked at: the longest CDB whose fields we decode is 16. */
#define SCSI_CDB_PARSE 16u

enum scsi_response {
	SCSI_S_OK = 0, SCSI_S_OVERRUN, SCSI_S_ABORTED, SCSI_S_BAD_TARGET, SCSI_S_RESET, SCSI_S_BUSY,
	SCSI_S_TRANSPORT_FAILURE, SCSI_S_TARGET_FAILURE, SCSI_S_NEXUS_FAILURE, SCSI_S_FAILURE,
};

static const char *scsi_response_name(uint8_t r)
{
	static const char *const names[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE", "FAILURE",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : NULL;
}

/* The name of a CDB's command (opcode, and service action for the 0x9e
 * group), or NULL if it is not one we name. */
static const char *scsi_op_name(uint8_t opcode, uint8_t sa)
{
	switch (opcode) {
	case 0x00: return "TEST UNIT READY";
	case 0x03: return "REQUEST SENSE";
	case 0x08: return "READ(6)";
	case 0x0a: return "WRITE(6)";
	case 0x12: return "INQUIRY";
	case 0x1a: return "MODE SENSE(6)";
	case 0x1b: return "START STOP UNIT";
	case 0x1e: return "PREVENT ALLOW MEDIUM REMOVAL";
	case 0x25: return "READ CAPACITY(10)";
	case 0x28: return "READ(10)";
	case 0x2a: return "WRITE(10)";
	case 0x2f: return "VERIFY(10)";
	case 0x35: return "SYNCHRONIZE CACHE(10)";
	case 0x41: return "WRITE SAME(10)";
	case 0x42: return "UNMAP";
	case 0x4a: return "GET EVENT STATUS NOTIFICATION";
	case 0x5a: return "MODE SENSE(10)";
	case 0x88: return "READ(16)";
	case 0x8a: return "WRITE(16)";
	case 0x91: return "SYNCHRONIZE CACHE(16)";
	case 0x93: return "WRITE SAME(16)";
	case 0x9e: return (sa & 0x1f) == 0x10 ? "READ CAPACITY(16)" : NULL;
	case 0xa0: return "REPORT LUNS";
	case 0xa8: return "READ(12)";
	case 0xaa: return "WRITE(12)";
	}
	return NULL;
}

static uint64_t be_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The LBA of a READ/WRITE/VERIFY/WRITE SAME CDB of cdb_len bytes held in
 * cdb (at least SCSI_CDB_PARSE, zero-filled).  Returns false if the
 * command has none or the CDB is shorter than its command's. */
static bool scsi_lba(const uint8_t *cdb, uint64_t cdb_len, uint64_t *lba)
{
	switch (cdb[0]) {
	case 0x08: case 0x0a:
		if (cdb_len < 6)
			return false;
		*lba = (uint64_t)(cdb[1] & 0x1f) << 16 | be_get(cdb + 2, 2);
		return true;
	case 0x28: case 0x2a: case 0x2f: case 0x41:
		if (cdb_len < 10)
			return false;
		*lba = be_get(cdb + 2, 4);
		return true;
	case 0xa8: case 0xaa:
		if (cdb_len < 12)
			return false;
		*lba = be_get(cdb + 2, 4);
		return true;
	case 0x88: case 0x8a: case 0x93:
		if (cdb_len < 16)
			return false;
		*lba = be_get(cdb + 2, 8);
		return true;
	}
	return false;
}

/* A config field of d as last seen, or def if the trace never showed it.
 * The decoder knows the highest config byte seen, not each one: a field
 * below it that was never read or written reads 0 (Linux writes both
 * sense_size and cdb_size at probe, so its traces show them). */
static uint32_t scsi_config(const struct req_queue *q, uint32_t off, uint32_t def)
{
	if (q->d->config_len < off + 4)
		return def;
	return le32_get(q->d->config + off);
}

static uint64_t scsi_req_size(const struct req_queue *q, uint32_t cdb_size)
{
	uint64_t n = SCSI_REQ_FIXED + (uint64_t)cdb_size;

	if (q->features & VIRTIO_BIT(SCSI_F_T10_PI))
		n += SCSI_REQ_PI_EXTRA;
	return n;
}

static uint64_t scsi_resp_size(const struct req_queue *q)
{
	return SCSI_RESP_FIXED + (uint64_t)scsi_config(q, SCSI_CFG_SENSE_SIZE, SCSI_SENSE_SIZE_DEFAULT);
}

/* "READ(10) target 0 lun 1" (or "op 0xNN ..."; "no CDB ..." when
 * cdb_size is 0), plus " response NAME" when response is not OK. */
static void scsi_op_text(char *out, uint32_t op, const uint8_t lun[8], bool resp_known, uint8_t response)
{
	char what[40], where[40], resp[40] = "";
	const char *name = scsi_op_name(op & 0xff, (op >> 8) & 0xff);

	if (op & REQ_SCSI_OP_NO_CDB)
		snprintf(what, sizeof(what), "no CDB");
	else if (name)
		snprintf(what, sizeof(what), "%s", name);
	else
		snprintf(what, sizeof(what), "op 0x%02x", op & 0xff);
	/* Single-level LUN structure (lun[0] = 1): target, then a flat LUN. */
	if (lun[0] == 1)
		snprintf(where, sizeof(where), "target %u lun %u", lun[1], (unsigned)(be_get(lun + 2, 2) & 0x3fff));
	else
		snprintf(where, sizeof(where), "lun 0x%016llx", (unsigned long long)be_get(lun, 8));
	if (resp_known && response != SCSI_S_OK) {
		const char *rn = scsi_response_name(response);
		if (rn)
			snprintf(resp, sizeof(resp), " response %s", rn);
		else
			snprintf(resp, sizeof(resp), " response %u", response);
	}
	snprintf(out, REQ_OP_TEXT_MAX, "%s %s%s", what, where, resp);
}

/* f->op carries what the completion needs: opcode | service action << 8,
 * REQ_SCSI_OP_NO_CDB for "no CDB"; f->note the LUN's 8 bytes (big-endian).
 * reports.c compares both with QEMU's virtio_scsi_cmd_req report. */
static uint64_t scsi_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	uint32_t cdb_size = scsi_config(q, SCSI_CFG_CDB_SIZE, SCSI_CDB_SIZE_DEFAULT);
	uint64_t req_size = scsi_req_size(q, cdb_size), resp_size = scsi_resp_size(q);
	uint8_t hdr[SCSI_REQ_FIXED + SCSI_REQ_PI_EXTRA], cdb[SCSI_CDB_PARSE] = { 0 };
	char text[REQ_OP_TEXT_MAX];

	if (c->complete && (c->readable < req_size || c->writable < resp_size)) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: scsi command at head %u has %llu readable and %llu writable bytes; it needs a %llu-byte command header (cdb_size %u) and a %llu-byte response",
				      q->q, c->head, (unsigned long long)c->readable, (unsigned long long)c->writable,
				      (unsigned long long)req_size, cdb_size, (unsigned long long)resp_size);
		return req_insert(q, c, TDB_REQ_SCSI, &rf);
	}
	uint64_t cdb_off = req_size - cdb_size;
	uint64_t cdb_read = cdb_size < SCSI_CDB_PARSE ? cdb_size : SCSI_CDB_PARSE;
	unsigned m1 = req_chain_read(rs, c->segs, c->n_readable, 0, hdr, cdb_off);
	unsigned m2 = req_chain_read(rs, c->segs, c->n_readable, cdb_off, cdb, cdb_read);
	unsigned m = (m1 & m2 & SHADOW_HAVE_ALL) | ((m1 | m2) & ~SHADOW_HAVE_ALL);
	req_note_mem(c, m);
	if (!(m & SHADOW_HAVE_ALL))
		return req_insert(q, c, TDB_REQ_SCSI, &rf);
	f->op = cdb_size ? (uint32_t)cdb[0] | (uint32_t)cdb[1] << 8 : REQ_SCSI_OP_NO_CDB;
	f->op_known = true;
	f->note = be_get(hdr, 8);
	scsi_op_text(text, f->op, hdr, false, 0);
	rf.op_text = text;
	uint64_t lba;
	if (cdb_size && scsi_lba(cdb, cdb_size, &lba)) {
		rf.has_sector = true;
		rf.sector = lba;
	}
	if (c->complete) {
		/* Data-out plus data-in: one of them is 0 but for bidirectional commands. */
		uint64_t out = c->readable - req_size;
		rf.has_length = true;
		rf.length = out + (c->writable - resp_size);
		if (out) {
			bool rough = false;
			rf.has_digest = req_chain_digest(rs, c->segs, c->n_readable, req_size, out, &rf.digest, &rough);
			req_note_mem(c, rf.has_digest ? (rough ? SHADOW_HAVE_ALL | SHADOW_ROUGH : SHADOW_HAVE_ALL) : 0);
		}
	}
	return req_insert(q, c, TDB_REQ_SCSI, &rf);
}

/* The response: status (the SCSI status byte) and, if the transport
 * response is not OK, its name in op; the digest of data-in. */
static void scsi_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	struct rings_chain c;
	uint64_t resp_size = scsi_resp_size(q);
	uint8_t resp[SCSI_RESP_FIXED];
	char text[REQ_OP_TEXT_MAX];

	req_inflight_view(f, &c);
	/* The device wrote len bytes: a response it did not write is not read. */
	if (c.complete && c.writable >= resp_size && len >= SCSI_RESP_FIXED &&
	    (req_chain_read(rs, c.segs, c.n_segs, 0, resp, sizeof(resp)) & SHADOW_HAVE_ALL)) {
		uint8_t response = resp[11];
		rf.has_status = true;
		rf.status = resp[10];
		if (response != SCSI_S_OK && f->op_known) {
			uint8_t lun[8];
			for (unsigned i = 0; i < 8; i++)
				lun[i] = (uint8_t)(f->note >> (56 - 8 * i));
			scsi_op_text(text, f->op, lun, true, response);
			rf.op_text = text;
		}
		uint64_t in = c.writable - resp_size;
		if (in) {
			bool rough = false;
			rf.has_digest = req_chain_digest(rs, c.segs, c.n_segs, resp_size, in, &rf.digest, &rough);
		}
	}
	req_complete(q->dec, rs, f->request, &rf);
}

const struct req_decoder req_decoder_scsi = {
	.device_id = VIRTIO_ID_SCSI,
	.avail = scsi_avail,
	.used = scsi_used,
};
