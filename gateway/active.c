/*
 * active.c: how many threads serve at once (active.h).
 */
#include "autoconf.h"

#include <sched.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "clock.h"
#include "stats.h"

struct slot {
	atomic_llong	since;		/* ms the step began; 0: none */
	atomic_int	demoted;	/* not counted in active while in it */
};

static struct slot	*slots;
static int		 nslots;
static int		 target;
static atomic_int	 active;	/* threads counted as taking events */
static atomic_int	 quitting;
static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 spare_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t	 watch_cv;
static int		 watch_cv_ready;
static int		 nspares;	/* asleep in active_gate() */
static pthread_t	 watcher;
static int		 watching;
static _Thread_local int self = -1;

/* Returns the CPUs this process may run on, at least 1. */
static int
cpus(void)
{
	long	n;
#ifdef CPU_COUNT
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
#endif
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < 4096 ? (int)n : 1;
}

/* Wakes one spare, if one sleeps. */
static void
wake_spare(void)
{
	pthread_mutex_lock(&mtx);
	if (nspares > 0)
		pthread_cond_signal(&spare_cv);
	pthread_mutex_unlock(&mtx);
}

/* Stops counting thread i as active; a spare takes its place. */
static void
demote(int i)
{
	int	zero = 0;

	if (!atomic_compare_exchange_strong(&slots[i].demoted, &zero, 1))
		return;
	STATS_INC(stats.threads_blocked);
	if (atomic_fetch_sub(&active, 1) - 1 < target)
		wake_spare();
}

/* Demotes the threads blocked in a step; returns the threads in one. */
static int
watch(long long now)
{
	long long	s;
	int		i, busy = 0;

	for (i = 0; i < nslots; i++) {
		if ((s = atomic_load(&slots[i].since)) == 0)
			continue;
		busy++;
		if (now - s >= ACTIVE_BLOCKED_MS &&
		    !atomic_load(&slots[i].demoted))
			demote(i);
	}
	return busy;
}

/*
 * The watcher: looks every ACTIVE_BLOCKED_MS while threads are in
 * steps, less often (up to ACTIVE_IDLE_MS) while none is, until
 * active_quit().
 */
static void *
watcher_main(void *arg)
{
	struct timespec	ts;
	long		ms = ACTIVE_BLOCKED_MS;

	(void)arg;
	pthread_mutex_lock(&mtx);
	while (!atomic_load(&quitting)) {
		if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
			break;
		ts.tv_nsec += ms * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&watch_cv, &mtx, &ts);
		pthread_mutex_unlock(&mtx);
		if (watch(clock_ms()) > 0)
			ms = ACTIVE_BLOCKED_MS;
		else if ((ms *= 2) > ACTIVE_IDLE_MS)
			ms = ACTIVE_IDLE_MS;
		atomic_store(&stats.threads_active, atomic_load(&active));
		pthread_mutex_lock(&mtx);
	}
	pthread_mutex_unlock(&mtx);
	return NULL;
}

/* Prepares; see active.h. */
int
active_init(int nthreads, int want, char *err, size_t cap)
{
	pthread_condattr_t	attr;

	nslots = nthreads;
	target = want > 0 ? want : cpus();
	if (target > nthreads)
		target = nthreads;
	atomic_store(&active, nthreads);
	atomic_store(&quitting, 0);
	if ((slots = calloc((size_t)nthreads, sizeof(*slots))) == NULL) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	if (pthread_condattr_init(&attr) != 0) {
		snprintf(err, cap, "pthread_condattr_init failed");
		goto fail;
	}
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&watch_cv, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		snprintf(err, cap, "pthread_cond_init failed");
		goto fail;
	}
	pthread_condattr_destroy(&attr);
	watch_cv_ready = 1;
	if (pthread_create(&watcher, NULL, watcher_main, NULL) != 0) {
		snprintf(err, cap, "cannot start the watcher thread");
		goto fail;
	}
	watching = 1;
	return 0;
fail:
	active_free();
	return -1;
}

/* Returns the target; see active.h. */
int
active_target(void)
{
	return target;
}

/* Waits as a spare while too many threads are active; see active.h. */
void
active_gate(void)
{
	int	a;

	if (atomic_load(&active) <= target)
		return;
	pthread_mutex_lock(&mtx);
	atomic_fetch_sub(&active, 1);
	nspares++;
	for (;;) {
		if (atomic_load(&quitting))
			break;
		a = atomic_load(&active);
		if (a < target &&
		    atomic_compare_exchange_strong(&active, &a, a + 1)) {
			nspares--;
			pthread_mutex_unlock(&mtx);
			return;
		}
		pthread_cond_wait(&spare_cv, &mtx);
	}
	nspares--;
	atomic_fetch_add(&active, 1);
	pthread_mutex_unlock(&mtx);
}

/* Names the calling thread; see active.h. */
void
active_self(int id)
{
	self = id;
}

/* The calling thread is about to wait; see active.h. */
void
active_block(void)
{
	if (self >= 0 && slots != NULL &&
	    !atomic_load_explicit(&slots[self].demoted, memory_order_relaxed))
		demote(self);
}

/* Marks the beginning of a step; see active.h. */
void
active_begin(int id)
{
	atomic_store_explicit(&slots[id].since, clock_ms(),
	    memory_order_relaxed);
}

/* Marks its end; see active.h. */
void
active_end(int id)
{
	atomic_store_explicit(&slots[id].since, 0, memory_order_relaxed);
	if (atomic_load_explicit(&slots[id].demoted, memory_order_relaxed) &&
	    atomic_exchange(&slots[id].demoted, 0))
		atomic_fetch_add(&active, 1);
}

/* Wakes everyone for exit; see active.h. */
void
active_quit(void)
{
	pthread_mutex_lock(&mtx);
	atomic_store(&quitting, 1);
	pthread_cond_broadcast(&spare_cv);
	if (watch_cv_ready)
		pthread_cond_signal(&watch_cv);
	pthread_mutex_unlock(&mtx);
}

/* Releases; see active.h. */
void
active_free(void)
{
	if (watching) {
		active_quit();
		pthread_join(watcher, NULL);
		watching = 0;
	}
	if (watch_cv_ready)
		pthread_cond_destroy(&watch_cv);
	watch_cv_ready = 0;
	free(slots);
	slots = NULL;
	nslots = 0;
}
