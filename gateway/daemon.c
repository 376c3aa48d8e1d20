/*
 * daemon.c: the gateway's process: the listening socket (spawn-fcgi's
 * fd 0, systemd's fd 3 or our own), privilege drop, a pool of worker
 * threads each looping on FCGX_Accept_r (no accept mutex), and the main
 * thread waiting for signals: SIGHUP reloads the configuration,
 * SIGTERM/SIGINT stop accepting and let requests in flight finish.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "confload.h"
#include "daemon.h"
#include "front.h"
#include "log.h"
#include "pool.h"
#include "stats.h"

#define LISTEN_BACKLOG		1024
#define SD_LISTEN_FDS_START	3
#define WORKER_STACK		(512 * 1024)
#define KICK_SIGNAL		SIGUSR2

/* A configuration shared by the requests that started under it. */
struct cfgref {
	struct config	 cfg;
	atomic_uint	 refs;
	unsigned	 gen;
};

struct worker {
	pthread_t	 tid;
	int		 started;
	atomic_int	 idle;		/* parked in FCGX_Accept_r */
	struct cfgref	*cref;		/* config of the current request */
	struct front	 front;
	FCGX_Request	 req;
};

static pthread_mutex_t	 cfg_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct cfgref	*cfg_cur;
static atomic_uint	 cfg_gen;
static atomic_int	 stopping;
static atomic_int	 running;	/* workers still in their loop */
static int		 listen_fd = -1;
static int		 debug_mode;

/* Takes a reference to the current configuration. */
static struct cfgref *
cfgref_get(void)
{
	struct cfgref	*c;

	pthread_mutex_lock(&cfg_mtx);
	c = cfg_cur;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&cfg_mtx);
	return c;
}

/* Drops a reference; the last one frees the configuration. */
static void
cfgref_put(struct cfgref *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1) {
		config_free(&c->cfg);
		free(c);
	}
}

/* Replaces the current configuration with c (which holds one reference). */
static void
cfgref_swap(struct cfgref *c)
{
	struct cfgref	*old;

	pthread_mutex_lock(&cfg_mtx);
	old = cfg_cur;
	c->gen = old != NULL ? old->gen + 1 : 1;
	cfg_cur = c;
	atomic_store(&cfg_gen, c->gen);
	pthread_mutex_unlock(&cfg_mtx);
	cfgref_put(old);
}

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

/* Writes a start-up error to stderr and to the log when that is syslog. */
static void
fatal_msg(const struct config *cfg, const char *msg)
{
	fprintf(stderr, "xff-gateway: %s\n", msg);
	if (cfg != NULL && cfg->log_target == LOG_TO_SYSLOG && !debug_mode)
		log_msg(LOG_LVL_ERROR, NULL, "%s", msg);
}

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

/* Creates our own Unix listening socket, mode 0660; removes a stale file only. */
static int
listen_unix(const struct config *cfg, char *err, size_t errcap)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const char		*path = cfg->listen.path;
	mode_t			 old;
	int			 fd = -1, probe, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errcap, "listen: path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errcap, "listen: %s exists and is not "
			    "a socket", path);
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			snprintf(err, errcap, "socket: %s", strerror(errno));
			return -1;
		}
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errcap, "listen: %s is in use by another "
			    "process", path);
			return -1;
		}
		e = errno;
		close(probe);
		if (e != ECONNREFUSED) {
			snprintf(err, errcap, "listen: cannot probe %s: %s",
			    path, strerror(e));
			return -1;
		}
		if (unlink(path) == -1) {
			snprintf(err, errcap, "listen: cannot remove stale "
			    "socket %s: %s", path, strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		umask(old);
		snprintf(err, errcap, "listen: bind %s: %s", path, strerror(e));
		goto fail;
	}
	umask(old);
	if (chmod(path, 0660) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errcap, "listen: %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
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

/*
 * Opens the listening socket of SPEC 2: listen = when given, else
 * systemd's socket, else fd 0 from spawn-fcgi.  *owned is set when the
 * socket is ours (so stopping may shut it down).
 */
static int
open_listener(const struct config *cfg, int *owned, char *err, size_t errcap)
{
	int	fd;

	*owned = 0;
	if (cfg->listen.kind == SOCK_UNIX || cfg->listen.kind == SOCK_TCP) {
		fd = cfg->listen.kind == SOCK_UNIX ?
		    listen_unix(cfg, err, errcap) : listen_tcp(cfg, err, errcap);
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

/*
 * Drops root privileges to [gateway] user/group after binding.  As root
 * without user = it refuses unless XFF_GATEWAY_ALLOW_ROOT=1.  The Unix
 * socket we created is given to that user and group.
 */
static int
drop_privileges(const struct config *cfg, int owned_unix, char *err,
    size_t errcap)
{
	struct passwd	*pw;
	struct group	*gr;
	const char	*allow = getenv("XFF_GATEWAY_ALLOW_ROOT");
	uid_t		 uid;
	gid_t		 gid;

	if (geteuid() != 0) {
		if (cfg->user != NULL || cfg->group != NULL)
			log_msg(LOG_LVL_WARNING, NULL, "user/group ignored: "
			    "not started as root");
		return 0;
	}
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
	if ((pw = getpwnam(cfg->user)) == NULL) {
		snprintf(err, errcap, "[gateway] user: unknown user %s",
		    cfg->user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (cfg->group != NULL) {
		if ((gr = getgrnam(cfg->group)) == NULL) {
			snprintf(err, errcap, "[gateway] group: unknown group "
			    "%s", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (uid == 0) {
		snprintf(err, errcap, "[gateway] user: %s is root; name an "
		    "unprivileged user", cfg->user);
		return -1;
	}
	if (owned_unix && chown(cfg->listen.path, uid, gid) == -1) {
		snprintf(err, errcap, "chown %s: %s", cfg->listen.path,
		    strerror(errno));
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		snprintf(err, errcap, "dropping privileges to %s: %s",
		    cfg->user, strerror(errno));
		return -1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid || setuid(0) != -1) {
		snprintf(err, errcap, "dropping privileges to %s did not "
		    "take effect", cfg->user);
		return -1;
	}
	return 0;
}

/* Blocks or unblocks the kick signal in the calling thread. */
static void
kick_mask(int how)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(how, &set, NULL);
}

/* Does nothing: its only purpose is to interrupt a blocking call. */
static void
on_kick(int sig)
{
	(void)sig;
}

/*
 * Moves the calling worker from SCHED_OTHER to SCHED_BATCH (sched(7)):
 * a worker woken by the web server or the backend then waits for the
 * running task's turn to end instead of preempting it, so that a busy
 * machine spends less of its time switching between the three.  A
 * policy the service manager chose (anything but SCHED_OTHER) is kept.
 */
static void
worker_sched(void)
{
#ifdef SCHED_BATCH
	static atomic_int	 logged;
	struct sched_param	 sp;
	int			 policy, rc;

	if ((rc = pthread_getschedparam(pthread_self(), &policy, &sp)) == 0) {
		if (policy != SCHED_OTHER)
			return;
		memset(&sp, 0, sizeof(sp));
		rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	}
	if (rc != 0 && atomic_exchange(&logged, 1) == 0)
		log_msg(LOG_LVL_DEBUG, NULL, "workers keep their scheduling "
		    "policy: %s", strerror(rc));
#endif
}

/* A worker: accepts and serves requests until stopping. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	unsigned	 fails = 0;
	int		 rc;

	worker_sched();
	for (;;) {
		atomic_store(&w->idle, 1);
		if (atomic_load(&stopping))
			break;
		kick_mask(SIG_UNBLOCK);
		rc = FCGX_Accept_r(&w->req);
		kick_mask(SIG_BLOCK);
		atomic_store(&w->idle, 0);
		if (rc < 0) {
			if (atomic_load(&stopping))
				break;
			if (rc != -EINTR) {
				log_msg(LOG_LVL_ERROR, "accept_error",
				    "accept_error error=%d", -rc);
				/* back off on persistent errors (EMFILE...) */
				if (++fails > 3) {
					struct timespec	ts = { 0, 100000000 };

					nanosleep(&ts, NULL);
				}
			}
			continue;
		}
		fails = 0;
		if (w->cref != NULL &&
		    w->cref->gen != atomic_load(&cfg_gen)) {
			cfgref_put(w->cref);
			w->cref = NULL;
		}
		if (w->cref == NULL)
			w->cref = cfgref_get();
		front_serve(&w->front, &w->cref->cfg, w->cref->gen, &w->req);
		FCGX_Finish_r(&w->req);
		/* the request is over: let go of a replaced configuration */
		if (w->cref->gen != atomic_load(&cfg_gen)) {
			cfgref_put(w->cref);
			w->cref = NULL;
		}
	}
	/* an idle kept-alive front connection: close it without lingering */
	if (w->req.ipcFd >= 0)
		shutdown(w->req.ipcFd, SHUT_RDWR);
	FCGX_Free(&w->req, 1);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* Reloads the configuration file; keeps the old one on any error. */
static void
reload(const char *cfgpath)
{
	struct cfgref	*c, *cur;
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
	cur = cfg_cur;
	if (memcmp(&cur->cfg.listen, &c->cfg.listen,
	    sizeof(c->cfg.listen)) != 0 || cur->cfg.workers != c->cfg.workers)
		log_msg(LOG_LVL_WARNING, NULL, "reload: listen and workers "
		    "changes take effect at the next restart");
	atomic_store(&c->refs, 1);
	cfgref_swap(c);
	pool_configure(&c->cfg, c->gen);
	log_setup(c->cfg.log_target == LOG_TO_SYSLOG, c->cfg.log_level, debug_mode);
	STATS_INC(stats.reloads_ok);
	log_msg(LOG_LVL_INFO, NULL, "configuration reloaded from %s", cfgpath);
}

/* Returns the monotonic time in ms. */
static long long
mono_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Stops accepting and waits for the requests in flight, at most the
 * backend timeout plus a margin.  Returns 1 when every worker ended.
 */
static int
drain(struct worker *w, int nw, int owned, const struct config *cfg)
{
	sigset_t		set;
	struct timespec		ts = { 0, 100000000 };
	long long		deadline;
	int			i, sig;

	atomic_store(&stopping, 1);
	FCGX_ShutdownPending();
	if (owned) {
		/* ours alone: refuse new connections at once */
		shutdown(listen_fd, SHUT_RDWR);
		if (cfg->listen.kind == SOCK_UNIX)
			unlink(cfg->listen.path);
	}
	deadline = mono_ms() + (long long)(cfg->backend_timeout * 1000.0) +
	    2000;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (atomic_load(&running) > 0) {
		/* wake workers parked in accept() or on a kept-alive front */
		for (i = 0; i < nw; i++)
			if (w[i].started && atomic_load(&w[i].idle))
				pthread_kill(w[i].tid, KICK_SIGNAL);
		sig = sigtimedwait(&set, NULL, &ts);
		log_tick();
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LVL_WARNING, NULL, "second stop signal: "
			    "exiting without waiting");
			return 0;
		}
		if (mono_ms() > deadline) {
			log_msg(LOG_LVL_WARNING, NULL, "stop: %d worker(s) "
			    "still busy after the drain time; exiting",
			    atomic_load(&running));
			return 0;
		}
	}
	return 1;
}

/* Runs the daemon; see daemon.h. */
int
daemon_run(const char *cfgpath, struct config *cfg, int debug)
{
	struct sigaction	 sa;
	struct worker		*w = NULL;
	struct cfgref		*c;
	pthread_attr_t		 attr;
	sigset_t		 all, set;
	struct timespec		 ts = { 1, 0 };
	char			 err[512];
	int			 nw = 0, i, owned = 0, sig, clean = 0;
	int			 rc = 1;

	debug_mode = debug;
	log_setup(cfg->log_target == LOG_TO_SYSLOG, cfg->log_level, debug);
	if (cfg->backend.kind == SOCK_NONE) {
		fatal_msg(cfg, "[gateway] backend is required");
		return 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fatal_msg(cfg, "out of memory");
		return 1;
	}
	/* the daemon owns the configuration from here on */
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	atomic_store(&c->refs, 1);
	cfgref_swap(c);
	cfg = &c->cfg;

	if ((listen_fd = open_listener(cfg, &owned, err, sizeof(err))) == -1) {
		fatal_msg(cfg, err);
		goto done;
	}
	if (drop_privileges(cfg, owned && cfg->listen.kind == SOCK_UNIX, err,
	    sizeof(err)) == -1) {
		fatal_msg(cfg, err);
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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: interrupts accept/read */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) == -1) {
		snprintf(err, sizeof(err), "sigaction: %s", strerror(errno));
		fatal_msg(cfg, err);
		goto done;
	}
	if (FCGX_Init() != 0) {
		fatal_msg(cfg, "FCGX_Init failed");
		goto done;
	}

	if (pool_init((size_t)cfg->workers) == -1 ||
	    (w = calloc((size_t)cfg->workers, sizeof(*w))) == NULL) {
		fatal_msg(cfg, "out of memory");
		goto done;
	}
	pool_configure(cfg, c->gen);
	if (pthread_attr_init(&attr) != 0) {
		fatal_msg(cfg, "pthread_attr_init failed");
		goto done;
	}
	if (pthread_attr_setstacksize(&attr, WORKER_STACK) != 0) {
		pthread_attr_destroy(&attr);
		fatal_msg(cfg, "pthread_attr_init failed");
		goto done;
	}
	for (nw = 0; nw < cfg->workers; nw++) {
		if (front_init(&w[nw].front) == -1) {
			fatal_msg(cfg, "out of memory");
			break;
		}
		if (FCGX_InitRequest(&w[nw].req, listen_fd,
		    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
			front_free(&w[nw].front);
			fatal_msg(cfg, "FCGX_InitRequest failed");
			break;
		}
		atomic_fetch_add(&running, 1);
		if (pthread_create(&w[nw].tid, &attr, worker_main,
		    &w[nw]) != 0) {
			atomic_fetch_sub(&running, 1);
			front_free(&w[nw].front);
			fatal_msg(cfg, "cannot start worker threads");
			break;
		}
		w[nw].started = 1;
	}
	pthread_attr_destroy(&attr);
	if (nw < cfg->workers)
		goto stop;

	atomic_store(&stats.workers, nw);
	backend_name(&cfg->backend, err, sizeof(err));
	log_msg(LOG_LVL_INFO, NULL, "started: %d workers, backend %s", nw,
	    err);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		log_tick();
		if (sig == SIGHUP)
			reload(cfgpath);
		else if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LVL_INFO, NULL, "stopping: finishing the "
			    "requests in flight");
			break;
		}
		if (atomic_load(&running) == 0) {
			/* cfg may have been replaced: only this thread swaps */
			fatal_msg(&cfg_cur->cfg, "every worker stopped");
			goto stop;
		}
	}
	rc = 0;
stop:
	c = cfgref_get();
	clean = drain(w, nw, owned, &c->cfg);
	cfgref_put(c);
	if (!clean) {
		/* busy workers still use their state: leave it to exit() */
		log_tick();
		return rc;
	}
	for (i = 0; i < nw; i++) {
		pthread_join(w[i].tid, NULL);
		cfgref_put(w[i].cref);
		front_free(&w[i].front);
	}
	log_msg(LOG_LVL_INFO, NULL, "stopped");
	log_tick();
done:
	pool_free();
	free(w);
	pthread_mutex_lock(&cfg_mtx);
	c = cfg_cur;
	cfg_cur = NULL;
	pthread_mutex_unlock(&cfg_mtx);
	if (listen_fd > 0 && owned)
		close(listen_fd);
	/* a socket we created but never served on */
	if (listen_fd != -1 && owned && nw == 0 &&
	    c->cfg.listen.kind == SOCK_UNIX)
		unlink(c->cfg.listen.path);
	cfgref_put(c);
	return rc;
}
