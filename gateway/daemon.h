/*
 * daemon.h: the FastCGI gateway proper (front side, backend client,
 * signals, logging).  main.c parses the command line and calls
 * daemon_run().
 */
#ifndef XFF_DAEMON_H
#define XFF_DAEMON_H

#include "config.h"

/*
 * Serves requests until SIGTERM or SIGINT, then drains and returns 0;
 * returns 1 when it cannot start (the reason has been written to
 * stderr and, where configured, to the log).  cfg was loaded from
 * cfgpath by config_load() and is owned by the daemon from here on
 * (SIGHUP reloads cfgpath and replaces it for new requests).  debug
 * forces debug-level logging to stderr.
 */
int	daemon_run(const char *cfgpath, struct config *cfg, int debug);

#endif
