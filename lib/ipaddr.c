/*
 * ipaddr.c: strict IP literal parsing, canonical output and CIDR sets.
 * Everything here runs on every request: no allocation, no locale, only
 * explicit byte comparisons.
 */
#include <string.h>

#include "ipaddr.h"

#define NOGAP	9		/* no "::" seen (a group index never reached) */

/* Returns 1 when c is an ASCII decimal digit. */
static int
isdec(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parses exactly p[0..len) as a dotted quad (four decimal octets 0-255,
 * no leading zero) into a[0..3].  Returns 0, or -1 leaving a undefined.
 */
static int
parse4(const char *p, size_t len, unsigned char *a)
{
	size_t		 i = 0, nd;
	unsigned	 v;
	int		 k;

	for (k = 0; k < 4; k++) {
		if (k > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		v = 0;
		nd = 0;
		while (i < len && isdec(p[i])) {
			if (nd == 3 || (nd == 1 && v == 0))
				return -1;
			v = v * 10 + (unsigned)(p[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0 || v > 255)
			return -1;
		a[k] = (unsigned char)v;
	}
	return i == len ? 0 : -1;
}

/*
 * Reads one group of 1-4 hex digits at p[*i]; stores it in *v and moves
 * *i past it.  Returns the number of digits (5 means too many).
 */
static size_t
hexgroup(const char *p, size_t len, size_t *i, unsigned *v)
{
	size_t	nd = 0;
	int	h;

	*v = 0;
	while (*i < len && nd < 5 &&
	    (h = xstr_hexval((unsigned char)p[*i])) >= 0) {
		*v = (*v << 4) | (unsigned)h;
		nd++;
		(*i)++;
	}
	return nd;
}

/* Expands the groups g[gap..ng) of a[] to the end, zero-filling the gap. */
static int
expand6(unsigned char *a, size_t ng, size_t gap)
{
	size_t	tail;

	if (gap == NOGAP)
		return ng == 8 ? 0 : -1;
	if (ng > 7)
		return -1;		/* "::" stands for at least one group */
	tail = 2 * (ng - gap);
	memmove(a + 16 - tail, a + 2 * gap, tail);
	memset(a + 2 * gap, 0, 16 - 2 * ng);
	return 0;
}

/*
 * Parses exactly p[0..len) as RFC 4291 IPv6 text (hex groups of 1-4
 * digits, at most one "::", optional trailing dotted quad) into a[0..15].
 * Returns 0, or -1 leaving a undefined.
 */
static int
parse6(const char *p, size_t len, unsigned char *a)
{
	size_t		 i = 0, ng = 0, gap = NOGAP, start, nd;
	unsigned	 v;

	if (len < 2)
		return -1;
	if (p[0] == ':') {
		if (p[1] != ':')
			return -1;
		gap = 0;
		i = 2;
		if (i == len)
			return expand6(a, ng, gap);
	}
	for (;;) {
		start = i;
		nd = hexgroup(p, len, &i, &v);
		if (nd == 0 || nd > 4)
			return -1;
		if (i < len && p[i] == '.') {
			if (ng > 6 || parse4(p + start, len - start,
			    a + 2 * ng) == -1)
				return -1;
			ng += 2;
			break;
		}
		if (ng == 8)
			return -1;
		a[2 * ng] = (unsigned char)(v >> 8);
		a[2 * ng + 1] = (unsigned char)(v & 0xff);
		ng++;
		if (i == len)
			break;
		if (p[i] != ':' || ++i == len)
			return -1;
		if (p[i] == ':') {
			if (gap != NOGAP)
				return -1;
			gap = ng;
			if (++i == len)
				break;
		}
	}
	return expand6(a, ng, gap);
}

/* Turns an IPv4-mapped IPv6 address in ip into IPv4, in place. */
static void
unmap(struct ip *ip)
{
	static const unsigned char pfx[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (ip->family != 6 || memcmp(ip->a, pfx, sizeof(pfx)) != 0)
		return;
	ip->family = 4;
	memmove(ip->a, ip->a + 12, 4);
	memset(ip->a + 4, 0, 12);
}

/*
 * Parses a bare literal p[0..len) into *ip (IPv4-mapped unmapped); text
 * holding a ':' is IPv6 text, anything else dotted-quad.  Sets *v6text.
 * Returns 0 or -1 (*ip untouched).
 */
static int
parse_text(const char *p, size_t len, struct ip *ip, int *v6text)
{
	struct ip	 r;

	memset(&r, 0, sizeof(r));
	*v6text = len > 0 && memchr(p, ':', len) != NULL;
	if (*v6text) {
		if (parse6(p, len, r.a) == -1)
			return -1;
		r.family = 6;
		unmap(&r);
	} else {
		if (parse4(p, len, r.a) == -1)
			return -1;
		r.family = 4;
	}
	*ip = r;
	return 0;
}

/* Parses a bare IP literal (see ipaddr.h).  Returns 0 or -1. */
int
ip_parse(struct xstr s, struct ip *ip)
{
	int	v6text;

	return parse_text(s.p, s.len, ip, &v6text);
}

/* Returns 1 when the zone p[0..len) is non-empty and [A-Za-z0-9._~-]. */
static int
zone_ok(const char *p, size_t len)
{
	struct xstr	z = { p, len };

	return xstr_wordset(z, "._~-");
}

/*
 * Parses IPv6 text with an optional zone, p[0..len); with brackets set
 * the zone must be written "%25name".  Returns 0 or -1.
 */
static int
parse6zone(const char *p, size_t len, int brackets, struct ip *ip)
{
	const char	*pct;
	size_t		 alen, skip;
	int		 v6text;

	pct = len > 0 ? memchr(p, '%', len) : NULL;
	alen = pct != NULL ? (size_t)(pct - p) : len;
	if (pct != NULL) {
		skip = 1;
		if (brackets) {
			if (len - alen < 3 || pct[1] != '2' || pct[2] != '5')
				return -1;
			skip = 3;
		}
		if (!zone_ok(pct + skip, len - alen - skip))
			return -1;
	}
	if (parse_text(p, alen, ip, &v6text) == -1 || !v6text)
		return -1;
	return 0;
}

/* Parses "[v6]" or "[v6]:port" (s.p[0] is '[').  Returns 0 or -1. */
static int
parse_bracket(struct xstr s, struct ip *ip, unsigned *port)
{
	const char	*rb;
	size_t		 inner, rest;

	rb = memchr(s.p, ']', s.len);
	if (rb == NULL)
		return -1;
	inner = (size_t)(rb - s.p) - 1;
	if (parse6zone(s.p + 1, inner, 1, ip) == -1)
		return -1;
	rest = s.len - inner - 2;
	*port = 0;
	if (rest == 0)
		return 0;
	if (rb[1] != ':')
		return -1;
	*port = port_parse((struct xstr){ rb + 2, rest - 1 });
	return *port == 0 ? -1 : 0;
}

/* Parses "a.b.c.d", "a.b.c.d:port" or bare IPv6 with zone.  0 or -1. */
static int
parse_plain(struct xstr s, struct ip *ip, unsigned *port)
{
	const char	*c1, *c2;
	size_t		 alen;

	*port = 0;
	c1 = memchr(s.p, ':', s.len);
	if (c1 == NULL) {
		memset(ip, 0, sizeof(*ip));
		ip->family = 4;
		return parse4(s.p, s.len, ip->a);
	}
	alen = (size_t)(c1 - s.p);
	c2 = memchr(c1 + 1, ':', s.len - alen - 1);
	if (c2 != NULL)
		return parse6zone(s.p, s.len, 0, ip);
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	if (parse4(s.p, alen, ip->a) == -1)
		return -1;
	*port = port_parse((struct xstr){ c1 + 1, s.len - alen - 1 });
	return *port == 0 ? -1 : 0;
}

/* Returns 1 when ip is 0.0.0.0 or ::. */
static int
unspecified(const struct ip *ip)
{
	static const unsigned char zero[16];

	return memcmp(ip->a, zero, ip->family == 4 ? 4 : 16) == 0;
}

/* Parses a node: ip, ip:port, [v6], [v6]:port, zone dropped.  0 or -1. */
int
ip_parse_node(struct xstr s, struct ip *ip, unsigned *port)
{
	struct ip	 r;
	unsigned	 pt;
	int		 rc;

	if (s.len == 0 || s.p == NULL)
		return -1;
	if (s.p[0] == '[')
		rc = parse_bracket(s, &r, &pt);
	else
		rc = parse_plain(s, &r, &pt);
	if (rc == -1 || unspecified(&r))
		return -1;
	*ip = r;
	*port = pt;
	return 0;
}

/* Writes the decimal v (0-255) at buf; returns the number of bytes. */
static size_t
fmt_dec(unsigned v, char *buf)
{
	size_t	n = 0;

	if (v >= 100)
		buf[n++] = (char)('0' + v / 100);
	if (v >= 10)
		buf[n++] = (char)('0' + v / 10 % 10);
	buf[n++] = (char)('0' + v % 10);
	return n;
}

/* Writes the group v in lower-case hex without leading zeros. */
static size_t
fmt_hex(unsigned v, char *buf)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 n = 0;
	int			 sh;

	for (sh = 12; sh > 0 && (v >> sh) == 0; sh -= 4)
		;
	for (; sh >= 0; sh -= 4)
		buf[n++] = digits[(v >> sh) & 0xf];
	return n;
}

/* Finds the longest run (>= 2) of zero groups, first on a tie. */
static void
zero_run(const unsigned *g, int *best, int *bestlen)
{
	int	i, j;

	*best = -1;
	*bestlen = 1;
	for (i = 0; i < 8; i = j + 1) {
		for (j = i; j < 8 && g[j] == 0; j++)
			;
		if (j - i > *bestlen) {
			*best = i;
			*bestlen = j - i;
		}
	}
}

/* Writes the RFC 5952 text of a[0..15] into buf; returns its length. */
static size_t
fmt6(const unsigned char *a, char *buf)
{
	unsigned	 g[8];
	size_t		 n = 0;
	int		 i, best, bestlen;

	for (i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	zero_run(g, &best, &bestlen);
	for (i = 0; i < 8; i++) {
		if (i == best) {
			buf[n++] = ':';
			buf[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			buf[n++] = ':';
		n += fmt_hex(g[i], buf + n);
	}
	return n;
}

/* Writes the canonical text of ip into buf; returns its length. */
size_t
ip_format(const struct ip *ip, char *buf)
{
	size_t	n = 0;
	int	k;

	if (ip->family == 4) {
		for (k = 0; k < 4; k++) {
			if (k > 0)
				buf[n++] = '.';
			n += fmt_dec(ip->a[k], buf + n);
		}
	} else
		n = fmt6(ip->a, buf);
	buf[n] = '\0';
	return n;
}

/* Parses a decimal port 1-65535 without a leading zero; 0 when not one. */
unsigned
port_parse(struct xstr s)
{
	unsigned	 v = 0;
	size_t		 i;

	if (s.len == 0 || s.len > 5 || s.p[0] == '0')
		return 0;
	for (i = 0; i < s.len; i++) {
		if (!isdec(s.p[i]))
			return 0;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

/* Parses a prefix length p[0..len) up to max.  Returns it or -1. */
static int
parse_plen(const char *p, size_t len, unsigned max)
{
	unsigned	 v = 0;
	size_t		 i;

	if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdec(p[i]))
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

/* Clears the bits of a[] past plen; returns 1 when some were set. */
static int
clear_host(unsigned char *a, unsigned plen, size_t bytes)
{
	size_t		 i = plen / 8;
	unsigned char	 mask;
	int		 set = 0;

	if (plen % 8 != 0) {
		mask = (unsigned char)(0xff << (8 - plen % 8));
		set |= (a[i] & ~mask) != 0;
		a[i] &= mask;
		i++;
	}
	for (; i < bytes; i++) {
		set |= a[i] != 0;
		a[i] = 0;
	}
	return set;
}

/* Turns the unmapped IPv4 ip back into its IPv4-mapped IPv6 form. */
static void
remap(struct ip *ip)
{
	unsigned char	 v4[4];

	memcpy(v4, ip->a, 4);
	memset(ip->a, 0, 10);
	ip->a[10] = 0xff;
	ip->a[11] = 0xff;
	memcpy(ip->a + 12, v4, 4);
	ip->family = 6;
}

/* Parses "ip" or "ip/len" into *c, clearing host bits.  0 or -1. */
int
cidr_parse(struct xstr s, struct cidr *c, int *hostbits)
{
	struct cidr	 r;
	const char	*sl;
	size_t		 alen;
	int		 v6text, plen;

	if (s.len == 0 || s.p == NULL)
		return -1;
	sl = memchr(s.p, '/', s.len);
	alen = sl != NULL ? (size_t)(sl - s.p) : s.len;
	if (parse_text(s.p, alen, &r.net, &v6text) == -1)
		return -1;
	plen = v6text ? 128 : 32;
	if (sl != NULL && (plen = parse_plen(sl + 1, s.len - alen - 1,
	    (unsigned)plen)) == -1)
		return -1;
	if (v6text && r.net.family == 4) {
		if (plen >= 96)
			plen -= 96;
		else
			remap(&r.net);
	}
	r.plen = (unsigned)plen;
	v6text = clear_host(r.net.a, r.plen, r.net.family == 4 ? 4 : 16);
	if (hostbits != NULL)
		*hostbits = v6text;
	*c = r;
	return 0;
}

/* Returns 1 when ip lies in c (families must agree), else 0. */
int
cidr_match(const struct cidr *c, const struct ip *ip)
{
	size_t		 bytes = c->plen / 8;
	unsigned char	 mask;

	if (c->net.family != ip->family)
		return 0;
	if (bytes > 0 && memcmp(c->net.a, ip->a, bytes) != 0)
		return 0;
	if (c->plen % 8 == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - c->plen % 8));
	return (ip->a[bytes] & mask) == c->net.a[bytes];
}

/* Returns 1 when ip lies in one of the networks of set. */
int
cidrset_match_ip(const struct cidrset *set, const struct ip *ip)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (cidr_match(&set->v[i], ip))
			return 1;
	return 0;
}

/* Returns 1 when the peer text matches the set (see ipaddr.h). */
int
cidrset_match_peer(const struct cidrset *set, struct xstr peer)
{
	struct ip	 ip;

	if (ip_parse(peer, &ip) == -1)
		return set->has_unix ? 1 : 0;
	return cidrset_match_ip(set, &ip);
}
