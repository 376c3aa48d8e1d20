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

/* Appends the HELP and TYPE lines of the metric name. */
static void
head(struct out *o, const char *name, const char *help, const char *type)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends a counter without labels: its HELP and TYPE lines and value. */
static void
counter(struct out *o, const char *name, const char *help, unsigned long v)
{
	head(o, name, help, "counter");
	put(o, "%s %lu\n", name, v);
}

/* Appends a gauge without labels: its HELP and TYPE lines and value. */
static void
gauge(struct out *o, const char *name, const char *help, long v)
{
	head(o, name, help, "gauge");
	put(o, "%s %ld\n", name, v);
}

/* Appends the responses by origin and status. */
static void
responses(struct out *o)
{
	static const struct {
		const char	*code;
		atomic_ulong	*c;
	} gw[] = {
		{ "400", &stats.rejected_400 },
		{ "404", &stats.rejected_404 },
		{ "500", &stats.errors_500 },
		{ "502", &stats.backend_502 },
		{ "503", &stats.backend_503 },
		{ "504", &stats.backend_504 },
	};
	size_t	i;

	head(o, "xff_gateway_responses_total",
	    "Responses by origin and status.", "counter");
	put(o, "xff_gateway_responses_total{origin=\"backend\"} %lu\n",
	    get(&stats.relayed));
	for (i = 0; i < sizeof(gw) / sizeof(gw[0]); i++)
		put(o, "xff_gateway_responses_total{origin=\"gateway\","
		    "code=\"%s\"} %lu\n", gw[i].code, get(gw[i].c));
}

/* Appends a counter of the correction events c, labelled by event name. */
static void
by_event(struct out *o, const char *name, const char *help,
    const char *label, atomic_ulong *c)
{
	int	e;

	head(o, name, help, "counter");
	for (e = EV_UNTRUSTED_PEER; e < STATS_NEVENTS; e++)
		put(o, "%s{%s=\"%s\"} %lu\n", name, label,
		    event_name((enum xff_event)e), get(&c[e]));
}

/* Appends the gauges and counters of the backend connections (pool.h). */
static void
backend_pool(struct out *o)
{
	gauge(o, "xff_gateway_backend_connections_open",
	    "Backend connections open, busy or idle.",
	    atomic_load(&stats.backend_open));
	gauge(o, "xff_gateway_backend_connections_idle",
	    "Backend connections kept idle.", atomic_load(&stats.backend_idle));
	gauge(o, "xff_gateway_backend_waiting",
	    "Requests waiting for a backend connection (backend_max_conns).",
	    atomic_load(&stats.backend_waiting));
	counter(o, "xff_gateway_backend_waits_total",
	    "Requests that waited for a backend connection.",
	    get(&stats.backend_waits));
	head(o, "xff_gateway_backend_wait_seconds_total",
	    "Time requests spent waiting for a backend connection.",
	    "counter");
	put(o, "xff_gateway_backend_wait_seconds_total %.3f\n",
	    (double)atomic_load_explicit(&stats.backend_wait_us,
	    memory_order_relaxed) / 1e6);
	counter(o, "xff_gateway_backend_wait_timeouts_total",
	    "Requests answered 503: no backend connection within "
	    "backend_timeout.", get(&stats.backend_wait_timeouts));
	counter(o, "xff_gateway_backend_idle_closed_total",
	    "Idle backend connections closed by the gateway.",
	    get(&stats.backend_idle_closed));
}

/* Appends the latency histogram. */
static void
latency(struct out *o)
{
	unsigned long	cum;
	size_t		i;

	head(o, "xff_gateway_request_duration_seconds",
	    "Time from the request's params to its end.", "histogram");
	for (i = 0, cum = 0; i <= STATS_NBUCKETS; i++) {
		cum += get(&stats.lat_bucket[i]);
		if (i < STATS_NBUCKETS)
			put(o, "xff_gateway_request_duration_seconds_bucket"
			    "{le=\"%g\"} %lu\n", bucket_us[i] / 1e6, cum);
		else
			put(o, "xff_gateway_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %lu\n", cum);
	}
	put(o, "xff_gateway_request_duration_seconds_sum %.6f\n"
	    "xff_gateway_request_duration_seconds_count %lu\n",
	    (double)atomic_load_explicit(&stats.lat_sum_us,
	    memory_order_relaxed) / 1e6, cum);
}

/* Formats all counters; see stats.h. */
size_t
stats_format(char *buf, size_t cap)
{
	struct out	o = { buf, cap, 0 };

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	counter(&o, "xff_gateway_requests_total", "Requests accepted.",
	    get(&stats.requests));
	gauge(&o, "xff_gateway_requests_in_flight", "Requests being served.",
	    atomic_load(&stats.in_flight));
	gauge(&o, "xff_gateway_workers", "Worker threads.",
	    atomic_load(&stats.workers));
	gauge(&o, "xff_gateway_workers_busy", "Requests holding a worker.",
	    atomic_load(&stats.workers_busy));
	gauge(&o, "xff_gateway_threads_active", "Threads counted as "
	    "taking events (about one per CPU; blocked ones are not counted).",
	    atomic_load(&stats.threads_active));
	counter(&o, "xff_gateway_threads_blocked_total", "Steps that blocked "
	    "a thread long enough for a spare thread to take its place.",
	    get(&stats.threads_blocked));
	counter(&o, "xff_gateway_workers_exhausted_total",
	    "Requests that found every worker busy and waited for one.",
	    get(&stats.workers_exhausted));
	gauge(&o, "xff_gateway_connections_open", "Front connections open.",
	    atomic_load(&stats.conns_open));
	gauge(&o, "xff_gateway_connections_parked",
	    "Front connections idle, waiting for a request in the epoll set.",
	    atomic_load(&stats.conns_parked));
	counter(&o, "xff_gateway_connections_refused_total",
	    "Front connections refused (max_conns reached, no descriptor, "
	    "peer not in FCGI_WEB_SERVER_ADDRS).", get(&stats.conns_refused));
	counter(&o, "xff_gateway_front_timeouts_total",
	    "Front connections closed because a request head did not arrive "
	    "whole within front_timeout, or its body not at the minimum "
	    "rate.", get(&stats.front_timeouts));
	counter(&o, "xff_gateway_front_errors_total",
	    "Front connections closed on a FastCGI protocol violation.",
	    get(&stats.front_errors));
	counter(&o, "xff_gateway_front_too_large_total",
	    "Requests whose params were above the limit (answered 400).",
	    get(&stats.front_too_large));
	responses(&o);
	counter(&o, "xff_gateway_responses_cut_total",
	    "Backend responses cut after output was relayed.",
	    get(&stats.backend_cut));
	counter(&o, "xff_gateway_backend_connections_total",
	    "Backend connections opened.", get(&stats.backend_connects));
	counter(&o, "xff_gateway_backend_reused_total",
	    "Requests sent on a kept backend connection.",
	    get(&stats.backend_reused));
	backend_pool(&o);
	by_event(&o, "xff_gateway_events_total",
	    "Events found by the correction (untrusted_peer, "
	    "missing_header, depth_mismatch, spoof_attempt, invalid_value, "
	    "stealth), rejected requests included, whatever the log level.",
	    "event", stats.events);
	by_event(&o, "xff_gateway_rejections_total",
	    "Requests the gateway answered 400 or 404, by reason.", "reason",
	    stats.rejections);
	latency(&o);
	head(&o, "xff_gateway_config_reloads_total",
	    "Configuration reloads (SIGHUP).", "counter");
	put(&o, "xff_gateway_config_reloads_total{result=\"ok\"} %lu\n"
	    "xff_gateway_config_reloads_total{result=\"failed\"} %lu\n",
	    get(&stats.reloads_ok), get(&stats.reloads_failed));
	return o.len;
}
