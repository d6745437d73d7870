"""The fault proxy: forwards untouched unless armed, and fails the armed request as documented."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROXY = Path(__file__).with_name("fault_proxy.py")


class Upstream(BaseHTTPRequestHandler):
    """Answers every request with its method and path, and counts what it applied."""

    protocol_version = "HTTP/1.1"
    applied: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Upstream.applied.append(f"{self.command} {self.path}")
        body = f"{self.command} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = answer


@pytest.fixture
def proxy() -> Iterator[int]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    Upstream.applied = []
    child = subprocess.Popen([sys.executable, str(PROXY), "--upstream", f"http://127.0.0.1:{upstream.server_address[1]}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None
    port = json.loads(child.stdout.readline())["port"]
    yield port
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=10)
    upstream.shutdown()


def call(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def arm(port: int, request: int, kind: str) -> dict[str, object]:
    status, data = call(port, "POST", "/__fault", json.dumps({"request": request, "kind": kind}).encode())
    assert status == 200, data
    return json.loads(data)


def test_forwards_untouched_until_armed(proxy: int) -> None:
    assert call(proxy, "PUT", "/b/k", b"x") == (200, b"PUT /b/k")
    assert Upstream.applied == ["PUT /b/k"]


def test_unavailable_is_not_applied_and_fires_once(proxy: int) -> None:
    arm(proxy, 2, "unavailable")
    assert call(proxy, "PUT", "/b/1")[0] == 200
    status, body = call(proxy, "PUT", "/b/2")
    assert status == 503 and b"ServiceUnavailable" in body
    assert call(proxy, "PUT", "/b/2")[0] == 200
    assert Upstream.applied == ["PUT /b/1", "PUT /b/2"]
    assert arm(proxy, 0, "") == {"requests": 3, "fired": True}


def test_reset_after_applies_then_gives_no_reply(proxy: int) -> None:
    arm(proxy, 1, "reset_after")
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        call(proxy, "PUT", "/b/k", b"x")
    assert Upstream.applied == ["PUT /b/k"]


def test_truncated_applies_and_cuts_the_body(proxy: int) -> None:
    arm(proxy, 1, "truncated")
    with pytest.raises(http.client.IncompleteRead):
        call(proxy, "GET", "/b/k")
    assert Upstream.applied == ["GET /b/k"]


def test_error_200_waits_for_a_copy(proxy: int) -> None:
    arm(proxy, 1, "error_200")
    assert call(proxy, "PUT", "/b/plain")[1] == b"PUT /b/plain"
    status, body = call(proxy, "PUT", "/b/copy", headers={"x-amz-copy-source": "b/plain"})
    assert status == 200 and b"<Code>InternalError</Code>" in body
    assert Upstream.applied == ["PUT /b/plain"]


def test_denied_holds_for_one_new_path(proxy: int) -> None:
    arm(proxy, 2, "denied")
    assert call(proxy, "PUT", "/b/x")[0] == 200
    assert call(proxy, "GET", "/b/x")[0] == 200, "the fault waits for a path not requested since the POST"
    assert call(proxy, "PUT", "/b/y")[0] == 403
    assert call(proxy, "GET", "/b/y")[0] == 403, "the denied path stays denied"
    assert call(proxy, "PUT", "/b/z")[0] == 200
    assert arm(proxy, 1, "unavailable")["fired"] is True
    assert call(proxy, "GET", "/b/y")[0] == 503, "a new POST lifts the denial"
