/* diff_align (diff/diff_align.h): the runs cover both sequences in
 * order and say the truth (same runs have equal keys, changed runs equal
 * shapes); one inserted, removed or changed event is found where it is,
 * also in a long run of identical events; anchors hold; a shortest edit
 * script is found where nothing is rare; and pieces with nothing in
 * common end as one changed run instead of taking forever. */
#include <stdlib.h>

#include "diff/diff_align.h"
#include "diff/diff_myers.h"
#include "tests/harness.h"

struct seqbuf {
	uint64_t key[4096], shape[4096];
	uint8_t anchor[4096];
	size_t n;
};

/* Events from a string: each letter an event (its key), its shape the
 * letter's case-folded form when shapes is set, a capital an anchor. */
static struct diff_seq from_text(struct seqbuf *b, const char *s, bool anchors)
{
	b->n = 0;
	for (; *s; s++) {
		b->key[b->n] = (unsigned char)*s;
		b->shape[b->n] = (unsigned char)(*s | 0x20);
		b->anchor[b->n] = *s >= 'A' && *s <= 'Z';
		b->n++;
	}
	return (struct diff_seq){ b->key, b->shape, anchors ? b->anchor : NULL, b->n };
}

/* The runs must tile both sequences, in order, and be truthful. */
static void check_runs(const struct diff_seq *a, const struct diff_seq *b, const struct diff_run *r, size_t n)
{
	size_t i = 0, j = 0;

	for (size_t k = 0; k < n; k++) {
		CHECK_EQ_U(r[k].a, i);
		CHECK_EQ_U(r[k].b, j);
		if (r[k].op == DIFF_SAME || r[k].op == DIFF_CHANGED)
			CHECK_EQ_U(r[k].na, r[k].nb);
		if (r[k].op == DIFF_REMOVED)
			CHECK_EQ_U(r[k].nb, 0);
		if (r[k].op == DIFF_INSERTED)
			CHECK_EQ_U(r[k].na, 0);
		for (size_t x = 0; x < r[k].na && x < r[k].nb; x++) {
			if (r[k].op == DIFF_SAME)
				CHECK(a->key[i + x] == b->key[j + x]);
			else
				CHECK(a->shape[i + x] == b->shape[j + x]);
		}
		if (k)
			CHECK(r[k].op != r[k - 1].op || r[k].op == DIFF_CHANGED || r[k].op == DIFF_REMOVED ||
			      r[k].op == DIFF_INSERTED);
		i += r[k].na;
		j += r[k].nb;
	}
	CHECK_EQ_U(i, a->n);
	CHECK_EQ_U(j, b->n);
}

/* "S3 R1 S4": the runs as text, for exact expectations. */
static const char *runs_text(const struct diff_run *r, size_t n, char *buf, size_t len)
{
	static const char op[] = "SCRI";
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && o < len; k++)
		o += (size_t)snprintf(buf + o, len - o, "%s%c%zu", k ? " " : "", op[r[k].op],
				      r[k].op == DIFF_INSERTED ? r[k].nb : r[k].na);
	return buf;
}

static void expect(const char *x, const char *y, bool anchors, const char *want)
{
	static struct seqbuf ba, bb;
	struct diff_seq a = from_text(&ba, x, anchors), b = from_text(&bb, y, anchors);
	struct diff_run *r;
	size_t n;
	char buf[256];

	CHECK_EQ_U(diff_align(&a, &b, &r, &n, NULL), 0);
	check_runs(&a, &b, r, n);
	runs_text(r, n, buf, sizeof(buf));
	if (strcmp(buf, want))
		fprintf(stderr, "  '%s' vs '%s': got '%s', want '%s'\n", x, y, buf, want);
	CHECK_STR(buf, want);
	free(r);
}

static void test_simple(void)
{
	expect("abcdef", "abcdef", false, "S6");
	expect("", "", false, "");
	expect("abc", "", false, "R3");
	expect("", "abc", false, "I3");
	expect("abcdef", "abcxdef", false, "S3 I1 S3");
	expect("abcdef", "abdef", false, "S2 R1 S3");
	/* same shape: changed, not removed and inserted */
	expect("abcdef", "abCdef", false, "S2 C1 S3");
}

/* One extra request in a run of identical ones: the extra is found, the
 * rest is the same (no "everything after it differs"). */
static void test_repetitive(void)
{
	char a[1200], b[1200];
	size_t o = 0;

	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(a + o, sizeof(a) - o, "nirk");
	memcpy(b, a, o);
	memcpy(b + o, "nirk", 5);
	expect(a, b, false, "S400 I4");
	/* the extra one in the middle, and a changed value inside one */
	memcpy(b, a, 200);
	memcpy(b + 200, "nirk", 4);
	memcpy(b + 204, a + 200, 201);
	expect(a, b, false, "S400 I4");
	memcpy(b, a, 401);
	b[202] = 'R';
	expect(a, b, false, "S202 C1 S197");
}

/* Anchors are aligned first: an event shared across an anchor is not
 * matched over it. */
static void test_anchors(void)
{
	/* Without anchors, the x of B after its S would match A's x before
	 * A's S only if the alignment crossed the anchor; with them, S-S
	 * holds and each side's extra x stays on its own side. */
	expect("aSxb", "aSbx", true, "S2 R1 S1 I1");
	expect("aQxxSy", "aQxSyy", true, "S3 R1 S2 I1");
	/* an anchor with another value: changed, the rest aligned around it */
	expect("abSdeT", "abSdet", true, "S5 C1");
}

static size_t lcs(const uint64_t *x, size_t n, const uint64_t *y, size_t m)
{
	static unsigned t[65][65];

	for (size_t i = 0; i <= n; i++)
		for (size_t j = 0; j <= m; j++)
			t[i][j] = !i || !j ? 0 : x[i - 1] == y[j - 1] ? t[i - 1][j - 1] + 1
				: t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
	return t[n][m];
}

static size_t n_matched;
static void count_match(void *ctx, size_t i, size_t j)
{
	const uint64_t **xy = ctx;
	CHECK(xy[0][i] == xy[1][j]);
	n_matched++;
}

/* Myers finds a longest common subsequence (within its bound). */
static void test_myers_optimal(void)
{
	uint64_t x[64], y[64];

	srand(7);
	for (int round = 0; round < 500; round++) {
		size_t n = (size_t)rand() % 64, m = (size_t)rand() % 64;
		for (size_t i = 0; i < n; i++)
			x[i] = (uint64_t)(rand() % 4);
		for (size_t j = 0; j < m; j++)
			y[j] = (uint64_t)(rand() % 4);
		const uint64_t *xy[2] = { x, y };
		n_matched = 0;
		CHECK_EQ_U(diff_myers(x, n, y, m, 1000, UINT64_MAX, count_match, xy), 0);
		CHECK_EQ_U(n_matched, lcs(x, n, y, m));
	}
}

/* Random pairs: whatever the input, the runs tile and are truthful. */
static void test_random(void)
{
	static struct seqbuf ba, bb;

	srand(11);
	for (int round = 0; round < 300; round++) {
		ba.n = (size_t)rand() % 300;
		bb.n = (size_t)rand() % 300;
		for (size_t i = 0; i < ba.n; i++) {
			ba.key[i] = (uint64_t)(rand() % 9);
			ba.shape[i] = ba.key[i] % 3;
			ba.anchor[i] = ba.key[i] == 0;
		}
		for (size_t j = 0; j < bb.n; j++) {
			bb.key[j] = (uint64_t)(rand() % 9);
			bb.shape[j] = bb.key[j] % 3;
			bb.anchor[j] = bb.key[j] == 0;
		}
		struct diff_seq a = { ba.key, ba.shape, ba.anchor, ba.n }, b = { bb.key, bb.shape, bb.anchor, bb.n };
		struct diff_run *r;
		size_t n;
		CHECK_EQ_U(diff_align(&a, &b, &r, &n, NULL), 0);
		check_runs(&a, &b, r, n);
		size_t same = 0;
		for (size_t k = 0; k < n; k++)
			same += r[k].op == DIFF_SAME ? r[k].na : 0;
		if (a.n <= 64 && b.n <= 64)
			CHECK(same <= lcs(a.key, a.n, b.key, b.n));
		free(r);
	}
}

/* Two long sequences with nothing rare and too many differences: the
 * edit script gives up and the piece is one changed run, quickly. */
static void test_gives_up(void)
{
	size_t n = 200000;
	uint64_t *ka = malloc(n * sizeof(*ka)), *kb = malloc(n * sizeof(*kb)), *sh = calloc(n, sizeof(*sh));
	struct diff_align_stats st = { 0 };

	for (size_t i = 0; i < n; i++) {
		ka[i] = i % 2;
		kb[i] = (i / 2) % 2 + 2 * ((i % 7) == 0);
	}
	struct diff_seq a = { ka, sh, NULL, n }, b = { kb, sh, NULL, n };
	struct diff_run *r;
	size_t nr;
	CHECK_EQ_U(diff_align(&a, &b, &r, &nr, &st), 0);
	check_runs(&a, &b, r, nr);
	CHECK(st.myers_gave_up >= 1);
	free(r);
	free(ka);
	free(kb);
	free(sh);
}

int main(void)
{
	RUN(test_simple);
	RUN(test_repetitive);
	RUN(test_anchors);
	RUN(test_myers_optimal);
	RUN(test_random);
	RUN(test_gives_up);
	return harness_finish("test_diff_align");
}
