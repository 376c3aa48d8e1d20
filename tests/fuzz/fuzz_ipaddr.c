/*
 * fuzz_ipaddr.c: libFuzzer harness for the address, value, path and
 * escape parsers.  Every invariant violation aborts.
 *
 *	clang -fsanitize=fuzzer,address,undefined -I lib \
 *	    tests/fuzz/fuzz_ipaddr.c lib/ipaddr.c lib/values.c \
 *	    lib/pathnorm.c lib/xstr.c lib/escape.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "ipaddr.h"
#include "pathnorm.h"
#include "values.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* Canonical text re-parses to the same address and prints identically. */
static void
check_canonical(const struct ip *ip)
{
	struct ip	 again;
	char		 t1[IP_TEXT_MAX], t2[IP_TEXT_MAX];
	size_t		 n;

	CHECK(ip->family == 4 || ip->family == 6);
	n = ip_format(ip, t1);
	CHECK(n == strlen(t1) && n < IP_TEXT_MAX);
	CHECK(ip_parse(xstr_c(t1), &again) == 0);
	CHECK(memcmp(ip, &again, sizeof(again)) == 0);
	ip_format(&again, t2);
	CHECK(strcmp(t1, t2) == 0);
}

/* ip_parse and ip_parse_node: canonical round trips, ports, no "::". */
static void
fuzz_ip(struct xstr s)
{
	struct ip	 ip, again;
	unsigned	 port, p2;
	char		 t[IP_TEXT_MAX + 8];
	size_t		 n;

	if (ip_parse(s, &ip) == 0)
		check_canonical(&ip);
	if (ip_parse_node(s, &ip, &port) != 0)
		return;
	check_canonical(&ip);
	CHECK(port <= 65535);
	CHECK(memchr(s.p, '\0', s.len) == NULL);
	/* the node written back in canonical form parses to the same */
	n = ip_format(&ip, t);
	CHECK(ip_parse_node((struct xstr){ t, n }, &again, &p2) == 0);
	CHECK(memcmp(&ip, &again, sizeof(ip)) == 0 && p2 == 0);
	CHECK(strcmp(t, "0.0.0.0") != 0 && strcmp(t, "::") != 0);
}

/* cidr_parse: host bits cleared, the network matches itself, round trip. */
static void
fuzz_cidr(struct xstr s)
{
	struct cidr	 c, again;
	char		 t[IP_TEXT_MAX + 8];
	size_t		 n;
	int		 hb, hb2;

	if (cidr_parse(s, &c, &hb) != 0)
		return;
	CHECK(c.plen <= (c.net.family == 4 ? 32u : 128u));
	CHECK(hb == 0 || hb == 1);
	CHECK(cidr_match(&c, &c.net) == 1);
	check_canonical(&c.net);
	n = ip_format(&c.net, t);
	n += (size_t)snprintf(t + n, sizeof(t) - n, "/%u", c.plen);
	if (c.net.family == 6 && c.plen < 96 &&
	    memcmp(c.net.a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		return;		/* a mapped net under /96 has no IPv6 text */
	CHECK(cidr_parse((struct xstr){ t, n }, &again, &hb2) == 0);
	CHECK(hb2 == 0);
	CHECK(memcmp(&c, &again, sizeof(c)) == 0);
}

/* value_host: the host is a prefix, port consistent, host alone valid. */
static void
fuzz_host(struct xstr s)
{
	struct xstr	 h, h2;
	unsigned	 port, p2;
	size_t		 i;

	if (value_host(s, &h, &port) != 0)
		return;
	CHECK(h.p == s.p && h.len > 0 && h.len <= s.len);
	CHECK(port <= 65535);
	CHECK((port == 0) == (h.len == s.len));
	for (i = 0; i < s.len; i++)
		CHECK((unsigned char)s.p[i] > 0x20 &&
		    (unsigned char)s.p[i] < 0x7f);
	CHECK(value_host(h, &h2, &p2) == 0 && xstr_eq(h, h2) && p2 == 0);
	CHECK(xstr_eq(host_strip_port(s), h));
}

/* value_prefix: out is s without one trailing '/', and is stable. */
static void
fuzz_prefix(struct xstr s)
{
	struct xstr	 out, again;

	if (value_prefix(s, &out) != 0)
		return;
	CHECK(out.p == s.p);
	CHECK(out.len == s.len || (out.len + 1 == s.len &&
	    s.p[s.len - 1] == '/'));
	if (out.len == 0)
		return;
	CHECK(out.p[0] == '/' && out.p[out.len - 1] != '/');
	CHECK(value_prefix(out, &again) == 0 && xstr_eq(out, again));
}

/* path_normalise: no leading '/', no "//", no dot segment, idempotent. */
static void
fuzz_path(struct xstr s, int decode, int cutq)
{
	char		 out[256], in2[258], out2[256];
	long		 n, m;
	const char	*seg, *end;

	n = path_normalise(s, decode, cutq, out, sizeof(out));
	if (n < 0)
		return;
	CHECK((size_t)n < sizeof(out) && strlen(out) == (size_t)n);
	CHECK(n == 0 || out[0] != '/');
	CHECK(strstr(out, "//") == NULL);
	for (seg = out; *seg != '\0'; seg = *end == '/' ? end + 1 : end) {
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		CHECK(!(end - seg == 1 && seg[0] == '.'));
		CHECK(!(end - seg == 2 && seg[0] == '.' && seg[1] == '.'));
	}
	in2[0] = '/';
	memcpy(in2 + 1, out, (size_t)n);
	m = path_normalise((struct xstr){ in2, (size_t)n + 1 }, 0, 0, out2,
	    sizeof(out2));
	CHECK(m == n && memcmp(out, out2, (size_t)n + 1) == 0);
}

/* escape_log and escape_explain: bounded, no forbidden byte left. */
static void
fuzz_escape(struct xstr s, size_t max, size_t cap)
{
	char	 out[512];
	size_t	 n, i, full;

	n = escape_log(s, max, out, cap);
	CHECK(cap == 0 ? n == 0 : n < cap && out[n] == '\0');
	for (i = 0; i < n; i++)
		CHECK(out[i] >= 0x21 && out[i] <= 0x7e && out[i] != '=' &&
		    out[i] != '"');
	full = escape_explain(s, out, cap);
	CHECK(full >= s.len && full <= 4 * s.len);
	if (cap == 0)
		return;
	n = strlen(out);
	CHECK(n < cap && n <= full);
	CHECK(memchr(out, '\r', n) == NULL && memchr(out, '\n', n) == NULL);
	if (full < cap)
		CHECK(n == full);
}

/* Runs every parser on one input; the first byte also sizes escapes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xstr	 s = { (const char *)data, size };
	size_t		 cap;

	fuzz_ip(s);
	fuzz_cidr(s);
	fuzz_host(s);
	fuzz_prefix(s);
	fuzz_path(s, 1, 1);
	fuzz_path(s, 0, 0);
	fuzz_path(s, 1, 0);
	cap = size > 0 ? data[0] : 0;
	fuzz_escape(s, size / 2, cap);
	fuzz_escape(s, size, 512);
	return 0;
}
