#!/usr/bin/env python3
"""HTTP benchmarks of xff-gateway (make bench-http).

1. wrk -> nginx -> echo-app ("direct") against wrk -> nginx -> xff-gateway
   -> echo-app, without and with FastCGI keep-alive, for three loads:
   small responses, 1 MiB responses and 1 MiB POST bodies; requests/s,
   p50 and p99 latency, and the CPU time per request of every process on
   each path.
2. The same correction done by HAProxy with a Lua action
   (tests/bench/haproxy-xff.lua) in front of nginx, against the gateway
   and the direct path (keep-alive, small responses); beside them the
   floor of a hop: tests/bench/relay_floor, an event-loop byte relay
   between nginx and the echo app that corrects nothing.
3. A 1 GiB upload streamed through nginx -> echo-app and through nginx ->
   xff-gateway -> echo-app; the echo application reports the byte count.
4. PHP-FPM (pm = static, BENCH_PHP_CHILDREN children, one pool per path)
   answering
   tests/integration/backend-php/index.php: nginx -> PHP-FPM against
   nginx -> xff-gateway -> PHP-FPM, one connection per request (the
   gateway's default INI) and keep-alive (nginx's keepalive to PHP-FPM
   or to the gateway; the gateway with keep_conn = yes and
   backend_max_conns = the children, as xff-gateway.ini(5) recommends).
5. BENCH_IDLE_CONNS FastCGI connections to a gateway with the default
   INI, each kept alive after one request: the gateway's peak RSS, its
   threads, and the time a request takes meanwhile.
The gateway's peak RSS (VmHWM) is printed after each part.

The machine may be shared and noisy, so each comparison is many short wrk
runs, the variants taking turns (the order rotated every round), and the
tables give the median of the per-round ratios with their spread
(min-max).  Timings are printed, never asserted; the script fails only
when the set-up does not work (a process does not start, a path does not
correct the client address as expected, an upload arrives incomplete).

Every request carries a three-entry X-Forwarded-For and an
X-Forwarded-Proto, as a client behind two proxies sends them: the gateway
(x_for = 3, the proxies listed) and the Lua action (depth 3, count only)
both take the leftmost entry as the client, and HTTPS from the proto.

Environment: abs_top_srcdir, abs_top_builddir (default: the source tree),
BENCH_PAIRS (rounds, 8), BENCH_SECONDS (per wrk run, 2), BENCH_QUICK=1
(2 rounds), BENCH_CONNECTIONS (64), BENCH_THREADS (wrk threads, 2),
BENCH_KEEPALIVE (idle connections nginx keeps per upstream, 16),
BENCH_IDLE_CONNS (kept-alive idle connections of part 5, 1000),
BENCH_UPLOAD_BYTES (1073741824), BENCH_PHP_CHILDREN (8), BENCH_PARTS (the
parts to run, "12345").
Everything listens on 127.0.0.1 or on Unix sockets in a temporary
directory; every process is stopped by its PID.
"""
import http.client
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("abs_top_srcdir") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree

import harness  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
PAIRS = int(os.environ.get("BENCH_PAIRS", "2" if QUICK else "8"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
WRK_THREADS = int(os.environ.get("BENCH_THREADS", "2"))
UPLOAD = int(os.environ.get("BENCH_UPLOAD_BYTES", str(1 << 30)))
KEEPALIVE = int(os.environ.get("BENCH_KEEPALIVE", "16"))
PARTS = os.environ.get("BENCH_PARTS", "12345")
IDLE_CONNS = int(os.environ.get("BENCH_IDLE_CONNS", "1000"))
PHP_CHILDREN = int(os.environ.get("BENCH_PHP_CHILDREN", "8"))
NGINX_WORKERS = 1
RELAY_FLOOR = os.path.join(harness.BUILDDIR, "tests", "bench", "relay_floor")

# fastcgi.md 1.4: every connection nginx holds to a plain libfcgi
# responder (the echo app on the direct path), busy (at most max_conns)
# or idle in its keep-alive cache (at most keepalive), pins one thread:
#     threads >= nginx workers x (max_conns + keepalive).
# The gateway parks idle connections and runs its default workers
# (requests in flight, BENCH_WORKERS to change); it keeps at most one
# backend connection per worker.
MAX_CONNS = CONNS
WORKERS = int(os.environ.get("BENCH_WORKERS", "16"))
BACKEND_THREADS = NGINX_WORKERS * (MAX_CONNS + KEEPALIVE)

XFF = "203.0.113.7, 198.51.100.23, 10.0.0.5"
XPROTO = "https"
CLIENT = "203.0.113.7"       # third from the right: x_for = 3
HEADERS = ["X-Forwarded-For: " + XFF, "X-Forwarded-Proto: " + XPROTO]

BODY_SIZE = 1 << 20
LOADS = [
    # name, query, wrk script
    ("small GET (200 B)", "size=200", None),
    ("1 MiB GET", "size=%d" % BODY_SIZE, None),
    ("1 MiB POST", "size=200", "post-body.lua"),
]

GATEWAY_INI = """\
[gateway]
backend = unix:%(backend)s
workers = %(workers)d
keep_conn = %(keep)s
backend_max_conns = %(max_conns)d

[trust]
x_for = 3
x_proto = 1
proxies = 127.0.0.1 10.0.0.0/8 198.51.100.0/24
"""

HAPROXY_CFG = """\
global
    lua-load-per-thread %(lua)s
    pidfile %(dir)s/haproxy.pid
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive

frontend bench
    bind 127.0.0.1:%(port)d
    http-request lua.xff_depth 3 1
    default_backend nginx

backend nginx
    http-reuse safe
    server nginx 127.0.0.1:%(nginx_port)d
"""


def die(msg):
    """Reports a set-up failure and exits 2 (processes are stopped by
    the Env on the way out)."""
    print("bench_http: %s" % msg, file=sys.stderr)
    sys.exit(2)


def out(line=""):
    """Prints one line of the report at once."""
    print(line, flush=True)


# ------------------------------------------------------------ machine

def machine():
    """Prints the machine, the tool versions and the sizing."""
    model = "?"
    text = harness.read_text("/proc/cpuinfo")
    m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    if m:
        model = m.group(1).strip()
    load = harness.read_text("/proc/loadavg").split()[:3]
    mem = re.search(r"^MemTotal:\s+(\d+)", harness.read_text("/proc/meminfo"), re.M)

    def version(argv, pat):
        try:
            r = subprocess.run(argv, capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "?"
        m = re.search(pat, (r.stdout + r.stderr).decode("utf-8", "replace"))
        return m.group(1) if m else "?"

    out("# machine: nproc %d, CPU %s, kernel %s %s, %s MB RAM, load %s"
        % (os.cpu_count() or 0, model, platform.system(), platform.release(),
           int(mem.group(1)) // 1024 if mem else "?", " ".join(load)))
    out("# nginx %s (%d worker), haproxy %s, wrk %s"
        % (version([harness.find_program("nginx"), "-v"], r"nginx/(\S+)"),
           NGINX_WORKERS,
           version([harness.find_program("haproxy"), "-v"], r"version (\S+)"),
           version([harness.find_program("wrk"), "-v"], r"wrk (\S+)")))
    out("# wrk -t%d -c%d, %d rounds of %d s per variant; gateway workers %d, "
        "backend threads %d, nginx max_conns %d keepalive %d"
        % (WRK_THREADS, CONNS, PAIRS, SECONDS, WORKERS, BACKEND_THREADS,
           MAX_CONNS, KEEPALIVE))


# ------------------------------------------------------------ wrk

def to_ms(value, unit):
    """A wrk duration (value, unit) in milliseconds."""
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0,
                           "m": 60000.0}[unit]


class Run:
    """One wrk run: requests/s, p50 and p99 in ms, requests, errors."""

    def __init__(self, rps, p50, p99, requests, errors):
        self.rps = rps
        self.p50 = p50
        self.p99 = p99
        self.requests = requests
        self.errors = errors


def wrk(url, script=None):
    """Runs wrk once on url (with the forwarded headers and the optional
    Lua script); returns a Run, or dies when the output is unreadable."""
    argv = [harness.find_program("wrk"), "-t%d" % WRK_THREADS,
            "-c%d" % CONNS, "-d%ds" % SECONDS, "--latency", "--timeout", "10s"]
    for h in HEADERS:
        argv += ["-H", h]
    if script:
        argv += ["-s", os.path.join(HERE, script)]
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, timeout=SECONDS + 60)
    text = r.stdout.decode("utf-8", "replace")
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    lat = dict((k, to_ms(v, u)) for k, v, u in re.findall(
        r"^\s*(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$", text, re.M))
    total = re.search(r"(\d+) requests in", text)
    if r.returncode != 0 or not rps or "50" not in lat or "99" not in lat:
        die("cannot read wrk output for %s:\n%s%s" % (
            url, text, r.stderr.decode("utf-8", "replace")))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    return Run(float(rps.group(1)), lat["50"], lat["99"],
               int(total.group(1)) if total else 0, errors)


def cpu_us(pid):
    """User + system CPU time of a process (all its threads) in us."""
    text = harness.read_text("/proc/%d/stat" % pid)
    f = text.rsplit(")", 1)[-1].split()
    if len(f) < 13:
        return 0.0
    return (int(f[11]) + int(f[12])) * 1e6 / os.sysconf("SC_CLK_TCK")


def rounds(variants, script):
    """variants: list of (name, url, {role: pid}).  Runs PAIRS rounds, each
    running every variant once, the order rotated from round to round;
    returns {name: [Run, ...]} in round order.  Each Run also carries
    .cpu, {role: CPU us per request} of the given processes."""
    res = dict((v[0], []) for v in variants)
    for i in range(PAIRS):
        k = i % len(variants)
        for name, url, pids in variants[k:] + variants[:k]:
            before = dict((role, cpu_us(pid)) for role, pid in pids.items())
            r = wrk(url, script)
            n = max(r.requests, 1)
            r.cpu = dict((role, (cpu_us(pid) - before[role]) / n)
                         for role, pid in pids.items())
            res[name].append(r)
    return res


def cpu_med(runs, role):
    """Median CPU us per request of one role over runs."""
    return statistics.median(r.cpu.get(role, 0.0) for r in runs)


def spread(values):
    """"median (min-max)" of values."""
    return "%.2f (%.2f-%.2f)" % (statistics.median(values), min(values),
                                 max(values))


def med(runs, field):
    """Median of one Run field over runs."""
    return statistics.median(getattr(r, field) for r in runs)


def ratios(a, b, field):
    """Per-round ratios a[i].field / b[i].field."""
    return [getattr(x, field) / getattr(y, field) if getattr(y, field) else 0.0
            for x, y in zip(a, b)]


# ------------------------------------------------------------ set-up

def children(pid):
    """PIDs of the children of pid (nginx's workers)."""
    text = harness.read_text("/proc/%d/task/%d/children" % (pid, pid))
    return [int(x) for x in text.split()]


def fastcgi_params(replace):
    """The lines of nginx's fastcgi_params with the params named in replace
    given other values (so that no param is sent twice)."""
    lines = []
    for line in harness.read_text(harness.find_fastcgi_params()).splitlines():
        m = re.match(r"\s*fastcgi_param\s+(\S+)", line)
        if m and m.group(1) in replace:
            continue
        if line.strip():
            lines.append(line.strip())
    for name, value in replace.items():
        lines.append("fastcgi_param %s %s;" % (name, value))
    return "\n".join(lines)


COMMON = """\
fastcgi_buffers 16 16k;
fastcgi_max_temp_file_size 0;
client_body_buffer_size 2m;
client_max_body_size 8m;
"""


def loc(path, body):
    """An nginx location block."""
    return "location %s {\n%s\n}\n" % (path, body)


def plain(path, sock):
    """A location with one FastCGI connection per request."""
    return loc(path, "include fastcgi_params;\n%sfastcgi_pass unix:%s;"
               % (COMMON, sock))


def keep(path, upstream, extra=""):
    """A location reusing the connections of an upstream block; extra
    replaces the fastcgi_params include."""
    return loc(path, "%s\n%sfastcgi_keep_conn on;\nfastcgi_pass %s;"
               % (extra or "include fastcgi_params;", COMMON, upstream))


def stream(path, sock):
    """A location that streams request bodies of any size."""
    return loc(path, "include fastcgi_params;\n"
               "client_max_body_size 0;\n"
               "fastcgi_request_buffering off;\n"
               "fastcgi_read_timeout 300s;\n"
               "fastcgi_send_timeout 300s;\n"
               "fastcgi_pass unix:%s;" % sock)


def upstream(name, sock):
    """An upstream block sized as the comment at the top says."""
    return ("upstream %s {\n  server unix:%s max_conns=%d;\n  keepalive %d;\n}\n"
            % (name, sock, MAX_CONNS, KEEPALIVE))


def start_gateway(env, name, backend, keep_conn, workers=WORKERS,
                  max_conns=0):
    """The gateway under spawn-fcgi, relaying to the backend socket; its
    VmRSS at start is kept in .rss0."""
    ini = GATEWAY_INI % {"backend": backend, "workers": workers,
                         "keep": "yes" if keep_conn else "no",
                         "max_conns": max_conns}
    p = env.gateway(ini, name=name)
    p.rss0 = harness.proc_status(p.pid, "VmRSS")
    return p


SPLIT = [("X-Forwarded-For", "203.0.113.7"),
         ("X-Forwarded-For", "198.51.100.23, 10.0.0.5"),
         ("X-Forwarded-Proto", XPROTO)]


def check_path(port, path, want_addr, want_https, hdrs=None):
    """One request with the forwarded headers (or hdrs, a list of pairs);
    the echo app's params must show the expected REMOTE_ADDR and HTTPS."""
    if hdrs is None:
        hdrs = [tuple(h.split(": ", 1)) for h in HEADERS]
    r = harness.request(port, path, headers=hdrs)
    if r.status != 200:
        die("%s: status %d: %r" % (path, r.status, r.body[:500]))
    params = {}
    for k, v in r.json()["params"]:
        params.setdefault(k, v)
    got = (params.get("REMOTE_ADDR"), params.get("HTTPS"))
    if got != (want_addr, want_https):
        die("%s: REMOTE_ADDR, HTTPS = %r, expected %r (headers %r)" % (
            path, got, (want_addr, want_https), hdrs))


def check_haproxy_path(port):
    """As check_path, through HAProxy (also waits for it to listen)."""
    deadline = time.monotonic() + harness.WAIT
    while not harness.can_connect(("127.0.0.1", port)):
        if time.monotonic() > deadline:
            die("haproxy does not listen on %d" % port)
        time.sleep(0.05)
    check_path(port, "/h1/", CLIENT, "on")
    check_path(port, "/h1/", CLIENT, "on", SPLIT)
    check_path(port, "/h1/", "10.0.0.5", None,
               [("X-Forwarded-For", "10.0.0.5"), ("X-Client-IP", "192.0.2.1")])


# ------------------------------------------------------------ parts

def part_paths(port, pids, gws):
    """pids: {name: pid} of nginx's worker, the echo apps and gateways."""
    out()
    out("## 1. nginx -> echo-app (direct) vs nginx -> xff-gateway -> echo-app")
    out("## medians over %d rounds; ratio = gateway/direct per round, median "
        "(min-max); errors = non-2xx + socket errors" % PAIRS)
    out()
    head = ("%-10s %-18s %10s %10s %18s %7s %7s %18s %7s %7s %18s %6s"
            % ("fastcgi", "load", "direct r/s", "gw r/s", "r/s ratio",
               "p50 d", "p50 gw", "p50 ratio", "p99 d", "p99 gw",
               "p99 ratio", "errors"))
    out(head)
    out("-" * len(head))
    cpu_rows = []
    for mode, k in (("new conn", "0"), ("keep-alive", "1")):
        for lname, query, script in LOADS:
            base = "http://127.0.0.1:%d" % port
            res = rounds([
                ("d", base + "/d%s/?%s" % (k, query),
                 {"nginx": pids["nginx"], "backend": pids["ed" + k]}),
                ("g", base + "/g%s/?%s" % (k, query),
                 {"nginx": pids["nginx"], "gateway": pids["gw" + k],
                  "backend": pids["eg" + k]})], script)
            d, g = res["d"], res["g"]
            out("%-10s %-18s %10.0f %10.0f %18s %6.2fms %6.2fms %18s "
                "%6.1fms %6.1fms %18s %6d"
                % (mode, lname, med(d, "rps"), med(g, "rps"),
                   spread(ratios(g, d, "rps")),
                   med(d, "p50"), med(g, "p50"), spread(ratios(g, d, "p50")),
                   med(d, "p99"), med(g, "p99"), spread(ratios(g, d, "p99")),
                   sum(r.errors for r in d + g)))
            cpu_rows.append((mode, lname, d, g))
    out()
    out("## CPU time per request (user + system, us, median over the rounds) "
        "of the processes on each path")
    out()
    head = ("%-10s %-18s | %8s %8s %8s | %8s %8s %8s %8s | %8s"
            % ("fastcgi", "load", "nginx", "backend", "total", "nginx",
               "gateway", "backend", "total", "gw share"))
    out("%-29s | %-26s | %-35s |" % ("", "direct", "through the gateway"))
    out(head)
    out("-" * len(head))
    for mode, lname, d, g in cpu_rows:
        dt = [sum(r.cpu.values()) for r in d]
        gt = [sum(r.cpu.values()) for r in g]
        out("%-10s %-18s | %8.0f %8.0f %8.0f | %8.0f %8.0f %8.0f %8.0f | "
            "%7.0f%%"
            % (mode, lname, cpu_med(d, "nginx"), cpu_med(d, "backend"),
               statistics.median(dt), cpu_med(g, "nginx"),
               cpu_med(g, "gateway"), cpu_med(g, "backend"),
               statistics.median(gt),
               100.0 * statistics.median(
                   r.cpu["gateway"] / t for r, t in zip(g, gt) if t > 0)))
    out("(gw share: the gateway's part of the CPU time of its path)")
    for name, p in gws:
        out("# %s: VmHWM %s kB after part 1 (VmRSS %s kB at start)"
            % (name, harness.proc_status(p.pid, "VmHWM"), p.rss0))


def part_haproxy(port, hport, pids, gw):
    out()
    out("## 2. keep-alive, small responses, client address corrected by depth 3")
    out("##    direct:  wrk -> nginx -> echo-app (no correction)")
    out("##    gateway: wrk -> nginx -> xff-gateway -> echo-app")
    out("##    haproxy: wrk -> haproxy + haproxy-xff.lua -> nginx -> echo-app")
    out("##    floor:   wrk -> nginx -> relay_floor -> echo-app (an event-loop "
        "byte relay, no correction)")
    out("## medians over %d rounds; ratio = variant/direct per round, median "
        "(min-max); cpu/req: all the processes of the path, us" % PAIRS)
    out()
    base = "http://127.0.0.1:%d" % port
    q = "?size=200"
    ng = pids["nginx"]
    res = rounds([
        ("direct", base + "/d1/" + q, {"nginx": ng, "backend": pids["ed1"]}),
        ("gateway", base + "/g1/" + q, {"nginx": ng, "gateway": pids["gw1"],
                                        "backend": pids["eg1"]}),
        ("haproxy", "http://127.0.0.1:%d/h1/%s" % (hport, q),
         {"haproxy": pids["haproxy"], "nginx": ng,
          "backend": pids["eh1"]}),
        ("floor", base + "/f1/" + q, {"nginx": ng, "relay": pids["floor"],
                                      "backend": pids["ef1"]})], None)
    head = ("%-8s %10s %18s %8s %18s %8s %18s %6s %8s %10s"
            % ("variant", "r/s", "r/s ratio", "p50", "p50 ratio", "p99",
               "p99 ratio", "errors", "cpu/req", "proxy cpu"))
    out(head)
    out("-" * len(head))
    d = res["direct"]
    for name in ("direct", "gateway", "haproxy", "floor"):
        v = res[name]
        proxy = {"direct": "-", "gateway": "%.0f" % cpu_med(v, "gateway"),
                 "haproxy": "%.0f" % cpu_med(v, "haproxy"),
                 "floor": "%.0f" % cpu_med(v, "relay")}[name]
        out("%-8s %10.0f %18s %6.2fms %18s %6.1fms %18s %6d %8.0f %10s"
            % (name, med(v, "rps"), spread(ratios(v, d, "rps")),
               med(v, "p50"), spread(ratios(v, d, "p50")),
               med(v, "p99"), spread(ratios(v, d, "p99")),
               sum(r.errors for r in v),
               statistics.median(sum(r.cpu.values()) for r in v), proxy))
    g, h, f = res["gateway"], res["haproxy"], res["floor"]
    out("gateway/haproxy r/s ratio: %s" % spread(ratios(g, h, "rps")))
    out("gateway/floor r/s ratio: %s; p99 gateway/floor: %s"
        % (spread(ratios(g, f, "rps")), spread(ratios(g, f, "p99"))))
    out("# gateway (keep-alive): VmHWM %s kB after part 2"
        % harness.proc_status(gw.pid, "VmHWM"))


def upload(port, path, pid):
    """Streams UPLOAD bytes to path; returns (seconds, bytes the echo app
    read, highest VmRSS of pid sampled meanwhile in kB)."""
    chunk = b"0123456789abcdef" * 4096        # 64 KiB
    peak = 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.monotonic()
    try:
        c.putrequest("POST", path, skip_accept_encoding=True)
        for h in HEADERS:
            k, v = h.split(": ", 1)
            c.putheader(k, v)
        c.putheader("Content-Type", "application/octet-stream")
        c.putheader("Content-Length", str(UPLOAD))
        c.endheaders()
        sent = 0
        last = 0.0
        while sent < UPLOAD:
            n = min(len(chunk), UPLOAD - sent)
            c.send(chunk[:n] if n < len(chunk) else chunk)
            sent += n
            now = time.monotonic()
            if now - last > 0.05:
                peak = max(peak, harness.proc_status(pid, "VmRSS") or 0)
                last = now
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    secs = time.monotonic() - t0
    peak = max(peak, harness.proc_status(pid, "VmRSS") or 0)
    if r.status != 200:
        die("upload to %s: status %d: %r" % (path, r.status, body[:500]))
    got = harness.Response(r.status, r.getheaders(), body).json()["stdin_len"]
    return secs, got, peak


def part_upload(port, gw, direct_pid):
    out()
    out("## 3. %d-byte upload: python client -> nginx (request buffering off) "
        "-> [xff-gateway ->] echo-app" % UPLOAD)
    out()
    for label, path, pid in (("direct", "/upd/", direct_pid),
                             ("gateway", "/up/", gw.pid)):
        secs, got, peak = upload(port, path, pid)
        out("%-8s %d bytes in %5.1f s (%4.0f MB/s); echo-app read %d bytes: %s"
            % (label, UPLOAD, secs, UPLOAD / secs / 1e6, got,
               "exact" if got == UPLOAD else "MISMATCH"))
        if got != UPLOAD:
            die("upload to %s: the backend read %d bytes, not %d"
                % (path, got, UPLOAD))
    out("# gateway (upload): VmRSS %s kB at start, highest VmRSS sampled %d kB, "
        "VmHWM %s kB" % (gw.rss0, peak, harness.proc_status(gw.pid, "VmHWM")))


def check_php_path(port, path, want_addr, want_https):
    """As check_path, for PHP-FPM's index.php ($_SERVER as JSON)."""
    r = harness.request(port, path, headers=[tuple(h.split(": ", 1))
                                             for h in HEADERS])
    if r.status != 200:
        die("%s: status %d: %r" % (path, r.status, r.body[:500]))
    server = r.json()["server"]
    got = (server.get("REMOTE_ADDR"), server.get("HTTPS"))
    if got != (want_addr, want_https):
        die("%s: REMOTE_ADDR, HTTPS = %r, expected %r" % (
            path, got, (want_addr, want_https)))


def php_locations(env, gwp0, gwp1, php_sock):
    """The upstreams and locations of part 4: /pd0/ and /pd1/ to PHP-FPM,
    /pg0/ and /pg1/ to its gateways; without and with keep-alive."""
    script = "fastcgi_param SCRIPT_FILENAME %s;\n" % harness.PHP_INDEX
    ups = ("upstream php1 {\n  server unix:%s;\n  keepalive %d;\n}\n"
           % (php_sock, PHP_CHILDREN) + upstream("gwp1", gwp1.sock))
    locs = []
    for path, target in (("/pd0/", "unix:" + php_sock),
                         ("/pg0/", "unix:" + gwp0.sock)):
        locs.append(loc(path, "include fastcgi_params;\n%s%sfastcgi_pass %s;"
                        % (script, COMMON, target)))
    for path, ups_name in (("/pd1/", "php1"), ("/pg1/", "gwp1")):
        locs.append(keep(path, ups_name, "include fastcgi_params;\n" + script))
    return ups, locs


def part_php(port, pids, gws):
    """pids: nginx's worker and PHP-FPM's master (its children counted)."""
    out()
    out("## 4. PHP-FPM, pm = static, %d children (a pool per path): nginx -> "
        "PHP-FPM (direct) vs nginx -> xff-gateway -> PHP-FPM" % PHP_CHILDREN)
    out("##    new conn: one FastCGI connection per request on both hops "
        "(the gateway's default INI)")
    out("##    keep-alive: nginx keepalive %d to PHP-FPM, or to the gateway "
        "with keep_conn = yes, backend_max_conns = %d"
        % (PHP_CHILDREN, PHP_CHILDREN))
    out("## medians over %d rounds; ratio = gateway/direct per round, median "
        "(min-max); errors = non-2xx + socket errors" % PAIRS)
    out()
    head = ("%-10s %10s %10s %18s %7s %7s %18s %8s %8s %18s %6s %6s"
            % ("fastcgi", "direct r/s", "gw r/s", "r/s ratio", "p50 d",
               "p50 gw", "p50 ratio", "p99 d", "p99 gw", "p99 ratio",
               "err d", "err gw"))
    out(head)
    out("-" * len(head))
    base = "http://127.0.0.1:%d" % port
    for mode, k in (("new conn", "0"), ("keep-alive", "1")):
        res = rounds([
            ("d", base + "/pd%s/index.php" % k,
             {"nginx": pids["nginx"], "backend": pids["phpd"]}),
            ("g", base + "/pg%s/index.php" % k,
             {"nginx": pids["nginx"], "gateway": pids["gwp" + k],
              "backend": pids["phpg"]})], None)
        d, g = res["d"], res["g"]
        out("%-10s %10.0f %10.0f %18s %6.2fms %6.2fms %18s %7.1fms %7.1fms "
            "%18s %6d %6d"
            % (mode, med(d, "rps"), med(g, "rps"), spread(ratios(g, d, "rps")),
               med(d, "p50"), med(g, "p50"), spread(ratios(g, d, "p50")),
               med(d, "p99"), med(g, "p99"), spread(ratios(g, d, "p99")),
               sum(r.errors for r in d), sum(r.errors for r in g)))
    for name, p in gws:
        out("# %s: VmHWM %s kB after part 4" % (name,
                                                 harness.proc_status(p.pid,
                                                                     "VmHWM")))


def kept_request(sock, keep=True):
    """The bytes of one small FastCGI request (id 1, keep_conn flag)."""
    rec = harness._fcgi_record
    pairs = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/idle"),
             ("SCRIPT_NAME", "/idle"), ("QUERY_STRING", "size=200"),
             ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PROTOCOL", "HTTP/1.1")]
    body = b"".join(harness._fcgi_len(len(k)) + harness._fcgi_len(len(v))
                    + k.encode() + v.encode() for k, v in pairs)
    return (rec(1, bytes([0, 1, 1 if keep else 0, 0, 0, 0, 0, 0]))
            + rec(4, body) + rec(4, b"") + rec(5, b""))


def read_answer(s):
    """Reads one answer's records up to END_REQUEST; returns the STDOUT
    bytes, or None when the connection closed first."""
    buf, out = b"", b""
    while True:
        while len(buf) >= 8:
            clen = (buf[4] << 8) | buf[5]
            total = 8 + clen + buf[6]
            if len(buf) < total:
                break
            rtype, content, buf = buf[1], buf[8:8 + clen], buf[total:]
            if rtype == 6:
                out += content
            elif rtype == 3:
                return out
        d = s.recv(65536)
        if not d:
            return None
        buf += d


def part_idle(env):
    """Part 5: many kept-alive idle connections."""
    import socket
    out()
    out("## 5. %d FastCGI connections kept alive after one request each, "
        "idle, on a gateway with the default INI" % IDLE_CONNS)
    harness.raise_nofile(IDLE_CONNS + 256)
    _, echo = env.echo_app(name="eidle", threads=8)
    gw = env.gateway("[gateway]\nbackend = unix:%s\n\n[trust]\nx_for = 1\n"
                     % echo, name="gwidle")
    rss0 = harness.proc_status(gw.pid, "VmRSS")
    conns = []
    t0 = time.monotonic()
    try:
        for i in range(IDLE_CONNS):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            conns.append(s)
            s.connect(gw.sock)
            s.sendall(kept_request(gw.sock))
            if read_answer(s) is None:
                die("connection %d closed by the gateway; log:\n%s"
                    % (i, gw.log_text()[-2000:]))
        opened = time.monotonic() - t0
        time.sleep(0.5)
        t1 = time.monotonic()
        data, _ = harness.fcgi_exchange(gw.sock, kept_request(gw.sock, False),
                                        30)
        probe = time.monotonic() - t1
        if b"Status:" in data[:200] and b"200" not in data[:200]:
            die("probe answered %r" % data[:200])
        # the kept connections still serve
        for s in conns[:10]:
            s.sendall(kept_request(gw.sock))
            if read_answer(s) is None:
                die("a kept connection was closed")
        out("%d connections opened and served in %.1f s; a new request "
            "meanwhile %.1f ms; gateway VmRSS %s kB at start, VmRSS %s kB "
            "and VmHWM %s kB with them open; threads %d"
            % (IDLE_CONNS, opened, probe * 1000, rss0,
               harness.proc_status(gw.pid, "VmRSS"),
               harness.proc_status(gw.pid, "VmHWM"),
               len(os.listdir("/proc/%d/task" % gw.pid))))
    finally:
        for s in conns:
            s.close()


def main():
    for prog in (harness.GATEWAY, harness.ECHO_APP, RELAY_FLOOR):
        if not os.access(prog, os.X_OK):
            die("%s is not built" % prog)
    machine()
    if os.geteuid() == 0:
        # the gateway refuses root without user =; privileges do not
        # matter for these figures
        os.environ["XFF_GATEWAY_ALLOW_ROOT"] = "1"
    t0 = time.monotonic()
    with harness.Env("xffbench") as env:
        echo, echo_procs = {}, {}
        for name in ("ed0", "ed1", "eg0", "eg1", "eh1", "ef1", "eup", "eupd"):
            echo_procs[name], echo[name] = env.echo_app(
                name=name, threads=BACKEND_THREADS)
        gw0 = start_gateway(env, "gw0", echo["eg0"], False)
        gw1 = start_gateway(env, "gw1", echo["eg1"], True)
        gwup = start_gateway(env, "gwup", echo["eup"], True, workers=4)
        floor = env.start("floor", [RELAY_FLOOR, env.path("floor.sock"),
                                    echo["ef1"]])
        env.wait_socket(floor, env.path("floor.sock"))
        gws = [gw0, gw1, gwup]
        php_ups, php_locs = "", []
        if "4" in PARTS:
            # one pool per path: connections nginx keeps to PHP-FPM hold
            # its children, which would starve a second client of the pool
            php_d, php_dsock = env.php_fpm("phpd", children=PHP_CHILDREN)
            php_g, php_gsock = env.php_fpm("phpg", children=PHP_CHILDREN)
            gwp0 = start_gateway(env, "gwp0", php_gsock, False)
            gwp1 = start_gateway(env, "gwp1", php_gsock, True,
                                 max_conns=PHP_CHILDREN)
            gws += [gwp0, gwp1]
            php_ups, php_locs = php_locations(env, gwp0, gwp1, php_dsock)

        port = harness.free_port()
        hport = harness.free_port()
        ups = (upstream("ed1", echo["ed1"]) + upstream("gw1", gw1.sock)
               + upstream("eh1", echo["eh1"])
               + upstream("rf1", env.path("floor.sock"))
               + "map $http_x_client_ip $xff_client {\n"
                 "  \"\" $remote_addr;\n  default $http_x_client_ip;\n}\n"
               + php_ups)
        locs = [plain("/d0/", echo["ed0"]), plain("/g0/", gw0.sock),
                keep("/d1/", "ed1"), keep("/g1/", "gw1"),
                keep("/h1/", "eh1", fastcgi_params({
                    "REMOTE_ADDR": "$xff_client",
                    "HTTPS": "$http_x_client_https if_not_empty"})),
                keep("/f1/", "rf1"),
                stream("/up/", gwup.sock), stream("/upd/", echo["eupd"])
                ] + php_locs
        ng = env.nginx(harness.server_block(port, locs, "access_log off;"),
                       upstreams=ups, workers=NGINX_WORKERS,
                       connections=4 * CONNS + 8 * KEEPALIVE + 64)
        env.wait_socket(ng, ("127.0.0.1", port))
        lua = os.path.join(HERE, "haproxy-xff.lua")
        hcfg = env.write("haproxy.cfg", HAPROXY_CFG % {
            "lua": lua, "dir": env.dir, "port": hport, "nginx_port": port})
        hp = env.start("haproxy", [harness.find_program("haproxy"), "-db",
                                   "-f", hcfg])

        for path in ("/d0/", "/d1/", "/f1/"):
            check_path(port, path, "127.0.0.1", None)
        for path in ("/g0/", "/g1/", "/up/"):
            check_path(port, path, CLIENT, "on")
            check_path(port, path, CLIENT, "on", SPLIT)
        check_haproxy_path(hport)
        if "4" in PARTS:
            for path in ("/pd0/", "/pd1/"):
                check_php_path(port, path + "index.php", "127.0.0.1", None)
            for path in ("/pg0/", "/pg1/"):
                check_php_path(port, path + "index.php", CLIENT, "on")
        out("# checked: the gateway and haproxy paths give REMOTE_ADDR %s and "
            "HTTPS on (also with X-Forwarded-For split over two lines); the "
            "direct and floor paths 127.0.0.1" % CLIENT)
        out("# haproxy threads: %s" % (len(os.listdir("/proc/%d/task" % hp.pid))
                                       if hp.alive() else "?"))

        workers = children(ng.pid)
        if len(workers) != 1:
            die("nginx: expected one worker, found %r" % workers)
        pids = dict((name, p.pid) for name, p in echo_procs.items())
        pids.update(nginx=workers[0], gw0=gw0.pid, gw1=gw1.pid,
                    haproxy=hp.pid, floor=floor.pid)
        if "1" in PARTS:
            part_paths(port, pids, [("gateway (new conn)", gw0),
                                    ("gateway (keep-alive)", gw1)])
        if "2" in PARTS:
            part_haproxy(port, hport, pids, gw1)
        if "3" in PARTS:
            part_upload(port, gwup, echo_procs["eupd"].pid)
        if "4" in PARTS:
            pids.update(phpd=php_d.pid, phpg=php_g.pid, gwp0=gwp0.pid,
                        gwp1=gwp1.pid)
            part_php(port, pids, [("gateway to PHP-FPM (new conn)", gwp0),
                                  ("gateway to PHP-FPM (keep-alive)", gwp1)])
        if "5" in PARTS:
            part_idle(env)

        for p in gws:
            if not p.alive():
                die("%s exited during the benchmark; log:\n%s"
                    % (p.name, p.log_text()[-3000:]))
            events = {}
            for line in p.log_text().splitlines():
                m = re.match(r"(?:\S+ )?\S+: (\w+) (\w+)", line)
                key = "%s %s" % m.groups() if m else "other"
                events[key] = events.get(key, 0) + 1
            out("# %s log lines: %s" % (p.name, ", ".join(
                "%s x%d" % kv for kv in sorted(events.items())) or "none"))
    out()
    out("# total %.0f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.HarnessError as e:
        die(str(e))
