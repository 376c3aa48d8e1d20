/*
 * listener.h: the gateway's listening socket (SPEC 2, listen =): our own
 * Unix or TCP socket, systemd's (LISTEN_FDS) or spawn-fcgi's (fd 0).
 */
#ifndef XFF_LISTENER_H
#define XFF_LISTENER_H

#include <sys/types.h>

#include <stddef.h>

#include "config.h"

#define SOCKPERM_NAME	64

/* Owner, group and mode of a Unix socket the gateway creates. */
struct sockperm {
	uid_t		 uid;			/* (uid_t)-1: left as created */
	gid_t		 gid;			/* (gid_t)-1: left as created */
	mode_t		 mode;			/* permission bits */
	const char	*uid_key;		/* the key named when chown fails */
	const char	*gid_key;
	char		 uid_name[SOCKPERM_NAME];	/* for messages */
	char		 gid_name[SOCKPERM_NAME];
};

/*
 * Opens the listening socket: listen = when given, else systemd's socket,
 * else fd 0 from spawn-fcgi.  A Unix socket of listen = replaces a stale
 * socket file only (nothing answering on it), and is created mode 0600,
 * given to perm's owner and group, then set to perm's mode before it
 * listens.  *owned is set when the socket is ours (so stopping may shut
 * it down and remove its file).  Returns the descriptor, or -1 with the
 * reason in err (a socket file created is removed again).
 */
int	listener_open(const struct config *cfg, const struct sockperm *perm,
	    int *owned, char *err, size_t errcap);

#endif
