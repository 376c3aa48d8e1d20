#!/usr/bin/env python3
"""End-to-end tests of xff-cgi behind two real CGI hosts.

Host 1: nginx on 127.0.0.1 with fastcgi_pass to fcgiwrap (started by
spawn-fcgi on a Unix socket in a temporary directory); fcgiwrap runs
SCRIPT_FILENAME and sends the script's stderr to nginx's error log (-f).
Host 2: lighttpd with mod_cgi on 127.0.0.1.

Every case runs through the two ways of using xff-cgi:
  w-NAME.sh  a shell wrapper: exec xff-cgi -c NAME.ini env.py
  i-NAME.py  a Python script whose interpreter line is
             "#!TMP/xff-cgi /usr/bin/python3"; the configuration comes from
             XFF_GATEWAY_CONFIG, set by the web server.
The scripts print their raw environment (/proc/self/environ, so duplicate
names stay visible), their argv and a checksum of the body they read.

Prints "ok NAME" or "FAIL NAME" per test and "N passed, M failed" at the
end; exits 1 on any failure.  Every process started here is stopped by
its PID, whatever happens; every wait has a timeout.
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, can_connect, check, find_program  # noqa: E402
from harness import free_port  # noqa: E402

XFF_CGI = os.path.join(H.BUILDDIR, "cgi", "xff-cgi")

WAIT = 30.0
TIMEOUT = 60.0

# ----------------------------------------------------------------- files

ENV_SCRIPT = r'''import hashlib, json, os, sys
with open("/proc/self/environ", "rb") as f:
    raw = f.read()
env = [e.decode("latin-1") for e in raw.split(b"\0") if e]
n = int(os.environ.get("CONTENT_LENGTH") or "0")
body = b""
while len(body) < n:
    chunk = sys.stdin.buffer.read(n - len(body))
    if not chunk:
        break
    body += chunk
out = json.dumps({"env": env, "argv": sys.argv,
                  "body_len": len(body),
                  "body_sha256": hashlib.sha256(body).hexdigest()})
sys.stdout.write("Content-Type: application/json\r\n\r\n" + out)
'''

# name -> INI text; "missing" has no file on purpose.
CONFIGS = {
    "d1": "[trust]\nx_for = 1\n",
    "d2": "[trust]\nx_for = 2\n",
    "fwd": "[trust]\nx_for = 1\nx_proto = 1\nx_host = 1\nx_port = 1\n"
           "x_prefix = 1\n",
    "strict": "[trust]\nx_for = 1\n[rules]\nstrict = yes\n"
              "exempt = ^[a-z0-9.-]+/health/$\n",
    "stealth": "[trust]\nx_for = 1\n[rules]\n"
               "exempt = ^[a-z0-9.-]+/health/$\nexempt_stealth = yes\n",
    "trusted": "[trust]\nx_for = 1\nproxies = 127.0.0.1\n",
    "untrusted": "[trust]\nx_for = 1\nproxies = 10.0.0.0/8, 192.168.0.0/16\n",
    "bad": "[rules]\nstrcit = yes\n",
}
CASE_CONFIGS = ["d1", "d2", "fwd", "strict", "stealth", "trusted",
                "untrusted", "bad", "missing"]


def read_text(path):
    """All of the file path as text ("" when it cannot be read)."""
    return H.read_text(path, limit=-1)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class Setup:
    """The temporary directory, its scripts and configs, and the processes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="xc", dir="/tmp")
        self.procs = []
        self.envcfg = {}       # script -> XFF_GATEWAY_CONFIG value

    def populate(self):
        self.python = "/usr/bin/python3"
        if not os.access(self.python, os.X_OK):
            self.python = os.path.realpath(sys.executable)
        # A short copy of the binary keeps the interpreter lines short.
        self.xff = self.path("xff-cgi")
        shutil.copy2(XFF_CGI, self.xff)
        self.cgi = self.path("cgi")
        os.mkdir(self.cgi)
        for name, text in CONFIGS.items():
            write(self.path(name + ".ini"), text)
        write(self.path("env.py"), "#!%s\n%s" % (self.python, ENV_SCRIPT),
              0o755)
        write(self.path("noexec.py"), "#!%s\n%s" % (self.python, ENV_SCRIPT),
              0o644)
        # [cgi] program, when no PROGRAM is given.
        write(self.path("prog.ini"), "[trust]\nx_for = 1\n[cgi]\n"
              "program = %s\n" % self.path("env.py"))
        for name in CASE_CONFIGS:
            self.wrapper("w-%s.sh" % name, "-c %s %s" % (
                self.path(name + ".ini"), self.path("env.py")))
            self.script("i-%s.py" % name, "#!%s %s" % (self.xff, self.python),
                        self.path(name + ".ini"))
        self.wrapper("w-noexec.sh", "-c %s %s" % (
            self.path("d1.ini"), self.path("noexec.py")))
        # -c wins over XFF_GATEWAY_CONFIG.
        self.wrapper("w-prec.sh", "-c %s %s" % (
            self.path("d1.ini"), self.path("env.py")), self.path("bad.ini"))
        # Options on the interpreter line arrive as one argument.
        self.script("ic.py", "#!%s -c %s %s" % (
            self.xff, self.path("d2.ini"), self.python), self.path("bad.ini"))
        self.wrapper("w-prog.sh", "-c %s" % self.path("prog.ini"))
        self.wrapper("w-noprog.sh", "-c %s" % self.path("d1.ini"))
        # A program that is itself run by xff-cgi: refused, not corrected
        # twice.
        self.wrapper("w-double.sh", "-c %s %s" % (
            self.path("d1.ini"), os.path.join(self.cgi, "i-d1.py")))
        # [log] target = FILE: in a directory any CGI user may write, and
        # one that does not exist (xff-cgi falls back to stderr).
        os.mkdir(self.path("logs"))
        os.chmod(self.path("logs"), 0o1777)
        write(self.path("logfile.ini"), "[trust]\nx_for = 1\n[log]\n"
              "target = %s\n" % self.path("logs", "xff-cgi.log"))
        write(self.path("lognodir.ini"), "[trust]\nx_for = 1\n[log]\n"
              "target = %s\n" % self.path("no-such-dir", "xff-cgi.log"))
        self.wrapper("w-logfile.sh", "-c %s %s" % (
            self.path("logfile.ini"), self.path("env.py")))
        self.wrapper("w-lognodir.sh", "-c %s %s" % (
            self.path("lognodir.ini"), self.path("env.py")))
        # An interpreter line without a program must not loop.
        self.script("loop.py", "#!%s" % self.xff, self.path("d1.ini"))
        self.script("direct.py", "#!%s" % self.python, None)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def wrapper(self, name, args, envcfg=None):
        write(os.path.join(self.cgi, name),
              "#!/bin/sh\nexec %s %s\n" % (shlex.quote(XFF_CGI), args),
              0o755)
        self.envcfg[name] = envcfg

    def script(self, name, line, envcfg):
        check(len(line) < 250, "interpreter line too long: %s" % line)
        write(os.path.join(self.cgi, name), line + "\n" + ENV_SCRIPT, 0o755)
        self.envcfg[name] = envcfg

    def start(self, name, argv, cwd=None):
        log = open(self.path(name + ".out"), "wb")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=cwd or self.dir,
                                 start_new_session=True)
        finally:
            log.close()
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=5)

    def close(self):
        for p in reversed(self.procs):
            try:
                self.stop(p)
            except Exception as e:          # keep stopping the others
                print("# stopping %d: %s" % (p.pid, e))
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(p, probe, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise Failure("%s exited with status %s" % (what, p.returncode))
        if probe():
            return
        time.sleep(0.05)
    raise Failure("%s did not come up within %.0f s" % (what, WAIT))


# ----------------------------------------------------------------- hosts

class Nginx:
    name = "nginx"

    def __init__(self, st):
        self.st = st
        self.errlog = st.path("nginx-error.log")
        sock = st.path("fcgiwrap.sock")
        spawn = find_program("spawn-fcgi")
        fcgiwrap = find_program("fcgiwrap")
        # -n: spawn-fcgi execs fcgiwrap, so the PID is fcgiwrap's own.
        p = st.start("fcgiwrap", [spawn, "-n", "-s", sock, "-M", "0600",
                                  "--", fcgiwrap, "-f", "-c", "1"])
        wait_for(p, lambda: can_connect(sock), "fcgiwrap")
        self.port = free_port()
        maps = "".join("        %s %s;\n" % (k, v)
                       for k, v in sorted(st.envcfg.items()) if v)
        for d in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.mkdir(st.path("ng-" + d))
        conf = """%(user)s
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(errlog)s info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(dir)s/ng-body;
    fastcgi_temp_path %(dir)s/ng-fastcgi;
    proxy_temp_path %(dir)s/ng-proxy;
    uwsgi_temp_path %(dir)s/ng-uwsgi;
    scgi_temp_path %(dir)s/ng-scgi;
    client_max_body_size 16m;
    map $script $xcfg {
        default "";
%(maps)s    }
    server {
        listen 127.0.0.1:%(port)d;
        server_name _;
        location ~ ^/(?<script>[a-z0-9.-]+)(?<pinfo>/.*)?$ {
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param CONTENT_TYPE $content_type;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_param SCRIPT_FILENAME %(cgi)s/$script;
            fastcgi_param SCRIPT_NAME /$script;
            fastcgi_param PATH_INFO $pinfo;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param DOCUMENT_URI $document_uri;
            fastcgi_param DOCUMENT_ROOT %(cgi)s;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REQUEST_SCHEME $scheme;
            fastcgi_param HTTPS $https if_not_empty;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param SERVER_SOFTWARE nginx;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param REMOTE_PORT $remote_port;
            fastcgi_param SERVER_ADDR $server_addr;
            fastcgi_param SERVER_PORT $server_port;
            fastcgi_param SERVER_NAME $server_name;
            fastcgi_param XFF_GATEWAY_CONFIG $xcfg if_not_empty;
            fastcgi_read_timeout 60s;
            fastcgi_pass unix:%(sock)s;
        }
    }
}
""" % {"user": "user root;" if os.geteuid() == 0 else "",
       "dir": st.dir, "errlog": self.errlog, "maps": maps,
       "port": self.port, "cgi": st.cgi, "sock": sock}
        cpath = st.path("nginx.conf")
        write(cpath, conf)
        nginx = find_program("nginx")
        p = st.start("nginx", [nginx, "-p", st.dir, "-c", cpath])
        wait_for(p, lambda: can_connect(("127.0.0.1", self.port)), "nginx")

    def logs(self):
        return [self.errlog]


class Lighttpd:
    name = "lighttpd"

    def __init__(self, st):
        self.st = st
        self.errlog = st.path("lighttpd-error.log")
        self.port = free_port()
        conds = "".join(
            '$HTTP["url"] =~ "^/%s(/|$)" {\n'
            '    setenv.add-environment = ("XFF_GATEWAY_CONFIG" => "%s")\n'
            '}\n' % (k.replace(".", "\\."), v)
            for k, v in sorted(st.envcfg.items()) if v)
        conf = """server.modules = ("mod_setenv", "mod_cgi")
server.document-root = "%(cgi)s"
server.bind = "127.0.0.1"
server.port = %(port)d
server.errorlog = "%(errlog)s"
server.pid-file = "%(dir)s/lighttpd.pid"
server.max-request-size = 16384
cgi.assign = (".py" => "", ".sh" => "")
%(conds)s""" % {"cgi": st.cgi, "port": self.port, "errlog": self.errlog,
                "dir": st.dir, "conds": conds}
        cpath = st.path("lighttpd.conf")
        write(cpath, conf)
        lighttpd = find_program("lighttpd")
        p = st.start("lighttpd", [lighttpd, "-D", "-f", cpath])
        wait_for(p, lambda: can_connect(("127.0.0.1", self.port)), "lighttpd")

    def logs(self):
        # With -D, the stderr of CGI programs is lighttpd's own stderr.
        return [self.errlog, self.st.path("lighttpd.out")]


# ----------------------------------------------------------------- requests

class Resp(H.Response):
    def env(self):
        """The script's environment as a dict, and the list of names."""
        try:
            data = json.loads(self.body.decode("utf-8"))
        except ValueError:
            raise Failure("not a script response (status %d): %r"
                          % (self.status, self.body[:300]))
        names = [e.split("=", 1)[0] for e in data["env"]]
        d = {}
        for e in data["env"]:
            k, _, v = e.partition("=")
            d[k] = v
        d["__names__"] = names
        d["__data__"] = data
        return d


def request(port, path, headers=(), method="GET", body=None):
    return H.request(port, path, headers, method, body, timeout=TIMEOUT,
                     response=Resp)


# ----------------------------------------------------------------- tests

def expect_ok(r):
    check(r.status == 200, "status %d, body %r" % (r.status, r.body[:300]))
    return r.env()


def expect_reject(r, status, text):
    check(r.status == status, "status %d (want %d), body %r"
          % (r.status, status, r.body[:300]))
    check(r.body == text, "body %r (want %r)" % (r.body, text))
    ctype = [v for k, v in r.headers if k.lower() == "content-type"]
    check(ctype and ctype[0].startswith("text/plain"),
          "content type %r" % ctype)


def log_mark(host):
    """The current size of each log file of host."""
    return [len(read_text(p)) for p in host.logs()]


def expect_log(host, before, *needles):
    """Waits until the text added to host's logs since before holds every
    needle."""
    deadline = time.monotonic() + 10.0
    while True:
        new = "".join(read_text(p)[n:] for p, n in zip(host.logs(), before))
        if all(n in new for n in needles):
            return
        if time.monotonic() > deadline:
            raise Failure("error log lacks %r; new log text: %r"
                          % (needles, new[-1500:]))
        time.sleep(0.05)


def one(env, name):
    n = env["__names__"].count(name)
    check(n == 1, "%s appears %d times in the environment" % (name, n))
    return env[name]


def absent(env, name):
    check(name not in env["__names__"], "%s present: %r"
          % (name, env.get(name)))


def t_depth1(h, m, st):
    r = request(h.port, "/%s-d1.%s" % (m, ext(m)),
                [("X-Forwarded-For", "203.0.113.9, 198.51.100.7")])
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))
    check(one(e, "HTTP_X_FORWARDED_FOR") == "198.51.100.7",
          "X-Forwarded-For not cleaned: %r" % e.get("HTTP_X_FORWARDED_FOR"))
    check(one(e, "ORIGINAL_REMOTE_ADDR") == "127.0.0.1",
          "ORIGINAL_REMOTE_ADDR %r" % e.get("ORIGINAL_REMOTE_ADDR"))
    check(one(e, "ORIGINAL_HTTP_X_FORWARDED_FOR") ==
          "203.0.113.9, 198.51.100.7", "ORIGINAL_HTTP_X_FORWARDED_FOR")
    absent(e, "REMOTE_PORT")
    check("ORIGINAL_REMOTE_PORT" in e, "ORIGINAL_REMOTE_PORT missing")
    # Nothing is added but the corrected params: the names are unique.
    dup = [n for n in set(e["__names__"]) if e["__names__"].count(n) > 1]
    check(not dup, "duplicate names %r" % dup)


def t_depth2(h, m, st):
    r = request(h.port, "/%s-d2.%s" % (m, ext(m)),
                [("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 192.0.2.1")])
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))
    check(one(e, "HTTP_X_FORWARDED_FOR") == "198.51.100.7, 192.0.2.1",
          "X-Forwarded-For %r" % e.get("HTTP_X_FORWARDED_FOR"))


def t_duplicate_lines(h, m, st):
    hdrs = [("X-Forwarded-For", "203.0.113.9"),
            ("X-Forwarded-For", "192.0.2.1")]
    r = request(h.port, "/%s-d2.%s" % (m, ext(m)), hdrs)
    e = expect_ok(r)
    xff = one(e, "HTTP_X_FORWARDED_FOR")
    if m == "w" and xff == "192.0.2.1":
        # The shell of the wrapper keeps only the last of two variables of
        # the same name (dash and bash do): xff-cgi saw one element, which
        # depth 2 takes whole (depth_mismatch).  The interpreter-line form
        # has no shell in between and sees both.
        print("# %s: the sh wrapper dropped the first X-Forwarded-For line"
              % h.name)
        check(one(e, "REMOTE_ADDR") == "192.0.2.1", "REMOTE_ADDR %r"
              % e.get("REMOTE_ADDR"))
        return
    # Joined in order: "203.0.113.9, 192.0.2.1", depth 2 -> the left one.
    check(xff == "203.0.113.9, 192.0.2.1", "X-Forwarded-For %r" % xff)
    check(one(e, "REMOTE_ADDR") == "203.0.113.9", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))


def t_proto_host_port_prefix(h, m, st):
    path = "/%s-fwd.%s/x?q=1" % (m, ext(m))
    r = request(h.port, path,
                [("X-Forwarded-For", "198.51.100.7"),
                 ("X-Forwarded-Proto", "HTTPS"),
                 ("X-Forwarded-Host", "app.example.com"),
                 ("X-Forwarded-Port", "8443"),
                 ("X-Forwarded-Prefix", "/base/")])
    e = expect_ok(r)
    want = {"REMOTE_ADDR": "198.51.100.7", "HTTPS": "on",
            "REQUEST_SCHEME": "https", "HTTP_HOST": "app.example.com:8443",
            "SERVER_NAME": "app.example.com", "SERVER_PORT": "8443",
            "SCRIPT_NAME": "/base/%s-fwd.%s" % (m, ext(m)),
            "REQUEST_URI": "/base" + path,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_PREFIX": "/base"}
    for k, v in want.items():
        check(one(e, k) == v, "%s=%r, want %r" % (k, e.get(k), v))
    check(e.get("PATH_INFO") == "/x", "PATH_INFO %r" % e.get("PATH_INFO"))
    # Plain http with no forwarded port: HTTPS absent, port 80.
    r = request(h.port, "/%s-fwd.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7"),
                 ("X-Forwarded-Proto", "http")])
    e = expect_ok(r)
    absent(e, "HTTPS")
    check(one(e, "REQUEST_SCHEME") == "http", "REQUEST_SCHEME")
    check(one(e, "SERVER_PORT") == "80", "SERVER_PORT %r"
          % e.get("SERVER_PORT"))


def t_strict_400(h, m, st):
    before = log_mark(h)
    r = request(h.port, "/%s-strict.%s" % (m, ext(m)),
                [("X-Forwarded-For", "203.0.113.9, 198.51.100.7")])
    expect_reject(r, 400, b"Bad Request\n")
    expect_log(h, before, "xff-cgi: warning depth_mismatch")


def t_missing_header_400(h, m, st):
    before = log_mark(h)
    r = request(h.port, "/%s-strict.%s" % (m, ext(m)))
    expect_reject(r, 400, b"Bad Request\n")
    expect_log(h, before, "xff-cgi: error missing_header")


def t_exempt_passes(h, m, st):
    r = request(h.port, "/%s-strict.%s/health/" % (m, ext(m)))
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "127.0.0.1", "REMOTE_ADDR")
    r = request(h.port, "/%s-strict.%s/other/" % (m, ext(m)))
    expect_reject(r, 400, b"Bad Request\n")


def t_stealth_404(h, m, st):
    r = request(h.port, "/%s-stealth.%s/health/" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7")])
    expect_reject(r, 404, b"Not Found\n")
    # Not through the front door: exempt and served.
    r = request(h.port, "/%s-stealth.%s/health/" % (m, ext(m)))
    expect_ok(r)
    r = request(h.port, "/%s-stealth.%s/other" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7")])
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR")


def t_trusted_peer(h, m, st):
    r = request(h.port, "/%s-trusted.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7")])
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))


def t_untrusted_peer(h, m, st):
    before = log_mark(h)
    r = request(h.port, "/%s-untrusted.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7")])
    e = expect_ok(r)
    check(one(e, "REMOTE_ADDR") == "127.0.0.1", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))
    absent(e, "HTTP_X_FORWARDED_FOR")
    check(one(e, "ORIGINAL_HTTP_X_FORWARDED_FOR") == "198.51.100.7",
          "ORIGINAL_HTTP_X_FORWARDED_FOR")
    expect_log(h, before, "xff-cgi: warning untrusted_peer")


def t_post_body(h, m, st):
    body = os.urandom(1 << 20) + b"\r\n\0tail"
    r = request(h.port, "/%s-d1.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7"),
                 ("Content-Type", "application/octet-stream")],
                method="POST", body=body)
    e = expect_ok(r)
    d = e["__data__"]
    check(d["body_len"] == len(body), "body length %d, sent %d"
          % (d["body_len"], len(body)))
    check(d["body_sha256"] == hashlib.sha256(body).hexdigest(),
          "body checksum differs")


def t_rejected_post(h, m, st):
    # A body larger than a pipe buffer, refused: the host still gets the
    # 400 (fcgiwrap answers 502 when the program leaves the body unread).
    body = os.urandom(300000)
    r = request(h.port, "/%s-strict.%s" % (m, ext(m)), method="POST",
                body=body)
    expect_reject(r, 400, b"Bad Request\n")
    r = request(h.port, "/%s-bad.%s" % (m, ext(m)), method="POST", body=body)
    expect_reject(r, 500, b"Internal Server Error\n")


def t_httpoxy(h, m, st):
    r = request(h.port, "/%s-d1.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7"),
                 ("Proxy", "http://evil.example")])
    e = expect_ok(r)
    absent(e, "HTTP_PROXY")
    absent(e, "ORIGINAL_HTTP_PROXY")


def t_bad_config_500(h, m, st):
    before = log_mark(h)
    r = request(h.port, "/%s-bad.%s" % (m, ext(m)),
                [("X-Forwarded-For", "198.51.100.7")])
    expect_reject(r, 500, b"Internal Server Error\n")
    expect_log(h, before, st.path("bad.ini"), "strcit")


def t_missing_config_500(h, m, st):
    before = log_mark(h)
    r = request(h.port, "/%s-missing.%s" % (m, ext(m)))
    expect_reject(r, 500, b"Internal Server Error\n")
    expect_log(h, before, st.path("missing.ini"))


def t_argv(h, m, st):
    e = expect_ok(request(h.port, "/%s-d1.%s" % (m, ext(m))))
    argv = e["__data__"]["argv"]
    if m == "w":
        check(argv == [st.path("env.py")], "argv %r" % argv)
    else:
        check(argv == [os.path.join(st.cgi, "i-d1.py")], "argv %r" % argv)


def ext(m):
    return "sh" if m == "w" else "py"


# Tests that run once per host, not per mode.

def t_noexec_500(h, st):
    before = log_mark(h)
    r = request(h.port, "/w-noexec.sh")
    expect_reject(r, 500, b"Internal Server Error\n")
    expect_log(h, before, "xff-cgi: cannot execute %s: Permission denied"
               % st.path("noexec.py"))


def t_c_overrides_env(h, st):
    e = expect_ok(request(h.port, "/w-prec.sh",
                          [("X-Forwarded-For", "192.0.2.5, 198.51.100.7")]))
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR")


def t_shebang_options(h, st):
    # "#!xff-cgi -c d2.ini python3": d2 is used, not XFF_GATEWAY_CONFIG.
    e = expect_ok(request(h.port, "/ic.py",
                          [("X-Forwarded-For", "192.0.2.5, 198.51.100.7")]))
    check(one(e, "REMOTE_ADDR") == "192.0.2.5", "REMOTE_ADDR %r"
          % e.get("REMOTE_ADDR"))


def t_self_loop_refused(h, st):
    before = log_mark(h)
    t0 = time.monotonic()
    r = request(h.port, "/loop.py")
    expect_reject(r, 500, b"Internal Server Error\n")
    check(time.monotonic() - t0 < 30, "took too long")
    expect_log(h, before, "names xff-cgi as its interpreter")


def t_config_program(h, st):
    e = expect_ok(request(h.port, "/w-prog.sh",
                          [("X-Forwarded-For", "198.51.100.7")]))
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR")
    check(e["__data__"]["argv"] == [st.path("env.py")], "argv %r"
          % e["__data__"]["argv"])
    before = log_mark(h)
    r = request(h.port, "/w-noprog.sh")
    expect_reject(r, 500, b"Internal Server Error\n")
    expect_log(h, before, "xff-cgi: no program to run")


def t_double_refused(h, st):
    before = log_mark(h)
    r = request(h.port, "/w-double.sh",
                [("X-Forwarded-For", "192.0.2.5, 198.51.100.7")])
    expect_reject(r, 500, b"Internal Server Error\n")
    expect_log(h, before, "%s names xff-cgi as its interpreter"
               % os.path.join(st.cgi, "i-d1.py"))


def t_log_file(h, st):
    """[log] target = FILE: the event line is appended to the file with a
    time stamp and the PID, and nothing reaches the web server's log."""
    path = st.path("logs", "xff-cgi.log")
    start = len(read_text(path))
    before = log_mark(h)
    uri = "/w-logfile.sh?%s" % h.name
    e = expect_ok(request(h.port, uri, [("X-Forwarded-For",
                                          "6.6.6.6, 198.51.100.7")]))
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR")
    rx = re.compile(r"^%s xff-cgi\[\d+\]: info spoof_attempt .*uri=%s "
                    % (H.STAMP_RX, re.escape(uri)), re.M)
    new = read_text(path)[start:]
    check(rx.search(new), "a stamped spoof_attempt line in %s" % path, new)
    new_host = "".join(read_text(p)[n:] for p, n in zip(h.logs(), before))
    check("spoof_attempt" not in new_host, "no event in the web server's "
          "log", new_host[-1000:])


def t_log_file_unopenable(h, st):
    """A log file that cannot be opened: the request is served, one line
    on stderr says why, and the event goes to stderr instead."""
    before = log_mark(h)
    e = expect_ok(request(h.port, "/w-lognodir.sh",
                          [("X-Forwarded-For", "6.6.6.6, 198.51.100.7")]))
    check(one(e, "REMOTE_ADDR") == "198.51.100.7", "REMOTE_ADDR")
    expect_log(h, before, "xff-cgi: cannot open the log file %s: No such "
               "file or directory; logging to stderr"
               % st.path("no-such-dir", "xff-cgi.log"),
               "xff-cgi: info spoof_attempt")


def t_baseline_direct(h, st):
    """Without xff-cgi: what the host itself passes (shows that the
    duplicate and httpoxy cases above are real)."""
    e = expect_ok(request(h.port, "/direct.py",
                          [("X-Forwarded-For", "203.0.113.9"),
                           ("X-Forwarded-For", "192.0.2.1"),
                           ("Proxy", "http://evil.example")]))
    print("# %s without xff-cgi: %d HTTP_X_FORWARDED_FOR entries, "
          "HTTP_PROXY %s" % (h.name, e["__names__"].count(
              "HTTP_X_FORWARDED_FOR"), "present" if "HTTP_PROXY" in e
              else "absent"))
    check(e.get("REMOTE_ADDR") == "127.0.0.1", "REMOTE_ADDR")


PER_MODE = [t_depth1, t_depth2, t_duplicate_lines, t_proto_host_port_prefix,
            t_strict_400, t_missing_header_400, t_exempt_passes,
            t_stealth_404, t_trusted_peer, t_untrusted_peer, t_post_body,
            t_rejected_post,
            t_httpoxy, t_bad_config_500, t_missing_config_500, t_argv]
PER_HOST = [t_baseline_direct, t_noexec_500, t_c_overrides_env,
            t_shebang_options, t_self_loop_refused, t_double_refused,
            t_config_program, t_log_file, t_log_file_unopenable]


def main():
    passed = failed = 0
    if not os.access(XFF_CGI, os.X_OK):
        print("FAIL setup: %s is not built" % XFF_CGI)
        print("0 passed, 1 failed")
        return 1
    st = Setup()
    try:
        try:
            st.populate()
            hosts = (Nginx, Lighttpd)
        except Exception as e:
            print("FAIL setup: %s" % e)
            failed += 1
            hosts = ()
        for hostclass in hosts:
            try:
                h = hostclass(st)
            except Exception as e:
                print("FAIL %s setup: %s" % (hostclass.name, e))
                failed += 1
                continue
            tests = [("%s %s %s" % (h.name, m, t.__name__[2:]),
                      lambda t=t, m=m: t(h, m, st))
                     for m in ("w", "i") for t in PER_MODE]
            tests += [("%s %s" % (h.name, t.__name__[2:]),
                       lambda t=t: t(h, st)) for t in PER_HOST]
            for name, fn in tests:
                try:
                    fn()
                    print("ok %s" % name)
                    passed += 1
                except Exception as e:
                    print("FAIL %s: %s" % (name, e))
                    failed += 1
            sys.stdout.flush()
    finally:
        st.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
