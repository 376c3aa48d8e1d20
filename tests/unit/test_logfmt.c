/*
 * test_logfmt.c: the time stamp of log lines, the JOURNAL_STREAM check
 * and the "config" line (lib/logfmt.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "logfmt.h"

/* Checks the stamp of the given date, time and offset. */
static void
stamp_is(int y, int mo, int d, int h, int mi, int s, long off,
    const char *want)
{
	struct tm	tm;
	char		buf[LOGFMT_STAMP_MAX];
	size_t		n;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	n = logfmt_stamp(&tm, off, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* ISO 8601 with the offset as +HHMM or -HHMM. */
static void
test_stamp(void **state)
{
	(void)state;
	stamp_is(2026, 12, 4, 22, 39, 30, 0, "2026-12-04T22:39:30+0000");
	stamp_is(2026, 1, 2, 3, 4, 5, 3600, "2026-01-02T03:04:05+0100");
	stamp_is(2026, 7, 1, 0, 0, 0, -4 * 3600, "2026-07-01T00:00:00-0400");
	stamp_is(2026, 3, 9, 23, 59, 60, -(3 * 3600 + 1800),
	    "2026-03-09T23:59:60-0330");
	stamp_is(2027, 6, 30, 12, 0, 0, 5 * 3600 + 45 * 60,
	    "2027-06-30T12:00:00+0545");
	stamp_is(2026, 1, 1, 0, 0, 0, 14 * 3600, "2026-01-01T00:00:00+1400");
}

/* A buffer too small gives "" and 0, never a cut stamp. */
static void
test_stamp_small(void **state)
{
	struct tm	tm;
	char		buf[24];

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mday = 1;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(logfmt_stamp(&tm, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(logfmt_stamp(&tm, 0, buf, 0), 0);
	assert_int_equal(buf[0], '\0');
}

/* A log line with and without a stamp, and one cut to fit. */
static void
test_line(void **state)
{
	char	buf[64];
	size_t	n;

	(void)state;
	n = logfmt_line(buf, sizeof(buf), "2026-12-04T22:39:30+0000",
	    "xff-gateway", 42, "info", "config x_for=1");
	assert_string_equal(buf, "2026-12-04T22:39:30+0000 xff-gateway[42]: "
	    "info config x_for=1\n");
	assert_int_equal(n, strlen(buf));
	n = logfmt_line(buf, sizeof(buf), "", "xff-cgi", 7, "error", "x");
	assert_string_equal(buf, "xff-cgi[7]: error x\n");
	assert_int_equal(n, strlen(buf));
	n = logfmt_line(buf, sizeof(buf), NULL, "xff-cgi", 7, "error", "x");
	assert_string_equal(buf, "xff-cgi[7]: error x\n");
	n = logfmt_line(buf, 16, NULL, "xff-cgi", 7, "error", "a long text");
	assert_int_equal(n, 15);
	assert_string_equal(buf, "xff-cgi[7]: er\n");
}

/* "DEV:INO" in decimal, nothing else. */
static void
test_journal(void **state)
{
	(void)state;
	assert_int_equal(logfmt_journal_match("8:12345", 8, 12345), 1);
	assert_int_equal(logfmt_journal_match("0:1", 0, 1), 1);
	assert_int_equal(logfmt_journal_match("18446744073709551615:2",
	    18446744073709551615ULL, 2), 1);
	assert_int_equal(logfmt_journal_match("8:12345", 8, 12346), 0);
	assert_int_equal(logfmt_journal_match("9:12345", 8, 12345), 0);
	assert_int_equal(logfmt_journal_match(NULL, 8, 12345), 0);
	assert_int_equal(logfmt_journal_match("", 0, 0), 0);
	assert_int_equal(logfmt_journal_match(":", 0, 0), 0);
	assert_int_equal(logfmt_journal_match("8:", 8, 0), 0);
	assert_int_equal(logfmt_journal_match(":5", 0, 5), 0);
	assert_int_equal(logfmt_journal_match("8:5 ", 8, 5), 0);
	assert_int_equal(logfmt_journal_match(" 8:5", 8, 5), 0);
	assert_int_equal(logfmt_journal_match("+8:5", 8, 5), 0);
	assert_int_equal(logfmt_journal_match("8:5:1", 8, 5), 0);
	assert_int_equal(logfmt_journal_match("0x8:5", 8, 5), 0);
	assert_int_equal(logfmt_journal_match("18446744073709551616:2", 0, 2),
	    0);
}

/* Adds the network text to set (which grows by one). */
static void
add_net(struct cidrset *set, const char *text)
{
	struct cidr	*v;
	int		 hostbits;

	v = realloc(set->v, (set->n + 1) * sizeof(*v));
	assert_non_null(v);
	set->v = v;
	assert_int_equal(cidr_parse(xstr_c(text), &v[set->n], &hostbits), 0);
	set->n++;
}

/* The defaults, proxies in order with "unix:" last, the path escaped. */
static void
test_config_line(void **state)
{
	struct config	cfg;
	char		out[2048];
	size_t		n;

	(void)state;
	assert_int_equal(config_defaults(&cfg), 0);
	n = logfmt_config(&cfg, "/etc/xff-gateway.ini", out, sizeof(out));
	assert_string_equal(out, "path=/etc/xff-gateway.ini proxies=- "
	    "x_for=1 x_proto=1 x_host=0 x_port=0 x_prefix=0 forwarded=0 "
	    "strict=no always_proxy=no no_spoofing=no header_required=no "
	    "loose_unsafe=no clean=yes rewrite_remote_addr=yes exempt=0 "
	    "exempt_stealth=no keep_original=yes");
	assert_int_equal(n, strlen(out));

	add_net(&cfg.proxies, "10.0.0.0/8");
	add_net(&cfg.proxies, "192.0.2.7");
	add_net(&cfg.proxies, "2001:DB8::/32");
	cfg.proxies.has_unix = 1;
	cfg.x_for = 2;
	cfg.x_host = 1;
	cfg.forwarded = 3;
	cfg.strict = 1;
	cfg.header_required = 1;
	cfg.clean = 0;
	logfmt_config(&cfg, "/etc/my gw=1.ini", out, sizeof(out));
	assert_string_equal(out, "path=/etc/my\\x20gw\\x3d1.ini "
	    "proxies=10.0.0.0/8,192.0.2.7/32,2001:db8::/32,unix: x_for=2 "
	    "x_proto=1 x_host=1 x_port=0 x_prefix=0 forwarded=3 strict=yes "
	    "always_proxy=no no_spoofing=no header_required=yes "
	    "loose_unsafe=no clean=no rewrite_remote_addr=yes exempt=0 "
	    "exempt_stealth=no keep_original=yes");
	cfg.proxies.n = 0;
	logfmt_config(&cfg, "/x.ini", out, sizeof(out));
	assert_non_null(strstr(out, " proxies=unix: x_for=2 "));
	config_free(&cfg);
}

/* A long proxies list is cut with "..."; a small buffer is never overrun. */
static void
test_config_line_bounds(void **state)
{
	struct config	cfg;
	char		out[4096], net[32], *p;
	size_t		n, cap;
	int		i;

	(void)state;
	assert_int_equal(config_defaults(&cfg), 0);
	for (i = 0; i < 200; i++) {
		snprintf(net, sizeof(net), "10.%d.0.0/16", i);
		add_net(&cfg.proxies, net);
	}
	logfmt_config(&cfg, "/x.ini", out, sizeof(out));
	p = strstr(out, " proxies=10.0.0.0/16,10.1.0.0/16,");
	assert_non_null(p);
	assert_non_null(strstr(out, ",... x_for=1 "));
	assert_null(strstr(out, "10.199.0.0/16"));
	assert_true(strstr(out, " x_for=") - (p + 9) <= 1024 + 3);
	for (cap = 1; cap < 120; cap++) {
		memset(out, 'Z', sizeof(out));
		n = logfmt_config(&cfg, "/x.ini", out, cap);
		assert_true(n < cap);
		assert_int_equal(strlen(out), n);
		assert_int_equal(out[cap], 'Z');
	}
	config_free(&cfg);
}

/* Runs the logfmt tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_stamp_small),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_config_line),
		cmocka_unit_test(test_config_line_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
