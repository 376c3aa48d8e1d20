/*
 * correct.c: the correction of one request (SPEC 3).
 *
 * The work happens in four steps: join repeated params and index the
 * ones that matter; decide what is believed (peer trust, Forwarded,
 * X-Forwarded-*); apply the rules of 3.5; for an accepted request,
 * write the corrected params, the cleaned headers and ORIGINAL_*.
 */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "correct.h"
#include "escape.h"
#include "fwdlist.h"
#include "ipaddr.h"
#include "pathnorm.h"
#include "values.h"

/* The params the correction reads or writes. */
#define PK_LIST \
	X(P_REMOTE_ADDR, "REMOTE_ADDR") X(P_REMOTE_PORT, "REMOTE_PORT") \
	X(P_HTTPS, "HTTPS") X(P_REQUEST_SCHEME, "REQUEST_SCHEME") \
	X(P_HTTP_HOST, "HTTP_HOST") X(P_SERVER_NAME, "SERVER_NAME") \
	X(P_SERVER_PORT, "SERVER_PORT") X(P_SCRIPT_NAME, "SCRIPT_NAME") \
	X(P_REQUEST_URI, "REQUEST_URI") X(P_DOCUMENT_URI, "DOCUMENT_URI") \
	X(P_PATH_INFO, "PATH_INFO") X(P_REQUEST_METHOD, "REQUEST_METHOD") \
	X(P_XFF, "HTTP_X_FORWARDED_FOR") X(P_XFP, "HTTP_X_FORWARDED_PROTO") \
	X(P_XFH, "HTTP_X_FORWARDED_HOST") X(P_XFPORT, "HTTP_X_FORWARDED_PORT") \
	X(P_XFPREFIX, "HTTP_X_FORWARDED_PREFIX") \
	X(P_FORWARDED, "HTTP_FORWARDED") X(P_HTTP_PROXY, "HTTP_PROXY")

enum pk {
#define X(k, s)	k,
	PK_LIST
#undef X
	P_COUNT
};

static const char *const pk_name[P_COUNT] = {
#define X(k, s)	s,
	PK_LIST
#undef X
};

static const size_t pk_len[P_COUNT] = {
#define X(k, s)	sizeof(s) - 1,
	PK_LIST
#undef X
};

/* What happened to a param of the joined list. */
enum { ST_KEEP, ST_SET, ST_DEL, ST_ADDED, ST_ADDED_DEL, ST_ORIG };

/* The state of one correction. */
struct work {
	const struct config	*cfg;
	struct result		*r;
	struct params		 cur;		/* joined, then added params */
	struct params_index	 ix;		/* names of the joined params */
	size_t			 njoined;
	unsigned char		*state;
	struct xstr		*newval;
	long			 idx[P_COUNT];
	size_t			 ninvalid;
};

/* What was believed from the forwarded headers. */
struct belief {
	int		trusted;	/* the peer may forward */
	int		untrusted_hdr;	/* untrusted peer sent an enabled header */
	struct xlist	*xff;		/* X-Forwarded-For elements */
	struct xlist	*fwd;		/* Forwarded elements */
	int		fwd_chosen;	/* a Forwarded element was chosen */
	struct fwd_elem	fe;
	int		fwd_auth_for, fwd_auth_proto, fwd_auth_host;
	int		fwd_for_ok;	/* a valid for was taken */
	int		xff_chosen;
	size_t		xff_sel;	/* index from the right in xff.r */
	int		walk_out;	/* the walk ran out: all elements trusted */
	struct xstr	client_text;	/* chosen client element */
	int		client_ok;
	struct ip	client;
	unsigned	client_port;
	int		proto;		/* -1 none, 0 http, 1 https */
	int		proto_from_fwd;
	int		host_set;	/* a host was applied */
	int		host_from_fwd;
	struct xstr	host, host_name;
	unsigned	host_port;
	int		port_set;
	struct xstr	port_text;
	unsigned	port;
	int		prefix_set;	/* a non-empty prefix was applied */
	struct xstr	prefix;
};

/* Returns the event's logged name. */
const char *
event_name(enum xff_event e)
{
	switch (e) {
	case EV_UNTRUSTED_PEER:
		return "untrusted_peer";
	case EV_MISSING_HEADER:
		return "missing_header";
	case EV_DEPTH_MISMATCH:
		return "depth_mismatch";
	case EV_SPOOF_ATTEMPT:
		return "spoof_attempt";
	case EV_INVALID_VALUE:
		return "invalid_value";
	case EV_STEALTH:
		return "stealth";
	default:
		return "none";
	}
}

/* Prepares a result. */
void
result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	arena_init(&r->arena, 0);
}

/* Releases a result. */
void
result_free(struct result *r)
{
	arena_free(&r->arena);
	memset(r, 0, sizeof(*r));
}

/* Appends an event (counted, not stored, beyond XFF_MAX_EVENTS). */
static void
add_event(struct result *r, enum xff_event kind, enum log_level level,
    const char *header, struct xstr value)
{
	struct event	*e;

	if (r->nev == XFF_MAX_EVENTS) {
		r->nev_dropped++;
		return;
	}
	e = &r->ev[r->nev++];
	e->kind = kind;
	e->level = level;
	e->header = header;
	e->value = value;
}

/* Logs an invalid forwarded value. */
static void
invalid(struct work *w, enum pk k, struct xstr value)
{
	w->ninvalid++;
	add_event(w->r, EV_INVALID_VALUE, LOG_LVL_WARNING, pk_name[k], value);
}

/* Returns the current value of k (p NULL when absent or removed). */
static struct xstr
get(const struct work *w, enum pk k)
{
	long	i = w->idx[k];

	if (i < 0 || w->state[i] == ST_DEL || w->state[i] == ST_ADDED_DEL)
		return XSTR_NULL;
	if (w->state[i] == ST_SET || w->state[i] == ST_ADDED)
		return w->newval[i];
	return w->cur.v[i].value;
}

/* Returns the value k had on arrival (p NULL when absent). */
static struct xstr
incoming(const struct work *w, enum pk k)
{
	long	i = w->idx[k];

	if (i < 0 || (size_t)i >= w->njoined)
		return XSTR_NULL;
	return w->cur.v[i].value;
}

/* Sets k to v, adding it after the incoming params when absent. */
static int
set(struct work *w, enum pk k, struct xstr v)
{
	long	i = w->idx[k];

	if (i < 0) {
		if (params_push(&w->cur, &w->r->arena, xstr_c(pk_name[k]),
		    v) == -1)
			return -1;
		i = (long)w->cur.n - 1;
		w->idx[k] = i;
		w->state[i] = ST_ADDED;
		w->newval[i] = v;
		return 0;
	}
	if ((size_t)i >= w->njoined) {
		w->state[i] = ST_ADDED;
		w->newval[i] = v;
		return 0;
	}
	if (xstr_eq(w->cur.v[i].value, v) && w->cur.v[i].value.p != NULL)
		w->state[i] = ST_KEEP;
	else {
		w->state[i] = ST_SET;
		w->newval[i] = v;
	}
	return 0;
}

/* Removes k when present. */
static void
del(struct work *w, enum pk k)
{
	long	i = w->idx[k];

	if (i < 0)
		return;
	w->state[i] = (size_t)i >= w->njoined ? ST_ADDED_DEL : ST_DEL;
}

/* Writes a decimal number into the arena. */
static int
fmt_uint(struct arena *a, unsigned v, struct xstr *out)
{
	char	buf[12];
	size_t	n = sizeof(buf);

	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n > 0);
	return arena_dup(a, (struct xstr){ buf + n, sizeof(buf) - n }, out);
}

/* Concatenates a and b into the arena. */
static int
concat(struct arena *ar, struct xstr a, const char *sep, struct xstr b,
    struct xstr *out)
{
	struct strbuf	sb;

	strbuf_begin(&sb, ar, a.len + b.len + 8);
	strbuf_adds(&sb, a);
	if (sep != NULL)
		strbuf_addc(&sb, sep);
	strbuf_adds(&sb, b);
	return strbuf_end(&sb, out);
}

/* Finds the params that matter in the joined list. */
static void
index_params(struct work *w)
{
	int	k;

	memset(w->state, ST_KEEP, w->cur.n);
	for (k = 0; k < P_COUNT; k++)
		w->idx[k] = params_lookup(&w->cur, &w->ix,
		    (struct xstr){ pk_name[k], pk_len[k] });
}

/* Returns 1 when the value of an enabled forwarded header is not blank. */
static int
enabled_nonblank(const struct work *w)
{
	const struct config	*c = w->cfg;
	const struct {
		enum pk	k;
		int	depth;
	} h[] = {
		{ P_XFF, c->x_for }, { P_XFP, c->x_proto }, { P_XFH, c->x_host },
		{ P_XFPORT, c->x_port }, { P_XFPREFIX, c->x_prefix },
		{ P_FORWARDED, c->forwarded }
	};
	size_t	i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		struct xstr v = incoming(w, h[i].k);

		if (h[i].depth > 0 && v.p != NULL && !xstr_blank(v))
			return 1;
	}
	return 0;
}

/*
 * Decides whether the request path matches an exempt pattern: returns 1
 * or 0, or -1 when out of memory.
 */
static int
is_exempt(struct work *w)
{
	const struct config	*c = w->cfg;
	struct xstr		 path, sn, pi;
	char			*buf;
	int			 decode = 0, cut = 0;
	long			 len;
	size_t			 i;
	regmatch_t		 m;

	if (c->nexempt == 0)
		return 0;
	path = incoming(w, P_DOCUMENT_URI);
	if (path.p == NULL) {
		sn = incoming(w, P_SCRIPT_NAME);
		pi = incoming(w, P_PATH_INFO);
		if (sn.p != NULL || pi.p != NULL) {
			if (concat(&w->r->arena, sn, NULL, pi, &path) == -1)
				return -1;
		} else {
			path = incoming(w, P_REQUEST_URI);
			decode = cut = 1;
		}
	}
	if (path.p == NULL)
		return 0;
	if ((buf = arena_alloc(&w->r->arena, path.len + 1)) == NULL)
		return -1;
	if ((len = path_normalise(path, decode, cut, buf, path.len + 1)) < 0)
		return 0;
	for (i = 0; i < c->nexempt; i++)
		if (regexec(&c->exempt[i], buf, 1, &m, 0) == 0 && m.rm_so == 0)
			return 1;
	return 0;
}

/* Takes for, proto and host from the chosen Forwarded element (3.4). */
static int
believe_forwarded(struct work *w, struct belief *b)
{
	const struct config	*c = w->cfg;
	struct xstr		 v = incoming(w, P_FORWARDED);
	int			 p;

	if (c->forwarded < 1 || v.p == NULL ||
	    b->fwd->n < (size_t)c->forwarded)
		return 0;
	b->fwd_chosen = 1;
	if (fwd_elem_parse(b->fwd->r[c->forwarded - 1], &b->fe,
	    &w->r->arena) == -1)
		return -1;
	if (!b->fe.valid) {
		invalid(w, P_FORWARDED, b->fwd->r[c->forwarded - 1]);
		b->fwd_auth_for = 1;
		b->fwd_auth_proto = c->x_proto >= 1;
		b->fwd_auth_host = c->x_host >= 1;
		return 0;
	}
	if (b->fe.f_for.present) {
		b->fwd_auth_for = 1;
		if (ip_parse_node(b->fe.f_for.value, &b->client,
		    &b->client_port) == 0) {
			b->fwd_for_ok = 1;
			b->client_ok = 1;
		} else
			invalid(w, P_FORWARDED, b->fe.f_for.raw);
		b->client_text = b->fe.f_for.value;
	}
	if (b->fe.f_proto.present && c->x_proto >= 1) {
		b->fwd_auth_proto = 1;
		if ((p = value_proto(b->fe.f_proto.value)) >= 0) {
			b->proto = p;
			b->proto_from_fwd = 1;
		} else
			invalid(w, P_FORWARDED, b->fe.f_proto.raw);
	}
	if (b->fe.f_host.present && c->x_host >= 1) {
		b->fwd_auth_host = 1;
		if (value_host(b->fe.f_host.value, &b->host_name,
		    &b->host_port) == 0) {
			b->host_set = 1;
			b->host_from_fwd = 1;
			b->host = b->fe.f_host.value;
		} else
			invalid(w, P_FORWARDED, b->fe.f_host.raw);
	}
	return 0;
}

/* Returns 1 when [trust] proxies names anything (addresses or unix:). */
static int
proxies_set(const struct config *c)
{
	return c->proxies.n > 0 || c->proxies.has_unix;
}

/*
 * Chooses the X-Forwarded-For element (3.2): by count, or walking over
 * trusted proxies from the right, or the leftmost in loose mode.
 */
static void
choose_xff(struct work *w, struct belief *b)
{
	const struct config	*c = w->cfg;
	size_t			 depth = (size_t)c->x_for, i;
	struct ip		 ip;
	unsigned		 port;

	if (c->x_for < 1 || b->xff->n == 0)
		return;
	b->xff_chosen = 1;
	if (c->loose) {
		/* not used: loose mode leaves the header as it is */
		b->xff_sel = b->xff->nkept - 1;
		if (b->fwd_auth_for)
			return;
		b->client_text = b->xff->leftmost;
		if (ip_parse_node(b->xff->leftmost, &b->client,
		    &b->client_port) == 0)
			b->client_ok = 1;
		else
			invalid(w, P_XFF, b->xff->leftmost);
		return;
	}
	if (proxies_set(c)) {
		for (i = 0; i < depth && i < b->xff->nkept; i++) {
			if (i + 1 == depth)
				break;
			if (ip_parse_node(b->xff->r[i], &ip, &port) == -1 ||
			    !cidrset_match_ip(&c->proxies, &ip))
				break;
		}
		if (i == b->xff->nkept) {
			b->walk_out = 1;
			i--;
		}
	} else
		i = b->xff->n >= depth ? depth - 1 : b->xff->n - 1;
	b->xff_sel = i;
	if (b->fwd_auth_for)
		return;
	b->client_text = b->xff->r[i];
	if (ip_parse_node(b->xff->r[i], &b->client, &b->client_port) == 0)
		b->client_ok = 1;
	else
		invalid(w, P_XFF, b->xff->r[i]);
}

/*
 * Returns the element of an X-Forwarded-* header at its depth, or p NULL
 * when the header is disabled, absent or too short.
 */
static struct xstr
xheader_at(struct work *w, enum pk k, int depth)
{
	struct xlist	l;
	struct xstr	v = incoming(w, k);

	if (depth < 1 || v.p == NULL)
		return XSTR_NULL;
	xlist_parse(v, &l);
	if (l.n < (size_t)depth)
		return XSTR_NULL;
	return l.r[depth - 1];
}

/* Reads X-Forwarded-Proto, -Host, -Port and -Prefix (3.3). */
static void
believe_xheaders(struct work *w, struct belief *b)
{
	const struct config	*c = w->cfg;
	struct xstr		 v;
	int			 p;

	if (!b->fwd_auth_proto &&
	    (v = xheader_at(w, P_XFP, c->x_proto)).p != NULL) {
		if ((p = value_proto(v)) >= 0)
			b->proto = p;
		else
			invalid(w, P_XFP, v);
	}
	if (!b->fwd_auth_host &&
	    (v = xheader_at(w, P_XFH, c->x_host)).p != NULL) {
		if (value_host(v, &b->host_name, &b->host_port) == 0) {
			b->host_set = 1;
			b->host = v;
		} else
			invalid(w, P_XFH, v);
	}
	if ((v = xheader_at(w, P_XFPORT, c->x_port)).p != NULL) {
		if ((b->port = port_parse(v)) != 0) {
			b->port_set = 1;
			b->port_text = v;
		} else
			invalid(w, P_XFPORT, v);
	}
	if ((v = xheader_at(w, P_XFPREFIX, c->x_prefix)).p != NULL) {
		if (value_prefix(v, &b->prefix) == 0)
			b->prefix_set = b->prefix.len > 0;
		else
			invalid(w, P_XFPREFIX, v);
	}
}

/* Returns 1 when the request arrived as https, before any correction. */
static int
incoming_https(const struct work *w)
{
	struct xstr	v = incoming(w, P_HTTPS);

	if (v.p != NULL && v.len > 0 && !xstr_caseeqc(v, "off"))
		return 1;
	return xstr_caseeqc(incoming(w, P_REQUEST_SCHEME), "https");
}

/* Applies the believed scheme, host, port and prefix (3.3). */
static int
apply_location(struct work *w, const struct belief *b)
{
	struct arena	*a = &w->r->arena;
	struct xstr	 v, hh;
	int		 https;

	if (b->proto == 1) {
		if (set(w, P_HTTPS, XSTR_LIT("on")) == -1 ||
		    set(w, P_REQUEST_SCHEME, XSTR_LIT("https")) == -1)
			return -1;
	} else if (b->proto == 0) {
		del(w, P_HTTPS);
		if (set(w, P_REQUEST_SCHEME, XSTR_LIT("http")) == -1)
			return -1;
	}
	https = b->proto >= 0 ? b->proto : incoming_https(w);
	if (b->host_set) {
		if (set(w, P_HTTP_HOST, b->host) == -1 ||
		    set(w, P_SERVER_NAME, b->host_name) == -1)
			return -1;
		if (b->host_port != 0) {
			if (fmt_uint(a, b->host_port, &v) == -1 ||
			    set(w, P_SERVER_PORT, v) == -1)
				return -1;
		}
	}
	if (b->port_set) {
		if (set(w, P_SERVER_PORT, b->port_text) == -1)
			return -1;
		if ((hh = get(w, P_HTTP_HOST)).p != NULL) {
			hh = host_strip_port(hh);
			if (b->port == (https ? 443u : 80u)) {
				if (arena_dup(a, hh, &v) == -1)
					return -1;
			} else if (concat(a, hh, ":", b->port_text, &v) == -1)
				return -1;
			if (set(w, P_HTTP_HOST, v) == -1)
				return -1;
		}
	} else if (b->proto >= 0 && !(b->host_set && b->host_port != 0)) {
		if (set(w, P_SERVER_PORT, b->proto ? XSTR_LIT("443") :
		    XSTR_LIT("80")) == -1)
			return -1;
	}
	if (b->prefix_set) {
		if ((v = get(w, P_SCRIPT_NAME)).p != NULL &&
		    (concat(a, b->prefix, NULL, v, &v) == -1 ||
		    set(w, P_SCRIPT_NAME, v) == -1))
			return -1;
		if ((v = get(w, P_REQUEST_URI)).p != NULL &&
		    (concat(a, b->prefix, NULL, v, &v) == -1 ||
		    set(w, P_REQUEST_URI, v) == -1))
			return -1;
	}
	return 0;
}

/*
 * Appends the kept pairs of one Forwarded element in their received
 * order: for and by always, proto and host when they were applied from
 * it.  Returns the number of pairs written.
 */
static int
keep_pairs(struct strbuf *sb, const struct fwd_elem *e, int proto, int host,
    int sep)
{
	const struct fwd_pair	*kept[4];
	const struct fwd_pair	*t;
	size_t			 n = 0, i, j;

	if (e->f_for.present)
		kept[n++] = &e->f_for;
	if (e->f_by.present)
		kept[n++] = &e->f_by;
	if (proto)
		kept[n++] = &e->f_proto;
	if (host)
		kept[n++] = &e->f_host;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && kept[j - 1]->pos > kept[j]->pos; j--) {
			t = kept[j];
			kept[j] = kept[j - 1];
			kept[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (i == 0 && sep)
			strbuf_addc(sb, ", ");
		else if (i > 0)
			strbuf_addc(sb, ";");
		strbuf_adds(sb, kept[i]->raw);
	}
	return (int)n;
}

/* Rebuilds Forwarded from the chosen element rightwards (3.6). */
static int
clean_forwarded(struct work *w, const struct belief *b)
{
	const struct config	*c = w->cfg;
	struct arena		*a = &w->r->arena;
	struct strbuf		 sb;
	struct fwd_elem		 e;
	struct xstr		 v;
	size_t			 i, chosen = (size_t)c->forwarded - 1;
	int			 nel = 0;

	if (!b->fwd_chosen || !b->fe.valid ||
	    !(b->fwd_for_ok || b->proto_from_fwd || b->host_from_fwd)) {
		del(w, P_FORWARDED);
		return 0;
	}
	strbuf_begin(&sb, a, incoming(w, P_FORWARDED).len + 1);
	for (i = chosen + 1; i-- > 0;) {
		if (i == chosen)
			e = b->fe;
		else if (fwd_elem_parse(b->fwd->r[i], &e, a) == -1)
			return -1;
		if (!e.valid)
			continue;
		if (keep_pairs(&sb, &e, i == chosen && b->proto_from_fwd,
		    i == chosen && b->host_from_fwd && !b->port_set,
		    nel > 0) > 0)
			nel++;
	}
	if (strbuf_end(&sb, &v) == -1)
		return -1;
	if (v.len == 0) {
		del(w, P_FORWARDED);
		return 0;
	}
	return set(w, P_FORWARDED, v);
}

/* Rewrites or removes the forwarded headers and strip_headers (3.6). */
static int
clean_headers(struct work *w, const struct belief *b)
{
	struct arena	*a = &w->r->arena;
	struct strbuf	 sb;
	struct xstr	 v;
	size_t		 i;
	long		 k;

	if (b->xff_chosen) {
		strbuf_begin(&sb, a, incoming(w, P_XFF).len + 1);
		for (i = b->xff_sel + 1; i-- > 0;) {
			strbuf_adds(&sb, b->xff->r[i]);
			if (i > 0)
				strbuf_addc(&sb, ", ");
		}
		if (strbuf_end(&sb, &v) == -1 || set(w, P_XFF, v) == -1)
			return -1;
	} else
		del(w, P_XFF);
	if (b->proto >= 0 && !b->proto_from_fwd) {
		if (set(w, P_XFP, b->proto ? XSTR_LIT("https") :
		    XSTR_LIT("http")) == -1)
			return -1;
	} else
		del(w, P_XFP);
	if (b->host_set && !b->host_from_fwd) {
		if (set(w, P_XFH, b->host) == -1)
			return -1;
	} else
		del(w, P_XFH);
	if (b->port_set) {
		if (set(w, P_XFPORT, b->port_text) == -1)
			return -1;
	} else
		del(w, P_XFPORT);
	if (b->prefix_set) {
		if (set(w, P_XFPREFIX, b->prefix) == -1)
			return -1;
	} else
		del(w, P_XFPREFIX);
	if (clean_forwarded(w, b) == -1)
		return -1;
	for (i = 0; i < w->cfg->nstrip; i++) {
		k = params_lookup(&w->cur, &w->ix,
		    xstr_c(w->cfg->strip_headers[i]));
		if (k >= 0 && (size_t)k < w->njoined && w->state[k] == ST_KEEP)
			w->state[k] = ST_DEL;
	}
	return 0;
}

/*
 * Adds ORIGINAL_<NAME> for every incoming param changed or removed
 * (except HTTP_PROXY); an incoming ORIGINAL_<NAME> is replaced in place.
 */
static int
add_originals(struct work *w)
{
	struct arena	*a = &w->r->arena;
	struct xstr	 name;
	char		*p;
	size_t		 i, n = w->njoined;
	long		 j;

	for (i = 0; i < n; i++) {
		if (w->state[i] != ST_SET && w->state[i] != ST_DEL)
			continue;
		name = w->cur.v[i].name;
		if (xstr_eqc(name, "HTTP_PROXY"))
			continue;
		if ((p = arena_alloc(a, 9 + name.len)) == NULL)
			return -1;
		memcpy(p, "ORIGINAL_", 9);
		memcpy(p + 9, name.p, name.len);
		name.p = p;
		name.len += 9;
		if ((j = params_lookup(&w->cur, &w->ix, name)) >= 0 &&
		    (size_t)j < n) {
			w->state[j] = ST_ORIG;
			w->newval[j] = w->cur.v[i].value;
			continue;
		}
		if (params_push(&w->cur, a, name, w->cur.v[i].value) == -1)
			return -1;
		w->state[w->cur.n - 1] = ST_ADDED;
		w->newval[w->cur.n - 1] = w->cur.v[i].value;
	}
	return 0;
}

/* Writes the corrected params of an accepted request into r->out. */
static int
write_params(struct work *w, struct belief *b)
{
	const struct config	*c = w->cfg;
	struct arena		*a = &w->r->arena;
	struct xstr		 v;
	size_t			 i;

	if (c->rewrite_remote_addr && b->client_ok) {
		if (set(w, P_REMOTE_ADDR, w->r->client) == -1)
			return -1;
		if (b->client_port != 0) {
			if (fmt_uint(a, b->client_port, &v) == -1 ||
			    set(w, P_REMOTE_PORT, v) == -1)
				return -1;
		} else
			del(w, P_REMOTE_PORT);
	}
	if (apply_location(w, b) == -1)
		return -1;
	if (c->clean && !c->loose && clean_headers(w, b) == -1)
		return -1;
	if (c->strip_proxy_header)
		del(w, P_HTTP_PROXY);
	if (c->keep_original && add_originals(w) == -1)
		return -1;

	w->r->out.n = 0;
	w->r->out.cap = w->cur.n;
	if ((w->r->out.v = arena_alloc(a, w->cur.n *
	    sizeof(*w->r->out.v))) == NULL)
		return -1;
	for (i = 0; i < w->cur.n; i++) {
		switch (w->state[i]) {
		case ST_KEEP:
			v = w->cur.v[i].value;
			break;
		case ST_SET:
		case ST_ADDED:
		case ST_ORIG:
			v = w->newval[i];
			break;
		default:
			continue;
		}
		w->r->out.v[w->r->out.n].name = w->cur.v[i].name;
		w->r->out.v[w->r->out.n++].value = v;
	}
	return 0;
}

/* Rejects with reason e unless the request was rejected already. */
static void
reject(struct result *r, int status, enum xff_event e)
{
	if (r->status != 200)
		return;
	r->status = status;
	r->reason = e;
}

/* Applies the rules of SPEC 3.5 in order. */
static void
apply_rules(struct work *w, const struct belief *b, struct xstr hdr,
    const char *hdrname)
{
	const struct config	*c = w->cfg;
	struct result		*r = w->r;
	size_t			 n = r->n, depth = (size_t)r->depth;
	int			 usable = n >= 1;

	if (r->exempt && c->exempt_stealth && b->trusted && usable &&
	    n >= depth) {
		add_event(r, EV_STEALTH, LOG_LVL_INFO, NULL, XSTR_NULL);
		reject(r, 404, EV_STEALTH);
		return;
	}
	if (c->loose)
		return;
	if (r->exempt)
		goto logs;
	if (!b->trusted && ((c->strict && b->untrusted_hdr) || c->always_proxy)) {
		if (!b->untrusted_hdr)
			add_event(r, EV_UNTRUSTED_PEER, LOG_LVL_WARNING, NULL,
			    XSTR_NULL);
		reject(r, 400, EV_UNTRUSTED_PEER);
		return;
	}
	if (c->header_required && !usable) {
		add_event(r, EV_MISSING_HEADER, LOG_LVL_ERROR, NULL, XSTR_NULL);
		reject(r, 400, EV_MISSING_HEADER);
		return;
	}
	if (usable && ((c->strict && n != depth) ||
	    (c->always_proxy && (n < depth || depth == 0)))) {
		add_event(r, EV_DEPTH_MISMATCH, LOG_LVL_WARNING, hdrname, hdr);
		reject(r, 400, EV_DEPTH_MISMATCH);
		return;
	}
	if (usable && c->no_spoofing && n > depth) {
		add_event(r, EV_SPOOF_ATTEMPT, LOG_LVL_WARNING, hdrname, hdr);
		reject(r, 400, EV_SPOOF_ATTEMPT);
		return;
	}
	if (c->strict && w->ninvalid > 0) {
		reject(r, 400, EV_INVALID_VALUE);
		return;
	}
logs:
	/* With proxies, x_for is the longest walk (SPEC 3.5): only a walk
	 * that ran out of elements, all trusted, is a mismatch. */
	if (usable && n < depth && (b->walk_out || !proxies_set(c) ||
	    (c->x_for == 0 && c->forwarded >= 1)))
		add_event(r, EV_DEPTH_MISMATCH, LOG_LVL_WARNING, hdrname, hdr);
	else if (usable && n > depth)
		add_event(r, EV_SPOOF_ATTEMPT, LOG_LVL_INFO, hdrname, hdr);
}

/* Resets r for a new request. */
static void
result_reset(struct result *r)
{
	arena_reset(&r->arena);
	r->status = 200;
	r->reason = EV_NONE;
	r->nev = 0;
	r->nev_dropped = 0;
	r->peer = r->client = r->method = r->uri = XSTR_NULL;
	r->n = 0;
	r->depth = 0;
	r->exempt = 0;
	r->out.v = NULL;
	r->out.n = 0;
	r->out.cap = 0;
}

/* Corrects one request. */
int
xff_correct(const struct config *cfg, const struct param *in, size_t nin,
    struct result *r)
{
	struct work	 w;
	struct belief	 b;
	struct xlist	 xff, fwd;
	struct xstr	 hdr;
	const char	*hdrname;
	size_t		 cap;
	int		 fwd_only;
	char		 buf[IP_TEXT_MAX];

	result_reset(r);
	memset(&w, 0, sizeof(w));
	memset(&b, 0, sizeof(b));
	w.cfg = cfg;
	w.r = r;
	b.proto = -1;
	b.xff = &xff;
	b.fwd = &fwd;
	fwd.n = fwd.nkept = 0;
	if (params_join(in, nin, &w.cur, &w.ix, &r->arena) == -1)
		return -1;
	w.njoined = w.cur.n;
	cap = w.cur.n + P_COUNT * 2 + w.cur.n;
	w.state = arena_alloc(&r->arena, cap);
	w.newval = arena_alloc(&r->arena, cap * sizeof(*w.newval));
	if (w.state == NULL || w.newval == NULL)
		return -1;
	index_params(&w);

	r->peer = incoming(&w, P_REMOTE_ADDR);
	r->method = incoming(&w, P_REQUEST_METHOD);
	r->uri = incoming(&w, P_REQUEST_URI);
	b.trusted = !proxies_set(cfg) ||
	    cidrset_match_peer(&cfg->proxies, r->peer.p != NULL ? r->peer :
	    XSTR_LIT(""));
	xlist_parse(incoming(&w, P_XFF), &xff);
	if (cfg->forwarded >= 1)
		fwd_split(incoming(&w, P_FORWARDED), &fwd);
	fwd_only = cfg->x_for == 0 && cfg->forwarded >= 1;
	r->n = fwd_only ? b.fwd->n : b.xff->n;
	r->depth = fwd_only ? cfg->forwarded : cfg->x_for;
	hdrname = pk_name[fwd_only ? P_FORWARDED : P_XFF];
	hdr = incoming(&w, fwd_only ? P_FORWARDED : P_XFF);
	if ((r->exempt = is_exempt(&w)) == -1)
		return -1;

	if (!b.trusted) {
		if ((b.untrusted_hdr = enabled_nonblank(&w)))
			add_event(r, EV_UNTRUSTED_PEER, LOG_LVL_WARNING, NULL,
			    XSTR_NULL);
	} else {
		if (believe_forwarded(&w, &b) == -1)
			return -1;
		choose_xff(&w, &b);
		believe_xheaders(&w, &b);
	}
	if (b.client_ok) {
		if (arena_dup(&r->arena, (struct xstr){ buf,
		    ip_format(&b.client, buf) }, &r->client) == -1)
			return -1;
	} else if (b.client_text.p != NULL)
		r->client = b.client_text;

	apply_rules(&w, &b, hdr, hdrname);
	if (r->status != 200)
		return 0;
	return write_params(&w, &b);
}

/* Appends " key=value" with the value escaped and capped. */
static size_t
field(char *out, size_t cap, size_t off, const char *key, struct xstr v,
    size_t max)
{
	int	n;

	if (off + 1 >= cap)
		return off;
	n = snprintf(out + off, cap - off, " %s=", key);
	if (n < 0 || (size_t)n >= cap - off)
		return cap - 1;
	off += (size_t)n;
	if (v.p == NULL)
		v = XSTR_LIT("-");
	return off + escape_log(v, max, out + off, cap - off);
}

/* Formats the log line of event i. */
size_t
event_format(const struct result *r, size_t i, char *out, size_t cap)
{
	const struct event	*e = &r->ev[i];
	char			 num[32];
	size_t			 off;
	int			 n;

	if (cap == 0)
		return 0;
	n = snprintf(out, cap, "%s", event_name(e->kind));
	off = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	off = field(out, cap, off, "peer", r->peer, 64);
	off = field(out, cap, off, "client", r->client, 64);
	n = snprintf(num, sizeof(num), "%zu", r->n);
	off = field(out, cap, off, "n", (struct xstr){ num, (size_t)n }, 32);
	n = snprintf(num, sizeof(num), "%d", r->depth);
	off = field(out, cap, off, "x_for", (struct xstr){ num, (size_t)n },
	    32);
	off = field(out, cap, off, "method", r->method, 32);
	off = field(out, cap, off, "uri", r->uri, 256);
	if (e->header != NULL) {
		off = field(out, cap, off, "header", xstr_c(e->header), 64);
		off = field(out, cap, off, "value", e->value, 512);
	}
	return off;
}
