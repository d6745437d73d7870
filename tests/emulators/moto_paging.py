"""Pages by offset for the moto corrections (moto_corrections.py), where moto's own paginator
goes wrong, and the small conversions the corrected answers share."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from moto.core.exceptions import JsonRESTError

# --------------------------------------------------------------------------------------------
# Pagination by offset (replaces moto's paginator where it goes wrong)
# --------------------------------------------------------------------------------------------

def page_of(items: list[Any], request: dict[str, Any], limit: int,
            invalid_token_error: str) -> tuple[list[Any], str | None]:
    """One page of `items` and the token for the next.

    moto's paginator encodes the *values* of the next item and resumes at the first item with
    those values, so two equal items make it hand out the same token forever. An offset bound to
    the request's other parameters cannot repeat.
    """
    key = _request_key(request)
    start = 0
    token = request.get("NextToken")
    if token:
        start = _decode_offset(token, key, invalid_token_error)
    size = min(int(request.get("MaxResults") or limit), limit)
    end = start + size
    next_token = _encode_offset(end, key) if end < len(items) else None
    return items[start:end], next_token


def _request_key(request: dict[str, Any]) -> str:
    stable = {k: v for k, v in request.items() if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def _encode_offset(offset: int, key: str) -> str:
    return base64.b64encode(json.dumps({"o": offset, "k": key}).encode()).decode()


def _decode_offset(token: str, key: str, error_type: str) -> int:
    try:
        decoded = json.loads(base64.b64decode(token, validate=True))
        if decoded["k"] == key and isinstance(decoded["o"], int) and decoded["o"] >= 0:
            return int(decoded["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise JsonRESTError(error_type, "The NextToken is not valid for this request.")


def drop_nulls(item: dict[str, Any]) -> dict[str, Any]:
    """AWS leaves absent members out; moto writes them as null."""
    return {k: v for k, v in item.items() if v is not None}


def iso8601_duration(value: Any) -> str:
    """SessionDuration as AWS returns it ("PT1H"), from moto's number of seconds."""
    if isinstance(value, str) and value.startswith("P"):
        return value
    seconds = int(float(value)) if value not in (None, "") else 3600
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n]
    return "PT" + ("".join(parts) or "0S")
