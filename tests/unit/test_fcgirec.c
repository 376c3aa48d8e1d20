/*
 * test_fcgirec.c: the FastCGI record encoder and the backend record
 * parser (gateway/fcgirec.c).  References: FastCGI 1.0 section 3.3
 * (records), 3.4 (name-value pairs), 5.1 (BEGIN_REQUEST), 5.5
 * (END_REQUEST); php-fpm's per-record PARAMS parsing (pairs never split).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fcgirec.h"

#define BIG	(FREC_MAXRECORD + 1024)

static struct param
mkparam(const char *n, size_t nlen, const char *v, size_t vlen)
{
	struct param p;

	p.name.p = n;
	p.name.len = nlen;
	p.value.p = v;
	p.value.len = vlen;
	return p;
}

/* Spec 3.4: lengths up to 127 take one byte, longer ones four. */
static void
test_pairlen(void **state)
{
	(void)state;
	assert_int_equal(frec_pairlen(3, 5), 1 + 1 + 3 + 5);
	assert_int_equal(frec_pairlen(127, 127), 1 + 1 + 254);
	assert_int_equal(frec_pairlen(128, 0), 4 + 1 + 128);
	assert_int_equal(frec_pairlen(0, 128), 1 + 4 + 128);
	assert_int_equal(frec_pairlen(200, 70000), 4 + 4 + 70200);
	assert_int_equal(frec_pairlen((size_t)1 << 31, 1), 0);
}

/* Spec 3.3/5.1: BEGIN_REQUEST, role RESPONDER, FCGI_KEEP_CONN flag. */
static void
test_begin(void **state)
{
	unsigned char		 b[16];
	static const unsigned char keep[16] = {
		1, 1, 0, 1, 0, 8, 0, 0,  0, 1, 1, 0, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(frec_begin(b, 1, 1), 16);
	assert_memory_equal(b, keep, 16);
	assert_int_equal(frec_begin(b, 0x1234, 0), 16);
	assert_int_equal(b[2], 0x12);
	assert_int_equal(b[3], 0x34);
	assert_int_equal(b[10], 0);
}

/* Records are padded to a multiple of 8 with zero bytes. */
static void
test_wrap_padding(void **state)
{
	unsigned char	b[64];
	size_t		clen, n;

	(void)state;
	for (clen = 0; clen <= 17; clen++) {
		memset(b, 0xaa, sizeof(b));
		n = frec_wrap(b, FREC_STDIN, 1, clen);
		assert_int_equal(n % 8, 0);
		assert_int_equal(n, 8 + clen + frec_padding(clen));
		assert_int_equal(b[4], 0);
		assert_int_equal(b[5], clen);
		assert_int_equal(b[6], frec_padding(clen));
		assert_true(frec_padding(clen) < 8);
		for (size_t i = 8 + clen; i < n; i++)
			assert_int_equal(b[i], 0);
	}
}

/* A short pair: one-byte lengths, exact bytes, padding. */
static void
test_params_one_byte_lengths(void **state)
{
	struct param	 p = mkparam("A", 1, "b", 1);
	unsigned char	 buf[64];
	size_t		 next = 0;
	static const unsigned char want[16] = {
		1, 4, 0, 1, 0, 4, 4, 0,  1, 1, 'A', 'b', 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(frec_params(1, &p, 1, &next, buf, sizeof(buf)), 16);
	assert_int_equal(next, 1);
	assert_memory_equal(buf, want, 16);
}

/* A 300-byte value: four-byte length with the high bit set, big-endian. */
static void
test_params_four_byte_lengths(void **state)
{
	char		*name = malloc(130), *val = malloc(300);
	unsigned char	*buf = malloc(BIG);
	struct param	 p, d;
	size_t		 next = 0;
	long		 n;

	(void)state;
	assert_non_null(name);
	assert_non_null(val);
	assert_non_null(buf);
	memset(name, 'N', 130);
	memset(val, 'v', 300);
	p = mkparam(name, 130, val, 300);
	n = frec_params(1, &p, 1, &next, buf, BIG);
	assert_int_equal(n, 8 + 438 + frec_padding(438));
	assert_int_equal(buf[8], 0x80);
	assert_int_equal(buf[9], 0);
	assert_int_equal(buf[10], 0);
	assert_int_equal(buf[11], 130);
	assert_int_equal(buf[12], 0x80);
	assert_int_equal(buf[13], 0);
	assert_int_equal(buf[14], 1);
	assert_int_equal(buf[15], 300 - 256);
	assert_int_equal(frec_pair_decode(buf + 8, 438, &d), 438);
	assert_int_equal(d.name.len, 130);
	assert_int_equal(d.value.len, 300);
	assert_memory_equal(d.value.p, val, 300);
	free(name);
	free(val);
	free(buf);
}

/*
 * php-fpm parses each PARAMS record on its own: every record must hold
 * whole pairs.  Encode 40 pairs of 10 000 bytes and decode record by
 * record.
 */
static void
test_params_never_split(void **state)
{
	enum { NP = 40, VLEN = 10000 };
	struct param	 v[NP], d;
	char		*val = malloc(VLEN);
	char		 names[NP][8];
	unsigned char	*buf = malloc(BIG);
	size_t		 next = 0, got = 0, off, clen, plen, k;
	long		 n;
	int		 records = 0, i;

	(void)state;
	assert_non_null(val);
	assert_non_null(buf);
	for (i = 0; i < NP; i++) {
		memset(val, 'a' + (i % 26), VLEN);
		names[i][0] = 'P';
		names[i][1] = (char)('0' + i / 10);
		names[i][2] = (char)('0' + i % 10);
		v[i] = mkparam(names[i], 3, val, VLEN);
	}
	while (next < NP) {
		n = frec_params(1, v, NP, &next, buf, BIG);
		assert_true(n > 0);
		assert_int_equal(n % 8, 0);
		for (off = 0; off < (size_t)n; off += 8 + clen + plen) {
			assert_int_equal(buf[off], 1);
			assert_int_equal(buf[off + 1], FREC_PARAMS);
			clen = ((size_t)buf[off + 4] << 8) | buf[off + 5];
			plen = buf[off + 6];
			assert_true(clen > 0 && clen <= FREC_MAXCONTENT);
			assert_int_equal((clen + plen) % 8, 0);
			records++;
			/* the record's content decodes to whole pairs exactly */
			for (k = 0; k < clen;) {
				size_t u = frec_pair_decode(buf + off + 8 + k,
				    clen - k, &d);

				assert_true(u > 0);
				assert_int_equal(d.value.len, VLEN);
				assert_memory_equal(d.name.p, names[got], 3);
				k += u;
				got++;
			}
			assert_int_equal(k, clen);
		}
	}
	assert_int_equal(got, NP);
	assert_true(records >= 7);
	free(val);
	free(buf);
}

/* A small buffer makes progress pair by pair; too small: nothing. */
static void
test_params_small_buffer(void **state)
{
	struct param	 v[3] = { mkparam("AA", 2, "11", 2),
	    mkparam("BB", 2, "22", 2), mkparam("CC", 2, "33", 2) };
	unsigned char	 buf[32];
	size_t		 next = 0;

	(void)state;
	assert_int_equal(frec_params(1, v, 3, &next, buf, 8), 0);
	assert_int_equal(next, 0);
	/* room for content: 32 - 8 header - 7 worst padding = 17: two pairs */
	assert_int_equal(frec_params(1, v, 3, &next, buf, sizeof(buf)), 24);
	assert_int_equal(next, 2);
	assert_int_equal(buf[5], 12);
	assert_int_equal(frec_params(1, v, 3, &next, buf, sizeof(buf)), 16);
	assert_int_equal(next, 3);
}

/* A pair of exactly FREC_MAXCONTENT bytes fits; one byte more never can. */
static void
test_params_too_long(void **state)
{
	size_t		 vlen = FREC_MAXCONTENT - 1 - 4 - 1;
	char		*val = malloc(vlen + 1);
	unsigned char	*buf = malloc(BIG);
	struct param	 v[2];
	size_t		 next = 0;

	(void)state;
	assert_non_null(val);
	assert_non_null(buf);
	memset(val, 'x', vlen + 1);
	v[0] = mkparam("K", 1, val, vlen);
	assert_int_equal(frec_pairlen(1, vlen), FREC_MAXCONTENT);
	assert_int_equal(frec_params(1, v, 1, &next, buf, BIG),
	    8 + FREC_MAXCONTENT);
	assert_int_equal(next, 1);

	v[0] = mkparam("A", 1, "b", 1);
	v[1] = mkparam("K", 1, val, vlen + 1);
	next = 0;
	/* the good pair goes out first, then the long one is refused */
	assert_int_equal(frec_params(1, v, 2, &next, buf, BIG), 16);
	assert_int_equal(next, 1);
	assert_int_equal(frec_params(1, v, 2, &next, buf, BIG), -1);
	assert_int_equal(next, 1);
	free(val);
	free(buf);
}

/* Builds a record into out; returns its length. */
static size_t
mkrec(unsigned char *out, int version, int type, unsigned id,
    const void *content, size_t clen, size_t plen)
{
	out[0] = (unsigned char)version;
	out[1] = (unsigned char)type;
	out[2] = (unsigned char)(id >> 8);
	out[3] = (unsigned char)id;
	out[4] = (unsigned char)(clen >> 8);
	out[5] = (unsigned char)clen;
	out[6] = (unsigned char)plen;
	out[7] = 0;
	if (clen > 0)
		memcpy(out + 8, content, clen);
	memset(out + 8 + clen, 0, plen);
	return 8 + clen + plen;
}

static size_t
mkend(unsigned char *out, unsigned id, unsigned long app, int proto,
    size_t plen)
{
	unsigned char	b[8] = { (unsigned char)(app >> 24),
	    (unsigned char)(app >> 16), (unsigned char)(app >> 8),
	    (unsigned char)app, (unsigned char)proto, 0, 0, 0 };

	return mkrec(out, 1, FREC_END_REQUEST, id, b, 8, plen);
}

struct collected {
	char		out[256];
	size_t		nout;
	char		err[256];
	size_t		nerr;
	int		ended;
	int		failed;
};

/* Feeds buf in pieces of step bytes and collects what the parser reports. */
static void
feed(struct frec_parser *p, const unsigned char *buf, size_t len, size_t step,
    struct collected *c)
{
	size_t			 off, end, pos;
	const unsigned char	*data;
	size_t			 dlen;
	enum frec_event		 ev;

	memset(c, 0, sizeof(*c));
	for (off = 0; off < len; off = end) {
		end = off + step < len ? off + step : len;
		pos = 0;
		while (pos < end - off) {
			ev = frec_parse(p, buf + off, end - off, &pos, &data,
			    &dlen);
			if (ev == FREC_NEED)
				break;
			if (ev == FREC_FAIL) {
				c->failed = 1;
				return;
			}
			if (ev == FREC_END) {
				c->ended++;
				continue;
			}
			if (ev == FREC_OUT) {
				assert_true(c->nout + dlen <= sizeof(c->out));
				memcpy(c->out + c->nout, data, dlen);
				c->nout += dlen;
			} else {
				assert_true(c->nerr + dlen <= sizeof(c->err));
				memcpy(c->err + c->nerr, data, dlen);
				c->nerr += dlen;
			}
		}
	}
}

/* A well-formed response, fed whole and byte by byte, gives the same result. */
static void
test_parse_valid(void **state)
{
	unsigned char		buf[256];
	size_t			n = 0, step;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	n += mkrec(buf + n, 1, FREC_STDOUT, 1, "Status: 200\r\n\r\n", 15, 1);
	n += mkrec(buf + n, 1, FREC_STDERR, 1, "warn", 4, 4);
	n += mkrec(buf + n, 1, FREC_STDOUT, 1, "body", 4, 0);
	n += mkrec(buf + n, 1, FREC_STDERR, 1, NULL, 0, 0);
	n += mkrec(buf + n, 1, FREC_STDOUT, 1, NULL, 0, 0);
	n += mkend(buf + n, 1, 0x01020304UL, FREC_REQUEST_COMPLETE, 0);
	for (step = 1; step <= n; step++) {
		frec_parser_init(&p, 1);
		feed(&p, buf, n, step, &c);
		assert_false(c.failed);
		assert_int_equal(c.ended, 1);
		assert_int_equal(c.nout, 19);
		assert_memory_equal(c.out, "Status: 200\r\n\r\nbody", 19);
		assert_int_equal(c.nerr, 4);
		assert_memory_equal(c.err, "warn", 4);
		assert_int_equal(p.app_status, 0x01020304UL);
		assert_int_equal(p.proto_status, 0);
	}
}

/* END_REQUEST with padding and protocol status OVERLOADED. */
static void
test_parse_end_padded(void **state)
{
	unsigned char		buf[64];
	size_t			n;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	n = mkend(buf, 1, 0, FREC_OVERLOADED, 8);
	frec_parser_init(&p, 1);
	feed(&p, buf, n, 3, &c);
	assert_false(c.failed);
	assert_int_equal(c.ended, 1);
	assert_int_equal(p.proto_status, FREC_OVERLOADED);
}

/* Version other than 1 is rejected. */
static void
test_parse_wrong_version(void **state)
{
	unsigned char		buf[32];
	size_t			n;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	n = mkrec(buf, 2, FREC_STDOUT, 1, "x", 1, 7);
	frec_parser_init(&p, 1);
	feed(&p, buf, n, n, &c);
	assert_true(c.failed);
	assert_non_null(p.error);
}

/* Types a backend must not send, and unknown ones, are rejected. */
static void
test_parse_unknown_types(void **state)
{
	static const int	bad[] = { 0, FREC_BEGIN_REQUEST,
	    FREC_ABORT_REQUEST, FREC_PARAMS, FREC_STDIN, 8, 9, 10, 11, 12, 42,
	    255 };
	unsigned char		buf[32];
	size_t			n, i;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = mkrec(buf, 1, bad[i], 1, "12345678", 8, 0);
		frec_parser_init(&p, 1);
		feed(&p, buf, n, 1, &c);
		assert_true(c.failed);
		assert_int_equal(c.nout, 0);
	}
}

/* Records for another request id (management id 0 included) are rejected. */
static void
test_parse_other_request_id(void **state)
{
	unsigned char		buf[32];
	size_t			n;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	n = mkend(buf, 2, 0, 0, 0);
	frec_parser_init(&p, 1);
	feed(&p, buf, n, n, &c);
	assert_true(c.failed);
	assert_int_equal(c.ended, 0);

	n = mkrec(buf, 1, FREC_STDOUT, 0, "x", 1, 7);
	frec_parser_init(&p, 1);
	feed(&p, buf, n, n, &c);
	assert_true(c.failed);
	assert_int_equal(c.nout, 0);
}

/* END_REQUEST whose length is not its 8-byte body is rejected. */
static void
test_parse_end_bad_length(void **state)
{
	unsigned char		buf[64];
	size_t			n, len;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	for (len = 0; len <= 16; len++) {
		if (len == 8)
			continue;
		n = mkrec(buf, 1, FREC_END_REQUEST, 1,
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", len, 0);
		frec_parser_init(&p, 1);
		feed(&p, buf, n, n, &c);
		assert_true(c.failed);
		assert_int_equal(c.ended, 0);
	}
}

/* Any byte after END_REQUEST is rejected; so is data after a stream's end. */
static void
test_parse_after_end(void **state)
{
	unsigned char		buf[64];
	size_t			n;
	struct frec_parser	p;
	struct collected	c;

	(void)state;
	n = mkend(buf, 1, 0, 0, 0);
	buf[n++] = 1;
	frec_parser_init(&p, 1);
	feed(&p, buf, n, n, &c);
	assert_int_equal(c.ended, 1);
	assert_true(c.failed);

	n = mkrec(buf, 1, FREC_STDOUT, 1, NULL, 0, 0);
	n += mkrec(buf + n, 1, FREC_STDOUT, 1, "late", 4, 4);
	frec_parser_init(&p, 1);
	feed(&p, buf, n, 1, &c);
	assert_true(c.failed);
	assert_int_equal(c.nout, 0);
}

/* After a failure the parser stays failed. */
static void
test_parse_sticky_failure(void **state)
{
	unsigned char		 buf[32];
	size_t			 n, pos = 0, dlen;
	const unsigned char	*data;
	struct frec_parser	 p;

	(void)state;
	n = mkrec(buf, 7, FREC_STDOUT, 1, "x", 1, 7);
	frec_parser_init(&p, 1);
	assert_int_equal(frec_parse(&p, buf, n, &pos, &data, &dlen),
	    FREC_FAIL);
	n = mkrec(buf, 1, FREC_STDOUT, 1, "x", 1, 7);
	pos = 0;
	assert_int_equal(frec_parse(&p, buf, n, &pos, &data, &dlen),
	    FREC_FAIL);
}

/* A request head: BEGIN_REQUEST, PARAMS records of pairs, the empty one. */
static size_t
mkhead(unsigned char *buf, const unsigned char *pairs, size_t plen)
{
	size_t	n = frec_begin(buf, 1, 1);

	if (plen > 0) {
		memcpy(buf + n + FREC_HDRLEN, pairs, plen);
		n += frec_wrap(buf + n, FREC_PARAMS, 1, plen);
	}
	n += frec_header(buf + n, FREC_PARAMS, 1, 0, 0);
	return n;
}

static void
test_head_ready_and_need(void **state)
{
	static const unsigned char	 pairs[] = "\013\004REQUEST_URI/abc";
	unsigned char			 buf[128];
	struct frec_head_info		 hi;
	size_t				 n, k;

	(void)state;
	n = mkhead(buf, pairs, sizeof(pairs) - 1);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_READY);
	assert_int_equal(hi.len, n);
	assert_int_equal(hi.id, 1);
	assert_int_equal(hi.role, FREC_RESPONDER);
	assert_int_equal(hi.keep, 1);
	assert_int_equal(hi.uri_len, 4);
	assert_memory_equal(buf + hi.uri_off, "/abc", 4);
	/* every shorter prefix needs more */
	for (k = 0; k < n; k++)
		assert_int_equal(frec_head_check(buf, k, 1024, &hi),
		    FHEAD_NEED);
}

static void
test_head_too_large(void **state)
{
	/* the 96-byte pair: 1 GiB name and value lengths */
	static const unsigned char	 pair[] = { 0xc0, 0, 0, 0, 0xc0, 0, 0,
	    0, 'A' };
	unsigned char			 buf[128];
	struct frec_head_info		 hi;
	size_t				 n = frec_begin(buf, 1, 0);

	(void)state;
	memcpy(buf + n + FREC_HDRLEN, pair, sizeof(pair));
	n += frec_wrap(buf + n, FREC_PARAMS, 1, sizeof(pair));
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_TOO_LARGE);
	assert_int_equal(hi.id, 1);
	/* known from the length alone, before the data */
	assert_int_equal(frec_head_check(buf, 16 + 8 + 8, 1024, &hi),
	    FHEAD_TOO_LARGE);
	/* the sum of the pairs counts too */
	n = mkhead(buf, (const unsigned char *)"\001\010ABBBBBBBB", 11);
	assert_int_equal(frec_head_check(buf, n, 10, &hi), FHEAD_READY);
	assert_int_equal(frec_head_check(buf, n, 9, &hi), FHEAD_TOO_LARGE);
}

static void
test_head_records(void **state)
{
	unsigned char		buf[128];
	struct frec_head_info	hi;
	size_t			n;

	(void)state;
	/* management record first: reported whole, with its type */
	n = frec_header(buf, 42, 0, 0, 0);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_MGMT);
	assert_int_equal(hi.len, 8);
	assert_int_equal(hi.type, 42);
	/* ABORT_REQUEST for no request: dropped */
	n = frec_header(buf, FREC_ABORT_REQUEST, 1, 0, 0);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_STRAY);
	/* STDIN before BEGIN_REQUEST, wrong version */
	n = frec_header(buf, FREC_STDIN, 1, 0, 0);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_BAD);
	n = mkhead(buf, NULL, 0);
	buf[0] = 2;
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_BAD);
	/* a second BEGIN_REQUEST, a management record inside the params */
	n = frec_begin(buf, 1, 1);
	n += frec_begin(buf + n, 1, 1);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_BAD);
	n = frec_begin(buf, 1, 1);
	n += frec_header(buf + n, 9, 0, 0, 0);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_BAD);
	/* params ending inside a pair */
	n = mkhead(buf, (const unsigned char *)"\001\005AB", 3);
	assert_int_equal(frec_head_check(buf, n, 1024, &hi), FHEAD_BAD);
}

static void
test_body_check(void **state)
{
	unsigned char	 buf[64];
	const char	*why = NULL;
	size_t		 n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	/* content left in the record: one byte is enough */
	assert_int_equal(frec_body_check(buf, 0, 5, 3, 1, &why), FBODY_NEED);
	assert_int_equal(frec_body_check(buf, 1, 5, 3, 1, &why), FBODY_READY);
	/* padding, then a STDIN header with content, or the empty one */
	memset(buf, 0, 3);
	n = 3 + frec_header(buf + 3, FREC_STDIN, 1, 4, 4);
	assert_int_equal(frec_body_check(buf, n, 0, 3, 1, &why), FBODY_NEED);
	buf[n] = 'x';
	assert_int_equal(frec_body_check(buf, n + 1, 0, 3, 1, &why),
	    FBODY_READY);
	n = frec_header(buf, FREC_STDIN, 1, 0, 0);
	assert_int_equal(frec_body_check(buf, n, 0, 0, 1, &why), FBODY_READY);
	/* anything else: ABORT_REQUEST, GET_VALUES, another request */
	n = frec_header(buf, FREC_ABORT_REQUEST, 1, 0, 0);
	assert_int_equal(frec_body_check(buf, n, 0, 0, 1, &why), FBODY_BAD);
	assert_non_null(why);
	n = frec_header(buf, 9, 0, 0, 0);
	assert_int_equal(frec_body_check(buf, n, 0, 0, 1, &why), FBODY_BAD);
	n = frec_header(buf, FREC_STDIN, 2, 0, 0);
	assert_int_equal(frec_body_check(buf, n, 0, 0, 1, &why), FBODY_BAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairlen),
		cmocka_unit_test(test_begin),
		cmocka_unit_test(test_wrap_padding),
		cmocka_unit_test(test_params_one_byte_lengths),
		cmocka_unit_test(test_params_four_byte_lengths),
		cmocka_unit_test(test_params_never_split),
		cmocka_unit_test(test_params_small_buffer),
		cmocka_unit_test(test_params_too_long),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_end_padded),
		cmocka_unit_test(test_parse_wrong_version),
		cmocka_unit_test(test_parse_unknown_types),
		cmocka_unit_test(test_parse_other_request_id),
		cmocka_unit_test(test_parse_end_bad_length),
		cmocka_unit_test(test_parse_after_end),
		cmocka_unit_test(test_parse_sticky_failure),
		cmocka_unit_test(test_head_ready_and_need),
		cmocka_unit_test(test_head_too_large),
		cmocka_unit_test(test_head_records),
		cmocka_unit_test(test_body_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
