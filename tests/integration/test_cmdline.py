#!/usr/bin/env python3
"""The command lines of xff-gateway and xff-cgi, and the paths the build
compiles in and writes into the man pages.  No socket is opened.

* gateway_help: -h and --help print the usage on stdout and exit 0; it
  names the default configuration, $(sysconfdir)/xff-gateway.ini as
  configured (make check passes sysconfdir, sbindir and bindir in the
  environment); a wrong option or -t with --explain prints it on stderr
  and exits 1; without -c, -t reads the default path.
* gateway_dump: -T on the sample etc/xff-gateway.ini, with its backend
  line uncommented as an operator does first, exits 0 and prints every
  section and key with the defaults resolved; its output is a
  configuration that -t accepts and -T prints again unchanged.  Address
  lists come out as canonical CIDRs, the exempt patterns quoted; warnings
  go to stderr.
* gateway_dump_bad: -T on a bad file prints the errors on stderr, nothing
  on stdout, and exits 1, as -t does.
* packaged_conffile: debian/xff-gateway.ini, the package's configuration,
  passes -t, and the daemon refuses it naming the file, the key to set and
  an example; uncommented as its comment says, the backend is in force.
* cgi_help_version: xff-cgi -h, --help, -V and --version answer as a
  command (usage or version on stdout, exit 0, no CGI response), also in
  a CGI environment; a wrong option prints the usage on stderr and exits
  1.
* cgi_options_before_program: options count only before PROGRAM: -h or
  -V after it, given directly or through an interpreter line
  ("#!xff-cgi [-c FILE] PROGRAM"), reach the program.
* man_pages: the man pages made by the build name the configured
  directories and document -T, -h and -V; their templates hard-code no
  /usr/local directory.

Each scenario prints "ok NAME" or "FAIL NAME" with the evidence; the last
line is "N passed, M failed".  Run as `python3 test_cmdline.py [NAME ...]`
to run some only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Skip, check, eq  # noqa: E402

XFF_CGI = os.path.join(H.BUILDDIR, "cgi", "xff-cgi")
SAMPLE = os.path.join(H.SRCDIR, "etc", "xff-gateway.ini")
TIMEOUT = 30

TESTS, scenario = H.scenarios()


class Ctx:
    """A temporary directory, removed at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="xffgw-cmdline.")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run(argv, env=None, stdin=subprocess.DEVNULL):
    """Runs argv; returns (exit status, stdout, stderr) as text."""
    e = dict(os.environ)
    e.pop("XFF_GATEWAY_CONFIG", None)
    e.update(env or {})
    p = subprocess.run(argv, env=e, stdin=stdin, capture_output=True,
                       timeout=TIMEOUT)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def configured(name):
    """An installation directory as configured, from make check's
    environment; Skip when the test runs without it."""
    v = os.environ.get(name)
    if not v:
        raise Skip("%s not in the environment (run through make check)"
                   % name)
    return v


def default_config():
    return configured("sysconfdir") + "/xff-gateway.ini"


def sample_with_backend():
    """The sample with its example backend line uncommented."""
    with open(SAMPLE) as f:
        text = f.read()
    new = re.sub(r"(?m)^# backend = ", "backend = ", text, count=1)
    check(new != text, "the sample has a commented-out backend example")
    return new


def lines(text):
    return text.split("\n")


def has_line(text, line, what):
    check(line in lines(text), "%s: line %r" % (what, line), text)


# A CGI request environment (what a web server sets).
CGI_ENV = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
           "REQUEST_URI": "/x", "SCRIPT_NAME": "/x", "QUERY_STRING": "",
           "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost",
           "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1"}


@scenario
def gateway_help(ctx):
    path = default_config()
    for opt in ("-h", "--help"):
        rc, out, err = run([H.GATEWAY, opt])
        eq(rc, 0, "xff-gateway %s exit status" % opt, err)
        check(out.startswith("usage: xff-gateway"), "usage on stdout", out)
        eq(err, "", "xff-gateway %s stderr" % opt)
        check(path in out, "the usage names the default %s" % path, out)
        for o in ("-c FILE", "-t", "-T", "-d", "--explain", "-V, --version",
                  "-h, --help"):
            check(o in out, "the usage lists %s" % o, out)
    for argv in ([H.GATEWAY, "-x"], [H.GATEWAY, "--nope"],
                 [H.GATEWAY, "-t", "--explain"],
                 [H.GATEWAY, "-T", "--explain"],
                 [H.GATEWAY, "-t", "extra"]):
        rc, out, err = run(argv)
        eq(rc, 1, "%s exit status" % " ".join(argv[1:]), err)
        eq(out, "", "%s stdout" % " ".join(argv[1:]))
        check("usage: xff-gateway" in err, "usage on stderr", err)
    # without -c, -t reads the default path
    if not os.path.exists(path):
        rc, out, err = run([H.GATEWAY, "-t"])
        eq(rc, 1, "-t without a file at %s" % path, out, err)
        check(path in err, "-t names the default path", err)
    rc, out, err = run([H.GATEWAY, "-V"])
    eq(rc, 0, "-V exit status", err)
    check(re.match(r"^xff-gateway \S+\n$", out), "-V prints the version", out)


@scenario
def gateway_dump(ctx):
    ini = ctx.write("sample.ini", sample_with_backend())
    rc, out, err = run([H.GATEWAY, "-T", "-c", ini])
    eq(rc, 0, "-T exit status", err)
    eq(err, "configuration ok\n", "-T stderr")
    check(out.startswith("# effective configuration of %s" % ini),
          "-T names the file first", out[:200])
    for sec in ("[gateway]", "[trust]", "[rules]", "[cgi]", "[log]"):
        has_line(out, sec, "-T")
    for line in ("backend = unix:/run/php/php-fpm.sock", "listen =",
                 "workers = 16", "keep_conn = no", "backend_max_conns = 0",
                 "status_allow = 127.0.0.1/32 ::1/128",
                 "x_for = 1", "proxies =", "header_required = no",
                 "exempt =", "strip_headers = X-Forwarded-Ssl "
                 "X-Forwarded-Scheme X-Url-Scheme Front-End-Https X-Real-Ip "
                 "Client-Ip True-Client-Ip X-Client-Ip X-Cluster-Client-Ip "
                 "X-Forwarded-Server X-Forwarded Forwarded-For",
                 "program =", "level = info", "target = stderr"):
        has_line(out, line, "-T on the sample")
    # every key of the sample is printed, active or commented out
    keys = set(re.findall(r"(?m)^#? ?([a-z_]+)\s*=", open(SAMPLE).read()))
    for k in keys:
        check(re.search(r"(?m)^%s = ?" % k, out), "-T prints %s" % k, out)

    # the output is a configuration -t accepts and -T prints again
    again = ctx.write("again.ini", out)
    rc, out2, err2 = run([H.GATEWAY, "-t", "-c", again])
    eq((rc, out2), (0, "configuration ok\n"), "-t on the -T output", err2)
    rc, out2, err2 = run([H.GATEWAY, "-T", "-c", again])
    eq(rc, 0, "-T on the -T output", err2)
    eq(lines(out2)[1:], lines(out)[1:], "-T of the -T output")

    # lists, patterns, warnings
    ini = ctx.write("lists.ini", "\n".join([
        "[gateway]", "backend = 127.0.0.1:9000",
        "status_allow = unix:, ::1",
        "[trust]", "x_for = 2",
        "proxies = 10.1.2.3/8, 2001:DB8::/32 unix: 192.0.2.1",
        "[rules]", "always_proxy = yes",
        'exempt = "^health/$ ^a#b/"',
        "[log]", "level = debug", ""]))
    rc, out, err = run([H.GATEWAY, "-T", "-c", ini])
    eq(rc, 0, "-T exit status", err)
    check("host bits" in err, "the host-bits warning on stderr", err)
    check("host bits" not in out, "no warning on stdout", out)
    for line in ("backend = 127.0.0.1:9000",
                 "status_allow = ::1/128 unix:",
                 "proxies = 10.0.0.0/8 2001:db8::/32 192.0.2.1/32 unix:",
                 "always_proxy = yes", "header_required = yes",
                 'exempt = "^health/$ ^a#b/"', "level = debug"):
        has_line(out, line, "-T on lists.ini")
    again = ctx.write("lists-again.ini", out)
    rc, out2, err2 = run([H.GATEWAY, "-T", "-c", again])
    eq(rc, 0, "-T on the -T output", err2)
    eq(lines(out2)[1:], lines(out)[1:], "-T of the -T output")

    # a file for xff-cgi only: [gateway] comes out commented out
    ini = ctx.write("cgi.ini", "[cgi]\nprogram = /usr/bin/python3\n")
    rc, out, err = run([H.GATEWAY, "-T", "-c", ini])
    eq(rc, 0, "-T on a file without [gateway]", err)
    has_line(out, "# [gateway]", "-T without [gateway]")
    has_line(out, "program = /usr/bin/python3", "-T without [gateway]")
    again = ctx.write("cgi-again.ini", out)
    rc, out2, err2 = run([H.GATEWAY, "-T", "-c", again])
    eq(rc, 0, "-T on the -T output", err2)
    eq(lines(out2)[1:], lines(out)[1:], "-T of the -T output")


@scenario
def gateway_dump_bad(ctx):
    bad = ctx.write("bad.ini", "[rules]\nstrcit = yes\n")
    for opt in ("-t", "-T"):
        rc, out, err = run([H.GATEWAY, opt, "-c", bad])
        eq(rc, 1, "%s on a bad file" % opt, out, err)
        eq(out, "", "%s stdout on a bad file" % opt)
        check("strcit" in err and bad in err, "the error names file and key",
              err)
    nobackend = ctx.write("nb.ini", "[gateway]\nworkers = 2\n")
    rc, out, err = run([H.GATEWAY, "-T", "-c", nobackend])
    eq(rc, 1, "-T without backend", out, err)
    eq(out, "", "-T stdout without backend")
    check("backend: is required" in err, "the error names backend", err)
    rc, out, err = run([H.GATEWAY, "-T", "-c", ctx.path("missing.ini")])
    eq(rc, 1, "-T on a missing file", out, err)
    eq(out, "", "-T stdout on a missing file")


@scenario
def packaged_conffile(ctx):
    """debian/xff-gateway.ini, the package's /etc/xff-gateway/xff-gateway.ini:
    valid for -t and xff-cgi, refused by the daemon until [gateway]
    backend is set, with the key to set; with the section uncommented
    and a backend, the daemon's check passes."""
    conf = os.path.join(H.SRCDIR, "debian", "xff-gateway.ini")
    text = H.read_text(conf)
    check(text, "cannot read %s" % conf)
    rc, out, err = run([H.GATEWAY, "-t", "-c", conf])
    eq((rc, out.strip()), (0, "configuration ok"), "-t on the packaged file",
       err)
    eq(err, "", "-t warnings on the packaged file")
    rc, out, err = run([H.GATEWAY, "-c", conf])
    eq(rc, 1, "the daemon on the packaged file", err)
    check("%s: [gateway] backend: is required to run the gateway, and the "
          "file has no [gateway] section: set it" % conf in err,
          "the refusal names the file and the key to set", err)
    check("unix:/run/php/php8.2-fpm.sock" in err, "with an example", err)
    # the commented section, uncommented as the file says
    check("# [gateway]\n# backend = unix:/run/php/php8.2-fpm.sock\n" in text,
          "the file shows the section to uncomment", text)
    edited = ctx.write("edited.ini", text.replace(
        "# [gateway]\n# backend =", "[gateway]\nbackend ="))
    rc, out, err = run([H.GATEWAY, "-T", "-c", edited])
    eq(rc, 0, "-T once uncommented", err)
    check("backend = unix:/run/php/php8.2-fpm.sock" in out.splitlines(),
          "the backend is in force", out)


@scenario
def cgi_help_version(ctx):
    path = default_config()
    rc, out, err = run([H.GATEWAY, "-V"])
    version = out.split()[-1]
    for env in ({}, CGI_ENV):
        for opt in ("-h", "--help"):
            rc, out, err = run([XFF_CGI, opt], env=env)
            eq(rc, 0, "xff-cgi %s exit status" % opt, out, err)
            check(out.startswith("usage: xff-cgi"), "usage on stdout", out)
            check("Status:" not in out, "no CGI response", out)
            check(path in out, "the usage names the default %s" % path, out)
            eq(err, "", "xff-cgi %s stderr" % opt)
        for opt in ("-V", "--version"):
            rc, out, err = run([XFF_CGI, opt], env=env)
            eq(rc, 0, "xff-cgi %s exit status" % opt, out, err)
            eq(out, "xff-cgi %s\n" % version, "xff-cgi %s" % opt)
            eq(err, "", "xff-cgi %s stderr" % opt)
        # after -c FILE too, without reading the file
        rc, out, err = run([XFF_CGI, "-c", ctx.path("missing.ini"), "-V"],
                           env=env)
        eq((rc, out), (0, "xff-cgi %s\n" % version), "-c FILE -V", err)
    for opt in ("-x", "--nope"):
        rc, out, err = run([XFF_CGI, opt], env=CGI_ENV)
        eq(rc, 1, "xff-cgi %s exit status" % opt, out, err)
        check("usage: xff-cgi" in err, "usage on stderr", err)


@scenario
def cgi_options_before_program(ctx):
    ini = ctx.write("d1.ini", "[trust]\nx_for = 1\n")
    env = dict(CGI_ENV, XFF_GATEWAY_CONFIG=ini)
    args = ctx.write("args.sh", "#!/bin/sh\nprintf '%s\\n' \"$*\"\n", 0o755)
    for opt in ("-h", "-V", "--help"):
        rc, out, err = run([XFF_CGI, args, opt], env=env)
        eq((rc, out), (0, opt + "\n"), "xff-cgi args.sh %s" % opt, err)
        rc, out, err = run([XFF_CGI, "-c", ini, "--", args, opt], env=env)
        eq((rc, out), (0, opt + "\n"), "xff-cgi -c FILE -- args.sh %s" % opt,
           err)
    # interpreter lines: the kernel runs "xff-cgi [ARG] SCRIPT OPT"
    body = "printf '%s\\n' \"$0 $*\"\n"
    plain = ctx.write("plain.cgi", "#!%s /bin/sh\n%s" % (XFF_CGI, body),
                      0o755)
    withc = ctx.write("withc.cgi", "#!%s -c %s /bin/sh\n%s"
                      % (XFF_CGI, ini, body), 0o755)
    if len(open(withc).readline()) > 250:
        raise Skip("the build path is too long for an interpreter line")
    for script in (plain, withc):
        for opt in ("-h", "-V", "--version"):
            rc, out, err = run([script, opt], env=env)
            eq((rc, out), (0, "%s %s\n" % (script, opt)),
               "%s %s" % (os.path.basename(script), opt), err)


@scenario
def cgi_client_argv_ignored(ctx):
    """RFC 3875 4.4: a server such as Apache passes the words of a query
    without '=' as arguments.  When they are the whole command line, or
    when xff-cgi is itself the requested script, no option or PROGRAM is
    read from it: the client never picks the configuration or the program
    run; [cgi] program runs, without arguments."""
    args = ctx.write("args2.sh", "#!/bin/sh\nprintf 'ran %s\\n' \"$*\"\n",
                     0o755)
    ini = ctx.write("prog.ini", "[trust]\nx_for = 1\n[cgi]\nprogram = %s\n"
                    % args)
    evil = ctx.write("evil.ini", "[cgi]\nprogram = /bin/echo\n")
    base = dict(CGI_ENV, XFF_GATEWAY_CONFIG=ini)
    cases = [
        ("-c+" + evil.replace("/", "%2F"), ["-c", evil]),
        ("%2Fbin%2Fecho+pwned", ["/bin/echo", "pwned"]),
        ("-V", ["-V"]),
        ("-h", ["-h"]),
    ]
    for query, argv in cases:
        env = dict(base, QUERY_STRING=query)
        rc, out, err = run([XFF_CGI] + argv, env=env)
        eq((rc, out), (0, "ran \n"), "query %r, argv %r" % (query, argv), err)
    # the requested script is xff-cgi itself (a link in cgi-bin)
    link = ctx.path("cgi-link")
    os.symlink(XFF_CGI, link)
    env = dict(base, SCRIPT_FILENAME=link, QUERY_STRING="a=1")
    rc, out, err = run([XFF_CGI, "/bin/echo", "pwned"], env=env)
    eq((rc, out), (0, "ran \n"), "xff-cgi as the requested script", err)
    # not from the client: a wrapper's own arguments, or words that are
    # not the query's, are read as before
    for query in ("", "a=1", "other+words", "%2Fbin%2Fecho"):
        env = dict(base, QUERY_STRING=query)
        rc, out, err = run([XFF_CGI, args, "x"], env=env)
        eq((rc, out), (0, "ran x\n"), "wrapper, query %r" % query, err)
    env = dict(base, QUERY_STRING="x")
    rc, out, err = run([XFF_CGI, args, "x"], env=env)
    eq((rc, out), (0, "ran x\n"), "PROGRAM then the query's word", err)


@scenario
def man_pages(ctx):
    sysconfdir = configured("sysconfdir")
    sbindir = configured("sbindir")
    bindir = configured("bindir")
    want = {
        "xff-gateway.8": [sysconfdir + "/xff-gateway.ini",
                          sbindir + "/xff-gateway", "Fl T", "Fl h",
                          "Fl -help"],
        "xff-cgi.8": [sysconfdir + "/xff-gateway.ini",
                      "#!" + bindir + "/xff-cgi", "Fl V", "Fl -version",
                      "Fl h", "Fl -help"],
        "xff-gateway.ini.5": [sysconfdir + "/xff-gateway.ini", "FILE -T"],
    }
    for name, needles in want.items():
        built = os.path.join(H.BUILDDIR, "man", name)
        check(os.path.exists(built), "%s is built" % built)
        text = H.read_text(built)
        for n in needles:
            check(n in text, "%s names %s" % (name, n))
        left = re.findall(r"@[A-Za-z_]+@", text)
        check(not left, "%s: no placeholder left" % name, left)
        src = os.path.join(H.SRCDIR, "man", name + ".in")
        check(os.path.exists(src), "%s is a template" % src)
        # the one /usr/local left is xff-cgi's own PATH fallback
        fixed = H.read_text(src).replace("/usr/local/bin:/usr/bin:/bin", "")
        check("/usr/local/" not in fixed, "%s hard-codes no /usr/local "
              "directory" % src, [l for l in fixed.split("\n")
                                  if "/usr/local/" in l])


def main(argv):
    if not os.access(XFF_CGI, os.X_OK):
        print("FAIL setup: %s not built" % XFF_CGI)
        return 1
    return H.run_scenarios(argv, TESTS, Ctx)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
