/*
 * config.c: the configuration (SPEC 2): defaults, and the strict
 * validation of every section, key and value of a parsed INI document.
 * Pure: the file is read and parsed by the caller (conf/confload.c).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confval.h"
#include "proxylist.h"
#include "xstr.h"

static const char *const gateway_keys[] = {
	"listen", "listen_owner", "listen_group", "listen_mode", "backend",
	"workers", "connect_timeout", "backend_timeout", "keep_conn",
	"backend_max_conns", "backend_idle_timeout", "backend_wait_warn",
	"front_timeout", "max_conns", "user", "group", "pid", "status_uri",
	"status_allow", NULL
};
static const char *const trust_keys[] = {
	"x_for", "x_proto", "x_host", "x_port", "x_prefix", "forwarded",
	"proxies", "proxies_file", NULL
};
static const char *const rules_keys[] = {
	"strict", "always_proxy", "no_spoofing", "header_required",
	"loose_unsafe", "clean", "rewrite_remote_addr", "exempt",
	"exempt_stealth", "keep_original", "strip_proxy_header",
	"strip_headers", NULL
};
static const char *const cgi_keys[] = { "program", NULL };
static const char *const log_keys[] = { "level", "target", NULL };

static const struct section {
	const char		*name;
	const char *const	*keys;
} sections[] = {
	{ "gateway",	gateway_keys },
	{ "trust",	trust_keys },
	{ "rules",	rules_keys },
	{ "cgi",	cgi_keys },
	{ "log",	log_keys },
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

#define DEFAULT_STATUS_ALLOW	"127.0.0.1/32 ::1/128"
#define DEFAULT_STRIP_HEADERS						\
	"X-Forwarded-Ssl X-Forwarded-Scheme X-Url-Scheme Front-End-Https "	\
	"X-Real-IP Client-IP True-Client-IP X-Client-IP "		\
	"X-Cluster-Client-IP X-Forwarded-Server X-Forwarded Forwarded-For"




/* One validation in progress. */
struct load {
	struct dsink		 ds;
	struct config		*cfg;
	const struct ini_doc	*doc;
};

/* Returns the value of sec:key in the document, or NULL when absent. */
static const char *
getval(struct load *l, const char *sec, const char *key)
{
	const struct ini_entry	*en;
	size_t			 i;

	for (i = 0; i < l->doc->n; i++) {
		en = &l->doc->v[i];
		if (en->key != NULL && strcmp(en->section, sec) == 0 &&
		    strcmp(en->key, key) == 0)
			return en->value;
	}
	return NULL;
}

/* Reads a boolean key into *dst when present. */
static void
get_bool(struct load *l, const char *sec, const char *key, int *dst)
{
	const char	*v;
	char		 e[DIAG_ESC_CAP];

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (conf_parse_bool(v, dst) == -1)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is not a boolean "
		    "(yes/no/true/false/on/off/1/0)", diag_esc(v, e));
}

/* Reads an integer key from min to max into *dst when present. */
static void
get_int(struct load *l, const char *sec, const char *key, long min,
    long max, int *dst)
{
	const char	*v;
	char		 e[DIAG_ESC_CAP];
	long		 n;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (conf_parse_digits(v, &n) == -1)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is not a whole number "
		    "(%ld to %ld)", diag_esc(v, e), min, max);
	else if (n < min || n > max)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is out of range (%ld to %ld)",
		    diag_esc(v, e), min, max);
	else
		*dst = (int)n;
}

/* Reads a timeout (seconds, above 0, at most 86400) into *dst when present. */
static void
get_seconds(struct load *l, const char *sec, const char *key, double *dst)
{
	const char	*v;
	char		 e[DIAG_ESC_CAP];
	double		 x;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (conf_parse_seconds(v, &x) == -1)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is not a number of seconds "
		    "(such as 5 or 0.5)", diag_esc(v, e));
	else if (x <= 0 || x > 86400)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is out of range (above 0, "
		    "at most 86400 seconds)", diag_esc(v, e));
	else
		*dst = x;
}

/* Reads a string key into *dst when present (empty gives NULL). */
static void
get_str(struct load *l, const char *sec, const char *key, char **dst)
{
	const char	*v;
	char		*s = NULL;

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (*v != '\0' && (s = conf_dupn(v, strlen(v))) == NULL) {
		dnomem(&l->ds);
		return;
	}
	free(*dst);
	*dst = s;
}

/* Reads a file mode into *dst when present ("0660", "660"). */
static void
get_mode(struct load *l, const char *sec, const char *key, int *dst)
{
	const char	*v;
	char		 e[DIAG_ESC_CAP];

	if ((v = getval(l, sec, key)) != NULL &&
	    conf_parse_mode(v, dst) == -1)
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is not a file mode "
		    "(octal, such as 0660, at most 0777)", diag_esc(v, e));
}

/*
 * Reads an absolute file path into *dst when present (empty gives NULL):
 * it starts with '/' and holds no control character.
 */
static void
get_path(struct load *l, const char *sec, const char *key, char **dst)
{
	const char	*v;
	char		 e[DIAG_ESC_CAP];
	size_t		 i;

	if ((v = getval(l, sec, key)) == NULL || *v == '\0') {
		if (v != NULL) {
			free(*dst);
			*dst = NULL;
		}
		return;
	}
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			break;
	if (v[0] != '/' || v[i] != '\0' || i >= 4096) {
		dsaykey(&l->ds, 1, sec, key, "\"%s\" is not an absolute path",
		    diag_esc(v, e));
		return;
	}
	get_str(l, sec, key, dst);
}

/* Reads a socket address into *dst when present (empty gives SOCK_NONE). */
static void
get_sock(struct load *l, const char *sec, const char *key,
    struct sockspec *dst)
{
	const char	*v, *why = "invalid";
	char		 e[DIAG_ESC_CAP];

	if ((v = getval(l, sec, key)) == NULL)
		return;
	if (*v == '\0') {
		memset(dst, 0, sizeof(*dst));
		return;
	}
	if (sockspec_parse(v, dst, &why) == -1)
		dsaykey(&l->ds, 1, sec, key, "\"%s\": %s", diag_esc(v, e), why);
}

/* Reads an address list into *dst when present. */
static void
get_cidrs(struct load *l, const char *sec, const char *key,
    struct cidrset *dst)
{
	const char	*v;

	if ((v = getval(l, sec, key)) != NULL)
		(void)conf_parse_cidrs(&l->ds, sec, key, v, dst);
}

/* Validates and reads [gateway]. */
static void
load_gateway(struct load *l)
{
	struct config	*cfg = l->cfg;
	const char	*v;
	char		 e[DIAG_ESC_CAP];
	size_t		 i;

	get_sock(l, "gateway", "listen", &cfg->listen);
	get_sock(l, "gateway", "backend", &cfg->backend);
	get_int(l, "gateway", "workers", 1, 4096, &cfg->workers);
	get_seconds(l, "gateway", "connect_timeout", &cfg->connect_timeout);
	get_seconds(l, "gateway", "backend_timeout", &cfg->backend_timeout);
	get_bool(l, "gateway", "keep_conn", &cfg->keep_conn);
	get_int(l, "gateway", "backend_max_conns", 0, 4096,
	    &cfg->backend_max_conns);
	get_seconds(l, "gateway", "backend_idle_timeout",
	    &cfg->backend_idle_timeout);
	get_seconds(l, "gateway", "backend_wait_warn", &cfg->backend_wait_warn);
	get_seconds(l, "gateway", "front_timeout", &cfg->front_timeout);
	get_int(l, "gateway", "max_conns", 1, 65536, &cfg->max_conns);
	if (cfg->backend_max_conns > cfg->workers)
		dsaykey(&l->ds, 0, "gateway", "backend_max_conns", "%d is above "
		    "workers (%d), which already bounds the connections in use",
		    cfg->backend_max_conns, cfg->workers);
	get_str(l, "gateway", "listen_owner", &cfg->listen_owner);
	get_str(l, "gateway", "listen_group", &cfg->listen_group);
	get_mode(l, "gateway", "listen_mode", &cfg->listen_mode);
	get_path(l, "gateway", "pid", &cfg->pid_file);
	get_str(l, "gateway", "user", &cfg->user);
	get_str(l, "gateway", "group", &cfg->group);
	if ((v = getval(l, "gateway", "status_uri")) != NULL && *v != '\0') {
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] <= 0x20 ||
			    (unsigned char)v[i] >= 0x7f || v[i] == '?')
				break;
		if (v[0] != '/' || v[i] != '\0')
			dsaykey(&l->ds, 1, "gateway", "status_uri", "\"%s\" is not "
			    "a path (it starts with / and holds no space, "
			    "control character or '?')", diag_esc(v, e));
	}
	get_str(l, "gateway", "status_uri", &cfg->status_uri);
	get_cidrs(l, "gateway", "status_allow", &cfg->status_allow);
	if (cfg->listen.kind != SOCK_UNIX && (cfg->listen_owner != NULL ||
	    cfg->listen_group != NULL || cfg->listen_mode != 0660))
		dsay(&l->ds, 0, "[gateway] listen_owner, listen_group, "
		    "listen_mode: apply only to a socket the gateway creates "
		    "(listen = unix:...)");
}

/*
 * Validates and reads [trust]: proxies with each network once (the
 * entries of proxies_file are added by the caller that reads the files),
 * and the paths of proxies_file resolved against the file's directory.
 */
static void
load_trust(struct load *l)
{
	struct config	*cfg = l->cfg;
	const char	*v;

	get_int(l, "trust", "x_for", 0, XFF_DEPTH_MAX, &cfg->x_for);
	get_int(l, "trust", "x_proto", 0, XFF_DEPTH_MAX, &cfg->x_proto);
	get_int(l, "trust", "x_host", 0, XFF_DEPTH_MAX, &cfg->x_host);
	get_int(l, "trust", "x_port", 0, XFF_DEPTH_MAX, &cfg->x_port);
	get_int(l, "trust", "x_prefix", 0, XFF_DEPTH_MAX, &cfg->x_prefix);
	get_int(l, "trust", "forwarded", 0, XFF_DEPTH_MAX, &cfg->forwarded);
	get_cidrs(l, "trust", "proxies", &cfg->proxies);
	if (proxylist_dedupe(&cfg->proxies) == -1)
		dnomem(&l->ds);
	cfg->proxies_inline = cfg->proxies.n;
	if ((v = getval(l, "trust", "proxies_file")) != NULL)
		(void)proxylist_paths(&l->ds, cfg->path, v, &cfg->proxies_files,
		    &cfg->nproxies_files);
}

/* Validates and reads [rules]; resolves header_required. */
static void
load_rules(struct load *l)
{
	struct config	*cfg = l->cfg;
	const char	*v;
	int		 hr = -1;

	get_bool(l, "rules", "strict", &cfg->strict);
	get_bool(l, "rules", "always_proxy", &cfg->always_proxy);
	get_bool(l, "rules", "no_spoofing", &cfg->no_spoofing);
	if ((v = getval(l, "rules", "header_required")) != NULL &&
	    *v != '\0')
		get_bool(l, "rules", "header_required", &hr);
	get_bool(l, "rules", "loose_unsafe", &cfg->loose);
	get_bool(l, "rules", "clean", &cfg->clean);
	get_bool(l, "rules", "rewrite_remote_addr",
	    &cfg->rewrite_remote_addr);
	if ((v = getval(l, "rules", "exempt")) != NULL)
		(void)conf_parse_exempt(&l->ds, v, cfg);
	get_bool(l, "rules", "exempt_stealth", &cfg->exempt_stealth);
	get_bool(l, "rules", "keep_original", &cfg->keep_original);
	get_bool(l, "rules", "strip_proxy_header", &cfg->strip_proxy_header);
	if ((v = getval(l, "rules", "strip_headers")) != NULL)
		(void)conf_parse_strip(&l->ds, v, &cfg->strip_headers, &cfg->nstrip);

	cfg->header_required = hr >= 0 ? hr :
	    (cfg->strict || cfg->always_proxy);
	if (cfg->loose)
		dsaykey(&l->ds, 0, "rules", "loose_unsafe", "on: client addresses "
		    "are taken without any check (for development only)");
}

/* Validates and reads [cgi] and [log]. */
static void
load_cgi_log(struct load *l)
{
	static const char *const levels[] = {
		"error", "warning", "info", "debug"
	};
	struct config	*cfg = l->cfg;
	const char	*v;
	char		 e[DIAG_ESC_CAP];
	size_t		 i;

	get_str(l, "cgi", "program", &cfg->cgi_program);
	if ((v = getval(l, "log", "level")) != NULL) {
		for (i = 0; i < 4; i++)
			if (xstr_caseeqc(xstr_c(v), levels[i]))
				break;
		if (i < 4)
			cfg->log_level = (enum log_level)i;
		else
			dsaykey(&l->ds, 1, "log", "level", "\"%s\" is not a level "
			    "(error, warning, info, debug)", diag_esc(v, e));
	}
	if ((v = getval(l, "log", "target")) != NULL) {
		if (xstr_caseeqc(xstr_c(v), "stderr"))
			cfg->log_target = LOG_TO_STDERR;
		else if (xstr_caseeqc(xstr_c(v), "syslog"))
			cfg->log_target = LOG_TO_SYSLOG;
		else if (v[0] == '/') {
			get_path(l, "log", "target", &cfg->log_file);
			cfg->log_target = LOG_TO_FILE;
		} else
			dsaykey(&l->ds, 1, "log", "target", "\"%s\" is not a target "
			    "(stderr, syslog, or the absolute path of a file)",
			    diag_esc(v, e));
	}
}

/* Returns the known section named name, or NULL. */
static const struct section *
find_section(const char *name)
{
	size_t	i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

/*
 * Checks the names in the document: every section and every key must be
 * known, and no key may stand outside a section.
 */
static void
check_names(struct load *l)
{
	const struct ini_entry	*en;
	const struct section	*sec;
	char			 e[DIAG_ESC_CAP];
	size_t			 i, j;

	for (i = 0; i < l->doc->n; i++) {
		en = &l->doc->v[i];
		if (en->key == NULL) {
			if (strcmp(en->section, "gateway") == 0)
				l->cfg->has_gateway = 1;
			if (find_section(en->section) == NULL)
				dsay(&l->ds, 1, "[%s]: unknown section (known: "
				    "gateway, trust, rules, cgi, log)",
				    diag_esc(en->section, e));
			continue;
		}
		if (en->section[0] == '\0') {
			dsay(&l->ds, 1, "%s: key outside any section",
			    diag_esc(en->key, e));
			continue;
		}
		if ((sec = find_section(en->section)) == NULL)
			continue;	/* reported with its section */
		for (j = 0; sec->keys[j] != NULL; j++)
			if (strcmp(sec->keys[j], en->key) == 0)
				break;
		if (sec->keys[j] == NULL)
			dsaykey(&l->ds, 1, sec->name, en->key, "unknown key");
	}
}

/* Fills cfg with the defaults of SPEC 2. */
int
config_defaults(struct config *cfg)
{
	struct dsink	ds;

	memset(cfg, 0, sizeof(*cfg));
	dsink_init(&ds, "", NULL);
	cfg->workers = 16;
	cfg->connect_timeout = 5;
	cfg->backend_timeout = 60;
	cfg->backend_idle_timeout = 1;
	cfg->backend_wait_warn = 1;
	cfg->front_timeout = 10;
	cfg->max_conns = 1024;
	cfg->listen_mode = 0660;
	cfg->x_for = 1;
	cfg->x_proto = 1;
	cfg->clean = 1;
	cfg->rewrite_remote_addr = 1;
	cfg->keep_original = 1;
	cfg->strip_proxy_header = 1;
	cfg->log_level = LOG_LVL_INFO;
	if (conf_parse_cidrs(&ds, "gateway", "status_allow",
	    DEFAULT_STATUS_ALLOW, &cfg->status_allow) == -1 ||
	    conf_parse_strip(&ds, DEFAULT_STRIP_HEADERS, &cfg->strip_headers,
	    &cfg->nstrip) == -1) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* Builds cfg from a parsed INI document (SPEC 2). */
int
config_build(const char *path, const struct ini_doc *doc, struct config *cfg,
    struct diag *d)
{
	struct load	 l;

	memset(&l, 0, sizeof(l));
	dsink_init(&l.ds, path, d);
	l.cfg = cfg;
	l.doc = doc;
	if (config_defaults(cfg) == -1 ||
	    (cfg->path = conf_dupn(path, strlen(path))) == NULL) {
		dnomem(&l.ds);
		goto fail;
	}
	check_names(&l);
	load_gateway(&l);
	load_trust(&l);
	load_rules(&l);
	load_cgi_log(&l);
	if (l.ds.failed)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

/* Releases everything config_build or config_defaults allocated. */
void
config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->listen_owner);
	free(cfg->listen_group);
	free(cfg->pid_file);
	free(cfg->user);
	free(cfg->group);
	free(cfg->log_file);
	free(cfg->status_uri);
	conf_cidrset_free(&cfg->status_allow);
	conf_cidrset_free(&cfg->proxies);
	conf_strv_free(cfg->proxies_files, cfg->nproxies_files);
	conf_exempt_free(cfg);
	conf_strv_free(cfg->strip_headers, cfg->nstrip);
	free(cfg->cgi_program);
	memset(cfg, 0, sizeof(*cfg));
}

/* Returns the name of a level. */
const char *
log_level_name(enum log_level lv)
{
	switch (lv) {
	case LOG_LVL_ERROR:
		return "error";
	case LOG_LVL_WARNING:
		return "warning";
	case LOG_LVL_INFO:
		return "info";
	case LOG_LVL_DEBUG:
		return "debug";
	}
	return "unknown";
}