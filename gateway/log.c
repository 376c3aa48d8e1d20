/*
 * log.c: stderr, syslog or file logging with per-event rate limiting.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "logfmt.h"

#define LINE_MAX_LEN	4096
#define NBUCKETS	32
#define NAME_LEN	32
#define FILE_MODE	0640

struct bucket {
	char		 name[NAME_LEN];
	enum log_level	 level;		/* of the last suppressed line */
	long		 sec;		/* second the count is for */
	unsigned	 count;		/* lines written in sec */
	unsigned long	 suppressed;	/* lines dropped since the last report */
};

/*
 * The target is changed by the main thread only, under log_mtx, so the
 * main thread may read it without the lock.
 */
static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct bucket	 buckets[NBUCKETS];
static size_t		 nbuckets;
static enum log_target	 log_target = LOG_TO_STDERR;
static int		 log_fd = -1;		/* LOG_TO_FILE */
static char		*log_path;		/* LOG_TO_FILE */
static int		 stderr_stamped = 1;	/* stderr is not the journal */
static atomic_int	 log_level = LOG_LVL_INFO;
static int		 syslog_open;

/* Returns the current second of the monotonic clock. */
static long
now_sec(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long)ts.tv_sec;
}

/* Returns 1 when stderr is the stream systemd connected to the journal. */
static int
stderr_is_journal(void)
{
	struct stat	 st;
	const char	*js = getenv("JOURNAL_STREAM");

	if (js == NULL || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return logfmt_journal_match(js, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
}

/* Opens path for appending log lines; returns the descriptor or -1 (errno). */
static int
open_file(const char *path)
{
	int	fd;

	do
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOCTTY, FILE_MODE);
	while (fd == -1 && errno == EINTR);
	return fd;
}

/*
 * Makes t the target (fd and path for a file, owned from here on) and
 * level the threshold; hands back the file and path replaced, for the
 * caller to release outside the lock.
 */
static void
set_target(enum log_target t, int fd, char *path, enum log_level level,
    int *old_fd, char **old_path)
{
	pthread_mutex_lock(&log_mtx);
	if (t == LOG_TO_SYSLOG && !syslog_open) {
		openlog("xff-gateway", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = 1;
	}
	*old_fd = log_fd;
	*old_path = log_path;
	log_target = t;
	log_fd = fd;
	log_path = path;
	atomic_store(&log_level, (int)level);
	pthread_mutex_unlock(&log_mtx);
}

/*
 * Closes a log file no longer in use (a failure, such as a full disk on
 * NFS, is logged to the current target) and frees its path.
 */
static void
release(int fd, char *path)
{
	if (fd != -1 && close(fd) == -1)
		log_msg(LOG_LVL_WARNING, NULL, "closing the log file %s: %s",
		    path != NULL ? path : "-", strerror(errno));
	free(path);
}

/* Start-up target and threshold; see log.h. */
int
log_open(const struct config *cfg, int debug, char *err, size_t errcap)
{
	enum log_target	 t = debug ? LOG_TO_STDERR : cfg->log_target;
	enum log_level	 level = debug ? LOG_LVL_DEBUG : cfg->log_level;
	char		*path = NULL, *old_path;
	int		 fd = -1, old_fd;

	tzset();
	stderr_stamped = !stderr_is_journal();
	if (t == LOG_TO_FILE) {
		if ((fd = open_file(cfg->log_file)) == -1) {
			snprintf(err, errcap, "[log] target: cannot open %s: %s",
			    cfg->log_file, strerror(errno));
			return -1;
		}
		if ((path = strdup(cfg->log_file)) == NULL) {
			close(fd);
			snprintf(err, errcap, "out of memory");
			return -1;
		}
	}
	set_target(t, fd, path, level, &old_fd, &old_path);
	release(old_fd, old_path);
	return 0;
}

/* Returns the name of a target for log lines: stderr, syslog or the path. */
static const char *
target_name(enum log_target t, const char *path)
{
	return t == LOG_TO_FILE ? path : t == LOG_TO_SYSLOG ? "syslog" :
	    "stderr";
}

/* Reloaded target and threshold; see log.h. */
void
log_reload(const struct config *cfg, int debug)
{
	enum log_target	 t = debug ? LOG_TO_STDERR : cfg->log_target;
	enum log_level	 level = debug ? LOG_LVL_DEBUG : cfg->log_level;
	char		*path = NULL, *old_path;
	int		 fd = -1, old_fd, e;

	if (t == log_target && (t != LOG_TO_FILE ||
	    strcmp(log_path, cfg->log_file) == 0)) {
		atomic_store(&log_level, (int)level);
		return;
	}
	if (t == LOG_TO_FILE) {
		if ((fd = open_file(cfg->log_file)) == -1 ||
		    (path = strdup(cfg->log_file)) == NULL) {
			e = fd == -1 ? errno : ENOMEM;
			if (fd != -1)
				close(fd);
			atomic_store(&log_level, (int)level);
			log_msg(LOG_LVL_ERROR, NULL, "[log] target: cannot open "
			    "%s: %s; logging on to %s", cfg->log_file,
			    strerror(e), target_name(log_target, log_path));
			return;
		}
	}
	log_msg(LOG_LVL_INFO, NULL, "log target changes to %s",
	    target_name(t, path));
	set_target(t, fd, path, level, &old_fd, &old_path);
	release(old_fd, old_path);
}

/* Reopens the log file under its path; see log.h. */
void
log_reopen(void)
{
	int	fd, old;

	if (log_target != LOG_TO_FILE)
		return;
	if ((fd = open_file(log_path)) == -1) {
		log_msg(LOG_LVL_ERROR, NULL, "cannot reopen the log file %s: "
		    "%s; writing on to the file already open", log_path,
		    strerror(errno));
		return;
	}
	pthread_mutex_lock(&log_mtx);
	old = log_fd;
	log_fd = fd;
	pthread_mutex_unlock(&log_mtx);
	log_msg(LOG_LVL_INFO, NULL, "log file reopened: %s", log_path);
	if (close(old) == -1)
		log_msg(LOG_LVL_WARNING, NULL, "closing the log file before "
		    "the reopen: %s", strerror(errno));
}

/* Returns 1 when lines go to standard error. */
int
log_on_stderr(void)
{
	return log_target == LOG_TO_STDERR;
}

/* Closes the file or syslog; later lines go to stderr. */
void
log_close(void)
{
	char	*old_path;
	int	 old_fd;

	set_target(LOG_TO_STDERR, -1, NULL,
	    (enum log_level)atomic_load(&log_level), &old_fd, &old_path);
	release(old_fd, old_path);
	pthread_mutex_lock(&log_mtx);
	if (syslog_open) {
		closelog();
		syslog_open = 0;
	}
	pthread_mutex_unlock(&log_mtx);
}

/* Returns 1 when level l passes the threshold. */
int
log_enabled(enum log_level l)
{
	return (int)l <= atomic_load(&log_level);
}

/* Maps our level to a syslog priority. */
static int
syslog_prio(enum log_level l)
{
	switch (l) {
	case LOG_LVL_ERROR:
		return LOG_ERR;
	case LOG_LVL_WARNING:
		return LOG_WARNING;
	case LOG_LVL_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

/*
 * Writes the local time stamp of now at buf (cap bytes, at least
 * LOGFMT_STAMP_MAX); returns the length, 0 when there is none (buf is
 * then left as it was).
 */
static size_t
stamp(char *buf, size_t cap)
{
	struct tm	tm;
	time_t		now = time(NULL);

	if (localtime_r(&now, &tm) != NULL)
		return logfmt_stamp(&tm, tm.tm_gmtoff, buf, cap);
	if (gmtime_r(&now, &tm) != NULL)
		return logfmt_stamp(&tm, 0, buf, cap);
	return 0;
}

/* Writes one finished line (text without level or newline); caller holds log_mtx. */
static void
emit(enum log_level l, const char *text)
{
	char	 line[LOGFMT_STAMP_MAX + LINE_MAX_LEN + 64];
	char	 st[LOGFMT_STAMP_MAX] = "";
	int	 fd = STDERR_FILENO;
	size_t	 len, off;
	ssize_t	 w;

	if (log_target == LOG_TO_SYSLOG) {
		syslog(syslog_prio(l), "%s %s", log_level_name(l), text);
		return;
	}
	if (log_target == LOG_TO_FILE)
		fd = log_fd;
	if (log_target == LOG_TO_FILE || stderr_stamped)
		(void)stamp(st, sizeof(st));
	len = logfmt_line(line, sizeof(line), st, "xff-gateway",
	    (long)getpid(), log_level_name(l), text);
	for (off = 0; off < len; off += (size_t)w) {
		w = write(fd, line + off, len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			return;
	}
}

/* Writes the suppressed count of b if any; caller holds log_mtx. */
static void
report(struct bucket *b)
{
	char	text[NAME_LEN + 48];

	if (b->suppressed == 0)
		return;
	snprintf(text, sizeof(text), "%.*s suppressed=%lu", NAME_LEN - 1,
	    b->name, b->suppressed);
	emit(b->level, text);
	b->suppressed = 0;
}

/* Finds or adds the bucket of event; NULL when the table is full. */
static struct bucket *
bucket_get(const char *event)
{
	size_t	i;

	for (i = 0; i < nbuckets; i++)
		if (strncmp(buckets[i].name, event, NAME_LEN - 1) == 0)
			return &buckets[i];
	if (nbuckets == NBUCKETS)
		return NULL;
	snprintf(buckets[nbuckets].name, NAME_LEN, "%s", event);
	return &buckets[nbuckets++];
}

/* Formats and writes a line, rate-limited under event when given. */
void
log_msg(enum log_level l, const char *event, const char *fmt, ...)
{
	char		 text[LINE_MAX_LEN];
	va_list		 ap;
	struct bucket	*b = NULL;
	long		 sec;

	if (!log_enabled(l))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_mtx);
	if (event != NULL && (b = bucket_get(event)) != NULL) {
		sec = now_sec();
		if (b->sec != sec) {
			report(b);
			b->sec = sec;
			b->count = 0;
		}
		if (b->count >= LOG_RATE_PER_SEC) {
			b->suppressed++;
			b->level = l;
			pthread_mutex_unlock(&log_mtx);
			return;
		}
		b->count++;
	}
	emit(l, text);
	pthread_mutex_unlock(&log_mtx);
}

/* Reports the suppressed counts of seconds that are over. */
void
log_tick(void)
{
	size_t	i;
	long	sec = now_sec();

	pthread_mutex_lock(&log_mtx);
	for (i = 0; i < nbuckets; i++)
		if (buckets[i].sec != sec)
			report(&buckets[i]);
	pthread_mutex_unlock(&log_mtx);
}
