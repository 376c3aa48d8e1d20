/*
 * echo-app: the test suite's FastCGI backend.  A threaded libfcgi
 * responder (one FCGX_Request per thread, no accept mutex) listening on
 * fd 0, as spawn-fcgi starts it:
 *
 *	spawn-fcgi -s SOCK -P PIDFILE -- tests/echo-app [THREADS]
 *
 * It reads the whole body, then answers with Content-Type
 * application/json and one object:
 *
 *	{"params": [["NAME", "VALUE"], ...],	every param in arrival order,
 *						duplicates kept (libfcgi's own
 *						leading FCGI_ROLE left out)
 *	 "stdin_len": N,			body bytes read
 *	 "stdin_fnv1a64": "16 hex digits",	FNV-1a 64 of the body
 *	 "stdin_error": E}			FCGX_GetError after the body
 *
 * Strings are JSON-escaped; a byte outside printable ASCII becomes
 * \u00XX, so a test decodes a value back to its bytes with latin-1.
 * QUERY_STRING switches (combinable, '&'-separated):
 *
 *	sleep=S		sleep S seconds (decimals allowed) before answering
 *	size=N		answer N bytes of text/plain ("0123456789abcdef" repeated)
 *	stream=N	answer N lines "chunk K\n", flushed 0.2 s apart
 *	exit=1		end the request abnormally before any output
 *			(the connection is shut down, no END_REQUEST)
 *	exit=2		the same after the headers and part of the body
 *	appstatus=N	set the END_REQUEST appStatus to N
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#define MAX_THREADS	1024

struct opts {
	double		 sleep;
	unsigned long	 size;
	unsigned long	 stream;
	int		 exitmode;
	int		 appstatus;
	int		 has_size;
};

/*
 * Copies the number s[0..len) into buf (cap bytes) as a C string.
 * Returns 0, or -1 when it is empty, too long or does not start with a
 * decimal digit.
 */
static int
numtext(const char *s, size_t len, char *buf, size_t cap)
{
	if (len == 0 || len >= cap)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf[0] >= '0' && buf[0] <= '9' ? 0 : -1;
}

/* Parses an unsigned decimal; returns 0 and sets *out, or -1. */
static int
parse_ulong(const char *s, size_t len, unsigned long *out)
{
	char		buf[32], *end;
	unsigned long	v;

	if (numtext(s, len, buf, sizeof(buf)) == -1)
		return -1;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses a non-negative decimal number of seconds; returns 0 or -1. */
static int
parse_secs(const char *s, size_t len, double *out)
{
	char	buf[32], *end;
	double	v;

	if (numtext(s, len, buf, sizeof(buf)) == -1)
		return -1;
	errno = 0;
	v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || v < 0 || v > 3600)
		return -1;
	*out = v;
	return 0;
}

/* Reads the switches of QUERY_STRING into o; unknown keys are ignored. */
static void
parse_query(const char *q, struct opts *o)
{
	const char	*p = q, *amp, *eq;
	unsigned long	 v;
	size_t		 klen, vlen;

	memset(o, 0, sizeof(*o));
	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		eq = memchr(p, '=', amp != NULL ? (size_t)(amp - p) : strlen(p));
		if (eq != NULL) {
			klen = (size_t)(eq - p);
			vlen = amp != NULL ? (size_t)(amp - eq - 1) :
			    strlen(eq + 1);
			if (klen == 5 && memcmp(p, "sleep", 5) == 0)
				parse_secs(eq + 1, vlen, &o->sleep);
			else if (klen == 4 && memcmp(p, "size", 4) == 0 &&
			    parse_ulong(eq + 1, vlen, &v) == 0) {
				o->size = v;
				o->has_size = 1;
			} else if (klen == 6 && memcmp(p, "stream", 6) == 0 &&
			    parse_ulong(eq + 1, vlen, &v) == 0)
				o->stream = v;
			else if (klen == 4 && memcmp(p, "exit", 4) == 0 &&
			    parse_ulong(eq + 1, vlen, &v) == 0 && v <= 2)
				o->exitmode = (int)v;
			else if (klen == 9 && memcmp(p, "appstatus", 9) == 0 &&
			    parse_ulong(eq + 1, vlen, &v) == 0 && v <= 255)
				o->appstatus = (int)v;
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
}

/* Sleeps s seconds. */
static void
sleep_secs(double s)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Writes s[0..len) as a JSON string. */
static void
put_json(FCGX_Stream *out, const char *s, size_t len)
{
	char	buf[8];
	size_t	i;

	FCGX_PutChar('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			FCGX_PutChar('\\', out);
			FCGX_PutChar(c, out);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(buf, sizeof(buf), "\\u%04x", c);
			FCGX_PutStr(buf, 6, out);
		} else
			FCGX_PutChar(c, out);
	}
	FCGX_PutChar('"', out);
}

/* Ends the request without END_REQUEST: the gateway sees the connection drop. */
static void
die_abruptly(FCGX_Request *req)
{
	FCGX_FFlush(req->out);
	shutdown(req->ipcFd, SHUT_RDWR);
}

/* Serves one request. */
static void
serve(FCGX_Request *req, char *buf, size_t bufsz)
{
	const char	*q = FCGX_GetParam("QUERY_STRING", req->envp);
	struct opts	 o;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	unsigned long	 total = 0, i;
	char		 line[64];
	char		**e;
	int		 n, first = 1;
	size_t		 k;

	parse_query(q != NULL ? q : "", &o);
	while ((n = FCGX_GetStr(buf, (int)bufsz, req->in)) > 0) {
		for (k = 0; k < (size_t)n; k++) {
			h ^= (unsigned char)buf[k];
			h *= 0x100000001b3ULL;
		}
		total += (unsigned long)n;
	}
	if (o.sleep > 0)
		sleep_secs(o.sleep);
	if (o.exitmode == 1) {
		die_abruptly(req);
		return;
	}
	FCGX_SetExitStatus(o.appstatus, req->out);
	if (o.stream > 0) {
		FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
		for (i = 0; i < o.stream; i++) {
			n = snprintf(line, sizeof(line), "chunk %lu\n", i);
			FCGX_PutStr(line, n, req->out);
			FCGX_FFlush(req->out);
			if (i + 1 < o.stream)
				sleep_secs(0.2);
		}
		return;
	}
	if (o.has_size) {
		FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
		for (i = 0; i < bufsz; i++)
			buf[i] = "0123456789abcdef"[i & 15];
		for (i = 0; i < o.size; i += k) {
			k = o.size - i < bufsz ? o.size - i : bufsz;
			if (FCGX_PutStr(buf, (int)k,
			    req->out) < 0)
				return;
			if (o.exitmode == 2 && i + k >= o.size / 2) {
				die_abruptly(req);
				return;
			}
		}
		return;
	}
	FCGX_PutS("Content-Type: application/json\r\n\r\n{\"params\": [",
	    req->out);
	if (o.exitmode == 2) {
		die_abruptly(req);
		return;
	}
	for (e = req->envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		if (e == req->envp && strncmp(*e, "FCGI_ROLE=", 10) == 0)
			continue;
		if (!first)
			FCGX_PutS(", ", req->out);
		first = 0;
		FCGX_PutChar('[', req->out);
		if (eq == NULL) {
			put_json(req->out, *e, strlen(*e));
			FCGX_PutS(", \"\"", req->out);
		} else {
			put_json(req->out, *e, (size_t)(eq - *e));
			FCGX_PutS(", ", req->out);
			put_json(req->out, eq + 1, strlen(eq + 1));
		}
		FCGX_PutChar(']', req->out);
	}
	n = snprintf(line, sizeof(line), "], \"stdin_len\": %lu, ", total);
	FCGX_PutStr(line, n, req->out);
	n = snprintf(line, sizeof(line), "\"stdin_fnv1a64\": \"%016llx\", ",
	    (unsigned long long)h);
	FCGX_PutStr(line, n, req->out);
	n = snprintf(line, sizeof(line), "\"stdin_error\": %d}\n",
	    FCGX_GetError(req->in));
	FCGX_PutStr(line, n, req->out);
}

/* A thread: accepts and serves requests forever. */
static void *
worker(void *arg)
{
	FCGX_Request	 req;
	char		*buf;
	size_t		 bufsz = 65536;

	(void)arg;
	if ((buf = malloc(bufsz)) == NULL)
		return NULL;
	if (FCGX_InitRequest(&req, 0, 0) != 0) {
		free(buf);
		return NULL;
	}
	while (FCGX_Accept_r(&req) == 0) {
		serve(&req, buf, bufsz);
		FCGX_Finish_r(&req);
	}
	free(buf);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	 tid[MAX_THREADS];
	unsigned long	 nthreads = 16, i;

	if (argc > 2 || (argc == 2 &&
	    (parse_ulong(argv[1], strlen(argv[1]), &nthreads) == -1 ||
	    nthreads < 1 || nthreads > MAX_THREADS))) {
		fprintf(stderr, "usage: echo-app [THREADS (1-%d)]\n",
		    MAX_THREADS);
		return 2;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "echo-app: FCGX_Init failed\n");
		return 1;
	}
	/* libfcgi's SIGTERM handler only sets a flag threads never see */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "echo-app: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
