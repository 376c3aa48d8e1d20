/*
 * pathnorm.c: the normalised path used for exempt matching (SPEC 3.5).
 */
#include <string.h>

#include "pathnorm.h"

/* Input cursor: the path, its length and an optional percent-decoding. */
struct cursor {
	const char	*p;
	size_t		 len;
	size_t		 i;
	int		 decode;
};

/*
 * Reads the next (decoded) byte into *c.  Returns 1 for a byte, 0 at the
 * end, -1 for a bad escape or a NUL byte.
 */
static int
next_byte(struct cursor *cur, unsigned char *c)
{
	int	hi, lo;

	if (cur->i >= cur->len)
		return 0;
	*c = (unsigned char)cur->p[cur->i++];
	if (*c == '%' && cur->decode) {
		if (cur->len - cur->i < 2)
			return -1;
		hi = xstr_hexval((unsigned char)cur->p[cur->i]);
		lo = xstr_hexval((unsigned char)cur->p[cur->i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		cur->i += 2;
		*c = (unsigned char)(hi << 4 | lo);
	}
	return *c == '\0' ? -1 : 1;
}

/* Drops the last segment of out[0..*w), which ends in '/'.  0 or -1. */
static int
climb(const char *out, size_t *w)
{
	if (*w == 0)
		return -1;
	(*w)--;
	while (*w > 0 && out[*w - 1] != '/')
		(*w)--;
	return 0;
}

/*
 * Reads one segment (up to '/' or the end) and appends it to out at *w
 * unless it is "." or ".."; a ".." drops the previous segment.  Sets
 * *slash when the segment ended with a '/'.  Returns 0 or -1.
 */
static int
segment(struct cursor *cur, char *out, size_t cap, size_t *w, int *slash)
{
	unsigned char	 c;
	size_t		 n = 0, start = *w;
	int		 rc, dots = 1;

	*slash = 0;
	while ((rc = next_byte(cur, &c)) == 1) {
		if (c == '/') {
			*slash = 1;
			break;
		}
		if (c != '.')
			dots = 0;
		if (start + n + 1 >= cap) {
			/* a "." or ".." never needs room */
			if (!dots || n >= 2)
				return -1;
		} else
			out[start + n] = (char)c;
		n++;
	}
	if (rc == -1)
		return -1;
	if (dots && n == 2)
		return climb(out, w);
	if (dots && n <= 1)
		return 0;
	*w = start + n;
	if (*slash) {
		if (*w + 1 >= cap)
			return -1;
		out[(*w)++] = '/';
	}
	return 0;
}

/*
 * Normalises path into out (see pathnorm.h).  The work is done in out
 * itself, so a path is also invalid when a segment that a later ".."
 * would drop does not fit.  Returns the length or -1.
 */
long
path_normalise(struct xstr path, int decode, int cut_query, char *out,
    size_t cap)
{
	struct cursor	 cur;
	const char	*q;
	size_t		 w = 0;
	int		 slash = 1;

	if (cap == 0 || path.len == 0 || path.p == NULL || path.p[0] != '/')
		return -1;
	cur.p = path.p;
	cur.len = path.len;
	if (cut_query && (q = memchr(path.p, '?', path.len)) != NULL)
		cur.len = (size_t)(q - path.p);
	cur.i = 1;
	cur.decode = decode;
	while (slash && cur.i <= cur.len) {
		while (cur.i < cur.len && cur.p[cur.i] == '/')
			cur.i++;
		if (segment(&cur, out, cap, &w, &slash) == -1)
			return -1;
	}
	out[w] = '\0';
	return (long)w;
}
