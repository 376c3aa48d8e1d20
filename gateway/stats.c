/*
 * stats.c: the counters of the status page.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "stats.h"

struct stats	stats;

struct out {
	char	*buf;
	size_t	 cap, len;
};

/* Appends formatted text, truncating at the end of the buffer. */
static void
put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

/* Reads a counter. */
static unsigned long
get(atomic_ulong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static const unsigned long	bucket_us[STATS_NBUCKETS] = STATS_BUCKETS;

/* Counts one request in the latency histogram. */
void
stats_latency(unsigned long long us)
{
	size_t	i;

	for (i = 0; i < STATS_NBUCKETS && us > bucket_us[i]; i++)
		;
	STATS_INC(stats.lat_bucket[i]);
	atomic_fetch_add_explicit(&stats.lat_sum_us, us, memory_order_relaxed);
}

/* Formats all counters; see stats.h. */
size_t
stats_format(char *buf, size_t cap)
{
	struct out	o = { buf, cap, 0 };
	unsigned long	cum;
	size_t		i;
	int		e;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	put(&o, "# HELP xff_gateway_requests_total Requests accepted.\n"
	    "# TYPE xff_gateway_requests_total counter\n"
	    "xff_gateway_requests_total %lu\n", get(&stats.requests));
	put(&o, "# HELP xff_gateway_requests_in_flight Requests being "
	    "served.\n# TYPE xff_gateway_requests_in_flight gauge\n"
	    "xff_gateway_requests_in_flight %ld\n",
	    atomic_load(&stats.in_flight));
	put(&o, "# HELP xff_gateway_workers Worker threads.\n"
	    "# TYPE xff_gateway_workers gauge\nxff_gateway_workers %d\n",
	    atomic_load(&stats.workers));
	put(&o, "# HELP xff_gateway_responses_total Responses by origin and "
	    "status.\n# TYPE xff_gateway_responses_total counter\n");
	put(&o, "xff_gateway_responses_total{origin=\"backend\"} %lu\n",
	    get(&stats.relayed));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"400\"} "
	    "%lu\n", get(&stats.rejected_400));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"404\"} "
	    "%lu\n", get(&stats.rejected_404));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"500\"} "
	    "%lu\n", get(&stats.errors_500));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"502\"} "
	    "%lu\n", get(&stats.backend_502));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"503\"} "
	    "%lu\n", get(&stats.backend_503));
	put(&o, "xff_gateway_responses_total{origin=\"gateway\",code=\"504\"} "
	    "%lu\n", get(&stats.backend_504));
	put(&o, "# HELP xff_gateway_responses_cut_total Backend responses "
	    "cut after output was relayed.\n"
	    "# TYPE xff_gateway_responses_cut_total counter\n"
	    "xff_gateway_responses_cut_total %lu\n", get(&stats.backend_cut));
	put(&o, "# HELP xff_gateway_backend_connections_total Backend "
	    "connections opened.\n"
	    "# TYPE xff_gateway_backend_connections_total counter\n"
	    "xff_gateway_backend_connections_total %lu\n",
	    get(&stats.backend_connects));
	put(&o, "# HELP xff_gateway_backend_reused_total Requests sent on a "
	    "kept backend connection.\n"
	    "# TYPE xff_gateway_backend_reused_total counter\n"
	    "xff_gateway_backend_reused_total %lu\n",
	    get(&stats.backend_reused));
	put(&o, "# HELP xff_gateway_events_total Correction events (SPEC 3.5)."
	    "\n# TYPE xff_gateway_events_total counter\n");
	for (e = EV_UNTRUSTED_PEER; e < STATS_NEVENTS; e++)
		put(&o, "xff_gateway_events_total{event=\"%s\"} %lu\n",
		    event_name((enum xff_event)e), get(&stats.events[e]));
	put(&o, "# HELP xff_gateway_rejections_total Requests the gateway "
	    "answered 400 or 404, by reason.\n"
	    "# TYPE xff_gateway_rejections_total counter\n");
	for (e = EV_UNTRUSTED_PEER; e < STATS_NEVENTS; e++)
		put(&o, "xff_gateway_rejections_total{reason=\"%s\"} %lu\n",
		    event_name((enum xff_event)e), get(&stats.rejections[e]));
	put(&o, "# HELP xff_gateway_request_duration_seconds Time from the "
	    "request's params to its end.\n"
	    "# TYPE xff_gateway_request_duration_seconds histogram\n");
	for (i = 0, cum = 0; i <= STATS_NBUCKETS; i++) {
		cum += get(&stats.lat_bucket[i]);
		if (i < STATS_NBUCKETS)
			put(&o, "xff_gateway_request_duration_seconds_bucket"
			    "{le=\"%g\"} %lu\n", bucket_us[i] / 1e6, cum);
		else
			put(&o, "xff_gateway_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %lu\n", cum);
	}
	put(&o, "xff_gateway_request_duration_seconds_sum %.6f\n"
	    "xff_gateway_request_duration_seconds_count %lu\n",
	    (double)atomic_load_explicit(&stats.lat_sum_us,
	    memory_order_relaxed) / 1e6, cum);
	put(&o, "# HELP xff_gateway_config_reloads_total Configuration "
	    "reloads (SIGHUP).\n"
	    "# TYPE xff_gateway_config_reloads_total counter\n"
	    "xff_gateway_config_reloads_total{result=\"ok\"} %lu\n"
	    "xff_gateway_config_reloads_total{result=\"failed\"} %lu\n",
	    get(&stats.reloads_ok), get(&stats.reloads_failed));
	return o.len;
}
