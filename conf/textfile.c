/*
 * textfile.c: reading a whole configuration file into memory, bounded in
 * size (see textfile.h).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textfile.h"

/*
 * Opens path for reading as a stream; with TEXTFILE_REGULAR, without
 * blocking on a FIFO, and only a regular file.  Returns the stream, or
 * NULL with the reason in why.
 */
static FILE *
open_text(const char *path, int flags, char *why, size_t whycap)
{
	struct stat	 st;
	FILE		*fp = NULL;
	int		 fd, fl;

	fd = open(path, O_RDONLY | O_CLOEXEC |
	    ((flags & TEXTFILE_REGULAR) ? O_NONBLOCK : 0));
	if (fd == -1) {
		snprintf(why, whycap, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (flags & TEXTFILE_REGULAR) {
		if (fstat(fd, &st) == -1) {
			snprintf(why, whycap, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, whycap, "not a regular file");
			goto fail;
		}
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
			snprintf(why, whycap, "cannot read: %s", strerror(errno));
			goto fail;
		}
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(why, whycap, "cannot read: %s", strerror(errno));
		goto fail;
	}
	return fp;
fail:
	close(fd);
	return NULL;
}

/* Reads the whole file at path, at most max bytes (see textfile.h). */
int
textfile_read(const char *path, size_t max, int flags, char **buf,
    size_t *len, char *why, size_t whycap)
{
	FILE	*fp;
	char	*b = NULL, *nb;
	size_t	 n = 0, cap = 0, got;
	int	 rc = -1;

	if ((fp = open_text(path, flags, why, whycap)) == NULL)
		return -1;
	for (;;) {
		if (cap - n < 4096 + 1) {
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(b, cap)) == NULL) {
				snprintf(why, whycap, "out of memory");
				goto done;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n - 1, fp);
		n += got;
		if (n > max) {
			snprintf(why, whycap, "larger than %zu bytes", max);
			goto done;
		}
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(why, whycap, "cannot read: %s", strerror(errno));
		goto done;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
done:
	free(b);
	fclose(fp);
	return rc;
}
