/*
 * values.c: validators for forwarded scheme, host and prefix (SPEC 3.3).
 */
#include <string.h>

#include "ipaddr.h"
#include "values.h"

/* Returns 1 for "https", 0 for "http" (any ASCII case), else -1. */
int
value_proto(struct xstr s)
{
	if (xstr_caseeqc(s, "https"))
		return 1;
	if (xstr_caseeqc(s, "http"))
		return 0;
	return -1;
}

/* Returns 1 when p[0..len) is a non-empty run of [A-Za-z0-9.-]. */
static int
regname_ok(const char *p, size_t len)
{
	struct xstr	h = { p, len };

	return xstr_wordset(h, "-.");
}

/* Returns 1 when p[0..len) is IPv6 text (no zone) in brackets. */
static int
bracket6_ok(const char *p, size_t len)
{
	struct ip	 ip;

	if (len < 4 || p[0] != '[' || p[len - 1] != ']' ||
	    memchr(p + 1, ':', len - 2) == NULL)
		return 0;
	return ip_parse((struct xstr){ p + 1, len - 2 }, &ip) == 0;
}

/* Validates host[:port] (see values.h).  Returns 0 or -1. */
int
value_host(struct xstr s, struct xstr *host, unsigned *port)
{
	const char	*c;
	size_t		 hlen;
	unsigned	 pt = 0;

	if (s.len == 0 || s.p == NULL)
		return -1;
	if (s.p[0] == '[') {
		c = memchr(s.p, ']', s.len);
		if (c == NULL)
			return -1;
		hlen = (size_t)(c - s.p) + 1;
		if (!bracket6_ok(s.p, hlen))
			return -1;
		c = hlen < s.len ? s.p + hlen : NULL;
		if (c != NULL && *c != ':')
			return -1;
	} else {
		c = memchr(s.p, ':', s.len);
		hlen = c != NULL ? (size_t)(c - s.p) : s.len;
		if (!regname_ok(s.p, hlen))
			return -1;
	}
	if (c != NULL) {
		pt = port_parse((struct xstr){ c + 1, s.len - hlen - 1 });
		if (pt == 0)
			return -1;
	}
	host->p = s.p;
	host->len = hlen;
	*port = pt;
	return 0;
}

/* Returns the host part of an HTTP_HOST value (see values.h). */
struct xstr
host_strip_port(struct xstr hosthdr)
{
	size_t	i;

	if (hosthdr.len == 0 || hosthdr.p[hosthdr.len - 1] == ']')
		return hosthdr;
	for (i = hosthdr.len; i > 0; i--)
		if (hosthdr.p[i - 1] == ':') {
			hosthdr.len = i - 1;
			break;
		}
	return hosthdr;
}

/* Returns 1 when c may appear in a prefix: [A-Za-z0-9-._~/]. */
static int
prefix_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '/';
}

/* Returns 1 when the segment p[0..len) is "." or "..". */
static int
dot_segment(const char *p, size_t len)
{
	return (len == 1 && p[0] == '.') ||
	    (len == 2 && p[0] == '.' && p[1] == '.');
}

/* Validates a prefix (see values.h).  Returns 0 or -1. */
int
value_prefix(struct xstr s, struct xstr *out)
{
	size_t	i, seg;

	if (s.len == 0 || s.p == NULL || s.p[0] != '/')
		return -1;
	seg = 1;
	for (i = 1; i <= s.len; i++) {
		if (i < s.len && !prefix_char(s.p[i]))
			return -1;
		if (i < s.len && s.p[i] != '/')
			continue;
		/* s.p[seg..i) is a complete segment */
		if (i < s.len && i == seg)
			return -1;		/* "//" */
		if (dot_segment(s.p + seg, i - seg))
			return -1;
		seg = i + 1;
	}
	out->p = s.p;
	out->len = s.p[s.len - 1] == '/' ? s.len - 1 : s.len;
	return 0;
}
