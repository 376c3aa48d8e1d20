/*
 * test_values.c: forwarded scheme, host, port and prefix (SPEC 3.3).
 * Rows refer to reference/peers.md part (b).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ipaddr.h"
#include "values.h"

/* Row 43: only http and https, any ASCII case. */
static void
test_row43_proto(void **state)
{
	(void)state;
	assert_int_equal(value_proto(xstr_c("https")), 1);
	assert_int_equal(value_proto(xstr_c("HTTPS")), 1);
	assert_int_equal(value_proto(xstr_c("HtTpS")), 1);
	assert_int_equal(value_proto(xstr_c("http")), 0);
	assert_int_equal(value_proto(xstr_c("HTTP")), 0);
	/* the list splitter trims; the validator itself does not */
	assert_int_equal(value_proto(xstr_trim(xstr_c("https "))), 1);
	assert_int_equal(value_proto(xstr_c("https ")), -1);
	assert_int_equal(value_proto(xstr_c(" http")), -1);
	assert_int_equal(value_proto(xstr_c("javascript")), -1);
	assert_int_equal(value_proto(xstr_c("wss")), -1);
	assert_int_equal(value_proto(xstr_c("ws")), -1);
	assert_int_equal(value_proto(xstr_c("ftp")), -1);
	assert_int_equal(value_proto(xstr_c("https, http")), -1);
	assert_int_equal(value_proto(xstr_c("httpss")), -1);
	assert_int_equal(value_proto(xstr_c("htt")), -1);
	assert_int_equal(value_proto(xstr_c("")), -1);
	assert_int_equal(value_proto(XSTR_NULL), -1);
	assert_int_equal(value_proto((struct xstr){ "https\0", 6 }), -1);
	/* non-ASCII bytes that some case folders map onto ASCII */
	assert_int_equal(value_proto(xstr_c("http\xc5\xbf")), -1);
}

/* Checks value_host accepts s with the given host part and port. */
static void
host_ok(const char *s, const char *host, unsigned port)
{
	struct xstr	 h = XSTR_NULL;
	unsigned	 pt = 999;

	if (value_host(xstr_c(s), &h, &pt) != 0)
		fail_msg("value_host rejected \"%s\"", s);
	if (!xstr_eqc(h, host))
		fail_msg("host of \"%s\" is \"%.*s\"", s, (int)h.len, h.p);
	assert_ptr_equal(h.p, s);
	assert_int_equal(pt, port);
}

/* Checks value_host rejects the len bytes at s. */
static void
host_bad_n(const char *s, size_t len)
{
	struct xstr	 h;
	unsigned	 pt;

	if (value_host((struct xstr){ s, len }, &h, &pt) != -1)
		fail_msg("value_host accepted \"%.*s\"", (int)len, s);
}

/* Checks value_host rejects the string s. */
static void
host_bad(const char *s)
{
	host_bad_n(s, strlen(s));
}

/* Rows 45-46: valid hosts. */
static void
test_row45_46_host_valid(void **state)
{
	(void)state;
	host_ok("eggs", "eggs", 0);
	host_ok("eggs:8443", "eggs", 8443);
	host_ok("evil.example", "evil.example", 0);		/* 45 */
	host_ok("1.2.3.4", "1.2.3.4", 0);
	host_ok("1.2.3.4:80", "1.2.3.4", 80);
	host_ok("[2001:db8::a]", "[2001:db8::a]", 0);
	host_ok("[2001:db8::a]:8443", "[2001:db8::a]", 8443);
	host_ok("[2001:db8::1]:8443", "[2001:db8::1]", 8443);	/* 46 */
	host_ok("[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]", 0);
	host_ok("Www-1.Example.COM:65535", "Www-1.Example.COM", 65535);
	host_ok("a", "a", 0);
}

/* Rows 45-47: invalid hosts and ports. */
static void
test_row45_47_host_invalid(void **state)
{
	(void)state;
	host_bad("2001:db8::a");			/* 46: bare IPv6 */
	host_bad("2001:db8::1");			/* 46 */
	host_bad("good/evil");				/* 45 */
	host_bad("a@b");				/* 45 */
	host_bad("good:abc");				/* 45 */
	host_bad("good\r\nX:1");			/* 45 */
	host_bad("a b");				/* 45 */
	host_bad("good ");
	host_bad(" good");
	host_bad("");
	host_bad(":80");
	host_bad("h:0");				/* 47 */
	host_bad("h:65536");				/* 47 */
	host_bad("h:443abc");				/* 47 */
	host_bad("h:080");
	host_bad("h:");
	host_bad("h:80:80");
	host_bad("[zz]");
	host_bad("[]");
	host_bad("[1.2.3.4]");
	host_bad("[::1");
	host_bad("[::1]x");
	host_bad("[::1]:");
	host_bad("[::1]:0");
	host_bad("[::1]:65536");
	host_bad("[fe80::1%25eth0]");
	host_bad("[fe80::1%eth0]");
	host_bad("[::1]]");
	host_bad("a_b");
	host_bad("a,b");
	host_bad("a;b");
	host_bad("a?b");
	host_bad("a#b");
	host_bad("a\\b");
	host_bad("a%2eb");
	host_bad("a\"b");
	host_bad("\xc3\xa9t\xc3\xa9");
	host_bad("a\x1b");
	host_bad_n("a\0b", 3);
	host_bad_n("a:80\0", 5);
}

/*
 * Row 47: X-Forwarded-Port values go through port_parse.  (Row 44, the
 * scheme's default port, belongs to the correction and its tests.)
 */
static void
test_row47_port(void **state)
{
	(void)state;
	assert_int_equal(port_parse(xstr_c("8443")), 8443);
	assert_int_equal(port_parse(xstr_c("0")), 0);
	assert_int_equal(port_parse(xstr_c("65536")), 0);
	assert_int_equal(port_parse(xstr_c("443abc")), 0);
	assert_int_equal(port_parse(xstr_c("443, 80")), 0);
	assert_int_equal(port_parse(xstr_c("080")), 0);
}

/* host_strip_port: the host part of an incoming HTTP_HOST. */
static void
test_host_strip_port(void **state)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "eggs", "eggs" },
		{ "eggs:8080", "eggs" },
		{ "eggs:", "eggs" },
		{ "[::1]", "[::1]" },
		{ "[::1]:443", "[::1]" },
		{ "", "" },
		{ ":80", "" },
		{ "a:b:c", "a:b" },
		{ "2001:db8::1", "2001:db8:" },
	};
	struct xstr	 r;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		r = host_strip_port(xstr_c(v[i].in));
		if (!xstr_eqc(r, v[i].out))
			fail_msg("strip \"%s\" gave \"%.*s\"", v[i].in,
			    (int)r.len, r.p);
	}
	r = host_strip_port(XSTR_NULL);
	assert_int_equal(r.len, 0);
}

/* Checks value_prefix accepts s and yields out. */
static void
prefix_ok(const char *s, const char *out)
{
	struct xstr	 o = XSTR_NULL;

	if (value_prefix(xstr_c(s), &o) != 0)
		fail_msg("value_prefix rejected \"%s\"", s);
	if (!xstr_eqc(o, out))
		fail_msg("prefix of \"%s\" is \"%.*s\"", s, (int)o.len, o.p);
}

/* Checks value_prefix rejects the len bytes at s. */
static void
prefix_bad_n(const char *s, size_t len)
{
	struct xstr	 o;

	if (value_prefix((struct xstr){ s, len }, &o) != -1)
		fail_msg("value_prefix accepted \"%.*s\"", (int)len,
		    s != NULL ? s : "");
}

/* Checks value_prefix rejects the string s. */
static void
prefix_bad(const char *s)
{
	prefix_bad_n(s, strlen(s));
}

/* Row 48 and SPEC 3.3 step 5: valid prefixes. */
static void
test_row48_prefix_valid(void **state)
{
	(void)state;
	prefix_ok("/app/", "/app");				/* 48 */
	prefix_ok("/app", "/app");
	prefix_ok("/", "");
	prefix_ok("/a/b", "/a/b");
	prefix_ok("/a/b/", "/a/b");
	prefix_ok("/A-z_0.9~x", "/A-z_0.9~x");
	prefix_ok("/...", "/...");
	prefix_ok("/.a/b.", "/.a/b.");
	prefix_ok("/a..b", "/a..b");
}

/* Row 48 and SPEC 3.3 step 5: invalid prefixes. */
static void
test_row48_prefix_invalid(void **state)
{
	static const char	*bad[] = {
		"//evil.example", "/app/../admin", "/./x", "/%2e%2e/", "app",
		"/app?x", "/a#b", "/a b", "/a\"b", "/a\\b", "", "//", "/a//b",
		"/a//", "/.", "/..", "/a/.", "/a/..", "/a/./b", "/../", "/./",
		"/a\tb", "/a\rb", "/a\nb", "/a\x1b", "/a\x7f", "/\xc3\xa9",
		"/a%20b", "/a'b", "/a;b", "/a:b", "/a@b", "/a+b", "/a,b",
		"/a=b", "/a&b", "/a<b>", "https://evil.example/", "\\a",
		" /a", "/a ",
	};
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		prefix_bad(bad[i]);
	prefix_bad_n("/a\0b", 4);
	prefix_bad_n("/\0", 2);
	prefix_bad_n(NULL, 0);
}

/* A rejected value leaves the outputs untouched. */
static void
test_outputs_untouched(void **state)
{
	struct xstr	 h = XSTR_LIT("keep");
	unsigned	 pt = 7;

	(void)state;
	assert_int_equal(value_host(xstr_c("a b"), &h, &pt), -1);
	assert_true(xstr_eqc(h, "keep"));
	assert_int_equal(pt, 7);
	assert_int_equal(value_prefix(xstr_c("/a/../b"), &h), -1);
	assert_true(xstr_eqc(h, "keep"));
}

/* xstr helpers used by the validators and the list splitting. */
static void
test_xstr(void **state)
{
	struct xstr	 t;

	(void)state;
	assert_true(xstr_caseeqc(xstr_c("HeLLo"), "hello"));
	assert_true(xstr_caseeqc(xstr_c(""), ""));
	assert_false(xstr_caseeqc(xstr_c("hello"), "hell"));
	assert_false(xstr_caseeqc(xstr_c("hell"), "hello"));
	assert_false(xstr_caseeqc(xstr_c("h@llo"), "h`llo"));
	assert_false(xstr_caseeqc(xstr_c("["), "{"));
	t = xstr_trim(xstr_c(" \t a b \t "));
	assert_true(xstr_eqc(t, "a b"));
	t = xstr_trim(xstr_c(" \t "));
	assert_int_equal(t.len, 0);
	t = xstr_trim(xstr_c("\ra\n"));
	assert_true(xstr_eqc(t, "\ra\n"));
	t = xstr_trim(XSTR_NULL);
	assert_int_equal(t.len, 0);
	assert_true(xstr_blank(xstr_c("")));
	assert_true(xstr_blank(XSTR_NULL));
	assert_true(xstr_blank(xstr_c(" ,\t, ,")));
	assert_false(xstr_blank(xstr_c(" , x")));
	assert_false(xstr_blank(xstr_c("\r\n")));
	assert_false(xstr_blank((struct xstr){ ",\0", 2 }));
}

/* Runs the values tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row43_proto),
		cmocka_unit_test(test_row45_46_host_valid),
		cmocka_unit_test(test_row45_47_host_invalid),
		cmocka_unit_test(test_row47_port),
		cmocka_unit_test(test_host_strip_port),
		cmocka_unit_test(test_row48_prefix_valid),
		cmocka_unit_test(test_row48_prefix_invalid),
		cmocka_unit_test(test_outputs_untouched),
		cmocka_unit_test(test_xstr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
