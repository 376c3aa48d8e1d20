/*
 * proxylist.c: trusted proxy lists kept in files (see proxylist.h): the
 * paths of proxies_file, the line-oriented text of a list and the union
 * of lists without repeats.  Pure: the files are read by conf/proxyfile.c.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* reallocarray */
#endif

#include <stdlib.h>
#include <string.h>

#include "confval.h"
#include "proxylist.h"

/* The longest path accepted in proxies_file, resolved. */
#define PATH_LEN_MAX	4095

/* Returns 1 for the white space trimmed around an entry. */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Returns a malloc'ed path: p (n bytes) itself when it is absolute or
 * inipath has no directory part, else the directory of inipath, '/' and
 * p.  NULL when memory ran out.
 */
static char *
resolve(const char *inipath, const char *p, size_t n)
{
	const char	*slash = strrchr(inipath, '/');
	size_t		 dlen;
	char		*s;

	if (p[0] == '/' || slash == NULL)
		return conf_dupn(p, n);
	dlen = (size_t)(slash - inipath);
	if ((s = malloc(dlen + 1 + n + 1)) == NULL)
		return NULL;
	memcpy(s, inipath, dlen);
	s[dlen] = '/';
	memcpy(s + dlen + 1, p, n);
	s[dlen + 1 + n] = '\0';
	return s;
}

/* Splits and resolves the value of proxies_file (see proxylist.h). */
int
proxylist_paths(struct dsink *ds, const char *inipath, const char *val,
    char ***outv, size_t *outn)
{
	struct xstr	  t;
	char		**v = NULL, e[DIAG_ESC_CAP];
	size_t		  pos = 0, n = 0, i;
	int		  bad = 0;

	while (conf_nextfield(val, &pos, WORD_SEPS).p != NULL)
		n++;
	if (n > PROXYLIST_MAX_FILES) {
		dsaykey(ds, 1, "trust", "proxies_file", "names %zu files; at "
		    "most %d", n, PROXYLIST_MAX_FILES);
		return -1;
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		dnomem(ds);
		return -1;
	}
	pos = 0;
	for (i = 0; i < n; i++) {
		t = conf_nextfield(val, &pos, WORD_SEPS);
		if (memchr(t.p, 0x7f, t.len) != NULL ||
		    strcspn(t.p, "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"
		    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
		    "\x1d\x1e\x1f") < t.len) {
			dsaykey(ds, 1, "trust", "proxies_file", "\"%s\" holds a "
			    "control character", diag_escx(t, e));
			bad = 1;
			continue;
		}
		if ((v[i] = resolve(inipath, t.p, t.len)) == NULL) {
			dnomem(ds);
			bad = 1;
			break;
		}
		if (strlen(v[i]) > PATH_LEN_MAX) {
			dsaykey(ds, 1, "trust", "proxies_file", "\"%s\" is too "
			    "long a path", diag_escx(t, e));
			bad = 1;
		}
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

/*
 * Checks one line's entry (t: the line without its comment, trimmed,
 * not empty) and appends it to set.  Returns 0, 1 for a bad entry
 * (reported), or -1 when reading must stop (reported).
 */
static int
add_entry(struct dsink *ds, unsigned line, struct xstr t, struct cidrset *set,
    size_t *cap)
{
	struct cidr	 c, *nv;
	char		 e[DIAG_ESC_CAP], net[IP_TEXT_MAX];
	size_t		 i;
	int		 hostbits = 0;

	for (i = 0; i < t.len; i++)
		if (is_ws(t.p[i]) || t.p[i] == ',')
			break;
	if (i < t.len) {
		dsayline(ds, line, "\"%s\": one address or CIDR per line",
		    diag_escx(t, e));
		return 1;
	}
	if (cidr_parse(t, &c, &hostbits) == -1) {
		dsayline(ds, line, "\"%s\" is not an IP address or a CIDR%s",
		    diag_escx(t, e), xstr_eqc(t, "unix:") ? " (unix: belongs "
		    "in [trust] proxies)" : "");
		return 1;
	}
	if (hostbits) {
		ip_format(&c.net, net);
		dwarnline(ds, line, "\"%s\" has host bits set; read as %s/%u",
		    diag_escx(t, e), net, c.plen);
	}
	if (set->n >= PROXYLIST_MAX_ENTRIES) {
		dsayline(ds, line, "more than %d trusted proxy entries in "
		    "all; stopped reading", PROXYLIST_MAX_ENTRIES);
		return -1;
	}
	if (set->n == *cap) {
		*cap = *cap < set->n + 64 ? set->n + 64 : *cap;
		*cap *= 2;
		if ((nv = reallocarray(set->v, *cap, sizeof(*nv))) == NULL) {
			dnomem(ds);
			return -1;
		}
		set->v = nv;
	}
	set->v[set->n++] = c;
	return 0;
}

/* Parses the text of one list file into set (see proxylist.h). */
int
proxylist_parse(struct dsink *ds, const char *text, size_t len,
    struct cidrset *set)
{
	const char	*p = text, *end = text + len, *nl, *hash;
	struct xstr	 t;
	size_t		 cap = set->n;
	unsigned	 line = 0, errors = 0;
	int		 r;

	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		t.p = p;
		t.len = (size_t)(nl - p);
		p = nl < end ? nl + 1 : end;
		if (memchr(t.p, '\0', t.len) != NULL) {
			dsayline(ds, line, "holds a NUL byte (not a text file?)");
			r = 1;
		} else {
			if ((hash = memchr(t.p, '#', t.len)) != NULL)
				t.len = (size_t)(hash - t.p);
			while (t.len > 0 && is_ws(t.p[0])) {
				t.p++;
				t.len--;
			}
			while (t.len > 0 && is_ws(t.p[t.len - 1]))
				t.len--;
			if (t.len == 0)
				continue;
			r = add_entry(ds, line, t, set, &cap);
		}
		if (r == -1)
			return -1;
		if (r == 1 && ++errors >= PROXYLIST_MAX_ERRORS) {
			dsayline(ds, line, "%u errors; stopped reading", errors);
			return -1;
		}
	}
	return errors > 0 ? -1 : 0;
}

/* One network of a set and its position, for sorting. */
struct slot {
	struct cidr	c;
	size_t		pos;
};

/* Orders slots by network (family, length, address), then by position. */
static int
slot_cmp(const void *a, const void *b)
{
	const struct slot	*x = a, *y = b;
	int			 r;

	if (x->c.net.family != y->c.net.family)
		return x->c.net.family < y->c.net.family ? -1 : 1;
	if (x->c.plen != y->c.plen)
		return x->c.plen < y->c.plen ? -1 : 1;
	if ((r = memcmp(x->c.net.a, y->c.net.a, sizeof(x->c.net.a))) != 0)
		return r;
	return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : 0;
}

/* Removes repeated networks from set, keeping the first ones in order. */
int
proxylist_dedupe(struct cidrset *set)
{
	struct slot	*s;
	unsigned char	*drop;
	size_t		 i, n = 0;

	if (set->n < 2)
		return 0;
	s = calloc(set->n, sizeof(*s));
	drop = calloc(set->n, 1);
	if (s == NULL || drop == NULL) {
		free(s);
		free(drop);
		return -1;
	}
	for (i = 0; i < set->n; i++) {
		s[i].c = set->v[i];
		/* compare whole addresses: clear what the family leaves unused */
		if (s[i].c.net.family == 4)
			memset(s[i].c.net.a + 4, 0, sizeof(s[i].c.net.a) - 4);
		s[i].pos = i;
	}
	qsort(s, set->n, sizeof(*s), slot_cmp);
	for (i = 1; i < set->n; i++)
		if (slot_cmp(&(struct slot){ s[i].c, 0 },
		    &(struct slot){ s[i - 1].c, 0 }) == 0)
			drop[s[i].pos] = 1;
	for (i = 0; i < set->n; i++)
		if (!drop[i])
			set->v[n++] = set->v[i];
	set->n = n;
	free(s);
	free(drop);
	return 0;
}
