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

/* Reads 8 bytes. */
static inline uint64_t
load64(const char *p)
{
	uint64_t	w;

	memcpy(&w, p, 8);
	return w;
}

/*
 * Hashes a name eight bytes at a time (multiplicative, every byte
 * counts; names of 8 bytes or more end with an overlapping last word).
 */
static size_t
name_hash(struct xstr s)
{
	uint64_t	h = 0x9e3779b97f4a7c15ull ^ s.len, w;
	size_t		i = 0;

	if (s.len >= 8) {
		for (; i + 8 <= s.len; i += 8)
			h = (h ^ load64(s.p + i)) * 0xff51afd7ed558ccdull;
		if (i < s.len)
			h = (h ^ load64(s.p + s.len - 8)) *
			    0xc4ceb9fe1a85ec53ull;
	} else {
		for (w = 0; i < s.len; i++)
			w = w << 8 | (unsigned char)s.p[i];
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	return (size_t)(h ^ h >> 32);
}

/* Returns the table cell of name: its entry, or the empty cell to use. */
static size_t
index_probe(const struct params *pl, const struct params_index *ix,
    struct xstr name)
{
	size_t	j = name_hash(name) & ix->mask;

	while (ix->slot[j] != 0 && !xstr_eq(pl->v[ix->slot[j] - 1].name, name))
		j = (j + 1) & ix->mask;
	return j;
}

/* Returns the index in pl of name, or -1. */
long
params_lookup(const struct params *pl, const struct params_index *ix,
    struct xstr name)
{
	size_t	j;

	if (ix->slot == NULL)
		return -1;
	j = index_probe(pl, ix, name);
	return ix->slot[j] == 0 ? -1 : (long)ix->slot[j] - 1;
}

/* slot_of[] of an input whose value replaced the one already in place. */
#define NO_SLOT		UINT32_MAX

/* Returns 1 when name is a request header's param (HTTP_*). */
static int
is_header(struct xstr name)
{
	return name.len > 5 && memcmp(name.p, "HTTP_", 5) == 0;
}

/*
 * Joins the values of repeated header names: sizes each joined value,
 * then copies every value once into its slot's buffer.  slot_of[i] is
 * the output index of in[i], or NO_SLOT for an input to skip.
 */
static int
join_repeated(const struct param *in, size_t nin, const unsigned *slot_of,
    struct params *out, struct arena *a)
{
	size_t		*size, *seen, i, j;
	struct param	*o;

	size = arena_alloc(a, out->n * sizeof(*size));
	seen = arena_alloc(a, out->n * sizeof(*seen));
	if (size == NULL || seen == NULL)
		return -1;
	memset(size, 0, out->n * sizeof(*size));
	memset(seen, 0, out->n * sizeof(*seen));
	for (i = 0; i < nin; i++) {
		if (slot_of[i] == NO_SLOT)
			continue;
		size[slot_of[i]] += in[i].value.len + 2;
		seen[slot_of[i]]++;
	}
	for (j = 0; j < out->n; j++) {
		if (seen[j] < 2) {
			size[j] = 0;	/* a single occurrence: kept as it is */
			continue;
		}
		if ((out->v[j].value.p = arena_alloc(a, size[j])) == NULL)
			return -1;
		out->v[j].value.len = 0;
		seen[j] = 0;		/* from here: occurrences copied */
	}
	for (i = 0; i < nin; i++) {
		if (slot_of[i] == NO_SLOT || size[slot_of[i]] == 0)
			continue;
		o = &out->v[slot_of[i]];
		if (seen[slot_of[i]]++ > 0) {
			memcpy((char *)o->value.p + o->value.len,
			    xstr_eqc(o->name, "HTTP_COOKIE") ? "; " : ", ", 2);
			o->value.len += 2;
		}
		if (in[i].value.len > 0)
			memcpy((char *)o->value.p + o->value.len,
			    in[i].value.p, in[i].value.len);
		o->value.len += in[i].value.len;
	}
	return 0;
}

/*
 * Merges repeated names: one pass assigns every input its output slot
 * through the hash index; a repeated non-header name takes the later
 * value in place, and only when a header name repeats are values joined.
 */
int
params_join(const struct param *in, size_t nin, struct params *out,
    struct params_index *ix, struct arena *a)
{
	unsigned	*slot_of;
	size_t		 tsize, i, j;
	int		 repeated = 0;

	out->n = 0;
	out->v = NULL;
	out->cap = 0;
	ix->slot = NULL;
	ix->mask = 0;
	if (nin == 0)
		return 0;
	if (nin > UINT32_MAX / 4)
		return -1;
	for (tsize = 16; tsize < nin * 2; tsize *= 2)
		;
	ix->mask = tsize - 1;
	ix->slot = arena_alloc(a, tsize * sizeof(*ix->slot));
	slot_of = arena_alloc(a, nin * sizeof(*slot_of));
	if (ix->slot == NULL || slot_of == NULL ||
	    params_reserve(out, a, nin) == -1)
		return -1;
	memset(ix->slot, 0, tsize * sizeof(*ix->slot));

	for (i = 0; i < nin; i++) {
		j = index_probe(out, ix, in[i].name);
		if (ix->slot[j] == 0) {
			out->v[out->n++] = in[i];
			ix->slot[j] = (unsigned)out->n;
		} else if (!is_header(in[i].name)) {
			/* Written twice by the server's config: the last stands. */
			out->v[ix->slot[j] - 1].value = in[i].value;
			slot_of[i] = NO_SLOT;
			continue;
		} else
			repeated = 1;
		slot_of[i] = ix->slot[j] - 1;
	}
	if (repeated)
		return join_repeated(in, nin, slot_of, out, a);
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
