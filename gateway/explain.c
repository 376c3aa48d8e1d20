/*
 * explain.c: shows what the correction decides for a set of params,
 * without any socket.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correct.h"
#include "escape.h"
#include "explain.h"

/* Prints s escaped for one line of --explain output. */
static void
put_escaped(FILE *out, struct xstr s)
{
	char	 small[512], *buf = small;
	size_t	 need;

	need = escape_explain(s, small, sizeof(small));
	if (need >= sizeof(small)) {
		if ((buf = malloc(need + 1)) == NULL) {
			fputs("(out of memory)", out);
			return;
		}
		escape_explain(s, buf, need + 1);
	}
	fputs(buf, out);
	if (buf != small)
		free(buf);
}

/* Reads "NAME=VALUE" lines from in into a NULL-terminated vector. */
static char **
read_lines(FILE *in, size_t *count)
{
	char	**v = NULL, **nv, *line = NULL;
	size_t	  n = 0, cap = 0, lcap = 0;
	ssize_t	  len;

	while ((len = getline(&line, &lcap, in)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (n + 1 >= cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[n] = strdup(line)) == NULL)
			goto fail;
		n++;
	}
	if (ferror(in))
		goto fail;
	free(line);
	*count = n;
	if (v == NULL)
		v = calloc(1, sizeof(*v));
	return v;
fail:
	free(line);
	while (n > 0)
		free(v[--n]);
	free(v);
	return NULL;
}

/* Prints the decision, the events and the params. */
static void
print_result(const struct result *r, FILE *out)
{
	char	line[2048];
	size_t	i;

	fprintf(out, "status: %d\n", r->status);
	fprintf(out, "reason: %s\n",
	    r->reason == EV_NONE ? "-" : event_name(r->reason));
	for (i = 0; i < r->nev; i++) {
		event_format(r, i, line, sizeof(line));
		fprintf(out, "log: %s %s\n", log_level_name(r->ev[i].level),
		    line);
	}
	fputs("params:\n", out);
	if (r->status != 200)
		return;
	for (i = 0; i < r->out.n; i++) {
		put_escaped(out, r->out.v[i].name);
		fputc('=', out);
		put_escaped(out, r->out.v[i].value);
		fputc('\n', out);
	}
}

/* Runs the correction on the given params and prints the outcome. */
int
explain_run(const struct config *cfg, int argc, char **argv, FILE *in,
    FILE *out, FILE *err)
{
	struct param	*p = NULL;
	struct result	 r;
	char		**lines = NULL;
	size_t		  n = 0, i;
	int		  rc = 1;

	result_init(&r);
	if (argc == 0) {
		if ((lines = read_lines(in, &n)) == NULL) {
			fputs("xff-gateway: cannot read params from stdin\n", err);
			goto done;
		}
		argv = lines;
	} else
		n = (size_t)argc;
	if ((p = calloc(n + 1, sizeof(*p))) == NULL) {
		fputs("xff-gateway: out of memory\n", err);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (strchr(argv[i], '=') == NULL || argv[i][0] == '=') {
			fprintf(err, "xff-gateway: --explain: \"%s\" is not "
			    "NAME=VALUE\n", argv[i]);
			goto done;
		}
		p[i] = param_from_env(argv[i]);
	}
	if (xff_correct(cfg, p, n, &r) == -1) {
		fputs("xff-gateway: out of memory\n", err);
		goto done;
	}
	print_result(&r, out);
	rc = 0;
done:
	result_free(&r);
	free(p);
	if (lines != NULL) {
		for (i = 0; i < n; i++)
			free(lines[i]);
		free(lines);
	}
	return rc;
}
