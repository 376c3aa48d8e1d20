/*
 * active.h: how many threads serve at once.  The dispatch runs workers
 * + 1 threads so that requests blocked in a read, a write or a wait in
 * line never leave the rest without a thread, but lets only about one
 * thread per CPU take events: the others sleep as spares.  Fewer threads
 * taking events find them waiting more often, and sleep and wake less.
 * A watcher demotes a thread that spends too long in one step (it is
 * blocked) and wakes a spare to take its place.
 */
#ifndef XFF_ACTIVE_H
#define XFF_ACTIVE_H

#include <stddef.h>

/*
 * A step longer than this (ms) counts as blocked: the watcher catches
 * the waits active_block() was not told of (inside libfcgi).
 */
#define ACTIVE_BLOCKED_MS	10
/* The watcher's longest sleep while no thread is in a step (ms). */
#define ACTIVE_IDLE_MS		160

/*
 * Prepares for nthreads threads (ids 0 to nthreads - 1), target of them
 * taking events (0: one per CPU this process may run on), and starts
 * the watcher.  Returns 0, or -1 with err set.
 */
int	active_init(int nthreads, int target, char *err, size_t cap);

/* Returns the number of threads allowed to take events. */
int	active_target(void);

/*
 * Called by a thread before it takes events: returns at once while no
 * more than the target are active, else sleeps as a spare until a
 * place frees up or active_quit().
 */
void	active_gate(void);

/* Makes the calling thread thread id (for active_block()). */
void	active_self(int id);

/* Thread id begins a step (the handling of one event). */
void	active_begin(int id);

/*
 * The calling thread is about to wait (a poll or a read that would
 * block): it stops counting as active until the end of its step, and a
 * spare takes its place.  Does nothing in other threads, or when it
 * already stopped counting.
 */
void	active_block(void);

/* Thread id ended its step. */
void	active_end(int id);

/* Wakes every spare and stops the watcher (threads are exiting). */
void	active_quit(void);

/* Releases what active_init() made (after active_quit(), threads joined). */
void	active_free(void);

#endif
