/*
 * test_vectors_dxff.c: django-xff's test vectors (reference/xff-semantics.md
 * section 3: the upstream tests 1-32 and the edge vectors E1-E30), each
 * with the outcome SPEC 3 asks for.  Where SPEC deliberately differs from
 * django-xff, the comment says so.
 *
 * Setting names map to ours: XFF_TRUSTED_PROXY_DEPTH -> x_for (django-xff's
 * default is 0, so x_for is always set explicitly), XFF_STRICT -> strict,
 * XFF_ALWAYS_PROXY -> always_proxy, XFF_NO_SPOOFING -> no_spoofing,
 * XFF_HEADER_REQUIRED -> header_required (resolved: strict || always_proxy
 * unless the vector sets it), XFF_LOOSE_UNSAFE -> loose, XFF_CLEAN -> clean,
 * XFF_EXEMPT_URLS -> exempt, XFF_EXEMPT_STEALTH -> exempt_stealth,
 * XFF_REWRITE_REMOTE_ADDR -> rewrite_remote_addr.  x_proto is 0 to isolate
 * X-Forwarded-For.  The peer is 127.0.0.1 (port 40000) as with Django's
 * test client, and the exempt list is django-xff's suite-wide `^health/$`.
 *
 * Common differences from django-xff, by SPEC section:
 *  - 3.2: X-Forwarded-For is cleaned with ", " between elements, not ",";
 *    REMOTE_PORT takes the chosen element's port, else it is removed.
 *  - 3.2: x_for = 0 means the header is not used at all (django-xff takes
 *    the leftmost element).
 *  - 3.5: exempt requests are corrected with the same selection as any
 *    other request and cleaned (django-xff takes the leftmost element and
 *    leaves the header alone); depth_mismatch and spoof_attempt are logged
 *    for them as for any unrejected request.
 *  - 3.5: stealth (404) is logged at info; a spoof_attempt rejection is
 *    logged at warning.
 *  - 3.1: empty elements are dropped, so REMOTE_ADDR is never "".
 */
#include "vectors.h"

/* A config for django-xff's suite: x_for = depth, x_proto 0, ^health/$. */
static void
dxff_cfg(struct config *cfg, int depth)
{
	vec_cfg(cfg);
	cfg->x_for = depth;
	cfg->x_proto = 0;
	vec_cfg_exempt(cfg, "^health/$");
}

/* A GET of path from 127.0.0.1, with X-Forwarded-For xff unless NULL. */
static void
dxff_run(const struct config *cfg, struct vrun *v, const char *path,
    const char *xff)
{
	struct vreq	 q = { .uri = path };

	vec_run_hdr(cfg, v, &q, "HTTP_X_FORWARDED_FOR", xff);
}

/* The peer's address and port reach the backend unchanged. */
#define PEER_KEPT(v) do {						\
	VEC_PARAM((v), "REMOTE_ADDR", "127.0.0.1");			\
	VEC_PARAM((v), "REMOTE_PORT", "40000");				\
	VEC_ABSENT((v), "ORIGINAL_REMOTE_ADDR");			\
} while (0)

/* A client without a port was chosen: REMOTE_ADDR ra, REMOTE_PORT removed. */
#define CLIENT(v, ra) do {						\
	VEC_PARAM((v), "REMOTE_ADDR", (ra));				\
	VEC_ABSENT((v), "REMOTE_PORT");					\
	VEC_PARAM((v), "ORIGINAL_REMOTE_PORT", "40000");		\
} while (0)

#define XFF	"HTTP_X_FORWARDED_FOR"

/* ---- 3.1: upstream tests of 1.3.0 */

/* 1: TestStrict.no_header: strict, no header -> 400 + one error. */
static void
dxff_01_strict_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.strict = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 2: TestStrict.no_header_exempt: strict, /health/, no header -> 200. */
static void
dxff_02_strict_no_header_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.strict = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/health/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	VEC_ABSENT(&v, XFF);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 3: TestStrict.no_header_not_required: strict, header_required no -> 200. */
static void
dxff_03_strict_no_header_not_required(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.strict = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 4: TestStrict.no_header_not_required_exempt (upstream sets always_proxy,
 * not strict): always_proxy, header_required no, /health/ -> 200.
 */
static void
dxff_04_always_proxy_no_header_not_required_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/health/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* The config of rows 5 to 10: strict, x_for 2, header_required no. */
static void
strict2_cfg(struct config *cfg)
{
	dxff_cfg(cfg, 2);
	cfg->strict = 1;
	cfg->header_required = 0;
}

/* 5: TestStrict.too_few_proxies: one entry, x_for 2 -> 400 depth_mismatch. */
static void
dxff_05_strict_too_few_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 6: TestStrict.too_few_proxies_exempt: 200.  The exempt request is still
 * corrected (SPEC 3.5): one element for x_for 2 is the whole chain (3.2),
 * the leftmost, with a depth_mismatch warning (django-xff logs nothing
 * for exempt paths).
 */
static void
dxff_06_strict_too_few_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	dxff_run(&cfg, &v, "/health/", "127.0.0.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 7: TestStrict.correct_proxies: two entries -> 200, the 2nd from the
 * right.  Cleaned header joined with ", " (django-xff: "127.0.0.1,127.0.0.2"),
 * here byte-identical to the incoming one, so no ORIGINAL_ for it.
 */
static void
dxff_07_strict_correct_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2");
	VEC_ABSENT(&v, "ORIGINAL_REMOTE_ADDR");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 8: TestStrict.correct_proxies_exempt_stealth: exempt, stealth, n >= x_for
 * -> 404 stealth, logged at info (SPEC 3.5; django-xff logs nothing).
 */
static void
dxff_08_strict_correct_proxies_exempt_stealth(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "127.0.0.1, 127.0.0.2");
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 9: TestStrict.too_many_proxies: three entries -> 400 depth_mismatch. */
static void
dxff_09_strict_too_many_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 10: TestStrict.too_many_proxies_exempt: 200.  SPEC 3.5: exempt requests
 * use the safe selection (2nd from the right, 127.0.0.2) and are cleaned;
 * spoof_attempt is logged at info.  django-xff: leftmost 127.0.0.1,
 * header unchanged, no log.
 */
static void
dxff_10_strict_too_many_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	strict2_cfg(&cfg);
	dxff_run(&cfg, &v, "/health/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_ADDR", "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.2, 127.0.0.3");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR",
	    "127.0.0.1, 127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* The config of rows 11 and 12: loose plus every rule, x_for 2. */
static void
loose_all_cfg(struct config *cfg)
{
	dxff_cfg(cfg, 2);
	cfg->loose = 1;
	cfg->strict = 1;
	cfg->header_required = 1;
	cfg->no_spoofing = 1;
	cfg->always_proxy = 1;
}

/* 11: TestStrict.loose_no_header: loose beats every rule -> 200, no log. */
static void
dxff_11_strict_loose_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	loose_all_cfg(&cfg);
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 12a: TestStrict.loose, "too few": 200, the leftmost element, header
 * untouched, no depth_mismatch log (SPEC 3.5 rule 3).
 */
static void
dxff_12a_strict_loose_too_few(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	loose_all_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 12b: TestStrict.loose, "correct" (upstream sends three entries here too,
 * a copy-paste slip kept as is): 200, leftmost, header byte-for-byte kept.
 */
static void
dxff_12b_strict_loose_correct(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	loose_all_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 12c: TestStrict.loose, "too many": 200, leftmost, no spoof_attempt log. */
static void
dxff_12c_strict_loose_too_many(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	loose_all_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 13: TestNoSpoofing.no_header -> 200, nothing logged. */
static void
dxff_13_no_spoofing_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.no_spoofing = 1;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 14: TestNoSpoofing.too_few_proxies: no_spoofing, x_for 2, one entry ->
 * 200, the whole chain (leftmost) with one depth_mismatch warning.
 */
static void
dxff_14_no_spoofing_too_few_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.no_spoofing = 1;
	dxff_run(&cfg, &v, "/", "127.0.0.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 15: TestNoSpoofing.too_few_proxies_exempt: 200, leftmost; we log
 * depth_mismatch for the exempt request too (django-xff: no log).
 */
static void
dxff_15_no_spoofing_too_few_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.no_spoofing = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/health/", "127.0.0.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 16: TestNoSpoofing.correct_proxies -> 200, 127.0.0.1, no log. */
static void
dxff_16_no_spoofing_correct_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.no_spoofing = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 17: TestNoSpoofing.too_many_proxies -> 400 spoof_attempt.  As a
 * rejection it is logged at warning (SPEC 3.5; django-xff: info).
 */
static void
dxff_17_no_spoofing_too_many_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.no_spoofing = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 400, EV_SPOOF_ATTEMPT);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 18: TestNoSpoofing.too_many_proxies_exempt -> 200; safe selection
 * 127.0.0.2 and cleaned (django-xff: leftmost, unchanged), spoof_attempt
 * logged at info.
 */
static void
dxff_18_no_spoofing_too_many_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.no_spoofing = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/health/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, XFF, "127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 19: TestAlwaysProxy.no_header -> 400 missing_header, error. */
static void
dxff_19_always_proxy_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 20: TestAlwaysProxy.no_header_exempt -> 200. */
static void
dxff_20_always_proxy_no_header_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/health/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 21: TestAlwaysProxy.no_header_not_required -> 200. */
static void
dxff_21_always_proxy_no_header_not_required(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 22: TestAlwaysProxy.no_header_not_required_exempt -> 200. */
static void
dxff_22_always_proxy_no_header_not_required_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 0;
	dxff_run(&cfg, &v, "/health/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* The config of rows 23 to 27: always_proxy, x_for 2, header_required no. */
static void
always2_cfg(struct config *cfg)
{
	dxff_cfg(cfg, 2);
	cfg->always_proxy = 1;
	cfg->header_required = 0;
}

/* 23: TestAlwaysProxy.too_few_proxies -> 400 depth_mismatch. */
static void
dxff_23_always_proxy_too_few_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	always2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 24: TestAlwaysProxy.too_few_proxies_exempt -> 200, leftmost, logged. */
static void
dxff_24_always_proxy_too_few_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	always2_cfg(&cfg);
	dxff_run(&cfg, &v, "/health/", "127.0.0.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 25: TestAlwaysProxy.correct_proxies -> 200, 127.0.0.1. */
static void
dxff_25_always_proxy_correct_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	always2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.1");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 26: TestAlwaysProxy.too_many_proxies -> 200 (always_proxy does not
 * reject extra entries), 127.0.0.2, spoof_attempt info, header cleaned to
 * "127.0.0.2, 127.0.0.3" (django-xff: no space).
 */
static void
dxff_26_always_proxy_too_many_proxies(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	always2_cfg(&cfg);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, XFF, "127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 27: TestAlwaysProxy.too_many_proxies_exempt -> 200, 127.0.0.2 (not
 * leftmost).
 */
static void
dxff_27_always_proxy_too_many_proxies_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	always2_cfg(&cfg);
	dxff_run(&cfg, &v, "/health/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, XFF, "127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- 3.2: upstream tests added in 1.4.0 */

/*
 * 28: TestClean.too_many_proxies_rewrites_xff: x_for 2 -> the header
 * the backend sees is "127.0.0.2, 127.0.0.3" (", ": SPEC 3.2); the
 * original goes to ORIGINAL_HTTP_X_FORWARDED_FOR (SPEC 3.6).
 */
static void
dxff_28_clean_too_many_proxies_rewrites_xff(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, XFF, "127.0.0.2, 127.0.0.3");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR",
	    "127.0.0.1, 127.0.0.2, 127.0.0.3");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* 29: TestClean.can_be_disabled: clean no -> header as received. */
static void
dxff_29_clean_can_be_disabled(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.clean = 0;
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "127.0.0.2");
	VEC_PARAM(&v, XFF, "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* A GET of / from peer 127.0.0.9 with X-Forwarded-For xff. */
static void
peer9_run(const struct config *cfg, struct vrun *v, const char *xff)
{
	struct vreq	 q = { .peer = "127.0.0.9" };

	vec_run_hdr(cfg, v, &q, XFF, xff);
}

/* 30: TestRewriteRemote.rewrites_remote_addr: peer 127.0.0.9 -> 127.0.0.3. */
static void
dxff_30_rewrite_remote_rewrites_remote_addr(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	peer9_run(&cfg, &v, "127.0.0.3, 127.0.0.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "127.0.0.3");
	VEC_PARAM(&v, "ORIGINAL_REMOTE_ADDR", "127.0.0.9");
	VEC_PARAM(&v, XFF, "127.0.0.3, 127.0.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 31: TestRewriteRemote.can_be_disabled: rewrite_remote_addr no ->
 * REMOTE_ADDR and REMOTE_PORT left alone; the header is still cleaned
 * (SPEC 3.2), here to a value identical to the incoming one.
 */
static void
dxff_31_rewrite_remote_can_be_disabled(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.rewrite_remote_addr = 0;
	peer9_run(&cfg, &v, "127.0.0.3, 127.0.0.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	VEC_PARAM(&v, "REMOTE_ADDR", "127.0.0.9");
	VEC_PARAM(&v, "REMOTE_PORT", "40000");
	VEC_ABSENT(&v, "ORIGINAL_REMOTE_ADDR");
	VEC_ABSENT(&v, "ORIGINAL_REMOTE_PORT");
	VEC_PARAM(&v, XFF, "127.0.0.3, 127.0.0.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * 32: TestProxyDepth.too_many_proxies_logs_spoof_attempt: one info event
 * spoof_attempt carrying the full header; its log line escapes it (SPEC
 * 3.8: space as \x20).
 */
static void
dxff_32_proxy_depth_logs_spoof_attempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;
	char		 line[1024];

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", "127.0.0.1, 127.0.0.2, 127.0.0.3");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	VEC_EVENT_DETAIL(&v, EV_SPOOF_ATTEMPT, XFF,
	    "127.0.0.1, 127.0.0.2, 127.0.0.3");
	event_format(&v.r, 0, line, sizeof(line));
	assert_non_null(strstr(line, "spoof_attempt"));
	assert_non_null(strstr(line,
	    "127.0.0.1,\\x20127.0.0.2,\\x20127.0.0.3"));
	assert_null(strchr(line, '\n'));
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* ---- 3.3: edge vectors */

/*
 * E1: defaults with django-xff's depth 0: x_for = 0 means X-Forwarded-For
 * is not used (SPEC 3.2): REMOTE_ADDR stays the peer and the header is
 * removed under clean.  Every element is client-written, so n > x_for:
 * spoof_attempt at info.  django-xff: leftmost 1.1.1.1 and a warning.
 */
static void
dxff_e01_depth0_two_entries(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	PEER_KEPT(&v);
	VEC_ABSENT(&v, XFF);
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E2: strict, depth 0, one entry -> 400 depth_mismatch (n != 0). */
static void
dxff_e02_strict_depth0(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.strict = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E3: always_proxy, depth 0, one entry -> 400 depth_mismatch (rule 7). */
static void
dxff_e03_always_proxy_depth0(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.always_proxy = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E4: no_spoofing, depth 0, two entries -> 400 spoof_attempt: SPEC 3.5
 * rule 8 "with x_for = 0 any element is client-written, so any usable
 * header fires".  django-xff: 200 with the leftmost (depth 0 counts as
 * "too few" there).
 */
static void
dxff_e04_no_spoofing_depth0(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.no_spoofing = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 400, EV_SPOOF_ATTEMPT);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E5: x_for 1, two entries -> 2.2.2.2, cleaned to "2.2.2.2", info. */
static void
dxff_e05_depth1_two_entries(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 1);
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "2.2.2.2");
	VEC_PARAM(&v, XFF, "2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E6: x_for 1, empty header: not usable (SPEC 3), REMOTE_ADDR unchanged
 * (django-xff 1.3.0: REMOTE_ADDR ""; 1.5.0 like us), the header removed
 * under clean, nothing logged.
 */
static void
dxff_e06_depth1_empty_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 1);
	dxff_run(&cfg, &v, "/", "");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	VEC_ABSENT(&v, XFF);
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E6b: the same with header_required -> 400 missing_header (as 1.5.0). */
static void
dxff_e06b_depth1_empty_header_required(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 1);
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", "");
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E7: x_for 2, "1.1.1.1,,2.2.2.2": the empty element is dropped, n = 2 ->
 * 1.1.1.1, no log, cleaned "1.1.1.1, 2.2.2.2".  django-xff: REMOTE_ADDR
 * "", header ",2.2.2.2", info.
 */
static void
dxff_e07_empty_middle_element(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", "1.1.1.1,,2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E8: x_for 2, "1.1.1.1, 2.2.2.2," (trailing comma): n = 2 -> 1.1.1.1, no
 * log.  django-xff: 2.2.2.2, header "2.2.2.2,", info.
 */
static void
dxff_e08_trailing_comma(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2,");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E9: spaces and a tab around elements are trimmed -> 1.1.1.1. */
static void
dxff_e09_whitespace_trimmed(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", " 1.1.1.1 ,\t2.2.2.2 ");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E10: IPv6 elements: the chosen "2001:db8::1" (no port) is written in
 * canonical form; kept elements are written as received.
 */
static void
dxff_e10_ipv6_elements(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", "2001:db8::1, [2001:db8::2]:443");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "2001:db8::1");
	VEC_PARAM(&v, XFF, "2001:db8::1, [2001:db8::2]:443");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E11: "<script>" is not an IP literal: REMOTE_ADDR and REMOTE_PORT stay,
 * invalid_value warning (SPEC 3.2; django-xff writes it).  It was chosen,
 * so the cleaned header is that element (here unchanged).
 */
static void
dxff_e11_script_not_an_address(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 1);
	dxff_run(&cfg, &v, "/", "<script>");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_INVALID_VALUE, LOG_LVL_WARNING);
	VEC_EVENT_DETAIL(&v, EV_INVALID_VALUE, XFF, NULL);
	PEER_KEPT(&v);
	VEC_PARAM(&v, XFF, "<script>");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* The config of E12-E13d: strict, x_for 2, header required. */
static void
strict2req_cfg(struct config *cfg)
{
	dxff_cfg(cfg, 2);
	cfg->strict = 1;
	cfg->header_required = 1;
}

/* Runs q without X-Forwarded-For and checks the exempt (200) or not (400). */
static void
expect_exempt(const struct config *cfg, const struct vreq *q, int exempt)
{
	struct vrun	 v;

	vec_run(cfg, &v, q);
	if (exempt) {
		VEC_STATUS(&v, 200, EV_NONE);
		VEC_EVENTS(&v, 0);
	} else {
		VEC_STATUS(&v, 400, EV_MISSING_HEADER);
		VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	}
	vec_free(&v);
}

/*
 * E12: path "//health/" (nginx with merge_slashes off): all leading "/"
 * are removed before matching -> exempt.
 */
static void
dxff_e12_double_slash_exempt(void **state)
{
	struct config	 cfg;
	struct vreq	 q = { .uri = "//health/" };

	strict2req_cfg(&cfg);
	expect_exempt(&cfg, &q, 1);
	vec_cfg_free(&cfg);
}

/*
 * E13: "/heal%74h/" is matched on the decoded path: nginx's DOCUMENT_URI
 * "/health/", and, without DOCUMENT_URI and SCRIPT_NAME, REQUEST_URI
 * decoded by the gateway (SPEC 3.5 rule 1).
 */
static void
dxff_e13_percent_decoded_exempt(void **state)
{
	struct config	 cfg;
	struct vreq	 nginx = { .uri = "/heal%74h/", .doc_uri = "/health/" };
	struct vreq	 bare = { .uri = "/heal%74h/", .doc_uri = VREQ_NONE,
			    .script_name = VREQ_NONE };

	strict2req_cfg(&cfg);
	expect_exempt(&cfg, &nginx, 1);
	expect_exempt(&cfg, &bare, 1);
	vec_cfg_free(&cfg);
}

/* E13b: "/health/extra" and "/Health/" -> not exempt (anchored, case). */
static void
dxff_e13b_anchored_case_sensitive(void **state)
{
	struct config	 cfg;
	struct vreq	 extra = { .uri = "/health/extra" };
	struct vreq	 upper = { .uri = "/Health/" };

	strict2req_cfg(&cfg);
	expect_exempt(&cfg, &extra, 0);
	expect_exempt(&cfg, &upper, 0);
	vec_cfg_free(&cfg);
}

/*
 * E13c: "/health/" followed by a newline: POSIX `$` matches only at the
 * end, so not exempt -> 400 (django-xff: exempt, Python's `$` quirk).
 */
static void
dxff_e13c_trailing_newline_not_exempt(void **state)
{
	struct config	 cfg;
	struct vreq	 nginx = { .uri = "/health/%0A",
			    .doc_uri = "/health/\n" };
	struct vreq	 bare = { .uri = "/health/%0A", .doc_uri = VREQ_NONE,
			    .script_name = VREQ_NONE };

	strict2req_cfg(&cfg);
	expect_exempt(&cfg, &nginx, 0);
	expect_exempt(&cfg, &bare, 0);
	vec_cfg_free(&cfg);
}

/*
 * E13d: SCRIPT_NAME "/app", PATH_INFO "/health/": the path matched is
 * the whole routed path (DOCUMENT_URI, else SCRIPT_NAME + PATH_INFO),
 * "/app/health/", so not exempt -> 400.  django-xff matches PATH_INFO
 * alone and exempts it.
 */
static void
dxff_e13d_script_name_counts(void **state)
{
	struct config	 cfg;
	struct vreq	 nginx = { .uri = "/app/health/", .script_name = "/app",
			    .path_info = "/health/" };
	struct vreq	 bare = { .uri = "/app/health/", .doc_uri = VREQ_NONE,
			    .script_name = "/app", .path_info = "/health/" };

	strict2req_cfg(&cfg);
	expect_exempt(&cfg, &nginx, 0);
	expect_exempt(&cfg, &bare, 0);
	vec_cfg_free(&cfg);
}

/* E14: stealth, depth 0, /health/, one entry -> 404 (n >= 0). */
static void
dxff_e14_stealth_depth0(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "1.1.1.1");
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E15: stealth, x_for 2, /health/, one entry: fewer than x_for, not
 * hidden -> 200, the whole chain (1.1.1.1) with depth_mismatch.
 */
static void
dxff_e15_stealth_too_few_not_hidden(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "1.1.1.1");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "1.1.1.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E16: stealth, x_for 2, /health/, three entries -> 404. */
static void
dxff_e16_stealth_too_many(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "1.1.1.1, 2.2.2.2, 3.3.3.3");
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E17: stealth, x_for 2, /health/, no header -> 200, peer kept. */
static void
dxff_e17_stealth_no_header(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", NULL);
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	PEER_KEPT(&v);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E18: stealth, x_for 2, "/" (not exempt), two entries -> 200, 1.1.1.1. */
static void
dxff_e18_stealth_not_exempt(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "1.1.1.1");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E19: loose and stealth, x_for 2, /health/, two entries -> 404 (rule 2
 * first).
 */
static void
dxff_e19_stealth_before_loose(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.loose = 1;
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E20: loose, x_for 2 -> leftmost 9.9.9.9, header untouched, no log. */
static void
dxff_e20_loose_leftmost(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.loose = 1;
	dxff_run(&cfg, &v, "/", "9.9.9.9, 1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "9.9.9.9");
	VEC_PARAM(&v, XFF, "9.9.9.9, 1.1.1.1, 2.2.2.2");
	VEC_ABSENT(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E21: header_required alone, no header -> 400 missing_header, error. */
static void
dxff_e21_header_required_only(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 0);
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", NULL);
	VEC_STATUS(&v, 400, EV_MISSING_HEADER);
	VEC_EVENTS(&v, 1, EV_MISSING_HEADER, LOG_LVL_ERROR);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E22: x_for 2, /health/, three entries: exempt requests use the safe
 * selection (SPEC 3.5) -> 1.1.1.1, cleaned, spoof_attempt info.
 * django-xff: leftmost 9.9.9.9, header unchanged.
 */
static void
dxff_e22_exempt_safe_selection(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/health/", "9.9.9.9, 1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_SPOOF_ATTEMPT, LOG_LVL_INFO);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR",
	    "9.9.9.9, 1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E23: strict, x_for 2, "1.1.1.1 , 2.2.2.2" -> 1.1.1.1, "1.1.1.1, 2.2.2.2". */
static void
dxff_e23_strict_space_before_comma(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.strict = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1 , 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 0);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	VEC_PARAM(&v, "ORIGINAL_HTTP_X_FORWARDED_FOR", "1.1.1.1 , 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* A config with a single exempt pattern: strict, x_for 2, header required. */
static void
one_exempt_cfg(struct config *cfg, const char *pattern)
{
	vec_cfg(cfg);
	cfg->x_for = 2;
	cfg->x_proto = 0;
	cfg->strict = 1;
	cfg->header_required = 1;
	vec_cfg_exempt(cfg, pattern);
}

/* E24: exempt "^health", /healthz/ -> exempt (prefix match, as 1.5.0). */
static void
dxff_e24_exempt_prefix_match(void **state)
{
	struct config	 cfg;
	struct vreq	 q = { .uri = "/healthz/" };

	one_exempt_cfg(&cfg, "^health");
	expect_exempt(&cfg, &q, 1);
	vec_cfg_free(&cfg);
}

/*
 * E25: exempt "alth/$", /health/ -> not exempt: patterns match from the
 * start of the path (SPEC 3.5 rule 1, as 1.5.0), although regexec alone
 * would find "alth/" inside "health/".
 */
static void
dxff_e25_exempt_anchored_at_start(void **state)
{
	struct config	 cfg;
	struct vreq	 q = { .uri = "/health/" };

	one_exempt_cfg(&cfg, "alth/$");
	expect_exempt(&cfg, &q, 0);
	vec_cfg_free(&cfg);
}

/* E26: exempt "^/health/$" never matches: leading "/" removed -> 400. */
static void
dxff_e26_exempt_leading_slash_never_matches(void **state)
{
	struct config	 cfg;
	struct vreq	 q = { .uri = "/health/" };

	one_exempt_cfg(&cfg, "^/health/$");
	expect_exempt(&cfg, &q, 0);
	vec_cfg_free(&cfg);
}

/* E27: no_spoofing, x_for 3, two entries -> 200, leftmost, depth_mismatch. */
static void
dxff_e27_no_spoofing_too_few(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 3);
	cfg.no_spoofing = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "1.1.1.1");
	VEC_PARAM(&v, XFF, "1.1.1.1, 2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E28: always_proxy, x_for 3, two entries -> 400 depth_mismatch. */
static void
dxff_e28_always_proxy_too_few(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 3);
	cfg.always_proxy = 1;
	cfg.header_required = 1;
	dxff_run(&cfg, &v, "/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 400, EV_DEPTH_MISMATCH);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/* E29: stealth, x_for 2, /health/, exactly two entries -> 404. */
static void
dxff_e29_stealth_exact_depth(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	cfg.exempt_stealth = 1;
	dxff_run(&cfg, &v, "/health/", "1.1.1.1, 2.2.2.2");
	VEC_STATUS(&v, 404, EV_STEALTH);
	VEC_EVENTS(&v, 1, EV_STEALTH, LOG_LVL_INFO);
	vec_free(&v);
	vec_cfg_free(&cfg);
}

/*
 * E30: x_for 2, ", 2.2.2.2": the empty element is dropped, n = 1 < 2 ->
 * the whole chain, 2.2.2.2, with depth_mismatch.  django-xff: REMOTE_ADDR
 * "", header ",2.2.2.2", no log.
 */
static void
dxff_e30_leading_empty_element(void **state)
{
	struct config	 cfg;
	struct vrun	 v;

	dxff_cfg(&cfg, 2);
	dxff_run(&cfg, &v, "/", ", 2.2.2.2");
	VEC_STATUS(&v, 200, EV_NONE);
	VEC_EVENTS(&v, 1, EV_DEPTH_MISMATCH, LOG_LVL_WARNING);
	CLIENT(&v, "2.2.2.2");
	VEC_PARAM(&v, XFF, "2.2.2.2");
	vec_free(&v);
	vec_cfg_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dxff_01_strict_no_header),
		cmocka_unit_test(dxff_02_strict_no_header_exempt),
		cmocka_unit_test(dxff_03_strict_no_header_not_required),
		cmocka_unit_test(
		    dxff_04_always_proxy_no_header_not_required_exempt),
		cmocka_unit_test(dxff_05_strict_too_few_proxies),
		cmocka_unit_test(dxff_06_strict_too_few_proxies_exempt),
		cmocka_unit_test(dxff_07_strict_correct_proxies),
		cmocka_unit_test(dxff_08_strict_correct_proxies_exempt_stealth),
		cmocka_unit_test(dxff_09_strict_too_many_proxies),
		cmocka_unit_test(dxff_10_strict_too_many_proxies_exempt),
		cmocka_unit_test(dxff_11_strict_loose_no_header),
		cmocka_unit_test(dxff_12a_strict_loose_too_few),
		cmocka_unit_test(dxff_12b_strict_loose_correct),
		cmocka_unit_test(dxff_12c_strict_loose_too_many),
		cmocka_unit_test(dxff_13_no_spoofing_no_header),
		cmocka_unit_test(dxff_14_no_spoofing_too_few_proxies),
		cmocka_unit_test(dxff_15_no_spoofing_too_few_proxies_exempt),
		cmocka_unit_test(dxff_16_no_spoofing_correct_proxies),
		cmocka_unit_test(dxff_17_no_spoofing_too_many_proxies),
		cmocka_unit_test(dxff_18_no_spoofing_too_many_proxies_exempt),
		cmocka_unit_test(dxff_19_always_proxy_no_header),
		cmocka_unit_test(dxff_20_always_proxy_no_header_exempt),
		cmocka_unit_test(dxff_21_always_proxy_no_header_not_required),
		cmocka_unit_test(
		    dxff_22_always_proxy_no_header_not_required_exempt),
		cmocka_unit_test(dxff_23_always_proxy_too_few_proxies),
		cmocka_unit_test(dxff_24_always_proxy_too_few_proxies_exempt),
		cmocka_unit_test(dxff_25_always_proxy_correct_proxies),
		cmocka_unit_test(dxff_26_always_proxy_too_many_proxies),
		cmocka_unit_test(dxff_27_always_proxy_too_many_proxies_exempt),
		cmocka_unit_test(dxff_28_clean_too_many_proxies_rewrites_xff),
		cmocka_unit_test(dxff_29_clean_can_be_disabled),
		cmocka_unit_test(dxff_30_rewrite_remote_rewrites_remote_addr),
		cmocka_unit_test(dxff_31_rewrite_remote_can_be_disabled),
		cmocka_unit_test(dxff_32_proxy_depth_logs_spoof_attempt),
		cmocka_unit_test(dxff_e01_depth0_two_entries),
		cmocka_unit_test(dxff_e02_strict_depth0),
		cmocka_unit_test(dxff_e03_always_proxy_depth0),
		cmocka_unit_test(dxff_e04_no_spoofing_depth0),
		cmocka_unit_test(dxff_e05_depth1_two_entries),
		cmocka_unit_test(dxff_e06_depth1_empty_header),
		cmocka_unit_test(dxff_e06b_depth1_empty_header_required),
		cmocka_unit_test(dxff_e07_empty_middle_element),
		cmocka_unit_test(dxff_e08_trailing_comma),
		cmocka_unit_test(dxff_e09_whitespace_trimmed),
		cmocka_unit_test(dxff_e10_ipv6_elements),
		cmocka_unit_test(dxff_e11_script_not_an_address),
		cmocka_unit_test(dxff_e12_double_slash_exempt),
		cmocka_unit_test(dxff_e13_percent_decoded_exempt),
		cmocka_unit_test(dxff_e13b_anchored_case_sensitive),
		cmocka_unit_test(dxff_e13c_trailing_newline_not_exempt),
		cmocka_unit_test(dxff_e13d_script_name_counts),
		cmocka_unit_test(dxff_e14_stealth_depth0),
		cmocka_unit_test(dxff_e15_stealth_too_few_not_hidden),
		cmocka_unit_test(dxff_e16_stealth_too_many),
		cmocka_unit_test(dxff_e17_stealth_no_header),
		cmocka_unit_test(dxff_e18_stealth_not_exempt),
		cmocka_unit_test(dxff_e19_stealth_before_loose),
		cmocka_unit_test(dxff_e20_loose_leftmost),
		cmocka_unit_test(dxff_e21_header_required_only),
		cmocka_unit_test(dxff_e22_exempt_safe_selection),
		cmocka_unit_test(dxff_e23_strict_space_before_comma),
		cmocka_unit_test(dxff_e24_exempt_prefix_match),
		cmocka_unit_test(dxff_e25_exempt_anchored_at_start),
		cmocka_unit_test(dxff_e26_exempt_leading_slash_never_matches),
		cmocka_unit_test(dxff_e27_no_spoofing_too_few),
		cmocka_unit_test(dxff_e28_always_proxy_too_few),
		cmocka_unit_test(dxff_e29_stealth_exact_depth),
		cmocka_unit_test(dxff_e30_leading_empty_element),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
