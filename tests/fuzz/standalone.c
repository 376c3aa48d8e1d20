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
 * makes the exit status 1, and so does an input that makes the process
 * use more than MEM_PEAK_MB of memory (libFuzzer's out-of-memory
 * finding), checked after each input.  So that such an input cannot
 * exhaust the machine, the address space is capped at MEM_CAP_MB
 * (under AddressSanitizer, which reserves a large address space, its
 * hard_rss_limit_mb does the same).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#elif !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE	200809L
#endif

#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MEM_PEAK_MB	256
#define MEM_CAP_MB	512

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(UNDER_ASAN)
#define UNDER_ASAN	1
#endif

#ifdef UNDER_ASAN
const char	*__asan_default_options(void);

/* Read by AddressSanitizer at start: cap the memory as setrlimit would. */
const char *
__asan_default_options(void)
{
	return "hard_rss_limit_mb=1024";
}
#endif

static size_t	ninputs;
static int	mem_failed;

/* Caps the address space (not under AddressSanitizer). */
static void
cap_memory(void)
{
#ifndef UNDER_ASAN
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)MEM_CAP_MB * 1024 * 1024;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		fprintf(stderr, "setrlimit: %s\n", strerror(errno));
#endif
}

/* Fails the run when the peak memory use went above MEM_PEAK_MB. */
static void
check_memory(const char *path)
{
	struct rusage	ru;

	if (mem_failed || getrusage(RUSAGE_SELF, &ru) == -1)
		return;
	if (ru.ru_maxrss / 1024 > MEM_PEAK_MB) {
		fprintf(stderr, "%s: out of memory: peak %ld MB, more than "
		    "%d MB\n", path, ru.ru_maxrss / 1024, MEM_PEAK_MB);
		mem_failed = 1;
	}
}

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
	check_memory(path);
	rc = mem_failed ? -1 : 0;
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

	cap_memory();
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
