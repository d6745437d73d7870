"""The CloudWatch Logs emulator's queries: each query's status as it is polled, the rows and
statistics GetQueryResults gives, and the checks of paging parameters.

GetQueryResults: `{"queryLanguage", "status", "results", "statistics", "encryptionKey"?}`.
- `results`: Complete: the rows, each a list of `{"field", "value"}` in SELECT order, values
  strings. While Scheduled or Running, and after Failed, Timeout or Cancelled, no rows
  (`"running_results": "partial"` gives the first half of the rows while Running, since the
  reference says a Running query returns partial results). No `@ptr` field is added (the
  reference mentions it for Logs Insights QL; whether SQL rows carry one is not documented).
- NULL values: not documented; by default the field is left out of that row
  (`"null_style": "omit"`); "empty_string" sends `""`, "json_null" sends `"value": null`.
- `nextToken`/`maxItems`: paging is documented as not supported for SQL; `maxItems` is
  checked (0..10,000) and ignored, a `nextToken` is InvalidParameterException.
- `statistics` (all doubles): recordsScanned, the log events of the named groups within the
  time range (each group once); bytesScanned, the UTF-8 bytes of their @message (the
  emulator's measure: AWS bills scanned log event bytes without saying how they are counted);
  recordsMatched, the events of the query's FROM that pass its WHERE (for a query that is
  not one SELECT, the result's row count); logGroupsScanned; resultCount, the rows returned
  (after the limit: whether AWS counts them before it is not documented, and a client must
  not depend on it). estimatedRecordsSkipped/estimatedBytesSkipped (field indexes) are left
  out. Zero while Scheduled, half while Running, whole when finished; a stopped query keeps
  what it had; a query that failed in DuckDB reports zeros.
- An unknown queryId: ResourceNotFoundException.
StopQuery: a Scheduled or Running query becomes Cancelled, `{"success": true}`; a finished one
is InvalidParameterException (the reference says "returns an error indicating that the
specified query is not running" without naming it; besides ResourceNotFoundException and
ServiceUnavailableException, InvalidParameterException is the only error the operation lists);
an unknown id is ResourceNotFoundException.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from emulator_http import ApiError
from emulator_queries import polled_state
from logs_config import CANCELLED, COMPLETE, FINISHED, RUNNING, SCHEDULED, LogsConfig
from logs_engine import LogGroup, Outcome
from lookup_history import decode_lookup_token, lookup_request_key


@dataclass
class Query:
    query_id: str
    query_string: str
    language: str
    created_ms: int
    groups: list[LogGroup]
    outcome: Outcome
    final_status: str
    limit: int
    status: str = SCHEDULED
    polls: int = 0
    stopped_while: str | None = None  # the status a query had when it was stopped

    def observe(self, config: LogsConfig) -> str:
        """The status one more GetQueryResults call sees: Scheduled, Running, then the final one."""
        if self.status not in FINISHED:
            self.polls += 1
            self.status = polled_state(self.polls, config.polls_before_running, config.polls_before_finish,
                                       SCHEDULED, RUNNING, self.final_status)
        return self.status

    def progress(self) -> float:
        """How much of the work a statistic reports: none, half, or all of it."""
        status = self.stopped_while if self.status == CANCELLED else self.status
        if self.outcome.error is not None or status == SCHEDULED:
            return 0.0
        return 0.5 if status == RUNNING else 1.0

    def returned_rows(self, config: LogsConfig) -> list[list[str | None]]:
        rows = self.outcome.rows[:self.limit]
        if self.status == COMPLETE:
            return rows
        if self.status == RUNNING and config.running_results == "partial":
            return rows[:len(rows) // 2]
        return []

    def statistics(self, returned: int) -> dict[str, float]:
        share = self.progress()
        scanned = self.outcome.scanned
        return {
            "recordsMatched": float(int(self.outcome.matched * share)),
            "recordsScanned": float(int(scanned.records * share)),
            "bytesScanned": float(int(scanned.bytes * share)),
            "logGroupsScanned": float(scanned.groups if share else 0),
            "resultCount": float(returned),
        }

    def describe(self) -> dict[str, Any]:
        answer = {"queryLanguage": self.language, "queryId": self.query_id, "queryString": self.query_string,
                  "status": self.status, "createTime": self.created_ms}
        if self.groups:
            answer["logGroupName"] = self.groups[0].name
        return answer


NULL_VALUES = {"empty_string": "", "json_null": None}


def result_row(columns: list[str], values: list[str | None], null_style: str) -> list[dict[str, Any]]:
    """One row as GetQueryResults gives it: `{"field", "value"}` pairs in SELECT order; a NULL
    is left out ("omit") or sent as NULL_VALUES[null_style]."""
    return [{"field": column, "value": NULL_VALUES[null_style] if value is None else value}
            for column, value in zip(columns, values) if value is not None or null_style != "omit"]


def bound_params(params: dict[str, Any]) -> dict[str, Any]:
    """What a nextToken is bound to: every parameter but the token and the page size."""
    return {key: value for key, value in params.items() if key not in ("nextToken", "limit", "maxResults")}


def encode_token(params: dict[str, Any], offset: int) -> str:
    return base64.urlsafe_b64encode(f"{lookup_request_key(bound_params(params))}/{offset}".encode()).decode()


def decode_token(params: dict[str, Any], total: int) -> int:
    """The offset a nextToken stands for (lake.py's LookupEvents tokens, with this API's error)."""
    if params.get("nextToken") is None:
        return 0
    try:
        return decode_lookup_token(params["nextToken"], bound_params(params), total)
    except ApiError:
        raise ApiError("InvalidParameterException", "The specified nextToken is not valid for this request.") from None


def integer_param(params: dict[str, Any], name: str, low: int, high: int, default: int | None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError("InvalidParameterException", f"{name} must be an integer from {low} to {high}.")
    return value
