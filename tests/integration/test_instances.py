#!/usr/bin/env python3
"""One gateway per backend: the systemd templates etc/xff-gateway@.socket
and etc/xff-gateway@.service.

* instance_units_verify: `systemd-analyze verify` accepts the instances
  xff-gateway@php.socket and xff-gateway@php.service (the templates as
  written, only ExecStart's binary pointed at the build tree) without a
  warning; the instance NAME listens on /run/xff-gateway/NAME.sock and
  reads /etc/xff-gateway/NAME.ini; the template service is the single
  etc/xff-gateway.service but for its name, ExecStart=, Requires=,
  After= and the shared user (so their hardening cannot drift apart).
* two_instances: the instances "php" and "app" started the way systemd
  starts them (systemd-socket-activate on the ListenStream= of each, the
  ExecStart= of the template with %i expanded, the unit's environment),
  each with its own INI (php: x_for = 1; app: x_for = 2), side by side in
  front of PHP-FPM and of a WSGI app under uWSGI, behind one nginx: each
  backend sees the client its own instance's configuration chooses;
  ExecReload= reloads one instance and leaves the other as it was.

Each scenario prints "ok NAME" or "FAIL NAME" with the evidence; the last
line is "N passed, M failed"; the exit status is 1 when any failed.
Scenarios that cannot run here print "skip NAME: why" and count as
neither.  Run as `python3 test_instances.py [NAME ...]` to run some only.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, Skip, check, eq, wait_for  # noqa: E402
from test_ops import parse_unit, unit_values  # noqa: E402

SOCKET_T = os.path.join(H.SRCDIR, "etc", "xff-gateway@.socket")
SERVICE_T = os.path.join(H.SRCDIR, "etc", "xff-gateway@.service")
SERVICE_1 = os.path.join(H.SRCDIR, "etc", "xff-gateway.service")
PHP_ROOT = os.path.dirname(H.PHP_INDEX)
DROP_TO = H.drop_to()

# keys in which the template service may differ from the single one
TEMPLATE_KEYS = {("Unit", "Description"), ("Unit", "Requires"),
                 ("Unit", "After"), ("Service", "ExecStart"),
                 ("Service", "User"), ("Service", "Group")}


def expand(text, name):
    """A template's text for the instance name (%i and %I)."""
    return text.replace("%i", name).replace("%I", name)


def instance(name):
    """(ListenStream= path, ExecStart= argv, ExecReload= argv, environment)
    of the instance name, from the templates."""
    sunit = parse_unit(SOCKET_T)
    listen = [expand(v, name) for v in unit_values(sunit, "Socket",
                                                     "ListenStream")]
    eq(len(listen), 1, "%s: ListenStream= lines" % SOCKET_T)
    unit = parse_unit(SERVICE_T)

    def argv(key):
        vals = unit_values(unit, "Service", key)
        eq(len(vals), 1, "%s: %s= lines" % (SERVICE_T, key))
        return shlex.split(expand(vals[0].lstrip("-@:+!"), name))
    env = []
    for v in unit_values(unit, "Service", "Environment"):
        env += shlex.split(v)
    check("%" not in " ".join(argv("ExecStart") + env),
          "%s: a specifier other than %%i is left" % SERVICE_T)
    return listen[0], argv("ExecStart"), argv("ExecReload"), env


TESTS, scenario = H.scenarios()


@scenario
def instance_units_verify(env):
    listen, start, _, _ = instance("php")
    eq(listen, H.RUN_DIR + "/php.sock", "ListenStream= of instance php")
    eq(os.path.basename(start[0]), "xff-gateway", "ExecStart= program")
    eq(start[1:], ["-c", "/etc/xff-gateway/php.ini"], "ExecStart= arguments")

    one, tmpl = parse_unit(SERVICE_1), parse_unit(SERVICE_T)
    for sec in sorted(set(one) | set(tmpl)):
        keys = set(k for k, _ in one.get(sec, []) + tmpl.get(sec, []))
        for k in sorted(keys):
            if (sec, k) not in TEMPLATE_KEYS:
                eq(unit_values(tmpl, sec, k), unit_values(one, sec, k),
                   "[%s] %s= of the template vs xff-gateway.service"
                   % (sec, k))
    eq(unit_values(tmpl, "Service", "User"), ["xff-gateway"], "User=")
    eq(unit_values(tmpl, "Unit", "Requires"), ["xff-gateway@%i.socket"],
       "Requires=")
    docs = unit_values(parse_unit(SOCKET_T), "Unit", "Documentation")
    eq(docs, unit_values(tmpl, "Unit", "Documentation"),
       "Documentation= of the socket and the service")
    for d in " ".join(docs).split():
        m = re.match(r"^man:([\w.-]+)\((\d)\)$", d)
        check(m and os.path.exists(os.path.join(
            H.SRCDIR, "man", "%s.%s.in" % m.groups())),
            "Documentation= %r names a page the project ships" % d)

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        raise Skip("systemd-analyze not installed")
    d = env.path("units")
    os.makedirs(d, exist_ok=True)
    for src, dst in ((SOCKET_T, "xff-gateway@php.socket"),
                     (SERVICE_T, "xff-gateway@php.service")):
        text = H.read_text(src)
        if src == SERVICE_T:
            check(("ExecStart=" + start[0]) in text, "ExecStart= line")
            text = text.replace("ExecStart=" + start[0],
                                "ExecStart=" + H.GATEWAY)
        with open(os.path.join(d, dst), "w") as f:
            f.write(text)
    r = subprocess.run([analyze, "verify", "--man=no",
                        os.path.join(d, "xff-gateway@php.socket"),
                        os.path.join(d, "xff-gateway@php.service")],
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    eq(r.returncode, 0, "systemd-analyze verify exit status (%s)" % out)
    check(out == "", "systemd-analyze verify is silent", out)


def ini(backend, x_for):
    g = {"backend": "unix:" + backend, "workers": 4, "connect_timeout": 2,
         "backend_timeout": 20}
    g.update(DROP_TO)
    return H.ini_text((("gateway", g),
                       ("trust", {"x_for": x_for, "x_proto": 1}),
                       ("log", {"level": "info", "target": "stderr"})))


def start_instance(env, name, backend, x_for):
    """The instance name under systemd-socket-activate, with its INI."""
    listen, start, reload_argv, unit_env = instance(name)

    def command(sock, path):
        act = [H.find_program("systemd-socket-activate",
                              "/lib/systemd/systemd-socket-activate"),
               "-l", sock]
        for a in unit_env:
            act += ["-E", a]
        argv = list(start)
        argv[0] = H.GATEWAY
        argv[argv.index("-c") + 1] = path
        # StandardInput=socket: the socket on fd 0 too, as systemd does
        return act + ["--", "/bin/sh", "-c", 'exec "$@" <&3', "sh"] + argv
    gw = env.fcgi_app("inst-" + name, ini(backend, x_for), command,
                      error=Failure)
    gw.reload_argv = [a.replace("$MAINPID", str(gw.pid)).replace(
        "${MAINPID}", str(gw.pid)) for a in reload_argv]
    return gw


@scenario
def two_instances(env):
    php, php_sock = env.php_fpm("inst-php-fpm", children=2)
    app, app_sock = env.uwsgi("inst-uwsgi")
    gw_php = start_instance(env, "php", php_sock, 1)
    gw_app = start_instance(env, "app", app_sock, 2)
    check(gw_php.sock != gw_app.sock, "one socket per instance")
    p_php, p_app = H.free_port(), H.free_port()
    snip_php = H.NginxSnippet(gw_php.sock)
    snip_app = H.NginxSnippet(gw_app.sock)
    ngx = env.nginx(
        H.server_block(p_php, [H.location("/", snip_php.plain())],
                       "  root %s;" % PHP_ROOT) +
        H.server_block(p_app, [H.location("/", snip_app.plain())]),
        name="inst-nginx")
    env.wait_socket(ngx, ("127.0.0.1", p_php))
    env.wait_socket(ngx, ("127.0.0.1", p_app))
    hdrs = [("X-Forwarded-For", "198.51.100.66, 203.0.113.7"),
            ("X-Forwarded-Proto", "https")]

    def php_addr():
        r = H.request(p_php, "/index.php", hdrs)
        eq(r.status, 200, "PHP through instance php (%r; %s)"
           % (r, gw_php.log_text()[-1500:]))
        return r.json()["server"].get("REMOTE_ADDR")

    def app_view():
        r = H.request(p_app, "/hello", hdrs)
        eq(r.status, 200, "WSGI app through instance app (%r; %s)"
           % (r, gw_app.log_text()[-1500:]))
        return r.json()

    eq(php_addr(), "203.0.113.7", "PHP REMOTE_ADDR (php.ini: x_for = 1)")
    v = app_view()
    eq(v["remote_addr"], "198.51.100.66",
       "Werkzeug remote_addr (app.ini: x_for = 2)")
    eq(v["scheme"], "https", "Werkzeug scheme")

    # reload one instance with a new INI: only that one changes
    with open(gw_app.ini, "w") as f:
        f.write(ini(app_sock, 1))
    r = subprocess.run(gw_app.reload_argv, capture_output=True, timeout=10)
    eq(r.returncode, 0, "ExecReload= %r" % gw_app.reload_argv)
    check(wait_for(lambda: app_view()["remote_addr"] == "203.0.113.7",
                   timeout=H.WAIT),
          "instance app reloaded (x_for = 1)", gw_app.log_text()[-1500:])
    with open(gw_php.ini, "w") as f:
        f.write(ini(php_sock, 2))   # written, not reloaded: php stays
    eq(php_addr(), "203.0.113.7", "instance php unchanged")
    for gw in (gw_php, gw_app):
        eq(env.stop(gw, timeout=10.0), 0, "%s exit status" % gw.name)
    env.stop(ngx)
    env.stop(php)
    env.stop(app)


def main(argv):
    return H.run_scenarios(argv, TESTS, lambda: H.Env("xffgw-inst"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
