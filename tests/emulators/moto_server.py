"""A local AWS for the directory half of idc-credential-report: moto's server, corrected.

Why this exists: the tool enumerates an IAM Identity Center directory with the real AWS SDK
for Rust (sso-admin, identitystore, organizations, STS). Its tests need an endpoint that
answers those calls the way AWS does, including what breaks naive clients: pages, throttling,
denied actions, transient 5xx. moto's server answers the calls, but in places not as AWS does;
moto_corrections.py patches those places, moto_snapshot.py preloads a directory snapshot with
its exact ids, and this file is the launcher and the "front door" in front of moto that
enforces AWS's quotas, injects faults and logs every call.

Usage:
    python tests/emulators/moto_server.py [--port 0] [--snapshot FILE.json]
        [--config FILE.json] [--calls-log FILE.jsonl] [--region us-east-1]

Prints one line, {"port": N, "instance_arn": "...", "identity_store_id": "..."}, once it
listens on 127.0.0.1, and exits when its standard input closes or on SIGTERM. Start it with
stdin=PIPE: an empty or closed stdin stops it at once. The config format and every correction
are in tests/emulators/README.md.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from account_access import AccountAccess, operation_of
from moto_config import (
    DEFAULT_REGION,
    IAM_PREFIX,
    REPEATED_NEXT_TOKEN,
    SERVICE_BY_SIGNING_NAME,
    SERVICE_BY_TARGET_PREFIX,
    EmulatorConfig,
    QuotaBook,
)
from moto_corrections import apply_corrections
from moto_replies import Reply, denied_reply, error_reply, internal_error_reply, throttled_reply
from moto_snapshot import default_directory, management_account, preload

# --------------------------------------------------------------------------------------------
# The front door: identifies each call, applies quotas and faults, logs it
# --------------------------------------------------------------------------------------------

@dataclass
class Call:
    service: str
    operation: str
    body: bytes
    is_json: bool

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def action(self) -> str:
        return f"{IAM_PREFIX.get(self.service, self.service)}:{self.operation}"


def identify(environ: dict[str, Any], body: bytes) -> Call | None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    service = _service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
    if target:
        prefix, _, operation = target.partition(".")
        return Call(service or SERVICE_BY_TARGET_PREFIX.get(prefix, prefix), operation, body, True)
    if service == "s3":
        return Call(service, s3_operation(environ), b"", False)
    if service == "account-access":  # restJson1: the method and path say which operation
        return Call(service, operation_of(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")), body, False)
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    form = form or parse_qs(environ.get("QUERY_STRING", ""))
    action = (form.get("Action") or [""])[0]
    if service and action:
        return Call(service, action, body, False)
    return None


def s3_operation(environ: dict[str, Any]) -> str:
    """The S3 REST operation of a path-style request: S3 has no target header or Action, so the
    method, path and query tell which it is (only the ones the tool and its tests use)."""
    method = environ.get("REQUEST_METHOD", "")
    is_object = "/" in environ.get("PATH_INFO", "").strip("/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if not is_object:
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket",
                "GET": "ListObjectsV2" if "list-type" in query else "ListObjects"}.get(method, method)
    if method == "PUT":
        return "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)


def _service_from_auth(authorization: str) -> str | None:
    try:
        scope = authorization.split(",")[0].split()[1]  # Credential=AKID/date/region/svc/aws4_request
        name = scope.split("/")[3]
    except IndexError:
        return None
    return SERVICE_BY_SIGNING_NAME.get(name, name)


@functools.lru_cache(maxsize=None)
def max_results_range(service: str, operation: str) -> tuple[int, int] | None:
    """(min, max) of the operation's MaxResults, from the service model botocore ships."""
    try:
        model = botocore.session.get_session().get_service_model(service)
        members = model.operation_model(operation).input_shape.members
    except Exception:  # noqa: BLE001 - unknown service or operation: not paginated here
        return None
    shape = members.get("MaxResults")
    if shape is None:
        return None
    return int(shape.metadata.get("min", 1)), int(shape.metadata.get("max", 1000))


class CallsLog:
    """One JSON line per request, flushed at once so a reader sees it while we run."""

    def __init__(self, path: str | None) -> None:
        self.file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self.lock = threading.Lock()

    def write(self, call: Call | None, status: int, arrived: float) -> None:
        """`arrived` is the request's time.monotonic() on arrival, so rates can be read off."""
        if self.file is None:
            return
        line = {"service": call.service if call else "unknown",
                "operation": call.operation if call else "unknown",
                "action": call.action if call else "unknown",
                "status": status, "t": round(arrived, 6)}
        with self.lock:
            self.file.write(json.dumps(line) + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file:
            self.file.close()


class FrontDoor:
    """WSGI middleware in front of moto: quota → deny → 5xx → validation → moto → rewrites."""

    def __init__(self, app: Callable[..., Iterable[bytes]], config: EmulatorConfig,
                 calls_log: CallsLog, account_id: str, account_access: AccountAccess) -> None:
        self.app = app
        self.account_access = account_access
        self.config = config
        self.quotas = QuotaBook(config.rates)
        self.calls_log = calls_log
        self.account_id = account_id
        self.failures_left = dict(config.fail_5xx)
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        arrived = time.monotonic()
        body = _read_body(environ)
        call = identify(environ, body)
        reply = self._refusal(call) or self._answer(environ, call, body)
        self.calls_log.write(call, reply.status, arrived)
        start_response(f"{reply.status} {_reason(reply.status)}", reply.headers)
        return [reply.body]

    def _refusal(self, call: Call | None) -> Reply | None:
        if call is None:
            return None
        if not self.quotas.admit(call.service, call.operation):
            return throttled_reply(call.service)
        if call.key in self.config.deny or call.service in self.config.deny:
            return denied_reply(call.service, call.operation, self.account_id)
        if self._take_failure(call.key):
            return internal_error_reply(call.service)
        return self._invalid_page_size(call)

    def _answer(self, environ: dict[str, Any], call: Call | None, body: bytes) -> Reply:
        if call is None or call.service != "account-access":
            return self._forward(environ, call, body)
        status, payload = self.account_access.answer(call.operation, environ.get("PATH_INFO", ""), body)
        data = json.dumps(payload).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                   ("x-amzn-RequestId", str(uuid.uuid4()))]
        if status >= 400:
            headers.append(("x-amzn-ErrorType", payload["__type"]))
        return Reply(status, headers, data)

    def _take_failure(self, key: str) -> bool:
        with self.lock:
            left = self.failures_left.get(key, 0)
            if left > 0:
                self.failures_left[key] = left - 1
                return True
            return False

    def _invalid_page_size(self, call: Call) -> Reply | None:
        # AWS rejects a MaxResults outside the model's range; the Rust SDK does not check it.
        bounds = max_results_range(call.service, call.operation) if call.is_json else None
        value = _json_body(call.body).get("MaxResults") if bounds else None
        if bounds is None or not isinstance(value, int) or bounds[0] <= value <= bounds[1]:
            return None
        code = "InvalidInputException" if call.service == "organizations" else "ValidationException"
        return error_reply(call.service, 400, code,
                           f"1 validation error detected: Value '{value}' at 'maxResults' failed to "
                           f"satisfy constraint: Member must have value between {bounds[0]} and {bounds[1]}")

    def _forward(self, environ: dict[str, Any], call: Call | None, body: bytes) -> Reply:
        repeat = call is not None and call.key in self.config.repeat_next_token
        if call is not None and call.is_json:
            body = self._rewrite_request(call, body, repeat)
        reply = _run_wsgi(self.app, environ, body)
        if repeat and reply.status == 200:
            reply = _with_next_token(reply, REPEATED_NEXT_TOKEN)
        if call is not None and call.is_json:
            reply.headers = _json_content_type(reply.headers)
        return reply

    def _rewrite_request(self, call: Call, body: bytes, repeat: bool) -> bytes:
        cap = self.config.max_page_size
        paginated = max_results_range(call.service, call.operation) is not None
        if not repeat and not (cap and paginated):
            return body
        request = _json_body(body)
        if repeat:
            request.pop("NextToken", None)  # every page is the first page
        if cap and paginated:
            request["MaxResults"] = min(int(request.get("MaxResults") or cap), cap)
        return json.dumps(request).encode()


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _run_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any], body: bytes) -> Reply:
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        seen["status"], seen["headers"] = int(status.split()[0]), list(headers)
        return lambda _data: None

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(payload))))
    return Reply(seen["status"], headers, payload)


def _with_next_token(reply: Reply, token: str) -> Reply:
    body = _json_body(reply.body)
    body["NextToken"] = token
    payload = json.dumps(body).encode()
    headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(payload))))
    return Reply(reply.status, headers, payload)


def _json_content_type(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """AWS labels awsJson1_1 answers application/x-amz-json-1.1; moto says text/html."""
    kept = [(k, v) for k, v in headers if k.lower() != "content-type"]
    return [*kept, ("Content-Type", "application/x-amz-json-1.1")]


def _reason(status: int) -> str:
    return {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            500: "Internal Server Error"}.get(status, "Status")


# --------------------------------------------------------------------------------------------
# Launcher
# --------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--snapshot", help="directory snapshot to preload (JSON)")
    parser.add_argument("--config", help="quotas and injected faults (JSON)")
    parser.add_argument("--calls-log", help="append one JSON line per request here")
    parser.add_argument("--bucket", action="append", default=[],
                        help="create this S3 bucket (repeatable), e.g. the security bucket")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
                        help="region the Identity Center instance lives in")
    return parser.parse_args(argv)


def load_snapshot(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_app(config: EmulatorConfig, calls_log: CallsLog, account_id: str,
              snapshot: dict[str, Any] | None = None) -> FrontDoor:
    account_access = AccountAccess(snapshot, account_id, config.max_page_size,
                                   config.account_access_filter_needs_criterion)
    return FrontDoor(DomainDispatcherApplication(create_backend_app), config, calls_log, account_id,
                     account_access)


def create_buckets(names: list[str], account_id: str, region: str) -> None:
    """Buckets the tests write reports to, created in the backend directly (no call logged)."""
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id]["global"]
    for name in names:
        backend.create_bucket(name, region)


def wait_for_stop() -> None:
    """Block until stdin reaches end of file or SIGTERM/SIGINT arrives."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def watch_stdin() -> None:
        for _ in _lines(sys.stdin):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    while not stop.wait(0.5):
        pass


def _lines(stream: Any) -> Iterator[str]:
    try:
        yield from stream
    except (OSError, ValueError):
        return


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    config = EmulatorConfig.load(args.config)
    snapshot = load_snapshot(args.snapshot)
    # moto answers for the account in MOTO_ACCOUNT_ID (STS GetCallerIdentity included); make it
    # the organization's management account, the first account of the snapshot.
    account_id = management_account(snapshot) or os.environ.get("MOTO_ACCOUNT_ID") or "123456789012"
    os.environ["MOTO_ACCOUNT_ID"] = account_id
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    apply_corrections()
    directory = (preload(snapshot, account_id, args.region) if snapshot
                 else default_directory(account_id, args.region))
    create_buckets(args.bucket, account_id, args.region)
    calls_log = CallsLog(args.calls_log)
    server = make_server("127.0.0.1", args.port, build_app(config, calls_log, account_id, snapshot),
                         threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"loaded in {time.monotonic() - started:.2f}s", file=sys.stderr)
    print(json.dumps({"port": server.server_port, "instance_arn": directory.instance_arn,
                      "identity_store_id": directory.identity_store_id}), flush=True)
    sys.stdout = sys.stderr  # the announcement is the only line on stdout
    try:
        wait_for_stop()
    finally:
        server.shutdown()
        calls_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
