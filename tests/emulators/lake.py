"""A CloudTrail Lake emulator for the integration tests: the CloudTrail JSON API over DuckDB.

moto has no CloudTrail Lake, and the tool's Lake source must be tested through the real
AWS SDK for Rust (pointed here with AWS_ENDPOINT_URL), so this serves the five operations
the tool uses (StartQuery, DescribeQuery, GetQueryResults, CancelQuery, GetEventDataStore)
on the awsJson1_1 protocol, answering queries from CloudTrail events loaded from files
into an in-process DuckDB table that has Lake's schema (lake_schema.py). It also serves
LookupEvents (CloudTrail's free 90-day event history) from the same events, for the tool's
event-history source (see below). Signatures are not checked. Faults (slow, failed,
timed-out or rejected queries, small pages, a store owned by another account) are injected
with --config, and every request can be logged with --calls-log so a test can assert
which calls were made.

Usage:
    python tests/emulators/lake.py --events DIR --event-data-store-id ID
        [--account 999999999999] [--region us-east-1] [--config FILE.json]
        [--calls-log FILE.jsonl] [--port 0] [--ignore-stdin] [--verbose]
Once listening on 127.0.0.1 it prints one line, `{"port": N}`, to stdout. It stops on
SIGTERM or SIGINT, and when its stdin reaches end of file, so a harness that dies does not
leak it: start it with a piped stdin (not /dev/null) and keep the pipe open, or pass
--ignore-stdin.

Lake behaviour chosen where AWS does not document it:
- NULL result values: public material does not show what Lake sends, so the row omits
  that column's single-key map by default (`null_style` "omit"); "empty_map" gives `{}`
  and "json_null" gives `{"column": null}`, so the tool can be tested against each.
- Only the first N StartQuery calls that pass the store check are rejected with
  MaxConcurrentQueriesException; the owner check also applies to CancelQuery.
- A syntax error, or a statement that is not a single SELECT, is refused by StartQuery
  with InvalidQueryStatementException (as Lake documents for invalid statements); any
  other error (unknown column or table, bad types) makes the query FAILED with DuckDB's
  message as ErrorMessage.
- A store of another account that is named without its owner account (or with the wrong
  one) is answered with EventDataStoreNotFoundException.
- Statistics: EventsScanned is the number of events in the table; BytesScanned the JSON
  size of the columns the query references (all columns for `*`), which is how Lake bills
  a query; EventsMatched the number of result rows. Nothing is reported while QUEUED.
- Status moves one step per observation: each DescribeQuery or GetQueryResults call on an
  unfinished query counts as one poll (GetQueryResults too, so a client that polls only
  with it still sees the query finish). The query itself runs in DuckDB at StartQuery.
- Without MaxQueryResults a page holds 1000 rows (the maximum).

Config file (JSON, every key optional; unknown keys are an error):
    {"polls_before_running": 1,      # polls answered QUEUED
     "polls_before_finish": 2,       # then polls answered RUNNING
     "final_status": "FINISHED",     # or "FAILED" / "TIMED_OUT" (then error_message)
     "error_message": "...",
     "max_concurrent_rejections": 0, # first N StartQuery calls: MaxConcurrentQueriesException
     "page_size": null,              # cap on rows per page, below MaxQueryResults
     "owner_account_id": null,       # store owned by this account: calls must name it
     "null_style": "omit",           # or "empty_map" / "json_null"
     "store": {"status": "ENABLED", "retention_days": 2557,
               "advanced_event_selectors": [...], "name": "...",
               "billing_mode": "FIXED_RETENTION_PRICING", "multi_region_enabled": true,
               "organization_enabled": false, "termination_protection_enabled": true},
     "now": null,                    # LookupEvents' clock, e.g. "2026-11-22T00:00:00Z"
     "lookup": {"rate": 2,           # LookupEvents requests a second (null or <= 0: no quota)
                "burst": 2,          # requests admitted at once
                "scope": "all"}}     # or "caller": --account's events in --region only;
                                     # or "signed": --account's events in the Region each
                                     # request is signed for (one history per Region)
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cloudtrail_events import load_events
from emulator_http import ApiError, CallsLog, EmulatorServer, add_common_arguments, answer, error_body, loading, parse_params, run
from emulator_queries import Rejections, decode_token, encode_token, new_query_id, polled_state
from lake_config import (
    CANCELLED,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    TERMINAL,
    TIMED_OUT,
    FaultConfig,
    Store,
    load_config,
)
from lake_engine import MAX_ERROR_MESSAGE, LakeEngine, Outcome
from lake_sql import InvalidStatement
from lookup_history import LookupHistory, lookup_events

# The service's X-Amz-Target prefix. boto3 sends the long form, the Rust SDK the short one
# (`CloudTrail_20131101.StartQuery`); CloudTrail accepts both.
TARGET_PREFIXES = ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", "CloudTrail_20131101.")
MAX_PAGE = 1000
STORE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DEFAULT_ERRORS = {
    FAILED: "Query failed (failure injected by the CloudTrail Lake emulator)",
    TIMED_OUT: "Query timed out (timeout injected by the CloudTrail Lake emulator)",
}


# ---------------------------------------------------------------- queries


@dataclass
class Query:
    query_id: str
    statement: str
    created: float
    outcome: Outcome
    final_status: str
    error_message: str | None
    delivery_s3_uri: str | None
    status: str = QUEUED
    polls: int = 0

    def observe(self, config: FaultConfig) -> str:
        """The status one more poll sees: QUEUED, then RUNNING, then the final status."""
        if self.status in TERMINAL:
            return self.status
        self.polls += 1
        self.status = polled_state(self.polls, config.polls_before_running, config.polls_before_finish,
                                   QUEUED, RUNNING, self.final_status)
        return self.status

    def describe_statistics(self, events_scanned: int) -> dict[str, Any]:
        started = self.status != QUEUED
        return {
            "EventsMatched": len(self.outcome.rows) if started else 0,
            "EventsScanned": events_scanned if started and not self.outcome.error else 0,
            "BytesScanned": self.outcome.bytes_scanned if started else 0,
            "ExecutionTimeInMillis": self.outcome.execution_ms if started else 0,
            "CreationTime": self.created,
        }


def final_state(outcome: Outcome, config: FaultConfig) -> tuple[str, str | None]:
    """The status a query ends in, and its ErrorMessage."""
    if outcome.error is not None:
        return FAILED, outcome.error
    if config.final_status == FINISHED:
        return FINISHED, None
    return config.final_status, config.error_message or DEFAULT_ERRORS[config.final_status]


def result_row(columns: list[str], values: list[str | None], null_style: str) -> list[dict[str, Any]]:
    """One row as Lake's list of single-key maps, in SELECT order (NULLs per null_style)."""
    row: list[dict[str, Any]] = []
    for column, value in zip(columns, values):
        if value is not None:
            row.append({column: value})
        elif null_style == "empty_map":
            row.append({})
        elif null_style == "json_null":
            row.append({column: None})
    return row


class LakeApi:
    """The CloudTrail operations: requests in, (HTTP status, JSON body) out."""

    def __init__(self, engine: LakeEngine, store: Store, config: FaultConfig, calls: CallsLog,
                 history: LookupHistory | None = None) -> None:
        self.engine = engine
        self.history = history or LookupHistory([], store.account, store.region, config.now, config.lookup)
        self.store = store
        self.config = config
        self.calls = calls
        self.queries: dict[str, Query] = {}
        self.lock = threading.Lock()
        self.rejections = Rejections(config.max_concurrent_rejections)
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "StartQuery": self.start_query,
            "DescribeQuery": self.describe_query,
            "GetQueryResults": self.get_query_results,
            "CancelQuery": self.cancel_query,
            "GetEventDataStore": self.get_event_data_store,
            "LookupEvents": lambda params: lookup_events(self.history, params),
        }

    def handle(self, target: str | None, body: bytes, signed_region: str | None = None) -> tuple[int, dict[str, Any]]:
        operation = (target or "").rsplit(".", 1)[-1]
        try:
            params = parse_params(body)
        except ApiError as error:
            self.calls.record(operation, body.decode("utf-8", "replace"))
            return error.status, error_body(error)
        self.calls.record(operation, params)
        return answer(lambda: self.operate(target, operation, params, signed_region), "InternalFailure")

    def operate(self, target: str | None, operation: str, params: dict[str, Any],
                signed_region: str | None) -> dict[str, Any]:
        if not (target or "").startswith(TARGET_PREFIXES) or operation not in self.operations:
            raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
        if operation == "LookupEvents":
            return lookup_events(self.history, params, signed_region)
        return self.operations[operation](params)

    # -- checks shared by the operations

    def check_owner(self, params: dict[str, Any]) -> None:
        """A store of another account must be named with its owner; a wrong owner never finds it."""
        given = params.get("EventDataStoreOwnerAccountId")
        if given is None and self.store.owner == self.store.account:
            return
        if given != self.store.owner:
            raise ApiError("EventDataStoreNotFoundException",
                           f"The event data store {self.store.store_id} was not found in account "
                           f"{given or self.store.account}.")

    def check_store_reference(self, reference: Any, bare_id_allowed: bool) -> None:
        """An EventDataStore parameter (id or ARN) must name this store."""
        if reference is None or reference == self.store.arn:
            return
        if reference == self.store.store_id and bare_id_allowed:
            return
        if isinstance(reference, str) and reference.startswith("arn:") and ":eventdatastore/" not in reference:
            raise ApiError("EventDataStoreARNInvalidException", f"The event data store ARN {reference} is not valid.")
        raise ApiError("EventDataStoreNotFoundException", f"The event data store {reference} was not found.")

    def find_query(self, params: dict[str, Any]) -> Query:
        self.check_owner(params)
        self.check_store_reference(params.get("EventDataStore"), bare_id_allowed=True)
        query_id = params.get("QueryId")
        if query_id is None:
            raise ApiError("InvalidParameterException", "QueryId is required (QueryAlias is not emulated).")
        query = self.queries.get(query_id)
        if query is None:
            raise ApiError("QueryIdNotFoundException", f"The query {query_id} was not found.")
        return query

    def owner_echo(self, params: dict[str, Any]) -> dict[str, Any]:
        owner = params.get("EventDataStoreOwnerAccountId")
        return {} if owner is None else {"EventDataStoreOwnerAccountId": owner}

    # -- operations

    def start_query(self, params: dict[str, Any]) -> dict[str, Any]:
        self.check_owner(params)
        if self.store.config.status == "PENDING_DELETION":
            raise ApiError("InactiveEventDataStoreException", f"The event data store {self.store.store_id} is inactive.")
        if self.rejections.take():
            raise ApiError("MaxConcurrentQueriesException",
                           "You are already running the maximum number of concurrent queries.")
        statement = params.get("QueryStatement")
        if not isinstance(statement, str) or not statement.strip():
            raise ApiError("InvalidParameterException", "QueryStatement is required (QueryAlias is not emulated).")
        try:
            outcome = self.engine.run(statement)
        except InvalidStatement as error:
            raise ApiError("InvalidQueryStatementException", str(error)[:MAX_ERROR_MESSAGE]) from None
        status, message = final_state(outcome, self.config)
        query = Query(new_query_id(), statement, round(time.time(), 3), outcome, status, message,
                      params.get("DeliveryS3Uri"))
        with self.lock:
            self.queries[query.query_id] = query
        return {"QueryId": query.query_id, **self.owner_echo(params)}

    def describe_query(self, params: dict[str, Any]) -> dict[str, Any]:
        query = self.find_query(params)
        with self.lock:
            status = query.observe(self.config)
        answer: dict[str, Any] = {
            "QueryId": query.query_id,
            "QueryString": query.statement,
            "QueryStatus": status,
            "QueryStatistics": query.describe_statistics(self.engine.row_count),
        }
        if status in (FAILED, TIMED_OUT):
            answer["ErrorMessage"] = query.error_message
        if query.delivery_s3_uri:
            answer["DeliveryS3Uri"] = query.delivery_s3_uri
            answer["DeliveryStatus"] = "SUCCESS" if status == FINISHED else "PENDING"
        return {**answer, **self.owner_echo(params)}

    def page_size(self, params: dict[str, Any]) -> int:
        requested = params.get("MaxQueryResults", MAX_PAGE)
        if not isinstance(requested, int) or isinstance(requested, bool) or not 1 <= requested <= MAX_PAGE:
            raise ApiError("InvalidMaxResultsException", f"MaxQueryResults must be from 1 to {MAX_PAGE}.")
        return min(requested, self.config.page_size or MAX_PAGE)

    def get_query_results(self, params: dict[str, Any]) -> dict[str, Any]:
        query = self.find_query(params)
        size = self.page_size(params)
        with self.lock:
            status = query.observe(self.config)
        outcome = query.outcome
        answer: dict[str, Any] = {"QueryStatus": status}
        if status != FINISHED:
            answer["QueryStatistics"] = {"ResultsCount": 0, "TotalResultsCount": 0,
                                         "BytesScanned": outcome.bytes_scanned if status != QUEUED else 0}
            answer["QueryResultRows"] = []
            if status in (FAILED, TIMED_OUT):
                answer["ErrorMessage"] = query.error_message
            return answer
        token = params.get("NextToken")
        offset = 0 if token is None else decode_token(token, query.query_id, len(outcome.rows),
                                                       "InvalidNextTokenException")
        page = outcome.rows[offset:offset + size]
        answer["QueryStatistics"] = {"ResultsCount": len(page), "TotalResultsCount": len(outcome.rows),
                                     "BytesScanned": outcome.bytes_scanned}
        answer["QueryResultRows"] = [result_row(outcome.columns, row, self.config.null_style) for row in page]
        if offset + len(page) < len(outcome.rows):
            answer["NextToken"] = encode_token(query.query_id, offset + len(page))
        return answer

    def cancel_query(self, params: dict[str, Any]) -> dict[str, Any]:
        query = self.find_query(params)
        with self.lock:
            if query.status in TERMINAL:
                raise ApiError("InactiveQueryException",
                               f"The query {query.query_id} is {query.status} and cannot be cancelled.")
            query.status = CANCELLED
        return {"QueryId": query.query_id, "QueryStatus": CANCELLED, **self.owner_echo(params)}

    def get_event_data_store(self, params: dict[str, Any]) -> dict[str, Any]:
        reference = params.get("EventDataStore")
        if reference is None:
            raise ApiError("InvalidParameterException", "EventDataStore is required.")
        # A bare id names a store of the caller's own account; another account's needs the ARN.
        self.check_store_reference(reference, bare_id_allowed=self.store.owner == self.store.account)
        return self.store.describe()


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CloudTrail Lake emulator for the integration tests.")
    parser.add_argument("--events", type=Path, required=True, help="folder of CloudTrail event files")
    parser.add_argument("--event-data-store-id", required=True, help="the store id (and table name)")
    add_common_arguments(parser, "the caller's account id")
    args = parser.parse_args(argv)
    if not STORE_ID_PATTERN.match(args.event_data_store_id):
        parser.error("--event-data-store-id: letters, digits, '.', '_' and '-' only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run("lake", lambda: build_server(args))


def build_server(args: argparse.Namespace) -> tuple[EmulatorServer, bool]:
    config = loading("bad --config", lambda: load_config(args.config))
    loaded = loading("cannot load --events", lambda: load_events(args.events))
    engine = LakeEngine(args.event_data_store_id, loaded.events)
    store = Store(args.event_data_store_id, args.account, config.owner_account_id or args.account,
                  args.region, config.store, round(time.time(), 3))
    history = LookupHistory(loaded.events, args.account, args.region, config.now, config.lookup)
    server = EmulatorServer(LakeApi(engine, store, config, CallsLog(args.calls_log), history), args.port, args.verbose)
    print(f"lake: {engine.row_count} events from {loaded.files_read} files "
          f"({loaded.duplicates_dropped} duplicate eventIDs dropped) as {store.arn}", file=sys.stderr)
    return server, not args.ignore_stdin


if __name__ == "__main__":
    sys.exit(main())
