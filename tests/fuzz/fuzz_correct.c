/*
 * fuzz_correct.c: libFuzzer harness for the whole correction
 * (xff_correct, SPEC 3) and its log lines (event_format).
 *
 * Input layout:
 *	bytes 0-5	depths of x_for, x_proto, x_host, x_port, x_prefix,
 *			forwarded (mostly 0-3, sometimes up to 64)
 *	bytes 6-7	rule switches (see the RB_ bits)
 *	bytes 8-9	which networks of the fixed list form proxies
 *	byte 10		capacity of the event_format buffer
 *	rest		params, one per line ('\n'): a line starting with a
 *			byte below 0x20 takes its name from the table below
 *			and the rest of the line is the value; any other
 *			line is NAME=VALUE (no '=': an empty value)
 *
 * Every invariant violation aborts.
 *
 *	clang -fsanitize=fuzzer,address,undefined -I lib \
 *	    tests/fuzz/fuzz_correct.c (every lib/ source) -liniparser
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "correct.h"
#include "fwdlist.h"
#include "ipaddr.h"
#include "params.h"
#include "values.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define HDR_LEN		11
#define MAX_PARAMS	1024

/* Rule switches in bytes 6 and 7. */
#define RB_STRICT	0x0001
#define RB_ALWAYS	0x0002
#define RB_NOSPOOF	0x0004
#define RB_HDRREQ	0x0008
#define RB_LOOSE	0x0010
#define RB_NOCLEAN	0x0020	/* clean is on unless set */
#define RB_NOREWRITE	0x0040	/* rewrite_remote_addr is on unless set */
#define RB_STEALTH	0x0080
#define RB_NOORIG	0x0100	/* keep_original is on unless set */
#define RB_NOSTRIPPROXY	0x0200	/* strip_proxy_header is on unless set */
#define RB_EXEMPT	0x0400	/* exempt = ^health/$ */
#define RB_EXEMPT2	0x0800	/* and ^admin/ */
#define RB_NOSTRIP	0x1000	/* strip_headers empty */
#define RB_HDRREQ_SET	0x2000	/* header_required explicit (RB_HDRREQ) */

/* Names chosen by a leading control byte (0x0a is the separator). */
static const char *const names[] = {
	"REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
	"HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
	"HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED", "HTTP_HOST",
	"SCRIPT_NAME", "REQUEST_URI", "CONTENT_LENGTH" /* 0x0a: never */,
	"DOCUMENT_URI", "HTTPS", "REQUEST_SCHEME", "SERVER_PORT",
	"REMOTE_PORT", "PATH_INFO", "REQUEST_METHOD", "HTTP_PROXY",
	"HTTP_COOKIE", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_SSL",
	"ORIGINAL_REMOTE_ADDR", "ORIGINAL_HTTP_X_FORWARDED_FOR",
	"ORIGINAL_HTTPS", "HTTP_CLIENT_IP", "QUERY_STRING",
	"ORIGINAL_HTTP_FORWARDED", "ORIGINAL_ORIGINAL_HTTPS",
	"HTTP_X_FORWARDED", "ORIGINAL_SERVER_PORT", "SERVER_NAME"
};
#define NNAMES	(sizeof(names) / sizeof(names[0]))

/* The networks proxies is made of, chosen by bits of bytes 8 and 9. */
static const char *const nets[] = {
	"unix:", "10.0.0.0/8", "10.0.0.2", "127.0.0.1/32", "::1",
	"192.168.0.0/16", "2001:db8::/32", "172.16.0.0/12",
	"::ffff:10.1.2.3", "0.0.0.0/0", "::/0", "203.0.113.0/24",
	"fe80::/10", "198.51.100.7", "::ffff:0:0/96", "2001:db8::7/128"
};
#define NNETS	(sizeof(nets) / sizeof(nets[0]))

static struct config	 base;
static struct cidr	 netv[NNETS];
static regex_t		 exempt_re[2];
static char		 exempt_s1[] = "^health/$", exempt_s2[] = "^admin/";
static char		*exempt_src[2] = { exempt_s1, exempt_s2 };
static struct result	 res;
static struct arena	 ref;		/* the harness's own copies */
static int		 ready;

/* Builds everything shared by all inputs, once. */
static void
setup(void)
{
	size_t	i;
	int	hb;

	if (ready)
		return;
	CHECK(config_defaults(&base) == 0);
	for (i = 1; i < NNETS; i++)
		CHECK(cidr_parse(xstr_c(nets[i]), &netv[i], &hb) == 0);
	CHECK(regcomp(&exempt_re[0], exempt_s1, REG_EXTENDED) == 0);
	CHECK(regcomp(&exempt_re[1], exempt_s2, REG_EXTENDED) == 0);
	result_init(&res);
	arena_init(&ref, 0);
	ready = 1;
}

/* Maps a byte to a depth: mostly 0-3, a quarter of the range 0-64. */
static int
depth(uint8_t b)
{
	return b < 0xc0 ? b % 4 : (b - 0xc0) % (XFF_DEPTH_MAX + 1);
}

/* Derives the config of one input from its first bytes. */
static void
make_config(const uint8_t *h, struct config *c, struct cidr *pv)
{
	unsigned	rb = h[6] | (unsigned)h[7] << 8;
	unsigned	nb = h[8] | (unsigned)h[9] << 8;
	size_t		i;

	*c = base;
	c->x_for = depth(h[0]);
	c->x_proto = depth(h[1]);
	c->x_host = depth(h[2]);
	c->x_port = depth(h[3]);
	c->x_prefix = depth(h[4]);
	c->forwarded = depth(h[5]);
	c->strict = !!(rb & RB_STRICT);
	c->always_proxy = !!(rb & RB_ALWAYS);
	c->no_spoofing = !!(rb & RB_NOSPOOF);
	c->header_required = rb & RB_HDRREQ_SET ? !!(rb & RB_HDRREQ) :
	    c->strict || c->always_proxy;
	c->loose = !!(rb & RB_LOOSE);
	c->clean = !(rb & RB_NOCLEAN);
	c->rewrite_remote_addr = !(rb & RB_NOREWRITE);
	c->exempt_stealth = !!(rb & RB_STEALTH);
	c->keep_original = !(rb & RB_NOORIG);
	c->strip_proxy_header = !(rb & RB_NOSTRIPPROXY);
	c->nexempt = rb & RB_EXEMPT ? (rb & RB_EXEMPT2 ? 2 : 1) : 0;
	c->exempt = exempt_re;
	c->exempt_src = exempt_src;
	if (rb & RB_NOSTRIP)
		c->nstrip = 0;
	/* proxies: a copy of the chosen networks */
	c->proxies.v = pv;
	c->proxies.n = 0;
	c->proxies.has_unix = nb & 1;
	for (i = 1; i < NNETS; i++)
		if (nb & (1u << i))
			pv[c->proxies.n++] = netv[i];
}

/* Splits the body into params. */
static size_t
make_params(const uint8_t *p, size_t len, struct param *v)
{
	const char	*s = (const char *)p, *end = s + len, *nl, *eq;
	size_t		 n = 0;

	while (s < end && n < MAX_PARAMS) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (nl > s && (unsigned char)s[0] < 0x20) {
			v[n].name = xstr_c(names[(unsigned char)s[0] % NNAMES]);
			v[n].value = (struct xstr){ s + 1, (size_t)(nl - s - 1) };
		} else if ((eq = memchr(s, '=', (size_t)(nl - s))) != NULL) {
			v[n].name = (struct xstr){ s, (size_t)(eq - s) };
			v[n].value = (struct xstr){ eq + 1, (size_t)(nl - eq - 1) };
		} else {
			v[n].name = (struct xstr){ s, (size_t)(nl - s) };
			v[n].value = (struct xstr){ nl, 0 };
		}
		n++;
		s = nl + 1;
	}
	return n;
}

/* Orders params by name (bytes, then length). */
static int
cmp_param(const void *a, const void *b)
{
	const struct param	*x = a, *y = b;
	size_t			 n = x->name.len < y->name.len ? x->name.len :
				    y->name.len;
	int			 c = n > 0 ? memcmp(x->name.p, y->name.p, n) : 0;

	if (c != 0)
		return c;
	return x->name.len < y->name.len ? -1 : x->name.len > y->name.len;
}

/* A sorted copy of a param list, for lookups by name. */
struct sorted {
	struct param	*v;
	size_t		 n;
};

/* Sorts a copy of v[0..n) into s (memory from the harness arena). */
static void
sort_params(const struct param *v, size_t n, struct sorted *s)
{
	s->n = n;
	s->v = arena_alloc(&ref, (n > 0 ? n : 1) * sizeof(*s->v));
	CHECK(s->v != NULL);
	if (n > 0)
		memcpy(s->v, v, n * sizeof(*v));
	qsort(s->v, n, sizeof(*s->v), cmp_param);
}

/* Returns the param named name in s, or NULL. */
static const struct param *
lookup(const struct sorted *s, struct xstr name)
{
	struct param	key;

	key.name = name;
	key.value = XSTR_NULL;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_param);
}

/* Returns the value of name in s, or p NULL when absent. */
static struct xstr
value_of(const struct sorted *s, const char *name)
{
	const struct param	*p = lookup(s, xstr_c(name));

	return p != NULL ? p->value : XSTR_NULL;
}

/* Returns 1 when the param is present in both with the same value, or absent from both. */
static int
same(const struct sorted *a, const struct sorted *b, const char *name)
{
	struct xstr	x = value_of(a, name), y = value_of(b, name);

	if (x.p == NULL || y.p == NULL)
		return x.p == NULL && y.p == NULL;
	return xstr_eq(x, y);
}

/* Returns 1 when the peer may forward (SPEC 3.1). */
static int
peer_trusted(const struct config *c, const struct sorted *in)
{
	struct xstr	peer = value_of(in, "REMOTE_ADDR");

	if (c->proxies.n == 0 && !c->proxies.has_unix)
		return 1;
	return cidrset_match_peer(&c->proxies, peer.p != NULL ? peer :
	    XSTR_LIT(""));
}

/* A rewritten REMOTE_ADDR is an address in canonical text. */
static void
check_canonical(struct xstr v)
{
	struct ip	ip;
	char		buf[IP_TEXT_MAX];
	size_t		n;

	CHECK(ip_parse(v, &ip) == 0);
	n = ip_format(&ip, buf);
	CHECK(xstr_eq(v, (struct xstr){ buf, n }));
	CHECK(strcmp(buf, "0.0.0.0") != 0 && strcmp(buf, "::") != 0);
}

/* A cleaned Forwarded holds valid elements with known pairs only. */
static void
check_clean_forwarded(struct xstr v)
{
	static struct xlist	 l;
	struct fwd_elem		 e;
	size_t			 i;

	fwd_split(v, &l);
	CHECK(l.n >= 1);
	for (i = 0; i < l.nkept; i++) {
		CHECK(fwd_elem_parse(l.r[i], &e, &ref) == 0);
		CHECK(e.valid);
		CHECK(e.f_for.present || e.f_by.present || e.f_proto.present ||
		    e.f_host.present);
	}
}

/*
 * The client of SPEC 3.2 (Forwarded not in play, a trusted peer).  Count
 * mode: the x_for-th element from the right, or the leftmost when there
 * are fewer.  With proxies: walking from the right over at most x_for
 * elements, the first that is not a trusted proxy or the x_for-th;
 * the leftmost when fewer are all trusted.  An invalid choice leaves
 * REMOTE_ADDR and REMOTE_PORT as they were.
 */
static void
check_client(const struct config *c, const struct sorted *in,
    const struct sorted *out)
{
	struct xlist	*l;
	struct xstr	 e, v;
	struct ip	 ip;
	unsigned	 port;
	char		 buf[IP_TEXT_MAX], pbuf[8];
	size_t		 n, i;

	if (c->x_for < 1 || c->loose || !c->rewrite_remote_addr ||
	    (c->forwarded > 0 && lookup(in, XSTR_LIT("HTTP_FORWARDED")) != NULL))
		return;
	CHECK((l = arena_alloc(&ref, sizeof(*l))) != NULL);
	xlist_parse(value_of(in, "HTTP_X_FORWARDED_FOR"), l);
	e = XSTR_NULL;
	if (l->n > 0 && c->proxies.n == 0 && !c->proxies.has_unix)
		e = l->n >= (size_t)c->x_for ? l->r[c->x_for - 1] : l->leftmost;
	else if (l->n > 0) {
		for (i = 0; i < l->nkept; i++) {
			e = l->r[i];
			if (i + 1 == (size_t)c->x_for ||
			    ip_parse_node(e, &ip, &port) != 0 ||
			    !cidrset_match_ip(&c->proxies, &ip))
				break;
		}
	}
	if (e.p == NULL || ip_parse_node(e, &ip, &port) != 0) {
		CHECK(same(in, out, "REMOTE_ADDR"));
		CHECK(same(in, out, "REMOTE_PORT"));
		return;
	}
	n = ip_format(&ip, buf);
	CHECK(xstr_eq(value_of(out, "REMOTE_ADDR"), (struct xstr){ buf, n }));
	v = value_of(out, "REMOTE_PORT");
	if (port == 0)
		CHECK(v.p == NULL);
	else {
		n = (size_t)snprintf(pbuf, sizeof(pbuf), "%u", port);
		CHECK(xstr_eq(v, (struct xstr){ pbuf, n }));
	}
}

/* The params an accepted request hands to the backend (SPEC 3.6). */
static void
check_output(const struct config *c, const struct sorted *in,
    const struct sorted *out)
{
	struct xstr	 v, w;
	size_t		 i;
	struct strbuf	 sb;
	int		 trusted = peer_trusted(c, in);

	/* exactly one param per name */
	for (i = 1; i < out->n; i++)
		CHECK(cmp_param(&out->v[i - 1], &out->v[i]) != 0);

	/* REMOTE_ADDR: canonical when changed, untouched when not allowed */
	v = value_of(out, "REMOTE_ADDR");
	if (!same(in, out, "REMOTE_ADDR")) {
		CHECK(c->rewrite_remote_addr && trusted);
		CHECK(v.p != NULL);
		check_canonical(v);
	}
	if (!same(in, out, "REMOTE_PORT")) {
		CHECK(c->rewrite_remote_addr && trusted);
		if ((w = value_of(out, "REMOTE_PORT")).p != NULL)
			CHECK(port_parse(w) != 0);
	}

	/* HTTPS is never written as "off"; REQUEST_SCHEME only http(s) */
	if (!same(in, out, "HTTPS")) {
		CHECK(trusted);
		v = value_of(out, "HTTPS");
		CHECK(v.p == NULL || xstr_eqc(v, "on"));
	}
	if (!same(in, out, "REQUEST_SCHEME")) {
		CHECK(trusted);
		v = value_of(out, "REQUEST_SCHEME");
		CHECK(xstr_eqc(v, "http") || xstr_eqc(v, "https"));
	}
	/* an untrusted peer changes nothing of the location */
	if (!trusted) {
		CHECK(same(in, out, "HTTP_HOST"));
		CHECK(same(in, out, "SERVER_NAME"));
		CHECK(same(in, out, "SERVER_PORT"));
		CHECK(same(in, out, "SCRIPT_NAME"));
		CHECK(same(in, out, "REQUEST_URI"));
	}
	if (!same(in, out, "SERVER_PORT")) {
		v = value_of(out, "SERVER_PORT");
		CHECK(v.p != NULL && port_parse(v) != 0);
	}
	if (!same(in, out, "SERVER_NAME")) {
		struct xstr	h;
		unsigned	p;

		v = value_of(out, "SERVER_NAME");
		CHECK(v.p != NULL && value_host(v, &h, &p) == 0 && p == 0);
	}
	CHECK(same(in, out, "PATH_INFO"));
	CHECK(same(in, out, "DOCUMENT_URI"));

	if (c->strip_proxy_header) {
		CHECK(lookup(out, XSTR_LIT("HTTP_PROXY")) == NULL);
		if (lookup(in, XSTR_LIT("ORIGINAL_HTTP_PROXY")) == NULL)
			CHECK(lookup(out,
			    XSTR_LIT("ORIGINAL_HTTP_PROXY")) == NULL);
	} else
		CHECK(same(in, out, "HTTP_PROXY"));

	if (c->clean && !c->loose) {
		struct xstr	h, pre;
		unsigned	p;

		v = value_of(out, "HTTP_X_FORWARDED_PROTO");
		CHECK(v.p == NULL || xstr_eqc(v, "http") ||
		    xstr_eqc(v, "https"));
		v = value_of(out, "HTTP_X_FORWARDED_HOST");
		CHECK(v.p == NULL || value_host(v, &h, &p) == 0);
		v = value_of(out, "HTTP_X_FORWARDED_PORT");
		CHECK(v.p == NULL || port_parse(v) != 0);
		v = value_of(out, "HTTP_X_FORWARDED_PREFIX");
		CHECK(v.p == NULL ||
		    (value_prefix(v, &pre) == 0 && pre.len == v.len &&
		    v.len > 0));
		v = value_of(out, "HTTP_FORWARDED");
		if (v.p != NULL)
			check_clean_forwarded(v);
		v = value_of(out, "HTTP_X_FORWARDED_FOR");
		if (v.p != NULL) {
			struct xlist *l = arena_alloc(&ref, sizeof(*l));

			CHECK(l != NULL);
			xlist_parse(v, l);
			CHECK(l->n >= 1 && trusted);
		}
		if (!trusted) {
			CHECK(lookup(out, XSTR_LIT("HTTP_X_FORWARDED_FOR")) ==
			    NULL);
			CHECK(lookup(out, XSTR_LIT("HTTP_FORWARDED")) == NULL);
			CHECK(lookup(out,
			    XSTR_LIT("HTTP_X_FORWARDED_PROTO")) == NULL);
		}
		for (i = 0; i < c->nstrip; i++)
			CHECK(lookup(out,
			    xstr_c(c->strip_headers[i])) == NULL);
	}
	if (c->loose) {
		CHECK(same(in, out, "HTTP_X_FORWARDED_FOR"));
		CHECK(same(in, out, "HTTP_FORWARDED"));
		for (i = 0; i < c->nstrip; i++)
			CHECK(same(in, out, c->strip_headers[i]));
	}

	/*
	 * keep_original: every incoming param changed or removed (but
	 * HTTP_PROXY) has ORIGINAL_<NAME> with its incoming value; without
	 * it, no ORIGINAL_ param appears that did not arrive.
	 */
	for (i = 0; i < in->n; i++) {
		const struct param	*o;
		struct xstr		 name = in->v[i].name;

		if (name.len >= 9 && memcmp(name.p, "ORIGINAL_", 9) == 0)
			continue;
		o = lookup(out, name);
		if (o != NULL && xstr_eq(o->value, in->v[i].value))
			continue;
		if (xstr_eqc(name, "HTTP_PROXY"))
			continue;
		strbuf_begin(&sb, &ref, name.len + 9);
		strbuf_addc(&sb, "ORIGINAL_");
		strbuf_adds(&sb, name);
		CHECK(strbuf_end(&sb, &w) == 0);
		o = lookup(out, w);
		if (c->keep_original) {
			CHECK(o != NULL);
			CHECK(xstr_eq(o->value, in->v[i].value));
		} else
			CHECK(o == NULL || lookup(in, w) != NULL);
	}
	for (i = 0; i < out->n; i++) {
		struct xstr	name = out->v[i].name;

		if (lookup(in, name) != NULL)
			continue;
		if (name.len >= 9 && memcmp(name.p, "ORIGINAL_", 9) == 0) {
			CHECK(c->keep_original);
			continue;
		}
		/* only the params the correction writes are ever added */
		CHECK(xstr_eqc(name, "REMOTE_ADDR") ||
		    xstr_eqc(name, "REMOTE_PORT") ||
		    xstr_eqc(name, "HTTPS") ||
		    xstr_eqc(name, "REQUEST_SCHEME") ||
		    xstr_eqc(name, "HTTP_HOST") ||
		    xstr_eqc(name, "SERVER_NAME") ||
		    xstr_eqc(name, "SERVER_PORT") ||
		    xstr_eqc(name, "HTTP_X_FORWARDED_PROTO") ||
		    xstr_eqc(name, "HTTP_X_FORWARDED_HOST") ||
		    xstr_eqc(name, "HTTP_X_FORWARDED_PORT") ||
		    xstr_eqc(name, "HTTP_X_FORWARDED_PREFIX") ||
		    xstr_eqc(name, "HTTP_X_FORWARDED_FOR") ||
		    xstr_eqc(name, "HTTP_FORWARDED"));
	}
}

/* Formats every event into buffers guarded by a canary. */
static void
check_events(const struct result *r, size_t cap)
{
	static char	buf[4096 + 64];
	size_t		i, j, k, n, caps[2];

	CHECK(r->nev <= XFF_MAX_EVENTS);
	caps[0] = cap;
	caps[1] = 4096;
	for (i = 0; i < r->nev; i++) {
		CHECK(r->ev[i].kind > EV_NONE && r->ev[i].kind <= EV_STEALTH);
		for (k = 0; k < 2; k++) {
			memset(buf, 0x5a, sizeof(buf));
			n = event_format(r, i, buf, caps[k]);
			for (j = caps[k]; j < sizeof(buf); j++)
				CHECK(buf[j] == 0x5a);
			if (caps[k] == 0) {
				CHECK(n == 0);
				continue;
			}
			CHECK(n < caps[k] && buf[n] == '\0' &&
			    strlen(buf) == n);
			/* one line, no raw control byte or space in a value */
			CHECK(memchr(buf, '\n', n) == NULL);
			CHECK(memchr(buf, '\r', n) == NULL);
			if (k == 1)
				CHECK(strncmp(buf, event_name(r->ev[i].kind),
				    strlen(event_name(r->ev[i].kind))) == 0);
		}
	}
}

/* Writes status, reason, events and output of r into one string in ref. */
static struct xstr
snapshot(const struct result *r)
{
	struct strbuf	 sb;
	struct xstr	 v;
	char		 num[64];
	size_t		 i;
	int		 n;

	strbuf_begin(&sb, &ref, 256);
	n = snprintf(num, sizeof(num), "%d %d %zu %zu|", r->status,
	    (int)r->reason, r->nev, r->nev_dropped);
	strbuf_add(&sb, num, (size_t)n);
	for (i = 0; i < r->nev; i++) {
		n = snprintf(num, sizeof(num), "%d %d %s|", (int)r->ev[i].kind,
		    (int)r->ev[i].level, r->ev[i].header != NULL ?
		    r->ev[i].header : "-");
		strbuf_add(&sb, num, (size_t)n);
		strbuf_adds(&sb, r->ev[i].value);
		strbuf_add(&sb, "\0", 1);
	}
	for (i = 0; r->status == 200 && i < r->out.n; i++) {
		strbuf_adds(&sb, r->out.v[i].name);
		strbuf_add(&sb, "\0", 1);
		strbuf_adds(&sb, r->out.v[i].value);
		strbuf_add(&sb, "\0", 1);
	}
	CHECK(strbuf_end(&sb, &v) == 0);
	return v;
}

/* Runs one request through the correction and checks the result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct param	 in[MAX_PARAMS];
	struct cidr		 pv[NNETS];
	struct config		 c;
	struct params		 joined;
	struct sorted		 sin, sout;
	struct xstr		 first;
	size_t			 nin;

	if (size < HDR_LEN)
		return 0;
	setup();
	make_config(data, &c, pv);
	nin = make_params(data + HDR_LEN, size - HDR_LEN, in);
	arena_reset(&ref);

	/* the same request twice gives the same answer (nothing carried over) */
	CHECK(xff_correct(&c, in, nin, &res) == 0);
	first = snapshot(&res);
	CHECK(xff_correct(&c, in, nin, &res) == 0);
	CHECK(xstr_eq(first, snapshot(&res)));
	CHECK(res.status == 200 || res.status == 400 || res.status == 404);
	CHECK((res.reason == EV_NONE) == (res.status == 200));
	if (res.status == 404)
		CHECK(c.exempt_stealth && c.nexempt > 0 &&
		    res.reason == EV_STEALTH);
	if (res.status == 400)
		CHECK(res.reason != EV_STEALTH && !c.loose);
	check_events(&res, data[10]);

	if (res.status == 200) {
		struct params_index jix;

		joined.v = NULL;
		joined.n = joined.cap = 0;
		CHECK(params_join(in, nin, &joined, &jix, &ref) == 0);
		sort_params(joined.v, joined.n, &sin);
		sort_params(res.out.v, res.out.n, &sout);
		check_output(&c, &sin, &sout);
		if (peer_trusted(&c, &sin))
			check_client(&c, &sin, &sout);
	}
	return 0;
}
