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

#include "clock.h"
#include "confload.h"
#include "daemon.h"
#include "front.h"
#include "listener.h"
#include "log.h"
#include "logfmt.h"
#include "pidfile.h"
#include "privs.h"
#include "pool.h"
#include "stats.h"

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
/* the Unix socket file we created: a reload may name another listen = */
static char		 listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
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
	struct cfgref	*c;
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
	restart_only(&cfg_cur->cfg, &c->cfg);
	atomic_store(&c->refs, 1);
	cfgref_swap(c);
	pool_configure(&c->cfg, c->gen);
	log_reload(&c->cfg, debug_mode);
	STATS_INC(stats.reloads_ok);
	log_msg(LOG_LVL_INFO, NULL, "configuration reloaded from %s", cfgpath);
	log_config(&c->cfg, cfgpath);
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
		if (listen_path[0] != '\0' && unlink(listen_path) == -1)
			log_msg(LOG_LVL_WARNING, NULL, "cannot remove %s: %s",
			    listen_path, strerror(errno));
	}
	deadline = clock_ms() + (long long)(cfg->backend_timeout * 1000.0) +
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
		if (clock_ms() > deadline) {
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
	struct identity		 id;
	struct pidfile		 pf;
	pthread_attr_t		 attr;
	sigset_t		 all, set;
	struct timespec		 ts = { 1, 0 };
	char			 err[512];
	int			 nw = 0, i, owned = 0, sig, clean = 0;
	int			 rc = 1;

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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: interrupts accept/read */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) == -1) {
		snprintf(err, sizeof(err), "sigaction: %s", strerror(errno));
		fatal_msg(err);
		goto done;
	}
	if (FCGX_Init() != 0) {
		fatal_msg("FCGX_Init failed");
		goto done;
	}

	if (pool_init((size_t)cfg->workers) == -1 ||
	    (w = calloc((size_t)cfg->workers, sizeof(*w))) == NULL) {
		fatal_msg("out of memory");
		goto done;
	}
	pool_configure(cfg, c->gen);
	if (pthread_attr_init(&attr) != 0) {
		fatal_msg("pthread_attr_init failed");
		goto done;
	}
	if (pthread_attr_setstacksize(&attr, WORKER_STACK) != 0) {
		pthread_attr_destroy(&attr);
		fatal_msg("pthread_attr_init failed");
		goto done;
	}
	for (nw = 0; nw < cfg->workers; nw++) {
		if (front_init(&w[nw].front) == -1) {
			fatal_msg("out of memory");
			break;
		}
		if (FCGX_InitRequest(&w[nw].req, listen_fd,
		    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
			front_free(&w[nw].front);
			fatal_msg("FCGX_InitRequest failed");
			break;
		}
		atomic_fetch_add(&running, 1);
		if (pthread_create(&w[nw].tid, &attr, worker_main,
		    &w[nw]) != 0) {
			atomic_fetch_sub(&running, 1);
			front_free(&w[nw].front);
			fatal_msg("cannot start worker threads");
			break;
		}
		w[nw].started = 1;
	}
	pthread_attr_destroy(&attr);
	if (nw < cfg->workers)
		goto stop;

	atomic_store(&stats.workers, nw);
	log_config(cfg, cfgpath);
	backend_name(&cfg->backend, err, sizeof(err));
	log_msg(LOG_LVL_INFO, NULL, "started: %d workers, backend %s", nw,
	    err);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		log_tick();
		if (sig == SIGHUP)
			reload(cfgpath);
		else if (sig == SIGUSR1)
			log_reopen();
		else if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LVL_INFO, NULL, "stopping: finishing the "
			    "requests in flight");
			break;
		}
		if (atomic_load(&running) == 0) {
			/* cfg may have been replaced: only this thread swaps */
			fatal_msg("every worker stopped");
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
		pidfile_remove(&pf);
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
	pidfile_remove(&pf);
	pool_free();
	free(w);
	pthread_mutex_lock(&cfg_mtx);
	c = cfg_cur;
	cfg_cur = NULL;
	pthread_mutex_unlock(&cfg_mtx);
	if (listen_fd > 0 && owned)
		close(listen_fd);
	/* a socket we created but never served on */
	if (nw == 0 && listen_path[0] != '\0')
		unlink(listen_path);
	cfgref_put(c);
	log_close();
	return rc;
}
