/*
 * listener.c: the gateway's listening socket (see listener.h).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "listener.h"
#include "log.h"

#define LISTEN_BACKLOG		1024
#define SD_LISTEN_FDS_START	3

/* Returns 1 when fd is a listening stream socket. */
static int
is_listening(int fd)
{
	int		on = 0;
	socklen_t	len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1)
		return 0;
	return on != 0;
}

/* Returns systemd's socket (fd 3) when LISTEN_PID/LISTEN_FDS name us, else -1. */
static int
systemd_socket(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char		*end;
	long		 v;

	if (pid == NULL || fds == NULL)
		return -1;
	errno = 0;
	v = strtol(pid, &end, 10);
	if (errno != 0 || end == pid || *end != '\0' || v != (long)getpid())
		return -1;
	errno = 0;
	v = strtol(fds, &end, 10);
	if (errno != 0 || end == fds || *end != '\0' || v < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (v > 1)
		log_msg(LOG_LVL_WARNING, NULL, "systemd passed %ld sockets; "
		    "serving the first only", v);
	return SD_LISTEN_FDS_START;
}

/*
 * Removes the socket file at path when nothing answers on it.  Returns 0
 * (no file, or a stale one removed), or -1 with the reason in err.
 */
static int
remove_stale(const struct sockaddr_un *sun, char *err, size_t errcap)
{
	const char	*path = sun->sun_path;
	struct stat	 st;
	int		 probe, e;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errcap, "listen: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errcap, "listen: %s exists and is not a socket",
		    path);
		return -1;
	}
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(probe);
		snprintf(err, errcap, "listen: %s is in use by another process",
		    path);
		return -1;
	}
	e = errno;
	close(probe);
	if (e != ECONNREFUSED) {
		snprintf(err, errcap, "listen: cannot probe %s: %s", path,
		    strerror(e));
		return -1;
	}
	if (unlink(path) == -1) {
		snprintf(err, errcap, "listen: cannot remove stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Gives the socket file at path the owner, group and mode of perm.
 * Returns 0, or -1 with the reason in err, naming the key concerned.
 */
static int
set_perm(const char *path, const struct sockperm *perm, char *err,
    size_t errcap)
{
	if (perm->uid != (uid_t)-1 && lchown(path, perm->uid, (gid_t)-1) == -1) {
		snprintf(err, errcap, "[gateway] %s: cannot give %s to user %s: "
		    "%s", perm->uid_key, path, perm->uid_name, strerror(errno));
		return -1;
	}
	if (perm->gid != (gid_t)-1 && lchown(path, (uid_t)-1, perm->gid) == -1) {
		snprintf(err, errcap, "[gateway] %s: cannot give %s to group %s: "
		    "%s", perm->gid_key, path, perm->gid_name, strerror(errno));
		return -1;
	}
	if (chmod(path, perm->mode) == -1) {
		snprintf(err, errcap, "[gateway] listen_mode: chmod %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Creates our own Unix listening socket: mode 0600 at bind (nobody else
 * can connect before it has its owner, group and mode), then perm.
 */
static int
listen_unix(const struct config *cfg, const struct sockperm *perm, char *err,
    size_t errcap)
{
	struct sockaddr_un	 sun;
	const char		*path = cfg->listen.path;
	mode_t			 old;
	int			 fd = -1, bound = 0, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errcap, "listen: path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (remove_stale(&sun, err, errcap) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		umask(old);
		snprintf(err, errcap, "listen: bind %s: %s", path, strerror(e));
		goto fail;
	}
	umask(old);
	bound = 1;
	if (set_perm(path, perm, err, errcap) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errcap, "listen: %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (bound)
		unlink(path);
	close(fd);
	return -1;
}

/* Creates our own TCP listening socket. */
static int
listen_tcp(const struct config *cfg, char *err, size_t errcap)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 slen;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (cfg->listen.ip.family == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)cfg->listen.port);
		memcpy(&sin->sin_addr, cfg->listen.ip.a, 4);
		slen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)cfg->listen.port);
		memcpy(&sin6->sin6_addr, cfg->listen.ip.a, 16);
		slen = sizeof(*sin6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, slen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		char	name[160];

		backend_name(&cfg->listen, name, sizeof(name));
		snprintf(err, errcap, "listen: %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens the listening socket; see listener.h. */
int
listener_open(const struct config *cfg, const struct sockperm *perm,
    int *owned, char *err, size_t errcap)
{
	int	fd;

	*owned = 0;
	if (cfg->listen.kind == SOCK_UNIX || cfg->listen.kind == SOCK_TCP) {
		fd = cfg->listen.kind == SOCK_UNIX ?
		    listen_unix(cfg, perm, err, errcap) :
		    listen_tcp(cfg, err, errcap);
		*owned = fd != -1;
		return fd;
	}
	if ((fd = systemd_socket()) != -1) {
		if (!is_listening(fd)) {
			snprintf(err, errcap, "systemd socket (fd 3) is not a "
			    "listening socket");
			return -1;
		}
		return fd;
	}
	if (is_listening(0))
		return 0;
	snprintf(err, errcap, "no listen = in [gateway] and fd 0 is not a "
	    "listening socket (start under spawn-fcgi or systemd, or set "
	    "listen =)");
	return -1;
}
