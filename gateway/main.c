/*
 * main.c: xff-gateway's command line (SPEC 4).
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "explain.h"
#include "paths.h"


#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Prints the usage message and returns exit status 1. */
static int
usage(void)
{
	fputs("usage: xff-gateway [-c FILE] [-t] [-d] [-V]\n"
	    "       xff-gateway [-c FILE] --explain [NAME=VALUE ...]\n", stderr);
	return 1;
}

/* Prints the messages of a load, warnings included, to stderr. */
static void
print_diag(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s%s\n", d->is_error[i] ? "" : "warning: ",
		    d->msg[i]);
}

/*
 * Loads the config for -t, --explain or the daemon.  need_backend asks
 * for [gateway] backend.  Returns 0, or 1 after printing the errors.
 */
static int
load(const char *path, struct config *cfg, int need_backend, int verbose)
{
	struct diag	d;
	int		rc;

	diag_init(&d);
	rc = config_load(path, cfg, &d);
	if (rc == 0 && need_backend && cfg->backend.kind == SOCK_NONE) {
		diag_add(&d, 1, "%s: [gateway] backend: is required", path);
		config_free(cfg);
		rc = -1;
	}
	if (rc == -1 || verbose)
		print_diag(&d);
	diag_free(&d);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "explain",	no_argument,	NULL, 'E' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct config	 cfg;
	const char	*path = XFF_DEFAULT_CONFIG;
	int		 ch, test = 0, debug = 0, explain = 0, rc;

	while ((ch = getopt_long(argc, argv, "+c:dthV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'E':
			explain = 1;
			break;
		case 'V':
			printf("xff-gateway %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((test && explain) || (!explain && argc > 0))
		return usage();

	if (test) {
		memset(&cfg, 0, sizeof(cfg));
		if (load(path, &cfg, 0, 1) != 0)
			return 1;
		rc = 0;
		if (cfg.has_gateway && cfg.backend.kind == SOCK_NONE) {
			fprintf(stderr, "%s: [gateway] backend: is required\n",
			    path);
			rc = 1;
		} else
			puts("configuration ok");
		config_free(&cfg);
		return rc;
	}
	if (explain) {
		if (load(path, &cfg, 0, 0) != 0)
			return 1;
		rc = explain_run(&cfg, argc, argv, stdin, stdout, stderr);
		config_free(&cfg);
		return rc;
	}
	if (load(path, &cfg, 1, 0) != 0)
		return 1;
	return daemon_run(path, &cfg, debug);
}
