/*
 * pidfile.c: the pid file (see pidfile.h).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

#define PID_TEXT_MAX	24
#define PID_MODE	0644

/*
 * Reads the process id held by the open file fd: decimal digits and an
 * optional newline, nothing else.  Returns the id, or -1 (not a pid file)
 * or -2 (read error, errno set).
 */
static long
read_pid(int fd)
{
	char	 buf[PID_TEXT_MAX];
	ssize_t	 n;
	long	 v = 0;
	ssize_t	 i;

	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -2;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < 1 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		v = v * 10 + (buf[i] - '0');
	}
	return v >= 1 && v <= INT_MAX ? v : -1;
}

/*
 * Deals with the file already at path: removes it when it holds the id of
 * a process that is gone (or ours).  Returns 0 (removed, or gone in the
 * meantime), or -1 with the reason in err.
 */
static int
remove_stale(const char *path, char *err, size_t errcap)
{
	struct stat	 st;
	long		 pid;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errcap, "[gateway] pid: %s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errcap, "[gateway] pid: %s exists and is not a "
		    "regular file", path);
		close(fd);
		return -1;
	}
	pid = read_pid(fd);
	close(fd);
	if (pid == -2 || pid == -1) {
		snprintf(err, errcap, "[gateway] pid: %s exists and does not "
		    "hold a process id; remove it if it is stale", path);
		return -1;
	}
	if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 ||
	    errno != ESRCH)) {
		snprintf(err, errcap, "[gateway] pid: %s names process %ld, "
		    "which is running: is the gateway already running?",
		    path, pid);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errcap, "[gateway] pid: cannot remove the stale "
		    "%s: %s", path, strerror(errno));
		return -1;
	}
	log_msg(LOG_LVL_INFO, NULL, "removed the stale pid file %s (process "
	    "%ld is gone)", path, pid);
	return 0;
}

/* Writes all of buf to fd; returns 0 or -1 (errno). */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the pid file; see pidfile.h. */
int
pidfile_write(struct pidfile *pf, const char *path, char *err, size_t errcap)
{
	struct stat	 st;
	char		 text[PID_TEXT_MAX];
	int		 fd = -1, n, tries, e;

	memset(pf, 0, sizeof(*pf));
	for (tries = 0; fd == -1; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, PID_MODE);
		if (fd != -1)
			break;
		if (errno != EEXIST || tries == 1) {
			snprintf(err, errcap, "[gateway] pid: cannot create %s: "
			    "%s", path, strerror(errno));
			return -1;
		}
		if (remove_stale(path, err, errcap) == -1)
			return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(text) || fchmod(fd, PID_MODE) == -1 ||
	    write_all(fd, text, (size_t)n) == -1 || fstat(fd, &st) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	if ((pf->path = strdup(path)) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(path);
	snprintf(err, errcap, "[gateway] pid: cannot write %s: %s", path,
	    strerror(e));
	return -1;
}

/* Removes the pid file when it is still ours; see pidfile.h. */
void
pidfile_remove(struct pidfile *pf)
{
	struct stat	 st;
	long		 pid = -1;
	int		 fd;

	if (pf->path == NULL)
		return;
	fd = open(pf->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd != -1) {
		if (fstat(fd, &st) == 0 && st.st_dev == pf->dev &&
		    st.st_ino == pf->ino)
			pid = read_pid(fd);
		close(fd);
	}
	if (pid != (long)getpid())
		log_msg(LOG_LVL_DEBUG, NULL, "pid file %s is no longer ours: "
		    "left alone", pf->path);
	else if (unlink(pf->path) == -1)
		log_msg(LOG_LVL_DEBUG, NULL, "pid file %s kept: cannot remove "
		    "it: %s (it is replaced at the next start)", pf->path,
		    strerror(errno));
	free(pf->path);
	pf->path = NULL;
}
