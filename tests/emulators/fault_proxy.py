"""A fault-injecting HTTP proxy for the integration tests: it stands between the tool and an
emulator (moto's S3) and fails one chosen request in one chosen way, so that a test can fail
request k of a publish for every k and every kind of fault.

Usage:
    python tests/emulators/fault_proxy.py --upstream http://127.0.0.1:PORT [--port 0]
Once listening on 127.0.0.1 it prints one line, `{"port": N}`, to stdout; it stops when its
stdin reaches end of file (keep the pipe open) or on SIGTERM.

Control (not forwarded): `POST /__fault` with `{"request": k, "kind": KIND}` arms a fault for
the k-th request from now on (1-based; requests are counted from that POST) and resets the
count; `{"request": 0}` disarms. Both `POST` and `GET /__fault` answer, for the requests since
the fault was last armed, `{"requests": n, "fired": bool}`.

Kinds (what S3 or the network can do to one request):
- `unavailable`: 503 `ServiceUnavailable` (S3's XML error), not forwarded: the SDK retries.
- `reset_after`: forwarded and applied upstream, then the connection is closed without a
  reply: the client cannot know the write happened.
- `truncated`: forwarded and applied, then a 200 whose body is cut short of its
  Content-Length, and the connection closed.
- `error_200`: for a CopyObject (a request with `x-amz-copy-source`) only, as S3 documents it:
  200 with an `InternalError` XML body, not forwarded (the copy did not happen). Another
  request is forwarded untouched and the fault waits for the next copy.
- `denied`: 403 `AccessDenied`, not forwarded, for the k-th request's path and every later
  request to the same path, until the next POST: a policy that denies one key. The fault
  waits for a path not requested before since the POST, so that a key is denied from its
  first request on (a policy changed in the middle of a publish is not modelled).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("unavailable", "reset_after", "truncated", "error_200", "denied")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "expect"}


class Faults:
    """The armed fault and the request count, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.target = 0
        self.kind = ""
        self.count = 0
        self.fired = False
        self.denied_path: str | None = None
        self.seen: set[str] = set()

    def arm(self, request: int, kind: str) -> None:
        if request and kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        with self.lock:
            self.target, self.kind, self.count, self.fired, self.denied_path = request, kind, 0, False, None
            self.seen = set()

    def choose(self, path: str, is_copy: bool) -> str | None:
        """The fault for this request, if any."""
        with self.lock:
            self.count += 1
            first_time = path not in self.seen
            self.seen.add(path)
            if self.denied_path == path:
                return "denied"
            waiting = self.target and not self.fired and self.count >= self.target
            if not waiting or (self.kind == "error_200" and not is_copy) or (self.kind == "denied" and not first_time):
                return None
            self.fired = True
            if self.kind == "denied":
                self.denied_path = path
            return self.kind

    def status(self) -> dict[str, object]:
        with self.lock:
            return {"requests": self.count, "fired": self.fired}


def s3_error(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>FAULTPROXY</RequestId></Error>").encode()


def make_handler(upstream: str, faults: Faults) -> type[BaseHTTPRequestHandler]:
    parts = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            pass

        def body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def reply(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None,
                  length: int | None = None) -> None:
            self.send_response(status)
            for name, value in headers or [("Content-Type", "application/xml")]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
            connection.close()
            return response.status, kept, data

        def handle_any(self) -> None:
            body = self.body()
            if self.path.startswith("/__fault"):
                return self.control(body)
            fault = faults.choose(self.path.split("?")[0], "x-amz-copy-source" in self.headers)
            if fault == "unavailable":
                return self.reply(503, s3_error("ServiceUnavailable", "Reduce your request rate."))
            if fault == "denied":
                return self.reply(403, s3_error("AccessDenied", "Access Denied"))
            if fault == "error_200":
                return self.reply(200, s3_error("InternalError", "We encountered an internal error. Please try again."))
            status, headers, data = self.forward(body)
            if fault == "reset_after":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if fault == "truncated":
                self.close_connection = True
                self.reply(200, data[: len(data) // 2], headers, length=len(data) + 64)
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            return self.reply(status, data, headers)

        def control(self, body: bytes) -> None:
            status = faults.status()  # of the requests before this call
            if self.command == "POST":
                try:
                    request = json.loads(body or b"{}")
                    faults.arm(int(request.get("request", 0)), str(request.get("kind", "")))
                except (ValueError, TypeError) as error:
                    return self.reply(400, str(error).encode(), [("Content-Type", "text/plain")])
            return self.reply(200, json.dumps(status).encode(), [("Content-Type", "application/json")])

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.upstream, Faults()))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
