#!/usr/bin/env python3
"""The gateway as a system daemon: standalone socket ownership and
privileges, the pid file, the log file target, time stamps and the config
line.

* standalone_supplementary_group: as root with user = a temporary user
  whose primary group is nogroup and whose supplementary group (a
  temporary group) alone may connect to the backend socket (mode 0660):
  the gateway keeps that group after dropping privileges (Groups in
  /proc) and the request through it gets the backend's 200; with only the
  primary group it would get 502.
* standalone_socket_owner: the socket the gateway creates gets the
  configured owner, group and mode (stat): user/group by default, then
  listen_group = www-data (www-data can connect, a user outside the group
  cannot), then listen_owner/listen_group/listen_mode = www-data,
  www-data, 0600; an unknown listen_owner and, started as an unprivileged
  user, a listen_group it may not give the socket to, are start-up errors
  naming the key and leave no socket behind; a SIGHUP with a new listen
  and listen_mode logs that they take effect at the next start and leaves
  the socket as it was; at exit the socket removed is the one bound, not
  the file the new listen names.
* pid_file: pid = FILE holds the daemon's PID and a newline, mode 0644,
  and is gone after SIGTERM; a stale file (PID of a process that has
  ended) is replaced, one naming a running process stops the start with
  an error and is left alone; as root, in a directory the dropped user
  cannot write, the file is kept at exit with a debug line saying so, and
  replaced at the next start.
* log_file_target: [log] target = FILE receives the lines (mode 0640,
  every line stamped, nothing on stderr); after a rename and a file
  created as logrotate's "create" does, SIGUSR1 makes new lines land in
  the new file; when the reopen fails (no new file, a directory the
  dropped user cannot write) an error goes to the old file and lines keep
  going there; SIGHUP with another target switches to it, one that
  cannot be opened leaves the current one with an error; a file that
  cannot be opened at start is a start-up error naming it.
* logrotate_example: etc/xff-gateway.logrotate, with the test's log file,
  pid file and user, run by logrotate -f: the file is rotated, the
  gateway reopens the new one (created for its user) after the SIGUSR1 of
  postrotate, and new lines land there.
* time_stamps: lines on plain stderr start with an ISO 8601 local time
  with offset; with JOURNAL_STREAM naming the very stderr (as systemd sets
  it for the journal) they do not; with a JOURNAL_STREAM naming another
  file they do.
* config_line: start-up logs one "info config path=... proxies=...
  x_for=..." line with the trusted proxies and depths, and a good SIGHUP
  another one with the new values.

Runs real gateways (standalone on Unix sockets in a temporary directory,
or under spawn-fcgi; under valgrind with XFF_TEST_VALGRIND=1, except those
expected to fail at start), stops every process it started by PID, and
removes the temporary user and group it created.  Prints "ok NAME", "skip NAME:
why" or "FAIL NAME" with the evidence, then "N passed, M failed".
"""
import grp
import json
import os
import pwd
import re
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

IS_ROOT = os.geteuid() == 0
LOGROTATE_EXAMPLE = os.path.join(H.SRCDIR, "etc", "xff-gateway.logrotate")
DROP_TO = H.drop_to()
TESTS, scenario = H.scenarios()


# ------------------------------------------------------------ helpers

def ini(backend, gateway=None, trust=None, rules=None, log=None):
    """An INI for a backend Unix socket, dropping to nobody as root."""
    g = {"backend": "unix:" + backend, "workers": 2, "connect_timeout": 2,
         "backend_timeout": 5}
    g.update(DROP_TO)
    g.update(gateway or {})
    t = {"x_for": 1, "x_proto": 1}
    t.update(trust or {})
    lg = {"level": "info", "target": "stderr"}
    lg.update(log or {})
    return H.ini_text((("gateway", g), ("trust", t), ("rules", rules or {}),
                       ("log", lg)))


def standalone(env, name, text, extra_env=None):
    """The gateway binding listen = itself (the INI must name
    env.path(name + ".sock")); ready when it answers FCGI_GET_VALUES."""
    sock = env.path(name + ".sock")
    path = env.write(name + ".ini", text)
    argv = [H.GATEWAY, "-c", path]
    if H.VALGRIND:
        argv = H.valgrind_argv(env.path(name + ".valgrind.log")) + argv
    p = env.start(name, argv, env=extra_env)
    deadline = time.monotonic() + H.WAIT
    while not H.fcgi_get_values(sock):
        check(p.alive(), "%s running" % name, p.log_text()[-2000:])
        check(time.monotonic() < deadline, "%s answers on %s" % (name, sock),
              p.log_text()[-2000:])
        time.sleep(0.05)
    p.sock = sock
    p.ini = path
    return p


def fails_to_start(argv, what, user=None):
    """Runs the gateway expecting it to refuse to start; returns stderr."""
    kw = {}
    if user is not None:
        pw = pwd.getpwnam(user)
        kw = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    r = subprocess.run(argv, capture_output=True, timeout=H.WAIT,
                       stdin=subprocess.DEVNULL, cwd="/", **kw)
    err = r.stderr.decode("utf-8", "replace")
    print("    %s: exit %d, %s" % (what, r.returncode, err.strip()[-200:]))
    eq(r.returncode, 1, "%s: exit status" % what, err)
    return err


def request(sock, uri, xff):
    """A FastCGI request to the gateway; returns (CGI status, params)."""
    ans = H.fcgi_request(sock, [
        ("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri),
        ("SCRIPT_NAME", uri), ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_PORT", "40000"), ("HTTP_X_FORWARDED_FOR", xff)])
    head, _, body = ans.stdout.partition(b"\r\n\r\n")
    m = re.search(rb"^Status:\s*(\d+)", head, re.M)
    status = int(m.group(1)) if m else 200
    params = {}
    if status == 200:
        try:
            for k, v in json.loads(body)["params"]:
                params.setdefault(k, v)
        except ValueError:
            raise Failure("not the echo app's answer: %r" % ans.stdout[:300])
    return status, params


def status_field(pid, field):
    """The values of a field of /proc/PID/status."""
    m = re.search(r"^%s:\s*(.*)$" % field,
                  H.read_text("/proc/%d/status" % pid), re.M)
    return m.group(1).split() if m else None


def connects_as(user, sock):
    """True when a process running as user, with the groups of its
    account, can connect to the Unix socket sock; False on EACCES.  The
    process is a fork of this one (no program to exec as that user)."""
    pw = pwd.getpwnam(user)
    groups = os.getgrouplist(user, pw.pw_gid)
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.setgroups(groups)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            try:
                s.connect(sock)
                code = 0
            except PermissionError:
                code = 13
        finally:
            os._exit(code)
    deadline = time.monotonic() + H.WAIT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise Failure("connect as %s: no result" % user)
        time.sleep(0.02)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 13):
        raise Failure("connect as %s to %s: exit status %d" % (user, sock,
                                                               code))
    return code == 0


def owner_of(path):
    """(user name, group name, permission bits) of path."""
    st = os.lstat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode))


def give_to(path, user):
    """As root, hands path to user (and its primary group)."""
    if IS_ROOT and user:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def lines_of(path):
    return [l for l in H.read_text(path).splitlines() if l]


def account_cmd(argv, retry_any=False):
    """Runs useradd, groupadd, userdel or groupdel; another program (a
    test elsewhere, a package manager) may hold the account files' locks
    for a while, so a "cannot lock" failure (any failure with retry_any:
    userdel also refuses while a process of the user is still exiting) is
    tried again for up to a minute.  Returns the last CompletedProcess."""
    deadline = time.monotonic() + 60.0
    while True:
        r = subprocess.run(argv, capture_output=True, timeout=60)
        if r.returncode == 0 or time.monotonic() > deadline:
            return r
        if not retry_any and b"lock" not in r.stderr:
            return r
        time.sleep(0.2)


class TempAccount:
    """A temporary system group and a user whose primary group is that of
    nobody and whose only supplementary group is the temporary one; both
    are deleted on exit, whatever happened."""

    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.user = "xffgw-u" + tag
        self.group = "xffgw-g" + tag
        self._made = []

    def __enter__(self):
        try:
            groupadd = H.find_program("groupadd")
            useradd = H.find_program("useradd")
        except H.HarnessError as e:
            raise Skip(str(e))
        primary = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        try:
            for argv, undo in (
                    ([groupadd, "--system", self.group],
                     ("groupdel", self.group)),
                    ([useradd, "--system", "--no-create-home", "--home-dir",
                      "/nonexistent", "--shell", "/usr/sbin/nologin",
                      "--gid", primary, "--groups", self.group, self.user],
                     ("userdel", self.user))):
                r = account_cmd(argv)
                if r.returncode != 0:
                    raise Failure("%s: exit status %d: %s" % (
                        " ".join(argv), r.returncode,
                        r.stderr.decode("utf-8", "replace").strip()))
                self._made.append(undo)
        except BaseException:
            self.__exit__()
            raise
        self.gid = grp.getgrnam(self.group).gr_gid
        return self

    def __exit__(self, *exc):
        for cmd, name in reversed(self._made):
            r = account_cmd([H.find_program(cmd), name], retry_any=True)
            if r.returncode != 0:
                sys.stderr.write("%s %s: %s\n" % (cmd, name, r.stderr))
        self._made = []
        return False


# ------------------------------------------------------------ standalone

@scenario
def standalone_supplementary_group(env):
    if not IS_ROOT:
        raise Skip("not root")
    echo, backend = env.echo_app("echo-sg")
    try:
        with TempAccount() as acct:
            # only root and members of the temporary group reach the backend
            os.chown(backend, 0, acct.gid)
            os.chmod(backend, 0o660)
            name = "gw-sg"
            gw = standalone(env, name, ini(backend, {
                "listen": "unix:" + env.path(name + ".sock"),
                "user": acct.user, "group": None}))
            try:
                st, params = request(gw.sock, "/sg", "203.0.113.7")
                groups = status_field(gw.pid, "Groups")
                print("    Uid: %s  Gid: %s  Groups: %s" % (
                    " ".join(status_field(gw.pid, "Uid")),
                    " ".join(status_field(gw.pid, "Gid")), " ".join(groups)))
                eq(st, 200, "a request relayed to the backend of the "
                   "supplementary group", gw.log_text()[-1500:])
                eq(params.get("REMOTE_ADDR"), "203.0.113.7", "REMOTE_ADDR")
                eq(status_field(gw.pid, "Uid"), [str(pwd_uid(acct.user))] * 4,
                   "Uid (real, effective, saved, fs)")
                check(str(acct.gid) in groups, "the supplementary group %s "
                      "(%d) is kept" % (acct.group, acct.gid), groups)
            finally:
                env.stop(gw)
    finally:
        env.stop(echo)


def pwd_uid(name):
    return pwd.getpwnam(name).pw_uid


@scenario
def standalone_socket_owner(env):
    if not IS_ROOT:
        raise Skip("not root")
    if not DROP_TO:
        raise Skip("no user nobody")
    try:
        pwd.getpwnam("www-data")
        grp.getgrnam("www-data")
    except KeyError:
        raise Skip("no user and group www-data")
    nobody, nogroup = DROP_TO["user"], DROP_TO["group"]
    echo, backend = env.echo_app("echo-so")
    procs = [echo]
    try:
        # defaults: the gateway's user and group, mode 0660
        name = "gw-so1"
        sock = env.path(name + ".sock")
        gw = standalone(env, name, ini(backend, {"listen": "unix:" + sock}))
        procs.append(gw)
        eq(owner_of(sock), (nobody, nogroup, 0o660), "socket by default")
        env.stop(gw)

        # listen_group = www-data: www-data connects, nobody else; in a
        # directory the gateway's user may write, to remove it at exit
        os.mkdir(env.path("so2"))
        give_to(env.path("so2"), nobody)
        name = "so2/gw"
        sock = env.path(name + ".sock")
        gw = standalone(env, name, ini(backend, {
            "listen": "unix:" + sock, "listen_group": "www-data"}))
        procs.append(gw)
        eq(owner_of(sock), (nobody, "www-data", 0o660),
           "socket with listen_group")
        with TempAccount() as acct:
            check(connects_as("www-data", sock), "www-data can connect")
            check(not connects_as(acct.user, sock), "%s (not in www-data) "
                  "cannot connect" % acct.user)
        st, params = request(sock, "/so", "203.0.113.8")
        eq(st, 200, "served", gw.log_text()[-1500:])

        # a new listen and listen_mode on SIGHUP: logged, applied at the
        # next start; at exit the socket removed is the one bound, not the
        # file the new listen = names
        decoy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            decoy.bind(env.path("decoy.sock"))
            decoy.listen(1)
            with open(gw.ini, "w") as f:
                f.write(ini(backend, {"listen": "unix:" +
                                      env.path("decoy.sock"),
                                      "listen_group": "www-data",
                                      "listen_mode": "0666"}))
            os.kill(gw.pid, signal.SIGHUP)
            check(wait_for(lambda: "configuration reloaded" in
                           gw.log_text(), timeout=H.WAIT), "reloaded",
                  gw.log_text()[-1500:])
            check("reload: [gateway] listen, listen_mode: changes take "
                  "effect at the next start" in gw.log_text(),
                  "the reload names listen and listen_mode",
                  gw.log_text()[-1500:])
            eq(owner_of(sock)[2], 0o660, "mode unchanged until the next "
               "start")
            st, params = request(sock, "/so-2", "203.0.113.9")
            eq(st, 200, "still served on %s" % sock)
            eq(env.stop(gw), 0, "exit status")
            check(not os.path.lexists(sock), "the socket bound is removed")
            check(os.path.lexists(env.path("decoy.sock")), "the file of the "
                  "new listen = is left alone")
        finally:
            decoy.close()

        # listen_owner, listen_group and listen_mode together
        name = "gw-so3"
        sock = env.path(name + ".sock")
        gw = standalone(env, name, ini(backend, {
            "listen": "unix:" + sock, "listen_owner": "www-data",
            "listen_group": "www-data", "listen_mode": "0600"}))
        procs.append(gw)
        eq(owner_of(sock), ("www-data", "www-data", 0o600),
           "socket with listen_owner, listen_group, listen_mode")
        check(connects_as("www-data", sock), "www-data (the owner) can "
              "connect")
        check(not connects_as(nobody, sock), "%s cannot connect" % nobody)
        env.stop(gw)

        # an unknown owner is a start-up error naming the key
        sock = env.path("gw-so4.sock")
        path = env.write("gw-so4.ini", ini(backend, {
            "listen": "unix:" + sock, "listen_owner": "no-such-user-xff"}))
        err = fails_to_start([H.GATEWAY, "-c", path], "unknown listen_owner")
        check("[gateway] listen_owner: unknown user no-such-user-xff" in err,
              "the error names the key and the user", err)
        check(not os.path.lexists(sock), "no socket left behind")

        # not root: a group the gateway may not give the socket to
        d = env.path("unpriv")
        os.mkdir(d)
        give_to(d, nobody)
        sock = os.path.join(d, "gw.sock")
        path = env.write("gw-so5.ini", ini(backend, {
            "listen": "unix:" + sock, "listen_group": "www-data",
            "user": None, "group": None}))
        err = fails_to_start([H.GATEWAY, "-c", path], "listen_group as %s"
                             % nobody, user=nobody)
        check("[gateway] listen_group: cannot give %s to group www-data: "
              "Operation not permitted" % sock in err,
              "the error names the key, the socket and the group", err)
        check(not os.path.lexists(sock), "no socket left behind")
    finally:
        for p in reversed(procs):
            env.stop(p)


# ------------------------------------------------------------ pid file

@scenario
def pid_file(env):
    echo, backend = env.echo_app("echo-pid")
    procs = [echo]
    user = DROP_TO.get("user")
    try:
        run = env.path("run")
        os.mkdir(run)
        give_to(run, user)
        pidf = os.path.join(run, "gw.pid")
        name = "gw-pid"
        text = ini(backend, {"listen": "unix:" + env.path(name + ".sock"),
                             "pid": pidf})
        gw = standalone(env, name, text)
        procs.append(gw)
        eq(H.read_text(pidf), "%d\n" % gw.pid, "pid file contents")
        eq(stat.S_IMODE(os.stat(pidf).st_mode), 0o644, "pid file mode")
        eq(env.stop(gw), 0, "exit status after SIGTERM", gw.log_text()[-1500:])
        check(not os.path.lexists(pidf), "pid file removed at exit",
              gw.log_text()[-1500:])

        # a stale file: the PID of a process that has ended
        dead = subprocess.Popen(["true"])
        dead.wait()
        with open(pidf, "w") as f:
            f.write("%d\n" % dead.pid)
        gw = standalone(env, name, text)
        procs.append(gw)
        eq(H.read_text(pidf), "%d\n" % gw.pid, "stale pid file replaced")
        check("removed the stale pid file %s (process %d is gone)"
              % (pidf, dead.pid) in gw.log_text(), "the log says so",
              gw.log_text()[-1500:])
        env.stop(gw)

        # a file naming a running process (this test): left alone
        with open(pidf, "w") as f:
            f.write("%d\n" % os.getpid())
        err = fails_to_start([H.GATEWAY, "-c", gw.ini], "pid file of a "
                             "running process")
        check("[gateway] pid: %s names process %d, which is running"
              % (pidf, os.getpid()) in err, "the error names the file and "
              "the process", err)
        eq(H.read_text(pidf), "%d\n" % os.getpid(), "the file is untouched")
        os.unlink(pidf)

        if not IS_ROOT or not user:
            return
        # as root, in a directory the dropped user cannot write: kept
        pidk = env.path("gw-kept.pid")
        name = "gw-pidk"
        text = ini(backend, {"listen": "unix:" + env.path(name + ".sock"),
                             "pid": pidk}, log={"level": "debug"})
        gw = standalone(env, name, text)
        procs.append(gw)
        first = gw.pid
        eq(env.stop(gw), 0, "exit status after SIGTERM", gw.log_text()[-1500:])
        eq(H.read_text(pidk), "%d\n" % first, "pid file kept")
        check(re.search(r"debug pid file %s kept: cannot remove it: "
                        r"Permission denied" % re.escape(pidk),
                        gw.log_text()), "a debug line says it is kept",
              gw.log_text()[-1500:])
        gw = standalone(env, name, text)
        procs.append(gw)
        eq(H.read_text(pidk), "%d\n" % gw.pid, "replaced at the next start")
    finally:
        for p in reversed(procs):
            env.stop(p)


# ------------------------------------------------------------ log file

@scenario
def log_file_target(env):
    echo, backend = env.echo_app("echo-lf")
    procs = [echo]
    user = DROP_TO.get("user")
    try:
        logs = env.path("logs")
        os.mkdir(logs)
        logf = os.path.join(logs, "gw.log")
        name = "gw-lf"
        text = ini(backend, log={"target": logf})
        gw = env.gateway(text, name=name)
        procs.append(gw)
        check(wait_for(lambda: " info started: " in H.read_text(logf),
                       timeout=H.WAIT), "the start is logged in %s" % logf,
              H.read_text(logf)[-1500:], gw.log_text()[-1500:])
        eq(stat.S_IMODE(os.stat(logf).st_mode), 0o640, "log file mode")
        st, _ = request(gw.sock, "/lf-1", "6.6.6.6, 203.0.113.1")
        eq(st, 200, "request 1")
        check(wait_for(lambda: "uri=/lf-1 " in H.read_text(logf),
                       timeout=H.WAIT), "the event is in the file",
              H.read_text(logf)[-1500:])
        rx = re.compile("^" + H.LOG_LINE_RX + r"(error|warning|info|debug) ")
        bad = [l for l in lines_of(logf) if not rx.match(l)]
        eq(bad, [], "lines without the time stamp and PID prefix")
        check(not re.search(r"started|spoof_attempt", gw.log_text()),
              "nothing of it on stderr", gw.log_text()[-1500:])

        # logrotate: rename, create the new file for the user, SIGUSR1
        os.rename(logf, logf + ".1")
        with open(logf, "w"):
            pass
        os.chmod(logf, 0o640)
        give_to(logf, user)
        os.kill(gw.pid, signal.SIGUSR1)
        check(wait_for(lambda: "info log file reopened: %s" % logf
                       in H.read_text(logf), timeout=H.WAIT),
              "reopened after SIGUSR1", H.read_text(logf + ".1")[-1500:])
        st, _ = request(gw.sock, "/lf-2", "6.6.6.6, 203.0.113.2")
        eq(st, 200, "request 2")
        check(wait_for(lambda: "uri=/lf-2 " in H.read_text(logf),
                       timeout=H.WAIT), "request 2 lands in the new file",
              H.read_text(logf)[-1500:])
        check("uri=/lf-2 " not in H.read_text(logf + ".1"),
              "and not in the renamed one")

        if IS_ROOT and user:
            # no new file, and a directory the dropped user cannot
            # write: the reopen fails, the old file goes on
            os.rename(logf, logf + ".2")
            os.kill(gw.pid, signal.SIGUSR1)
            check(wait_for(lambda: "error cannot reopen the log file %s: "
                           "Permission denied; writing on to the file "
                           "already open" % logf in H.read_text(logf + ".2"),
                           timeout=H.WAIT), "the failed reopen is logged",
                  H.read_text(logf + ".2")[-1500:])
            st, _ = request(gw.sock, "/lf-3", "6.6.6.6, 203.0.113.3")
            eq(st, 200, "request 3")
            check(wait_for(lambda: "uri=/lf-3 " in H.read_text(logf + ".2"),
                           timeout=H.WAIT), "request 3 in the open file",
                  H.read_text(logf + ".2")[-1500:])
            check(not os.path.lexists(logf), "no new file")
            current = logf + ".2"
        else:
            current = logf

        # SIGHUP with another target: switches
        logs2 = env.path("logs2")
        os.mkdir(logs2)
        give_to(logs2, user)
        other = os.path.join(logs2, "other.log")
        with open(gw.ini, "w") as f:
            f.write(ini(backend, log={"target": other}))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: " info config path=" in H.read_text(other),
                       timeout=H.WAIT), "the reload is logged in %s" % other,
              H.read_text(current)[-1500:])
        check("info log target changes to %s" % other in H.read_text(current),
              "the old target names the new one", H.read_text(current)[-800:])
        st, _ = request(gw.sock, "/lf-4", "6.6.6.6, 203.0.113.4")
        check(wait_for(lambda: "uri=/lf-4 " in H.read_text(other),
                       timeout=H.WAIT), "request 4 in the new target",
              H.read_text(other)[-1500:])

        # SIGHUP with a target that cannot be opened: keeps the current one
        bad = env.path("no-such-dir", "x.log")
        with open(gw.ini, "w") as f:
            f.write(ini(backend, log={"target": bad}))
        os.kill(gw.pid, signal.SIGHUP)
        check(wait_for(lambda: "error [log] target: cannot open %s: No such "
                       "file or directory; logging on to %s" % (bad, other)
                       in H.read_text(other), timeout=H.WAIT),
              "the failed switch is logged", H.read_text(other)[-1500:])
        st, _ = request(gw.sock, "/lf-5", "6.6.6.6, 203.0.113.5")
        check(wait_for(lambda: "uri=/lf-5 " in H.read_text(other),
                       timeout=H.WAIT), "request 5 still in %s" % other,
              H.read_text(other)[-1500:])
        eq(env.stop(gw), 0, "exit status")

        # a file that cannot be opened at start
        sock = env.path("gw-lfbad.sock")
        path = env.write("gw-lfbad.ini", ini(backend, {
            "listen": "unix:" + sock}, log={"target": bad}))
        err = fails_to_start([H.GATEWAY, "-c", path], "unopenable log file")
        check("[log] target: cannot open %s: No such file or directory"
              % bad in err, "the error names the file", err)
        check(not os.path.lexists(sock), "no socket left behind")
    finally:
        for p in reversed(procs):
            env.stop(p)


# ------------------------------------------------------------ logrotate

@scenario
def logrotate_example(env):
    try:
        logrotate = H.find_program("logrotate")
    except H.HarnessError:
        raise Skip("logrotate not installed")
    text = H.read_text(LOGROTATE_EXAMPLE)
    example = {"log": "/var/log/xff-gateway.log",
               "pid": "/run/xff-gateway/xff-gateway.pid",
               "create": "create 0640 xff-gateway adm"}
    for what, s in example.items():
        check(s in text, "%s names %s" % (LOGROTATE_EXAMPLE, s), text)
    echo, backend = env.echo_app("echo-lr")
    gw = None
    try:
        user = DROP_TO.get("user") or pwd.getpwuid(os.getuid()).pw_name
        group = DROP_TO.get("group") or grp.getgrgid(os.getgid()).gr_name
        logs = env.path("lr-logs")
        os.mkdir(logs)
        logf = os.path.join(logs, "gw.log")
        run = env.path("lr-run")
        os.mkdir(run)
        give_to(run, DROP_TO.get("user"))
        pidf = os.path.join(run, "gw.pid")
        name = "gw-lr"
        gw = standalone(env, name, ini(backend, {
            "listen": "unix:" + env.path(name + ".sock"), "pid": pidf},
            log={"target": logf}))
        st, _ = request(gw.sock, "/lr-1", "6.6.6.6, 203.0.113.1")
        check(wait_for(lambda: "uri=/lr-1 " in H.read_text(logf),
                       timeout=H.WAIT), "request 1 logged",
              H.read_text(logf)[-1500:])
        conf = env.write("logrotate.conf", text.replace(
            example["log"], logf).replace(example["pid"], pidf).replace(
            example["create"], "create 0640 %s %s" % (user, group)))
        r = subprocess.run([logrotate, "-f", "-s", env.path("lr.state"),
                            conf], capture_output=True, timeout=H.WAIT)
        eq(r.returncode, 0, "logrotate exit status", r.stderr.decode(
            "utf-8", "replace")[-1500:])
        check(os.path.exists(logf + ".1"), "rotated to gw.log.1",
              os.listdir(logs))
        eq(owner_of(logf), (user, group, 0o640), "the new file")
        check(wait_for(lambda: "info log file reopened: %s" % logf
                       in H.read_text(logf), timeout=H.WAIT),
              "reopened after postrotate's SIGUSR1",
              H.read_text(logf + ".1")[-1500:])
        st, _ = request(gw.sock, "/lr-2", "6.6.6.6, 203.0.113.2")
        check(wait_for(lambda: "uri=/lr-2 " in H.read_text(logf),
                       timeout=H.WAIT), "request 2 in the new file",
              H.read_text(logf)[-1500:])
        check("uri=/lr-2 " not in H.read_text(logf + ".1"),
              "and not in the rotated one")
    finally:
        if gw is not None:
            env.stop(gw)
        env.stop(echo)


# ------------------------------------------------------------ time stamps

@scenario
def time_stamps(env):
    echo, backend = env.echo_app("echo-ts")
    procs = [echo]
    try:
        cases = (("plain", None, True), ("journal", 0, False),
                 ("other-journal", 1, True))
        for what, ino_delta, stamped in cases:
            name = "gw-ts-" + what
            sock = env.path(name + ".sock")
            path = env.write(name + ".ini", ini(backend))
            log = env.write(name + ".log", "")
            penv = dict(os.environ)
            penv.pop("JOURNAL_STREAM", None)
            if ino_delta is not None:
                st = os.stat(log)
                penv["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev,
                                                    st.st_ino + ino_delta)
            p = env.start(name, env.spawn_command(sock, path), log=log,
                          env=penv)
            procs.append(p)
            check(wait_for(lambda: " started: " in p.log_text(),
                           timeout=H.WAIT), "%s: started" % what,
                  p.log_text()[-1500:])
            lines = [l for l in p.log_text().splitlines()
                     if "xff-gateway[" in l]
            print("    %s: %s" % (what, lines[-1][:90]))
            if stamped:
                rx = re.compile("^" + H.LOG_LINE_RX)
            else:
                rx = re.compile(r"^xff-gateway\[%d\]: (info|warning) " % p.pid)
            bad = [l for l in lines if not rx.match(l)]
            eq(bad, [], "%s: lines not of the form %s" % (what, rx.pattern))
            env.stop(p)
    finally:
        for p in reversed(procs):
            env.stop(p)


# ------------------------------------------------------------ config line

@scenario
def config_line(env):
    echo, backend = env.echo_app("echo-cl")
    gw = None
    try:
        gw = env.gateway(ini(backend, trust={
            "proxies": "10.0.0.0/8, unix:", "x_host": 1}), name="gw-cl")
        want = ("info config path=%s proxies=10.0.0.0/8,unix: x_for=1 "
                "x_proto=1 x_host=1 x_port=0 x_prefix=0 forwarded=0 "
                "strict=no always_proxy=no no_spoofing=no header_required=no "
                "loose_unsafe=no clean=yes rewrite_remote_addr=yes exempt=0 "
                "exempt_stealth=no keep_original=yes" % gw.ini)
        check(wait_for(lambda: " started: " in gw.log_text(), timeout=H.WAIT),
              "started", gw.log_text()[-1500:])
        lines = [l for l in gw.log_text().splitlines() if " info config " in l]
        eq(len(lines), 1, "config lines at start", gw.log_text()[-1500:])
        check(re.match("^" + H.LOG_LINE_RX + re.escape(want) + "$", lines[0]),
              "the start-up config line", lines[0], want)
        with open(gw.ini, "w") as f:
            f.write(ini(backend, trust={"proxies": "192.0.2.0/24 ::1",
                                        "x_for": 2},
                        rules={"strict": "yes"}))
        os.kill(gw.pid, signal.SIGHUP)
        want = ("info config path=%s proxies=192.0.2.0/24,::1/128 x_for=2 "
                "x_proto=1 x_host=0 x_port=0 x_prefix=0 forwarded=0 "
                "strict=yes always_proxy=no no_spoofing=no "
                "header_required=yes loose_unsafe=no clean=yes "
                "rewrite_remote_addr=yes exempt=0 exempt_stealth=no "
                "keep_original=yes" % gw.ini)
        check(wait_for(lambda: want in gw.log_text(), timeout=H.WAIT),
              "the config line after SIGHUP", want, gw.log_text()[-1500:])
        text = gw.log_text()
        check(text.index("configuration reloaded") < text.index(want),
              "after the reload line", text[-1500:])
    finally:
        if gw is not None:
            env.stop(gw)
        env.stop(echo)


def main(argv):
    return H.run_scenarios(argv, TESTS, lambda: H.Env("xffgw-daemon"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
