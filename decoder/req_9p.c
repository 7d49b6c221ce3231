/* virtio-9p messages (Device Types / 9P transport; the protocol is
 * 9P2000.L as Linux and QEMU speak it).  A requestq chain holds, readable
 * first, one T-message: size[4] type[1] tag[2] then the type's fields (all
 * little-endian; a string is len[2] then len bytes); the writable part
 * receives the R-message, same header, written by the device (its used
 * length says how much).
 *
 * The row: kind 9p, op "Twrite tag 3 fid 5 offset 0 count 16" (the message
 * type's name, its tag, the fid and the fields that say what it does: a
 * walk's names, a create's name, a read's or write's offset and count),
 * completed at the used entry with " -> Rwrite count 16" or
 * " -> Rlerror ENOENT"; status 0 for a reply, the errno of an Rlerror (255
 * if larger); length and data the bytes a Twrite carries or an Rread
 * returned (data up to the payload cap), digest of them.
 *
 * Everything is read from the copied bytes through a bounded cursor: a
 * message whose size field is below the 7-byte header or beyond the bytes
 * the chain holds (or the device wrote) is decoded as far as it goes, says
 * "cut" in op, and is request-malformed when the copy was exact. */
#include "decoder/req.h"

#include <stdio.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* Facts from 9P2000.L (Linux include/net/9p/9p.h, QEMU hw/9pfs). */
#define P9_HDR_SIZE 7u        /* size[4] type[1] tag[2] */
#define P9_RLERROR 7u
#define P9_TREAD 116u
#define P9_RREAD 117u
#define P9_TWRITE 118u
#define P9_TREADDIR 40u
#define P9_RREADDIR 41u
#define P9_RW_DATA_OFF 23u    /* Twrite: header, fid[4] offset[8] count[4] */
#define P9_RREAD_DATA_OFF 11u /* Rread, Rreaddir: header, count[4] */
#define P9_WALK_NAMES_MAX 16u /* MAXWELEM */
/* Bytes of a message looked at for its fields: enough for every field we
 * name (a walk of 16 names is cut short in op, not read whole). */
#define P9_PARSE_MAX 512u
/* Longest name shown in op, in characters. */
#define P9_NAME_SHOW 24u

/* f->op: message type | tag << 8 | P9_OP_KNOWN (what the used side needs). */
#define P9_OP_KNOWN (UINT32_C(1) << 24)

static const char *p9_type_name(uint8_t t)
{
	switch (t) {
	case 6: return "Tlerror";
	case 7: return "Rlerror";
	case 8: return "Tstatfs";
	case 9: return "Rstatfs";
	case 12: return "Tlopen";
	case 13: return "Rlopen";
	case 14: return "Tlcreate";
	case 15: return "Rlcreate";
	case 16: return "Tsymlink";
	case 17: return "Rsymlink";
	case 18: return "Tmknod";
	case 19: return "Rmknod";
	case 20: return "Trename";
	case 21: return "Rrename";
	case 22: return "Treadlink";
	case 23: return "Rreadlink";
	case 24: return "Tgetattr";
	case 25: return "Rgetattr";
	case 26: return "Tsetattr";
	case 27: return "Rsetattr";
	case 30: return "Txattrwalk";
	case 31: return "Rxattrwalk";
	case 32: return "Txattrcreate";
	case 33: return "Rxattrcreate";
	case 40: return "Treaddir";
	case 41: return "Rreaddir";
	case 50: return "Tfsync";
	case 51: return "Rfsync";
	case 52: return "Tlock";
	case 53: return "Rlock";
	case 54: return "Tgetlock";
	case 55: return "Rgetlock";
	case 70: return "Tlink";
	case 71: return "Rlink";
	case 72: return "Tmkdir";
	case 73: return "Rmkdir";
	case 74: return "Trenameat";
	case 75: return "Rrenameat";
	case 76: return "Tunlinkat";
	case 77: return "Runlinkat";
	case 100: return "Tversion";
	case 101: return "Rversion";
	case 102: return "Tauth";
	case 103: return "Rauth";
	case 104: return "Tattach";
	case 105: return "Rattach";
	case 106: return "Terror";
	case 107: return "Rerror";
	case 108: return "Tflush";
	case 109: return "Rflush";
	case 110: return "Twalk";
	case 111: return "Rwalk";
	case 112: return "Topen";
	case 113: return "Ropen";
	case 114: return "Tcreate";
	case 115: return "Rcreate";
	case 116: return "Tread";
	case 117: return "Rread";
	case 118: return "Twrite";
	case 119: return "Rwrite";
	case 120: return "Tclunk";
	case 121: return "Rclunk";
	case 122: return "Tremove";
	case 123: return "Rremove";
	case 124: return "Tstat";
	case 125: return "Rstat";
	case 126: return "Twstat";
	case 127: return "Rwstat";
	}
	return NULL;
}

/* Linux errno names 9P2000.L servers commonly return. */
static const char *p9_errno_name(uint32_t e)
{
	switch (e) {
	case 1: return "EPERM";
	case 2: return "ENOENT";
	case 5: return "EIO";
	case 9: return "EBADF";
	case 11: return "EAGAIN";
	case 12: return "ENOMEM";
	case 13: return "EACCES";
	case 17: return "EEXIST";
	case 18: return "EXDEV";
	case 20: return "ENOTDIR";
	case 21: return "EISDIR";
	case 22: return "EINVAL";
	case 24: return "EMFILE";
	case 27: return "EFBIG";
	case 28: return "ENOSPC";
	case 30: return "EROFS";
	case 34: return "ERANGE";
	case 36: return "ENAMETOOLONG";
	case 38: return "ENOSYS";
	case 39: return "ENOTEMPTY";
	case 40: return "ELOOP";
	case 61: return "ENODATA";
	case 95: return "EOPNOTSUPP";
	case 110: return "ETIMEDOUT";
	case 122: return "EDQUOT";
	}
	return NULL;
}

/* A bounded reader over the bytes of one message that were copied: n is
 * what the buffer holds of it (at most P9_PARSE_MAX), a read past it sets
 * cut and yields zeros. */
struct p9_cur {
	const uint8_t *p;
	uint32_t n, off;
	bool cut;
};

static bool p9_take(struct p9_cur *c, uint32_t len)
{
	if (c->cut || len > c->n - c->off) {
		c->cut = true;
		return false;
	}
	c->off += len;
	return true;
}

static uint32_t p9_u16(struct p9_cur *c)
{
	return p9_take(c, 2) ? le16_get(c->p + c->off - 2) : 0;
}

static uint32_t p9_u32(struct p9_cur *c)
{
	return p9_take(c, 4) ? le32_get(c->p + c->off - 4) : 0;
}

static uint64_t p9_u64(struct p9_cur *c)
{
	return p9_take(c, 8) ? le64_get(c->p + c->off - 8) : 0;
}

/* A string as 'name' into out (size outsz): printable ASCII kept, other
 * bytes as '?', longer than P9_NAME_SHOW cut with "..".  Returns false
 * (out empty) if the string's bytes are not all there. */
static bool p9_str(struct p9_cur *c, char *out, size_t outsz)
{
	uint32_t len = p9_u16(c), at = c->off;
	size_t o = 0;

	out[0] = '\0';
	if (!p9_take(c, len))
		return false;
	for (uint32_t i = 0; i < len && i < P9_NAME_SHOW && o + 1 < outsz; i++) {
		uint8_t ch = c->p[at + i];
		out[o++] = ch >= 0x20 && ch < 0x7f && ch != '\'' ? (char)ch : '?';
	}
	if (len > P9_NAME_SHOW && o + 3 < outsz) {
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
	return true;
}


/* The op text of a T-message (c positioned after the header). */
static void p9_t_text(char *out, uint8_t type, uint16_t tag, struct p9_cur *c)
{
	const char *name = p9_type_name(type);
	char s[P9_NAME_SHOW + 4];

	if (name)
		snprintf(out, REQ_OP_TEXT_MAX, "%s tag %u", name, tag);
	else
		snprintf(out, REQ_OP_TEXT_MAX, "type %u tag %u", type, tag);
	switch (type) {
	case 100: { /* Tversion: msize[4] version[s] */
		uint32_t msize = p9_u32(c);
		if (c->cut)
			break;
		req_text_add(out, " msize %u", msize);
		if (p9_str(c, s, sizeof(s)))
			req_text_add(out, " '%s'", s);
		break;
	}
	case 104: { /* Tattach: fid[4] afid[4] uname[s] aname[s] n_uname[4] */
		uint32_t fid = p9_u32(c);
		p9_u32(c);
		if (c->cut)
			break;
		req_text_add(out, " fid %u", fid);
		if (p9_str(c, s, sizeof(s)))
			req_text_add(out, " uname '%s'", s);
		if (p9_str(c, s, sizeof(s)))
			req_text_add(out, " aname '%s'", s);
		break;
	}
	case 110: { /* Twalk: fid[4] newfid[4] nwname[2] wname[s]... */
		uint32_t fid = p9_u32(c), newfid = p9_u32(c), nw = p9_u16(c);
		if (c->cut)
			break;
		req_text_add(out, " fid %u newfid %u", fid, newfid);
		if (!nw)
			req_text_add(out, " (clone)");
		for (uint32_t i = 0; i < nw && i < P9_WALK_NAMES_MAX; i++) {
			if (!p9_str(c, s, sizeof(s)))
				break;
			req_text_add(out, i ? "/%s" : " '%s", s);
			if (i + 1 == nw || i + 1 == P9_WALK_NAMES_MAX)
				req_text_add(out, "'");
		}
		if (nw > P9_WALK_NAMES_MAX)
			req_text_add(out, " nwname %u", nw);
		break;
	}
	case 12: { /* Tlopen: fid[4] flags[4] */
		uint32_t fid = p9_u32(c), fl = p9_u32(c);
		if (!c->cut)
			req_text_add(out, " fid %u flags 0x%x", fid, fl);
		break;
	}
	case 14: { /* Tlcreate: fid[4] name[s] flags[4] mode[4] gid[4] */
		uint32_t fid = p9_u32(c);
		if (c->cut)
			break;
		req_text_add(out, " fid %u", fid);
		if (p9_str(c, s, sizeof(s))) {
			uint32_t fl = p9_u32(c), mode = p9_u32(c);
			req_text_add(out, " '%s'", s);
			if (!c->cut)
				req_text_add(out, " flags 0x%x mode 0%o", fl, mode);
		}
		break;
	}
	case P9_TREAD: case P9_TWRITE: case P9_TREADDIR: { /* Tread, Twrite, Treaddir: fid[4] offset[8] count[4] */
		uint32_t fid = p9_u32(c);
		uint64_t off = p9_u64(c);
		uint32_t cnt = p9_u32(c);
		if (!c->cut)
			req_text_add(out, " fid %u offset %llu count %u", fid, (unsigned long long)off, cnt);
		break;
	}
	case 108: { /* Tflush: oldtag[2] */
		uint32_t old = p9_u16(c);
		if (!c->cut)
			req_text_add(out, " oldtag %u", old);
		break;
	}
	case 72: case 76: case 70: { /* Tmkdir, Tunlinkat: dfid[4] name[s]; Tlink: dfid[4] fid[4] name[s] */
		uint32_t fid = p9_u32(c);
		if (type == 70)
			p9_u32(c);
		if (c->cut)
			break;
		req_text_add(out, " dfid %u", fid);
		if (p9_str(c, s, sizeof(s)))
			req_text_add(out, " '%s'", s);
		break;
	}
	case 8: case 16: case 18: case 20: case 22: case 24: case 26: case 30: case 32:
	case 50: case 52: case 54: case 74: case 102: case 120: case 122:
	{	/* fid[4] first (Trenameat: olddirfid; Tauth: afid) */
		uint32_t fid = p9_u32(c);
		if (!c->cut)
			req_text_add(out, " fid %u", fid);
		break;
	}
	}
}

/* The reply's part of the op text (" -> Rwrite count 16"); *status and the
 * data range (Rread, Rreaddir) out. */
static void p9_r_text(char *out, uint8_t type, uint16_t tag, uint16_t t_tag, bool t_known, struct p9_cur *c,
		      uint8_t *status, uint32_t *count)
{
	const char *name = p9_type_name(type);
	bool alone = !out[0];

	/* Without the T side (its bytes were missing) the reply stands
	 * alone, with its tag. */
	if (name)
		req_text_add(out, alone ? "%s" : " -> %s", name);
	else
		req_text_add(out, alone ? "type %u" : " -> type %u", type);
	if (alone || (t_known && tag != t_tag))
		req_text_add(out, " tag %u", tag);
	*status = 0;
	switch (type) {
	case P9_RLERROR: {
		uint32_t e = p9_u32(c);
		const char *en = p9_errno_name(e);
		if (c->cut)
			break;
		if (en)
			req_text_add(out, " %s", en);
		else
			req_text_add(out, " errno %u", e);
		*status = e > 255 ? 255 : (uint8_t)e;
		break;
	}
	case 101: { /* Rversion: msize[4] version[s] */
		char s[P9_NAME_SHOW + 4];
		uint32_t msize = p9_u32(c);
		if (c->cut)
			break;
		req_text_add(out, " msize %u", msize);
		if (p9_str(c, s, sizeof(s)))
			req_text_add(out, " '%s'", s);
		break;
	}
	case 117: case 119: case 41: /* Rread, Rwrite, Rreaddir: count[4] */
		*count = p9_u32(c);
		if (!c->cut)
			req_text_add(out, " count %u", *count);
		break;
	case 111: { /* Rwalk: nwqid[2] */
		uint32_t nw = p9_u16(c);
		if (!c->cut)
			req_text_add(out, " nwqid %u", nw);
		break;
	}
	}
}

/* Read a message's header, then its first bytes (at most P9_PARSE_MAX,
 * at most the size field's, at most avail) from segs.  Returns the
 * SHADOW_* flags of the header (SHADOW_HAVE_ALL clear: no header) and of
 * the body bytes read; *held the bytes usable (the header alone when the
 * body's bytes are not all in the trace), *size the size field. */
static unsigned p9_read_msg(const struct req_state *rs, const struct rings_seg *segs, uint32_t n, uint64_t avail,
			    uint8_t *buf, uint32_t *held, uint32_t *size)
{
	*size = 0;
	*held = 0;
	if (avail < P9_HDR_SIZE)
		return 0;
	unsigned f = req_chain_read(rs, segs, n, 0, buf, P9_HDR_SIZE);
	if (!(f & SHADOW_HAVE_ALL))
		return f;
	*size = le32_get(buf);
	*held = P9_HDR_SIZE;
	uint64_t take = avail < P9_PARSE_MAX ? avail : P9_PARSE_MAX;
	if (*size < take)
		take = *size;
	if (take <= P9_HDR_SIZE)
		return f;
	/* A snapshot can hold the first bytes of a large buffer only: try
	 * shorter reads (the fields we name are near the start). */
	static const uint32_t tries[] = { P9_PARSE_MAX, 32u, P9_HDR_SIZE + 4u };
	unsigned rough = 0;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		uint64_t want = take < tries[i] ? take : tries[i];
		if (want <= P9_HDR_SIZE || (i && want == take))
			continue;
		unsigned fb = req_chain_read(rs, segs, n, P9_HDR_SIZE, buf + P9_HDR_SIZE, want - P9_HDR_SIZE);
		rough |= fb & ~SHADOW_HAVE_ALL;
		if (fb & SHADOW_HAVE_ALL) {
			*held = (uint32_t)want;
			break;
		}
	}
	return f | rough;
}

static uint64_t p9_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	uint8_t buf[P9_PARSE_MAX];
	char text[REQ_OP_TEXT_MAX];
	uint32_t held, size;

	if (!c->complete)
		return req_insert(q, c, TDB_REQ_9P, &rf);
	unsigned m = p9_read_msg(rs, c->segs, c->n_readable, c->readable, buf, &held, &size);
	if (c->readable >= P9_HDR_SIZE) {
		req_note_mem(c, m);
		if (!(m & SHADOW_HAVE_ALL))
			return req_insert(q, c, TDB_REQ_9P, &rf);
	}
	if (c->readable < P9_HDR_SIZE || size < P9_HDR_SIZE) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: 9p message at head %u: %llu readable bytes, size field %u; the header is %u bytes",
				      q->q, c->head, (unsigned long long)c->readable, size, P9_HDR_SIZE);
		return req_insert(q, c, TDB_REQ_9P, &rf);
	}
	uint8_t type = buf[4];
	uint16_t tag = le16_get(buf + 5);
	struct p9_cur cur = { .p = buf, .n = held, .off = P9_HDR_SIZE };
	p9_t_text(text, type, tag, &cur);
	bool beyond = size > c->readable;
	if (beyond || (cur.cut && held == size)) {
		/* The fields run past the message (or the message past the
		 * buffer): what was decoded stands, marked. */
		if (beyond)
			req_text_add(text, " (cut: size %u, %llu held)", size, (unsigned long long)c->readable);
		else
			req_text_add(text, " (cut: fields past size %u)", size);
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: 9p message at head %u says size %u, its fields need more or the buffer holds %llu bytes",
				      q->q, c->head, size, (unsigned long long)c->readable);
	}
	rf.op_text = text;
	f->op = type | (uint32_t)tag << 8 | P9_OP_KNOWN;
	f->op_known = true;
	if (type == P9_TWRITE && held >= P9_RW_DATA_OFF) {
		/* The data is what both the count and the message hold (held
		 * is at most size and readable: both are at least 23). */
		uint64_t cnt = le32_get(buf + 19), room = (size < c->readable ? size : c->readable) - P9_RW_DATA_OFF;
		if (cnt > room)
			cnt = room;
		rf.has_length = true;
		rf.length = cnt;
		if (cnt) {
			unsigned ff;
			uint32_t got = req_payload(rs, c->segs, c->n_readable, P9_RW_DATA_OFF, cnt, &ff);
			req_note_mem(c, ff);
			if (ff & SHADOW_HAVE_ALL) {
				rf.data = rs->payload;
				rf.data_len = got;
			}
			bool rough = false;
			rf.has_digest = req_chain_digest(rs, c->segs, c->n_readable, P9_RW_DATA_OFF, cnt, &rf.digest, &rough);
		}
	}
	return req_insert(q, c, TDB_REQ_9P, &rf);
}

static void p9_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	struct rings_chain c;
	uint8_t buf[P9_PARSE_MAX];
	char text[REQ_OP_TEXT_MAX];
	uint32_t held, size;

	req_inflight_view(f, &c);
	uint64_t wrote = len < c.writable ? len : c.writable;
	if (!c.complete || wrote < P9_HDR_SIZE || !f->request)
		goto done;
	/* Read as far as the buffer goes: the used length of a best-effort
	 * copy can be another element's (a head reused before its used entry
	 * was copied), so it is held against the reply's size below. */
	/* The T side's text, if its row is still in memory; else its type
	 * and tag from f->op. */
	const char *op = NULL;
	bool hs, hl;
	uint64_t sec, ln;
	bool t_known = f->op_known && (f->op & P9_OP_KNOWN);
	uint16_t t_tag = (uint16_t)(f->op >> 8);
	if (req_peek(rs, f->request, &op, &hs, &sec, &hl, &ln) && op) {
		snprintf(text, sizeof(text), "%s", op);
	} else if (t_known) {
		const char *tn = p9_type_name((uint8_t)f->op);
		if (tn)
			snprintf(text, sizeof(text), "%s tag %u", tn, t_tag);
		else
			snprintf(text, sizeof(text), "type %u tag %u", f->op & 0xff, t_tag);
	} else {
		text[0] = '\0';
	}
	unsigned m = p9_read_msg(rs, c.segs, c.n_segs, c.writable, buf, &held, &size);
	req_note_mem(&c, m);
	bool exact = c.mem == RINGS_MEM_EXACT;
	if (!(m & SHADOW_HAVE_ALL) || size < P9_HDR_SIZE) {
		/* Used, but no reply to show: say so (a T side alone would
		 * read as unanswered).  A best-effort copy taken after the
		 * guest freed the buffer holds no reply (zeros, often). */
		if (!text[0])
			goto done;
		if (exact) {
			req_text_add(text, " -> ? (reply size %u)", size);
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: 9p reply says size %u, less than the %u-byte header", q->q, size,
				      P9_HDR_SIZE);
		} else {
			req_text_add(text, " -> ? (no reply in the copy)");
		}
		rf.op_text = text;
		goto done;
	}
	if (size > wrote && exact && held > wrote)
		held = (uint32_t)wrote;
	uint8_t type = buf[4];
	uint16_t tag = le16_get(buf + 5);
	/* In a best-effort copy, bytes that cannot be this request's reply (a
	 * T-message, or an R-message of another type than its T-message's)
	 * are the buffer's later or earlier use: no reply is shown. */
	uint8_t t_type = (uint8_t)f->op;
	if (!exact && ((type & 1) == 0 || (t_known && type != P9_RLERROR && type != (uint8_t)(t_type + 1)))) {
		const char *hn = p9_type_name(type);
		if (hn)
			req_text_add(text, " -> ? (buffer holds %s: copied late)", hn);
		else
			req_text_add(text, " -> ? (buffer holds type %u: copied late)", type);
		rf.op_text = text;
		goto done;
	}
	struct p9_cur cur = { .p = buf, .n = held, .off = P9_HDR_SIZE };
	uint32_t count = 0;
	uint8_t status;
	p9_r_text(text, type, tag, t_tag, t_known, &cur, &status, &count);
	if (size > wrote && (exact || size > c.writable)) {
		req_text_add(text, " (cut: size %u, %llu written)", size, (unsigned long long)wrote);
		if (exact)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: 9p reply says size %u, the device wrote %llu bytes", q->q, size,
				      (unsigned long long)wrote);
	} else if (size != wrote && !exact) {
		/* A best-effort copy whose used length and reply disagree:
		 * the reply is shown as the buffer holds it. */
		req_text_add(text, " (used len %llu)", (unsigned long long)wrote);
		wrote = size;
	}
	rf.op_text = text;
	rf.has_status = true;
	rf.status = status;
	if ((type == P9_RREAD || type == P9_RREADDIR) && !cur.cut) {
		uint64_t room = (size < wrote ? size : wrote);
		room = room > P9_RREAD_DATA_OFF ? room - P9_RREAD_DATA_OFF : 0;
		uint64_t cnt = count < room ? count : room;
		rf.has_length = true;
		rf.length = cnt;
		if (cnt && type == P9_RREAD) {
			unsigned ff;
			uint32_t got = req_payload(rs, c.segs, c.n_segs, P9_RREAD_DATA_OFF, cnt, &ff);
			if (ff & SHADOW_HAVE_ALL) {
				rf.data = rs->payload;
				rf.data_len = got;
			}
			bool rough = false;
			rf.has_digest = req_chain_digest(rs, c.segs, c.n_segs, P9_RREAD_DATA_OFF, cnt, &rf.digest, &rough);
		}
	}
done:
	req_complete(q->dec, rs, f->request, &rf);
}

const struct req_decoder req_decoder_9p = {
	.device_id = VIRTIO_ID_9P,
	.avail = p9_avail,
	.used = p9_used,
};
