/*
 * params.c: ordered param lists and the joining of repeated names.
 */
#include <stdint.h>
#include <string.h>

#include "params.h"

/* Splits "NAME=VALUE" at the first '='. */
struct param
param_from_env(const char *s)
{
	struct param	 p;
	const char	*eq;

	if ((eq = strchr(s, '=')) == NULL) {
		p.name = xstr_c(s);
		p.value.p = s + p.name.len;
		p.value.len = 0;
		return p;
	}
	p.name.p = s;
	p.name.len = (size_t)(eq - s);
	p.value = xstr_c(eq + 1);
	return p;
}

/* Makes room for at least one more param. */
static int
params_reserve(struct params *pl, struct arena *a, size_t want)
{
	struct param	*nv;
	size_t		 ncap;

	if (want <= pl->cap)
		return 0;
	ncap = pl->cap < 32 ? 32 : pl->cap;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / sizeof(*nv))
			return -1;
		ncap *= 2;
	}
	if ((nv = arena_alloc(a, ncap * sizeof(*nv))) == NULL)
		return -1;
	if (pl->n > 0)
		memcpy(nv, pl->v, pl->n * sizeof(*nv));
	pl->v = nv;
	pl->cap = ncap;
	return 0;
}

/* Appends one param. */
int
params_push(struct params *pl, struct arena *a, struct xstr name,
    struct xstr value)
{
	if (params_reserve(pl, a, pl->n + 1) == -1)
		return -1;
	pl->v[pl->n].name = name;
	pl->v[pl->n].value = value;
	pl->n++;
	return 0;
}

/* Hashes the name eight bytes at a time (multiplicative, full coverage). */
static uint64_t
name_hash(struct xstr s)
{
	uint64_t	h = 0x9e3779b97f4a7c15ull ^ s.len, w;
	size_t		i = 0;

	for (; i + 8 <= s.len; i += 8) {
		memcpy(&w, s.p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	if (i < s.len) {
		w = 0;
		memcpy(&w, s.p + i, s.len - i);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 32;
	return h;
}

/*
 * Joins repeated names in linear passes: assign every input its output
 * slot through a hash table while sizing each joined value, then copy
 * every value once into its slot's buffer.
 */
int
params_join(const struct param *in, size_t nin, struct params *out,
    struct arena *a)
{
	size_t		*slot_of, *count, *size, tsize, i, j, mask;
	long		*table;
	char		**buf;
	struct param	*o;

	out->n = 0;
	out->v = NULL;
	out->cap = 0;
	if (nin == 0)
		return 0;
	if (nin > SIZE_MAX / 4 / sizeof(size_t))
		return -1;
	for (tsize = 16; tsize < nin * 2; tsize *= 2)
		;
	mask = tsize - 1;
	table = arena_alloc(a, tsize * sizeof(*table));
	slot_of = arena_alloc(a, nin * sizeof(*slot_of));
	count = arena_alloc(a, nin * sizeof(*count));
	size = arena_alloc(a, nin * sizeof(*size));
	buf = arena_alloc(a, nin * sizeof(*buf));
	if (table == NULL || slot_of == NULL || count == NULL || size == NULL ||
	    buf == NULL || params_reserve(out, a, nin) == -1)
		return -1;
	for (i = 0; i < tsize; i++)
		table[i] = -1;

	for (i = 0; i < nin; i++) {
		j = name_hash(in[i].name) & mask;
		while (table[j] != -1 &&
		    !xstr_eq(out->v[table[j]].name, in[i].name))
			j = (j + 1) & mask;
		if (table[j] == -1) {
			table[j] = (long)out->n;
			out->v[out->n] = in[i];
			count[out->n] = 0;
			size[out->n] = 0;
			out->n++;
		}
		slot_of[i] = (size_t)table[j];
		count[slot_of[i]]++;
		size[slot_of[i]] += in[i].value.len + 2;
	}

	for (j = 0; j < out->n; j++) {
		buf[j] = NULL;
		if (count[j] < 2)
			continue;
		if ((buf[j] = arena_alloc(a, size[j])) == NULL)
			return -1;
		out->v[j].value.p = buf[j];
		out->v[j].value.len = 0;
		size[j] = 0;		/* from here: occurrences copied */
	}
	for (i = 0; i < nin; i++) {
		j = slot_of[i];
		if (buf[j] == NULL)
			continue;
		o = &out->v[j];
		if (size[j]++ > 0) {
			if (xstr_eqc(o->name, "HTTP_COOKIE"))
				memcpy(buf[j] + o->value.len, "; ", 2);
			else
				memcpy(buf[j] + o->value.len, ", ", 2);
			o->value.len += 2;
		}
		if (in[i].value.len > 0)
			memcpy(buf[j] + o->value.len, in[i].value.p,
			    in[i].value.len);
		o->value.len += in[i].value.len;
	}
	return 0;
}

/* Returns the index of name in pl, or -1. */
long
params_find(const struct params *pl, const char *name)
{
	size_t	i;

	for (i = 0; i < pl->n; i++)
		if (xstr_eqc(pl->v[i].name, name))
			return (long)i;
	return -1;
}
