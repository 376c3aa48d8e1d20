"""Process and network helpers for the xff-gateway integration tests.

Everything runs in a private temporary directory, listens only on
127.0.0.1 or on Unix sockets inside that directory, and every process
started here is stopped by its PID when the Env is closed, whatever
happened before.  Every wait and every request has a timeout, so a broken
gateway makes the suite fail, never hang.
"""
import hashlib
import http.client
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# Resolved: make distcheck passes paths like _build/sub/../.., and PHP-FPM
# refuses a SCRIPT_FILENAME holding "..".
SRCDIR = os.path.realpath(os.environ.get("abs_top_srcdir") or
                          os.path.dirname(os.path.dirname(HERE)))
BUILDDIR = os.path.realpath(os.environ.get("abs_top_builddir") or SRCDIR)

GATEWAY = os.path.join(BUILDDIR, "gateway", "xff-gateway")
ECHO_APP = os.path.join(BUILDDIR, "tests", "echo-app")
PHP_INDEX = os.path.join(SRCDIR, "tests", "integration", "backend-php", "index.php")
WSGI_APP = os.path.join(SRCDIR, "tests", "integration", "backend-wsgi", "app.py")
NGINX_SNIPPET = os.path.join(SRCDIR, "etc", "nginx-xff-gateway.conf")
SPAWN_EXAMPLE = os.path.join(SRCDIR, "etc", "spawn-fcgi.example")

# The paths the shipped examples use; tests replace them with their own.
RUN_DIR = "/run/xff-gateway"
EXAMPLE_SOCK = RUN_DIR + "/xff-gateway.sock"

# XFF_TEST_VALGRIND=1 runs every gateway started with spawn_command (so
# Env.gateway too) under valgrind; stopping it then checks valgrind's log.
VALGRIND = os.environ.get("XFF_TEST_VALGRIND", "") == "1"
VALGRIND_STOP = 60.0   # seconds for a gateway under valgrind to exit
VALGRIND_SUPP = os.path.join(HERE, "valgrind.supp")  # libfcgi's own errors

# A gateway log line on stderr (not the journal) or in a log file starts
# with an ISO 8601 local time stamp and its offset, then the program and
# its PID: "2026-12-04T22:39:30+0000 xff-gateway[123]: info ...".
STAMP_RX = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"
LOG_LINE_RX = STAMP_RX + r" xff-gateway\[\d+\]: "

WAIT = 60.0 if VALGRIND else 10.0   # seconds for a process or socket to come up
REQUEST_TIMEOUT = 30.0


class HarnessError(Exception):
    pass


# ------------------------------------------------------------ scenarios

class Failure(Exception):
    """A scenario's expectation that did not hold."""


class Skip(Exception):
    """A scenario that cannot run here; the message says why."""


def check(cond, what, *detail):
    """Failure(what, then each detail on its own line) unless cond."""
    if not cond:
        raise Failure(what + "".join("\n    " + str(d) for d in detail))


def eq(got, want, what, *detail):
    """Failure unless got == want, naming both."""
    if got != want:
        raise Failure("%s: expected %r, got %r" % (what, want, got)
                      + "".join("\n    " + str(d) for d in detail))


def wait_for(cond, timeout=5.0, step=0.05):
    """Polls cond every step seconds for at most timeout seconds; returns
    its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def drop_to():
    """Started as root, the gateway wants an unprivileged user to drop to:
    {"user": "nobody", "group": its group}, else {} (not root, or no user
    nobody)."""
    if os.geteuid() != 0:
        return {}
    import grp
    import pwd
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        return {}
    return {"user": "nobody", "group": grp.getgrgid(pw.pw_gid).gr_name}


def ini_text(sections):
    """INI text from (section name, {key: value}) pairs, in order; a key
    whose value is None is left out."""
    out = []
    for name, sect in sections:
        out.append("[%s]" % name)
        for k, v in sect.items():
            if v is not None:
                out.append("%s = %s" % (k, v))
        out.append("")
    return "\n".join(out)


def scenarios():
    """A list of scenarios and the decorator that appends to it."""
    tests = []

    def scenario(fn):
        tests.append(fn)
        return fn
    return tests, scenario


def run_scenarios(argv, tests, make_ctx, timed=False):
    """Runs the scenarios named in argv[1:] (all when none) with the
    context make_ctx() returns, closed at the end whatever happens.
    Prints "ok NAME", "skip NAME: WHY" or "FAIL NAME" with the details
    for each, then "N passed, M failed" (and the time taken when timed).
    Returns the exit status: 0, 1 on any failure, 2 for an unknown name."""
    names = set(argv[1:])
    selected = [t for t in tests if not names or t.__name__ in names]
    unknown = names - set(t.__name__ for t in tests)
    if unknown:
        print("unknown scenario: %s" % ", ".join(sorted(unknown)))
        return 2
    for prog in (GATEWAY, ECHO_APP):
        if not os.access(prog, os.X_OK):
            print("FAIL setup: %s not built" % prog)
            return 1
    passed = failed = 0
    ctx = make_ctx()
    t_all = time.monotonic()
    try:
        for t in selected:
            t0 = time.monotonic()
            try:
                t(ctx)
            except Skip as e:
                print("skip %s: %s" % (t.__name__, e))
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
        ctx.close()
    if timed:
        print("%d passed, %d failed (%.0f s)" % (passed, failed,
                                                 time.monotonic() - t_all))
    else:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def valgrind_argv(log):
    """The valgrind command a gateway runs under, reporting to log: any
    error, or a definite or indirect leak, makes it exit with 99."""
    return [find_program("valgrind"), "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--num-callers=30",
            "--error-exitcode=99", "--vgdb=no",
            "--suppressions=" + VALGRIND_SUPP, "--log-file=" + log]


def valgrind_log_of(argv):
    """The --log-file of a valgrind command line in argv, else None."""
    for i, a in enumerate(argv):
        if os.path.basename(a) == "valgrind":
            for b in argv[i + 1:]:
                if b.startswith("--log-file="):
                    return b[len("--log-file="):]
                if not b.startswith("-"):
                    break
    return None


def check_valgrind(name, log, status):
    """HarnessError unless valgrind's log shows no error and no definite
    leak (a process killed before valgrind's summary also fails)."""
    text = read_text(log)
    problems = []
    if "ERROR SUMMARY: 0 errors" not in text:
        problems.append("no \"ERROR SUMMARY: 0 errors\"")
    m = re.search(r"definitely lost: ([\d,]+) bytes", text)
    if m and m.group(1) != "0":
        problems.append("definitely lost: %s bytes" % m.group(1))
    if status == 99:
        problems.append("valgrind exit status 99")
    if problems:
        raise HarnessError("valgrind: %s (exit status %s): %s; log %s:\n%s"
                           % (name, status, ", ".join(problems), log,
                              text[-12000:]))


def raise_nofile(n):
    """Raises this process's soft RLIMIT_NOFILE (inherited by what it
    starts) to n when it is lower and the hard limit allows it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n and (hard == resource.RLIM_INFINITY or hard >= n):
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def find_program(*names):
    """First of names found in PATH or /usr/sbin, else HarnessError."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    raise HarnessError("program not found: %s" % " or ".join(names))


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def render(template, values):
    """Replaces @NAME@ in template; an unknown @NAME@ is an error."""
    def sub(m):
        if m.group(1) not in values:
            raise HarnessError("template: no value for @%s@" % m.group(1))
        return str(values[m.group(1)])
    return re.sub(r"@([A-Z_][A-Z0-9_]*)@", sub, template)


def read_text(path, limit=1 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def can_connect(addr):
    """addr: a Unix socket path or a (host, port) tuple."""
    if isinstance(addr, tuple):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(addr)
        return True
    except OSError:
        return False
    finally:
        s.close()


def fcgi_get_values(sock, timeout=1.0):
    """Sends FCGI_GET_VALUES on a Unix socket; True when a
    FCGI_GET_VALUES_RESULT record comes back."""
    name = b"FCGI_MPXS_CONNS"
    body = bytes([len(name), 0]) + name
    pad = (8 - len(body) % 8) % 8
    rec = bytes([1, 9, 0, 0, len(body) >> 8, len(body) & 0xff, pad, 0]) \
        + body + b"\0" * pad
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(rec)
        head = b""
        while len(head) < 8:
            d = s.recv(8 - len(head))
            if not d:
                return False
            head += d
        return head[0] == 1 and head[1] == 10
    except OSError:
        return False
    finally:
        s.close()


def _fcgi_record(rtype, body):
    pad = (8 - len(body) % 8) % 8
    return bytes([1, rtype, 0, 1, len(body) >> 8, len(body) & 0xff, pad, 0]) \
        + body + b"\0" * pad


def _fcgi_len(n):
    return bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(4, "big")


class FcgiAnswer:
    """The records of one FastCGI answer: stdout and stderr bytes, the
    END_REQUEST body (None when the connection closed without one)."""

    def __init__(self):
        self.stdout = b""
        self.stderr = b""
        self.end = None
        self.app_status = None
        self.protocol_status = None
        self.timed_out = False


def fcgi_request(sock, params, stdin=b"", timeout=REQUEST_TIMEOUT):
    """One FastCGI request (id 1, no keep-alive) on a Unix socket, as a
    raw client: params in the given order (a list of pairs may repeat a
    name), stdin sent in records of at most 32 kB."""
    pairs = params.items() if isinstance(params, dict) else params
    body = b"".join(_fcgi_len(len(k.encode())) + _fcgi_len(len(v.encode()))
                    + k.encode() + v.encode() for k, v in pairs)
    out = [_fcgi_record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0]))]
    for i in range(0, len(body), 65535):
        out.append(_fcgi_record(4, body[i:i + 65535]))
    out.append(_fcgi_record(4, b""))
    for i in range(0, len(stdin), 32768):
        out.append(_fcgi_record(5, stdin[i:i + 32768]))
    out.append(_fcgi_record(5, b""))
    ans = FcgiAnswer()
    data, ans.timed_out = fcgi_exchange(sock, b"".join(out), timeout)
    return parse_answer(data, ans)


def fcgi_exchange(sock, raw, timeout, tolerant=False, source=None):
    """Sends the bytes raw on a new connection to sock (a Unix socket path,
    or a (host, port) tuple for TCP, from the address source when given)
    and reads until the peer closes it or timeout seconds pass between two
    reads.  Returns (the bytes read, True when the time ran out).  With
    tolerant, a socket error ends the exchange like a close does."""
    if isinstance(sock, tuple):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source is not None:
            s.bind((source, 0))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    timed_out = False
    try:
        s.connect(sock)
        s.sendall(raw)
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        timed_out = True
    except OSError:
        if not tolerant:
            raise
    finally:
        s.close()
    return data, timed_out


def parse_answer(data, ans=None):
    """The STDOUT, STDERR and END_REQUEST records in the bytes data, added
    to ans (a new FcgiAnswer when None); returns ans."""
    if ans is None:
        ans = FcgiAnswer()
    i = 0
    while i + 8 <= len(data):
        rtype = data[i + 1]
        clen = (data[i + 4] << 8) | data[i + 5]
        content = data[i + 8:i + 8 + clen]
        if rtype == 6:
            ans.stdout += content
        elif rtype == 7:
            ans.stderr += content
        elif rtype == 3 and len(content) >= 5:
            ans.end = content
            ans.app_status = int.from_bytes(content[:4], "big")
            ans.protocol_status = content[4]
        i += 8 + clen + data[i + 6]
    return ans


def unix_connections(path):
    """Connected sockets on the server side of the Unix socket path (from
    /proc/net/unix: accepted sockets carry the listener's path)."""
    n = 0
    for line in read_text("/proc/net/unix").splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[7] == path and f[5] == "03":
            n += 1
    return n


def children(pid):
    """PIDs of the direct children of pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        stat = read_text("/proc/%s/stat" % d)
        # the command name may hold spaces: the fields follow its ")"
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(d))
    return out


def pwd_uid(name):
    import pwd
    return pwd.getpwnam(name).pw_uid


def proc_status(pid, field):
    """A field of /proc/PID/status in kB (VmHWM, VmRSS), or None."""
    text = read_text("/proc/%d/status" % pid)
    m = re.search(r"^%s:\s+(\d+)\s+kB" % re.escape(field), text, re.M)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------ nginx snippet

def _blocks(text):
    """Top-level `head { body }` blocks of an nginx file, comments removed,
    as a list of (head, body); nested blocks stay inside the body."""
    lines = [re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines()]
    text = "\n".join(lines)
    out = []
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            break
        head = text[i:start].strip().split(";")[-1].strip()
        depth = 0
        j = start
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth != 0:
            raise HarnessError("unbalanced braces in nginx snippet")
        out.append((head, text[start + 1:j]))
        i = j + 1
    return out


class NginxSnippet:
    """etc/nginx-xff-gateway.conf, read as the tests use it: the upstream
    block and the location blocks, with the example socket path replaced.
    Tests build their server from these pieces, so the shipped example is
    exercised as written."""

    def __init__(self, sock, path=NGINX_SNIPPET):
        text = read_text(path)
        if not text:
            raise HarnessError("cannot read %s" % path)
        if EXAMPLE_SOCK not in text:
            raise HarnessError("%s does not name %s" % (path, EXAMPLE_SOCK))
        text = text.replace(EXAMPLE_SOCK, sock)
        self.upstreams = {}
        self.locations = {}
        for head, body in _blocks(text):
            words = head.split()
            if words and words[0] == "upstream":
                self.upstreams[words[1]] = body
            elif words and words[0] == "server":
                for h, b in _blocks(body):
                    w = h.split()
                    if w and w[0] == "location":
                        self.locations[w[-1]] = b
        if not self.upstreams or len(self.locations) < 2:
            raise HarnessError("%s: expected an upstream block and two "
                               "locations" % path)

    def plain(self):
        """Body of the location that opens one connection per request."""
        for body in self.locations.values():
            if "fastcgi_keep_conn" not in body:
                return body
        raise HarnessError("no plain location in the nginx snippet")

    def keepalive(self):
        """(upstream name, upstream body, location body) of the keep-alive
        variant."""
        for body in self.locations.values():
            if "fastcgi_keep_conn" in body:
                m = re.search(r"fastcgi_pass\s+([A-Za-z0-9_]+)\s*;", body)
                if not m or m.group(1) not in self.upstreams:
                    raise HarnessError("keep-alive location does not pass to "
                                       "an upstream of the snippet")
                return m.group(1), self.upstreams[m.group(1)], body
        raise HarnessError("no keep-alive location in the nginx snippet")


def location(path, body, extra=""):
    """An nginx location block: the snippet's body plus extra directives."""
    return "location %s {\n%s\n%s\n}\n" % (path, body.strip(), extra)


# ------------------------------------------------------------ environment

class Proc:
    def __init__(self, name, popen, log):
        self.name = name
        self.popen = popen
        self.pid = popen.pid
        self.log = log
        self.vglog = None     # valgrind's log when run under valgrind

    def alive(self):
        return self.popen.poll() is None

    def log_text(self):
        return read_text(self.log) if self.log else ""


class Stopper:
    """Processes and in-process servers a scenario started, stopped by
    PID (or by their stop()) on exit, failure or not."""

    def __init__(self, env):
        self.env = env
        self.items = []

    def add(self, x):
        self.items.append(x)
        return x

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        verdict = None
        for x in reversed(self.items):
            try:
                if isinstance(x, Proc):
                    self.env.stop(x)
                else:
                    x.stop()
            except HarnessError as e:
                # valgrind's verdict on a stopped gateway fails the scenario
                sys.stderr.write("stopping: %s\n" % e)
                verdict = verdict or e
            except Exception as e:
                sys.stderr.write("stopping: %r\n" % e)
        if verdict is not None and exc[0] is None:
            raise verdict
        return False


class Env:
    """A temporary directory and the processes started in it."""

    def __init__(self, name="xffgw"):
        self.dir = tempfile.mkdtemp(prefix=name + "-")
        os.chmod(self.dir, 0o755)
        self.procs = []
        self.is_root = os.geteuid() == 0

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    # -- processes

    def start(self, name, argv, log=None, env=None, cwd=None):
        """Starts argv in the background, stdout and stderr to log."""
        if log is None:
            log = self.path(name + ".log")
        out = open(log, "ab")
        try:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     env=env, cwd=cwd or self.dir,
                                     start_new_session=True)
        finally:
            out.close()
        p = Proc(name, popen, log)
        p.vglog = valgrind_log_of(argv)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5.0):
        """Stops p by its PID (SIGKILL after timeout); returns its exit
        status.  A process under valgrind gets VALGRIND_STOP seconds at
        least, and its valgrind log is checked (HarnessError)."""
        if p.vglog:
            timeout = max(timeout, VALGRIND_STOP)
        if p.alive():
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                # A master killed outright leaves its workers behind:
                # those go first, by their PIDs.
                for pid in children(p.pid) + [p.pid]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                p.popen.wait(5)
        if p in self.procs:
            self.procs.remove(p)
        if p.vglog:
            log, p.vglog = p.vglog, None
            check_valgrind(p.name, log, p.popen.returncode)
        return p.popen.returncode

    def close(self):
        for p in list(reversed(self.procs)):
            try:
                self.stop(p, timeout=3.0)
            except Exception as e:    # keep stopping the others
                sys.stderr.write("stopping %s (pid %d): %s\n" % (p.name, p.pid, e))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def wait_socket(self, p, addr, timeout=WAIT):
        """Waits until addr accepts connections while p is alive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not p.alive():
                raise HarnessError("%s exited with status %s before listening;"
                                   " log:\n%s" % (p.name, p.popen.returncode,
                                                 p.log_text()[-3000:]))
            if can_connect(addr):
                return
            time.sleep(0.05)
        raise HarnessError("%s: %r not accepting after %.0f s; log:\n%s"
                           % (p.name, addr, timeout, p.log_text()[-3000:]))

    # -- backends

    def echo_app(self, name="echo", threads=None):
        """tests/echo-app under spawn-fcgi on a Unix socket."""
        sock = self.path(name + ".sock")
        argv = [find_program("spawn-fcgi"), "-n", "-s", sock, "-M", "0666",
                "--", ECHO_APP]
        if threads:
            argv.append(str(threads))
        p = self.start(name, argv)
        self.wait_socket(p, sock)
        return p, sock

    def php_fpm(self, name="php", children=8, pm="static"):
        """php-fpm with a private pool on a Unix socket: children static
        workers, or with pm="dynamic" one at the start and up to
        children."""
        sock = self.path(name + ".sock")
        conf = [
            "[global]",
            "pid = %s" % self.path(name + "-fpm.pid"),
            "error_log = %s" % self.path(name + ".log"),
            "daemonize = no",
            "[xfftest]",
            "listen = %s" % sock,
            "listen.mode = 0666",
            "pm = %s" % pm,
            "pm.max_children = %d" % children,
        ]
        if pm == "dynamic":
            conf += ["pm.start_servers = 1", "pm.min_spare_servers = 1",
                     "pm.max_spare_servers = %d" % children]
        conf += [
            "catch_workers_output = yes",
            "clear_env = yes",
        ]
        if self.is_root:
            conf += ["user = root", "group = root"]
        cpath = self.write(name + "-fpm.conf", "\n".join(conf) + "\n")
        argv = [find_program("php-fpm8.2", "php-fpm"), "-F", "-y", cpath]
        if self.is_root:
            argv.append("-R")
        p = self.start(name, argv, log=self.path(name + "-stdout.log"))
        p.log = self.path(name + ".log")
        self.wait_socket(p, sock)
        return p, sock

    def uwsgi(self, name="wsgi"):
        """uWSGI serving backend-wsgi/app.py on a FastCGI Unix socket."""
        sock = self.path(name + ".sock")
        argv = [find_program("uwsgi"), "--plugin", "python3",
                "--fastcgi-socket", sock, "--chmod-socket=666",
                "--wsgi-file", WSGI_APP, "--processes", "2",
                "--master", "--die-on-term", "--need-app",
                "--disable-logging"]
        p = self.start(name, argv)
        self.wait_socket(p, sock)
        return p, sock

    # -- the gateway

    def spawn_command(self, sock, ini):
        """etc/spawn-fcgi.example with the test's paths: the socket and the
        INI replaced, the binary taken from the build tree, -n added so
        that spawn-fcgi execs the gateway in place (the PID is the
        gateway's and its stderr reaches the log), and the options that
        only make sense for a system service (-P, -u, -g, -U, -G) left
        out."""
        text = read_text(SPAWN_EXAMPLE)
        lines = [l for l in text.splitlines()
                 if l.strip() and not l.lstrip().startswith("#")]
        cmd = " ".join(l.rstrip("\\").strip() for l in lines)
        argv = shlex.split(cmd)
        if not argv or os.path.basename(argv[0]) != "spawn-fcgi" \
                or "--" not in argv:
            raise HarnessError("%s: no spawn-fcgi ... -- command" % SPAWN_EXAMPLE)
        sep = argv.index("--")
        opts, app = argv[1:sep], argv[sep + 1:]
        out = [find_program("spawn-fcgi"), "-n"]
        i = 0
        while i < len(opts):
            o = opts[i]
            if o in ("-P", "-u", "-g", "-U", "-G"):
                i += 2
                continue
            if o == "-s":
                if opts[i + 1] != EXAMPLE_SOCK:
                    raise HarnessError("%s: socket is not %s" % (SPAWN_EXAMPLE,
                                                                  EXAMPLE_SOCK))
                out += ["-s", sock]
                i += 2
                continue
            out.append(o)
            i += 1
        if os.path.basename(app[0]) != "xff-gateway" or "-c" not in app:
            raise HarnessError("%s: expected xff-gateway -c FILE" % SPAWN_EXAMPLE)
        app = list(app)
        app[0] = GATEWAY
        app[app.index("-c") + 1] = ini
        if VALGRIND:
            # spawn-fcgi -n execs valgrind, which runs the gateway: the
            # PID stays the one the tests stop
            base = sock[:-5] if sock.endswith(".sock") else sock
            app = valgrind_argv(base + ".valgrind.log") + app
        return out + ["--"] + app

    def gateway(self, ini_text, name="gateway", prefix=(),
                error=HarnessError, env=None):
        """The gateway under spawn-fcgi (the etc/ example command line),
        with an optional command prefix (prlimit) and env (a dict of
        variables added to the environment).  spawn-fcgi binds the socket
        before the gateway runs, so readiness is a FastCGI answer from the
        gateway itself (FCGI_GET_VALUES)."""
        return self.fcgi_app(
            name, ini_text,
            lambda sock, ini: list(prefix) + self.spawn_command(sock, ini),
            error, env)

    def fcgi_app(self, name, ini_text, command, error=HarnessError,
                 env=None):
        """Starts command(socket path, INI path) with ini_text written to
        the INI and env (a dict) added to the environment; ready when a
        FastCGI answer (FCGI_GET_VALUES) comes on the socket.  error (an
        exception class) when the process exits first or WAIT seconds
        pass.  The Proc gets .sock and .ini."""
        sock = self.path(name + ".sock")
        ini = self.write(name + ".ini", ini_text)
        p = self.start(name, command(sock, ini), env=with_env(env))
        deadline = time.monotonic() + WAIT
        while not fcgi_get_values(sock):
            if not p.alive():
                raise error("%s exited with status %s; log:\n%s" % (
                    name, p.popen.returncode, p.log_text()[-3000:]))
            if time.monotonic() > deadline:
                raise error("%s: no FastCGI answer on %s after %.0f s;"
                            " log:\n%s" % (name, sock, WAIT,
                                           p.log_text()[-3000:]))
            time.sleep(0.05)
        p.sock = sock
        p.ini = ini
        return p

    def gateway_bound(self, ini_text, name="gateway", error=HarnessError,
                      env=None):
        """The gateway run alone, binding the listen = of ini_text itself
        (a TCP address too), with env (a dict) added to the environment.
        Ready when it logs "started:" (the INI's log level must be info
        or debug, target stderr): no connection is made, so a listener
        that refuses this host is not probed.  error (an exception
        class) when it exits first or WAIT seconds pass.  The Proc gets
        .ini."""
        ini = self.write(name + ".ini", ini_text)
        argv = [GATEWAY, "-c", ini]
        if VALGRIND:
            argv = valgrind_argv(self.path(name + ".valgrind.log")) + argv
        p = self.start(name, argv, env=with_env(env))
        started = re.compile(LOG_LINE_RX + r"info started: ", re.M)
        deadline = time.monotonic() + WAIT
        while not started.search(p.log_text()):
            if not p.alive():
                raise error("%s exited with status %s; log:\n%s" % (
                    name, p.popen.returncode, p.log_text()[-3000:]))
            if time.monotonic() > deadline:
                raise error("%s: not started after %.0f s; log:\n%s" % (
                    name, WAIT, p.log_text()[-3000:]))
            time.sleep(0.05)
        p.ini = ini
        return p

    # -- nginx

    def nginx(self, servers, upstreams="", name="nginx", workers=1,
              connections=256):
        """nginx in the foreground on the given server blocks;
        connections: worker_connections per worker."""
        prefix = self.path(name)
        os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
        shutil.copy(find_fastcgi_params(), os.path.join(prefix, "fastcgi_params"))
        conf = [
            "user root;" if self.is_root else "",
            "daemon off;",
            "master_process on;",
            "worker_processes %d;" % workers,
            "pid %s/nginx.pid;" % prefix,
            "error_log %s/logs/error.log info;" % prefix,
            "events { worker_connections %d; }" % connections,
            "http {",
            "  access_log %s/logs/access.log;" % prefix,
            "  client_body_temp_path %s/body;" % prefix,
            "  fastcgi_temp_path %s/fastcgi;" % prefix,
            "  proxy_temp_path %s/proxy;" % prefix,
            "  uwsgi_temp_path %s/uwsgi;" % prefix,
            "  scgi_temp_path %s/scgi;" % prefix,
            "  client_max_body_size 200m;",
            upstreams,
            servers,
            "}",
        ]
        cpath = os.path.join(prefix, "nginx.conf")
        with open(cpath, "w") as f:
            f.write("\n".join(conf) + "\n")
        nginx = find_program("nginx")
        t = subprocess.run([nginx, "-t", "-p", prefix, "-c", cpath, "-e",
                            prefix + "/logs/error.log"], capture_output=True,
                           timeout=WAIT)
        if t.returncode != 0:
            raise HarnessError("nginx -t failed:\n%s\n%s" % (
                t.stderr.decode("utf-8", "replace"), "\n".join(conf)))
        p = self.start(name, [nginx, "-p", prefix, "-c", cpath, "-e",
                              prefix + "/logs/error.log"])
        p.log = prefix + "/logs/error.log"
        return p


def with_env(extra):
    """The environment of a child: this one with the dict extra added, or
    None (inherit) when extra is None."""
    if extra is None:
        return None
    env = dict(os.environ)
    env.update(extra)
    return env


def find_fastcgi_params():
    for p in ("/etc/nginx/fastcgi_params", "/usr/local/etc/nginx/fastcgi_params"):
        if os.path.exists(p):
            return p
    raise HarnessError("nginx fastcgi_params not found")


def server_block(port, locations, extra=""):
    return ("server {\n  listen 127.0.0.1:%d;\n  server_name localhost;\n"
            "%s\n%s\n}\n" % (port, extra, "".join(locations)))


# ------------------------------------------------------------ clients

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            raise HarnessError("not JSON (status %d): %r" % (self.status,
                                                              self.body[:500]))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def request(port, path, headers=(), method="GET", body=None,
            timeout=REQUEST_TIMEOUT, conn=None, response=Response):
    """One HTTP request with http.client; headers is a list of (name,
    value) pairs, sent in order, repeated names as separate lines.  The
    answer is a response (Response or a subclass)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            conn.send(body)
        r = conn.getresponse()
        data = r.read()
        return response(r.status, r.getheaders(), data)
    finally:
        if own:
            conn.close()


def curl(args, timeout=REQUEST_TIMEOUT):
    """Runs curl; returns (status code, body bytes).  The status comes from
    --write-out on stderr's last line."""
    argv = [find_program("curl"), "-sS", "--max-time", str(int(timeout)),
            "-o", "-", "-w", "\n%{http_code}"] + list(args)
    r = subprocess.run(argv, capture_output=True, timeout=timeout + 5)
    out = r.stdout
    k = out.rfind(b"\n")
    code = int(out[k + 1:] or b"0")
    return code, out[:k], r.returncode, r.stderr.decode("utf-8", "replace")


def cgi_fcgi(sock, params, stdin=b"", timeout=REQUEST_TIMEOUT):
    """A direct FastCGI request with cgi-fcgi; returns the raw CGI answer."""
    env = dict(params)
    env["CONTENT_LENGTH"] = str(len(stdin))
    r = subprocess.run([find_program("cgi-fcgi"), "-bind", "-connect", sock],
                       input=stdin, env=env, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr
