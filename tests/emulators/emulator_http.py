"""What every emulator here shares: AWS JSON errors, the calls log, the HTTP server that turns
requests into `api.handle(...)` calls, the config-file checks, and the way an emulator starts
(prints `{"port": N}`) and stops (SIGTERM, SIGINT, or its stdin reaching end of file, so that
a harness that dies does not leak it).

Each emulator gives an API object with `handle(target, body, signed_region) -> (status,
payload)`; one that also has `rest_json_request(method, path, body)` (athena.py) takes
restJson1 requests, which carry no X-Amz-Target: they become the awsJson1_1 call (rest_json.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import traceback
import uuid
from dataclasses import fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Callable, TypeVar

from rest_json import REST_JSON

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REST_JSON_CONTENT_TYPE = "application/json"


class ApiError(Exception):
    """An AWS error answer: its code (the `__type`) and message, HTTP 400 unless told."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def error_body(error: ApiError) -> dict[str, Any]:
    return {"__type": error.code, "message": error.message}


class CallsLog:
    """Appends one JSON line per request, for tests to assert on."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        line = json.dumps(record, ensure_ascii=False)
        with self.lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def record(self, operation: str, params: Any) -> None:
        self.write({"operation": operation, "params": params})


def answer(call: Callable[[], dict[str, Any]], failure_code: str,
           body: Callable[[ApiError], dict[str, Any]] = error_body) -> tuple[int, dict[str, Any]]:
    """Runs one operation: its answer, or its ApiError as the service's error body; an emulator
    bug is HTTP 500 with `failure_code` and the traceback on stderr, so that it shows rather
    than hanging the client."""
    try:
        return 200, call()
    except ApiError as error:
        return error.status, body(error)
    except Exception:  # noqa: BLE001 - see the docstring
        traceback.print_exc(file=sys.stderr)
        return 500, body(ApiError(failure_code, "The emulator failed; see its stderr.", 500))


def parse_params(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise ApiError("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object.")
    return params


def signed_region(authorization: str) -> str | None:
    """The Region of a SigV4 `Authorization` header's credential scope (KEY/DATE/REGION/...)."""
    match = re.search(r"Credential=[^/,]+/\d{8}/([^/,]+)/", authorization)
    return match.group(1) if match else None


# ---------------------------------------------------------------- config files


def checked_keys(data: Any, cls: type, where: str) -> dict[str, Any]:
    """The object's keys, refusing any the dataclass does not declare (a typo shows)."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object")
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    return data


def load_config_file(path: Path | None, cls: type, validate: Callable[[Any], Any],
                     nested: dict[str, type] | None = None) -> Any:
    """The config file at `path` as `cls` (its defaults without a file), each key of `nested`
    an object of its own dataclass, every key checked, then `validate`d."""
    if path is None:
        return validate(cls())
    data = dict(checked_keys(json.loads(path.read_text(encoding="utf-8")), cls, str(path)))
    for key, kind in (nested or {}).items():
        data[key] = kind(**checked_keys(data.pop(key, {}), kind, f"{path}: {key}"))
    return validate(cls(**data))


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"config: {name} must be one of {list(choices)}, not {value!r}")


def check_count(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"config: {name} must be an integer >= {minimum}, not {value!r}")


def check_counts(config: Any, minimums: dict[str, int], optional: tuple[str, ...] = ()) -> None:
    """Each named field of `config` an integer of at least its minimum (`optional` ones may be None)."""
    for name, minimum in minimums.items():
        value = getattr(config, name)
        if value is not None or name not in optional:
            check_count(name, value, minimum)


# ---------------------------------------------------------------- HTTP


def read_chunked(stream: BinaryIO) -> bytes:
    """A body sent with Transfer-Encoding: chunked."""
    chunks = []
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(stream.read(size))
        stream.readline()


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: Any, port: int, verbose: bool) -> None:
        super().__init__(("127.0.0.1", port), RequestHandler)
        self.api = api
        self.verbose = verbose


class RequestHandler(BaseHTTPRequestHandler):
    """awsJson1_1: POST / with X-Amz-Target; errors are 400 + `__type` + x-amzn-ErrorType."""

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK (~40 ms on Linux), which made every call that slow.
    disable_nagle_algorithm = True
    server: EmulatorServer

    def do_POST(self) -> None:  # noqa: N802 - the http.server naming
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer("POST", body)

    def do_GET(self) -> None:  # noqa: N802
        self.answer("GET", b"")

    def answer(self, method: str, body: bytes) -> None:
        region = signed_region(self.headers.get("Authorization", ""))
        target = self.headers.get("X-Amz-Target")
        rest_json_request = getattr(self.server.api, "rest_json_request", None)
        if target is None and rest_json_request is not None:
            target, body = rest_json_request(method, self.path, body)
            status, payload = self.server.api.handle(target, body, region, protocol=REST_JSON)
            self.send_json(status, payload, REST_JSON_CONTENT_TYPE)
        elif method == "POST":
            self.send_json(*self.server.api.handle(target, body, region))
        else:
            self.send_json(404, error_body(ApiError("UnknownOperationException", "Only POST / is served.")))

    def send_json(self, status: int, payload: dict[str, Any], content_type: str = JSON_CONTENT_TYPE) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if status >= 400:
            self.send_header("x-amzn-ErrorType", payload["__type"])
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        if self.server.verbose:
            super().log_message(format, *args)


# ---------------------------------------------------------------- running


def stop_when_stdin_closes(stop: Callable[[], None]) -> None:
    """Reads (and drops) stdin until end of file, then stops the server.

    Reads the raw descriptor: a daemon thread blocked in the buffered sys.stdin holds its
    lock, and Python aborts at exit (after SIGTERM) when it cannot take that lock.
    """
    descriptor = sys.stdin.fileno()
    while os.read(descriptor, 65536):
        pass
    stop()


T = TypeVar("T")


class Refused(Exception):
    """A command line the emulator cannot start from (a bad config, unreadable events)."""


def loading(what: str, load: Callable[[], T]) -> T:
    """`load()`, its failure a Refused that says `what` failed."""
    try:
        return load()
    except (OSError, ValueError, TypeError) as error:
        raise Refused(f"{what}: {error}") from None


def add_common_arguments(parser: argparse.ArgumentParser, account_help: str) -> None:
    """The options every emulator takes: the caller's account and Region, the config file,
    the calls log, the port, stdin watching and request logging."""
    parser.add_argument("--account", default="999999999999", help=account_help)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--config", type=Path, help="fault-injection config (JSON, see the docstring)")
    parser.add_argument("--calls-log", type=Path, help="append one JSON line per request here")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--ignore-stdin", action="store_true", help="do not stop when stdin closes")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")


def run(name: str, build: Callable[[], tuple[EmulatorServer, bool]]) -> int:
    """Builds the server (and whether to watch stdin) and serves until stopped; exit code 2,
    with the reason on stderr, when it cannot start."""
    try:
        server, watch_stdin = build()
    except Refused as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    serve(server, watch_stdin)
    return 0


def serve(server: EmulatorServer, watch_stdin: bool) -> None:
    def stop(*_: Any) -> None:
        # shutdown() waits for serve_forever to return, so never call it on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if watch_stdin:
        threading.Thread(target=stop_when_stdin_closes, args=(stop,), daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
