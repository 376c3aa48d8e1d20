/*
 * log.c: stderr or syslog logging with per-event rate limiting.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_LEN	4096
#define NBUCKETS	32
#define NAME_LEN	32

struct bucket {
	char		 name[NAME_LEN];
	enum log_level	 level;		/* of the last suppressed line */
	long		 sec;		/* second the count is for */
	unsigned	 count;		/* lines written in sec */
	unsigned long	 suppressed;	/* lines dropped since the last report */
};

static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct bucket	 buckets[NBUCKETS];
static size_t		 nbuckets;
static atomic_int	 log_syslog;
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

/* Sets target and threshold; debug forces debug level on stderr. */
void
log_setup(int use_syslog, enum log_level level, int debug)
{
	if (debug) {
		use_syslog = 0;
		level = LOG_LVL_DEBUG;
	}
	pthread_mutex_lock(&log_mtx);
	if (use_syslog && !syslog_open) {
		openlog("xff-gateway", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = 1;
	}
	atomic_store(&log_syslog, use_syslog);
	atomic_store(&log_level, (int)level);
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

/* Writes one finished line (text without level or newline); caller holds log_mtx. */
static void
emit(enum log_level l, const char *text)
{
	char	 line[LINE_MAX_LEN + 64];
	int	 n;
	size_t	 len, off;
	ssize_t	 w;

	if (atomic_load(&log_syslog)) {
		syslog(syslog_prio(l), "%s %s", log_level_name(l), text);
		return;
	}
	n = snprintf(line, sizeof(line), "xff-gateway[%ld]: %s %s\n",
	    (long)getpid(), log_level_name(l), text);
	if (n < 0)
		return;
	len = (size_t)n;
	if (len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	for (off = 0; off < len; off += (size_t)w) {
		w = write(STDERR_FILENO, line + off, len - off);
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
