#!/usr/bin/env python3
"""The front side of xff-gateway under hostile and idle web-server
connections: connections are parked, not served by a thread each, and
nothing a client sends on the socket can crash the daemon, grow its
memory without bound or hold a worker.

Each scenario starts its own gateway (echo backend behind it, or
badbackend.py's server where the backend must misbehave), on a Unix
socket or on a TCP port of 127.0.0.1, sends raw FastCGI or goes through
nginx, then checks that the daemon is alive, that its memory stayed
bounded where it matters, and that a probe request is answered while the
hostile connections are still open.

Each scenario prints "ok NAME" or "FAIL NAME"; the last line is
"N passed, M failed"; the exit status is 1 when any failed.
"""
import os
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True     # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import Failure, check, eq, wait_for  # noqa: E402
import badbackend as BB  # noqa: E402

PEER = "127.0.0.1"
GET_VALUES, UNKNOWN_TYPE = 9, 11
# a probe must come back well within this, where a pinned worker never
# answers at all
PROBE_TIMEOUT = 10.0


def ini(backend, gateway=None, level="info", rules=None):
    g = {"backend": "unix:" + backend, "workers": 1, "connect_timeout": 2,
         "backend_timeout": 5, "keep_conn": "yes", "front_timeout": 2}
    g.update(H.drop_to())
    g.update(gateway or {})
    return H.ini_text((("gateway", g), ("trust", {"x_for": 1}),
                       ("rules", rules or {}),
                       ("log", {"level": level, "target": "stderr"})))


def enc_len(n):
    return bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(4, "big")


def pairs_bytes(pairs):
    out = b""
    for k, v in pairs:
        k, v = k.encode(), v.encode()
        out += enc_len(len(k)) + enc_len(len(v)) + k + v
    return out


def begin(keep=True, rid=1):
    return BB.record(BB.BEGIN, bytes([0, 1, 1 if keep else 0, 0, 0, 0, 0, 0]),
                     rid)


def params(uri="/probe"):
    path, _, query = uri.partition("?")
    return [("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri),
            ("SCRIPT_NAME", path), ("DOCUMENT_URI", path),
            ("QUERY_STRING", query), ("REMOTE_ADDR", PEER),
            ("REMOTE_PORT", "40000"), ("SERVER_NAME", "localhost"),
            ("SERVER_PORT", "80"), ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("HTTP_HOST", "localhost")]


def head(uri="/probe", keep=True):
    return (begin(keep) + BB.record(BB.PARAMS, pairs_bytes(params(uri)))
            + BB.record(BB.PARAMS, b""))


def request_bytes(uri="/probe", body=b"", keep=False):
    out = head(uri, keep)
    if body:
        out += BB.record(BB.STDIN, body)
    return out + BB.record(BB.STDIN, b"")


def status_of(ans):
    m = re.search(rb"^Status:\s*(\d+)", ans.stdout.split(b"\r\n\r\n")[0],
                  re.M)
    return int(m.group(1)) if m else (200 if ans.stdout else None)


def probe(gw, what):
    """A plain request on a new connection: answered 200 in time."""
    t0 = time.monotonic()
    data, timed_out = H.fcgi_exchange(gw.sock, request_bytes(), PROBE_TIMEOUT,
                                      tolerant=True)
    ans = H.parse_answer(data)
    check(not timed_out and status_of(ans) == 200,
          "%s: a probe request is not answered" % what,
          "timed out: %s, after %.1f s" % (timed_out, time.monotonic() - t0),
          "answer: %r" % data[:200], "log: " + gw.log_text()[-1500:])
    return time.monotonic() - t0


def connect(gw):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(PROBE_TIMEOUT)
    s.connect(gw.sock)
    return s


def kb(pid, field):
    text = H.read_text("/proc/%d/status" % pid)
    m = re.search(r"^%s:\s*(\d+)" % field, text, re.M)
    return int(m.group(1)) if m else 0


def read_until_close(s, deadline):
    """Reads until the peer closes (True) or deadline seconds pass."""
    s.settimeout(0.5)
    data = b""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return True, data
        if not d:
            return True, data
        data += d
    return False, data


class Suite:
    def __init__(self):
        self.env = H.Env("xffgw-front")
        self._echo = None
        self.n = 0

    def gateway(self, gateway=None, level="info", env=None, backend=None,
                rules=None):
        """A gateway before backend (the shared echo app when None), with
        env added to its environment and rules as its [rules]: under
        spawn-fcgi on a Unix socket, or alone when gateway names a
        listen = address."""
        if backend is None:
            if self._echo is None or not self._echo[0].alive():
                self._echo = self.env.echo_app("echo", threads=64)
            backend = self._echo[1]
        self.n += 1
        text = ini(backend, gateway, level, rules)
        if (gateway or {}).get("listen"):
            return self.env.gateway_bound(text, "gw-%d" % self.n,
                                          error=Failure, env=env)
        return self.env.gateway(text, "gw-%d" % self.n, error=Failure,
                                env=env)

    def close(self):
        for c in STATUS_CONNS:
            c.close()
        self.env.close()


TESTS, _scenario = H.scenarios()


def scenario(fn):
    """A scenario whose returned text is printed as its evidence."""
    def run(s):
        note = fn(s)
        if note:
            print("    " + note)
    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return _scenario(run)


@scenario
def crash_pair(s):
    """A 96-byte PARAMS pair announcing 1 GiB name and value lengths is
    refused (400) before libfcgi sees it; the daemon lives on."""
    gw = s.gateway()
    pair = enc_len(0x40000000) + enc_len(0x40000000) + b"A" * 80
    raw = begin(False) + BB.record(BB.PARAMS, pair)
    data, _ = H.fcgi_exchange(gw.sock, raw, PROBE_TIMEOUT, tolerant=True)
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    eq(status_of(H.parse_answer(data)), 400, "answer to the pair")
    probe(gw, "after the pair")
    return "96-byte pair answered 400, daemon alive"


@scenario
def huge_params(s):
    """4 connections sending 300 MB of PARAMS each: refused once over the
    params limit; peak RSS stays small."""
    gw = s.gateway({"workers": 4})
    pid = gw.popen.pid
    chunk = pairs_bytes([("HTTP_X_%d" % i, "v" * 60000) for i in range(1)])
    rec = BB.record(BB.PARAMS, chunk)
    sent = [0] * 4

    def flood(i):
        try:
            c = connect(gw)
            c.sendall(begin(False))
            while sent[i] < 300 * 1024 * 1024:
                c.sendall(rec)
                sent[i] += len(rec)
        except OSError:
            pass
    ts = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    hwm = kb(pid, "VmHWM")
    check(H.VALGRIND or hwm < 64 * 1024, "peak RSS %d kB after 4 x 300 MB of PARAMS" % hwm)
    check(max(sent) < 300 * 1024 * 1024,
          "a 300 MB head was read to its end", sent)
    probe(gw, "after the PARAMS flood")
    return "peak RSS %d kB; bytes taken before the refusal: %s" % (
        hwm, [x // 1024 for x in sent])


@scenario
def mgmt_flood(s):
    """2 M unknown management records on one connection are answered
    FCGI_UNKNOWN_TYPE one by one, without RSS growth."""
    gw = s.gateway()
    pid = gw.popen.pid
    probe(gw, "before")
    before = kb(pid, "VmRSS")
    # under valgrind every record costs far more: fewer, and no RSS bound
    n = 20000 if H.VALGRIND else 2000000
    rec = bytes([1, 42, 0, 0, 0, 0, 0, 0])
    c = connect(gw)
    got = [0, b""]

    def reader():
        c.settimeout(30)
        try:
            while got[0] < 16 * n:
                d = c.recv(1 << 20)
                if not d:
                    break
                if not got[1]:
                    got[1] = d[:16]
                got[0] += len(d)
        except OSError:
            pass
    t = threading.Thread(target=reader)
    t.start()
    batch = rec * 65536
    try:
        for _ in range(n // 65536):
            c.sendall(batch)
        c.sendall(rec * (n % 65536))
    except OSError:
        pass
    t.join(120)
    c.close()
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    after = kb(pid, "VmRSS")
    eq(got[0], 16 * n, "answer bytes")
    check(got[1][:2] == bytes([1, UNKNOWN_TYPE]),
          "no FCGI_UNKNOWN_TYPE answer", got[1])
    check(H.VALGRIND or after - before < 8 * 1024, "RSS grew from %d to %d kB" % (
        before, after))
    probe(gw, "after the management flood")
    return "%d answer bytes; RSS %d -> %d kB" % (got[0], before, after)


def stray(kind):
    if kind == "abort":
        return BB.record(BB.ABORT, b"")
    if kind == "begin":
        return begin(True)
    body = pairs_bytes([("FCGI_MPXS_CONNS", "")])
    return BB.record(GET_VALUES, body, 0)


@scenario
def stray_records(s):
    """ABORT_REQUEST, a second BEGIN_REQUEST or FCGI_GET_VALUES after the
    params, in the middle of the body or after it, on a kept connection
    left open: the one worker is not held, a probe is answered."""
    gw = s.gateway({"workers": 1})
    rows = []
    for kind in ("abort", "begin", "get_values"):
        for where in ("after_params", "mid_body", "after_body"):
            c = connect(gw)
            raw = head("/stray", keep=True)
            body1 = BB.record(BB.STDIN, b"x" * 100)
            body2 = BB.record(BB.STDIN, b"y" * 100) + BB.record(BB.STDIN, b"")
            if where == "after_params":
                raw += stray(kind) + body1 + body2
            elif where == "mid_body":
                raw += body1 + stray(kind) + body2
            else:
                raw += body1 + body2 + stray(kind)
            c.sendall(raw)
            t = probe(gw, "%s %s" % (kind, where))
            check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
            rows.append("%s/%s %.2fs" % (kind, where, t))
            c.close()
    return ", ".join(rows)


@scenario
def silent_and_half_sent(s):
    """A silent connection, one sending only BEGIN_REQUEST and one
    stopping mid-PARAMS hold no worker (one worker, probe answered), and
    are closed after front_timeout."""
    gw = s.gateway({"workers": 1, "front_timeout": 2})
    silent = connect(gw)
    only_begin = connect(gw)
    only_begin.sendall(begin())
    half = connect(gw)
    half.sendall(head()[:40])
    t = probe(gw, "with silent and half-sent connections")
    closed = [read_until_close(c, 15)[0] for c in (silent, only_begin, half)]
    eq(closed, [True, True, True], "closed after front_timeout")
    check(wait_for(lambda: "front_timeout" in gw.log_text(), 10),
          "no front_timeout log line", gw.log_text()[-1500:])
    probe(gw, "after the timeouts")
    return "probe in %.2f s; the three connections closed" % t


@scenario
def idle_400(s):
    """400 silent connections do not delay a real request: answered
    within 1 s."""
    gw = s.gateway({"workers": 16, "front_timeout": 30})
    conns = [connect(gw) for _ in range(400)]
    time.sleep(0.5)
    t = probe(gw, "with 400 silent connections")
    check(t < (5.0 if H.VALGRIND else 1.0), "the request took %.2f s" % t)
    for c in conns:
        c.close()
    return "answered in %.3f s" % t


@scenario
def overload_503(s):
    """max_conns reached: a new connection is answered 503 and counted."""
    gw = s.gateway({"workers": 2, "max_conns": 3, "front_timeout": 30})
    # the start-up probe's connection is gone first
    check(wait_for(lambda: H.unix_connections(gw.sock) == 0, 10),
          "connections left open after start-up")
    conns = [connect(gw) for _ in range(3)]
    time.sleep(0.3)
    data, _ = H.fcgi_exchange(gw.sock, request_bytes(), PROBE_TIMEOUT,
                              tolerant=True)
    eq(status_of(H.parse_answer(data)), 503, "answer over max_conns",
       gw.log_text()[-1500:])
    check(wait_for(lambda: "connections_exhausted" in gw.log_text(), 5),
          "no log line", gw.log_text()[-1500:])
    for c in conns:
        c.close()
    check(wait_for(lambda: status_of(H.parse_answer(H.fcgi_exchange(
        gw.sock, request_bytes(), PROBE_TIMEOUT, tolerant=True)[0])) == 200,
        10), "not served again once connections closed")
    return "503 at max_conns, 200 again after"


@scenario
def nginx_keepalive_more_conns(s):
    """nginx keeps more connections than there are workers (2 workers,
    keepalive 32, 24 clients): no request stalls."""
    gw = s.gateway({"workers": 2, "front_timeout": 30})
    port = H.free_port()
    ups = ("upstream gw { server unix:%s max_conns=64; keepalive 32; }\n"
           % gw.sock)
    loc = ("location / {\n include fastcgi_params;\n fastcgi_keep_conn on;\n"
           " fastcgi_pass gw;\n fastcgi_read_timeout 30s;\n}\n")
    ng = s.env.nginx(H.server_block(port, loc), ups, name="ng-ka-%d" % s.n,
                     workers=2)
    s.env.wait_socket(ng, ("127.0.0.1", port))
    errors, slow = [], []

    def client(i):
        for _ in range(15):
            t0 = time.monotonic()
            try:
                r = H.request(port, "/ka?%d" % i, timeout=10)
                if r.status != 200:
                    errors.append(r.status)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
            if time.monotonic() - t0 > 3:
                slow.append(time.monotonic() - t0)
    ts = [threading.Thread(target=client, args=(i,)) for i in range(24)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    check(not errors, "%d failed requests" % len(errors), errors[:5])
    check(not slow, "%d requests slower than 3 s" % len(slow), slow[:5])
    return "360 requests through nginx keep-alive, none slow"


def answer_on(c, timeout=PROBE_TIMEOUT):
    """Reads one answer (up to END_REQUEST) from the connection c."""
    c.settimeout(timeout)
    data = b""
    try:
        while True:
            ans = H.parse_answer(data)
            if ans.end is not None:
                return ans
            d = c.recv(65536)
            if not d:
                return H.parse_answer(data)
            data += d
    except OSError:
        return H.parse_answer(data)


@scenario
def drain_kept(s):
    """SIGTERM with one worker busy on a slow request, another request
    already sent on a second kept connection and a third connection
    idle: both requests are answered, the idle connection is closed, the
    daemon exits."""
    gw = s.gateway({"workers": 1, "front_timeout": 30})
    a, b, idle = connect(gw), connect(gw), connect(gw)
    a.sendall(request_bytes("/slow?sleep=1", keep=True))
    time.sleep(0.3)
    b.sendall(request_bytes("/queued", keep=True))
    time.sleep(0.2)
    gw.popen.send_signal(15)
    ra, rb = answer_on(a), answer_on(b)
    eq((status_of(ra), status_of(rb)), (200, 200),
       "answers to the request in flight and to the one already sent",
       gw.log_text()[-1500:])
    check(read_until_close(idle, 10)[0], "the idle connection stays open")
    check(wait_for(lambda: gw.popen.poll() is not None, 15),
          "the daemon did not exit")
    eq(gw.popen.returncode, 0, "exit status")
    return "both answered 200, idle connection closed, exit 0"


@scenario
def drain_partial_head(s):
    """SIGTERM while a connection holds half a request head
    (front_timeout = 2): the drain keeps the head's deadline, closes the
    connection when it passes and exits long before its own budget
    (backend_timeout 30 s + 2 s)."""
    gw = s.gateway({"workers": 2, "front_timeout": 2, "backend_timeout": 30})
    c = connect(gw)
    c.sendall(head("/half")[:40])
    time.sleep(0.3)
    t0 = time.monotonic()
    gw.popen.send_signal(15)
    check(wait_for(lambda: gw.popen.poll() is not None, 15),
          "the daemon did not exit within 15 s of SIGTERM with a half "
          "head open", gw.log_text()[-1500:])
    took = time.monotonic() - t0
    c.close()
    eq(gw.popen.returncode, 0, "exit status", gw.log_text()[-1500:])
    return "exited %.1f s after SIGTERM" % took


@scenario
def queued_after_block(s):
    """workers = 1: a request whose answer streams for 2 s (its thread
    blocks on the backend and a spare takes its place) and a second
    request queued behind it on another kept connection: once the first
    ends, the second is served without any other traffic to wake a
    thread."""
    gw = s.gateway({"workers": 1, "front_timeout": 30,
                    "status_uri": "/xff-status"})
    a, b = connect(gw), connect(gw)
    a.sendall(request_bytes("/stream?stream=10", keep=True))
    time.sleep(0.5)
    b.sendall(request_bytes("/queued", keep=True))
    ra = answer_on(a, PROBE_TIMEOUT + 5)
    eq(status_of(ra), 200, "the streamed answer", gw.log_text()[-1500:])
    t0 = time.monotonic()
    rb = answer_on(b, PROBE_TIMEOUT)
    waited = time.monotonic() - t0
    check(rb is not None and rb.end is not None and status_of(rb) == 200,
          "the queued request is not served after the first one ended "
          "(%.1f s)" % waited, gw.log_text()[-1500:])
    for c in (a, b):
        c.close()
    return "served %.3f s after the first ended" % waited


@scenario
def status_while_busy(s):
    """The status page answers while the only worker is busy, and shows
    it busy."""
    gw = s.gateway({"workers": 1, "status_uri": "/xff-status",
                    "front_timeout": 30})
    a = connect(gw)
    a.sendall(request_bytes("/slow?sleep=2", keep=False))
    time.sleep(0.3)
    t0 = time.monotonic()
    data, timed_out = H.fcgi_exchange(gw.sock, request_bytes("/xff-status"),
                                      PROBE_TIMEOUT, tolerant=True)
    t = time.monotonic() - t0
    ans = H.parse_answer(data)
    check(not timed_out and t < 1.5, "status page took %.2f s" % t)
    check(b"xff_gateway_workers_busy 1" in ans.stdout,
          "workers_busy is not 1", ans.stdout[:2000])
    eq(status_of(answer_on(a)), 200, "the slow request")
    return "status page in %.3f s with the worker busy" % t


WEB_ADDRS = "FCGI_WEB_SERVER_ADDRS"


def second_loopback():
    """127.0.0.2 when this host can send from it (Linux routes all of
    127/8 to lo), else None."""
    sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sk.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return None
    finally:
        sk.close()


def tcp_exchange(addr, uri, source=None):
    """A plain request on a new TCP connection to addr, from source:
    (the bytes that came back, True when the time ran out)."""
    return H.fcgi_exchange(addr, request_bytes(uri), PROBE_TIMEOUT,
                           tolerant=True, source=source)


def refused_lines(gw, peer):
    return len(re.findall(r"peer_refused peer=%s reason=FCGI_WEB_SERVER_ADDRS"
                          % re.escape(peer), gw.log_text()))


def metric(text, name):
    """The value of the unlabelled metric name in status page text."""
    m = re.search(rb"^%s (\d+)$" % name.encode(), text, re.M)
    return int(m.group(1)) if m else None


@scenario
def web_server_addrs(s):
    """FCGI_WEB_SERVER_ADDRS with listen = 127.0.0.1:PORT: a peer outside
    the list is closed without an answer, logged peer_refused and counted
    on the status page, and the daemon lives on; a peer in the list
    (written after ", ") is served by the backend; a Unix-socket listener
    ignores the variable, as libfcgi does."""
    other = second_loopback()
    sources = [None, None] + ([other] if other else [])

    # 127.0.0.1 not in the list: every local peer is refused
    addr = (PEER, H.free_port())
    gw = s.gateway({"listen": "%s:%d" % addr},
                   env={WEB_ADDRS: "192.0.2.1,198.51.100.2"})
    for i, src in enumerate(sources):
        data, timed_out = tcp_exchange(addr, "/refused-%d" % i, src)
        check(not timed_out and data == b"",
              "a peer outside the list (%s): connection not closed at once, "
              "or answered" % (src or PEER), "timed out: %s" % timed_out,
              "answer: %r" % data[:200], gw.log_text()[-1500:])
    check(wait_for(lambda: refused_lines(gw, PEER) == 2, 10),
          "2 peer_refused lines for %s" % PEER, gw.log_text()[-1500:])
    if other:
        check(wait_for(lambda: refused_lines(gw, other) == 1, 10),
              "a peer_refused line for %s" % other, gw.log_text()[-1500:])
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    check(not re.search(r"front_error|backend_error", gw.log_text()),
          "a refused peer reached a worker", gw.log_text()[-1500:])
    s.env.stop(gw)

    # 127.0.0.1 in the list: served; 127.0.0.2 (when usable) refused
    addr = (PEER, H.free_port())
    gw = s.gateway({"listen": "%s:%d" % addr, "status_uri": "/xff-status"},
                   env={WEB_ADDRS: "192.0.2.1, 127.0.0.1"})
    data, timed_out = tcp_exchange(addr, "/listed")
    ans = H.parse_answer(data)
    check(not timed_out and status_of(ans) == 200 and
          b'"REQUEST_URI", "/listed"' in ans.stdout,
          "a listed peer is not answered by the backend",
          "answer: %r" % data[:300], gw.log_text()[-1500:])
    if other:
        data, timed_out = tcp_exchange(addr, "/not-listed", other)
        check(not timed_out and data == b"",
              "%s (not listed): connection not closed at once" % other,
              "answer: %r" % data[:200], gw.log_text()[-1500:])
        check(wait_for(lambda: refused_lines(gw, other) == 1, 10),
              "a peer_refused line for %s" % other, gw.log_text()[-1500:])
    data, timed_out = tcp_exchange(addr, "/xff-status")
    page = H.parse_answer(data).stdout
    eq(metric(page, "xff_gateway_connections_refused_total"),
       1 if other else 0, "connections refused on the status page",
       page[:3000])
    eq(refused_lines(gw, PEER), 0, "peer_refused lines for a listed peer")
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    s.env.stop(gw)

    # a Unix socket from spawn-fcgi: the variable does not apply
    gw = s.gateway(env={WEB_ADDRS: "192.0.2.1"})
    probe(gw, "on a Unix socket with %s set" % WEB_ADDRS)
    check("peer_refused" not in gw.log_text(),
          "a Unix-socket peer was refused", gw.log_text()[-1500:])
    s.env.stop(gw)
    return "refused: %d connections closed unanswered; listed: 200%s; " \
        "Unix socket: variable ignored" % (
            len(sources), ", 127.0.0.2 refused and counted" if other else
            " (127.0.0.2 unusable here: refusal count not checked)")


def post_params(uri, length, extra=()):
    """params() of a POST with a body of length bytes, then the pairs
    extra."""
    return [(k, "POST" if k == "REQUEST_METHOD" else v)
            for k, v in params(uri)] + [
        ("CONTENT_TYPE", "application/octet-stream"),
        ("CONTENT_LENGTH", str(length))] + list(extra)


def post_head(uri, length, keep=False, extra=()):
    return (begin(keep) + BB.record(BB.PARAMS, pairs_bytes(
        post_params(uri, length, extra))) + BB.record(BB.PARAMS, b""))


def send_paced(c, gw, head_bytes, size, piece):
    """Sends a head, then size body bytes in pieces of piece bytes (two
    STDIN records each) 0.25 s apart, and the end of the body; fails
    when the gateway cuts it."""
    t0 = time.monotonic()
    taken = 0
    try:
        c.sendall(head_bytes)
        for _ in range(size // piece):
            time.sleep(0.25)
            c.sendall(BB.record(BB.STDIN, b"p" * (piece // 2)) * 2)
            taken += piece
        c.sendall(BB.record(BB.STDIN, b""))
    except OSError as e:
        raise Failure("the paced body was cut after %d bytes in %.1f s: %s\n"
                      "    %s" % (taken, time.monotonic() - t0, e,
                                  gw.log_text()[-1500:]))


def drip(c, pieces=10):
    """Sends one 8-byte STDIN record every 1.5 s, at most pieces of
    them, until the gateway closes the connection; returns (pieces
    sent, closed, the bytes read meanwhile)."""
    sent, data = 0, b""
    while sent < pieces:
        try:
            c.sendall(BB.record(BB.STDIN, b"d" * 8))
        except OSError:
            return sent, True, data
        sent += 1
        closed, d = read_until_close(c, 1.5)
        data += d
        if closed:
            return sent, True, data
    return sent, False, data


def echo_stdin_len(ans):
    """stdin_len from the echo app's JSON answer, else None."""
    m = re.search(rb'"stdin_len":\s*(\d+)', ans.stdout)
    return int(m.group(1)) if m else None


@scenario
def body_drip(s):
    """front_timeout = 2, one worker: a body dripping one 8-byte STDIN
    record every 1.5 s (each wait shorter than front_timeout) is cut once
    the waits add up to front_timeout, long before 10 pieces; logged and
    counted; a probe is answered after.  A 2 MiB body at full speed and a
    1 MiB body paced at 256 KiB/s over about 4 s are served whole."""
    ft = 2
    gw = s.gateway({"workers": 1, "front_timeout": ft,
                    "status_uri": "/xff-status"})
    c = connect(gw)
    c.sendall(post_head("/drip", 80))
    t0 = time.monotonic()
    sent, closed, _ = drip(c)
    elapsed = time.monotonic() - t0
    c.close()
    check(closed, "a body dripping below the minimum rate is still read "
          "after %d pieces in %.1f s" % (sent, elapsed), gw.log_text()[-1500:])
    check(elapsed < ft + 10, "cut only after %.1f s" % elapsed)
    check(wait_for(lambda: re.search(
        r"front_timeout: the request body did not arrive within "
        r"front_timeout at the minimum rate", gw.log_text()), 10),
        "no front_timeout log line for the body", gw.log_text()[-1500:])
    probe(gw, "after the dripping body was cut")
    data, _ = H.fcgi_exchange(gw.sock, request_bytes("/xff-status"),
                              PROBE_TIMEOUT, tolerant=True)
    page = H.parse_answer(data).stdout
    eq(metric(page, "xff_gateway_front_timeouts_total"), 1,
       "front timeouts on the status page", page[:3000])

    size = 2 << 20
    t1 = time.monotonic()
    ans = H.fcgi_request(gw.sock, post_params("/fast", size),
                         stdin=b"f" * size, timeout=PROBE_TIMEOUT * 3)
    fast = time.monotonic() - t1
    eq((status_of(ans), echo_stdin_len(ans)), (200, size),
       "status and body bytes at the backend, 2 MiB at full speed",
       ans.stdout[-300:], gw.log_text()[-1500:])

    # 16 pieces of 64 KiB, 0.25 s apart: the waits add up to twice
    # front_timeout, the rate is four times the minimum
    size, piece = 1 << 20, 64 * 1024
    c = connect(gw)
    t1 = time.monotonic()
    send_paced(c, gw, post_head("/paced", size), size, piece)
    ans = answer_on(c)
    paced = time.monotonic() - t1
    c.close()
    eq((status_of(ans), echo_stdin_len(ans)), (200, size),
       "status and body bytes at the backend, 1 MiB paced",
       ans.stdout[-300:], gw.log_text()[-1500:])
    eq(len(re.findall(r"front_timeout:", gw.log_text())), 1,
       "front_timeout lines")
    return ("drip cut after %d pieces, %.1f s; 2 MiB in %.2f s, 1 MiB paced "
            "in %.1f s, both whole" % (sent, elapsed, fast, paced))


@scenario
def body_backend_slow(s):
    """front_timeout = 2, a backend that starts reading the body 4 s
    after the params: the time the gateway waits for the backend to take
    the body does not count against the web server, and a 2 MiB body
    sent at full speed is served whole."""
    size = 2 << 20
    with H.Stopper(s.env) as st:
        srv = st.add(BB.Server(s.env.path("late.sock")).start())
        gw = st.add(s.gateway({"workers": 1, "front_timeout": 2,
                               "backend_timeout": 10}, backend=srv.path))
        t0 = time.monotonic()
        ans = H.fcgi_request(gw.sock, post_params(
            "/late?fault=late_read&late=4", size), stdin=b"l" * size,
            timeout=PROBE_TIMEOUT * 3)
        t = time.monotonic() - t0
        eq((status_of(ans), echo_stdin_len(ans)), (200, size),
           "status and body bytes at the backend", ans.stdout[-300:],
           gw.log_text()[-1500:])
        check(t >= 4, "the backend did not hold the body back (%.1f s)" % t)
        check("front_timeout" not in gw.log_text(),
              "the wait for the backend counted as a front timeout",
              gw.log_text()[-1500:])
    return "2 MiB through a backend reading 4 s late, in %.1f s" % t


STATUS_CONNS = []      # kept connections of status_page(), closed at the end


def status_page(gw, uri="/xff-status"):
    """The status page's text, or None when it is not answered 200
    within PROBE_TIMEOUT.  Asked on one kept connection per gateway, as
    a scraper keeping its connection does: the gateway gives the
    request's context back before it looks at the connection again,
    where a request on a new connection may come while the previous
    one's close still holds it."""
    ans = None
    for _ in range(2):
        c = getattr(gw, "status_conn", None)
        if c is None:
            c = gw.status_conn = connect(gw)
            STATUS_CONNS.append(c)
        try:
            c.sendall(request_bytes(uri, keep=True))
            ans = answer_on(c)
        except OSError:
            ans = None
        if ans is not None and ans.end is not None:
            break
        c.close()
        gw.status_conn = None
    if ans is None or ans.end is None or status_of(ans) != 200:
        return None
    return ans.stdout


class Later:
    """A failure detail computed only when the failure is reported."""

    def __init__(self, fn):
        self.fn = fn

    def __str__(self):
        return str(self.fn())


def page_metric(gw, name):
    """A metric from a fresh status page, None when the page or the
    metric is missing."""
    page = status_page(gw)
    return None if page is None else metric(page, name)


def held(gw, n):
    """True once n requests besides the status page's own are in
    flight."""
    return page_metric(gw, "xff_gateway_requests_in_flight") == n + 1


def cpu_seconds(pid):
    """User plus system CPU time of pid, all its threads, in seconds."""
    st = H.read_text("/proc/%d/stat" % pid)
    f = st[st.rfind(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


BODY_CUT_RX = (r"front_timeout: the request body did not arrive within "
               r"front_timeout at the minimum rate")


@scenario
def partial_header(s):
    """front_timeout = 2, one worker: whole params, then 3 bytes of a
    STDIN record header and nothing more, on a relayed request and on a
    status page request (whose body is drained): the bytes make the
    socket readable without a record to take, yet each connection is
    closed within front_timeout + 10 s while the daemon uses less than
    0.5 s of CPU (a wait on the readable socket would use it all); the
    relayed one is logged and counted as a front
    timeout; a probe is answered after."""
    ft, cpu_max = 2, 0.5
    gw = s.gateway({"workers": 1, "front_timeout": ft,
                    "status_uri": "/xff-status"})
    pid = gw.popen.pid
    rows = []
    for what, uri in (("relayed", "/partial"), ("status page",
                                                 "/xff-status")):
        c = connect(gw)
        c.sendall(post_head(uri, 64))
        # the head is read before the 3 bytes come: they stay in the socket
        check(wait_for(lambda: held(gw, 1), 10),
              "%s: the request is not in flight" % what,
              gw.log_text()[-1500:])
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        c.sendall(BB.record(BB.STDIN, b"p" * 64)[:3])
        closed, _ = read_until_close(c, ft + 10)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
        c.close()
        check(closed, "%s: the connection is still open %.1f s after part "
              "of a header" % (what, elapsed), gw.log_text()[-1500:])
        check(cpu < cpu_max, "%s: the daemon used %.2f s of CPU in %.1f s "
              "waiting for the rest of a header" % (what, cpu, elapsed))
        check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
        rows.append("%s closed after %.1f s, %.2f s CPU" % (what, elapsed,
                                                           cpu))
        if what == "relayed":
            check(wait_for(lambda: re.search(BODY_CUT_RX, gw.log_text()),
                           10), "no front_timeout log line for the body",
                  gw.log_text()[-1500:])
            eq(page_metric(gw, "xff_gateway_front_timeouts_total"), 1,
               "front timeouts on the status page")
    probe(gw, "after the partial headers")
    return "; ".join(rows)


@scenario
def drain_drip(s):
    """front_timeout = 2: the body of a request the gateway answers
    itself (the status page; a 400 under strict rules), dripping one
    8-byte STDIN record every 1.5 s, is drained with one budget for all
    its waits: the answer comes and the connection is closed after a
    few pieces, long before 10.  A 1 MiB body paced at 256 KiB/s (its
    waits add up to twice front_timeout) is drained whole: the answer
    comes and the kept connection serves the next request.  A probe is
    answered after."""
    ft = 2
    gw = s.gateway({"workers": 1, "front_timeout": ft,
                    "status_uri": "/xff-status"})
    strict = s.gateway({"workers": 1, "front_timeout": ft},
                       rules={"strict": "yes"})
    bad_xff = [("HTTP_X_FORWARDED_FOR", "unknown")]
    rows = []
    for what, g, uri, extra, want in (
            ("status page", gw, "/xff-status", (), 200),
            ("400", strict, "/strict", bad_xff, 400)):
        c = connect(g)
        c.sendall(post_head(uri, 80, keep=True, extra=extra))
        t0 = time.monotonic()
        sent, closed, data = drip(c)
        elapsed = time.monotonic() - t0
        c.close()
        check(closed, "%s: a body dripping below the minimum rate is still "
              "drained after %d pieces in %.1f s" % (what, sent, elapsed),
              g.log_text()[-1500:])
        check(elapsed < ft + 10, "%s: cut only after %.1f s" % (what,
                                                                elapsed))
        ans = H.parse_answer(data)
        eq(status_of(ans), want, "%s: answer before the close" % what,
           data[:300], g.log_text()[-1500:])
        check(want != 200 or b"xff_gateway_requests_total" in ans.stdout,
              "%s: not the status page" % what, ans.stdout[:300])
        rows.append("%s cut after %d pieces, %.1f s" % (what, sent, elapsed))
        check(g.alive(), "the daemon died", g.log_text()[-1500:])
        check(wait_for(lambda: "front_timeout: the request body did not "
                       "arrive" in g.log_text(), PROBE_TIMEOUT),
              "%s: the cut drain is not logged" % what, g.log_text()[-1500:])
    data, timed_out = H.fcgi_exchange(strict.sock, request_bytes("/after"),
                                      PROBE_TIMEOUT, tolerant=True)
    eq(status_of(H.parse_answer(data)), 400, "strict, after the drip",
       data[:300], strict.log_text()[-1500:])

    # 16 pieces of 64 KiB, 0.25 s apart
    size, piece = 1 << 20, 64 * 1024
    c = connect(gw)
    t1 = time.monotonic()
    send_paced(c, gw, post_head("/xff-status", size, keep=True), size, piece)
    ans = answer_on(c)
    paced = time.monotonic() - t1
    eq(status_of(ans), 200, "status page after a 1 MiB paced body",
       ans.stdout[:300], gw.log_text()[-1500:])
    try:
        c.sendall(request_bytes("/after-paced", keep=True))
        nxt = answer_on(c)
    except OSError as e:
        raise Failure("the kept connection was closed after the paced body "
                      "was drained: %s\n    %s" % (e, gw.log_text()[-1500:]))
    c.close()
    check(status_of(nxt) == 200 and b"/after-paced" in nxt.stdout,
          "the kept connection does not serve the next request after the "
          "paced body", nxt.stdout[:300], gw.log_text()[-1500:])
    probe(gw, "after the drained bodies")
    return "%s; 1 MiB paced drained in %.1f s, connection kept" % (
        "; ".join(rows), paced)


@scenario
def spares_take_over(s):
    """More requests blocking a thread in one step (their bodies trickle:
    a 1 KiB STDIN record every 0.5 s) than this process has CPUs, i.e.
    than threads taking events: spare threads take over, so a probe is
    answered 200 and the status page answers while they are all held,
    each counted in threads_blocked_total.  Released, they end 200 with
    their whole body; then a probe is answered and, idle, one thread per
    CPU takes events (threads_active)."""
    ncpu = len(os.sched_getaffinity(0))
    nslow = ncpu + 2
    workers = max(8, nslow + 2)
    target = min(ncpu, workers + 1)
    gw = s.gateway({"workers": workers, "front_timeout": 30,
                    "status_uri": "/xff-status"})
    check(wait_for(lambda: page_metric(gw, "xff_gateway_threads_active")
                   == target, 10),
          "threads taking events at rest: expected %d" % target,
          Later(lambda: status_page(gw)))
    blocked0 = page_metric(gw, "xff_gateway_threads_blocked_total")
    check(blocked0 is not None, "no xff_gateway_threads_blocked_total",
          Later(lambda: status_page(gw)))
    conns, bodies = [], []
    lock = threading.Lock()
    stop = threading.Event()
    piece = BB.record(BB.STDIN, b"t" * 1024)
    for i in range(nslow):
        c = connect(gw)
        c.sendall(post_head("/trickle-%d" % i, 1 << 20) + piece)
        conns.append(c)
        bodies.append(1024)

    def drip():
        while not stop.wait(0.5):
            with lock:
                for i, c in enumerate(conns):
                    try:
                        c.sendall(piece)
                        bodies[i] += 1024
                    except OSError:
                        pass
    t = threading.Thread(target=drip)
    t.start()
    try:
        check(wait_for(lambda: held(gw, nslow), PROBE_TIMEOUT),
              "the %d trickling requests are not all in flight" % nslow,
              Later(lambda: status_page(gw)), gw.log_text()[-1500:])
        # two more pieces each reached the blocked requests
        check(wait_for(lambda: min(bodies) >= 3 * 1024, PROBE_TIMEOUT),
              "the bodies do not trickle", bodies)
        t_probe = probe(gw, "with %d requests blocking threads on %d CPUs"
                        % (nslow, ncpu))
        page = status_page(gw)
        check(page is not None, "the status page does not answer while "
              "the requests are held", gw.log_text()[-1500:])
        # the probe's worker is free once its connection is closed
        check(wait_for(lambda: page_metric(gw, "xff_gateway_workers_busy")
                       == nslow, PROBE_TIMEOUT),
              "workers busy while held: expected %d" % nslow,
              Later(lambda: status_page(gw)))
        blocked = metric(page, "xff_gateway_threads_blocked_total")
        check(blocked is not None and blocked - blocked0 >= nslow,
              "threads_blocked_total went from %s to %s with %d requests "
              "blocking a thread" % (blocked0, blocked, nslow), page[:3000])
        # the blocked threads are not counted, the spares that took
        # their places are
        check(wait_for(lambda: page_metric(
            gw, "xff_gateway_threads_active") == target, PROBE_TIMEOUT),
            "threads taking events while held: expected %d" % target,
            Later(lambda: status_page(gw)))
    finally:
        stop.set()
        t.join(10)
    answers = []
    for i, c in enumerate(conns):
        try:
            c.sendall(BB.record(BB.STDIN, b""))
        except OSError:
            pass
        answers.append(answer_on(c))
        c.close()
    got = [(status_of(a), echo_stdin_len(a)) for a in answers]
    eq(got, [(200, n) for n in bodies],
       "status and body bytes of the released requests",
       gw.log_text()[-1500:])
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    probe(gw, "after the release")
    check(wait_for(lambda: page_metric(gw, "xff_gateway_threads_active")
                   == target, 10),
          "threads taking events at rest after the release: expected %d"
          % target, Later(lambda: status_page(gw)))
    return ("%d trickling requests on %d CPUs: probe in %.2f s, %d blocked "
            "steps, %d threads taking events" % (nslow, ncpu, t_probe,
                                                 blocked - blocked0, target))


@scenario
def backend_wait_no_thread(s):
    """workers = 4, the echo backend sleeping 6 s (20 s under valgrind)
    before answering: 4
    requests (on kept connections, as nginx keep-alive sends them)
    waiting for their backend hold a worker each
    (workers_busy 4 on the status page, which still answers) but no
    thread (threads_blocked_total does not count their waits); a 5th
    request waits for a worker (workers_exhausted_total grows, no answer
    yet) and is served once one is free; all 5 end 200."""
    # the checks while they wait take far less than the backend's sleep
    nw, sleep = 4, (20 if H.VALGRIND else 6)
    gw = s.gateway({"workers": nw, "front_timeout": 30,
                    "backend_timeout": 30, "status_uri": "/xff-status"})
    page = status_page(gw)
    check(page is not None, "no status page", gw.log_text()[-1500:])
    blocked0 = metric(page, "xff_gateway_threads_blocked_total")
    exhausted0 = metric(page, "xff_gateway_workers_exhausted_total")
    conns = []
    for i in range(nw):
        c = connect(gw)
        c.sendall(request_bytes("/wait-%d?sleep=%d" % (i, sleep),
                                keep=True))
        conns.append(c)
    check(wait_for(lambda: page_metric(gw, "xff_gateway_workers_busy")
                   == nw, PROBE_TIMEOUT),
          "workers busy with %d requests waiting for the backend" % nw,
          Later(lambda: status_page(gw)), gw.log_text()[-1500:])
    fifth = connect(gw)
    fifth.sendall(request_bytes("/fifth", keep=True))
    check(wait_for(lambda: (page_metric(
        gw, "xff_gateway_workers_exhausted_total") or 0) > exhausted0,
        PROBE_TIMEOUT), "the 5th request did not wait for a worker",
        Later(lambda: status_page(gw)), gw.log_text()[-1500:])
    fifth.setblocking(False)
    try:
        early = fifth.recv(65536)
    except BlockingIOError:
        early = None
    fifth.setblocking(True)
    check(early is None, "the 5th request was answered while every worker "
          "was busy", early)
    page = status_page(gw)
    check(page is not None, "the status page does not answer while every "
          "worker waits", gw.log_text()[-1500:])
    eq(metric(page, "xff_gateway_workers_busy"), nw, "workers busy",
       page[:3000])
    answers = [answer_on(c, PROBE_TIMEOUT + sleep) for c in conns + [fifth]]
    for c in conns + [fifth]:
        c.close()
    got = [status_of(a) for a in answers]
    eq(got, [200] * (nw + 1), "statuses of the 5 requests",
       gw.log_text()[-1500:])
    check(b'"/fifth"' in answers[-1].stdout, "the 5th answer",
          answers[-1].stdout[:300])
    blocked = page_metric(gw, "xff_gateway_threads_blocked_total")
    check(blocked is not None and blocked - blocked0 < nw,
          "threads_blocked_total went from %s to %s: the waits for the "
          "backend held threads" % (blocked0, blocked))
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    return "4 waits held no thread (%d blocked steps), the 5th queued " \
        "then served" % (blocked - blocked0)


@scenario
def linger_no_worker(s):
    """workers = 1: after the answer to a request without FCGI_KEEP_CONN,
    a client that keeps sending a byte every 0.5 s (or stays silent)
    does not hold the worker: a probe is answered at once, and the
    gateway closes the connection within a few seconds."""
    gw = s.gateway({"workers": 1, "front_timeout": 30})
    rows = []
    for what, drip in (("dripping", True), ("silent", False)):
        c = connect(gw)
        c.sendall(request_bytes("/linger", keep=False))
        ans = answer_on(c)
        eq(status_of(ans), 200, "%s: the answer" % what,
           gw.log_text()[-1500:])
        t0 = time.monotonic()
        closed = False
        probe_t = None
        while time.monotonic() - t0 < 20 and not closed:
            if drip:
                try:
                    c.sendall(b"x")
                except OSError:
                    closed = True
                    break
            if probe_t is None:
                probe_t = probe(gw, "%s client after its answer" % what)
            closed, _ = read_until_close(c, 0.5)
        elapsed = time.monotonic() - t0
        c.close()
        check(probe_t < (10.0 if H.VALGRIND else 1.0),
              "%s: the probe took %.2f s: the closing connection held the "
              "worker" % (what, probe_t), gw.log_text()[-1500:])
        check(closed, "%s: the gateway did not close the connection in "
              "%.1f s" % (what, elapsed), gw.log_text()[-1500:])
        rows.append("%s: probe %.3f s, closed after %.1f s" % (
            what, probe_t, elapsed))
    check("front_timeout" not in gw.log_text(), "a gentle close logged as "
          "a front timeout", gw.log_text()[-1500:])
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    return "; ".join(rows)


@scenario
def status_queued(s):
    """workers = 1, busy with a request waiting 6 s for the backend, and a
    status request holding the status page's context with a body that
    does not come: a second status request waits for the status page's
    context, not for a worker, and is answered once the first one's
    body ends (front_timeout = 2), long before the worker is free."""
    sleep = 20 if H.VALGRIND else 6
    gw = s.gateway({"workers": 1, "front_timeout": 2, "backend_timeout": 30,
                    "status_uri": "/xff-status"})
    slow = connect(gw)
    slow.sendall(request_bytes("/slow?sleep=%d" % sleep, keep=True))
    check(wait_for(lambda: page_metric(gw, "xff_gateway_requests_in_flight")
                   == 2, PROBE_TIMEOUT), "the slow request is not in flight",
          gw.log_text()[-1500:])
    first = connect(gw)
    first.sendall(post_head("/xff-status", 80, keep=True))
    time.sleep(0.3)
    t0 = time.monotonic()
    second = connect(gw)
    second.sendall(request_bytes("/xff-status", keep=True))
    ans = answer_on(second, sleep + PROBE_TIMEOUT)
    waited = time.monotonic() - t0
    eq(status_of(ans), 200, "the second status request",
       gw.log_text()[-1500:])
    check(waited < sleep - 1, "the second status request waited %.1f s, "
          "for the worker" % waited, gw.log_text()[-1500:])
    check(b"xff_gateway_requests_total" in ans.stdout, "not the status page",
          ans.stdout[:300])
    eq(metric(ans.stdout, "xff_gateway_workers_exhausted_total"), 0,
       "status requests counted as waiting for a worker", ans.stdout[:3000])
    eq(status_of(answer_on(slow, sleep + PROBE_TIMEOUT)), 200,
       "the slow request")
    for c in (slow, first, second):
        c.close()
    check(gw.alive(), "the daemon died", gw.log_text()[-1500:])
    return "answered after %.1f s while the worker waited %d s" % (waited,
                                                                  sleep)


def main(argv):
    H.raise_nofile(4096)
    return H.run_scenarios(argv, TESTS, Suite, timed=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
