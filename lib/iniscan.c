/*
 * iniscan.c: the reading side of the INI file, on its text (see
 * iniscan.h).  iniparser 4.1 keeps the last of two lines that set the
 * same key, cuts unquoted values at ';' and '#', and ignores the line
 * after a comment ending in '\'; this scan finds each of those.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* reallocarray */
#endif

#include <stdlib.h>
#include <string.h>

#include "confval.h"
#include "iniscan.h"

/* What one scan keeps between lines. */
struct scan {
	struct dsink	*ds;
	struct ini_scan	*out;
	char		*section;	/* current section, lower case */
	int		 nomem;
};

/* Returns 1 for the ASCII white space iniparser strips (isspace in C). */
int
ini_isblank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* Returns a malloc'ed lower-case copy of the n bytes at p, or NULL. */
static char *
dup_lower(const char *p, size_t n)
{
	char	*s;
	size_t	 i;

	if ((s = conf_dupn(p, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return s;
}

/* Returns the recorded section:key, or NULL. */
static const struct ini_key *
find_key(const struct ini_scan *sc, const char *section, const char *key)
{
	size_t	i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->v[i].section, section) == 0 &&
		    strcmp(sc->v[i].key, key) == 0)
			return &sc->v[i];
	return NULL;
}

/* Returns the line of section:key, or 0. */
unsigned
ini_scan_line(const struct ini_scan *sc, const char *section,
    const char *key)
{
	const struct ini_key	*k = find_key(sc, section, key);

	return k != NULL ? k->line : 0;
}

/*
 * Records the key of the n bytes at p on line lineno in the current
 * section; a key already recorded there is reported with both lines.
 * Returns the recorded key (lower case), or NULL when memory ran out.
 */
static const char *
record_key(struct scan *s, const char *p, size_t n, unsigned lineno)
{
	const struct ini_key	*first;
	struct ini_key		*nv, *k;
	char			*key;

	if ((key = dup_lower(p, n)) == NULL)
		return NULL;
	if ((first = find_key(s->out, s->section, key)) != NULL) {
		dsaykey(s->ds, 1, s->section, key, "set twice, on lines %u "
		    "and %u: the INI parser would keep only the last; write "
		    "the key once (a list goes on one line)", first->line,
		    lineno);
		free(key);
		return first->key;
	}
	if (s->out->n == s->out->cap) {
		s->out->cap = s->out->cap == 0 ? 32 : s->out->cap * 2;
		nv = reallocarray(s->out->v, s->out->cap, sizeof(*nv));
		if (nv == NULL) {
			free(key);
			return NULL;
		}
		s->out->v = nv;
	}
	k = &s->out->v[s->out->n];
	if ((k->section = conf_dupn(s->section, strlen(s->section))) == NULL) {
		free(key);
		return NULL;
	}
	k->key = key;
	k->line = lineno;
	s->out->n++;
	return key;
}

/*
 * Checks the value of an exempt line (p to end, after '=') for a ';' or
 * '#' that the INI parser would cut it at, or text after its quotes.
 */
static void
check_exempt(struct scan *s, const char *p, const char *end, unsigned lineno)
{
	const char	*q;

	while (p < end && ini_isblank(*p))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		/* Quoted: iniparser keeps up to the closing quote. */
		q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (q == NULL)
			return;
		p = q + 1;
		while (p < end && ini_isblank(*p))
			p++;
		if (p == end)
			return;
		if (*p == ';' || *p == '#')
			dsaykey(s->ds, 1, "rules", "exempt", "unquoted '%c' "
			    "(line %u): comments must stand on their own line",
			    *p, lineno);
		else
			dsaykey(s->ds, 1, "rules", "exempt", "text after the "
			    "closing quote (line %u) is ignored by the INI "
			    "parser", lineno);
		return;
	}
	for (; p < end; p++)
		if (*p == ';' || *p == '#') {
			dsaykey(s->ds, 1, "rules", "exempt", "unquoted '%c' "
			    "(line %u): the INI parser cuts the value there; "
			    "quote the whole value (\"...\") and put comments "
			    "on their own line", *p, lineno);
			return;
		}
}

/*
 * Checks one logical line (continuations joined) that starts on line
 * lineno and spans nlines lines; a section line changes s->section.
 */
static void
scan_line(struct scan *s, const char *line, size_t len, unsigned lineno,
    unsigned nlines)
{
	const char	*p, *end, *eq, *q, *key;
	char		*sec;

	p = line;
	end = line + len;
	while (p < end && ini_isblank(*p))
		p++;
	while (end > p && ini_isblank(end[-1]))
		end--;
	if (p == end)
		return;
	if (*p == '#' || *p == ';') {
		if (nlines > 1)
			dsayline(s->ds, lineno, "the comment ends with '\\', "
			    "so the INI parser ignores the next line too");
		return;
	}
	if (*p == '[' && end[-1] == ']') {
		q = memchr(p, ']', (size_t)(end - p));
		p++;
		while (p < q && ini_isblank(*p))
			p++;
		while (q > p && ini_isblank(q[-1]))
			q--;
		if (p == q) {
			dsayline(s->ds, lineno, "empty section name");
			return;
		}
		if ((sec = dup_lower(p, (size_t)(q - p))) == NULL) {
			s->nomem = 1;
			return;
		}
		free(s->section);
		s->section = sec;
		return;
	}
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL || eq == p)
		return;		/* iniparser reports the syntax error */
	q = eq;
	while (q > p && ini_isblank(q[-1]))
		q--;
	if ((key = record_key(s, p, (size_t)(q - p), lineno)) == NULL) {
		s->nomem = 1;
		return;
	}
	if (strcmp(s->section, "rules") == 0 && strcmp(key, "exempt") == 0)
		check_exempt(s, eq + 1, end, lineno);
}

/* Reads the text line by line and checks each logical line. */
int
ini_scan_text(struct dsink *ds, const char *text, size_t len,
    struct ini_scan *out)
{
	struct scan	 s;
	const char	*p = text, *end = text + len, *nl;
	char		*join = NULL, *nj;
	size_t		 jlen = 0, jcap = 0, n;
	unsigned	 lineno = 0, start = 0, nlines = 0;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.ds = ds;
	s.out = out;
	if ((s.section = conf_dupn("", 0)) == NULL)
		goto done;
	while (p < end && !s.nomem) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		lineno++;
		if (nlines++ == 0)
			start = lineno;
		if (jlen + n + 1 > jcap) {
			jcap = jlen + n + 1;
			if ((nj = realloc(join, jcap)) == NULL)
				goto done;
			join = nj;
		}
		memcpy(join + jlen, p, n);
		jlen += n;
		p += n;
		while (jlen > 0 && ini_isblank(join[jlen - 1]))
			jlen--;
		if (jlen > 0 && join[jlen - 1] == '\\') {
			jlen--;
			continue;
		}
		scan_line(&s, join, jlen, start, nlines);
		jlen = 0;
		nlines = 0;
	}
	if (nlines > 0 && !s.nomem)
		scan_line(&s, join, jlen, start, nlines);
	if (!s.nomem)
		rc = 0;
done:
	if (rc == -1)
		dnomem(ds);
	free(join);
	free(s.section);
	return rc;
}

/* Releases what ini_scan_text recorded. */
void
ini_scan_free(struct ini_scan *sc)
{
	size_t	i;

	for (i = 0; i < sc->n; i++) {
		free(sc->v[i].section);
		free(sc->v[i].key);
	}
	free(sc->v);
	memset(sc, 0, sizeof(*sc));
}
