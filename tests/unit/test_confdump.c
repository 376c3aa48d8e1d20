/*
 * test_confdump.c: the effective configuration as INI text (xff-gateway
 * -T): the defaults line by line, a file with address lists, exempt
 * patterns and values that need quotes, proxies_file (the whole trusted
 * set in proxies, long sets in comments), the round trip through
 * config_load (dump, load the dump, dump again: the same text), and the
 * failures (a value INI cannot hold, a callback that stops).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* mkdtemp */
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confdump.h"
#include "confload.h"

static char	tmpdir[64];
static char	inipath[128];

/* The text collected from the callback, one '\n' after each line. */
struct text {
	char	*p;
	size_t	 len;
	size_t	 calls;
	size_t	 stop_after;	/* 0: never stop; N: return -1 on call N */
};

/* Creates the temporary directory for the test files. */
static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xff-test-confdump.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(inipath, sizeof(inipath), "%s/t.ini", tmpdir);
	return 0;
}

/* Removes the temporary directory. */
static int
teardown_dir(void **state)
{
	(void)state;
	unlink(inipath);
	return rmdir(tmpdir);
}

/* The callback: appends the line and a newline to the struct text at arg. */
static int
collect(void *arg, const char *line, size_t len)
{
	struct text	*t = arg;
	char		*np;

	t->calls++;
	if (t->stop_after != 0 && t->calls == t->stop_after)
		return -1;
	assert_int_equal(strlen(line), len);
	assert_null(memchr(line, '\n', len));
	np = realloc(t->p, t->len + len + 2);
	assert_non_null(np);
	t->p = np;
	memcpy(t->p + t->len, line, len);
	t->len += len;
	t->p[t->len++] = '\n';
	t->p[t->len] = '\0';
	return 0;
}

/* Returns cfg dumped as one malloc'ed text; the dump must succeed. */
static char *
dump_text(const struct config *cfg)
{
	struct text	t = { NULL, 0, 0, 0 };
	char		err[256];

	if (confdump(cfg, collect, &t, err, sizeof(err)) != 0)
		fail_msg("confdump: %s", err);
	assert_non_null(t.p);
	return t.p;
}

/* Writes text to the test file and loads it into cfg; the load must succeed. */
static void
load_text(const char *text, struct config *cfg)
{
	struct diag	 d;
	FILE		*fp;
	size_t		 i;

	fp = fopen(inipath, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	diag_init(&d);
	if (config_load(inipath, cfg, &d) != 0) {
		for (i = 0; i < d.n; i++)
			print_message("  %s\n", d.msg[i]);
		print_message("--- the text:\n%s---\n", text);
		fail_msg("config_load failed");
	}
	diag_free(&d);
	assert_int_equal(unlink(inipath), 0);
}

/*
 * Loads text, dumps it, loads the dump and dumps that: the two dumps
 * must be the same.  Returns the dump (malloc'ed).
 */
static char *
round_trip(const char *text)
{
	struct config	 cfg;
	char		*one, *two;

	load_text(text, &cfg);
	one = dump_text(&cfg);
	config_free(&cfg);
	load_text(one, &cfg);
	two = dump_text(&cfg);
	config_free(&cfg);
	assert_string_equal(one, two);
	free(two);
	return one;
}

/* Fails unless the text holds line as a whole line. */
static void
has_line(const char *text, const char *line)
{
	const char	*p;
	size_t		 n = strlen(line);

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("line \"%s\" not in:\n%s", line, text);
}

#define GATEWAY_DEFAULTS						\
	"listen =\n"							\
	"listen_owner =\n"						\
	"listen_group =\n"						\
	"listen_mode = 0660\n"						\
	"backend =\n"							\
	"workers = 16\n"						\
	"connect_timeout = 5\n"						\
	"backend_timeout = 60\n"					\
	"keep_conn = no\n"						\
	"backend_max_conns = 0\n"					\
	"backend_idle_timeout = 1\n"					\
	"backend_wait_warn = 1\n"					\
	"front_timeout = 10\n"					\
	"max_conns = 1024\n"					\
	"user =\n"							\
	"group =\n"							\
	"pid =\n"							\
	"status_uri =\n"						\
	"status_allow = 127.0.0.1/32 ::1/128\n"

#define OTHER_DEFAULTS							\
	"[trust]\n"							\
	"x_for = 1\n"							\
	"x_proto = 1\n"							\
	"x_host = 0\n"							\
	"x_port = 0\n"							\
	"x_prefix = 0\n"						\
	"forwarded = 0\n"						\
	"proxies =\n"							\
	"proxies_file =\n"						\
	"\n"								\
	"[rules]\n"							\
	"strict = no\n"							\
	"always_proxy = no\n"						\
	"no_spoofing = no\n"						\
	"header_required = no\n"					\
	"loose_unsafe = no\n"						\
	"clean = yes\n"							\
	"rewrite_remote_addr = yes\n"					\
	"exempt =\n"							\
	"exempt_stealth = no\n"						\
	"keep_original = yes\n"						\
	"strip_proxy_header = yes\n"					\
	"strip_headers = X-Forwarded-Ssl X-Forwarded-Scheme X-Url-Scheme "	\
	"Front-End-Https X-Real-Ip Client-Ip True-Client-Ip X-Client-Ip "	\
	"X-Cluster-Client-Ip X-Forwarded-Server X-Forwarded Forwarded-For\n" \
	"\n"								\
	"[cgi]\n"							\
	"program =\n"							\
	"\n"								\
	"[log]\n"							\
	"level = info\n"						\
	"target = stderr\n"

/* The defaults: every key with its value; [gateway] as a section or commented out. */
static void
test_defaults(void **state)
{
	struct config	 cfg;
	char		*t;

	(void)state;
	assert_int_equal(config_defaults(&cfg), 0);
	cfg.has_gateway = 1;
	t = dump_text(&cfg);
	assert_string_equal(t, "[gateway]\n" GATEWAY_DEFAULTS "\n"
	    OTHER_DEFAULTS);
	free(t);

	/* a file without [gateway] (xff-cgi only): commented out */
	cfg.has_gateway = 0;
	t = dump_text(&cfg);
	assert_string_equal(t,
	    "# The file has no [gateway] section (xff-gateway needs one to "
	    "run);\n"
	    "# its defaults:\n"
	    "# [gateway]\n"
	    "# listen =\n"
	    "# listen_owner =\n"
	    "# listen_group =\n"
	    "# listen_mode = 0660\n"
	    "# backend =\n"
	    "# workers = 16\n"
	    "# connect_timeout = 5\n"
	    "# backend_timeout = 60\n"
	    "# keep_conn = no\n"
	    "# backend_max_conns = 0\n"
	    "# backend_idle_timeout = 1\n"
	    "# backend_wait_warn = 1\n"
	    "# front_timeout = 10\n"
	    "# max_conns = 1024\n"
	    "# user =\n"
	    "# group =\n"
	    "# pid =\n"
	    "# status_uri =\n"
	    "# status_allow = 127.0.0.1/32 ::1/128\n"
	    "\n" OTHER_DEFAULTS);
	free(t);
	config_free(&cfg);

	/* an empty file is all defaults too */
	t = round_trip("");
	has_line(t, "# [gateway]");
	has_line(t, "x_for = 1");
	free(t);
}

/* The socket keys of standalone mode, the pid file and a log file. */
static void
test_socket_keys(void **state)
{
	char	*t;

	(void)state;
	t = round_trip(
	    "[gateway]\n"
	    "listen = unix:/run/xff-gateway/xff-gateway.sock\n"
	    "listen_owner = www-data\n"
	    "listen_group = www-data\n"
	    "listen_mode = 660\n"
	    "pid = /run/xff-gateway/xff-gateway.pid\n"
	    "[log]\n"
	    "target = /var/log/xff-gateway.log\n");
	has_line(t, "listen = unix:/run/xff-gateway/xff-gateway.sock");
	has_line(t, "listen_owner = www-data");
	has_line(t, "listen_group = www-data");
	has_line(t, "listen_mode = 0660");
	has_line(t, "pid = /run/xff-gateway/xff-gateway.pid");
	has_line(t, "target = /var/log/xff-gateway.log");
	free(t);
	t = round_trip("[gateway]\nlisten = unix:/s.sock\nlisten_mode = 0\n");
	has_line(t, "listen_mode = 0000");
	free(t);
}

/* A file with lists, patterns, sockets and values that need quotes. */
static void
test_file(void **state)
{
	char	*t;

	(void)state;
	t = round_trip(
	    "[gateway]\n"
	    "listen = 127.0.0.1:9001\n"
	    "backend = [2001:DB8:0:0::1]:9000\n"
	    "workers = 4\n"
	    "connect_timeout = 0.5\n"
	    "backend_timeout = 0.3\n"
	    "keep_conn = off\n"
	    "backend_max_conns = 3\n"
	    "backend_idle_timeout = 0.25\n"
	    "user = www data\n"
	    "status_uri = /xff-status\n"
	    "status_allow = unix: ::1, 10.9.8.7\n"
	    "[trust]\n"
	    "x_for = 2\n"
	    "forwarded = 1\n"
	    "proxies = 10.1.2.3/8, 2001:DB8::/32 unix: 192.0.2.1 "
	    "::ffff:198.51.100.0/120\n"
	    "[rules]\n"
	    "strict = yes\n"
	    "exempt = \"^health/$ ^a;b#c/ ^x{2}$\"\n"
	    "exempt_stealth = 1\n"
	    "strip_headers = x-real-ip, X_Foo x-real-ip\n"
	    "[cgi]\n"
	    "program = \"/opt/c#/run\"\n"
	    "[log]\n"
	    "level = DEBUG\n"
	    "target = syslog\n");
	has_line(t, "[gateway]");
	has_line(t, "listen = 127.0.0.1:9001");
	has_line(t, "backend = [2001:db8::1]:9000");
	has_line(t, "workers = 4");
	has_line(t, "connect_timeout = 0.5");
	has_line(t, "backend_timeout = 0.3");
	has_line(t, "keep_conn = no");
	has_line(t, "backend_max_conns = 3");
	has_line(t, "backend_idle_timeout = 0.25");
	has_line(t, "backend_wait_warn = 1");
	has_line(t, "user = www data");
	has_line(t, "group =");
	has_line(t, "status_uri = /xff-status");
	has_line(t, "status_allow = ::1/128 10.9.8.7/32 unix:");
	has_line(t, "x_for = 2");
	has_line(t, "forwarded = 1");
	has_line(t, "proxies = 10.0.0.0/8 2001:db8::/32 192.0.2.1/32 "
	    "198.51.100.0/24 unix:");
	has_line(t, "strict = yes");
	has_line(t, "header_required = yes");	/* resolved from strict */
	has_line(t, "exempt = \"^health/$ ^a;b#c/ ^x{2}$\"");
	has_line(t, "exempt_stealth = yes");
	has_line(t, "strip_headers = X-Real-Ip X-Foo");
	has_line(t, "program = \"/opt/c#/run\"");
	has_line(t, "level = debug");
	has_line(t, "target = syslog");
	assert_null(strstr(t, "# "));		/* [gateway] is there */
	free(t);

	/* an explicit header_required overrides the one strict implies */
	t = round_trip("[rules]\nalways_proxy = yes\nheader_required = no\n");
	has_line(t, "always_proxy = yes");
	has_line(t, "header_required = no");
	free(t);
	t = round_trip("[rules]\nheader_required = yes\n");
	has_line(t, "strict = no");
	has_line(t, "header_required = yes");
	free(t);

	/* an empty strip_headers and a single exempt pattern */
	t = round_trip("[rules]\nstrip_headers =\nexempt = ^ping$\n");
	has_line(t, "strip_headers =");
	has_line(t, "exempt = \"^ping$\"");
	free(t);
}

/* The shipped sample and the other shapes of file survive the round trip. */
static void
test_round_trip(void **state)
{
	static const char *const texts[] = {
		"[cgi]\nprogram = /usr/bin/python3\n",
		"[gateway]\nbackend = unix:/run/php/php-fpm.sock\n"
		    "connect_timeout = 86400\nbackend_timeout = 0.0000000001\n",
		"[rules]\nexempt = '^say-\"hi\"/$'\n",
		"[cgi]\nprogram = \"'x\"\n",
		"[cgi]\nprogram = a\"b'c\n",
		"[gateway]\nuser = \" lead\"\ngroup = \"trail\\\"\n",
		"[trust]\nproxies = unix:\n",
	};
	const char	*top;
	char		 path[4096], *buf, *t;
	FILE		*fp;
	long		 n;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(round_trip(texts[i]));

	t = round_trip(texts[1]);
	has_line(t, "connect_timeout = 86400");
	has_line(t, "backend_timeout = 0.0000000001");
	free(t);
	t = round_trip(texts[2]);
	has_line(t, "exempt = '^say-\"hi\"/$'");
	free(t);
	t = round_trip(texts[3]);
	has_line(t, "program = \"'x\"");
	free(t);
	t = round_trip(texts[4]);
	has_line(t, "program = a\"b'c");
	free(t);
	t = round_trip(texts[5]);
	has_line(t, "user = \" lead\"");
	has_line(t, "group = \"trail\\\"");
	free(t);
	t = round_trip(texts[6]);
	has_line(t, "proxies = unix:");
	free(t);

	if ((top = getenv("abs_top_srcdir")) != NULL)
		snprintf(path, sizeof(path), "%s/etc/xff-gateway.ini", top);
	else
		snprintf(path, sizeof(path), "etc/xff-gateway.ini");
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	assert_int_equal(fclose(fp), 0);
	t = round_trip(buf);
	assert_string_equal(t, "[gateway]\n" GATEWAY_DEFAULTS "\n"
	    OTHER_DEFAULTS);
	free(t);
	free(buf);
}

/* Writes text to the file name in the test directory; returns its path (static). */
static const char *
write_list(const char *name, const char *text)
{
	static char	 path[256];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	return path;
}

/*
 * proxies_file: proxies shows the whole trusted set, proxies_file the
 * resolved paths, and the dump reads back to the same set; a set too
 * long for one INI line is listed in comments, proxies keeping the
 * networks written in the key.
 */
static void
test_proxies_file(void **state)
{
	char	*t, line[512], *big;
	size_t	 i, len = 0, cap = 400 * 20;

	(void)state;
	write_list("cf.list", "# edge\n173.245.48.0/20\n2400:cb00::/32\n"
	    "127.0.0.1\n");
	t = round_trip("[trust]\nx_for = 2\nproxies = 127.0.0.1 unix:\n"
	    "proxies_file = cf.list\n");
	has_line(t, "proxies = 127.0.0.1/32 173.245.48.0/20 2400:cb00::/32 "
	    "unix:");
	snprintf(line, sizeof(line), "proxies_file = %s/cf.list", tmpdir);
	has_line(t, line);
	free(t);

	big = malloc(cap);
	assert_non_null(big);
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(big + len, cap - len, "10.%zu.%zu.0/24\n",
		    i / 256, i % 256);
	write_list("big.list", big);
	free(big);
	t = round_trip("[trust]\nproxies = 127.0.0.1\n"
	    "proxies_file = big.list cf.list\n");
	has_line(t, "# The trusted set: 303 networks, 302 of them from "
	    "proxies_file:");
	has_line(t, "#   127.0.0.1/32 10.0.0.0/24 10.0.1.0/24 10.0.2.0/24");
	has_line(t, "#   10.1.39.0/24 10.1.40.0/24 10.1.41.0/24 10.1.42.0/24");
	has_line(t, "#   10.1.43.0/24 173.245.48.0/20 2400:cb00::/32");
	has_line(t, "proxies = 127.0.0.1/32");
	snprintf(line, sizeof(line), "proxies_file = %s/big.list %s/cf.list",
	    tmpdir, tmpdir);
	has_line(t, line);
	free(t);
	snprintf(line, sizeof(line), "%s/big.list", tmpdir);
	assert_int_equal(unlink(line), 0);
	snprintf(line, sizeof(line), "%s/cf.list", tmpdir);
	assert_int_equal(unlink(line), 0);
}

/* A value INI cannot hold, and a callback that stops, fail the dump. */
static void
test_failures(void **state)
{
	struct config	 cfg;
	struct text	 t = { NULL, 0, 0, 0 };
	char		 err[256];

	(void)state;
	assert_int_equal(config_defaults(&cfg), 0);
	cfg.cgi_program = strdup("a\"b';c");
	assert_non_null(cfg.cgi_program);
	assert_int_equal(confdump(&cfg, collect, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[cgi] program: the value cannot be "
	    "written in INI syntax"));
	free(t.p);
	free(cfg.cgi_program);
	cfg.cgi_program = strdup("a\nb");
	assert_non_null(cfg.cgi_program);
	memset(&t, 0, sizeof(t));
	assert_int_equal(confdump(&cfg, collect, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[cgi] program:"));
	free(t.p);

	/* the callback stops at the third line: no line after it */
	memset(&t, 0, sizeof(t));
	t.stop_after = 3;
	assert_int_equal(confdump(&cfg, collect, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write the output");
	assert_int_equal(t.calls, 3);
	free(t.p);

	/* a one-byte message buffer still gets its NUL */
	memset(&t, 0, sizeof(t));
	t.stop_after = 1;
	err[0] = 'x';
	assert_int_equal(confdump(&cfg, collect, &t, err, 1), -1);
	assert_int_equal(err[0], '\0');
	free(t.p);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_socket_keys),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_proxies_file),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
