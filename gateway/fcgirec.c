/*
 * fcgirec.c: FastCGI record encoding and the incremental parser of
 * backend records.  No I/O.
 */
#include <stddef.h>
#include <string.h>

#include "fcgirec.h"

#define NV_MAX		0x7fffffffUL	/* largest length a pair can carry */

enum {
	ST_HEADER = 0,
	ST_CONTENT,
	ST_PADDING,
	ST_DONE,
	ST_FAILED
};

/* Returns the padding that brings clen to a multiple of 8. */
size_t
frec_padding(size_t clen)
{
	return (8 - (clen & 7)) & 7;
}

/* Writes a record header; returns FREC_HDRLEN. */
size_t
frec_header(unsigned char *p, int type, unsigned id, size_t clen, size_t plen)
{
	p[0] = 1;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)((id >> 8) & 0xff);
	p[3] = (unsigned char)(id & 0xff);
	p[4] = (unsigned char)((clen >> 8) & 0xff);
	p[5] = (unsigned char)(clen & 0xff);
	p[6] = (unsigned char)plen;
	p[7] = 0;
	return FREC_HDRLEN;
}

/* Writes a BEGIN_REQUEST record for the responder role; returns 16. */
size_t
frec_begin(unsigned char *p, unsigned id, int keep)
{
	frec_header(p, FREC_BEGIN_REQUEST, id, 8, 0);
	p[8] = 0;
	p[9] = FREC_RESPONDER;
	p[10] = keep ? FREC_KEEP_CONN : 0;
	memset(p + 11, 0, 5);
	return 16;
}

/* Puts header and padding around clen content bytes at p + 8; returns the record length. */
size_t
frec_wrap(unsigned char *p, int type, unsigned id, size_t clen)
{
	size_t	pad = frec_padding(clen);

	frec_header(p, type, id, clen, pad);
	memset(p + FREC_HDRLEN + clen, 0, pad);
	return FREC_HDRLEN + clen + pad;
}

/* Returns the encoded length of a name-value pair, 0 when a length is too big. */
size_t
frec_pairlen(size_t nlen, size_t vlen)
{
	if (nlen > NV_MAX || vlen > NV_MAX)
		return 0;
	return (nlen > 127 ? 4 : 1) + (vlen > 127 ? 4 : 1) + nlen + vlen;
}

/* Writes one length (1 or 4 bytes); returns the bytes written. */
static size_t
put_len(unsigned char *p, size_t n)
{
	if (n <= 127) {
		p[0] = (unsigned char)n;
		return 1;
	}
	p[0] = (unsigned char)(((n >> 24) & 0x7f) | 0x80);
	p[1] = (unsigned char)((n >> 16) & 0xff);
	p[2] = (unsigned char)((n >> 8) & 0xff);
	p[3] = (unsigned char)(n & 0xff);
	return 4;
}

/* Writes one pair at p (room checked by the caller); returns its length. */
static size_t
put_pair(unsigned char *p, const struct param *pr)
{
	size_t	o = 0;

	o += put_len(p + o, pr->name.len);
	o += put_len(p + o, pr->value.len);
	if (pr->name.len > 0)
		memcpy(p + o, pr->name.p, pr->name.len);
	o += pr->name.len;
	if (pr->value.len > 0)
		memcpy(p + o, pr->value.p, pr->value.len);
	o += pr->value.len;
	return o;
}

/* Encodes whole pairs as PARAMS records into buf; see fcgirec.h. */
long
frec_params(unsigned id, const struct param *v, size_t n, size_t *next,
    unsigned char *buf, size_t cap)
{
	size_t	 used = 0, i = *next;

	while (i < n) {
		size_t	 rec = used, clen = 0, room;

		/* room for content in a record starting at rec */
		if (cap - used < FREC_HDRLEN + 8)
			break;
		room = cap - used - FREC_HDRLEN - 7;
		if (room > FREC_MAXCONTENT)
			room = FREC_MAXCONTENT;
		while (i < n) {
			size_t	pl = frec_pairlen(v[i].name.len, v[i].value.len);

			if (pl == 0 || pl > FREC_MAXCONTENT) {
				if (clen == 0 && used == 0)
					return -1;
				if (clen == 0) {
					*next = i;
					return (long)used;
				}
				break;
			}
			if (clen + pl > room)
				break;
			clen += put_pair(buf + rec + FREC_HDRLEN + clen, &v[i]);
			i++;
		}
		if (clen == 0)
			break;
		used += frec_wrap(buf + rec, FREC_PARAMS, id, clen);
	}
	*next = i;
	return (long)used;
}

/* Reads one length at p[0..len); returns bytes used or 0. */
static size_t
get_len(const unsigned char *p, size_t len, size_t *out)
{
	if (len < 1)
		return 0;
	if ((p[0] & 0x80) == 0) {
		*out = p[0];
		return 1;
	}
	if (len < 4)
		return 0;
	*out = ((size_t)(p[0] & 0x7f) << 24) | ((size_t)p[1] << 16) |
	    ((size_t)p[2] << 8) | p[3];
	return 4;
}

/* Decodes one pair; returns bytes used or 0 when incomplete. */
size_t
frec_pair_decode(const unsigned char *p, size_t len, struct param *out)
{
	size_t	o = 0, k, nlen, vlen;

	if ((k = get_len(p, len, &nlen)) == 0)
		return 0;
	o += k;
	if ((k = get_len(p + o, len - o, &vlen)) == 0)
		return 0;
	o += k;
	if (nlen > len - o || vlen > len - o - nlen)
		return 0;
	out->name.p = (const char *)p + o;
	out->name.len = nlen;
	out->value.p = (const char *)p + o + nlen;
	out->value.len = vlen;
	return o + nlen + vlen;
}

/* Prepares a parser for request id. */
void
frec_parser_init(struct frec_parser *p, unsigned id)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->state = ST_HEADER;
}

/* Marks the parser failed with a reason. */
static enum frec_event
fail(struct frec_parser *p, const char *why)
{
	p->state = ST_FAILED;
	p->error = why;
	return FREC_FAIL;
}

/* Validates a complete header and sets up the record; returns FREC_NEED or FREC_FAIL. */
static enum frec_event
take_header(struct frec_parser *p)
{
	const unsigned char	*h = p->hdr;
	unsigned		 id = ((unsigned)h[2] << 8) | h[3];

	if (h[0] != 1)
		return fail(p, "unsupported record version");
	p->type = h[1];
	p->clen = ((size_t)h[4] << 8) | h[5];
	p->plen = h[6];
	p->hlen = 0;
	p->blen = 0;
	switch (p->type) {
	case FREC_STDOUT:
	case FREC_STDERR:
	case FREC_END_REQUEST:
		break;
	default:
		return fail(p, "unexpected record type");
	}
	if (id != p->id)
		return fail(p, "record for another request id");
	if (p->type == FREC_END_REQUEST && p->clen != 8)
		return fail(p, "END_REQUEST of the wrong length");
	if (p->type == FREC_STDOUT && p->out_closed)
		return fail(p, "STDOUT after the end of STDOUT");
	if (p->type == FREC_STDERR && p->err_closed)
		return fail(p, "STDERR after the end of STDERR");
	if (p->clen == 0) {
		if (p->type == FREC_STDOUT)
			p->out_closed = 1;
		else
			p->err_closed = 1;
		p->state = p->plen > 0 ? ST_PADDING : ST_HEADER;
	} else
		p->state = ST_CONTENT;
	return FREC_NEED;
}

/* Parses backend records incrementally; see fcgirec.h. */
enum frec_event
frec_parse(struct frec_parser *p, const unsigned char *buf, size_t len,
    size_t *pos, const unsigned char **data, size_t *dlen)
{
	size_t	 k;

	while (*pos < len) {
		switch (p->state) {
		case ST_FAILED:
			return FREC_FAIL;
		case ST_DONE:
			return fail(p, "data after END_REQUEST");
		case ST_HEADER:
			k = FREC_HDRLEN - p->hlen;
			if (k > len - *pos)
				k = len - *pos;
			memcpy(p->hdr + p->hlen, buf + *pos, k);
			p->hlen += k;
			*pos += k;
			if (p->hlen == FREC_HDRLEN &&
			    take_header(p) == FREC_FAIL)
				return FREC_FAIL;
			break;
		case ST_CONTENT:
			k = p->clen;
			if (k > len - *pos)
				k = len - *pos;
			if (p->type == FREC_END_REQUEST) {
				memcpy(p->body + p->blen, buf + *pos, k);
				p->blen += k;
				*pos += k;
				p->clen -= k;
				if (p->clen > 0)
					break;
				p->app_status = ((unsigned long)p->body[0] << 24) |
				    ((unsigned long)p->body[1] << 16) |
				    ((unsigned long)p->body[2] << 8) |
				    p->body[3];
				p->proto_status = p->body[4];
				p->state = p->plen > 0 ? ST_PADDING : ST_DONE;
				if (p->state == ST_DONE)
					return FREC_END;
				break;
			}
			*data = buf + *pos;
			*dlen = k;
			*pos += k;
			p->clen -= k;
			if (p->clen == 0)
				p->state = p->plen > 0 ? ST_PADDING : ST_HEADER;
			return p->type == FREC_STDOUT ? FREC_OUT : FREC_ERR;
		case ST_PADDING:
			k = p->plen;
			if (k > len - *pos)
				k = len - *pos;
			*pos += k;
			p->plen -= k;
			if (p->plen > 0)
				break;
			if (p->type == FREC_END_REQUEST) {
				p->state = ST_DONE;
				return FREC_END;
			}
			p->state = ST_HEADER;
			break;
		}
	}
	if (p->state == ST_FAILED)
		return FREC_FAIL;
	return FREC_NEED;
}

/* The name-value pairs of a PARAMS stream, scanned across records. */
struct pairscan {
	int		 stage;		/* 0 name length, 1 value length, 2 data */
	unsigned char	 lb[4];		/* the length's bytes so far */
	size_t		 lhave;
	size_t		 nlen;
	size_t		 left;		/* data bytes of the pair still to skip */
};

/*
 * Scans content c[0..n) of one PARAMS record (clen bytes in all, of
 * which n are present); returns -1 when a length or the sum is above
 * max, else 0.  Records REQUEST_URI's value when it lies in the record.
 */
static int
scan_pairs(struct pairscan *ps, const unsigned char *base,
    const unsigned char *c, size_t n, size_t max, struct frec_head_info *out)
{
	size_t	i = 0, k, v;

	while (i < n) {
		if (ps->stage == 2) {
			k = n - i < ps->left ? n - i : ps->left;
			i += k;
			ps->left -= k;
			if (ps->left == 0)
				ps->stage = 0;
			continue;
		}
		ps->lb[ps->lhave++] = c[i++];
		if ((ps->lb[0] & 0x80) != 0 && ps->lhave < 4)
			continue;
		v = ps->lhave == 1 ? ps->lb[0] :
		    ((size_t)(ps->lb[0] & 0x7f) << 24) |
		    ((size_t)ps->lb[1] << 16) | ((size_t)ps->lb[2] << 8) |
		    ps->lb[3];
		ps->lhave = 0;
		if (v > max)
			return -1;
		if (ps->stage == 0) {
			ps->nlen = v;
			ps->stage = 1;
			continue;
		}
		/* "NAME=VALUE": the pair counts its '=' */
		if (out->params > max || ps->nlen + v + 1 > max - out->params)
			return -1;
		out->params += ps->nlen + v + 1;
		ps->left = ps->nlen + v;
		ps->stage = ps->left > 0 ? 2 : 0;
		if (ps->nlen == 11 && n - i >= ps->left &&
		    memcmp(c + i, "REQUEST_URI", 11) == 0) {
			out->uri_off = (size_t)(c + i + 11 - base);
			out->uri_len = v;
		}
	}
	return 0;
}

/* Records a violation; returns FHEAD_BAD. */
static enum frec_head
head_bad(struct frec_head_info *out, const char *why)
{
	out->error = why;
	return FHEAD_BAD;
}

/* Checks a request's head; see fcgirec.h. */
enum frec_head
frec_head_check(const unsigned char *p, size_t len, size_t params_max,
    struct frec_head_info *out)
{
	struct pairscan	 ps;
	size_t		 pos = 0, clen, plen, have;
	unsigned	 id;
	int		 type;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	for (;;) {
		if (len - pos < FREC_HDRLEN)
			return FHEAD_NEED;
		if (p[pos] != 1)
			return head_bad(out, "unsupported version");
		type = p[pos + 1];
		id = ((unsigned)p[pos + 2] << 8) | p[pos + 3];
		clen = ((size_t)p[pos + 4] << 8) | p[pos + 5];
		plen = p[pos + 6];
		have = len - pos - FREC_HDRLEN;
		if (out->id == 0) {
			/* before BEGIN_REQUEST: one whole record at a time */
			if (type != FREC_BEGIN_REQUEST && id != 0 &&
			    type != FREC_ABORT_REQUEST)
				return head_bad(out, "record before "
				    "BEGIN_REQUEST");
			if (type == FREC_BEGIN_REQUEST &&
			    (id == 0 || clen != 8))
				return head_bad(out, "bad BEGIN_REQUEST");
			if (have < clen + plen)
				return FHEAD_NEED;
			if (type != FREC_BEGIN_REQUEST) {
				out->len = pos + FREC_HDRLEN + clen + plen;
				out->type = type;
				return id == 0 ? FHEAD_MGMT : FHEAD_STRAY;
			}
			out->id = id;
			out->role = (p[pos + 8] << 8) | p[pos + 9];
			out->keep = (p[pos + 10] & FREC_KEEP_CONN) != 0;
			pos += FREC_HDRLEN + clen + plen;
			continue;
		}
		if (type != FREC_PARAMS || id != out->id)
			return head_bad(out, "record other than PARAMS "
			    "in the params");
		if (clen == 0) {
			if (ps.stage != 0 || ps.lhave != 0)
				return head_bad(out, "params end inside a "
				    "pair");
			if (have < plen)
				return FHEAD_NEED;
			out->len = pos + FREC_HDRLEN + plen;
			return FHEAD_READY;
		}
		if (scan_pairs(&ps, p, p + pos + FREC_HDRLEN,
		    have < clen ? have : clen, params_max, out) == -1)
			return FHEAD_TOO_LARGE;
		if (have < clen + plen)
			return FHEAD_NEED;
		pos += FREC_HDRLEN + clen + plen;
	}
}

/* Checks the next records of a body; see fcgirec.h. */
enum frec_body
frec_body_check(const unsigned char *p, size_t len, size_t clen,
    size_t plen, unsigned id, const char **error)
{
	size_t	h = plen;

	if (clen > 0)
		return len > 0 ? FBODY_READY : FBODY_NEED;
	if (len < FREC_HDRLEN || h > len - FREC_HDRLEN)
		return FBODY_NEED;
	if (p[h] != 1 || p[h + 1] != FREC_STDIN ||
	    (((unsigned)p[h + 2] << 8) | p[h + 3]) != id) {
		*error = "record other than STDIN in the body";
		return FBODY_BAD;
	}
	clen = ((size_t)p[h + 4] << 8) | p[h + 5];
	return clen == 0 || h + FREC_HDRLEN < len ? FBODY_READY : FBODY_NEED;
}
