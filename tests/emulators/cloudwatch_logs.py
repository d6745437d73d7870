"""A CloudWatch Logs emulator for the integration tests: Logs Insights' OpenSearch SQL over DuckDB.

A trail can send its CloudTrail events to a CloudWatch Logs log group, and the tool can read
them back with a Logs Insights query. This serves, on the awsJson1_1 protocol (POST /, header
`X-Amz-Target: Logs_20140328.<Operation>`, JSON bodies, errors HTTP 400 with
`{"__type": code, "message": text}`; signatures are not checked) the operations the tool needs:
StartQuery, GetQueryResults, StopQuery, DescribeLogGroups (so a client can check its log group
exists) and DescribeQueries. Every CloudTrail event loaded from files becomes one log event of
its log group, and a query runs in an in-process DuckDB database holding one table per log
group. Faults (slow, failed, timed-out or throttled queries, a small row cap, log groups of
another account) are injected with --config; every request can be logged with --calls-log.

Usage:
    python tests/emulators/cloudwatch_logs.py --events DIR --log-group NAME
        [--log-group [ACCOUNT:]NAME=DIR ...] [--account 999999999999] [--region us-east-1]
        [--config FILE.json] [--calls-log FILE.jsonl] [--port 0] [--ignore-stdin] [--verbose]
`--log-group NAME` takes its events from --events; `--log-group NAME=DIR` from DIR, so a test
can fill several groups; `ACCOUNT:NAME` puts the group in another account (a source account
of a cross-account monitoring setup, see below). Log group names match `[.\\-_/#A-Za-z0-9]+`
(the API's pattern), so neither `:` nor `=` can be part of one. Once listening on 127.0.0.1
it prints one line, `{"port": N}`, to stdout. It stops on SIGTERM or SIGINT, and when its
stdin reaches end of file (start it with a piped stdin and keep the pipe open, or pass
--ignore-stdin), like lake.py, whose HTTP server it reuses.

Sources: the CloudWatch Logs API Reference (StartQuery, GetQueryResults, StopQuery,
DescribeLogGroups, DescribeQueries, QueryStatistics; read in botocore's service model of
boto3 1.44.5, which carries the reference's text, limits and error lists), the CloudWatch
Logs User Guide ("OpenSearch
Structured Query Language (SQL)", "Supported logs and discovered fields", "Analyzing log data
with CloudWatch Logs Insights") and the OpenSearch Service Developer Guide ("Supported
OpenSearch SQL commands and functions", which says its tables apply to CloudWatch Logs
Insights).

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

OpenSearch SQL (Spark SQL underneath) and DuckDB 1.5.6: the query text is translated, outside
string literals and comments, as follows.
 1. Backtick-quoted identifiers (`` `userIdentity.onBehalfOf.userId` ``, `` `@message` ``) become
    double-quoted ones (a doubled backtick is a backtick). The documents require backticks for
    names with characters other than letters and digits, which includes every dotted field.
 2. Double-quoted text is a string literal in Spark SQL (the guide's own example:
    `where lg1.field3= "Success"`); it becomes a single-quoted DuckDB literal.
 3. String literals: Spark reads backslash escapes (`\\'`, `\\n`, `\\uXXXX`, ...) and joins
    adjacent literals (`'a' 'b'` is `'ab'`); DuckDB does neither. Each literal is decoded the
    Spark way and written as a DuckDB literal.
 4. The log-group reference after FROM or JOIN: `` FROM `name` `` (a bare `FROM name` for a
    plain name), `` FROM `logGroups(logGroupIdentifier: ['a', 'b'])` `` (up to 50 names or
    ARNs `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, as documented), becomes a common table
    expression holding the union (by column name) of those groups' tables, restricted to the
    StartQuery time range. `FROM 'a', 'b'` (several groups after FROM) is documented as not
    supported: MalformedQueryException. `filterIndex(...)`, `dataSource(...)` and the other
    logGroups keys (namePrefix, class, accountIdentifier) are not emulated:
    MalformedQueryException. A FROM inside a function call (`EXTRACT(YEAR FROM x)`,
    `substring(s FROM 2)`) or `IS DISTINCT FROM` is left alone.
 5. Fields no event of the queried groups has: with a dynamic schema, a field a query names
    may exist in no event (the published fixtures have no `errorCode`); such a field is a
    column of NULLs (Logs Insights QL treats a field an event lacks as absent, not as an
    error; what SQL does with a field no event has is not documented). In a query of several sources (a JOIN) only a field that none of them
    has is added, so an unqualified name that one of them has stays unambiguous.
    `"unknown_fields": "fail"` makes such a query Failed instead, unless every reference to
    the field is a direct argument of COALESCE: AWS's recommendations for direct queries of
    CloudWatch Logs (OpenSearch Service Developer Guide) say to use COALESCE to handle missing
    columns and ensure results are returned. That `fail` is what AWS does is a guess either way;
    the switch keeps both answers.
 6. NULL ordering: Spark sorts NULLs first ascending and last descending; DuckDB sorts them
    last both ways by default. The session is set to Spark's order.
 7. `get_json_object(json, '$.path')` (a Spark function the guide lists): a macro over
    DuckDB's json_extract_string, NULL for text that is not JSON.
 8. Result values are all strings (the API's ResultField.value is a string): numbers as their
    digits, booleans `true`/`false`, doubles as Python's repr (lake_sql.format_value).
 9. Time zone: UTC, whatever the machine's.
Checked to behave as in Spark with no change (test_cloudwatch_logs.py): `/` is floating
division in both; comparing the string `eventTime` with ISO string literals; `MAX` of strings;
`COUNT(DISTINCT ...)`; `IN (...)`; `IS NULL`; `upper`, `substr`; INNER JOIN of two groups;
`GROUP BY 1, 2, ...` (the guide's GROUP BY clause, marked supported for CloudWatch Logs, shows
"Use column position in GROUP by clause", Spark's ordinals) and GROUP BY with the expressions
repeated; case-insensitive field names; a result column named after an unaliased field keeps
the field's spelling.
Not corrected: other Spark functions DuckDB lacks or spells otherwise (`date_format`,
`from_unixtime`, `size`, `rlike`, `<=>`) make the query Failed; DuckDB-only syntax is accepted;
`LIKE` has no default escape character in DuckDB (`\\` in Spark); an unaliased expression is
named by DuckDB's text (`count_star()` for `COUNT(*)`), not Spark's; a column qualified by the
log group's name (`` `group`.field ``) does not resolve (use an alias).

Refused at StartQuery with MalformedQueryException (before anything runs): a query DuckDB
cannot parse (the API documents MalformedQueryException for an invalid query string; that AWS
reports SQL syntax errors this way rather than as a Failed query is assumed, as for Logs
Insights QL), more than one statement, a statement other than SELECT, a common table
expression (documented as not supported for CloudWatch Logs), field names that differ only in
case (documented restriction), a query that names no log group, an unterminated literal or
quoted name. Any error while the query runs (an unknown function, a type mismatch) makes it
Failed: GetQueryResults then answers status Failed with no results (the API has no error
message field; the emulator prints DuckDB's message on its stderr). A query cannot read or
write files: every FROM/JOIN source must be a log group (a table function or a literal there
is refused), and DuckDB's external access is disabled and its configuration locked before the
first query, so even a file function elsewhere in a query fails.

Only OpenSearch SQL runs. A query with `queryLanguage` CWLI (the default when the parameter is
absent) or PPL is refused with MalformedQueryException saying that this emulator runs SQL
only: the tool sends SQL, and a second engine would only be a second thing to get wrong.

StartQuery (API reference, and the choices made where it is silent):
- `queryString` (at most 10,000 characters), `startTime` and `endTime` (epoch seconds, both
  required and inclusive; the range is [startTime*1000, endTime*1000] ms on @timestamp;
  start after end is InvalidParameterException), `limit`.
- `limit`: the model allows 1..100,000 but says the 100,000 is for Logs Insights QL only and
  "not supported for PPL and SQL"; for SQL the emulator refuses a limit above 10,000 with
  InvalidParameterException (what AWS does is not documented; refusing makes a client that
  relies on more fail here). Default 10,000. The result is the first `limit` rows of the
  query's result, silently: an aggregated result over the limit is truncated with status
  Complete, so a client can only tell truncation by receiving exactly `limit` rows.
  `"max_rows"` in the config caps it lower, to test truncation on small data.
- Log groups for SQL are named in the query text; the API reference says SQL is "the
  exception" to naming them with logGroupName/logGroupNames/logGroupIdentifiers. Whether AWS
  refuses both together or ignores the parameters is not documented: the emulator refuses
  them with InvalidParameterException (`"sql_log_group_parameters": "ignore"` ignores them).
- An unknown log group (a name of the caller's account, or an ARN whose Region, account or
  name matches none; an ARN ending in `:*` is refused, as the reference says not to add it):
  ResourceNotFoundException "The specified log group does not exist: <identifier>".
- Cross-account (CloudWatch cross-account observability): a group of another account can only
  be named by its ARN, as the reference requires for source accounts; `@log` carries the
  owner's account.
- The first `"limit_exceeded"` StartQuery calls answer LimitExceededException (the error the
  reference lists; the AWS SDK for Rust, like boto3, retries it as a throttling error), before
  any check. The User Guide allows 15 concurrent OpenSearch SQL queries per account; the
  emulator has no quota of its own.
- Returns `{"queryId": <uuid>}`. The query runs in DuckDB at once; its status then moves one
  step per GetQueryResults call: `polls_before_running` answers Scheduled, then
  `polls_before_finish` answers Running, then the final status (Complete, or the
  configured Failed/Timeout; Failed whenever DuckDB failed).

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
DescribeLogGroups: the caller's groups, ASCII-sorted by name; with includeLinkedAccounts also
the other accounts' (only those in accountIdentifiers when it is given). Filters:
logGroupNamePrefix, logGroupNamePattern (case-sensitive substring; the answer then has only
arn, creationTime and logGroupName, as documented; mutually exclusive with the prefix),
logGroupIdentifiers (names or ARNs; no other filter but includeLinkedAccounts with it, as
documented), logGroupClass (every group is STANDARD). `limit` 1..50, default 50; a nextToken
is bound to the request's other parameters. Each group: logGroupName, creationTime (its first
event's time), metricFilterCount 0, arn (with `:*`), logGroupArn, storedBytes (its @message
bytes), logGroupClass STANDARD.
DescribeQueries: the queries started, newest first, filtered by logGroupName (any group a
query names), status and queryLanguage; maxResults 1..1000; each queryId, queryLanguage,
queryString, status, createTime (ms), logGroupName (the first group the query names).
Observing queries here does not move their status.

Config file (JSON, every key optional; unknown keys are an error, exit 2):
    {"polls_before_running": 1,       # GetQueryResults calls answered Scheduled
     "polls_before_finish": 2,        # then answered Running
     "final_status": "Complete",      # or "Failed" / "Timeout"
     "failing_queries": [],           # queries whose text holds one of these end Failed
     "limit_exceeded": 0,             # first N StartQuery calls: LimitExceededException
     "max_rows": null,                # cap on result rows below the query's limit
     "null_style": "omit",            # or "empty_string" / "json_null"
     "running_results": "none",       # or "partial"
     "owner_account_id": null,        # every group without ACCOUNT: belongs to this account
     "sql_log_group_parameters": "refuse",  # or "ignore"
     "unknown_fields": "null",        # or "fail"
     "encryption_key": null}          # a KMS key ARN GetQueryResults reports

--calls-log FILE.jsonl: one line per request, `{"operation": "StartQuery", "params": {...}}`
(lake.py's CallsLog).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import json
import os
import re
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import duckdb

from cloudtrail_events import load_events
from lake import (
    ApiError,
    CallsLog,
    LakeServer,
    check_choice,
    check_count,
    checked_keys,
    decode_lookup_token,
    error_body,
    lookup_request_key,
    parse_event_time,
    parse_params,
    serve,
)
from lake_schema import compact_json
from lake_sql import InvalidStatement, format_value, parse_statement, walk

TARGET_PREFIX = "Logs_20140328."
SCHEDULED, RUNNING, COMPLETE = "Scheduled", "Running", "Complete"
FAILED, CANCELLED, TIMEOUT = "Failed", "Cancelled", "Timeout"
FINISHED = frozenset({COMPLETE, FAILED, CANCELLED, TIMEOUT})
LANGUAGES = ("CWLI", "SQL", "PPL")
DEFAULT_LIMIT = 10_000
MAX_SQL_LIMIT = 10_000
MAX_LIMIT = 100_000
MAX_QUERY_LENGTH = 10_000
MAX_DISCOVERED_FIELDS = 200
MAX_LOG_GROUPS_IN_QUERY = 50
INGESTION_DELAY_MS = 300_000
MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
ACCOUNT_ID = re.compile(r"\d{12}")
LOG_GROUP_ARN = re.compile(
    r"arn:aws[a-z\-]*:logs:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):log-group:(?P<name>[^:]+)(?P<star>:\*)?")


# ---------------------------------------------------------------- configuration


@dataclass
class LogsConfig:
    polls_before_running: int = 1
    polls_before_finish: int = 2
    final_status: str = COMPLETE
    failing_queries: list[str] = field(default_factory=list)
    limit_exceeded: int = 0
    max_rows: int | None = None
    null_style: str = "omit"
    running_results: str = "none"
    owner_account_id: str | None = None
    sql_log_group_parameters: str = "refuse"
    unknown_fields: str = "null"
    encryption_key: str | None = None


def validate_config(config: LogsConfig) -> LogsConfig:
    for name in ("polls_before_running", "polls_before_finish", "limit_exceeded"):
        check_count(name, getattr(config, name), 0)
    if config.max_rows is not None:
        check_count("max_rows", config.max_rows, 1)
    check_choice("final_status", config.final_status, (COMPLETE, FAILED, TIMEOUT))
    if not isinstance(config.failing_queries, list) or not all(isinstance(t, str) and t for t in config.failing_queries):
        raise ValueError("config: failing_queries must be a list of non-empty strings")
    check_choice("null_style", config.null_style, ("omit", "empty_string", "json_null"))
    check_choice("running_results", config.running_results, ("none", "partial"))
    check_choice("sql_log_group_parameters", config.sql_log_group_parameters, ("refuse", "ignore"))
    check_choice("unknown_fields", config.unknown_fields, ("null", "fail"))
    if config.owner_account_id is not None and not ACCOUNT_ID.fullmatch(str(config.owner_account_id)):
        raise ValueError("config: owner_account_id must be 12 digits")
    if config.encryption_key is not None and not isinstance(config.encryption_key, str):
        raise ValueError("config: encryption_key must be a string (a KMS key ARN) or null")
    return config


def load_config(path: Path | None) -> LogsConfig:
    if path is None:
        return LogsConfig()
    data = checked_keys(json.loads(path.read_text(encoding="utf-8")), LogsConfig, str(path))
    return validate_config(LogsConfig(**data))


# ---------------------------------------------------------------- log events


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


# ---------------------------------------------------------------- the DuckDB side

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


# ---------------------------------------------------------------- OpenSearch SQL -> DuckDB

SPARK_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<ident>`(?:[^`]|``)*`)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)
SPARK_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[0-7]{3}|.)", re.DOTALL)
SPARK_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
# Words after which a FROM clause's sources end, at the FROM's own parenthesis level.
CLAUSE_WORDS = frozenset({"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW",
                          "QUALIFY", "SORT", "CLUSTER", "DISTRIBUTE", "OFFSET", "MINUS"})
QUERY_WORDS = frozenset({"SELECT", "WITH", "VALUES", "FROM"})
KEYWORDS = CLAUSE_WORDS | QUERY_WORDS | {"JOIN", "ON", "AS", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "LATERAL"}
LOG_GROUPS_CALL = re.compile(r"\s*logGroups\s*\((?P<arguments>.*)\)\s*", re.DOTALL | re.IGNORECASE)
IDENTIFIER_LIST = re.compile(r"\s*logGroupIdentifier\s*:\s*\[(?P<items>.*)\]\s*", re.DOTALL | re.IGNORECASE)
QUOTED_ITEM = re.compile(r"\s*(?:'([^']*)'|\"([^\"]*)\")\s*(,|$)")
OTHER_SOURCES = re.compile(r"\s*(filterIndex|dataSource)\s*\(", re.IGNORECASE)


class MalformedQuery(Exception):
    """A query StartQuery refuses with MalformedQueryException."""


@dataclass
class Token:
    kind: str  # space, string, ident, word, other
    text: str
    value: str = ""  # a string's decoded text; an identifier's name


def spark_string(text: str) -> str:
    """A Spark string literal's value: quotes removed, backslash escapes applied."""
    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        if len(code) == 3 and code.isdigit():
            return chr(int(code, 8))
        return SPARK_ESCAPES.get(code, code)

    return SPARK_ESCAPE.sub(unescape, text[1:-1])


def spark_tokens(sql: str) -> list[Token]:
    """The query as tokens; adjacent string literals are joined, as Spark joins them."""
    tokens: list[Token] = []
    for match in SPARK_TOKEN.finditer(sql):
        kind, text = match.lastgroup or "other", match.group()
        if kind == "other" and text in "'\"`":
            raise MalformedQuery(f"Unterminated {'quoted name' if text == '`' else 'string literal'} at "
                                 f"position {match.start()}.")
        if kind == "string":
            token = Token(kind, text, spark_string(text))
            previous = next((t for t in reversed(tokens) if t.kind != "space"), None)
            if previous is not None and previous.kind == "string":
                previous.value += token.value
                while tokens[-1] is not previous:
                    tokens.pop()
                continue
            tokens.append(token)
        elif kind == "ident":
            tokens.append(Token(kind, text, text[1:-1].replace("``", "`")))
        else:
            tokens.append(Token(kind, text))
    return tokens


def source_identifiers(reference: str) -> list[str]:
    """The log groups a FROM reference names: itself, or the list of `logGroups(...)`."""
    call = LOG_GROUPS_CALL.fullmatch(reference)
    if call is None:
        if OTHER_SOURCES.match(reference):
            raise MalformedQuery(f"{reference.split('(')[0].strip()}(...) is not emulated; name log groups.")
        return [reference]
    listing = IDENTIFIER_LIST.fullmatch(call.group("arguments"))
    if listing is None:
        raise MalformedQuery("Only logGroups(logGroupIdentifier: [...]) is emulated.")
    items, position, text = [], 0, listing.group("items")
    while position < len(text):
        item = QUOTED_ITEM.match(text, position)
        if item is None or item.end() == position:
            raise MalformedQuery("logGroupIdentifier takes a list of quoted log group names or ARNs.")
        items.append(item.group(1) if item.group(1) is not None else item.group(2))
        position = item.end()
    if not items or len(items) > MAX_LOG_GROUPS_IN_QUERY:
        raise MalformedQuery(f"logGroupIdentifier takes 1 to {MAX_LOG_GROUPS_IN_QUERY} log groups.")
    return list(dict.fromkeys(items))


@dataclass
class Plan:
    """A translated query: DuckDB SQL over placeholder sources, what they hold, and its parse tree."""

    sql: str
    sources: list[list[LogGroup]]
    start_ms: int
    end_ms: int
    tree: dict[str, Any] = field(default_factory=dict)
    missing: dict[int, list[str]] = field(default_factory=dict)  # per source: named fields no group of it has
    coalesced: set[str] = field(default_factory=set)  # fields named only inside COALESCE (lowercase)

    @property
    def groups(self) -> list[LogGroup]:
        return list(dict.fromkeys(group for source in self.sources for group in source))

    @property
    def scanned(self) -> Scanned:
        totals = [group.scan(self.start_ms, self.end_ms) for group in self.groups]
        return Scanned(sum(t[0] for t in totals), sum(t[1] for t in totals), len(totals))

    def with_clause(self, null_for_missing: bool) -> str:
        """`WITH "source_N" AS (...)`: each source's groups, unioned by name, in the time range."""
        low, high = sql_literal(time_text(self.start_ms)), sql_literal(time_text(self.end_ms))
        ctes = []
        for index, groups in enumerate(self.sources):
            missing = [name for name in self.missing.get(index, [])
                       if null_for_missing or name.lower() in self.coalesced]
            extra = "".join(f", NULL::VARCHAR AS {sql_name(name)}" for name in missing)
            union = " UNION ALL BY NAME ".join(
                f'SELECT * FROM {sql_name(group.table)} WHERE "@timestamp" BETWEEN {low} AND {high}'
                for group in groups)
            ctes.append(f"{sql_name(source_name(index))} AS (SELECT *{extra} FROM ({union}))")
        return "WITH " + ", ".join(ctes) + " "


def source_name(index: int) -> str:
    return f"source_{index}"


class Translator:
    """Turns OpenSearch SQL into DuckDB SQL (the list at the top of this module)."""

    def __init__(self, resolve: Callable[[str], LogGroup]) -> None:
        self.resolve = resolve
        self.sources: list[list[LogGroup]] = []

    def translate(self, sql: str) -> str:
        tokens = spark_tokens(sql)
        significant = [index for index, token in enumerate(tokens) if token.kind != "space"]
        if significant and tokens[significant[0]].text.upper() == "WITH":
            raise MalformedQuery("Common table expressions (WITH) are not supported in CloudWatch Logs.")
        output: list[str] = []
        contexts: list[bool | None] = [True]  # per parenthesis level: does it hold a query?
        from_levels: list[int] = []  # the levels of the FROM clauses being read
        expect_source = False
        previous_word = ""
        for position, index in enumerate(significant):
            token = tokens[index]
            following = tokens[significant[position + 1]] if position + 1 < len(significant) else None
            word = token.text.upper() if token.kind == "word" else ""
            if contexts[-1] is None:
                contexts[-1] = word in QUERY_WORDS
            output.append("".join(t.text for t in tokens[(significant[position - 1] + 1 if position else 0):index]))
            level = len(contexts)
            if expect_source:
                expect_source = False
                replaced = self.source(token, following)
                if replaced is not None:
                    output.append(replaced)
                    previous_word = ""
                    continue
            if word == "FROM" and contexts[-1] and previous_word != "DISTINCT":
                expect_source = True
                from_levels.append(level)
            elif word == "JOIN":
                expect_source = True
            elif word in CLAUSE_WORDS and from_levels and from_levels[-1] == level:
                from_levels.pop()
            elif token.text == "," and from_levels and from_levels[-1] == level:
                raise MalformedQuery("Several log groups after FROM are not supported; use "
                                     "`logGroups(logGroupIdentifier: [...])`.")
            elif token.text == "(":
                contexts.append(None)
            elif token.text == ")" and len(contexts) > 1:
                while from_levels and from_levels[-1] >= level:
                    from_levels.pop()
                contexts.pop()
            output.append(self.rendered(token))
            previous_word = word
        output.append("".join(t.text for t in tokens[(significant[-1] + 1 if significant else 0):]))
        if not self.sources:
            raise MalformedQuery("The query must name a log group after FROM (SQL takes its log groups "
                                 "from the query string).")
        return "".join(output)

    def rendered(self, token: Token) -> str:
        if token.kind == "ident":
            return sql_name(token.value)
        if token.kind == "string":
            return sql_literal(token.value)
        return token.text

    def source(self, token: Token, following: Token | None) -> str | None:
        """The placeholder for a FROM/JOIN log-group reference; None for a subquery."""
        if token.kind == "string":
            raise MalformedQuery("Name log groups in backticks, not in quotes, after FROM.")
        if token.kind == "word" and following is not None and following.text == "(":
            raise MalformedQuery(f"{token.text}(...) is not a log group: table functions are not supported.")
        if token.kind not in ("ident", "word") or token.text.upper() in KEYWORDS:
            return None
        reference = token.value if token.kind == "ident" else token.text
        groups = [self.resolve(identifier) for identifier in source_identifiers(reference)]
        self.sources.append(list(dict.fromkeys(groups)))
        return sql_name(source_name(len(self.sources) - 1))


def coalesced_fields(tree: dict[str, Any]) -> set[str]:
    """The fields (lowercase) that every reference names as a direct argument of COALESCE,
    the form AWS recommends for fields that may be missing."""
    shielded: list[str] = []
    for node in walk(tree):
        if node.get("type") == "OPERATOR_COALESCE":
            shielded += [str(child["column_names"][-1]).lower() for child in node.get("children") or []
                         if child.get("class") == "COLUMN_REF" and child.get("column_names")]
    names, _ = named_fields(tree)
    everywhere = [name.lower() for name in names]
    return {name for name in set(shielded) if everywhere.count(name) == shielded.count(name)}


def named_fields(tree: dict[str, Any]) -> tuple[list[str], set[str]]:
    """The field names a parse tree references (the last part of each column reference), and
    its aliases (lowercase), which are not fields."""
    names: list[str] = []
    aliases: set[str] = set()
    for node in walk(tree):
        if node.get("alias"):
            aliases.add(str(node["alias"]).lower())
        if node.get("class") == "COLUMN_REF" and node.get("column_names"):
            names.append(str(node["column_names"][-1]))
    return names, aliases


def check_field_case(names: list[str], aliases: set[str]) -> None:
    """Logs Insights SQL refuses a query naming one field in two spellings (field1, FIELD1)."""
    spellings: dict[str, set[str]] = {}
    for name in names:
        if name.lower() not in aliases:
            spellings.setdefault(name.lower(), set()).add(name)
    clashes = sorted(sorted(found) for found in spellings.values() if len(found) > 1)
    if clashes:
        raise MalformedQuery(f"Field names that differ only in case are not supported: {clashes[0]}.")


# ---------------------------------------------------------------- queries


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
            steps = [SCHEDULED] * config.polls_before_running + [RUNNING] * config.polls_before_finish
            self.status = steps[self.polls - 1] if self.polls <= len(steps) else self.final_status
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


# ---------------------------------------------------------------- the API


class LogsApi:
    """The CloudWatch Logs operations: requests in, (HTTP status, JSON body) out."""

    def __init__(self, engine: LogsEngine, account: str, region: str, config: LogsConfig, calls: CallsLog) -> None:
        self.engine = engine
        self.account = account
        self.region = region
        self.config = config
        self.calls = calls
        self.queries: dict[str, Query] = {}
        self.lock = threading.Lock()
        self.rejections_left = config.limit_exceeded
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "StartQuery": self.start_query,
            "GetQueryResults": self.get_query_results,
            "StopQuery": self.stop_query,
            "DescribeLogGroups": self.describe_log_groups,
            "DescribeQueries": self.describe_queries,
        }

    def handle(self, target: str | None, body: bytes, signed_region: str | None = None) -> tuple[int, dict[str, Any]]:
        """One request; the Region it is signed for does not matter (every log group is in
        --region)."""
        operation = (target or "").removeprefix(TARGET_PREFIX)
        params: Any = body.decode("utf-8", "replace")  # logged as text if it is not JSON
        try:
            params = parse_params(body)
            if not (target or "").startswith(TARGET_PREFIX) or operation not in self.operations:
                raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
            return 200, self.operations[operation](params)
        except ApiError as error:
            return error.status, error_body(error)
        except Exception:  # noqa: BLE001 - an emulator bug must show, not hang the client
            traceback.print_exc(file=sys.stderr)
            return 500, error_body(ApiError("ServiceUnavailableException", "The emulator failed; see its stderr.", 500))
        finally:
            self.calls.record(operation, params)

    # -- log groups

    def find_group(self, identifier: str) -> LogGroup:
        """The group a name (of the caller's account) or an ARN names."""
        arn = LOG_GROUP_ARN.fullmatch(identifier)
        wanted = (arn.group("account"), arn.group("name")) if arn else (self.account, identifier)
        if arn is None or (arn.group("star") is None and arn.group("region") == self.region):
            for group in self.engine.groups:
                if (group.account, group.name) == wanted:
                    return group
        raise ApiError("ResourceNotFoundException", f"The specified log group does not exist: {identifier}")

    def describe_log_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        identifiers = params.get("logGroupIdentifiers")
        if prefix is not None and pattern is not None:
            raise ApiError("InvalidParameterException",
                           "logGroupNamePrefix and logGroupNamePattern are mutually exclusive.")
        others = {"logGroupNamePrefix", "logGroupNamePattern", "accountIdentifiers", "logGroupClass"}
        if identifiers is not None and others & set(params):
            raise ApiError("InvalidParameterException",
                           "With logGroupIdentifiers the only other filter allowed is includeLinkedAccounts.")
        size = integer_param(params, "limit", 1, 50, 50) or 50
        linked = params.get("includeLinkedAccounts") is True
        accounts = set(params.get("accountIdentifiers") or [])
        selected = []
        for group in sorted(self.engine.groups, key=lambda g: (g.name, g.account)):
            if not ((group.account in accounts) if linked and accounts else (linked or group.account == self.account)):
                continue
            if prefix is not None and not group.name.startswith(prefix):
                continue
            if pattern is not None and pattern not in group.name:
                continue
            if params.get("logGroupClass") not in (None, "STANDARD"):
                continue
            if identifiers is not None and not self.identified(group, identifiers):
                continue
            selected.append(group)
        offset = decode_token(params, len(selected))
        answer: dict[str, Any] = {"logGroups": [g.describe(pattern is not None) for g in selected[offset:offset + size]]}
        if offset + size < len(selected):
            answer["nextToken"] = encode_token(params, offset + size)
        return answer

    def identified(self, group: LogGroup, identifiers: Any) -> bool:
        if not isinstance(identifiers, list):
            raise ApiError("InvalidParameterException", "logGroupIdentifiers must be a list.")
        return any(identifier in (group.arn, group.arn + ":*") or
                   (identifier == group.name and group.account == self.account) for identifier in identifiers)

    # -- queries

    def take_rejection(self) -> None:
        with self.lock:
            if self.rejections_left > 0:
                self.rejections_left -= 1
                raise ApiError("LimitExceededException",
                               "You have reached the maximum number of concurrent Logs Insights queries.")

    def plan(self, params: dict[str, Any]) -> tuple[Plan, int]:
        """Checks a StartQuery request and translates its SQL; returns the plan and the limit."""
        query_string = params.get("queryString")
        if not isinstance(query_string, str) or len(query_string) > MAX_QUERY_LENGTH:
            raise ApiError("InvalidParameterException", f"queryString is required, at most {MAX_QUERY_LENGTH} characters.")
        start = integer_param(params, "startTime", 0, sys.maxsize, None)
        end = integer_param(params, "endTime", 0, sys.maxsize, None)
        if start is None or end is None:
            raise ApiError("InvalidParameterException", "startTime and endTime are required (epoch seconds).")
        if start > end:
            raise ApiError("InvalidParameterException", "endTime must be greater than or equal to startTime.")
        limit = integer_param(params, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT) or DEFAULT_LIMIT
        language = params.get("queryLanguage", "CWLI")
        if language not in LANGUAGES:
            raise ApiError("InvalidParameterException", f"queryLanguage must be one of {list(LANGUAGES)}.")
        if language != "SQL":
            raise ApiError("MalformedQueryException", f"The CloudWatch Logs emulator runs OpenSearch SQL only "
                           f"(queryLanguage SQL), not {language}.")
        if limit > MAX_SQL_LIMIT:
            raise ApiError("InvalidParameterException",
                           f"limit above {MAX_SQL_LIMIT} is supported for Logs Insights QL only, not for SQL.")
        given = [name for name in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if name in params]
        if given and self.config.sql_log_group_parameters == "refuse":
            raise ApiError("InvalidParameterException", f"{given[0]} cannot be used with queryLanguage SQL: "
                           "name the log groups in the query string.")
        translator = Translator(self.find_group)
        try:
            sql = translator.translate(query_string)
            plan = Plan(sql, translator.sources, min(start, MAX_EPOCH_SECONDS) * 1000,
                        min(end, MAX_EPOCH_SECONDS) * 1000)
            plan.tree = self.engine.parse(sql)
            names, aliases = named_fields(plan.tree)
            check_field_case(names, aliases)
        except (MalformedQuery, InvalidStatement) as error:
            raise ApiError("MalformedQueryException", str(error)) from None
        fields = [name for name in dict.fromkeys(names) if name.lower() not in aliases]
        known = [{column.lower() for group in groups for column in group.columns} for groups in plan.sources]
        anywhere = set().union(*known)
        for index, columns in enumerate(known):
            # With several sources (a JOIN), only a field none of them has, so that an
            # unqualified name that one source has stays unambiguous.
            plan.missing[index] = [name for name in fields if name.lower() not in columns
                                   and (len(known) == 1 or name.lower() not in anywhere)]
        plan.coalesced = coalesced_fields(plan.tree)
        return plan, limit

    def start_query(self, params: dict[str, Any]) -> dict[str, Any]:
        self.take_rejection()
        plan, limit = self.plan(params)
        outcome = self.engine.run(plan, self.config)
        failing = any(text in params["queryString"] for text in self.config.failing_queries)
        final = FAILED if outcome.error is not None or failing else self.config.final_status
        cap = min(limit, self.config.max_rows or MAX_SQL_LIMIT)
        query = Query(str(uuid.uuid4()), params["queryString"], "SQL", int(time.time() * 1000), plan.groups, outcome,
                      final, cap)
        with self.lock:
            self.queries[query.query_id] = query
        return {"queryId": query.query_id}

    def find_query(self, params: dict[str, Any]) -> Query:
        query_id = params.get("queryId")
        if not isinstance(query_id, str) or not query_id:
            raise ApiError("InvalidParameterException", "queryId is required.")
        query = self.queries.get(query_id)
        if query is None:
            raise ApiError("ResourceNotFoundException", f"The specified query does not exist: {query_id}")
        return query

    def get_query_results(self, params: dict[str, Any]) -> dict[str, Any]:
        query = self.find_query(params)
        integer_param(params, "maxItems", 0, MAX_SQL_LIMIT, None)
        if params.get("nextToken") is not None:
            raise ApiError("InvalidParameterException", "Paging with nextToken is not supported for SQL queries.")
        with self.lock:
            status = query.observe(self.config)
            rows = query.returned_rows(self.config)
        answer: dict[str, Any] = {
            "queryLanguage": query.language,
            "results": [result_row(query.outcome.columns, row, self.config.null_style) for row in rows],
            "statistics": query.statistics(len(rows)),
            "status": status,
        }
        if self.config.encryption_key:
            answer["encryptionKey"] = self.config.encryption_key
        return answer

    def stop_query(self, params: dict[str, Any]) -> dict[str, Any]:
        query = self.find_query(params)
        with self.lock:
            if query.status in FINISHED:
                raise ApiError("InvalidParameterException",
                               f"The query {query.query_id} is not running (its status is {query.status}).")
            query.stopped_while, query.status = query.status, CANCELLED
        return {"success": True}

    def describe_queries(self, params: dict[str, Any]) -> dict[str, Any]:
        size = integer_param(params, "maxResults", 1, 1000, 1000) or 1000
        status, language, group = params.get("status"), params.get("queryLanguage"), params.get("logGroupName")
        with self.lock:
            queries = sorted(self.queries.values(), key=lambda q: q.created_ms, reverse=True)
            selected = [q.describe() for q in queries
                        if (status is None or q.status == status) and (language is None or q.language == language)
                        and (group is None or any(g.name == group for g in q.groups))]
        offset = decode_token(params, len(selected))
        answer: dict[str, Any] = {"queries": selected[offset:offset + size]}
        if offset + size < len(selected):
            answer["nextToken"] = encode_token(params, offset + size)
        return answer


# ---------------------------------------------------------------- command line


@dataclass(frozen=True)
class GroupSpec:
    name: str
    account: str | None
    events: Path | None


def parse_group(text: str) -> GroupSpec:
    """`[ACCOUNT:]NAME[=DIR]`."""
    head, _, folder = text.partition("=")
    account, _, name = head.rpartition(":")
    if not LOG_GROUP_NAME.fullmatch(name) or (account and not ACCOUNT_ID.fullmatch(account)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected [ACCOUNT:]NAME[=DIR], NAME matching "
                                         f"[.-_/#A-Za-z0-9]+ and ACCOUNT 12 digits")
    return GroupSpec(name, account or None, Path(folder) if folder else None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CloudWatch Logs (Logs Insights SQL) emulator for the tests.")
    parser.add_argument("--events", type=Path, help="folder of CloudTrail event files, for groups without =DIR")
    parser.add_argument("--log-group", type=parse_group, action="append", required=True, dest="log_groups",
                        metavar="[ACCOUNT:]NAME[=DIR]", help="a log group and the folder of its events (repeatable)")
    parser.add_argument("--account", default="999999999999", help="the caller's (monitoring) account id")
    parser.add_argument("--region", default="us-east-1", help="the Region of every log group")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--config", type=Path, help="faults and behaviour choices (JSON, see the docstring)")
    parser.add_argument("--calls-log", type=Path, help="JSON lines file, one line per request")
    parser.add_argument("--ignore-stdin", action="store_true", help="keep running after stdin closes")
    parser.add_argument("--verbose", action="store_true", help="print each request on stderr")
    args = parser.parse_args(argv)
    if not ACCOUNT_ID.fullmatch(args.account):
        parser.error("--account must be 12 digits")
    if any(spec.events is None for spec in args.log_groups) and args.events is None:
        parser.error("--events is required for a --log-group without =DIR")
    return args


def build_engine(args: argparse.Namespace, config: LogsConfig) -> LogsEngine:
    engine = LogsEngine()
    seen: set[tuple[str, str]] = set()
    for spec in args.log_groups:
        account = spec.account or config.owner_account_id or args.account
        if (account, spec.name) in seen:
            raise ValueError(f"log group {account}:{spec.name} given twice")
        seen.add((account, spec.name))
        loaded = load_events(spec.events or args.events)
        group = engine.add_group(spec.name, account, args.region, loaded.events)
        print(f"cloudwatch_logs: {len(group.times)} log events from {loaded.files_read} files "
              f"({loaded.duplicates_dropped} duplicate eventIDs dropped) in {group.arn}", file=sys.stderr)
    if engine.dropped:
        print(f"cloudwatch_logs: {engine.dropped} events without a parsable eventTime dropped", file=sys.stderr)
    engine.seal()
    return engine


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError, TypeError) as error:
        print(f"cloudwatch_logs: bad --config: {error}", file=sys.stderr)
        return 2
    try:
        engine = build_engine(args, config)
    except (OSError, ValueError) as error:
        print(f"cloudwatch_logs: cannot load the log groups: {error}", file=sys.stderr)
        return 2
    api = LogsApi(engine, args.account, args.region, config, CallsLog(args.calls_log))
    serve(LakeServer(api, args.port, args.verbose), watch_stdin=not args.ignore_stdin)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
