/* The inspector's questions to the trace (tui/query): "who set this?"
 * targets and the w/W, o/O, d/D moves on the samples, against the seqs
 * `vmtrace show` prints for them (the comments quote its lines).
 *
 *   test_tui_query violations.db qemu-linux-modern.db
 *   test_tui_query --print TRACE.db SEQ...   (what each finds, for writing cases) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"
#include "tui/query/tui_nav.h"
#include "tui/query/tui_who.h"

static struct tdb *t;
static struct tdb_cursor *one;

/* The event at seq (a cursor over [seq, seq]). */
static const struct tdb_event *event_at(uint64_t seq)
{
	static struct tdb_event row;

	tdb_cursor_close(one);
	one = NULL;
	struct tdb_filter f;
	tdb_filter_init(&f);
	f.has_from = f.has_to = true;
	f.from = f.to = seq;
	if (tdb_cursor_open(t, &f, TDB_FORWARD, &one) || tdb_cursor_next(one, &row)) {
		fprintf(stderr, "no event %" PRIu64 "\n", seq);
		exit(1);
	}
	return &row;
}

/* Who-set-this targets of seq as "s1 s2 ..." */
static const char *who(uint64_t seq)
{
	static char buf[256];
	struct tui_who w;
	size_t k = 0;

	buf[0] = '\0';
	int r = tui_who_find(t, event_at(seq), -1, -1, &w);
	if (r)
		return "error";
	for (size_t i = 0; i < w.n; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%" PRIu64, i ? " " : "", w.target[i].seq);
	return buf;
}

/* A move from seq: the seq it goes to, or -1 (nothing that way), -2 (an error). */
enum move { W, O, D };
static int64_t move(enum move kind, uint64_t seq, bool forward)
{
	char what[TUI_NAV_WHAT_MAX];
	uint64_t to;
	int r = kind == W ? tui_nav_status(t, event_at(seq)->device, seq, forward, &to, what, sizeof(what))
		: kind == O ? tui_nav_request(t, event_at(seq), -1, forward, &to, what, sizeof(what))
			    : tui_nav_devq(t, event_at(seq), forward, &to, what, sizeof(what));
	return r == 0 ? (int64_t)to : r == TDB_END ? -1 : -2;
}

static void open_trace(const char *path)
{
	char err[512];

	tdb_cursor_close(one);
	one = NULL;
	tdb_close(t);
	if (tdb_open(&t, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

static int print(const char *path, int n, char **seqs)
{
	open_trace(path);
	for (int i = 0; i < n; i++) {
		uint64_t seq = strtoull(seqs[i], NULL, 0);
		struct tui_who w;
		char what[TUI_NAV_WHAT_MAX];
		uint64_t to;
		if (tui_who_find(t, event_at(seq), -1, -1, &w) == 0)
			for (size_t k = 0; k < w.n; k++)
				printf("%" PRIu64 " who %" PRIu64 " %s\n", seq, w.target[k].seq, w.target[k].what);
		for (int f = 1; f >= 0; f--) {
			int r = tui_nav_status(t, event_at(seq)->device, seq, f, &to, what, sizeof(what));
			printf("%" PRIu64 " %c %d %" PRIu64 " %s\n", seq, f ? 'w' : 'W', r, to, what);
			r = tui_nav_request(t, event_at(seq), -1, f, &to, what, sizeof(what));
			printf("%" PRIu64 " %c %d %" PRIu64 " %s\n", seq, f ? 'o' : 'O', r, to, what);
			r = tui_nav_devq(t, event_at(seq), f, &to, what, sizeof(what));
			printf("%" PRIu64 " %c %d %" PRIu64 " %s\n", seq, f ? 'd' : 'D', r, to, what);
		}
	}
	tdb_cursor_close(one);
	tdb_close(t);
	return 0;
}

/* violations.db (the emulator's driver with injected mistakes) */
static void who_violations(void)
{
	/* 53 W QueueNum while q0 is live: 52 W QueueReady 1 made it one; 45
	 * set the QueueNum it replaced; 28 W QueueSel 0 selected q0 */
	CHECK_STR(who(53), "52 45 28");
	/* 56 W QueueNum: 55 W QueueReady 0 not read back */
	CHECK_STR(who(56), "55 45 28");
	/* 43 W QueueNum 1024: 42 R QueueNumMax 256 */
	CHECK_STR(who(43), "42 28");
	/* 9 W Status DRIVER_OK before FEATURES_OK: 8 the Status before */
	CHECK_STR(who(9), "8");
	/* 28 W QueueSel, features-ok-not-reread: 26 W Status FEATURES_OK */
	CHECK_STR(who(28), "26");
	/* 92 W QueueNotify before DRIVER_OK: 91 W Status 0 (the reset) */
	CHECK_STR(who(92), "91");
	/* 78 W InterruptACK 0x5 (undefined bits): 77 R InterruptStatus 0x1
	 * it acknowledges (the first ACK: no value replaced) */
	CHECK_STR(who(78), "77");
	/* 11 R Status 0x7: 9 W Status 0x7 */
	CHECK_STR(who(11), "9");
	/* 90 R Status 0x4f (NEEDS_RESET, the device's): 87 irq config-change,
	 * 61 W Status 0xf the value before */
	CHECK_STR(who(90), "87 61");
	/* 86, the emulator's own violation record: 84, the event the decoder found broke the rule */
	CHECK_STR(who(86), "84");
	/* 73 mem used.idx (request 1's used entry): its chain's avail 69, notify 70, interrupt 74 */
	CHECK_STR(who(73), "69 70 74");
	/* 70 W QueueNotify: the request's avail 69, used 73, interrupt 74 */
	CHECK_STR(who(70), "69 73 74");
	/* 16 R DeviceFeatures before any DeviceFeaturesSel write: nothing set it */
	CHECK_STR(who(16), "");
}

static void moves_violations(void)
{
	/* status changes: 9 set DRIVER_OK, 12 reset; from 11 */
	CHECK_EQ_U(move(W, 11, true), 12);
	CHECK_EQ_U(move(W, 11, false), 9);
	/* 0: nothing before the first */
	CHECK_EQ_U(move(W, 0, false), (uint64_t)-1);
	/* request 1: avail 69, notify 70, used 73, irq 74 */
	CHECK_EQ_U(move(O, 70, true), 73);
	CHECK_EQ_U(move(O, 73, true), 74);
	CHECK_EQ_U(move(O, 70, false), 69);
	CHECK_EQ_U(move(O, 74, true), (uint64_t)-1);
	CHECK_EQ_U(move(O, 11, true), (uint64_t)-1);
	/* q0's accesses: 43 W QueueNum -> 45 W QueueNum, back to 42 R QueueNumMax */
	CHECK_EQ_U(move(D, 43, true), 45);
	CHECK_EQ_U(move(D, 43, false), 42);
	/* no queue (Status): the device's next event */
	CHECK_EQ_U(move(D, 11, true), 12);
	CHECK_EQ_U(move(D, 92, false), 85);
}

/* qemu-linux-modern.db (a Linux boot, best-effort ring copies) */
static void who_qemu(void)
{
	/* 67 R Status 0xb: 39 W Status 0xb */
	CHECK_STR(who(67), "39");
	/* 77 R InterruptStatus 0x1, request 1's interrupt: used 76, avail 72, notify 73, then the old value (4) */
	CHECK_STR(who(77), "76 72 73 4");
	/* 76 mem used ring, request 1's used entry: avail 72, notify 73, interrupt 77 */
	CHECK_STR(who(76), "72 73 77");
}

static void moves_qemu(void)
{
	/* the blk device (w follows the cursor's device) reaches DRIVER_OK
	 * at 68, and is reset at 1156; the rng's Status went on at 101 */
	CHECK_EQ_U(move(W, 40, true), 68);
	CHECK_EQ_U(move(W, 68, true), 1156);
	CHECK_EQ_U(move(W, 1156, true), (uint64_t)-1);
	CHECK_EQ_U(move(W, 101, false), 13);
	/* a guest memory event names no device: any device's */
	CHECK_EQ_U(move(W, 74, true), 101);
	/* request 1: 72 avail, 73 notify, 76 used, 77 InterruptStatus */
	CHECK_EQ_U(move(O, 72, true), 73);
	CHECK_EQ_U(move(O, 76, true), 77);
	CHECK_EQ_U(move(O, 72, false), (uint64_t)-1);
	/* q0: notify 73 -> used ring 76 (memory with no device, in q0's used ring) */
	CHECK_EQ_U(move(D, 73, true), 76);
	CHECK_EQ_U(move(D, 76, false), 73);
	/* a buffer's memory names no device */
	CHECK_EQ_U(move(D, 74, true), (uint64_t)-1);
	/* nor request in the file; with the formatter's name for it
	 * ("(request 1 blk in: buffer 2 of 3)"): request 1's used entry 76
	 * after it, its notify 73 before */
	char what[TUI_NAV_WHAT_MAX];
	uint64_t to = 0;
	CHECK_EQ_U(tui_nav_request(t, event_at(74), 1, true, &to, what, sizeof(what)), 0);
	CHECK_EQ_U(to, 76);
	CHECK_EQ_U(tui_nav_request(t, event_at(74), 1, false, &to, what, sizeof(what)), 0);
	CHECK_EQ_U(to, 73);
	/* a name the file does not back: nothing */
	CHECK_EQ_U(tui_nav_request(t, event_at(74), 99999, true, &to, what, sizeof(what)), TDB_END);
	struct tui_who w;
	CHECK_EQ_U(tui_who_find(t, event_at(74), 1, -1, &w), 0);
	CHECK_EQ_U(w.n, 4);
	CHECK_EQ_U(w.target[0].seq, 72);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--print"))
		return print(argv[2], argc - 3, argv + 3);
	if (argc < 3) {
		fprintf(stderr, "usage: test_tui_query violations.db qemu-linux-modern.db\n");
		return 2;
	}
	open_trace(argv[1]);
	RUN(who_violations);
	RUN(moves_violations);
	open_trace(argv[2]);
	RUN(who_qemu);
	RUN(moves_qemu);
	tdb_cursor_close(one);
	tdb_close(t);
	return harness_finish(argv[0]);
}
