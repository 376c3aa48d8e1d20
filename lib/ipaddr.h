/*
 * ipaddr.h: IP literals, network nodes (address with optional port) and
 * CIDR sets.  Strict parsing, canonical output, no name resolution.
 */
#ifndef XFF_IPADDR_H
#define XFF_IPADDR_H

#include <stddef.h>
#include "xstr.h"

/* Longest canonical text of an address: IPv6 with embedded IPv4, plus NUL. */
#define IP_TEXT_MAX	46

struct ip {
	int		family;		/* 4 or 6 */
	unsigned char	a[16];		/* IPv4 in a[0..3]; IPv6 in a[0..15] */
};

/*
 * Parses a bare IP literal: dotted-quad IPv4 (four decimal octets 0-255,
 * no leading zeros, no other forms) or IPv6 text per RFC 4291 (hex groups
 * of 1-4 digits, one "::", optional trailing dotted-quad).  No brackets,
 * port or zone.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is stored
 * as IPv4.  Returns 0 on success, -1 otherwise.
 */
int	ip_parse(struct xstr s, struct ip *ip);

/*
 * Parses a node as found in X-Forwarded-For or a Forwarded "for": an IP
 * literal, "ip:port" (IPv4 only), "[v6]" or "[v6]:port"; an IPv6 zone
 * ("%name", or "%25name" inside brackets) is dropped, and a zone holding
 * anything but letters, digits, '.', '_', '~' and '-' is rejected.  Port:
 * decimal 1-65535 without a leading zero.  0.0.0.0 and :: are rejected.
 * On success returns 0, fills *ip and sets *port to the port or 0 when
 * none was given.  Returns -1 otherwise.
 */
int	ip_parse_node(struct xstr s, struct ip *ip, unsigned *port);

/*
 * Writes the canonical text of ip into buf (at least IP_TEXT_MAX bytes):
 * IPv4 dotted-quad, IPv6 per RFC 5952 (lower case, longest run of two or
 * more zero groups compressed, the first on a tie).  Returns the length
 * (buf is NUL-terminated).
 */
size_t	ip_format(const struct ip *ip, char *buf);

/*
 * Parses a decimal port: 1-65535, digits only, no leading zero.
 * Returns the port or 0 when s is not one.
 */
unsigned port_parse(struct xstr s);

struct cidr {
	struct ip	net;
	unsigned	plen;		/* 0-32 for IPv4, 0-128 for IPv6 */
};

/*
 * Parses "ip" or "ip/len" (len decimal, no leading zero, within range).
 * A plain ip is a host route (/32 or /128).  An IPv4-mapped IPv6 network
 * with len >= 96 becomes the IPv4 network of len - 96.  Host bits are
 * cleared in c->net; *hostbits is set to 1 when some were set.  Returns 0
 * on success, -1 otherwise.
 */
int	cidr_parse(struct xstr s, struct cidr *c, int *hostbits);

/* Returns 1 when ip lies in c (families must agree), else 0. */
int	cidr_match(const struct cidr *c, const struct ip *ip);

/* A set of networks plus the word "unix:" (matches peers that are not IPs). */
struct cidrset {
	struct cidr	*v;
	size_t		 n;
	int		 has_unix;
};

/*
 * Returns 1 when the peer text matches the set: an IP literal (as with
 * ip_parse) inside one of the networks, or, when has_unix is set, any
 * peer that is not an IP literal (such as nginx's "unix:").  An empty
 * set matches nothing.
 */
int	cidrset_match_peer(const struct cidrset *set, struct xstr peer);

/* Returns 1 when ip lies in one of the networks of set. */
int	cidrset_match_ip(const struct cidrset *set, const struct ip *ip);

#endif
