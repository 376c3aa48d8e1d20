/*
 * test_proxylist.c: trusted proxy lists in files ([trust] proxies_file):
 * the text of a list, line by line (a table of good and bad lines with
 * the networks read and the messages naming file and line), the limits,
 * the paths of proxies_file resolved against the INI file's directory,
 * and the union without repeats.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confval.h"
#include "proxylist.h"

#define LIST	"/etc/xff-gateway/cf.list"

/* Prints the messages (shown by cmocka only when a test fails). */
static void
dump(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		print_message("  %s: %s\n", d->is_error[i] ? "error" : "warning",
		    d->msg[i]);
}

/* Returns 1 when d holds exactly the message msg of the given kind. */
static int
has_exact(const struct diag *d, int is_error, const char *msg)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (d->is_error[i] == is_error && strcmp(d->msg[i], msg) == 0)
			return 1;
	return 0;
}

/* Writes the networks of set, space-separated, as canonical CIDRs into buf. */
static const char *
set_text(const struct cidrset *set, char *buf, size_t cap)
{
	char	ip[IP_TEXT_MAX];
	size_t	i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < set->n; i++) {
		ip_format(&set->v[i].net, ip);
		len += (size_t)snprintf(buf + len, cap - len, "%s%s/%u",
		    i > 0 ? " " : "", ip, set->v[i].plen);
		assert_true(len < cap);
	}
	return buf;
}

/* One list text, what it yields and what it reports. */
struct parse_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 rc;
	const char	*nets;		/* the set after it, as set_text writes */
	int		 is_error;	/* the kind of msg */
	const char	*msg;		/* a message expected, or NULL for none */
};

static const struct parse_case parse_cases[] = {
	{ "", 0, 0, "", 0, NULL },
	{ "# Cloudflare\n\n   \n\t# indented comment\n", 0, 0, "", 0, NULL },
	{ "10.0.0.0/8\n", 0, 0, "10.0.0.0/8", 0, NULL },
	{ "10.1.0.0/16", 0, 0, "10.1.0.0/16", 0, NULL },
	{ "  192.0.2.1 \t# the edge\r\n", 0, 0, "192.0.2.1/32", 0, NULL },
	{ "192.0.2.1#no space\n", 0, 0, "192.0.2.1/32", 0, NULL },
	{ "2400:cb00::/32\r\n2a06:98c0::/29\r\n", 0, 0,
	    "2400:cb00::/32 2a06:98c0::/29", 0, NULL },
	{ "::ffff:10.0.0.0/104\n2001:DB8::1\n", 0, 0,
	    "10.0.0.0/8 2001:db8::1/128", 0, NULL },
	{ "10.0.0.0/8\n10.0.0.0/8\n", 0, 0, "10.0.0.0/8 10.0.0.0/8", 0, NULL },
	{ "# a\n10.1.2.3/8\n", 0, 0, "10.0.0.0/8", 0,
	    LIST ":2: \"10.1.2.3/8\" has host bits set; read as 10.0.0.0/8" },
	{ "x\n", 0, -1, NULL, 1,
	    LIST ":1: \"x\" is not an IP address or a CIDR" },
	{ "10.0.0.0/8\n\n1.2.3.4 5.6.7.8\n", 0, -1, NULL, 1,
	    LIST ":3: \"1.2.3.4\\x205.6.7.8\": one address or CIDR per line" },
	{ "1.2.3.4,5.6.7.8\n", 0, -1, NULL, 1,
	    LIST ":1: \"1.2.3.4,5.6.7.8\": one address or CIDR per line" },
	{ "unix:\n", 0, -1, NULL, 1, LIST ":1: \"unix:\" is not an IP "
	    "address or a CIDR (unix: belongs in [trust] proxies)" },
	{ "10.0.0.0/33\n", 0, -1, NULL, 1,
	    LIST ":1: \"10.0.0.0/33\" is not an IP address or a CIDR" },
	{ "010.0.0.1\n", 0, -1, NULL, 1,
	    LIST ":1: \"010.0.0.1\" is not an IP address or a CIDR" },
	{ "proxy.example.com\n", 0, -1, NULL, 1,
	    LIST ":1: \"proxy.example.com\" is not an IP address or a CIDR" },
	{ "; 10.0.0.1\n", 0, -1, NULL, 1,
	    LIST ":1: \";\\x2010.0.0.1\": one address or CIDR per line" },
	{ "10.0.0.1\n1.2\0.3\n", 15, -1, NULL, 1,
	    LIST ":2: holds a NUL byte (not a text file?)" },
	{ "10.0.0.1\nbad\n10.0.0.2\n", 0, -1, NULL, 1,
	    LIST ":2: \"bad\" is not an IP address or a CIDR" },
};

/* Every line of the table: the networks read, rc and the message. */
static void
test_parse_table(void **state)
{
	const struct parse_case	*c;
	struct cidrset		 set;
	struct dsink		 ds;
	struct diag		 d;
	char			 buf[1024];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		c = &parse_cases[i];
		memset(&set, 0, sizeof(set));
		diag_init(&d);
		dsink_init(&ds, LIST, &d);
		rc = proxylist_parse(&ds, c->text, c->len ? c->len :
		    strlen(c->text), &set);
		if (rc != c->rc || (c->nets != NULL &&
		    strcmp(set_text(&set, buf, sizeof(buf)), c->nets) != 0) ||
		    (c->msg != NULL && !has_exact(&d, c->is_error, c->msg)) ||
		    (c->msg == NULL && d.n != 0)) {
			print_message("case %zu: %s\n  rc %d, set \"%s\"\n", i,
			    c->text, rc, set_text(&set, buf, sizeof(buf)));
			dump(&d);
			fail();
		}
		assert_int_equal(ds.failed, c->rc == -1);
		conf_cidrset_free(&set);
		diag_free(&d);
	}
}

/* Entries are appended to what the set already holds; has_unix stays. */
static void
test_parse_appends(void **state)
{
	struct cidrset	 set;
	struct dsink	 ds;
	char		 buf[256];

	(void)state;
	memset(&set, 0, sizeof(set));
	dsink_init(&ds, LIST, NULL);
	assert_int_equal(conf_parse_cidrs(&ds, "trust", "proxies",
	    "127.0.0.1 unix:", &set), 0);
	assert_int_equal(proxylist_parse(&ds, "10.0.0.0/8\n", 11, &set), 0);
	assert_int_equal(proxylist_parse(&ds, "::1\n", 4, &set), 0);
	assert_string_equal(set_text(&set, buf, sizeof(buf)),
	    "127.0.0.1/32 10.0.0.0/8 ::1/128");
	assert_int_equal(set.has_unix, 1);
	conf_cidrset_free(&set);
}

/* After PROXYLIST_MAX_ERRORS bad lines the reading stops. */
static void
test_parse_error_limit(void **state)
{
	struct cidrset	 set;
	struct dsink	 ds;
	struct diag	 d;
	char		*text;
	size_t		 i;

	(void)state;
	text = calloc(PROXYLIST_MAX_ERRORS + 10, 4);
	assert_non_null(text);
	for (i = 0; i < PROXYLIST_MAX_ERRORS + 10; i++)
		memcpy(text + 4 * i, "bad\n", 4);
	memset(&set, 0, sizeof(set));
	diag_init(&d);
	dsink_init(&ds, LIST, &d);
	assert_int_equal(proxylist_parse(&ds, text,
	    4 * (PROXYLIST_MAX_ERRORS + 10), &set), -1);
	assert_int_equal(d.n, PROXYLIST_MAX_ERRORS + 1);
	assert_true(has_exact(&d, 1, LIST ":20: 20 errors; stopped reading"));
	diag_free(&d);
	conf_cidrset_free(&set);
	free(text);
}

/* A list of any length; the set stops at PROXYLIST_MAX_ENTRIES networks. */
static void
test_parse_entry_limit(void **state)
{
	struct cidrset	 set;
	struct dsink	 ds;
	struct diag	 d;
	char		*text;
	size_t		 i, len = 0, cap = (PROXYLIST_MAX_ENTRIES + 1) * 20;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i < PROXYLIST_MAX_ENTRIES; i++)
		len += (size_t)snprintf(text + len, cap - len, "10.%zu.%zu.0/24\n",
		    i / 256, i % 256);
	memset(&set, 0, sizeof(set));
	diag_init(&d);
	dsink_init(&ds, LIST, &d);
	assert_int_equal(proxylist_parse(&ds, text, len, &set), 0);
	assert_int_equal(set.n, PROXYLIST_MAX_ENTRIES);
	assert_int_equal(d.n, 0);
	conf_cidrset_free(&set);

	len += (size_t)snprintf(text + len, cap - len, "192.0.2.1\n");
	assert_int_equal(proxylist_parse(&ds, text, len, &set), -1);
	assert_true(has_exact(&d, 1, LIST ":65537: more than 65536 trusted "
	    "proxy entries in all; stopped reading"));
	diag_free(&d);
	conf_cidrset_free(&set);
	free(text);
}

/* One value of proxies_file, the INI file naming it, and the paths. */
struct paths_case {
	const char	*inipath;
	const char	*val;
	int		 rc;
	const char	*paths;		/* joined with '|' */
	const char	*msg;		/* an error expected, or NULL */
};

static const struct paths_case paths_cases[] = {
	{ "/etc/xff-gateway/php.ini", "cloudflare.list", 0,
	    "/etc/xff-gateway/cloudflare.list", NULL },
	{ "/etc/xff-gateway/php.ini", "  /srv/a.list\tb.list  ", 0,
	    "/srv/a.list|/etc/xff-gateway/b.list", NULL },
	{ "php.ini", "cf.list", 0, "cf.list", NULL },
	{ "conf/php.ini", "../cf.list lists/x", 0,
	    "conf/../cf.list|conf/lists/x", NULL },
	{ "/php.ini", "cf.list", 0, "/cf.list", NULL },
	{ "/etc/x.ini", "", 0, "", NULL },
	{ "/etc/x.ini", "a\001b", -1, NULL,
	    "/etc/x.ini: [trust] proxies_file: \"a\\x01b\" holds a control "
	    "character" },
};

/* Every value of the table: the resolved paths, or the error. */
static void
test_paths_table(void **state)
{
	const struct paths_case	 *c;
	struct dsink		  ds;
	struct diag		  d;
	char			**v, buf[1024];
	size_t			  i, j, n, len;
	int			  rc;

	(void)state;
	for (i = 0; i < sizeof(paths_cases) / sizeof(paths_cases[0]); i++) {
		c = &paths_cases[i];
		v = NULL;
		n = 0;
		diag_init(&d);
		dsink_init(&ds, c->inipath, &d);
		rc = proxylist_paths(&ds, c->inipath, c->val, &v, &n);
		buf[0] = '\0';
		for (len = 0, j = 0; j < n; j++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s", j > 0 ? "|" : "", v[j]);
		if (rc != c->rc || (c->paths != NULL &&
		    strcmp(buf, c->paths) != 0) || (c->msg != NULL &&
		    !has_exact(&d, 1, c->msg))) {
			print_message("case %zu: \"%s\" in %s: rc %d, \"%s\"\n",
			    i, c->val, c->inipath, rc, buf);
			dump(&d);
			fail();
		}
		conf_strv_free(v, n);
		diag_free(&d);
	}
}

/* Too many files, and too long a path. */
static void
test_paths_limits(void **state)
{
	struct dsink	  ds;
	struct diag	  d;
	char		**v = NULL, *val;
	size_t		  n = 0, i, cap = 5000;

	(void)state;
	val = malloc(cap);
	assert_non_null(val);
	for (i = 0; i <= PROXYLIST_MAX_FILES; i++)
		memcpy(val + 2 * i, "a ", 2);
	val[2 * i] = '\0';
	diag_init(&d);
	dsink_init(&ds, "/x.ini", &d);
	assert_int_equal(proxylist_paths(&ds, "/x.ini", val, &v, &n), -1);
	assert_true(has_exact(&d, 1, "/x.ini: [trust] proxies_file: names 65 "
	    "files; at most 64"));
	assert_null(v);
	assert_int_equal(n, 0);
	diag_free(&d);

	memset(val, 'p', 4095);
	val[4095] = '\0';
	diag_init(&d);
	assert_int_equal(proxylist_paths(&ds, "/x.ini", val, &v, &n), -1);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.msg[0], "is too long a path"));
	diag_free(&d);
	val[4094] = '\0';	/* "/" + 4094 bytes: the longest */
	assert_int_equal(proxylist_paths(&ds, "/x.ini", val, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(v[0]), 4095);
	conf_strv_free(v, n);
	free(val);
}

/* Repeats go, the first of each stays, in order; families and lengths differ. */
static void
test_dedupe(void **state)
{
	struct cidrset	 set;
	struct dsink	 ds;
	char		 buf[512];

	(void)state;
	memset(&set, 0, sizeof(set));
	dsink_init(&ds, LIST, NULL);
	assert_int_equal(conf_parse_cidrs(&ds, "trust", "proxies",
	    "10.0.0.0/8 ::1 10.0.0.0/16 10.1.2.3/8 ::ffff:10.0.0.0/104 "
	    "::a00:0/104 192.0.2.1 unix: ::1/128 192.0.2.1/32", &set), 0);
	assert_int_equal(proxylist_dedupe(&set), 0);
	assert_string_equal(set_text(&set, buf, sizeof(buf)),
	    "10.0.0.0/8 ::1/128 10.0.0.0/16 ::a00:0/104 192.0.2.1/32");
	assert_int_equal(set.has_unix, 1);
	assert_int_equal(proxylist_dedupe(&set), 0);
	assert_int_equal(set.n, 5);
	conf_cidrset_free(&set);
	assert_int_equal(proxylist_dedupe(&set), 0);
	assert_int_equal(set.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_appends),
		cmocka_unit_test(test_parse_error_limit),
		cmocka_unit_test(test_parse_entry_limit),
		cmocka_unit_test(test_paths_table),
		cmocka_unit_test(test_paths_limits),
		cmocka_unit_test(test_dedupe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
