/*
 * cfgref.h: the configuration in force, shared by reference: a request
 * keeps the one it started under; SIGHUP swaps in a new one.
 */
#ifndef XFF_CFGREF_H
#define XFF_CFGREF_H

#include <stdatomic.h>

#include "config.h"

/* A configuration shared by the requests that started under it. */
struct cfgref {
	struct config	 cfg;
	atomic_uint	 refs;
	unsigned	 gen;		/* 1, 2, ... at each swap */
};

/* Takes a reference to the current configuration. */
struct cfgref	*cfgref_get(void);

/* Drops a reference (c may be NULL); the last one frees it. */
void		 cfgref_put(struct cfgref *c);

/* Makes c (holding one reference) current; drops the old one's. */
void		 cfgref_swap(struct cfgref *c);

/* Returns the generation of the current configuration. */
unsigned	 cfgref_gen(void);

/* Takes the current configuration out (at exit); the caller puts it. */
struct cfgref	*cfgref_take(void);

#endif
