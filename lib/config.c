/*
 * config.c: the INI configuration (SPEC 2): defaults, loading through
 * iniparser, and strict validation of every section, key and value.
 *
 * iniparser reports its errors through one process-wide callback, so
 * config_load() must not run in two threads at once (the programs load
 * at start and on SIGHUP, from one thread).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* getline, reallocarray */
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HAVE_INIPARSER_PC)
#include <iniparser.h>
#elif defined(HAVE_INIPARSER_INIPARSER_H)
#include <iniparser/iniparser.h>
#elif defined(__has_include)
#if __has_include(<iniparser/iniparser.h>)
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif
#else
#include <iniparser/iniparser.h>
#endif

#include "config.h"
#include "escape.h"
#include "xstr.h"

/* Bytes of a value quoted in a message; longer values end in "...". */
#define SHOW_MAX	200
#define ESC_CAP		(SHOW_MAX * 4 + 8)
#define PATH_SHOW_MAX	1024
#define PATH_ESC_CAP	(PATH_SHOW_MAX * 4 + 8)
#define MSG_MAX		4096

/* Separators of address and header lists, and of exempt patterns. */
#define LIST_SEPS	" \t\r\n\v\f,"
#define WORD_SEPS	" \t\r\n\v\f"

/* iniparser's own messages (4.1), recognised to read their arguments. */
#define INI_FMT_SYNTAX	"iniparser: syntax error in %s (%d):\n-> %s\n"
#define INI_FMT_LONG	"iniparser: input line too long in %s (%d)\n"
#define INI_FMT_OPEN	"iniparser: cannot open %s\n"

static const char *const gateway_keys[] = {
	"listen", "listen_owner", "listen_group", "listen_mode", "backend",
	"workers", "connect_timeout", "backend_timeout", "keep_conn", "user",
	"group", "pid", "status_uri", "status_allow", NULL
};
static const char *const trust_keys[] = {
	"x_for", "x_proto", "x_host", "x_port", "x_prefix", "forwarded",
	"proxies", NULL
};
static const char *const rules_keys[] = {
	"strict", "always_proxy", "no_spoofing", "header_required",
	"loose_unsafe", "clean", "rewrite_remote_addr", "exempt",
	"exempt_stealth", "keep_original", "strip_proxy_header",
	"strip_headers", NULL
};
static const char *const cgi_keys[] = { "program", NULL };
static const char *const log_keys[] = { "level", "target", NULL };

static const struct section {
	const char		*name;
	const char *const	*keys;
} sections[] = {
	{ "gateway",	gateway_keys },
	{ "trust",	trust_keys },
	{ "rules",	rules_keys },
	{ "cgi",	cgi_keys },
	{ "log",	log_keys },
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

#define DEFAULT_STATUS_ALLOW	"127.0.0.1/32 ::1/128"
#define DEFAULT_STRIP_HEADERS						\
	"X-Forwarded-Ssl X-Forwarded-Scheme X-Url-Scheme Front-End-Https "	\
	"X-Real-IP Client-IP True-Client-IP X-Client-IP "		\
	"X-Cluster-Client-IP X-Forwarded-Server X-Forwarded Forwarded-For"

/* The CGI names of the headers the correction reads: never stripped. */
static const char *const forwarded_cgi[] = {
	"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
	"HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
	"HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED", NULL
};

/* One load in progress: where messages go. */
struct load {
	const char	*path;
	char		 epath[PATH_ESC_CAP];
	struct config	*cfg;
	struct diag	*d;		/* NULL: no messages (defaults) */
	dictionary	*ini;
	int		 failed;	/* an error was found */
};

/* The load whose iniparser messages the callback collects. */
static struct load *ini_current;

static void	vsay(struct load *, int, const char *, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));
static void	say(struct load *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	sayline(struct load *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	saykey(struct load *, int, const char *, const char *,
		    const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static int	ini_errback(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Returns the ASCII lower case of c. */
static char
lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* Returns 1 for the ASCII white space iniparser strips (isspace in C). */
static int
isblankish(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* Escapes the first SHOW_MAX bytes of s for a terminal into e (ESC_CAP). */
static const char *
esc(const char *s, char *e)
{
	escape_log(xstr_c(s), SHOW_MAX, e, ESC_CAP);
	return e;
}

/* Escapes the counted s like esc(). */
static const char *
escx(struct xstr s, char *e)
{
	escape_log(s, SHOW_MAX, e, ESC_CAP);
	return e;
}

/* Returns a malloc'ed copy of the n bytes at p plus a NUL, or NULL. */
static char *
dupn(const char *p, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Adds "WHERE: message" (is_error 1: an error) to the load's messages. */
static void
vsay(struct load *l, int is_error, const char *where, const char *fmt,
    va_list ap)
{
	char	 msg[MSG_MAX];

	if (is_error)
		l->failed = 1;
	if (l->d == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(l->d, is_error, "%s: %s", where, msg);
}

/* Adds "PATH: message" (is_error 1) or a warning to the load's messages. */
static void
say(struct load *l, int is_error, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsay(l, is_error, l->epath, fmt, ap);
	va_end(ap);
}

/* Adds the error "PATH:LINE: message" to the load's messages. */
static void
sayline(struct load *l, unsigned line, const char *fmt, ...)
{
	char	 where[PATH_ESC_CAP + 16];
	va_list	 ap;

	snprintf(where, sizeof(where), "%s:%u", l->epath, line);
	va_start(ap, fmt);
	vsay(l, 1, where, fmt, ap);
	va_end(ap);
}

/* Adds "PATH: [sec] key: message" to the load's messages. */
static void
saykey(struct load *l, int is_error, const char *sec, const char *key,
    const char *fmt, ...)
{
	char	 where[PATH_ESC_CAP + 2 * ESC_CAP + 8];
	char	 esec[ESC_CAP], ekey[ESC_CAP];
	va_list	 ap;

	snprintf(where, sizeof(where), "%s: [%s] %s", l->epath,
	    esc(sec, esec), esc(key, ekey));
	va_start(ap, fmt);
	vsay(l, is_error, where, fmt, ap);
	va_end(ap);
}

/* Records that memory ran out. */
static void
nomem(struct load *l)
{
	say(l, 1, "out of memory");
}

/*
 * Splits s at the bytes of seps: on each call returns the next non-empty
 * field (as a counted string) and advances *pos; .p NULL at the end.
 */
static struct xstr
nextfield(const char *s, size_t *pos, const char *seps)
{
	struct xstr	r = XSTR_NULL;
	size_t		i = *pos;

	while (s[i] != '\0' && strchr(seps, s[i]) != NULL)
		i++;
	if (s[i] == '\0') {
		*pos = i;
		return r;
	}
	r.p = s + i;
	while (s[i] != '\0' && strchr(seps, s[i]) == NULL)
		i++;
	r.len = (size_t)(s + i - r.p);
	*pos = i;
	return r;
}

/* Parses a boolean word: 0 with *out set, or -1. */
static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < 4; i++) {
		if (xstr_caseeqc(xstr_c(s), yes[i])) {
			*out = 1;
			return 0;
		}
		if (xstr_caseeqc(xstr_c(s), no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * Parses a non-empty string of decimal digits; values above 10^9 are
 * saturated to 10^9 + 1 (out of every range used here).  Returns 0 or -1.
 */
static int
parse_digits(const char *s, long *out)
{
	long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v <= 1000000000L)
			v = v * 10 + (*s - '0');
	}
	*out = v > 1000000000L ? 1000000001L : v;
	return 0;
}

/*
 * Parses seconds: digits, optionally '.' and more digits ("5", "0.5").
 * No sign, exponent, hex or unit.  Returns 0 with *out set, or -1.
 */
static int
parse_seconds(const char *s, double *out)
{
	double	v = 0, scale = 1;
	int	ndig = 0;

	for (; *s >= '0' && *s <= '9'; s++, ndig++)
		if (v < 1e9)
			v = v * 10 + (*s - '0');
	if (ndig == 0)
		return -1;
	if (*s == '.') {
		s++;
		ndig = 0;
		for (; *s >= '0' && *s <= '9'; s++, ndig++) {
			scale /= 10;
			v += (*s - '0') * scale;
		}
		if (ndig == 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses "unix:/abs/path", "a.b.c.d:port" or "[v6]:port" (see config.h). */
int
sockspec_parse(const char *s, struct sockspec *out, const char **why)
{
	struct sockspec	 ss;
	const char	*colon, *close;
	struct xstr	 host;
	size_t		 n;

	memset(&ss, 0, sizeof(ss));
	if (strncmp(s, "unix:", 5) == 0) {
		s += 5;
		n = strlen(s);
		if (n == 0) {
			*why = "the socket path is empty";
			return -1;
		}
		if (s[0] != '/') {
			*why = "the socket path must be absolute";
			return -1;
		}
		if (n >= sizeof(ss.path)) {
			*why = "the socket path is too long (at most 107 bytes)";
			return -1;
		}
		memcpy(ss.path, s, n + 1);
		ss.kind = SOCK_UNIX;
		*out = ss;
		return 0;
	}
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL) {
			*why = "missing ']' after the IPv6 address";
			return -1;
		}
		host.p = s + 1;
		host.len = (size_t)(close - host.p);
		if (close[1] != ':') {
			*why = "missing :PORT after the address";
			return -1;
		}
		colon = close + 1;
		if (memchr(host.p, ':', host.len) == NULL ||
		    ip_parse(host, &ss.ip) == -1) {
			*why = "not an IPv6 address inside [ ]";
			return -1;
		}
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*why = "expected unix:/PATH, IPv4:PORT or [IPv6]:PORT";
			return -1;
		}
		host.p = s;
		host.len = (size_t)(colon - s);
		if (memchr(host.p, ':', host.len) != NULL) {
			*why = "an IPv6 address must be written in brackets: [IPv6]:PORT";
			return -1;
		}
		if (ip_parse(host, &ss.ip) == -1 || ss.ip.family != 4) {
			*why = "not an IPv4 address (host names are not resolved)";
			return -1;
		}
	}
	if ((ss.port = port_parse(xstr_c(colon + 1))) == 0) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	ss.kind = SOCK_TCP;
	*out = ss;
	return 0;
}

/* Releases the networks of a set. */
static void
cidrset_free(struct cidrset *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/*
 * Parses an address list (CIDRs, IPs, "unix:", separated by whitespace or
 * commas) into *out, replacing it.  Host bits give a warning.  Returns 0,
 * or -1 after reporting the problems (*out unchanged).
 */
static int
parse_cidrs(struct load *l, const char *sec, const char *key,
    const char *val, struct cidrset *out)
{
	struct cidrset	 set;
	struct cidr	 c, *nv;
	struct xstr	 t;
	char		 e[ESC_CAP], net[IP_TEXT_MAX];
	size_t		 pos = 0, cap = 0;
	int		 hostbits, bad = 0;

	memset(&set, 0, sizeof(set));
	while ((t = nextfield(val, &pos, LIST_SEPS)).p != NULL) {
		if (xstr_eqc(t, "unix:")) {
			set.has_unix = 1;
			continue;
		}
		hostbits = 0;
		if (cidr_parse(t, &c, &hostbits) == -1) {
			saykey(l, 1, sec, key, "\"%s\" is not an IP address, "
			    "a CIDR or unix:", escx(t, e));
			bad = 1;
			continue;
		}
		if (hostbits) {
			ip_format(&c.net, net);
			saykey(l, 0, sec, key, "\"%s\" has host bits set; "
			    "read as %s/%u", escx(t, e), net, c.plen);
		}
		if (set.n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nv = reallocarray(set.v, cap, sizeof(*nv))) ==
			    NULL) {
				nomem(l);
				bad = 1;
				break;
			}
			set.v = nv;
		}
		set.v[set.n++] = c;
	}
	if (bad) {
		cidrset_free(&set);
		return -1;
	}
	cidrset_free(out);
	*out = set;
	return 0;
}

/* Releases a list of strings. */
static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Parses strip_headers (HTTP tokens separated by whitespace or commas)
 * into CGI names in *outv / *outn, replacing them.  Returns 0, or -1
 * after reporting the problems (the outputs unchanged).
 */
static int
parse_strip(struct load *l, const char *val, char ***outv, size_t *outn)
{
	struct xstr	  t;
	char		**v = NULL, **nv, *name, e[ESC_CAP];
	size_t		  pos = 0, n = 0, cap = 0, i;
	int		  bad = 0, dup;

	while ((t = nextfield(val, &pos, LIST_SEPS)).p != NULL) {
		for (i = 0; i < t.len; i++)
			if (!xstr_istchar((unsigned char)t.p[i]))
				break;
		if (i < t.len) {
			saykey(l, 1, "rules", "strip_headers", "\"%s\" is not "
			    "a header name (an HTTP token)", escx(t, e));
			bad = 1;
			continue;
		}
		if ((name = malloc(t.len + 6)) == NULL) {
			nomem(l);
			bad = 1;
			break;
		}
		memcpy(name, "HTTP_", 5);
		for (i = 0; i < t.len; i++) {
			if (t.p[i] == '-')
				name[5 + i] = '_';
			else if (t.p[i] >= 'a' && t.p[i] <= 'z')
				name[5 + i] = (char)(t.p[i] - 'a' + 'A');
			else
				name[5 + i] = t.p[i];
		}
		name[5 + t.len] = '\0';
		for (i = 0; forwarded_cgi[i] != NULL; i++)
			if (strcmp(name, forwarded_cgi[i]) == 0)
				break;
		if (forwarded_cgi[i] != NULL) {
			saykey(l, 1, "rules", "strip_headers", "\"%s\" is a "
			    "forwarded header the gateway reads and corrects; "
			    "it cannot be listed here", escx(t, e));
			free(name);
			bad = 1;
			continue;
		}
		for (dup = 0, i = 0; i < n; i++)
			if (strcmp(v[i], name) == 0)
				dup = 1;
		if (dup) {
			free(name);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*nv))) == NULL) {
				free(name);
				nomem(l);
				bad = 1;
				break;
			}
			v = nv;
		}
		v[n++] = name;
	}
	if (bad) {
		strv_free(v, n);
		return -1;
	}
	strv_free(*outv, *outn);
	*outv = v;
	*outn = n;
	return 0;
}

/* Releases the exempt patterns of cfg. */
static void
exempt_free(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->nexempt; i++) {
		regfree(&cfg->exempt[i]);
		free(cfg->exempt_src[i]);
	}
	free(cfg->exempt);
	free(cfg->exempt_src);
	cfg->exempt = NULL;
	cfg->exempt_src = NULL;
	cfg->nexempt = 0;
}

/*
 * Limits on exempt patterns: length, repetition counts multiplied
 * together, groups open at once, and repetitions nested in repetitions.
 */
#define EXEMPT_MAX_LEN		512
#define EXEMPT_MAX_REPEAT	1000
#define EXEMPT_MAX_GROUPS	16
#define EXEMPT_MAX_NEST		2

/* Reads the upper bound of "{m}", "{m,}" or "{m,n}" at p (after '{'). */
static unsigned long
bound_max(const char *p)
{
	unsigned long	 hi;
	char		*end;

	hi = strtoul(p, &end, 10);
	if (*end == ',' && end[1] != '}')
		hi = strtoul(end + 1, &end, 10);
	return hi == 0 ? 1 : hi;
}

/*
 * Returns NULL when the pattern is cheap enough to compile, else why not.
 * glibc's regcomp() takes time and memory exponential in stacked and
 * nested repetitions ("x++++++", "((((a+)+)+)+)", "((a{1,100}){1,100})"),
 * so a pattern is refused when a repetition operator follows another one,
 * when a repetition applies to something that already holds repetitions
 * nested EXEMPT_MAX_NEST deep, or when its bounded repetition counts
 * multiply to more than EXEMPT_MAX_REPEAT.  Path patterns need none of it.
 */
static const char *
regex_too_costly(const char *p)
{
	int		group[EXEMPT_MAX_GROUPS + 1];	/* nesting inside each open group */
	unsigned long	product = 1, hi;
	size_t		len = strlen(p), i;
	int		top = 0, atom = -1, after_repeat = 0, bracket = 0;

	if (len > EXEMPT_MAX_LEN)
		return "is too long (512 bytes at most)";
	group[0] = 0;
	for (i = 0; i < len; i++) {
		if (bracket) {
			if (p[i] == ']' && bracket > 1)
				bracket = 0;
			else
				bracket++;
			continue;
		}
		switch (p[i]) {
		case '*':
		case '+':
		case '?':
		case '{':
			if (after_repeat)
				return "repeats a repetition";
			if (atom >= 0 && atom + 1 > EXEMPT_MAX_NEST)
				return "nests repetitions too deeply";
			if (p[i] == '{') {
				hi = bound_max(p + i + 1);
				if (hi > EXEMPT_MAX_REPEAT ||
				    product > EXEMPT_MAX_REPEAT / hi)
					return "repeats too much (bounds "
					    "multiply past 1000)";
				product *= hi;
				while (i < len && p[i] != '}')
					i++;
			}
			if (atom >= 0 && atom + 1 > group[top])
				group[top] = atom + 1;
			after_repeat = 1;
			continue;
		case '(':
			if (top == EXEMPT_MAX_GROUPS)
				return "nests groups too deeply";
			group[++top] = 0;
			atom = -1;
			break;
		case ')':
			if (top == 0) {
				atom = 0;
				break;
			}
			atom = group[top--];
			if (atom > group[top])
				group[top] = atom;
			break;
		case '|':
		case '^':
		case '$':
			atom = -1;
			break;
		case '[':
			bracket = 1;
			if (i + 1 < len && p[i + 1] == '^')
				i++;
			atom = 0;
			break;
		case '\\':
			if (i + 1 < len)
				i++;
			atom = 0;
			break;
		default:
			atom = 0;
			break;
		}
		after_repeat = 0;
	}
	return NULL;
}

/*
 * Compiles exempt (POSIX extended regexes separated by whitespace) into
 * cfg, replacing the previous patterns.  Warns about patterns that can
 * never match.  Returns 0, or -1 after reporting the problems.
 */
static int
parse_exempt(struct load *l, const char *val)
{
	struct config	*cfg = l->cfg;
	struct xstr	 t;
	char		*src, e[ESC_CAP], why[256];
	const char	*costly;
	size_t		 pos = 0, n = 0;
	int		 rc, bad = 0;

	exempt_free(cfg);
	while (nextfield(val, &pos, WORD_SEPS).p != NULL)
		n++;
	if (n == 0)
		return 0;
	if ((cfg->exempt = calloc(n, sizeof(*cfg->exempt))) == NULL ||
	    (cfg->exempt_src = calloc(n, sizeof(*cfg->exempt_src))) == NULL) {
		exempt_free(cfg);
		nomem(l);
		return -1;
	}
	pos = 0;
	while ((t = nextfield(val, &pos, WORD_SEPS)).p != NULL) {
		if ((src = dupn(t.p, t.len)) == NULL) {
			nomem(l);
			bad = 1;
			break;
		}
		if ((costly = regex_too_costly(src)) != NULL) {
			saykey(l, 1, "rules", "exempt", "\"%s\" %s",
			    esc(src, e), costly);
			free(src);
			bad = 1;
			continue;
		}
		rc = regcomp(&cfg->exempt[cfg->nexempt], src, REG_EXTENDED);
		if (rc != 0) {
			regerror(rc, &cfg->exempt[cfg->nexempt], why,
			    sizeof(why));
			saykey(l, 1, "rules", "exempt", "\"%s\" is not a valid "
			    "regular expression: %s", esc(src, e), why);
			free(src);
			bad = 1;
			continue;
		}
		cfg->exempt_src[cfg->nexempt++] = src;
		if (src[0] == '/' || (src[0] == '^' && src[1] == '/'))
			saykey(l, 0, "rules", "exempt", "\"%s\" never matches: "
			    "the path is matched without its leading '/'",
			    esc(src, e));
	}
	return bad ? -1 : 0;
}

/* Returns the value of sec:key in the loaded file, or NULL when absent. */
static const char *
getval(struct load *l, const char *sec, const char *key)
{
	char	k[128];

	snprintf(k, sizeof(k), "%s:%s", sec, key);
	return iniparser_getstring(l->ini, k, NULL);
}

/* Reads a boolean key into *dst when present. */
static void
get_bool(struct load *l, const char *sec, const char *key, int *dst)
{
	const char	*v;
	char		 e[ESC_CAP];

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (parse_bool(v, dst) == -1)
		saykey(l, 1, sec, key, "\"%s\" is not a boolean "
		    "(yes/no/true/false/on/off/1/0)", esc(v, e));
}

/* Reads an integer key from min to max into *dst when present. */
static void
get_int(struct load *l, const char *sec, const char *key, long min,
    long max, int *dst)
{
	const char	*v;
	char		 e[ESC_CAP];
	long		 n;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (parse_digits(v, &n) == -1)
		saykey(l, 1, sec, key, "\"%s\" is not a whole number "
		    "(%ld to %ld)", esc(v, e), min, max);
	else if (n < min || n > max)
		saykey(l, 1, sec, key, "\"%s\" is out of range (%ld to %ld)",
		    esc(v, e), min, max);
	else
		*dst = (int)n;
}

/* Reads a timeout (seconds, above 0, at most 86400) into *dst when present. */
static void
get_seconds(struct load *l, const char *sec, const char *key, double *dst)
{
	const char	*v;
	char		 e[ESC_CAP];
	double		 x;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (parse_seconds(v, &x) == -1)
		saykey(l, 1, sec, key, "\"%s\" is not a number of seconds "
		    "(such as 5 or 0.5)", esc(v, e));
	else if (x <= 0 || x > 86400)
		saykey(l, 1, sec, key, "\"%s\" is out of range (above 0, "
		    "at most 86400 seconds)", esc(v, e));
	else
		*dst = x;
}

/* Reads a string key into *dst when present (empty gives NULL). */
static void
get_str(struct load *l, const char *sec, const char *key, char **dst)
{
	const char	*v;
	char		*s = NULL;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (*v != '\0' && (s = dupn(v, strlen(v))) == NULL) {
		nomem(l);
		return;
	}
	free(*dst);
	*dst = s;
}

/*
 * Reads a file mode into *dst when present: octal digits, at most 0777
 * ("0660", "660").
 */
static void
get_mode(struct load *l, const char *sec, const char *key, int *dst)
{
	const char	*v;
	char		 e[ESC_CAP];
	size_t		 i;
	int		 m = 0;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	for (i = 0; v[i] >= '0' && v[i] <= '7' && i < 5; i++)
		m = m * 8 + (v[i] - '0');
	if (i == 0 || v[i] != '\0' || m > 0777)
		saykey(l, 1, sec, key, "\"%s\" is not a file mode (octal, "
		    "such as 0660, at most 0777)", esc(v, e));
	else
		*dst = m;
}

/*
 * Reads an absolute file path into *dst when present (empty gives NULL):
 * it starts with '/' and holds no control character.
 */
static void
get_path(struct load *l, const char *sec, const char *key, char **dst)
{
	const char	*v;
	char		 e[ESC_CAP];
	size_t		 i;

	if ((v = getval(l, sec, key)) == NULL || *v == '\0') {
		if (v != NULL) {
			free(*dst);
			*dst = NULL;
		}
		return;
	}
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			break;
	if (v[0] != '/' || v[i] != '\0' || i >= 4096) {
		saykey(l, 1, sec, key, "\"%s\" is not an absolute path",
		    esc(v, e));
		return;
	}
	get_str(l, sec, key, dst);
}

/* Reads a socket address into *dst when present (empty gives SOCK_NONE). */
static void
get_sock(struct load *l, const char *sec, const char *key,
    struct sockspec *dst)
{
	const char	*v, *why = "invalid";
	char		 e[ESC_CAP];

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (*v == '\0') {
		memset(dst, 0, sizeof(*dst));
		return;
	}
	if (sockspec_parse(v, dst, &why) == -1)
		saykey(l, 1, sec, key, "\"%s\": %s", esc(v, e), why);
}

/* Reads an address list into *dst when present. */
static void
get_cidrs(struct load *l, const char *sec, const char *key,
    struct cidrset *dst)
{
	const char	*v;

	if ((v = getval(l, sec, key)) != NULL)
		(void)parse_cidrs(l, sec, key, v, dst);
}

/* Validates and reads [gateway]. */
static void
load_gateway(struct load *l)
{
	static const char *const sockattr[] = {
		"listen_owner", "listen_group", "listen_mode"
	};
	struct config	*cfg = l->cfg;
	const char	*v;
	char		 e[ESC_CAP];
	size_t		 i;

	get_sock(l, "gateway", "listen", &cfg->listen);
	get_sock(l, "gateway", "backend", &cfg->backend);
	get_int(l, "gateway", "workers", 1, 4096, &cfg->workers);
	get_seconds(l, "gateway", "connect_timeout", &cfg->connect_timeout);
	get_seconds(l, "gateway", "backend_timeout", &cfg->backend_timeout);
	get_bool(l, "gateway", "keep_conn", &cfg->keep_conn);
	get_str(l, "gateway", "listen_owner", &cfg->listen_owner);
	get_str(l, "gateway", "listen_group", &cfg->listen_group);
	get_mode(l, "gateway", "listen_mode", &cfg->listen_mode);
	get_path(l, "gateway", "pid", &cfg->pid_file);
	get_str(l, "gateway", "user", &cfg->user);
	get_str(l, "gateway", "group", &cfg->group);
	if ((v = getval(l, "gateway", "status_uri")) != NULL && *v != '\0') {
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] <= 0x20 ||
			    (unsigned char)v[i] >= 0x7f || v[i] == '?')
				break;
		if (v[0] != '/' || v[i] != '\0')
			saykey(l, 1, "gateway", "status_uri", "\"%s\" is not "
			    "a path (it starts with / and holds no space, "
			    "control character or '?')", esc(v, e));
	}
	get_str(l, "gateway", "status_uri", &cfg->status_uri);
	get_cidrs(l, "gateway", "status_allow", &cfg->status_allow);
	for (i = 0; i < 3; i++)
		if (getval(l, "gateway", sockattr[i]) != NULL &&
		    cfg->listen.kind != SOCK_UNIX)
			saykey(l, 0, "gateway", sockattr[i], "applies only to "
			    "a socket the gateway creates (listen = unix:...)");
}

/* Validates and reads [trust]. */
static void
load_trust(struct load *l)
{
	struct config	*cfg = l->cfg;

	get_int(l, "trust", "x_for", 0, XFF_DEPTH_MAX, &cfg->x_for);
	get_int(l, "trust", "x_proto", 0, XFF_DEPTH_MAX, &cfg->x_proto);
	get_int(l, "trust", "x_host", 0, XFF_DEPTH_MAX, &cfg->x_host);
	get_int(l, "trust", "x_port", 0, XFF_DEPTH_MAX, &cfg->x_port);
	get_int(l, "trust", "x_prefix", 0, XFF_DEPTH_MAX, &cfg->x_prefix);
	get_int(l, "trust", "forwarded", 0, XFF_DEPTH_MAX, &cfg->forwarded);
	get_cidrs(l, "trust", "proxies", &cfg->proxies);
}

/* Validates and reads [rules]; resolves header_required. */
static void
load_rules(struct load *l)
{
	struct config	*cfg = l->cfg;
	const char	*v;
	int		 hr = -1;

	get_bool(l, "rules", "strict", &cfg->strict);
	get_bool(l, "rules", "always_proxy", &cfg->always_proxy);
	get_bool(l, "rules", "no_spoofing", &cfg->no_spoofing);
	if ((v = getval(l, "rules", "header_required")) != NULL &&
	    *v != '\0')
		get_bool(l, "rules", "header_required", &hr);
	get_bool(l, "rules", "loose_unsafe", &cfg->loose);
	get_bool(l, "rules", "clean", &cfg->clean);
	get_bool(l, "rules", "rewrite_remote_addr",
	    &cfg->rewrite_remote_addr);
	if ((v = getval(l, "rules", "exempt")) != NULL)
		(void)parse_exempt(l, v);
	get_bool(l, "rules", "exempt_stealth", &cfg->exempt_stealth);
	get_bool(l, "rules", "keep_original", &cfg->keep_original);
	get_bool(l, "rules", "strip_proxy_header", &cfg->strip_proxy_header);
	if ((v = getval(l, "rules", "strip_headers")) != NULL)
		(void)parse_strip(l, v, &cfg->strip_headers, &cfg->nstrip);

	cfg->header_required = hr >= 0 ? hr :
	    (cfg->strict || cfg->always_proxy);
	if (cfg->loose)
		saykey(l, 0, "rules", "loose_unsafe", "on: client addresses "
		    "are taken without any check (for development only)");
}

/* Validates and reads [cgi] and [log]. */
static void
load_cgi_log(struct load *l)
{
	static const char *const levels[] = {
		"error", "warning", "info", "debug"
	};
	struct config	*cfg = l->cfg;
	const char	*v;
	char		 e[ESC_CAP];
	size_t		 i;

	get_str(l, "cgi", "program", &cfg->cgi_program);
	if ((v = getval(l, "log", "level")) != NULL) {
		for (i = 0; i < 4; i++)
			if (xstr_caseeqc(xstr_c(v), levels[i]))
				break;
		if (i < 4)
			cfg->log_level = (enum log_level)i;
		else
			saykey(l, 1, "log", "level", "\"%s\" is not a level "
			    "(error, warning, info, debug)", esc(v, e));
	}
	if ((v = getval(l, "log", "target")) != NULL) {
		if (xstr_caseeqc(xstr_c(v), "stderr"))
			cfg->log_target = LOG_TO_STDERR;
		else if (xstr_caseeqc(xstr_c(v), "syslog"))
			cfg->log_target = LOG_TO_SYSLOG;
		else if (v[0] == '/') {
			get_path(l, "log", "target", &cfg->log_file);
			cfg->log_target = LOG_TO_FILE;
		} else
			saykey(l, 1, "log", "target", "\"%s\" is not a target "
			    "(stderr, syslog, or the absolute path of a file)",
			    esc(v, e));
	}
}

/* Returns the known section named name, or NULL. */
static const struct section *
find_section(const char *name)
{
	size_t	i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

/*
 * Checks the names in the loaded dictionary: every section and every key
 * must be known, and no key may stand outside a section.
 */
static void
check_names(struct load *l)
{
	dictionary		*ini = l->ini;
	const struct section	*sec;
	const char		*k, *best;
	char			 e[ESC_CAP];
	size_t			 blen, slen, j;
	ssize_t			 i, s;

	for (i = 0; i < ini->size; i++) {
		if ((k = ini->key[i]) == NULL || ini->val[i] != NULL)
			continue;
		if (strcmp(k, "gateway") == 0)
			l->cfg->has_gateway = 1;
		if (find_section(k) == NULL)
			say(l, 1, "[%s]: unknown section (known: gateway, "
			    "trust, rules, cgi, log)", esc(k, e));
	}
	for (i = 0; i < ini->size; i++) {
		if ((k = ini->key[i]) == NULL || ini->val[i] == NULL)
			continue;
		if (k[0] == ':') {
			say(l, 1, "%s: key outside any section",
			    esc(k + 1, e));
			continue;
		}
		/* The longest section name that prefixes "section:key". */
		best = NULL;
		blen = 0;
		for (s = 0; s < ini->size; s++) {
			if (ini->key[s] == NULL || ini->val[s] != NULL)
				continue;
			slen = strlen(ini->key[s]);
			if (slen >= blen && strncmp(k, ini->key[s], slen) == 0 &&
			    k[slen] == ':') {
				best = ini->key[s];
				blen = slen;
			}
		}
		if (best == NULL) {
			say(l, 1, "%s: unknown key", esc(k, e));
			continue;
		}
		if ((sec = find_section(best)) == NULL)
			continue;	/* reported with its section */
		for (j = 0; sec->keys[j] != NULL; j++)
			if (strcmp(sec->keys[j], k + blen + 1) == 0)
				break;
		if (sec->keys[j] == NULL)
			saykey(l, 1, sec->name, k + blen + 1, "unknown key");
	}
}

/*
 * Checks one logical line of the raw file (iniparser's view of it) for
 * what iniparser accepts silently: an empty section name, a comment that
 * swallowed continuation lines, and an exempt value cut at ';' or '#'.
 * section holds the current section (lower case) and is updated.
 */
static void
scan_line(struct load *l, char *line, size_t len, unsigned lineno,
    unsigned nlines, char *section, size_t seccap)
{
	const char	*p, *end, *eq, *q;
	size_t		 i, n;
	char		 key[16];

	p = line;
	end = line + len;
	while (p < end && isblankish(*p))
		p++;
	while (end > p && isblankish(end[-1]))
		end--;
	if (p == end)
		return;
	if (*p == '#' || *p == ';') {
		if (nlines > 1)
			sayline(l, lineno, "the comment ends with '\\', so "
			    "the INI parser ignores the next line too");
		return;
	}
	if (*p == '[' && end[-1] == ']') {
		q = memchr(p, ']', (size_t)(end - p));
		p++;
		while (p < q && isblankish(*p))
			p++;
		while (q > p && isblankish(q[-1]))
			q--;
		if (p == q) {
			sayline(l, lineno, "empty section name");
			return;
		}
		n = (size_t)(q - p);
		if (n >= seccap)
			n = seccap - 1;
		for (i = 0; i < n; i++)
			section[i] = lower(p[i]);
		section[n] = '\0';
		return;
	}
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
		return;		/* iniparser reports the syntax error */
	q = eq;
	while (q > p && isblankish(q[-1]))
		q--;
	if ((size_t)(q - p) != 6 || strcmp(section, "rules") != 0)
		return;
	for (i = 0; i < 6; i++)
		key[i] = lower(p[i]);
	key[6] = '\0';
	if (strcmp(key, "exempt") != 0)
		return;

	p = eq + 1;
	while (p < end && isblankish(*p))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		/* Quoted: iniparser keeps up to the closing quote. */
		q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (q == NULL)
			return;
		p = q + 1;
		while (p < end && isblankish(*p))
			p++;
		if (p == end)
			return;
		if (*p == ';' || *p == '#')
			saykey(l, 1, "rules", "exempt", "unquoted '%c' (line "
			    "%u): comments must stand on their own line",
			    *p, lineno);
		else
			saykey(l, 1, "rules", "exempt", "text after the "
			    "closing quote (line %u) is ignored by the INI "
			    "parser", lineno);
		return;
	}
	for (; p < end; p++)
		if (*p == ';' || *p == '#') {
			saykey(l, 1, "rules", "exempt", "unquoted '%c' (line "
			    "%u): the INI parser cuts the value there; quote "
			    "the whole value (\"...\") and put comments on "
			    "their own line", *p, lineno);
			return;
		}
}

/*
 * Reads the file the way iniparser does (trailing white space removed,
 * a final '\' joins the next line) and checks each logical line with
 * scan_line().  Returns 0, or -1 when the file cannot be read.
 */
static int
scan_raw(struct load *l, FILE *fp)
{
	char		*buf = NULL, *join = NULL, *nj;
	char		 section[256] = "";
	size_t		 bufcap = 0, jlen = 0, jcap = 0, n;
	ssize_t		 got;
	unsigned	 lineno = 0, start = 0, nlines = 0;
	int		 rc = -1;

	while ((got = getline(&buf, &bufcap, fp)) != -1) {
		lineno++;
		if (nlines++ == 0)
			start = lineno;
		n = (size_t)got;
		if (jlen + n + 1 > jcap) {
			jcap = jlen + n + 1;
			if ((nj = realloc(join, jcap)) == NULL) {
				nomem(l);
				goto done;
			}
			join = nj;
		}
		memcpy(join + jlen, buf, n);
		jlen += n;
		while (jlen > 0 && isblankish(join[jlen - 1]))
			jlen--;
		if (jlen > 0 && join[jlen - 1] == '\\') {
			jlen--;
			continue;
		}
		scan_line(l, join, jlen, start, nlines, section,
		    sizeof(section));
		jlen = 0;
		nlines = 0;
	}
	if (ferror(fp)) {
		say(l, 1, "cannot read: %s", strerror(errno));
		goto done;
	}
	if (nlines > 0)
		scan_line(l, join, jlen, start, nlines, section,
		    sizeof(section));
	rc = 0;
done:
	free(buf);
	free(join);
	return rc;
}

/* Turns iniparser's messages for the current load into diag errors. */
static int
ini_errback(const char *fmt, ...)
{
	struct load	*l = ini_current;
	va_list		 ap;
	const char	*text, *p, *hint;
	char		 e[ESC_CAP], msg[MSG_MAX];
	int		 line;
	size_t		 n;

	va_start(ap, fmt);
	if (l == NULL) {
		vfprintf(stderr, fmt, ap);
	} else if (strcmp(fmt, INI_FMT_SYNTAX) == 0) {
		(void)va_arg(ap, const char *);
		line = va_arg(ap, int);
		text = va_arg(ap, const char *);
		for (p = text; isblankish(*p); p++)
			;
		if (*p == '[' && strchr(p, ']') != NULL)
			hint = " (a section line takes no comment)";
		else if (strchr(p, '=') == NULL)
			hint = " (expected [section], key = value or a "
			    "comment)";
		else
			hint = "";
		sayline(l, (unsigned)line, "syntax error: \"%s\"%s",
		    esc(text, e), hint);
	} else if (strcmp(fmt, INI_FMT_LONG) == 0) {
		(void)va_arg(ap, const char *);
		line = va_arg(ap, int);
		sayline(l, (unsigned)line, "line too long (the INI parser reads "
		    "at most 1022 characters per line, joined lines "
		    "included)");
	} else if (strcmp(fmt, INI_FMT_OPEN) == 0) {
		say(l, 1, "cannot open");
	} else {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		n = strlen(msg);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		say(l, 1, "%s", escx((struct xstr){ msg, n }, e));
	}
	va_end(ap);
	return 0;
}

/* Fills cfg with the defaults of SPEC 2. */
int
config_defaults(struct config *cfg)
{
	struct load	l;

	memset(cfg, 0, sizeof(*cfg));
	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	cfg->workers = 16;
	cfg->connect_timeout = 5;
	cfg->backend_timeout = 60;
	cfg->keep_conn = 1;
	cfg->listen_mode = 0660;
	cfg->x_for = 1;
	cfg->x_proto = 1;
	cfg->clean = 1;
	cfg->rewrite_remote_addr = 1;
	cfg->keep_original = 1;
	cfg->strip_proxy_header = 1;
	cfg->log_level = LOG_LVL_INFO;
	if (parse_cidrs(&l, "gateway", "status_allow", DEFAULT_STATUS_ALLOW,
	    &cfg->status_allow) == -1 ||
	    parse_strip(&l, DEFAULT_STRIP_HEADERS, &cfg->strip_headers,
	    &cfg->nstrip) == -1) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* Loads and validates the INI file at path into cfg (SPEC 2). */
int
config_load(const char *path, struct config *cfg, struct diag *d)
{
	struct load	 l;
	FILE		*fp;

	memset(&l, 0, sizeof(l));
	l.path = path;
	l.cfg = cfg;
	l.d = d;
	escape_log(xstr_c(path), PATH_SHOW_MAX, l.epath, sizeof(l.epath));

	if (config_defaults(cfg) == -1) {
		nomem(&l);
		goto fail;
	}
	if ((cfg->path = dupn(path, strlen(path))) == NULL) {
		nomem(&l);
		goto fail;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		say(&l, 1, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (scan_raw(&l, fp) == -1) {
		fclose(fp);
		goto fail;
	}
	fclose(fp);

	ini_current = &l;
	iniparser_set_error_callback(ini_errback);
	l.ini = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	ini_current = NULL;
	if (l.ini == NULL) {
		if (!l.failed)
			say(&l, 1, "the INI parser rejected the file");
		goto fail;
	}

	check_names(&l);
	load_gateway(&l);
	load_trust(&l);
	load_rules(&l);
	load_cgi_log(&l);
	iniparser_freedict(l.ini);
	l.ini = NULL;
	if (l.failed)
		goto fail;
	return 0;
fail:
	if (l.ini != NULL)
		iniparser_freedict(l.ini);
	config_free(cfg);
	return -1;
}

/* Releases everything config_load or config_defaults allocated. */
void
config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->listen_owner);
	free(cfg->listen_group);
	free(cfg->pid_file);
	free(cfg->user);
	free(cfg->group);
	free(cfg->log_file);
	free(cfg->status_uri);
	cidrset_free(&cfg->status_allow);
	cidrset_free(&cfg->proxies);
	exempt_free(cfg);
	strv_free(cfg->strip_headers, cfg->nstrip);
	free(cfg->cgi_program);
	memset(cfg, 0, sizeof(*cfg));
}

/* Prepares an empty message list. */
void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

/*
 * Appends a formatted message.  When memory runs out the message is
 * lost but an error is still counted, so a load never passes silently.
 */
void
diag_add(struct diag *d, int is_error, const char *fmt, ...)
{
	va_list	  ap;
	char	 *s, **nm;
	int	 *ne, len;

	if (is_error)
		d->nerrors++;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if ((nm = reallocarray(d->msg, d->n + 1, sizeof(*nm))) == NULL) {
		free(s);
		return;
	}
	d->msg = nm;
	if ((ne = reallocarray(d->is_error, d->n + 1, sizeof(*ne))) == NULL) {
		free(s);
		return;
	}
	d->is_error = ne;
	d->msg[d->n] = s;
	d->is_error[d->n] = is_error ? 1 : 0;
	d->n++;
}

/* Releases the messages. */
void
diag_free(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	free(d->is_error);
	memset(d, 0, sizeof(*d));
}

/* Returns the name of a level. */
const char *
log_level_name(enum log_level lv)
{
	switch (lv) {
	case LOG_LVL_ERROR:
		return "error";
	case LOG_LVL_WARNING:
		return "warning";
	case LOG_LVL_INFO:
		return "info";
	case LOG_LVL_DEBUG:
		return "debug";
	}
	return "unknown";
}
