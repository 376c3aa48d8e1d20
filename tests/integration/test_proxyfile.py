#!/usr/bin/env python3
"""Trusted proxy lists in files ([trust] proxies_file) end to end, with
the shipped etc/cloudflare.list.

Nothing here leaves the machine: every connection is to 127.0.0.1 or a
Unix socket, and Cloudflare's addresses only appear as text in
X-Forwarded-For (the setup is "Cloudflare -> a local proxy on 127.0.0.1
-> nginx": proxies = 127.0.0.1 and proxies_file = cloudflare.list, x_for =
2).

* cloudflare_list: the gateway started (spawn-fcgi) with the list named
  by a path relative to its INI file; through nginx, a client behind a
  Cloudflare edge address (IPv4 and IPv6) is found, while an address
  outside the list stops the walk and is taken as the client; -T prints
  every range of the file in proxies and the resolved path in
  proxies_file.
* cloudflare_reload: SIGHUP after removing a range from the file: that
  edge is no longer trusted; a file with a bad line, then a missing file:
  each reload fails with an error naming the list and its line (or the
  INI file, the key's line and the list), and the configuration in force
  stays the one before.
* check_and_start_errors: -t on a bad list exits 1 naming FILE:LINE;
  the daemon refuses to start with a missing list, naming the INI line.
* cgi_reads_list: xff-cgi reads the same list (the correction of its
  environment before exec).

Each scenario prints "ok NAME" or "FAIL NAME" with the evidence; the last
line is "N passed, M failed"; the exit status is 1 when any failed.  Run
as `python3 test_proxyfile.py [NAME ...]` to run some only.
"""
import os
import re
import shutil
import signal
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, check, eq, wait_for  # noqa: E402

CF_LIST = os.path.join(H.SRCDIR, "etc", "cloudflare.list")
XFF_CGI = os.path.join(H.BUILDDIR, "cgi", "xff-cgi")
DROP_TO = H.drop_to()

CLIENT = "203.0.113.9"
EDGE4 = "104.16.1.2"           # in 104.16.0.0/13
EDGE6 = "2606:4700::1:2"       # in 2606:4700::/32
OUTSIDE = "198.51.100.7"       # in no list


def ini(list_path="cloudflare.list", extra=None):
    g = {"workers": 4, "connect_timeout": 2, "backend_timeout": 10}
    g.update(DROP_TO)
    t = {"x_for": 2, "x_proto": 1, "proxies": "127.0.0.1",
         "proxies_file": list_path}
    t.update(extra or {})
    return H.ini_text((("gateway", g), ("trust", t),
                       ("log", {"level": "info", "target": "stderr"})))


def list_ranges():
    """The entries of etc/cloudflare.list, comments and blanks left out."""
    out = []
    for line in H.read_text(CF_LIST).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def client_of(port, xff):
    """REMOTE_ADDR as the backend saw it for one request with xff."""
    r = H.request(port, "/cf", [("X-Forwarded-For", xff),
                                ("X-Forwarded-Proto", "https")])
    eq(r.status, 200, "status for X-Forwarded-For %r (%r)" % (xff, r))
    for k, v in r.json()["params"]:
        if k == "REMOTE_ADDR":
            return v
    raise Failure("no REMOTE_ADDR in %r" % r)


def setup(env, name):
    """echo-app, the gateway with the list copied next to its INI, and
    nginx in front; returns (gateway, nginx port, list path)."""
    echo, backend = env.echo_app("echo-" + name)
    lst = env.path(name + "-gw-list", "cloudflare.list")
    os.makedirs(os.path.dirname(lst), exist_ok=True)
    shutil.copy(CF_LIST, lst)

    def command(sock, path):
        # the INI in the list's directory, so the relative path resolves
        ini_path = os.path.join(os.path.dirname(lst), "gateway.ini")
        shutil.move(path, ini_path)
        return env.spawn_command(sock, ini_path)
    text = ini().replace("[gateway]", "[gateway]\nbackend = unix:" + backend)
    gw = env.fcgi_app(name + "-gw", text, command, error=Failure)
    gw.ini = os.path.join(os.path.dirname(lst), "gateway.ini")
    port = H.free_port()
    snip = H.NginxSnippet(gw.sock)
    ngx = env.nginx(H.server_block(port, [H.location("/", snip.plain())]),
                    name=name + "-nginx")
    env.wait_socket(ngx, ("127.0.0.1", port))
    return gw, port, lst


TESTS, scenario = H.scenarios()


@scenario
def cloudflare_list(env):
    ranges = list_ranges()
    check(len(ranges) >= 20, "etc/cloudflare.list holds the IPv4 and IPv6 "
          "ranges", ranges)
    text = H.read_text(CF_LIST)
    check(re.search(r"https://www\.cloudflare\.com/ips-v4", text) and
          re.search(r"https://www\.cloudflare\.com/ips-v6", text),
          "the list names its source")
    check(re.search(r"(January|February|March|April|May|June|July|August|"
                    r"September|October|November|December) \d{4}", text),
          "the list says when its ranges were published")
    gw, port, lst = setup(env, "cf")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), CLIENT,
       "client behind an IPv4 Cloudflare edge", gw.log_text()[-1500:])
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE6)), CLIENT,
       "client behind an IPv6 Cloudflare edge")
    eq(client_of(port, "%s, %s" % (CLIENT, OUTSIDE)), OUTSIDE,
       "an address outside the list is the client")

    r = subprocess.run([H.GATEWAY, "-c", gw.ini, "-T"], capture_output=True,
                       timeout=30)
    out = r.stdout.decode()
    eq(r.returncode, 0, "-T exit status", r.stderr)
    proxies = [l for l in out.splitlines() if l.startswith("proxies =")]
    eq(len(proxies), 1, "one proxies line in -T", out)
    shown = proxies[0].split("=", 1)[1].split()
    eq(shown[0], "127.0.0.1/32", "-T: proxies starts with its own entry")
    for cidr in ranges:
        check(cidr in shown, "-T: %s of the list is in proxies" % cidr,
              proxies[0])
    check(("proxies_file = %s" % lst) in out.splitlines(),
          "-T: proxies_file with the resolved path", out)


def reload(gw, marker):
    """SIGHUP; waits for the log line that says how it went (the
    marker's count grows).  Returns the new log text."""
    before = gw.log_text().count(marker)
    os.kill(gw.pid, signal.SIGHUP)
    check(wait_for(lambda: gw.log_text().count(marker) > before,
                   timeout=H.WAIT),
          "log line %r after SIGHUP" % marker, gw.log_text()[-2000:])
    return gw.log_text()


@scenario
def cloudflare_reload(env):
    gw, port, lst = setup(env, "cfr")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), CLIENT, "before")
    good = H.read_text(CF_LIST)

    # the range of EDGE4 taken out of the file: that edge is the client
    edited = "\n".join(l for l in good.splitlines()
                       if l.strip() != "104.16.0.0/13") + "\n"
    check(edited != good, "104.16.0.0/13 is in the shipped list")
    with open(lst, "w") as f:
        f.write(edited)
    reload(gw, "configuration reloaded")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), EDGE4,
       "after SIGHUP without 104.16.0.0/13")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE6)), CLIENT,
       "the other ranges still trusted")

    # the range back, and a bad line: the reload fails, nothing changes
    lines = good.splitlines()
    lines.insert(20, "104.16.0.0/33")
    with open(lst, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = reload(gw, "reload failed")
    want = "%s:21: \"104.16.0.0/33\" is not an IP address or a CIDR" % lst
    check(want in log, "the error names the list and its line", want,
          log[-1500:])
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), EDGE4,
       "the configuration before the bad file stays in force")

    # a missing file: the error names the INI file, the key's line and the list
    os.unlink(lst)
    log = reload(gw, "No such file")
    m = re.search(r"reload failed, keeping the old configuration: (\S+):(\d+):"
                  r" \[trust\] proxies_file: (\S+): cannot open: No such "
                  r"file or directory", log)
    check(m, "the error names the INI file, its line and the list",
          log[-1500:])
    eq(m.group(1), gw.ini, "INI file named")
    key_line = [i + 1 for i, l in enumerate(H.read_text(gw.ini).splitlines())
                if l.startswith("proxies_file")]
    eq(int(m.group(2)), key_line[0], "line of proxies_file")
    eq(m.group(3), lst, "list named")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), EDGE4,
       "still the configuration before")

    # the good file again: the reload takes it
    shutil.copy(CF_LIST, lst)
    reload(gw, "configuration reloaded")
    eq(client_of(port, "%s, %s" % (CLIENT, EDGE4)), CLIENT,
       "after SIGHUP with the whole list")


@scenario
def check_and_start_errors(env):
    d = env.path("errs")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "bad.list"), "w") as f:
        f.write("# fronts\n10.0.0.0/8\nproxy.example.com\n")
    path = os.path.join(d, "bad.ini")
    with open(path, "w") as f:
        f.write("[trust]\nproxies_file = bad.list\n")
    r = subprocess.run([H.GATEWAY, "-c", path, "-t"], capture_output=True,
                       timeout=30)
    err = r.stderr.decode()
    eq(r.returncode, 1, "-t exit status on a bad list", err)
    check("%s/bad.list:3: \"proxy.example.com\" is not an IP address or a "
          "CIDR" % d in err, "-t names the list and the line", err)

    g = {"backend": "unix:" + env.path("nothing.sock")}
    g.update(DROP_TO)
    with open(path, "w") as f:
        f.write(H.ini_text((("gateway", g),
                            ("trust", {"proxies_file": "absent.list"}))))
    line = [i + 1 for i, l in enumerate(H.read_text(path).splitlines())
            if l.startswith("proxies_file")][0]
    r = subprocess.run([H.GATEWAY, "-c", path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    err = r.stderr.decode()
    eq(r.returncode, 1, "daemon exit status with a missing list", err)
    check("%s:%d: [trust] proxies_file: %s/absent.list: cannot open"
          % (path, line, d) in err, "the daemon names the INI line", err)


@scenario
def cgi_reads_list(env):
    if not os.access(XFF_CGI, os.X_OK):
        raise Failure("%s not built" % XFF_CGI)
    d = env.path("cgi")
    os.makedirs(d, exist_ok=True)
    shutil.copy(CF_LIST, os.path.join(d, "cloudflare.list"))
    path = os.path.join(d, "cgi.ini")
    with open(path, "w") as f:
        f.write(H.ini_text((("trust", {"x_for": 2, "proxies": "127.0.0.1",
                                       "proxies_file": "cloudflare.list"}),)))
    env_vars = {"PATH": "/usr/bin:/bin", "REMOTE_ADDR": "127.0.0.1",
                "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
                "SCRIPT_NAME": "/x", "REQUEST_URI": "/x",
                "HTTP_X_FORWARDED_FOR": "%s, %s" % (CLIENT, EDGE4)}
    r = subprocess.run([XFF_CGI, "-c", path, "/usr/bin/env"], env=env_vars,
                       capture_output=True, timeout=30)
    out = r.stdout.decode()
    eq(r.returncode, 0, "xff-cgi exit status", r.stderr)
    check("REMOTE_ADDR=%s" % CLIENT in out.splitlines(),
          "xff-cgi: the client behind the Cloudflare edge", out)


def main(argv):
    return H.run_scenarios(argv, TESTS, lambda: H.Env("xffgw-plist"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
