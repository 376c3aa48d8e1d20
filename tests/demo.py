#!/usr/bin/env python3
"""make demo: nginx on 127.0.0.1 -> xff-gateway -> the echo backend.

Starts the three (in a temporary directory, on loopback and Unix sockets),
sends a few requests with curl as a load balancer would, prints what the
backend saw, and leaves everything running; "make demo-stop" (or the stop
script it names) stops it.  Running it again first stops the previous demo.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "integration"))
import harness  # noqa: E402

STATE = os.path.join(os.environ.get("TMPDIR", "/tmp"), "xff-gateway-demo.stop")

INI = """\
[gateway]
backend = unix:%(backend)s
workers = 8

[trust]
x_for = 1
x_proto = 1
x_host = 1

[rules]
header_required = yes
"""


def stop_previous():
    if os.path.exists(STATE):
        subprocess.run(["sh", STATE], check=False)


def curl(port, path, headers):
    argv = ["curl", "-s", "-w", "\n%{http_code}"]
    for h in headers:
        argv += ["-H", h]
    argv.append("http://127.0.0.1:%d%s" % (port, path))
    out = subprocess.run(argv, capture_output=True, timeout=30).stdout
    body, _, code = out.decode("utf-8", "replace").rpartition("\n")
    return " ".join(["curl"] + ["-H '%s'" % h for h in headers] +
                    [argv[-1]]), int(code), body


def show(port, path, headers, keys):
    cmd, code, body = curl(port, path, headers)
    print("$ " + cmd)
    if code != 200:
        print("  -> HTTP %d: %s" % (code, body.strip()))
        return
    seen = {}
    for name, value in json.loads(body)["params"]:
        seen.setdefault(name, value)
    for k in keys:
        print("  %-22s %s" % (k, seen.get(k, "(absent)")))


def main():
    stop_previous()
    if os.geteuid() == 0:
        # A demo on a scratch machine: no service user to drop to.
        os.environ["XFF_GATEWAY_ALLOW_ROOT"] = "1"
    env = harness.Env("xff-demo")
    try:
        echo, backend = env.echo_app()
        gw = env.gateway(INI % {"backend": backend})
        port = harness.free_port()
        snippet = harness.NginxSnippet(gw.sock)
        ngx = env.nginx(harness.server_block(
            port, [harness.location("/", snippet.plain())]))
        env.wait_socket(ngx, ("127.0.0.1", port))
    except Exception:
        env.close()
        raise
    pids = [p.pid for p in env.procs]
    with open(STATE, "w") as f:
        f.write("kill %s 2>/dev/null\nsleep 1\nrm -rf '%s' '%s'\n"
                % (" ".join(str(p) for p in reversed(pids)), env.dir, STATE))

    keys = ["REMOTE_ADDR", "REMOTE_PORT", "HTTPS", "REQUEST_SCHEME",
            "HTTP_HOST", "SERVER_NAME", "SERVER_PORT",
            "HTTP_X_FORWARDED_FOR", "ORIGINAL_REMOTE_ADDR"]
    print("nginx on http://127.0.0.1:%d -> xff-gateway (%s) -> echo backend"
          % (port, gw.sock))
    print("configuration: %s\n" % gw.ini)
    print("A load balancer forwarded an HTTPS request from 203.0.113.7:")
    show(port, "/demo", ["X-Forwarded-For: 203.0.113.7:51234",
                         "X-Forwarded-Proto: https",
                         "X-Forwarded-Host: www.example.org"], keys)
    print("\nThe client forged an entry; only the one the balancer wrote counts:")
    show(port, "/demo", ["X-Forwarded-For: 6.6.6.6, 198.51.100.23",
                         "X-Forwarded-Proto: http"], keys)
    print("\nA request that did not come through the balancer is rejected:")
    show(port, "/demo", [], keys)
    print("\nThe gateway's log is %s." % gw.log)
    print("Try: curl -H 'X-Forwarded-For: 192.0.2.1' http://127.0.0.1:%d/" % port)
    print("Stop it with: make demo-stop   (or: sh %s)" % STATE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
