/*
 * xstr.h: counted byte strings (not NUL-terminated) used throughout the core.
 */
#ifndef XFF_XSTR_H
#define XFF_XSTR_H

#include <stddef.h>
#include <string.h>

struct xstr {
	const char	*p;
	size_t		 len;
};

#define XSTR_NULL	((struct xstr){ NULL, 0 })
#define XSTR_LIT(s)	((struct xstr){ (s), sizeof(s) - 1 })

/* Returns a counted string for the NUL-terminated s (NULL gives XSTR_NULL). */
static inline struct xstr
xstr_c(const char *s)
{
	struct xstr r = { s, s != NULL ? strlen(s) : 0 };
	return r;
}

/* Returns 1 when a and b hold the same bytes. */
static inline int
xstr_eq(struct xstr a, struct xstr b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Returns 1 when a equals the NUL-terminated literal s. */
static inline int
xstr_eqc(struct xstr a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

/* Returns the value of the ASCII hex digit c, or -1. */
static inline int
xstr_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Returns 1 when a is non-empty and every byte is an ASCII letter, an
 * ASCII digit or one of the bytes of the NUL-terminated extra.
 */
static inline int
xstr_wordset(struct xstr a, const char *extra)
{
	size_t		i;
	unsigned char	c;

	if (a.len == 0)
		return 0;
	for (i = 0; i < a.len; i++) {
		c = (unsigned char)a.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') ||
		    (c != '\0' && strchr(extra, c) != NULL)))
			return 0;
	}
	return 1;
}

/* Returns 1 for a character of an HTTP token (RFC 9110 tchar). */
static inline int
xstr_istchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Returns 1 when a equals s ignoring ASCII case. */
int	xstr_caseeqc(struct xstr a, const char *s);

/* Returns a with leading and trailing spaces and tabs removed. */
struct xstr xstr_trim(struct xstr a);

/* Returns 1 when a is empty or holds only spaces, tabs and commas. */
int	xstr_blank(struct xstr a);

#endif
