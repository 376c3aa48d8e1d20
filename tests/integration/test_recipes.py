#!/usr/bin/env python3
"""End-to-end tests of the nginx configurations operators copy, through
xff-gateway to PHP-FPM and to a WSGI app under uWSGI.

nginx includes the system's own files by absolute path
(/etc/nginx/fastcgi.conf, /etc/nginx/fastcgi_params,
/etc/nginx/snippets/fastcgi-php.conf; fastcgi-php.conf includes
fastcgi.conf by a relative path, which resolves to a link to the system's
file next to the test's nginx.conf).  Each block is served twice by the
same nginx: on one port through the gateway (started with the command line
of etc/spawn-fcgi.example), on another straight to the backend, so the
two can be compared.  These blocks send some params twice; SPEC 3 says the
last value stands, at the position of the first, as PHP-FPM and uWSGI
read it, and that only repeated HTTP_* params (header lines) are joined.

* php_debian_snippet: Debian's default-site PHP block
  (`location ~ \\.php$ { include snippets/fastcgi-php.conf; ... }`) gives
  200, the address from X-Forwarded-For, HTTPS from X-Forwarded-Proto, and
  the same SCRIPT_FILENAME, SCRIPT_NAME, PATH_INFO and param order as
  straight to PHP-FPM.
* php_fastcgi_conf_script_filename: `include fastcgi.conf;` then
  `fastcgi_param SCRIPT_FILENAME ...` (SCRIPT_FILENAME sent twice) gives
  200 and one plain SCRIPT_FILENAME, not PHP-FPM's "File not found."
* php_param_set_twice: `fastcgi_param APP_ENV one;` ... `APP_ENV two;`
  with another param between them: PHP sees `two`, in the place of the
  first line, as straight to PHP-FPM; the gateway sends exactly one
  APP_ENV param, at the first one's position (seen by the echo backend).
* php_header_lines_joined: two X-Forwarded-For header lines (and two
  Cookie lines) still arrive joined: the client address is chosen from
  the whole chain, HTTP_COOKIE holds both cookies; straight to PHP-FPM,
  the last X-Forwarded-For line alone would count.
* wsgi_script_name_empty: uWSGI with the app at its root and the WSGI
  idiom `include fastcgi_params; fastcgi_param SCRIPT_NAME "";
  fastcgi_param PATH_INFO $fastcgi_script_name;` under a location prefix:
  the app sees SCRIPT_NAME "" and the whole path in PATH_INFO, as
  straight to uWSGI, with the corrected address and https url_root.
* uwsgi_recipe: etc/uwsgi-app.ini and etc/nginx-xff-gateway-uwsgi.conf as
  shipped (only socket paths, the app directory and the listen port
  replaced; the service-only user and socket owner lines left out):
  nginx -> gateway -> uWSGI corrects REMOTE_ADDR, https from
  X-Forwarded-Proto and url_root under the mount point.

Each scenario prints "ok NAME" or "FAIL NAME" with the details; the last
line is "N passed, M failed" and the exit status is 1 when any failed.
Run as `python3 test_recipes.py [NAME ...]` to run some scenarios only.
"""
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, check, eq  # noqa: E402

FASTCGI_CONF = "/etc/nginx/fastcgi.conf"
FASTCGI_PARAMS = "/etc/nginx/fastcgi_params"
FASTCGI_PHP = "/etc/nginx/snippets/fastcgi-php.conf"

UWSGI_RECIPE = os.path.join(H.SRCDIR, "etc", "uwsgi-app.ini")
NGINX_UWSGI = os.path.join(H.SRCDIR, "etc", "nginx-xff-gateway-uwsgi.conf")
UWSGI_EXAMPLE_SOCK = "/run/uwsgi-app/app.sock"
UWSGI_EXAMPLE_CHDIR = "/srv/app"
# uWSGI options that only make sense for a system service (run as root,
# then as www-data): left out by the tests, which give the socket mode 0666
# so that the gateway (dropped to nobody when run as root) reaches it.
UWSGI_SERVICE_ONLY = ("uid", "gid", "chown-socket")

PHP_ROOT = os.path.dirname(H.PHP_INDEX)
WSGI_DIR = os.path.dirname(H.WSGI_APP)
PEER = "127.0.0.1"

DROP_TO = H.drop_to()


def gateway_ini(backend_sock, x_for=1):
    g = {"backend": "unix:" + backend_sock, "workers": 4,
         "connect_timeout": 2, "backend_timeout": 20, "keep_conn": "yes"}
    g.update(DROP_TO)
    t = {"x_for": x_for, "x_proto": 1, "x_host": 0, "x_port": 0,
         "x_prefix": 0}
    return H.ini_text((("gateway", g), ("trust", t),
                       ("log", {"level": "info", "target": "stderr"})))


def need(path):
    if not os.path.exists(path):
        raise Failure("%s not found (Debian's nginx-common ships it; "
                      "install-deps.sh installs it)" % path)


# ------------------------------------------------------------ the suite

class Suite:
    def __init__(self):
        self.env = H.Env("xffgw-recipes")
        self.backends = {}
        self._id = 0

    def next_id(self):
        self._id += 1
        return self._id

    def backend(self, kind):
        """The shared backend of a kind, started on first use: "php"
        (PHP-FPM, pm = static, 2 children), "wsgi" (uWSGI, app at its
        root), "echo" (tests/echo-app)."""
        if kind not in self.backends:
            if kind == "php":
                self.backends[kind] = self.env.php_fpm("php", children=2)
            elif kind == "wsgi":
                self.backends[kind] = self.env.uwsgi("wsgi")
            else:
                self.backends[kind] = self.env.echo_app("echo", threads=4)
        p, sock = self.backends[kind]
        if not p.alive():
            raise Failure("backend %s died; log:\n%s"
                          % (kind, p.log_text()[-2000:]))
        return sock

    def close(self):
        self.env.close()


class Stack:
    """Gateways and one nginx started for a scenario, stopped (by PID)
    when it ends."""

    def __init__(self, suite):
        self.s = suite
        self.env = suite.env
        self.procs = []
        self.servers = []
        self.nginx = None

    def gateway(self, backend_sock, x_for=1):
        gw = self.env.gateway(gateway_ini(backend_sock, x_for),
                              name="gw-%d" % self.s.next_id())
        self.procs.append(gw)
        return gw

    def server(self, body, root=None):
        """Adds a server block on a free port; returns the port."""
        port = H.free_port()
        self.servers.append((port, H.server_block(
            port, [body], "  root %s;" % root if root else "")))
        return port

    def raw_server(self, text, port):
        self.servers.append((port, text))
        return port

    def start(self):
        """nginx on the servers added so far.  Its conf prefix holds a
        link to the system's fastcgi.conf: fastcgi-php.conf includes it by
        a relative path, which nginx resolves there."""
        name = "nginx-%d" % self.s.next_id()
        prefix = self.env.path(name)
        os.makedirs(prefix, exist_ok=True)
        os.symlink(FASTCGI_CONF, os.path.join(prefix, "fastcgi.conf"))
        self.nginx = self.env.nginx("".join(t for _, t in self.servers),
                                    name=name)
        self.procs.append(self.nginx)
        for port, _ in self.servers:
            self.env.wait_socket(self.nginx, ("127.0.0.1", port))

    def logs(self):
        return "\n".join("%s:\n%s" % (p.name, p.log_text()[-1500:])
                         for p in self.procs)

    def close(self):
        for p in reversed(self.procs):
            self.env.stop(p)
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def php_view(st, port, path, headers=(), what=""):
    """$_SERVER as PHP saw it (an ordered dict) for a request through
    nginx on port; Failure unless 200 and JSON."""
    r = H.request(port, path, headers)
    check(r.status == 200, "%s %s: expected 200 from the PHP page" % (what, path),
          r, st.logs())
    return r.json()["server"]


def wsgi_view(st, port, path, headers=(), what=""):
    """What backend-wsgi/app.py answered: Werkzeug's view and environ."""
    r = H.request(port, path, headers)
    check(r.status == 200, "%s %s: expected 200 from the WSGI app" % (what, path),
          r, st.logs())
    return r.json()


def same(got, want, keys, what):
    for k in keys:
        eq(got.get(k), want.get(k), "%s: %s through the gateway vs straight "
           "to the backend" % (what, k))


def common_order(a, b):
    """The keys of a that are also in b, in a's order."""
    return [k for k in a if k in b]


def same_order(gw, direct, what):
    """The params both saw come in the same order through the gateway as
    straight to the backend (the gateway reorders nothing; a param it
    changed keeps its place; what it adds or removes is not compared)."""
    eq(common_order(gw, direct), common_order(direct, gw),
       "%s: order of $_SERVER through the gateway vs straight to PHP-FPM"
       % what)


TESTS, scenario = H.scenarios()

XFF = [("X-Forwarded-For", "198.51.100.66, 203.0.113.7"),
       ("X-Forwarded-Proto", "https")]


def php_pair(s, st, block):
    """block (a location with @PASS@) on two ports: through a gateway in
    front of PHP-FPM, and straight to PHP-FPM.  Returns (gw, direct)."""
    php = s.backend("php")
    gw = st.gateway(php)
    p_gw = st.server(block.replace("@PASS@", "unix:" + gw.sock), PHP_ROOT)
    p_direct = st.server(block.replace("@PASS@", "unix:" + php), PHP_ROOT)
    return p_gw, p_direct


def php_corrected(v, what):
    """The correction of XFF, as the PHP page shows it."""
    eq(v.get("REMOTE_ADDR"), "203.0.113.7", what + ": REMOTE_ADDR")
    eq(v.get("HTTP_X_FORWARDED_FOR"), "203.0.113.7",
       what + ": HTTP_X_FORWARDED_FOR")
    eq(v.get("HTTPS"), "on", what + ": HTTPS")
    eq(v.get("REQUEST_SCHEME"), "https", what + ": REQUEST_SCHEME")
    eq(v.get("ORIGINAL_REMOTE_ADDR"), PEER, what + ": ORIGINAL_REMOTE_ADDR")


# ------------------------------------------------------------ PHP-FPM

@scenario
def php_debian_snippet(s):
    """Debian's default site: location ~ \\.php$ with fastcgi-php.conf."""
    need(FASTCGI_PHP)
    need(FASTCGI_CONF)
    block = ("location ~ \\.php$ {\n"
             "    include %s;\n"
             "    fastcgi_pass @PASS@;\n"
             "}\n" % FASTCGI_PHP)
    with Stack(s) as st:
        p_gw, p_direct = php_pair(s, st, block)
        st.start()
        gw = php_view(st, p_gw, "/index.php?a=1", XFF, "gateway")
        direct = php_view(st, p_direct, "/index.php?a=1", XFF, "direct")
        php_corrected(gw, "gateway")
        eq(direct.get("REMOTE_ADDR"), PEER, "direct: REMOTE_ADDR")
        eq(gw.get("SCRIPT_FILENAME"), os.path.join(PHP_ROOT, "index.php"),
           "gateway: SCRIPT_FILENAME")
        same(gw, direct, ("SCRIPT_FILENAME", "SCRIPT_NAME", "PATH_INFO",
                          "DOCUMENT_URI", "REQUEST_URI", "QUERY_STRING",
                          "PHP_SELF"), "fastcgi-php.conf")
        same_order(gw, direct, "fastcgi-php.conf")
        # The snippet's try_files answers a missing script with 404 in
        # nginx, before the gateway.
        r = H.request(p_gw, "/missing.php", XFF)
        eq(r.status, 404, "gateway: /missing.php status")


@scenario
def php_fastcgi_conf_script_filename(s):
    """include fastcgi.conf, then SCRIPT_FILENAME again: two params."""
    need(FASTCGI_CONF)
    block = ("location ~ \\.php$ {\n"
             "    include %s;\n"
             "    fastcgi_param SCRIPT_FILENAME "
             "$document_root$fastcgi_script_name;\n"
             "    fastcgi_pass @PASS@;\n"
             "}\n" % FASTCGI_CONF)
    with Stack(s) as st:
        p_gw, p_direct = php_pair(s, st, block)
        st.start()
        script = os.path.join(PHP_ROOT, "index.php")
        direct = php_view(st, p_direct, "/index.php", XFF, "direct")
        eq(direct.get("SCRIPT_FILENAME"), script, "direct: SCRIPT_FILENAME")
        gw = php_view(st, p_gw, "/index.php", XFF, "gateway")
        php_corrected(gw, "gateway")
        eq(gw.get("SCRIPT_FILENAME"), script, "gateway: SCRIPT_FILENAME")
        same(gw, direct, ("SCRIPT_FILENAME", "SCRIPT_NAME", "DOCUMENT_ROOT",
                          "PHP_SELF"), "fastcgi.conf + SCRIPT_FILENAME")
        same_order(gw, direct, "fastcgi.conf + SCRIPT_FILENAME")
        # Not a change: nothing for the backend to audit.
        eq(gw.get("ORIGINAL_SCRIPT_FILENAME"), None,
           "gateway: ORIGINAL_SCRIPT_FILENAME")


@scenario
def php_param_set_twice(s):
    """An application param written twice with another between them."""
    need(FASTCGI_CONF)
    block = ("location ~ \\.php$ {\n"
             "    include %s;\n"
             "    fastcgi_param APP_ENV one;\n"
             "    fastcgi_param APP_MARK between;\n"
             "    fastcgi_param APP_ENV two;\n"
             "    fastcgi_pass @PASS@;\n"
             "}\n" % FASTCGI_CONF)
    with Stack(s) as st:
        p_gw, p_direct = php_pair(s, st, block)
        # The same block through a gateway in front of the echo backend,
        # which answers the params in the order it received them.
        gw_echo = st.gateway(s.backend("echo"))
        p_echo = st.server(block.replace("@PASS@", "unix:" + gw_echo.sock),
                           PHP_ROOT)
        st.start()
        direct = php_view(st, p_direct, "/index.php", XFF, "direct")
        eq(direct.get("APP_ENV"), "two", "direct: APP_ENV")
        gw = php_view(st, p_gw, "/index.php", XFF, "gateway")
        php_corrected(gw, "gateway")
        eq(gw.get("APP_ENV"), "two", "gateway: APP_ENV")
        eq(gw.get("APP_MARK"), "between", "gateway: APP_MARK")
        eq(gw.get("ORIGINAL_APP_ENV"), None, "gateway: ORIGINAL_APP_ENV")
        # PHP-FPM lists $_SERVER in its own order (the params reversed):
        # compared with PHP-FPM reached straight, APP_ENV is where PHP-FPM
        # itself puts a param sent twice.
        same_order(gw, direct, "APP_ENV twice")

        r = H.request(p_echo, "/index.php", XFF)
        eq(r.status, 200, "echo through the gateway: status")
        pairs = [tuple(p) for p in r.json()["params"]]
        names = [k for k, _ in pairs]
        eq([v for k, v in pairs if k == "APP_ENV"], ["two"],
           "echo: the APP_ENV params the gateway sent", pairs)
        eq(names.index("APP_ENV") + 1, names.index("APP_MARK"),
           "echo: position of APP_MARK (right after APP_ENV)", names)
        eq(names.count("SCRIPT_FILENAME"), 1, "echo: SCRIPT_FILENAME params")


@scenario
def php_header_lines_joined(s):
    """Repeated HTTP_* params (header lines) are still joined."""
    need(FASTCGI_CONF)
    block = ("location ~ \\.php$ {\n"
             "    include %s;\n"
             "    fastcgi_pass @PASS@;\n"
             "}\n" % FASTCGI_CONF)
    hdrs = [("X-Forwarded-For", "198.51.100.9, 203.0.113.7"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("Cookie", "a=1"), ("Cookie", "b=2")]
    with Stack(s) as st:
        php = s.backend("php")
        gw = st.gateway(php, x_for=2)
        p_gw = st.server(block.replace("@PASS@", "unix:" + gw.sock), PHP_ROOT)
        p_direct = st.server(block.replace("@PASS@", "unix:" + php), PHP_ROOT)
        st.start()
        v = php_view(st, p_gw, "/index.php", hdrs, "gateway")
        # Depth 2 over the joined chain "198.51.100.9, 203.0.113.7,
        # 10.0.0.1"; the last line alone would give 10.0.0.1.
        eq(v.get("REMOTE_ADDR"), "203.0.113.7", "gateway: REMOTE_ADDR")
        eq(v.get("HTTP_X_FORWARDED_FOR"), "203.0.113.7, 10.0.0.1",
           "gateway: HTTP_X_FORWARDED_FOR")
        eq(v.get("ORIGINAL_HTTP_X_FORWARDED_FOR"),
           "198.51.100.9, 203.0.113.7, 10.0.0.1",
           "gateway: ORIGINAL_HTTP_X_FORWARDED_FOR")
        eq(v.get("HTTP_COOKIE"), "a=1; b=2", "gateway: HTTP_COOKIE")
        # Straight to PHP-FPM the last line wins: what the gateway's
        # joining is for.
        d = php_view(st, p_direct, "/index.php", hdrs, "direct")
        eq(d.get("HTTP_X_FORWARDED_FOR"), "10.0.0.1",
           "direct: HTTP_X_FORWARDED_FOR (PHP-FPM alone keeps the last line)")


# ------------------------------------------------------------ uWSGI

WSGI_KEYS = ("script_root", "path", "url_root", "url", "scheme", "is_secure")


@scenario
def wsgi_script_name_empty(s):
    """include fastcgi_params; SCRIPT_NAME ""; PATH_INFO, under /hello/."""
    need(FASTCGI_PARAMS)
    block = ("location /hello/ {\n"
             "    include %s;\n"
             "    fastcgi_param SCRIPT_NAME \"\";\n"
             "    fastcgi_param PATH_INFO $fastcgi_script_name;\n"
             "    fastcgi_pass @PASS@;\n"
             "}\n" % FASTCGI_PARAMS)
    with Stack(s) as st:
        wsgi = s.backend("wsgi")
        gw = st.gateway(wsgi)
        p_gw = st.server(block.replace("@PASS@", "unix:" + gw.sock))
        p_direct = st.server(block.replace("@PASS@", "unix:" + wsgi))
        st.start()
        v = wsgi_view(st, p_gw, "/hello/world?x=1", XFF, "gateway")
        d = wsgi_view(st, p_direct, "/hello/world?x=1", XFF, "direct")
        env = v["environ"]
        eq(env.get("SCRIPT_NAME"), "", "gateway: SCRIPT_NAME", v)
        eq(env.get("PATH_INFO"), "/hello/world", "gateway: PATH_INFO", v)
        eq(v["script_root"], "", "gateway: werkzeug script_root")
        eq(v["url_root"], "https://127.0.0.1/", "gateway: werkzeug url_root")
        eq(v["url"], "https://127.0.0.1/hello/world?x=1", "gateway: werkzeug url")
        eq(v["remote_addr"], "203.0.113.7", "gateway: werkzeug remote_addr")
        eq(d["remote_addr"], PEER, "direct: werkzeug remote_addr")
        same(v, d, WSGI_KEYS, "SCRIPT_NAME \"\"")
        same(env, d["environ"], ("SCRIPT_NAME", "PATH_INFO", "REQUEST_URI"),
             "SCRIPT_NAME \"\" (environ)")


def uwsgi_recipe_ini(sock):
    """etc/uwsgi-app.ini with the test's socket and app directory, the
    service-only lines left out, the socket mode 0666."""
    text = H.read_text(UWSGI_RECIPE)
    if not text:
        raise Failure("cannot read %s" % UWSGI_RECIPE)
    out = []
    seen = set()
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z0-9_-]+)\s*=\s*(.*?)\s*$", line)
        if not m or line.lstrip().startswith(("#", ";")):
            out.append(line)
            continue
        key, value = m.groups()
        seen.add(key)
        if key in UWSGI_SERVICE_ONLY:
            continue
        if key == "fastcgi-socket":
            eq(value, UWSGI_EXAMPLE_SOCK, "%s: fastcgi-socket" % UWSGI_RECIPE)
            value = sock
        elif key == "chdir":
            eq(value, UWSGI_EXAMPLE_CHDIR, "%s: chdir" % UWSGI_RECIPE)
            value = WSGI_DIR
        elif key == "chmod-socket":
            value = "666"
        out.append("%s = %s" % (key, value))
    for key in ("fastcgi-socket", "chdir", "plugins", "processes"):
        check(key in seen, "%s: no %s" % (UWSGI_RECIPE, key))
    return "\n".join(out) + "\n"


def nginx_recipe_server(gw_sock, port):
    """etc/nginx-xff-gateway-uwsgi.conf's server block with the gateway's
    socket and the listen address replaced; returns (text, mount)."""
    text = H.read_text(NGINX_UWSGI)
    if not text:
        raise Failure("cannot read %s" % NGINX_UWSGI)
    check(H.EXAMPLE_SOCK in text, "%s does not name %s"
          % (NGINX_UWSGI, H.EXAMPLE_SOCK))
    text = text.replace(H.EXAMPLE_SOCK, gw_sock)
    servers = [(h, b) for h, b in H._blocks(text) if h == "server"]
    eq(len(servers), 1, "%s: server blocks" % NGINX_UWSGI)
    body = servers[0][1]
    check(re.search(r"^\s*listen\s+80;", body, re.M),
          "%s: expected \"listen 80;\"" % NGINX_UWSGI)
    body = re.sub(r"^(\s*)listen\s+80;", r"\1listen 127.0.0.1:%d;" % port,
                  body, flags=re.M)
    mounts = re.findall(r"location\s+(/\S*/)\s*\{", body)
    eq(len(mounts), 1, "%s: prefix locations" % NGINX_UWSGI)
    return "server {%s}\n" % body, mounts[0]


@scenario
def uwsgi_recipe(s):
    """The shipped uWSGI ini and nginx block: nginx -> gateway -> uWSGI."""
    need(FASTCGI_PARAMS)
    with Stack(s) as st:
        sock = s.env.path("recipe-uwsgi.sock")
        ini = s.env.write("recipe-uwsgi.ini", uwsgi_recipe_ini(sock))
        # Python would write its bytecode next to app.py, in the source
        # tree.
        up = s.env.start("recipe-uwsgi",
                         [H.find_program("uwsgi"), "--ini", ini],
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        st.procs.append(up)
        s.env.wait_socket(up, sock)
        gw = st.gateway(sock)
        port = H.free_port()
        server, mount = nginx_recipe_server(gw.sock, port)
        eq(mount, "/app/", "%s: the app's location" % NGINX_UWSGI)
        st.raw_server(server, port)
        st.start()

        v = wsgi_view(st, port, "/app/hello/world?x=1", XFF, "recipe")
        env = v["environ"]
        eq(v["remote_addr"], "203.0.113.7", "recipe: werkzeug remote_addr", v)
        eq(env.get("REMOTE_ADDR"), "203.0.113.7", "recipe: REMOTE_ADDR")
        eq(v["scheme"], "https", "recipe: werkzeug scheme")
        eq(env.get("wsgi.url_scheme"), "https", "recipe: wsgi.url_scheme")
        eq(v["is_secure"], True, "recipe: werkzeug is_secure")
        eq(env.get("SCRIPT_NAME"), "/app", "recipe: SCRIPT_NAME")
        eq(env.get("PATH_INFO"), "/hello/world", "recipe: PATH_INFO")
        eq(v["url_root"], "https://127.0.0.1/app/", "recipe: werkzeug url_root")
        eq(v["url"], "https://127.0.0.1/app/hello/world?x=1",
           "recipe: werkzeug url")
        eq(env.get("HTTP_X_FORWARDED_FOR"), "203.0.113.7",
           "recipe: HTTP_X_FORWARDED_FOR")

        # A client-written "https" left of the load balancer's "http" is
        # not believed, and uWSGI never sees the raw list.
        v = wsgi_view(st, port, "/app/", [("X-Forwarded-For", "203.0.113.8"),
                                          ("X-Forwarded-Proto", "https, http")],
                      "recipe")
        eq(v["scheme"], "http", "recipe (https, http): werkzeug scheme", v)
        eq(v["url_root"], "http://127.0.0.1/app/",
           "recipe (https, http): werkzeug url_root")
        eq(v["path"], "/", "recipe (https, http): werkzeug path")
        eq(v["remote_addr"], "203.0.113.8", "recipe (https, http): remote_addr")

        # nginx itself sends /app to /app/.
        r = H.request(port, "/app")
        eq(r.status, 301, "recipe: /app status")
        loc = dict((k.lower(), v) for k, v in r.headers).get("location", "")
        check(loc.endswith("/app/"), "recipe: /app redirects to /app/",
              r.headers)


# ------------------------------------------------------------ main

def main(argv):
    return H.run_scenarios(argv, TESTS, Suite)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
