/*
 * fuzz_fcgirec.c: libFuzzer harness for gateway/fcgirec.c.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -Igateway \
 *	    tests/fuzz/fuzz_fcgirec.c gateway/fcgirec.c -o fuzz_fcgirec
 *	./fuzz_fcgirec -max_total_time=30 tests/fuzz/corpus/fcgirec
 *
 * The input, after one byte choosing the feed size, is fed to the
 * backend record parser in pieces; the parser must stay within the
 * buffer, report content that adds up, and never accept anything after
 * END_REQUEST or after a failure.  The same bytes, split at NUL bytes
 * into name/value pairs, go through the PARAMS encoder, whose records
 * must decode back to the same pairs, whole pairs per record.  The
 * front's checks of a request head and of body records run on the same
 * bytes and must stay within them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgirec.h"

#define MAXPAIRS	64

static unsigned char	enc[FREC_MAXRECORD + 1024];

/* Drives the parser over data in pieces of step bytes. */
static void
parse_all(const unsigned char *data, size_t size, size_t step)
{
	struct frec_parser	 p;
	const unsigned char	*d;
	size_t			 off, end, pos, dlen, before;
	enum frec_event		 ev;
	int			 ended = 0, failed = 0;

	frec_parser_init(&p, 1);
	for (off = 0; off < size; off = end) {
		end = off + step < size ? off + step : size;
		pos = 0;
		while (pos < end - off) {
			before = pos;
			ev = frec_parse(&p, data + off, end - off, &pos, &d,
			    &dlen);
			if (pos < before || pos > end - off)
				abort();
			if (failed && ev != FREC_FAIL)
				abort();
			if (ended && ev != FREC_FAIL)
				abort();
			if (ev == FREC_NEED) {
				if (pos != end - off)
					abort();
				break;
			}
			if (ev == FREC_FAIL) {
				if (p.error == NULL)
					abort();
				failed = 1;
				break;
			}
			if (ev == FREC_END) {
				ended = 1;
				continue;
			}
			if (dlen == 0 || d < data + off ||
			    d + dlen > data + end)
				abort();
			if (pos == before)
				abort();
		}
		if (failed)
			break;
	}
}

/* Encodes pairs made from the input and checks they decode back whole. */
static void
roundtrip(const unsigned char *data, size_t size)
{
	struct param	 v[MAXPAIRS], d;
	size_t		 n = 0, i = 0, start = 0, next = 0, off, clen, plen, k;
	size_t		 got = 0, cap;
	long		 r;

	/* pairs: name NUL value NUL ... */
	while (n < MAXPAIRS && start < size) {
		const unsigned char *z = memchr(data + start, 0, size - start);
		size_t nl = z != NULL ? (size_t)(z - (data + start)) :
		    size - start;
		const unsigned char *vs;
		size_t vl;

		v[n].name.p = (const char *)data + start;
		v[n].name.len = nl;
		start += nl + 1;
		vs = data + (start < size ? start : size);
		z = start < size ? memchr(vs, 0, size - start) : NULL;
		vl = start >= size ? 0 : z != NULL ? (size_t)(z - vs) :
		    size - start;
		v[n].value.p = (const char *)vs;
		v[n].value.len = vl;
		start += vl + 1;
		n++;
	}
	cap = size > 0 ? 24 + data[0] * 300 : 24;
	if (cap > sizeof(enc))
		cap = sizeof(enc);
	while (next < n) {
		r = frec_params(1, v, n, &next, enc, cap);
		if (r < 0) {
			if (frec_pairlen(v[next].name.len,
			    v[next].value.len) <= FREC_MAXCONTENT)
				abort();
			return;
		}
		if (r == 0) {
			if (cap == sizeof(enc))
				abort();
			cap = sizeof(enc);
			continue;
		}
		if ((size_t)r > cap || r % 8 != 0)
			abort();
		for (off = 0; off < (size_t)r; off += 8 + clen + plen) {
			if (enc[off] != 1 || enc[off + 1] != FREC_PARAMS)
				abort();
			clen = ((size_t)enc[off + 4] << 8) | enc[off + 5];
			plen = enc[off + 6];
			if (clen == 0 || clen > FREC_MAXCONTENT ||
			    off + 8 + clen + plen > (size_t)r)
				abort();
			for (k = 0; k < clen; got++, i++) {
				size_t u = frec_pair_decode(enc + off + 8 + k,
				    clen - k, &d);

				if (u == 0 || i >= n)
					abort();
				if (d.name.len != v[i].name.len ||
				    d.value.len != v[i].value.len ||
				    (d.name.len > 0 && memcmp(d.name.p,
				    v[i].name.p, d.name.len) != 0) ||
				    (d.value.len > 0 && memcmp(d.value.p,
				    v[i].value.p, d.value.len) != 0))
					abort();
				k += u;
			}
		}
	}
	if (got != n)
		abort();
}

/*
 * The front's checks: a head found READY or MGMT covers bytes within the
 * input, every prefix of a READY head needs more, and the body check
 * stays within the input whatever the record state.
 */
static void
front_checks(const unsigned char *data, size_t size)
{
	struct frec_head_info	 hi, h2;
	const char		*why;
	enum frec_head		 h;
	size_t			 max = size > 0 ? (size_t)data[0] * 64 : 0;

	h = frec_head_check(data, size, max, &hi);
	if ((h == FHEAD_READY || h == FHEAD_MGMT || h == FHEAD_STRAY) &&
	    (hi.len == 0 || hi.len > size))
		abort();
	if (h == FHEAD_READY) {
		if (hi.params > max || hi.uri_off + hi.uri_len > size)
			abort();
		if (frec_head_check(data, hi.len - 1, max, &h2) == FHEAD_READY)
			abort();
	}
	if (size >= 2)
		(void)frec_body_check(data + 2, size - 2, data[0] % 3,
		    data[1], 1, &why);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	step;

	if (size == 0)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	parse_all(data + 1, size - 1, step);
	parse_all(data + 1, size - 1, size);
	roundtrip(data + 1, size - 1);
	front_checks(data, size);
	return 0;
}
