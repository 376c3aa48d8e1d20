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

#endif
