/*
 * escape.c: escaping of untrusted bytes for log lines and --explain.
 */
#include "escape.h"

static const char	hexdig[] = "0123456789abcdef";

/* Returns 1 when the log escape leaves c as it is. */
static int
log_plain(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '\\' && c != '=' && c != '"';
}

/* Returns 1 when the --explain escape leaves c as it is. */
static int
explain_plain(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '\\';
}

/* Writes c, escaped when plain is 0, at out; returns the bytes written. */
static size_t
put(unsigned char c, int plain, char *out)
{
	if (plain) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hexdig[c >> 4];
	out[3] = hexdig[c & 0xf];
	return 4;
}

/* Returns the escaped length of p[0..len) under the log escape. */
static size_t
log_len(const char *p, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++)
		n += log_plain((unsigned char)p[i]) ? 1 : 4;
	return n;
}

/* Log escaping, at most max input bytes, "..." when cut (escape.h). */
size_t
escape_log(struct xstr s, size_t max, char *out, size_t cap)
{
	size_t		 i, w = 0, lim, room;
	unsigned char	 c;
	int		 cut, plain;

	if (cap == 0)
		return 0;
	lim = s.len < max ? s.len : max;
	cut = s.len > max;
	room = cap - 1;
	if (log_len(s.p, lim) + (cut ? 3 : 0) > room) {
		/* it will be cut: keep room for "..." */
		cut = 1;
		room = room >= 3 ? room - 3 : 0;
	}
	for (i = 0; i < lim; i++) {
		c = (unsigned char)s.p[i];
		plain = log_plain(c);
		if (w + (plain ? 1 : 4) > room)
			break;
		w += put(c, plain, out + w);
	}
	if (cut && w + 3 <= cap - 1) {
		out[w++] = '.';
		out[w++] = '.';
		out[w++] = '.';
	}
	out[w] = '\0';
	return w;
}

/* --explain escaping; returns the full length needed (escape.h). */
size_t
escape_explain(struct xstr s, char *out, size_t cap)
{
	size_t		 i, w = 0, full = 0, n;
	unsigned char	 c;
	int		 plain;

	for (i = 0; i < s.len; i++) {
		c = (unsigned char)s.p[i];
		plain = explain_plain(c);
		n = plain ? 1 : 4;
		if (full == w && cap > 0 && w + n <= cap - 1)
			w += put(c, plain, out + w);
		full += n;
	}
	if (cap > 0)
		out[w] = '\0';
	return full;
}
