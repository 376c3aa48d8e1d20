/*
 * logfmt.c: pieces of log lines that need no I/O (see logfmt.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "escape.h"
#include "ipaddr.h"
#include "logfmt.h"

#define PROXIES_MAX	1024	/* bytes of the proxies list before "..." */
#define PATH_MAX_LOG	512	/* input bytes of the path before "..." */

/* The text of a boolean as the INI file spells it. */
#define YN(b)		((b) ? "yes" : "no")

/* ISO 8601 local time with offset (logfmt.h). */
size_t
logfmt_stamp(const struct tm *tm, long gmtoff, char *buf, size_t cap)
{
	long	off = gmtoff < 0 ? -gmtoff : gmtoff;
	int	n;

	if (cap == 0)
		return 0;
	n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld%02ld",
	    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
	    tm->tm_min, tm->tm_sec, gmtoff < 0 ? '-' : '+', off / 3600,
	    off % 3600 / 60);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* Writes one log line; see logfmt.h. */
size_t
logfmt_line(char *out, size_t cap, const char *stamp, const char *prog,
    long pid, const char *level, const char *text)
{
	int	n;

	n = snprintf(out, cap, "%s%s%s[%ld]: %s %s\n",
	    stamp != NULL ? stamp : "", stamp != NULL && *stamp != '\0' ?
	    " " : "", prog, pid, level, text);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)n >= cap) {
		out[cap - 2] = '\n';
		return cap - 1;
	}
	return (size_t)n;
}

/*
 * Reads the decimal digits at *sp into *v (at least one, no sign, no
 * overflow) and moves *sp past them.  Returns 0, or -1.
 */
static int
read_decimal(const char **sp, unsigned long long *v)
{
	const char		*s = *sp;
	unsigned long long	 d;

	*v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned long long)(*s - '0');
		if (*v > (~0ULL - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	*sp = s;
	return 0;
}

/* JOURNAL_STREAM names dev and ino (logfmt.h). */
int
logfmt_journal_match(const char *s, unsigned long long dev,
    unsigned long long ino)
{
	unsigned long long	d, i;

	if (s == NULL || read_decimal(&s, &d) == -1 || *s++ != ':' ||
	    read_decimal(&s, &i) == -1 || *s != '\0')
		return 0;
	return d == dev && i == ino;
}

/* An output buffer that never overflows; full once something did not fit. */
struct out {
	char	*p;
	size_t	 cap;
	size_t	 len;
	int	 full;
};

/* Appends printf-style text to o, or marks it full (o->p stays terminated). */
static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->p[o->len] = '\0';
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

/*
 * Writes the trusted proxies of set into buf (cap > PROXIES_MAX + 4):
 * "NET/LEN,...,unix:", "-" when empty, "..." after PROXIES_MAX bytes.
 */
static void
proxies_text(const struct cidrset *set, char *buf, size_t cap)
{
	struct out	 o = { buf, cap, 0, 0 };
	char		 ip[IP_TEXT_MAX], one[IP_TEXT_MAX + 8];
	size_t		 i;
	int		 n;

	buf[0] = '\0';
	for (i = 0; i <= set->n; i++) {
		if (i < set->n) {
			ip_format(&set->v[i].net, ip);
			n = snprintf(one, sizeof(one), "%s/%u", ip,
			    set->v[i].plen);
		} else if (set->has_unix)
			n = snprintf(one, sizeof(one), "unix:");
		else
			break;
		if (n < 0)
			break;
		if (o.len + (o.len > 0) + (size_t)n > PROXIES_MAX) {
			put(&o, "%s...", o.len > 0 ? "," : "");
			return;
		}
		put(&o, "%s%s", o.len > 0 ? "," : "", one);
	}
	if (o.len == 0)
		put(&o, "-");
}

/* The fields of the "config" log line (logfmt.h). */
size_t
logfmt_config(const struct config *cfg, const char *path, char *out,
    size_t cap)
{
	struct out	 o = { out, cap, 0, 0 };
	char		 epath[PATH_MAX_LOG * 4 + 4], proxies[PROXIES_MAX + 8];

	if (cap == 0)
		return 0;
	out[0] = '\0';
	escape_log(xstr_c(path != NULL ? path : "-"), PATH_MAX_LOG, epath,
	    sizeof(epath));
	proxies_text(&cfg->proxies, proxies, sizeof(proxies));
	put(&o, "path=%s proxies=%s x_for=%d x_proto=%d x_host=%d x_port=%d "
	    "x_prefix=%d forwarded=%d", epath, proxies, cfg->x_for,
	    cfg->x_proto, cfg->x_host, cfg->x_port, cfg->x_prefix,
	    cfg->forwarded);
	put(&o, " strict=%s always_proxy=%s no_spoofing=%s header_required=%s "
	    "loose_unsafe=%s clean=%s rewrite_remote_addr=%s exempt=%zu "
	    "exempt_stealth=%s keep_original=%s", YN(cfg->strict),
	    YN(cfg->always_proxy), YN(cfg->no_spoofing),
	    YN(cfg->header_required), YN(cfg->loose), YN(cfg->clean),
	    YN(cfg->rewrite_remote_addr), cfg->nexempt,
	    YN(cfg->exempt_stealth), YN(cfg->keep_original));
	return o.len;
}
