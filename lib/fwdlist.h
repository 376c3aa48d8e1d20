/*
 * fwdlist.h: the forwarded lists: X-Forwarded-* (plain comma lists) and
 * RFC 7239 Forwarded (quote-aware, split from the right).
 */
#ifndef XFF_FWDLIST_H
#define XFF_FWDLIST_H

#include <stddef.h>
#include "xstr.h"
#include "arena.h"

/* Elements kept from the right: enough for the deepest depth (64). */
#define XLIST_KEEP	64

struct xlist {
	size_t		n;		/* non-empty elements in the whole value */
	size_t		nkept;		/* min(n, XLIST_KEEP) */
	struct xstr	r[XLIST_KEEP];	/* r[0] is the rightmost element */
	struct xstr	leftmost;	/* the leftmost element when n > 0 */
};

/*
 * Splits an X-Forwarded-* value on plain commas (no quote handling),
 * trims spaces and tabs off each element and drops empty ones (SPEC 3).
 * Runs in one pass from the right and keeps only the rightmost
 * XLIST_KEEP elements, so its cost and memory do not depend on the size
 * of the client-written part.
 */
void	xlist_parse(struct xstr v, struct xlist *l);

/*
 * Splits a Forwarded value into elements from the right (SPEC 3.4): a
 * comma outside a quoted string ends an element, so a stray quote on the
 * left cannot swallow the elements appended on the right.  Elements are
 * trimmed; empty ones are dropped; nothing is validated here.
 */
void	fwd_split(struct xstr v, struct xlist *l);

/* One parsed Forwarded element. */
struct fwd_pair {
	struct xstr	raw;		/* "name=value" as received */
	struct xstr	value;		/* the value, unquoted and unescaped */
	int		present;
	int		pos;		/* position among the element's pairs */
};

struct fwd_elem {
	int		valid;
	struct fwd_pair	f_for, f_by, f_proto, f_host;
};

/*
 * Parses one element: pairs separated by ';' (spaces and tabs allowed
 * around ';'), name=value with no space around '=', names
 * case-insensitive tokens, values tokens or quoted strings with '\'
 * escapes.  A syntax error or a repeated parameter leaves e->valid 0.
 * Unescaped values needing a copy are made in a.  Returns 0, or -1 when
 * out of memory.
 */
int	fwd_elem_parse(struct xstr raw, struct fwd_elem *e, struct arena *a);

#endif
