/*
 * test_ipaddr.c: IP literals, nodes, canonical text and CIDR sets.
 * Rows refer to reference/peers.md part (b).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ipaddr.h"

/* Parses s with ip_parse and checks family and canonical text. */
static void
parse_ok(const char *s, int family, const char *canon)
{
	struct ip	 ip;
	char		 buf[IP_TEXT_MAX];
	size_t		 n;

	if (ip_parse(xstr_c(s), &ip) != 0)
		fail_msg("ip_parse rejected \"%s\"", s);
	assert_int_equal(ip.family, family);
	n = ip_format(&ip, buf);
	assert_string_equal(buf, canon);
	assert_int_equal(n, strlen(canon));
}

/* Checks that ip_parse rejects s. */
static void
parse_bad(const char *s)
{
	struct ip	 ip;

	if (ip_parse(xstr_c(s), &ip) != -1)
		fail_msg("ip_parse accepted \"%s\"", s);
}

/* Parses s with ip_parse_node; checks canonical text and port. */
static void
node_ok(const char *s, const char *canon, unsigned port)
{
	struct ip	 ip;
	unsigned	 pt = 12345;
	char		 buf[IP_TEXT_MAX];

	if (ip_parse_node(xstr_c(s), &ip, &pt) != 0)
		fail_msg("ip_parse_node rejected \"%s\"", s);
	ip_format(&ip, buf);
	assert_string_equal(buf, canon);
	assert_int_equal(pt, port);
}

/* Checks that ip_parse_node rejects the len bytes at s. */
static void
node_bad_n(const char *s, size_t len)
{
	struct ip	 ip;
	unsigned	 pt;

	if (ip_parse_node((struct xstr){ s, len }, &ip, &pt) != -1)
		fail_msg("ip_parse_node accepted \"%.*s\"", (int)len, s);
}

/* Checks that ip_parse_node rejects the string s. */
static void
node_bad(const char *s)
{
	node_bad_n(s, strlen(s));
}

/* Dotted-quad IPv4: accepted forms. */
static void
test_ipv4_valid(void **state)
{
	(void)state;
	parse_ok("1.2.3.4", 4, "1.2.3.4");
	parse_ok("0.0.0.0", 4, "0.0.0.0");
	parse_ok("255.255.255.255", 4, "255.255.255.255");
	parse_ok("10.0.0.1", 4, "10.0.0.1");
	parse_ok("192.168.100.200", 4, "192.168.100.200");
}

/* Row 25: octal, hex, short and integer forms; other malformed IPv4. */
static void
test_ipv4_row25_rejects(void **state)
{
	(void)state;
	parse_bad("010.0.0.1");
	parse_bad("0x7f.0.0.1");
	parse_bad("127.1");
	parse_bad("2130706433");
	parse_bad("1.2.3.04");
	parse_bad("00.1.2.3");
	parse_bad("256.1.1.1");
	parse_bad("1.2.3.256");
	parse_bad("1.2.3.4.5");
	parse_bad("1.2.3.");
	parse_bad(".1.2.3");
	parse_bad("1..2.3");
	parse_bad("1.2.3.4 ");
	parse_bad(" 1.2.3.4");
	parse_bad("1.2.3.1000");
	parse_bad("+1.2.3.4");
	parse_bad("1.2.3.-4");
	parse_bad("");
	parse_bad("1.2.3.4/32");
}

/* RFC 4291 IPv6 text and RFC 5952 canonical output. */
static void
test_ipv6_valid(void **state)
{
	(void)state;
	parse_ok("::", 6, "::");
	parse_ok("::1", 6, "::1");
	parse_ok("1::", 6, "1::");
	parse_ok("2001:db8::1", 6, "2001:db8::1");
	parse_ok("2001:0DB8:0000:0000:0000:0000:0000:0001", 6,
	    "2001:db8::1");
	parse_ok("2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1");
	parse_ok("2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1");
	parse_ok("2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1");
	parse_ok("1:2:3:4:5:6:7:8", 6, "1:2:3:4:5:6:7:8");
	parse_ok("1:2:3:4:5:6::8", 6, "1:2:3:4:5:6:0:8");
	parse_ok("1::2:3:4:5:6:7", 6, "1:0:2:3:4:5:6:7");
	parse_ok("0:0:1:0:0:0:0:0", 6, "0:0:1::");
	parse_ok("FE80::ABCD", 6, "fe80::abcd");
	parse_ok("2001:db8::1:80", 6, "2001:db8::1:80");
	parse_ok("::1.2.3.4", 6, "::102:304");
	parse_ok("64:ff9b::192.0.2.33", 6, "64:ff9b::c000:221");
	parse_ok("1:2:3:4:5:6:1.2.3.4", 6, "1:2:3:4:5:6:102:304");
	parse_ok("::ffff:0:1.2.3.4", 6, "::ffff:0:102:304");
	parse_ok("0000:0000:0000:0000:0000:0000:0000:0000", 6, "::");
}

/* Malformed IPv6 text. */
static void
test_ipv6_rejects(void **state)
{
	(void)state;
	parse_bad(":");
	parse_bad(":::");
	parse_bad("1:::2");
	parse_bad("1::2::3");
	parse_bad(":1::2");
	parse_bad("1::2:");
	parse_bad("1:2:3:4:5:6:7");
	parse_bad("1:2:3:4:5:6:7:8:9");
	parse_bad("1:2:3:4:5:6:7:8::");
	parse_bad("::1:2:3:4:5:6:7:8");
	parse_bad("1:2:3:4::5:6:7:8");
	parse_bad("12345::1");
	parse_bad("g::1");
	parse_bad("::1.2.3");
	parse_bad("::1.2.3.4:5");
	parse_bad("::01.2.3.4");
	parse_bad("1.2.3.4::");
	parse_bad("1:2:3:4:5:6:7:1.2.3.4");
	parse_bad("::ffff:1.2.3.256");
	parse_bad("[::1]");
	parse_bad("fe80::1%eth0");
	parse_bad("::1 ");
}

/* Row 24: IPv4-mapped (dotted and hex) is stored and printed as IPv4. */
static void
test_row24_mapped(void **state)
{
	struct ip	 a, b;

	(void)state;
	parse_ok("::ffff:203.0.113.7", 4, "203.0.113.7");
	parse_ok("::FFFF:203.0.113.7", 4, "203.0.113.7");
	parse_ok("::ffff:cb00:7107", 4, "203.0.113.7");
	parse_ok("0:0:0:0:0:ffff:cb00:7107", 4, "203.0.113.7");
	assert_int_equal(ip_parse(xstr_c("::ffff:203.0.113.7"), &a), 0);
	assert_int_equal(ip_parse(xstr_c("203.0.113.7"), &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* Rows 19-23: nodes with ports, brackets and zones. */
static void
test_node_rows19_23(void **state)
{
	(void)state;
	node_ok("203.0.113.7:51234", "203.0.113.7", 51234);	/* 19 */
	node_ok("[2001:db8::7]:443", "2001:db8::7", 443);	/* 20 */
	node_ok("[2001:db8::7]", "2001:db8::7", 0);		/* 21 */
	node_ok("2001:db8::1:80", "2001:db8::1:80", 0);		/* 22 */
	node_ok("fe80::1%eth0", "fe80::1", 0);			/* 23 */
	node_ok("[fe80::1%25eth0]:80", "fe80::1", 80);		/* 23 */
	node_ok("[fe80::1%25eth0]", "fe80::1", 0);
	node_ok("fe80::1%a.b_c~d-9", "fe80::1", 0);
}

/* Node forms from the brief: plain, port and bracket combinations. */
static void
test_node_valid(void **state)
{
	(void)state;
	node_ok("1.2.3.4", "1.2.3.4", 0);
	node_ok("1.2.3.4:80", "1.2.3.4", 80);
	node_ok("1.2.3.4:65535", "1.2.3.4", 65535);
	node_ok("1.2.3.4:1", "1.2.3.4", 1);
	node_ok("2001:db8::1", "2001:db8::1", 0);
	node_ok("[2001:db8::1]", "2001:db8::1", 0);
	node_ok("[2001:db8::1]:443", "2001:db8::1", 443);
	node_ok("::1", "::1", 0);
	node_ok("[::1]:8080", "::1", 8080);
	node_ok("[::ffff:1.2.3.4]:80", "1.2.3.4", 80);
	node_ok("::ffff:1.2.3.4", "1.2.3.4", 0);
}

/* Row 23: bad zones; IPv4 with zone or brackets. */
static void
test_node_row23_bad_zones(void **state)
{
	(void)state;
	node_bad("fe80::1%");
	node_bad("fe80::1%eth:0");
	node_bad("fe80::1%eth/0");
	node_bad("fe80::1%eth[0");
	node_bad("fe80::1%eth]0");
	node_bad("fe80::1%eth 0");
	node_bad("fe80::1%eth\t0");
	node_bad("fe80::1% :");
	node_bad("::fffF:0:1%:");
	node_bad("[fe80::1%25]");
	node_bad("[fe80::1%2]");
	node_bad("[fe80::1%eth0]");		/* zone must be %25 in brackets */
	node_bad("[fe80::1%25eth:0]:80");
	node_bad("[fe80::1%25eth0");
	node_bad("fe80::1%25eth0]");
	node_bad("1.2.3.4%eth0");
	node_bad("1.2.3.4%25eth0");
	node_bad("[1.2.3.4]");
	node_bad("[1.2.3.4]:80");
	node_bad("0.0.0.1% :");
}

/* Rows 25-29: not client addresses. */
static void
test_node_rows25_29(void **state)
{
	(void)state;
	node_bad("010.0.0.1");			/* 25 */
	node_bad("0x7f.0.0.1");			/* 25 */
	node_bad("127.1");			/* 25 */
	node_bad("2130706433");			/* 25 */
	node_bad("0.0.0.0");			/* 26 */
	node_bad("::");				/* 26 */
	node_bad("[::]");			/* 26 */
	node_bad("[::]:80");			/* 26 */
	node_bad("0.0.0.0:80");			/* 26 */
	node_bad("::ffff:0.0.0.0");		/* 26 */
	node_bad("::%eth0");			/* 26 */
	node_bad("unknown");			/* 27 */
	node_bad("_hidden");			/* 27 */
	node_bad("proxy.example.com");		/* 28 */
	node_bad("localhost");			/* 28 */
	node_bad("localhost:80");		/* 28 */
	node_bad("10.0.0.0/8");			/* 29 */
	node_bad("1.2.3.4/32");			/* 29 */
	node_bad("2001:db8::/32");		/* 29 */
	node_bad("[2001:db8::]/32");		/* 29 */
}

/* Ports and bad framing around nodes. */
static void
test_node_bad_ports(void **state)
{
	(void)state;
	node_bad("1.2.3.4:0");
	node_bad("1.2.3.4:65536");
	node_bad("1.2.3.4:080");
	node_bad("1.2.3.4:443abc");
	node_bad("1.2.3.4:");
	node_bad("1.2.3.4:99999");
	node_bad("1.2.3.4:-1");
	node_bad("1.2.3.4:+80");
	node_bad("1.2.3.4: 80");
	node_bad("[2001:db8::1]:0");
	node_bad("[2001:db8::1]:65536");
	node_bad("[2001:db8::1]:080");
	node_bad("[2001:db8::1]:443abc");
	node_bad("[2001:db8::1]:");
	node_bad("[2001:db8::1]80");
	node_bad("[2001:db8::1]]");
	node_bad("[2001:db8::1");
	node_bad("[]");
	node_bad("[");
	node_bad("");
	node_bad(" 1.2.3.4");
	node_bad("1.2.3.4 ");
	node_bad("1.2.3.4 5.6.7.8");		/* row 14 */
	node_bad("\"1.2.3.4\"");
}

/* Row 17: NUL, CR, LF, ESC and non-ASCII bytes anywhere. */
static void
test_node_row17_bytes(void **state)
{
	static const char	*bad[] = {
		"1.2.3.4\r\n", "1.2.3.4\n", "\x1b[31m1.2.3.4", "1.2.3.4\x1b",
		"1.2.3.\xc2\xb4", "\xef\xbc\x91.2.3.4", "fe80::1%eth\xc3\xa9",
		"[::1]\r:80", "::1\x7f",
	};
	size_t			 i;

	(void)state;
	node_bad_n("1.2.3.4\0", 8);
	node_bad_n("1.2\0.3.4", 8);
	node_bad_n("[::1]\0:80", 9);
	node_bad_n("fe80::1%eth\0", 12);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		node_bad(bad[i]);
}

/* Row 30: different spellings of one address normalise to one text. */
static void
test_row30_normalise(void **state)
{
	struct ip	 a, b;
	unsigned	 pa, pb;

	(void)state;
	node_ok("2001:DB8::7", "2001:db8::7", 0);
	node_ok("2001:db8:0:0::7", "2001:db8::7", 0);
	assert_int_equal(ip_parse_node(xstr_c("2001:DB8::7"), &a, &pa), 0);
	assert_int_equal(ip_parse_node(xstr_c("2001:db8:0:0::7"), &b, &pb),
	    0);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* A node parse failure leaves *ip and *port untouched. */
static void
test_node_failure_untouched(void **state)
{
	struct ip	 ip;
	unsigned	 pt = 77;

	(void)state;
	memset(&ip, 0xaa, sizeof(ip));
	assert_int_equal(ip_parse_node(xstr_c("1.2.3.4:0"), &ip, &pt), -1);
	assert_int_equal(pt, 77);
	assert_int_equal(ip.a[0], 0xaa);
}

/* port_parse: 1-65535, digits only, no leading zero. */
static void
test_port_parse(void **state)
{
	(void)state;
	assert_int_equal(port_parse(xstr_c("1")), 1);
	assert_int_equal(port_parse(xstr_c("80")), 80);
	assert_int_equal(port_parse(xstr_c("443")), 443);
	assert_int_equal(port_parse(xstr_c("65535")), 65535);
	assert_int_equal(port_parse(xstr_c("0")), 0);
	assert_int_equal(port_parse(xstr_c("00")), 0);
	assert_int_equal(port_parse(xstr_c("080")), 0);
	assert_int_equal(port_parse(xstr_c("65536")), 0);
	assert_int_equal(port_parse(xstr_c("99999")), 0);
	assert_int_equal(port_parse(xstr_c("100000")), 0);
	assert_int_equal(port_parse(xstr_c("443abc")), 0);
	assert_int_equal(port_parse(xstr_c("443, 80")), 0);
	assert_int_equal(port_parse(xstr_c("")), 0);
	assert_int_equal(port_parse(xstr_c(" 80")), 0);
	assert_int_equal(port_parse(xstr_c("-1")), 0);
	assert_int_equal(port_parse(XSTR_NULL), 0);
}

/* Round trip: format(parse(x)) is canonical and re-parses identically. */
static void
test_roundtrip(void **state)
{
	static const char	*in[] = {
		"1.2.3.4", "255.0.0.255", "::1", "1::", "::", "2001:db8::1",
		"2001:DB8:0:0:0:0:0:1", "1:0:0:2:0:0:0:3", "1:0:0:2:0:0:3:4",
		"0:0:0:1:0:0:0:0", "::ffff:1.2.3.4", "::ffff:abcd:ef01",
		"::1.2.3.4", "fe80::abcd:1234:5678:9abc", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"1:2:3:4:5:6:7:8", "0:1:0:1:0:1:0:1", "1:0:1:0:1:0:1:0",
		"::ffff:0:1.2.3.4", "2001:db8::1:80", "64:ff9b::1.2.3.4",
	};
	struct ip		 a, b;
	char			 t1[IP_TEXT_MAX], t2[IP_TEXT_MAX];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(ip_parse(xstr_c(in[i]), &a), 0);
		ip_format(&a, t1);
		assert_int_equal(ip_parse(xstr_c(t1), &b), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		ip_format(&b, t2);
		assert_string_equal(t1, t2);
	}
}

/*
 * Checks the RFC 5952 rules on the text t: groups in lower-case hex
 * without leading zeros, "::" for the longest run of two or more zero
 * groups (the first one on a tie), never for a single zero group.
 */
static void
check_rfc5952(const char *t)
{
	const char	*gap = strstr(t, "::"), *p;
	int		 groups = 0, run = 0, before = 0, after = 0, len;
	int		 compressed = 0;

	for (p = t; *p != '\0'; ) {
		if (*p == ':') {
			if (p == gap) {
				/* close the run before "::" */
				before = run > before ? run : before;
				run = 0;
				p += 2;
				continue;
			}
			p++;
			continue;
		}
		len = (int)strspn(p, "0123456789abcdef");
		if (len == 0 || len > 4 || (len > 1 && p[0] == '0'))
			fail_msg("bad group in %s", t);
		groups++;
		if (len == 1 && p[0] == '0') {
			run++;
			if (gap == NULL || p < gap)
				before = run > before ? run : before;
			else
				after = run > after ? run : after;
		} else
			run = 0;
		p += len;
	}
	if (gap == NULL) {
		if (groups != 8 || before > 1)
			fail_msg("not compressed: %s", t);
		return;
	}
	compressed = 8 - groups;
	if (compressed < 2 || before >= compressed || after > compressed ||
	    strstr(gap + 1, "::") != NULL)
		fail_msg("wrong compression: %s", t);
}

/* Round trip over every address built from a small set of groups. */
static void
test_roundtrip_exhaustive(void **state)
{
	static const unsigned	 vals[] = { 0, 1, 0xffff };
	struct ip		 a, b;
	char			 t[IP_TEXT_MAX];
	unsigned		 k, code, g;
	int			 i;

	(void)state;
	/* 3^8 combinations of groups 0, 1 and ffff */
	for (code = 0; code < 6561; code++) {
		memset(&a, 0, sizeof(a));
		a.family = 6;
		for (i = 0, k = code; i < 8; i++, k /= 3) {
			g = vals[k % 3];
			a.a[2 * i] = (unsigned char)(g >> 8);
			a.a[2 * i + 1] = (unsigned char)g;
		}
		if (memcmp(a.a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(a.a, a.a + 12, 4);
			memset(a.a + 4, 0, 12);
			a.family = 4;
		}
		ip_format(&a, t);
		assert_true(strlen(t) < IP_TEXT_MAX);
		if (a.family == 6)
			check_rfc5952(t);
		assert_int_equal(ip_parse(xstr_c(t), &b), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* RFC 5952 4.2.3: the first of two equal zero runs is compressed. */
static void
test_format_tie_and_single(void **state)
{
	(void)state;
	parse_ok("1:0:0:2:0:0:3:4", 6, "1::2:0:0:3:4");
	parse_ok("1:0:0:2:3:0:0:4", 6, "1::2:3:0:0:4");
	parse_ok("1:0:0:2:0:0:0:4", 6, "1:0:0:2::4");		/* longest */
	parse_ok("1:2:3:4:5:6:0:8", 6, "1:2:3:4:5:6:0:8");	/* single */
	parse_ok("0:2:3:4:5:6:7:8", 6, "0:2:3:4:5:6:7:8");
	parse_ok("1:2:3:4:5:6:7:0", 6, "1:2:3:4:5:6:7:0");
	parse_ok("0:0:3:4:5:6:7:8", 6, "::3:4:5:6:7:8");
	parse_ok("1:2:3:4:5:6:0:0", 6, "1:2:3:4:5:6::");
	parse_ok("2001:db8:0:0:0:0:2:1", 6, "2001:db8::2:1");
	parse_ok("2001:db8:0000:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1");
}

/* Parses a CIDR and checks its canonical text, length and host bits. */
static void
cidr_ok(const char *s, const char *net, unsigned plen, int hb)
{
	struct cidr	 c;
	char		 buf[IP_TEXT_MAX];
	int		 hostbits = -1;

	if (cidr_parse(xstr_c(s), &c, &hostbits) != 0)
		fail_msg("cidr_parse rejected \"%s\"", s);
	ip_format(&c.net, buf);
	assert_string_equal(buf, net);
	assert_int_equal(c.plen, plen);
	assert_int_equal(hostbits, hb);
}

/* Checks that cidr_parse rejects s. */
static void
cidr_bad(const char *s)
{
	struct cidr	 c;
	int		 hb;

	if (cidr_parse(xstr_c(s), &c, &hb) != -1)
		fail_msg("cidr_parse accepted \"%s\"", s);
}

/* CIDR parsing: host routes, host bits, IPv4-mapped networks. */
static void
test_cidr_parse(void **state)
{
	struct cidr	 c;

	(void)state;
	cidr_ok("10.0.0.0/8", "10.0.0.0", 8, 0);
	cidr_ok("::1/128", "::1", 128, 0);
	cidr_ok("1.2.3.4", "1.2.3.4", 32, 0);
	cidr_ok("2001:db8::1", "2001:db8::1", 128, 0);
	cidr_ok("10.0.0.1/8", "10.0.0.0", 8, 1);
	cidr_ok("10.1.2.3/9", "10.0.0.0", 9, 1);
	cidr_ok("10.255.2.3/9", "10.128.0.0", 9, 1);
	cidr_ok("0.0.0.0/0", "0.0.0.0", 0, 0);
	cidr_ok("1.2.3.4/0", "0.0.0.0", 0, 1);
	cidr_ok("::/0", "::", 0, 0);
	cidr_ok("2001:db8::1/32", "2001:db8::", 32, 1);
	cidr_ok("2001:db8:ffff::/33", "2001:db8:8000::", 33, 1);
	cidr_ok("::ffff:10.0.0.0/104", "10.0.0.0", 8, 0);
	cidr_ok("::ffff:10.0.0.1/104", "10.0.0.0", 8, 1);
	cidr_ok("::ffff:1.2.3.4", "1.2.3.4", 32, 0);
	cidr_ok("::ffff:0:0/96", "0.0.0.0", 0, 0);
	cidr_ok("10.0.0.0/32", "10.0.0.0", 32, 0);
	/* a mapped address under /96 stays an IPv6 network */
	cidr_ok("::ffff:1.2.3.4/95", "::fffe:0:0", 95, 1);
	assert_int_equal(cidr_parse(xstr_c("10.0.0.1/8"), &c, NULL), 0);
	assert_int_equal(c.plen, 8);
}

/* CIDR rejects. */
static void
test_cidr_rejects(void **state)
{
	(void)state;
	cidr_bad("/8");
	cidr_bad("10.0.0.0/33");
	cidr_bad("10.0.0.0/08");
	cidr_bad("10.0.0.0/00");
	cidr_bad("::/129");
	cidr_bad("::/0128");
	cidr_bad("10.0.0.0/");
	cidr_bad("10.0.0.0/8x");
	cidr_bad("10.0.0.0/8 ");
	cidr_bad("10.0.0.0/8/8");
	cidr_bad("10.0.0.0/-1");
	cidr_bad("10.0.0.0/+8");
	cidr_bad("10.0.0.0/1000");
	cidr_bad("010.0.0.0/8");
	cidr_bad("[::1]/128");
	cidr_bad("fe80::%eth0/64");
	cidr_bad("unix:");
	cidr_bad("");
	cidr_bad("10.0.0.0 /8");
}

/* Returns a parsed CIDR, failing the test when s is not one. */
static struct cidr
mkcidr(const char *s)
{
	struct cidr	 c;

	if (cidr_parse(xstr_c(s), &c, NULL) != 0)
		fail_msg("bad CIDR %s", s);
	return c;
}

/* Returns 1 when the address s lies in the CIDR n. */
static int
in(const char *n, const char *s)
{
	struct cidr	 c = mkcidr(n);
	struct ip	 ip;

	if (ip_parse(xstr_c(s), &ip) != 0)
		fail_msg("bad address %s", s);
	return cidr_match(&c, &ip);
}

/* cidr_match: boundaries, odd prefix lengths, families. */
static void
test_cidr_match(void **state)
{
	(void)state;
	assert_true(in("10.0.0.0/8", "10.0.0.0"));
	assert_true(in("10.0.0.0/8", "10.255.255.255"));
	assert_false(in("10.0.0.0/8", "11.0.0.0"));
	assert_false(in("10.0.0.0/8", "9.255.255.255"));
	assert_true(in("10.0.0.0/24", "10.0.0.2"));
	assert_false(in("10.0.0.0/24", "10.0.1.2"));
	assert_true(in("10.128.0.0/9", "10.200.0.1"));
	assert_false(in("10.128.0.0/9", "10.127.0.1"));
	assert_true(in("1.2.3.4", "1.2.3.4"));
	assert_false(in("1.2.3.4", "1.2.3.5"));
	assert_true(in("0.0.0.0/0", "203.0.113.9"));
	assert_false(in("0.0.0.0/0", "::1"));
	assert_false(in("::/0", "1.2.3.4"));
	assert_true(in("::/0", "2001:db8::1"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("fe80::/10", "febf::1"));
	assert_false(in("fe80::/10", "fec0::1"));
	assert_true(in("::1/128", "::1"));
	assert_false(in("::1/128", "::2"));
	/* row 24: mapped peer compared as IPv4 */
	assert_true(in("203.0.113.0/24", "::ffff:203.0.113.7"));
	assert_true(in("::ffff:203.0.113.0/120", "203.0.113.7"));
	assert_false(in("::ffff:203.0.113.0/120", "203.0.114.7"));
}

/* cidrset_match_peer/_ip: row 8 (unix:), row 24 and empty sets. */
static void
test_cidrset(void **state)
{
	struct cidr	 v[3];
	struct cidrset	 set = { v, 3, 0 };
	struct cidrset	 none = { NULL, 0, 0 };
	struct cidrset	 unixonly = { NULL, 0, 1 };
	struct ip	 ip;

	(void)state;
	v[0] = mkcidr("10.0.0.0/24");
	v[1] = mkcidr("2001:db8::/32");
	v[2] = mkcidr("192.0.2.7");
	assert_true(cidrset_match_peer(&set, xstr_c("10.0.0.2")));
	assert_true(cidrset_match_peer(&set, xstr_c("::ffff:10.0.0.2")));
	assert_true(cidrset_match_peer(&set, xstr_c("::ffff:a00:2")));
	assert_true(cidrset_match_peer(&set, xstr_c("2001:DB8::5")));
	assert_true(cidrset_match_peer(&set, xstr_c("192.0.2.7")));
	assert_false(cidrset_match_peer(&set, xstr_c("192.0.2.8")));
	assert_false(cidrset_match_peer(&set, xstr_c("203.0.113.9")));
	/* row 8: unix: and other non-IP peers only with has_unix */
	assert_false(cidrset_match_peer(&set, xstr_c("unix:")));
	assert_false(cidrset_match_peer(&set, xstr_c("")));
	assert_false(cidrset_match_peer(&set, xstr_c("garbage")));
	assert_false(cidrset_match_peer(&set, xstr_c("10.0.0.2:80")));
	set.has_unix = 1;
	assert_true(cidrset_match_peer(&set, xstr_c("unix:")));
	assert_true(cidrset_match_peer(&set, xstr_c("garbage")));
	assert_true(cidrset_match_peer(&set, xstr_c("10.0.0.2")));
	/* an IP literal outside the nets never matches through unix: */
	assert_false(cidrset_match_peer(&set, xstr_c("203.0.113.9")));
	assert_false(cidrset_match_peer(&unixonly, xstr_c("127.0.0.1")));
	assert_true(cidrset_match_peer(&unixonly, xstr_c("unix:")));
	assert_false(cidrset_match_peer(&none, xstr_c("unix:")));
	assert_false(cidrset_match_peer(&none, xstr_c("127.0.0.1")));
	assert_int_equal(ip_parse(xstr_c("10.0.0.77"), &ip), 0);
	assert_true(cidrset_match_ip(&set, &ip));
	assert_false(cidrset_match_ip(&none, &ip));
	assert_int_equal(ip_parse(xstr_c("10.0.1.77"), &ip), 0);
	assert_false(cidrset_match_ip(&set, &ip));
}

/* Longest canonical text fits IP_TEXT_MAX. */
static void
test_format_length(void **state)
{
	struct ip	 ip;
	char		 buf[IP_TEXT_MAX + 8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(ip_parse(xstr_c(
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), &ip), 0);
	assert_int_equal(ip_format(&ip, buf), 39);
	assert_int_equal(buf[39], '\0');
	assert_int_equal(buf[40], 'Z');
	assert_int_equal(ip_parse(xstr_c("255.255.255.255"), &ip), 0);
	assert_int_equal(ip_format(&ip, buf), 15);
}

/* Runs the ipaddr tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_valid),
		cmocka_unit_test(test_ipv4_row25_rejects),
		cmocka_unit_test(test_ipv6_valid),
		cmocka_unit_test(test_ipv6_rejects),
		cmocka_unit_test(test_row24_mapped),
		cmocka_unit_test(test_node_rows19_23),
		cmocka_unit_test(test_node_valid),
		cmocka_unit_test(test_node_row23_bad_zones),
		cmocka_unit_test(test_node_rows25_29),
		cmocka_unit_test(test_node_bad_ports),
		cmocka_unit_test(test_node_row17_bytes),
		cmocka_unit_test(test_row30_normalise),
		cmocka_unit_test(test_node_failure_untouched),
		cmocka_unit_test(test_port_parse),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_exhaustive),
		cmocka_unit_test(test_format_tie_and_single),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_rejects),
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_cidrset),
		cmocka_unit_test(test_format_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
