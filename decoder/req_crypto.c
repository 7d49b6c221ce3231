/* virtio-crypto requests (Device Types / Crypto Device / Device
 * Operation).  Queues: max_dataqueues data queues, then the control queue
 * (virtio/device_types.c, crypto_queue_at).
 *
 * controlq chain, readable first:
 *   struct virtio_crypto_ctrl_header: le32 opcode, le32 algo, le32 flag,
 *     le32 queue_id; then the op's parameters (not decoded);
 * then, writable: for CREATE_SESSION struct virtio_crypto_session_input
 *   (le64 session_id, le32 status, le32 padding); for DESTROY_SESSION
 *   struct virtio_crypto_inhdr (u8 status).
 *   opcode is VIRTIO_CRYPTO_OPCODE(service, op) = service << 8 | op.
 *
 * dataq chain, readable first:
 *   struct virtio_crypto_op_header: le32 opcode, le32 algo, le64
 *     session_id, le32 flag, le32 padding; then the op's parameters
 *     (cipher: le32 iv_len, src_data_len, dst_data_len; hash and mac:
 *     src_data_len, hash_result_len; aead: iv_len, aad_len, src_data_len,
 *     dst_data_len, tag_len; akcipher: src_data_len, dst_data_len), then
 *     the data; writable: the output data, then the u8 status (the
 *     inhdr), the last writable byte.
 * Stateless-mode requests (VIRTIO_CRYPTO_F_*_STATELESS_MODE) lay out
 * their parameters differently: only the header's opcode is trusted for
 * them (the parameters are decoded as in session mode).
 *
 * A control answer read from a best-effort copy that still holds what
 * the writable part held when the request was made available (Linux
 * presets status ERR there) is not shown as the device's: the copy was
 * taken before the device answered or after the driver reused the buffer
 * for its next request (" -> ? (answer not in the copy)", no status).
 * Any other ERR read from a best-effort copy may still be a preset (this
 * request's, never copied, or the next request's in the reused buffer):
 * " -> ERR? (...)", no status.  Exact traces keep ERR.
 *
 * Every field is read only if it lies inside the readable part and the
 * trace holds its bytes; a header the copy holds only part of is named as
 * far as it goes with " (cut)"; a complete, exact chain too short for its
 * header is request-malformed (and decoded as far as it goes). */
#include "decoder/req.h"

#include <stdio.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

/* Facts from the spec's Crypto Device section. */
#define CRYPTO_CTRL_HDR 16u
#define CRYPTO_OP_HDR 24u
#define CRYPTO_SESSION_INPUT 16u /* session_id, status, padding */
enum crypto_service { CS_CIPHER = 0, CS_HASH = 1, CS_MAC = 2, CS_AEAD = 3, CS_AKCIPHER = 4 };
#define CRYPTO_OPCODE(s, op) ((uint32_t)(s) << 8 | (op))

/* f->op bit: the request came from the control queue. */
#define CRYPTO_NOTE_CTRL 0x80000000u
/* f->op bit: f->note holds the FNV-1a 64 of the control answer's bytes
 * as the request was made available. */
#define CRYPTO_NOTE_PRESET 0x40000000u

/* The status values of the spec's virtio_crypto_inhdr (VIRTIO_CRYPTO_OK 0,
 * VIRTIO_CRYPTO_ERR 1, ...; crypto_status_name names them). */
#define CRYPTO_STATUS_ERR 1u

static const char *crypto_service_name(uint32_t s)
{
	static const char *const names[] = { "CIPHER", "HASH", "MAC", "AEAD", "AKCIPHER" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}

static const char *crypto_status_name(uint32_t st)
{
	static const char *const names[] = { "OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS", "NOSPACE", "KEY_REJECTED" };

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : NULL;
}

/* Algorithm name of a session's service, or NULL when not named. */
static const char *crypto_algo_name(uint32_t service, uint32_t algo)
{
	static const char *const cipher[] = {
		"NO_CIPHER", "ARC4", "AES_ECB", "AES_CBC", "AES_CTR", "DES_ECB", "DES_CBC", "3DES_ECB",
		"3DES_CBC", "3DES_CTR", "KASUMI_F8", "SNOW3G_UEA2", "AES_F8", "AES_XTS", "ZUC_EEA3",
	};
	static const char *const hash[] = { "NO_HASH", "MD5", "SHA1", "SHA_224", "SHA_256", "SHA_384", "SHA_512" };
	static const char *const aead[] = { "NO_AEAD", "GCM", "CCM", "CHACHA20_POLY1305" };
	static const char *const ak[] = { "NO_AKCIPHER", "RSA", "ECDSA" };

	switch (service) {
	case CS_CIPHER: return algo < sizeof(cipher) / sizeof(cipher[0]) ? cipher[algo] : NULL;
	case CS_HASH: return algo < sizeof(hash) / sizeof(hash[0]) ? hash[algo] : NULL;
	case CS_AEAD: return algo < sizeof(aead) / sizeof(aead[0]) ? aead[algo] : NULL;
	case CS_AKCIPHER: return algo < sizeof(ak) / sizeof(ak[0]) ? ak[algo] : NULL;
	}
	return NULL;
}

/* Control op names: CREATE_SESSION / DESTROY_SESSION (akcipher uses 4/5). */
static const char *crypto_ctrl_name(uint32_t opcode)
{
	uint32_t s = opcode >> 8, op = opcode & 0xff;

	if (s > CS_AKCIPHER)
		return NULL;
	if (op == (s == CS_AKCIPHER ? 4u : 2u))
		return "CREATE_SESSION";
	if (op == (s == CS_AKCIPHER ? 5u : 3u))
		return "DESTROY_SESSION";
	return NULL;
}

static bool crypto_ctrl_is_create(uint32_t opcode)
{
	uint32_t s = opcode >> 8, op = opcode & 0xff;

	return s <= CS_AKCIPHER && op == (s == CS_AKCIPHER ? 4u : 2u);
}

static const char *crypto_data_name(uint32_t opcode)
{
	switch (opcode) {
	case CRYPTO_OPCODE(CS_CIPHER, 0): return "CIPHER_ENCRYPT";
	case CRYPTO_OPCODE(CS_CIPHER, 1): return "CIPHER_DECRYPT";
	case CRYPTO_OPCODE(CS_HASH, 0): return "HASH";
	case CRYPTO_OPCODE(CS_MAC, 0): return "MAC";
	case CRYPTO_OPCODE(CS_AEAD, 0): return "AEAD_ENCRYPT";
	case CRYPTO_OPCODE(CS_AEAD, 1): return "AEAD_DECRYPT";
	case CRYPTO_OPCODE(CS_AKCIPHER, 0): return "AKCIPHER_ENCRYPT";
	case CRYPTO_OPCODE(CS_AKCIPHER, 1): return "AKCIPHER_DECRYPT";
	case CRYPTO_OPCODE(CS_AKCIPHER, 2): return "AKCIPHER_SIGN";
	case CRYPTO_OPCODE(CS_AKCIPHER, 3): return "AKCIPHER_VERIFY";
	}
	return NULL;
}

/* Read n (4 or 8) little-endian bytes at off of the readable part.
 * Returns false if they lie past it or the trace lacks a byte; cut is
 * set in that case. */
static bool crypto_get(const struct req_queue *q, struct rings_chain *c, uint64_t off, unsigned n,
		       uint64_t *v, bool *cut)
{
	uint8_t b[8];

	if (off + n > c->readable) {
		*cut = true;
		return false;
	}
	unsigned m = req_chain_read(q->rq, c->segs, c->n_readable, off, b, n);
	req_note_mem(c, m);
	if (!(m & SHADOW_HAVE_ALL)) {
		*cut = true;
		return false;
	}
	*v = n == 8 ? le64_get(b) : le32_get(b);
	return true;
}

/* Append "label N" to out (REQ_OP_TEXT_MAX bytes), what fits of it. */
static void crypto_cat(char *out, const char *label, unsigned long long a)
{
	size_t l = strlen(out);

	if (l + 1 < REQ_OP_TEXT_MAX)
		snprintf(out + l, REQ_OP_TEXT_MAX - l, "%s %llu", label, a);
}

static void crypto_cat_s(char *out, const char *s)
{
	size_t l = strlen(out);

	if (l + 1 < REQ_OP_TEXT_MAX)
		snprintf(out + l, REQ_OP_TEXT_MAX - l, "%s", s);
}

/* Bytes of a control request's answer: session_input for a create, the
 * status byte otherwise. */
static uint32_t crypto_answer_len(uint32_t opcode)
{
	return crypto_ctrl_is_create(opcode) ? CRYPTO_SESSION_INPUT - 4 : 1; /* padding not read */
}

static uint64_t crypto_fnv(const uint8_t *b, uint32_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

static bool crypto_is_ctrl(const struct req_queue *q)
{
	return strcmp(q->role->name, "controlq") == 0;
}

/* "CREATE_SESSION CIPHER AES_CBC queue 0", "DESTROY_SESSION HASH",
 * "opcode 0xNNNN"; the session being destroyed is in the parameters
 * (le64 session_id right after the header). */
static uint64_t crypto_ctrl_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };
	char text[REQ_OP_TEXT_MAX] = "";
	bool cut = false;
	uint64_t opcode, algo, qid, sid;

	if (c->complete && c->readable < CRYPTO_CTRL_HDR && c->mem == RINGS_MEM_EXACT)
		dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
			      "queue %u: crypto control request at head %u has %llu readable bytes; its header is %u",
			      q->q, c->head, (unsigned long long)c->readable, CRYPTO_CTRL_HDR);
	if (crypto_get(q, c, 0, 4, &opcode, &cut)) {
		const char *name = crypto_ctrl_name((uint32_t)opcode);
		const char *svc = crypto_service_name((uint32_t)opcode >> 8);

		f->op = ((uint32_t)opcode & 0xffff) | CRYPTO_NOTE_CTRL;
		f->op_known = true;
		if (name && svc) {
			snprintf(text, sizeof(text), "%s %s", name, svc);
			if (crypto_ctrl_is_create((uint32_t)opcode) && crypto_get(q, c, 4, 4, &algo, &cut)) {
				const char *an = crypto_algo_name((uint32_t)opcode >> 8, (uint32_t)algo);
				if (an)
					crypto_cat_s(text, " "), crypto_cat_s(text, an);
				else
					crypto_cat(text, " algo", algo);
			}
			if (!cut && crypto_ctrl_is_create((uint32_t)opcode) && crypto_get(q, c, 12, 4, &qid, &cut))
				crypto_cat(text, " queue", qid);
			if (!cut && !crypto_ctrl_is_create((uint32_t)opcode) &&
			    crypto_get(q, c, CRYPTO_CTRL_HDR, 8, &sid, &cut))
				crypto_cat(text, " session", sid);
		} else {
			/* Unknown opcodes: nothing more of the layout is known. */
			snprintf(text, sizeof(text), "opcode 0x%llx", (unsigned long long)opcode);
			cut = c->readable < CRYPTO_CTRL_HDR;
		}
		if (cut)
			crypto_cat_s(text, " (cut)");
		rf.op_text = text;
		/* Room for the answer: session_input for a create, the status byte otherwise. */
		uint64_t need = crypto_ctrl_is_create((uint32_t)opcode) ? CRYPTO_SESSION_INPUT : 1;
		if (c->complete && c->writable < need && c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: crypto control request at head %u has %llu writable bytes; its answer needs %llu",
				      q->q, c->head, (unsigned long long)c->writable, (unsigned long long)need);
		/* What the answer's bytes hold before the device writes them
		 * (the used side compares). */
		uint8_t pre[CRYPTO_SESSION_INPUT];
		uint32_t alen = crypto_answer_len((uint32_t)opcode);
		if (c->complete && c->writable >= alen &&
		    (req_chain_read(q->rq, c->segs + c->n_readable, c->n_segs - c->n_readable, 0, pre, alen) &
		     SHADOW_HAVE_ALL)) {
			f->note = crypto_fnv(pre, alen);
			f->op |= CRYPTO_NOTE_PRESET;
		}
	}
	return req_insert(q, c, TDB_REQ_CRYPTO_CTRL, &rf);
}

/* "CIPHER_ENCRYPT session 7 iv 16 src 64 dst 64"; length the source bytes. */
static uint64_t crypto_data_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };
	char text[REQ_OP_TEXT_MAX] = "";
	bool cut = false;
	uint64_t opcode, sid, v;

	if (c->complete && c->readable < CRYPTO_OP_HDR && c->mem == RINGS_MEM_EXACT)
		dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
			      "queue %u: crypto data request at head %u has %llu readable bytes; its header is %u",
			      q->q, c->head, (unsigned long long)c->readable, CRYPTO_OP_HDR);
	else if (c->complete && c->writable == 0 && c->mem == RINGS_MEM_EXACT)
		dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
			      "queue %u: crypto data request at head %u has no writable byte for its status",
			      q->q, c->head);
	if (!crypto_get(q, c, 0, 4, &opcode, &cut))
		return req_insert(q, c, TDB_REQ_CRYPTO_DATA, &rf);
	const char *name = crypto_data_name((uint32_t)opcode);
	f->op = (uint32_t)opcode & 0xffff;
	f->op_known = true;
	if (name)
		snprintf(text, sizeof(text), "%s", name);
	else
		snprintf(text, sizeof(text), "opcode 0x%llx", (unsigned long long)opcode);
	if (crypto_get(q, c, 8, 8, &sid, &cut))
		crypto_cat(text, " session", sid);
	/* The parameters after the header, by op: (label, offset) pairs. */
	static const struct { uint32_t opcode; const char *labels[5]; } params[] = {
		{ CRYPTO_OPCODE(CS_CIPHER, 0), { " iv", " src", " dst" } },
		{ CRYPTO_OPCODE(CS_CIPHER, 1), { " iv", " src", " dst" } },
		{ CRYPTO_OPCODE(CS_HASH, 0), { " src", " result" } },
		{ CRYPTO_OPCODE(CS_MAC, 0), { " src", " result" } },
		{ CRYPTO_OPCODE(CS_AEAD, 0), { " iv", " aad", " src", " dst", " tag" } },
		{ CRYPTO_OPCODE(CS_AEAD, 1), { " iv", " aad", " src", " dst", " tag" } },
		{ CRYPTO_OPCODE(CS_AKCIPHER, 0), { " src", " dst" } },
		{ CRYPTO_OPCODE(CS_AKCIPHER, 1), { " src", " dst" } },
		{ CRYPTO_OPCODE(CS_AKCIPHER, 2), { " src", " dst" } },
		{ CRYPTO_OPCODE(CS_AKCIPHER, 3), { " src", " dst" } },
	};
	for (size_t i = 0; !cut && i < sizeof(params) / sizeof(params[0]); i++) {
		if (params[i].opcode != opcode)
			continue;
		for (unsigned k = 0; k < 5 && params[i].labels[k] && !cut; k++) {
			if (!crypto_get(q, c, CRYPTO_OP_HDR + 4 * k, 4, &v, &cut))
				break;
			crypto_cat(text, params[i].labels[k], v);
			if (strcmp(params[i].labels[k], " src") == 0) {
				rf.has_length = true;
				rf.length = v;
			}
		}
	}
	if (!name && c->readable < CRYPTO_OP_HDR)
		cut = true;
	if (cut)
		crypto_cat_s(text, " (cut)");
	rf.op_text = text;
	return req_insert(q, c, TDB_REQ_CRYPTO_DATA, &rf);
}

static uint64_t crypto_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	return crypto_is_ctrl(q) ? crypto_ctrl_avail(q, c, f) : crypto_data_avail(q, c, f);
}

/* The status: ctrl CREATE_SESSION le32 at 8 of the writable part (and the
 * new session id at 0); DESTROY_SESSION u8 at 0; data ops the last
 * writable byte.  op gets " -> OK", " -> session N", " -> NOTSUPP" or
 * " -> status N"; status the code (a create status over 255: no status). */
static void crypto_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	struct rings_chain c;
	char text[REQ_OP_TEXT_MAX] = "";
	uint8_t b[CRYPTO_SESSION_INPUT];
	uint64_t st = 0, sid = 0;
	bool have = false, have_sid = false;

	(void)len;
	req_inflight_view(f, &c);
	if (!f->op_known || !c.complete || c.writable == 0) {
		req_complete(q->dec, rs, f->request, &rf);
		return;
	}
	bool ctrl = (f->op & CRYPTO_NOTE_CTRL) != 0;
	uint32_t opcode = f->op & 0xffff;
	bool stale = false, preset_like = false;
	if (ctrl) {
		uint32_t alen = crypto_answer_len(opcode);
		unsigned m = c.writable >= alen ? req_chain_read(rs, c.segs, c.n_segs, 0, b, alen) : 0;
		if (m & SHADOW_HAVE_ALL) {
			stale = (f->op & CRYPTO_NOTE_PRESET) && (m & SHADOW_ROUGH) && crypto_fnv(b, alen) == f->note;
			preset_like = !stale && (m & SHADOW_ROUGH);
			if (crypto_ctrl_is_create(opcode)) {
				sid = le64_get(b);
				st = le32_get(b + 8);
				have = have_sid = true;
			} else {
				st = b[0];
				have = true;
			}
		}
	} else {
		if (req_chain_read(rs, c.segs, c.n_segs, c.writable - 1, b, 1) & SHADOW_HAVE_ALL) {
			st = b[0];
			have = true;
		}
	}
	if (have) {
		const char *op = NULL;
		bool hs, hl;
		uint64_t s, l;
		/* The row's op as avail wrote it; if the row left memory, the name. */
		if (!req_peek(rs, f->request, &op, &hs, &s, &hl, &l) || !op)
			op = ctrl ? crypto_ctrl_name(opcode) : crypto_data_name(opcode);
		if (op)
			snprintf(text, sizeof(text), "%s", op);
		else
			snprintf(text, sizeof(text), "opcode 0x%x", opcode);
		const char *sn = crypto_status_name((uint32_t)(st > UINT32_MAX ? UINT32_MAX : st));
		/* ERR in a best-effort copy may be a preset (this request's,
		 * unseen, or the next one's in a buffer the driver reused):
		 * not the device's word for it. */
		if (preset_like && st != CRYPTO_STATUS_ERR)
			preset_like = false;
		if (stale)
			crypto_cat_s(text, " -> ? (answer not in the copy)");
		else if (preset_like)
			crypto_cat_s(text, " -> ERR? (may be the driver's preset)");
		else if (have_sid && st == 0)
			crypto_cat(text, " -> session", sid);
		else if (sn)
			crypto_cat_s(text, " -> "), crypto_cat_s(text, sn);
		else
			crypto_cat(text, " -> status", st);
		rf.op_text = text;
		if (!stale && !preset_like && st <= 0xff) {
			rf.has_status = true;
			rf.status = (uint8_t)st;
		}
	}
	req_complete(q->dec, rs, f->request, &rf);
}

const struct req_decoder req_decoder_crypto = {
	.device_id = VIRTIO_ID_CRYPTO,
	.avail = crypto_avail,
	.used = crypto_used,
};
