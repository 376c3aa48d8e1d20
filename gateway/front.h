/*
 * front.h: one request as the front (nginx) sent it: read the params,
 * correct them, answer a rejection or hand the request to the backend.
 */
#ifndef XFF_FRONT_H
#define XFF_FRONT_H

#include <time.h>

#include <fcgiapp.h>

#include "config.h"
#include "correct.h"
#include "backend.h"

/* Largest total size of the incoming params ("NAME=VALUE" bytes), below
 * DISPATCH_HEAD_MAX with room for the records' headers; beyond: 400. */
#define FRONT_PARAMS_MAX	(120 * 1024)

/* Per-worker state, reused from request to request. */
struct front {
	struct param	*in;		/* incoming params */
	size_t		 incap;
	struct result	 res;		/* the correction's result */
	struct backend	 bk;		/* backend client and its buffers */
	/* the request being served */
	const struct config	*cfg;
	FCGX_Request		*req;
	struct timespec		 t0;		/* when it began */
	int			 timed;		/* t0 is set */
};

/* How a step of serving a request ended. */
enum front_step {
	FRONT_DONE = 0,		/* req is ready for FCGX_Finish_r() */
	FRONT_WAIT		/* waits for the backend: front_wait_fd() */
};

/* Prepares a worker's state; returns 0 or -1 (no memory). */
int	front_init(struct front *f);

/* Releases it. */
void	front_free(struct front *f);

/*
 * Serves the request accepted in req under cfg (generation gen; cfg
 * and req stay valid until FRONT_DONE): always reads the body to its
 * end or relays it, answers, and leaves req ready for FCGX_Finish_r()
 * (FRONT_DONE).  With may_wait set, returns FRONT_WAIT once the request
 * went out whole to the backend and nothing came back yet, instead of
 * waiting: the caller waits for front_wait_fd() to be readable, at most
 * front_wait_ms(), and calls front_resume().
 */
enum front_step	front_begin(struct front *f, const struct config *cfg,
	    unsigned gen, FCGX_Request *req, int may_wait);

/*
 * Goes on after FRONT_WAIT: expired set when front_wait_ms() passed
 * (504), else once front_wait_fd() was readable.  FRONT_WAIT again when
 * nothing came after all.
 */
enum front_step	front_resume(struct front *f, int expired);

/*
 * After FRONT_WAIT: the backend connection to wait on; *kept tells
 * whether it served earlier requests (it may be in an epoll set).
 */
int	front_wait_fd(const struct front *f, int *kept);

/* The longest wait of the request (backend_timeout) in ms. */
int	front_wait_ms(const struct front *f);

#endif
