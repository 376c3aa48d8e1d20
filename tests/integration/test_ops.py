#!/usr/bin/env python3
"""Operations tests of xff-gateway: the shipped systemd units, the syslog
log target and `make demo`.

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
  (info <30>, warning <28>), every field escaped, and nothing on stderr.
  As root only: /dev/log is our own datagram socket (created for the test
  when there is none, else bound over the real one in a private mount
  namespace with unshare).
* make_demo: tests/demo.py, run as `make demo` runs it, shows the
  corrected address and the rejected request, and the stop script it
  names stops every process it started.

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
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SERVICE_UNIT = os.path.join(H.SRCDIR, "etc", "xff-gateway.service")
SOCKET_UNIT = os.path.join(H.SRCDIR, "etc", "xff-gateway.socket")
DEMO = os.path.join(H.SRCDIR, "tests", "demo.py")
DEVLOG = "/dev/log"

# Started as root, the gateway wants an unprivileged user to drop to (the
# unit's DynamicUser= starts it unprivileged in the first place).
DROP_TO = {}
if os.geteuid() == 0:
    import grp
    import pwd
    try:
        _pw = pwd.getpwnam("nobody")
        DROP_TO = {"user": "nobody",
                   "group": grp.getgrgid(_pw.pw_gid).gr_name}
    except KeyError:
        pass


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what, *detail):
    if not cond:
        raise Failure(what + "".join("\n    " + str(d) for d in detail))


def eq(got, want, what):
    if got != want:
        raise Failure("%s: expected %r, got %r" % (what, want, got))


def ini(backend, log=None, rules=None):
    """An INI for a backend Unix socket: no listen = (the socket comes
    from systemd or spawn-fcgi)."""
    g = {"backend": "unix:" + backend, "workers": 4, "connect_timeout": 2,
         "backend_timeout": 10}
    g.update(DROP_TO)
    out = []
    for name, sect in (("gateway", g), ("trust", {"x_for": 1, "x_proto": 1}),
                       ("rules", rules or {}),
                       ("log", log or {"level": "info", "target": "stderr"})):
        out.append("[%s]" % name)
        out += ["%s = %s" % kv for kv in sect.items()]
        out.append("")
    return "\n".join(out)


def wait_for(cond, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


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
    sock = env.path(name + ".sock")
    path = env.write(name + ".ini", ini(backend))
    p = env.start(name, activation_command(sock, path, stdin_socket))
    # systemd-socket-activate binds, then execs the gateway on the first
    # connection: readiness is a FastCGI answer from the gateway itself
    deadline = time.monotonic() + H.WAIT
    while not H.fcgi_get_values(sock):
        if not p.alive():
            raise Failure("%s exited with status %s; log:\n%s" % (
                name, p.popen.returncode, p.log_text()[-3000:]))
        if time.monotonic() > deadline:
            raise Failure("%s: no FastCGI answer on %s; log:\n%s" % (
                name, sock, p.log_text()[-3000:]))
        time.sleep(0.05)
    p.sock = sock
    p.ini = path
    return p


# ------------------------------------------------------------ scenarios

TESTS = []


def scenario(fn):
    TESTS.append(fn)
    return fn


@scenario
def systemd_units_verify(env):
    # Documentation=man:NAME(SECTION) names a page the project ships
    for path in (SOCKET_UNIT, SERVICE_UNIT):
        docs = unit_values(parse_unit(path), "Unit", "Documentation")
        check(docs, "%s: Documentation=" % path)
        for d in " ".join(docs).split():
            m = re.match(r"^man:([\w.-]+)\((\d)\)$", d)
            check(m, "%s: Documentation= %r is not man:NAME(N)" % (path, d))
            page = os.path.join(H.SRCDIR, "man", "%s.%s" % m.groups())
            check(os.path.exists(page), "%s: %s is not shipped" % (path, page))
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        raise Skip("systemd_units_verify: systemd-analyze not installed")
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
                    raise Skip("syslog: /dev/log exists and unshare --mount "
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
        raise Skip("syslog: not root")
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


# ------------------------------------------------------------ main

def main(argv):
    names = set(argv[1:])
    selected = [t for t in TESTS if not names or t.__name__ in names]
    unknown = names - set(t.__name__ for t in TESTS)
    if unknown:
        print("unknown scenario: %s" % ", ".join(sorted(unknown)))
        return 2
    for prog in (H.GATEWAY, H.ECHO_APP):
        if not os.access(prog, os.X_OK):
            print("FAIL setup: %s not built" % prog)
            return 1
    passed = failed = 0
    env = H.Env("xffgw-ops")
    try:
        for t in selected:
            t0 = time.monotonic()
            try:
                t(env)
            except Skip as e:
                print("skip %s" % e)
            except Failure as e:
                failed += 1
                print("FAIL %s\n    %s" % (t.__name__, e))
            except Exception:
                failed += 1
                print("FAIL %s (error)\n    %s" % (
                    t.__name__, traceback.format_exc().replace("\n", "\n    ")))
            else:
                passed += 1
                print("ok %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
            sys.stdout.flush()
    finally:
        env.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
