/*
 * xstr.c: helpers for counted byte strings.
 */
#include "xstr.h"

/* Returns the ASCII lower case of c; other bytes unchanged. */
static unsigned char
lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

/* Returns 1 when a equals s ignoring ASCII case. */
int
xstr_caseeqc(struct xstr a, const char *s)
{
	size_t	i, n;

	n = strlen(s);
	if (a.len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Returns a with leading and trailing spaces and tabs removed. */
struct xstr
xstr_trim(struct xstr a)
{
	while (a.len > 0 && (a.p[0] == ' ' || a.p[0] == '\t')) {
		a.p++;
		a.len--;
	}
	while (a.len > 0 && (a.p[a.len - 1] == ' ' || a.p[a.len - 1] == '\t'))
		a.len--;
	return a;
}

/* Returns 1 when a is empty or holds only spaces, tabs and commas. */
int
xstr_blank(struct xstr a)
{
	size_t	i;

	for (i = 0; i < a.len; i++)
		if (a.p[i] != ' ' && a.p[i] != '\t' && a.p[i] != ',')
			return 0;
	return 1;
}
