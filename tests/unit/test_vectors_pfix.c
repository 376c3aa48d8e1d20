/*
 * test_vectors_pfix.c: Werkzeug ProxyFix's test vectors
 * (reference/xff-semantics.md section 4: the 17 upstream cases of 4.2 and
 * the edge vectors of 4.3), each with the outcome SPEC 3 asks for.  Where
 * SPEC deliberately differs from ProxyFix, the comment says so.
 *
 * ProxyFix's keyword arguments are our [trust] keys with the same names
 * and defaults (x_for 1, x_proto 1, the others 0).  The base request is
 * Werkzeug's create_environ() as nginx would pass it: REMOTE_ADDR
 * 192.168.0.1 (port 40000), SERVER_NAME localhost, SERVER_PORT 80, scheme
 * http, SCRIPT_NAME "", PATH_INFO "/", REQUEST_URI "/".
 *
 * Common differences from ProxyFix, by SPEC section:
 *  - 3.2: REMOTE_PORT takes the chosen element's port, else it is removed;
 *    with fewer elements than x_for the whole chain is used (leftmost,
 *    depth_mismatch) where ProxyFix ignores the header.
 *  - 3.3: values are validated; https sets HTTPS=on and REQUEST_SCHEME, and
 *    without a forwarded port SERVER_PORT becomes the scheme's default; the
 *    port of HTTP_HOST is left out when it is the scheme's default; the
 *    prefix is prepended to SCRIPT_NAME and REQUEST_URI, not substituted.
 *  - 3.6: the forwarded headers are cleaned to the applied value, and
 *    every changed param is kept as ORIGINAL_<NAME> (ProxyFix keeps a
 *    werkzeug.proxy_fix.orig dict of six keys).
 */
#include "vectors.h"

/* Runs q over Werkzeug's base environ (fields left NULL take its values). */
static void
pfix_run(const struct config *cfg, struct vrun *v, const struct vreq *in)
{
	struct vreq	 q = *in;

	if (q.peer == NULL)
		q.peer = "192.168.0.1";
	if (q.script_name == NULL)
		q.script_name = "";
	if (q.path_info == NULL)
		q.path_info = "/";
	vec_run(cfg, v, &q);
}

/* The scheme stayed http: no HTTPS, REQUEST_SCHEME http. */
#define SCHEME_HTTP(v) do {						\
	VEC_PARAM((v), "REQUEST_SCHEME", "http");			\
	VEC_ABSENT((v), "HTTPS");					\
} while (0)

/* The scheme became https. */
#define SCHEME_HTTPS(v) do {						\
	VEC_PARAM((v), "REQUEST_SCHEME", "https");			\
	VEC_PARAM((v), "HTTPS", "on");					\
} while (0)

/* REMOTE_ADDR and REMOTE_PORT untouched (peer 192.168.0.1). */
#define PEER_KEPT(v) do {						\
	VEC_PARAM((v), "REMOTE_ADDR", "192.168.0.1");			\
	VEC_PARAM((v), "REMOTE_PORT", "40000");				\
} while (0)

/* ---- 4.2: the upstream cases */

/*
 * for: {} with RA 192.168.0.2, Host spam, XFF 192.168.0.1, XFP https ->
 * 192.168.0.1, https, url_root https://spam/.  SPEC 3.3 step 4: the scheme
 * was forwarded without a port, so SERVER_PORT becomes 443 (ProxyFix
 * leaves 80); HTTPS=on is added.
 */
static void
pfix_for(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "192.168.0.2", .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_FOR=192.168.0.1",
			    "HTTP_X_FORWARDED_PROTO=https" } };

	vec_cfg(&cfg);
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.1");
	VEC_ABSENT(&v, "REMOTE_PORT");
	SCHEME_HTTPS(&v);
	VEC_PARAM(&v, "HTTP_HOST", "spam");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_PARAM(&v, "SCRIPT_NAME", "");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "192.168.0.1");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "https");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * proto: x_proto=1, Host spam, XFP https -> https (SERVER_PORT 443, see
 * "for").
 */
static void
pfix_proto(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_PROTO=https" } };

	vec_cfg(&cfg);
	cfg.x_proto = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	SCHEME_HTTPS(&v);
	VEC_PARAM(&v, "HTTP_HOST", "spam");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * host: x_host=1, Host spam, XFH eggs -> HTTP_HOST and SERVER_NAME eggs,
 * port 80 kept.
 */
static void
pfix_host(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_HOST=eggs" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	SCHEME_HTTP(&v);
	VEC_PARAM(&v, "HTTP_HOST", "eggs");
	VEC_PARAM(&v, "SERVER_NAME", "eggs");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "ORIGINAL_HTTP_HOST", "spam");
	VEC_PARAM(&v, "ORIGINAL_SERVER_NAME", "localhost");
	VEC_ABSENT(&v, "ORIGINAL_SERVER_PORT");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_HOST", "eggs");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* port, host without port: x_port=1, Host spam, XFPort 8080 -> spam:8080. */
static void
pfix_port_host_without_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_PORT=8080" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	SCHEME_HTTP(&v);
	VEC_PARAM(&v, "HTTP_HOST", "spam:8080");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "8080");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PORT", "8080");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* port, host with port: Host spam:9000, XFPort 8080 -> spam:8080. */
static void
pfix_port_host_with_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam:9000",
			    .hdr = { "HTTP_X_FORWARDED_PORT=8080" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "spam:8080");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "8080");
	VEC_PARAM(&v, "ORIGINAL_HTTP_HOST", "spam:9000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * port, name: no Host; SERVER_NAME spam, SERVER_PORT 9000, XFPort 8080 ->
 * SERVER_PORT 8080; HTTP_HOST is not added (SPEC 3.6: nothing else added).
 */
static void
pfix_port_name(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = VREQ_NONE, .server_name = "spam",
			    .server_port = "9000",
			    .hdr = { "HTTP_X_FORWARDED_PORT=8080" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_ABSENT(&v, "HTTP_HOST");
	VEC_PARAM(&v, "SERVER_NAME", "spam");
	VEC_PARAM(&v, "SERVER_PORT", "8080");
	VEC_PARAM(&v, "ORIGINAL_SERVER_PORT", "9000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * prefix: x_prefix=1, Host spam, XFPrefix /eggs -> SCRIPT_NAME /eggs
 * (prepended to "": same as ProxyFix here), REQUEST_URI /eggs/, PATH_INFO
 * unchanged.
 */
static void
pfix_prefix(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_PREFIX=/eggs" } };

	vec_cfg(&cfg);
	cfg.x_prefix = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SCRIPT_NAME", "/eggs");
	VEC_PARAM(&v, "REQUEST_URI", "/eggs/");
	VEC_PARAM(&v, "PATH_INFO", "/");
	VEC_PARAM(&v, "DOCUMENT_URI", "/");
	VEC_PARAM(&v, "HTTP_HOST", "spam");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PREFIX", "/eggs");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * all: every depth 1; RA 192.168.0.2, Host spam:9000, XFF 192.168.0.1,
 * XFP https, XFH eggs, XFPort 443, XFPrefix /ham -> url_root
 * https://eggs/ham/.  SPEC 3.3 step 3: the port of HTTP_HOST is left out
 * when it is the scheme's default, so HTTP_HOST is "eggs" (ProxyFix:
 * "eggs:443").  The full list: incoming order, HTTPS added after, then
 * ORIGINAL_* of every changed or removed param in incoming order.
 */
static void
pfix_all(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "192.168.0.2", .host = "spam:9000",
			    .hdr = { "HTTP_X_FORWARDED_FOR=192.168.0.1",
			    "HTTP_X_FORWARDED_PROTO=https",
			    "HTTP_X_FORWARDED_HOST=eggs",
			    "HTTP_X_FORWARDED_PORT=443",
			    "HTTP_X_FORWARDED_PREFIX=/ham" } };

	vec_cfg(&cfg);
	cfg.x_for = cfg.x_proto = cfg.x_host = cfg.x_port = cfg.x_prefix = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/ham",
	    "PATH_INFO=/",
	    "REQUEST_URI=/ham/",
	    "DOCUMENT_URI=/",
	    "REQUEST_SCHEME=https",
	    "REMOTE_ADDR=192.168.0.1",
	    "SERVER_PORT=443",
	    "SERVER_NAME=eggs",
	    "HTTP_HOST=eggs",
	    "HTTP_X_FORWARDED_FOR=192.168.0.1",
	    "HTTP_X_FORWARDED_PROTO=https",
	    "HTTP_X_FORWARDED_HOST=eggs",
	    "HTTP_X_FORWARDED_PORT=443",
	    "HTTP_X_FORWARDED_PREFIX=/ham",
	    "HTTPS=on",
	    "ORIGINAL_SCRIPT_NAME=",
	    "ORIGINAL_REQUEST_URI=/",
	    "ORIGINAL_REQUEST_SCHEME=http",
	    "ORIGINAL_REMOTE_ADDR=192.168.0.2",
	    "ORIGINAL_REMOTE_PORT=40000",
	    "ORIGINAL_SERVER_PORT=80",
	    "ORIGINAL_SERVER_NAME=localhost",
	    "ORIGINAL_HTTP_HOST=spam:9000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* multiple for: x_for=2, RA .3, XFF "192.168.0.1, 192.168.0.2" -> .1. */
static void
pfix_multiple_for(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "192.168.0.3", .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=192.168.0.1, 192.168.0.2" } };

	vec_cfg(&cfg);
	cfg.x_for = 2;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.1");
	VEC_ABSENT(&v, "REMOTE_PORT");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_ADDR", "192.168.0.3");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "192.168.0.1, 192.168.0.2");
	SCHEME_HTTP(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * ignore 0: x_for=0, XFF 192.168.0.2 -> ignored, peer kept.  The header,
 * all client-written with x_for = 0, is removed under clean and logged as
 * spoof_attempt (info, n > x_for).
 */
static void
pfix_ignore_0(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_FOR=192.168.0.2" } };

	vec_cfg(&cfg);
	cfg.x_for = 0;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	PEER_KEPT(&v);
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_FOR");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "192.168.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * ignore len < trusted: x_for=3, two entries.  SPEC 3.2 (count only):
 * 1 <= n < N uses the whole chain, the leftmost 192.168.0.3, with a
 * depth_mismatch warning.  ProxyFix ignores the header (RA stays .1).
 */
static void
pfix_ignore_len_lt_trusted(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=192.168.0.3, 192.168.0.2" } };

	vec_cfg(&cfg);
	cfg.x_for = 3;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.3");
	VEC_ABSENT(&v, "REMOTE_PORT");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "192.168.0.3, 192.168.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * ignore untrusted: {} RA .2, XFF "192.168.0.3, 192.168.0.1" -> the
 * rightmost .1; the client-written .3 is cut off (cleaned) and logged
 * (spoof_attempt, info).
 */
static void
pfix_ignore_untrusted(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "192.168.0.2", .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=192.168.0.3, 192.168.0.1" } };

	vec_cfg(&cfg);
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.1");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "192.168.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * ignore empty: x_for=2, XFF ", 192.168.0.3": the empty element is
 * dropped (SPEC 3), n = 1 < 2, so the whole chain: 192.168.0.3 with
 * depth_mismatch.  ProxyFix leaves RA at .1 (empty item or too few).
 */
static void
pfix_ignore_empty(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_FOR=, 192.168.0.3" } };

	vec_cfg(&cfg);
	cfg.x_for = 2;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.3");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "192.168.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * prefix < for: x_for=2, x_prefix=1, XFF "192.168.0.1, 192.168.0.3",
 * XFPrefix "/ham, /eggs" -> .1 and the rightmost prefix /eggs.
 */
static void
pfix_prefix_lt_for(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "192.168.0.2", .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=192.168.0.1, 192.168.0.3",
			    "HTTP_X_FORWARDED_PREFIX=/ham, /eggs" } };

	vec_cfg(&cfg);
	cfg.x_for = 2;
	cfg.x_prefix = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.168.0.1");
	VEC_PARAM(&v, "SCRIPT_NAME", "/eggs");
	VEC_PARAM(&v, "REQUEST_URI", "/eggs/");
	VEC_PARAM(&v, "PATH_INFO", "/");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PREFIX", "/eggs");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_PREFIX", "/ham, /eggs");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * ipv6 host: x_host=1, XFH [2001:db8::a] -> HTTP_HOST and SERVER_NAME keep
 * brackets.
 */
static void
pfix_ipv6_host(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_HOST=[2001:db8::a]" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "[2001:db8::a]");
	VEC_PARAM(&v, "SERVER_NAME", "[2001:db8::a]");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ipv6 port, host without port: Host [2001:db8::a], XFPort 8080. */
static void
pfix_ipv6_port_host_without_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "[2001:db8::a]",
			    .hdr = { "HTTP_X_FORWARDED_PORT=8080" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "[2001:db8::a]:8080");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "8080");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ipv6 - port, host with port: Host [2001:db8::a]:9000, XFPort 8080. */
static void
pfix_ipv6_port_host_with_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "[2001:db8::a]:9000",
			    .hdr = { "HTTP_X_FORWARDED_PORT=8080" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "[2001:db8::a]:8080");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "8080");
	VEC_PARAM(&v, "ORIGINAL_HTTP_HOST", "[2001:db8::a]:9000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- 4.3: edge vectors */

/* {} RA 10.0.0.1, XFF "1.1.1.1, , 2.2.2.2" -> 2.2.2.2 (empty dropped). */
static void
pfix_extra_01_empty_element_x_for1(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "10.0.0.1",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=1.1.1.1, , 2.2.2.2" } };

	vec_cfg(&cfg);
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "2.2.2.2");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_for=2, same header -> 1.1.1.1 (as Werkzeug >= 3.1.7; <= 3.1.6 left
 * RA unchanged); the empty element is not kept in the cleaned header.
 */
static void
pfix_extra_02_empty_element_x_for2(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "10.0.0.1",
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=1.1.1.1, , 2.2.2.2" } };

	vec_cfg(&cfg);
	cfg.x_for = 2;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "1.1.1.1");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "1.1.1.1, 2.2.2.2");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "1.1.1.1, , 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * {} XFF "" or blank -> unchanged; the unusable header is removed under
 * clean.
 */
static void
pfix_extra_03_empty_or_blank(void **state)
{
	static const char *const hdrs[] = {
		"HTTP_X_FORWARDED_FOR=",
		"HTTP_X_FORWARDED_FOR=   ",
		"HTTP_X_FORWARDED_FOR= ,\t, ",
	};
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { 0 };
	size_t		 i;

	vec_cfg(&cfg);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		q.hdr[0] = hdrs[i];
		pfix_run(&cfg, &v, &q);
		VEC_STATUS(&v, 200, EV_NONE);
		VEC_EVENTS(&v, 0);
		PEER_KEPT(&v);
		VEC_ABSENT(&v, "HTTP_X_FORWARDED_FOR");
		vec_free(&v);
	}
	vec_cfg_free(&cfg);
}

/*
 * {} XFF "\"a,b" (unclosed quote): plain comma split, no quote handling
 * (SPEC 3): elements "\"a" and "b"; the chosen "b" is not an address ->
 * REMOTE_ADDR unchanged, invalid_value; ProxyFix >= 3.1.7 ignores the
 * header, <= 3.1.6 writes "\"a,b".
 */
static void
pfix_extra_04_unclosed_quote(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = { "HTTP_X_FORWARDED_FOR=\"a,b" } };

	vec_cfg(&cfg);
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 2, EV_INVALID_VALUE, LOG_LVL_WARNING,
	    EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	PEER_KEPT(&v);
	VEC_PARAM(&v, "HTTP_X_FORWARDED_FOR", "b");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_host=1, Host spam, XFH eggs:8443 -> eggs:8443, SERVER_NAME eggs,
 * SERVER_PORT 8443.
 */
static void
pfix_extra_05_host_with_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_HOST=eggs:8443" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "eggs:8443");
	VEC_PARAM(&v, "SERVER_NAME", "eggs");
	VEC_PARAM(&v, "SERVER_PORT", "8443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_host=1, Host spam, SERVER_PORT 8000, XFH eggs -> SERVER_PORT 8000 kept
 * (no port and no scheme forwarded: SPEC 3.3 step 4 does not apply).
 */
static void
pfix_extra_06_host_without_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam", .server_port = "8000",
			    .hdr = { "HTTP_X_FORWARDED_HOST=eggs" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "eggs");
	VEC_PARAM(&v, "SERVER_NAME", "eggs");
	VEC_PARAM(&v, "SERVER_PORT", "8000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_host=1, XFH "2001:db8::a" (bare IPv6): not an RFC 3986 host -> ignored,
 * invalid_value, the header removed (ProxyFix mangles it into SERVER_NAME
 * "2001:db8:" and SERVER_PORT "a").
 */
static void
pfix_extra_07_bare_ipv6_host(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_HOST=2001:db8::a" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	VEC_EVENT_DETAIL(&v, EV_INVALID_VALUE, "HTTP_X_FORWARDED_HOST",
	    "2001:db8::a");
	VEC_PARAM(&v, "HTTP_HOST", "spam");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_HOST");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_host=1, XFH [2001:db8::a]:8443 -> SERVER_NAME [2001:db8::a],
 * SERVER_PORT 8443.
 */
static void
pfix_extra_08_bracketed_ipv6_host_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_HOST=[2001:db8::a]:8443" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "[2001:db8::a]:8443");
	VEC_PARAM(&v, "SERVER_NAME", "[2001:db8::a]");
	VEC_PARAM(&v, "SERVER_PORT", "8443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* x_host=1, XFH "a.example, b.example" -> the rightmost, b.example. */
static void
pfix_extra_09_host_list_rightmost(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = {
			    "HTTP_X_FORWARDED_HOST=a.example, b.example" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "b.example");
	VEC_PARAM(&v, "SERVER_NAME", "b.example");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_HOST", "b.example");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_host=1, x_port=1, XFH eggs:8443, XFPort 9443 -> eggs:9443 (the port
 * header wins).
 */
static void
pfix_extra_10_host_and_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_HOST=eggs:8443",
			    "HTTP_X_FORWARDED_PORT=9443" } };

	vec_cfg(&cfg);
	cfg.x_host = 1;
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "eggs:9443");
	VEC_PARAM(&v, "SERVER_NAME", "eggs");
	VEC_PARAM(&v, "SERVER_PORT", "9443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_port=1 (x_proto 1), Host spam, XFP https, XFPort 443 -> HTTP_HOST
 * "spam": the default port of the final scheme is left out (SPEC 3.3
 * step 3; ProxyFix writes "spam:443").
 */
static void
pfix_extra_11_https_port_443(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .host = "spam",
			    .hdr = { "HTTP_X_FORWARDED_PROTO=https",
			    "HTTP_X_FORWARDED_PORT=443" } };

	vec_cfg(&cfg);
	cfg.x_port = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	SCHEME_HTTPS(&v);
	VEC_PARAM(&v, "HTTP_HOST", "spam");
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_HOST");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* x_proto=1, XFP "http, https" -> https (rightmost); cleaned to "https". */
static void
pfix_extra_12_proto_list_x_proto1(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = {
			    .hdr = { "HTTP_X_FORWARDED_PROTO=http, https" } };

	vec_cfg(&cfg);
	cfg.x_proto = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	SCHEME_HTTPS(&v);
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "https");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_PROTO", "http, https");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_proto=2, XFP "http, https" -> http (2nd from the right); cleaned to
 * "http".
 */
static void
pfix_extra_13_proto_list_x_proto2(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = {
			    .hdr = { "HTTP_X_FORWARDED_PROTO=http, https" } };

	vec_cfg(&cfg);
	cfg.x_proto = 2;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	SCHEME_HTTP(&v);
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "http");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * x_prefix=1, SCRIPT_NAME /app, XFPrefix /eggs/ -> SCRIPT_NAME /eggs/app:
 * prepended, trailing "/" dropped (SPEC 3.3 step 5; ProxyFix replaces it
 * with "/eggs/").  REQUEST_URI gets the prefix too; the original
 * SCRIPT_NAME is kept as ORIGINAL_SCRIPT_NAME.
 */
static void
pfix_extra_14_prefix_prepended(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .uri = "/app/", .script_name = "/app",
			    .hdr = { "HTTP_X_FORWARDED_PREFIX=/eggs/" } };

	vec_cfg(&cfg);
	cfg.x_prefix = 1;
	pfix_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SCRIPT_NAME", "/eggs/app");
	VEC_PARAM(&v, "REQUEST_URI", "/eggs/app/");
	VEC_PARAM(&v, "PATH_INFO", "/");
	VEC_PARAM(&v, "DOCUMENT_URI", "/app/");
	VEC_PARAM(&v, "ORIGINAL_SCRIPT_NAME", "/app");
	VEC_PARAM(&v, "ORIGINAL_REQUEST_URI", "/app/");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PREFIX", "/eggs");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pfix_for),
		cmocka_unit_test(pfix_proto),
		cmocka_unit_test(pfix_host),
		cmocka_unit_test(pfix_port_host_without_port),
		cmocka_unit_test(pfix_port_host_with_port),
		cmocka_unit_test(pfix_port_name),
		cmocka_unit_test(pfix_prefix),
		cmocka_unit_test(pfix_all),
		cmocka_unit_test(pfix_multiple_for),
		cmocka_unit_test(pfix_ignore_0),
		cmocka_unit_test(pfix_ignore_len_lt_trusted),
		cmocka_unit_test(pfix_ignore_untrusted),
		cmocka_unit_test(pfix_ignore_empty),
		cmocka_unit_test(pfix_prefix_lt_for),
		cmocka_unit_test(pfix_ipv6_host),
		cmocka_unit_test(pfix_ipv6_port_host_without_port),
		cmocka_unit_test(pfix_ipv6_port_host_with_port),
		cmocka_unit_test(pfix_extra_01_empty_element_x_for1),
		cmocka_unit_test(pfix_extra_02_empty_element_x_for2),
		cmocka_unit_test(pfix_extra_03_empty_or_blank),
		cmocka_unit_test(pfix_extra_04_unclosed_quote),
		cmocka_unit_test(pfix_extra_05_host_with_port),
		cmocka_unit_test(pfix_extra_06_host_without_port),
		cmocka_unit_test(pfix_extra_07_bare_ipv6_host),
		cmocka_unit_test(pfix_extra_08_bracketed_ipv6_host_port),
		cmocka_unit_test(pfix_extra_09_host_list_rightmost),
		cmocka_unit_test(pfix_extra_10_host_and_port),
		cmocka_unit_test(pfix_extra_11_https_port_443),
		cmocka_unit_test(pfix_extra_12_proto_list_x_proto1),
		cmocka_unit_test(pfix_extra_13_proto_list_x_proto2),
		cmocka_unit_test(pfix_extra_14_prefix_prepended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
