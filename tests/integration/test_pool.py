#!/usr/bin/env python3
"""The gateway's backend connections (gateway/pool.c) against backends
that serve one connection per process (PHP-FPM, uWSGI) and a threaded
one (tests/echo-app).

* Bursts of 8 and 16 concurrent slow requests through nginx to PHP-FPM
  (pm.max_children 2 and 4, static and dynamic) and uWSGI (2 processes),
  with the default INI and with the recommended keep-alive setting
  (keep_conn = yes, backend_max_conns = the backend's processes), and
  with keep-alive and no bound: all 200, none 503/504.
* A PHP-FPM restart while connections sit in the pool.
* The threaded echo backend still reuses its connections, and a bound
  holds it to that many.
* A request that finds every connection busy waits, logs a warning past
  backend_wait_warn, and gets 503 after backend_timeout.
* Idle connections are closed after backend_idle_timeout without any
  traffic; SIGHUP with a lower bound closes the idle ones and applies it.

Each scenario prints "ok NAME" or "FAIL NAME" with the evidence; the last
line is "N passed, M failed"; the exit status is 1 when any failed.
Run as `python3 test_pool.py [NAME ...]` to run some scenarios only.
"""
import json
import math
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True     # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, Stopper, check, eq  # noqa: E402

DROP_TO = H.drop_to()
STATUS = "/xff-status"
SLOW = 0.5          # seconds each slow request holds a backend process
DEADLINE = 60.0     # seconds a burst may take at most (it needs a few)
# Far above what any scenario needs, so a stuck request shows as a 503 or
# 504 from the gateway, never as a client timeout.
REQUEST_TIMEOUT = 150.0


def ini(backend, gateway=None, level="info"):
    """An INI: the backend, the status page, and what gateway adds (the
    rest stays at its default)."""
    g = {"backend": "unix:" + backend, "status_uri": STATUS}
    g.update(DROP_TO)
    g.update(gateway or {})
    return H.ini_text((("gateway", g),
                       ("log", {"level": level, "target": "stderr"})))


def location(path, sock, extra=""):
    return ("location %s {\n include fastcgi_params;\n"
            " fastcgi_param SCRIPT_FILENAME %s;\n"
            " fastcgi_pass unix:%s;\n %s\n}\n" % (path, H.PHP_INDEX, sock,
                                                   extra))


def metrics(gw):
    """The status page of gw, read over FastCGI: {sample: value}."""
    a = H.fcgi_request(gw.sock, {
        "REQUEST_METHOD": "GET", "REQUEST_URI": STATUS, "SCRIPT_NAME": STATUS,
        "DOCUMENT_URI": STATUS, "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1"}, timeout=30)
    head, _, body = a.stdout.partition(b"\r\n\r\n")
    check(b"Status:" not in head or head.startswith(b"Status: 200"),
          "status page answered", a.stdout[:300])
    out = {}
    for line in body.decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def burst(port, n, path):
    """n requests at once (path % k); returns ([(status, seconds, body or
    error)], seconds for all)."""
    res = [None] * n

    def one(k):
        t0 = time.monotonic()
        try:
            r = H.request(port, path % k,
                          [("X-Forwarded-For", "203.0.113.%d" % (k + 1))],
                          timeout=REQUEST_TIMEOUT)
            res[k] = (r.status, time.monotonic() - t0, r.body)
        except Exception as e:
            res[k] = (None, time.monotonic() - t0, e)
    t0 = time.monotonic()
    ts = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(REQUEST_TIMEOUT + 10)
    return res, time.monotonic() - t0


def all_200(res, total, what, gw, needed=None):
    """Every answer 200 (none 503/504, none lost) within DEADLINE; prints
    the time taken beside what the backend needs."""
    codes = {}
    for r in res:
        codes[r and r[0]] = codes.get(r and r[0], 0) + 1
    print("    %s: %s in %.1f s%s" % (
        what, codes, total,
        " (the backend needs %.1f s)" % needed if needed else ""))
    check(codes == {200: len(res)}, "%s: all %d answered 200" % (what, len(res)),
          codes, [r for r in res if r is None or r[0] != 200][:3],
          gw.log_text()[-1500:])
    check(total < DEADLINE, "%s: answered within %.0f s (%.1f s)"
          % (what, DEADLINE, total))


def addresses_kept(res, key):
    """Each answer names its own client address (nothing mixed up)."""
    for k, r in enumerate(res):
        j = json.loads(r[2].decode("utf-8"))
        got = key(j)
        eq(got, "203.0.113.%d" % (k + 1), "REMOTE_ADDR of request %d" % k)


def peak_connections(sock, ts):
    """Samples the backend's accepted connections on sock while any of the
    threads ts runs; returns the peak."""
    peak = 0
    while any(t.is_alive() for t in ts):
        peak = max(peak, H.unix_connections(sock))
        time.sleep(0.01)
    return peak


class Suite:
    def __init__(self):
        self.env = H.Env("xffgw-pool")
        self.n = 0

    def uid(self, base):
        self.n += 1
        return "%s-%d" % (base, self.n)

    def close(self):
        self.env.close()


TESTS, scenario = H.scenarios()


def front(s, st, gateways):
    """nginx with one location per gateway: {path: gateway}; its port."""
    port = H.free_port()
    locs = [location(path, gw.sock) for path, gw in gateways.items()]
    ng = st.add(s.env.nginx(H.server_block(port, locs), name=s.uid("nginx")))
    s.env.wait_socket(ng, ("127.0.0.1", port))
    return port


# The settings every burst runs with: the default INI, and the keep-alive
# setting README and xff-gateway.ini(5) recommend for a backend of N
# processes.
def settings(nproc):
    return (("default", {}),
            ("keep-alive", {"keep_conn": "yes", "backend_max_conns": nproc}))


def process_backend_bursts(s, st, sock, nproc, key, label):
    """Bursts of 8 and 16 slow requests through each setting's gateway."""
    gws = {}
    for name, g in settings(nproc):
        gws["/%s/" % name] = st.add(s.env.gateway(
            ini(sock, g), name=s.uid("gw-" + name)))
    port = front(s, st, gws)
    for path, gw in gws.items():
        for n in (8, 16):
            res, total = burst(port, n, path + "index.php?sleep=%g&k=%%d"
                               % SLOW)
            all_200(res, total, "%s, %s%d at once" % (label, path, n), gw,
                    math.ceil(n / nproc) * SLOW)
            addresses_kept(res, key)
        m = metrics(gw)
        eq(m.get("xff_gateway_backend_wait_timeouts_total"), 0,
           "%s: no request went without a connection" % label)


def php_addr(j):
    return j["server"]["REMOTE_ADDR"]


def php_bursts(s, pm):
    for children in (2, 4):
        with Stopper(s.env) as st:
            php, sock = s.env.php_fpm(s.uid("php"), children=children, pm=pm)
            st.add(php)
            process_backend_bursts(s, st, sock, children, php_addr,
                                   "PHP-FPM pm = %s, %d children"
                                   % (pm, children))


@scenario
def php_fpm_static_bursts(s):
    """PHP-FPM pm = static, pm.max_children 2 and 4: bursts of 8 and 16
    requests of 0.5 s, default INI and recommended keep-alive: all 200,
    each with its own address."""
    php_bursts(s, "static")


@scenario
def php_fpm_dynamic_bursts(s):
    """The same with pm = dynamic (one child at the start)."""
    php_bursts(s, "dynamic")


@scenario
def php_fpm_keepalive_unbounded(s):
    """keep_conn = yes without backend_max_conns, PHP-FPM with 2 children:
    idle connections would pin both children while new connections wait in
    PHP-FPM's listen backlog; the pool stops keeping connections while a
    new one waits unanswered, so bursts of 8 and 16 are all answered 200."""
    with Stopper(s.env) as st:
        php, sock = s.env.php_fpm(s.uid("php"), children=2)
        st.add(php)
        gw = st.add(s.env.gateway(ini(sock, {"keep_conn": "yes"}),
                                  name=s.uid("gw-unbounded")))
        port = front(s, st, {"/": gw})
        for n in (8, 16):
            res, total = burst(port, n, "/index.php?sleep=%g&k=%%d" % SLOW)
            all_200(res, total, "keep_conn, no bound, %d at once" % n, gw,
                    math.ceil(n / 2) * SLOW)
            addresses_kept(res, php_addr)


@scenario
def uwsgi_bursts(s):
    """uWSGI with 2 processes: bursts of 8 and 16 requests of 0.5 s,
    default INI and recommended keep-alive: all 200."""
    with Stopper(s.env) as st:
        wsgi, sock = s.env.uwsgi(s.uid("wsgi"))
        st.add(wsgi)
        process_backend_bursts(s, st, sock, 2, lambda j: j["remote_addr"],
                               "uWSGI, 2 processes")


@scenario
def php_fpm_restart_pooled(s):
    """PHP-FPM restarted while the gateway holds idle kept connections to
    it: the next requests are all 200 (a dead kept connection is replaced),
    and the count of open connections stays within the bound."""
    with Stopper(s.env) as st:
        name = s.uid("php")
        php, sock = s.env.php_fpm(name, children=4)
        gw = st.add(s.env.gateway(ini(sock, {
            "keep_conn": "yes", "backend_max_conns": 4,
            "backend_idle_timeout": 60}), name=s.uid("gw-restart")))
        port = front(s, st, {"/": gw})
        res, total = burst(port, 4, "/index.php?sleep=0.2&k=%d")
        all_200(res, total, "before the restart", gw)
        m = metrics(gw)
        check(m["xff_gateway_backend_connections_idle"] >= 1,
              "connections kept idle before the restart", m)
        s.env.stop(php)
        php2, sock2 = s.env.php_fpm(name, children=4)
        st.add(php2)
        eq(sock2, sock, "same socket")
        for n in (8, 8):
            res, total = burst(port, n, "/index.php?sleep=0.2&k=%d")
            all_200(res, total, "after the restart, %d at once" % n, gw)
            addresses_kept(res, php_addr)
        m = metrics(gw)
        check(m["xff_gateway_backend_connections_open"] <= 4,
              "open connections within backend_max_conns = 4", m)
        eq(m["xff_gateway_backend_waiting"], 0, "nobody waiting")
        check("backend_error" not in gw.log_text(), "no backend error",
              gw.log_text()[-1500:])


@scenario
def echo_reuses_connections(s):
    """The threaded echo backend (64 threads) with keep_conn = yes: 4
    rounds of 8 requests at once on 8 workers open at most 8 connections
    and reuse them for the rest; with backend_max_conns = 3 at most 3 are
    ever open, and requests waited for them."""
    with Stopper(s.env) as st:
        echo, sock = s.env.echo_app(s.uid("echo"), threads=64)
        st.add(echo)
        free = st.add(s.env.gateway(ini(sock, {
            "workers": 8, "keep_conn": "yes"}), name=s.uid("gw-free")))
        bound = st.add(s.env.gateway(ini(sock, {
            "workers": 8, "keep_conn": "yes", "backend_max_conns": 3}),
            name=s.uid("gw-bound")))
        port = front(s, st, {"/free/": free, "/bound/": bound})
        for path, gw, most in (("/free/", free, 8), ("/bound/", bound, 3)):
            # the other gateway's kept connections are gone
            check(H.wait_for(lambda: H.unix_connections(sock) == 0, 30),
                  "no connection at the backend before %s" % path)
            peak = 0
            for rnd in range(4):
                out = {}

                def run():
                    out["r"] = burst(port, 8, path + "r%d-%%d?sleep=0.05"
                                     % rnd)
                t = threading.Thread(target=run)
                t.start()
                peak = max(peak, peak_connections(sock, [t]))
                t.join()
                res, total = out["r"]
                all_200(res, total, "%s round %d" % (path, rnd), gw)
            m = metrics(gw)
            opened = m["xff_gateway_backend_connections_total"]
            reused = m["xff_gateway_backend_reused_total"]
            print("    %s: %d connections opened, %d requests on kept ones, "
                  "peak %d at the backend, %d waits"
                  % (path, opened, reused, peak,
                     m["xff_gateway_backend_waits_total"]))
            check(opened <= most, "%s: at most %d connections opened (%d)"
                  % (path, most, opened))
            eq(reused, 32 - opened, "%s: every other request on a kept "
               "connection" % path)
            check(peak <= most, "%s: at most %d connections at the backend "
                  "at once (%d)" % (path, most, peak))
        check(metrics(bound)["xff_gateway_backend_waits_total"] > 0,
              "with the bound, requests waited for a connection")


@scenario
def wait_warns_then_503(s):
    """backend_max_conns = 1: a request behind a 1 s one waits, is served,
    and the wait past backend_wait_warn is logged; behind a 4 s one it gets
    503 after backend_timeout (2 s), logged as backend_no_connection and
    counted; the gateway serves normally afterwards."""
    with Stopper(s.env) as st:
        echo, sock = s.env.echo_app(s.uid("echo"), threads=16)
        st.add(echo)
        gw = st.add(s.env.gateway(ini(sock, {
            "workers": 4, "backend_max_conns": 1, "backend_timeout": 2,
            "backend_wait_warn": 0.3}), name=s.uid("gw-wait")))
        port = front(s, st, {"/": gw})
        for first, want in (("/a?sleep=1", 200), ("/b?stream=20", 503)):
            res = {}

            def long_one():
                res["a"] = H.request(port, first, timeout=REQUEST_TIMEOUT)
            t = threading.Thread(target=long_one)
            t.start()
            # the first request holds the only connection
            check(H.wait_for(lambda: H.unix_connections(sock) == 1, 30),
                  "the first request reached the backend")
            r = H.request(port, "/second", [("X-Forwarded-For",
                                             "203.0.113.9")],
                          timeout=REQUEST_TIMEOUT)
            t.join(REQUEST_TIMEOUT)
            eq(res["a"].status, 200, "%s: status" % first)
            eq(r.status, want, "the request behind %s" % first, r,
               gw.log_text()[-1500:])
        log = gw.log_text()
        check("backend_wait " in log, "a long wait is logged as "
              "backend_wait", log[-1500:])
        check("backend_no_connection " in log and "backend_max_conns=1" in log,
              "the 503 is logged as backend_no_connection with the bound",
              log[-1500:])
        m = metrics(gw)
        eq(m["xff_gateway_backend_wait_timeouts_total"], 1, "wait timeouts")
        eq(m['xff_gateway_responses_total{origin="gateway",code="503"}'], 1,
           "503 answers")
        eq(m["xff_gateway_backend_waits_total"], 2, "requests that waited")
        check(m["xff_gateway_backend_wait_seconds_total"] >= 2.0,
              "wait time counted", m["xff_gateway_backend_wait_seconds_total"])
        r = H.request(port, "/after")
        eq(r.status, 200, "served after the 503")


@scenario
def idle_closed_without_traffic(s):
    """keep_conn = yes, backend_idle_timeout = 0.5: once the traffic stops,
    the kept connections are closed (the backend sees them go) without
    another request."""
    with Stopper(s.env) as st:
        echo, sock = s.env.echo_app(s.uid("echo"), threads=16)
        st.add(echo)
        gw = st.add(s.env.gateway(ini(sock, {
            "workers": 4, "keep_conn": "yes", "backend_idle_timeout": 0.5}),
            name=s.uid("gw-idle")))
        port = front(s, st, {"/": gw})
        res, total = burst(port, 4, "/i%d?sleep=0.2")
        all_200(res, total, "4 at once", gw)
        check(H.unix_connections(sock) >= 1 or
              metrics(gw)["xff_gateway_backend_idle_closed_total"] >= 1,
              "connections were kept after the burst")
        check(H.wait_for(lambda: H.unix_connections(sock) == 0, 30),
              "the backend's connections closed with no traffic (%d left)"
              % H.unix_connections(sock))
        m = metrics(gw)
        eq(m["xff_gateway_backend_connections_idle"], 0, "idle gauge")
        eq(m["xff_gateway_backend_connections_open"], 0, "open gauge")
        check(m["xff_gateway_backend_idle_closed_total"] >= 1,
              "idle closes counted", m)


@scenario
def reload_lowers_bound(s):
    """SIGHUP from backend_max_conns = 4 to 1: the idle connections close
    at once, and from then on at most one is open at the backend."""
    with Stopper(s.env) as st:
        echo, sock = s.env.echo_app(s.uid("echo"), threads=16)
        st.add(echo)
        g = {"workers": 4, "keep_conn": "yes", "backend_max_conns": 4,
             "backend_idle_timeout": 60}
        gw = st.add(s.env.gateway(ini(sock, g), name=s.uid("gw-reload")))
        port = front(s, st, {"/": gw})
        res, total = burst(port, 4, "/h%d?sleep=0.3")
        all_200(res, total, "before the reload", gw)
        check(H.wait_for(lambda: H.unix_connections(sock) == 4, 10),
              "4 connections kept (%d)" % H.unix_connections(sock))
        g["backend_max_conns"] = 1
        with open(gw.ini, "w") as f:
            f.write(ini(sock, g))
        os.kill(gw.pid, signal.SIGHUP)
        check(H.wait_for(lambda: "configuration reloaded" in gw.log_text(),
                         30), "reloaded", gw.log_text()[-1000:])
        check(H.wait_for(lambda: H.unix_connections(sock) == 0, 30),
              "idle connections closed at the reload (%d left)"
              % H.unix_connections(sock))
        out = {}

        def run():
            out["r"] = burst(port, 4, "/h%d?sleep=0.3")
        t = threading.Thread(target=run)
        t.start()
        peak = peak_connections(sock, [t])
        t.join()
        res, total = out["r"]
        all_200(res, total, "after the reload", gw)
        check(peak <= 1, "at most 1 connection at once after the reload "
              "(peak %d)" % peak)
        m = metrics(gw)
        check(m["xff_gateway_backend_connections_open"] <= 1, "open <= 1", m)
        check(m["xff_gateway_backend_waits_total"] >= 1, "requests waited")


if __name__ == "__main__":
    sys.exit(H.run_scenarios(sys.argv, TESTS, Suite, timed=True))
