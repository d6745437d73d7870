"""The CloudWatch Logs emulator's engine: every CloudTrail event as a log event of its log group,
each group a table of an in-process DuckDB database, and the running of translated queries
(logs_sql.py) against it.

Log events (documented: the five system fields, dot notation, array indexes, the 200-field
limit, the extra `@` on discovered names that start with `@`):
- `@message`: the event as compact JSON text, as CloudTrail sends it; `@timestamp`: the
  event's eventTime; `@ingestionTime`: @timestamp plus 5 minutes (a stand-in: the real delay
  varies); `@logStream`: `<recipientAccountId>_CloudTrail_<awsRegion>`, CloudTrail's stream
  name (the group's account and --region when the event lacks them); `@log`:
  `<account>:<log group name>`. Times are rendered as `2026-07-01 00:08:20.000` (UTC), the
  text Logs Insights shows; that SQL returns this text too is not confirmed.
- Discovered fields: every scalar of the event's JSON under its dotted path
  (`userIdentity.onBehalfOf.userId`, `serviceEventDetails.account_id`, arrays by index:
  `resources.0.ARN`), as text (numbers as JSON writes them, booleans `true`/`false`). At most
  200 per event, taken in the event's key order (which 200 AWS keeps is not documented). A
  JSON null, an empty object and an empty array give no field (not documented; an absent
  field and a null one are then alike, which `errorCode IS NULL` relies on either way). A
  discovered name starting with `@` gets another `@` in front.
- Every field is a VARCHAR column of its group's table (the documents give no SQL types).
  Names that differ only in case are one column, spelled as first seen (Logs Insights does
  not support queries naming both spellings; see below).
- Events without a parsable eventTime are dropped (a log event needs a timestamp). Events are
  de-duplicated by eventID within a folder (cloudtrail_events.py).
"""

from __future__ import annotations

import bisect
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

import duckdb

from lake_schema import compact_json
from lake_sql import format_value, parse_statement
from logs_config import LogsConfig
from lookup_history import parse_event_time

if TYPE_CHECKING:
    from logs_sql import Plan


MAX_DISCOVERED_FIELDS = 200


INGESTION_DELAY_MS = 300_000


SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")


def time_text(milliseconds: int) -> str:
    """A log event time as Logs Insights shows it: `2026-07-01 00:08:20.000` (UTC)."""
    moment = datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{milliseconds % 1000:03d}"


def field_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def discovered_fields(event: dict[str, Any]) -> dict[str, str]:
    """The fields Logs Insights discovers in a JSON log event: dotted paths of its scalars.

    Nested keys are joined with `.`, array items by index (`resources.0.ARN`); at most
    MAX_DISCOVERED_FIELDS, in key order; nulls and empty containers give none; a name that
    starts with `@` gets a second one.
    """
    found: dict[str, str] = {}

    def visit(path: str, value: Any) -> None:
        if len(found) >= MAX_DISCOVERED_FIELDS or value is None:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                visit(f"{path}.{key}" if path else str(key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(f"{path}.{index}", item)
        else:
            found["@" + path if path.startswith("@") else path] = field_text(value)

    visit("", event)
    return found


def log_stream(event: dict[str, Any], account: str, region: str) -> str:
    """CloudTrail's log stream name: `<account id>_CloudTrail_<Region>`."""
    return f"{event.get('recipientAccountId') or account}_CloudTrail_{event.get('awsRegion') or region}"


@dataclass(eq=False)  # one object per group: hashed by identity
class LogGroup:
    """One log group: its identity, its table, and what scanning a time range of it costs."""

    name: str
    account: str
    region: str
    table: str
    columns: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # sorted @timestamp (ms)
    byte_sums: list[int] = field(default_factory=lambda: [0])  # prefix sums of @message bytes

    @property
    def arn(self) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    @property
    def stored_bytes(self) -> int:
        return self.byte_sums[-1]

    def scan(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        """The events and @message bytes of the time range [start_ms, end_ms]."""
        low = bisect.bisect_left(self.times, start_ms)
        high = bisect.bisect_right(self.times, end_ms)
        return high - low, self.byte_sums[high] - self.byte_sums[low]

    def describe(self, pattern_only: bool) -> dict[str, Any]:
        created = self.times[0] if self.times else 0
        if pattern_only:
            return {"logGroupName": self.name, "creationTime": created, "arn": self.arn + ":*"}
        return {"logGroupName": self.name, "creationTime": created, "metricFilterCount": 0,
                "arn": self.arn + ":*", "storedBytes": self.stored_bytes, "logGroupClass": "STANDARD",
                "logGroupArn": self.arn}


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def event_rows(group: LogGroup, events: Iterable[dict[str, Any]]) -> tuple[list[dict[str, str]], int]:
    """The log events of a group as table rows (sorted by time), and how many were dropped.

    Also fills the group's columns (case-insensitively merged), times and byte sums.
    """
    spelled: dict[str, str] = {name.lower(): name for name in SYSTEM_FIELDS}
    group.columns = list(SYSTEM_FIELDS)
    timed: list[tuple[int, dict[str, str]]] = []
    dropped = 0
    for event in events:
        seconds = parse_event_time(event.get("eventTime"))
        if seconds is None:
            dropped += 1
            continue
        milliseconds = int(round(seconds * 1000))
        message = compact_json(event)
        row = {"@timestamp": time_text(milliseconds), "@message": message,
               "@logStream": log_stream(event, group.account, group.region),
               "@log": f"{group.account}:{group.name}", "@ingestionTime": time_text(milliseconds + INGESTION_DELAY_MS)}
        for name, value in discovered_fields(event).items():
            column = spelled.get(name.lower())
            if column is None:
                spelled[name.lower()] = column = name
                group.columns.append(name)
            if column not in SYSTEM_FIELDS:
                row.setdefault(column, value)
        timed.append((milliseconds, row))
    timed.sort(key=lambda entry: entry[0])
    group.times = [milliseconds for milliseconds, _ in timed]
    sums = [0]
    for _, row in timed:
        sums.append(sums[-1] + len(row["@message"].encode("utf-8")))
    group.byte_sums = sums
    return [row for _, row in timed], dropped


# Spark's get_json_object: the value at the path as text (objects and arrays as JSON), NULL
# for a missing path, a JSON null or text that is not JSON.
GET_JSON_OBJECT_MACRO = """CREATE MACRO get_json_object(doc, path) AS CASE
    WHEN doc IS NULL OR NOT json_valid(doc) THEN NULL
    ELSE json_extract_string(doc, path) END"""


SESSION_SQL = (
    "SET TimeZone = 'UTC'",
    # Spark: NULLs first when ascending, last when descending.
    "SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
    GET_JSON_OBJECT_MACRO,
)


@dataclass
class Scanned:
    records: int = 0
    bytes: int = 0
    groups: int = 0


@dataclass
class Outcome:
    """What DuckDB made of a query: its columns and rows as strings, or its error."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: str | None = None
    scanned: Scanned = field(default_factory=Scanned)
    matched: int = 0


class LogsEngine:
    """The DuckDB tables of the log groups, and the running of translated queries on them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection = duckdb.connect(":memory:")
        self.groups: list[LogGroup] = []
        self.dropped = 0

    def add_group(self, name: str, account: str, region: str, events: Iterable[dict[str, Any]]) -> LogGroup:
        group = LogGroup(name, account, region, f"log_group_{len(self.groups)}")
        rows, dropped = event_rows(group, events)
        self.dropped += dropped
        table = sql_name(group.table)
        self.connection.execute(f"CREATE TABLE {table} ({', '.join(sql_name(c) + ' VARCHAR' for c in group.columns)})")
        if rows:
            with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False) as handle:
                for row in rows:
                    handle.write(compact_json(row) + "\n")
            columns = "{" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in group.columns) + "}"
            try:
                self.connection.execute(
                    f"INSERT INTO {table} SELECT * FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {columns}, maximum_object_size = 1073741824)", [handle.name])
            finally:
                os.unlink(handle.name)
        self.groups.append(group)
        return group

    def seal(self) -> None:
        """Session settings, then no file access and no more settings, before any query."""
        for statement in SESSION_SQL:
            self.connection.execute(statement)
        self.connection.execute("SET enable_external_access = false")
        self.connection.execute("SET lock_configuration = true")

    def parse(self, sql: str) -> dict[str, Any]:
        with self.lock:
            return parse_statement(self.connection, sql)

    def run(self, plan: "Plan", config: LogsConfig) -> Outcome:
        outcome = Outcome(scanned=plan.scanned)
        prefix = plan.with_clause(config.unknown_fields == "null")
        with self.lock:
            try:
                cursor = self.connection.execute(prefix + plan.sql)
                raw_rows = cursor.fetchall()
                outcome.columns = [column[0] for column in cursor.description or []]
            except duckdb.Error as error:
                print(f"cloudwatch_logs: query failed: {error}", file=sys.stderr)
                return Outcome(error=str(error))
            outcome.matched = self.count_matched(plan, prefix, len(raw_rows))
        outcome.rows = [[None if value is None else format_value(value) for value in row] for row in raw_rows]
        return outcome

    def count_matched(self, plan: "Plan", prefix: str, result_rows: int) -> int:
        """The events of the query's FROM that pass its WHERE (one SELECT only), else the rows."""
        node = json.loads(json.dumps(plan.tree.get("node") or {}))
        if node.get("type") != "SELECT_NODE":
            return result_rows
        count = json.loads(self.connection.execute("SELECT json_serialize_sql('SELECT count(*)')").fetchone()[0])
        node["select_list"] = count["statements"][0]["node"]["select_list"]
        node.update(modifiers=[], group_expressions=[], group_sets=[], having=None, qualify=None,
                    aggregate_handling="STANDARD_HANDLING")
        tree = {"error": False, "statements": [{"node": node}]}
        try:
            sql = self.connection.execute("SELECT json_deserialize_sql(json(?))", [json.dumps(tree)]).fetchone()[0]
            return int(self.connection.execute(prefix + sql).fetchone()[0])
        except (duckdb.Error, TypeError, ValueError):
            return result_rows
