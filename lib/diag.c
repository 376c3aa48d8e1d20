/*
 * diag.c: messages from checking a configuration file.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* reallocarray */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "escape.h"

/* Longest message text before the "WHERE: " prefix. */
#define MSG_MAX		4096

/* Prepares an empty message list. */
void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

/*
 * Appends a formatted message.  When memory runs out the message is
 * lost but an error is still counted, so a load never passes silently.
 */
void
diag_add(struct diag *d, int is_error, const char *fmt, ...)
{
	va_list	  ap;
	char	 *s, **nm;
	int	 *ne, len;

	if (is_error)
		d->nerrors++;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if ((nm = reallocarray(d->msg, d->n + 1, sizeof(*nm))) == NULL) {
		free(s);
		return;
	}
	d->msg = nm;
	if ((ne = reallocarray(d->is_error, d->n + 1, sizeof(*ne))) == NULL) {
		free(s);
		return;
	}
	d->is_error = ne;
	d->msg[d->n] = s;
	d->is_error[d->n] = is_error ? 1 : 0;
	d->n++;
}

/* Releases the messages. */
void
diag_free(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	free(d->is_error);
	memset(d, 0, sizeof(*d));
}

/* Prepares a sink for the file at path. */
void
dsink_init(struct dsink *s, const char *path, struct diag *d)
{
	memset(s, 0, sizeof(*s));
	escape_log(xstr_c(path), DIAG_PATH_MAX, s->epath, sizeof(s->epath));
	s->d = d;
}

/* Adds "WHERE: message" to the sink's messages. */
static void
dvsay(struct dsink *s, int is_error, const char *where, const char *fmt,
    va_list ap)
{
	char	 msg[MSG_MAX];

	if (is_error)
		s->failed = 1;
	if (s->d == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(s->d, is_error, "%s: %s", where, msg);
}

/* Adds "PATH: message". */
void
dsay(struct dsink *s, int is_error, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dvsay(s, is_error, s->epath, fmt, ap);
	va_end(ap);
}

/* Adds "PATH:LINE: message" as an error or a warning. */
static void
dvsayline(struct dsink *s, int is_error, unsigned line, const char *fmt,
    va_list ap)
{
	char	 where[DIAG_PATH_CAP + 16];

	snprintf(where, sizeof(where), "%s:%u", s->epath, line);
	dvsay(s, is_error, where, fmt, ap);
}

/* Adds the error "PATH:LINE: message". */
void
dsayline(struct dsink *s, unsigned line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dvsayline(s, 1, line, fmt, ap);
	va_end(ap);
}

/* Adds the warning "PATH:LINE: message". */
void
dwarnline(struct dsink *s, unsigned line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dvsayline(s, 0, line, fmt, ap);
	va_end(ap);
}

/* Adds "PATH: [sec] key: message". */
void
dsaykey(struct dsink *s, int is_error, const char *sec, const char *key,
    const char *fmt, ...)
{
	char	 where[DIAG_PATH_CAP + 2 * DIAG_ESC_CAP + 8];
	char	 esec[DIAG_ESC_CAP], ekey[DIAG_ESC_CAP];
	va_list	 ap;

	snprintf(where, sizeof(where), "%s: [%s] %s", s->epath,
	    diag_esc(sec, esec), diag_esc(key, ekey));
	va_start(ap, fmt);
	dvsay(s, is_error, where, fmt, ap);
	va_end(ap);
}

/* Adds the error "PATH: out of memory". */
void
dnomem(struct dsink *s)
{
	dsay(s, 1, "out of memory");
}

/* Escapes the first DIAG_SHOW_MAX bytes of s into e. */
const char *
diag_esc(const char *s, char *e)
{
	escape_log(xstr_c(s), DIAG_SHOW_MAX, e, DIAG_ESC_CAP);
	return e;
}

/* Escapes the counted string s like diag_esc(). */
const char *
diag_escx(struct xstr s, char *e)
{
	escape_log(s, DIAG_SHOW_MAX, e, DIAG_ESC_CAP);
	return e;
}
