/* Alignment of two event sequences; see diff_align.h and docs/diff.md.
 *
 * The result of every step is a match map: ma[i] = the index in B of A's
 * event i, or NO_MATCH.  Matches only ever grow in both indexes, so the
 * pieces left between them can be aligned in any order (an explicit
 * stack, not recursion: a hostile trace cannot exhaust the C stack), and
 * the runs are read off the map at the end. */
#include "diff/diff_align.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_myers.h"

#define NO_MATCH SIZE_MAX
/* An event occurring more often than this in A's piece is not rare
 * enough to split on (git's histogram diff uses the same bound). */
#define HIST_MAX_COUNT 64u

struct piece {
	size_t a0, a1, b0, b1;
};

struct aligner {
	const uint64_t *ka, *kb;
	size_t *ma;               /* A index -> B index */
	struct piece *stack;
	size_t n_stack, cap_stack;
	/* the histogram's table, kept between pieces */
	struct slot { uint64_t key; uint32_t count; uint32_t head; bool used; } *tab;
	size_t tab_cap;           /* allocated */
	size_t tab_n;             /* in use for this piece: a power of two */
	uint32_t *chain;          /* previous occurrence in A's piece (+1; 0 none) */
	size_t chain_cap;
	uint64_t work, budget;    /* histogram work done and allowed */
	struct piece cur;         /* the piece the edit script is for */
	struct diff_align_stats *stats;
};

static int push(struct aligner *al, size_t a0, size_t a1, size_t b0, size_t b1)
{
	if (a0 >= a1 && b0 >= b1)
		return 0;
	if (al->n_stack == al->cap_stack) {
		size_t cap = al->cap_stack ? al->cap_stack * 2 : 64;
		struct piece *s = realloc(al->stack, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		al->stack = s;
		al->cap_stack = cap;
	}
	al->stack[al->n_stack++] = (struct piece){ a0, a1, b0, b1 };
	return 0;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static struct slot *lookup(struct aligner *al, uint64_t key, bool add)
{
	size_t mask = al->tab_n - 1;
	for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
		struct slot *s = &al->tab[i];
		if (!s->used) {
			if (!add)
				return NULL;
			*s = (struct slot){ .key = key, .used = true };
			return s;
		}
		if (s->key == key)
			return s;
	}
}

/* The longest run around an occurrence of the rarest event of A's piece
 * that B's piece has too: 0 with *sa, *sb, *len (len 0: none found). */
static int histogram_split(struct aligner *al, const struct piece *p, size_t *sa, size_t *sb, size_t *len)
{
	size_t n = p->a1 - p->a0, cap = 16;
	uint32_t best_count = HIST_MAX_COUNT + 1;

	*len = 0;
	if (n > UINT32_MAX - 1)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	if (cap > al->tab_cap) {
		free(al->tab);
		if (!(al->tab = malloc(cap * sizeof(*al->tab))))
			return -ENOMEM;
		al->tab_cap = cap;
	}
	/* Sized for this piece: clearing costs the piece, not the largest
	 * piece seen so far. */
	al->tab_n = cap;
	memset(al->tab, 0, cap * sizeof(*al->tab));
	if (n > al->chain_cap) {
		free(al->chain);
		if (!(al->chain = malloc(n * sizeof(*al->chain))))
			return -ENOMEM;
		al->chain_cap = n;
	}
	for (size_t i = p->a0; i < p->a1; i++) {
		struct slot *s = lookup(al, al->ka[i], true);
		al->chain[i - p->a0] = s->head;
		s->head = (uint32_t)(i - p->a0 + 1);
		s->count++;
	}
	al->work += n + (p->b1 - p->b0);
	for (size_t j = p->b0; j < p->b1;) {
		struct slot *s = lookup(al, al->kb[j], false);
		size_t next_j = j + 1;
		if (s && s->count <= best_count) {
			for (uint32_t h = s->head; h; h = al->chain[h - 1]) {
				size_t as = p->a0 + h - 1, bs = j, ae = as, be = j;
				while (as > p->a0 && bs > p->b0 && al->ka[as - 1] == al->kb[bs - 1])
					as--, bs--;
				while (ae < p->a1 && be < p->b1 && al->ka[ae] == al->kb[be])
					ae++, be++;
				al->work += ae - as;
				if (s->count < best_count || ae - as > *len) {
					best_count = s->count;
					*sa = as;
					*sb = bs;
					*len = ae - as;
				}
				if (be > next_j)
					next_j = be;
			}
		}
		j = next_j;
	}
	return 0;
}

static void myers_match(void *ctx, size_t i, size_t j)
{
	struct aligner *al = ctx;
	al->ma[al->cur.a0 + i] = al->cur.b0 + j;
}

/* Align the pieces on the stack until none is left. */
static int align_pieces(struct aligner *al)
{
	while (al->n_stack) {
		struct piece p = al->stack[--al->n_stack];
		while (p.a0 < p.a1 && p.b0 < p.b1 && al->ka[p.a0] == al->kb[p.b0])
			al->ma[p.a0++] = p.b0++;
		while (p.a0 < p.a1 && p.b0 < p.b1 && al->ka[p.a1 - 1] == al->kb[p.b1 - 1])
			al->ma[--p.a1] = --p.b1;
		if (p.a0 == p.a1 || p.b0 == p.b1)
			continue;
		if (al->stats)
			al->stats->pieces++;
		size_t sa = 0, sb = 0, len = 0;
		if (al->work <= al->budget) {
			int r = histogram_split(al, &p, &sa, &sb, &len);
			if (r)
				return r;
		}
		if (len) {
			for (size_t k = 0; k < len; k++)
				al->ma[sa + k] = sb + k;
			if (push(al, p.a0, sa, p.b0, sb) || push(al, sa + len, p.a1, sb + len, p.b1))
				return -ENOMEM;
			continue;
		}
		/* Nothing rare: a shortest edit script, or one changed run. */
		if (al->stats)
			al->stats->myers_calls++;
		al->cur = p;
		int r = diff_myers(al->ka + p.a0, p.a1 - p.a0, al->kb + p.b0, p.b1 - p.b0, DIFF_MYERS_MAX_EDITS,
				   64ull * (p.a1 - p.a0 + p.b1 - p.b0) + (16u << 20), myers_match, al);
		if (r < 0)
			return r;
		if (r == DIFF_MYERS_GAVE_UP && al->stats)
			al->stats->myers_gave_up++;
	}
	return 0;
}

static void aligner_free(struct aligner *al)
{
	free(al->stack);
	free(al->tab);
	free(al->chain);
}

/* Align ka[0, na) with kb[0, nb) into ma (every entry set). */
static int align_keys(const uint64_t *ka, size_t na, const uint64_t *kb, size_t nb, size_t *ma,
		      struct diff_align_stats *stats)
{
	struct aligner al = { .ka = ka, .kb = kb, .ma = ma, .stats = stats };
	int r;

	for (size_t i = 0; i < na; i++)
		ma[i] = NO_MATCH;
	/* Histogram work a pair of well-behaved traces needs is a few passes
	 * over them; past that (a hostile or wholly different pair), pieces
	 * go straight to the bounded edit script. */
	al.budget = 32 * (uint64_t)(na + nb) + (1u << 20);
	r = push(&al, 0, na, 0, nb);
	if (!r)
		r = align_pieces(&al);
	aligner_free(&al);
	return r;
}

/* Anchors first: align the anchor events alone, then each stretch
 * between two matched anchors.  *ma (malloc'ed) gets the map. */
static int align_anchored(const struct diff_seq *a, const struct diff_seq *b, size_t **out,
			  struct diff_align_stats *stats)
{
	size_t *ma = malloc((a->n ? a->n : 1) * sizeof(*ma));
	size_t *ia = NULL, *ib = NULL, *mx = NULL, nia = 0, nib = 0;
	uint64_t *xa = NULL, *xb = NULL;
	int r = -ENOMEM;

	if (!ma)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++)
		ma[i] = NO_MATCH;
	if (a->anchor && b->anchor) {
		for (size_t i = 0; i < a->n; i++)
			nia += a->anchor[i] != 0;
		for (size_t j = 0; j < b->n; j++)
			nib += b->anchor[j] != 0;
	}
	ia = malloc((nia + 1) * sizeof(*ia));
	ib = malloc((nib + 1) * sizeof(*ib));
	xa = malloc((nia + 1) * sizeof(*xa));
	xb = malloc((nib + 1) * sizeof(*xb));
	mx = malloc((nia + 1) * sizeof(*mx));
	if (!ia || !ib || !xa || !xb || !mx)
		goto out;
	nia = nib = 0;
	if (a->anchor && b->anchor) {
		for (size_t i = 0; i < a->n; i++)
			if (a->anchor[i]) {
				xa[nia] = a->key[i];
				ia[nia++] = i;
			}
		for (size_t j = 0; j < b->n; j++)
			if (b->anchor[j]) {
				xb[nib] = b->key[j];
				ib[nib++] = j;
			}
	}
	if ((r = align_keys(xa, nia, xb, nib, mx, stats)))
		goto out;
	/* Each stretch between matched anchors (and before the first, after
	 * the last) is aligned on its own, into the one map. */
	size_t pa = 0, pb = 0;
	for (size_t x = 0; x <= nia; x++) {
		size_t ea = a->n, eb = b->n;
		if (x < nia) {
			if (mx[x] == NO_MATCH)
				continue;
			ea = ia[x];
			eb = ib[mx[x]];
		}
		if ((r = align_keys(a->key + pa, ea - pa, b->key + pb, eb - pb, ma + pa, stats)))
			goto out;
		for (size_t i = pa; i < ea; i++)
			if (ma[i] != NO_MATCH)
				ma[i] += pb;
		if (x < nia) {
			ma[ea] = eb;
			pa = ea + 1;
			pb = eb + 1;
		}
	}
	r = 0;
out:
	free(ia);
	free(ib);
	free(xa);
	free(xb);
	free(mx);
	if (r) {
		free(ma);
		return r;
	}
	*out = ma;
	return 0;
}

struct runs {
	struct diff_run *v;
	size_t n, cap;
};

static int emit(struct runs *rs, enum diff_op op, size_t a, size_t b)
{
	struct diff_run *last = rs->n ? &rs->v[rs->n - 1] : NULL;
	size_t da = op == DIFF_INSERTED ? 0 : 1, db = op == DIFF_REMOVED ? 0 : 1;

	if (last && last->op == op && last->a + last->na == a && last->b + last->nb == b) {
		last->na += da;
		last->nb += db;
		return 0;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct diff_run *v = realloc(rs->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = (struct diff_run){ op, a, da, b, db };
	return 0;
}

struct pairing {
	size_t *pa;  /* hunk-relative A index -> hunk-relative B index */
};

static void pair_match(void *ctx, size_t i, size_t j)
{
	((struct pairing *)ctx)->pa[i] = j;
}

/* A hunk: A's [i0, i1) and B's [j0, j1) unmatched between two matches.
 * Events of the same shape are paired as changed (a shortest edit script
 * over the shapes), the rest removed, then inserted. */
static int emit_hunk(struct runs *rs, const struct diff_seq *a, const struct diff_seq *b, size_t i0, size_t i1,
		     size_t j0, size_t j1)
{
	size_t na = i1 - i0, nb = j1 - j0;
	struct pairing pr = { NULL };
	int r = 0;

	if (na && nb) {
		if (!(pr.pa = malloc(na * sizeof(*pr.pa))))
			return -ENOMEM;
		for (size_t i = 0; i < na; i++)
			pr.pa[i] = NO_MATCH;
		r = diff_myers(a->shape + i0, na, b->shape + j0, nb, DIFF_MYERS_MAX_EDITS, 64ull * (na + nb) + (16u << 20),
			       pair_match, &pr);
		if (r < 0)
			goto out;
		if (r == DIFF_MYERS_GAVE_UP) /* too different to pair well: pair in lockstep where shapes agree */
			for (size_t i = 0; i < na && i < nb; i++)
				if (a->shape[i0 + i] == b->shape[j0 + i])
					pr.pa[i] = i;
		r = 0;
	}
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		size_t pj = i < na && pr.pa ? pr.pa[i] : NO_MATCH;
		if (i < na && pj == j)
			r = emit(rs, DIFF_CHANGED, i0 + i++, j0 + j++);
		else if (i < na && pj == NO_MATCH)
			r = emit(rs, DIFF_REMOVED, i0 + i++, j0 + j);
		else /* B's event before A's next pair (or after A's last) */
			r = emit(rs, DIFF_INSERTED, i0 + i, j0 + j++);
		if (r)
			goto out;
	}
out:
	free(pr.pa);
	return r;
}

int diff_align(const struct diff_seq *a, const struct diff_seq *b, struct diff_run **runs, size_t *n_runs,
	       struct diff_align_stats *stats)
{
	struct runs rs = { 0 };
	size_t *ma = NULL;
	int r;

	*runs = NULL;
	*n_runs = 0;
	if (!a->n || !b->n) {
		/* one side empty (its arrays may be NULL): all removed or inserted */
		if (!a->n && !b->n)
			return 0;
		if (!(rs.v = malloc(sizeof(*rs.v))))
			return -ENOMEM;
		rs.v[0] = a->n ? (struct diff_run){ DIFF_REMOVED, 0, a->n, 0, 0 } : (struct diff_run){ DIFF_INSERTED, 0, 0, 0, b->n };
		*runs = rs.v;
		*n_runs = 1;
		return 0;
	}
	if ((r = align_anchored(a, b, &ma, stats)))
		return r;
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		if (i < a->n && ma[i] == j) {
			if ((r = emit(&rs, DIFF_SAME, i++, j++)))
				goto fail;
			continue;
		}
		size_t i1 = i;
		while (i1 < a->n && ma[i1] == NO_MATCH)
			i1++;
		size_t j1 = i1 < a->n ? ma[i1] : b->n;
		if ((r = emit_hunk(&rs, a, b, i, i1, j, j1)))
			goto fail;
		i = i1;
		j = j1;
	}
	free(ma);
	*runs = rs.v;
	*n_runs = rs.n;
	return 0;
fail:
	free(ma);
	free(rs.v);
	return r;
}
