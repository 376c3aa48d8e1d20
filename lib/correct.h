/*
 * correct.h: the correction of one request (SPEC 3).  Pure: params in,
 * decision, log events and corrected params out.
 */
#ifndef XFF_CORRECT_H
#define XFF_CORRECT_H

#include <stddef.h>
#include "xstr.h"
#include "arena.h"
#include "params.h"
#include "config.h"

enum xff_event {
	EV_NONE = 0,
	EV_UNTRUSTED_PEER,
	EV_MISSING_HEADER,
	EV_DEPTH_MISMATCH,
	EV_SPOOF_ATTEMPT,
	EV_INVALID_VALUE,
	EV_STEALTH
};

#define XFF_MAX_EVENTS	16

struct event {
	enum xff_event	 kind;
	enum log_level	 level;
	const char	*header;	/* invalid_value, spoof_attempt: param name */
	struct xstr	 value;		/* the offending value / the full header */
};

struct result {
	int		 status;	/* 200, 400 or 404 */
	enum xff_event	 reason;	/* the event deciding a rejection, EV_NONE for 200 */
	struct event	 ev[XFF_MAX_EVENTS];
	size_t		 nev;
	size_t		 nev_dropped;	/* events beyond XFF_MAX_EVENTS */

	/* context for the log fields */
	struct xstr	 peer;		/* incoming REMOTE_ADDR */
	struct xstr	 client;	/* chosen client text, or p NULL */
	struct xstr	 method;
	struct xstr	 uri;
	size_t		 n;		/* element count the rules used */
	int		 depth;		/* depth the rules used (x_for or forwarded) */
	int		 exempt;

	struct params	 out;		/* corrected params (valid for status 200) */
	struct arena	 arena;		/* owns everything above */
};

/* Prepares a result for reuse across requests. */
void	result_init(struct result *r);
/* Releases a result's memory. */
void	result_free(struct result *r);

/*
 * Corrects one request: in[0..nin) are the params as received (repeated
 * names allowed).  Fills r (reset first) with the decision, the events
 * and, for a 200, the params the backend must receive (SPEC 3.6).
 * Returns 0, or -1 when out of memory (r is then unusable for this
 * request; the caller answers 500 or 503).
 */
int	xff_correct(const struct config *cfg, const struct param *in,
	    size_t nin, struct result *r);

/* Returns the event's name as logged ("untrusted_peer", ...). */
const char *event_name(enum xff_event e);

/*
 * Formats the log line of event i of r, without a trailing newline:
 * "<event> peer=.. client=.. n=.. x_for=.. method=.. uri=.." followed by
 * "header=.. value=.." where the event has them.  Every value is
 * escaped with escape_log and capped.  Returns the length written
 * (at most cap - 1; out is NUL-terminated).
 */
size_t	event_format(const struct result *r, size_t i, char *out, size_t cap);

#endif
