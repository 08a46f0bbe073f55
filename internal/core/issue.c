#include "core/issue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
grow(struct issues *l)
{
	if (l->n < l->cap)
		return true;
	size_t cap = l->cap ? l->cap * 2 : 8;
	struct issue *v = realloc(l->items, cap * sizeof *v);
	if (!v) {
		l->oom = true;
		return false;
	}
	l->items = v;
	l->cap = cap;
	return true;
}

static void
push(struct issues *l, const char *prefix, const char *field, const char *message)
{
	char *f = NULL, *m;

	if (l->n >= ISSUES_MAX) {
		l->omitted++;
		return;
	}
	if (!grow(l))
		return;
	if (field && asprintf(&f, "%s%s", prefix, field) < 0)
		f = NULL;
	m = strdup(message);
	if ((field && !f) || !m) {
		free(f);
		free(m);
		l->oom = true;
		return;
	}
	l->items[l->n++] = (struct issue){.field = f, .message = m};
}

void
issues_add(struct issues *l, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	push(l, "", field, msg);
}

size_t
issues_count(const struct issues *l)
{
	return l->n + l->omitted;
}

bool
issues_any(const struct issues *l)
{
	return l->n > 0 || l->omitted > 0;
}

void
issues_nest(struct issues *into, const char *prefix, const struct issues *from)
{
	for (size_t i = 0; i < from->n; i++)
		push(into, prefix, from->items[i].field, from->items[i].message);
	into->omitted += from->omitted;
	into->oom |= from->oom;
}

void
issues_move(struct issues *into, struct issues *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (into->n >= ISSUES_MAX || !grow(into)) {
			into->omitted += into->n >= ISSUES_MAX;
			free(from->items[i].field);
			free(from->items[i].message);
			continue;
		}
		into->items[into->n++] = from->items[i];
	}
	into->omitted += from->omitted;
	into->oom |= from->oom;
	free(from->items);
	memset(from, 0, sizeof *from);
}

void
issues_clear(struct issues *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].field);
		free(l->items[i].message);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}
