/*
 * daemon.c: the gateway's process: start-up in order (log target,
 * listening socket, pid file, privilege drop), a pool of worker threads
 * each looping on FCGX_Accept_r (no accept mutex), and the main thread
 * waiting for signals: SIGHUP reloads the configuration, SIGUSR1 reopens
 * the log file, SIGTERM/SIGINT stop accepting and let requests in flight
 * finish.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cfgref.h"
#include "clock.h"
#include "dispatch.h"
#include "fcgx.h"
#include "confload.h"
#include "backend.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "logfmt.h"
#include "pidfile.h"
#include "privs.h"
#include "pool.h"
#include "stats.h"

static int		 listen_fd = -1;
/* the Unix socket file we created: a reload may name another listen = */
static char		 listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int		 debug_mode;

/* Copies msg into buf with control bytes replaced, for log lines. */
static const char *
printable(const char *msg, char *buf, size_t cap)
{
	size_t	i;

	for (i = 0; msg[i] != '\0' && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)msg[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

/* Writes a start-up error to stderr, and to the log when that is elsewhere. */
static void
fatal_msg(const char *msg)
{
	fprintf(stderr, "xff-gateway: %s\n", msg);
	if (!log_on_stderr())
		log_msg(LOG_LVL_ERROR, NULL, "%s", msg);
}

/* Logs the trusted proxies and depths of cfg, loaded from path (info). */
static void
log_config(const struct config *cfg, const char *path)
{
	char	line[2048];

	if (!log_enabled(LOG_LVL_INFO))
		return;
	logfmt_config(cfg, path, line, sizeof(line));
	log_msg(LOG_LVL_INFO, NULL, "config %s", line);
}

/* Returns 1 when the strings a and b (either may be NULL) differ. */
static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* Appends ", name" (or name first) to the list keys when changed. */
static void
add_key(char *keys, size_t cap, int changed, const char *name)
{
	size_t	n = strlen(keys);
	int	k;

	if (!changed)
		return;
	k = snprintf(keys + n, cap - n, "%s%s", n > 0 ? ", " : "", name);
	if (k < 0 || (size_t)k >= cap - n)
		keys[n] = '\0';
}

/*
 * Logs the keys whose new values in b only take effect at the next start
 * (the socket, the workers, the identity, the pid file).
 */
static void
restart_only(const struct config *a, const struct config *b)
{
	char	keys[160];

	keys[0] = '\0';
	add_key(keys, sizeof(keys), memcmp(&a->listen, &b->listen,
	    sizeof(a->listen)) != 0, "listen");
	add_key(keys, sizeof(keys), str_differ(a->listen_owner,
	    b->listen_owner), "listen_owner");
	add_key(keys, sizeof(keys), str_differ(a->listen_group,
	    b->listen_group), "listen_group");
	add_key(keys, sizeof(keys), a->listen_mode != b->listen_mode,
	    "listen_mode");
	add_key(keys, sizeof(keys), a->workers != b->workers, "workers");
	add_key(keys, sizeof(keys), a->max_conns != b->max_conns,
	    "max_conns");
	add_key(keys, sizeof(keys), str_differ(a->user, b->user), "user");
	add_key(keys, sizeof(keys), str_differ(a->group, b->group), "group");
	add_key(keys, sizeof(keys), str_differ(a->pid_file, b->pid_file),
	    "pid");
	if (keys[0] != '\0')
		log_msg(LOG_LVL_WARNING, NULL, "reload: [gateway] %s: changes "
		    "take effect at the next start", keys);
}

/* Reloads the configuration file; keeps the old one on any error. */
static void
reload(const char *cfgpath)
{
	struct cfgref	*c, *old;
	struct diag	 d;
	char		 buf[1024];
	size_t		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_msg(LOG_LVL_ERROR, NULL, "reload failed: out of memory");
		return;
	}
	diag_init(&d);
	if (config_load(cfgpath, &c->cfg, &d) == -1) {
		for (i = 0; i < d.n; i++)
			if (d.is_error[i])
				log_msg(LOG_LVL_ERROR, NULL, "reload failed, "
				    "keeping the old configuration: %s",
				    printable(d.msg[i], buf, sizeof(buf)));
		if (d.nerrors == 0)
			log_msg(LOG_LVL_ERROR, NULL, "reload failed, keeping "
			    "the old configuration: %s", cfgpath);
		diag_free(&d);
		free(c);
		STATS_INC(stats.reloads_failed);
		return;
	}
	if (c->cfg.backend.kind == SOCK_NONE) {
		log_msg(LOG_LVL_ERROR, NULL, "reload failed, keeping the old "
		    "configuration: %s: [gateway] backend is required",
		    cfgpath);
		config_free(&c->cfg);
		diag_free(&d);
		free(c);
		STATS_INC(stats.reloads_failed);
		return;
	}
	for (i = 0; i < d.n; i++)
		log_msg(LOG_LVL_WARNING, NULL, "%s",
		    printable(d.msg[i], buf, sizeof(buf)));
	diag_free(&d);
	old = cfgref_get();
	restart_only(&old->cfg, &c->cfg);
	cfgref_put(old);
	atomic_store(&c->refs, 1);
	cfgref_swap(c);
	pool_configure(&c->cfg, c->gen);
	log_reload(&c->cfg, debug_mode);
	STATS_INC(stats.reloads_ok);
	log_msg(LOG_LVL_INFO, NULL, "configuration reloaded from %s", cfgpath);
	log_config(&c->cfg, cfgpath);
}

/* Returns 1 when fd is a TCP socket (its peers are checked). */
static int
is_tcp(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return 0;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

/* Runs the daemon; see daemon.h. */
int
daemon_run(const char *cfgpath, struct config *cfg, int debug)
{
	struct cfgref		*c;
	struct identity		 id;
	struct pidfile		 pf;
	sigset_t		 all, set;
	struct timespec		 ts = { 0, 250000000 };
	long long		 deadline;
	char			 err[512];
	int			 owned = 0, sig, started = 0, rc = 1;

	debug_mode = debug;
	memset(&pf, 0, sizeof(pf));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fatal_msg("out of memory");
		config_free(cfg);
		return 1;
	}
	/* the daemon owns the configuration from here on */
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	atomic_store(&c->refs, 1);
	cfgref_swap(c);
	cfg = &c->cfg;
	if (log_open(cfg, debug, err, sizeof(err)) == -1) {
		fatal_msg(err);
		goto done;
	}
	if (cfg->backend.kind == SOCK_NONE) {
		fatal_msg("[gateway] backend is required");
		goto done;
	}

	/* names first, so that a typo fails before anything is created */
	if (privs_resolve(cfg, &id, err, sizeof(err)) == -1 ||
	    (listen_fd = listener_open(cfg, &id.sock, &owned, err,
	    sizeof(err))) == -1) {
		fatal_msg(err);
		goto done;
	}
	if (owned && cfg->listen.kind == SOCK_UNIX)
		snprintf(listen_path, sizeof(listen_path), "%s",
		    cfg->listen.path);
	if ((cfg->pid_file != NULL && pidfile_write(&pf, cfg->pid_file, err,
	    sizeof(err)) == -1) || privs_drop(&id, err, sizeof(err)) == -1) {
		fatal_msg(err);
		goto done;
	}

	/* every thread blocks every signal; this one waits for them */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (FCGX_Init() != 0) {
		fatal_msg("FCGX_Init failed");
		goto done;
	}
	if (fcgx_selfcheck(err, sizeof(err)) == -1) {
		fatal_msg(err);
		goto done;
	}
	if (pool_init((size_t)cfg->workers + 1) == -1) {
		fatal_msg("out of memory");
		goto done;
	}
	pool_configure(cfg, c->gen);
	if (dispatch_start(listen_fd, is_tcp(listen_fd), cfg, err,
	    sizeof(err)) == -1) {
		fatal_msg(err);
		goto done;
	}
	started = 1;
	log_config(cfg, cfgpath);
	backend_name(&cfg->backend, err, sizeof(err));
	log_msg(LOG_LVL_INFO, NULL, "started: %d workers, max_conns %d, "
	    "backend %s", cfg->workers, cfg->max_conns, err);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		log_tick();
		dispatch_tick();
		if (sig == SIGHUP)
			reload(cfgpath);
		else if (sig == SIGUSR1)
			log_reopen();
		else if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LVL_INFO, NULL, "stopping: finishing the "
			    "requests in flight");
			rc = 0;
			break;
		}
		if (dispatch_running() == 0) {
			fatal_msg("every worker stopped");
			break;
		}
	}
	if (owned) {
		/* ours alone: refuse new connections at once */
		shutdown(listen_fd, SHUT_RDWR);
		if (listen_path[0] != '\0' && unlink(listen_path) == -1)
			log_msg(LOG_LVL_WARNING, NULL, "cannot remove %s: %s",
			    listen_path, strerror(errno));
		listen_path[0] = '\0';
	}
	c = cfgref_get();
	deadline = clock_ms() + (long long)(c->cfg.backend_timeout * 1000.0) +
	    2000;
	cfgref_put(c);
	if (!dispatch_drain(deadline)) {
		/* busy workers still use their state: leave it to exit() */
		pidfile_remove(&pf);
		log_tick();
		return rc;
	}
	log_msg(LOG_LVL_INFO, NULL, "stopped");
	log_tick();
done:
	pidfile_remove(&pf);
	pool_free();
	if (listen_fd > 0 && owned)
		close(listen_fd);
	/* a socket we created but never served on */
	if (!started && listen_path[0] != '\0')
		unlink(listen_path);
	cfgref_put(cfgref_take());
	log_close();
	return rc;
}
