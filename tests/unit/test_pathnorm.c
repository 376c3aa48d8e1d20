/*
 * test_pathnorm.c: the path used for exempt matching (SPEC 3.5 rule 1,
 * reference/peers.md part (b) row 56).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pathnorm.h"

/* Normalises the len bytes at s and checks the result. */
static void
norm_ok_n(const char *s, size_t len, int decode, int cutq, const char *want)
{
	char	 out[256];
	long	 n;

	memset(out, 'Z', sizeof(out));
	n = path_normalise((struct xstr){ s, len }, decode, cutq, out,
	    sizeof(out));
	if (n < 0)
		fail_msg("path_normalise rejected \"%.*s\"", (int)len, s);
	assert_string_equal(out, want);
	assert_int_equal(n, (long)strlen(want));
}

/* Normalises the string s and checks the result. */
static void
norm_ok(const char *s, int decode, int cutq, const char *want)
{
	norm_ok_n(s, strlen(s), decode, cutq, want);
}

/* Checks path_normalise rejects the len bytes at s. */
static void
norm_bad_n(const char *s, size_t len, int decode, int cutq)
{
	char	 out[256];

	if (path_normalise((struct xstr){ s, len }, decode, cutq, out,
	    sizeof(out)) != -1)
		fail_msg("path_normalise accepted \"%.*s\"", (int)len,
		    s != NULL ? s : "");
}

/* Checks path_normalise rejects the string s. */
static void
norm_bad(const char *s, int decode, int cutq)
{
	norm_bad_n(s, strlen(s), decode, cutq);
}

/* Row 56: the spellings of /health/ that nginx routes alike. */
static void
test_row56_spellings(void **state)
{
	(void)state;
	norm_ok("/health/", 1, 1, "health/");
	norm_ok("//health/", 1, 1, "health/");
	norm_ok("/heal%74h/", 1, 1, "health/");
	norm_ok("/x/../health", 1, 1, "health");
	norm_ok("//health", 1, 1, "health");
	norm_ok("/HEALTH", 1, 1, "HEALTH");
	norm_ok("/health;x", 1, 1, "health;x");
	norm_ok("/./health/", 1, 1, "health/");
	norm_ok("/x/%2e%2e/health/", 1, 1, "health/");
	norm_ok("/x/%2E./health/", 1, 1, "health/");
	norm_ok("/x%2f..%2fhealth/", 1, 1, "health/");
}

/* Merging slashes, "." and ".." segments. */
static void
test_segments(void **state)
{
	(void)state;
	norm_ok("/x/./y//z", 0, 0, "x/y/z");
	norm_ok("/", 0, 0, "");
	norm_ok("//", 0, 0, "");
	norm_ok("///", 1, 1, "");
	norm_ok("/.", 0, 0, "");
	norm_ok("/./", 0, 0, "");
	norm_ok("/x/..", 0, 0, "");
	norm_ok("/x/../", 0, 0, "");
	norm_ok("/x/.", 0, 0, "x/");
	norm_ok("/x/", 0, 0, "x/");
	norm_ok("/a/b/c/../../d", 0, 0, "a/d");
	norm_ok("/a/b/../c/./d/", 0, 0, "a/c/d/");
	norm_ok("/a//b///c", 0, 0, "a/b/c");
	norm_ok("/...", 0, 0, "...");
	norm_ok("/..a/.b/a..", 0, 0, "..a/.b/a..");
	norm_ok("/a/..b", 0, 0, "a/..b");
	norm_ok("/aa/bb/..", 0, 0, "aa/");
	norm_bad("/aa/../../..", 0, 0);
}

/* Climbing above the root is invalid. */
static void
test_climb_above_root(void **state)
{
	(void)state;
	norm_bad("/../x", 0, 0);
	norm_bad("/..", 0, 0);
	norm_bad("/x/../..", 0, 0);
	norm_bad("/x/../../y", 0, 0);
	norm_bad("/%2e%2e/x", 1, 0);
	norm_bad("/%2E%2E", 1, 0);
	norm_bad("/.%2e/", 1, 0);
}

/* Percent-decoding: bad escapes and NUL bytes. */
static void
test_decode(void **state)
{
	(void)state;
	norm_ok("/a%20b", 1, 0, "a b");
	norm_ok("/a%2Fb", 1, 0, "a/b");
	norm_ok("/%41%62", 1, 0, "Ab");
	norm_ok("/%25", 1, 0, "%");
	norm_ok("/%2541", 1, 0, "%41");		/* decoded once only */
	norm_ok("/a%0d%0ab", 1, 0, "a\r\nb");
	norm_ok("/%c3%a9", 1, 0, "\xc3\xa9");
	norm_ok("/a%2", 0, 0, "a%2");		/* no decoding: kept */
	norm_ok("/heal%74h/", 0, 0, "heal%74h/");
	norm_bad("/a%2", 1, 0);
	norm_bad("/a%", 1, 0);
	norm_bad("/a%zz", 1, 0);
	norm_bad("/a%g0", 1, 0);
	norm_bad("/a%0g", 1, 0);
	norm_bad("/a%00b", 1, 0);
	norm_bad("/%00", 1, 0);
	norm_bad_n("/a\0b", 4, 0, 0);
	norm_bad_n("/a\0b", 4, 1, 1);
}

/* cut_query cuts at the first '?' before decoding. */
static void
test_query(void **state)
{
	(void)state;
	norm_ok("/a?b=1", 1, 1, "a");
	norm_ok("/a?b=1", 0, 1, "a");
	norm_ok("/a/?", 1, 1, "a/");
	norm_ok("/?x", 1, 1, "");
	norm_ok("/a?b=1", 1, 0, "a?b=1");
	norm_ok("/a%3Fb", 1, 1, "a?b");
	norm_ok("/a?%zz", 1, 1, "a");		/* bad escape in the query */
	norm_ok("/a?/../../..", 1, 1, "a");
	norm_ok("/x/..?y", 1, 1, "");
	norm_bad("/a?%00", 1, 0);
}

/* Paths that do not start with '/' are invalid. */
static void
test_not_absolute(void **state)
{
	(void)state;
	norm_bad("", 0, 0);
	norm_bad("a", 0, 0);
	norm_bad("a/b", 1, 1);
	norm_bad(" /a", 1, 1);
	norm_bad("%2Fa", 1, 1);
	norm_bad("?/a", 1, 1);
	norm_bad_n(NULL, 0, 1, 1);
}

/* A result that does not fit the capacity is invalid; exact fits work. */
static void
test_capacity(void **state)
{
	char	 out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(path_normalise(xstr_c("/abcdefg"), 1, 1, out, 8), 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(path_normalise(xstr_c("/abcdefgh"), 1, 1, out, 8),
	    -1);
	assert_int_equal(path_normalise(xstr_c("/abcdef/"), 1, 1, out, 8), 7);
	assert_string_equal(out, "abcdef/");
	assert_int_equal(path_normalise(xstr_c("/abcdefg/"), 1, 1, out, 8),
	    -1);
	/* longer input that normalises short enough */
	assert_int_equal(path_normalise(xstr_c("/xxxxxx/../ab/./c"), 1, 1,
	    out, 8), 4);
	assert_string_equal(out, "ab/c");
	/* a segment that never fits is invalid even if ".." drops it later */
	assert_int_equal(path_normalise(xstr_c("/xxxxxxxxxxxx/../ab"), 1, 1,
	    out, 8), -1);
	assert_int_equal(path_normalise(xstr_c("/%61%62%63%64%65%66%67"), 1,
	    1, out, 8), 7);
	assert_string_equal(out, "abcdefg");
	/* dot segments need no room */
	assert_int_equal(path_normalise(xstr_c("/abcdef/.."), 1, 1, out, 8),
	    0);
	assert_int_equal(path_normalise(xstr_c("/abcdefg/.."), 1, 1, out, 8),
	    -1);
	assert_int_equal(path_normalise(xstr_c("/"), 1, 1, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(path_normalise(xstr_c("/a"), 1, 1, out, 1), -1);
	assert_int_equal(path_normalise(xstr_c("/"), 1, 1, out, 0), -1);
}

/* Normalising a normalised path (with a '/' put back) changes nothing. */
static void
test_idempotent(void **state)
{
	static const char	*in[] = {
		"/health/", "//a//b/../c/./d", "/x/%2e%2e/y", "/a%2fb/",
		"/.../..", "/a/b/c/../../..", "/%7e/~",
	};
	char			 a[128], b[129], c[128];
	long			 n, m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		n = path_normalise(xstr_c(in[i]), 1, 1, a, sizeof(a));
		assert_true(n >= 0);
		b[0] = '/';
		memcpy(b + 1, a, (size_t)n + 1);
		m = path_normalise(xstr_c(b), 0, 0, c, sizeof(c));
		assert_int_equal(m, n);
		assert_string_equal(a, c);
	}
}

/* Runs the pathnorm tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row56_spellings),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_climb_above_root),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_not_absolute),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
