"""A small fault-injecting HTTP proxy for S3 endpoints (moto or LocalStack), bound to 127.0.0.1. Tests only.

It forwards every request unchanged (method, path, headers including Host, body), so SigV4 signatures made for the
proxy's address still verify upstream. A test switches faults on and off at run time:

    with FaultProxy(upstream="http://127.0.0.1:4566") as proxy:
        proxy.set_fault("throttle", count=3, methods={"PUT"})   # the next 3 PUTs get 503 SlowDown
        proxy.set_fault("error500")                             # every request gets 500 InternalError
        proxy.set_fault("slow", delay=10)                       # hold every request for 10 s, then forward
        proxy.set_fault("down")                                 # close the connection without answering
        proxy.clear()

``proxy.url`` is the endpoint to give boto3 (``AWS_ENDPOINT_URL``); ``proxy.log`` records (method, path, outcome).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_S3_ERRORS = {
    "throttle": (503, "SlowDown", "Please reduce your request rate."),
    "error500": (500, "InternalError", "We encountered an internal error. Please try again."),
}


@dataclass
class Fault:
    mode: str = "pass"  # pass | throttle | error500 | slow | down
    count: int | None = None  # how many matching requests to fault; None = all
    methods: set[str] | None = None  # None = every method
    delay: float = 0.0
    hits: int = 0

    def applies(self, method: str) -> bool:
        if self.mode == "pass":
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.count is None or self.hits < self.count


@dataclass
class FaultProxy:
    upstream: str
    host: str = "127.0.0.1"
    port: int = 0
    fault: Fault = field(default_factory=Fault)
    log: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        up = urllib.parse.urlsplit(self.upstream)
        self._up_host, self._up_port = up.hostname or "127.0.0.1", up.port or 80
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- control
    def set_fault(
        self, mode: str, *, count: int | None = None, methods: set[str] | None = None, delay: float = 0.0
    ):
        if mode not in ("pass", "throttle", "error500", "slow", "down"):
            raise ValueError(f"unknown fault mode {mode!r}")
        with self._lock:
            self.fault = Fault(mode=mode, count=count, methods=methods, delay=delay)

    def clear(self) -> None:
        self.set_fault("pass")

    def outcomes(self, method: str | None = None) -> list[str]:
        return [o for m, _, o in self.log if method is None or m == method]

    # -- lifecycle
    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- request path
    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            f = self.fault
            if f.applies(method):
                f.hits += 1
                return Fault(mode=f.mode, delay=f.delay)
            return None

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        method = req.command
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        fault = self._take_fault(method)
        if fault and fault.mode == "down":
            self.log.append((method, req.path, "down"))
            try:
                req.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            req.close_connection = True
            return
        if fault and fault.mode in _S3_ERRORS:
            status, code, msg = _S3_ERRORS[fault.mode]
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{msg}</Message>'
                f"<RequestId>faultproxy</RequestId></Error>"
            ).encode()
            self.log.append((method, req.path, fault.mode))
            req.send_response(status)
            req.send_header("Content-Type", "application/xml")
            req.send_header("Content-Length", str(len(xml)))
            req.end_headers()
            if method != "HEAD":
                req.wfile.write(xml)
            return
        if fault and fault.mode == "slow":
            time.sleep(fault.delay)
        self._forward(req, method, body, "slow" if fault else "pass")

    def _forward(self, req: BaseHTTPRequestHandler, method: str, body: bytes, outcome: str) -> None:
        conn = http.client.HTTPConnection(self._up_host, self._up_port, timeout=60)
        try:
            headers = {
                k: v for k, v in req.headers.items() if k.lower() not in ("connection", "proxy-connection")
            }
            conn.request(method, req.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError:
            self.log.append((method, req.path, "upstream_error"))
            req.send_response(502)
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        finally:
            conn.close()
        self.log.append((method, req.path, outcome))
        req.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        if method != "HEAD":
            req.wfile.write(data)
