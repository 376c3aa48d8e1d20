#!/usr/bin/env python3
"""End-to-end tests of xff-gateway: nginx -> xff-gateway -> backend.

The backends are tests/echo-app (libfcgi, answers its params in order),
PHP-FPM (backend-php/index.php, answers $_SERVER) and a Werkzeug WSGI app
under uWSGI's FastCGI mode (backend-wsgi/app.py, answers what Werkzeug
believes).  nginx uses the locations of etc/nginx-xff-gateway.conf and the
gateway is started with the command line of etc/spawn-fcgi.example.

Each scenario prints "ok NAME" or "FAIL NAME" with the details; the last
line is "N passed, M failed" and the exit status is 1 when any failed.
Run as `python3 test_gateway.py [NAME ...]` to run some scenarios only.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, check, eq, wait_for  # noqa: E402

BACKENDS = ("echo", "php", "wsgi")

# Started as root, the gateway wants an unprivileged user to drop to.
DROP_TO = H.drop_to()


# ------------------------------------------------------------ configuration

def ini(backend, gateway=None, trust=None, rules=None, level="info"):
    """An xff-gateway INI (SPEC 2) for a backend Unix socket."""
    g = {"backend": "unix:" + backend, "workers": 8, "connect_timeout": 2,
         "backend_timeout": 20, "keep_conn": "yes"}
    g.update(DROP_TO)
    g.update(gateway or {})
    t = {"x_for": 1, "x_proto": 1, "x_host": 0, "x_port": 0, "x_prefix": 0}
    t.update(trust or {})
    return H.ini_text((("gateway", g), ("trust", t), ("rules", rules or {}),
                       ("log", {"level": level, "target": "stderr"})))


WSGI_PARAMS_NOTE = """\
# fastcgi_params for a WSGI app mounted at the root: SCRIPT_NAME empty and
# the path in PATH_INFO (nginx would send a second SCRIPT_NAME param if it
# were overridden after the include).
"""


class Stack:
    """Per backend: one gateway (the given INI) and one nginx server block,
    all in one nginx.  Processes are stopped when the stack is closed."""

    def __init__(self, suite, backends, inis, keepalive=False, extra=""):
        self.suite = suite
        env = suite.env
        self.env = env
        self.gateways = {}
        self.ports = {}
        self.procs = []
        servers = []
        upstreams = []
        try:
            for b in backends:
                gw = env.gateway(inis[b] if isinstance(inis, dict) else inis(b),
                                 name="gw-%s-%d" % (b, suite.next_id()))
                self.procs.append(gw)
                self.gateways[b] = gw
                snip = H.NginxSnippet(gw.sock)
                body = snip.plain()
                if b == "wsgi":
                    body = body.replace("include fastcgi_params;",
                                        "include fastcgi_params_wsgi;")
                locs = [H.location("/", body, extra)]
                if keepalive:
                    name, ubody, kbody = snip.keepalive()
                    uname = "%s_%s" % (name, b)
                    upstreams.append("upstream %s {%s}\n" % (uname, ubody))
                    kbody = kbody.replace("fastcgi_pass %s;" % name,
                                          "fastcgi_pass %s;" % uname)
                    locs.append(H.location("/keep/", kbody, extra))
                self.ports[b] = H.free_port()
                root = os.path.dirname(H.PHP_INDEX) if b == "php" else env.dir
                servers.append(H.server_block(self.ports[b], locs,
                                              "  root %s;" % root))
            self.nginx = start_nginx(env, "".join(servers), "".join(upstreams),
                                     "nginx-%d" % suite.next_id())
            self.procs.append(self.nginx)
            for b in backends:
                env.wait_socket(self.nginx, ("127.0.0.1", self.ports[b]))
        except BaseException:
            self.close()
            raise

    def close(self):
        for p in reversed(self.procs):
            self.env.stop(p)
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def get(self, backend, path="/", headers=(), **kw):
        return H.request(self.ports[backend], backend_path(backend, path),
                         headers, **kw)

    def view(self, backend, path="/", headers=(), **kw):
        r = self.get(backend, path, headers, **kw)
        check(r.status == 200, "%s %s: expected 200" % (backend, path), r,
              self.gateways[backend].log_text()[-1500:])
        return View(backend, r)


def start_nginx(env, servers, upstreams, name):
    prefix = env.path(name)
    os.makedirs(prefix, exist_ok=True)
    with open(H.find_fastcgi_params()) as f:
        params = f.read()
    lines = []
    for line in params.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "fastcgi_param" \
                and words[1] == "SCRIPT_NAME":
            line = "fastcgi_param  SCRIPT_NAME  \"\";\n" \
                   "fastcgi_param  PATH_INFO    $fastcgi_script_name;"
        lines.append(line)
    with open(os.path.join(prefix, "fastcgi_params_wsgi"), "w") as f:
        f.write(WSGI_PARAMS_NOTE + "\n".join(lines) + "\n")
    return env.nginx(servers, upstreams, name=name)


def backend_path(backend, path):
    """PHP-FPM runs one script: /index.php, with the rest as query."""
    if backend == "php" and not path.startswith("/index.php"):
        q = path.find("?")
        return "/index.php" + (path[q:] if q >= 0 else "")
    return path


class View:
    """What a backend saw: params (name -> value, the value PHP and WSGI
    apps see), and for the echo app the list of params in order."""

    def __init__(self, backend, resp):
        self.backend = backend
        self.resp = resp
        j = resp.json()
        self.raw = j
        self.pairs = None
        self.wz = None
        if backend == "echo":
            self.pairs = [tuple(p) for p in j["params"]]
            self.params = {}
            for k, v in self.pairs:
                self.params.setdefault(k, v)
        elif backend == "php":
            self.params = j["server"]
        else:
            self.params = j["environ"]
            self.wz = j

    def get(self, name, default=None):
        return self.params.get(name, default)

    def count(self, name):
        if self.pairs is None:
            return 1 if name in self.params else 0
        return sum(1 for k, _ in self.pairs if k == name)

    def __repr__(self):
        return json.dumps(self.raw, sort_keys=True)[:2000]


def expect(v, want, where=""):
    """want: name -> value, or None for "absent"."""
    for k, w in want.items():
        got = v.get(k)
        if got != w:
            raise Failure("%s%s: %s expected %r, got %r\n    backend saw: %r"
                          % (v.backend, where, k, w, got, v))


# ------------------------------------------------------------ the suite

class Suite:
    def __init__(self):
        self.env = H.Env("xffgw-it")
        self.backends = {}
        self._id = 0

    def next_id(self):
        self._id += 1
        return self._id

    def backend(self, b):
        """The shared backend of kind b, started on first use."""
        if b not in self.backends:
            if b == "echo":
                self.backends[b] = self.env.echo_app("echo", threads=32)
            elif b == "php":
                self.backends[b] = self.env.php_fpm("php")
            else:
                self.backends[b] = self.env.uwsgi("wsgi")
        p, sock = self.backends[b]
        if not p.alive():
            raise Failure("backend %s died; log:\n%s" % (b, p.log_text()[-2000:]))
        return sock

    def stack(self, backends, gateway=None, trust=None, rules=None, **kw):
        return Stack(self, backends,
                     lambda b: ini(self.backend(b), gateway, trust, rules), **kw)

    def close(self):
        self.env.close()


TESTS, scenario = H.scenarios()


PEER = "127.0.0.1"     # nginx's REMOTE_ADDR in every test


def rejected(r, status, where):
    """A rejection answered by the gateway itself (SPEC 3.7)."""
    eq(r.status, status, where + ": status")
    ctype = dict((k.lower(), v) for k, v in r.headers).get("content-type", "")
    check(ctype.startswith("text/plain"),
          where + ": expected the gateway's text/plain answer", r.headers, r)
    check(r.body.count(b"\n") <= 1 and b"REMOTE_ADDR" not in r.body,
          where + ": expected a one-line body", r)


# --------------------------------------------------- correction scenarios

@scenario
def xff_depth_1(s):
    with s.stack(BACKENDS) as st:
        for b in BACKENDS:
            v = st.view(b, "/d1", [("X-Forwarded-For", "203.0.113.7")])
            expect(v, {"REMOTE_ADDR": "203.0.113.7",
                       "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
            expect(v, {"ORIGINAL_REMOTE_ADDR": PEER})
            # A client-written element on the left is not believed.
            v = st.view(b, "/d1", [("X-Forwarded-For",
                                    "198.51.100.66, 203.0.113.8")])
            expect(v, {"REMOTE_ADDR": "203.0.113.8",
                       "HTTP_X_FORWARDED_FOR": "203.0.113.8"})
            if b == "wsgi":
                eq(v.wz["remote_addr"], "203.0.113.8", "werkzeug remote_addr")


@scenario
def xff_depth_2(s):
    with s.stack(BACKENDS, trust={"x_for": 2}) as st:
        for b in BACKENDS:
            v = st.view(b, "/d2", [("X-Forwarded-For",
                                    "198.51.100.9, 203.0.113.7, 10.0.0.1")])
            expect(v, {"REMOTE_ADDR": "203.0.113.7",
                       "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"})
            if b == "wsgi":
                eq(v.wz["remote_addr"], "203.0.113.7", "werkzeug remote_addr")
            # IPv6 with a port, canonicalised (RFC 5952), port kept.
            v = st.view(b, "/d2", [("X-Forwarded-For",
                                    "[2001:DB8:0:0::1]:4711, 10.0.0.1")])
            expect(v, {"REMOTE_ADDR": "2001:db8::1", "REMOTE_PORT": "4711"})


@scenario
def xff_two_header_lines(s):
    """nginx 1.22 sends two HTTP_X_FORWARDED_FOR params for two lines."""
    hdrs = [("X-Forwarded-For", "198.51.100.9, 203.0.113.7"),
            ("X-Forwarded-For", "10.0.0.1")]
    with s.stack(BACKENDS, trust={"x_for": 2}) as st:
        for b in BACKENDS:
            v = st.view(b, "/dup", hdrs)
            expect(v, {"REMOTE_ADDR": "203.0.113.7",
                       "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"})
            eq(v.count("HTTP_X_FORWARDED_FOR"), 1,
               "%s: number of HTTP_X_FORWARDED_FOR params" % b)
            if b == "echo":
                expect(v, {"ORIGINAL_HTTP_X_FORWARDED_FOR":
                           "198.51.100.9, 203.0.113.7, 10.0.0.1"})
        # The same through curl, a real client sending two header lines.
        code, body, rc, err = H.curl(
            ["-H", "X-Forwarded-For: 198.51.100.9, 203.0.113.7",
             "-H", "X-Forwarded-For: 10.0.0.1",
             "http://127.0.0.1:%d/curl-dup" % st.ports["echo"]])
        eq(code, 200, "curl status (%s)" % err)
        v = View("echo", H.Response(code, [], body))
        expect(v, {"REMOTE_ADDR": "203.0.113.7",
                   "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"}, " (curl)")
        eq(v.count("HTTP_X_FORWARDED_FOR"), 1, "curl: HTTP_X_FORWARDED_FOR params")


@scenario
def proto_https(s):
    with s.stack(BACKENDS) as st:
        for b in BACKENDS:
            v = st.view(b, "/p", [("X-Forwarded-For", "203.0.113.7"),
                                  ("X-Forwarded-Proto", "https")])
            expect(v, {"HTTPS": "on", "SERVER_PORT": "443",
                       "HTTP_X_FORWARDED_PROTO": "https"})
            if b != "wsgi":
                expect(v, {"REQUEST_SCHEME": "https"})
            if b == "wsgi":
                eq(v.wz["is_secure"], True, "werkzeug is_secure")
                eq(v.wz["scheme"], "https", "werkzeug scheme")
                eq(v.wz["url_root"], "https://127.0.0.1/", "werkzeug url_root")
                eq(v.get("wsgi.url_scheme"), "https", "wsgi.url_scheme")
            # A client-written "https" left of the proxy's "http" is not
            # believed, and uWSGI must not see the raw list.
            v = st.view(b, "/p", [("X-Forwarded-For", "203.0.113.7"),
                                  ("X-Forwarded-Proto", "https, http")])
            expect(v, {"HTTPS": None, "SERVER_PORT": "80",
                       "HTTP_X_FORWARDED_PROTO": "http"})
            if b == "wsgi":
                eq(v.wz["is_secure"], False, "werkzeug is_secure (https, http)")
                eq(v.wz["url_root"], "http://127.0.0.1/",
                   "werkzeug url_root (https, http)")


@scenario
def host_port_prefix(s):
    trust = {"x_host": 1, "x_port": 1, "x_prefix": 1}
    with s.stack(BACKENDS, trust=trust) as st:
        for b in BACKENDS:
            hdrs = [("X-Forwarded-For", "203.0.113.7"),
                    ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "eggs.example"),
                    ("X-Forwarded-Port", "8443"),
                    ("X-Forwarded-Prefix", "/ham/")]
            v = st.view(b, "/spam?x=1", hdrs)
            expect(v, {"HTTP_HOST": "eggs.example:8443",
                       "SERVER_NAME": "eggs.example", "SERVER_PORT": "8443",
                       "HTTPS": "on", "HTTP_X_FORWARDED_PREFIX": "/ham"})
            script = {"echo": "/ham/spam", "php": "/ham/index.php",
                      "wsgi": "/ham"}[b]
            expect(v, {"SCRIPT_NAME": script})
            if b == "echo":
                expect(v, {"REQUEST_URI": "/ham/spam?x=1"})
            if b == "wsgi":
                expect(v, {"PATH_INFO": "/spam"})
                eq(v.wz["url_root"], "https://eggs.example:8443/ham/",
                   "werkzeug url_root")
                eq(v.wz["url"], "https://eggs.example:8443/ham/spam?x=1",
                   "werkzeug url")
                eq(v.wz["host"], "eggs.example:8443", "werkzeug host")
            # The scheme's default port is left out of HTTP_HOST.
            hdrs[3] = ("X-Forwarded-Port", "443")
            v = st.view(b, "/spam", hdrs)
            expect(v, {"HTTP_HOST": "eggs.example", "SERVER_PORT": "443"})
            if b == "wsgi":
                eq(v.wz["url_root"], "https://eggs.example/ham/",
                   "werkzeug url_root (port 443)")
            # An invalid host is ignored (and not passed on).
            v = st.view(b, "/spam", [("X-Forwarded-For", "203.0.113.7"),
                                     ("X-Forwarded-Host", "evil.example/x")])
            expect(v, {"HTTP_HOST": "127.0.0.1",
                       "HTTP_X_FORWARDED_HOST": None})


@scenario
def forwarded_rfc7239(s):
    """RFC 7239 Forwarded as the only source (x_for = 0, forwarded = 1)."""
    with s.stack(["echo", "wsgi"], trust={"x_for": 0, "forwarded": 1}) as st:
        for b in ("echo", "wsgi"):
            v = st.view(b, "/f", [("Forwarded",
                                   'for=198.51.100.1, for="[2001:db8::7]:4711";proto=https')])
            expect(v, {"REMOTE_ADDR": "2001:db8::7", "REMOTE_PORT": "4711",
                       "HTTPS": "on",
                       "HTTP_FORWARDED": 'for="[2001:db8::7]:4711";proto=https'})
            if b == "wsgi":
                eq(v.wz["remote_addr"], "2001:db8::7", "werkzeug remote_addr")
                eq(v.wz["is_secure"], True, "werkzeug is_secure")


@scenario
def clean_lookalikes(s):
    """Headers the gateway never believes do not reach the application
    (SPEC 3.6: strip_headers, httpoxy)."""
    hdrs = [("X-Forwarded-For", "203.0.113.7"), ("X-Real-IP", "6.6.6.6"),
            ("X-Forwarded-Ssl", "on"), ("Client-IP", "6.6.6.7"),
            ("Proxy", "http://evil.example:3128/")]
    with s.stack(BACKENDS) as st:
        for b in BACKENDS:
            v = st.view(b, "/c", hdrs)
            expect(v, {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_REAL_IP": None,
                       "HTTP_X_FORWARDED_SSL": None, "HTTP_CLIENT_IP": None,
                       "HTTP_PROXY": None, "HTTPS": None})
            if b == "echo":
                expect(v, {"ORIGINAL_HTTP_X_REAL_IP": "6.6.6.6",
                           "ORIGINAL_HTTP_PROXY": None})


@scenario
def backend_connection_reuse(s):
    """keep_conn = yes towards PHP-FPM and uWSGI: many sequential requests,
    each with its own client address, none mixed up or lost."""
    with s.stack(BACKENDS) as st:
        for b in BACKENDS:
            for i in range(40):
                addr = "192.0.2.%d" % (i + 1)
                v = st.view(b, "/r%d" % i, [("X-Forwarded-For", addr)])
                expect(v, {"REMOTE_ADDR": addr}, " request %d" % i)
            if b == "wsgi":
                continue    # app.py does not read bodies: early_response
            # A body, for PHP read through php://input.
            body = bytes(range(256)) * 4096
            r = st.get(b, "/body", [("X-Forwarded-For", "192.0.2.99")],
                       method="POST", body=body)
            eq(r.status, 200, "%s: POST status" % b)
            if b == "php":
                j = r.json()
                eq(j["body_length"], len(body), "php: body length")
                eq(j["body_sha256"], H.hashlib.sha256(body).hexdigest(),
                   "php: body sha256")
            if b == "echo":
                eq(r.json()["stdin_fnv1a64"], "%016x" % fnv1a64(body),
                   "echo: body checksum")


@scenario
def early_response(s):
    """An application that answers without reading the request body (a
    WSGI app rejecting an upload, here app.py, which never reads it).  Once
    the response header has reached nginx, nginx 1.22 stops sending the
    body; uWSGI ends the request after its socket timeout (4 s).  The
    client must get the answer: nginx -> uWSGI directly takes ~4 s."""
    body = b"u" * (1 << 20)
    with s.stack(["wsgi"]) as st:
        t0 = time.monotonic()
        try:
            r = st.get("wsgi", "/early", [("X-Forwarded-For", "192.0.2.7")],
                       method="POST", body=body, timeout=15)
        except (OSError, H.http.client.HTTPException) as e:
            raise Failure("no answer after %.1f s (%r); gateway log:\n%s" % (
                time.monotonic() - t0, e,
                st.gateways["wsgi"].log_text()[-800:]))
        dt = time.monotonic() - t0
        eq(r.status, 200, "status")
        v = View("wsgi", r)
        expect(v, {"REMOTE_ADDR": "192.0.2.7"})
        print("    answered in %.1f s" % dt)


# ------------------------------------------------------------ rules

@scenario
def strict_400(s):
    with s.stack(["echo"], rules={"strict": "yes"}) as st:
        v = st.view("echo", "/s", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})
        r = st.get("echo", "/s", [("X-Forwarded-For", "198.51.100.1, 203.0.113.7")])
        rejected(r, 400, "strict, two elements for x_for = 1")
        r = st.get("echo", "/s", [("X-Forwarded-For", "unknown")])
        rejected(r, 400, "strict, invalid value")
        log = st.gateways["echo"].log_text()
        check("depth_mismatch" in log, "log names depth_mismatch", log[-1500:])


@scenario
def missing_header_400(s):
    with s.stack(["echo"], rules={"header_required": "yes"}) as st:
        r = st.get("echo", "/m")
        rejected(r, 400, "no X-Forwarded-For")
        r = st.get("echo", "/m", [("X-Forwarded-For", " , ")])
        rejected(r, 400, "blank X-Forwarded-For")
        v = st.view("echo", "/m", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})
        log = st.gateways["echo"].log_text()
        check("missing_header" in log, "log names missing_header", log[-1500:])


@scenario
def exempt_path(s):
    rules = {"header_required": "yes", "exempt": '"^health/$"'}
    with s.stack(["echo"], rules=rules) as st:
        v = st.view("echo", "/health/")
        expect(v, {"REMOTE_ADDR": PEER})
        r = st.get("echo", "/healthz/")
        rejected(r, 400, "/healthz/ is not exempt")
        # Percent-encoding does not bypass the path match.
        v = st.view("echo", "/%68ealth/")
        expect(v, {"REMOTE_ADDR": PEER})


@scenario
def exempt_stealth_404(s):
    rules = {"exempt": '"^health/$"', "exempt_stealth": "yes"}
    with s.stack(["echo"], rules=rules) as st:
        r = st.get("echo", "/health/", [("X-Forwarded-For", "203.0.113.7")])
        rejected(r, 404, "exempt path through the proxy")
        v = st.view("echo", "/health/")
        expect(v, {"REMOTE_ADDR": PEER})
        v = st.view("echo", "/other", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})


@scenario
def proxies_trusted_peer(s):
    with s.stack(BACKENDS, trust={"proxies": "127.0.0.1/32"},
                 rules={"strict": "yes"}) as st:
        for b in BACKENDS:
            v = st.view(b, "/t", [("X-Forwarded-For", "203.0.113.7")])
            expect(v, {"REMOTE_ADDR": "203.0.113.7"})
    # Walk from the right over trusted proxies (at most x_for elements).
    with s.stack(["echo"], trust={"proxies": "127.0.0.1/32, 10.0.0.0/8",
                                  "x_for": 3}) as st:
        v = st.view("echo", "/t", [("X-Forwarded-For",
                                    "192.0.2.1, 198.51.100.9, 203.0.113.7, 10.1.2.3")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7",
                   "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.1.2.3"})


@scenario
def realip_longest_walk(s):
    """SPEC 3.5 (revision 10): with proxies, x_for is the longest walk.
    The realip habit (a wide trusted range, a generous x_for) logs no
    depth_mismatch on normal requests; only a chain of trusted entries
    that runs out does."""
    with s.stack(["echo"], trust={"proxies": "127.0.0.1/32 10.0.0.0/8",
                                  "x_for": 5}) as st:
        for i, xff in enumerate(("203.0.113.7", "203.0.113.7, 10.1.2.3",
                                 "6.6.6.6, 203.0.113.7, 10.1.2.3")):
            v = st.view("echo", "/walk%d" % i, [("X-Forwarded-For", xff)])
            expect(v, {"REMOTE_ADDR": "203.0.113.7"})
        v = st.view("echo", "/allproxies", [("X-Forwarded-For",
                                             "10.9.9.9, 10.1.2.3")])
        expect(v, {"REMOTE_ADDR": "10.9.9.9"})
        gw = st.gateways["echo"]
        check(wait_for(lambda: "uri=/allproxies" in gw.log_text(),
                       timeout=H.WAIT),
              "depth_mismatch logged for a walk that ran out",
              gw.log_text()[-1500:])
        lines = [l for l in gw.log_text().splitlines()
                 if "depth_mismatch" in l]
        check(len(lines) == 1 and "uri=/allproxies" in lines[0],
              "one depth_mismatch line, for /allproxies only", *lines)


@scenario
def proxies_untrusted_peer(s):
    with s.stack(BACKENDS, trust={"proxies": "10.0.0.0/8"}) as st:
        for b in BACKENDS:
            v = st.view(b, "/u", [("X-Forwarded-For", "203.0.113.7"),
                                  ("X-Forwarded-Proto", "https")])
            expect(v, {"REMOTE_ADDR": PEER, "HTTPS": None,
                       "HTTP_X_FORWARDED_FOR": None,
                       "HTTP_X_FORWARDED_PROTO": None})
            if b == "echo":
                expect(v, {"ORIGINAL_HTTP_X_FORWARDED_FOR": "203.0.113.7"})
            if b == "wsgi":
                eq(v.wz["is_secure"], False, "werkzeug is_secure")
                eq(v.wz["remote_addr"], PEER, "werkzeug remote_addr")
        log = st.gateways["echo"].log_text()
        check("untrusted_peer" in log, "log names untrusted_peer", log[-1500:])
    with s.stack(["echo"], trust={"proxies": "10.0.0.0/8"},
                 rules={"strict": "yes"}) as st:
        r = st.get("echo", "/u", [("X-Forwarded-For", "203.0.113.7")])
        rejected(r, 400, "strict, untrusted peer with X-Forwarded-For")


@scenario
def direct_fastcgi(s):
    """cgi-fcgi straight to the gateway's socket, no nginx."""
    gw = s.env.gateway(ini(s.backend("echo")), name="gw-direct")
    try:
        params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/direct",
                  "SCRIPT_NAME": "/direct", "QUERY_STRING": "",
                  "REMOTE_ADDR": "10.9.8.7", "REMOTE_PORT": "5555",
                  "SERVER_NAME": "localhost", "SERVER_PORT": "80",
                  "HTTP_X_FORWARDED_FOR": "203.0.113.9",
                  "HTTP_X_REAL_IP": "6.6.6.6", "HTTP_PROXY": "http://evil/"}
        rc, out, err = H.cgi_fcgi(gw.sock, params)
        head, _, body = out.partition(b"\r\n\r\n")
        check(body.startswith(b"{"), "echo answer expected", out[:500], err)
        v = View("echo", H.Response(200, [], body))
        expect(v, {"REMOTE_ADDR": "203.0.113.9", "REMOTE_PORT": None,
                   "ORIGINAL_REMOTE_ADDR": "10.9.8.7",
                   "ORIGINAL_REMOTE_PORT": "5555",
                   "HTTP_X_REAL_IP": None, "HTTP_PROXY": None,
                   "ORIGINAL_HTTP_PROXY": None})
        names = [k for k, _ in v.pairs]
        eq(len(names), len(set(names)), "one param per name")
        if DROP_TO:
            uid = H.read_text("/proc/%d/status" % gw.pid)
            uid = [l.split()[1:] for l in uid.splitlines() if l.startswith("Uid:")]
            eq(uid and uid[0], [str(H.pwd_uid(DROP_TO["user"]))] * 4,
               "gateway uids after dropping to user = %s" % DROP_TO["user"])
    finally:
        s.env.stop(gw)


# ------------------------------------------------------------ transport

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3


def fnv1a64(data, h=FNV_OFFSET):
    m = (1 << 64) - 1
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & m
    return h


@scenario
def upload_50mb(s):
    """50 MB through the gateway: once as nginx sends it by default (body
    buffered by nginx, CONTENT_LENGTH set), once streamed as it arrives
    (fastcgi_request_buffering off, chunked from curl: CONTENT_LENGTH
    empty).  The echo app checks length and FNV-1a-64; the gateway's peak
    RSS must stay small."""
    size = 50 * 1024 * 1024
    block = bytes((i * 7919 + (i >> 8)) & 0xff for i in range(1 << 20))
    path = s.env.path("upload.bin")
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
    h = FNV_OFFSET
    for _ in range(size // len(block)):
        h = fnv1a64(block, h)
    try:
        for how, extra, hdrs, clen in (
                ("buffered by nginx", "", [], str(size)),
                ("streamed, chunked", "fastcgi_request_buffering off;",
                 ["-H", "Transfer-Encoding: chunked"], "")):
            with s.stack(["echo"], extra=extra) as st:
                gw = st.gateways["echo"]
                before = H.proc_status(gw.pid, "VmHWM")
                code, body, rc, err = H.curl(
                    ["-H", "X-Forwarded-For: 203.0.113.7", "-H",
                     "Content-Type: application/octet-stream"] + hdrs +
                    ["--data-binary", "@" + path,
                     "http://127.0.0.1:%d/upload" % st.ports["echo"]],
                    timeout=120)
                hwm = H.proc_status(gw.pid, "VmHWM")
                eq(code, 200, "%s: upload status (curl: %s)" % (how, err))
                v = View("echo", H.Response(code, [], body))
                eq(v.raw["stdin_len"], size, how + ": bytes received by the backend")
                eq(int(v.raw["stdin_fnv1a64"], 16), h, how + ": FNV-1a-64 of the body")
                eq(v.raw["stdin_error"], 0, how + ": backend's stdin error")
                expect(v, {"REMOTE_ADDR": "203.0.113.7",
                           "CONTENT_LENGTH": clen}, " (%s)" % how)
                print("    %s: gateway VmHWM %s kB before, %s kB after a %d MB "
                      "upload" % (how, before, hwm, size >> 20))
                if H.VALGRIND:
                    print("    %s: RSS assertion skipped under valgrind" % how)
                else:
                    check(hwm is not None and hwm < 32 * 1024,
                          "%s: gateway peak RSS below 32 MB (VmHWM %s kB)"
                          % (how, hwm))
    finally:
        os.unlink(path)


@scenario
def streamed_response(s):
    with s.stack(["echo"], extra="fastcgi_buffering off;") as st:
        url = "http://127.0.0.1:%d/stream?stream=5" % st.ports["echo"]
        t0 = time.monotonic()
        p = subprocess.Popen([H.find_program("curl"), "-sS", "-N",
                              "--max-time", "30", url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        arrivals = []
        try:
            for line in iter(p.stdout.readline, b""):
                arrivals.append((time.monotonic() - t0, line))
            p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        eq(p.returncode, 0, "curl exit status")
        chunks = [(t, l) for t, l in arrivals if l.startswith(b"chunk")]
        eq([l for _, l in chunks], [b"chunk %d\n" % i for i in range(5)],
           "streamed lines")
        first, last = chunks[0][0], chunks[-1][0]
        print("    chunks arrived at %s s" % ", ".join("%.2f" % t for t, _ in chunks))
        # echo-app flushes a line every 0.2 s: the first one must reach
        # curl about 0.8 s before the last one is even produced.
        check(last - first >= 0.6,
              "first chunk must arrive well before the last one is produced",
              ["%.2f %r" % a for a in arrivals])


@scenario
def backend_down_502(s):
    nobody = s.env.path("nobody.sock")
    with Stack(s, ["echo"], lambda b: ini(nobody)) as st:
        t0 = time.monotonic()
        r = st.get("echo", "/down", [("X-Forwarded-For", "203.0.113.7")])
        eq(r.status, 502, "status with no backend")
        check(time.monotonic() - t0 < 5, "502 within connect_timeout")
        check(st.gateways["echo"].alive(), "gateway still running")


@scenario
def backend_timeout_504(s):
    with s.stack(["echo"], gateway={"backend_timeout": 1}) as st:
        t0 = time.monotonic()
        r = st.get("echo", "/slow?sleep=5", [("X-Forwarded-For", "203.0.113.7")])
        dt = time.monotonic() - t0
        eq(r.status, 504, "status of a hanging backend")
        check(0.8 <= dt < 4.0, "504 after about backend_timeout (%.2f s)" % dt)
        v = st.view("echo", "/after", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})


@scenario
def backend_abort(s):
    """A backend ending a request without END_REQUEST.  Before any output:
    502.  After the headers: the gateway relays what it got and closes the
    connection without END_REQUEST either, as the backend did, so that the
    FastCGI client can tell (nginx 1.22 itself then sends the client a
    normally ended chunked response, with or without the gateway).  Later
    requests are served."""
    with s.stack(["echo"]) as st:
        gw = st.gateways["echo"]
        xff = [("X-Forwarded-For", "203.0.113.7")]
        r = st.get("echo", "/abort?exit=1", xff)
        eq(r.status, 502, "backend closing before any output")
        params = {"REQUEST_METHOD": "GET", "QUERY_STRING":
                  "exit=2&size=1000000", "REQUEST_URI": "/abort",
                  "SCRIPT_NAME": "/abort", "REMOTE_ADDR": PEER,
                  "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
        a = H.fcgi_request(gw.sock, params, timeout=10)
        check(not a.timed_out, "gateway closes the connection")
        check(a.end is None, "no END_REQUEST after a cut response",
              "END_REQUEST %r after %d stdout bytes" % (a.end, len(a.stdout)))
        head, _, body = a.stdout.partition(b"\r\n\r\n")
        check(b"text/plain" in head and 0 < len(body) < 1000000 and
              body == (b"0123456789abcdef" * 65536)[:len(body)],
              "the part the backend sent, unchanged", head[:200], len(body))
        r = st.get("echo", "/abort?exit=2&size=1000000", xff)
        check(r.status == 200 and len(r.body) < 1000000,
              "through nginx: the cut response, not more", r.status, len(r.body))
        check(gw.alive(), "gateway survives a dying backend")
        check("backend" in gw.log_text(), "the gateway logs the backend error",
              gw.log_text()[-1000:])
        v = st.view("echo", "/after", xff)
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})


@scenario
def large_response(s):
    size = 30 * 1000 * 1000
    with s.stack(["echo"]) as st:
        gw = st.gateways["echo"]
        code, body, rc, err = H.curl(
            ["-H", "X-Forwarded-For: 203.0.113.7",
             "http://127.0.0.1:%d/big?size=%d" % (st.ports["echo"], size)],
            timeout=60)
        eq(code, 200, "status (curl: %s)" % err)
        eq(rc, 0, "curl exit status")
        eq(len(body), size, "response length")
        pattern = b"0123456789abcdef" * 4096
        check(body[:len(pattern)] == pattern and
              body[size - 16 * 100:] == b"0123456789abcdef" * 100,
              "response content")
        hwm = H.proc_status(gw.pid, "VmHWM")
        print("    gateway VmHWM: %s kB after a %d MB response" % (hwm, size // 1000000))
        if H.VALGRIND:
            print("    RSS assertion skipped under valgrind")
        else:
            check(hwm is not None and hwm < 32 * 1024,
                  "gateway peak RSS below 32 MB (VmHWM %s kB)" % hwm)


@scenario
def keepalive_upstream(s):
    # etc/nginx-xff-gateway.conf: max_conns=8, keepalive 4, one nginx worker
    # here: workers >= 1 x (8 + 4).
    with s.stack(["echo"], gateway={"workers": 12}, keepalive=True) as st:
        port = st.ports["echo"]
        conn = H.http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            for i in range(200):
                addr = "203.0.%d.%d" % (i // 250, i % 250 + 1)
                r = H.request(port, "/keep/seq%d" % i,
                              [("X-Forwarded-For", addr)], conn=conn)
                eq(r.status, 200, "sequential request %d" % i)
                expect(View("echo", r), {"REMOTE_ADDR": addr}, " request %d" % i)
        finally:
            conn.close()
        # nginx keeps its connection to the gateway open between requests
        # (without keep-alive, none is left once the last one is closed).
        time.sleep(0.3)
        kept = H.unix_connections(st.gateways["echo"].sock)
        check(1 <= kept <= 4, "nginx holds 1 to 4 idle keep-alive "
              "connections to the gateway, found %d" % kept)
        errors = []

        def worker(t):
            c = H.http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            try:
                for i in range(25):
                    addr = "198.51.%d.%d" % (t, i + 1)
                    r = H.request(port, "/keep/c%d-%d" % (t, i),
                                  [("X-Forwarded-For", addr)], conn=c)
                    if r.status != 200:
                        errors.append("thread %d req %d: %r" % (t, i, r))
                        break
                    got = View("echo", r).get("REMOTE_ADDR")
                    if got != addr:
                        errors.append("thread %d req %d: REMOTE_ADDR %r, "
                                      "expected %r" % (t, i, got, addr))
                        break
            except Exception as e:
                errors.append("thread %d: %r" % (t, e))
            finally:
                c.close()
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        check(not any(t.is_alive() for t in threads), "concurrent clients finished")
        check(not errors, "all concurrent requests 200 with their own address",
              *errors[:10])
        # The plain location still works next to the parked connections.
        v = st.view("echo", "/plain", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})


@scenario
def more_clients_than_workers(s):
    """16 slow requests at once on 4 workers (no keep-alive): they queue
    in the listen backlog and are all served, each with its own address."""
    with s.stack(["echo"], gateway={"workers": 4}) as st:
        results = {}

        def one(i):
            addr = "198.51.100.%d" % (i + 1)
            try:
                r = st.get("echo", "/q%d?sleep=0.5" % i,
                           [("X-Forwarded-For", addr)], timeout=20)
                results[i] = (r.status, View("echo", r).get("REMOTE_ADDR")
                              if r.status == 200 else r.body[:100], addr)
            except Exception as e:
                results[i] = (None, repr(e), addr)
        t0 = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        dt = time.monotonic() - t0
        bad = [(i, r) for i, r in sorted(results.items())
               if r[0] != 200 or r[1] != r[2]]
        eq(len(results), 16, "answers")
        check(not bad, "all 200 with their own REMOTE_ADDR", *bad[:8])
        # 16 x 0.5 s on 4 workers: about 2 s; far less would mean the
        # sleeps did not happen, far more that workers sat idle.
        check(1.8 <= dt < 6.0, "16 requests of 0.5 s on 4 workers took %.2f s" % dt)


# ------------------------------------------------------------ signals

@scenario
def sighup_reload(s):
    backend = s.backend("echo")
    with Stack(s, ["echo"], lambda b: ini(backend)) as st:
        gw = st.gateways["echo"]
        two = [("X-Forwarded-For", "198.51.100.1, 203.0.113.7")]
        v = st.view("echo", "/h", two)
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})
        with open(gw.ini, "w") as f:
            f.write(ini(backend, rules={"strict": "yes"}))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: st.get("echo", "/h", two).status == 400,
                       step=0.1),
              "strict in force after SIGHUP", gw.log_text()[-1500:])
        check(gw.alive(), "gateway alive after reload")
        # A bad file: reported, the old configuration stays.
        with open(gw.ini, "w") as f:
            f.write(ini(backend, rules={"strcit": "no"}))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: "strcit" in gw.log_text(), step=0.1),
              "the log names the bad key", gw.log_text()[-1500:])
        check(gw.alive(), "gateway alive after a bad reload")
        rejected(st.get("echo", "/h", two), 400, "strict still in force")
        v = st.view("echo", "/h", [("X-Forwarded-For", "203.0.113.7")])
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})


@scenario
def sigterm_drains(s):
    backend = s.backend("echo")
    with Stack(s, ["echo"], lambda b: ini(backend)) as st:
        gw = st.gateways["echo"]
        result = {}

        def slow():
            t0 = time.monotonic()
            try:
                result["r"] = st.get("echo", "/term?sleep=2",
                                     [("X-Forwarded-For", "203.0.113.7")],
                                     timeout=15)
            except Exception as e:
                result["e"] = e
            result["t"] = time.monotonic() - t0
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        os.kill(gw.pid, signal.SIGTERM)
        t.join(20)
        check(not t.is_alive(), "slow request finished")
        check("r" in result, "slow request answered: %r" % result.get("e"),
              gw.log_text()[-1500:])
        r = result["r"]
        eq(r.status, 200, "slow request status after SIGTERM")
        v = View("echo", r)
        expect(v, {"REMOTE_ADDR": "203.0.113.7"})
        check(result["t"] >= 1.8, "the request really slept (%.2f s)" % result["t"])
        try:
            rc = gw.popen.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        eq(rc, 0, "gateway exit status after SIGTERM")


# ------------------------------------------------------------ main

def main(argv):
    return H.run_scenarios(argv, TESTS, Suite)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
