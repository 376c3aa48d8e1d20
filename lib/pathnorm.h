/*
 * pathnorm.h: the path used for exempt matching (SPEC 3.5 rule 1).
 */
#ifndef XFF_PATHNORM_H
#define XFF_PATHNORM_H

#include <stddef.h>
#include "xstr.h"

/*
 * Normalises a path into out (capacity cap): optionally percent-decodes
 * it first (decode = 1; a '%' not followed by two hex digits makes the
 * path invalid), cuts it at '?' when cut_query = 1 (before decoding),
 * merges runs of '/', removes "." segments and resolves ".." segments.
 * Then all leading '/' are removed.  A path that does not start with '/',
 * that climbs above the root, that decodes to a NUL byte or that does not
 * fit is invalid.  Returns the length written (out is NUL-terminated),
 * or -1 when invalid.
 */
long	path_normalise(struct xstr path, int decode, int cut_query,
	    char *out, size_t cap);

#endif
