/*
 * textfile.h: reading a whole configuration file (the INI file, a proxy
 * list) into memory, bounded in size.
 */
#ifndef XFF_TEXTFILE_H
#define XFF_TEXTFILE_H

#include <stddef.h>

/* textfile_read flags: refuse anything but a regular file (a FIFO or a
 * terminal would block the reading; opening never blocks). */
#define TEXTFILE_REGULAR	1

/*
 * Reads the whole file at path into *buf (malloc'ed, NUL-terminated; NUL
 * bytes in the file are kept) and its length into *len.  A file larger
 * than max bytes is refused, and with TEXTFILE_REGULAR in flags anything
 * but a regular file.  Returns 0, or -1 with the reason in why (whycap
 * bytes, NUL-terminated), such as "cannot open: No such file or
 * directory", "not a regular file" or "larger than 1048576 bytes".
 */
int	textfile_read(const char *path, size_t max, int flags, char **buf,
	    size_t *len, char *why, size_t whycap);

#endif
