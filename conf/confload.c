/*
 * confload.c: reading the INI file (SPEC 2): the file's text is checked
 * by the scan of lib/iniscan.c, parsed by iniparser, turned into a
 * document and validated by lib/config.c; the trusted proxy lists it
 * names are read by proxyfile.c.
 *
 * iniparser reports its errors through one process-wide callback, so
 * config_load() must not run in two threads at once (the programs load
 * at start and on SIGHUP, from one thread).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* reallocarray */
#endif

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

#include "confload.h"
#include "iniscan.h"
#include "proxyfile.h"
#include "textfile.h"

/* The largest INI file read. */
#define INI_FILE_MAX	(1024 * 1024)
#define MSG_MAX		4096

/* iniparser's own messages (4.1), recognised to read their arguments. */
#define INI_FMT_SYNTAX	"iniparser: syntax error in %s (%d):\n-> %s\n"
#define INI_FMT_LONG	"iniparser: input line too long in %s (%d)\n"
#define INI_FMT_OPEN	"iniparser: cannot open %s\n"

/* The sink whose file iniparser is reading, for its error callback. */
static struct dsink *ini_current;

static int	ini_errback(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Turns iniparser's messages for the current load into errors. */
static int
ini_errback(const char *fmt, ...)
{
	struct dsink	*ds = ini_current;
	va_list		 ap;
	const char	*text, *p, *hint;
	char		 e[DIAG_ESC_CAP], msg[MSG_MAX];
	int		 line;
	size_t		 n;

	va_start(ap, fmt);
	if (ds == NULL) {
		vfprintf(stderr, fmt, ap);
	} else if (strcmp(fmt, INI_FMT_SYNTAX) == 0) {
		(void)va_arg(ap, const char *);
		line = va_arg(ap, int);
		text = va_arg(ap, const char *);
		for (p = text; ini_isblank(*p); p++)
			;
		if (*p == '[' && strchr(p, ']') != NULL)
			hint = " (a section line takes no comment)";
		else if (strchr(p, '=') == NULL)
			hint = " (expected [section], key = value or a "
			    "comment)";
		else
			hint = "";
		dsayline(ds, (unsigned)line, "syntax error: \"%s\"%s",
		    diag_esc(text, e), hint);
	} else if (strcmp(fmt, INI_FMT_LONG) == 0) {
		(void)va_arg(ap, const char *);
		line = va_arg(ap, int);
		dsayline(ds, (unsigned)line, "line too long (the INI parser reads "
		    "at most 1022 characters per line, joined lines "
		    "included)");
	} else if (strcmp(fmt, INI_FMT_OPEN) == 0) {
		dsay(ds, 1, "cannot open");
	} else {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		n = strlen(msg);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		dsay(ds, 1, "%s", diag_escx((struct xstr){ msg, n }, e));
	}
	va_end(ap);
	return 0;
}

/*
 * Turns iniparser's dictionary into a document: a section line for each
 * section, and each "section:key" split at the longest section name that
 * prefixes it.  Returns 0, or -1 when memory ran out.
 */
static int
make_doc(dictionary *ini, struct ini_entry **out, size_t *nout)
{
	struct ini_entry	*v;
	const char		*k, *best;
	size_t			 n = 0, blen, slen;
	ssize_t			 i, s;

	*out = NULL;
	*nout = 0;
	if (ini->size <= 0)
		return 0;
	if ((v = calloc((size_t)ini->size, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < ini->size; i++) {
		if ((k = ini->key[i]) == NULL)
			continue;
		if (ini->val[i] == NULL) {
			v[n].section = k;
			v[n++].key = NULL;
			continue;
		}
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
		/* No section: iniparser writes ":key" before any section. */
		if (best == NULL) {
			v[n].section = "";
			v[n].key = k[0] == ':' ? k + 1 : k;
		} else {
			v[n].section = best;
			v[n].key = k + blen + 1;
		}
		v[n++].value = ini->val[i];
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Loads and validates the INI file at path into cfg (SPEC 2). */
int
config_load(const char *path, struct config *cfg, struct diag *d)
{
	struct dsink		 ds;
	struct ini_scan		 scan;
	struct ini_entry	*ents = NULL;
	struct ini_doc		 doc;
	dictionary		*ini = NULL;
	char			*text = NULL, why[256];
	size_t			 len = 0;
	int			 rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&scan, 0, sizeof(scan));
	dsink_init(&ds, path, d);
	if (textfile_read(path, INI_FILE_MAX, 0, &text, &len, why,
	    sizeof(why)) == -1) {
		dsay(&ds, 1, "%s", why);
		goto done;
	}
	if (ini_scan_text(&ds, text, len, &scan) == -1)
		goto done;

	ini_current = &ds;
	iniparser_set_error_callback(ini_errback);
	ini = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	ini_current = NULL;
	if (ini == NULL) {
		if (!ds.failed)
			dsay(&ds, 1, "the INI parser rejected the file");
		goto done;
	}
	if (make_doc(ini, &ents, &doc.n) == -1) {
		dnomem(&ds);
		goto done;
	}
	doc.v = ents;
	if (config_build(path, &doc, cfg, d) == -1)
		goto done;
	if (ds.failed || proxyfiles_load(cfg, &ds,
	    ini_scan_line(&scan, "trust", "proxies_file"), d) == -1) {
		config_free(cfg);
		goto done;
	}
	rc = 0;
done:
	free(ents);
	if (ini != NULL)
		iniparser_freedict(ini);
	ini_scan_free(&scan);
	free(text);
	return rc;
}
