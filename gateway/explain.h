/*
 * explain.h: xff-gateway --explain (SPEC 4).
 */
#ifndef XFF_EXPLAIN_H
#define XFF_EXPLAIN_H

#include <stdio.h>
#include "config.h"

/*
 * Runs the correction on the params given as "NAME=VALUE" strings in
 * argv[0..argc) or, when argc is 0, on "NAME=VALUE" lines read from in,
 * and prints the outcome to out.  Returns 0, or 1 for a bad argument
 * (reported on err).
 */
int	explain_run(const struct config *cfg, int argc, char **argv, FILE *in,
	    FILE *out, FILE *err);

#endif
