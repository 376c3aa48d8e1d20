/*
 * cfgref.c: the current configuration, reference counted (cfgref.h).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>

#include "cfgref.h"

static pthread_mutex_t	 cfg_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct cfgref	*cfg_cur;
static atomic_uint	 cfg_gen;

/* Takes a reference to the current configuration. */
struct cfgref *
cfgref_get(void)
{
	struct cfgref	*c;

	pthread_mutex_lock(&cfg_mtx);
	c = cfg_cur;
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&cfg_mtx);
	return c;
}

/* Drops a reference; the last one frees the configuration. */
void
cfgref_put(struct cfgref *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1) {
		config_free(&c->cfg);
		free(c);
	}
}

/* Replaces the current configuration with c. */
void
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

/* Returns the current generation. */
unsigned
cfgref_gen(void)
{
	return atomic_load(&cfg_gen);
}

/* Takes the current configuration out. */
struct cfgref *
cfgref_take(void)
{
	struct cfgref	*c;

	pthread_mutex_lock(&cfg_mtx);
	c = cfg_cur;
	cfg_cur = NULL;
	pthread_mutex_unlock(&cfg_mtx);
	return c;
}
