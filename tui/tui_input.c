/* Keys to actions (tui_input.h). */
#include "tui/tui_input.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"
#include "tui/query/tui_nav.h"
#include "tui/query/tui_who.h"
#include "tui/sql/tui_sql.h"
#include "tui/tui_app.h"
#include "tui/tui_model.h"
#include "tui/views/tui_listview.h"

const char *const tui_help_lines[] = {
	"vmtrace tui: keys (the event list shows each event as 'vmtrace show' does)",
	"",
	"Where to start: 2 lists the devices and Enter goes to where one reached",
	"DRIVER_OK (w / W then step through its status changes); 3 lists the requests,",
	"s there sorts them by latency (the slowest first) and Enter goes to its notify;",
	"e jumps to the next broken rule, with what the driver did before it in the",
	"lines above, and s there to the earlier event that made it one.  1 or Esc",
	"returns to the event list.",
	"",
	"Moving",
	"  j, Down, k, Up      next / previous event",
	"  PgDn, PgUp          a screen down / up",
	"  g, Home, G, End     first / last event",
	"  :SEQ Enter          go to event SEQ (or the next one there is)",
	"  /TEXT Enter         find TEXT in the lines after the cursor (any case)",
	"  n, N                the next / previous line with TEXT",
	"  e, E                the next / previous event marked '!' or '~'",
	"  w, W                the next / previous status change of the cursor's device",
	"                      (Status written, reset; of any device on an event of none)",
	"  o, O                the next / previous event of the cursor's request",
	"  d, D                the next / previous event of the cursor's device and queue",
	"  s                   who set this? jump to what produced the cursor's event",
	"                      (listed under 'who set this?' in the detail pane);",
	"                      s again: the next one, then back where it started",
	"  m a-z, ' a-z        set a mark / jump to it;  ''  back to where the last jump started",
	"",
	"Filters (each from the event under the cursor; they all hold at once)",
	"  f d, f q, f t, f v  only its device / its queue / its event type / violations",
	"  Backspace           drop the last filter (the header shows them: filter: a > b)",
	"",
	"Views (the header shows them as tabs)",
	"  1                   the events (this list)",
	"  2 3 4 5             devices, requests, violations and anomalies, queue generations;",
	"                      Enter jumps to the event in view 1, Esc back; in 3, s sorts",
	"                      (seq, latency, size), f the kind; in 4, f violations/anomalies only",
	"  ;SQL Enter          run one SELECT on the trace (read-only, 2 s at most, ^C stops",
	"                      it); the rows are a view: j/k PgDn/PgUp scroll, Left/Right",
	"                      columns, ; another query, Esc back",
	"",
	"  Tab                 focus: list -> detail -> state (j/k/PgDn scroll a pane)",
	"  Enter               focus the detail pane",
	"  ?, F1               this help (any key closes it)",
	"  q                   quit",
	"",
	"Columns: '>' the cursor; '!' the event broke a rule (a violation), '~' an",
	"anomaly (a snapshot that looks like one); seq; time since the first event",
	"(us); device; what the event did: R/W register accesses with their meaning,",
	"mem (guest memory, named by ring or request), irq, queue (device reports).",
	"The strip under the header is the whole trace in time: ' .:-=+*#' how many",
	"events, '!' violations, 's' status changes, 'R' resets, '^' the cursor.",
	"",
	"Detail: the event under the cursor: register, bytes in hex and ASCII, its",
	"chain and request (notify -> used -> irq latency), each violation with its",
	"rule, spec section and message, and who set this.  State: the device of the",
	"event under the cursor as it stood at that event (moving the cursor moves",
	"time): Status, features offered, accepted and negotiated, queues, registers",
	"and the seq that set each.  Without colour (NO_COLOR, -C) the letters say it all.",
	NULL,
};

/* Seq typed after ':' (decimal, or hex with 0x). */
static int parse_seq(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static unsigned run_search(struct tui_app *a, const char *pattern, bool forward, int *err)
{
	bool found;
	uint64_t stopped;
	int r = tui_model_search(a->m, pattern, forward, &found, &stopped);

	if (r) {
		*err = r;
		return TUI_FAIL;
	}
	if (!a->m->pattern[0]) {
		snprintf(a->msg, sizeof(a->msg), "no search yet: / and the text");
	} else if (!found && stopped == UINT64_MAX) {
		snprintf(a->msg, sizeof(a->msg), "'%.160s' not found %s", a->m->pattern,
			 forward ? "after the cursor" : "before the cursor");
	} else if (!found) {
		/* the budget ran out: the cursor goes there, n goes on */
		r = tui_model_goto(a->m, stopped);
		if (r) {
			*err = r;
			return TUI_FAIL;
		}
		snprintf(a->msg, sizeof(a->msg), "'%.120s' not in the %u events looked at (up to seq %" PRIu64 "): %s goes on",
			 a->m->pattern, TUI_SEARCH_BUDGET, stopped, forward ? "n" : "N");
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* Run the SQL typed at ';' and show its rows (an empty line: the last
 * result again). */
static unsigned run_sql(struct tui_app *a, int *err)
{
	if (!a->plen) {
		if (a->sql_text[0])
			a->sql_shown = true;
		else
			snprintf(a->msg, sizeof(a->msg), "no query: ; then a SELECT, e.g. ;select * from device_summary");
		return TUI_HANDLED | TUI_REDRAW;
	}
	tui_sql_result_clear(&a->sql);
	snprintf(a->sql_text, sizeof(a->sql_text), "%s", a->pbuf);
	a->sql_stop = 0;
	int r = tui_sql_run(a->m->path, a->sql_text, a->sql_limit_ms, &a->sql_stop, &a->sql);
	a->sql_stop = 0;
	if (r) {
		*err = r;
		return TUI_FAIL;
	}
	a->sql_shown = true;
	a->sql_top = a->sql_left = 0;
	return TUI_HANDLED | TUI_REDRAW;
}

/* A key while an SQL result is shown: scroll it, another query, back. */
static unsigned sql_key(struct tui_app *a, int key)
{
	size_t page = a->sql_h > 1 ? (size_t)a->sql_h : 1;

	switch (key) {
	case 'j':
	case TUI_KEY_DOWN: a->sql_top++; break;
	case 'k':
	case TUI_KEY_UP: a->sql_top = a->sql_top ? a->sql_top - 1 : 0; break;
	case TUI_KEY_PGDN:
	case ' ': a->sql_top += page; break;
	case TUI_KEY_PGUP: a->sql_top = a->sql_top > page ? a->sql_top - page : 0; break;
	case 'g':
	case TUI_KEY_HOME: a->sql_top = 0; break;
	case 'G':
	case TUI_KEY_END: a->sql_top = SIZE_MAX / 2; break; /* clamped when drawn */
	case 'l':
	case TUI_KEY_RIGHT: a->sql_left++; break;
	case 'h':
	case TUI_KEY_LEFT: a->sql_left = a->sql_left ? a->sql_left - 1 : 0; break;
	case ';':
		a->prompt = TUI_PROMPT_SQL;
		a->plen = 0;
		a->pbuf[0] = '\0';
		break;
	case '?':
	case TUI_KEY_F1:
		a->help = true;
		a->help_top = 0;
		break;
	case TUI_KEY_ESC:
	case 'q':
	case '1':
		a->sql_shown = false;
		break;
	default: return TUI_HANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* The cursor's seq (false: no event there with a seq). */
static bool cur_seq(struct tui_app *a, uint64_t *seq)
{
	const struct tui_line *l = tui_model_cur(a->m);

	if (!l || !l->seq_ok)
		return false;
	*seq = l->seq;
	return true;
}

/* w/W, o/O, d/D: the move's target, the cursor there, what it is said. */
static unsigned nav_key(struct tui_app *a, int key, int *err)
{
	char what[TUI_NAV_WHAT_MAX];
	struct tdb_event row;
	bool fwd = key == 'w' || key == 'o' || key == 'd';
	uint64_t seq, to;
	int r;

	if (!cur_seq(a, &seq)) {
		snprintf(a->msg, sizeof(a->msg), "no event under the cursor");
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (key == 'w' || key == 'W') {
		/* the cursor's device's (any device's on an event of none) */
		const struct tui_line *l = tui_model_cur(a->m);
		r = tui_nav_status(a->m->t, l ? l->device : -1, seq, fwd, &to, what, sizeof(what));
	} else {
		if ((r = tui_model_event(a->m, seq, &row)) == 0)
			r = key == 'o' || key == 'O' ? tui_nav_request(a->m->t, &row, tui_app_line_request(tui_model_cur(a->m)), fwd,
								       &to, what, sizeof(what))
						     : tui_nav_devq(a->m->t, &row, fwd, &to, what, sizeof(what));
	}
	if (r == TDB_END) {
		snprintf(a->msg, sizeof(a->msg), "%s", what);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (r == 0)
		r = tui_model_goto(a->m, to);
	if (r) {
		*err = r;
		return TUI_FAIL;
	}
	a->focus = TUI_FOCUS_LIST;
	snprintf(a->msg, sizeof(a->msg), "%c: seq %" PRIu64 " %.200s", key, to, what);
	return TUI_HANDLED | TUI_REDRAW;
}

/* s: the first target of who set the cursor's event, or the next one
 * of the walk the cursor is on, and after the last back to the start. */
static unsigned who_key(struct tui_app *a, int *err)
{
	struct tdb_event row;
	uint64_t seq, to;
	int r;

	if (!cur_seq(a, &seq)) {
		snprintf(a->msg, sizeof(a->msg), "no event under the cursor");
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (a->walk_on && a->walk_next > 0 && a->walk_next <= a->walk.n && seq == a->walk.target[a->walk_next - 1].seq) {
		if (a->walk_next == a->walk.n) {
			to = a->walk.seq;
			a->walk_on = false;
			snprintf(a->msg, sizeof(a->msg), "s: back at seq %" PRIu64 ", where the walk started", to);
		} else {
			to = a->walk.target[a->walk_next].seq;
			a->walk_next++;
		}
	} else {
		r = tui_model_event(a->m, seq, &row);
		if (r == 0)
			r = tui_who_find(a->m->t, &row, tui_app_line_request(tui_model_cur(a->m)), a->m->prefer_request,
					 &a->walk);
		if (r > 0 && r != TDB_END) {
			snprintf(a->msg, sizeof(a->msg), "who set this? %s", tdb_errmsg(a->m->t));
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (r) {
			*err = r;
			return TUI_FAIL;
		}
		if (a->walk.n == 0) {
			a->walk_on = false;
			snprintf(a->msg, sizeof(a->msg), "who set seq %" PRIu64 "? nothing in the trace produced it or links to it", seq);
			return TUI_HANDLED | TUI_REDRAW;
		}
		a->walk_on = true;
		a->walk_next = 1;
		to = a->walk.target[0].seq;
	}
	if ((r = tui_model_goto(a->m, to)) != 0) {
		*err = r;
		return TUI_FAIL;
	}
	a->focus = TUI_FOCUS_LIST;
	if (a->walk_on)
		snprintf(a->msg, sizeof(a->msg), "s %zu/%zu: seq %" PRIu64 " %s%s", a->walk_next, a->walk.n, to,
			 a->walk.target[a->walk_next - 1].what, a->walk_next < a->walk.n ? "  (s: the next)" : "  (s: back)");
	return TUI_HANDLED | TUI_REDRAW;
}

/* The key after m, ' or f. */
static unsigned pending_key(struct tui_app *a, int key, int *err)
{
	enum tui_pending p = a->pending;
	uint64_t seq;
	int r = 0;

	a->pending = TUI_PENDING_NONE;
	if (key == TUI_KEY_ESC)
		return TUI_HANDLED | TUI_REDRAW;
	if (p == TUI_PENDING_MARK) {
		if (key < 'a' || key > 'z') {
			snprintf(a->msg, sizeof(a->msg), "m names a mark with a letter a-z");
		} else if (!cur_seq(a, &seq)) {
			snprintf(a->msg, sizeof(a->msg), "no event under the cursor to mark");
		} else {
			a->mark_set[key - 'a'] = true;
			a->mark[key - 'a'] = seq;
			snprintf(a->msg, sizeof(a->msg), "mark '%c at seq %" PRIu64 " (' %c comes back here)", key, seq, key);
		}
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (p == TUI_PENDING_JUMP) {
		uint64_t from = 0;
		bool had = cur_seq(a, &from);
		if (key == '\'') {
			if (!a->back_ok) {
				snprintf(a->msg, sizeof(a->msg), "'' goes back to where a jump started: no jump yet");
				return TUI_HANDLED | TUI_REDRAW;
			}
			r = tui_model_goto(a->m, a->back_seq);
		} else if (key >= 'a' && key <= 'z' && a->mark_set[key - 'a']) {
			r = tui_model_goto(a->m, a->mark[key - 'a']);
		} else {
			snprintf(a->msg, sizeof(a->msg), key >= 'a' && key <= 'z' ? "no mark '%c (m%c sets it)" : "' then a mark's letter a-z, or ' for back",
				 key, key);
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (r) {
			*err = r;
			return TUI_FAIL;
		}
		a->focus = TUI_FOCUS_LIST;
		if (key == '\'' && had)
			snprintf(a->msg, sizeof(a->msg), "'': back at seq %" PRIu64 " ('' again: seq %" PRIu64 ")", a->back_seq, from);
		else if (key == '\'')
			snprintf(a->msg, sizeof(a->msg), "'': back at seq %" PRIu64, a->back_seq);
		else
			snprintf(a->msg, sizeof(a->msg), "'%c: the mark at seq %" PRIu64, key, a->mark[key - 'a']);
		return TUI_HANDLED | TUI_REDRAW;
	}
	/* f: a filter from the cursor's event */
	static const struct {
		int key;
		enum tui_filter_kind kind;
		const char *what;
	} fk[] = {
		{ 'd', TUI_FILTER_DEVICE, "device" },
		{ 'q', TUI_FILTER_QUEUE, "queue" },
		{ 't', TUI_FILTER_TYPE, "event type" },
		{ 'v', TUI_FILTER_VIOLATIONS, "violations" },
	};
	for (size_t i = 0; i < sizeof(fk) / sizeof(fk[0]); i++) {
		if (fk[i].key != key)
			continue;
		bool empty = false;
		r = tui_model_filter_push(a->m, fk[i].kind, &empty);
		if (r == -EINVAL)
			snprintf(a->msg, sizeof(a->msg), "the event under the cursor has no %s to filter on", fk[i].what);
		else if (r == -ENOSPC)
			snprintf(a->msg, sizeof(a->msg), "%d filters at most: Backspace drops the last", TUI_FILTER_MAX);
		else if (r == -EAGAIN)
			snprintf(a->msg, sizeof(a->msg), "no %s event within %u seqs of the cursor (up to seq %" PRIu64 "): not filtered",
				 fk[i].what, TUI_FILTER_SPAN, a->m->stopped);
		else if (r == -ENOSYS)
			snprintf(a->msg, sizeof(a->msg), "filters are not built into this vmtrace");
		else if (r == 0 && empty)
			snprintf(a->msg, sizeof(a->msg), "no event passes that filter: not filtered");
		else if (r) {
			*err = r;
			return TUI_FAIL;
		}
		a->focus = TUI_FOCUS_LIST;
		return TUI_HANDLED | TUI_REDRAW;
	}
	snprintf(a->msg, sizeof(a->msg), "f then d (device), q (queue), t (event type) or v (violations)");
	return TUI_HANDLED | TUI_REDRAW;
}

/* Show view id (1-5), opening its list on first use. */
static unsigned show_view(struct tui_app *a, enum tui_view_id id, int *err)
{
	int r;

	if (id != TUI_VIEW_EVENTS && !a->lv[id]) {
		r = tui_listview_open(&a->lv[id], a->m->t, id);
		if (r > 0) {
			snprintf(a->msg, sizeof(a->msg), "%s", tdb_errmsg(a->m->t));
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (r) {
			*err = r;
			return TUI_FAIL;
		}
	}
	a->view = id;
	return TUI_HANDLED | TUI_REDRAW;
}

/* A key in views 2-5: the view's own keys first, then 1-5, ;, ?, q. */
static unsigned listview_key(struct tui_app *a, int key, int *err)
{
	uint64_t seq = 0;
	unsigned f;
	int r;

	if (key == '1')
		return show_view(a, TUI_VIEW_EVENTS, err);
	if (key >= '2' && key < '1' + TUI_VIEW_N)
		return show_view(a, (enum tui_view_id)(key - '1'), err);
	f = tui_listview_key(a->lv[a->view], key, &seq);
	if (f & TUI_LV_JUMP) {
		a->m->prefer_request = tui_listview_request(a->lv[a->view]);
		a->detail_ok = a->who_ok = false; /* the same seq may now show another request */
		a->view = TUI_VIEW_EVENTS;
		a->focus = TUI_FOCUS_LIST;
		if ((r = tui_model_goto(a->m, seq)) != 0) {
			*err = r;
			return TUI_FAIL;
		}
		const struct tui_line *l = tui_model_cur(a->m);
		if (l && l->seq != seq)
			snprintf(a->msg, sizeof(a->msg), "seq %" PRIu64 " is not shown (a filter): at %" PRIu64, seq, l->seq);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (f & TUI_LV_CLOSE)
		return show_view(a, TUI_VIEW_EVENTS, err);
	if (f)
		return TUI_HANDLED | TUI_REDRAW;
	switch (key) {
	case 'q': return TUI_QUIT;
	case '?':
	case TUI_KEY_F1:
		a->help = true;
		a->help_top = 0;
		return TUI_HANDLED | TUI_REDRAW;
	case ';':
		a->prompt = TUI_PROMPT_SQL;
		a->plen = 0;
		a->pbuf[0] = '\0';
		return TUI_HANDLED | TUI_REDRAW;
	default: return TUI_HANDLED;
	}
}

/* A key while a prompt (:SEQ or /TEXT) is open. */
static unsigned prompt_key(struct tui_app *a, int key, int *err)
{
	if (key == TUI_KEY_ESC) {
		a->prompt = TUI_PROMPT_NONE;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (key == TUI_KEY_BACKSPACE || key == 8) {
		if (a->plen == 0)
			a->prompt = TUI_PROMPT_NONE;
		else
			a->pbuf[--a->plen] = '\0';
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (key == TUI_KEY_ENTER || key == '\r') {
		enum tui_prompt p = a->prompt;
		a->prompt = TUI_PROMPT_NONE;
		if (p == TUI_PROMPT_GOTO) {
			uint64_t seq;
			if (parse_seq(a->pbuf, &seq) < 0) {
				snprintf(a->msg, sizeof(a->msg), "':%.64s' is not a sequence number", a->pbuf);
				return TUI_HANDLED | TUI_REDRAW;
			}
			int r = tui_model_goto(a->m, seq);
			if (r) {
				*err = r;
				return TUI_FAIL;
			}
			const struct tui_line *l = tui_model_cur(a->m);
			if (l && l->seq != seq)
				snprintf(a->msg, sizeof(a->msg), "no event %" PRIu64 ": at %" PRIu64, seq, l->seq);
			a->focus = TUI_FOCUS_LIST;
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (p == TUI_PROMPT_SQL)
			return run_sql(a, err);
		if (!a->plen)
			return run_search(a, NULL, true, err); /* '/' Enter: the last text again */
		return run_search(a, a->pbuf, true, err);
	}
	if (key >= 0x20 && key < 0x7f && a->plen < TUI_PROMPT_MAX) {
		a->pbuf[a->plen++] = (char)key;
		a->pbuf[a->plen] = '\0';
		return TUI_HANDLED | TUI_REDRAW;
	}
	return TUI_HANDLED;
}

/* Scroll a pane's text by delta lines (ends clamped when drawn). */
static void scroll(size_t *top, long delta)
{
	if (delta < 0)
		*top = *top > (size_t)-delta ? *top - (size_t)-delta : 0;
	else
		*top += (size_t)delta;
}

static unsigned handle_key(struct tui_app *a, int key, int *err)
{
	size_t *ptop = a->focus == TUI_FOCUS_DETAIL ? &a->detail_top : a->focus == TUI_FOCUS_STATE ? &a->state_top : NULL;
	long page = a->focus == TUI_FOCUS_LIST ? (a->list_h > 1 ? a->list_h : 1) : (a->pane_h > 1 ? a->pane_h : 1);
	int r = 0;

	*err = 0;
	if (key == TUI_KEY_RESIZE)
		return TUI_HANDLED | TUI_REDRAW;
	if (a->prompt != TUI_PROMPT_NONE)
		return prompt_key(a, key, err);
	a->msg[0] = '\0';
	if (a->help) {
		if (key == 'j' || key == TUI_KEY_DOWN)
			scroll(&a->help_top, 1);
		else if (key == 'k' || key == TUI_KEY_UP)
			scroll(&a->help_top, -1);
		else
			a->help = false;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (a->help_top)
		a->help_top = 0;
	if (a->pending != TUI_PENDING_NONE)
		return pending_key(a, key, err);
	if (a->sql_shown)
		return sql_key(a, key);
	if (a->view != TUI_VIEW_EVENTS && a->lv[a->view])
		return listview_key(a, key, err);
	if (ptop)
		page = a->pane_h > 1 ? a->pane_h : 1;
	switch (key) {
	case 'q': return TUI_QUIT;
	case '?':
	case TUI_KEY_F1:
		a->help = true;
		a->help_top = 0;
		break;
	case TUI_KEY_TAB: a->focus = (enum tui_focus)((a->focus + 1) % TUI_FOCUS_N); break;
	case TUI_KEY_BTAB: a->focus = (enum tui_focus)((a->focus + TUI_FOCUS_N - 1) % TUI_FOCUS_N); break;
	case TUI_KEY_ENTER:
	case '\r': a->focus = TUI_FOCUS_DETAIL; break;
	case 'j':
	case TUI_KEY_DOWN:
		if (ptop)
			scroll(ptop, 1);
		else
			r = tui_model_move(a->m, 1);
		break;
	case 'k':
	case TUI_KEY_UP:
		if (ptop)
			scroll(ptop, -1);
		else
			r = tui_model_move(a->m, -1);
		break;
	case TUI_KEY_PGDN:
	case ' ':
	case 6: /* ^F */
		if (ptop)
			scroll(ptop, page);
		else
			r = tui_model_page(a->m, page);
		break;
	case TUI_KEY_PGUP:
	case 2: /* ^B */
		if (ptop)
			scroll(ptop, -page);
		else
			r = tui_model_page(a->m, -page);
		break;
	case 'g':
	case TUI_KEY_HOME:
		if (ptop)
			*ptop = 0;
		else
			r = tui_model_first(a->m);
		break;
	case 'G':
	case TUI_KEY_END:
		if (ptop)
			*ptop = SIZE_MAX / 2; /* clamped when drawn */
		else
			r = tui_model_last(a->m);
		break;
	case ':':
	case '/':
		a->prompt = key == ':' ? TUI_PROMPT_GOTO : TUI_PROMPT_SEARCH;
		a->plen = 0;
		a->pbuf[0] = '\0';
		break;
	case 'e':
	case 'E': {
		bool found;
		if ((r = tui_model_marked(a->m, key == 'e', &found)) == 0 && !found)
			snprintf(a->msg, sizeof(a->msg), "no violation or anomaly %s the cursor", key == 'e' ? "after" : "before");
		a->focus = TUI_FOCUS_LIST;
		break;
	}
	case 'n': return run_search(a, NULL, true, err);
	case 'N': return run_search(a, NULL, false, err);
	case 'w':
	case 'W':
	case 'o':
	case 'O':
	case 'd':
	case 'D': return nav_key(a, key, err);
	case 's': return who_key(a, err);
	case '2':
	case '3':
	case '4':
	case '5': return show_view(a, (enum tui_view_id)(key - '1'), err);
	case 'm': a->pending = TUI_PENDING_MARK; break;
	case '\'': a->pending = TUI_PENDING_JUMP; break;
	case 'f': a->pending = TUI_PENDING_FILTER; break;
	case ';':
		a->prompt = TUI_PROMPT_SQL;
		a->plen = 0;
		a->pbuf[0] = '\0';
		break;
	case TUI_KEY_BACKSPACE:
	case 8:
		if (tui_model_filter_depth(a->m) == 0) {
			snprintf(a->msg, sizeof(a->msg), "no filter to drop (f d/q/t/v adds one)");
			break;
		}
		r = tui_model_filter_pop(a->m);
		break;
	default: return TUI_HANDLED;
	}
	if (r) {
		*err = r;
		return TUI_FAIL;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

unsigned tui_input_key(struct tui_app *a, int key, int *err)
{
	uint64_t before = 0, after = 0;
	bool had = !a->sql_shown && cur_seq(a, &before);
	bool moving = a->prompt == TUI_PROMPT_NONE && !a->help && a->pending == TUI_PENDING_NONE && !a->sql_shown &&
		      a->focus == TUI_FOCUS_LIST && (key == 'j' || key == 'k' || key == TUI_KEY_UP || key == TUI_KEY_DOWN ||
						     key == TUI_KEY_PGUP || key == TUI_KEY_PGDN || key == ' ' || key == 6 || key == 2);
	/* "s again" is the very next key: any other ends the walk */
	if (key != 's' && key != TUI_KEY_RESIZE)
		a->walk_on = false;
	unsigned f = handle_key(a, key, err);

	/* every jump (anything but stepping and paging) remembers where it
	 * started, for '' */
	if (!(f & (TUI_FAIL | TUI_QUIT)) && had && !moving && cur_seq(a, &after) && after != before) {
		a->back_ok = true;
		a->back_seq = before;
	}

	/* A part of the file that contradicts the rest: said on the message
	 * line, and the inspector goes on (a fatal error ends it). */
	if ((f & TUI_FAIL) && *err > 0) {
		snprintf(a->msg, sizeof(a->msg), "%s", tdb_errmsg(a->m->t));
		*err = 0;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return f;
}
