/*
 * fwdlist.c: splitting of X-Forwarded-* and Forwarded values.
 */
#include <string.h>

#include "fwdlist.h"

/* Records one element found by a right-to-left scan. */
static void
xlist_take(struct xlist *l, const char *p, size_t len)
{
	struct xstr	e = xstr_trim((struct xstr){ p, len });

	if (e.len == 0)
		return;
	if (l->nkept < XLIST_KEEP)
		l->r[l->nkept++] = e;
	l->leftmost = e;
	l->n++;
}

/* Returns 1 when the quote at v[i] is escaped by an odd run of '\'. */
static int
quote_escaped(struct xstr v, size_t i)
{
	size_t	n = 0;

	while (i > 0 && v.p[i - 1] == '\\') {
		n++;
		i--;
	}
	return n % 2 == 1;
}

/*
 * Splits on commas from the right; with quotes 1, a comma inside a quoted
 * string does not split.
 */
static void
split(struct xstr v, struct xlist *l, int quotes)
{
	size_t	i, end;
	int	inq = 0;

	l->n = 0;
	l->nkept = 0;
	l->leftmost = XSTR_NULL;
	if (v.p == NULL)
		return;
	end = v.len;
	for (i = v.len; i > 0; i--) {
		if (quotes && v.p[i - 1] == '"') {
			if (!inq)
				inq = 1;
			else if (!quote_escaped(v, i - 1))
				inq = 0;
			continue;
		}
		if (v.p[i - 1] != ',' || inq)
			continue;
		xlist_take(l, v.p + i, end - i);
		end = i - 1;
	}
	xlist_take(l, v.p, end);
}

/* Splits on plain commas, from the right. */
void
xlist_parse(struct xstr v, struct xlist *l)
{
	split(v, l, 0);
}

/* Splits on commas outside quoted strings, from the right. */
void
fwd_split(struct xstr v, struct xlist *l)
{
	split(v, l, 1);
}

/* Returns 1 for a byte allowed inside a quoted string (qdtext or escaped). */
static int
is_qchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/*
 * Reads a quoted string starting at s.p[*pos] == '"'.  Sets *val to the
 * unescaped content (copied into a only when it held escapes).  Returns
 * 1 on success, 0 on a syntax error, -1 when out of memory.
 */
static int
read_quoted(struct xstr s, size_t *pos, struct xstr *val, struct arena *a)
{
	size_t		 i = *pos + 1, start = i, nesc = 0, k;
	char		*copy;

	for (;;) {
		if (i >= s.len)
			return 0;
		if (s.p[i] == '"')
			break;
		if (s.p[i] == '\\') {
			if (i + 1 >= s.len ||
			    !is_qchar((unsigned char)s.p[i + 1]))
				return 0;
			nesc++;
			i += 2;
			continue;
		}
		if (!is_qchar((unsigned char)s.p[i]))
			return 0;
		i++;
	}
	*pos = i + 1;
	if (nesc == 0) {
		val->p = s.p + start;
		val->len = i - start;
		return 1;
	}
	if ((copy = arena_alloc(a, i - start)) == NULL)
		return -1;
	for (k = 0; start < i; start++) {
		if (s.p[start] == '\\')
			start++;
		copy[k++] = s.p[start];
	}
	val->p = copy;
	val->len = k;
	return 1;
}

/* Returns the slot of e for a parameter name, or NULL for an extension. */
static struct fwd_pair *
pair_slot(struct fwd_elem *e, struct xstr name)
{
	if (xstr_caseeqc(name, "for"))
		return &e->f_for;
	if (xstr_caseeqc(name, "by"))
		return &e->f_by;
	if (xstr_caseeqc(name, "proto"))
		return &e->f_proto;
	if (xstr_caseeqc(name, "host"))
		return &e->f_host;
	return NULL;
}

/* Skips spaces and tabs. */
static void
skip_ws(struct xstr s, size_t *pos)
{
	while (*pos < s.len && (s.p[*pos] == ' ' || s.p[*pos] == '\t'))
		(*pos)++;
}

/* Names of the pairs seen in one element, to refuse repeats. */
#define FWD_MAX_PAIRS	16
struct seen {
	struct xstr	name[FWD_MAX_PAIRS];
	size_t		n;
};

/* Records name; returns 0, or -1 when it was seen already or too many. */
static int
seen_add(struct seen *sn, struct xstr name)
{
	size_t	i, k;
	int	same;

	for (i = 0; i < sn->n; i++) {
		if (sn->name[i].len != name.len)
			continue;
		same = 1;
		for (k = 0; k < name.len && same; k++)
			same = (sn->name[i].p[k] | 0x20) == (name.p[k] | 0x20);
		if (same)
			return -1;
	}
	if (sn->n == FWD_MAX_PAIRS)
		return -1;
	sn->name[sn->n++] = name;
	return 0;
}

/*
 * Parses one pair at *pos.  Returns 1 on success, 0 on a syntax error
 * or a repeated parameter, -1 when out of memory.
 */
static int
read_pair(struct xstr s, size_t *pos, struct fwd_elem *e, struct seen *sn,
    struct arena *a)
{
	struct xstr	 name, val;
	struct fwd_pair	*slot;
	size_t		 start = *pos, i = *pos;
	int		 rc;

	while (i < s.len && xstr_istchar((unsigned char)s.p[i]))
		i++;
	if (i == start || i >= s.len || s.p[i] != '=')
		return 0;
	name.p = s.p + start;
	name.len = i - start;
	i++;
	if (i < s.len && s.p[i] == '"') {
		if ((rc = read_quoted(s, &i, &val, a)) != 1)
			return rc;
	} else {
		val.p = s.p + i;
		while (i < s.len && xstr_istchar((unsigned char)s.p[i]))
			i++;
		val.len = (size_t)(s.p + i - val.p);
		if (val.len == 0)
			return 0;
	}
	*pos = i;
	if (seen_add(sn, name) == -1)
		return 0;
	if ((slot = pair_slot(e, name)) == NULL)
		return 1;	/* an extension parameter: syntax checked only */
	slot->present = 1;
	slot->pos = (int)sn->n;
	slot->raw.p = s.p + start;
	slot->raw.len = i - start;
	slot->value = val;
	return 1;
}

/* Parses one Forwarded element. */
int
fwd_elem_parse(struct xstr raw, struct fwd_elem *e, struct arena *a)
{
	struct seen	sn;
	size_t		pos = 0;
	int		rc;

	memset(e, 0, sizeof(*e));
	sn.n = 0;
	for (;;) {
		skip_ws(raw, &pos);
		if (pos < raw.len && raw.p[pos] != ';') {
			if ((rc = read_pair(raw, &pos, e, &sn, a)) != 1)
				return rc == -1 ? -1 : 0;
			skip_ws(raw, &pos);
		}
		if (pos >= raw.len)
			break;
		if (raw.p[pos] != ';')
			return 0;
		pos++;
	}
	e->valid = 1;
	return 0;
}
