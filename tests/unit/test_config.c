/*
 * test_config.c: the INI loader (SPEC 2): defaults, a full file, the
 * sample etc/xff-gateway.ini, and one test per kind of bad file, each
 * checking the failure and the message that names file, key and problem.
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
#include <sys/stat.h>
#include <unistd.h>

#include "confload.h"
#include "ipaddr.h"
#include "xstr.h"

static char	tmpdir[64];
static char	inipath[128];

/* Creates the temporary directory for the test files. */
static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xff-test-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(inipath, sizeof(inipath), "%s/t.ini", tmpdir);
	return 0;
}

/* Removes the temporary directory (the files are removed after each load). */
static int
teardown_dir(void **state)
{
	(void)state;
	unlink(inipath);
	return rmdir(tmpdir);
}

/* Writes text to the test file, loads it and removes it; returns config_load's result. */
static int
load_text(const char *text, struct config *cfg, struct diag *d)
{
	FILE	*fp;
	int	 rc;

	fp = fopen(inipath, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	diag_init(d);
	rc = config_load(inipath, cfg, d);
	assert_int_equal(unlink(inipath), 0);
	return rc;
}

/* Returns 1 when d holds a message of the given kind containing sub. */
static int
has_msg(const struct diag *d, int is_error, const char *sub)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (d->is_error[i] == is_error && strstr(d->msg[i], sub) != NULL)
			return 1;
	return 0;
}

/* Returns 1 when d holds exactly the message "PATH: rest". */
static int
has_exact(const struct diag *d, const char *rest)
{
	char	want[512];
	size_t	i;

	snprintf(want, sizeof(want), "%s: %s", inipath, rest);
	for (i = 0; i < d->n; i++)
		if (strcmp(d->msg[i], want) == 0)
			return 1;
	return 0;
}

/* Prints the messages (shown by cmocka only when a test fails). */
static void
dump(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		print_message("  %s: %s\n", d->is_error[i] ? "error" : "warning",
		    d->msg[i]);
}

/* Returns 1 when every byte of cfg is zero. */
static int
is_zeroed(const struct config *cfg)
{
	const unsigned char	*p = (const unsigned char *)cfg;
	size_t			 i;

	for (i = 0; i < sizeof(*cfg); i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Loads text, expects a failure with an error message containing sub. */
static void
expect_error(const char *text, const char *sub)
{
	struct config	cfg;
	struct diag	d;
	int		rc;

	memset(&cfg, 0x55, sizeof(cfg));
	rc = load_text(text, &cfg, &d);
	if (rc != -1 || !has_msg(&d, 1, sub)) {
		print_message("input:\n%s\nexpected error containing: %s\n",
		    text, sub);
		dump(&d);
	}
	assert_int_equal(rc, -1);
	assert_true(d.nerrors >= 1);
	assert_true(has_msg(&d, 1, sub));
	assert_true(is_zeroed(&cfg));
	diag_free(&d);
}

/* Loads text, expects success without any message; cfg is left loaded. */
static void
expect_ok(const char *text, struct config *cfg)
{
	struct diag	d;
	int		rc;

	rc = load_text(text, cfg, &d);
	if (rc != 0 || d.n != 0) {
		print_message("input:\n%s\n", text);
		dump(&d);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	diag_free(&d);
}

/* Loads text, expects success with a warning containing sub. */
static void
expect_warning(const char *text, const char *sub)
{
	struct config	cfg;
	struct diag	d;
	int		rc;

	rc = load_text(text, &cfg, &d);
	if (rc != 0 || !has_msg(&d, 0, sub)) {
		print_message("input:\n%s\nexpected warning containing: %s\n",
		    text, sub);
		dump(&d);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.nerrors, 0);
	assert_true(has_msg(&d, 0, sub));
	diag_free(&d);
	config_free(&cfg);
}

/* Returns 1 when the text is an IP inside set. */
static int
in_set(const struct cidrset *set, const char *ip)
{
	struct ip	a;

	assert_int_equal(ip_parse(xstr_c(ip), &a), 0);
	return cidrset_match_ip(set, &a);
}

/* Checks every default of SPEC 2 in cfg. */
static void
check_defaults(const struct config *cfg)
{
	static const char *const strip[] = {
		"HTTP_X_FORWARDED_SSL", "HTTP_X_FORWARDED_SCHEME",
		"HTTP_X_URL_SCHEME", "HTTP_FRONT_END_HTTPS", "HTTP_X_REAL_IP",
		"HTTP_CLIENT_IP", "HTTP_TRUE_CLIENT_IP", "HTTP_X_CLIENT_IP",
		"HTTP_X_CLUSTER_CLIENT_IP", "HTTP_X_FORWARDED_SERVER",
		"HTTP_X_FORWARDED", "HTTP_FORWARDED_FOR"
	};
	size_t	i;

	assert_int_equal(cfg->listen.kind, SOCK_NONE);
	assert_int_equal(cfg->backend.kind, SOCK_NONE);
	assert_int_equal(cfg->workers, 16);
	assert_true(cfg->connect_timeout == 5.0);
	assert_true(cfg->backend_timeout == 60.0);
	assert_int_equal(cfg->keep_conn, 0);
	assert_int_equal(cfg->backend_max_conns, 0);
	assert_true(cfg->backend_idle_timeout == 1.0);
	assert_true(cfg->backend_wait_warn == 1.0);
	assert_null(cfg->user);
	assert_null(cfg->group);
	assert_null(cfg->status_uri);
	assert_int_equal(cfg->status_allow.n, 2);
	assert_int_equal(cfg->status_allow.has_unix, 0);
	assert_true(in_set(&cfg->status_allow, "127.0.0.1"));
	assert_true(in_set(&cfg->status_allow, "::1"));
	assert_false(in_set(&cfg->status_allow, "127.0.0.2"));
	assert_int_equal(cfg->x_for, 1);
	assert_int_equal(cfg->x_proto, 1);
	assert_int_equal(cfg->x_host, 0);
	assert_int_equal(cfg->x_port, 0);
	assert_int_equal(cfg->x_prefix, 0);
	assert_int_equal(cfg->forwarded, 0);
	assert_int_equal(cfg->proxies.n, 0);
	assert_int_equal(cfg->proxies.has_unix, 0);
	assert_int_equal(cfg->strict, 0);
	assert_int_equal(cfg->always_proxy, 0);
	assert_int_equal(cfg->no_spoofing, 0);
	assert_int_equal(cfg->header_required, 0);
	assert_int_equal(cfg->loose, 0);
	assert_int_equal(cfg->clean, 1);
	assert_int_equal(cfg->rewrite_remote_addr, 1);
	assert_int_equal(cfg->nexempt, 0);
	assert_int_equal(cfg->exempt_stealth, 0);
	assert_int_equal(cfg->keep_original, 1);
	assert_int_equal(cfg->strip_proxy_header, 1);
	assert_int_equal(cfg->nstrip, sizeof(strip) / sizeof(strip[0]));
	for (i = 0; i < cfg->nstrip; i++)
		assert_string_equal(cfg->strip_headers[i], strip[i]);
	assert_null(cfg->cgi_program);
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->log_target, LOG_TO_STDERR);
}

/* SPEC 2 defaults, from config_defaults(). */
static void
test_defaults(void **state)
{
	struct config	cfg;

	(void)state;
	assert_int_equal(config_defaults(&cfg), 0);
	check_defaults(&cfg);
	assert_int_equal(cfg.has_gateway, 0);
	config_free(&cfg);
	assert_true(is_zeroed(&cfg));
}

/* An empty file gives the defaults; the path is recorded. */
static void
test_empty_file(void **state)
{
	struct config	cfg;

	(void)state;
	expect_ok("", &cfg);
	check_defaults(&cfg);
	assert_string_equal(cfg.path, inipath);
	assert_int_equal(cfg.has_gateway, 0);
	config_free(&cfg);
}

/* The shipped sample etc/xff-gateway.ini loads cleanly and holds the defaults. */
static void
test_sample_file(void **state)
{
	struct config	 cfg;
	struct diag	 d;
	const char	*top;
	char		 path[4096];
	int		 rc;
	size_t		 i;

	(void)state;
	if ((top = getenv("abs_top_srcdir")) != NULL)
		snprintf(path, sizeof(path), "%s/etc/xff-gateway.ini", top);
	else
		snprintf(path, sizeof(path), "etc/xff-gateway.ini");
	diag_init(&d);
	rc = config_load(path, &cfg, &d);
	for (i = 0; i < d.n; i++)
		print_message("  %s\n", d.msg[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	check_defaults(&cfg);
	assert_int_equal(cfg.has_gateway, 1);
	config_free(&cfg);
	diag_free(&d);
}

/* A file setting every key to a value other than its default. */
static void
test_full_file(void **state)
{
	struct config	cfg;
	struct ip	a;

	(void)state;
	expect_ok(
	    "; a full configuration\n"
	    "[gateway]\n"
	    "listen  = unix:/run/xff-gateway.sock\n"
	    "backend = [::1]:9001\n"
	    "workers = 4096\n"
	    "connect_timeout = 0.5\n"
	    "backend_timeout = 86400\n"
	    "keep_conn = on\n"
	    "backend_max_conns = 4096\n"
	    "backend_idle_timeout = 0.25\n"
	    "backend_wait_warn = 86400\n"
	    "user  = www-data\n"
	    "group = www-data\n"
	    "status_uri = /xff-status\n"
	    "status_allow = 10.1.0.0/16, unix:\n"
	    "\n"
	    "[Trust]\n"
	    "X_For = 2\n"
	    "x_proto = 0\n"
	    "x_host = 1\n"
	    "x_port = 3\n"
	    "x_prefix = 64\n"
	    "forwarded = 1\n"
	    "proxies = 192.0.2.0/24 2001:db8::/32,198.51.100.7\tunix:\n"
	    "[rules]\n"
	    "strict = TRUE\n"
	    "always_proxy = On\n"
	    "no_spoofing = 1\n"
	    "header_required = no\n"
	    "loose_unsafe = false\n"
	    "clean = 0\n"
	    "rewrite_remote_addr = No\n"
	    "exempt = \"^health/$ ^a;b ^c#d\"\n"
	    "exempt_stealth = yes\n"
	    "keep_original = off\n"
	    "strip_proxy_header = no\n"
	    "strip_headers = X-Real-IP, x-custom-ip,X_Other\n"
	    "[cgi]\n"
	    "program = /usr/lib/cgi-bin/app.py\n"
	    "[log]\n"
	    "level = DEBUG\n"
	    "target = syslog\n", &cfg);

	assert_int_equal(cfg.has_gateway, 1);
	assert_int_equal(cfg.listen.kind, SOCK_UNIX);
	assert_string_equal(cfg.listen.path, "/run/xff-gateway.sock");
	assert_int_equal(cfg.backend.kind, SOCK_TCP);
	assert_int_equal(cfg.backend.ip.family, 6);
	assert_int_equal(cfg.backend.port, 9001);
	assert_int_equal(ip_parse(XSTR_LIT("::1"), &a), 0);
	assert_memory_equal(cfg.backend.ip.a, a.a, 16);
	assert_int_equal(cfg.workers, 4096);
	assert_true(cfg.connect_timeout == 0.5);
	assert_true(cfg.backend_timeout == 86400.0);
	assert_int_equal(cfg.keep_conn, 1);
	assert_int_equal(cfg.backend_max_conns, 4096);
	assert_true(cfg.backend_idle_timeout == 0.25);
	assert_true(cfg.backend_wait_warn == 86400.0);
	assert_string_equal(cfg.user, "www-data");
	assert_string_equal(cfg.group, "www-data");
	assert_string_equal(cfg.status_uri, "/xff-status");
	assert_int_equal(cfg.status_allow.n, 1);
	assert_int_equal(cfg.status_allow.has_unix, 1);
	assert_true(in_set(&cfg.status_allow, "10.1.255.255"));
	assert_false(in_set(&cfg.status_allow, "127.0.0.1"));

	assert_int_equal(cfg.x_for, 2);
	assert_int_equal(cfg.x_proto, 0);
	assert_int_equal(cfg.x_host, 1);
	assert_int_equal(cfg.x_port, 3);
	assert_int_equal(cfg.x_prefix, 64);
	assert_int_equal(cfg.forwarded, 1);
	assert_int_equal(cfg.proxies.n, 3);
	assert_int_equal(cfg.proxies.has_unix, 1);
	assert_true(in_set(&cfg.proxies, "192.0.2.200"));
	assert_true(in_set(&cfg.proxies, "2001:db8::5"));
	assert_true(in_set(&cfg.proxies, "198.51.100.7"));
	assert_false(in_set(&cfg.proxies, "198.51.100.8"));

	assert_int_equal(cfg.strict, 1);
	assert_int_equal(cfg.always_proxy, 1);
	assert_int_equal(cfg.no_spoofing, 1);
	assert_int_equal(cfg.header_required, 0);	/* explicit no wins */
	assert_int_equal(cfg.loose, 0);
	assert_int_equal(cfg.clean, 0);
	assert_int_equal(cfg.rewrite_remote_addr, 0);
	assert_int_equal(cfg.nexempt, 3);
	assert_string_equal(cfg.exempt_src[0], "^health/$");
	assert_string_equal(cfg.exempt_src[1], "^a;b");
	assert_string_equal(cfg.exempt_src[2], "^c#d");
	assert_int_equal(regexec(&cfg.exempt[0], "health/", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&cfg.exempt[0], "health/x", 0, NULL, 0),
	    0);
	assert_int_equal(regexec(&cfg.exempt[1], "a;b", 0, NULL, 0), 0);
	assert_int_equal(cfg.exempt_stealth, 1);
	assert_int_equal(cfg.keep_original, 0);
	assert_int_equal(cfg.strip_proxy_header, 0);
	assert_int_equal(cfg.nstrip, 3);
	assert_string_equal(cfg.strip_headers[0], "HTTP_X_REAL_IP");
	assert_string_equal(cfg.strip_headers[1], "HTTP_X_CUSTOM_IP");
	assert_string_equal(cfg.strip_headers[2], "HTTP_X_OTHER");
	assert_string_equal(cfg.cgi_program, "/usr/lib/cgi-bin/app.py");
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg.log_target, LOG_TO_SYSLOG);
	config_free(&cfg);
	assert_true(is_zeroed(&cfg));
}

/* The exempt regexes keep match offsets (compiled without REG_NOSUB). */
static void
test_exempt_offsets(void **state)
{
	struct config	cfg;
	regmatch_t	m[1];

	(void)state;
	expect_ok("[rules]\nexempt = admin/\n", &cfg);
	assert_int_equal(cfg.nexempt, 1);
	assert_int_equal(regexec(&cfg.exempt[0], "x/admin/", 1, m, 0), 0);
	assert_int_equal(m[0].rm_so, 2);
	assert_int_equal(m[0].rm_eo, 8);
	config_free(&cfg);
}

/* Unknown section: "[gatway]" is an error naming the section. */
static void
test_unknown_section(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[gatway]\nworkers = 3\n", &cfg, &d), -1);
	assert_true(has_exact(&d, "[gatway]: unknown section (known: gateway, "
	    "trust, rules, cgi, log)"));
	/* its keys are not reported once more */
	assert_int_equal(d.nerrors, 1);
	diag_free(&d);
}

/* Unknown key: the typo "strcit = yes" (SPEC 2) names file, section and key. */
static void
test_unknown_key(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[rules]\nstrcit = yes\n", &cfg, &d), -1);
	assert_int_equal(d.nerrors, 1);
	assert_true(has_exact(&d, "[rules] strcit: unknown key"));
	diag_free(&d);
	/* a key of another section is unknown here */
	expect_error("[log]\nworkers = 2\n", "[log] workers: unknown key");
	/* exempt outside [rules] is just an unknown key */
	expect_error("[trust]\nexempt = ^a\n", "[trust] exempt: unknown key");
}

/* A key before any section. */
static void
test_key_outside_section(void **state)
{
	(void)state;
	expect_error("strict = yes\n[rules]\n",
	    "strict: key outside any section");
}

/* Bad boolean: "maybe" with the list of accepted words. */
static void
test_bad_boolean(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[rules]\nstrict = maybe\n", &cfg, &d), -1);
	assert_true(has_exact(&d, "[rules] strict: \"maybe\" is not a boolean "
	    "(yes/no/true/false/on/off/1/0)"));
	diag_free(&d);
	/* iniparser's own getboolean would take these by their first letter */
	expect_error("[rules]\nclean = yesplease\n", "[rules] clean: ");
	expect_error("[rules]\nclean = t\n", "[rules] clean: ");
	expect_error("[gateway]\nkeep_conn = 2\n", "[gateway] keep_conn: ");
	expect_error("[rules]\nclean =\n", "[rules] clean: \"\" is not");
}

/* Booleans: every accepted word, in any case. */
static void
test_boolean_words(void **state)
{
	static const char *const yes[] = { "yes", "YES", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "FALSE", "off", "0" };
	struct config	cfg;
	char		text[128];
	size_t		i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "[rules]\nexempt_stealth = %s\n",
		    yes[i]);
		expect_ok(text, &cfg);
		assert_int_equal(cfg.exempt_stealth, 1);
		config_free(&cfg);
		snprintf(text, sizeof(text), "[rules]\nclean = %s\n", no[i]);
		expect_ok(text, &cfg);
		assert_int_equal(cfg.clean, 0);
		config_free(&cfg);
	}
}

/* Depths: 0 to 64, digits only; "65" out of range. */
static void
test_depths(void **state)
{
	static const char *const bad[] = {
		"1e3", "0x10", "-1", "+1", "5s", "1.0", "abc", " 1x"
	};
	struct config	cfg;
	struct diag	d;
	char		text[128];
	size_t		i;

	(void)state;
	assert_int_equal(load_text("[trust]\nx_for = 65\n", &cfg, &d), -1);
	assert_true(has_exact(&d, "[trust] x_for: \"65\" is out of range "
	    "(0 to 64)"));
	diag_free(&d);
	expect_error("[trust]\nforwarded = 99999999999999999999\n",
	    "[trust] forwarded: \"99999999999999999999\" is out of range");
	expect_error("[trust]\nx_host =\n", "[trust] x_host: \"\" is not");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[trust]\nx_prefix = %s\n", bad[i]);
		expect_error(text, "[trust] x_prefix: ");
		expect_error(text, "is not a whole number (0 to 64)");
	}
	expect_ok("[trust]\nx_for = 0\nx_proto = 64\nx_port = 010\n", &cfg);
	assert_int_equal(cfg.x_for, 0);
	assert_int_equal(cfg.x_proto, 64);
	assert_int_equal(cfg.x_port, 10);	/* decimal, not octal */
	config_free(&cfg);
}

/* workers: 0 and 5000 out of range, 1 and 4096 accepted. */
static void
test_workers(void **state)
{
	struct config	cfg;

	(void)state;
	expect_error("[gateway]\nworkers = 0\n",
	    "[gateway] workers: \"0\" is out of range (1 to 4096)");
	expect_error("[gateway]\nworkers = 5000\n",
	    "[gateway] workers: \"5000\" is out of range (1 to 4096)");
	expect_error("[gateway]\nworkers = many\n",
	    "[gateway] workers: \"many\" is not a whole number");
	expect_ok("[gateway]\nworkers = 1\n", &cfg);
	assert_int_equal(cfg.workers, 1);
	config_free(&cfg);
}

/* Timeouts: above 0, at most 86400, decimals; no exponent, hex, sign or unit. */
static void
test_timeouts(void **state)
{
	static const char *const bad[] = {
		"abc", "1e3", "0x10", "-1", "", "5s", ".5", "5.", "1,5", "inf",
		"nan"
	};
	struct config	cfg;
	char		text[128];
	size_t		i;

	(void)state;
	expect_error("[gateway]\nconnect_timeout = 0\n",
	    "[gateway] connect_timeout: \"0\" is out of range");
	expect_error("[gateway]\nbackend_timeout = 0.000\n",
	    "[gateway] backend_timeout: \"0.000\" is out of range");
	expect_error("[gateway]\nbackend_timeout = 86401\n",
	    "[gateway] backend_timeout: \"86401\" is out of range (above 0, "
	    "at most 86400 seconds)");
	expect_error("[gateway]\nbackend_timeout = 86400.5\n",
	    "is out of range");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[gateway]\nconnect_timeout = "
		    "%s\n", bad[i]);
		expect_error(text, "[gateway] connect_timeout: ");
		expect_error(text, "is not a number of seconds (such as 5 or "
		    "0.5)");
	}
	expect_ok("[gateway]\nconnect_timeout = 0.25\n"
	    "backend_timeout = 86400.0\n", &cfg);
	assert_true(cfg.connect_timeout == 0.25);
	assert_true(cfg.backend_timeout == 86400.0);
	config_free(&cfg);
}

/*
 * The backend pool's keys: backend_max_conns 0 (no bound) to 4096, a
 * warning above workers; backend_idle_timeout and backend_wait_warn are
 * timeouts.
 */
static void
test_pool_keys(void **state)
{
	static const struct {
		const char	*text;
		int		 is_error;	/* else a warning, or ok if msg is NULL */
		const char	*msg;
		int		 max_conns;
		double		 idle, warn;
	} v[] = {
		{ "[gateway]\nbackend_max_conns = 0\n", 0, NULL, 0, 1, 1 },
		{ "[gateway]\nbackend_max_conns = 4\nbackend_idle_timeout = "
		    "0.5\nbackend_wait_warn = 2\n", 0, NULL, 4, 0.5, 2 },
		{ "[gateway]\nworkers = 4096\nbackend_max_conns = 4096\n", 0,
		    NULL, 4096, 1, 1 },
		{ "[gateway]\nbackend_idle_timeout = 86400\n", 0, NULL, 0,
		    86400, 1 },
		{ "[gateway]\nbackend_max_conns = 17\n", 0, "[gateway] "
		    "backend_max_conns: 17 is above workers (16), which already "
		    "bounds the connections in use", 17, 1, 1 },
		{ "[gateway]\nbackend_max_conns = -1\n", 1, "[gateway] "
		    "backend_max_conns: \"-1\" is not a whole number (0 to "
		    "4096)", 0, 0, 0 },
		{ "[gateway]\nbackend_max_conns = 4097\n", 1, "[gateway] "
		    "backend_max_conns: \"4097\" is out of range (0 to 4096)",
		    0, 0, 0 },
		{ "[gateway]\nbackend_max_conns = four\n", 1,
		    "is not a whole number", 0, 0, 0 },
		{ "[gateway]\nbackend_idle_timeout = 0\n", 1, "[gateway] "
		    "backend_idle_timeout: \"0\" is out of range", 0, 0, 0 },
		{ "[gateway]\nbackend_idle_timeout = 1s\n", 1, "[gateway] "
		    "backend_idle_timeout: \"1s\" is not a number of seconds",
		    0, 0, 0 },
		{ "[gateway]\nbackend_wait_warn = 86401\n", 1, "[gateway] "
		    "backend_wait_warn: \"86401\" is out of range", 0, 0, 0 },
		{ "[gateway]\nbackend_max_con = 4\n", 1, "[gateway] "
		    "backend_max_con: unknown key", 0, 0, 0 },
	};
	struct config	cfg;
	struct diag	d;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].is_error) {
			expect_error(v[i].text, v[i].msg);
			continue;
		}
		if (v[i].msg == NULL)
			expect_ok(v[i].text, &cfg);
		else {
			assert_int_equal(load_text(v[i].text, &cfg, &d), 0);
			if (!has_msg(&d, 0, v[i].msg))
				dump(&d);
			assert_true(has_msg(&d, 0, v[i].msg));
			assert_int_equal(d.nerrors, 0);
			diag_free(&d);
		}
		assert_int_equal(cfg.backend_max_conns, v[i].max_conns);
		assert_true(cfg.backend_idle_timeout == v[i].idle);
		assert_true(cfg.backend_wait_warn == v[i].warn);
		config_free(&cfg);
	}
}

/* Bad addresses in proxies and status_allow. */
static void
test_bad_cidr(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[trust]\nproxies = 10.0.0.0/8 "
	    "10.0.0.0/33\n", &cfg, &d), -1);
	assert_true(has_exact(&d, "[trust] proxies: \"10.0.0.0/33\" is not an "
	    "IP address, a CIDR or unix:"));
	assert_int_equal(d.nerrors, 1);
	diag_free(&d);
	expect_error("[trust]\nproxies = proxy.example.com\n",
	    "[trust] proxies: \"proxy.example.com\" is not");
	expect_error("[trust]\nproxies = 010.0.0.1\n", "\"010.0.0.1\" is not");
	expect_error("[trust]\nproxies = unix\n", "\"unix\" is not");
	expect_error("[gateway]\nstatus_allow = ::1/129\n",
	    "[gateway] status_allow: \"::1/129\" is not");
	/* an empty list is allowed: nobody for status_allow */
	expect_ok("[gateway]\nstatus_allow =\n[trust]\nproxies = ,\n", &cfg);
	assert_int_equal(cfg.status_allow.n, 0);
	assert_int_equal(cfg.status_allow.has_unix, 0);
	assert_int_equal(cfg.proxies.n, 0);
	config_free(&cfg);
}

/* A CIDR with host bits set: a warning, the load succeeds, the bits are cleared. */
static void
test_cidr_hostbits(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[trust]\nproxies = 10.1.2.3/8\n", &cfg,
	    &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_true(has_exact(&d, "[trust] proxies: \"10.1.2.3/8\" has host "
	    "bits set; read as 10.0.0.0/8"));
	assert_int_equal(d.is_error[0], 0);
	assert_true(in_set(&cfg.proxies, "10.200.0.1"));
	config_free(&cfg);
	diag_free(&d);
}

/*
 * An exempt pattern whose compilation would take exponential memory
 * (found by fuzzing: "x+++...") is refused before regcomp().
 */
static void
test_costly_regex(void **state)
{
	struct config	cfg;

	(void)state;
	expect_error("[rules]\nexempt = x++++++++++++++++++++++++\n",
	    "[rules] exempt: \"x++++++++++++++++++++++++\" repeats a "
	    "repetition");
	expect_error("[rules]\nexempt = \"((a{1,100}){1,100}){1,100}\"\n",
	    "repeats too much (bounds multiply past 1000)");
	expect_error("[rules]\nexempt = \"(((a+)+)+)\"\n",
	    "\"(((a+)+)+)\" nests repetitions too deeply");
	expect_error("[rules]\nexempt = \"(a+|(b+|(c+)+)+)+\"\n",
	    "nests repetitions too deeply");
	expect_ok("[rules]\nexempt = ^a{2,5}b?$ ^[+*]+x$ ^static/.*\\.css$ "
	    "^(api/v[0-9]+/)*health$\n", &cfg);
	assert_int_equal(cfg.nexempt, 4);
	config_free(&cfg);
}

/* A bad regex in exempt: the regerror text is reported. */
static void
test_bad_regex(void **state)
{
	(void)state;
	expect_error("[rules]\nexempt = ^ok/ ^bad(\n",
	    "[rules] exempt: \"^bad(\" is not a valid regular expression: ");
	expect_error("[rules]\nexempt = a{2,1}\n",
	    "\"a{2,1}\" is not a valid regular expression");
}

/* exempt patterns starting with "^/" (or "/") never match: warning only. */
static void
test_exempt_slash_warning(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[rules]\nexempt = ^/health ^ok/\n", &cfg,
	    &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_true(has_msg(&d, 0, "[rules] exempt: \"^/health\" never "
	    "matches"));
	assert_int_equal(d.n, 1);
	assert_int_equal(cfg.nexempt, 2);
	config_free(&cfg);
	diag_free(&d);
}

/* exempt: an unquoted ';' or '#' (trailing comment included) is an error. */
static void
test_exempt_unquoted_comment(void **state)
{
	(void)state;
	expect_error("[rules]\nexempt = ^a/ ^b;c\n",
	    "[rules] exempt: unquoted ';' (line 2)");
	expect_error("[rules]\nexempt = ^a/ # health checks\n",
	    "[rules] exempt: unquoted '#' (line 2)");
	expect_error("[rules]\nexempt = \"^a/\" ; health checks\n",
	    "[rules] exempt: unquoted ';' (line 2)");
	/* a quote that does not open the value does not protect */
	expect_error("[rules]\nexempt = ^a \"b;c\"\n",
	    "[rules] exempt: unquoted ';'");
	/* a joined line counts as its first line */
	expect_error("; c\n[Rules]\nEXEMPT = ^a \\\n   ^b;c\n",
	    "[rules] exempt: unquoted ';' (line 3)");
	/* text after the closing quote is dropped by iniparser */
	expect_error("[rules]\nexempt = \"^a\" ^b\n",
	    "[rules] exempt: text after the closing quote (line 2)");
}

/* exempt: ';' and '#' inside a quoted value are accepted. */
static void
test_exempt_quoted(void **state)
{
	struct config	cfg;

	(void)state;
	expect_ok("[rules]\nexempt = \"^x;y ^z#\"\n", &cfg);
	assert_int_equal(cfg.nexempt, 2);
	assert_string_equal(cfg.exempt_src[0], "^x;y");
	assert_string_equal(cfg.exempt_src[1], "^z#");
	config_free(&cfg);
	expect_ok("[rules]\nexempt = '^a;b'\n# comment ; here\n", &cfg);
	assert_int_equal(cfg.nexempt, 1);
	assert_string_equal(cfg.exempt_src[0], "^a;b");
	config_free(&cfg);
	/* other keys may carry a trailing comment */
	expect_ok("[trust]\nproxies = 10.0.0.0/8 ; the office\n", &cfg);
	assert_int_equal(cfg.proxies.n, 1);
	config_free(&cfg);
}

/* A section line with a trailing comment is a syntax error with its line. */
static void
test_section_comment(void **state)
{
	char	want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s:2: syntax error: ", inipath);
	expect_error("# x\n[rules] ; the rules\nstrict = yes\n", want);
	expect_error("[rules] ; the rules\n", "(a section line takes no "
	    "comment)");
	snprintf(want, sizeof(want), "%s:3: syntax error: ", inipath);
	expect_error("[rules]\nstrict = yes\nno equals sign here\n", want);
}

/* A line longer than iniparser's buffer fails the load with its line number. */
static void
test_line_too_long(void **state)
{
	char	text[1300], want[256];

	(void)state;
	memset(text, 0, sizeof(text));
	memcpy(text, "[cgi]\nprogram = /", 17);
	memset(text + 17, 'a', 1100);
	text[17 + 1100] = '\n';
	snprintf(want, sizeof(want), "%s:2: line too long", inipath);
	expect_error(text, want);
}

/* A comment ending in '\' swallows the next line: an error. */
static void
test_comment_continuation(void **state)
{
	char	want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s:2: the comment ends with '\\'",
	    inipath);
	expect_error("[rules]\n# no spoofing \\\nno_spoofing = yes\n", want);
}

/* An empty section name. */
static void
test_empty_section(void **state)
{
	char	want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s:1: empty section name", inipath);
	expect_error("[ ]\n", want);
}

/* A missing file. */
static void
test_missing_file(void **state)
{
	struct config	 cfg;
	struct diag	 d;
	char		 path[160], want[200];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.ini", tmpdir);
	snprintf(want, sizeof(want), "%s: cannot open: ", path);
	diag_init(&d);
	memset(&cfg, 0x55, sizeof(cfg));
	assert_int_equal(config_load(path, &cfg, &d), -1);
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(strncmp(d.msg[0], want, strlen(want)), 0);
	assert_true(is_zeroed(&cfg));
	diag_free(&d);
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

/* Removes the file name from the test directory. */
static void
remove_list(const char *name)
{
	char	path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(unlink(path), 0);
}

/*
 * proxies_file: lists relative to the INI file's directory, united with
 * proxies, each network once, the inline ones first; the paths kept as
 * resolved.
 */
static void
test_proxies_file(void **state)
{
	struct config	cfg;
	char		want[256];

	(void)state;
	write_list("a.list", "# two\n10.0.0.0/8\n192.0.2.1 # edge\n");
	write_list("b.list", "10.0.0.0/8\n2001:db8::/32\n127.0.0.1\n");
	expect_ok("[trust]\nproxies = 127.0.0.1 unix:\n"
	    "proxies_file = a.list b.list\n", &cfg);
	assert_int_equal(cfg.proxies.n, 4);
	assert_int_equal(cfg.proxies_inline, 1);
	assert_int_equal(cfg.proxies.has_unix, 1);
	assert_true(in_set(&cfg.proxies, "127.0.0.1"));
	assert_true(in_set(&cfg.proxies, "10.200.0.1"));
	assert_true(in_set(&cfg.proxies, "192.0.2.1"));
	assert_false(in_set(&cfg.proxies, "192.0.2.2"));
	assert_true(in_set(&cfg.proxies, "2001:db8::7"));
	assert_int_equal(cfg.nproxies_files, 2);
	snprintf(want, sizeof(want), "%s/a.list", tmpdir);
	assert_string_equal(cfg.proxies_files[0], want);
	snprintf(want, sizeof(want), "%s/b.list", tmpdir);
	assert_string_equal(cfg.proxies_files[1], want);
	config_free(&cfg);

	/* a file alone makes the set; empty proxies_file reads nothing */
	expect_ok("[trust]\nproxies_file = a.list\n", &cfg);
	assert_int_equal(cfg.proxies.n, 2);
	assert_int_equal(cfg.proxies_inline, 0);
	config_free(&cfg);
	expect_ok("[trust]\nproxies_file =\n", &cfg);
	assert_int_equal(cfg.proxies.n, 0);
	assert_int_equal(cfg.nproxies_files, 0);
	config_free(&cfg);
	remove_list("a.list");
	remove_list("b.list");
}

/*
 * proxies_file errors: a missing or unreadable file names the INI file,
 * the key's line and the list; a bad entry names the list and its line;
 * an empty set is refused; host bits warn with the list's line.
 */
static void
test_proxies_file_errors(void **state)
{
	struct config	 cfg;
	struct diag	 d;
	const char	*list;
	char		 want[512], *big;
	FILE		*fp;

	(void)state;
	snprintf(want, sizeof(want), "%s:3: [trust] proxies_file: %s/absent."
	    "list: cannot open: No such file or directory", inipath, tmpdir);
	memset(&cfg, 0x55, sizeof(cfg));
	assert_int_equal(load_text("[trust]\nx_for = 2\nproxies_file = "
	    "absent.list\n", &cfg, &d), -1);
	if (!has_msg(&d, 1, want))
		dump(&d);
	assert_true(has_msg(&d, 1, want));
	assert_int_equal(d.nerrors, 1);
	assert_true(is_zeroed(&cfg));
	diag_free(&d);

	list = write_list("bad.list", "10.0.0.0/8\n\n# c\n10.0.0.300\n");
	snprintf(want, sizeof(want), "%s:4: \"10.0.0.300\" is not an IP "
	    "address or a CIDR", list);
	expect_error("[trust]\nproxies_file = bad.list\n", want);
	remove_list("bad.list");

	list = write_list("empty.list", "# nothing yet\n");
	snprintf(want, sizeof(want), "%s:2: [trust] proxies_file: %s: holds "
	    "no address, and proxies is empty", inipath, list);
	expect_error("[trust]\nproxies_file = empty.list\n", want);
	expect_ok("[trust]\nproxies = unix:\nproxies_file = empty.list\n",
	    &cfg);
	config_free(&cfg);
	expect_error("[trust]\nproxies_file = empty.list empty.list\n",
	    "the files hold no address, and proxies is empty");
	remove_list("empty.list");

	list = write_list("host.list", "10.1.2.3/8\n");
	snprintf(want, sizeof(want), "%s:1: \"10.1.2.3/8\" has host bits "
	    "set; read as 10.0.0.0/8", list);
	expect_warning("[trust]\nproxies_file = host.list\n", want);
	remove_list("host.list");

	/* a directory, a FIFO (refused without waiting for a writer), and a
	 * file over the size limit */
	snprintf(want, sizeof(want), "%s:2: [trust] proxies_file: %s/.: "
	    "not a regular file", inipath, tmpdir);
	expect_error("[trust]\nproxies_file = .\n", want);
	snprintf(want, sizeof(want), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(want, 0600), 0);
	expect_error("[trust]\nproxies_file = fifo\n", "fifo: not a regular "
	    "file");
	assert_int_equal(unlink(want), 0);
	list = write_list("big.list", "");
	fp = fopen(list, "w");
	assert_non_null(fp);
	big = calloc(1, 4 * 1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, '\n', 4 * 1024 * 1024 + 1);
	assert_int_equal(fwrite(big, 1, 4 * 1024 * 1024 + 1, fp),
	    4 * 1024 * 1024 + 1);
	assert_int_equal(fclose(fp), 0);
	free(big);
	expect_error("[trust]\nproxies_file = big.list\n",
	    "big.list: larger than 4194304 bytes");
	remove_list("big.list");
}

/* sockspec_parse: the accepted forms and the refused ones. */
static void
test_sockspec(void **state)
{
	static const char *const bad[] = {
		"", "unix:", "unix:run/x.sock", "localhost:9000",
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:09000", "::1:9000", "[::1]", "[::1]9000",
		"[127.0.0.1]:9000", "[::1:9000", "/run/x.sock", "tcp://1.2.3.4:5",
		"1.2.3.4:80x"
	};
	struct sockspec	 s;
	const char	*why;
	char		 longpath[200];
	size_t		 i;

	(void)state;
	assert_int_equal(sockspec_parse("unix:/run/php/php-fpm.sock", &s,
	    &why), 0);
	assert_int_equal(s.kind, SOCK_UNIX);
	assert_string_equal(s.path, "/run/php/php-fpm.sock");
	assert_int_equal(sockspec_parse("127.0.0.1:9001", &s, &why), 0);
	assert_int_equal(s.kind, SOCK_TCP);
	assert_int_equal(s.ip.family, 4);
	assert_memory_equal(s.ip.a, "\x7f\x00\x00\x01", 4);
	assert_int_equal(s.port, 9001);
	assert_int_equal(sockspec_parse("[2001:db8::1]:65535", &s, &why), 0);
	assert_int_equal(s.kind, SOCK_TCP);
	assert_int_equal(s.ip.family, 6);
	assert_int_equal(s.port, 65535);

	/* sun_path holds 108 bytes with the NUL: 107 fit, 108 do not */
	memcpy(longpath, "unix:/", 6);
	memset(longpath + 6, 'p', 106);
	longpath[112] = '\0';
	assert_int_equal(sockspec_parse(longpath, &s, &why), 0);
	assert_int_equal(strlen(s.path), 107);
	longpath[112] = 'p';
	longpath[113] = '\0';
	why = NULL;
	assert_int_equal(sockspec_parse(longpath, &s, &why), -1);
	assert_non_null(why);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (sockspec_parse(bad[i], &s, &why) != -1)
			print_message("accepted: \"%s\"\n", bad[i]);
		assert_int_equal(sockspec_parse(bad[i], &s, &why), -1);
		assert_non_null(why);
	}
}

/* Bad listen and backend values in the file. */
static void
test_bad_listen_backend(void **state)
{
	struct config	cfg;

	(void)state;
	expect_error("[gateway]\nbackend = localhost:9000\n",
	    "[gateway] backend: \"localhost:9000\": not an IPv4 address "
	    "(host names are not resolved)");
	expect_error("[gateway]\nlisten = unix:relative.sock\n",
	    "[gateway] listen: \"unix:relative.sock\": the socket path must "
	    "be absolute");
	expect_error("[gateway]\nlisten = ::1:9000\n", "[gateway] listen: ");
	/* listen alone, without backend, loads (the daemon checks backend) */
	expect_ok("[gateway]\nlisten = 127.0.0.1:9001\n", &cfg);
	assert_int_equal(cfg.listen.kind, SOCK_TCP);
	assert_int_equal(cfg.backend.kind, SOCK_NONE);
	config_free(&cfg);
}

/* Bad [log] level and target. */
static void
test_bad_log(void **state)
{
	struct config	cfg;

	(void)state;
	expect_error("[log]\nlevel = verbose\n", "[log] level: \"verbose\" is "
	    "not a level (error, warning, info, debug)");
	expect_error("[log]\ntarget = file\n", "[log] target: \"file\" is not "
	    "a target (stderr, syslog, or the absolute path of a file)");
	expect_error("[log]\ntarget = var/log/x.log\n", "[log] target: "
	    "\"var/log/x.log\" is not a target");
	expect_error("[log]\ntarget = \"/var/log/a\tb\"\n", "[log] target: "
	    "\"/var/log/a\\x09b\" is not an absolute path");
	expect_ok("[log]\ntarget = /var/log/xff-gateway.log\n", &cfg);
	assert_int_equal(cfg.log_target, LOG_TO_FILE);
	assert_string_equal(cfg.log_file, "/var/log/xff-gateway.log");
	config_free(&cfg);
	expect_ok("[log]\nlevel = warning\ntarget = stderr\n", &cfg);
	assert_int_equal(cfg.log_level, LOG_LVL_WARNING);
	assert_int_equal(cfg.log_target, LOG_TO_STDERR);
	assert_string_equal(log_level_name(cfg.log_level), "warning");
	config_free(&cfg);
	assert_string_equal(log_level_name(LOG_LVL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LVL_INFO), "info");
	assert_string_equal(log_level_name(LOG_LVL_DEBUG), "debug");
}

/*
 * A key set twice in a section, also in two blocks of it, is an error
 * naming both lines (SPEC 2); iniparser alone keeps the last silently.
 */
static void
test_repeated_keys(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} v[] = {
		{ "[trust]\nproxies = 10.0.0.1\nproxies = 10.0.0.2\n",
		    "[trust] proxies: set twice, on lines 2 and 3: the INI "
		    "parser would keep only the last; write the key once" },
		{ "[trust]\nx_for = 1\n[rules]\nstrict = yes\n\n[trust]\n"
		    "x_for = 2\n", "[trust] x_for: set twice, on lines 2 and 7" },
		{ "[Trust]\nX_For = 1\n[trust]\nx_for = 1\n",
		    "[trust] x_for: set twice, on lines 2 and 4" },
		{ "[rules]\nexempt = \"^a/$ \\\n  ^b/$\"\nexempt = ^c/$\n",
		    "[rules] exempt: set twice, on lines 2 and 4" },
		{ "[gateway]\nbackend = unix:/run/a.sock\nworkers = 4\n"
		    "backend = unix:/run/b.sock\n",
		    "[gateway] backend: set twice, on lines 2 and 4" },
		{ "[log]\nlevel=info\nlevel =debug\n",
		    "[log] level: set twice, on lines 2 and 3" },
	};
	struct config	cfg;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect_error(v[i].text, v[i].err);
	/* the same key in two sections is two keys */
	expect_ok("[gateway]\nbackend = unix:/run/b.sock\n[trust]\n"
	    "x_for = 2\n[rules]\nstrict = no\n[log]\nlevel = info\n", &cfg);
	assert_int_equal(cfg.x_for, 2);
	config_free(&cfg);
}

/* listen_owner, listen_group, listen_mode and pid (standalone mode). */
static void
test_socket_keys(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;	/* NULL: loads */
		int		 mode;
	} v[] = {
		{ "listen_mode = 0660", NULL, 0660 },
		{ "listen_mode = 666", NULL, 0666 },
		{ "listen_mode = 0", NULL, 0 },
		{ "listen_mode = 0777", NULL, 0777 },
		{ "listen_mode = 01777", "is not a file mode", 0 },
		{ "listen_mode = 0668", "is not a file mode", 0 },
		{ "listen_mode = rw-rw----", "is not a file mode", 0 },
		{ "listen_mode = ", "is not a file mode", 0 },
		{ "listen_mode = 00000660", "is not a file mode", 0 },
		{ "pid = run/x.pid", "[gateway] pid: \"run/x.pid\" is not an "
		    "absolute path", 0 },
	};
	struct config	cfg;
	char		text[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "[gateway]\nlisten = "
		    "unix:/run/x.sock\n%s\n", v[i].text);
		if (v[i].err != NULL) {
			expect_error(text, v[i].err);
			continue;
		}
		expect_ok(text, &cfg);
		assert_int_equal(cfg.listen_mode, v[i].mode);
		config_free(&cfg);
	}
	expect_ok("[gateway]\nlisten = unix:/run/x.sock\n"
	    "listen_owner = www-data\nlisten_group = www-data\n"
	    "pid = /run/xff-gateway/xff-gateway.pid\n", &cfg);
	assert_string_equal(cfg.listen_owner, "www-data");
	assert_string_equal(cfg.listen_group, "www-data");
	assert_string_equal(cfg.pid_file, "/run/xff-gateway/xff-gateway.pid");
	config_free(&cfg);
	expect_ok("[gateway]\nbackend = unix:/run/b.sock\n", &cfg);
	assert_int_equal(cfg.listen_mode, 0660);
	assert_null(cfg.listen_owner);
	assert_null(cfg.pid_file);
	config_free(&cfg);
	expect_warning("[gateway]\nlisten = 127.0.0.1:9000\n"
	    "listen_owner = www-data\n", "[gateway] listen_owner, listen_group, "
	    "listen_mode: apply only to a socket the gateway creates "
	    "(listen = unix:...)");
	expect_warning("[gateway]\nlisten_mode = 0600\n", "apply only to a "
	    "socket the gateway creates");
	/* the defaults, as -T writes them, load without a word */
	expect_ok("[gateway]\nlisten =\nlisten_owner =\nlisten_group =\n"
	    "listen_mode = 0660\npid =\n", &cfg);
	config_free(&cfg);
}

/* strip_headers: the forwarded headers and non-tokens are refused. */
static void
test_strip_headers(void **state)
{
	struct config	cfg;

	(void)state;
	expect_error("[rules]\nstrip_headers = X-Real-IP X-Forwarded-For\n",
	    "[rules] strip_headers: \"X-Forwarded-For\" is a forwarded header");
	expect_error("[rules]\nstrip_headers = forwarded\n",
	    "\"forwarded\" is a forwarded header");
	expect_error("[rules]\nstrip_headers = X_FORWARDED_HOST\n",
	    "\"X_FORWARDED_HOST\" is a forwarded header");
	expect_error("[rules]\nstrip_headers = x-forwarded-proto, "
	    "X-Forwarded-Port,X-Forwarded-Prefix\n",
	    "\"X-Forwarded-Prefix\" is a forwarded header");
	expect_error("[rules]\nstrip_headers = X-Real-IP: Client/IP\n",
	    "[rules] strip_headers: \"X-Real-IP:\" is not a header name "
	    "(an HTTP token)");
	expect_error("[rules]\nstrip_headers = \"X(y)\"\n",
	    "\"X(y)\" is not a header name");
	/* empty strips nothing */
	expect_ok("[rules]\nstrip_headers =\n", &cfg);
	assert_int_equal(cfg.nstrip, 0);
	config_free(&cfg);
	/* duplicates by CGI name are kept once */
	expect_ok("[rules]\nstrip_headers = X-Real-IP,x_real_ip X-REAL-IP\n",
	    &cfg);
	assert_int_equal(cfg.nstrip, 1);
	assert_string_equal(cfg.strip_headers[0], "HTTP_X_REAL_IP");
	config_free(&cfg);
}

/* header_required: absent or empty follows strict || always_proxy. */
static void
test_header_required(void **state)
{
	struct config	cfg;

	(void)state;
	expect_ok("[rules]\nstrict = yes\n", &cfg);
	assert_int_equal(cfg.header_required, 1);
	config_free(&cfg);
	expect_ok("[rules]\nalways_proxy = yes\nheader_required =\n", &cfg);
	assert_int_equal(cfg.header_required, 1);
	config_free(&cfg);
	expect_ok("[rules]\nstrict = yes\nheader_required = off\n", &cfg);
	assert_int_equal(cfg.header_required, 0);
	config_free(&cfg);
	expect_ok("[rules]\nheader_required = on\n", &cfg);
	assert_int_equal(cfg.header_required, 1);
	config_free(&cfg);
	expect_error("[rules]\nheader_required = sometimes\n",
	    "[rules] header_required: \"sometimes\" is not a boolean");
}

/* loose_unsafe = yes loads with a warning. */
static void
test_loose_warning(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	assert_int_equal(load_text("[rules]\nloose_unsafe = yes\n", &cfg, &d),
	    0);
	assert_int_equal(d.nerrors, 0);
	assert_true(has_msg(&d, 0, "[rules] loose_unsafe: "));
	assert_true(has_msg(&d, 0, "development only"));
	assert_int_equal(cfg.loose, 1);
	config_free(&cfg);
	diag_free(&d);
}

/* status_uri must be a path. */
static void
test_status_uri(void **state)
{
	(void)state;
	expect_error("[gateway]\nstatus_uri = xff-status\n",
	    "[gateway] status_uri: \"xff-status\" is not a path");
	expect_error("[gateway]\nstatus_uri = /a?b\n",
	    "[gateway] status_uri: \"/a?b\" is not a path");
}

/* Values are escaped in messages: no control byte reaches the terminal. */
static void
test_escaped_values(void **state)
{
	struct config	cfg;
	struct diag	d;
	size_t		i, j;

	(void)state;
	assert_int_equal(load_text("[rules]\nstrict = \"y\x1b[31m s\"\n"
	    "[log]\nlevel = \x7f\n", &cfg, &d), -1);
	assert_int_equal(d.nerrors, 2);
	assert_true(has_msg(&d, 1, "[rules] strict: \"y\\x1b[31m\\x20s\" is "
	    "not a boolean"));
	assert_true(has_msg(&d, 1, "[log] level: \"\\x7f\" is not a level"));
	for (i = 0; i < d.n; i++)
		for (j = 0; d.msg[i][j] != '\0'; j++)
			assert_true(d.msg[i][j] >= 0x20 && d.msg[i][j] < 0x7f);
	diag_free(&d);
}

/* Multiple errors in one file: all of them are reported, not just the first. */
static void
test_multiple_errors(void **state)
{
	struct config	cfg;
	struct diag	d;

	(void)state;
	memset(&cfg, 0x55, sizeof(cfg));
	assert_int_equal(load_text(
	    "[gateway]\n"
	    "workers = 0\n"
	    "backend = example.org:9000\n"
	    "[trust]\n"
	    "x_for = 65\n"
	    "proxies = 10.0.0.1/8 nonsense\n"
	    "[rules]\n"
	    "strcit = yes\n"
	    "no_spoofing = maybe\n"
	    "exempt = ^ok ; comment\n"
	    "[colour]\n"
	    "[log]\n"
	    "target = file\n", &cfg, &d), -1);
	assert_true(has_exact(&d, "[gateway] workers: \"0\" is out of range "
	    "(1 to 4096)"));
	assert_true(has_msg(&d, 1, "[gateway] backend: \"example.org:9000\""));
	assert_true(has_exact(&d, "[trust] x_for: \"65\" is out of range "
	    "(0 to 64)"));
	assert_true(has_msg(&d, 0, "[trust] proxies: \"10.0.0.1/8\" has host "
	    "bits set"));
	assert_true(has_msg(&d, 1, "[trust] proxies: \"nonsense\" is not"));
	assert_true(has_exact(&d, "[rules] strcit: unknown key"));
	assert_true(has_exact(&d, "[rules] no_spoofing: \"maybe\" is not a "
	    "boolean (yes/no/true/false/on/off/1/0)"));
	assert_true(has_msg(&d, 1, "[rules] exempt: unquoted ';' (line 10)"));
	assert_true(has_msg(&d, 1, "[colour]: unknown section"));
	assert_true(has_msg(&d, 1, "[log] target: \"file\" is not a target"));
	assert_int_equal(d.nerrors, 9);
	assert_int_equal(d.n, 10);
	assert_true(is_zeroed(&cfg));
	diag_free(&d);
}

/* diag collects errors and warnings in order and counts the errors. */
static void
test_diag(void **state)
{
	struct diag	d;

	(void)state;
	diag_init(&d);
	diag_add(&d, 0, "w %d", 1);
	diag_add(&d, 1, "e %s", "two");
	assert_int_equal(d.n, 2);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.msg[0], "w 1");
	assert_int_equal(d.is_error[0], 0);
	assert_string_equal(d.msg[1], "e two");
	assert_int_equal(d.is_error[1], 1);
	diag_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.msg);
}

/* A failed load after a good one leaves nothing allocated (checked by valgrind/ASan). */
static void
test_reload_cycle(void **state)
{
	struct config	cfg;
	int		i;

	(void)state;
	for (i = 0; i < 3; i++) {
		expect_ok("[rules]\nexempt = ^a ^b\nstrip_headers = A B C\n"
		    "[trust]\nproxies = 10.0.0.0/8 ::1\n[gateway]\n"
		    "user = u\n", &cfg);
		config_free(&cfg);
		expect_error("[rules]\nexempt = ^a (\nstrip_headers = A "
		    "X-Forwarded-Host\n[trust]\nproxies = 10.0.0.0/8 x\n",
		    "is not a valid regular expression");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_sample_file),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_exempt_offsets),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_key_outside_section),
		cmocka_unit_test(test_bad_boolean),
		cmocka_unit_test(test_boolean_words),
		cmocka_unit_test(test_depths),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_pool_keys),
		cmocka_unit_test(test_bad_cidr),
		cmocka_unit_test(test_cidr_hostbits),
		cmocka_unit_test(test_bad_regex),
		cmocka_unit_test(test_costly_regex),
		cmocka_unit_test(test_exempt_slash_warning),
		cmocka_unit_test(test_exempt_unquoted_comment),
		cmocka_unit_test(test_exempt_quoted),
		cmocka_unit_test(test_section_comment),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_comment_continuation),
		cmocka_unit_test(test_empty_section),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_proxies_file),
		cmocka_unit_test(test_proxies_file_errors),
		cmocka_unit_test(test_sockspec),
		cmocka_unit_test(test_bad_listen_backend),
		cmocka_unit_test(test_bad_log),
		cmocka_unit_test(test_socket_keys),
		cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_strip_headers),
		cmocka_unit_test(test_header_required),
		cmocka_unit_test(test_loose_warning),
		cmocka_unit_test(test_status_uri),
		cmocka_unit_test(test_escaped_values),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_reload_cycle),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
