"""restJson1 requests turned into the awsJson1_1 calls the emulators serve.

AWS moves services from awsJson1_1 (`POST /`, the operation in X-Amz-Target, every member in
the JSON body) to restJson1 (the operation in the method and path, members in the path, the
query string and the body) and keeps answering both: Athena's model in botocore 1.44.18 says
`rest-json`, while the pinned Rust SDK sends awsJson1_1. An emulator that names its routes
here serves both protocols with one handler per operation: a restJson1 request becomes the
target and the JSON body its awsJson1_1 twin would have carried. Answers keep the same JSON
body (the operations routed here have no members bound to response headers); errors keep
`__type` and `x-amzn-ErrorType`, which restJson1 clients read too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

AWS_JSON = "awsJson1_1"
REST_JSON = "restJson1"
PROTOCOLS = (AWS_JSON, REST_JSON)


@dataclass(frozen=True)
class Route:
    """One operation's restJson1 binding, from the service model's `http` trait."""

    method: str
    path: re.Pattern[str]  # named groups are the path's members
    target: str  # the awsJson1_1 X-Amz-Target of the same operation
    integers: frozenset[str] = frozenset()  # query-string members the model types as integers


def route(method: str, template: str, target: str, integers: frozenset[str] = frozenset()) -> Route:
    """A Route from the model's requestUri template, e.g. `/query-executions/{QueryExecutionId}`."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(pattern), target, integers)


def as_json_rpc(routes: tuple[Route, ...], method: str, raw_path: str, body: bytes) -> tuple[str, bytes]:
    """(X-Amz-Target, body) of the awsJson1_1 request that means the same.

    An unrouted request gets the target `METHOD /path`, which no handler knows, so it is
    answered UnknownOperationException; a body that is not a JSON object is passed on as it
    is, so the handler's own SerializationException answers it.
    """
    split = urlsplit(raw_path)
    for candidate in routes:
        match = candidate.path.fullmatch(split.path)
        if candidate.method == method and match:
            break
    else:
        return f"{method} {split.path}", body
    try:
        params = json.loads(body) if body.strip() else {}
    except ValueError:
        return candidate.target, body
    if not isinstance(params, dict):
        return candidate.target, body
    params.update({name: unquote(value) for name, value in match.groupdict().items()})
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        params[name] = int(value) if name in candidate.integers and re.fullmatch(r"-?\d+", value) else value
    return candidate.target, json.dumps(params).encode("utf-8")
