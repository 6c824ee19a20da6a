#!/usr/bin/env python3
"""An HTTP proxy for the object-storage tests that injects failures in front of an S3 server.

    python3 scripts/s3_fault_proxy.py PORT UPSTREAM_PORT

Listens on 127.0.0.1:PORT and forwards every request to 127.0.0.1:UPSTREAM_PORT, unless a
fault is queued: `PUT /fault-control` with a body of comma-separated faults queues them, one
per following request, in order (`GET /fault-control` returns how many are still queued):

    500       answers 500 InternalError without forwarding
    503       answers 503 SlowDown without forwarding
    reset     closes the connection without answering (after reading the request)
    timeout   waits 30 s before answering (the client's time limit ends first)
    truncate  forwards, then sends the answer's headers and half its body, and closes
    corrupt   forwards, then sends the answer with one byte of its body changed
    pass      forwards, as with no fault (to reach a later request of a sequence)

Loopback only; it stops when its parent process is gone (the tests start it).
"""
import http.client
import http.server
import os
import socketserver
import sys
import threading
import time

faults = []
lock = threading.Lock()
upstream_port = 0


def next_fault():
    with lock:
        return faults.pop(0) if faults else None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, headers, payload, cut=False):
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2] if cut else payload)
        self.wfile.flush()
        if cut:
            self.close_connection = True

    def handle_any(self):
        payload = self.body()
        if self.path.startswith("/fault-control"):
            if self.command == "PUT":
                with lock:
                    faults.extend(f for f in payload.decode().split(",") if f)
            with lock:
                count = str(len(faults)).encode()
            return self.answer(200, [], count)
        fault = next_fault()
        if fault == "500":
            return self.answer(500, [], b"<Error><Code>InternalError</Code><Message>injected</Message></Error>")
        if fault == "503":
            return self.answer(503, [], b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>")
        if fault == "reset":
            self.close_connection = True
            return
        if fault == "timeout":
            time.sleep(30)
        connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
        headers = {name: value for name, value in self.headers.items()}
        connection.request(self.command, self.path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        if fault == "corrupt" and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        self.answer(response.status, response.getheaders(), data, cut=(fault == "truncate" and len(data) > 1))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


if __name__ == "__main__":
    upstream_port = int(sys.argv[2])
    threading.Thread(target=watch_parent, daemon=True).start()
    Server(("127.0.0.1", int(sys.argv[1])), Proxy).serve_forever()
