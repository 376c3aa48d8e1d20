/*
 * confload.h: reading the INI file (SPEC 2) from disk through iniparser.
 * The programs' only way in; the checks themselves are pure code in lib/.
 */
#ifndef XFF_CONFLOAD_H
#define XFF_CONFLOAD_H

#include "config.h"

/*
 * Loads and validates the INI file at path into cfg (SPEC 2).  Every
 * problem is added to d as "PATH: [section] key: problem" (or
 * "PATH: problem" / "PATH:LINE: problem" when no key is involved).
 * Returns 0 when there was no error (warnings may have been added; cfg
 * is then complete), -1 otherwise (cfg is zeroed).  Not thread-safe
 * (iniparser's error callback is process-wide).
 */
int	config_load(const char *path, struct config *cfg, struct diag *d);

#endif
