/*
 * config.h: the INI configuration (SPEC 2), loaded and validated.
 */
#ifndef XFF_CONFIG_H
#define XFF_CONFIG_H

#include <stddef.h>
#include <regex.h>
#include "diag.h"
#include "ipaddr.h"

#define XFF_DEPTH_MAX	64

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* Where log lines go ([log] target). */
enum log_target {
	LOG_TO_STDERR = 0,
	LOG_TO_SYSLOG,
	LOG_TO_FILE
};

/* A socket address as written in listen = / backend =. */
struct sockspec {
	int		 kind;		/* SOCK_NONE, SOCK_UNIX or SOCK_TCP */
	char		 path[108];	/* SOCK_UNIX: the path */
	struct ip	 ip;		/* SOCK_TCP: the address */
	unsigned	 port;		/* SOCK_TCP: 1-65535 */
};
#define SOCK_NONE	0
#define SOCK_UNIX	1
#define SOCK_TCP	2

/*
 * Parses "unix:/abs/path", "a.b.c.d:port" or "[v6]:port".  Returns 0, or
 * -1 with a static description of the problem in *why.
 */
int	sockspec_parse(const char *s, struct sockspec *out, const char **why);

struct config {
	char		*path;			/* the file it came from */

	/* [gateway] */
	int		 has_gateway;		/* the section was present */
	struct sockspec	 listen;		/* kind SOCK_NONE when absent */
	struct sockspec	 backend;		/* kind SOCK_NONE when absent */
	int		 workers;		/* 16 */
	double		 connect_timeout;	/* 5 */
	double		 backend_timeout;	/* 60 */
	int		 keep_conn;		/* 0 */
	int		 backend_max_conns;	/* 0: no bound */
	double		 backend_idle_timeout;	/* 1 */
	double		 backend_wait_warn;	/* 1 */
	double		 front_timeout;		/* 10: a request head arrives whole */
	int		 max_conns;		/* 1024: front connections open */
	char		*listen_owner;		/* NULL: the gateway's user */
	char		*listen_group;		/* NULL: the gateway's group */
	int		 listen_mode;		/* 0660 */
	char		*pid_file;		/* pid =, NULL when empty */
	char		*user;			/* NULL when empty */
	char		*group;			/* NULL when empty */
	char		*status_uri;		/* NULL when empty */
	struct cidrset	 status_allow;		/* 127.0.0.1/32 ::1/128 */

	/* [trust] */
	int		 x_for;			/* 1 */
	int		 x_proto;		/* 1 */
	int		 x_host;		/* 0 */
	int		 x_port;		/* 0 */
	int		 x_prefix;		/* 0 */
	int		 forwarded;		/* 0 */
	struct cidrset	 proxies;		/* empty; then the entries of
						   proxies_file (conf/proxyfile.c),
						   each network once */
	size_t		 proxies_inline;	/* the first entries of proxies,
						   written in the key itself */
	char		**proxies_files;	/* proxies_file, resolved */
	size_t		 nproxies_files;

	/* [rules] */
	int		 strict;		/* 0 */
	int		 always_proxy;		/* 0 */
	int		 no_spoofing;		/* 0 */
	int		 header_required;	/* resolved: explicit, else strict || always_proxy */
	int		 loose;			/* loose_unsafe, 0 */
	int		 clean;			/* 1 */
	int		 rewrite_remote_addr;	/* 1 */
	regex_t		*exempt;		/* compiled, REG_EXTENDED */
	char		**exempt_src;		/* the pattern texts */
	size_t		 nexempt;
	int		 exempt_stealth;	/* 0 */
	int		 keep_original;		/* 1 */
	int		 strip_proxy_header;	/* 1 */
	char		**strip_headers;	/* CGI names, e.g. "HTTP_X_REAL_IP" */
	size_t		 nstrip;

	/* [cgi] */
	char		*cgi_program;		/* NULL when empty */

	/* [log] */
	enum log_level	 log_level;		/* LOG_LVL_INFO */
	enum log_target	 log_target;		/* LOG_TO_STDERR */
	char		*log_file;		/* LOG_TO_FILE: the absolute path */
};

/* One entry of a parsed INI file: a section line (key NULL) or a key. */
struct ini_entry {
	const char	*section;	/* lower case; "" before any section */
	const char	*key;		/* lower case; NULL for a section line */
	const char	*value;		/* as the INI parser read it */
};

/* A parsed INI file: its entries, each (section, key) at most once. */
struct ini_doc {
	const struct ini_entry	*v;
	size_t			 n;
};

/* Fills cfg with the defaults of SPEC 2 (no file involved). Returns 0 or -1 (no memory). */
int	config_defaults(struct config *cfg);

/*
 * Validates the document read from path and builds cfg (SPEC 2).  Every
 * problem is added to d as "PATH: [section] key: problem" (or "PATH:
 * problem" when no key is involved).  Returns 0 when there was no error
 * (warnings may have been added; cfg is then complete), -1 otherwise
 * (cfg is freed and zeroed).
 */
int	config_build(const char *path, const struct ini_doc *doc,
	    struct config *cfg, struct diag *d);

/* Releases everything config_build or config_defaults allocated. */
void	config_free(struct config *cfg);

/* Returns the name of a level ("error", "warning", "info", "debug"). */
const char *log_level_name(enum log_level l);

#endif
