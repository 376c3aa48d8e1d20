/*
 * confdump.c: the effective configuration as INI text (see confdump.h).
 * One function per section writes one line per key, in the order of
 * etc/xff-gateway.ini; a new key is one more line there.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confdump.h"
#include "ipaddr.h"

/* The longest line the INI parser reads back (iniparser: 1022 bytes). */
#define INI_LINE_MAX		1022
/* Networks on one comment line of a long trusted set. */
#define CIDRS_PER_COMMENT	4

/* A growing NUL-terminated text: the line or the list value being built. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* One dump in progress. */
struct dump {
	confdump_line_fn	 fn;
	void			*arg;
	struct sbuf		 line;		/* the line being built */
	struct sbuf		 val;		/* a list value being built */
	const char		*prefix;	/* "# " in a commented-out section */
	const char		*sec;		/* the current section, for messages */
	char			*err;
	size_t			 errcap;
	int			 failed;
};

static void	fail(struct dump *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Records the first failure of the dump, with its message in d->err. */
static void
fail(struct dump *d, const char *fmt, ...)
{
	va_list	ap;

	if (d->failed)
		return;
	d->failed = 1;
	if (d->errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errcap, fmt, ap);
	va_end(ap);
}

/* Appends the n bytes at s to sb (kept NUL-terminated); fails d when out of memory. */
static void
sb_add(struct dump *d, struct sbuf *sb, const char *s, size_t n)
{
	char	*np;
	size_t	 need, ncap;

	if (d->failed)
		return;
	if (n > SIZE_MAX / 2 - sb->len)
		goto nomem;
	need = sb->len + n + 1;
	if (need > sb->cap) {
		for (ncap = sb->cap == 0 ? 256 : sb->cap; ncap < need; )
			ncap *= 2;
		if ((np = realloc(sb->p, ncap)) == NULL)
			goto nomem;
		sb->p = np;
		sb->cap = ncap;
	}
	if (n > 0)
		memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
	return;
nomem:
	fail(d, "out of memory");
}

/* Appends the string s to sb. */
static void
sb_str(struct dump *d, struct sbuf *sb, const char *s)
{
	sb_add(d, sb, s, strlen(s));
}

/* Hands the line built so far to the callback and starts a new one. */
static void
emit(struct dump *d)
{
	sb_add(d, &d->line, "", 0);	/* a blank line has a buffer too */
	if (d->failed)
		return;
	if (d->fn(d->arg, d->line.p, d->line.len) == -1)
		fail(d, "cannot write the output");
	d->line.len = 0;
}

/* Writes one line of text as it is (a comment or a blank line). */
static void
text(struct dump *d, const char *s)
{
	sb_str(d, &d->line, s);
	emit(d);
}

/* Writes a section line and makes name the current section. */
static void
section(struct dump *d, const char *name)
{
	d->sec = name;
	sb_str(d, &d->line, d->prefix);
	sb_str(d, &d->line, "[");
	sb_str(d, &d->line, name);
	sb_str(d, &d->line, "]");
	emit(d);
}

/* Returns 1 for the white space iniparser strips from values. */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * Returns 1 when iniparser reads "key = v" back as v (v non-empty, n its
 * length): no ';' or '#' (where it cuts), no white space at either end
 * (which it strips), no quote first (it would take one for quoting) and
 * no '\' last (which joins the next line).
 */
static int
plain_ok(const char *v, size_t n)
{
	return strpbrk(v, ";#") == NULL && !is_space(v[0]) &&
	    !is_space(v[n - 1]) && v[0] != '"' && v[0] != '\'' &&
	    v[n - 1] != '\\';
}

/*
 * Writes "key = v" ("key =" for an empty v).  v is quoted when quote is
 * set or when iniparser would not read it back plain: between '"', or
 * '\'' when it holds a '"'; left plain when it holds both and reads back
 * plain.  Fails d when no form reads back as v.
 */
static void
key_value(struct dump *d, const char *key, const char *v, int quote)
{
	size_t	n = strlen(v);
	char	q = '\0';

	sb_str(d, &d->line, d->prefix);
	sb_str(d, &d->line, key);
	sb_str(d, &d->line, " =");
	if (n > 0) {
		if (strchr(v, '\n') != NULL)
			goto bad;
		if (quote || !plain_ok(v, n)) {
			if (strchr(v, '"') == NULL)
				q = '"';
			else if (strchr(v, '\'') == NULL)
				q = '\'';
			else if (!plain_ok(v, n))
				goto bad;
		}
		sb_str(d, &d->line, " ");
		if (q != '\0')
			sb_add(d, &d->line, &q, 1);
		sb_add(d, &d->line, v, n);
		if (q != '\0')
			sb_add(d, &d->line, &q, 1);
	}
	emit(d);
	return;
bad:
	fail(d, "[%s] %s: the value cannot be written in INI syntax (it "
	    "needs quotes and holds both ' and \", or a line break)",
	    d->sec, key);
}

/* Writes a string key; NULL is the empty value. */
static void
key_str(struct dump *d, const char *key, const char *v)
{
	key_value(d, key, v != NULL ? v : "", 0);
}

/* Writes a boolean key as yes or no. */
static void
key_bool(struct dump *d, const char *key, int v)
{
	key_value(d, key, v ? "yes" : "no", 0);
}

/* Writes an integer key in decimal. */
static void
key_int(struct dump *d, const char *key, int v)
{
	char	num[24];

	snprintf(num, sizeof(num), "%d", v);
	key_value(d, key, num, 0);
}

/* Writes a file mode in octal with a leading 0 ("0660"). */
static void
key_mode(struct dump *d, const char *key, int v)
{
	char	num[24];

	snprintf(num, sizeof(num), "%04o", (unsigned)v);
	key_value(d, key, num, 0);
}

/*
 * Writes seconds in plain decimal (the only form the loader reads), to
 * the nanosecond without trailing zeros; a positive value below that is
 * written with as many more decimals as it takes not to read back as 0.
 */
static void
key_seconds(struct dump *d, const char *key, double v)
{
	char	num[64];
	size_t	n;
	int	prec;

	for (prec = 9; ; prec++) {
		snprintf(num, sizeof(num), "%.*f", prec, v);
		n = strlen(num);
		if (strchr(num, '.') != NULL) {
			while (n > 0 && num[n - 1] == '0')
				n--;
			if (n > 0 && num[n - 1] == '.')
				n--;
			num[n] = '\0';
		}
		if (strcmp(num, "0") != 0 || v <= 0 || prec >= 40)
			break;
	}
	key_value(d, key, num, 0);
}

/* Writes a socket address as unix:/PATH, IPv4:PORT or [IPv6]:PORT. */
static void
key_sock(struct dump *d, const char *key, const struct sockspec *s)
{
	char	ip[IP_TEXT_MAX], port[16];

	d->val.len = 0;
	sb_add(d, &d->val, "", 0);
	if (s->kind == SOCK_UNIX) {
		sb_str(d, &d->val, "unix:");
		sb_str(d, &d->val, s->path);
	} else if (s->kind == SOCK_TCP) {
		ip_format(&s->ip, ip);
		snprintf(port, sizeof(port), ":%u", s->port);
		if (s->ip.family == 6)
			sb_str(d, &d->val, "[");
		sb_str(d, &d->val, ip);
		if (s->ip.family == 6)
			sb_str(d, &d->val, "]");
		sb_str(d, &d->val, port);
	}
	if (!d->failed)
		key_value(d, key, d->val.p, 0);
}

/* Appends to d->val the networks from..to-1 of set as canonical CIDRs, separated by spaces. */
static void
add_cidrs(struct dump *d, const struct cidrset *set, size_t from, size_t to)
{
	char	ip[IP_TEXT_MAX], len[16];
	size_t	i;

	for (i = from; i < to; i++) {
		if (d->val.len > 0)
			sb_str(d, &d->val, " ");
		ip_format(&set->v[i].net, ip);
		snprintf(len, sizeof(len), "/%u", set->v[i].plen);
		sb_str(d, &d->val, ip);
		sb_str(d, &d->val, len);
	}
}

/*
 * Puts the first n networks of set in d->val as canonical CIDRs, then
 * "unix:" when the set has it.
 */
static void
cidrs_value(struct dump *d, const struct cidrset *set, size_t n)
{
	d->val.len = 0;
	sb_add(d, &d->val, "", 0);
	add_cidrs(d, set, 0, n);
	if (set->has_unix)
		sb_str(d, &d->val, d->val.len > 0 ? " unix:" : "unix:");
}

/* Writes an address list: each network as canonical CIDR, then "unix:". */
static void
key_cidrs(struct dump *d, const char *key, const struct cidrset *set)
{
	cidrs_value(d, set, set->n);
	if (!d->failed)
		key_value(d, key, d->val.p, 0);
}

/*
 * Writes the networks from..to-1 of set as comment lines "#   NET NET
 * ...", a few to a line.
 */
static void
comment_cidrs(struct dump *d, const struct cidrset *set, size_t from,
    size_t to)
{
	size_t	i;

	for (i = from; i < to; i += CIDRS_PER_COMMENT) {
		d->val.len = 0;
		sb_add(d, &d->val, "", 0);
		add_cidrs(d, set, i, to - i > CIDRS_PER_COMMENT ?
		    i + CIDRS_PER_COMMENT : to);
		sb_str(d, &d->line, "#   ");
		if (!d->failed)
			sb_str(d, &d->line, d->val.p);
		emit(d);
	}
}

/*
 * Writes a list of strings separated by spaces, the whole value quoted
 * when quote is 1 (exempt patterns) and never when 0 (paths).
 */
static void
key_list(struct dump *d, const char *key, char *const *v, size_t n,
    int quote)
{
	size_t	i;

	d->val.len = 0;
	sb_add(d, &d->val, "", 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_str(d, &d->val, " ");
		sb_str(d, &d->val, v[i]);
	}
	if (!d->failed)
		key_value(d, key, d->val.p, quote);
}

/*
 * Writes strip_headers: each CGI name ("HTTP_X_REAL_IP") as the header
 * name it stands for ("X-Real-Ip"), which the loader maps back to it.
 */
static void
key_headers(struct dump *d, const char *key, char *const *v, size_t n)
{
	const char	*p;
	size_t		 i;
	char		 c;
	int		 first;

	d->val.len = 0;
	sb_add(d, &d->val, "", 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_str(d, &d->val, " ");
		p = v[i];
		if (strncmp(p, "HTTP_", 5) == 0)
			p += 5;
		for (first = 1; *p != '\0'; p++) {
			c = *p;
			if (c == '_') {
				c = '-';
				first = 1;
			} else {
				if (!first && c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				first = 0;
			}
			sb_add(d, &d->val, &c, 1);
		}
	}
	if (!d->failed)
		key_value(d, key, d->val.p, 0);
}

/* Writes [gateway], commented out when the file had none. */
static void
dump_gateway(struct dump *d, const struct config *cfg)
{
	if (!cfg->has_gateway) {
		text(d, "# The file has no [gateway] section (xff-gateway "
		    "needs one to run);");
		text(d, "# its defaults:");
		d->prefix = "# ";
	}
	section(d, "gateway");
	key_sock(d, "listen", &cfg->listen);
	key_str(d, "listen_owner", cfg->listen_owner);
	key_str(d, "listen_group", cfg->listen_group);
	key_mode(d, "listen_mode", cfg->listen_mode);
	key_sock(d, "backend", &cfg->backend);
	key_int(d, "workers", cfg->workers);
	key_seconds(d, "connect_timeout", cfg->connect_timeout);
	key_seconds(d, "backend_timeout", cfg->backend_timeout);
	key_bool(d, "keep_conn", cfg->keep_conn);
	key_int(d, "backend_max_conns", cfg->backend_max_conns);
	key_seconds(d, "backend_idle_timeout", cfg->backend_idle_timeout);
	key_seconds(d, "backend_wait_warn", cfg->backend_wait_warn);
	key_seconds(d, "front_timeout", cfg->front_timeout);
	key_int(d, "max_conns", cfg->max_conns);
	key_str(d, "user", cfg->user);
	key_str(d, "group", cfg->group);
	key_str(d, "pid", cfg->pid_file);
	key_str(d, "status_uri", cfg->status_uri);
	key_cidrs(d, "status_allow", &cfg->status_allow);
	d->prefix = "";
}

/*
 * Writes the trusted set: proxies lists every network, those of
 * proxies_file included (reading the files again adds nothing), unless
 * that line would be too long for the INI parser: then proxies holds the
 * networks written in the key itself, and comment lines before it list
 * the whole set.  proxies_file follows, its paths as resolved.
 */
static void
dump_proxies(struct dump *d, const struct config *cfg)
{
	char	num[128];
	size_t	inl = cfg->proxies_inline;

	cidrs_value(d, &cfg->proxies, cfg->proxies.n);
	if (!d->failed && strlen("proxies = ") + d->val.len > INI_LINE_MAX) {
		if (inl > cfg->proxies.n)
			inl = cfg->proxies.n;
		snprintf(num, sizeof(num), "# The trusted set: %zu networks%s, "
		    "%zu of them from proxies_file:", cfg->proxies.n,
		    cfg->proxies.has_unix ? " and unix:" : "",
		    cfg->proxies.n - inl);
		text(d, num);
		comment_cidrs(d, &cfg->proxies, 0, cfg->proxies.n);
		cidrs_value(d, &cfg->proxies, inl);
	}
	if (!d->failed)
		key_value(d, "proxies", d->val.p, 0);
	key_list(d, "proxies_file", cfg->proxies_files, cfg->nproxies_files,
	    0);
}

/* Writes [trust]. */
static void
dump_trust(struct dump *d, const struct config *cfg)
{
	section(d, "trust");
	key_int(d, "x_for", cfg->x_for);
	key_int(d, "x_proto", cfg->x_proto);
	key_int(d, "x_host", cfg->x_host);
	key_int(d, "x_port", cfg->x_port);
	key_int(d, "x_prefix", cfg->x_prefix);
	key_int(d, "forwarded", cfg->forwarded);
	dump_proxies(d, cfg);
}

/* Writes [rules], header_required as resolved. */
static void
dump_rules(struct dump *d, const struct config *cfg)
{
	section(d, "rules");
	key_bool(d, "strict", cfg->strict);
	key_bool(d, "always_proxy", cfg->always_proxy);
	key_bool(d, "no_spoofing", cfg->no_spoofing);
	key_bool(d, "header_required", cfg->header_required);
	key_bool(d, "loose_unsafe", cfg->loose);
	key_bool(d, "clean", cfg->clean);
	key_bool(d, "rewrite_remote_addr", cfg->rewrite_remote_addr);
	key_list(d, "exempt", cfg->exempt_src, cfg->nexempt, 1);
	key_bool(d, "exempt_stealth", cfg->exempt_stealth);
	key_bool(d, "keep_original", cfg->keep_original);
	key_bool(d, "strip_proxy_header", cfg->strip_proxy_header);
	key_headers(d, "strip_headers", cfg->strip_headers, cfg->nstrip);
}

/* Writes [cgi] and [log]. */
static void
dump_cgi_log(struct dump *d, const struct config *cfg)
{
	section(d, "cgi");
	key_str(d, "program", cfg->cgi_program);
	text(d, "");
	section(d, "log");
	key_str(d, "level", log_level_name(cfg->log_level));
	key_str(d, "target", cfg->log_target == LOG_TO_FILE ? cfg->log_file :
	    cfg->log_target == LOG_TO_SYSLOG ? "syslog" : "stderr");
}

/* Writes cfg as INI text through fn (see confdump.h). */
int
confdump(const struct config *cfg, confdump_line_fn fn, void *arg,
    char *err, size_t errcap)
{
	struct dump	d;

	memset(&d, 0, sizeof(d));
	d.fn = fn;
	d.arg = arg;
	d.prefix = "";
	d.sec = "";
	d.err = err;
	d.errcap = errcap;
	if (errcap > 0)
		err[0] = '\0';
	dump_gateway(&d, cfg);
	text(&d, "");
	dump_trust(&d, cfg);
	text(&d, "");
	dump_rules(&d, cfg);
	text(&d, "");
	dump_cgi_log(&d, cfg);
	free(d.line.p);
	free(d.val.p);
	return d.failed ? -1 : 0;
}
