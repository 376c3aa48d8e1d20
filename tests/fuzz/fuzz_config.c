/*
 * fuzz_config.c: libFuzzer harness for the INI loader (config_load).
 * The input is written to an anonymous file (memfd, else a temporary
 * file) that config_load reads through its path.  A load either fails
 * with at least one error and a zeroed config, or succeeds with every
 * value in its documented range (SPEC 2), and then its "config" log line
 * (logfmt_config) stays within its buffer, escaped: one line of printable
 * ASCII without spaces inside a value.  Every violation aborts.
 *
 * Built with -DFUZZ_SKIP_KNOWN it skips inputs holding more than four
 * '+' or '{', so that a run can look past one known class of findings:
 * glibc's regcomp needs memory exponential in the number of nested
 * repetitions of an exempt pattern (tests/fuzz/regress/config/oom-*).
 *
 *	clang -fsanitize=fuzzer,address,undefined -I lib \
 *	    tests/fuzz/fuzz_config.c lib/config.c lib/ipaddr.c lib/escape.c \
 *	    lib/logfmt.c lib/xstr.c -liniparser
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* memfd_create */
#endif

#include <sys/mman.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confload.h"
#include "ipaddr.h"
#include "logfmt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static int	 ini_fd = -1;
static char	 ini_path[64];

/* Opens the file the inputs are written to, once per process. */
static void
open_ini(void)
{
	char	tmpl[] = "/tmp/fuzz_config.XXXXXX";

	if (ini_fd != -1)
		return;
	if ((ini_fd = memfd_create("fuzz_config.ini", 0)) != -1) {
		snprintf(ini_path, sizeof(ini_path), "/proc/self/fd/%d",
		    ini_fd);
		if (access(ini_path, R_OK) == 0)
			return;
		close(ini_fd);
	}
	if ((ini_fd = mkstemp(tmpl)) == -1) {
		perror("mkstemp");
		abort();
	}
	/* the name is only needed while the process runs */
	snprintf(ini_path, sizeof(ini_path), "%s", tmpl);
}

/* Removes the temporary file when one was used. */
static void
remove_ini(void)
{
	if (strncmp(ini_path, "/tmp/", 5) == 0)
		unlink(ini_path);
}

/* Replaces the file's content with data. */
static void
write_ini(const uint8_t *data, size_t size)
{
	size_t	off = 0;
	ssize_t	n;

	if (ftruncate(ini_fd, 0) == -1) {
		perror("ftruncate");
		abort();
	}
	while (off < size) {
		n = pwrite(ini_fd, data + off, size - off, (off_t)off);
		if (n <= 0) {
			perror("pwrite");
			abort();
		}
		off += (size_t)n;
	}
}

/* Returns 1 when every byte of the struct is zero. */
static int
all_zero(const void *p, size_t n)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

/* A socket spec is absent, a Unix path or a TCP address with a port. */
static void
check_sock(const struct sockspec *s)
{
	CHECK(s->kind == SOCK_NONE || s->kind == SOCK_UNIX ||
	    s->kind == SOCK_TCP);
	if (s->kind == SOCK_UNIX)
		CHECK(memchr(s->path, '\0', sizeof(s->path)) != NULL &&
		    s->path[0] == '/');
	if (s->kind == SOCK_TCP) {
		CHECK(s->port >= 1 && s->port <= 65535);
		CHECK(s->ip.family == 4 || s->ip.family == 6);
	}
}

/* Every network of a set is well formed. */
static void
check_set(const struct cidrset *set)
{
	size_t	i;

	CHECK(set->n == 0 || set->v != NULL);
	for (i = 0; i < set->n; i++) {
		CHECK(set->v[i].net.family == 4 || set->v[i].net.family == 6);
		CHECK(set->v[i].plen <=
		    (set->v[i].net.family == 4 ? 32u : 128u));
		CHECK(cidr_match(&set->v[i], &set->v[i].net) == 1);
	}
}

/* A config that loaded holds only values SPEC 2 allows. */
static void
check_config(const struct config *c)
{
	size_t	i;

	CHECK(c->path != NULL && strcmp(c->path, ini_path) == 0);
	check_sock(&c->listen);
	check_sock(&c->backend);
	CHECK(c->workers >= 1 && c->workers <= 4096);
	CHECK(c->connect_timeout > 0 && c->connect_timeout <= 86400);
	CHECK(c->backend_timeout > 0 && c->backend_timeout <= 86400);
	CHECK(c->x_for >= 0 && c->x_for <= XFF_DEPTH_MAX);
	CHECK(c->x_proto >= 0 && c->x_proto <= XFF_DEPTH_MAX);
	CHECK(c->x_host >= 0 && c->x_host <= XFF_DEPTH_MAX);
	CHECK(c->x_port >= 0 && c->x_port <= XFF_DEPTH_MAX);
	CHECK(c->x_prefix >= 0 && c->x_prefix <= XFF_DEPTH_MAX);
	CHECK(c->forwarded >= 0 && c->forwarded <= XFF_DEPTH_MAX);
	CHECK((c->keep_conn | c->strict | c->always_proxy | c->no_spoofing |
	    c->header_required | c->loose | c->clean |
	    c->rewrite_remote_addr | c->exempt_stealth | c->keep_original |
	    c->strip_proxy_header | c->has_gateway) <= 1);
	CHECK(c->log_level >= LOG_LVL_ERROR && c->log_level <= LOG_LVL_DEBUG);
	CHECK(c->log_target <= LOG_TO_FILE && (c->log_target == LOG_TO_FILE) == (c->log_file != NULL));
	check_set(&c->status_allow);
	check_set(&c->proxies);
	CHECK(c->nexempt == 0 || (c->exempt != NULL && c->exempt_src != NULL));
	for (i = 0; i < c->nexempt; i++)
		CHECK(c->exempt_src[i] != NULL && c->exempt_src[i][0] != '\0');
	for (i = 0; i < c->nstrip; i++) {
		CHECK(c->strip_headers[i] != NULL);
		CHECK(strncmp(c->strip_headers[i], "HTTP_", 5) == 0);
		CHECK(strcmp(c->strip_headers[i], "HTTP_X_FORWARDED_FOR") != 0);
		CHECK(strcmp(c->strip_headers[i], "HTTP_FORWARDED") != 0);
	}
	CHECK(c->user == NULL || c->user[0] != '\0');
	CHECK(c->group == NULL || c->group[0] != '\0');
	CHECK(c->status_uri == NULL || c->status_uri[0] != '\0');
	CHECK(c->cgi_program == NULL || c->cgi_program[0] != '\0');
}

/*
 * Checks the "config" log line of c: within a small buffer and a large
 * one, NUL-terminated at the returned length, printable ASCII only, and
 * the fields in order, one space between them.
 */
static void
check_line(const struct config *c)
{
	static const char *const keys[] = {
		"path=", " proxies=", " x_for=", " forwarded=", " strict=",
		" keep_original=", NULL
	};
	char		 big[4096], small[64];
	const char	*p;
	size_t		 n, i;

	memset(small, 'Z', sizeof(small));
	n = logfmt_config(c, ini_path, small, sizeof(small) - 1);
	CHECK(n < sizeof(small) - 1 && strlen(small) == n);
	CHECK(small[sizeof(small) - 1] == 'Z');
	n = logfmt_config(c, ini_path, big, sizeof(big));
	CHECK(n < sizeof(big) && strlen(big) == n);
	for (i = 0; i < n; i++)
		CHECK(big[i] >= 0x20 && big[i] < 0x7f);
	for (p = big, i = 0; keys[i] != NULL; i++) {
		CHECK((p = strstr(p, keys[i])) != NULL);
		p += strlen(keys[i]);
		CHECK(*p != ' ' && *p != '\0');
	}
}

/* Loads the input as an INI file and checks the outcome. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 registered;
	struct config	 cfg;
	struct diag	 d;
	size_t		 i, plen;
	int		 rc;

#ifdef FUZZ_SKIP_KNOWN
	for (i = 0, plen = 0; i < size; i++)
		if (data[i] == '+' || data[i] == '{')
			plen++;
	if (plen > 4)
		return 0;
#endif
	open_ini();
	if (!registered) {
		atexit(remove_ini);
		registered = 1;
	}
	write_ini(data, size);
	diag_init(&d);
	memset(&cfg, 0xa5, sizeof(cfg));
	rc = config_load(ini_path, &cfg, &d);
	CHECK(rc == 0 || rc == -1);
	CHECK(d.nerrors <= d.n || rc == -1);
	plen = strlen(ini_path);
	for (i = 0; i < d.n; i++) {
		/* every message names the file first */
		if (d.msg[i] == NULL)
			continue;
		CHECK(strncmp(d.msg[i], ini_path, plen) == 0 &&
		    d.msg[i][plen] == ':');
		CHECK(d.is_error[i] == 0 || d.is_error[i] == 1);
	}
	if (rc == 0) {
		CHECK(d.nerrors == 0);
		check_config(&cfg);
		check_line(&cfg);
	} else {
		CHECK(d.nerrors > 0);
		CHECK(all_zero(&cfg, sizeof(cfg)));
	}
	config_free(&cfg);
	CHECK(all_zero(&cfg, sizeof(cfg)));
	diag_free(&d);
	return 0;
}
