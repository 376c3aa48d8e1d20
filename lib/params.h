/*
 * params.h: an ordered list of FastCGI/CGI params (name, value).
 * Strings are borrowed: they point into the caller's buffers or into an
 * arena and are never freed by the list.
 */
#ifndef XFF_PARAMS_H
#define XFF_PARAMS_H

#include <stddef.h>
#include "xstr.h"
#include "arena.h"

struct param {
	struct xstr	name;
	struct xstr	value;
};

struct params {
	struct param	*v;
	size_t		 n, cap;
};

/* Splits "NAME=VALUE" at the first '='; a string without '=' gives an empty value. */
struct param param_from_env(const char *s);

/* Appends one param, growing the list from the arena. Returns 0 or -1. */
int	params_push(struct params *pl, struct arena *a, struct xstr name,
	    struct xstr value);

/* A hash index of the names of a joined list, for constant-time lookups. */
struct params_index {
	unsigned	*slot;		/* index + 1 into the list; 0 is empty */
	size_t		 mask;		/* table size - 1 */
};

/*
 * Builds in out (emptied first) one param per name from in, in order of
 * first appearance (SPEC 3): values of repeated request headers (HTTP_*)
 * are joined in order with ", " ("; " for HTTP_COOKIE); any other
 * repeated name keeps its last value, at its first position.  Fills ix,
 * an index of out's names.  Returns 0, or -1 when out of memory.
 */
int	params_join(const struct param *in, size_t nin, struct params *out,
	    struct params_index *ix, struct arena *a);

/* Returns the index in pl of name, looked up through ix, or -1. */
long	params_lookup(const struct params *pl, const struct params_index *ix,
	    struct xstr name);

/* Returns the index of name in pl, or -1. */
long	params_find(const struct params *pl, const char *name);

#endif
