/* virtio-gpu commands (Device Types / GPU Device / Device Operation).
 * A controlq or cursorq chain is, readable first:
 *   struct virtio_gpu_ctrl_hdr: le32 type, le32 flags, le64 fence_id,
 *     le32 ctx_id, u8 ring_idx, u8 padding[3] (24 bytes);
 *   then the command's own struct (resource_id, rect, ...);
 * then, writable: the response, a ctrl_hdr whose type is OK_* (0x11xx)
 *   or ERR_* (0x12xx), then the response's data (display info, capset,
 *   EDID, ...).
 * Every size here is the guest's or the device's: fields are read only
 * as far as the copied bytes go, and a command cut short is shown as far
 * as it goes with " (cut: N of M bytes)".
 *
 * requests.status: 0 for an OK_* response, 1 + (type - 0x1200) for
 * ERR_* (ERR_UNSPEC 1, ERR_OUT_OF_MEMORY 2, ... ERR_INVALID_PARAMETER 6,
 * other 0x12xx types likewise up to 254), 255 for any other type. */
#include "decoder/req.h"

#include <stdio.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

#define GPU_HDR_SIZE 24u
#define GPU_FLAG_FENCE 1u
#define GPU_FLAG_INFO_RING_IDX 2u
/* Bytes of a command looked at: the longest struct decoded is
 * CTX_CREATE (24 + 72). */
#define GPU_PARSE_MAX 128u
#define GPU_RESP_OK 0x1100u
#define GPU_RESP_ERR 0x1200u

enum gpu_field_kind { GF_END = 0, GF_U32, GF_RECT, GF_SIZE, GF_U64 };

/* A field of a command's body: kind at body offset off, shown as
 * "label value" ("rect WxH+X+Y" for a rect, "WxH" for a size). */
struct gpu_field {
	uint8_t off, kind;
	const char *label;
};

struct gpu_cmd {
	uint32_t type;
	const char *name;
	uint32_t body;               /* bytes after the header */
	struct gpu_field f[4];
};

static const struct gpu_cmd gpu_cmds[] = {
	{ 0x100, "GET_DISPLAY_INFO", 0, { { 0 } } },
	{ 0x101, "RESOURCE_CREATE_2D", 16, { { 0, GF_U32, "res" }, { 4, GF_U32, "fmt" }, { 8, GF_SIZE, NULL } } },
	{ 0x102, "RESOURCE_UNREF", 8, { { 0, GF_U32, "res" } } },
	{ 0x103, "SET_SCANOUT", 24, { { 16, GF_U32, "scanout" }, { 20, GF_U32, "res" }, { 0, GF_RECT, "rect" } } },
	{ 0x104, "RESOURCE_FLUSH", 24, { { 16, GF_U32, "res" }, { 0, GF_RECT, "rect" } } },
	{ 0x105, "TRANSFER_TO_HOST_2D", 32,
	  { { 24, GF_U32, "res" }, { 0, GF_RECT, "rect" }, { 16, GF_U64, "offset" } } },
	{ 0x106, "RESOURCE_ATTACH_BACKING", 8, { { 0, GF_U32, "res" }, { 4, GF_U32, "entries" } } },
	{ 0x107, "RESOURCE_DETACH_BACKING", 8, { { 0, GF_U32, "res" } } },
	{ 0x108, "GET_CAPSET_INFO", 8, { { 0, GF_U32, "index" } } },
	{ 0x109, "GET_CAPSET", 8, { { 0, GF_U32, "capset" }, { 4, GF_U32, "version" } } },
	{ 0x10a, "GET_EDID", 8, { { 0, GF_U32, "scanout" } } },
	{ 0x10b, "RESOURCE_ASSIGN_UUID", 8, { { 0, GF_U32, "res" } } },
	{ 0x10c, "RESOURCE_CREATE_BLOB", 32,
	  { { 0, GF_U32, "res" }, { 4, GF_U32, "mem" }, { 24, GF_U64, "size" } } },
	{ 0x10d, "SET_SCANOUT_BLOB", 72,
	  { { 16, GF_U32, "scanout" }, { 20, GF_U32, "res" }, { 24, GF_SIZE, NULL }, { 32, GF_U32, "fmt" } } },
	{ 0x200, "CTX_CREATE", 72, { { 0 } } },
	{ 0x201, "CTX_DESTROY", 0, { { 0 } } },
	{ 0x202, "CTX_ATTACH_RESOURCE", 8, { { 0, GF_U32, "res" } } },
	{ 0x203, "CTX_DETACH_RESOURCE", 8, { { 0, GF_U32, "res" } } },
	{ 0x204, "RESOURCE_CREATE_3D", 48, { { 0, GF_U32, "res" }, { 8, GF_U32, "fmt" }, { 16, GF_SIZE, NULL } } },
	{ 0x205, "TRANSFER_TO_HOST_3D", 48, { { 32, GF_U32, "res" }, { 24, GF_U64, "offset" } } },
	{ 0x206, "TRANSFER_FROM_HOST_3D", 48, { { 32, GF_U32, "res" }, { 24, GF_U64, "offset" } } },
	{ 0x207, "SUBMIT_3D", 8, { { 0, GF_U32, "size" } } },
	{ 0x208, "RESOURCE_MAP_BLOB", 16, { { 0, GF_U32, "res" }, { 8, GF_U64, "offset" } } },
	{ 0x209, "RESOURCE_UNMAP_BLOB", 8, { { 0, GF_U32, "res" } } },
	{ 0x300, "UPDATE_CURSOR", 32, { { 0, GF_U32, "scanout" }, { 4, GF_SIZE, "pos" }, { 16, GF_U32, "res" } } },
	{ 0x301, "MOVE_CURSOR", 32, { { 0, GF_U32, "scanout" }, { 4, GF_SIZE, "pos" } } },
};

static const struct gpu_cmd *gpu_cmd_find(uint32_t type)
{
	for (size_t i = 0; i < sizeof(gpu_cmds) / sizeof(gpu_cmds[0]); i++)
		if (gpu_cmds[i].type == type)
			return &gpu_cmds[i];
	return NULL;
}

static const char *gpu_resp_name(uint32_t type)
{
	static const char *const ok[] = {
		"OK_NODATA", "OK_DISPLAY_INFO", "OK_CAPSET_INFO", "OK_CAPSET", "OK_EDID", "OK_RESOURCE_UUID",
		"OK_MAP_INFO",
	};
	static const char *const err[] = {
		"ERR_UNSPEC", "ERR_OUT_OF_MEMORY", "ERR_INVALID_SCANOUT_ID", "ERR_INVALID_RESOURCE_ID",
		"ERR_INVALID_CONTEXT_ID", "ERR_INVALID_PARAMETER",
	};

	if (type >= GPU_RESP_OK && type - GPU_RESP_OK < sizeof(ok) / sizeof(ok[0]))
		return ok[type - GPU_RESP_OK];
	if (type >= GPU_RESP_ERR && type - GPU_RESP_ERR < sizeof(err) / sizeof(err[0]))
		return err[type - GPU_RESP_ERR];
	return NULL;
}

static void gpu_type_text(char *out, uint32_t type)
{
	const struct gpu_cmd *cmd = gpu_cmd_find(type);

	if (cmd)
		snprintf(out, REQ_OP_TEXT_MAX, "%s", cmd->name);
	else
		snprintf(out, REQ_OP_TEXT_MAX, "type 0x%x", type);
}

/* The command in buf (held bytes of a readable part of readable bytes):
 * its name, the fields held, the header's flags.  Returns the bytes the
 * command needs (header plus body), 0 if the type is not named. */
static uint64_t gpu_cmd_text(char *out, const uint8_t *buf, uint32_t held)
{
	uint32_t type = le32_get(buf);
	const struct gpu_cmd *cmd = gpu_cmd_find(type);

	gpu_type_text(out, type);
	if (held < GPU_HDR_SIZE)
		return cmd ? GPU_HDR_SIZE + cmd->body : GPU_HDR_SIZE;
	uint32_t flags = le32_get(buf + 4), ctx = le32_get(buf + 16);
	if (type >= 0x200 && type < 0x300)
		req_text_add(out, " ctx %u", ctx);
	if (cmd) {
		const uint8_t *b = buf + GPU_HDR_SIZE;
		uint32_t have = held - GPU_HDR_SIZE;
		for (unsigned i = 0; i < 4 && cmd->f[i].kind != GF_END; i++) {
			const struct gpu_field *fd = &cmd->f[i];
			uint32_t need = fd->kind == GF_RECT ? 16 : fd->kind == GF_U32 ? 4 : 8;
			if ((uint32_t)fd->off + need > have)
				continue;
			const uint8_t *p = b + fd->off;
			switch (fd->kind) {
			case GF_U32:
				req_text_add(out, " %s %u", fd->label, le32_get(p));
				break;
			case GF_U64:
				req_text_add(out, " %s %llu", fd->label, (unsigned long long)le64_get(p));
				break;
			case GF_SIZE:
				req_text_add(out, " %s%s%ux%u", fd->label ? fd->label : "", fd->label ? " " : "",
					le32_get(p), le32_get(p + 4));
				break;
			case GF_RECT:
				req_text_add(out, " %s %ux%u+%u+%u", fd->label, le32_get(p + 8), le32_get(p + 12),
					le32_get(p), le32_get(p + 4));
				break;
			}
		}
	}
	if (flags & GPU_FLAG_FENCE)
		req_text_add(out, " fence %llu", (unsigned long long)le64_get(buf + 8));
	if (flags & GPU_FLAG_INFO_RING_IDX)
		req_text_add(out, " ring %u", buf[20]);
	if (flags & ~(uint32_t)(GPU_FLAG_FENCE | GPU_FLAG_INFO_RING_IDX))
		req_text_add(out, " flags 0x%x", flags);
	return cmd ? GPU_HDR_SIZE + cmd->body : GPU_HDR_SIZE;
}

static enum tdb_request_kind gpu_kind(const struct req_queue *q)
{
	return q->role->name && !strcmp(q->role->name, "cursorq") ? TDB_REQ_GPU_CURSOR : TDB_REQ_GPU_CTRL;
}

/* f->op: the command's type (op_known when its first 4 bytes were read). */
static uint64_t gpu_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	enum tdb_request_kind kind = gpu_kind(q);
	uint8_t buf[GPU_PARSE_MAX] = { 0 };
	char text[REQ_OP_TEXT_MAX];

	if (!c->complete)
		return req_insert(q, c, kind, &rf);
	uint32_t held = c->readable < GPU_PARSE_MAX ? (uint32_t)c->readable : GPU_PARSE_MAX;
	unsigned m = req_chain_read(rs, c->segs, c->n_readable, 0, buf, held);
	req_note_mem(c, m);
	if (!(m & SHADOW_HAVE_ALL))
		return req_insert(q, c, kind, &rf);
	bool exact = c->mem == RINGS_MEM_EXACT;
	if (held < 4) {
		snprintf(text, sizeof(text), "? (cut: %u of %u header bytes)", held, GPU_HDR_SIZE);
		if (exact)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: gpu command at head %u has %u readable bytes; the header is %u",
				      q->q, c->head, held, GPU_HDR_SIZE);
		rf.op_text = text;
		return req_insert(q, c, kind, &rf);
	}
	f->op = le32_get(buf);
	f->op_known = true;
	uint64_t need = gpu_cmd_text(text, buf, held);
	if (c->readable < need) {
		if (c->readable < GPU_HDR_SIZE)
			req_text_add(text, " (cut: %llu of %u header bytes)", (unsigned long long)c->readable, GPU_HDR_SIZE);
		else
			req_text_add(text, " (cut: %llu of %llu bytes)", (unsigned long long)c->readable,
				(unsigned long long)need);
		if (exact)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: gpu command 0x%x at head %u has %llu readable bytes; it needs %llu",
				      q->q, f->op, c->head, (unsigned long long)c->readable, (unsigned long long)need);
	}
	/* A cursorq command has no response (Linux gives it no writable
	 * buffer); a controlq command always has one. */
	if (kind == TDB_REQ_GPU_CTRL && c->writable < GPU_HDR_SIZE && exact)
		dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
			      "queue %u: gpu command 0x%x at head %u has %llu writable bytes; the response header is %u",
			      q->q, f->op, c->head, (unsigned long long)c->writable, GPU_HDR_SIZE);
	rf.op_text = text;
	return req_insert(q, c, kind, &rf);
}

/* The response: its type appended to op (" -> OK_NODATA"), status as in
 * the file comment. */
static void gpu_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	struct rings_chain c;
	uint8_t resp[GPU_HDR_SIZE];
	char text[REQ_OP_TEXT_MAX], tail[REQ_OP_TEXT_MAX];
	const char *op = NULL;
	bool hs, hl;
	uint64_t sec, ln;

	req_inflight_view(f, &c);
	if (!c.complete || !f->request || (c.writable == 0 && gpu_kind(q) == TDB_REQ_GPU_CURSOR))
		goto done;
	if (req_peek(rs, f->request, &op, &hs, &sec, &hl, &ln) && op)
		snprintf(text, sizeof(text), "%s", op);
	else if (f->op_known)
		gpu_type_text(text, f->op);
	else
		text[0] = '\0';
	uint64_t wrote = len < c.writable ? len : c.writable;
	unsigned m = 0;
	if (c.writable >= GPU_HDR_SIZE)
		m = req_chain_read(rs, c.segs, c.n_segs, 0, resp, sizeof(resp));
	req_note_mem(&c, m);
	bool exact = c.mem == RINGS_MEM_EXACT;
	if (!(m & SHADOW_HAVE_ALL) || (exact && wrote < GPU_HDR_SIZE)) {
		if (exact && c.writable >= GPU_HDR_SIZE && (m & SHADOW_HAVE_ALL)) {
			snprintf(tail, sizeof(tail), " -> ? (%llu of %u response bytes)", (unsigned long long)wrote,
				 GPU_HDR_SIZE);
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: gpu response of %llu bytes, less than the %u-byte header", q->q,
				      (unsigned long long)wrote, GPU_HDR_SIZE);
		} else if (c.writable < GPU_HDR_SIZE) {
			snprintf(tail, sizeof(tail), " -> ? (%llu-byte response buffer)", (unsigned long long)c.writable);
		} else {
			snprintf(tail, sizeof(tail), " -> ? (no response in the copy)");
		}
		goto text;
	}
	uint32_t type = le32_get(resp);
	const char *rn = gpu_resp_name(type);
	bool is_resp = (type & 0xff00) == GPU_RESP_OK || (type & 0xff00) == GPU_RESP_ERR;
	if (!exact && !is_resp) {
		/* Not a response: the buffer's earlier or later use. */
		snprintf(tail, sizeof(tail), " -> ? (buffer holds 0x%x: copied late)", type);
		goto text;
	}
	if (rn)
		snprintf(tail, sizeof(tail), " -> %s", rn);
	else
		snprintf(tail, sizeof(tail), " -> type 0x%x", type);
	if (!exact && wrote < GPU_HDR_SIZE)
		req_text_add(tail, " (used len %llu)", (unsigned long long)wrote);
	rf.has_status = true;
	if ((type & 0xff00) == GPU_RESP_OK)
		rf.status = 0;
	else if ((type & 0xff00) == GPU_RESP_ERR && (type & 0xff) < 0xff)
		rf.status = (uint8_t)(1 + (type & 0xff));
	else
		rf.status = 255;
	if (wrote > GPU_HDR_SIZE) {
		rf.has_length = true;
		rf.length = wrote - GPU_HDR_SIZE;
	}
text:
	if (!text[0] && !f->op_known)
		goto done;
	/* The response stays whole: the command's text is cut to fit. */
	size_t tl = strlen(tail), room = REQ_OP_TEXT_MAX - 1 - tl;
	if (strlen(text) > room)
		text[room] = '\0';
	memcpy(text + strlen(text), tail, tl + 1);
	rf.op_text = text;
done:
	req_complete(q->dec, rs, f->request, &rf);
}

const struct req_decoder req_decoder_gpu = {
	.device_id = VIRTIO_ID_GPU,
	.avail = gpu_avail,
	.used = gpu_used,
};
