/*
 * escape.h: escaping of untrusted bytes for log lines and --explain.
 */
#ifndef XFF_ESCAPE_H
#define XFF_ESCAPE_H

#include <stddef.h>
#include "xstr.h"

/*
 * Log escaping (SPEC 3.8): every byte outside printable ASCII (0x21-0x7e),
 * and space, '\\', '=' and '"', becomes "\xHH" (lower-case hex).  At most
 * max input bytes are escaped; when s is longer, "..." is appended.
 * Writes at most cap - 1 bytes and a NUL; never splits an escape.  Returns
 * the length written.
 */
size_t	escape_log(struct xstr s, size_t max, char *out, size_t cap);

/*
 * --explain escaping (SPEC 4): '\\', CR, LF and every byte outside
 * printable ASCII other than space become "\xHH"; spaces stay.  Writes
 * at most cap - 1 bytes and a NUL; returns the length the full escape
 * would need (like snprintf), so callers can size buffers.
 */
size_t	escape_explain(struct xstr s, char *out, size_t cap);

#endif
