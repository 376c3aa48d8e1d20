/*
 * front.h: one request as the front (nginx) sent it: read the params,
 * correct them, answer a rejection or hand the request to the backend.
 */
#ifndef XFF_FRONT_H
#define XFF_FRONT_H

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
};

/* Prepares a worker's state; returns 0 or -1 (no memory). */
int	front_init(struct front *f);

/* Releases it. */
void	front_free(struct front *f);

/*
 * Serves the request accepted in req under cfg (generation gen): always
 * reads the body to its end or relays it, answers, and leaves req ready
 * for FCGX_Finish_r().
 */
void	front_serve(struct front *f, const struct config *cfg, unsigned gen,
	    FCGX_Request *req);

#endif
