/*
 * proxyfile.c: the trusted proxy lists of [trust] proxies_file, read from
 * disk and parsed by lib/proxylist.c (see proxyfile.h).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdlib.h>

#include "proxyfile.h"
#include "proxylist.h"
#include "textfile.h"

/*
 * Reports the error "INI:LINE: [trust] proxies_file: WHAT: why" (WHAT
 * omitted when NULL) on the key's line of the INI file.
 */
static void
say_ini(struct dsink *ini, unsigned line, const char *what, const char *why)
{
	char	e[DIAG_ESC_CAP];

	dsayline(ini, line, "[trust] proxies_file: %s%s%s",
	    what != NULL ? diag_esc(what, e) : "", what != NULL ? ": " : "",
	    why);
}

#define EMPTY_SET	"and proxies is empty: an empty trusted set would " \
	"believe any peer (list the proxies, or remove proxies_file)"

/* Reads the lists of proxies_file into cfg->proxies (see proxyfile.h). */
int
proxyfiles_load(struct config *cfg, struct dsink *ini, unsigned line,
    struct diag *d)
{
	struct dsink	 fds;
	char		*text = NULL, why[256];
	size_t		 i, len;
	int		 rc = -1;

	for (i = 0; i < cfg->nproxies_files; i++) {
		if (textfile_read(cfg->proxies_files[i], PROXYLIST_FILE_MAX,
		    TEXTFILE_REGULAR, &text, &len, why, sizeof(why)) == -1) {
			say_ini(ini, line, cfg->proxies_files[i], why);
			goto done;
		}
		dsink_init(&fds, cfg->proxies_files[i], d);
		if (proxylist_parse(&fds, text, len, &cfg->proxies) == -1)
			goto done;
		free(text);
		text = NULL;
		if (proxylist_dedupe(&cfg->proxies) == -1) {
			dnomem(ini);
			goto done;
		}
	}
	if (cfg->nproxies_files > 0 && cfg->proxies.n == 0 &&
	    !cfg->proxies.has_unix) {
		if (cfg->nproxies_files == 1)
			say_ini(ini, line, cfg->proxies_files[0],
			    "holds no address, " EMPTY_SET);
		else
			say_ini(ini, line, NULL, "the files hold no address, "
			    EMPTY_SET);
		goto done;
	}
	rc = 0;
done:
	free(text);
	return rc;
}
