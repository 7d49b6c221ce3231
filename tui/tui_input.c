/* Keys to actions (tui_input.h). */
#include "tui/tui_input.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_open.h"
#include "tui/tui_app.h"
#include "tui/tui_model.h"

const char *const tui_help_lines[] = {
	"vmtrace tui: keys (the event list shows each event as 'vmtrace show' does)",
	"",
	"  j, Down, k, Up      next / previous event",
	"  PgDn, PgUp          a screen down / up",
	"  g, Home, G, End     first / last event",
	"  :SEQ Enter          go to event SEQ (or the next one there is)",
	"  /TEXT Enter         find TEXT in the lines after the cursor (any case)",
	"  n, N                the next / previous line with TEXT",
	"  e, E                the next / previous event marked '!' or '~'",
	"  Tab                 focus: list -> detail -> state (j/k/PgDn scroll a pane)",
	"  Enter               focus the detail pane",
	"  ?, F1               this help (any key closes it)",
	"  q                   quit",
	"",
	"Columns: '>' the cursor; '!' the event broke a rule (a violation), '~' an",
	"anomaly (a snapshot that looks like one); seq; time since the first event",
	"(us); device; what the event did: R/W register accesses with their meaning,",
	"mem (guest memory, named by ring or request), irq, queue (device reports).",
	"",
	"Detail: the event under the cursor: register, bytes in hex and ASCII, its",
	"chain and request (notify -> used -> irq latency), each violation with its",
	"rule, spec section and message.  State: the device of the event under the",
	"cursor as it stood at that event (moving the cursor moves time): Status,",
	"features offered, accepted and negotiated, queues, registers and the seq",
	"that set each.  Without colour (NO_COLOR, -C) the letters say it all.",
	"",
	"Try: /DRIVER_OK Enter (where a device became ready), e (the first rule",
	"broken, with what the driver did before it above), :SEQ Enter.",
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
	unsigned f = handle_key(a, key, err);

	/* A part of the file that contradicts the rest: said on the message
	 * line, and the inspector goes on (a fatal error ends it). */
	if ((f & TUI_FAIL) && *err > 0) {
		snprintf(a->msg, sizeof(a->msg), "%s", tdb_errmsg(a->m->t));
		*err = 0;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return f;
}
