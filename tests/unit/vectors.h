/*
 * vectors.h: shared helpers for the test-vector suites (test_vectors_*.c).
 * They build a request the way nginx's fastcgi_params sends it, run the
 * core correction on it and check the decision, the log events and the
 * params the backend would receive.  Failed checks report the file and
 * line of the test that made them.
 */
#ifndef XFF_TEST_VECTORS_H
#define XFF_TEST_VECTORS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "correct.h"
#include "params.h"

#define VEC_MAX_PARAMS	256
#define VEC_MAX_HDR	24

/* Marks a field of struct vreq whose param must not be sent at all. */
extern const char vreq_none[];
#define VREQ_NONE	vreq_none

/*
 * One request, as nginx (fastcgi_params) would send it.  A NULL field
 * takes the default given; VREQ_NONE leaves the param out.  The params
 * are sent in nginx's order: REQUEST_METHOD, SCRIPT_NAME, PATH_INFO,
 * REQUEST_URI, DOCUMENT_URI, REQUEST_SCHEME, HTTPS, REMOTE_ADDR,
 * REMOTE_PORT, SERVER_PORT, SERVER_NAME, HTTP_HOST, then hdr[] in order.
 */
struct vreq {
	const char	*method;	/* "GET" */
	const char	*uri;		/* REQUEST_URI, "/" */
	const char	*doc_uri;	/* DOCUMENT_URI: uri without query */
	const char	*script_name;	/* SCRIPT_NAME: the DOCUMENT_URI */
	const char	*path_info;	/* PATH_INFO: not sent */
	int		 https;		/* 1: REQUEST_SCHEME=https, HTTPS=on */
	const char	*peer;		/* REMOTE_ADDR, "127.0.0.1" */
	const char	*peer_port;	/* REMOTE_PORT, "40000" */
	const char	*server_port;	/* SERVER_PORT, "80" or "443" */
	const char	*server_name;	/* SERVER_NAME, "localhost" */
	const char	*host;		/* HTTP_HOST, "localhost" */
	const char	*hdr[VEC_MAX_HDR]; /* "NAME=VALUE", NULL-terminated */
};

/* The input params of one run and its result. */
struct vrun {
	struct param	 in[VEC_MAX_PARAMS];
	size_t		 nin;
	char		 buf[4096];	/* storage for computed values */
	size_t		 nbuf;
	struct result	 r;
	int		 ran;
};

/* Fills cfg with the defaults of SPEC 2 (fails the test on error). */
void	vec_cfg(struct config *cfg);
/* Adds one exempt regex, compiled with REG_EXTENDED as config_load does. */
void	vec_cfg_exempt(struct config *cfg, const char *pattern);
/* Sets proxies from a whitespace-separated list of CIDRs, IPs and "unix:". */
void	vec_cfg_proxies(struct config *cfg, const char *list);
/* Releases cfg. */
void	vec_cfg_free(struct config *cfg);

/* Prepares v: no params, result ready. */
void	vec_init(struct vrun *v);
/* Releases v. */
void	vec_free(struct vrun *v);
/* Forgets the params of v, keeping its result for reuse by the next run. */
void	vec_clear(struct vrun *v);
/* Appends one "NAME=VALUE" param (split by param_from_env). */
void	vec_add(struct vrun *v, const char *nv);
/* Appends name=value (both copied into v). */
void	vec_add_nv(struct vrun *v, const char *name, const char *value);
/* Appends one param whose value may hold any byte, NUL included. */
void	vec_add_bytes(struct vrun *v, const char *name, const char *val,
	    size_t len);
/* Appends the params of an nginx request (see struct vreq). */
void	vec_add_req(struct vrun *v, const struct vreq *q);
/*
 * Runs xff_correct on the params of v.  Fails the test when it returns
 * -1, and, for a 200, when the output holds a name twice (SPEC 3.6).
 */
void	vec_exec(const struct config *cfg, struct vrun *v);
/* vec_init, vec_add_req, vec_exec in one. */
void	vec_run(const struct config *cfg, struct vrun *v, const struct vreq *q);
/* vec_run with the param name=value after q's (none when value is NULL). */
void	vec_run_hdr(const struct config *cfg, struct vrun *v,
	    const struct vreq *q, const char *name, const char *value);

void	vec_status_at(const char *file, int line, struct vrun *v, int status,
	    enum xff_event reason);
void	vec_events_at(const char *file, int line, struct vrun *v, int n, ...);
void	vec_event_detail_at(const char *file, int line, struct vrun *v,
	    enum xff_event kind, const char *header, const char *value);
void	vec_param_at(const char *file, int line, struct vrun *v,
	    const char *name, const char *value);
void	vec_absent_at(const char *file, int line, struct vrun *v,
	    const char *name);
void	vec_params_at(const char *file, int line, struct vrun *v,
	    const char *const *expect);

/* Status and reason (EV_NONE for a 200). */
#define VEC_STATUS(v, st, why) \
	vec_status_at(__FILE__, __LINE__, (v), (st), (why))
/*
 * The exact events, in any order: VEC_EVENTS(v, 0) for none,
 * VEC_EVENTS(v, 2, EV_A, LOG_LVL_X, EV_B, LOG_LVL_Y) for two.
 */
#define VEC_EVENTS(v, ...) \
	vec_events_at(__FILE__, __LINE__, (v), __VA_ARGS__)
/*
 * An event of kind k names param hdr and carries value val (NULL: not
 * checked).
 */
#define VEC_EVENT_DETAIL(v, k, hdr, val) \
	vec_event_detail_at(__FILE__, __LINE__, (v), (k), (hdr), (val))
/* The output holds name exactly once, with this value. */
#define VEC_PARAM(v, n, val) \
	vec_param_at(__FILE__, __LINE__, (v), (n), (val))
/* The output does not hold name. */
#define VEC_ABSENT(v, n)	vec_absent_at(__FILE__, __LINE__, (v), (n))
/* The output is exactly this ordered list of "NAME=VALUE". */
#define VEC_PARAMS(v, ...) \
	vec_params_at(__FILE__, __LINE__, (v), \
	    (const char *const []){ __VA_ARGS__, NULL })

#endif
