/*
 * proxylist.h: trusted proxy lists kept in files ([trust] proxies_file):
 * the paths named by the key, the text of a list, and the trusted set
 * they are united into.  Pure code: the caller (conf/proxyfile.c) reads
 * the files.
 */
#ifndef XFF_PROXYLIST_H
#define XFF_PROXYLIST_H

#include <stddef.h>
#include "diag.h"
#include "ipaddr.h"

/* The most networks in a trusted set (proxies and every file together). */
#define PROXYLIST_MAX_ENTRIES	65536
/* The largest list file read, in bytes. */
#define PROXYLIST_FILE_MAX	(4 * 1024 * 1024)
/* The most files proxies_file may name. */
#define PROXYLIST_MAX_FILES	64
/* Errors reported for one file before its reading stops. */
#define PROXYLIST_MAX_ERRORS	20

/*
 * Splits the value of proxies_file (paths separated by white space) into
 * *outv / *outn, replacing them.  A relative path is taken relative to
 * the directory of inipath (the INI file naming it), so the result is
 * absolute whenever inipath is.  Reports "[trust] proxies_file: ..." to
 * ds for a path holding a control character, too long a path and too
 * many paths.  Returns 0, or -1 after reporting (the outputs unchanged).
 */
int	proxylist_paths(struct dsink *ds, const char *inipath, const char *val,
	    char ***outv, size_t *outn);

/*
 * Parses the text of one list file (len bytes, NUL bytes included) and
 * appends its networks to set: one IP address or CIDR per line; '#'
 * starts a comment that runs to the end of the line; white space around
 * the entry and blank lines are ignored; CRLF line ends are accepted.
 * Every problem goes to ds (whose path is the list file's) as
 * "FILE:LINE: ...": an entry that is not an address or a CIDR, two
 * entries on one line, a NUL byte, a set growing past
 * PROXYLIST_MAX_ENTRIES (reading stops), and after PROXYLIST_MAX_ERRORS
 * errors reading stops too; host bits set give a warning.  Returns 0, or
 * -1 after reporting (set then holds what was appended before the error:
 * the caller discards it).
 */
int	proxylist_parse(struct dsink *ds, const char *text, size_t len,
	    struct cidrset *set);

/*
 * Removes every network that appears earlier in set (same family, prefix
 * length and network address), keeping the order of the first ones.
 * Returns 0, or -1 when memory ran out (set unchanged).
 */
int	proxylist_dedupe(struct cidrset *set);

#endif
