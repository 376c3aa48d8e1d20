/*
 * values.h: validators for the forwarded scheme, host, port and prefix
 * (SPEC 3.3).  Pure functions over counted strings.
 */
#ifndef XFF_VALUES_H
#define XFF_VALUES_H

#include "xstr.h"

/* Returns 1 for "https", 0 for "http" (any ASCII case), -1 for anything else. */
int	value_proto(struct xstr s);

/*
 * Validates an RFC 3986 host with optional ":port": a reg-name of ASCII
 * letters, digits, '-' and '.' (non-empty), an IPv4 literal, or a
 * bracketed IPv6 literal; the port as port_parse().  On success returns 0,
 * sets *host to the host part (IPv6 keeps its brackets) and *port to the
 * port or 0.  Returns -1 otherwise.
 */
int	value_host(struct xstr s, struct xstr *host, unsigned *port);

/*
 * Splits the host part off an HTTP_HOST value as it stands: a value
 * ending in ']' has no port; otherwise everything before the last ':'
 * when there is one.  Never fails; used to replace the port of a Host.
 */
struct xstr host_strip_port(struct xstr hosthdr);

/*
 * Validates a prefix: starts with exactly one '/', only letters, digits
 * and "-._~/", no "//", no "." or ".." segment.  On success returns 0 and
 * sets *out to s without its trailing '/' (empty when s is "/").
 * Returns -1 otherwise.
 */
int	value_prefix(struct xstr s, struct xstr *out);

#endif
