#!/usr/bin/env python3
"""The Debian package, from the distribution tarball to a corrected
request and back to a clean machine.  Run as root on Debian 12:

    python3 tests/package/check-deb.py xff-gateway-VERSION.tar.gz

(`make check-deb` makes the tarball and runs this).  Steps, each printed
as "ok STEP (N s)" or "FAIL STEP" with the evidence:

* tools: debhelper, dh-autoreconf, dpkg-dev, fakeroot and lintian are
  installed when missing, and the Build-Depends of debian/control (apt-get
  build-dep) when dpkg-checkbuilddeps finds some missing.
* build: the tarball unpacked in a temporary directory, then
  `dpkg-buildpackage -us -uc -b` makes xff-gateway_VERSION_ARCH.deb, its
  version that of the tarball.
* lintian: no error (warnings and notes are printed).
* install: README's `apt-get install ./xff-gateway_*.deb`; the package
  holds the programs, the three man pages, the conffiles
  /etc/xff-gateway/xff-gateway.ini and cloudflare.list, the units and the
  templates, the tmpfiles.d and sysusers.d entries and the examples; the
  user and group xff-gateway exist (the user in www-data);
  /run/xff-gateway exists; nothing runs and nothing is enabled.
* conffile: `xff-gateway -t` (the compiled-in default path) and `-c
  /etc/xff-gateway/xff-gateway.ini -t` say "configuration ok"; the daemon
  refuses to start, naming [gateway] backend; the man page names the
  packaged path.
* cloudflare: an INI in /etc/xff-gateway naming `proxies_file =
  cloudflare.list` (relative) loads every range of the installed list
  (-T).
* instances: README's /etc/xff-gateway/php.ini and app.ini, their -t, and
  README's `systemctl enable --now xff-gateway@php.socket
  xff-gateway@app.socket` (with systemd as PID 1; otherwise each instance
  runs as the templates say, under systemd-socket-activate on
  /run/xff-gateway/NAME.sock, as the user xff-gateway with its groups), in
  front of the system's PHP-FPM (/run/php/php8.2-fpm.sock) and of uWSGI
  run with the packaged uwsgi-app.ini (/run/uwsgi-app/app.sock); nginx
  with README's two locations: PHP and the WSGI app both see the client
  of X-Forwarded-For and https; both gateways run as xff-gateway.
* remove: the programs go, /etc/xff-gateway/xff-gateway.ini and the user
  stay, no gateway is left running.
* purge: the package's files in /etc/xff-gateway, the tmpfiles.d entry
  and /run/xff-gateway go; an INI file the administrator wrote and the
  system user stay (Debian keeps both); dpkg no longer knows the package.

Whatever happens, every process started is stopped by its PID, the files
written are removed, the package is purged if it is still installed, and
the temporary directory goes.  Nothing leaves the machine: nginx listens
on 127.0.0.1, every other socket is a Unix socket.  Exit status 0 when
every step passed.
"""
import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
import harness as H  # noqa: E402
from harness import Failure, check, eq, wait_for  # noqa: E402
from test_ops import parse_unit, unit_values  # noqa: E402

PKG = "xff-gateway"
README = os.path.join(SRCDIR, "README.md")
TOOLS = ["debhelper", "dh-autoreconf", "dpkg-dev", "fakeroot", "lintian"]
ETC = "/etc/xff-gateway"
RUN = "/run/xff-gateway"
UNITS = "/lib/systemd/system"
EXAMPLES = "/usr/share/doc/xff-gateway/examples"
PHP_SOCK = "/run/php/php8.2-fpm.sock"
SYSTEMD = os.path.isdir("/run/systemd/system")
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
CLIENT = "203.0.113.7"
XFF = [("X-Forwarded-For", "198.51.100.66, " + CLIENT),
       ("X-Forwarded-Proto", "https")]


def run(argv, timeout=300, cwd=None, env=None, shell=False, ok=(0,)):
    """Runs argv; Failure unless its status is in ok.  Returns
    (status, stdout and stderr as text)."""
    r = subprocess.run(argv, cwd=cwd, env=env, shell=shell,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    out = r.stdout.decode("utf-8", "replace")
    if ok is not None and r.returncode not in ok:
        raise Failure("%s: exit status %d\n%s" % (
            argv if shell else " ".join(argv), r.returncode, out[-4000:]))
    return r.returncode, out


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True)
    return r.returncode == 0 and r.stdout.decode().endswith(" installed")


def processes(exe):
    """PIDs of the processes running the program exe (also once its file
    is deleted); other copies of the program, such as a build tree's, do
    not count."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                path = os.readlink("/proc/%s/exe" % d)
            except OSError:
                continue
            if path in (exe, exe + " (deleted)"):
                out.append(int(d))
    return out


def uid_of(pid):
    """The real uid of pid."""
    m = re.search(r"^Uid:\s+(\d+)", H.read_text("/proc/%d/status" % pid),
                  re.M)
    check(m, "no Uid in /proc/%d/status" % pid)
    return int(m.group(1))


# ------------------------------------------------------------ README

def readme_section():
    text = H.read_text(README)
    m = re.search(r"^## The Debian package\n(.*?)^## ", text, re.M | re.S)
    if not m:
        raise Failure("README.md has no section 'The Debian package'")
    return m.group(1)


def readme_inis(sec):
    """{path: text} of every `tee /etc/xff-gateway/NAME.ini <<'EOF'`."""
    out = {}
    for m in re.finditer(r"^( *)tee (/etc/xff-gateway/[\w.-]+\.ini) <<'EOF'\n"
                         r"(.*?)^\1EOF$", sec, re.M | re.S):
        out[m.group(2)] = textwrap.dedent(m.group(3))
    return out


def readme_command(sec, pattern):
    """The one command line of the section that matches pattern."""
    lines = [l.strip() for l in sec.splitlines() if re.match(pattern,
                                                               l.strip())]
    eq(len(lines), 1, "README: lines matching %r" % pattern)
    return lines[0]


def readme_locations(sec):
    """The location blocks of the section's nginx server block, as nginx
    text."""
    m = re.search(r"^( *)server \{\n.*?^\1\}$", sec, re.M | re.S)
    check(m, "README: no nginx server block in 'The Debian package'")
    blocks = H._blocks(textwrap.dedent(m.group(0)))
    check(blocks and blocks[0][0].split()[0] == "server",
          "README: the server block does not parse")
    out = []
    for head, body in H._blocks(blocks[0][1]):
        if head.split()[0] == "location":
            out.append("%s {\n%s\n}\n" % (head, body.strip()))
    eq(len(out), 2, "README: locations in the server block")
    return out


# ------------------------------------------------------------ steps

class Run:
    """What the check installed, wrote and started, undone by cleanup()."""

    def __init__(self, tarball):
        self.tarball = os.path.abspath(tarball)
        self.work = tempfile.mkdtemp(prefix="xffgw-deb-")
        os.chmod(self.work, 0o755)
        self.env = H.Env("xffgw-debrun")
        self.files = []           # written outside the work directory
        self.dirs = []            # created outside it (removed when empty)
        self.units = []           # systemd units enabled or started
        self.deb = None
        self.src = None

    def write(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        if path not in self.files:
            self.files.append(path)

    def mkdir(self, path):
        if not os.path.isdir(path):
            os.makedirs(path)
            self.dirs.append(path)

    def cleanup(self):
        if self.units:
            subprocess.run(["systemctl", "disable", "--now"] + self.units,
                           capture_output=True, timeout=120)
            subprocess.run(["systemctl", "stop"] + [
                u.replace(".socket", ".service") for u in self.units],
                capture_output=True, timeout=120)
            self.units = []
        self.env.close()
        for p in self.files:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        for d in reversed(self.dirs):
            try:
                os.rmdir(d)
            except OSError:
                pass
        if installed(PKG):
            subprocess.run(["apt-get", "purge", "-y", "-q", PKG], env=APT_ENV,
                           capture_output=True, timeout=600)
        shutil.rmtree(self.work, ignore_errors=True)


def step_tools(r):
    sec = readme_section()
    name = os.path.basename(r.tarball)
    eq(readme_command(sec, r"^tar -xzf "), "tar -xzf " + name,
       "README's tar command names the tarball")
    eq(readme_command(sec, r"^cd %s-" % PKG), "cd " + name[:-len(".tar.gz")],
       "README's cd command")
    missing = [p for p in TOOLS if not installed(p)]
    if missing:
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends"]
            + missing, env=APT_ENV, timeout=1200)
    run(["tar", "-xzf", r.tarball, "-C", r.work])
    dirs = [d for d in os.listdir(r.work) if d.startswith(PKG + "-")]
    eq(len(dirs), 1, "directories in the tarball")
    r.src = os.path.join(r.work, dirs[0])
    rc, _ = run(["dpkg-checkbuilddeps"], cwd=r.src, ok=None)
    if rc != 0:
        run(["apt-get", "build-dep", "-y", "-q", "./"], cwd=r.src,
            env=APT_ENV, timeout=1200)
        run(["dpkg-checkbuilddeps"], cwd=r.src)


def step_build(r):
    env = dict(APT_ENV, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count()
                                                           or 1))
    log = os.path.join(r.work, "build.log")
    with open(log, "wb") as f:
        rc = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"],
                            cwd=r.src, env=env, stdin=subprocess.DEVNULL,
                            stdout=f, stderr=subprocess.STDOUT,
                            timeout=1800).returncode
    eq(rc, 0, "dpkg-buildpackage exit status", H.read_text(log)[-6000:])
    _, version = run(["dpkg-parsechangelog", "-S", "Version"], cwd=r.src)
    _, arch = run(["dpkg", "--print-architecture"])
    version, arch = version.strip(), arch.strip()
    eq(os.path.basename(r.src), "%s-%s" % (PKG, version),
       "the tarball's version is the package's (debian/changelog)")
    r.deb = os.path.join(r.work, "%s_%s_%s.deb" % (PKG, version, arch))
    check(os.path.exists(r.deb), "%s built" % r.deb, os.listdir(r.work))


def step_lintian(r):
    rc, out = run(["lintian", "--fail-on", "error", "--tag-display-limit",
                   "0", "--display-info", r.deb], timeout=600, ok=None)
    shown = "\n".join(l for l in out.splitlines()
                      if not l.startswith("running with root"))
    if shown.strip():
        print(textwrap.indent(shown.strip(), "    "))
    errors = [l for l in out.splitlines() if l.startswith("E:")]
    check(rc == 0 and not errors, "lintian reports errors", *errors)


def step_install(r):
    line = readme_command(readme_section(), r"^apt-get install \./")
    eq(line, "apt-get install ./%s_*.deb" % PKG, "README's install command")
    # README's command, answering yes
    run(line.replace("apt-get install", "apt-get install -y -q", 1),
        cwd=r.work, env=APT_ENV, shell=True, timeout=600)
    check(installed(PKG), "dpkg says installed")
    _, files = run(["dpkg-query", "-L", PKG])
    files = set(files.split())
    for f in ["/usr/sbin/xff-gateway", "/usr/bin/xff-cgi",
              "/usr/share/man/man8/xff-gateway.8.gz",
              "/usr/share/man/man8/xff-cgi.8.gz",
              "/usr/share/man/man5/xff-gateway.ini.5.gz",
              ETC + "/xff-gateway.ini", ETC + "/cloudflare.list",
              UNITS + "/xff-gateway.service", UNITS + "/xff-gateway.socket",
              UNITS + "/xff-gateway@.service", UNITS + "/xff-gateway@.socket",
              "/usr/lib/tmpfiles.d/xff-gateway.conf",
              "/usr/lib/sysusers.d/xff-gateway.conf",
              EXAMPLES + "/xff-gateway.ini", EXAMPLES + "/cloudflare.list",
              EXAMPLES + "/nginx-xff-gateway.conf",
              EXAMPLES + "/uwsgi-app.ini"]:
        check(f in files and os.path.exists(f), "%s in the package" % f)
    _, conff = run(["dpkg-query", "-W", "-f=${Conffiles}", PKG])
    for f in (ETC + "/xff-gateway.ini", ETC + "/cloudflare.list"):
        check(f in conff, "%s is a conffile" % f, conff)
    unit = parse_unit(UNITS + "/xff-gateway.service")
    eq(unit_values(unit, "Service", "ExecStart"),
       ["/usr/sbin/xff-gateway -c %s/xff-gateway.ini" % ETC],
       "ExecStart= of the installed xff-gateway.service")
    check("-c %s/xff-gateway.ini" % ETC in H.read_text(
        EXAMPLES + "/spawn-fcgi.example"), "spawn-fcgi.example names the "
        "packaged configuration")
    pw = pwd.getpwnam(PKG)
    grp.getgrnam(PKG)
    check(PKG in grp.getgrnam("www-data").gr_mem, "xff-gateway is in www-data")
    check(pw.pw_uid < 1000, "xff-gateway is a system user", pw)
    check(os.path.isdir(RUN), "%s created (tmpfiles.d)" % RUN)
    eq(processes("/usr/sbin/xff-gateway"), [], "gateways running after installation")
    if SYSTEMD:
        for u in ("xff-gateway.socket", "xff-gateway.service"):
            _, st = run(["systemctl", "is-enabled", u], ok=None)
            check(st.strip() != "enabled", "%s not enabled" % u, st)
            _, st = run(["systemctl", "is-active", u], ok=None)
            check(st.strip() != "active", "%s not started" % u, st)


def step_conffile(r):
    for argv in (["xff-gateway", "-t"],
                 ["/usr/sbin/xff-gateway", "-c", ETC + "/xff-gateway.ini",
                  "-t"]):
        _, out = run(argv)
        check("configuration ok" in out, "%s says ok" % argv, out)
    rc, out = run(["/usr/sbin/xff-gateway"], ok=None, timeout=30)
    eq(rc, 1, "the daemon on the installed file: exit status", out)
    check("%s/xff-gateway.ini: [gateway] backend: is required to run the "
          "gateway" % ETC in out, "the refusal names the file and the key",
          out)
    _, man = run("zcat /usr/share/man/man8/xff-gateway.8.gz", shell=True)
    check(ETC + "/xff-gateway.ini" in man, "the man page names the "
          "packaged configuration")


def step_cloudflare(r):
    ini = ETC + "/check-cloudflare.ini"
    r.write(ini, "[trust]\nx_for = 1\nproxies_file = cloudflare.list\n")
    _, out = run(["xff-gateway", "-c", ini, "-T"])
    os.unlink(ini)
    shown = [l for l in out.splitlines() if l.startswith("proxies =")]
    eq(len(shown), 1, "proxies line of -T", out)
    for line in H.read_text(ETC + "/cloudflare.list").splitlines():
        cidr = line.split("#", 1)[0].strip()
        if cidr:
            check(" " + cidr in shown[0], "%s trusted" % cidr, shown[0])
    check("proxies_file = %s/cloudflare.list" % ETC in out.splitlines(),
          "-T names the resolved list", out)


def unit_argv(unit, key, name):
    vals = unit_values(unit, "Service", key)
    eq(len(vals), 1, "%s= lines of the template" % key)
    return vals[0].replace("%i", name).split()


def emulate_instance(r, name):
    """The instance name as its installed units describe it, under
    systemd-socket-activate (systemd is not PID 1 here)."""
    sock = unit_values(parse_unit(UNITS + "/xff-gateway@.socket"), "Socket",
                       "ListenStream")[0].replace("%i", name)
    eq(sock, "%s/%s.sock" % (RUN, name), "ListenStream= of %s" % name)
    unit = parse_unit(UNITS + "/xff-gateway@.service")
    argv = unit_argv(unit, "ExecStart", name)
    user = unit_values(unit, "Service", "User")[0]
    group = unit_values(unit, "Service", "Group")[0]
    act = H.find_program("systemd-socket-activate",
                         "/lib/systemd/systemd-socket-activate")
    setpriv = ["setpriv", "--reuid=" + user, "--regid=" + group,
               "--init-groups", "--"]
    # StandardInput=socket, as the unit says: the socket on fd 0 too
    cmd = [act, "-l", sock, "--", "/bin/sh", "-c", 'exec "$@" <&3', "sh"] \
        + setpriv + argv
    p = r.env.start("gw-" + name, cmd)
    r.files.append(sock)
    deadline = time.monotonic() + H.WAIT
    while not H.fcgi_get_values(sock):
        check(p.alive(), "instance %s exited: %s" % (name, p.log_text()))
        check(time.monotonic() < deadline, "instance %s: no answer on %s"
              % (name, sock), p.log_text())
        time.sleep(0.1)
    return p.pid


def start_backends(r):
    """PHP-FPM with Debian's configuration, unless it runs already, and
    uWSGI with the packaged uwsgi-app.ini serving the test app."""
    if not H.can_connect(PHP_SOCK):
        r.mkdir("/run/php")
        p = r.env.start("php-fpm", [H.find_program("php-fpm8.2", "php-fpm"),
                                    "-F"])
        r.env.wait_socket(p, PHP_SOCK)
    app = os.path.join(r.work, "app")
    os.makedirs(app)
    os.chmod(app, 0o755)
    shutil.copy(H.WSGI_APP, os.path.join(app, "app.py"))
    text = H.read_text(EXAMPLES + "/uwsgi-app.ini")
    check("chdir = /srv/app" in text, "uwsgi-app.ini: chdir = /srv/app")
    ini = os.path.join(r.work, "uwsgi-app.ini")
    with open(ini, "w") as f:
        f.write(text.replace("chdir = /srv/app", "chdir = " + app))
    r.mkdir("/run/uwsgi-app")
    p = r.env.start("uwsgi", [H.find_program("uwsgi"), "--ini", ini])
    r.env.wait_socket(p, "/run/uwsgi-app/app.sock")
    r.files.append("/run/uwsgi-app/app.sock")
    docroot = os.path.join(r.work, "www")
    os.makedirs(docroot)
    os.chmod(docroot, 0o755)
    shutil.copy(H.PHP_INDEX, os.path.join(docroot, "index.php"))
    return docroot


def step_instances(r):
    sec = readme_section()
    inis = readme_inis(sec)
    eq(sorted(inis), [ETC + "/app.ini", ETC + "/php.ini"], "README's INI files")
    for path, text in inis.items():
        check(not os.path.exists(path), "%s exists already" % path)
        r.write(path, text)
        run(readme_command(sec, r"^xff-gateway -c %s -t$" % re.escape(path))
            .split())
    enable = readme_command(sec, r"^systemctl enable --now xff-gateway@")
    names = re.findall(r"xff-gateway@([\w-]+)\.socket", enable)
    eq(names, ["php", "app"], "instances of README's systemctl command")
    docroot = start_backends(r)
    pids = {}
    if SYSTEMD:
        r.units = ["xff-gateway@%s.socket" % n for n in names]
        run(enable.split(), timeout=120)
    else:
        for n in names:
            pids[n] = emulate_instance(r, n)

    port = H.free_port()
    ngx = r.env.nginx(H.server_block(port, readme_locations(sec),
                                     "  root %s;" % docroot), name="nginx")
    r.env.wait_socket(ngx, ("127.0.0.1", port))
    logs = lambda: "\n".join("%s: %s" % (p.name, p.log_text()[-1200:])
                             for p in r.env.procs)
    resp = H.request(port, "/index.php", XFF)
    eq(resp.status, 200, "PHP through xff-gateway@php", resp, logs())
    server = resp.json()["server"]
    eq(server.get("REMOTE_ADDR"), CLIENT, "PHP's REMOTE_ADDR")
    eq(server.get("HTTPS"), "on", "PHP's HTTPS")
    resp = H.request(port, "/app/hello", XFF)
    eq(resp.status, 200, "WSGI app through xff-gateway@app", resp, logs())
    view = resp.json()
    eq(view["remote_addr"], CLIENT, "Werkzeug's remote_addr")
    eq(view["scheme"], "https", "Werkzeug's scheme")
    eq(view["script_root"], "/app", "Werkzeug's script_root (mount point)")

    if SYSTEMD:
        for n in names:
            _, pid = run(["systemctl", "show", "-p", "MainPID", "--value",
                          "xff-gateway@%s.service" % n])
            pids[n] = int(pid.strip())
    for n, pid in pids.items():
        eq(uid_of(pid), pwd.getpwnam(PKG).pw_uid, "user of instance %s" % n)

    if SYSTEMD:
        run(["systemctl", "disable", "--now"] + r.units, timeout=120)
        run(["systemctl", "stop"] + ["xff-gateway@%s.service" % n
                                     for n in names], timeout=120)
        r.units = []
    for p in list(r.env.procs):
        r.env.stop(p, timeout=15.0)
    for path in inis:
        os.unlink(path)


def step_remove(r):
    run(["apt-get", "remove", "-y", "-q", PKG], env=APT_ENV, timeout=600)
    check(not os.path.exists("/usr/sbin/xff-gateway"), "the program is gone")
    check(os.path.exists(ETC + "/xff-gateway.ini"), "remove keeps the "
          "configuration")
    pwd.getpwnam(PKG)
    eq(processes("/usr/sbin/xff-gateway"), [], "gateways running after removal")


def step_purge(r):
    keep = ETC + "/keep.ini"
    r.write(keep, "[trust]\nx_for = 2\n")
    run(["apt-get", "purge", "-y", "-q", PKG], env=APT_ENV, timeout=600)
    check(not installed(PKG), "dpkg no longer has the package")
    for f in (ETC + "/xff-gateway.ini", ETC + "/cloudflare.list",
              "/usr/lib/tmpfiles.d/xff-gateway.conf",
              "/usr/lib/sysusers.d/xff-gateway.conf", RUN,
              UNITS + "/xff-gateway@.service"):
        check(not os.path.exists(f), "purge removes %s" % f)
    check(os.path.exists(keep), "purge leaves an INI file the administrator "
          "wrote")
    os.unlink(keep)
    os.rmdir(ETC)
    pwd.getpwnam(PKG)   # Debian keeps system users


STEPS = [("tools", step_tools), ("build", step_build),
         ("lintian", step_lintian), ("install", step_install),
         ("conffile", step_conffile), ("cloudflare", step_cloudflare),
         ("instances", step_instances), ("remove", step_remove),
         ("purge", step_purge)]


def main(argv):
    if len(argv) != 2:
        print("usage: check-deb.py xff-gateway-VERSION.tar.gz")
        return 2
    if os.geteuid() != 0 or not shutil.which("dpkg"):
        print("FAIL setup: run as root on Debian")
        return 1
    if installed(PKG):
        print("FAIL setup: %s is installed; remove it first "
              "(apt-get purge %s)" % (PKG, PKG))
        return 1
    for f in ("/usr/sbin/xff-gateway", "/usr/bin/xff-cgi", ETC):
        if os.path.exists(f):
            print("FAIL setup: %s exists (make install?); remove it first" % f)
            return 1
    t_all = time.monotonic()
    r = Run(argv[1])
    failed = False
    try:
        for name, fn in STEPS:
            t0 = time.monotonic()
            try:
                fn(r)
            except Exception as e:
                failed = True
                print("FAIL %s\n    %s" % (name, e if isinstance(e, Failure)
                                           else repr(e)))
                break
            print("ok %s (%.0f s)" % (name, time.monotonic() - t0))
            sys.stdout.flush()
    finally:
        r.cleanup()
    left = [f for f in ("/usr/sbin/xff-gateway", ETC + "/xff-gateway.ini")
            if os.path.exists(f)]
    if left:
        failed = True
        print("FAIL cleanup: left behind: %s" % ", ".join(left))
    print("check-deb: %s in %.0f s" % ("FAILED" if failed else "passed",
                                       time.monotonic() - t_all))
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main(sys.argv))
