/*
 * confval.c: the values of configuration keys (SPEC 2): booleans,
 * numbers, seconds, socket addresses, address lists, header lists and
 * exempt patterns.  Pure: problems go to a struct dsink.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* reallocarray */
#endif

#include <stdlib.h>
#include <string.h>

#include "confval.h"
#include "values.h"

/* The CGI names of the headers the correction reads: never stripped. */
static const char *const forwarded_cgi[] = {
	"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
	"HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
	"HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED", NULL
};

/* Returns a malloc'ed copy of the n bytes at p plus a NUL, or NULL. */
char *
conf_dupn(const char *p, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Splits s at the bytes of seps: on each call returns the next non-empty
 * field (as a counted string) and advances *pos; .p NULL at the end.
 */
struct xstr
conf_nextfield(const char *s, size_t *pos, const char *seps)
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
int
conf_parse_bool(const char *s, int *out)
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
int
conf_parse_digits(const char *s, long *out)
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
int
conf_parse_seconds(const char *s, double *out)
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

/* Parses a file mode: 1 to 4 octal digits, at most 0777. */
int
conf_parse_mode(const char *s, int *out)
{
	size_t	i;
	int	m = 0;

	for (i = 0; s[i] >= '0' && s[i] <= '7' && i < 4; i++)
		m = m * 8 + (s[i] - '0');
	if (i == 0 || s[i] != '\0' || m > 0777)
		return -1;
	*out = m;
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
void
conf_cidrset_free(struct cidrset *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/*
 * Parses an address list (CIDRs, IPs, "unix:", separated by whitespace or
 * commas) into *out, replacing it.  Host bits give a warning.  Returns 0,
 * or -1 after reporting the problems (*out unchanged).
 */
int
conf_parse_cidrs(struct dsink *ds, const char *sec, const char *key,
    const char *val, struct cidrset *out)
{
	struct cidrset	 set;
	struct cidr	 c, *nv;
	struct xstr	 t;
	char		 e[DIAG_ESC_CAP], net[IP_TEXT_MAX];
	size_t		 pos = 0, cap = 0;
	int		 hostbits, bad = 0;

	memset(&set, 0, sizeof(set));
	while ((t = conf_nextfield(val, &pos, LIST_SEPS)).p != NULL) {
		if (xstr_eqc(t, "unix:")) {
			set.has_unix = 1;
			continue;
		}
		hostbits = 0;
		if (cidr_parse(t, &c, &hostbits) == -1) {
			dsaykey(ds, 1, sec, key, "\"%s\" is not an IP address, "
			    "a CIDR or unix:", diag_escx(t, e));
			bad = 1;
			continue;
		}
		if (hostbits) {
			ip_format(&c.net, net);
			dsaykey(ds, 0, sec, key, "\"%s\" has host bits set; "
			    "read as %s/%u", diag_escx(t, e), net, c.plen);
		}
		if (set.n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nv = reallocarray(set.v, cap, sizeof(*nv))) ==
			    NULL) {
				dnomem(ds);
				bad = 1;
				break;
			}
			set.v = nv;
		}
		set.v[set.n++] = c;
	}
	if (bad) {
		conf_cidrset_free(&set);
		return -1;
	}
	conf_cidrset_free(out);
	*out = set;
	return 0;
}

/* Releases a list of strings. */
void
conf_strv_free(char **v, size_t n)
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
int
conf_parse_strip(struct dsink *ds, const char *val, char ***outv, size_t *outn)
{
	struct xstr	  t;
	char		**v = NULL, **nv, *name, e[DIAG_ESC_CAP];
	size_t		  pos = 0, n = 0, cap = 0, i;
	int		  bad = 0, dup;

	while ((t = conf_nextfield(val, &pos, LIST_SEPS)).p != NULL) {
		for (i = 0; i < t.len; i++)
			if (!xstr_istchar((unsigned char)t.p[i]))
				break;
		if (i < t.len) {
			dsaykey(ds, 1, "rules", "strip_headers", "\"%s\" is not "
			    "a header name (an HTTP token)", diag_escx(t, e));
			bad = 1;
			continue;
		}
		if ((name = malloc(t.len + 6)) == NULL) {
			dnomem(ds);
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
			dsaykey(ds, 1, "rules", "strip_headers", "\"%s\" is a "
			    "forwarded header the gateway reads and corrects; "
			    "it cannot be listed here", diag_escx(t, e));
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
				dnomem(ds);
				bad = 1;
				break;
			}
			v = nv;
		}
		v[n++] = name;
	}
	if (bad) {
		conf_strv_free(v, n);
		return -1;
	}
	conf_strv_free(*outv, *outn);
	*outv = v;
	*outn = n;
	return 0;
}

/* Releases the exempt patterns of cfg. */
void
conf_exempt_free(struct config *cfg)
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
int
conf_parse_exempt(struct dsink *ds, const char *val, struct config *cfg)
{
	struct xstr	 t;
	char		*src, e[DIAG_ESC_CAP], why[256];
	const char	*costly;
	size_t		 pos = 0, n = 0;
	int		 rc, bad = 0;

	conf_exempt_free(cfg);
	while (conf_nextfield(val, &pos, WORD_SEPS).p != NULL)
		n++;
	if (n == 0)
		return 0;
	if ((cfg->exempt = calloc(n, sizeof(*cfg->exempt))) == NULL ||
	    (cfg->exempt_src = calloc(n, sizeof(*cfg->exempt_src))) == NULL) {
		conf_exempt_free(cfg);
		dnomem(ds);
		return -1;
	}
	pos = 0;
	while ((t = conf_nextfield(val, &pos, WORD_SEPS)).p != NULL) {
		if ((src = conf_dupn(t.p, t.len)) == NULL) {
			dnomem(ds);
			bad = 1;
			break;
		}
		if ((costly = regex_too_costly(src)) != NULL) {
			dsaykey(ds, 1, "rules", "exempt", "\"%s\" %s",
			    diag_esc(src, e), costly);
			free(src);
			bad = 1;
			continue;
		}
		rc = regcomp(&cfg->exempt[cfg->nexempt], src, REG_EXTENDED);
		if (rc != 0) {
			regerror(rc, &cfg->exempt[cfg->nexempt], why,
			    sizeof(why));
			dsaykey(ds, 1, "rules", "exempt", "\"%s\" is not a valid "
			    "regular expression: %s", diag_esc(src, e), why);
			free(src);
			bad = 1;
			continue;
		}
		cfg->exempt_src[cfg->nexempt++] = src;
		if (src[0] == '/' || (src[0] == '^' && src[1] == '/'))
			dsaykey(ds, 0, "rules", "exempt", "\"%s\" never matches: "
			    "the path is matched without its leading '/'",
			    diag_esc(src, e));
	}
	return bad ? -1 : 0;
}
