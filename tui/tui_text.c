/* Pane text (tui_text.h). */
#include "tui/tui_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tui_text_clear(struct tui_text *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	t->n = 0;
	t->cut = false;
}

void tui_text_release(struct tui_text *t)
{
	tui_text_clear(t);
	free(t->line);
	t->line = NULL;
	t->cap = 0;
}

/* Take s (owned) as the next line. */
static int push(struct tui_text *t, char *s)
{
	if (!s)
		return -ENOMEM;
	if (t->n >= TUI_TEXT_LINES_MAX - 1) {
		free(s);
		if (!t->cut) {
			t->cut = true;
			char *dots = strdup("...");
			if (!dots)
				return -ENOMEM;
			t->line[t->n++] = dots;
		}
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **v = realloc(t->line, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		t->line = v;
		t->cap = cap;
	}
	t->line[t->n++] = s;
	return 0;
}

int tui_text_add(struct tui_text *t, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return push(t, strdup(buf));
}

int tui_text_wrap(struct tui_text *t, const char *lead, int indent, const char *text, int width)
{
	size_t ll = strlen(lead);
	const char *p = text;
	bool first = true;
	int r = 0;

	if (indent < 0)
		indent = 0;
	if (width < indent + 8)
		width = indent + 8; /* a narrow pane still shows something */
	/* a lead that leaves no room for the text (a long rule name in a
	 * narrow pane) is a line of its own: the text starts under it, whole */
	if (ll + 8 > (size_t)width && *text) {
		if ((r = tui_text_wrap(t, "", indent, lead, width)) != 0)
			return r;
		first = false;
	}
	do {
		size_t pre = first ? ll : (size_t)indent;
		size_t room = (size_t)width > pre ? (size_t)width - pre : 1;
		size_t n = strlen(p);
		if (n > room) {
			size_t k = room;
			/* at a space, or after a '|' (status and flag names) */
			while (k > room / 2 && p[k] != ' ' && p[k - 1] != '|')
				k--;
			n = p[k] == ' ' || p[k - 1] == '|' ? k : room;
		}
		char *s = malloc(pre + n + 1);
		if (!s)
			return -ENOMEM;
		if (first)
			memcpy(s, lead, ll);
		else
			memset(s, ' ', pre);
		memcpy(s + pre, p, n);
		s[pre + n] = '\0';
		if ((r = push(t, s)) != 0)
			return r;
		p += n;
		while (*p == ' ')
			p++;
		first = false;
	} while (*p);
	return 0;
}
