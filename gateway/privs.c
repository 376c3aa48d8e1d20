/*
 * privs.c: the gateway's user and group, and the owner of its socket
 * (see privs.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

/*
 * Looks up the user name into *uid (and its primary group into *gid when
 * not NULL).  Returns 0, or -1 with the reason in err, naming key.
 */
static int
lookup_user(const char *key, const char *name, uid_t *uid, gid_t *gid,
    char *err, size_t errcap)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH)
			snprintf(err, errcap, "[gateway] %s: unknown user %s",
			    key, name);
		else
			snprintf(err, errcap, "[gateway] %s: cannot look up "
			    "user %s: %s", key, name, strerror(errno));
		return -1;
	}
	*uid = pw->pw_uid;
	if (gid != NULL)
		*gid = pw->pw_gid;
	return 0;
}

/* Looks up the group name into *gid; -1 with the reason in err, naming key. */
static int
lookup_group(const char *key, const char *name, gid_t *gid, char *err,
    size_t errcap)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH)
			snprintf(err, errcap, "[gateway] %s: unknown group %s",
			    key, name);
		else
			snprintf(err, errcap, "[gateway] %s: cannot look up "
			    "group %s: %s", key, name, strerror(errno));
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/*
 * As root: the user and group to drop to, and the socket's defaults.
 * Returns 0 or -1 with the reason in err.
 */
static int
resolve_root(const struct config *cfg, struct identity *id, char *err,
    size_t errcap)
{
	const char	*allow = getenv("XFF_GATEWAY_ALLOW_ROOT");

	if (cfg->user == NULL) {
		if (allow != NULL && strcmp(allow, "1") == 0) {
			log_msg(LOG_LVL_WARNING, NULL, "running as root "
			    "(XFF_GATEWAY_ALLOW_ROOT=1)");
			return 0;
		}
		snprintf(err, errcap, "refusing to run as root: set user = "
		    "(and group =) in [gateway], or XFF_GATEWAY_ALLOW_ROOT=1");
		return -1;
	}
	if (lookup_user("user", cfg->user, &id->uid, &id->gid, err,
	    errcap) == -1)
		return -1;
	if (cfg->group != NULL && lookup_group("group", cfg->group, &id->gid,
	    err, errcap) == -1)
		return -1;
	if (id->uid == 0) {
		snprintf(err, errcap, "[gateway] user: %s is root; name an "
		    "unprivileged user", cfg->user);
		return -1;
	}
	id->drop = 1;
	id->user = cfg->user;
	id->sock.uid = id->uid;
	id->sock.uid_key = "user";
	snprintf(id->sock.uid_name, sizeof(id->sock.uid_name), "%s",
	    cfg->user);
	id->sock.gid = id->gid;
	id->sock.gid_key = cfg->group != NULL ? "group" : "user";
	if (cfg->group != NULL)
		snprintf(id->sock.gid_name, sizeof(id->sock.gid_name), "%s",
		    cfg->group);
	else
		snprintf(id->sock.gid_name, sizeof(id->sock.gid_name), "%lu",
		    (unsigned long)id->gid);
	return 0;
}

/* Resolves user, group and the socket's owner; see privs.h. */
int
privs_resolve(const struct config *cfg, struct identity *id, char *err,
    size_t errcap)
{
	memset(id, 0, sizeof(*id));
	id->sock.uid = (uid_t)-1;
	id->sock.gid = (gid_t)-1;
	id->sock.mode = (mode_t)cfg->listen_mode;
	if (geteuid() == 0) {
		if (resolve_root(cfg, id, err, errcap) == -1)
			return -1;
	} else if (cfg->user != NULL || cfg->group != NULL)
		log_msg(LOG_LVL_WARNING, NULL, "user/group ignored: not started "
		    "as root");
	if (cfg->listen.kind != SOCK_UNIX)
		return 0;
	if (cfg->listen_owner != NULL) {
		if (lookup_user("listen_owner", cfg->listen_owner, &id->sock.uid,
		    NULL, err, errcap) == -1)
			return -1;
		id->sock.uid_key = "listen_owner";
		snprintf(id->sock.uid_name, sizeof(id->sock.uid_name), "%s",
		    cfg->listen_owner);
	}
	if (cfg->listen_group != NULL) {
		if (lookup_group("listen_group", cfg->listen_group,
		    &id->sock.gid, err, errcap) == -1)
			return -1;
		id->sock.gid_key = "listen_group";
		snprintf(id->sock.gid_name, sizeof(id->sock.gid_name), "%s",
		    cfg->listen_group);
	}
	return 0;
}

/* Becomes id's user with its supplementary groups; see privs.h. */
int
privs_drop(const struct identity *id, char *err, size_t errcap)
{
	if (!id->drop)
		return 0;
	if (initgroups(id->user, id->gid) == -1 || setgid(id->gid) == -1 ||
	    setuid(id->uid) == -1) {
		snprintf(err, errcap, "dropping privileges to %s: %s", id->user,
		    strerror(errno));
		return -1;
	}
	if (getuid() != id->uid || geteuid() != id->uid ||
	    getgid() != id->gid || getegid() != id->gid || setuid(0) != -1) {
		snprintf(err, errcap, "dropping privileges to %s did not take "
		    "effect", id->user);
		return -1;
	}
	return 0;
}
