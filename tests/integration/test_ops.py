#!/usr/bin/env python3
"""Operations tests of xff-gateway: the shipped systemd units, the syslog
log target, `make demo` and the status page (status_uri).

* systemd_units_verify: `systemd-analyze verify` accepts etc/xff-gateway.socket
  and etc/xff-gateway.service without a warning (only the ExecStart binary
  is pointed at the build tree).
* systemd_socket_activation: the gateway started the way systemd starts it:
  the socket of ListenStream= (moved into the test directory) bound by
  systemd-socket-activate, the command of ExecStart= with the Environment=
  of the unit, LISTEN_FDS/LISTEN_PID; a request through nginx (the location
  of etc/nginx-xff-gateway.conf) is corrected; ExecReload= reloads;
  SIGTERM (systemctl stop) ends it with status 0 and leaves systemd's
  socket file alone.  Then once more with the socket also on standard
  input, as StandardInput=socket does.
* syslog_target: with `[log] target = syslog` the event lines reach
  /dev/log as datagrams with the daemon facility and the level's priority
  (info <30>, warning <28>), without a time stamp of the gateway's own
  (syslog adds its own), every field escaped, and nothing on stderr.
  As root only: /dev/log is our own datagram socket (created for the test
  when there is none, else bound over the real one in a private mount
  namespace with unshare).
* make_demo: tests/demo.py, run as `make demo` runs it, shows the
  corrected address and the rejected request, and the stop script it
  names stops every process it started.
* status_page_format: with status_uri = /xff-status and status_allow =
  127.0.0.1/32 (nginx's address, the peer the gateway sees), GET through
  nginx answers 200, Content-Type text/plain; version=0.0.4, a page that
  parses line by line as Prometheus text, with the documented metrics;
  the HELP of events_total names the events it counts and no HELP line
  cites a document.
* status_page_counters: K relayed requests, one spoof_attempt rejection
  (no_spoofing) and one 502 (backend stopped) move requests_total,
  responses_total{origin,code}, rejections_total and events_total by
  exactly that much; the latency histogram is cumulative, +Inf == _count
  == the finished requests; requests_in_flight is 0 or 1.
* status_page_refused: a peer outside status_allow (10.0.0.0/8), with or
  without a forged X-Forwarded-For inside it, gets a 404 byte-identical to
  the stealth 404, and nothing reaches the backend (checked on the
  counters, read over FastCGI as an allowed peer).
* status_page_other_paths: /xff-status/, /xff-status/x, /xff-statusx,
  other cases, encodings and query strings naming the page go to the
  backend; /xff-status?QUERY is still the page (the path decides); the
  peer as received decides, not the corrected address.
* status_page_keepalive: the page and relayed requests alternate on the
  kept FastCGI connections of the snippet's keep-alive location.
* status_page_reload: SIGHUP applies a new status_allow and counts good
  and bad files in config_reloads_total.

Each scenario prints "ok NAME" or "FAIL NAME" with the evidence; the last
line is "N passed, M failed"; the exit status is 1 when any failed.
Scenarios that cannot run here print "skip NAME: why" and count as
neither.  Run as `python3 test_ops.py [NAME ...]` to run some only.
"""
import ctypes
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, Skip, check, eq, wait_for  # noqa: E402

SERVICE_UNIT = os.path.join(H.SRCDIR, "etc", "xff-gateway.service")
SOCKET_UNIT = os.path.join(H.SRCDIR, "etc", "xff-gateway.socket")
DEMO = os.path.join(H.SRCDIR, "tests", "demo.py")
DEVLOG = "/dev/log"

# Started as root, the gateway wants an unprivileged user to drop to (the
# unit's DynamicUser= starts it unprivileged in the first place).
DROP_TO = H.drop_to()


def ini(backend, log=None, rules=None):
    """An INI for a backend Unix socket: no listen = (the socket comes
    from systemd or spawn-fcgi)."""
    g = {"backend": "unix:" + backend, "workers": 4, "connect_timeout": 2,
         "backend_timeout": 10}
    g.update(DROP_TO)
    return H.ini_text((("gateway", g), ("trust", {"x_for": 1, "x_proto": 1}),
                       ("rules", rules or {}),
                       ("log", log or {"level": "info", "target": "stderr"})))


def params_of(resp):
    """The echo app's params, first value of each name."""
    out = {}
    for k, v in resp.json()["params"]:
        out.setdefault(k, v)
    return out


def pid_gone(pid):
    """True when pid has exited: no /proc entry, or a zombie."""
    stat_text = H.read_text("/proc/%d/stat" % pid)
    if not stat_text:
        return True
    fields = stat_text[stat_text.rfind(")") + 2:].split()
    return bool(fields) and fields[0] in ("Z", "X")


def nginx_front(env, sock, name):
    """nginx on a free port with the plain location of the etc/ snippet
    passing to sock; returns (process, port)."""
    port = H.free_port()
    snip = H.NginxSnippet(sock)
    p = env.nginx(H.server_block(port, [H.location("/", snip.plain())]),
                  name=name)
    env.wait_socket(p, ("127.0.0.1", port))
    return p, port


# ------------------------------------------------------------ unit files

def parse_unit(path):
    """A systemd unit file as {section: [(key, value), ...]}: comments
    (# and ;) dropped, backslash continuations joined, keys repeated in
    order."""
    text = H.read_text(path)
    if not text:
        raise Failure("cannot read %s" % path)
    out = {}
    section = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            out.setdefault(section, [])
            continue
        if section is None or "=" not in line:
            raise Failure("%s: unparsable line %r" % (path, raw))
        k, v = line.split("=", 1)
        out[section].append((k.strip(), v.strip()))
    return out


def unit_values(unit, section, key):
    """Every value of key in section; an empty assignment resets the list,
    as in systemd."""
    vals = []
    for k, v in unit.get(section, []):
        if k == key:
            if v == "":
                vals = []
            else:
                vals.append(v)
    return vals


def exec_command(unit, key):
    """The argv of a single Exec*= line, without systemd's prefixes."""
    vals = unit_values(unit, "Service", key)
    if len(vals) != 1:
        raise Failure("%s: expected one %s=, found %d" % (SERVICE_UNIT, key,
                                                        len(vals)))
    cmd = vals[0].lstrip("-@:+!")
    if "%" in cmd:
        raise Failure("%s: %s= uses specifiers (%%); extend the test"
                      % (SERVICE_UNIT, key))
    return shlex.split(cmd)


def unit_environment(unit):
    """NAME=VALUE assignments of every Environment= line, in order."""
    if unit_values(unit, "Service", "EnvironmentFile"):
        raise Failure("%s: EnvironmentFile= is not reproduced by this test"
                      % SERVICE_UNIT)
    out = []
    for v in unit_values(unit, "Service", "Environment"):
        for a in shlex.split(v):
            if "=" not in a:
                raise Failure("%s: Environment= %r is not NAME=VALUE"
                              % (SERVICE_UNIT, a))
            out.append(a)
    return out


def activation_command(sock, ini_path, stdin_socket):
    """systemd-socket-activate with the unit's ListenStream= path replaced
    by sock and ExecStart= pointed at the build tree and ini_path.  With
    stdin_socket the socket is also put on standard input (the unit's
    StandardInput=socket)."""
    sunit = parse_unit(SOCKET_UNIT)
    listen = unit_values(sunit, "Socket", "ListenStream")
    eq(len(listen), 1, "%s: ListenStream= lines" % SOCKET_UNIT)
    check(listen[0].startswith("/"), "%s: ListenStream= is not a Unix socket "
          "path: %r" % (SOCKET_UNIT, listen[0]))
    # nginx's snippet and the socket unit must name the same socket
    eq(listen[0], H.EXAMPLE_SOCK, "%s: ListenStream=" % SOCKET_UNIT)
    eq(unit_values(sunit, "Socket", "Accept"), ["no"],
       "%s: Accept= (one gateway for every connection)" % SOCKET_UNIT)

    unit = parse_unit(SERVICE_UNIT)
    argv = exec_command(unit, "ExecStart")
    eq(os.path.basename(argv[0]), "xff-gateway", "ExecStart= program")
    check("-c" in argv[:-1], "ExecStart= names its INI with -c", argv)
    argv[0] = H.GATEWAY
    argv[argv.index("-c") + 1] = ini_path
    act = [H.find_program("systemd-socket-activate", "/lib/systemd/"
                          "systemd-socket-activate"), "-l", sock]
    for a in unit_environment(unit):
        act += ["-E", a]
    if stdin_socket:
        eq(unit_values(unit, "Service", "StandardInput"), ["socket"],
           "StandardInput=")
        # sh execs the gateway: the PID (LISTEN_PID) stays the same
        argv = ["/bin/sh", "-c", 'exec "$@" <&3', "sh"] + argv
    return act + ["--"] + argv


def start_activated(env, name, backend, stdin_socket):
    # systemd-socket-activate binds, then execs the gateway on the first
    # connection: readiness is a FastCGI answer from the gateway itself
    return env.fcgi_app(
        name, ini(backend),
        lambda sock, path: activation_command(sock, path, stdin_socket),
        error=Failure)


# ------------------------------------------------------------ scenarios

TESTS, scenario = H.scenarios()


@scenario
def systemd_units_verify(env):
    # Documentation=man:NAME(SECTION) names a page the project ships (as
    # the template man/NAME.SECTION.in) and builds
    for path in (SOCKET_UNIT, SERVICE_UNIT):
        docs = unit_values(parse_unit(path), "Unit", "Documentation")
        check(docs, "%s: Documentation=" % path)
        for d in " ".join(docs).split():
            m = re.match(r"^man:([\w.-]+)\((\d)\)$", d)
            check(m, "%s: Documentation= %r is not man:NAME(N)" % (path, d))
            page = os.path.join("man", "%s.%s" % m.groups())
            src = os.path.join(H.SRCDIR, page + ".in")
            check(os.path.exists(src), "%s: %s is not shipped" % (path, src))
            built = os.path.join(H.BUILDDIR, page)
            check(os.path.exists(built), "%s: %s is not built" % (path, built))
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        raise Skip("systemd-analyze not installed")
    d = env.path("units")
    os.makedirs(d, exist_ok=True)
    for src in (SOCKET_UNIT, SERVICE_UNIT):
        text = H.read_text(src)
        check(text, "cannot read %s" % src)
        if src == SERVICE_UNIT:
            argv = exec_command(parse_unit(SERVICE_UNIT), "ExecStart")
            check(("ExecStart=" + argv[0]) in text, "ExecStart= line", argv)
            text = text.replace("ExecStart=" + argv[0],
                                "ExecStart=" + H.GATEWAY)
        with open(os.path.join(d, os.path.basename(src)), "w") as f:
            f.write(text)
    r = subprocess.run([analyze, "verify", "--man=no",
                        os.path.join(d, "xff-gateway.socket"),
                        os.path.join(d, "xff-gateway.service")],
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    eq(r.returncode, 0, "systemd-analyze verify exit status (%s)" % out)
    # unknown keys and bad values are warnings with status 0
    check(out == "", "systemd-analyze verify is silent", out)


def activated_scenario(env, stdin_socket):
    echo, backend = env.echo_app("echo-sd%d" % stdin_socket)
    name = "gw-sd%d" % stdin_socket
    gw = start_activated(env, name, backend, stdin_socket)
    try:
        # exec'd in place: the PID systemd knows is the gateway's
        exe = os.path.realpath("/proc/%d/exe" % gw.pid)
        eq(exe, os.path.realpath(H.GATEWAY), "program of the activated PID")
        ngx, port = nginx_front(env, gw.sock, "nginx-sd%d" % stdin_socket)
        two = [("X-Forwarded-For", "198.51.100.66, 203.0.113.7"),
               ("X-Forwarded-Proto", "https")]
        r = H.request(port, "/activated", two)
        eq(r.status, 200, "status through nginx (%r; log %s)"
           % (r, gw.log_text()[-1500:]))
        p = params_of(r)
        eq(p.get("REMOTE_ADDR"), "203.0.113.7", "REMOTE_ADDR")
        eq(p.get("HTTPS"), "on", "HTTPS")
        eq(p.get("ORIGINAL_REMOTE_ADDR"), "127.0.0.1", "ORIGINAL_REMOTE_ADDR")

        # ExecReload= as systemd runs it, $MAINPID being the gateway
        with open(gw.ini, "w") as f:
            f.write(ini(backend, rules={"strict": "yes"}))
        reload_argv = [a.replace("$MAINPID", str(gw.pid)).replace(
            "${MAINPID}", str(gw.pid))
            for a in exec_command(parse_unit(SERVICE_UNIT), "ExecReload")]
        rr = subprocess.run(reload_argv, capture_output=True, timeout=10)
        eq(rr.returncode, 0, "ExecReload= %r status" % reload_argv)
        check(wait_for(lambda: H.request(port, "/activated", two).status
                       == 400, timeout=H.WAIT),
              "strict in force after ExecReload=", gw.log_text()[-1500:])
        env.stop(ngx)

        # systemctl stop: SIGTERM to the main PID, exit status 0
        rc = env.stop(gw, timeout=10.0)
        eq(rc, 0, "exit status after SIGTERM (log %s)" % gw.log_text()[-1500:])
        check(os.path.exists(gw.sock) and
              stat.S_ISSOCK(os.lstat(gw.sock).st_mode),
              "systemd's socket file is left in place by the gateway")
        check("stopped" in gw.log_text(), "the log says stopped",
              gw.log_text()[-1500:])
    finally:
        env.stop(echo)


@scenario
def systemd_socket_activation(env):
    activated_scenario(env, stdin_socket=False)
    activated_scenario(env, stdin_socket=True)


def escape_field(value):
    """SPEC 3.8 escaping of a log field value."""
    out = []
    for b in value.encode("utf-8"):
        if b < 0x21 or b > 0x7e or b in b'\\="':
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


class DevLog:
    """A datagram socket standing in for /dev/log: bound at /dev/log when
    there is none (removed afterwards), else in the test directory, to be
    bound over /dev/log in the gateway's own mount namespace."""

    def __init__(self, env):
        self.created = None
        self.prefix = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            if not os.path.lexists(DEVLOG):
                path = DEVLOG
            else:
                path = env.path("devlog")
                unshare = H.find_program("unshare")
                r = subprocess.run([unshare, "--mount", "--", "true"],
                                   capture_output=True, timeout=10)
                if r.returncode != 0:
                    raise Skip("/dev/log exists and unshare --mount "
                               "is not permitted here (%s)" % r.stderr.decode(
                                   "utf-8", "replace").strip())
                # unshare execs sh, sh execs the rest: the PID is kept
                self.prefix = [unshare, "--mount", "--propagation",
                               "private", "--", "/bin/sh", "-c",
                               'mount --bind "$0" %s && exec "$@"' % DEVLOG,
                               path]
            self.sock.bind(path)
            if path == DEVLOG:
                self.created = os.lstat(path).st_ino
            # syslog(3) reconnects after the gateway dropped privileges
            os.chmod(path, 0o666)
            self.path = path
        except BaseException:
            self.close()
            raise
        self.lines = []

    def receive(self, want, timeout):
        """Collects datagrams until one matches the regex want; returns
        the match or None."""
        deadline = time.monotonic() + timeout
        rx = re.compile(want)
        for line in self.lines:
            m = rx.search(line)
            if m:
                return m
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            line = data.decode("utf-8", "replace")
            self.lines.append(line)
            m = rx.search(line)
            if m:
                return m

    def close(self):
        self.sock.close()
        if self.created is not None:
            try:
                if os.lstat(DEVLOG).st_ino == self.created:
                    os.unlink(DEVLOG)
            except FileNotFoundError:
                pass
            self.created = None


@scenario
def syslog_target(env):
    if os.geteuid() != 0:
        raise Skip("not root")
    echo, backend = env.echo_app("echo-syslog")
    devlog = DevLog(env)
    gw = ngx = None
    try:
        name = "gw-syslog"
        sock = env.path(name + ".sock")
        log = {"level": "info", "target": "syslog"}
        path = env.write(name + ".ini", ini(backend, log=log))
        gw = env.start(name, devlog.prefix + env.spawn_command(sock, path))
        check(wait_for(lambda: H.fcgi_get_values(sock) or not gw.alive(),
                       timeout=H.WAIT) and gw.alive(),
              "gateway answers on %s" % sock, gw.log_text()[-3000:])
        ngx, port = nginx_front(env, sock, "nginx-syslog")
        pid = gw.pid

        xff = '6.6.6.6 "evil"=x\\, 203.0.113.7'
        r = H.request(port, "/spoof?a=b", [("X-Forwarded-For", xff)])
        eq(r.status, 200, "spoofing request accepted (x_for = 1): %r" % r)
        eq(params_of(r).get("REMOTE_ADDR"), "203.0.113.7", "REMOTE_ADDR")
        # facility daemon (3), level info (6): <30>
        # only this gateway's lines: other programs may log meanwhile
        me = r"^<(\d+)>.*?xff-gateway\[%d\]: " % pid
        m = devlog.receive(me + r"(\w+) spoof_attempt (.*)$", H.WAIT)
        check(m, "a spoof_attempt datagram on %s" % devlog.path,
              *(devlog.lines[-10:] or ["(nothing received)"]),
              gw.log_text()[-1500:])
        eq(m.group(1), "30", "priority of an info line (%s)" % m.group(0))
        print("    syslog: %s" % m.group(0)[:200])
        eq(m.group(2), "info", "level word")
        # syslog stamps the datagram itself: no ISO 8601 stamp of ours
        check(not re.search(H.STAMP_RX, m.group(0)), "no time stamp of the "
              "gateway's own in a syslog line", m.group(0))
        fields = m.group(3).split(" ")
        for want in ("peer=127.0.0.1", "client=203.0.113.7", "n=2",
                     "x_for=1", "method=GET", "uri=" + escape_field("/spoof?a=b"),
                     "header=HTTP_X_FORWARDED_FOR",
                     "value=" + escape_field(xff)):
            check(want in fields, "field %s in the syslog line" % want,
                  m.group(0))
        check("spoof_attempt" not in gw.log_text(),
              "no event line on stderr with target = syslog",
              gw.log_text()[-1500:])

        # reloaded with no_spoofing: rejected, logged as a warning <28>
        with open(path, "w") as f:
            f.write(ini(backend, log=log, rules={"no_spoofing": "yes"}))
        os.kill(pid, signal.SIGHUP)
        check(devlog.receive(me.replace(r"(\d+)", "30") +
                             r"info configuration reloaded", H.WAIT),
              "the reload is logged to syslog", *devlog.lines[-10:])
        r = H.request(port, "/spoof2", [("X-Forwarded-For", xff)])
        eq(r.status, 400, "spoofing request under no_spoofing: %r" % r)
        m = devlog.receive(me + r"(\w+) spoof_attempt .*uri=/spoof2 ",
                           H.WAIT)
        check(m, "a rejected spoof_attempt datagram", *devlog.lines[-10:])
        eq(m.group(1), "28", "priority of a warning line (%s)" % m.group(0))
        eq(m.group(2), "warning", "level word of a rejection")
    finally:
        try:
            for p in (ngx, gw):
                if p is not None:
                    env.stop(p)
            env.stop(echo)
        finally:
            devlog.close()
    if devlog.prefix:
        print("    /dev/log exists: bound over it in a private mount "
              "namespace")
    else:
        print("    no /dev/log: created for the test and removed")


def set_subreaper():
    """Makes this process the reaper of orphaned descendants, so that the
    demo's processes, left behind by demo.py, can be waited for."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0    # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@scenario
def make_demo(env):
    reaper = set_subreaper()
    tmp = env.path("demo-tmp")
    os.makedirs(tmp, exist_ok=True)
    denv = dict(os.environ, TMPDIR=tmp, abs_top_srcdir=H.SRCDIR,
                abs_top_builddir=H.BUILDDIR)
    stop = os.path.join(tmp, "xff-gateway-demo.stop")
    pids = []
    try:
        r = subprocess.run([sys.executable, DEMO], env=denv,
                           capture_output=True, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        eq(r.returncode, 0, "demo.py exit status (%s%s)" % (out, err))
        m = re.search(r"\(or: sh (\S+)\)", out)
        check(m, "the demo names its stop script", out)
        eq(m.group(1), stop, "stop script (in $TMPDIR)")
        text = H.read_text(stop)
        km = re.search(r"^kill((?: \d+(?=\s|$))+)", text, re.M)
        check(km, "stop script kills PIDs", text)
        pids = [int(x) for x in km.group(1).split()]
        eq(len(pids), 3, "processes named by the stop script (%s)" % text)
        for pid in pids:
            check(not pid_gone(pid), "demo process %d running" % pid)
        every = set(pids)
        for pid in pids:
            every.update(H.children(pid))     # nginx's worker
        check(len(every) > len(pids), "nginx's worker found", every)

        # the corrected address of the balancer's request, and the
        # forged entry not believed
        blocks = out.split("\n\n")
        first = [b for b in blocks if "203.0.113.7" in b and "curl" in b]
        check(first and re.search(r"^\s+REMOTE_ADDR\s+203\.0\.113\.7$",
                                  first[0], re.M),
              "REMOTE_ADDR 203.0.113.7 shown", out)
        check(re.search(r"^\s+HTTPS\s+on$", first[0], re.M),
              "HTTPS on shown", out)
        check(re.search(r"^\s+REMOTE_ADDR\s+198\.51\.100\.23$", out, re.M),
              "the forged entry is not believed", out)
        check(re.search(r"^\s+-> HTTP 400\b", out, re.M),
              "the request without the balancer is rejected (400)", out)

        r = subprocess.run(["sh", stop], capture_output=True, timeout=30)
        eq(r.returncode, 0, "stop script status (%s)"
           % r.stderr.decode("utf-8", "replace"))

        def all_gone():
            for pid in every:
                if reaper:
                    reap(pid)
            return all(pid_gone(pid) for pid in every)
        check(wait_for(all_gone, timeout=15, step=0.1),
              "every demo process gone after the stop script",
              [pid for pid in every if not pid_gone(pid)])
        check(not os.path.exists(stop), "the stop script removed itself")
        left = [d for d in os.listdir(tmp) if d.startswith("xff-demo-")]
        eq(left, [], "demo directories left in $TMPDIR")
        print("    demo PIDs %s (and nginx's worker) stopped"
              % " ".join(str(p) for p in pids))
    finally:
        # whatever happened: nothing of the demo outlives the test
        if os.path.exists(stop):
            subprocess.run(["sh", stop], capture_output=True, timeout=30)
        for pid in pids:
            if not pid_gone(pid):
                for c in H.children(pid) + [pid]:
                    try:
                        os.kill(c, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if reaper:
                reap(pid)


# ------------------------------------------------------------ status page

STATUS_URI = "/xff-status"

# One exposition line: name, optional {labels}, value, optional timestamp
# (Prometheus text format 0.0.4).
METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RX = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*,?)?\})? "
                       r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))"
                       r"(?: -?[0-9]+)?$" % (METRIC_NAME, LABEL, LABEL))
TYPE_RX = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$"
                     % METRIC_NAME)
HELP_RX = re.compile(r"^# HELP (%s) .*$" % METRIC_NAME)


def parse_exposition(text):
    """Parses Prometheus text (0.0.4): returns {(name, ((label, value),
    ...)): float}, labels sorted.  Failure on a line that is not a
    comment, a HELP or TYPE line or a sample, on a sample whose family has
    no TYPE line before it, on a TYPE given twice and on a sample given
    twice."""
    check(text.endswith("\n"), "the page ends with a newline", text[-200:])
    samples = {}
    types = {}
    for i, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = TYPE_RX.match(line)
            if m:
                check(m.group(1) not in types, "line %d: second TYPE for %s"
                      % (i, m.group(1)))
                types[m.group(1)] = m.group(2)
            elif line.startswith("# TYPE") or line.startswith("# HELP"):
                check(HELP_RX.match(line), "line %d: bad HELP/TYPE line" % i,
                      line)
            continue
        m = SAMPLE_RX.match(line)
        check(m, "line %d is not a Prometheus sample" % i, repr(line))
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = name
        if name not in types:
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            check(types.get(family) in ("histogram", "summary"),
                  "line %d: no TYPE line before %s" % (i, name), line)
        pairs = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)='
                                        r'"((?:[^"\\]|\\.)*)"', labels)))
        key = (name, pairs)
        check(key not in samples, "line %d: sample given twice" % i, line)
        samples[key] = float(value.replace("Inf", "inf"))
    check(samples, "the page holds samples", text[:500])
    return samples


def metric(samples, name, **labels):
    """The value of one sample; Failure when it is not on the page."""
    key = (name, tuple(sorted(labels.items())))
    check(key in samples, "sample %s%r on the status page" % (name, labels),
          sorted(k for k in samples if k[0] == name))
    return samples[key]


def histogram(samples, name):
    """(buckets [(le, cumulative count)] in page order of le, sum, count)
    of a histogram, checked: the le bounds increasing, +Inf last, the
    counts non-decreasing, +Inf equal to _count."""
    buckets = sorted(((float(dict(l)["le"].replace("Inf", "inf")), v)
                      for (n, l), v in samples.items()
                      if n == name + "_bucket"))
    check(len(buckets) >= 2, "%s has buckets" % name, buckets)
    check(buckets[-1][0] == float("inf"), "%s has a +Inf bucket" % name,
          buckets)
    for (le0, c0), (le1, c1) in zip(buckets, buckets[1:]):
        check(c1 >= c0, "%s buckets are cumulative: le=%g %d > le=%g %d"
              % (name, le0, c0, le1, c1))
    total = metric(samples, name + "_sum")
    count = metric(samples, name + "_count")
    eq(buckets[-1][1], count, "%s: +Inf bucket == _count" % name)
    check(total >= 0, "%s_sum >= 0" % name, total)
    return buckets, total, count


def status_ini(backend, status_allow, rules=None):
    """An INI with the status page at STATUS_URI for status_allow."""
    text = ini(backend, rules=rules)
    return text.replace("[gateway]\n", "[gateway]\nstatus_uri = %s\n"
                        "status_allow = %s\n" % (STATUS_URI, status_allow), 1)


def status_setup(env, name, status_allow, rules=None):
    """The echo app, a gateway with the status page and nginx (the plain
    location of the etc/ snippet) in front; returns (echo, gateway,
    nginx, port)."""
    echo, backend = env.echo_app("echo-" + name)
    gw = env.gateway(status_ini(backend, status_allow, rules),
                     name="gw-" + name)
    ngx, port = nginx_front(env, gw.sock, "nginx-" + name)
    return echo, gw, ngx, port


def status_stop(env, *procs):
    for p in procs:
        if p is not None:
            env.stop(p)


def header(resp, name):
    for k, v in resp.headers:
        if k.lower() == name.lower():
            return v
    return None


def read_status(port, gw, path=STATUS_URI):
    """GET path through nginx: the status page as checked samples."""
    r = H.request(port, path)
    eq(r.status, 200, "GET %s status (%r; log %s)" % (path, r,
                                                       gw.log_text()[-1500:]))
    ctype = header(r, "Content-Type") or ""
    parts = [p.strip() for p in ctype.split(";")]
    eq(parts[0], "text/plain", "Content-Type of the status page (%s)" % ctype)
    check("version=0.0.4" in parts[1:], "Content-Type names the Prometheus "
          "text format version 0.0.4", ctype)
    text = r.body.decode("utf-8")
    return text, parse_exposition(text)


NAMES = ("xff_gateway_requests_total", "xff_gateway_requests_in_flight",
         "xff_gateway_responses_total", "xff_gateway_rejections_total",
         "xff_gateway_events_total", "xff_gateway_backend_connections_total",
         "xff_gateway_backend_connections_open",
         "xff_gateway_backend_connections_idle", "xff_gateway_backend_waiting",
         "xff_gateway_backend_waits_total",
         "xff_gateway_backend_wait_seconds_total",
         "xff_gateway_backend_wait_timeouts_total",
         "xff_gateway_backend_idle_closed_total",
         "xff_gateway_request_duration_seconds_bucket",
         "xff_gateway_request_duration_seconds_sum",
         "xff_gateway_request_duration_seconds_count")


EVENT_NAMES = ("untrusted_peer", "missing_header", "depth_mismatch",
               "spoof_attempt", "invalid_value", "stealth")


@scenario
def status_page_format(env):
    echo, gw, ngx, port = status_setup(env, "stfmt", "127.0.0.1/32")
    try:
        text, s = read_status(port, gw)
        have = set(k[0] for k in s)
        for n in NAMES:
            check(n in have, "metric %s on the page" % n, sorted(have))
        histogram(s, "xff_gateway_request_duration_seconds")
        # only the status request itself so far
        eq(metric(s, "xff_gateway_requests_total"), 1, "requests_total")
        check(metric(s, "xff_gateway_requests_in_flight") in (0, 1),
              "requests_in_flight is 0 or 1 (the status request)")
        # no-store: a cache in front must not keep counters
        r = H.request(port, STATUS_URI, method="HEAD")
        eq(r.status, 200, "HEAD %s status" % STATUS_URI)
        eq(header(r, "Cache-Control"), "no-store", "Cache-Control")
        eq(r.body, b"", "HEAD answer without a body")
        # the page was answered by the gateway, not the backend
        check(not text.lstrip().startswith("{"), "not the echo app's JSON")
        # HELP texts say what is counted, citing no document
        helps = [l for l in text.split("\n") if l.startswith("# HELP ")]
        check(not [l for l in helps if "SPEC" in l],
              "no HELP line cites a document", helps)
        ev = [l for l in helps if l.startswith(
            "# HELP xff_gateway_events_total ")]
        check(ev and all(e in ev[0] for e in EVENT_NAMES),
              "the HELP of events_total names the events", ev)
        lines = text.split("\n")
        print("    %d lines, %d samples; e.g. %s" % (
            len(lines) - 1, len(s), " | ".join(
                l for l in lines if l.startswith(
                    "xff_gateway_requests_total ") or l.startswith(
                    'xff_gateway_responses_total{origin="backend"}'))))
    finally:
        status_stop(env, ngx, gw, echo)


@scenario
def status_page_counters(env):
    echo, gw, ngx, port = status_setup(env, "stcnt", "127.0.0.1/32",
                                       rules={"no_spoofing": "yes"})
    try:
        _, before = read_status(port, gw)
        k = 7
        for i in range(k):
            r = H.request(port, "/counted/%d?a=%d" % (i, i),
                          [("X-Forwarded-For", "203.0.113.%d" % (i + 1))])
            eq(r.status, 200, "request %d relayed (%r)" % (i, r))
            eq(params_of(r).get("REMOTE_ADDR"), "203.0.113.%d" % (i + 1),
               "request %d REMOTE_ADDR" % i)
        # two entries with x_for = 1 and no_spoofing: 400 spoof_attempt
        r = H.request(port, "/spoofed",
                      [("X-Forwarded-For", "6.6.6.6, 203.0.113.50")])
        eq(r.status, 400, "spoofing request rejected (%r)" % r)
        # the backend gone: 502 from the gateway
        env.stop(echo)
        r = H.request(port, "/backend-down",
                      [("X-Forwarded-For", "203.0.113.60")])
        eq(r.status, 502, "request to the stopped backend (%r; log %s)"
           % (r, gw.log_text()[-1500:]))
        text, after = read_status(port, gw)

        def delta(name, **labels):
            return metric(after, name, **labels) - \
                metric(before, name, **labels)

        # K relayed, the rejection, the 502, and the second status read
        # (counted when it starts; the first one is counted in before)
        grew = delta("xff_gateway_requests_total")
        check(grew >= k + 1, "requests_total grew by at least K+1 = %d"
              % (k + 1), grew)
        eq(grew, k + 3, "requests_total growth (K + rejected + 502 + "
           "this status read)")
        resp = "xff_gateway_responses_total"
        eq(delta(resp, origin="backend"), k, "responses from the backend")
        eq(delta(resp, origin="gateway", code="400"), 1, "gateway 400s")
        eq(delta(resp, origin="gateway", code="502"), 1, "gateway 502s")
        for code in ("404", "500", "503", "504"):
            eq(delta(resp, origin="gateway", code=code), 0,
               "gateway %s responses" % code)
        rej = [(dict(l)["reason"], v - before.get((n, l), 0))
               for (n, l), v in after.items()
               if n == "xff_gateway_rejections_total"]
        check(rej, "rejections_total has reasons")
        for reason, d in rej:
            eq(d, 1 if reason == "spoof_attempt" else 0,
               "rejections_total{reason=%r} growth" % reason)
        eq(delta("xff_gateway_events_total", event="spoof_attempt"), 1,
           "spoof_attempt events")

        hist = "xff_gateway_request_duration_seconds"
        b0, sum0, count0 = histogram(before, hist)
        b1, sum1, count1 = histogram(after, hist)
        flight = metric(after, "xff_gateway_requests_in_flight")
        check(flight in (0, 1), "requests_in_flight is 0 or 1", flight)
        # every finished request is one observation
        eq(count1, metric(after, "xff_gateway_requests_total") - flight,
           "histogram _count == requests_total - in_flight")
        eq(count1 - count0, grew, "histogram _count growth == "
           "requests_total growth")
        check(sum1 >= sum0, "histogram _sum does not decrease", sum0, sum1)
        for (le, c0), (le1, c1) in zip(b0, b1):
            eq(le1, le, "same bucket bounds on both reads")
            check(c1 >= c0, "bucket le=%g does not decrease" % le, c0, c1)
        lines = text.split("\n")
        sample = [l for l in lines if l.startswith((
            "xff_gateway_requests_total ",
            'xff_gateway_responses_total{origin="backend"}',
            'xff_gateway_rejections_total{reason="spoof_attempt"}'))]
        print("    after K=%d: %s" % (k, " | ".join(sample)))
    finally:
        status_stop(env, ngx, gw, echo)


def stealth_404(port):
    """The gateway's stealth 404 through nginx: an exempt path
    (exempt = ^health/$, exempt_stealth) reached through the main
    entrance."""
    r = H.request(port, "/health/", [("X-Forwarded-For", "203.0.113.7")])
    eq(r.status, 404, "stealth request on /health/ (%r)" % r)
    return r


@scenario
def status_page_refused(env):
    rules = {"exempt": '"^health/$"', "exempt_stealth": "yes"}
    echo, gw, ngx, port = status_setup(env, "stref", "10.0.0.0/8",
                                       rules=rules)
    try:
        # the counters, read directly over FastCGI as an allowed peer
        def direct(peer, uri=STATUS_URI):
            return H.fcgi_request(gw.sock, [
                ("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri),
                ("SCRIPT_NAME", uri), ("QUERY_STRING", ""),
                ("SERVER_PROTOCOL", "HTTP/1.1"), ("SERVER_NAME", "localhost"),
                ("SERVER_PORT", "80"), ("REMOTE_ADDR", peer),
                ("REMOTE_PORT", "40000"), ("CONTENT_LENGTH", "0")])

        def counters():
            a = direct("10.1.2.3")
            head, _, body = a.stdout.partition(b"\r\n\r\n")
            check(head.startswith(b"Status: 200"), "status page for an "
                  "allowed peer over FastCGI", a.stdout[:300])
            return parse_exposition(body.decode("utf-8"))

        before = counters()
        stealth = stealth_404(port)
        refused = H.request(port, STATUS_URI)
        eq(refused.status, 404, "status page for 127.0.0.1 outside "
           "status_allow (%r)" % refused)
        eq(refused.body, stealth.body, "404 body identical to the stealth "
           "404")
        eq(header(refused, "Content-Type"), header(stealth, "Content-Type"),
           "Content-Type identical to the stealth 404")
        # a forged X-Forwarded-For inside status_allow does not help: the
        # peer is the address as received
        forged = H.request(port, STATUS_URI, [("X-Forwarded-For",
                                               "10.1.2.3")])
        eq(forged.status, 404, "status page with X-Forwarded-For 10.1.2.3 "
           "(%r)" % forged)
        eq(forged.body, stealth.body, "404 body with a forged "
           "X-Forwarded-For")
        # with a body and a query string: still refused, body drained
        post = H.request(port, STATUS_URI + "?x=1", method="POST",
                         body=b"p" * 100000)
        eq(post.status, 404, "POST %s?x=1 (%r)" % (STATUS_URI, post))
        eq(post.body, stealth.body, "404 body of the POST")
        # the whole FastCGI answers match byte for byte too
        a = direct("192.0.2.1")
        s = H.fcgi_request(gw.sock, [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/health/"),
            ("DOCUMENT_URI", "/health/"), ("SCRIPT_NAME", "/health/"),
            ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_NAME", "localhost"), ("SERVER_PORT", "80"),
            ("REMOTE_ADDR", "192.0.2.1"), ("REMOTE_PORT", "40000"),
            ("HTTP_X_FORWARDED_FOR", "203.0.113.7"),
            ("CONTENT_LENGTH", "0")])
        check(a.stdout.startswith(b"Status: 404"), "FastCGI answer to a "
              "refused peer is a 404", a.stdout[:300])
        eq(a.stdout, s.stdout, "refused and stealth FastCGI answers")
        eq(a.app_status, s.app_status, "END_REQUEST appStatus")

        after = counters()
        resp = "xff_gateway_responses_total"
        eq(metric(after, resp, origin="backend") -
           metric(before, resp, origin="backend"), 0,
           "responses from the backend (nothing forwarded)")
        eq(metric(after, "xff_gateway_backend_connections_total") -
           metric(before, "xff_gateway_backend_connections_total"), 0,
           "backend connections opened")
        eq(metric(after, resp, origin="gateway", code="404") -
           metric(before, resp, origin="gateway", code="404"), 6,
           "gateway 404s (4 refused, 2 stealth)")
        eq(metric(after, "xff_gateway_rejections_total", reason="stealth") -
           metric(before, "xff_gateway_rejections_total", reason="stealth"),
           2, "stealth rejections")
        check("status_refused" in gw.log_text(), "the refusal is logged",
              gw.log_text()[-1500:])
        # the backend still answers other paths through the same nginx
        r = H.request(port, "/other", [("X-Forwarded-For", "203.0.113.8")])
        eq(r.status, 200, "other path relayed (%r)" % r)
        eq(params_of(r).get("REMOTE_ADDR"), "203.0.113.8", "REMOTE_ADDR")
        print("    404 body %r, as the stealth 404" % refused.body)
    finally:
        status_stop(env, ngx, gw, echo)


@scenario
def status_page_other_paths(env):
    echo, gw, ngx, port = status_setup(env, "stpath", "127.0.0.1/32")
    try:
        # not the status page: relayed to the backend as they are
        for path in (STATUS_URI + "/", STATUS_URI + "/x", STATUS_URI + "x",
                     "/xff-statu", "/XFF-STATUS", "//xff-status",
                     "/%78ff-status", "/prefix" + STATUS_URI,
                     "/index?" + STATUS_URI, "/?uri=" + STATUS_URI):
            r = H.request(port, path)
            eq(r.status, 200, "GET %s relayed (%r)" % (path, r))
            eq(header(r, "Content-Type"), "application/json",
               "GET %s answered by the echo app" % path)
            eq(params_of(r).get("REQUEST_URI"), path,
               "REQUEST_URI the backend got for %s" % path)
        # a query string does not change the path: still the status page
        _, s = read_status(port, gw, STATUS_URI + "?name[]=x")
        eq(metric(s, "xff_gateway_responses_total", origin="backend"), 10,
           "responses from the backend after the ten other paths")
        # the peer as received decides, not the corrected address
        r = H.request(port, STATUS_URI,
                      [("X-Forwarded-For", "203.0.113.9")])
        eq(r.status, 200, "status page for nginx's peer 127.0.0.1 with a "
           "client 203.0.113.9 (%r)" % r)
    finally:
        status_stop(env, ngx, gw, echo)


@scenario
def status_page_keepalive(env):
    # the keep-alive location of the etc/ snippet: the status page and
    # relayed requests alternate on kept FastCGI connections
    echo, backend = env.echo_app("echo-stka")
    text = status_ini(backend, "127.0.0.1/32").replace(
        "status_uri = %s" % STATUS_URI, "status_uri = /app" + STATUS_URI)
    text = text.replace("workers = 4", "workers = 16")
    gw = env.gateway(text, name="gw-stka")
    ngx = None
    try:
        port = H.free_port()
        snip = H.NginxSnippet(gw.sock)
        up, up_body, loc = snip.keepalive()
        ngx = env.nginx(H.server_block(port, [H.location("/app/", loc)]),
                        upstreams="upstream %s {\n%s\n}\n" % (up, up_body),
                        name="nginx-stka")
        env.wait_socket(ngx, ("127.0.0.1", port))
        n = 20
        conn = H.http.client.HTTPConnection("127.0.0.1", port,
                                            timeout=H.REQUEST_TIMEOUT)
        try:
            for i in range(n):
                r = H.request(port, "/app" + STATUS_URI, conn=conn)
                eq(r.status, 200, "status read %d (%r)" % (i, r))
                s = parse_exposition(r.body.decode("utf-8"))
                eq(metric(s, "xff_gateway_responses_total",
                          origin="backend"), i,
                   "backend responses at read %d" % i)
                r = H.request(port, "/app/x%d" % i,
                              [("X-Forwarded-For", "203.0.113.%d" % (i + 1))],
                              conn=conn)
                eq(r.status, 200, "request %d relayed (%r)" % (i, r))
                eq(params_of(r).get("REMOTE_ADDR"), "203.0.113.%d" % (i + 1),
                   "request %d REMOTE_ADDR" % i)
        finally:
            conn.close()
        r = H.request(port, "/app" + STATUS_URI)
        s = parse_exposition(r.body.decode("utf-8"))
        eq(metric(s, "xff_gateway_requests_total"), 2 * n + 1,
           "requests_total")
        eq(metric(s, "xff_gateway_responses_total", origin="backend"), n,
           "backend responses")
        _, _, count = histogram(s, "xff_gateway_request_duration_seconds")
        eq(count, 2 * n, "histogram _count (every request but this one)")
        err = [l for l in H.read_text(ngx.log).splitlines()
               if re.search(r"\[(error|crit|alert|emerg)\]", l)]
        eq(err, [], "nginx error lines")
        # nginx kept its connections: far fewer than one per request
        fronts = H.unix_connections(gw.sock)
        check(1 <= fronts <= 4, "kept FastCGI connections to the gateway "
              "(1 to nginx's keepalive 4)", fronts)
    finally:
        status_stop(env, ngx, gw, echo)


@scenario
def status_page_reload(env):
    # SIGHUP: status_allow of the new file applies to new requests; the
    # reload counters count good and bad files
    echo, gw, ngx, port = status_setup(env, "strl", "127.0.0.1/32")
    try:
        backend = env.path("echo-strl.sock")
        _, s = read_status(port, gw)
        eq(metric(s, "xff_gateway_config_reloads_total", result="ok"), 0,
           "reloads ok at start")
        with open(gw.ini, "w") as f:
            f.write(status_ini(backend, "127.0.0.1/32 10.0.0.0/8"))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: metric(read_status(port, gw)[1],
                                      "xff_gateway_config_reloads_total",
                                      result="ok") == 1, timeout=H.WAIT),
              "reloads_total{result=\"ok\"} is 1", gw.log_text()[-1500:])
        with open(gw.ini, "w") as f:
            f.write(status_ini(backend, "10.0.0.0/8 not-an-address"))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: metric(read_status(port, gw)[1],
                                      "xff_gateway_config_reloads_total",
                                      result="failed") == 1,
                       timeout=H.WAIT),
              "reloads_total{result=\"failed\"} is 1 and the old "
              "status_allow still in force", gw.log_text()[-1500:])
        with open(gw.ini, "w") as f:
            f.write(status_ini(backend, "10.0.0.0/8"))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: H.request(port, STATUS_URI).status == 404,
                       timeout=H.WAIT),
              "404 once status_allow no longer holds 127.0.0.1",
              gw.log_text()[-1500:])
        r = H.request(port, STATUS_URI)
        check(not r.body.lstrip().startswith(b"{"),
              "the refused status page is not relayed", r)
    finally:
        status_stop(env, ngx, gw, echo)


# ------------------------------------------------------------ main

def policies(pid):
    """{tid: scheduling policy} of the threads of pid."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        out[int(t)] = os.sched_getscheduler(int(t))
    return out


@scenario
def worker_scheduling(env):
    # workers move from SCHED_OTHER to SCHED_BATCH; the main thread keeps
    # SCHED_OTHER; a policy the service manager set is kept everywhere
    echo, backend = env.echo_app("echo-sched")
    procs = [echo]
    try:
        gw = env.gateway(ini(backend), name="gw-sched")
        procs.append(gw)
        # the gateway answers once its first worker runs: wait for the rest
        wait_for(lambda: len(policies(gw.pid)) >= 8 and list(
            policies(gw.pid).values()).count(os.SCHED_BATCH) >= 5, H.WAIT)
        pol = policies(gw.pid)
        eq(len(pol), 8, "threads: main + the pool's sweeper + the watcher "
           "of blocked threads + workers = 4 + the one more for the status "
           "page and the queue", pol)
        eq(pol.pop(gw.pid), os.SCHED_OTHER, "main thread policy")
        eq(sorted(pol.values()), [os.SCHED_OTHER] * 2 + [os.SCHED_BATCH] * 5,
           "the sweeper and the watcher keep SCHED_OTHER, the five serving "
           "threads SCHED_BATCH")
        ans = H.fcgi_request(gw.sock, [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/"),
            ("REMOTE_ADDR", "127.0.0.1"),
            ("HTTP_X_FORWARDED_FOR", "203.0.113.9")])
        _, _, body = ans.stdout.partition(b"\r\n\r\n")
        try:
            got = dict(json.loads(body)["params"]).get("REMOTE_ADDR")
        except ValueError:
            got = None
        eq(got, "203.0.113.9", "REMOTE_ADDR relayed by a batch worker",
           ans.stdout[:600])
        chrt = shutil.which("chrt")
        if chrt is None:
            raise Skip("chrt not installed")
        gi = env.gateway(ini(backend), name="gw-sched-idle",
                         prefix=(chrt, "--idle", "0"))
        procs.append(gi)
        pol = policies(gi.pid)
        eq(sorted(set(pol.values())), [os.SCHED_IDLE],
           "every thread keeps SCHED_IDLE", pol)
    finally:
        for p in reversed(procs):
            env.stop(p)


def main(argv):
    return H.run_scenarios(argv, TESTS, lambda: H.Env("xffgw-ops"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
