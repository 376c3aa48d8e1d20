/*
 * test_vectors_peers.c: the tricky inputs of reference/peers.md part (b),
 * rows 1-57, each with the outcome SPEC 3 asks for.  Where SPEC differs
 * from the row's "correct outcome", the comment says so.
 *
 * Reference setup (as in peers.md): client -> load balancer -> nginx ->
 * gateway; nginx passes REMOTE_ADDR 10.0.0.2; proxies = 10.0.0.0/24,
 * x_for = 1, strict and header_required on ("lenient": both off).
 * x_proto is 0 unless the row is about the scheme.
 *
 * Rows tested elsewhere, because they are about the web server or the
 * program around the core rather than the correction itself:
 *  - 9 (FastCGI keep-conn): the connection handling is the gateway's
 *    (tests/integration); here only the core's part: a reused result
 *    carries nothing from one request to the next.
 *  - 50 (X_Forwarded_For with underscores): nginx drops such headers
 *    (underscores_in_headers off), so the name never reaches the gateway
 *    as HTTP_X_FORWARDED_FOR; that is the web server's job and is covered
 *    by the integration tests with nginx.
 *  - 56, the "byte-identical 404" part: the response body is written by
 *    the programs (tests/integration); the exempt matching is tested here.
 *  - 57 (rate limiting): the log rate limit lives in the programs' logger
 *    (gateway/log.c); here only the escaping and capping of the event
 *    line produced by the core (event_format).
 */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_PEER	"10.0.0.2"
#define XFF		"HTTP_X_FORWARDED_FOR"

/* The reference setup; strict also sets header_required. */
static void
ref_cfg(struct config *cfg, int strict)
{
	vec_cfg(cfg);
	vec_cfg_proxies(cfg, "10.0.0.0/24");
	cfg->x_for = 1;
	cfg->x_proto = 0;
	cfg->strict = strict;
	cfg->header_required = strict;
}

/* Sets strict and header_required together. */
static void
set_strict(struct config *cfg, int on)
{
	cfg->strict = on;
	cfg->header_required = on;
}

/* Runs q, from the reference peer unless q names another. */
static void
ref_run(const struct config *cfg, struct vrun *v, const struct vreq *in)
{
	struct vreq	 q = *in;

	if (q.peer == NULL)
		q.peer = REF_PEER;
	vec_run(cfg, v, &q);
}

/*
 * Runs a GET / from peer (NULL: 10.0.0.2) with X-Forwarded-For xff (NULL:
 * none).
 */
static void
xff_run(const struct config *cfg, struct vrun *v, const char *peer,
    const char *xff)
{
	struct vreq	 q = { .peer = peer != NULL ? peer : REF_PEER };

	vec_run_hdr(cfg, v, &q, XFF, xff);
}

/*
 * X-Forwarded-For xff from the reference peer gives a 200 without events,
 * REMOTE_ADDR ra and REMOTE_PORT port (NULL: removed).
 */
static void
expect_client(const char *f, int l, const struct config *cfg,
    const char *xff, const char *ra, const char *port)
{
	struct vrun	 v;

	xff_run(cfg, &v, NULL, xff);
	vec_status_at(f, l, &v, 200, EV_NONE);
	vec_events_at(f, l, &v, 0);
	vec_param_at(f, l, &v, "REMOTE_ADDR", ra);
	if (port != NULL)
		vec_param_at(f, l, &v, "REMOTE_PORT", port);
	else
		vec_absent_at(f, l, &v, "REMOTE_PORT");
	vec_free(&v);
}
#define EXPECT_CLIENT(cfg, xff, ra, port) \
	expect_client(__FILE__, __LINE__, (cfg), (xff), (ra), (port))

/*
 * The chosen X-Forwarded-For element xff (one element, x_for 1) is not an
 * address: strict -> 400 invalid_value; lenient -> 200, REMOTE_ADDR and
 * REMOTE_PORT unchanged, invalid_value warning (SPEC 3.2).
 */
static void
expect_invalid(const char *f, int l, struct config *cfg, const char *xff)
{
	struct vrun	 v;

	set_strict(cfg, 1);
	xff_run(cfg, &v, NULL, xff);
	vec_status_at(f, l, &v, 400, EV_INVALID_VALUE);
	vec_events_at(f, l, &v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	vec_free(&v);

	set_strict(cfg, 0);
	xff_run(cfg, &v, NULL, xff);
	vec_status_at(f, l, &v, 200, EV_NONE);
	vec_events_at(f, l, &v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	vec_event_detail_at(f, l, &v, EV_INVALID_VALUE, XFF, NULL);
	vec_param_at(f, l, &v, "REMOTE_ADDR", REF_PEER);
	vec_param_at(f, l, &v, "REMOTE_PORT", "40000");
	vec_free(&v);
}
#define EXPECT_INVALID(cfg, xff) \
	expect_invalid(__FILE__, __LINE__, (cfg), (xff))

/*
 * Header hdr=value (X-Forwarded-Proto/-Host/-Port/-Prefix) is invalid:
 * strict -> 400 invalid_value; lenient -> 200, param name keeps the value
 * keep, invalid_value warning naming hdr, hdr removed under clean.
 */
static void
expect_bad_header(const char *f, int l, struct config *cfg,
    const struct vreq *base, const char *hdr, const char *value,
    const char *name, const char *keep)
{
	struct vrun	 v;
	int		 strict;

	for (strict = 1; strict >= 0; strict--) {
		set_strict(cfg, strict);
		vec_init(&v);
		vec_add_req(&v, base);
		vec_add_nv(&v, XFF, "198.51.100.7");
		vec_add_nv(&v, hdr, value);
		vec_exec(cfg, &v);
		if (strict) {
			vec_status_at(f, l, &v, 400, EV_INVALID_VALUE);
			vec_events_at(f, l, &v, 1, EV_INVALID_VALUE,
			    LOG_LVL_WARNING);
		} else {
			vec_status_at(f, l, &v, 200, EV_NONE);
			vec_events_at(f, l, &v, 1, EV_INVALID_VALUE,
			    LOG_LVL_WARNING);
			vec_event_detail_at(f, l, &v, EV_INVALID_VALUE, hdr,
			    NULL);
			vec_param_at(f, l, &v, name, keep);
			vec_absent_at(f, l, &v, hdr);
		}
		vec_free(&v);
	}
}
#define EXPECT_BAD_HEADER(cfg, base, hdr, value, name, keep) \
	expect_bad_header(__FILE__, __LINE__, (cfg), (base), (hdr), (value), \
	    (name), (keep))

/* ---- Trust boundary and topology */

/*
 * 1: untrusted peer 203.0.113.9 with XFF 1.2.3.4: header ignored; strict
 * -> 400 untrusted_peer; lenient -> REMOTE_ADDR kept, untrusted_peer
 * logged, the header removed under clean (SPEC 3.1); always_proxy alone
 * also rejects.  A blank header is not "carried" (3.1): strict then
 * judges it as absent.
 */
static void
peers_b_01_untrusted_peer(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 more = { .peer = "203.0.113.9", .hdr = {
			    "HTTP_X_FORWARDED_FOR=1.2.3.4",
			    "HTTP_X_FORWARDED_PROTO=https",
			    "HTTP_X_REAL_IP=6.6.6.6" } };

	ref_cfg(&cfg, 1);
	xff_run(&cfg, &v, "203.0.113.9", "1.2.3.4");
	VEC_STATUS(&v, 400, EV_UNTRUSTED_PEER);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	vec_free(&v);

	xff_run(&cfg, &v, "203.0.113.9", " , ");
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);

	set_strict(&cfg, 0);
	xff_run(&cfg, &v, "203.0.113.9", "1.2.3.4");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.9");
	VEC_PARAM(&v, "REMOTE_PORT", "40000");
	VEC_ABSENT(&v, XFF);
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "1.2.3.4");
	vec_free(&v);

	/* the other forwarded headers and strip_headers go too (clean) */
	ref_run(&cfg, &v, &more);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.9");
	VEC_ABSENT(&v, XFF);
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_PROTO");
	VEC_ABSENT(&v, "HTTP_X_REAL_IP");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	vec_free(&v);

	cfg.always_proxy = 1;
	xff_run(&cfg, &v, "203.0.113.9", "1.2.3.4");
	VEC_STATUS(&v, 400, EV_UNTRUSTED_PEER);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	vec_free(&v);

	/* always_proxy rejects a bypass even without any forwarded header */
	xff_run(&cfg, &v, "203.0.113.9", NULL);
	VEC_STATUS(&v, 400, EV_UNTRUSTED_PEER);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	vec_free(&v);

	/* loose (SPEC 3.1, 3.5 rule 3): not rejected, still not believed,
	 * still logged, and the headers are left untouched */
	cfg.loose = 1;
	ref_run(&cfg, &v, &more);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.9");
	VEC_PARAM(&v, XFF, "1.2.3.4");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "https");
	VEC_PARAM(&v, "HTTP_X_REAL_IP", "6.6.6.6");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 2: trusted peer, no XFF: required -> 400 missing_header (error); lenient
 * -> unchanged.
 */
static void
peers_b_02_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	xff_run(&cfg, &v, NULL, NULL);
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);

	set_strict(&cfg, 0);
	xff_run(&cfg, &v, NULL, NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", REF_PEER);
	VEC_PARAM(&v, "REMOTE_PORT", "40000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 3: XFF empty, blank or only commas = absent; REMOTE_ADDR never "". */
static void
peers_b_03_empty_blank_commas(void **state)
{
	static const char *const xffs[] = { "", "  \t ", ",", " , ,\t," };
	struct config	 cfg;
	struct vrun	 v;
	size_t		 i;

	ref_cfg(&cfg, 1);
	for (i = 0; i < sizeof(xffs) / sizeof(xffs[0]); i++) {
		set_strict(&cfg, 1);
		xff_run(&cfg, &v, NULL, xffs[i]);
		VEC_STATUS(&v, 400, EV_MISSING_HEADER);
		VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
		vec_free(&v);

		set_strict(&cfg, 0);
		xff_run(&cfg, &v, NULL, xffs[i]);
		VEC_STATUS(&v, 200, EV_NONE);
		VEC_EVENTS(&v, 0);
		VEC_PARAM(&v, "REMOTE_ADDR", REF_PEER);
		VEC_PARAM(&v, "REMOTE_PORT", "40000");
		VEC_ABSENT(&v, XFF);
		vec_free(&v);
	}
	vec_cfg_free(&cfg);
}

/*
 * 4: x_for 2, one entry 198.51.100.7: strict -> 400 depth_mismatch.
 * Lenient, SPEC 3.2 differs from the row ("leave unchanged"): with
 * proxies, the first element from the right that is not a trusted proxy
 * is the client, so 198.51.100.7; x_for is then the longest walk, and a
 * walk that stops at an untrusted element logs nothing (SPEC 3.5).  In
 * count mode (no proxies) the whole chain is used as django-xff does,
 * the leftmost, with depth_mismatch.
 */
static void
peers_b_04_too_few_entries(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	cfg.x_for = 2;
	xff_run(&cfg, &v, NULL, "198.51.100.7");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);

	set_strict(&cfg, 0);
	xff_run(&cfg, &v, NULL, "198.51.100.7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	vec_free(&v);
	vec_cfg_free(&cfg);

	vec_cfg(&cfg);
	cfg.x_for = 2;
	cfg.x_proto = 0;
	xff_run(&cfg, &v, NULL, "198.51.100.7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 5: "6.6.6.6, 1.2.3.4" (client pre-seeded), x_for 1 -> 1.2.3.4 and
 * spoof_attempt (info) carrying the full header; 400 only under
 * no_spoofing (spoof_attempt) or, in the reference setup, strict (n != 1:
 * depth_mismatch, SPEC 3.5 rule 6).
 */
static void
peers_b_05_client_preseeded(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 0);
	xff_run(&cfg, &v, NULL, "6.6.6.6, 1.2.3.4");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_EVENT_DETAIL(&v, EV_SPOOF_ATTEMPT, XFF, "6.6.6.6, 1.2.3.4");
	VEC_PARAM(&v, "REMOTE_ADDR", "1.2.3.4");
	VEC_PARAM(&v, XFF, "1.2.3.4");
	vec_free(&v);

	cfg.no_spoofing = 1;
	xff_run(&cfg, &v, NULL, "6.6.6.6, 1.2.3.4");
	VEC_STATUS(&v, 400, EV_SPOOF_ATTEMPT);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_WARNING);
	vec_free(&v);

	cfg.no_spoofing = 0;
	set_strict(&cfg, 1);
	xff_run(&cfg, &v, NULL, "6.6.6.6, 1.2.3.4");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 6: proxies 10.0.0.0/8, every entry trusted: "10.9.9.9, 10.1.1.1".  The
 * walk stops at x_for (SPEC 3.2): x_for 1 -> 10.1.1.1, x_for 2 ->
 * 10.9.9.9; x_for 3 (all trusted, fewer than x_for) -> the leftmost with
 * depth_mismatch, and strict rejects it.
 */
static void
peers_b_06_all_trusted(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	vec_cfg(&cfg);
	vec_cfg_proxies(&cfg, "10.0.0.0/8");
	cfg.x_proto = 0;
	cfg.x_for = 1;
	xff_run(&cfg, &v, NULL, "10.9.9.9, 10.1.1.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "10.1.1.1");
	vec_free(&v);

	cfg.x_for = 2;
	xff_run(&cfg, &v, NULL, "10.9.9.9, 10.1.1.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "10.9.9.9");
	vec_free(&v);

	cfg.x_for = 3;
	xff_run(&cfg, &v, NULL, "10.9.9.9, 10.1.1.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "10.9.9.9");
	vec_free(&v);

	set_strict(&cfg, 1);
	xff_run(&cfg, &v, NULL, "10.9.9.9, 10.1.1.1");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 6b (SPEC 3.5, revision 10): with proxies, x_for is the longest walk, as
 * nginx's real_ip_recursive: the realip habit "proxies = 10.0.0.0/8,
 * x_for = 5" logs nothing on normal traffic; only a walk that runs out of
 * elements, all trusted, logs depth_mismatch.  strict and always_proxy
 * still compare n with x_for.  "unix:" alone in proxies is a walk too:
 * it never matches an element, so the rightmost element is the client.
 */
static void
peers_b_06b_longest_walk(void **state)
{
	static const struct {
		const char	*proxies;
		int		 x_for, strict, always, exempt;
		const char	*xff;
		int		 status;
		enum xff_event	 ev;	/* the one event logged, or EV_NONE */
		enum log_level	 lvl;
		const char	*client;
	} t[] = {
		{ "10.0.0.0/8", 5, 0, 0, 0, "198.51.100.7, 10.1.1.1", 200,
		    EV_NONE, 0, "198.51.100.7" },
		{ "10.0.0.0/8", 5, 0, 0, 0, "198.51.100.7", 200,
		    EV_NONE, 0, "198.51.100.7" },
		{ "10.0.0.0/8", 5, 0, 0, 0, "6.6.6.6, 198.51.100.7, 10.1.1.1",
		    200, EV_NONE, 0, "198.51.100.7" },
		{ "10.0.0.0/8", 5, 0, 0, 0, "10.2.2.2, 10.1.1.1", 200,
		    EV_DEPTH_MISMATCH, LOG_LVL_WARNING, "10.2.2.2" },
		{ "10.0.0.0/8", 5, 0, 0, 1, "198.51.100.7, 10.1.1.1", 200,
		    EV_NONE, 0, "198.51.100.7" },
		{ "10.0.0.0/8", 5, 0, 0, 1, "10.2.2.2, 10.1.1.1", 200,
		    EV_DEPTH_MISMATCH, LOG_LVL_WARNING, "10.2.2.2" },
		{ "10.0.0.0/8", 2, 0, 0, 0,
		    "1.1.1.1, 2.2.2.2, 198.51.100.7, 10.1.1.1", 200,
		    EV_SPOOF_ATTEMPT, LOG_LVL_INFO, "198.51.100.7" },
		{ "10.0.0.0/8", 5, 1, 0, 0, "198.51.100.7, 10.1.1.1", 400,
		    EV_DEPTH_MISMATCH, LOG_LVL_WARNING, NULL },
		{ "10.0.0.0/8", 5, 0, 1, 0, "198.51.100.7, 10.1.1.1", 400,
		    EV_DEPTH_MISMATCH, LOG_LVL_WARNING, NULL },
		{ "10.0.0.9 unix:", 3, 0, 0, 0, "198.51.100.7, 10.0.0.9",
		    200, EV_NONE, 0, "198.51.100.7" },
		{ "unix:", 2, 0, 0, 0, "1.2.3.4, 5.6.7.8", 200, EV_NONE, 0,
		    "5.6.7.8" },
		{ "unix:", 3, 0, 0, 0, "5.6.7.8", 200, EV_NONE, 0,
		    "5.6.7.8" },
	};
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "unix:", .peer_port = "" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("row %zu: proxies %s x_for %d xff %s\n", i,
		    t[i].proxies, t[i].x_for, t[i].xff);
		vec_cfg(&cfg);
		vec_cfg_proxies(&cfg, t[i].proxies);
		if (!cfg.proxies.has_unix)
			q.peer = "10.0.0.2";
		else
			q.peer = "unix:";
		cfg.x_proto = 0;
		cfg.x_for = t[i].x_for;
		cfg.strict = t[i].strict;
		cfg.always_proxy = t[i].always;
		cfg.header_required = t[i].strict || t[i].always;
		if (t[i].exempt) {
			vec_cfg_exempt(&cfg, "^health$");
			q.uri = "/health";
		} else
			q.uri = NULL;
		vec_run_hdr(&cfg, &v, &q, XFF, t[i].xff);
		VEC_STATUS(&v, t[i].status, t[i].status == 200 ? EV_NONE :
		    t[i].ev);
		if (t[i].ev == EV_NONE)
			VEC_EVENTS(&v, 0);
		else
			VEC_EVENTS(&v, 1, t[i].ev, t[i].lvl);
		if (t[i].client != NULL)
			VEC_PARAM(&v, "REMOTE_ADDR", t[i].client);
		vec_free(&v);
		vec_cfg_free(&cfg);
	}
}

/*
 * 7: nginx already ran realip: REMOTE_ADDR is the public client and the
 * header is still there -> an untrusted peer; strict -> 400.
 */
static void
peers_b_07_double_processing(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	xff_run(&cfg, &v, "198.51.100.7", "198.51.100.7");
	VEC_STATUS(&v, 400, EV_UNTRUSTED_PEER);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 8: nginx on a UNIX socket, REMOTE_ADDR "unix:": trusted only when
 * proxies names "unix:" (or in count mode); "unix:" in proxies matches
 * the peer only, never an element.
 */
static void
peers_b_08_unix_socket_peer(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .peer = "unix:", .peer_port = "",
			    .hdr = { "HTTP_X_FORWARDED_FOR=1.2.3.4" } };
	struct vreq	 q2 = { .peer = "unix:", .peer_port = "",
			    .hdr = { "HTTP_X_FORWARDED_FOR=1.2.3.4, unix:" } };

	ref_cfg(&cfg, 1);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 400, EV_UNTRUSTED_PEER);
	vec_free(&v);
	vec_cfg_free(&cfg);

	ref_cfg(&cfg, 1);
	vec_cfg_proxies(&cfg, "unix:");
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "1.2.3.4");
	VEC_ABSENT(&v, "REMOTE_PORT");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_ADDR", "unix:");

	/* x_for 2: the element "unix:" is not a trusted proxy, so it is the
	 * client, and not an address. */
	cfg.x_for = 2;
	set_strict(&cfg, 0);
	vec_free(&v);
	ref_run(&cfg, &v, &q2);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "unix:");
	vec_free(&v);
	vec_cfg_free(&cfg);

	vec_cfg(&cfg);
	cfg.x_proto = 0;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "1.2.3.4");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 9: request A rewritten, request B without XFF through the same result
 * (as a gateway worker reuses it): B uses its own params only.  The
 * FastCGI connection side is tested by the gateway's integration tests.
 */
static void
peers_b_09_no_state_between_requests(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 a = { .peer = REF_PEER,
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=198.51.100.7:5555" } };
	struct vreq	 b = { .peer = "10.0.0.3", .peer_port = "41000" };

	ref_cfg(&cfg, 0);
	vec_init(&v);
	vec_add_req(&v, &a);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "REMOTE_PORT", "5555");

	vec_clear(&v);
	vec_add_req(&v, &b);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/",
	    "REQUEST_URI=/",
	    "DOCUMENT_URI=/",
	    "REQUEST_SCHEME=http",
	    "REMOTE_ADDR=10.0.0.3",
	    "REMOTE_PORT=41000",
	    "SERVER_PORT=80",
	    "SERVER_NAME=localhost",
	    "HTTP_HOST=localhost");

	/* a rejection, then an accepted request: no reason or event left
	 * over */
	set_strict(&cfg, 1);
	vec_clear(&v);
	vec_add_req(&v, &b);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	vec_clear(&v);
	vec_add_req(&v, &a);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- Header instances and list syntax */

/*
 * 10: two XFF lines "6.6.6.6" then "1.2.3.4": one list in order (SPEC 3:
 * joined with ", ") -> 1.2.3.4; the spoof_attempt event and
 * ORIGINAL_HTTP_X_FORWARDED_FOR carry the joined value.
 */
static void
peers_b_10_two_header_lines(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = { "HTTP_X_FORWARDED_FOR=6.6.6.6",
			    "HTTP_X_FORWARDED_FOR=1.2.3.4" } };

	ref_cfg(&cfg, 0);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_EVENT_DETAIL(&v, EV_SPOOF_ATTEMPT, XFF, "6.6.6.6, 1.2.3.4");
	VEC_PARAM(&v, "REMOTE_ADDR", "1.2.3.4");
	VEC_PARAM(&v, XFF, "1.2.3.4");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "6.6.6.6, 1.2.3.4");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 11: duplicate header params (nginx 1.22: one per header line): joined
 * in received order at the place of the first (", "; "; " for
 * HTTP_COOKIE), never "last wins"; joining is not a change (no ORIGINAL_).  x_for 2: the inner 10.0.0.9 is trusted,
 * so 198.51.100.7 is the client.
 */
static void
peers_b_11_duplicate_params(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = {
			    "HTTP_X_FORWARDED_FOR=198.51.100.7",
			    "HTTP_COOKIE=a=1",
			    "HTTP_ACCEPT=text/html",
			    "HTTP_X_FORWARDED_FOR=10.0.0.9",
			    "HTTP_COOKIE=b=2",
			    "HTTP_ACCEPT=*/*" } };

	ref_cfg(&cfg, 1);
	cfg.x_for = 2;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/",
	    "REQUEST_URI=/",
	    "DOCUMENT_URI=/",
	    "REQUEST_SCHEME=http",
	    "REMOTE_ADDR=198.51.100.7",
	    "SERVER_PORT=80",
	    "SERVER_NAME=localhost",
	    "HTTP_HOST=localhost",
	    "HTTP_X_FORWARDED_FOR=198.51.100.7, 10.0.0.9",
	    "HTTP_COOKIE=a=1; b=2",
	    "HTTP_ACCEPT=text/html, */*",
	    "ORIGINAL_REMOTE_ADDR=10.0.0.2",
	    "ORIGINAL_REMOTE_PORT=40000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 11b (SPEC 3, revision 10): a repeated param that is not a header was
 * written twice by the server's configuration (include fastcgi.conf, then
 * fastcgi_param SCRIPT_FILENAME again; the WSGI override
 * fastcgi_param SCRIPT_NAME ""): the last value stands, at the position
 * of the first, as PHP-FPM and uWSGI read it, and it is no change (no
 * ORIGINAL_).  Header params next to them are still joined.
 */
static void
peers_b_11b_repeated_config_params(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = {
			    "SCRIPT_FILENAME=/srv/www/index.php",
			    "HTTP_X_FORWARDED_FOR=198.51.100.7",
			    "APP_ENV=one",
			    "SCRIPT_FILENAME=/var/www/html/index.php",
			    "SCRIPT_NAME=",
			    "APP_ENV=two",
			    "HTTP_X_FORWARDED_FOR=10.0.0.9",
			    "APP_ENV=" } };

	ref_cfg(&cfg, 1);
	cfg.x_for = 2;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=",
	    "REQUEST_URI=/",
	    "DOCUMENT_URI=/",
	    "REQUEST_SCHEME=http",
	    "REMOTE_ADDR=198.51.100.7",
	    "SERVER_PORT=80",
	    "SERVER_NAME=localhost",
	    "HTTP_HOST=localhost",
	    "SCRIPT_FILENAME=/var/www/html/index.php",
	    "HTTP_X_FORWARDED_FOR=198.51.100.7, 10.0.0.9",
	    "APP_ENV=",
	    "ORIGINAL_REMOTE_ADDR=10.0.0.2",
	    "ORIGINAL_REMOTE_PORT=40000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 11c: REMOTE_ADDR written twice (fastcgi_param REMOTE_ADDR after the
 * include): the peer is the last value, as the backend would read it
 * without the gateway.  Here the last one is an untrusted address, so
 * no forwarded header is believed.
 */
static void
peers_b_11c_repeated_remote_addr(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = {
			    "REMOTE_ADDR=192.0.2.99",
			    "HTTP_X_FORWARDED_FOR=198.51.100.7" } };

	ref_cfg(&cfg, 0);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.0.2.99");
	VEC_ABSENT(&v, "ORIGINAL_REMOTE_ADDR");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 12: "1.1.1.1, , 2.2.2.2" with x_for 2: the empty element is dropped ->
 * 1.1.1.1.  SPEC has no event for dropped empty elements (the row
 * suggests a log): none is expected.  Count mode, since with proxies the
 * untrusted 2.2.2.2 would itself be the client; with proxies the same
 * holds when the second hop is trusted.
 */
static void
peers_b_12_empty_elements(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	vec_cfg(&cfg);
	cfg.x_for = 2;
	cfg.x_proto = 0;
	set_strict(&cfg, 1);
	xff_run(&cfg, &v, NULL, "1.1.1.1, , 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);

	ref_cfg(&cfg, 1);
	cfg.x_for = 2;
	EXPECT_CLIENT(&cfg, "1.1.1.1, , 10.0.0.7", "1.1.1.1", NULL);
	EXPECT_CLIENT(&cfg, "1.1.1.1,,,10.0.0.7,", "1.1.1.1", NULL);
	vec_cfg_free(&cfg);
}

/* 13: "1.2.3.4," and ", 1.2.3.4" -> 1.2.3.4 (n = 1). */
static void
peers_b_13_leading_trailing_comma(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "1.2.3.4,", "1.2.3.4", NULL);
	EXPECT_CLIENT(&cfg, ", 1.2.3.4", "1.2.3.4", NULL);
	xff_run(&cfg, &v, NULL, ", 1.2.3.4");
	VEC_PARAM(&v, XFF, "1.2.3.4");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 14: "1.2.3.4 5.6.7.8" (space, no comma) is one malformed element. */
static void
peers_b_14_space_not_separator(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "1.2.3.4 5.6.7.8");
	vec_cfg_free(&cfg);
}

/* 15: "1.2.3.4 ,\t5.6.7.8": spaces and tabs trimmed -> 5.6.7.8. */
static void
peers_b_15_trim_sp_htab(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 0);
	xff_run(&cfg, &v, NULL, "1.2.3.4 ,\t5.6.7.8");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "5.6.7.8");
	VEC_PARAM(&v, XFF, "5.6.7.8");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* Builds an XFF of n elements 10.A.B.C (i = 0 leftmost) into a new buffer. */
static char *
many_elements(size_t n, size_t *lenp)
{
	char	*buf;
	size_t	 i, len = 0, cap = n * 18 + 1;
	int	 w;

	buf = malloc(cap);
	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		w = snprintf(buf + len, cap - len, "%s10.%zu.%zu.%zu",
		    i > 0 ? ", " : "", (i >> 16) & 255, (i >> 8) & 255,
		    i & 255);
		assert_true(w > 0 && (size_t)w < cap - len);
		len += (size_t)w;
	}
	*lenp = len;
	return buf;
}

/*
 * 16: 10 000 entries (about 150 KiB): the right element is chosen, n is
 * counted, strict rejects; with all of them trusted the walk stops at
 * x_for (64, the maximum).  A single 64 KiB element is invalid.
 */
static void
peers_b_16_huge_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	char		*big, *one;
	size_t		 len;
	const size_t	 n = 10000;

	big = many_elements(n, &len);
	ref_cfg(&cfg, 0);
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_bytes(&v, XFF, big, len);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	assert_int_equal(v.r.n, n);
	/* element 9999 = 10.0.39.15 */
	VEC_PARAM(&v, "REMOTE_ADDR", "10.0.39.15");
	VEC_PARAM(&v, XFF, "10.0.39.15");
	vec_free(&v);

	set_strict(&cfg, 1);
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_bytes(&v, XFF, big, len);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	vec_free(&v);
	vec_cfg_free(&cfg);

	/* all trusted: x_for 64 -> element n - 64 = 9936 = 10.0.38.208 */
	vec_cfg(&cfg);
	vec_cfg_proxies(&cfg, "10.0.0.0/8");
	cfg.x_for = 64;
	cfg.x_proto = 0;
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_bytes(&v, XFF, big, len);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "10.0.38.208");
	vec_free(&v);
	vec_cfg_free(&cfg);
	free(big);

	one = malloc(65536);
	assert_non_null(one);
	memset(one, '1', 65536);
	ref_cfg(&cfg, 0);
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_bytes(&v, XFF, one, 65536);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", REF_PEER);
	vec_free(&v);
	vec_cfg_free(&cfg);
	free(one);
}

/* Fails unless line holds only printable ASCII. */
static void
assert_printable(const char *line)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)line; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

/*
 * 17: NUL, CR/LF, ESC and non-ASCII bytes make an element invalid; the
 * log line escapes them (SPEC 3.8).
 */
static void
peers_b_17_control_bytes(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} bad[] = {
		{ "1.2.3.4\0", 8 },
		{ "1.2.3.4\r\nX-Evil: 1", 18 },
		{ "\x1b[31m1.2.3.4", 12 },
		{ "1.2.3.4\xc2\xa0", 9 },
		{ "1.2.\xef\xbc\x93.4", 9 },
	};
	struct config	 cfg;
	struct vrun	 v;
	char		 line[2048];
	size_t		 i, j;
	int		 strict;

	ref_cfg(&cfg, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (strict = 1; strict >= 0; strict--) {
			set_strict(&cfg, strict);
			vec_init(&v);
			vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
			vec_add_bytes(&v, XFF, bad[i].s, bad[i].len);
			vec_exec(&cfg, &v);
			if (strict)
				VEC_STATUS(&v, 400, EV_INVALID_VALUE);
			else {
				VEC_STATUS(&v, 200, EV_NONE);
				VEC_PARAM(&v, "REMOTE_ADDR", REF_PEER);
			}
			VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
			for (j = 0; j < v.r.nev; j++) {
				event_format(&v.r, j, line, sizeof(line));
				assert_printable(line);
			}
			vec_free(&v);
		}
	}
	vec_cfg_free(&cfg);
}

/* 18: "\"x, 203.0.113.7": no quote handling in XFF -> 203.0.113.7. */
static void
peers_b_18_stray_quote(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 0);
	xff_run(&cfg, &v, NULL, "\"x, 203.0.113.7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.7");
	VEC_PARAM(&v, XFF, "203.0.113.7");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- Address syntax */

/* 19: "203.0.113.7:51234" -> 203.0.113.7, REMOTE_PORT 51234. */
static void
peers_b_19_ipv4_port(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "203.0.113.7:51234", "203.0.113.7", "51234");
	EXPECT_INVALID(&cfg, "203.0.113.7:0");
	EXPECT_INVALID(&cfg, "203.0.113.7:65536");
	EXPECT_INVALID(&cfg, "203.0.113.7:080");
	vec_cfg_free(&cfg);
}

/* 20: "[2001:db8::7]:443" -> 2001:db8::7, port 443. */
static void
peers_b_20_ipv6_bracket_port(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "[2001:db8::7]:443", "2001:db8::7", "443");
	vec_cfg_free(&cfg);
}

/* 21: "[2001:db8::7]" -> 2001:db8::7, no port. */
static void
peers_b_21_ipv6_bracket(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "[2001:db8::7]", "2001:db8::7", NULL);
	vec_cfg_free(&cfg);
}

/* 22: bare "2001:db8::1:80" is an address ending in group 80, not a port. */
static void
peers_b_22_bare_ipv6_not_port(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "2001:db8::1:80", "2001:db8::1:80", NULL);
	vec_cfg_free(&cfg);
}

/* 23: zones are dropped; a zone with ':' '/' or the like is rejected. */
static void
peers_b_23_ipv6_zone(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "fe80::1%eth0", "fe80::1", NULL);
	EXPECT_CLIENT(&cfg, "[fe80::1%25eth0]:80", "fe80::1", "80");
	EXPECT_INVALID(&cfg, "fe80::1%eth/0");
	EXPECT_INVALID(&cfg, "[fe80::1%25e:0]:80");
	vec_cfg_free(&cfg);
}

/*
 * 24: "::ffff:203.0.113.7" is shown as IPv4; a mapped peer or element is
 * compared as IPv4 against IPv4 networks (SPEC 3.1, 3.2).
 */
static void
peers_b_24_ipv4_mapped(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "::ffff:203.0.113.7", "203.0.113.7", NULL);

	xff_run(&cfg, &v, "::ffff:10.0.0.2", "198.51.100.7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	vec_free(&v);

	cfg.x_for = 2;
	EXPECT_CLIENT(&cfg, "198.51.100.7, ::ffff:10.0.0.9", "198.51.100.7",
	    NULL);
	vec_cfg_free(&cfg);
}

/* 25: octal, hex, short and integer IPv4 forms are rejected. */
static void
peers_b_25_ipv4_odd_forms(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "010.0.0.1");
	EXPECT_INVALID(&cfg, "0x7f.0.0.1");
	EXPECT_INVALID(&cfg, "127.1");
	EXPECT_INVALID(&cfg, "2130706433");
	vec_cfg_free(&cfg);
}

/* 26: "0.0.0.0" and "::" are not client addresses. */
static void
peers_b_26_unspecified(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "0.0.0.0");
	EXPECT_INVALID(&cfg, "::");
	vec_cfg_free(&cfg);
}

/* 27: "unknown" and "_hidden" at the chosen position are not addresses. */
static void
peers_b_27_unknown_obfuscated(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "unknown");
	EXPECT_INVALID(&cfg, "_hidden");
	vec_cfg_free(&cfg);
}

/* 28: host names are never resolved: invalid. */
static void
peers_b_28_hostnames(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "proxy.example.com");
	EXPECT_INVALID(&cfg, "localhost");
	vec_cfg_free(&cfg);
}

/* 29: CIDRs are not addresses. */
static void
peers_b_29_cidrs(void **state)
{
	struct config	 cfg;

	ref_cfg(&cfg, 1);
	EXPECT_INVALID(&cfg, "10.0.0.0/8");
	EXPECT_INVALID(&cfg, "1.2.3.4/32");
	vec_cfg_free(&cfg);
}

/* 30: IPv6 is normalised (RFC 5952) before output and matching. */
static void
peers_b_30_ipv6_normalised(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	EXPECT_CLIENT(&cfg, "2001:DB8::7", "2001:db8::7", NULL);
	EXPECT_CLIENT(&cfg, "2001:db8:0:0::7", "2001:db8::7", NULL);
	vec_cfg_free(&cfg);

	ref_cfg(&cfg, 1);
	vec_cfg_proxies(&cfg, "2001:db8::7");
	cfg.x_for = 2;
	EXPECT_CLIENT(&cfg, "198.51.100.7, 2001:DB8:0:0::7", "198.51.100.7",
	    NULL);
	xff_run(&cfg, &v, "2001:DB8:0::7", "198.51.100.7, 2001:db8::7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- Forwarded (RFC 7239), when enabled */

/* A Forwarded-only setup (x_for 0, forwarded 1) from the reference peer. */
static void
fwd_cfg(struct config *cfg, int strict)
{
	ref_cfg(cfg, strict);
	cfg->x_for = 0;
	cfg->forwarded = 1;
}

/* Runs a GET / from the reference peer with Forwarded fwd. */
static void
fwd_run(const struct config *cfg, struct vrun *v, const char *fwd)
{
	vec_run_hdr(cfg, v, &(struct vreq){ .peer = REF_PEER },
	    "HTTP_FORWARDED", fwd);
}

/*
 * Forwarded fwd leaves REMOTE_ADDR alone with invalid_value: strict ->
 * 400; lenient -> 200, nothing taken, so Forwarded is removed (SPEC 3.6).
 */
static void
expect_fwd_invalid(const char *f, int l, struct config *cfg, const char *fwd)
{
	struct vrun	 v;

	set_strict(cfg, 1);
	fwd_run(cfg, &v, fwd);
	vec_status_at(f, l, &v, 400, EV_INVALID_VALUE);
	vec_events_at(f, l, &v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	vec_free(&v);

	set_strict(cfg, 0);
	fwd_run(cfg, &v, fwd);
	vec_status_at(f, l, &v, 200, EV_NONE);
	vec_events_at(f, l, &v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	vec_param_at(f, l, &v, "REMOTE_ADDR", REF_PEER);
	vec_param_at(f, l, &v, "REMOTE_PORT", "40000");
	vec_absent_at(f, l, &v, "HTTP_FORWARDED");
	vec_free(&v);
}
#define EXPECT_FWD_INVALID(cfg, fwd) \
	expect_fwd_invalid(__FILE__, __LINE__, (cfg), (fwd))

/* 31: for="[2001:db8:cafe::17]:4711" -> 2001:db8:cafe::17, port 4711. */
static void
peers_b_31_fwd_quoted_ipv6_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	fwd_cfg(&cfg, 1);
	fwd_run(&cfg, &v, "for=\"[2001:db8:cafe::17]:4711\"");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "2001:db8:cafe::17");
	VEC_PARAM(&v, "REMOTE_PORT", "4711");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=\"[2001:db8:cafe::17]:4711\"");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 32: For=192.0.2.60;Proto=HTTPS;By=203.0.113.43: names and the scheme are
 * case-insensitive -> 192.0.2.60, https.  With x_proto 0 the proto pair
 * is not believed (SPEC 3.4: never widens) and is dropped from the
 * cleaned header.
 */
static void
peers_b_32_fwd_case_insensitive(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	const char	*fwd = "For=192.0.2.60;Proto=HTTPS;By=203.0.113.43";

	fwd_cfg(&cfg, 1);
	cfg.x_proto = 1;
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.0.2.60");
	VEC_PARAM(&v, "HTTPS", "on");
	VEC_PARAM(&v, "REQUEST_SCHEME", "https");
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_PARAM(&v, "HTTP_FORWARDED", fwd);
	vec_free(&v);

	cfg.x_proto = 0;
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "192.0.2.60");
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "HTTP_FORWARDED", "For=192.0.2.60;By=203.0.113.43");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 33: for="1.1.1.1, for=2.2.2.2", for=3.3.3.3 is two elements: forwarded 1
 * -> 3.3.3.3 (spoof_attempt info, n = 2); forwarded 2 under strict: the
 * chosen element's for is "1.1.1.1, for=2.2.2.2", not an address -> 400.
 */
static void
peers_b_33_fwd_quoted_comma(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	const char	*fwd = "for=\"1.1.1.1, for=2.2.2.2\", for=3.3.3.3";

	fwd_cfg(&cfg, 0);
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	assert_int_equal(v.r.n, 2);
	VEC_PARAM(&v, "REMOTE_ADDR", "3.3.3.3");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=3.3.3.3");
	VEC_PARAM(&v, "ORIGINAL_HTTP_FORWARDED", fwd);
	vec_free(&v);

	cfg.forwarded = 2;
	set_strict(&cfg, 1);
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 400, EV_INVALID_VALUE);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 34: for="x;host=evil.example";proto=https: the quoted ';' is data, so
 * there is no host pair: HTTP_HOST and SERVER_NAME stay; proto applies;
 * the for value is not an address (invalid_value; strict: 400).
 */
static void
peers_b_34_fwd_quoted_semicolon(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	const char	*fwd = "for=\"x;host=evil.example\";proto=https";

	fwd_cfg(&cfg, 0);
	cfg.x_proto = 1;
	cfg.x_host = 1;
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", REF_PEER);
	VEC_PARAM(&v, "HTTP_HOST", "localhost");
	VEC_PARAM(&v, "SERVER_NAME", "localhost");
	VEC_PARAM(&v, "HTTPS", "on");
	/* proto was taken, so Forwarded stays: its for pair and the proto */
	VEC_PARAM(&v, "HTTP_FORWARDED", fwd);
	vec_free(&v);

	set_strict(&cfg, 1);
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 400, EV_INVALID_VALUE);
	vec_free(&v);

	/* a real host pair is applied, but when X-Forwarded-Port changes the
	 * port it is dropped from the cleaned Forwarded (SPEC 3.6), so no
	 * framework reading Forwarded first sees a host without the port */
	cfg.x_port = 1;
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_nv(&v, "HTTP_FORWARDED",
	    "for=198.51.100.7;host=www.example;by=10.0.0.1");
	vec_add_nv(&v, "HTTP_X_FORWARDED_PORT", "8443");
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "HTTP_HOST", "www.example:8443");
	VEC_PARAM(&v, "SERVER_NAME", "www.example");
	VEC_PARAM(&v, "SERVER_PORT", "8443");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=198.51.100.7;by=10.0.0.1");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PORT", "8443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 35: the client wrote for="1.1.1.1, for=2.2.2.2 (unclosed quote) and the
 * proxy appended , for=203.0.113.7: elements are found from the right, so
 * forwarded 1 -> 203.0.113.7; when the trusted position is the broken
 * element (forwarded 3), strict -> 400 invalid_value.
 */
static void
peers_b_35_fwd_unclosed_quote(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	const char	*fwd = "for=\"1.1.1.1, for=2.2.2.2, for=203.0.113.7";

	fwd_cfg(&cfg, 0);
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	assert_int_equal(v.r.n, 3);	/* the broken element still counts */
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.7");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=203.0.113.7");
	vec_free(&v);

	cfg.forwarded = 3;
	set_strict(&cfg, 1);
	fwd_run(&cfg, &v, fwd);
	VEC_STATUS(&v, 400, EV_INVALID_VALUE);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 36: for=1.1.1.1;for=2.2.2.2: a repeated parameter makes the element
 * invalid.
 */
static void
peers_b_36_fwd_repeated_param(void **state)
{
	struct config	 cfg;

	fwd_cfg(&cfg, 1);
	EXPECT_FWD_INVALID(&cfg, "for=1.1.1.1;for=2.2.2.2");
	vec_cfg_free(&cfg);
}

/*
 * 37: spaces around '=' and an unquoted [v6] are invalid (no lenient
 * parsing).
 */
static void
peers_b_37_fwd_bad_syntax(void **state)
{
	struct config	 cfg;

	fwd_cfg(&cfg, 1);
	EXPECT_FWD_INVALID(&cfg, "for = 1.1.1.1");
	EXPECT_FWD_INVALID(&cfg, "for=[2001:db8::1]");
	vec_cfg_free(&cfg);
}

/*
 * 38: for=unknown, for=_gazonk, for="_gazonk:_8080": no address -> strict
 * 400.
 */
static void
peers_b_38_fwd_unknown_obfuscated(void **state)
{
	struct config	 cfg;

	fwd_cfg(&cfg, 1);
	EXPECT_FWD_INVALID(&cfg, "for=unknown");
	EXPECT_FWD_INVALID(&cfg, "for=_gazonk");
	EXPECT_FWD_INVALID(&cfg, "for=\"_gazonk:_8080\"");
	vec_cfg_free(&cfg);
}

/* 39: two Forwarded lines are one list in order (forwarded 2 -> the first). */
static void
peers_b_39_fwd_two_lines(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = { "HTTP_FORWARDED=for=198.51.100.7",
			    "HTTP_FORWARDED=for=10.0.0.9" } };

	fwd_cfg(&cfg, 1);
	cfg.forwarded = 2;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=198.51.100.7, for=10.0.0.9");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_FORWARDED");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 40: the proxy writes XFF only (forwarded 0); a client-added Forwarded is
 * ignored and removed under clean (kept as ORIGINAL_HTTP_FORWARDED); and
 * the other way round.
 */
static void
peers_b_40_fwd_not_configured(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = { "HTTP_FORWARDED=for=1.2.3.4",
			    "HTTP_X_FORWARDED_FOR=198.51.100.7" } };
	struct vreq	 mirror = { .hdr = { "HTTP_X_FORWARDED_FOR=1.2.3.4",
			    "HTTP_FORWARDED=for=198.51.100.7" } };

	ref_cfg(&cfg, 1);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_ABSENT(&v, "HTTP_FORWARDED");
	VEC_PARAM(&v, "ORIGINAL_HTTP_FORWARDED", "for=1.2.3.4");
	vec_free(&v);
	vec_cfg_free(&cfg);

	/* the mirror: the proxy writes Forwarded only (x_for 0); the rules
	 * count Forwarded (SPEC 3.5), a client-added XFF is dropped */
	fwd_cfg(&cfg, 1);
	ref_run(&cfg, &v, &mirror);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "HTTP_FORWARDED", "for=198.51.100.7");
	VEC_ABSENT(&v, XFF);
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "1.2.3.4");
	vec_free(&v);

	xff_run(&cfg, &v, NULL, "1.2.3.4");
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 41: X-Real-IP, Client-IP, True-Client-IP (and the rest of the default
 * strip_headers) from the client: never believed, removed under clean
 * (SPEC 3.6) with an ORIGINAL_ copy, kept with clean off or in loose mode.
 */
static void
peers_b_41_lookalike_headers(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	static const char *const strip[] = { "HTTP_X_FORWARDED_SSL",
	    "HTTP_X_FORWARDED_SCHEME", "HTTP_X_URL_SCHEME",
	    "HTTP_FRONT_END_HTTPS", "HTTP_X_REAL_IP", "HTTP_CLIENT_IP",
	    "HTTP_TRUE_CLIENT_IP", "HTTP_X_CLIENT_IP",
	    "HTTP_X_CLUSTER_CLIENT_IP", "HTTP_X_FORWARDED_SERVER",
	    "HTTP_X_FORWARDED", "HTTP_FORWARDED_FOR" };
	struct vreq	 q = { .hdr = { "HTTP_X_REAL_IP=6.6.6.6",
			    "HTTP_CLIENT_IP=6.6.6.7",
			    "HTTP_TRUE_CLIENT_IP=6.6.6.8",
			    "HTTP_X_FORWARDED_SSL=on",
			    "HTTP_X_FORWARDED_SCHEME=https",
			    "HTTP_X_URL_SCHEME=https",
			    "HTTP_FRONT_END_HTTPS=on",
			    "HTTP_X_CLIENT_IP=6.6.6.9",
			    "HTTP_X_CLUSTER_CLIENT_IP=6.6.6.10",
			    "HTTP_X_FORWARDED_SERVER=evil.example",
			    "HTTP_X_FORWARDED=for=6.6.6.11",
			    "HTTP_FORWARDED_FOR=6.6.6.12",
			    "HTTP_X_FORWARDED_FOR=198.51.100.7" } };
	size_t		 i;

	ref_cfg(&cfg, 1);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	for (i = 0; i < sizeof(strip) / sizeof(strip[0]); i++)
		VEC_ABSENT(&v, strip[i]);
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_REAL_IP", "6.6.6.6");
	VEC_PARAM(&v, "ORIGINAL_HTTP_CLIENT_IP", "6.6.6.7");
	VEC_PARAM(&v, "ORIGINAL_HTTP_TRUE_CLIENT_IP", "6.6.6.8");
	vec_free(&v);

	cfg.clean = 0;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "HTTP_X_REAL_IP", "6.6.6.6");
	VEC_PARAM(&v, "HTTP_CLIENT_IP", "6.6.6.7");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_REAL_IP");
	vec_free(&v);

	cfg.clean = 1;
	cfg.loose = 1;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "HTTP_X_REAL_IP", "6.6.6.6");
	VEC_PARAM(&v, "HTTP_FORWARDED_FOR", "6.6.6.12");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- Proto / Host / Port / Prefix */

/* The reference request behind nginx on port 8080. */
static const struct vreq nginx8080 = { .peer = REF_PEER,
	.server_port = "8080", .host = "www.example" };

/* Runs nginx8080 with XFF 198.51.100.7 and hdr=value. */
static void
hdr_run(const struct config *cfg, struct vrun *v, const char *hdr,
    const char *value)
{
	vec_init(v);
	vec_add_req(v, &nginx8080);
	vec_add_nv(v, XFF, "198.51.100.7");
	vec_add_nv(v, hdr, value);
	vec_exec(cfg, v);
}

/* 42: XFP "https, http" with x_proto 1 -> http (rightmost). */
static void
peers_b_42_proto_rightmost(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	cfg.x_proto = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PROTO", "https, http");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "http");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 43: "HTTPS" and "https " are https (case-insensitive, trimmed; cleaned to
 * "https"); "javascript", "wss" are invalid.  http over a TLS hop to
 * nginx removes HTTPS (never "off").
 */
static void
peers_b_43_proto_values(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 tls = { .peer = REF_PEER, .https = 1,
			    .hdr = { "HTTP_X_FORWARDED_FOR=198.51.100.7",
			    "HTTP_X_FORWARDED_PROTO=http" } };

	ref_cfg(&cfg, 1);
	cfg.x_proto = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PROTO", "HTTPS");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "HTTPS", "on");
	VEC_PARAM(&v, "REQUEST_SCHEME", "https");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "https");
	vec_free(&v);

	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PROTO", "https ");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "HTTPS", "on");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PROTO", "https");
	vec_free(&v);

	EXPECT_BAD_HEADER(&cfg, &nginx8080, "HTTP_X_FORWARDED_PROTO",
	    "javascript", "REQUEST_SCHEME", "http");
	EXPECT_BAD_HEADER(&cfg, &nginx8080, "HTTP_X_FORWARDED_PROTO", "wss",
	    "SERVER_PORT", "8080");

	set_strict(&cfg, 1);
	ref_run(&cfg, &v, &tls);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "ORIGINAL_HTTPS", "on");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 44: XFP https without a port header: SERVER_PORT 443, not nginx's 8080. */
static void
peers_b_44_proto_default_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	cfg.x_proto = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PROTO", "https");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_PARAM(&v, "ORIGINAL_SERVER_PORT", "8080");
	VEC_PARAM(&v, "HTTP_HOST", "www.example");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 45: X-Forwarded-Host is validated as an RFC 3986 host[:port] and only
 * the trusted-depth element is used; otherwise invalid (strict 400).
 * (No allowlist in SPEC: a well-formed evil.example at the trusted
 * position is applied.)
 */
static void
peers_b_45_host_values(void **state)
{
	static const char *const bad[] = { "good/evil", "a@b", "good:abc",
	    "good\r\nX:1", "good evil", "good_evil" };
	struct config	 cfg;
	struct vrun	 v;
	size_t		 i;

	ref_cfg(&cfg, 1);
	cfg.x_host = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_HOST",
	    "evil.example, good.example");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "HTTP_HOST", "good.example");
	VEC_PARAM(&v, "SERVER_NAME", "good.example");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_HOST", "good.example");
	vec_free(&v);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_BAD_HEADER(&cfg, &nginx8080, "HTTP_X_FORWARDED_HOST",
		    bad[i], "HTTP_HOST", "www.example");
	vec_cfg_free(&cfg);
}

/*
 * 46: XFH [2001:db8::1]:8443 -> SERVER_NAME with brackets, port 8443; bare
 * IPv6 invalid.
 */
static void
peers_b_46_host_ipv6(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	cfg.x_host = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_HOST", "[2001:db8::1]:8443");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "SERVER_NAME", "[2001:db8::1]");
	VEC_PARAM(&v, "SERVER_PORT", "8443");
	VEC_PARAM(&v, "HTTP_HOST", "[2001:db8::1]:8443");
	vec_free(&v);

	EXPECT_BAD_HEADER(&cfg, &nginx8080, "HTTP_X_FORWARDED_HOST",
	    "2001:db8::1", "SERVER_NAME", "localhost");
	vec_cfg_free(&cfg);
}

/* 47: XFPort digits 1..65535 only; a list is handled by depth. */
static void
peers_b_47_port_values(void **state)
{
	static const char *const bad[] = { "0", "65536", "443abc", "0443",
	    "-1", "8 0", "80x" };
	struct config	 cfg;
	struct vrun	 v;
	size_t		 i;

	ref_cfg(&cfg, 1);
	cfg.x_port = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_BAD_HEADER(&cfg, &nginx8080, "HTTP_X_FORWARDED_PORT",
		    bad[i], "SERVER_PORT", "8080");

	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PORT", "443, 80");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SERVER_PORT", "80");
	VEC_PARAM(&v, "HTTP_HOST", "www.example");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PORT", "80");
	vec_free(&v);

	cfg.x_port = 2;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PORT", "443, 80");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "SERVER_PORT", "443");
	VEC_PARAM(&v, "HTTP_HOST", "www.example:443");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PORT", "443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 48: XFPrefix: "/app/" is prepended to SCRIPT_NAME and REQUEST_URI
 * without its trailing "/", PATH_INFO unchanged; "/" alone is no prefix;
 * "//evil.example", "/app/../admin", "/%2e%2e/", "app", "/app?x" and the
 * like are invalid (strict 400).
 */
static void
peers_b_48_prefix_values(void **state)
{
	static const char *const bad[] = { "//evil.example", "/app/../admin",
	    "/%2e%2e/", "app", "/app?x", "/app#x", "/a b", "/app/./x",
	    "/app\\x", "/a\"b" };
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 php = { .peer = REF_PEER, .uri = "/index.php/x?y=1",
			    .doc_uri = "/index.php/x",
			    .script_name = "/index.php", .path_info = "/x" };
	size_t		 i;

	ref_cfg(&cfg, 1);
	cfg.x_prefix = 1;
	vec_init(&v);
	vec_add_req(&v, &php);
	vec_add_nv(&v, XFF, "198.51.100.7");
	vec_add_nv(&v, "HTTP_X_FORWARDED_PREFIX", "/app/");
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SCRIPT_NAME", "/app/index.php");
	VEC_PARAM(&v, "REQUEST_URI", "/app/index.php/x?y=1");
	VEC_PARAM(&v, "PATH_INFO", "/x");
	VEC_PARAM(&v, "DOCUMENT_URI", "/index.php/x");
	VEC_PARAM(&v, "HTTP_X_FORWARDED_PREFIX", "/app");
	vec_free(&v);

	vec_init(&v);
	vec_add_req(&v, &php);
	vec_add_nv(&v, XFF, "198.51.100.7");
	vec_add_nv(&v, "HTTP_X_FORWARDED_PREFIX", "/");
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SCRIPT_NAME", "/index.php");
	VEC_PARAM(&v, "REQUEST_URI", "/index.php/x?y=1");
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_PREFIX");
	vec_free(&v);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_BAD_HEADER(&cfg, &php, "HTTP_X_FORWARDED_PREFIX",
		    bad[i], "SCRIPT_NAME", "/index.php");
	vec_cfg_free(&cfg);
}

/*
 * 49: independent depth per header: XFF has 3 entries (x_for 3), XFP has
 * 1 (x_proto 1) -> both applied under strict; x_proto 2 with one XFP
 * element: too few, ignored silently (SPEC 3.3) and removed under clean.
 */
static void
peers_b_49_independent_depths(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = {
			    "HTTP_X_FORWARDED_FOR="
			    "198.51.100.7, 10.0.0.8, 10.0.0.9",
			    "HTTP_X_FORWARDED_PROTO=https" } };

	ref_cfg(&cfg, 1);
	cfg.x_for = 3;
	cfg.x_proto = 1;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_PARAM(&v, "HTTPS", "on");
	vec_free(&v);

	cfg.x_proto = 2;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_PROTO");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- CGI / FastCGI environment (50: see the top of this file) */

/* 51: "Proxy:" (HTTP_PROXY, httpoxy) is removed, without an ORIGINAL_ copy. */
static void
peers_b_51_httpoxy(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .hdr = { "HTTP_X_FORWARDED_FOR=198.51.100.7",
			    "HTTP_PROXY=http://evil.example" } };

	ref_cfg(&cfg, 1);
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_ABSENT(&v, "HTTP_PROXY");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_PROXY");
	vec_free(&v);

	cfg.strip_proxy_header = 0;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "HTTP_PROXY", "http://evil.example");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 52: plain HTTP via the proxy: HTTPS absent, REQUEST_SCHEME http,
 * SERVER_PORT 80 unless a port header says otherwise.
 */
static void
peers_b_52_plain_http(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	ref_cfg(&cfg, 1);
	cfg.x_proto = 1;
	hdr_run(&cfg, &v, "HTTP_X_FORWARDED_PROTO", "http");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "REQUEST_SCHEME", "http");
	VEC_PARAM(&v, "SERVER_PORT", "80");
	vec_free(&v);

	cfg.x_port = 1;
	vec_init(&v);
	vec_add_req(&v, &nginx8080);
	vec_add_nv(&v, XFF, "198.51.100.7");
	vec_add_nv(&v, "HTTP_X_FORWARDED_PROTO", "http");
	vec_add_nv(&v, "HTTP_X_FORWARDED_PORT", "8000");
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_ABSENT(&v, "HTTPS");
	VEC_PARAM(&v, "SERVER_PORT", "8000");
	VEC_PARAM(&v, "HTTP_HOST", "www.example:8000");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 53: REMOTE_PORT follows the rewritten address: the element's port, else
 * removed; when nginx sent none it is added after the incoming params
 * (SPEC 3.6) with no ORIGINAL_ copy.
 */
static void
peers_b_53_remote_port(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 noport = { .peer = REF_PEER, .peer_port = VREQ_NONE,
			    .hdr = {
			    "HTTP_X_FORWARDED_FOR=198.51.100.7:5555" } };

	ref_cfg(&cfg, 1);
	xff_run(&cfg, &v, NULL, "198.51.100.7");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_ABSENT(&v, "REMOTE_PORT");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_PORT", "40000");
	vec_free(&v);

	xff_run(&cfg, &v, NULL, "198.51.100.7:5555");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_PORT", "5555");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_PORT", "40000");
	vec_free(&v);

	ref_run(&cfg, &v, &noport);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/",
	    "REQUEST_URI=/",
	    "DOCUMENT_URI=/",
	    "REQUEST_SCHEME=http",
	    "REMOTE_ADDR=198.51.100.7",
	    "SERVER_PORT=80",
	    "SERVER_NAME=localhost",
	    "HTTP_HOST=localhost",
	    "HTTP_X_FORWARDED_FOR=198.51.100.7:5555",
	    "REMOTE_PORT=5555",
	    "ORIGINAL_REMOTE_ADDR=10.0.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 54: nginx's SERVER_NAME is $server_name ("_"): with x_host the forwarded
 * host sets SERVER_NAME and HTTP_HOST together; without, both stay.
 */
static void
peers_b_54_server_name(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .server_name = "_", .host = "10.0.0.5:8080",
			    .hdr = { "HTTP_X_FORWARDED_FOR=198.51.100.7",
			    "HTTP_X_FORWARDED_HOST=www.example" } };

	ref_cfg(&cfg, 1);
	cfg.x_host = 1;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "SERVER_NAME", "www.example");
	VEC_PARAM(&v, "HTTP_HOST", "www.example");
	vec_free(&v);

	cfg.x_host = 0;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "SERVER_NAME", "_");
	VEC_PARAM(&v, "HTTP_HOST", "10.0.0.5:8080");
	VEC_ABSENT(&v, "HTTP_X_FORWARDED_HOST");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 55: the originals are kept for audit: ORIGINAL_<NAME> for every changed
 * or removed param, in incoming order, after the added ones; none for an
 * added param or HTTP_PROXY; an incoming ORIGINAL_REMOTE_ADDR is replaced
 * in place.  keep_original no: none at all.
 */
static void
peers_b_55_originals(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 q = { .uri = "/index.php", .server_port = "8080",
			    .host = "www.example", .hdr = {
			    "ORIGINAL_REMOTE_ADDR=set-by-nginx",
			    "HTTP_X_FORWARDED_FOR=198.51.100.7:5555",
			    "HTTP_X_FORWARDED_PROTO=https",
			    "HTTP_X_REAL_IP=6.6.6.6",
			    "HTTP_PROXY=http://evil.example",
			    "HTTP_USER_AGENT=curl/8" } };

	ref_cfg(&cfg, 1);
	cfg.x_proto = 1;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAMS(&v,
	    "REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/index.php",
	    "REQUEST_URI=/index.php",
	    "DOCUMENT_URI=/index.php",
	    "REQUEST_SCHEME=https",
	    "REMOTE_ADDR=198.51.100.7",
	    "REMOTE_PORT=5555",
	    "SERVER_PORT=443",
	    "SERVER_NAME=localhost",
	    "HTTP_HOST=www.example",
	    "ORIGINAL_REMOTE_ADDR=10.0.0.2",
	    "HTTP_X_FORWARDED_FOR=198.51.100.7:5555",
	    "HTTP_X_FORWARDED_PROTO=https",
	    "HTTP_USER_AGENT=curl/8",
	    "HTTPS=on",
	    "ORIGINAL_REQUEST_SCHEME=http",
	    "ORIGINAL_REMOTE_PORT=40000",
	    "ORIGINAL_SERVER_PORT=8080",
	    "ORIGINAL_HTTP_X_REAL_IP=6.6.6.6");
	vec_free(&v);

	cfg.keep_original = 0;
	ref_run(&cfg, &v, &q);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	VEC_ABSENT(&v, "ORIGINAL_REMOTE_PORT");
	VEC_ABSENT(&v, "ORIGINAL_REQUEST_SCHEME");
	VEC_ABSENT(&v, "ORIGINAL_SERVER_PORT");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_REAL_IP");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- Exempt paths, stealth and logging */

/* q without a forwarded header: exempt gives 200, else 400 missing_header. */
static void
expect_exempt(const char *f, int l, const struct config *cfg,
    const struct vreq *q, int exempt)
{
	struct vrun	 v;

	ref_run(cfg, &v, q);
	if (exempt)
		vec_status_at(f, l, &v, 200, EV_NONE);
	else
		vec_status_at(f, l, &v, 400, EV_MISSING_HEADER);
	vec_free(&v);
}
#define EXPECT_EXEMPT(cfg, q, e) \
	expect_exempt(__FILE__, __LINE__, (cfg), (q), (e))

/* A request with REQUEST_URI only: the gateway decodes and normalises it. */
#define RAW(u)	(&(struct vreq){ .uri = (u), .doc_uri = VREQ_NONE, \
		    .script_name = VREQ_NONE })

/*
 * 56: exempt "^health$" matched on the decoded, normalised path nginx
 * routed, leading "/" removed: /health, //health, /heal%74h, /x/../health
 * and /health?x=1 match; /HEALTH, /health;x and /health/ do not.
 * DOCUMENT_URI comes first, then SCRIPT_NAME + PATH_INFO.  Stealth 404
 * only through the front door (trusted peer, n >= x_for).
 */
static void
peers_b_56_exempt_paths(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	struct vreq	 front = { .uri = "/health",
			    .hdr = { "HTTP_X_FORWARDED_FOR=198.51.100.7" } };
	struct vreq	 bypass = { .peer = "203.0.113.9", .uri = "/health",
			    .hdr = { "HTTP_X_FORWARDED_FOR=198.51.100.7" } };

	ref_cfg(&cfg, 1);
	vec_cfg_exempt(&cfg, "^health$");
	EXPECT_EXEMPT(&cfg, RAW("/health"), 1);
	EXPECT_EXEMPT(&cfg, RAW("//health"), 1);
	EXPECT_EXEMPT(&cfg, RAW("/heal%74h"), 1);
	EXPECT_EXEMPT(&cfg, RAW("/x/../health"), 1);
	EXPECT_EXEMPT(&cfg, RAW("/health?x=1"), 1);
	EXPECT_EXEMPT(&cfg, RAW("/HEALTH"), 0);
	EXPECT_EXEMPT(&cfg, RAW("/health;x"), 0);
	EXPECT_EXEMPT(&cfg, RAW("/health/"), 0);
	EXPECT_EXEMPT(&cfg, (&(struct vreq){ .uri = "/x/../health",
	    .doc_uri = "/health" }), 1);
	EXPECT_EXEMPT(&cfg, (&(struct vreq){ .uri = "/health",
	    .doc_uri = "/other" }), 0);
	EXPECT_EXEMPT(&cfg, (&(struct vreq){ .uri = "/health",
	    .doc_uri = VREQ_NONE, .script_name = "", .path_info = "/health" }),
	    1);

	cfg.exempt_stealth = 1;
	ref_run(&cfg, &v, &front);
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);

	/* bypassing the proxies: exempt (no untrusted_peer rejection), not
	 * hidden, the header not believed but logged */
	ref_run(&cfg, &v, &bypass);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_UNTRUSTED_PEER, LOG_LVL_WARNING);
	VEC_PARAM(&v, "REMOTE_ADDR", "203.0.113.9");
	VEC_ABSENT(&v, XFF);
	vec_free(&v);

	ref_run(&cfg, &v, RAW("/health"));
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 57: a spoofed header with CR/LF/ANSI: the event line is escaped and
 * capped.
 */
static void
peers_b_57_log_escaping(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	char		*hdr, *line;
	size_t		 i, len, n;
	const char	 junk[] =
	    "\r\nlevel=error event=forged \x1b[2J\x7f\xff";
	const size_t	 cap = 65536;

	len = 16 * 1024;
	hdr = malloc(len + 32);
	line = malloc(cap);
	assert_non_null(hdr);
	assert_non_null(line);
	for (i = 0; i + sizeof(junk) - 1 <= len; i += sizeof(junk) - 1)
		memcpy(hdr + i, junk, sizeof(junk) - 1);
	memcpy(hdr + i, ", 198.51.100.7", 14);
	len = i + 14;

	ref_cfg(&cfg, 0);
	vec_init(&v);
	vec_add_req(&v, &(struct vreq){ .peer = REF_PEER });
	vec_add_bytes(&v, XFF, hdr, len);
	vec_exec(&cfg, &v);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_PARAM(&v, "REMOTE_ADDR", "198.51.100.7");
	n = event_format(&v.r, 0, line, cap);
	assert_int_equal(n, strlen(line));
	assert_printable(line);
	assert_null(strstr(line, "event=forged"));
	assert_non_null(strstr(line, "\\x0d\\x0a"));
	assert_true(n < len);
	vec_free(&v);
	vec_cfg_free(&cfg);
	free(hdr);
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peers_b_01_untrusted_peer),
		cmocka_unit_test(peers_b_02_no_header),
		cmocka_unit_test(peers_b_03_empty_blank_commas),
		cmocka_unit_test(peers_b_04_too_few_entries),
		cmocka_unit_test(peers_b_05_client_preseeded),
		cmocka_unit_test(peers_b_06_all_trusted),
		cmocka_unit_test(peers_b_06b_longest_walk),
		cmocka_unit_test(peers_b_07_double_processing),
		cmocka_unit_test(peers_b_08_unix_socket_peer),
		cmocka_unit_test(peers_b_09_no_state_between_requests),
		cmocka_unit_test(peers_b_10_two_header_lines),
		cmocka_unit_test(peers_b_11_duplicate_params),
		cmocka_unit_test(peers_b_11b_repeated_config_params),
		cmocka_unit_test(peers_b_11c_repeated_remote_addr),
		cmocka_unit_test(peers_b_12_empty_elements),
		cmocka_unit_test(peers_b_13_leading_trailing_comma),
		cmocka_unit_test(peers_b_14_space_not_separator),
		cmocka_unit_test(peers_b_15_trim_sp_htab),
		cmocka_unit_test(peers_b_16_huge_header),
		cmocka_unit_test(peers_b_17_control_bytes),
		cmocka_unit_test(peers_b_18_stray_quote),
		cmocka_unit_test(peers_b_19_ipv4_port),
		cmocka_unit_test(peers_b_20_ipv6_bracket_port),
		cmocka_unit_test(peers_b_21_ipv6_bracket),
		cmocka_unit_test(peers_b_22_bare_ipv6_not_port),
		cmocka_unit_test(peers_b_23_ipv6_zone),
		cmocka_unit_test(peers_b_24_ipv4_mapped),
		cmocka_unit_test(peers_b_25_ipv4_odd_forms),
		cmocka_unit_test(peers_b_26_unspecified),
		cmocka_unit_test(peers_b_27_unknown_obfuscated),
		cmocka_unit_test(peers_b_28_hostnames),
		cmocka_unit_test(peers_b_29_cidrs),
		cmocka_unit_test(peers_b_30_ipv6_normalised),
		cmocka_unit_test(peers_b_31_fwd_quoted_ipv6_port),
		cmocka_unit_test(peers_b_32_fwd_case_insensitive),
		cmocka_unit_test(peers_b_33_fwd_quoted_comma),
		cmocka_unit_test(peers_b_34_fwd_quoted_semicolon),
		cmocka_unit_test(peers_b_35_fwd_unclosed_quote),
		cmocka_unit_test(peers_b_36_fwd_repeated_param),
		cmocka_unit_test(peers_b_37_fwd_bad_syntax),
		cmocka_unit_test(peers_b_38_fwd_unknown_obfuscated),
		cmocka_unit_test(peers_b_39_fwd_two_lines),
		cmocka_unit_test(peers_b_40_fwd_not_configured),
		cmocka_unit_test(peers_b_41_lookalike_headers),
		cmocka_unit_test(peers_b_42_proto_rightmost),
		cmocka_unit_test(peers_b_43_proto_values),
		cmocka_unit_test(peers_b_44_proto_default_port),
		cmocka_unit_test(peers_b_45_host_values),
		cmocka_unit_test(peers_b_46_host_ipv6),
		cmocka_unit_test(peers_b_47_port_values),
		cmocka_unit_test(peers_b_48_prefix_values),
		cmocka_unit_test(peers_b_49_independent_depths),
		cmocka_unit_test(peers_b_51_httpoxy),
		cmocka_unit_test(peers_b_52_plain_http),
		cmocka_unit_test(peers_b_53_remote_port),
		cmocka_unit_test(peers_b_54_server_name),
		cmocka_unit_test(peers_b_55_originals),
		cmocka_unit_test(peers_b_56_exempt_paths),
		cmocka_unit_test(peers_b_57_log_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
