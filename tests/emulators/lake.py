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

Lake (Trino) and DuckDB differences corrected here (mechanisms in lake_sql.py):
 1. `FROM <event data store id>`: Lake takes the id unquoted although it contains `-`,
    which DuckDB parses as minus. Exactly that identifier, outside literals and quoted
    names, is rewritten to the quoted name of the table that holds the events.
 2. `element_at(map, key)`: Trino returns the value or NULL; DuckDB 1.5.6 returns a
    one-element list (or an empty one). Calls are rewritten to a `trino_element_at`
    macro, defined as DuckDB's subscript, which has Trino's meaning for maps and arrays.
 3. Result values: Lake returns every value as a string. Timestamps are rendered as
    Trino's timestamp(3), `2026-07-01 00:08:20.000` (DuckDB's text drops the
    milliseconds); booleans `true`/`false`; maps and structs `{key=value, ...}`, arrays
    `[a, b]`; numbers as their digits.
 4. Result column names: Trino lowercases them, names a column or struct field after its
    last part and an unnamed expression `_colN`; DuckDB keeps the written case and names
    an expression after its text. Trino's names are used.
 5. Integer division: `7 / 2` is 3 in Trino, 3.5 in DuckDB; DuckDB's integer_division is set.
 6. NULL ordering: pinned to NULLS LAST in both directions, Trino's default.
 7. Time zone: the session is UTC, as Lake's is, whatever the machine's zone.
 8. `json_extract_scalar(json, path)`: a Trino function DuckDB lacks; a macro gives Trino's
    meaning (the scalar as varchar; NULL for objects, arrays, missing paths or text that is
    not JSON), shared with the Athena emulator. The change query reads nested request
    parameters (`memberId.userId`) with it: a `map<string,string>` column holds a nested
    object as its JSON text (lake_schema.py), which is an assumption, as public material
    does not show Lake's text for nested values.
Checked to behave as in Trino with no change (see test_lake.py): `timestamp '...'`
literals, comparing `eventtime` with a string, `max(eventTime)`, `count(DISTINCT ...)`,
`IN (...)`, `GROUP BY 1, 2, ...`, and case-insensitive column and struct field names
(`userIdentity.onBehalfOf.userId` on the documented lowercase `useridentity`).
Not corrected: Trino functions DuckDB lacks or spells otherwise (`from_iso8601_timestamp`,
`date_add('day', ...)`, `approx_distinct`) make the query FAILED; DuckDB-only syntax
(`GROUP BY ALL`) is accepted; DuckDB casts implicitly where Trino errors (`varchar = 1`);
doubles are rendered as Python's repr.

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

LookupEvents (event history), from the same loaded (de-duplicated) events:
- Management events only (no eventCategory other than Management, no managementEvent
  false); newest first (ties by eventID); each as the Event LookupEvents returns: EventId,
  EventName, ReadOnly ("true"/"false"), AccessKeyId, EventTime (epoch seconds), EventSource,
  Username (lookup_username says how it is chosen), Resources ({ResourceType, ResourceName =
  the resource's ARN}), CloudTrailEvent (the event as compact JSON text).
- The 90-day limit: events older than 90 days before "now", or later than "now", are never
  returned. "now" is the machine's clock unless the config sets it (`"now":
  "2026-11-22T00:00:00Z"`), since fixtures are dated.
- LookupAttributes: at most one (InvalidLookupAttributesException otherwise), any of the
  eight documented keys, exact match (ResourceType/ResourceName: any of the event's
  resources). StartTime/EndTime inclusive (InvalidTimeRangeException when start > end).
  MaxResults 1..50, default 50 (InvalidMaxResultsException). EventCategory "insight"
  returns no events (there are none). A NextToken is bound to the request's other
  parameters (InvalidNextTokenException otherwise).
- Quota: 2 requests a second per account and Region, as the API reference documents: a
  token bucket of burst 2 regaining 2 a second; over it, HTTP 400 ThrottlingException "Rate
  exceeded", answered at once. A throttled request goes no further (no validation).
- Scope: "all" (default) serves every loaded event; "caller" only those whose
  recipientAccountId and awsRegion are --account and --region, as event history is per
  account and Region.

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
import base64
import binascii
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

import duckdb

from cloudtrail_events import load_events
from lake_schema import COLUMN_NAMES, compact_json, create_table_sql, read_json_columns_sql, write_rows
from lake_sql import (
    SESSION_SQL,
    InvalidStatement,
    format_value,
    parse_statement,
    referenced_columns,
    rewrite_for_duckdb,
    trino_column_names,
)
from rest_json import REST_JSON

# The service's X-Amz-Target prefix. boto3 sends the long form, the Rust SDK the short one
# (`CloudTrail_20131101.StartQuery`); CloudTrail accepts both.
TARGET_PREFIXES = ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", "CloudTrail_20131101.")
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REST_JSON_CONTENT_TYPE = "application/json"
QUEUED, RUNNING, FINISHED = "QUEUED", "RUNNING", "FINISHED"
FAILED, CANCELLED, TIMED_OUT = "FAILED", "CANCELLED", "TIMED_OUT"
TERMINAL = frozenset({FINISHED, FAILED, CANCELLED, TIMED_OUT})
MAX_PAGE = 1000
MAX_ERROR_MESSAGE = 1000
STORE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
STORE_STATUSES = ("CREATED", "ENABLED", "PENDING_DELETION", "STARTING_INGESTION",
                  "STOPPING_INGESTION", "STOPPED_INGESTION")
DEFAULT_ERRORS = {
    FAILED: "Query failed (failure injected by the CloudTrail Lake emulator)",
    TIMED_OUT: "Query timed out (timeout injected by the CloudTrail Lake emulator)",
}


# ---------------------------------------------------------------- configuration


def default_selectors() -> list[dict[str, Any]]:
    """A store of management events, read and write (no readOnly selector)."""
    return [{"Name": "Management events",
             "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]


@dataclass
class StoreConfig:
    status: str = "ENABLED"
    retention_days: int = 2557
    advanced_event_selectors: list[dict[str, Any]] = field(default_factory=default_selectors)
    name: str = "idc-credential-report-test"
    billing_mode: str = "FIXED_RETENTION_PRICING"
    multi_region_enabled: bool = True
    organization_enabled: bool = False
    termination_protection_enabled: bool = True


@dataclass
class LookupConfig:
    """LookupEvents' quota and scope (see the module docstring)."""

    rate: float | None = 2.0
    burst: int = 2
    scope: str = "all"


@dataclass
class FaultConfig:
    polls_before_running: int = 1
    polls_before_finish: int = 2
    final_status: str = FINISHED
    error_message: str | None = None
    max_concurrent_rejections: int = 0
    page_size: int | None = None
    owner_account_id: str | None = None
    null_style: str = "omit"
    store: StoreConfig = field(default_factory=StoreConfig)
    now: str | None = None
    lookup: LookupConfig = field(default_factory=LookupConfig)


def checked_keys(data: Any, cls: type, where: str) -> dict[str, Any]:
    """The object's keys, refusing any the dataclass does not declare (a typo shows)."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object")
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    return data


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"config: {name} must be one of {list(choices)}, not {value!r}")


def check_count(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"config: {name} must be an integer >= {minimum}, not {value!r}")


def validate_config(config: FaultConfig) -> FaultConfig:
    for name in ("polls_before_running", "polls_before_finish", "max_concurrent_rejections"):
        check_count(name, getattr(config, name), 0)
    if config.page_size is not None:
        check_count("page_size", config.page_size, 1)
    check_choice("final_status", config.final_status, (FINISHED, FAILED, TIMED_OUT))
    check_choice("null_style", config.null_style, ("omit", "empty_map", "json_null"))
    check_choice("store.status", config.store.status, STORE_STATUSES)
    check_count("store.retention_days", config.store.retention_days, 7)
    if config.owner_account_id is not None and not re.fullmatch(r"\d{12,16}", config.owner_account_id):
        raise ValueError("config: owner_account_id must be 12 to 16 digits")
    if config.now is not None and parse_event_time(config.now) is None:
        raise ValueError(f"config: now must be an ISO 8601 time such as 2026-11-22T00:00:00Z, not {config.now!r}")
    rate = config.lookup.rate
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))):
        raise ValueError(f"config: lookup.rate must be a number or null, not {rate!r}")
    check_count("lookup.burst", config.lookup.burst, 1)
    check_choice("lookup.scope", config.lookup.scope, ("all", "caller", "signed"))
    return config


def load_config(path: Path | None) -> FaultConfig:
    if path is None:
        return FaultConfig()
    data = dict(checked_keys(json.loads(path.read_text(encoding="utf-8")), FaultConfig, str(path)))
    store = StoreConfig(**checked_keys(data.pop("store", {}), StoreConfig, f"{path}: store"))
    lookup = LookupConfig(**checked_keys(data.pop("lookup", {}), LookupConfig, f"{path}: lookup"))
    return validate_config(FaultConfig(**data, store=store, lookup=lookup))


# ---------------------------------------------------------------- the event data store


@dataclass(frozen=True)
class Store:
    """The one event data store: where it lives and what GetEventDataStore says of it."""

    store_id: str
    account: str  # the caller's account
    owner: str  # the account that owns the store (the caller's unless configured)
    region: str
    config: StoreConfig
    created: float

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.region}:{self.owner}:eventdatastore/{self.store_id}"

    def describe(self) -> dict[str, Any]:
        return {
            "EventDataStoreArn": self.arn,
            "Name": self.config.name,
            "Status": self.config.status,
            "AdvancedEventSelectors": self.config.advanced_event_selectors,
            "MultiRegionEnabled": self.config.multi_region_enabled,
            "OrganizationEnabled": self.config.organization_enabled,
            "RetentionPeriod": self.config.retention_days,
            "TerminationProtectionEnabled": self.config.termination_protection_enabled,
            "CreatedTimestamp": self.created,
            "UpdatedTimestamp": self.created,
            "BillingMode": self.config.billing_mode,
        }


@dataclass
class Outcome:
    """What DuckDB made of a query: its rows as Lake strings, or its error."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: str | None = None
    bytes_scanned: int = 0
    execution_ms: int = 0


class LakeEngine:
    """The DuckDB table of events, and the running of Lake queries against it."""

    def __init__(self, store_id: str, events: Iterable[dict[str, Any]]) -> None:
        self.table = store_id
        self.lock = threading.Lock()
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(create_table_sql(self.table))
        self.row_count, self.column_bytes = self.load(events)
        for statement in SESSION_SQL:
            self.connection.execute(statement)
        # Queries are SELECTs, but a SELECT can call read_csv(); keep them off the disk.
        self.connection.execute("SET enable_external_access = false")
        self.connection.execute("SET lock_configuration = true")

    def load(self, events: Iterable[dict[str, Any]]) -> tuple[int, dict[str, int]]:
        """Fills the table through newline-delimited JSON that DuckDB types as it reads.

        Returns the row count and the bytes of each column (see lake_schema.write_rows).
        """
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False) as handle:
            count, sizes = write_rows(events, handle)
        try:
            if count:
                self.connection.execute(
                    f'INSERT INTO "{self.table}" SELECT * FROM read_json(?, format = \'newline_delimited\', '
                    f"columns = {read_json_columns_sql()}, maximum_object_size = 1073741824)",
                    [handle.name],
                )
        finally:
            os.unlink(handle.name)
        return count, sizes

    def run(self, statement: str) -> Outcome:
        """Runs a Lake query; raises InvalidStatement for what Lake refuses at StartQuery."""
        sql = rewrite_for_duckdb(statement, self.table)
        with self.lock:
            tree = parse_statement(self.connection, sql)
            scanned = sum(self.column_bytes[name] for name in referenced_columns(tree, COLUMN_NAMES))
            started = time.monotonic()
            try:
                cursor = self.connection.execute(sql)
                raw_rows = cursor.fetchall()
                duckdb_names = [column[0] for column in cursor.description or []]
            except duckdb.Error as error:
                return Outcome(error=str(error)[:MAX_ERROR_MESSAGE])
        elapsed = int((time.monotonic() - started) * 1000)
        rows = [[None if value is None else format_value(value) for value in row] for row in raw_rows]
        return Outcome(trino_column_names(tree, duckdb_names), rows, None, scanned, elapsed)


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
        if self.polls <= config.polls_before_running:
            self.status = QUEUED
        elif self.polls <= config.polls_before_running + config.polls_before_finish:
            self.status = RUNNING
        else:
            self.status = self.final_status
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


def encode_token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}/{offset}".encode()).decode()


def decode_token(token: Any, query: Query) -> int:
    """The row offset a NextToken stands for; it must come from this query's results."""
    try:
        query_id, offset_text = base64.urlsafe_b64decode(str(token).encode()).decode().split("/")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError("InvalidNextTokenException", "The NextToken is not valid.") from None
    if query_id != query.query_id or not 0 < offset < len(query.outcome.rows):
        raise ApiError("InvalidNextTokenException", "The NextToken does not belong to this query's results.")
    return offset


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


# ---------------------------------------------------------------- LookupEvents (event history)


LOOKUP_WINDOW_SECONDS = 90 * 24 * 3600
LOOKUP_MAX_RESULTS = 50
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId")


def parse_event_time(value: Any) -> float | None:
    """An ISO 8601 time (`2026-07-01T00:08:20Z`) as epoch seconds; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def lookup_username(identity: dict[str, Any]) -> str | None:
    """The event history's user name: the user or role session that made the call.

    AWS documents it as "a user name or role name of the requester" without the rule; the
    emulator takes userIdentity.userName, else the session name at the end of an assumed
    role's or federated user's ARN, else the Identity Center user id (onBehalfOf.userId),
    else principalId.
    """
    if identity.get("userName"):
        return str(identity["userName"])
    if identity.get("type") in ("AssumedRole", "FederatedUser") and identity.get("arn"):
        return str(identity["arn"]).rsplit("/", 1)[-1]
    on_behalf_of = identity.get("onBehalfOf")
    if isinstance(on_behalf_of, dict) and on_behalf_of.get("userId"):
        return str(on_behalf_of["userId"])
    return str(identity["principalId"]) if identity.get("principalId") else None


def is_management_event(event: dict[str, Any]) -> bool:
    """Event history holds management events only (no data, network or Insights events)."""
    return event.get("eventCategory", "Management") == "Management" and event.get("managementEvent") is not False


def lookup_summary(event: dict[str, Any], event_time: float) -> dict[str, Any]:
    """The Event LookupEvents returns for one CloudTrail event (absent fields left out)."""
    identity = event.get("userIdentity") if isinstance(event.get("userIdentity"), dict) else {}
    read_only = event.get("readOnly")
    summary: dict[str, Any] = {
        "EventId": event.get("eventID"),
        "EventName": event.get("eventName"),
        "ReadOnly": str(read_only).lower() if read_only is not None else None,
        "AccessKeyId": identity.get("accessKeyId"),
        "EventTime": int(event_time) if event_time == int(event_time) else event_time,
        "EventSource": event.get("eventSource"),
        "Username": lookup_username(identity),
        "Resources": [{key: value for key, value in (("ResourceType", resource.get("type")),
                                                     ("ResourceName", resource.get("ARN") or resource.get("arn")))
                       if value is not None}
                      for resource in event.get("resources") or [] if isinstance(resource, dict)],
        "CloudTrailEvent": compact_json(event),
    }
    return {key: value for key, value in summary.items() if value is not None}


def matches_attribute(summary: dict[str, Any], key: str, value: str) -> bool:
    """Whether an event matches one LookupAttribute (resources: any of them)."""
    if key in ("ResourceType", "ResourceName"):
        return any(resource.get(key) == value for resource in summary["Resources"])
    return summary.get(key) == value


class TokenBucket:
    """Holds up to `burst` tokens and regains `rate` a second; each request takes one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


def signed_region(authorization: str) -> str | None:
    """The Region of a SigV4 `Authorization` header's credential scope (KEY/DATE/REGION/...)."""
    match = re.search(r"Credential=[^/,]+/\d{8}/([^/,]+)/", authorization)
    return match.group(1) if match else None


class LookupHistory:
    """The event history of the caller's account and Region, newest first."""

    def __init__(self, events: Iterable[dict[str, Any]], account: str, region: str, config: FaultConfig) -> None:
        self.now = parse_event_time(config.now) if config.now is not None else None
        rate = config.lookup.rate
        self.bucket = TokenBucket(float(rate), config.lookup.burst) if rate is not None and rate > 0 else None
        self.per_signed_region = config.lookup.scope == "signed"
        entries = []
        for event in events:
            event_time = parse_event_time(event.get("eventTime"))
            if event_time is None or not is_management_event(event):
                continue
            if config.lookup.scope == "caller" and (event.get("recipientAccountId"), event.get("awsRegion")) != (
                    account, region):
                continue
            if self.per_signed_region and event.get("recipientAccountId") != account:
                continue
            entries.append((event_time, str(event.get("eventID", "")), event.get("awsRegion"),
                            lookup_summary(event, event_time)))
        entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        self.entries = [(event_time, event_region, summary) for event_time, _, event_region, summary in entries]

    def admit(self) -> bool:
        """Takes one request from the quota (2 a second per account and Region by default)."""
        return self.bucket is None or self.bucket.take()

    def select(self, start: float, end: float, attribute: tuple[str, str] | None,
               signed_region: str | None = None) -> list[dict[str, Any]]:
        """The events from `start` to `end` (inclusive) within the last 90 days, newest first;
        with the "signed" scope, only those of the Region the request was signed for."""
        now = self.now if self.now is not None else time.time()
        low, high = max(start, now - LOOKUP_WINDOW_SECONDS), min(end, now)
        return [summary for event_time, event_region, summary in self.entries
                if low <= event_time <= high and (attribute is None or matches_attribute(summary, *attribute))
                and (not self.per_signed_region or event_region == signed_region)]


def lookup_attribute(params: dict[str, Any]) -> tuple[str, str] | None:
    """The one LookupAttribute allowed, as (key, value); None when there is none."""
    attributes = params.get("LookupAttributes") or []
    if not isinstance(attributes, list) or len(attributes) > 1:
        raise ApiError("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
    if not attributes:
        return None
    attribute = attributes[0] if isinstance(attributes[0], dict) else {}
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key not in LOOKUP_KEYS or not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise ApiError("InvalidLookupAttributesException", f"The lookup attribute {attribute!r} is not valid.")
    return key, value


def lookup_time(params: dict[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError("InvalidTimeRangeException", f"{name} must be a time (epoch seconds).")
    return float(value)


def lookup_request_key(params: dict[str, Any]) -> str:
    """What a NextToken is bound to: every parameter but NextToken and MaxResults."""
    bound = {key: value for key, value in params.items() if key not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()[:16]


def decode_lookup_token(token: Any, params: dict[str, Any], total: int) -> int:
    """The event offset a LookupEvents NextToken stands for, if it was issued for these parameters."""
    try:
        key, offset_text = base64.urlsafe_b64decode(str(token).encode()).decode().split("/")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError("InvalidNextTokenException", "The NextToken is not valid.") from None
    if key != lookup_request_key(params) or not 0 < offset <= total:
        raise ApiError("InvalidNextTokenException",
                       "The NextToken is not valid for this request's parameters.")
    return offset


# ---------------------------------------------------------------- the API


class ApiError(Exception):
    """An AWS error answer: its code (the `__type`) and message, HTTP 400 unless told."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class CallsLog:
    """Appends one JSON line per request, for tests to assert on."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()

    def record(self, operation: str, params: Any) -> None:
        if self.path is None:
            return
        line = json.dumps({"operation": operation, "params": params}, ensure_ascii=False)
        with self.lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


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


class LakeApi:
    """The CloudTrail operations: requests in, (HTTP status, JSON body) out."""

    def __init__(self, engine: LakeEngine, store: Store, config: FaultConfig, calls: CallsLog,
                 history: LookupHistory | None = None) -> None:
        self.engine = engine
        self.history = history or LookupHistory([], store.account, store.region, config)
        self.store = store
        self.config = config
        self.calls = calls
        self.queries: dict[str, Query] = {}
        self.lock = threading.Lock()
        self.rejections_left = config.max_concurrent_rejections
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "StartQuery": self.start_query,
            "DescribeQuery": self.describe_query,
            "GetQueryResults": self.get_query_results,
            "CancelQuery": self.cancel_query,
            "GetEventDataStore": self.get_event_data_store,
            "LookupEvents": self.lookup_events,
        }

    def handle(self, target: str | None, body: bytes, signed_region: str | None = None) -> tuple[int, dict[str, Any]]:
        operation = (target or "").rsplit(".", 1)[-1]
        try:
            params = parse_params(body)
        except ApiError as error:
            self.calls.record(operation, body.decode("utf-8", "replace"))
            return error.status, error_body(error)
        self.calls.record(operation, params)
        try:
            if not (target or "").startswith(TARGET_PREFIXES) or operation not in self.operations:
                raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
            if operation == "LookupEvents":
                return 200, self.lookup_events(params, signed_region)
            return 200, self.operations[operation](params)
        except ApiError as error:
            return error.status, error_body(error)
        except Exception:  # noqa: BLE001 - an emulator bug must show, not hang the client
            traceback.print_exc(file=sys.stderr)
            return 500, error_body(ApiError("InternalFailure", "The emulator failed; see its stderr.", 500))

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
        with self.lock:
            if self.rejections_left > 0:
                self.rejections_left -= 1
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
        query = Query(str(uuid.uuid4()), statement, round(time.time(), 3), outcome, status, message,
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
        offset = 0 if token is None else decode_token(token, query)
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


    def lookup_events(self, params: dict[str, Any], signed_region: str | None = None) -> dict[str, Any]:
        """Event history: the quota first (a throttled request goes no further), then the filters."""
        if not self.history.admit():
            raise ApiError("ThrottlingException", "Rate exceeded")
        attribute = lookup_attribute(params)
        start = lookup_time(params, "StartTime", 0.0)
        end = lookup_time(params, "EndTime", float("inf"))
        if start > end:
            raise ApiError("InvalidTimeRangeException", "The start time must be before the end time.")
        size = params.get("MaxResults", LOOKUP_MAX_RESULTS)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= LOOKUP_MAX_RESULTS:
            raise ApiError("InvalidMaxResultsException", f"MaxResults must be from 1 to {LOOKUP_MAX_RESULTS}.")
        category = params.get("EventCategory")
        if category not in (None, "insight"):
            raise ApiError("InvalidEventCategoryException", f"The event category {category!r} is not valid.")
        events = [] if category == "insight" else self.history.select(start, end, attribute, signed_region)
        token = params.get("NextToken")
        offset = 0 if token is None else decode_lookup_token(token, params, len(events))
        answer: dict[str, Any] = {"Events": events[offset:offset + size]}
        if offset + size < len(events):
            next_token = f"{lookup_request_key(params)}/{offset + size}"
            answer["NextToken"] = base64.urlsafe_b64encode(next_token.encode()).decode()
        return answer


def error_body(error: ApiError) -> dict[str, Any]:
    return {"__type": error.code, "message": error.message}


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


class LakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: LakeApi, port: int, verbose: bool) -> None:
        super().__init__(("127.0.0.1", port), LakeRequestHandler)
        self.api = api
        self.verbose = verbose


class LakeRequestHandler(BaseHTTPRequestHandler):
    """awsJson1_1: POST / with X-Amz-Target; errors are 400 + `__type` + x-amzn-ErrorType.

    An API with `rest_json_request(method, path, body)` (athena.py) also takes restJson1
    requests, which carry no X-Amz-Target: they become the awsJson1_1 call (rest_json.py).
    """

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK (~40 ms on Linux), which made every call that slow.
    disable_nagle_algorithm = True
    server: LakeServer

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


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CloudTrail Lake emulator for the integration tests.")
    parser.add_argument("--events", type=Path, required=True, help="folder of CloudTrail event files")
    parser.add_argument("--event-data-store-id", required=True, help="the store id (and table name)")
    parser.add_argument("--account", default="999999999999", help="the caller's account id")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--config", type=Path, help="fault-injection config (JSON)")
    parser.add_argument("--calls-log", type=Path, help="append one JSON line per request here")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--ignore-stdin", action="store_true", help="do not stop when stdin closes")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    if not STORE_ID_PATTERN.match(args.event_data_store_id):
        parser.error("--event-data-store-id: letters, digits, '.', '_' and '-' only")
    return args


def stop_when_stdin_closes(stop: Callable[[], None]) -> None:
    """Reads (and drops) stdin until end of file, then stops the server.

    Reads the raw descriptor: a daemon thread blocked in the buffered sys.stdin holds its
    lock, and Python aborts at exit (after SIGTERM) when it cannot take that lock.
    """
    descriptor = sys.stdin.fileno()
    while os.read(descriptor, 65536):
        pass
    stop()


def serve(server: LakeServer, watch_stdin: bool) -> None:
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:
        print(f"lake: bad --config: {error}", file=sys.stderr)
        return 2
    try:
        loaded = load_events(args.events)
    except (OSError, ValueError) as error:
        print(f"lake: cannot load --events: {error}", file=sys.stderr)
        return 2
    engine = LakeEngine(args.event_data_store_id, loaded.events)
    store = Store(args.event_data_store_id, args.account, config.owner_account_id or args.account,
                  args.region, config.store, round(time.time(), 3))
    history = LookupHistory(loaded.events, args.account, args.region, config)
    server = LakeServer(LakeApi(engine, store, config, CallsLog(args.calls_log), history), args.port, args.verbose)
    print(f"lake: {engine.row_count} events from {loaded.files_read} files "
          f"({loaded.duplicates_dropped} duplicate eventIDs dropped) as {store.arn}", file=sys.stderr)
    serve(server, watch_stdin=not args.ignore_stdin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
