/*
 * diag.h: messages from checking a configuration file.  Errors make a
 * load fail; warnings do not.  Every message names the file, and where
 * it can the line or the section and key.
 */
#ifndef XFF_DIAG_H
#define XFF_DIAG_H

#include <stddef.h>
#include "xstr.h"

/* Bytes of a value quoted in a message; longer values end in "...". */
#define DIAG_SHOW_MAX	200
#define DIAG_ESC_CAP	(DIAG_SHOW_MAX * 4 + 8)
#define DIAG_PATH_MAX	1024
#define DIAG_PATH_CAP	(DIAG_PATH_MAX * 4 + 8)

/* The messages of a load. */
struct diag {
	char		**msg;
	int		 *is_error;
	size_t		  n;
	size_t		  nerrors;
};

/* Where the messages about one file go, and whether one was an error. */
struct dsink {
	char		 epath[DIAG_PATH_CAP];	/* the file's name, escaped */
	struct diag	*d;			/* NULL: messages are dropped */
	int		 failed;		/* an error was reported */
};

void	diag_init(struct diag *d);
/* Appends a formatted message; is_error 1 for an error, 0 for a warning. */
void	diag_add(struct diag *d, int is_error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	diag_free(struct diag *d);

/* Prepares a sink for the file at path (d may be NULL). */
void	dsink_init(struct dsink *s, const char *path, struct diag *d);
/* Adds "PATH: message" as an error (is_error 1) or a warning. */
void	dsay(struct dsink *s, int is_error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Adds the error "PATH:LINE: message". */
void	dsayline(struct dsink *s, unsigned line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Adds the warning "PATH:LINE: message". */
void	dwarnline(struct dsink *s, unsigned line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Adds "PATH: [sec] key: message" as an error or a warning. */
void	dsaykey(struct dsink *s, int is_error, const char *sec,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Adds the error "PATH: out of memory". */
void	dnomem(struct dsink *s);

/* Escapes the first DIAG_SHOW_MAX bytes of s into e (DIAG_ESC_CAP bytes). */
const char *diag_esc(const char *s, char *e);
/* Escapes the counted string s like diag_esc(). */
const char *diag_escx(struct xstr s, char *e);

#endif
