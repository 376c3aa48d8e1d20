/*
 * main.c: xff-gateway's command line (SPEC 4).
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confdump.h"
#include "confload.h"
#include "daemon.h"
#include "escape.h"
#include "explain.h"
#include "paths.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Prints the usage message, with the default configuration path, to fp. */
static void
usage(FILE *fp)
{
	fprintf(fp, "usage: xff-gateway [-c FILE] [-t | -T] [-d] [-V]\n"
	    "       xff-gateway [-c FILE] --explain [NAME=VALUE ...]\n"
	    "  -c FILE        the configuration file (default: %s)\n"
	    "  -t             check the configuration and exit\n"
	    "  -T             check it and print the effective configuration\n"
	    "  -d             log at debug level to standard error\n"
	    "  --explain      run the correction on the params given, or on\n"
	    "                 NAME=VALUE lines read from standard input, and\n"
	    "                 print the decision, the log and the params\n"
	    "  -V, --version  print the version and exit\n"
	    "  -h, --help     print this help and exit\n", XFF_DEFAULT_CONFIG);
}

/* Prints the usage message on stdout; returns the exit status, 0 or 1. */
static int
help(void)
{
	usage(stdout);
	return fflush(stdout) == EOF || ferror(stdout) ? 1 : 0;
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
		diag_add(&d, 1, "%s: [gateway] backend: is required to run the "
		    "gateway%s: set it to the socket of the FastCGI application "
		    "(such as backend = unix:/run/php/php8.2-fpm.sock)", path,
		    cfg->has_gateway ? "" : ", and the file has no [gateway] "
		    "section");
		config_free(cfg);
		rc = -1;
	}
	if (rc == -1 || verbose)
		print_diag(&d);
	diag_free(&d);
	return rc == 0 ? 0 : 1;
}

/* Writes one line of the -T output, and its newline, to the FILE arg. */
static int
put_line(void *arg, const char *line, size_t len)
{
	FILE	*fp = arg;

	if (fwrite(line, 1, len, fp) != len || putc('\n', fp) == EOF)
		return -1;
	return 0;
}

/*
 * -t and -T: checks the file at path, with its warnings and errors on
 * stderr.  When it is good, -t prints "configuration ok"; -T prints the
 * effective configuration as INI text on stdout ("configuration ok" on
 * stderr).  Returns the exit status: 0, or 1 for a bad file or output
 * that could not be written.
 */
static int
check(const char *path, int dump)
{
	struct config	cfg;
	char		err[512], epath[1024];
	int		rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (load(path, &cfg, 0, 1) != 0)
		return 1;
	if (cfg.has_gateway && cfg.backend.kind == SOCK_NONE) {
		fprintf(stderr, "%s: [gateway] backend: is required\n", path);
		goto done;
	}
	if (dump) {
		escape_log(xstr_c(path), sizeof(epath) / 4 - 8, epath,
		    sizeof(epath));
		printf("# effective configuration of %s, defaults included\n",
		    epath);
		if (confdump(&cfg, put_line, stdout, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", path, err);
			goto done;
		}
	} else
		puts("configuration ok");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("xff-gateway: standard output");
		goto done;
	}
	if (dump)
		fputs("configuration ok\n", stderr);
	rc = 0;
done:
	config_free(&cfg);
	return rc;
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

	while ((ch = getopt_long(argc, argv, "+c:dtThV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 't':
			if (test == 0)
				test = 't';
			break;
		case 'T':
			test = 'T';
			break;
		case 'E':
			explain = 1;
			break;
		case 'V':
			printf("xff-gateway %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			return help();
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if ((test && explain) || (!explain && argc > 0)) {
		usage(stderr);
		return 1;
	}

	if (test)
		return check(path, test == 'T');
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
