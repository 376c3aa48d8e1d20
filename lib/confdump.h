/*
 * confdump.h: the effective configuration written back as INI text, as
 * xff-gateway -T prints it.
 */
#ifndef XFF_CONFDUMP_H
#define XFF_CONFDUMP_H

#include <stddef.h>
#include "config.h"

/*
 * Receives one line of the text without its newline (line[len] is a
 * NUL).  Returns 0 to go on, -1 to stop.
 */
typedef int	(*confdump_line_fn)(void *arg, const char *line, size_t len);

/*
 * Writes cfg as INI text, one line per call of fn: every section and
 * every key in the order of etc/xff-gateway.ini, defaults included, with
 * header_required resolved, address lists as canonical CIDRs ("unix:"
 * last), strip_headers as header names, and the exempt patterns and any
 * value holding ';' or '#' quoted.  proxies lists the whole trusted set,
 * the networks of proxies_file included, and proxies_file its paths as
 * resolved; when that proxies line would be longer than the INI parser
 * reads, comment lines list the whole set and proxies holds only the
 * networks written in the key.  When the file had no [gateway] section,
 * that section is written commented out, with its defaults.  config_load
 * reads the text back to the same configuration (as long as the files of
 * proxies_file are unchanged).
 *
 * Returns 0, or -1 with a message in err (errcap bytes, NUL-terminated):
 * fn returned -1, memory ran out, or a value cannot be written in INI
 * syntax (it would need quotes and holds both ' and ").
 */
int	confdump(const struct config *cfg, confdump_line_fn fn, void *arg,
	    char *err, size_t errcap);

#endif
