/*
 * bench_core.c: decisions per second of the core correction on a typical
 * request: nginx's fastcgi_params plus the headers of a current browser,
 * behind two proxies of ours (X-Forwarded-For of three entries, proto and
 * host forwarded), accepted with every default rule (clean,
 * keep_original).  One struct result is reused, as a gateway worker does.
 *
 * Usage: bench_core [SECONDS]  (default 2)
 * Runs for SECONDS of wall-clock time and prints "decisions/s: N" per
 * second of CPU time of this single-threaded process (one core), which
 * stays meaningful on a busy machine, and the wall-clock rate beside it.
 * Exits 1 when the request is not corrected as expected, so a broken
 * core cannot pass for a fast one.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE	200809L	/* clock_gettime */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include "config.h"
#include "correct.h"
#include "ipaddr.h"
#include "params.h"

static const char *const request[] = {
	"QUERY_STRING=page=2&sort=desc",
	"REQUEST_METHOD=GET",
	"CONTENT_TYPE=",
	"CONTENT_LENGTH=",
	"SCRIPT_NAME=/index.php",
	"REQUEST_URI=/index.php/articles/42?page=2&sort=desc",
	"DOCUMENT_URI=/index.php/articles/42",
	"DOCUMENT_ROOT=/srv/www/app/public",
	"SERVER_PROTOCOL=HTTP/1.1",
	"REQUEST_SCHEME=http",
	"GATEWAY_INTERFACE=CGI/1.1",
	"SERVER_SOFTWARE=nginx/1.22.1",
	"REMOTE_ADDR=10.0.0.2",
	"REMOTE_PORT=51234",
	"SERVER_ADDR=10.0.0.5",
	"SERVER_PORT=8080",
	"SERVER_NAME=_",
	"REDIRECT_STATUS=200",
	"SCRIPT_FILENAME=/srv/www/app/public/index.php",
	"PATH_INFO=/articles/42",
	"HTTP_HOST=10.0.0.5:8080",
	"HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
	    "Gecko/20100101 Firefox/128.0",
	"HTTP_ACCEPT=text/html,application/xhtml+xml,application/xml;q=0.9,"
	    "*/*;q=0.8",
	"HTTP_ACCEPT_LANGUAGE=en-GB,en;q=0.7,de;q=0.3",
	"HTTP_ACCEPT_ENCODING=gzip, deflate, br, zstd",
	"HTTP_REFERER=https://www.example.com/articles/",
	"HTTP_COOKIE=sessionid=4f9c2a7d1e8b6c3a5f0e9d2c7b4a1e6f; theme=dark",
	"HTTP_UPGRADE_INSECURE_REQUESTS=1",
	"HTTP_SEC_FETCH_DEST=document",
	"HTTP_SEC_FETCH_MODE=navigate",
	"HTTP_SEC_FETCH_SITE=same-origin",
	"HTTP_SEC_FETCH_USER=?1",
	"HTTP_PRIORITY=u=0, i",
	"HTTP_X_FORWARDED_FOR=198.51.100.7, 10.0.0.7, 10.0.0.8",
	"HTTP_X_FORWARDED_PROTO=https",
	"HTTP_X_FORWARDED_HOST=www.example.com",
};
#define NPARAMS	(sizeof(request) / sizeof(request[0]))

/* Returns the time of clock in seconds. */
static double
now(clockid_t clock)
{
	struct timespec	 ts;

	if (clock_gettime(clock, &ts) == -1) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns 1 when param name of r's output has the value want. */
static int
out_is(const struct result *r, const char *name, const char *want)
{
	long	 i;

	i = params_find(&r->out, name);
	return i >= 0 && xstr_eqc(r->out.v[i].value, want);
}

/* Sets up the config: proxies 10.0.0.0/24, x_for 3, x_proto 1, x_host 1. */
static int
setup(struct config *cfg)
{
	struct cidr	*c;
	int		 hostbits;

	if (config_defaults(cfg) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (cidr_parse(xstr_c("10.0.0.0/24"), c, &hostbits) == -1) {
		free(c);
		return -1;
	}
	cfg->proxies.v = c;
	cfg->proxies.n = 1;
	cfg->x_for = 3;
	cfg->x_proto = 1;
	cfg->x_host = 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config	 cfg;
	struct param	 in[NPARAMS];
	struct result	 r;
	double		 secs = 2, t0, t, c0, c;
	unsigned long	 n = 0, i;
	char		*end;
	size_t		 k;
	int		 rc = 1;

	if (argc > 1) {
		errno = 0;
		secs = strtod(argv[1], &end);
		if (errno != 0 || *end != '\0' || end == argv[1] ||
		    !(secs > 0 && secs <= 600)) {
			fprintf(stderr, "usage: bench_core [SECONDS]\n");
			return 1;
		}
	}
	if (setup(&cfg) == -1) {
		fprintf(stderr, "bench_core: cannot set up the config\n");
		return 1;
	}
	for (k = 0; k < NPARAMS; k++)
		in[k] = param_from_env(request[k]);
	result_init(&r);

	if (xff_correct(&cfg, in, NPARAMS, &r) == -1) {
		fprintf(stderr, "bench_core: out of memory\n");
		goto done;
	}
	if (r.status != 200 || r.nev != 0 ||
	    !out_is(&r, "REMOTE_ADDR", "198.51.100.7") ||
	    !out_is(&r, "HTTPS", "on") ||
	    !out_is(&r, "SERVER_NAME", "www.example.com") ||
	    !out_is(&r, "SERVER_PORT", "443")) {
		fprintf(stderr, "bench_core: the request was not corrected as "
		    "expected (status %d, %zu events)\n", r.status, r.nev);
		goto done;
	}

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (i = 0; i < 1024; i++)
			if (xff_correct(&cfg, in, NPARAMS, &r) == -1) {
				fprintf(stderr, "bench_core: out of memory\n");
				goto done;
			}
		n += 1024;
		t = now(CLOCK_MONOTONIC) - t0;
	} while (t < secs);
	c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (r.status != 200) {
		fprintf(stderr, "bench_core: status %d in the loop\n",
		    r.status);
		goto done;
	}

	printf("params: %zu in, %zu out\n", (size_t)NPARAMS, r.out.n);
	printf("decisions: %lu in %.2f s wall, %.2f s cpu\n", n, t, c);
	printf("wall decisions/s: %.0f\n", (double)n / t);
	printf("decisions/s: %.0f\n", c > 0 ? (double)n / c : 0.0);
	rc = 0;
done:
	result_free(&r);
	config_free(&cfg);
	return rc;
}
