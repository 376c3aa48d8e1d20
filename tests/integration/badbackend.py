#!/usr/bin/env python3
"""A FastCGI responder on a raw Unix socket that misbehaves on command.

Used by test_faults.py as the gateway's backend.  The fault is chosen per
request by the QUERY_STRING parameter `fault=NAME`:

    (none)            read the whole body, answer JSON (below), END_REQUEST
    close_params      close the connection right after the PARAMS stream
    bad_version       answer a STDOUT record whose version byte is 2
    short_content     a STDOUT record announcing 1000 bytes, send 20, close
    unknown_type      a record of type 42 before any output
    other_id          END_REQUEST for request id 2 instead of 1
    after_end         a complete answer, then a STDOUT record after
                      END_REQUEST in the same write
    after_end_late    the same, the extra record 50 ms later
    part_hang         the response headers and 64 kB of body, then sleep
                      (the test kills the process)
    slow_body         read the body in small pieces with short sleeps
    late_read         wait `late=S` seconds (at most 30) after the PARAMS
                      stream before reading the body
    early_big         before reading the body, answer the header and
                      `early=N` bytes ("e"), then read the body and end
                      with a line "stdin_len=N sha256=HEX"

`sleep=S` delays the normal answer by S seconds.

The normal answer is application/json:

    {"conn": C, "seq": K, "uri": REQUEST_URI, "params": [[name, value]...],
     "stdin_len": N, "stdin_sha256": HEX, "keep_conn": 0|1, "stray": [...]}

conn numbers the backend's connections from 1, seq the requests on one
connection from 0; stray lists records that did not belong where they
arrived (e.g. STDIN before BEGIN_REQUEST, a record for another request),
so a test can see a connection reused dirty.  Every request is also kept
in Server.requests, and every connection's end in Server.closed.

Run alone: `badbackend.py SOCKET` serves until SIGTERM.
"""
import hashlib
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
from urllib.parse import parse_qs

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6


def record(rtype, body=b"", rid=1, version=1):
    pad = (8 - len(body) % 8) % 8
    return bytes([version, rtype, rid >> 8, rid & 0xff, len(body) >> 8,
                  len(body) & 0xff, pad, 0]) + body + b"\0" * pad


def end_request(rid=1, app=0, proto=0):
    return record(END, app.to_bytes(4, "big") + bytes([proto, 0, 0, 0]), rid)


def stdout(data, rid=1):
    out = b""
    for i in range(0, len(data), 65535):
        out += record(STDOUT, data[i:i + 65535], rid)
    return out + record(STDOUT, b"", rid)


def decode_pairs(data):
    out = []
    i = 0
    while i < len(data):
        lens = []
        for _ in range(2):
            if data[i] < 128:
                lens.append(data[i])
                i += 1
            else:
                lens.append(int.from_bytes(data[i:i + 4], "big") & 0x7fffffff)
                i += 4
        name = data[i:i + lens[0]]
        i += lens[0]
        value = data[i:i + lens[1]]
        i += lens[1]
        out.append((name.decode("latin-1"), value.decode("latin-1")))
    return out


class Closed(Exception):
    pass


class Conn:
    """One backend connection: reads records, with a small recv size when
    throttled."""

    def __init__(self, server, sock, cid):
        self.server = server
        self.sock = sock
        self.cid = cid
        self.buf = b""
        self.chunk = 65536
        self.delay = 0.0

    def need(self, n):
        while len(self.buf) < n:
            if self.delay:
                time.sleep(self.delay)
            d = self.sock.recv(self.chunk)
            if not d:
                raise Closed()
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_record(self):
        h = self.need(8)
        clen = (h[4] << 8) | h[5]
        body = self.need(clen) if clen else b""
        if h[6]:
            self.need(h[6])
        return h[0], h[1], (h[2] << 8) | h[3], body

    def send(self, data):
        self.sock.sendall(data)


class Server:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.requests = []
        self.closed = []        # (conn, reason)
        self.nconn = 0
        self.stopping = False
        self.conns = set()
        self.threads = []
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path) and stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)     # left by a killed predecessor
        self.lsock.bind(path)
        os.chmod(path, 0o666)
        self.lsock.listen(256)
        self.acceptor = threading.Thread(target=self.accept_loop, daemon=True)

    def start(self):
        self.acceptor.start()
        return self

    def accept_loop(self):
        while not self.stopping:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                break
            with self.lock:
                self.nconn += 1
                cid = self.nconn
                self.conns.add(s)
            t = threading.Thread(target=self.serve, args=(s, cid), daemon=True)
            self.threads.append(t)
            t.start()

    def stop(self):
        self.stopping = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        with self.lock:
            conns = list(self.conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.acceptor.join(5)
        for t in self.threads:
            t.join(5)
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def last(self):
        with self.lock:
            return self.requests[-1] if self.requests else None

    def serve(self, sock, cid):
        c = Conn(self, sock, cid)
        reason = "eof"
        try:
            seq = 0
            while True:
                if not self.one(c, seq):
                    reason = "fault"
                    break
                seq += 1
        except Closed:
            reason = "eof"
        except OSError as e:
            reason = "error %s" % e
        finally:
            with self.lock:
                self.closed.append((cid, reason))
                self.conns.discard(sock)
            sock.close()

    def one(self, c, seq):
        """Serves one request; False when the connection must end."""
        stray = []
        while True:
            ver, rtype, rid, body = c.read_record()
            if rtype == BEGIN:
                break
            stray.append({"type": rtype, "id": rid, "len": len(body)})
        keep = body[2] & 1
        pbytes = b""
        while True:
            ver, rtype, rid, b = c.read_record()
            if rtype != PARAMS or rid != 1:
                stray.append({"type": rtype, "id": rid, "len": len(b)})
                continue
            if not b:
                break
            pbytes += b
        params = decode_pairs(pbytes)
        pd = dict(params)
        q = parse_qs(pd.get("QUERY_STRING", ""))
        fault = q.get("fault", [""])[0]
        req = {"conn": c.cid, "seq": seq, "uri": pd.get("REQUEST_URI"),
               "params": params, "keep_conn": keep, "stray": stray,
               "fault": fault, "complete": False}
        with self.lock:
            self.requests.append(req)
        if fault == "close_params":
            return False
        if fault == "slow_body":
            c.chunk = 4096
            c.delay = 0.001
        if fault == "late_read":
            try:
                time.sleep(min(float(q.get("late", ["1"])[0]), 30.0))
            except ValueError:
                pass
        head = b"Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        if fault == "early_big":
            left = int(q.get("early", ["65536"])[0])
            c.send(record(STDOUT, head))
            while left > 0:
                k = min(left, 8000)
                c.send(record(STDOUT, b"e" * k))
                left -= k
        h = hashlib.sha256()
        n = 0
        try:
            while True:
                ver, rtype, rid, b = c.read_record()
                if rtype != STDIN or rid != 1:
                    stray.append({"type": rtype, "id": rid, "len": len(b)})
                    continue
                if not b:
                    break
                h.update(b)
                n += len(b)
        finally:
            c.chunk = 65536
            c.delay = 0.0
            req["stdin_len"] = n
            req["stdin_sha256"] = h.hexdigest()
        req["complete"] = True
        if fault == "early_big":
            c.send(stdout(b"\nstdin_len=%d sha256=%s\n" % (
                n, req["stdin_sha256"].encode())) + end_request())
            return keep
        if fault == "bad_version":
            c.send(record(STDOUT, head + b"v2", version=2))
            return False
        if fault == "short_content":
            c.send(bytes([1, STDOUT, 0, 1, 1000 >> 8, 1000 & 0xff, 0, 0])
                   + head[:20])
            return False
        if fault == "unknown_type":
            c.send(record(42, b"\0" * 8))
            c.send(stdout(head + b"after type 42\n") + end_request())
            return keep
        if fault == "other_id":
            c.send(end_request(rid=2))
            time.sleep(0.2)
            return False
        if fault == "part_hang":
            c.send(record(STDOUT, head + b"x" * 8000))
            for _ in range(8):
                c.send(record(STDOUT, b"y" * 8000))
            time.sleep(60)
            return False
        try:
            time.sleep(min(float(q.get("sleep", ["0"])[0]), 30.0))
        except ValueError:
            pass
        answer = {"conn": c.cid, "seq": seq, "uri": req["uri"],
                  "params": params, "stdin_len": n,
                  "stdin_sha256": req["stdin_sha256"], "keep_conn": keep,
                  "stray": stray}
        out = stdout(b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
                     + json.dumps(answer).encode()) + end_request()
        if fault == "after_end":
            c.send(out + record(STDOUT, b"GARBAGE AFTER END\r\n"))
        elif fault == "after_end_late":
            c.send(out)
            time.sleep(0.05)
            c.send(record(STDOUT, b"Status: 500 Late\r\n\r\nGARBAGE"))
        else:
            c.send(out)
        if not keep:
            return False
        return True


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: badbackend.py SOCKET\n")
        return 2
    srv = Server(argv[1]).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(1):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
