/*
 * test_escape.c: log escaping (SPEC 3.8) and --explain escaping (SPEC 4),
 * reference/peers.md part (b) rows 17 and 57.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "escape.h"

/* Checks escape_log of the len bytes at s with max and cap. */
static void
log_is(const char *s, size_t len, size_t max, size_t cap, const char *want)
{
	char	 out[512];
	size_t	 n;

	assert_true(cap <= sizeof(out) - 1);
	memset(out, 'Z', sizeof(out));
	n = escape_log((struct xstr){ s, len }, max, out, cap);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_true(cap == 0 || n < cap);
	assert_int_equal(out[cap], 'Z');	/* nothing past cap */
}

/* SPEC 3.8: the bytes that are escaped and those that are not. */
static void
test_log_bytes(void **state)
{
	(void)state;
	log_is("1.2.3.4", 7, 64, 256, "1.2.3.4");
	log_is("a b", 3, 64, 256, "a\\x20b");
	log_is("a\\b", 3, 64, 256, "a\\x5cb");
	log_is("k=v", 3, 64, 256, "k\\x3dv");
	log_is("\"q\"", 3, 64, 256, "\\x22q\\x22");
	log_is("\x7f\x80\xff", 3, 64, 256, "\\x7f\\x80\\xff");
	log_is("\t", 1, 64, 256, "\\x09");
	log_is("!~", 2, 64, 256, "!~");
	log_is("", 0, 64, 256, "");
	log_is(NULL, 0, 64, 256, "");
}

/* Row 17/57: CR, LF, ESC and NUL cannot forge a line or a field. */
static void
test_log_row17_57_injection(void **state)
{
	static const char	 in[] = "x\r\nlevel=error event=fake\x1b[2J\0y";
	char			 out[256];
	size_t			 n, i;

	(void)state;
	n = escape_log((struct xstr){ in, sizeof(in) - 1 }, 256, out,
	    sizeof(out));
	assert_string_equal(out, "x\\x0d\\x0alevel\\x3derror\\x20event"
	    "\\x3dfake\\x1b[2J\\x00y");
	for (i = 0; i < n; i++) {
		assert_true(out[i] >= 0x21 && out[i] <= 0x7e);
		assert_true(out[i] != '=' && out[i] != '"');
	}
}

/* Escapes use lower-case hex. */
static void
test_log_lower_hex(void **state)
{
	(void)state;
	log_is("\xab\xcd\xef", 3, 64, 256, "\\xab\\xcd\\xef");
}

/* At most max input bytes, then "...". */
static void
test_log_max(void **state)
{
	(void)state;
	log_is("abcdef", 6, 3, 256, "abc...");
	log_is("abc", 3, 3, 256, "abc");
	log_is("abcd", 4, 0, 256, "...");
	log_is("  x", 3, 2, 256, "\\x20\\x20...");
}

/* The output buffer bounds the result; escapes are never split. */
static void
test_log_cap(void **state)
{
	(void)state;
	log_is("abc", 3, 64, 4, "abc");		/* exact fit */
	log_is("abcd", 4, 64, 4, "...");
	log_is("abcdef", 6, 64, 6, "ab...");
	log_is("a b", 3, 64, 6, "a...");	/* "\\x20" does not fit */
	log_is("a b", 3, 64, 7, "a\\x20b");
	log_is("a b", 3, 64, 8, "a\\x20b");
	log_is("   ", 3, 64, 9, "\\x20...");
	log_is("abcdef", 6, 3, 6, "ab...");	/* both limits */
	log_is("abcdef", 6, 3, 7, "abc...");
	log_is("abc", 3, 64, 3, "");		/* no room for "..." */
	log_is("abc", 3, 64, 1, "");
	log_is("ab", 2, 64, 3, "ab");
}

/* cap 0 writes nothing at all. */
static void
test_log_cap0(void **state)
{
	char	 out[1] = { 'Z' };

	(void)state;
	assert_int_equal(escape_log(xstr_c("abc"), 64, out, 0), 0);
	assert_int_equal(out[0], 'Z');
}

/* Checks escape_explain of the len bytes at s into cap bytes. */
static void
explain_is(const char *s, size_t len, size_t cap, const char *want,
    size_t full)
{
	char	 out[512];
	size_t	 n;

	memset(out, 'Z', sizeof(out));
	n = escape_explain((struct xstr){ s, len }, out, cap);
	assert_int_equal(n, full);
	if (cap > 0)
		assert_string_equal(out, want);
	assert_int_equal(out[cap], 'Z');
}

/* SPEC 4: spaces stay; backslash, CR, LF and non-printables escaped. */
static void
test_explain_bytes(void **state)
{
	(void)state;
	explain_is("a b=c\"d", 7, 64, "a b=c\"d", 7);
	explain_is("a\\b", 3, 64, "a\\x5cb", 6);
	explain_is("x\r\ny", 4, 64, "x\\x0d\\x0ay", 10);
	explain_is("\x1b\x7f\xc3\xa9", 4, 64, "\\x1b\\x7f\\xc3\\xa9", 16);
	explain_is("\t", 1, 64, "\\x09", 4);
	explain_is("a\0b", 3, 64, "a\\x00b", 6);
	explain_is("", 0, 64, "", 0);
	explain_is(NULL, 0, 64, "", 0);
}

/* Returns the full length like snprintf; output truncated, NUL-ended. */
static void
test_explain_truncation(void **state)
{
	(void)state;
	explain_is("abcdef", 6, 4, "abc", 6);
	explain_is("ab\ncd", 5, 6, "ab", 8);	/* escape not split */
	explain_is("ab\ncd", 5, 7, "ab\\x0a", 8);
	explain_is("ab\ncd", 5, 11, "ab\\x0acd", 8);
	explain_is("ab", 2, 1, "", 2);
	explain_is("ab", 2, 0, "", 2);
	/* once truncated, later short bytes are not appended */
	explain_is("a\nb", 3, 3, "a", 6);
}

/* Sizing with the returned length gives the whole escape. */
static void
test_explain_sizing(void **state)
{
	static const char	 in[] = "NAME=v\\al\r\n\x01ue end";
	char			 out[64];
	size_t			 need;

	(void)state;
	need = escape_explain((struct xstr){ in, sizeof(in) - 1 }, NULL, 0);
	assert_true(need + 1 <= sizeof(out));
	assert_int_equal(escape_explain((struct xstr){ in, sizeof(in) - 1 },
	    out, need + 1), need);
	assert_int_equal(strlen(out), need);
	assert_string_equal(out, "NAME=v\\x5cal\\x0d\\x0a\\x01ue end");
}

/* Runs the escape tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_bytes),
		cmocka_unit_test(test_log_row17_57_injection),
		cmocka_unit_test(test_log_lower_hex),
		cmocka_unit_test(test_log_max),
		cmocka_unit_test(test_log_cap),
		cmocka_unit_test(test_log_cap0),
		cmocka_unit_test(test_explain_bytes),
		cmocka_unit_test(test_explain_truncation),
		cmocka_unit_test(test_explain_sizing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
