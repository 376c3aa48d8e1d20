/*
 * fuzz_forwarded.c: libFuzzer harness for the forwarded list splitters
 * (xlist_parse, fwd_split) and the Forwarded element parser
 * (fwd_elem_parse).  Every invariant violation aborts.
 *
 *	clang -fsanitize=fuzzer,address,undefined -I lib \
 *	    tests/fuzz/fuzz_forwarded.c lib/fwdlist.c lib/arena.c lib/xstr.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fwdlist.h"
#include "xstr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* Returns 1 when s lies inside in (an empty s may sit at its end). */
static int
inside(struct xstr s, struct xstr in)
{
	if (s.p == NULL || in.p == NULL)
		return 0;
	return s.p >= in.p && s.len <= in.len &&
	    (size_t)(s.p - in.p) <= in.len - s.len;
}

/* Counts the non-empty trimmed comma-separated elements of v. */
static size_t
count_plain(struct xstr v)
{
	size_t	i, start = 0, n = 0;

	for (i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != ',')
			continue;
		if (xstr_trim((struct xstr){ v.p + start, i - start }).len > 0)
			n++;
		start = i + 1;
	}
	return n;
}

/* The shape every list must have, whatever the splitter. */
static void
check_list(const struct xlist *l, struct xstr in, int plain)
{
	size_t	i;

	CHECK(l->nkept <= XLIST_KEEP);
	CHECK(l->n >= l->nkept);
	CHECK(l->nkept == (l->n < XLIST_KEEP ? l->n : XLIST_KEEP));
	if (l->n == 0) {
		CHECK(l->leftmost.p == NULL && l->leftmost.len == 0);
		return;
	}
	CHECK(inside(l->leftmost, in) && l->leftmost.len > 0);
	for (i = 0; i < l->nkept; i++) {
		struct xstr e = l->r[i];

		CHECK(inside(e, in));
		CHECK(e.len > 0);
		CHECK(xstr_eq(xstr_trim(e), e));
		if (plain)
			CHECK(memchr(e.p, ',', e.len) == NULL);
		/* r[0] is the rightmost; elements never overlap */
		if (i > 0)
			CHECK(e.p + e.len < l->r[i - 1].p);
	}
	if (l->n <= XLIST_KEEP)
		CHECK(xstr_eq(l->leftmost, l->r[l->n - 1]) &&
		    l->leftmost.p == l->r[l->n - 1].p);
	else
		CHECK(l->leftmost.p + l->leftmost.len <
		    l->r[XLIST_KEEP - 1].p);
}

/* A present pair: its raw text lies in the element and re-parses alone. */
static void
check_pair(const struct fwd_pair *p, const char *name, struct xstr raw,
    struct arena *a, size_t which)
{
	struct fwd_elem	 e;
	const struct fwd_pair *q;
	size_t		 nlen = strlen(name);

	if (!p->present)
		return;
	CHECK(inside(p->raw, raw));
	CHECK(p->raw.len > nlen + 1);
	CHECK(xstr_caseeqc((struct xstr){ p->raw.p, nlen }, name));
	CHECK(p->raw.p[nlen] == '=');
	CHECK(p->value.p != NULL);
	CHECK(p->value.len < p->raw.len - nlen);
	CHECK(p->pos >= 1 && p->pos <= 16);
	/* "kept pairs are written as received": the raw pair is valid alone */
	CHECK(fwd_elem_parse(p->raw, &e, a) == 0);
	CHECK(e.valid);
	q = which == 0 ? &e.f_for : which == 1 ? &e.f_by :
	    which == 2 ? &e.f_proto : &e.f_host;
	CHECK(q->present && xstr_eq(q->value, p->value));
	CHECK(xstr_eq(q->raw, p->raw));
}

/* Parses each kept Forwarded element and checks the pairs. */
static void
check_elems(const struct xlist *l, struct arena *a)
{
	struct fwd_elem	 e;
	size_t		 i;

	for (i = 0; i < l->nkept; i++) {
		arena_reset(a);
		CHECK(fwd_elem_parse(l->r[i], &e, a) == 0);
		if (!e.valid)
			continue;
		check_pair(&e.f_for, "for", l->r[i], a, 0);
		check_pair(&e.f_by, "by", l->r[i], a, 1);
		check_pair(&e.f_proto, "proto", l->r[i], a, 2);
		check_pair(&e.f_host, "host", l->r[i], a, 3);
		if (e.f_for.present && e.f_by.present)
			CHECK(e.f_for.pos != e.f_by.pos);
		if (e.f_proto.present && e.f_host.present)
			CHECK(e.f_proto.pos != e.f_host.pos);
	}
}

/* Splits the input both ways and parses every Forwarded element. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlist	 x, f;
	struct xstr		 in = { (const char *)data, size };
	struct arena		 a;
	size_t			 i;

	xlist_parse(in, &x);
	check_list(&x, in, 1);
	CHECK(x.n == count_plain(in));

	fwd_split(in, &f);
	check_list(&f, in, 0);
	CHECK(f.n <= x.n);
	if (memchr(in.p, '"', in.len) == NULL) {
		/* without quotes both splitters agree */
		CHECK(f.n == x.n && f.nkept == x.nkept);
		for (i = 0; i < f.nkept; i++)
			CHECK(f.r[i].p == x.r[i].p && f.r[i].len == x.r[i].len);
	}

	arena_init(&a, 1 << 20);
	check_elems(&f, &a);
	/* the whole input as one element too (one header line, no comma) */
	arena_reset(&a);
	{
		struct xlist one;

		one.n = one.nkept = size > 0 ? 1 : 0;
		one.r[0] = in;
		one.leftmost = in;
		if (size > 0)
			check_elems(&one, &a);
	}
	arena_free(&a);

	/* an absent header gives an empty list */
	xlist_parse(XSTR_NULL, &x);
	CHECK(x.n == 0 && x.nkept == 0);
	fwd_split(XSTR_NULL, &f);
	CHECK(f.n == 0 && f.nkept == 0);
	return 0;
}
