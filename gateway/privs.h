/*
 * privs.h: who the gateway runs as ([gateway] user, group) and who owns
 * the Unix socket it creates (listen_owner, listen_group, listen_mode).
 */
#ifndef XFF_PRIVS_H
#define XFF_PRIVS_H

#include <sys/types.h>

#include <stddef.h>

#include "config.h"
#include "listener.h"

struct identity {
	int		 drop;		/* 1: become uid/gid after binding */
	uid_t		 uid;
	gid_t		 gid;
	const char	*user;		/* cfg->user, for initgroups */
	struct sockperm	 sock;		/* for a Unix socket of listen = */
};

/*
 * Resolves the names of cfg before anything is bound.  As root: user =
 * is required (unless XFF_GATEWAY_ALLOW_ROOT=1) and must not be root;
 * group = defaults to the user's primary group.  The socket goes to
 * listen_owner, else user; to listen_group, else the gateway's group;
 * mode listen_mode.  Not as root: user and group are ignored with a
 * warning, and only listen_owner and listen_group change the socket's
 * owner and group (the change may then fail at bind time).  Returns 0,
 * or -1 with the reason in err, naming the key (unknown user or group).
 */
int	privs_resolve(const struct config *cfg, struct identity *id, char *err,
	    size_t errcap);

/*
 * Becomes id's user when id->drop: the supplementary groups of the user
 * (initgroups) with id's group added, then the group, then the user;
 * checks that the change took effect and that root cannot be regained.
 * Returns 0 (also when there is nothing to do), or -1 with the reason in
 * err.
 */
int	privs_drop(const struct identity *id, char *err, size_t errcap);

#endif
