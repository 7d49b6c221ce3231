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

/* QEMU's SCSI layer (hw/scsi/scsi-bus.c scsi_req_parse_cdb, scsi/utils.c)
 * reads a CDB by its group (opcode >> 5): its length (6, 10, 10, -, 16,
 * 12; no other group parses), its LBA field and a default transfer
 * length field, which scsi_req_xfer then replaces for many opcodes.  Only
 * the rules that hold for every device type QEMU emulates (scsi-hd,
 * scsi-cd) are followed here; an opcode left out has its length
 * unchecked.  A pass-through device (scsi-generic, scsi-block) reports
 * what its host reports instead: not modelled. */
static const uint8_t scsi_group_len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

/* The transfer length field of cdb's group (scsi_cdb_xfer). */
static uint64_t scsi_group_xfer(const uint8_t *cdb)
{
	switch (cdb[0] >> 5) {
	case 0: return cdb[4];
	case 1: case 2: return be_get(cdb + 7, 2);
	case 4: return be_get(cdb + 10, 4);
	case 5: return be_get(cdb + 6, 4);
	}
	return 0;
}

/* QEMU's transfer length for cdb (scsi_req_xfer): into m->xfer, in
 * blocks when m->xfer_blocks; m->xfer_known false for an opcode not
 * followed. */
static void scsi_model_xfer(const uint8_t *cdb, struct req_scsi_cdb *m)
{
	uint64_t field = scsi_group_xfer(cdb);

	m->xfer_known = true;
	m->xfer_blocks = false;
	switch (cdb[0]) {
	/* No data: TEST UNIT READY, REWIND, SET CAPACITY, WRITE FILEMARKS(6/16),
	 * SPACE, RESERVE, RELEASE, ERASE, START STOP UNIT, PREVENT ALLOW MEDIUM
	 * REMOVAL, SEEK(10), SET LIMITS, PRE-FETCH(10/16), SYNCHRONIZE
	 * CACHE(10/16), LOCK UNLOCK CACHE, UPDATE BLOCK, WRITE LONG(10),
	 * RESERVE TRACK, ALLOW OVERWRITE, LOCATE(16), SET READ AHEAD, SET CD
	 * SPEED. */
	case 0x00: case 0x01: case 0x0b: case 0x10: case 0x11: case 0x16: case 0x17: case 0x19: case 0x1b:
	case 0x1e: case 0x2b: case 0x33: case 0x34: case 0x35: case 0x36: case 0x3d: case 0x3f: case 0x53:
	case 0x80: case 0x82: case 0x90: case 0x91: case 0x92: case 0xa7: case 0xbb:
		m->xfer = 0;
		return;
	case 0x2f: case 0xaf: case 0x8f: /* VERIFY: data only with BYTCHK */
		m->xfer_blocks = true;
		m->xfer = !(cdb[1] & 2) ? 0 : (cdb[1] & 4) ? 1 : field;
		return;
	case 0x41: case 0x93: /* WRITE SAME: one block, none with NDOB (byte 1 bit 0) */
		m->xfer_blocks = true;
		m->xfer = cdb[1] & 1 ? 0 : 1;
		return;
	case 0x25: /* READ CAPACITY(10) */
		m->xfer = 8;
		return;
	case 0x05: /* READ BLOCK LIMITS */
		m->xfer = 6;
		return;
	case 0x08: case 0x0a: case 0x0f: /* READ(6), WRITE(6), READ REVERSE: 0 means 256 */
		m->xfer_blocks = true;
		m->xfer = field ? field : 256;
		return;
	case 0x28: case 0x2a: case 0x2e: case 0xa8: case 0xaa: case 0xae: case 0x88: case 0x8a: case 0x8e:
		m->xfer_blocks = true; /* READ, WRITE, WRITE AND VERIFY (10/12/16) */
		m->xfer = field;
		return;
	case 0x12: case 0x1c: case 0x1d: /* INQUIRY, RECEIVE / SEND DIAGNOSTIC */
		m->xfer = be_get(cdb + 3, 2);
		return;
	case 0x3b: case 0x3c: case 0x5d: case 0xbe: /* WRITE / READ BUFFER, SEND CUE SHEET, READ CD */
		m->xfer = be_get(cdb + 6, 3);
		return;
	case 0x5f: /* PERSISTENT RESERVE OUT */
		m->xfer = be_get(cdb + 5, 4);
		return;
	/* The group's field as it stands: REQUEST SENSE, MODE SELECT / SENSE
	 * (6/10), READ TOC, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION,
	 * LOG SENSE, READ DISC INFORMATION, UNMAP, PERSISTENT RESERVE IN,
	 * SERVICE ACTION IN(16), REPORT LUNS. */
	case 0x03: case 0x15: case 0x1a: case 0x55: case 0x5a: case 0x43: case 0x46: case 0x4a: case 0x4d:
	case 0x51: case 0x42: case 0x5e: case 0x9e: case 0xa0:
		m->xfer = field;
		return;
	}
	m->xfer_known = false;
}

/* What QEMU's SCSI layer makes of cdb (SCSI_CDB_PARSE bytes, zero past
 * cdb_size) with the device's cdb_size. */
static void scsi_model(const uint8_t *cdb, uint32_t cdb_size, struct req_scsi_cdb *m)
{
	unsigned group = cdb[0] >> 5;

	*m = (struct req_scsi_cdb){ 0 };
	if (!scsi_group_len[group] || scsi_group_len[group] > cdb_size)
		return; /* QEMU: scsi_req_parse_bad, no length or LBA reported */
	m->parses = true;
	switch (group) {
	case 0:
		m->lba = (uint64_t)(cdb[1] & 0x1f) << 16 | be_get(cdb + 2, 2);
		break;
	case 4:
		m->lba = be_get(cdb + 2, 8);
		break;
	default:
		m->lba = be_get(cdb + 2, 4);
		break;
	}
	/* QEMU's "no LBA" is all ones, which only a 16-byte CDB can hold. */
	m->has_lba = m->lba != UINT64_MAX;
	scsi_model_xfer(cdb, m);
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
 * REQ_SCSI_OP_NO_CDB for "no CDB"; f->note the LUN's 8 bytes (big-endian);
 * f->scsi the CDB as QEMU's SCSI layer parses it.  reports.c compares
 * them with QEMU's virtio_scsi_cmd_req and scsi_req_parsed(_lba) reports. */
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
	scsi_model(cdb, cdb_size, &f->scsi);
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
