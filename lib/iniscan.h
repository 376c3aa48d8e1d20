/*
 * iniscan.h: the reading side of the INI file, on its text: what
 * iniparser accepts silently but an operator must hear about.  Pure
 * code; the caller reads the file.
 */
#ifndef XFF_INISCAN_H
#define XFF_INISCAN_H

#include <stddef.h>
#include "diag.h"

/* One "key = value" line: its section and key in lower case, as iniparser keeps them. */
struct ini_key {
	char		*section;	/* "" before any section line */
	char		*key;
	unsigned	 line;		/* first line, continuations joined */
};

/* Every key line of a file, in order, each (section, key) once. */
struct ini_scan {
	struct ini_key	*v;
	size_t		 n, cap;
};

/*
 * Reads text (len bytes, the whole file) the way iniparser does: white
 * space around lines removed, a final '\' joins the next line, '#' and
 * ';' start comments.  Reports to ds: a key given twice in a section
 * (also in two blocks of it), naming both lines; an empty section name;
 * a comment that swallows the next line; an exempt value that the
 * parser would cut at ';' or '#'.  Records every key line in out
 * (emptied first).  Returns 0, or -1 when memory ran out (reported).
 */
int	ini_scan_text(struct dsink *ds, const char *text, size_t len,
	    struct ini_scan *out);

/* Returns 1 for the ASCII white space iniparser strips (isspace in C). */
int	ini_isblank(char c);

/* Returns the line of section:key (lower case), or 0 when not recorded. */
unsigned ini_scan_line(const struct ini_scan *sc, const char *section,
	    const char *key);

/* Releases what ini_scan_text recorded. */
void	ini_scan_free(struct ini_scan *sc);

#endif
