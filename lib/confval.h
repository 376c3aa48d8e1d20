/*
 * confval.h: parsing and checking the values of configuration keys
 * (SPEC 2).  Pure code: problems are reported to a struct dsink, naming
 * the section and key.
 */
#ifndef XFF_CONFVAL_H
#define XFF_CONFVAL_H

#include <stddef.h>
#include "config.h"
#include "diag.h"
#include "xstr.h"

/* Separators of address and header lists, and of exempt patterns. */
#define LIST_SEPS	" \t\r\n\v\f,"
#define WORD_SEPS	" \t\r\n\v\f"

/* Returns a malloc'ed copy of the n bytes at p plus a NUL, or NULL. */
char	*conf_dupn(const char *p, size_t n);

/*
 * Splits s at the bytes of seps: on each call returns the next non-empty
 * field (as a counted string) and advances *pos; .p NULL at the end.
 */
struct xstr conf_nextfield(const char *s, size_t *pos, const char *seps);

/* Parses yes/no/true/false/on/off/1/0 (any case): 0 with *out set, or -1. */
int	conf_parse_bool(const char *s, int *out);

/*
 * Parses a non-empty string of decimal digits; values above 10^9 are
 * saturated to 10^9 + 1 (out of every range used here).  Returns 0 or -1.
 */
int	conf_parse_digits(const char *s, long *out);

/*
 * Parses seconds: digits, optionally '.' and more digits ("5", "0.5").
 * No sign, exponent, hex or unit.  Returns 0 with *out set, or -1.
 */
int	conf_parse_seconds(const char *s, double *out);

/* Parses a file mode: 1 to 4 octal digits, at most 0777.  Returns 0 or -1. */
int	conf_parse_mode(const char *s, int *out);

/* Releases the networks of a set and empties it. */
void	conf_cidrset_free(struct cidrset *set);

/*
 * Parses an address list (CIDRs, IPs, "unix:", separated by whitespace or
 * commas) into *out, replacing it.  Host bits give a warning.  Returns 0,
 * or -1 after reporting the problems (*out unchanged).
 */
int	conf_parse_cidrs(struct dsink *ds, const char *sec, const char *key,
	    const char *val, struct cidrset *out);

/* Releases a list of n strings. */
void	conf_strv_free(char **v, size_t n);

/*
 * Parses strip_headers (HTTP tokens separated by whitespace or commas)
 * into CGI names in *outv / *outn, replacing them.  Returns 0, or -1
 * after reporting the problems (the outputs unchanged).
 */
int	conf_parse_strip(struct dsink *ds, const char *val, char ***outv,
	    size_t *outn);

/* Releases the exempt patterns of cfg. */
void	conf_exempt_free(struct config *cfg);

/*
 * Compiles exempt (POSIX extended regexes separated by whitespace) into
 * cfg, replacing the previous patterns.  Refuses patterns too costly for
 * regcomp and warns about patterns that can never match.  Returns 0, or
 * -1 after reporting the problems.
 */
int	conf_parse_exempt(struct dsink *ds, const char *val,
	    struct config *cfg);

#endif
