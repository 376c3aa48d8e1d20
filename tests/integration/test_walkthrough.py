#!/usr/bin/env python3
"""The README's walkthrough "nginx + xff-gateway + PHP-FPM on Debian 12",
run command by command in a temporary root.

The command blocks are the indented code blocks of that section, read
from README.md; each command (one line, its backslash continuations, its
here-document) runs with bash as root, with a root shell's environment,
in a copy of the source tree (`make distdir`), in the README's order.
What the test changes in a command is printed next to it:

* paths: /etc, /run, /usr and /var become T/etc, T/run, T/usr and T/var,
  T being the temporary root (so --prefix=/usr installs into T/usr, and
  the here-documents write into T); http://127.0.0.1/ gets the port of
  the test's nginx; the user name xff-gateway (as a word) becomes a
  temporary user, created by the README's useradd and removed at the end;
* systemd-tmpfiles gets --root=T: the paths inside its tmpfiles.d file
  are mapped by systemd-tmpfiles itself;
* apt-get runs with --simulate (a test installs and upgrades nothing),
  and every package it names must be installed.

Commands that need systemd as PID 1 are not run: `systemctl
daemon-reload` and `systemctl enable --now xff-gateway.socket` (instead,
the installed units' ExecStart= runs under systemd-socket-activate on
their ListenStream=, with SocketUser=/SocketGroup=/SocketMode= applied
and DynamicUser=/SupplementaryGroups= stood in for by setpriv), `nginx
-t` and `systemctl reload nginx` (instead, the test's nginx -t and nginx,
user www-data, on a free port of 127.0.0.1 with the walkthrough's site,
its listen lines replaced).  PHP-FPM runs as Debian's php8.2-fpm
service would, with its pool's socket, user and group (pm = static, two
children).  When a /dev/log exists, the test runs in a private mount
namespace with its own socket bound over it; without one it binds its
own at /dev/log and removes it afterwards.

* readme_walkthrough_form: the section's blocks are code blocks of their
  list items (no leading space when copied), every command is one
  command that works with sudo in front (no &&, ||, ;, redirection,
  pipes only into head), none says sudo, the here-documents end, and
  the outputs the prose promises are the ones checked below.
* walkthrough_spawn_fcgi: steps 1 to 5 with the spawn-fcgi alternative:
  the build installs into T (the tmpfiles.d entry in T/usr/lib/tmpfiles.d),
  `xff-gateway -t` prints configuration ok, systemd-tmpfiles creates
  /run/xff-gateway, the gateway runs as the new user with www-data among
  its groups and reaches PHP-FPM's socket (www-data, 0660); through nginx
  a request from 127.0.0.1 with X-Forwarded-For reaches PHP with the
  corrected REMOTE_ADDR and HTTPS=on, one without gets 400 and a
  missing_header line in syslog, and the status page answers.
* walkthrough_systemd: the same checks of step 5 with the gateway started
  from the installed units.

Run as root only (the walkthrough is); the last line is "N passed, M
failed".
"""
import glob
import os
import pwd
import grp
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, Skip, check, eq, wait_for  # noqa: E402

README = os.path.join(H.SRCDIR, "README.md")
HEADING = "## Walkthrough: nginx + xff-gateway + PHP-FPM on Debian 12"
USER = "xff-gateway"          # the walkthrough's user name
NS_FLAG = "XFF_WALK_NAMESPACE"
BUILD_TIMEOUT = 900           # seconds for one build command
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEVLOG = "/dev/log"
PID1 = ("systemctl daemon-reload", "systemctl enable --now xff-gateway.socket")
NGINX_STEPS = ("nginx -t", "systemctl reload nginx")

# What the prose of step 5 promises (checked against the README too).
CORRECTED = "203.0.113.7 on"
REJECTED = "HTTP/1.1 400 Bad Request"


def log(msg=""):
    print(msg)
    sys.stdout.flush()


# ------------------------------------------------------------ the README

def walkthrough_text():
    text = H.read_text(README)
    lines = text.splitlines()
    check(HEADING in lines, "README.md has the heading %r" % HEADING)
    i = lines.index(HEADING)
    j = next((k for k in range(i + 1, len(lines))
              if lines[k].startswith("## ")), len(lines))
    return lines[i + 1:j]


def indent(line):
    return len(line) - len(line.lstrip(" "))


def code_blocks(section):
    """[(step number, [lines])]: the indented code blocks of the section,
    each dedented.  A block must start at its list item's content offset
    + 4, so that it renders (and is copied) without leading spaces."""
    blocks = []
    step, offset = 0, 0
    prev_blank = True
    k = 0
    while k < len(section):
        line = section[k]
        m = re.match(r"^(\d+)\.( +)\S", line)
        if m:
            step, offset = int(m.group(1)), len(m.group(1)) + 1 + len(m.group(2))
        elif line.strip() and indent(line) == 0:
            step, offset = 0, 0
        if line.strip() and prev_blank and indent(line) >= offset + 4:
            base = indent(line)
            eq(base, offset + 4, "indentation of the code block at %r "
               "(step %d)" % (line.strip(), step))
            body = []
            while k < len(section) and (not section[k].strip() or
                                        indent(section[k]) >= base):
                body.append(section[k][base:])
                k += 1
            while body and not body[-1].strip():
                body.pop()
            blocks.append((step, body))
            prev_blank = False
            continue
        prev_blank = not line.strip()
        k += 1
    return blocks


def split_commands(body):
    """The commands of a block: a line, its backslash continuations and
    its here-document."""
    cmds = []
    k = 0
    while k < len(body):
        if not body[k].strip():
            k += 1
            continue
        cmd = [body[k]]
        while cmd[-1].endswith("\\"):
            k += 1
            check(k < len(body), "a continuation line after %r" % cmd[-1])
            cmd.append(body[k])
        m = re.search(r"<<-?\s*(['\"]?)(\w+)\1", " ".join(cmd))
        if m:
            tag = m.group(2)
            while True:
                k += 1
                check(k < len(body), "here-document %s ends in its block"
                      % tag, "\n".join(cmd))
                cmd.append(body[k])
                if body[k] == tag:
                    break
        cmds.append("\n".join(cmd))
        k += 1
    return cmds


def command_line(cmd):
    """The shell line of a command: its continuations joined, without its
    here-document body."""
    lines = cmd.split("\n")
    head = []
    for line in lines:
        head.append(line)
        if not line.endswith("\\"):
            break
    return " ".join(l.rstrip("\\") for l in head)


def walkthrough():
    """[(step, command)] in the README's order."""
    out = []
    for step, body in code_blocks(walkthrough_text()):
        for c in split_commands(body):
            out.append((step, c))
    check(out, "commands in the walkthrough")
    return out


# ------------------------------------------------------------ substitutions

PATH_RX = re.compile(r"(?<![\w.~/-])/(etc|run|usr|var)(?=[/\s'\";,]|$)")
USER_RX = re.compile(r"(?<![\w./-])%s(?![\w./-])" % re.escape(USER))
URL_RX = re.compile(r"http://127\.0\.0\.1(?=/)")


class Mapper:
    def __init__(self, root, user):
        self.root = root
        self.user = user
        self.port = None

    def paths(self, text):
        return PATH_RX.sub(lambda m: self.root + m.group(0), text)

    def __call__(self, text):
        text = self.paths(text)
        text = USER_RX.sub(self.user, text)
        if self.port is not None:
            text = URL_RX.sub("http://127.0.0.1:%d" % self.port, text)
        return text


# ------------------------------------------------------------ /dev/log

class DevLog:
    """A datagram socket that receives what is sent to /dev/log.  A
    thread reads it all the time: a Unix datagram socket holds only a few
    datagrams (net.unix.max_dgram_qlen), and a full one blocks every
    program that logs (useradd, userdel, the gateway)."""

    def __init__(self, env):
        self.sock = None
        self.created = None
        self.lines = []
        self.lock = threading.Lock()
        self.thread = None
        if not os.path.lexists(DEVLOG):
            path = DEVLOG
            self.how = "no /dev/log: the test's socket is bound there"
        elif os.environ.get(NS_FLAG) == "1":
            path = env.path("devlog")
            self.how = ("/dev/log exists: the test's socket is bound over "
                        "it in a private mount namespace")
        else:
            self.how = ("/dev/log exists and no private mount namespace: "
                        "the log lines are not checked")
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(path)
        except OSError as e:
            # another test may have bound /dev/log a moment ago
            sock.close()
            self.how = "binding %s failed (%s): the log lines are not " \
                "checked" % (path, e)
            return
        os.chmod(path, 0o666)
        if path == DEVLOG:
            self.created = os.lstat(path).st_ino
        else:
            r = subprocess.run(["mount", "--bind", path, DEVLOG],
                               capture_output=True, timeout=30)
            if r.returncode != 0:
                sock.close()
                self.how = ("mount --bind over /dev/log failed (%s): the log"
                            " lines are not checked" % r.stderr.decode(
                                "utf-8", "replace").strip())
                return
        sock.settimeout(0.2)
        self.sock = sock
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()

    def drain(self):
        while self.sock is not None:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def receive(self, rx, timeout):
        """The first datagram matching the regex rx, or None."""
        if self.sock is None:
            return None
        rx = re.compile(rx)
        found = []

        def seen():
            with self.lock:
                found[:] = [l for l in self.lines if rx.search(l)][:1]
            return bool(found)
        wait_for(seen, timeout=timeout)
        return found[0] if found else None

    def close(self):
        sock, self.sock = self.sock, None
        if self.thread is not None:
            self.thread.join(5)
            self.thread = None
        if sock is not None:
            sock.close()
        if self.created is not None:
            try:
                if os.lstat(DEVLOG).st_ino == self.created:
                    os.unlink(DEVLOG)
            except FileNotFoundError:
                pass
            self.created = None


# ------------------------------------------------------------ the run

def unit(path):
    """A systemd unit as {section: [(key, value)]}."""
    out, section = {}, None
    for raw in H.read_text(path).splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1], [])
            continue
        k, _, v = line.partition("=")
        section.append((k.strip(), v.strip()))
    return out


def unit_value(u, section, key, default=None):
    vals = [v for k, v in u.get(section, []) if k == key]
    return vals[-1] if vals else default


def set_subreaper():
    """Orphans (the gateway spawn-fcgi forks) become our children."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def pid_gone(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    st = H.read_text("/proc/%d/stat" % pid)
    return not st or st[st.rfind(")") + 2:][:1] in ("Z", "X")


def proc_ids(pid):
    """(uid, [gids]) of a process, from /proc."""
    text = H.read_text("/proc/%d/status" % pid)
    uid = int(re.search(r"^Uid:\s+(\d+)", text, re.M).group(1))
    groups = [int(g) for g in re.search(r"^Groups:(.*)$", text,
                                        re.M).group(1).split()]
    return uid, groups


class Walk:
    """The temporary root, the processes and the user of one run."""

    def __init__(self):
        self.env = H.Env("xffwalk")
        self.root = self.env.dir
        self.user = "xffwalk%d" % os.getpid()
        self.map = Mapper(self.root, self.user)
        self.user_created = False
        self.gateway_pid = None       # the one spawn-fcgi forked
        self.nginx = None
        self.src = None
        self.devlog = None
        self.done = set()
        self.skipped = []
        self.step5 = []
        self.outputs = {}

    def path(self, p):
        return self.map.paths(p)

    # -- processes not started by Env

    def stop_pid(self, pid):
        if pid is None or pid_gone(pid):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not wait_for(lambda: pid_gone(pid), timeout=15):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_for(lambda: pid_gone(pid), timeout=10)

    def close(self):
        try:
            self.stop_pid(self.gateway_pid)
            self.gateway_pid = None
            for p in list(reversed(self.env.procs)):
                try:
                    self.env.stop(p, timeout=5.0)
                except Exception as e:
                    sys.stderr.write("stopping %s: %s\n" % (p.name, e))
            if self.devlog is not None:
                self.devlog.close()
            if self.user_created:
                self.remove_user()
        finally:
            self.env.close()
        if self.user_created:
            raise H.HarnessError("user %s left behind: remove it with "
                                 "userdel" % self.user)

    def remove_user(self):
        """userdel of the user the walkthrough's useradd created (retried:
        other programs may hold the user database's locks a while)."""
        deadline = time.monotonic() + 180
        while True:
            try:
                r = subprocess.run(["userdel", self.user],
                                   capture_output=True, timeout=120)
                rc, out = r.returncode, r.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, out = None, "timed out"
            if rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        log("cleanup: userdel %s: status %s %s" % (self.user, rc, out.strip()))
        if rc == 0:
            self.user_created = False

    # -- the environment a root shell gives

    def shell_env(self):
        return {"PATH": ROOT_PATH, "HOME": pwd.getpwuid(0).pw_dir,
                "USER": "root", "LOGNAME": "root", "SHELL": "/bin/bash",
                "LANG": "C.UTF-8", "TERM": "dumb"}

    def sh(self, cmd, timeout=120, what=None):
        """Runs cmd with bash in the source copy; returns (status, output)."""
        r = subprocess.run(["/bin/bash", "-c", cmd], cwd=self.src,
                           env=self.shell_env(), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def show(self, readme, ran, note=None):
        log("README: " + readme.replace("\n", "\n        "))
        if note:
            log("  %s" % note)
        if ran is not None and ran != readme:
            log("ran:    " + ran.replace("\n", "\n        "))

    # -- the fresh machine

    def prepare(self):
        """T as a fresh Debian 12 with the packages of step 1 installed:
        nginx's configuration, /var/www/html, /etc/systemd/system, /run
        and /run/php (PHP-FPM's RuntimeDirectory=)."""
        for d in ("etc/nginx/snippets", "etc/nginx/sites-available",
                  "etc/nginx/sites-enabled", "etc/systemd/system",
                  "var/www/html", "var/log/nginx", "var/lib/nginx",
                  "run/php", "src"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        for f in ("fastcgi.conf", "fastcgi_params", "mime.types",
                  "snippets/fastcgi-php.conf", "sites-available/default"):
            src = os.path.join("/etc/nginx", f)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.root, "etc/nginx", f))
        os.symlink("../sites-available/default", os.path.join(
            self.root, "etc/nginx/sites-enabled/default"))
        sock = self.path("/run/xff-gateway/xff-gateway.sock")
        check(len(sock) < 100, "a Unix socket path under T fits: %s" % sock)
        log("temporary root T = %s: nginx's files from /etc/nginx, "
            "/var/www/html, /etc/systemd/system, /run/php" % self.root)
        # the source tree, as make dist ships it
        self.src = os.path.join(self.root, "src", "xff-gateway")
        menv = {k: v for k, v in os.environ.items()
                if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL",
                             "MAKEOVERRIDES", "GNUMAKEFLAGS")}
        r = subprocess.run(["make", "-s", "-C", H.BUILDDIR, "distdir",
                            "distdir=" + self.src], env=menv,
                           capture_output=True, timeout=300)
        eq(r.returncode, 0, "make distdir into %s (%s)" % (
            self.src, (r.stdout + r.stderr).decode("utf-8", "replace")[-2000:]))
        subprocess.run(["chmod", "-R", "u+w", self.src], check=True)
        log("source tree: make distdir distdir=%s" % self.src)
        log("substitutions: /etc /run /usr /var -> T/...; user %s -> %s"
            % (USER, self.user))

    def start_php_fpm(self):
        """PHP-FPM as the php8.2-fpm service runs it: Debian's pool www
        (listen, its owner, group and mode, user, group), mapped into T."""
        pools = sorted(glob.glob("/etc/php/*/fpm/pool.d/www.conf"))
        check(pools, "Debian's PHP-FPM pool /etc/php/*/fpm/pool.d/www.conf")
        pool = {}
        for line in H.read_text(pools[-1]).splitlines():
            m = re.match(r"^\s*([\w.]+)\s*=\s*(.*?)\s*$", line)
            if m:
                pool[m.group(1)] = m.group(2)
        sock = self.path(pool["listen"])
        conf = "\n".join([
            "[global]",
            "pid = " + self.path("/run/php/php-fpm.pid"),
            "error_log = " + self.path("/var/log/php-fpm.log"),
            "daemonize = no",
            "[www]",
            "user = " + pool.get("user", "www-data"),
            "group = " + pool.get("group", "www-data"),
            "listen = " + sock,
            "listen.owner = " + pool.get("listen.owner", "www-data"),
            "listen.group = " + pool.get("listen.group", "www-data"),
            "listen.mode = " + pool.get("listen.mode", "0660"),
            "pm = static",
            "pm.max_children = 2",
        ]) + "\n"
        cpath = self.env.write("php-fpm.conf", conf)
        p = self.env.start("php-fpm", [H.find_program("php-fpm8.2", "php-fpm"),
                                       "-F", "-y", cpath])
        self.env.wait_socket(p, sock)
        st = os.stat(sock)
        log("PHP-FPM (pool %s): %s, owner %s:%s mode %o" % (
            pools[-1], sock, pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)))

    # -- the commands

    def run(self, step, cmd):
        line = command_line(cmd)
        if line.startswith("apt-get "):
            return self.apt_get(cmd)
        if line in PID1:
            self.show(cmd, None, "not run: needs systemd as PID 1 (the "
                      "units run under systemd-socket-activate in "
                      "walkthrough_systemd)")
            self.skipped.append(line)
            return None
        if line in NGINX_STEPS:
            return self.nginx_step(cmd)
        check("systemctl" not in line and not line.startswith("nginx"),
              "a command this test knows how to stand in for", cmd)
        ran = self.map(cmd)
        if line.startswith("systemd-tmpfiles "):
            ran = ran.replace("systemd-tmpfiles ",
                              "systemd-tmpfiles --root=%s " % self.root, 1)
        self.show(cmd, ran)
        t0 = time.monotonic()
        rc, out = self.sh(ran, timeout=BUILD_TIMEOUT)
        tail = out.strip().splitlines()[-4:]
        for l in tail:
            log("  | " + l[:200])
        if time.monotonic() - t0 > 5:
            log("  (%.0f s)" % (time.monotonic() - t0))
        if line.startswith("useradd "):
            try:
                pwd.getpwnam(self.user)
                self.user_created = True
            except KeyError:
                pass
        eq(rc, 0, "exit status of %r (output %s)" % (ran, out[-3000:]))
        return out

    def apt_get(self, cmd):
        line = command_line(cmd)
        check(line.startswith("apt-get install "), "apt-get install", line)
        ran = cmd.replace("apt-get ", "apt-get --simulate ", 1)
        self.show(cmd, ran, "simulated: a test installs and upgrades "
                  "nothing; every package named must be installed")
        rc, out = self.sh(ran, timeout=300)
        eq(rc, 0, "apt-get --simulate status (%s)" % out[-2000:])
        pkgs = [w for w in shlex.split(line)[2:] if not w.startswith("-")]
        missing = []
        for p in pkgs:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                               capture_output=True, timeout=60)
            if r.stdout.decode() != "install ok installed":
                missing.append(p)
        eq(missing, [], "packages of the walkthrough not installed here")
        log("  installed: %s" % " ".join(pkgs))
        return out

    def nginx_step(self, cmd):
        line = command_line(cmd)
        conf = self.path("/etc/nginx/nginx.conf")
        nginx = H.find_program("nginx")
        args = [nginx, "-c", conf, "-p", self.path("/var/lib/nginx") + "/",
                "-e", self.path("/var/log/nginx/error.log")]
        if line == "nginx -t":
            self.write_nginx_conf()
            self.show(cmd, " ".join(args + ["-t"]),
                      "the test's nginx, with the walkthrough's site")
            r = subprocess.run(args + ["-t"], capture_output=True, timeout=60)
            eq(r.returncode, 0, "nginx -t (%s)" % r.stderr.decode(
                "utf-8", "replace"))
        else:
            self.show(cmd, " ".join(args), "not run: needs systemd as PID 1;"
                      " the test's nginx starts instead")
            p = self.env.start("nginx", args)
            p.log = self.path("/var/log/nginx/error.log")
            self.env.wait_socket(p, ("127.0.0.1", self.map.port))
            self.nginx = p
            self.skipped.append(line)
        return ""

    def write_nginx_conf(self):
        """nginx.conf in T/etc/nginx (Debian's user www-data) including the
        site the walkthrough wrote, its listen lines replaced."""
        self.map.port = H.free_port()
        site = self.path("/etc/nginx/sites-enabled/default")
        text = H.read_text(site)
        check("server" in text, "the walkthrough's site in %s" % site)
        out, n4 = [], 0
        for l in text.splitlines():
            if re.match(r"^\s*listen\s+80\b", l):
                new = re.sub(r"listen\s+80\b", "listen 127.0.0.1:%d"
                             % self.map.port, l)
                log("  site: %r -> %r" % (l.strip(), new.strip()))
                out.append(new)
                n4 += 1
            elif re.match(r"^\s*listen\s+\[::\]:80\b", l):
                log("  site: %r dropped (loopback IPv4 only)" % l.strip())
            else:
                out.append(l)
        eq(n4, 1, "listen 80 lines in the site")
        copy = self.path("/etc/nginx/walkthrough-site.conf")
        with open(copy, "w") as f:
            f.write("\n".join(out) + "\n")
        lib = self.path("/var/lib/nginx")
        conf = "\n".join([
            "user www-data;",
            "daemon off;",
            "master_process on;",
            "worker_processes 1;",
            "pid %s;" % self.path("/run/nginx.pid"),
            "error_log %s info;" % self.path("/var/log/nginx/error.log"),
            "events { worker_connections 64; }",
            "http {",
            "  include mime.types;",
            "  access_log %s;" % self.path("/var/log/nginx/access.log"),
            "  client_body_temp_path %s/body;" % lib,
            "  fastcgi_temp_path %s/fastcgi;" % lib,
            "  proxy_temp_path %s/proxy;" % lib,
            "  uwsgi_temp_path %s/uwsgi;" % lib,
            "  scgi_temp_path %s/scgi;" % lib,
            "  include %s;" % copy,
            "}",
        ]) + "\n"
        with open(self.path("/etc/nginx/nginx.conf"), "w") as f:
            f.write(conf)

    # -- checks

    def check_step5(self, outputs, gateway_pid):
        """The outputs of step 5's curl commands, and the log line."""
        seen = set()
        for cmd, out in outputs:
            if "X-Forwarded-For" in cmd:
                eq(out.strip(), CORRECTED, "PHP's REMOTE_ADDR and HTTPS "
                   "through nginx and the gateway")
                seen.add("corrected")
            elif "xff-status" in cmd:
                check(re.search(r"^xff_gateway_requests_total \d+$", out,
                                re.M) or "# HELP xff_gateway_" in out,
                      "the status page through nginx", out[:1000])
                seen.add("status")
            elif "-si" in cmd.split():
                eq(out.strip().split("\r\n")[0].strip(), REJECTED,
                   "a request without X-Forwarded-For (strict)")
                seen.add("rejected")
        eq(sorted(seen), ["corrected", "rejected", "status"],
           "checks found in step 5")
        if self.devlog.sock is None:
            log("  log line not checked: %s" % self.devlog.how)
            return
        rx = r"xff-gateway\[%d\]: .*missing_header" % gateway_pid
        got = self.devlog.receive(rx, H.WAIT)
        check(got, "a missing_header line in syslog from the gateway",
              *(self.devlog.lines[-5:] or ["(nothing received)"]))
        log("  syslog: %s" % got.strip()[:200])


# ------------------------------------------------------------ scenarios

TESTS, scenario = H.scenarios()


@scenario
def readme_walkthrough_form(w):
    cmds = walkthrough()
    steps = sorted(set(s for s, _ in cmds))
    eq(steps, [1, 2, 3, 4, 5], "steps with commands")
    for step, cmd in cmds:
        line = command_line(cmd)
        words = line.split()
        check("sudo" not in words, "no sudo in the commands (root shell or "
              "sudo in front, as the section says)", cmd)
        bare = re.sub(r"'[^']*'|\"[^\"]*\"", "''", line)
        bare = re.sub(r"<<-?\s*''", "", bare)
        for bad in ("&&", "||", ";", ">", "<", "`", "$("):
            check(bad not in bare, "one command per line, so that sudo in "
                  "front works: %r in" % bad, cmd)
        for seg in bare.split("|")[1:]:
            eq(seg.split()[0], "head", "a pipe into head only", cmd)
    section = "\n".join(walkthrough_text())
    for promise in ("`%s`" % CORRECTED, "`%s`" % REJECTED,
                    "`missing_header`", "as root", "`sudo`"):
        check(promise in section, "the walkthrough's prose says %s"
              % promise)
    log("    %d commands in %d steps" % (len(cmds), len(steps)))


@scenario
def walkthrough_spawn_fcgi(w):
    if os.geteuid() != 0:
        raise Skip("the walkthrough runs as root")
    try:
        pwd.getpwnam(w.user)
        raise Failure("user %s exists (an interrupted run?): userdel it"
                      % w.user)
    except KeyError:
        pass
    cmds = walkthrough()
    w.prepare()
    w.devlog = DevLog(w.env)
    log("log: " + w.devlog.how)
    spawn = None
    step5 = []
    for step, cmd in cmds:
        line = command_line(cmd)
        if step == 3 and line.startswith("systemd-tmpfiles "):
            check(not os.path.exists(w.path("/run/xff-gateway")),
                  "no T/run/xff-gateway before systemd-tmpfiles")
        if step == 3 and line.startswith("spawn-fcgi "):
            spawn = cmd
        out = w.run(step, cmd)
        if line.startswith("apt-get "):
            # Debian starts php8.2-fpm when the package is installed
            w.start_php_fpm()
        elif line == "make install":
            for f in ("/usr/sbin/xff-gateway", "/usr/bin/xff-cgi"):
                check(os.access(w.path(f), os.X_OK), "installed: T" + f)
            tmpf = w.path("/usr/lib/tmpfiles.d/xff-gateway.conf")
            eq(H.read_text(tmpf), H.read_text(os.path.join(
                H.SRCDIR, "etc", "xff-gateway.tmpfiles")),
               "installed tmpfiles.d entry %s" % tmpf)
        elif "-t" in line.split() and "xff-gateway" in line:
            check("configuration ok" in out, "xff-gateway -t on the "
                  "walkthrough's INI prints configuration ok", out)
        elif line.startswith("systemd-tmpfiles "):
            d = w.path("/run/xff-gateway")
            check(os.path.isdir(d), "systemd-tmpfiles created T/run/xff-gateway")
            eq("%o" % stat.S_IMODE(os.stat(d).st_mode), "755",
               "mode of T/run/xff-gateway")
        elif line.startswith("spawn-fcgi "):
            pidfile = w.path("/run/xff-gateway/xff-gateway.pid")
            check(wait_for(lambda: H.read_text(pidfile).strip().isdigit(),
                           timeout=H.WAIT), "spawn-fcgi's PID file %s"
                  % pidfile)
            w.gateway_pid = int(H.read_text(pidfile))
            sock = w.path("/run/xff-gateway/xff-gateway.sock")
            check(wait_for(lambda: H.fcgi_get_values(sock) or
                           pid_gone(w.gateway_pid), timeout=H.WAIT)
                  and not pid_gone(w.gateway_pid),
                  "the gateway answers on %s" % sock)
            eq(os.path.realpath("/proc/%d/exe" % w.gateway_pid),
               os.path.realpath(w.path("/usr/sbin/xff-gateway")),
               "the program spawn-fcgi started")
            uid, groups = proc_ids(w.gateway_pid)
            eq(uid, pwd.getpwnam(w.user).pw_uid, "the gateway's user")
            check(grp.getgrnam("www-data").gr_gid in groups,
                  "www-data among the gateway's groups (usermod)", groups)
            st = os.stat(sock)
            eq((grp.getgrgid(st.st_gid).gr_name,
                "%o" % stat.S_IMODE(st.st_mode)), ("www-data", "660"),
               "group and mode of the gateway's socket")
        elif step == 5 and line.startswith("curl "):
            step5.append((line, out))
            log("  -> %r" % out[:300])
    check(spawn is not None, "the spawn-fcgi command of step 3")
    log("not run (need systemd as PID 1): %s" % "; ".join(w.skipped))
    w.step5 = [c for s, c in cmds if s == 5]
    w.check_step5(step5, w.gateway_pid)
    w.done.add("spawn-fcgi")


@scenario
def walkthrough_systemd(w):
    if os.geteuid() != 0:
        raise Skip("the walkthrough runs as root")
    check("spawn-fcgi" in w.done, "walkthrough_spawn_fcgi passed first")
    # one gateway on the socket at a time: the spawn-fcgi one goes
    w.stop_pid(w.gateway_pid)
    w.gateway_pid = None
    sdir = w.path("/etc/systemd/system")
    socket_unit = unit(os.path.join(sdir, "xff-gateway.socket"))
    service = unit(os.path.join(sdir, "xff-gateway.service"))
    listen = w.path(unit_value(socket_unit, "Socket", "ListenStream", ""))
    eq(listen, w.path("/run/xff-gateway/xff-gateway.sock"),
       "ListenStream= of the installed socket unit, mapped")
    exec_start = unit_value(service, "Service", "ExecStart", "")
    argv = shlex.split(w.path(exec_start))
    eq(argv[0], w.path("/usr/sbin/xff-gateway"), "ExecStart= program, mapped")
    # systemd replaces a stale socket file when it binds
    if os.path.lexists(listen):
        os.unlink(listen)
    prefix = []
    if unit_value(service, "Service", "DynamicUser") == "yes":
        groups = unit_value(service, "Service", "SupplementaryGroups", "")
        prefix = [H.find_program("setpriv"), "--reuid=nobody",
                  "--regid=nogroup",
                  "--groups=" + ",".join(groups.split()) if groups
                  else "--clear-groups", "--"]
    act = [H.find_program("systemd-socket-activate"), "-l", listen, "--"]
    log("ExecStart=%s, ListenStream=%s (installed units, mapped)" % (
        exec_start, listen))
    log("ran:    " + " ".join(act + prefix + argv))
    p = w.env.start("gateway-activated", act + prefix + argv)
    check(wait_for(lambda: os.path.exists(listen) or not p.alive(),
                   timeout=H.WAIT), "systemd-socket-activate binds %s"
          % listen, p.log_text()[-2000:])
    # what systemd does with SocketUser=, SocketGroup=, SocketMode=
    owner = unit_value(socket_unit, "Socket", "SocketUser", "root")
    group = unit_value(socket_unit, "Socket", "SocketGroup", "root")
    mode = unit_value(socket_unit, "Socket", "SocketMode", "0666")
    os.chown(listen, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    os.chmod(listen, int(mode, 8))
    log("socket: SocketUser=%s SocketGroup=%s SocketMode=%s applied"
        % (owner, group, mode))
    check(wait_for(lambda: H.fcgi_get_values(listen) or not p.alive(),
                   timeout=H.WAIT) and p.alive(),
          "the activated gateway answers", p.log_text()[-2000:])
    eq(os.path.realpath("/proc/%d/exe" % p.pid),
       os.path.realpath(argv[0]), "the activated program")
    outputs = []
    for cmd in w.step5:
        out = w.run(5, cmd)
        line = command_line(cmd)
        if line.startswith("curl "):
            outputs.append((line, out))
            log("  -> %r" % out[:300])
    w.check_step5(outputs, p.pid)
    eq(w.env.stop(p, timeout=15.0), 0, "the gateway's exit status on "
       "SIGTERM (systemctl stop)")


def main(argv):
    if os.geteuid() == 0 and os.path.lexists(DEVLOG) and \
            os.environ.get(NS_FLAG) is None:
        # the gateway logs to syslog: keep its lines out of the system's
        # log, in a mount namespace of our own (same PID: unshare execs)
        unshare = shutil.which("unshare")
        if unshare and subprocess.run(
                [unshare, "--mount", "--", "true"], capture_output=True,
                timeout=30).returncode == 0:
            os.environ[NS_FLAG] = "1"
            os.execv(unshare, [unshare, "--mount", "--propagation",
                               "private", "--", sys.executable,
                               os.path.abspath(__file__)] + argv[1:])
        os.environ[NS_FLAG] = "0"
    os.umask(0o022)
    set_subreaper()
    return H.run_scenarios(argv, TESTS, Walk)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
