"""What the three query emulators (lake.py, athena.py, cloudwatch_logs.py) share about a query:
its id, the states it passes through as it is polled, the pages of its result, and the outcomes
injected by a config file. Each service names the states and errors its own way; the rules are
the same.

- States: a query runs in DuckDB when it starts; what a client sees moves one step per poll:
  `polls_before_running` polls see the queued state, `polls_before_finish` more the running
  state, then the final state (the query's own, or one the config injects).
- Pages: a NextToken is the query id and a row offset, base64; a token of another query, or
  an offset outside the result, is refused with the service's error.
- Rejections: the first N starts that pass every check are refused as over the concurrency
  quota, so that a client's retry can be tested.
"""

from __future__ import annotations

import base64
import binascii
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from emulator_http import ApiError


def new_query_id() -> str:
    return str(uuid.uuid4())


@dataclass
class PollConfig:
    """The config keys every query emulator shares: how many polls see the query queued, then
    running, before its final state."""

    polls_before_running: int = 1
    polls_before_finish: int = 2


def polled_state(polls: int, before_running: int, before_finish: int,
                 queued: str, running: str, final: str) -> str:
    """The state the `polls`-th poll of a query sees."""
    if polls <= before_running:
        return queued
    if polls <= before_running + before_finish:
        return running
    return final


def encode_token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}/{offset}".encode()).decode()


def decode_token(token: Any, query_id: str, rows: int, error_code: str, first: int = 1) -> int:
    """The row offset a NextToken stands for; it must come from this query's results, at an
    offset from `first` (1: a first page's token never points at row 0) to the last row."""
    try:
        token_query, offset_text = base64.urlsafe_b64decode(str(token).encode()).decode().split("/")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(error_code, "The NextToken is not valid.") from None
    if token_query != query_id or not first <= offset < rows:
        raise ApiError(error_code, "The NextToken does not belong to this query's results.")
    return offset


class Rejections:
    """The first `count` starts are refused (thread-safe): `take()` says whether this one is."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left > 0:
                self.left -= 1
                return True
            return False
