/*
 * proxyfile.h: reading the trusted proxy lists named by [trust]
 * proxies_file into the configuration.
 */
#ifndef XFF_PROXYFILE_H
#define XFF_PROXYFILE_H

#include "config.h"
#include "diag.h"

/*
 * Reads every file of cfg->proxies_files (as resolved by config_build)
 * and unites its networks with cfg->proxies, each network once, in the
 * order proxies, then each file's.  ini is the sink of the INI file and
 * line the line of its proxies_file key: a file that cannot be read is
 * reported there ("INI:LINE: [trust] proxies_file: FILE: cannot open:
 * ..."); a bad entry is reported as "FILE:LINE: ..." into d.  A
 * proxies_file whose files hold no entry while proxies is empty too is
 * an error (an empty set would trust any peer's count).  Returns 0, or
 * -1 after reporting (cfg->proxies is then incomplete: the caller
 * discards cfg).
 */
int	proxyfiles_load(struct config *cfg, struct dsink *ini, unsigned line,
	    struct diag *d);

#endif
