/* The headless keystroke script (tui_script.h). */
#include "tui/tui_script.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/escape.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_app.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"
#include "tui/tui_view.h"

static const struct {
	const char *name;
	int key;
} key_names[] = {
	{ "Enter", TUI_KEY_ENTER }, { "Tab", TUI_KEY_TAB }, { "BTab", TUI_KEY_BTAB }, { "Esc", TUI_KEY_ESC },
	{ "Up", TUI_KEY_UP }, { "Down", TUI_KEY_DOWN }, { "Left", TUI_KEY_LEFT }, { "Right", TUI_KEY_RIGHT },
	{ "PgUp", TUI_KEY_PGUP }, { "PgDn", TUI_KEY_PGDN }, { "Home", TUI_KEY_HOME }, { "End", TUI_KEY_END },
	{ "F1", TUI_KEY_F1 }, { "Space", ' ' }, { "BS", TUI_KEY_BACKSPACE }, { "lt", '<' },
};

/* Read path whole (at most TUI_SCRIPT_MAX bytes) into a new string. */
static char *read_script(const char *path, char *err, size_t errlen)
{
	char name[256];
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "cannot read the script '%s': %s", escape_str(path, name, sizeof(name)), strerror(errno));
		return NULL;
	}
	buf = malloc(TUI_SCRIPT_MAX + 1);
	if (buf) {
		n = fread(buf, 1, TUI_SCRIPT_MAX + 1, f);
		if (ferror(f) || n > TUI_SCRIPT_MAX) {
			snprintf(err, errlen, "the script '%s' %s", escape_str(path, name, sizeof(name)),
				 ferror(f) ? "cannot be read" : "is longer than 1 MiB");
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (strlen(buf) != n) {
				snprintf(err, errlen, "the script '%s' holds a NUL byte", escape_str(path, name, sizeof(name)));
				free(buf);
				buf = NULL;
			}
		}
	} else {
		snprintf(err, errlen, "out of memory");
	}
	fclose(f);
	return buf;
}

struct run {
	struct tui_app *a;
	FILE *out;
	unsigned dumps;
	bool quit;
	char *err;
	size_t errlen;
};

/* The model's error as the message. */
static int fail(struct run *s, int r)
{
	snprintf(s->err, s->errlen, "%s", tdb_errmsg(s->a->m->t)[0] ? tdb_errmsg(s->a->m->t) : strerror(r < 0 ? -r : EIO));
	return r;
}

static int press(struct run *s, int key)
{
	int err = 0;
	unsigned f;

	if (s->quit)
		return 0;
	f = tui_input_key(s->a, key, &err);
	if (f & TUI_FAIL)
		return fail(s, err);
	if (f & TUI_QUIT)
		s->quit = true;
	return 0;
}

static int dump(struct run *s)
{
	int r = tui_view_draw(s->a);

	if (r)
		return fail(s, r);
	fprintf(s->out, "--- screen %u (%dx%d)\n", ++s->dumps, s->a->grid.cols, s->a->grid.rows);
	return tui_grid_dump(&s->a->grid, s->out) ? -EIO : 0;
}

/* One <name> at p (after '<'): its key into *key, or a resize. */
static int named_key(struct run *s, const char *name, size_t n, unsigned line)
{
	unsigned cols, rows;
	char tail;

	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (strlen(key_names[i].name) == n && !memcmp(key_names[i].name, name, n))
			return press(s, key_names[i].key);
	char buf[64];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 60 ? n : 60), name);
	if (sscanf(buf, "Resize %ux%u%c", &cols, &rows, &tail) == 2) {
		if (cols < TUI_GRID_COLS_MIN || cols > TUI_GRID_COLS_MAX || rows < TUI_GRID_ROWS_MIN || rows > TUI_GRID_ROWS_MAX) {
			snprintf(s->err, s->errlen, "script line %u: <%s>: a size from 1x1 to %dx%d", line, buf,
				 TUI_GRID_COLS_MAX, TUI_GRID_ROWS_MAX);
			return TUI_SCRIPT_E_BAD;
		}
		if (tui_app_resize(s->a, (int)rows, (int)cols) != 0)
			return -ENOMEM;
		return press(s, TUI_KEY_RESIZE);
	}
	char e[256];
	snprintf(s->err, s->errlen, "script line %u: '<%s>' is no key (Enter, Tab, Esc, Up, Down, PgUp, PgDn, Home, End, F1, Space, BS, lt, Resize COLSxROWS)",
		 line, escape_str(buf, e, sizeof(e)));
	return TUI_SCRIPT_E_BAD;
}

int tui_script_run(struct tui_app *a, const char *path, FILE *out, char *err, size_t errlen)
{
	struct run s = { .a = a, .out = out, .err = err, .errlen = errlen };
	char *text = read_script(path, err, errlen);
	const char *p;
	unsigned line = 1;
	int r = 0;

	if (!text)
		return TUI_SCRIPT_E_BAD;
	if ((r = tui_view_draw(a)) != 0) {
		r = fail(&s, r);
		goto cleanup;
	}
	for (p = text; *p && r == 0;) {
		if (*p == '\n')
			line++;
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		size_t n = strcspn(p, " \t\r\n");
		if (n == 4 && !memcmp(p, "dump", 4)) {
			r = dump(&s);
			p += 4;
			continue;
		}
		/* keys, up to the end of the token (a <...> may hold a space) */
		while (*p && !strchr(" \t\r\n", *p) && r == 0) {
			if (*p == '<') {
				const char *end = strchr(p + 1, '>');
				const char *nl = strchr(p + 1, '\n');
				if (!end || (nl && nl < end)) {
					snprintf(err, errlen, "script line %u: '<' without '>' (a '<' key is <lt>)", line);
					r = TUI_SCRIPT_E_BAD;
					break;
				}
				r = named_key(&s, p + 1, (size_t)(end - p - 1), line);
				p = end + 1;
			} else {
				r = press(&s, (unsigned char)*p);
				p++;
			}
			if (r == 0 && !s.quit) {
				int e = tui_view_draw(a);
				if (e)
					r = fail(&s, e);
			}
		}
	}
	if (r == 0 && fflush(out) != 0)
		r = -EIO;
cleanup:
	free(text);
	return r;
}
