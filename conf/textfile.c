/*
 * textfile.c: reading a whole configuration file into memory, bounded in
 * size (see textfile.h).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfile.h"

/* Reads the whole file at path, at most max bytes (see textfile.h). */
int
textfile_read(const char *path, size_t max, char **buf, size_t *len,
    char *why, size_t whycap)
{
	FILE	*fp;
	char	*b = NULL, *nb;
	size_t	 n = 0, cap = 0, got;
	int	 rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, whycap, "cannot open: %s", strerror(errno));
		return -1;
	}
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
