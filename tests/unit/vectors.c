/*
 * vectors.c: shared helpers for the test-vector suites (see vectors.h).
 */
#include "vectors.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "ipaddr.h"

const char vreq_none[] = "";

/* Fills cfg with the defaults of SPEC 2 (fails the test on error). */
void
vec_cfg(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	assert_int_equal(config_defaults(cfg), 0);
}

/* Adds one exempt regex, compiled with REG_EXTENDED as config_load does. */
void
vec_cfg_exempt(struct config *cfg, const char *pattern)
{
	regex_t	 *re;
	char	**src;
	size_t	  n = cfg->nexempt, len = strlen(pattern);

	re = realloc(cfg->exempt, (n + 1) * sizeof(*re));
	assert_non_null(re);
	cfg->exempt = re;
	src = realloc(cfg->exempt_src, (n + 1) * sizeof(*src));
	assert_non_null(src);
	cfg->exempt_src = src;
	src[n] = malloc(len + 1);
	assert_non_null(src[n]);
	memcpy(src[n], pattern, len + 1);
	assert_int_equal(regcomp(&re[n], pattern, REG_EXTENDED), 0);
	cfg->nexempt = n + 1;
}

/* Sets proxies from a whitespace-separated list of CIDRs, IPs and "unix:". */
void
vec_cfg_proxies(struct config *cfg, const char *list)
{
	struct cidrset	*set = &cfg->proxies;
	struct cidr	*v;
	struct xstr	 w;
	const char	*p = list, *e;
	int		 hostbits;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		e = p;
		while (*e != '\0' && *e != ' ' && *e != '\t')
			e++;
		w.p = p;
		w.len = (size_t)(e - p);
		if (xstr_eqc(w, "unix:"))
			set->has_unix = 1;
		else {
			v = realloc(set->v, (set->n + 1) * sizeof(*v));
			assert_non_null(v);
			set->v = v;
			assert_int_equal(cidr_parse(w, &v[set->n],
			    &hostbits), 0);
			set->n++;
		}
		p = e;
	}
}

/* Releases cfg. */
void
vec_cfg_free(struct config *cfg)
{
	config_free(cfg);
}

/* Prepares v: no params, result ready. */
void
vec_init(struct vrun *v)
{
	v->nin = 0;
	v->nbuf = 0;
	v->ran = 0;
	result_init(&v->r);
}

/* Releases v. */
void
vec_free(struct vrun *v)
{
	result_free(&v->r);
}

/* Forgets the params of v, keeping its result for reuse by the next run. */
void
vec_clear(struct vrun *v)
{
	v->nin = 0;
	v->nbuf = 0;
	v->ran = 0;
}

/* Appends one "NAME=VALUE" param (split by param_from_env). */
void
vec_add(struct vrun *v, const char *nv)
{
	assert_true(v->nin < VEC_MAX_PARAMS);
	v->in[v->nin++] = param_from_env(nv);
}

/* Appends one param whose value may hold any byte, NUL included. */
void
vec_add_bytes(struct vrun *v, const char *name, const char *val, size_t len)
{
	assert_true(v->nin < VEC_MAX_PARAMS);
	v->in[v->nin].name = xstr_c(name);
	v->in[v->nin].value.p = val;
	v->in[v->nin].value.len = len;
	v->nin++;
}

/* Appends name=value (both copied into v). */
void
vec_add_nv(struct vrun *v, const char *name, const char *val)
{
	char	*p = v->buf + v->nbuf;
	size_t	 room = sizeof(v->buf) - v->nbuf;
	int	 len;

	len = snprintf(p, room, "%s=%s", name, val);
	assert_true(len >= 0 && (size_t)len < room);
	v->nbuf += (size_t)len + 1;
	vec_add(v, p);
}

/* Appends name=val unless val is VREQ_NONE; def replaces a NULL val. */
static void
add_opt(struct vrun *v, const char *name, const char *val, const char *def)
{
	if (val == VREQ_NONE)
		return;
	if (val == NULL)
		val = def;
	if (val == NULL)
		return;
	vec_add_nv(v, name, val);
}

/* Appends the params of an nginx request (see struct vreq). */
void
vec_add_req(struct vrun *v, const struct vreq *q)
{
	char		 doc[1024];
	const char	*uri, *docuri, *qm;
	size_t		 i, len;

	uri = q->uri != NULL && q->uri != VREQ_NONE ? q->uri : "/";
	qm = strchr(uri, '?');
	len = qm != NULL ? (size_t)(qm - uri) : strlen(uri);
	assert_true(len < sizeof(doc));
	memcpy(doc, uri, len);
	doc[len] = '\0';
	docuri = q->doc_uri != NULL ? q->doc_uri : doc;

	add_opt(v, "REQUEST_METHOD", q->method, "GET");
	add_opt(v, "SCRIPT_NAME", q->script_name, docuri == VREQ_NONE ?
	    NULL : docuri);
	add_opt(v, "PATH_INFO", q->path_info, NULL);
	add_opt(v, "REQUEST_URI", q->uri, "/");
	add_opt(v, "DOCUMENT_URI", docuri, NULL);
	add_opt(v, "REQUEST_SCHEME", q->https ? "https" : "http", NULL);
	if (q->https)
		add_opt(v, "HTTPS", "on", NULL);
	add_opt(v, "REMOTE_ADDR", q->peer, "127.0.0.1");
	add_opt(v, "REMOTE_PORT", q->peer_port, "40000");
	add_opt(v, "SERVER_PORT", q->server_port, q->https ? "443" : "80");
	add_opt(v, "SERVER_NAME", q->server_name, "localhost");
	add_opt(v, "HTTP_HOST", q->host, "localhost");
	for (i = 0; i < VEC_MAX_HDR && q->hdr[i] != NULL; i++)
		vec_add(v, q->hdr[i]);
}

/* Writes a param list to the test output, values escaped. */
static void
print_params(const char *title, const struct params *pl)
{
	char	 esc[512];
	size_t	 i;

	print_error("%s (%zu):\n", title, pl->n);
	for (i = 0; i < pl->n; i++) {
		escape_log(pl->v[i].value, 120, esc, sizeof(esc));
		print_error("  %.*s=%s\n", (int)pl->v[i].name.len,
		    pl->v[i].name.p, esc);
	}
}

/*
 * Runs xff_correct on the params of v.  Fails the test when it returns
 * -1, and, for a 200, when the output holds a name twice (SPEC 3.6).
 */
void
vec_exec(const struct config *cfg, struct vrun *v)
{
	size_t	 i, j;

	assert_int_equal(xff_correct(cfg, v->in, v->nin, &v->r), 0);
	v->ran = 1;
	if (v->r.status != 200)
		return;
	for (i = 0; i < v->r.out.n; i++)
		for (j = i + 1; j < v->r.out.n; j++)
			if (xstr_eq(v->r.out.v[i].name, v->r.out.v[j].name)) {
				print_params("output", &v->r.out);
				fail_msg("param %.*s appears twice",
				    (int)v->r.out.v[i].name.len,
				    v->r.out.v[i].name.p);
			}
}

/* vec_init, vec_add_req, vec_exec in one. */
void
vec_run(const struct config *cfg, struct vrun *v, const struct vreq *q)
{
	vec_init(v);
	vec_add_req(v, q);
	vec_exec(cfg, v);
}

/* Runs q with one more param; see vectors.h. */
void
vec_run_hdr(const struct config *cfg, struct vrun *v, const struct vreq *q,
    const char *name, const char *value)
{
	vec_init(v);
	vec_add_req(v, q);
	if (value != NULL)
		vec_add_nv(v, name, value);
	vec_exec(cfg, v);
}

/* Writes the events of v to the test output. */
static void
print_events(const struct vrun *v)
{
	size_t	 i;

	print_error("events (%zu):\n", v->r.nev);
	for (i = 0; i < v->r.nev; i++)
		print_error("  %s %s\n", log_level_name(v->r.ev[i].level),
		    event_name(v->r.ev[i].kind));
}

/* Fails at file:line unless cond holds. */
static void
check(int cond, const char *file, int line)
{
	if (!cond)
		_fail(file, line);
}

/* Fails at file:line unless v ended with this status and reason. */
void
vec_status_at(const char *file, int line, struct vrun *v, int status,
    enum xff_event reason)
{
	check(v->ran, file, line);
	if (v->r.status != status || v->r.reason != reason) {
		print_error("expected status %d reason %s, got %d %s\n",
		    status, event_name(reason), v->r.status,
		    event_name(v->r.reason));
		print_events(v);
		_fail(file, line);
	}
}

/*
 * Fails unless the events of v are exactly the n (kind, level) pairs, in
 * any order.
 */
void
vec_events_at(const char *file, int line, struct vrun *v, int n, ...)
{
	enum xff_event	 kind[XFF_MAX_EVENTS];
	enum log_level	 lvl[XFF_MAX_EVENTS];
	int		 used[XFF_MAX_EVENTS] = { 0 };
	va_list		 ap;
	int		 i, ok = 1;
	size_t		 j;

	check(v->ran && n >= 0 && n <= XFF_MAX_EVENTS, file, line);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		kind[i] = va_arg(ap, enum xff_event);
		lvl[i] = va_arg(ap, enum log_level);
	}
	va_end(ap);
	if (v->r.nev != (size_t)n || v->r.nev_dropped != 0)
		ok = 0;
	for (j = 0; ok && j < v->r.nev; j++) {
		for (i = 0; i < n; i++)
			if (!used[i] && kind[i] == v->r.ev[j].kind &&
			    lvl[i] == v->r.ev[j].level)
				break;
		if (i == n)
			ok = 0;
		else
			used[i] = 1;
	}
	if (!ok) {
		print_error("expected %d event(s):\n", n);
		for (i = 0; i < n; i++)
			print_error("  %s %s\n", log_level_name(lvl[i]),
			    event_name(kind[i]));
		print_events(v);
		_fail(file, line);
	}
}

/* Fails unless an event of kind names param header (and carries value). */
void
vec_event_detail_at(const char *file, int line, struct vrun *v,
    enum xff_event kind, const char *header, const char *value)
{
	const struct event	*e;
	size_t			 i;

	check(v->ran, file, line);
	for (i = 0; i < v->r.nev; i++) {
		e = &v->r.ev[i];
		if (e->kind != kind || e->header == NULL ||
		    strcmp(e->header, header) != 0)
			continue;
		if (value == NULL || xstr_eqc(e->value, value))
			return;
	}
	print_error("expected an event %s header=%s value=%s\n",
	    event_name(kind), header, value != NULL ? value : "(any)");
	for (i = 0; i < v->r.nev; i++) {
		e = &v->r.ev[i];
		print_error("  %s header=%s value=%.*s\n", event_name(e->kind),
		    e->header != NULL ? e->header : "(null)",
		    (int)e->value.len, e->value.p != NULL ? e->value.p : "");
	}
	_fail(file, line);
}

/* Returns the index of name in the output of v, or -1; fails unless a 200. */
static long
find_out(const char *file, int line, struct vrun *v, const char *name)
{
	check(v->ran, file, line);
	if (v->r.status != 200) {
		print_error("no params: status %d reason %s\n", v->r.status,
		    event_name(v->r.reason));
		print_events(v);
		_fail(file, line);
	}
	return params_find(&v->r.out, name);
}

/* Fails unless the output of v holds name with this value. */
void
vec_param_at(const char *file, int line, struct vrun *v, const char *name,
    const char *value)
{
	long	 i;
	char	 esc[512];

	i = find_out(file, line, v, name);
	if (i < 0) {
		print_error("expected %s=%s, absent\n", name, value);
		print_params("output", &v->r.out);
		_fail(file, line);
	}
	if (!xstr_eqc(v->r.out.v[i].value, value)) {
		escape_log(v->r.out.v[i].value, 120, esc, sizeof(esc));
		print_error("expected %s=%s, got %s=%s\n", name, value, name,
		    esc);
		_fail(file, line);
	}
}

/* Fails unless the output of v lacks name. */
void
vec_absent_at(const char *file, int line, struct vrun *v, const char *name)
{
	if (find_out(file, line, v, name) >= 0) {
		print_error("expected %s to be absent\n", name);
		print_params("output", &v->r.out);
		_fail(file, line);
	}
}

/* Fails unless the output of v is exactly expect, in order. */
void
vec_params_at(const char *file, int line, struct vrun *v,
    const char *const *expect)
{
	struct param	 p;
	size_t		 i, n;
	int		 ok = 1;

	(void)find_out(file, line, v, "");
	for (n = 0; expect[n] != NULL; n++)
		;
	if (n != v->r.out.n)
		ok = 0;
	for (i = 0; ok && i < n; i++) {
		p = param_from_env(expect[i]);
		if (!xstr_eq(p.name, v->r.out.v[i].name) ||
		    !xstr_eq(p.value, v->r.out.v[i].value))
			ok = 0;
	}
	if (!ok) {
		print_error("expected params (%zu):\n", n);
		for (i = 0; i < n; i++)
			print_error("  %s\n", expect[i]);
		print_params("got", &v->r.out);
		_fail(file, line);
	}
}
