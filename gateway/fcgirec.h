/*
 * fcgirec.h: FastCGI 1.0 records as the gateway's client side writes
 * and reads them.  Pure code: no I/O, no allocation, so it can be unit
 * tested and fuzzed on its own.
 */
#ifndef XFF_FCGIREC_H
#define XFF_FCGIREC_H

#include <stddef.h>
#include "params.h"

#define FREC_HDRLEN		8
/* Largest content of a record we write: a multiple of 8, so no padding. */
#define FREC_MAXCONTENT		65528
/* Room one record of FREC_MAXCONTENT needs, header and padding included. */
#define FREC_MAXRECORD		(FREC_HDRLEN + FREC_MAXCONTENT)

#define FREC_BEGIN_REQUEST	1
#define FREC_ABORT_REQUEST	2
#define FREC_END_REQUEST	3
#define FREC_PARAMS		4
#define FREC_STDIN		5
#define FREC_STDOUT		6
#define FREC_STDERR		7

#define FREC_GET_VALUES		9
#define FREC_GET_VALUES_RESULT	10
#define FREC_UNKNOWN_TYPE	11

#define FREC_RESPONDER		1
#define FREC_KEEP_CONN		1

#define FREC_REQUEST_COMPLETE	0
#define FREC_CANT_MPX_CONN	1
#define FREC_OVERLOADED		2
#define FREC_UNKNOWN_ROLE	3

/* Returns the padding that brings a content of clen bytes to a multiple of 8. */
size_t	frec_padding(size_t clen);

/*
 * Writes the 8-byte header of a record of the given type, request id,
 * content and padding lengths (clen <= 65535, plen <= 255) at p.
 * Returns FREC_HDRLEN.
 */
size_t	frec_header(unsigned char *p, int type, unsigned id, size_t clen,
	    size_t plen);

/*
 * Writes a whole BEGIN_REQUEST record (16 bytes) for role RESPONDER,
 * with FCGI_KEEP_CONN when keep is non-zero.  Returns 16.
 */
size_t	frec_begin(unsigned char *p, unsigned id, int keep);

/*
 * Writes a stream record (PARAMS, STDIN) around content already placed
 * at p + FREC_HDRLEN (clen <= FREC_MAXCONTENT): the header before it and
 * zero padding after it.  Returns the record's total length.
 */
size_t	frec_wrap(unsigned char *p, int type, unsigned id, size_t clen);

/* Returns the encoded length of one name-value pair, or 0 when a length exceeds 2^31 - 1. */
size_t	frec_pairlen(size_t nlen, size_t vlen);

/*
 * Encodes params v[*next..n) as PARAMS records into buf (capacity cap):
 * whole pairs only (a pair is never split across records, as php-fpm
 * requires), each record's content at most FREC_MAXCONTENT bytes and
 * padded to 8.  Encodes as many pairs as fit, advances *next past them
 * and returns the bytes written (0 when not even the next pair fits in
 * cap; the caller flushes and calls again).  The empty PARAMS record
 * that ends the stream is not written.  Returns -1 when v[*next] alone
 * is longer than FREC_MAXCONTENT: it can never be sent.
 */
long	frec_params(unsigned id, const struct param *v, size_t n, size_t *next,
	    unsigned char *buf, size_t cap);

/*
 * Decodes one name-value pair at p[0..len): on success returns the bytes
 * used and sets the name and value; returns 0 when the pair is
 * incomplete or a length is invalid.  (Used by the tests and the echo
 * backend; the gateway itself never reads params from a backend.)
 */
size_t	frec_pair_decode(const unsigned char *p, size_t len, struct param *out);

/* What frec_parse() found. */
enum frec_event {
	FREC_NEED = 0,		/* every byte consumed; feed more */
	FREC_OUT,		/* a piece of STDOUT content */
	FREC_ERR,		/* a piece of STDERR content */
	FREC_END,		/* END_REQUEST: app_status, proto_status set */
	FREC_FAIL		/* protocol violation: error says which */
};

/*
 * An incremental parser of the records a backend sends for one request.
 * It accepts only version 1 STDOUT, STDERR and END_REQUEST records for
 * the expected request id, an END_REQUEST content of exactly 8 bytes, no
 * stream data after that stream's empty record, and nothing at all after
 * END_REQUEST.
 */
struct frec_parser {
	unsigned	 id;		/* expected request id */
	int		 state;		/* internal */
	unsigned char	 hdr[FREC_HDRLEN];
	size_t		 hlen;		/* header bytes gathered */
	int		 type;		/* type of the current record */
	size_t		 clen;		/* content bytes left in the current record */
	size_t		 plen;		/* padding bytes left */
	unsigned char	 body[8];	/* END_REQUEST body */
	size_t		 blen;
	int		 out_closed;	/* empty STDOUT seen */
	int		 err_closed;	/* empty STDERR seen */
	unsigned long	 app_status;	/* from END_REQUEST */
	int		 proto_status;	/* from END_REQUEST */
	const char	*error;		/* FREC_FAIL: static description */
};

/* Prepares p for the records of request id. */
void	frec_parser_init(struct frec_parser *p, unsigned id);

/*
 * Consumes bytes of buf[*pos..len) and stops at the first event: for
 * FREC_OUT and FREC_ERR, *data and *dlen point to content inside buf;
 * FREC_END means the request is complete (any further byte is a
 * FREC_FAIL); FREC_NEED means *pos == len.  After FREC_FAIL the parser
 * stays failed.
 */
enum frec_event frec_parse(struct frec_parser *p, const unsigned char *buf,
	    size_t len, size_t *pos, const unsigned char **data, size_t *dlen);

/* What frec_head_check() found at the start of a front connection's bytes. */
enum frec_head {
	FHEAD_NEED = 0,		/* well-formed so far: more bytes are needed */
	FHEAD_READY,		/* BEGIN_REQUEST and the whole params: len bytes */
	FHEAD_MGMT,		/* a whole management record (request id 0)
				   first: len bytes, its type in type */
	FHEAD_STRAY,		/* a whole ABORT_REQUEST before any
				   BEGIN_REQUEST: len bytes to drop */
	FHEAD_BAD,		/* a protocol violation: error says which */
	FHEAD_TOO_LARGE		/* a length, or the params' size, above the
				   limit (id set when BEGIN_REQUEST came) */
};

/* What frec_head_check() learnt of the request. */
struct frec_head_info {
	size_t		 len;		/* bytes the outcome covers */
	unsigned	 id;		/* request id, 0 before BEGIN_REQUEST */
	int		 role;
	int		 keep;		/* FCGI_KEEP_CONN */
	int		 type;		/* FHEAD_MGMT: the record's type */
	size_t		 params;	/* "NAME=VALUE" bytes so far */
	size_t		 uri_off;	/* REQUEST_URI's value, when it lies in
					   one record (uri_off 0: not found) */
	size_t		 uri_len;
	const char	*error;		/* FHEAD_BAD: static description */
};

/*
 * Checks the first bytes p[0..len) a web server sent for a request,
 * before anything else reads them: version 1 records only; management
 * records (request id 0) and ABORT_REQUEST are reported one at a time
 * (FHEAD_MGMT, FHEAD_STRAY) so that the caller handles them itself;
 * then one BEGIN_REQUEST (8 bytes of content, request id not 0)
 * followed only by PARAMS records of that id up to the empty one, whose
 * padding must be present too.  Every name and value length, and the
 * "NAME=VALUE" bytes summed, must be at most params_max (FHEAD_TOO_LARGE
 * as soon as a length shows it); pairs may span records but must end
 * with the params.  FHEAD_READY covers exactly the request's head.
 */
enum frec_head frec_head_check(const unsigned char *p, size_t len,
	    size_t params_max, struct frec_head_info *out);

/* What frec_body_check() found. */
enum frec_body {
	FBODY_READY = 0,	/* a read delivers body bytes or the end */
	FBODY_NEED,		/* a read would wait for more bytes */
	FBODY_BAD		/* a record other than STDIN of the request */
};

/*
 * Checks the bytes p[0..len) that follow the current position in a
 * request's body stream, before a FastCGI library reads them: the
 * current STDIN record has clen content and plen padding bytes left.
 * Returns FBODY_READY when a content byte of a STDIN record of request
 * id, or the empty STDIN record, is present with every record header
 * before it a STDIN record of id; FBODY_BAD (error set) at the first
 * header that is anything else; FBODY_NEED when the bytes end first.
 */
enum frec_body frec_body_check(const unsigned char *p, size_t len,
	    size_t clen, size_t plen, unsigned id, const char **error);

#endif
