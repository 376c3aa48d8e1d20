/*
 * standalone.c: a main() for the fuzz harnesses without libFuzzer, so
 * that make check replays the committed inputs with the normal compiler.
 *
 *	regress_NAME [FILE|DIR ...]
 *
 * Each FILE, and each regular file inside each DIR, is read whole and
 * passed once to LLVMFuzzerTestOneInput.  Without arguments it replays
 * FUZZ_DIR/corpus/FUZZ_NAME (which must hold at least one file) and
 * FUZZ_DIR/regress/FUZZ_NAME (the inputs of past findings, when
 * present).  A harness that finds a problem aborts; an unreadable input
 * makes the exit status 1.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE	200809L
#endif

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t	ninputs;

/* Reads the file at path and runs the harness on it once. Returns 0 or -1. */
static int
run_file(const char *path)
{
	FILE		*fp;
	unsigned char	*buf = NULL, *nb;
	size_t		 len = 0, cap = 0, n;
	int		 rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				goto done;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: read error\n", path);
		goto done;
	}
	/* an exact-size copy, so a sanitizer sees any overrun */
	if ((nb = malloc(len > 0 ? len : 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto done;
	}
	if (len > 0)
		memcpy(nb, buf, len);
	LLVMFuzzerTestOneInput(nb, len);
	free(nb);
	ninputs++;
	rc = 0;
done:
	free(buf);
	fclose(fp);
	return rc;
}

/*
 * Runs every regular file of a directory (or the file itself).  A path
 * that does not exist is an error unless optional is set.  Returns 0 or
 * -1.
 */
static int
run_path(const char *path, int optional)
{
	struct stat	 st;
	DIR		*dir;
	struct dirent	*de;
	char		 sub[4096];
	int		 rc = 0, n;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT && optional)
			return 0;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((dir = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			fprintf(stderr, "%s/%s: path too long\n", path,
			    de->d_name);
			rc = -1;
			continue;
		}
		if (stat(sub, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(sub) == -1)
			rc = -1;
	}
	closedir(dir);
	return rc;
}

/* Replays the inputs named on the command line, or the committed ones. */
int
main(int argc, char *argv[])
{
	char	path[4096];
	int	i, rc = 0, n;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i], 0) == -1)
				rc = 1;
		printf("%zu inputs replayed\n", ninputs);
		return rc;
	}
#if defined(FUZZ_DIR) && defined(FUZZ_NAME)
	n = snprintf(path, sizeof(path), "%s/corpus/%s", FUZZ_DIR, FUZZ_NAME);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    run_path(path, 0) == -1)
		return 1;
	if (ninputs == 0) {
		fprintf(stderr, "%s: no inputs\n", path);
		return 1;
	}
	n = snprintf(path, sizeof(path), "%s/regress/%s", FUZZ_DIR, FUZZ_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 1;
	if (run_path(path, 1) == -1)
		rc = 1;
	printf("%s: %zu inputs replayed\n", FUZZ_NAME, ninputs);
	return rc;
#else
	(void)path;
	(void)n;
	fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
	return 1;
#endif
}
