/*
 * xff-cgi: the forwarded-header correction for classic CGI.
 *
 *	xff-cgi [-c FILE] [PROGRAM [ARGS...]]
 *	xff-cgi -h | --help | -V | --version
 *
 * -h and -V answer as a command (usage or version on stdout, exit 0),
 * never with a CGI response.  Options count only before PROGRAM: what
 * follows it, such as the script path of an interpreter line, is
 * PROGRAM's.
 *
 * Runs as the CGI program: builds the params from its own environment,
 * corrects them (SPEC 3), and either answers the request itself with a
 * CGI "Status: 400" or "Status: 404" response (exit status 0, the
 * program never runs), or replaces its environment with exactly the
 * corrected params and execs PROGRAM with ARGS (else [cgi] program).
 * Standard input, output and error are passed on untouched: nothing is
 * read from stdin, and nothing is written to stdout before the exec.
 * When xff-cgi answers itself, it reads and discards the request body
 * after its response (see respond()).
 *
 * The configuration is -c FILE, else $XFF_GATEWAY_CONFIG, else
 * XFF_DEFAULT_CONFIG ($(sysconfdir)/xff-gateway.ini, from paths.h).  A
 * web server only puts HTTP_* names into a CGI environment on behalf of
 * the client, so a client cannot choose the file.
 *
 * Interpreter line: "#!/usr/bin/xff-cgi /usr/bin/python3" in a script
 * makes the kernel run "xff-cgi /usr/bin/python3 /path/script".  Linux
 * passes everything after the interpreter path as one argument, so with
 * "#!/usr/bin/xff-cgi -c /etc/x.ini /usr/bin/python3" argv[1] is
 * "-c /etc/x.ini /usr/bin/python3": when there are at least two
 * arguments and the first holds a space or a tab, it is split on spaces
 * and tabs.  (So a PROGRAM whose path holds a space, followed by more
 * arguments, is split too: give such a program in [cgi] program.)
 * A PROGRAM whose own interpreter line names xff-cgi is refused (500):
 * with no program on that line xff-cgi would exec itself forever, and
 * with one the request would be corrected twice (the second pass would
 * record the already corrected values as ORIGINAL_*).
 *
 * Repeated variables (fcgiwrap passes one per header line when nginx
 * before 1.23 sends one param per line) are joined by the core.  A shell
 * wrapper ("exec xff-cgi ...") passes on only the last of them (dash and
 * bash both do), so the interpreter line is the form that sees them all.
 *
 * Failures (a missing or bad config, no program, a program that cannot
 * be executed, out of memory) print "Status: 500 Internal Server Error"
 * with a one-line body, explain the cause on stderr (the web server's
 * error log), and exit 1.
 *
 * Event lines go to stderr as "xff-cgi: <level> <event> key=value ..."
 * (the web server's error log, which stamps them itself), with [log]
 * target = syslog to syslog (facility daemon), or with target = FILE
 * appended to that file as "<ISO 8601 time> xff-cgi[<pid>]: <level> ...".
 * A file that cannot be opened (xff-cgi runs as the CGI user) gives one
 * line on stderr saying so, and the lines go to stderr.  Each run
 * handles one request, so there is nothing to rate-limit.  Warnings from
 * loading the config are logged at debug level only, to keep them out
 * of the error log on every request: check a file with xff-gateway -t.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE	1	/* struct tm's tm_gmtoff */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "confload.h"
#include "correct.h"
#include "logfmt.h"
#include "paths.h"
#include "xstr.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"
#endif

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define LINE_MAX_LEN	8192
#define DRAIN_SECONDS	30

#define RESP_400	"Status: 400 Bad Request\r\n" \
			"Content-Type: text/plain\r\n\r\nBad Request\n"
#define RESP_404	"Status: 404 Not Found\r\n" \
			"Content-Type: text/plain\r\n\r\nNot Found\n"
#define RESP_500	"Status: 500 Internal Server Error\r\n" \
			"Content-Type: text/plain\r\n\r\nInternal Server Error\n"

extern char **environ;

static int		log_syslog;
static int		log_fd = -1;		/* [log] target = FILE */
static enum log_level	log_max = LOG_LVL_INFO;

static void	writeall(int, const char *, size_t);
static void	log_start(const struct config *);
static void	log_end(void);
static void	file_line(const char *, const char *);
static void	respond(const char *, size_t);
static void	logline(enum log_level, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	split_shebang(int *, char ***);
static char	*find_program(const char *, int *);
static int	runs_self(const char *);
static void	log_events(const struct result *);
static char	**build_env(const struct params *);

/* Writes all of buf to fd, retrying short writes; errors are ignored. */
static void
writeall(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Sends a response of our own (a request the program never sees): writes
 * it, closes stdout so the host can finish the response, then reads and
 * discards the request body: at most CONTENT_LENGTH bytes, for at most
 * DRAIN_SECONDS (SIGALRM ends the process).  Reading it matters: some
 * hosts (fcgiwrap) write the whole body before they read the output and
 * answer 502 when the program exits with the body unread.
 */
static void
respond(const char *resp, size_t len)
{
	const char		*cl;
	char			 buf[16384], *end;
	unsigned long long	 left;
	ssize_t			 n;

	writeall(STDOUT_FILENO, resp, len);
	close(STDOUT_FILENO);
	cl = getenv("CONTENT_LENGTH");
	if (cl == NULL || cl[0] < '0' || cl[0] > '9')
		return;
	errno = 0;
	left = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || left == 0)
		return;
	signal(SIGALRM, SIG_DFL);
	alarm(DRAIN_SECONDS);
	while (left > 0) {
		n = read(STDIN_FILENO, buf, left < sizeof(buf) ?
		    (size_t)left : sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= (unsigned long long)n;
	}
	alarm(0);
}

/*
 * Sends the lines to the [log] target of cfg from here on: opens syslog,
 * or the file for appending (mode 0640 when created); a file that cannot
 * be opened leaves the lines on stderr, after one line saying why.
 */
static void
log_start(const struct config *cfg)
{
	char	line[LINE_MAX_LEN];
	int	n;

	if (cfg->log_target == LOG_TO_SYSLOG) {
		openlog("xff-cgi", LOG_PID, LOG_DAEMON);
		log_syslog = 1;
		return;
	}
	if (cfg->log_target != LOG_TO_FILE)
		return;
	do
		log_fd = open(cfg->log_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0640);
	while (log_fd == -1 && errno == EINTR);
	if (log_fd != -1)
		return;
	n = snprintf(line, sizeof(line), "xff-cgi: cannot open the log file "
	    "%s: %s; logging to stderr\n", cfg->log_file, strerror(errno));
	if (n > 0)
		writeall(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

/* Closes the log file or syslog, if open. */
static void
log_end(void)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
}

/*
 * Appends "<time stamp> xff-cgi[<pid>]: <level> <text>" to the log file
 * in a single write.
 */
static void
file_line(const char *level, const char *text)
{
	char		 line[LOGFMT_STAMP_MAX + LINE_MAX_LEN + 64];
	char		 st[LOGFMT_STAMP_MAX] = "";
	struct tm	 tm;
	time_t		 now = time(NULL);

	if (localtime_r(&now, &tm) != NULL)
		(void)logfmt_stamp(&tm, tm.tm_gmtoff, st, sizeof(st));
	writeall(log_fd, line, logfmt_line(line, sizeof(line), st, "xff-cgi",
	    (long)getpid(), level, text));
}

/*
 * Logs one line at level lvl when the configured level allows it: to
 * syslog, to the log file, or to stderr as "xff-cgi: <level> <text>" in
 * a single write.
 */
static void
logline(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char	 text[LINE_MAX_LEN], line[LINE_MAX_LEN + 64];
	va_list	 ap;
	int	 n;

	if (lvl > log_max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (log_syslog) {
		syslog(prio[lvl], "%s %s", log_level_name(lvl), text);
		return;
	}
	if (log_fd != -1) {
		file_line(log_level_name(lvl), text);
		return;
	}
	n = snprintf(line, sizeof(line), "xff-cgi: %s %s\n",
	    log_level_name(lvl), text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	writeall(STDERR_FILENO, line, (size_t)n);
}

/*
 * Reports a failure that stops the request: "xff-cgi: <text>" on stderr
 * (and to syslog or the log file when configured), then the CGI 500
 * response on stdout.  Does not return: exits 1.
 */
static void
fatal(const char *fmt, ...)
{
	char	 text[LINE_MAX_LEN], line[LINE_MAX_LEN + 16];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	n = snprintf(line, sizeof(line), "xff-cgi: %s\n", text);
	if (n > 0) {
		if ((size_t)n >= sizeof(line)) {
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		writeall(STDERR_FILENO, line, (size_t)n);
	}
	if (log_syslog)
		syslog(LOG_ERR, "error %s", text);
	if (log_fd != -1)
		file_line("error", text);
	log_end();
	respond(RESP_500, sizeof(RESP_500) - 1);
	exit(1);
}

/*
 * Returns 1 when the n bytes at w, percent-decoded, are the string a
 * (RFC 3875 4.4: the words of a query are '+'-separated and decoded).
 */
static int
query_word_is(const char *w, size_t n, const char *a)
{
	size_t	i;
	int	hi, lo, c;

	for (i = 0; i < n; i++, a++) {
		c = (unsigned char)w[i];
		if (c == '%' && i + 2 < n &&
		    (hi = xstr_hexval((unsigned char)w[i + 1])) >= 0 &&
		    (lo = xstr_hexval((unsigned char)w[i + 2])) >= 0) {
			c = hi * 16 + lo;
			i += 2;
		}
		if (*a == '\0' || (unsigned char)*a != c)
			return 0;
	}
	return *a == '\0';
}

/*
 * Returns 1 when the command line may have been written by the client:
 * run as a CGI program, and either the arguments are exactly the words
 * of a query string without '=' (RFC 3875 4.4: a server such as Apache
 * passes those words as arguments), or xff-cgi itself is the requested
 * script (SCRIPT_FILENAME), where any argument comes from the query.
 * Options or a PROGRAM taken from such a command line would let a client
 * choose the configuration or the program to run.
 */
static int
argv_from_client(int argc, char *argv[])
{
	struct stat	 self, script;
	const char	*q, *sf, *base, *w, *end;
	int		 i = 1;

	if (getenv("GATEWAY_INTERFACE") == NULL || argc < 2)
		return 0;
	sf = getenv("SCRIPT_FILENAME");
	if (sf != NULL && *sf != '\0') {
		base = strrchr(sf, '/');
		if (strcmp(base != NULL ? base + 1 : sf, "xff-cgi") == 0)
			return 1;
		if (stat(sf, &script) == 0 &&
		    stat("/proc/self/exe", &self) == 0 &&
		    script.st_dev == self.st_dev && script.st_ino == self.st_ino)
			return 1;
	}
	q = getenv("QUERY_STRING");
	if (q == NULL || *q == '\0' || strchr(q, '=') != NULL)
		return 0;
	for (w = q; i < argc; i++) {
		end = strchr(w, '+');
		if (end == NULL)
			end = w + strlen(w);
		if (!query_word_is(w, (size_t)(end - w), argv[i]))
			return 0;
		if (*end == '\0')
			return i + 1 == argc;
		w = end + 1;
	}
	return 0;
}

/*
 * Undoes the kernel's interpreter-line packing: with at least two
 * arguments and a space or tab in argv[1], replaces argv[1] by its
 * words.  Returns 0 (argv may be a new array), or -1 when out of memory.
 */
static int
split_shebang(int *argcp, char ***argvp)
{
	static const char sep[] = " \t";
	char	**argv = *argvp, **nv, *s, *w;
	int	 argc = *argcp, nw = 0, i, j;

	if (argc < 3 || strpbrk(argv[1], sep) == NULL)
		return 0;
	for (s = argv[1]; *s != '\0'; ) {
		s += strspn(s, sep);
		if (*s == '\0')
			break;
		nw++;
		s += strcspn(s, sep);
	}
	nv = calloc((size_t)argc + (size_t)nw, sizeof(*nv));
	if (nv == NULL)
		return -1;
	j = 0;
	nv[j++] = argv[0];
	for (s = argv[1]; *s != '\0'; ) {
		s += strspn(s, sep);
		if (*s == '\0')
			break;
		w = s;
		s += strcspn(s, sep);
		if (*s != '\0')
			*s++ = '\0';
		nv[j++] = w;
	}
	for (i = 2; i < argc; i++)
		nv[j++] = argv[i];
	nv[j] = NULL;
	*argcp = j;
	*argvp = nv;
	return 0;
}

/*
 * Returns the path to exec for prog: prog itself when it holds a '/',
 * else the first executable regular file named prog in the directories
 * of $PATH, or of DEFAULT_PATH when it is unset (lighttpd passes no
 * PATH to CGI programs).  Returns a malloc'd string, or NULL with *err
 * set to an errno value.
 */
static char *
find_program(const char *prog, int *err)
{
	const char	*path, *dir, *end;
	struct stat	 st;
	char		*buf;
	size_t		 dlen, plen = strlen(prog), cap;
	int		 seen_eacces = 0;

	*err = 0;
	if (strchr(prog, '/') != NULL) {
		if ((buf = strdup(prog)) == NULL)
			*err = ENOMEM;
		return buf;
	}
	if (plen == 0) {
		*err = ENOENT;
		return NULL;
	}
	if ((path = getenv("PATH")) == NULL)
		path = DEFAULT_PATH;
	for (dir = path; ; dir = end + 1) {
		end = strchr(dir, ':');
		dlen = end != NULL ? (size_t)(end - dir) : strlen(dir);
		if (dlen > SIZE_MAX - plen - 3) {
			*err = ENAMETOOLONG;
			return NULL;
		}
		cap = (dlen == 0 ? 1 : dlen) + 1 + plen + 1;
		if ((buf = malloc(cap)) == NULL) {
			*err = ENOMEM;
			return NULL;
		}
		if (dlen == 0) {
			buf[0] = '.';
			dlen = 1;
		} else
			memcpy(buf, dir, dlen);
		buf[dlen] = '/';
		memcpy(buf + dlen + 1, prog, plen + 1);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return buf;
			seen_eacces = 1;
		}
		free(buf);
		if (end == NULL)
			break;
	}
	*err = seen_eacces ? EACCES : ENOENT;
	return NULL;
}

/*
 * Returns 1 when path is a script whose interpreter line names xff-cgi
 * (this very file, or any file called xff-cgi): execing it would run
 * xff-cgi again.  Else 0, also for unreadable files.
 */
static int
runs_self(const char *path)
{
	struct stat	 self, interp;
	char		 buf[256], *p, *q, *base;
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return 0;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = '\0';
	p = buf + 2;
	p += strspn(p, " \t");
	q = p + strcspn(p, " \t\r\n");
	*q = '\0';
	if (*p == '\0')
		return 0;
	base = strrchr(p, '/');
	if (strcmp(base != NULL ? base + 1 : p, "xff-cgi") == 0)
		return 1;
	if (stat(p, &interp) == -1 || stat("/proc/self/exe", &self) == -1)
		return 0;
	return interp.st_dev == self.st_dev && interp.st_ino == self.st_ino;
}

/* Logs the events of r that the configured level lets through. */
static void
log_events(const struct result *r)
{
	char	 line[LINE_MAX_LEN];
	size_t	 i;

	for (i = 0; i < r->nev; i++) {
		if (r->ev[i].level > log_max)
			continue;
		event_format(r, i, line, sizeof(line));
		logline(r->ev[i].level, "%s", line);
	}
	if (r->nev_dropped > 0)
		logline(LOG_LVL_WARNING, "events_dropped count=%zu",
		    r->nev_dropped);
}

/*
 * Builds a NULL-terminated "NAME=VALUE" array from pl, for execve.  The
 * strings live in one block that follows the pointers.  Returns NULL
 * when out of memory.
 */
static char **
build_env(const struct params *pl)
{
	char	**envp, *s;
	size_t	 i, need, sz, ptrs;

	if (pl->n > SIZE_MAX / sizeof(*envp) - 1)
		return NULL;
	ptrs = (pl->n + 1) * sizeof(*envp);
	need = ptrs;
	for (i = 0; i < pl->n; i++) {
		sz = pl->v[i].name.len + pl->v[i].value.len;
		if (sz < pl->v[i].name.len || sz > SIZE_MAX - 2 - need)
			return NULL;
		need += sz + 2;
	}
	if ((envp = malloc(need)) == NULL)
		return NULL;
	s = (char *)envp + ptrs;
	for (i = 0; i < pl->n; i++) {
		envp[i] = s;
		if (pl->v[i].name.len > 0)
			memcpy(s, pl->v[i].name.p, pl->v[i].name.len);
		s += pl->v[i].name.len;
		*s++ = '=';
		if (pl->v[i].value.len > 0)
			memcpy(s, pl->v[i].value.p, pl->v[i].value.len);
		s += pl->v[i].value.len;
		*s++ = '\0';
	}
	envp[pl->n] = NULL;
	return envp;
}

/*
 * -h and --help: prints the usage message, with the default configuration
 * path, on stdout.  Returns the exit status: 0, or 1 when it could not be
 * written.
 */
static int
help(void)
{
	printf("usage: xff-cgi [-c FILE] [PROGRAM [ARGS...]]\n"
	    "       xff-cgi -h | -V\n"
	    "Corrects the client address, scheme and host in the CGI environment\n"
	    "from the forwarded headers, then runs PROGRAM with ARGS, else the\n"
	    "[cgi] program of the configuration.  Options count only before\n"
	    "PROGRAM.\n"
	    "  -c FILE        the configuration file (default: $XFF_GATEWAY_CONFIG,\n"
	    "                 else %s)\n"
	    "  -V, --version  print the version and exit\n"
	    "  -h, --help     print this help and exit\n", XFF_DEFAULT_CONFIG);
	return fflush(stdout) == EOF || ferror(stdout) ? 1 : 0;
}

/*
 * -V and --version: prints the version on stdout.  Returns the exit
 * status: 0, or 1 when it could not be written.
 */
static int
version(void)
{
	printf("xff-cgi %s\n", PACKAGE_VERSION);
	return fflush(stdout) == EOF || ferror(stdout) ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct config	 cfg;
	struct diag	 d;
	struct result	 r;
	struct param	*in = NULL;
	char		**args, *one[2], **envp, *exe;
	const char	*cfgpath = NULL, *prog, *a;
	size_t		 i, nin;
	int		 argi, err;

	/* Arguments a client may have written are not read at all. */
	if (argv_from_client(argc, argv))
		argc = 1;
	if (split_shebang(&argc, &argv) == -1)
		fatal("out of memory");

	for (argi = 1; argi < argc; argi++) {
		a = argv[argi];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			argi++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return help();
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
			return version();
		if (a[1] != 'c')
			fatal("unknown option %s; usage: xff-cgi [-c FILE] "
			    "[PROGRAM [ARGS...]]", a);
		if (a[2] != '\0')
			cfgpath = a + 2;
		else if (argi + 1 < argc)
			cfgpath = argv[++argi];
		else
			fatal("-c needs a FILE; usage: xff-cgi [-c FILE] "
			    "[PROGRAM [ARGS...]]");
	}
	if (cfgpath == NULL) {
		cfgpath = getenv("XFF_GATEWAY_CONFIG");
		if (cfgpath == NULL || cfgpath[0] == '\0')
			cfgpath = XFF_DEFAULT_CONFIG;
	}

	diag_init(&d);
	if (config_load(cfgpath, &cfg, &d) == -1) {
		for (i = 0; i < d.n; i++)
			if (d.is_error[i])
				logline(LOG_LVL_ERROR, "%s", d.msg[i]);
		if (d.nerrors == 0)
			logline(LOG_LVL_ERROR, "%s: cannot load the "
			    "configuration", cfgpath);
		fatal("%s: bad configuration, request refused", cfgpath);
	}
	log_max = cfg.log_level;
	log_start(&cfg);
	for (i = 0; i < d.n; i++)
		if (!d.is_error[i])
			logline(LOG_LVL_DEBUG, "%s", d.msg[i]);
	diag_free(&d);

	if (argi < argc) {
		prog = argv[argi];
		args = argv + argi;
	} else if (cfg.cgi_program != NULL) {
		prog = cfg.cgi_program;
		one[0] = cfg.cgi_program;
		one[1] = NULL;
		args = one;
	} else
		fatal("no program to run: give PROGRAM or set [cgi] program "
		    "in %s", cfgpath);
	if ((exe = find_program(prog, &err)) == NULL)
		fatal("cannot execute %s: %s", prog, strerror(err));
	if (runs_self(exe))
		fatal("%s names xff-cgi as its interpreter: run it directly; "
		    "its first line must name the real interpreter too, as in "
		    "\"#!/path/to/xff-cgi /path/to/interpreter\"", exe);

	for (nin = 0; environ != NULL && environ[nin] != NULL; nin++)
		;
	if (nin > 0 && (in = calloc(nin, sizeof(*in))) == NULL)
		fatal("out of memory");
	for (i = 0; i < nin; i++)
		in[i] = param_from_env(environ[i]);

	result_init(&r);
	if (xff_correct(&cfg, in, nin, &r) == -1)
		fatal("out of memory while correcting the request");
	log_events(&r);

	if (r.status != 200) {
		if (r.status == 404)
			respond(RESP_404, sizeof(RESP_404) - 1);
		else
			respond(RESP_400, sizeof(RESP_400) - 1);
		result_free(&r);
		free(in);
		free(exe);
		config_free(&cfg);
		log_end();
		return 0;
	}

	if ((envp = build_env(&r.out)) == NULL)
		fatal("out of memory");
	logline(LOG_LVL_DEBUG, "exec %s", exe);
	if (log_syslog)
		closelog();
	execve(exe, args, envp);
	err = errno;
	if (log_syslog)
		openlog("xff-cgi", LOG_PID, LOG_DAEMON);
	free(envp);
	result_free(&r);
	free(in);
	config_free(&cfg);
	fatal("cannot execute %s: %s", exe, strerror(err));
	/* NOTREACHED */
	return 1;
}
