#!/usr/bin/env python3
"""Throughput cost of xff-cgi: nginx + fcgiwrap running a CGI program
directly, and the same program through xff-cgi (an interpreter line
"#!xff-cgi -c INI PROGRAM", so no shell is involved), alternated in one
run.  Two programs: a tiny compiled C program (the worst case: the
program costs almost nothing, so the extra exec of xff-cgi weighs most)
and a small Python script (a typical CGI program).

Each pair is two wrk runs (wrk -t1 -c8 -d2s by default), one per variant,
the order swapped from pair to pair.  Prints each pair, the median of the
pairwise ratios (through xff-cgi / direct) and their spread, and whether
the median meets the target ratio for the C program (0.8: xff-cgi costing
at most 20 % of the throughput).  Exits 0 whatever the figures, unless
BENCH_STRICT=1, which makes a missed target exit 1; 2 on a setup error.

Environment: abs_top_builddir (where cgi/xff-cgi is), CC (default cc),
BENCH_PAIRS (8), BENCH_SECONDS (2), BENCH_CONNECTIONS (8),
BENCH_TARGET (0.8), BENCH_STRICT (0).  Listens on 127.0.0.1 and a Unix
socket in a temporary directory only; stops every process it started by
its PID.
"""
import http.client
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the source tree may be read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, "integration"))
import harness as H  # noqa: E402
from harness import can_connect, free_port  # noqa: E402

XFF_CGI = os.path.join(H.BUILDDIR, "cgi", "xff-cgi")
SEARCH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"

PAIRS = int(os.environ.get("BENCH_PAIRS", "8"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
TARGET = float(os.environ.get("BENCH_TARGET", "0.8"))
STRICT = os.environ.get("BENCH_STRICT", "0") == "1"

HELLO_C = r'''#include <stdio.h>
#include <stdlib.h>
int
main(void)
{
	const char *a = getenv("REMOTE_ADDR");

	printf("Content-Type: text/plain\r\n\r\nhello %s\n", a ? a : "-");
	return 0;
}
'''

HELLO_PY = r'''import os, sys
sys.stdout.write("Content-Type: text/plain\r\n\r\nhello %s\n"
                 % os.environ.get("REMOTE_ADDR", "-"))
'''

INI = "[trust]\nx_for = 1\nx_proto = 1\n[log]\nlevel = warning\n"


def die(msg):
    print("bench_cgi: %s" % msg, file=sys.stderr)
    sys.exit(2)


def program(name):
    p = shutil.which(name, path=SEARCH)
    if not p:
        die("program not found: %s" % name)
    return p


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def stop(p):
    """Stops p, and the workers it forked (fcgiwrap's survive their
    master), each by its PID."""
    kids = children(p.pid)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
    for k in kids:
        try:
            os.kill(k, signal.SIGTERM)
        except ProcessLookupError:
            pass


def wait_up(p, addr, what):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.poll() is not None:
            die("%s exited with status %s" % (what, p.returncode))
        if can_connect(addr):
            return
        time.sleep(0.05)
    die("%s did not come up" % what)


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"X-Forwarded-For": "198.51.100.7"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wrk(wrkbin, port, path, secs):
    out = subprocess.run(
        [wrkbin, "-t1", "-c%d" % CONNS, "-d%ds" % secs,
         "-H", "X-Forwarded-For: 198.51.100.7",
         "http://127.0.0.1:%d%s" % (port, path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=secs + 30).stdout.decode("utf-8", "replace")
    m = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    if not m:
        die("cannot read wrk output:\n" + out)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if bad:
        die("%s: %s responses were not 200:\n%s" % (path, bad.group(1), out))
    errs = re.search(r"Socket errors:.*", out)
    if errs:
        print("# %s: %s" % (path, errs.group(0)))
    return float(m.group(1))


def run_pairs(wrkbin, port, label, direct, via):
    """Alternated wrk runs of direct and via; prints and returns the
    median of the pairwise ratios via/direct."""
    wrk(wrkbin, port, direct, 1)
    wrk(wrkbin, port, via, 1)
    ratios = []
    for i in range(PAIRS):
        order = (direct, via) if i % 2 == 0 else (via, direct)
        rps = {}
        for path in order:
            rps[path] = wrk(wrkbin, port, path, SECONDS)
        if rps[direct] <= 0:
            die("%s: no request completed in %d s" % (direct, SECONDS))
        ratio = rps[via] / rps[direct]
        ratios.append(ratio)
        print("%s pair %d: direct %.0f req/s, xff-cgi %.0f req/s, "
              "ratio %.3f" % (label, i + 1, rps[direct], rps[via], ratio))
        sys.stdout.flush()
    med = statistics.median(ratios)
    print("%s: median ratio %.3f (min %.3f, max %.3f, spread %.3f)"
          % (label, med, min(ratios), max(ratios),
             max(ratios) - min(ratios)))
    return med


def main():
    if not os.access(XFF_CGI, os.X_OK):
        die("%s is not built" % XFF_CGI)
    wrkbin = program("wrk")
    nginx = program("nginx")
    spawn = program("spawn-fcgi")
    fcgiwrap = program("fcgiwrap")
    cc = os.environ.get("CC") or "cc"
    tmp = tempfile.mkdtemp(prefix="xb", dir="/tmp")
    procs = []
    try:
        xff = os.path.join(tmp, "xff-cgi")
        shutil.copy2(XFF_CGI, xff)
        with open(os.path.join(tmp, "hello.c"), "w") as f:
            f.write(HELLO_C)
        hello = os.path.join(tmp, "hello")
        subprocess.run(shlex.split(cc) + ["-O2", "-o", hello, os.path.join(tmp, "hello.c")],
                       check=True, timeout=60)
        ini = os.path.join(tmp, "b.ini")
        with open(ini, "w") as f:
            f.write(INI)
        python = "/usr/bin/python3"
        if not os.access(python, os.X_OK):
            python = os.path.realpath(sys.executable)
        scripts = {
            "hello-x": "#!%s -c %s %s\n" % (xff, ini, hello),
            "hellopy": "#!%s\n%s" % (python, HELLO_PY),
            "hellopy-x": "#!%s -c %s %s\n%s" % (xff, ini, python, HELLO_PY),
        }
        for name, text in scripts.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(tmp, name), 0o755)

        sock = os.path.join(tmp, "fcgiwrap.sock")
        workers = max(2, os.cpu_count() or 2)
        log = open(os.path.join(tmp, "fcgiwrap.out"), "wb")
        p = subprocess.Popen([spawn, "-n", "-s", sock, "-M", "0600", "--",
                              fcgiwrap, "-c", str(workers)],
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        procs.append(p)
        wait_up(p, sock, "fcgiwrap")

        port = free_port()
        for d in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.mkdir(os.path.join(tmp, "ng-" + d))
        conf = """%(user)s
worker_processes 1;
daemon off;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(tmp)s/ng-body;
    fastcgi_temp_path %(tmp)s/ng-fastcgi;
    proxy_temp_path %(tmp)s/ng-proxy;
    uwsgi_temp_path %(tmp)s/ng-uwsgi;
    scgi_temp_path %(tmp)s/ng-scgi;
    server {
        listen 127.0.0.1:%(port)d;
        location ~ ^/(?<script>hello|hello-x|hellopy|hellopy-x)$ {
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param SCRIPT_FILENAME %(tmp)s/$script;
            fastcgi_param SCRIPT_NAME /$script;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param DOCUMENT_URI $document_uri;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REQUEST_SCHEME $scheme;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param REMOTE_PORT $remote_port;
            fastcgi_param SERVER_PORT $server_port;
            fastcgi_param SERVER_NAME $server_name;
            fastcgi_pass unix:%(sock)s;
        }
    }
}
""" % {"user": "user root;" if os.geteuid() == 0 else "", "tmp": tmp,
       "port": port, "sock": sock}
        cpath = os.path.join(tmp, "nginx.conf")
        with open(cpath, "w") as f:
            f.write(conf)
        log = open(os.path.join(tmp, "nginx.out"), "wb")
        p = subprocess.Popen([nginx, "-p", tmp, "-c", cpath],
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        procs.append(p)
        wait_up(p, ("127.0.0.1", port), "nginx")

        # Every variant answers, and only the xff-cgi ones were corrected.
        for path, want in (("/hello", b"hello 127.0.0.1\n"),
                           ("/hello-x", b"hello 198.51.100.7\n"),
                           ("/hellopy", b"hello 127.0.0.1\n"),
                           ("/hellopy-x", b"hello 198.51.100.7\n")):
            st, body = get(port, path)
            if st != 200 or body != want:
                die("%s: %d %r" % (path, st, body))

        print("# nginx + fcgiwrap (-c %d), wrk -t1 -c%d -d%ds, %d pairs"
              % (workers, CONNS, SECONDS, PAIRS))
        med = {}
        for label, direct in (("C program", "/hello"),
                              ("Python script", "/hellopy")):
            med[direct] = run_pairs(wrkbin, port, label, direct,
                                    direct + "-x")
        ok = med["/hello"] >= TARGET
        print("target (C program) median ratio >= %.2f: %s"
              % (TARGET, "met" if ok else "NOT met"))
        return 1 if STRICT and not ok else 0
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
