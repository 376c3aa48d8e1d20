#!/usr/bin/env python3
"""Throughput cost of xff-cgi: nginx + fcgiwrap running a tiny compiled CGI
program directly, and the same program through xff-cgi (an interpreter
line "#!xff-cgi -c INI PROGRAM", so no shell is involved), alternated in
one run.

Each pair is two wrk runs (wrk -t1 -c8 -d2s by default), one per variant,
the order swapped from pair to pair.  Prints each pair, the median of the
pairwise ratios (through xff-cgi / direct) and their spread, and exits 1
when the median is below the target ratio (0.8: xff-cgi may cost at most
20 % of the throughput).

Environment: abs_top_builddir (where cgi/xff-cgi is), CC (default cc),
BENCH_PAIRS (8), BENCH_SECONDS (2), BENCH_CONNECTIONS (8),
BENCH_TARGET (0.8).  Listens on 127.0.0.1 and a Unix socket in a
temporary directory only; stops every process it started by its PID.
"""
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("abs_top_srcdir") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("abs_top_builddir") or SRCDIR
XFF_CGI = os.path.join(BUILDDIR, "cgi", "xff-cgi")
SEARCH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"

PAIRS = int(os.environ.get("BENCH_PAIRS", "8"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
TARGET = float(os.environ.get("BENCH_TARGET", "0.8"))

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

INI = "[trust]\nx_for = 1\nx_proto = 1\n[log]\nlevel = warning\n"


def die(msg):
    print("bench_cgi: %s" % msg, file=sys.stderr)
    sys.exit(2)


def program(name):
    p = shutil.which(name, path=SEARCH)
    if not p:
        die("program not found: %s" % name)
    return p


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def can_connect(addr):
    s = socket.socket(socket.AF_INET if isinstance(addr, tuple)
                      else socket.AF_UNIX)
    s.settimeout(1.0)
    try:
        s.connect(addr)
        return True
    except OSError:
        return False
    finally:
        s.close()


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
        subprocess.run([cc, "-O2", "-o", hello, os.path.join(tmp, "hello.c")],
                       check=True, timeout=60)
        ini = os.path.join(tmp, "b.ini")
        with open(ini, "w") as f:
            f.write(INI)
        via = os.path.join(tmp, "hello-x")
        with open(via, "w") as f:
            f.write("#!%s -c %s %s\n" % (xff, ini, hello))
        os.chmod(via, 0o755)

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
        location ~ ^/(?<script>hello|hello-x)$ {
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

        # Both variants answer, and only the second was corrected.
        st, body = get(port, "/hello")
        if st != 200 or body != b"hello 127.0.0.1\n":
            die("direct: %d %r" % (st, body))
        st, body = get(port, "/hello-x")
        if st != 200 or body != b"hello 198.51.100.7\n":
            die("through xff-cgi: %d %r" % (st, body))

        wrk(wrkbin, port, "/hello", 1)
        wrk(wrkbin, port, "/hello-x", 1)
        print("# nginx + fcgiwrap (-c %d), wrk -t1 -c%d -d%ds, %d pairs"
              % (workers, CONNS, SECONDS, PAIRS))
        ratios = []
        for i in range(PAIRS):
            order = ("/hello", "/hello-x") if i % 2 == 0 else \
                ("/hello-x", "/hello")
            rps = {}
            for path in order:
                rps[path] = wrk(wrkbin, port, path, SECONDS)
            ratio = rps["/hello-x"] / rps["/hello"]
            ratios.append(ratio)
            print("pair %d: direct %.0f req/s, xff-cgi %.0f req/s, "
                  "ratio %.3f" % (i + 1, rps["/hello"], rps["/hello-x"],
                                  ratio))
            sys.stdout.flush()
        med = statistics.median(ratios)
        print("median ratio %.3f (min %.3f, max %.3f, spread %.3f); "
              "target >= %.2f: %s" % (med, min(ratios), max(ratios),
                                      max(ratios) - min(ratios), TARGET,
                                      "met" if med >= TARGET else "NOT met"))
        return 0 if med >= TARGET else 1
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
