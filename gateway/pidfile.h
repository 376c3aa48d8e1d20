/*
 * pidfile.h: [gateway] pid = FILE, the process id for "kill -HUP" and
 * logrotate.
 */
#ifndef XFF_PIDFILE_H
#define XFF_PIDFILE_H

#include <sys/types.h>

#include <stddef.h>

struct pidfile {
	char	*path;		/* NULL: none written */
	dev_t	 dev;		/* the file we created */
	ino_t	 ino;
};

/*
 * Writes our process id, in decimal and a newline, to a new file at path,
 * mode 0644 (O_CREAT | O_EXCL, no symbolic link followed).  A file already
 * there is removed first when it holds the id of a process that no longer
 * runs (or our own id); one naming a running process, or holding anything
 * but a process id, is left alone and the start fails.  Returns 0, or -1
 * with the reason, naming the file, in err.
 */
int	pidfile_write(struct pidfile *pf, const char *path, char *err,
	    size_t errcap);

/*
 * Removes the file pf wrote when it is still that file and still holds
 * our id; a file that cannot be removed (a directory we may no longer
 * write after dropping privileges) is kept, and a debug line says so.
 * Releases pf; does nothing when none was written.
 */
void	pidfile_remove(struct pidfile *pf);

#endif
