#!/usr/bin/env python3
"""HTTP benchmarks of xff-gateway (make bench-http).

1. wrk -> nginx -> echo-app ("direct") against wrk -> nginx -> xff-gateway
   -> echo-app, without and with FastCGI keep-alive, for three loads:
   small responses, 1 MiB responses and 1 MiB POST bodies.
2. The same correction done by HAProxy with a Lua action
   (tests/bench/haproxy-xff.lua) in front of nginx, against the gateway
   and the direct path (keep-alive, small responses).
3. The gateway's peak RSS (VmHWM) during 1 and 2, and during a 1 GiB
   upload streamed through nginx -> xff-gateway -> echo-app, whose byte
   count the echo application reports back.

The machine is shared and noisy, so each comparison is many short wrk runs
alternated between the variants (the order swapped every round), and the
tables give the median of the per-round ratios with their spread
(min-max).  Timings are printed, never asserted; the script fails only
when the set-up does not work (a process does not start, a path does not
correct the client address as expected).

Every request carries a three-entry X-Forwarded-For and an
X-Forwarded-Proto, as a client behind two proxies sends them: the
gateway (x_for = 3, with the proxies listed) and the Lua action (depth 3)
both take the leftmost entry as the client, and HTTPS from the proto.

Environment: abs_top_srcdir, abs_top_builddir (default: the source tree),
BENCH_PAIRS (8), BENCH_SECONDS (2), BENCH_CONNECTIONS (64),
BENCH_THREADS (wrk threads, 2), BENCH_QUICK=1 (2 rounds),
BENCH_UPLOAD_BYTES (1073741824), BENCH_KEEPALIVE (idle connections nginx
keeps per upstream, 16).  Everything listens on 127.0.0.1 or on Unix
sockets in a temporary directory; every process is stopped by its PID.
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

import harness  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
PAIRS = int(os.environ.get("BENCH_PAIRS", "2" if QUICK else "8"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
WRK_THREADS = int(os.environ.get("BENCH_THREADS", "2"))
UPLOAD = int(os.environ.get("BENCH_UPLOAD_BYTES", str(1 << 30)))
KEEPALIVE = int(os.environ.get("BENCH_KEEPALIVE", "16"))
NGINX_WORKERS = 1

# fastcgi.md 1.4: every connection nginx holds to a libfcgi responder,
# busy (at most max_conns) or idle in its keep-alive cache (at most
# keepalive), pins one thread:
#     threads >= nginx workers x (max_conns + keepalive).
# The gateway keeps at most one backend connection per worker, so the
# backend behind it needs as many threads as the gateway has workers.
MAX_CONNS = CONNS
WORKERS = NGINX_WORKERS * (MAX_CONNS + KEEPALIVE)
BACKEND_THREADS = WORKERS

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
    print("bench_http: %s" % msg, file=sys.stderr)
    sys.exit(2)


def out(line=""):
    print(line, flush=True)


# ------------------------------------------------------------ machine

def machine():
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
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0,
                           "m": 60000.0}[unit]


class Run:
    def __init__(self, rps, p50, p99, requests, errors):
        self.rps = rps
        self.p50 = p50
        self.p99 = p99
        self.requests = requests
        self.errors = errors


def wrk(url, script=None):
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


def rounds(variants, script):
    """variants: list of (name, url).  Runs PAIRS rounds, each running
    every variant once, the order rotated from round to round; returns
    {name: [Run, ...]} in round order."""
    res = dict((name, []) for name, _ in variants)
    for i in range(PAIRS):
        k = i % len(variants)
        order = variants[k:] + variants[:k]
        if i % 2 == 1:
            order.reverse()
        for name, url in order:
            res[name].append(wrk(url, script))
    return res


def spread(values):
    return "%.2f (%.2f-%.2f)" % (statistics.median(values), min(values),
                                 max(values))


def med(runs, field):
    return statistics.median(getattr(r, field) for r in runs)


def ratios(a, b, field):
    return [getattr(x, field) / getattr(y, field) if getattr(y, field) else 0.0
            for x, y in zip(a, b)]


# ------------------------------------------------------------ set-up

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
    return "location %s {\n%s\n}\n" % (path, body)


def plain(path, sock):
    return loc(path, "include fastcgi_params;\n%sfastcgi_pass unix:%s;"
               % (COMMON, sock))


def keep(path, upstream, extra=""):
    return loc(path, "%s\n%sfastcgi_keep_conn on;\nfastcgi_pass %s;"
               % (extra or "include fastcgi_params;", COMMON, upstream))


def upstream(name, sock):
    return ("upstream %s {\n  server unix:%s max_conns=%d;\n  keepalive %d;\n}\n"
            % (name, sock, MAX_CONNS, KEEPALIVE))


def start_gateway(env, name, backend, keep_conn, workers=WORKERS):
    ini = GATEWAY_INI % {"backend": backend, "workers": workers,
                         "keep": "yes" if keep_conn else "no"}
    p = env.gateway(ini, name=name)
    p.rss0 = harness.proc_status(p.pid, "VmRSS")
    return p


def check_path(port, path, want_addr, want_https):
    """One request with the forwarded headers; the echo app's params must
    show the expected REMOTE_ADDR and HTTPS."""
    hdrs = [tuple(h.split(": ", 1)) for h in HEADERS]
    r = harness.request(port, path, headers=hdrs)
    if r.status != 200:
        die("%s: status %d: %r" % (path, r.status, r.body[:500]))
    params = {}
    for k, v in r.json()["params"]:
        params.setdefault(k, v)
    got = (params.get("REMOTE_ADDR"), params.get("HTTPS"))
    if got != (want_addr, want_https):
        die("%s: REMOTE_ADDR, HTTPS = %r, expected %r" % (
            path, got, (want_addr, want_https)))


def check_haproxy_path(port):
    """As check_path, through HAProxy (also waits for it to listen)."""
    deadline = time.monotonic() + harness.WAIT
    while not harness.can_connect(("127.0.0.1", port)):
        if time.monotonic() > deadline:
            die("haproxy does not listen on %d" % port)
        time.sleep(0.05)
    check_path(port, "/h1/", CLIENT, "on")


# ------------------------------------------------------------ parts

def part_paths(port, gws):
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
    for mode, dpath, gpath in (("new conn", "/d0/", "/g0/"),
                               ("keep-alive", "/d1/", "/g1/")):
        for lname, query, script in LOADS:
            base = "http://127.0.0.1:%d" % port
            res = rounds([("d", base + dpath + "?" + query),
                          ("g", base + gpath + "?" + query)], script)
            d, g = res["d"], res["g"]
            out("%-10s %-18s %10.0f %10.0f %18s %6.2fms %6.2fms %18s "
                "%6.1fms %6.1fms %18s %6d"
                % (mode, lname, med(d, "rps"), med(g, "rps"),
                   spread(ratios(g, d, "rps")),
                   med(d, "p50"), med(g, "p50"), spread(ratios(g, d, "p50")),
                   med(d, "p99"), med(g, "p99"), spread(ratios(g, d, "p99")),
                   sum(r.errors for r in d + g)))
    for name, p in gws:
        out("# %s: VmHWM %s kB after part 1 (VmRSS %s kB at start)"
            % (name, harness.proc_status(p.pid, "VmHWM"), p.rss0))


def part_haproxy(port, hport, gw):
    out()
    out("## 2. keep-alive, small responses, client address corrected by depth 3")
    out("##    direct:  wrk -> nginx -> echo-app (no correction)")
    out("##    gateway: wrk -> nginx -> xff-gateway -> echo-app")
    out("##    haproxy: wrk -> haproxy + haproxy-xff.lua -> nginx -> echo-app")
    out("## medians over %d rounds; ratio = variant/direct per round, median "
        "(min-max)" % PAIRS)
    out()
    base = "http://127.0.0.1:%d" % port
    q = "?size=200"
    res = rounds([("direct", base + "/d1/" + q), ("gateway", base + "/g1/" + q),
                  ("haproxy", "http://127.0.0.1:%d/h1/%s" % (hport, q))], None)
    head = ("%-8s %10s %18s %8s %18s %8s %18s %6s"
            % ("variant", "r/s", "r/s ratio", "p50", "p50 ratio", "p99",
               "p99 ratio", "errors"))
    out(head)
    out("-" * len(head))
    d = res["direct"]
    for name in ("direct", "gateway", "haproxy"):
        v = res[name]
        out("%-8s %10.0f %18s %6.2fms %18s %6.1fms %18s %6d"
            % (name, med(v, "rps"), spread(ratios(v, d, "rps")),
               med(v, "p50"), spread(ratios(v, d, "p50")),
               med(v, "p99"), spread(ratios(v, d, "p99")),
               sum(r.errors for r in v)))
    g, h = res["gateway"], res["haproxy"]
    out("gateway/haproxy r/s ratio: %s" % spread(ratios(g, h, "rps")))
    out("# gateway (keep-alive): VmHWM %s kB after part 2"
        % harness.proc_status(gw.pid, "VmHWM"))


def part_upload(port, gw):
    out()
    out("## 3. %d-byte upload: python client -> nginx (request buffering off) "
        "-> xff-gateway -> echo-app" % UPLOAD)
    chunk = b"0123456789abcdef" * 4096        # 64 KiB
    peak_rss = [0]

    def sample():
        v = harness.proc_status(gw.pid, "VmRSS") or 0
        peak_rss[0] = max(peak_rss[0], v)

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.monotonic()
    try:
        c.putrequest("POST", "/up/", skip_accept_encoding=True)
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
                sample()
                last = now
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    secs = time.monotonic() - t0
    sample()
    if r.status != 200:
        die("upload: status %d: %r" % (r.status, body[:500]))
    got = harness.Response(r.status, r.getheaders(), body).json()["stdin_len"]
    out("upload: %d bytes sent in %.1f s (%.0f MB/s); echo-app read %d bytes: %s"
        % (UPLOAD, secs, UPLOAD / secs / 1e6, got,
           "exact" if got == UPLOAD else "MISMATCH"))
    out("# gateway (upload): VmRSS %s kB at start, highest VmRSS sampled %d kB, "
        "VmHWM %s kB" % (gw.rss0, peak_rss[0],
                         harness.proc_status(gw.pid, "VmHWM")))
    if got != UPLOAD:
        die("upload: the backend read %d bytes, not %d" % (got, UPLOAD))


def main():
    for prog in (harness.GATEWAY, harness.ECHO_APP):
        if not os.access(prog, os.X_OK):
            die("%s is not built" % prog)
    machine()
    if os.geteuid() == 0:
        # the gateway refuses root without user =; privileges do not
        # matter for these figures
        os.environ["XFF_GATEWAY_ALLOW_ROOT"] = "1"
    t0 = time.monotonic()
    with harness.Env("xffbench") as env:
        echo = {}
        for name in ("ed0", "ed1", "eg0", "eg1", "eh1", "eup"):
            echo[name] = env.echo_app(name=name, threads=BACKEND_THREADS)[1]
        gw0 = start_gateway(env, "gw0", echo["eg0"], False)
        gw1 = start_gateway(env, "gw1", echo["eg1"], True)
        gwup = start_gateway(env, "gwup", echo["eup"], True, workers=4)

        port = harness.free_port()
        hport = harness.free_port()
        ups = (upstream("ed1", echo["ed1"]) + upstream("gw1", gw1.sock)
               + upstream("eh1", echo["eh1"])
               + "map $http_x_client_ip $xff_client {\n"
                 "  \"\" $remote_addr;\n  default $http_x_client_ip;\n}\n")
        locs = [plain("/d0/", echo["ed0"]), plain("/g0/", gw0.sock),
                keep("/d1/", "ed1"), keep("/g1/", "gw1"),
                keep("/h1/", "eh1", fastcgi_params({
                    "REMOTE_ADDR": "$xff_client",
                    "HTTPS": "$http_x_client_https if_not_empty"})),
                loc("/up/", "include fastcgi_params;\n"
                    "client_max_body_size 0;\n"
                    "fastcgi_request_buffering off;\n"
                    "fastcgi_read_timeout 300s;\n"
                    "fastcgi_send_timeout 300s;\n"
                    "fastcgi_pass unix:%s;" % gwup.sock)]
        ng = env.nginx(harness.server_block(port, locs, "access_log off;"),
                       upstreams=ups, workers=NGINX_WORKERS,
                       connections=4 * CONNS + 8 * KEEPALIVE + 64)
        env.wait_socket(ng, ("127.0.0.1", port))
        lua = os.path.join(HERE, "haproxy-xff.lua")
        hcfg = env.write("haproxy.cfg", HAPROXY_CFG % {
            "lua": lua, "dir": env.dir, "port": hport, "nginx_port": port})
        hp = env.start("haproxy", [harness.find_program("haproxy"), "-db",
                                   "-f", hcfg])

        for path in ("/d0/", "/d1/"):
            check_path(port, path, "127.0.0.1", None)
        for path in ("/g0/", "/g1/", "/up/"):
            check_path(port, path, CLIENT, "on")
        check_haproxy_path(hport)
        out("# checked: the gateway and haproxy paths give REMOTE_ADDR %s, "
            "HTTPS on; the direct paths 127.0.0.1" % CLIENT)
        out("# haproxy threads: %s" % (len(os.listdir("/proc/%d/task" % hp.pid))
                                       if hp.alive() else "?"))

        part_paths(port, [("gateway (new conn)", gw0),
                          ("gateway (keep-alive)", gw1)])
        part_haproxy(port, hport, gw1)
        part_upload(port, gwup)

        for p in (gw0, gw1, gwup):
            if not p.alive():
                die("%s exited during the benchmark; log:\n%s"
                    % (p.name, p.log_text()[-3000:]))
            lines = p.log_text().splitlines()
            out("# %s log: %d lines%s" % (p.name, len(lines),
                                          ", the last ones:" if lines else ""))
            for line in lines[-4:]:
                out("#   " + line[:300])
    out()
    out("# total %.0f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.HarnessError as e:
        die(str(e))
