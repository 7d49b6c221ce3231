/* Bounded divergence lists of a replay_result; see report_add.h. */
#include "replay/report_add.h"

#include <stdlib.h>
#include <string.h>

static bool push(struct replay_div **list, unsigned *n, const struct replay_div *d)
{
	if (*n >= REPLAY_DIVS_KEPT)
		return false;
	if (!*list && !(*list = calloc(REPLAY_DIVS_KEPT, sizeof(**list))))
		return false;
	(*list)[(*n)++] = *d;
	return true;
}

void replay_add_div(struct replay_result *res, const struct replay_div *d)
{
	res->divergences++;
	push(&res->divs, &res->n_divs, d);
}

/* The same declared difference tends to recur on every request: list it
 * once per device, kind and declaration (each taken-over value once). */
void replay_add_declared(struct replay_result *res, const struct replay_div *d)
{
	res->declared++;
	for (unsigned i = 0; i < res->n_decl; i++) {
		const struct replay_div *o = &res->decl[i];
		if (o->device == d->device && o->kind == d->kind && o->declared_by == d->declared_by &&
		    (strcmp(d->kind, "config") != 0 || !strcmp(o->where, d->where)))
			return;
	}
	push(&res->decl, &res->n_decl, d);
}
