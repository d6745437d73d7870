"""An Athena + Glue emulator for the integration tests: CloudTrail S3 logs queried on DuckDB.

The tool's Athena source reads a trail's logs through a table in the Glue Data Catalog:
it asks Glue (GetTable) what the table looks like, then runs one aggregated query with
StartQueryExecution, polls GetQueryExecution, reads GetQueryResults and calls
StopQueryExecution when its deadline passes. That path must be tested through the real AWS
SDK for Rust (pointed here with AWS_ENDPOINT_URL), so this serves those five operations on
one port. Glue speaks awsJson1_1 (X-Amz-Target `AWSGlue.<Op>`). Athena speaks both of the
protocols AWS answers for it: awsJson1_1 (`AmazonAthena.<Op>`, what the pinned Rust SDK
sends) and restJson1 (`POST /query-executions`, `GET /query-executions/{id}/results`, ...,
what botocore sends from 1.44.18 on and the Rust SDK will once updated); rest_json.py turns
the second into the first, and the calls log records which one came. The events under --events become one
Glue table (glue_tables.py: the `struct` or `strings` style, unpartitioned or with the
organization trail's projected `account`/`region`/`timestamp` partitions) held in DuckDB.
Signatures are not checked.

Usage:
    python tests/emulators/athena.py --events DIR --database DB --table TABLE
        --style struct|strings [--partitioning none|projected]
        [--workgroup-output s3://bucket/prefix/] [--bucket NAME]
        [--account 999999999999] [--region us-east-1] [--config FILE.json]
        [--calls-log FILE.jsonl] [--port 0] [--ignore-stdin] [--verbose]
Once listening on 127.0.0.1 it prints one line, `{"port": N}`, to stdout. It stops on
SIGTERM or SIGINT, and when its stdin reaches end of file (as lake.py).

Athena (Trino) and DuckDB differences corrected here (mechanisms in athena_sql.py):
 1. `json_extract_scalar(json, path)`: missing in DuckDB; a macro gives Trino's meaning:
    the scalar as varchar; NULL for an object, an array, a JSON null, a missing path or
    text that is not JSON (DuckDB's json_extract_string returns objects as text and raises
    on malformed JSON); a struct or other non-text argument fails with Trino's
    FUNCTION_NOT_FOUND "Unexpected parameters" error, as a `strings`-style query sent to a
    `struct` table would.
 2. `json_extract(json, path)`: Trino returns NULL for text that is not JSON (DuckDB raises);
    both functions take Trino's bracket paths (`$["key"]`, DuckDB's `$."key"`).
 3. `element_at(map, key)`: Trino's value-or-NULL (DuckDB returns a list), as in lake.py.
    `json_format(json)` (missing in DuckDB): a macro gives the value's compact JSON text.
 4. Catalog and schema names: Athena resolves `"db"."table"`, `awsdatacatalog.db.table`
    and, with QueryExecutionContext.Database, a bare `table`. The table lives in an attached
    DuckDB catalog named `awsdatacatalog`, under a schema named after the database; each
    query's search path is its context database (Athena's `default` when none is given).
    Names match case-insensitively, as in Athena (and DuckDB, even quoted).
 5. Result values: every value is a string (VarCharValue); NULL is an empty cell `{}`.
    Timestamps print as Trino's timestamp(3) (`2026-07-01 00:08:20.000`, ` UTC` when
    zoned), booleans `true`/`false`, rows and maps `{key=value, ...}`, arrays `[a, b]`
    (lake_sql.format_value).
 6. Result column names: Trino's (lowercase, a column's last name part, `_colN` for an
    unnamed expression), as in lake.py; ColumnInfo types are Trino's names (`varchar`,
    `bigint`, ...).
 7. Integer division, NULLS LAST ordering and the UTC session zone, as in lake.py.
 8. Errors: a query Athena accepts but cannot run is not refused by StartQueryExecution; it
    ends FAILED with StateChangeReason `ERROR_NAME: message` (SYNTAX_ERROR, TABLE_NOT_FOUND,
    COLUMN_NOT_FOUND, FUNCTION_NOT_FOUND, TYPE_MISMATCH, ...; DuckDB's message text) and
    AthenaError {ErrorCategory 2 (USER), ErrorType 1000}.
Checked to behave as in Trino with no change (see test_athena.py): `timestamp` as a column
name, bare or quoted (it is reserved in Hive DDL, not in Trino queries); comparing the
string `eventtime` with string literals; `max(eventtime)`, `count(DISTINCT ...)`, `IN`,
`BETWEEN`, `GROUP BY 1, 2, ...`; case-insensitive column and struct field names.
Not corrected: other Trino functions DuckDB lacks or spells otherwise
(`from_iso8601_timestamp`, `date_add('day', ...)`: the query FAILs with
FUNCTION_NOT_FOUND); DuckDB-only syntax is accepted; DuckDB casts implicitly where Trino
errors; json_extract_scalar prints numbers as DuckDB normalises them (`1.50` -> `1.5`);
ExecutionParameters are not substituted.

Athena behaviour chosen where AWS does not document it, or for the tests:
- The query runs in DuckDB at StartQueryExecution; its state then moves one step per
  observation (GetQueryExecution, and GetQueryResults, which also refuses an unfinished
  query): `polls_before_running` observations answer QUEUED, `polls_before_finish` RUNNING,
  then the final state.
- GetQueryResults before SUCCEEDED: InvalidRequestException "Query has not yet finished.
  Current state: RUNNING" (QUEUED likewise); after FAILED, the StateChangeReason; after
  CANCELLED, "Query did not finish successfully. Final query state: CANCELLED".
- The first page's first row is the header (the column names), and it counts against
  MaxResults (1000 gives the header and 999 rows); later pages have no header. Every page
  carries ResultSetMetadata. MaxResults outside 1..1000 is an InvalidRequestException.
- StopQueryExecution on an unfinished query makes it CANCELLED; on a finished one it does
  nothing (and succeeds). An unknown QueryExecutionId is InvalidRequestException
  "QueryExecution <id> was not found".
- DataScannedInBytes is the bytes of the S3 objects the query must open (athena_data.py):
  for a partitioned table, the sum over the partitions that satisfy the query's top-level
  AND terms that read only partition columns (evaluated by DuckDB on the table of
  partitions, so `BETWEEN`, `IN`, `=`, `OR` among partition columns all prune); all files
  when the query has no such term, or is not a plain SELECT from the table (joins,
  subqueries in FROM). An unpartitioned table always scans every file. Nothing while
  QUEUED, half while RUNNING (and once stopped, what it had when stopped). A query that
  FAILED on its SQL scanned nothing.
- Timings: EngineExecutionTimeInMillis is DuckDB's time plus 300 ms; queue 80 ms,
  planning 120 ms, pre-processing 40 ms, service processing 25 ms; TotalExecutionTime the
  sum of queue, pre-processing, engine and service processing.
- The result's OutputLocation is `<request or workgroup output>/<QueryExecutionId>.csv`;
  nothing is written.
- ClientRequestToken: a repeated token returns the first query's id, as Athena's
  idempotency does.
- Glue GetTable matches names case-insensitively and answers the lowercase names;
  another database (or a CatalogId other than --account): EntityNotFoundException
  "Database <name> not found."; another table: "Table <name> not found.".
- Athena answers both protocols (as AWS says it does while SDKs move to restJson1); how
  it will refuse awsJson1_1 once it stops answering it is a guess: UnknownOperationException,
  as for an unknown target (the config's athena_protocols switches a protocol off).
- Events of a file off the S3 layout whose partition cannot be projected (no account,
  Region or date) are left out of a projected table, as Athena would never reach them.

Config file (JSON, every key optional; unknown keys are an error):
    {"polls_before_running": 1,       # observations answered QUEUED
     "polls_before_finish": 2,        # then observations answered RUNNING
     "final_state": "SUCCEEDED",      # or "FAILED" (then state_change_reason)
     "state_change_reason": "...",
     "page_size": null,               # cap on rows per page (header included), below MaxResults
     "too_many_requests": 0,          # first N StartQueryExecution: TooManyRequestsException
     "workgroup_output": true,        # false: the workgroup has no output location
     "athena_protocols": ["awsJson1_1", "restJson1"]}  # the protocols Athena answers; a
                                      # request in another gets UnknownOperationException
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import re
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import duckdb

from athena_data import Partition, iter_log_files
from athena_sql import (
    SESSION_SQL,
    AthenaFailure,
    failure,
    parse_select,
    pruning_sql,
    pruning_terms,
    rewrite_for_duckdb,
    trino_type,
)
from glue_tables import NO_PARTITIONS, PARTITIONINGS, PROJECTED, STYLES, TableSpec
from lake import LakeServer, check_choice, check_count, checked_keys, parse_params, serve
from lake import ApiError as LakeApiError
from lake_schema import LakeType, compact_json, present_fields
from lake_sql import format_value, trino_column_names
from rest_json import AWS_JSON, PROTOCOLS, REST_JSON, Route, as_json_rpc, route

ATHENA_PREFIX = "AmazonAthena."
GLUE_PREFIX = "AWSGlue."
# Athena's restJson1 bindings (botocore's athena model from 1.44.18 on); Glue is awsJson1_1 only.
ATHENA_REST_JSON: tuple[Route, ...] = (
    route("POST", "/query-executions", ATHENA_PREFIX + "StartQueryExecution"),
    route("GET", "/query-executions/{QueryExecutionId}", ATHENA_PREFIX + "GetQueryExecution"),
    route("GET", "/query-executions/{QueryExecutionId}/results", ATHENA_PREFIX + "GetQueryResults",
          frozenset({"MaxResults"})),
    route("POST", "/query-executions/{QueryExecutionId}/stop", ATHENA_PREFIX + "StopQueryExecution"),
)
CATALOG = "awsdatacatalog"
DEFAULT_DATABASE = "default"
SPLITS_TABLE = "memory.main.athena_emulator_splits"
QUEUED, RUNNING, SUCCEEDED = "QUEUED", "RUNNING", "SUCCEEDED"
FAILED, CANCELLED = "FAILED", "CANCELLED"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
MAX_PAGE = 1000
MAX_REASON = 4096
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,255}$")
OUTPUT_PATTERN = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
INJECTED_REASON = "Query failed (failure injected by the Athena emulator)"
NO_OUTPUT = ("No output location provided. An output location is required either through the Workgroup "
             "result configuration setting or as an API input.")
TOO_MANY = ("You have exceeded the limit for the number of queries you can run concurrently. Reduce the number "
            "of concurrent queries submitted by this account.")
# Fixed parts of the statistics (ms); see the module docstring.
QUEUE_MS, PLANNING_MS, PREPROCESSING_MS, SERVICE_MS, ENGINE_OVERHEAD_MS = 80, 120, 40, 25, 300


# ---------------------------------------------------------------- configuration


@dataclass
class AthenaConfig:
    polls_before_running: int = 1
    polls_before_finish: int = 2
    final_state: str = SUCCEEDED
    state_change_reason: str | None = None
    page_size: int | None = None
    too_many_requests: int = 0
    workgroup_output: bool = True
    athena_protocols: list[str] = field(default_factory=lambda: list(PROTOCOLS))


def validate_config(config: AthenaConfig) -> AthenaConfig:
    for name in ("polls_before_running", "polls_before_finish", "too_many_requests"):
        check_count(name, getattr(config, name), 0)
    if config.page_size is not None:
        check_count("page_size", config.page_size, 1)
    check_choice("final_state", config.final_state, (SUCCEEDED, FAILED))
    if not isinstance(config.workgroup_output, bool):
        raise ValueError("config: workgroup_output must be true or false")
    if not isinstance(config.athena_protocols, list) or not config.athena_protocols:
        raise ValueError(f"config: athena_protocols must be a non-empty list of {', '.join(PROTOCOLS)}")
    for protocol in config.athena_protocols:
        check_choice("athena_protocols", protocol, PROTOCOLS)
    return config


def load_config(path: Path | None) -> AthenaConfig:
    if path is None:
        return AthenaConfig()
    data = checked_keys(json.loads(path.read_text(encoding="utf-8")), AthenaConfig, str(path))
    return validate_config(AthenaConfig(**data))


# ---------------------------------------------------------------- the table in DuckDB


@dataclass
class Outcome:
    """What DuckDB made of a query: names, Athena types and string rows, or its failure."""

    columns: list[str] = field(default_factory=list)
    types: list[tuple[str, int]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    failure: AthenaFailure | None = None
    bytes_scanned: int = 0
    engine_ms: int = 0


@dataclass
class LoadSummary:
    """What the load found, for the Glue table and the startup line."""

    rows: int = 0
    files: int = 0
    left_out: int = 0
    org_id: str | None = None
    partitions: dict[Partition, int] = field(default_factory=dict)  # bytes per partition


class AthenaEngine:
    """The DuckDB table of events, its partitions' bytes, and the running of queries."""

    def __init__(self, spec: TableSpec, events_root: Path) -> None:
        self.spec = spec
        self.column_types: dict[str, LakeType] = dict(spec.columns)
        self.lock = threading.Lock()
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(f"ATTACH ':memory:' AS {CATALOG}")
        for database in {spec.database, DEFAULT_DATABASE}:
            self.connection.execute(f'CREATE SCHEMA {CATALOG}."{database}"')
        self.connection.execute(spec.create_table_sql(self.qualified_table))
        self.summary = self.load(events_root)
        self.connection.execute(f'CREATE TABLE {SPLITS_TABLE} (account VARCHAR, region VARCHAR, '
                                f'"timestamp" VARCHAR, bytes BIGINT)')
        self.connection.executemany(f"INSERT INTO {SPLITS_TABLE} VALUES (?, ?, ?, ?)",
                                    [[p.account, p.region, p.day, size] for p, size in self.summary.partitions.items()])
        for statement in SESSION_SQL:
            self.connection.execute(statement)
        # Queries are SELECTs (parse_select), but a SELECT can call read_csv(); keep them off the disk.
        self.connection.execute("SET enable_external_access = false")

    @property
    def qualified_table(self) -> str:
        return f'{CATALOG}."{self.spec.database}"."{self.spec.name}"'

    @property
    def total_bytes(self) -> int:
        return sum(self.summary.partitions.values())

    def load(self, root: Path) -> LoadSummary:
        """Writes every event as a row (newline-delimited JSON that DuckDB types as it reads)."""
        summary = LoadSummary()
        handle = tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False)
        try:
            with handle:
                for log_file in iter_log_files(root):
                    summary.files += 1
                    summary.org_id = summary.org_id or log_file.org_id
                    self.write_file_rows(log_file.events, handle, summary)
                    for partition, size in log_file.bytes_by_partition.items():
                        if self.holds(partition):
                            summary.partitions[partition] = summary.partitions.get(partition, 0) + size
            if summary.rows:
                self.connection.execute(
                    f"INSERT INTO {self.qualified_table} SELECT * FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {self.spec.read_json_columns_sql()}, maximum_object_size = 1073741824)",
                    [handle.name])
        finally:
            os.unlink(handle.name)
        return summary

    def holds(self, partition: Partition) -> bool:
        """Whether the table can reach a partition (a projected one needs every value)."""
        return self.spec.partitioning == NO_PARTITIONS or partition.complete

    def write_file_rows(self, events: list[tuple[Partition, dict[str, Any]]], handle: Any,
                        summary: LoadSummary) -> None:
        for partition, event in events:
            if not self.holds(partition):
                summary.left_out += 1
                continue
            handle.write(compact_json(self.row(partition, event)) + "\n")
            summary.rows += 1

    def row(self, partition: Partition, event: dict[str, Any]) -> dict[str, Any]:
        """One event as the SerDe presents it in this style, with its partition values.

        Keys match columns and struct fields case-insensitively; unnamed keys are dropped;
        objects in string columns become their JSON text (lake_schema's rules).
        """
        row = present_fields(event, self.column_types)
        if self.spec.partitioning == PROJECTED:
            row.update(account=partition.account, region=partition.region, timestamp=partition.day)
        return row

    def projection(self) -> dict[str, str]:
        """The Glue table's projection parameters, from the partitions present."""
        partitions = list(self.summary.partitions)
        first_day = min((p.day for p in partitions), default=time.strftime("%Y/%m/%d", time.gmtime()))
        return self.spec.projection_parameters(sorted({p.account for p in partitions}),
                                               sorted({p.region for p in partitions}), first_day)

    # -- running a query

    def run(self, query: str, database: str) -> Outcome:
        """Runs an Athena query with `database` as its context; failures are in the Outcome."""
        sql = rewrite_for_duckdb(query)
        with self.lock:  # one connection: its session settings (SESSION_SQL) hold for every query
            try:
                self.use_database(database)
                statement = parse_select(self.connection, sql)
                scanned = self.bytes_scanned(statement)
                started = time.monotonic()
                result = self.connection.execute(sql)
                raw_rows = result.fetchall()
                description = result.description or []
            except AthenaFailure as error:
                return Outcome(failure=error)
            except duckdb.Error as error:
                return Outcome(failure=failure(error))
        engine_ms = int((time.monotonic() - started) * 1000) + ENGINE_OVERHEAD_MS
        rows = [[None if value is None else format_value(value) for value in row] for row in raw_rows]
        names = trino_column_names(statement, [column[0] for column in description])
        types = [trino_type(str(column[1])) for column in description]
        return Outcome(names, types, rows, None, scanned, engine_ms)

    def use_database(self, database: str) -> None:
        """Resolves bare table names in the context database, Athena's `default` if unknown."""
        known = database.lower() in (self.spec.database, DEFAULT_DATABASE)
        schema = database.lower() if known else DEFAULT_DATABASE
        self.connection.execute(f"SET search_path = '{CATALOG}.\"{schema}\",memory.main'")

    def bytes_scanned(self, statement: dict[str, Any]) -> int:
        """The bytes of the files the query must open (see the module docstring)."""
        terms = pruning_terms(statement, self.spec.name, self.spec.partition_keys)
        if not terms:
            return self.total_bytes
        return int(self.connection.execute(pruning_sql(self.connection, terms, SPLITS_TABLE)).fetchone()[0])


# ---------------------------------------------------------------- query executions


@dataclass
class Execution:
    """One query execution and what GetQueryExecution reports about it."""

    query_id: str
    query: str
    context: dict[str, Any]
    workgroup: str
    output: str
    submitted: float
    outcome: Outcome
    final_state: str
    reason: str | None
    state: str = QUEUED
    observations: int = 0
    completed: float | None = None
    stopped_from: str | None = None  # the state StopQueryExecution found

    def observe(self, config: AthenaConfig) -> str:
        """The state one more observation sees: QUEUED, then RUNNING, then the final state."""
        if self.state in TERMINAL:
            return self.state
        self.observations += 1
        if self.observations <= config.polls_before_running:
            self.state = QUEUED
        elif self.observations <= config.polls_before_running + config.polls_before_finish:
            self.state = RUNNING
        else:
            self.finish(self.final_state)
        return self.state

    def finish(self, state: str) -> None:
        self.state = state
        self.completed = round(time.time(), 3)

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.state == FAILED:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = self.athena_error()
        return status

    def athena_error(self) -> dict[str, Any]:
        """Category 2 (USER), type 1000 for a query's own error; 1 (SYSTEM), 100 if injected."""
        user = self.outcome.failure is not None
        return {"ErrorCategory": 2 if user else 1, "ErrorType": 1000 if user else 100,
                "Retryable": False, "ErrorMessage": self.reason}

    def statistics(self) -> dict[str, Any]:
        """Timings and DataScannedInBytes for the current state."""
        if self.state == QUEUED or self.stopped_from == QUEUED:
            engine, scanned = 0, 0
        elif self.state == RUNNING or (self.stopped_from == RUNNING and self.outcome.failure is None):
            engine, scanned = self.outcome.engine_ms // 2, self.outcome.bytes_scanned // 2
        elif self.outcome.failure is not None:
            engine, scanned = ENGINE_OVERHEAD_MS, 0
        else:
            engine, scanned = self.outcome.engine_ms, self.outcome.bytes_scanned
        started = self.state != QUEUED and self.stopped_from != QUEUED
        return {
            "EngineExecutionTimeInMillis": engine,
            "DataScannedInBytes": scanned,
            "TotalExecutionTimeInMillis": QUEUE_MS + (PREPROCESSING_MS + engine + SERVICE_MS if started else 0),
            "QueryQueueTimeInMillis": QUEUE_MS,
            "ServicePreProcessingTimeInMillis": PREPROCESSING_MS if started else 0,
            "QueryPlanningTimeInMillis": PLANNING_MS if started else 0,
            "ServiceProcessingTimeInMillis": SERVICE_MS if self.state in TERMINAL else 0,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }

    def describe(self) -> dict[str, Any]:
        return {
            "QueryExecutionId": self.query_id,
            "Query": self.query,
            "StatementType": "DML",
            "SubstatementType": "SELECT",
            "ResultConfiguration": {"OutputLocation": self.output},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": self.status(),
            "Statistics": self.statistics(),
            "WorkGroup": self.workgroup,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }


def final_state(outcome: Outcome, config: AthenaConfig) -> tuple[str, str | None]:
    """The state a query ends in, and its StateChangeReason."""
    if outcome.failure is not None:
        return FAILED, outcome.failure.reason[:MAX_REASON]
    if config.final_state == FAILED:
        return FAILED, config.state_change_reason or INJECTED_REASON
    return SUCCEEDED, None


def encode_token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}/{offset}".encode()).decode()


def decode_token(token: Any, execution: Execution) -> int:
    """The data-row offset a NextToken stands for; it must come from this query's results."""
    try:
        query_id, offset_text = base64.urlsafe_b64decode(str(token).encode()).decode().split("/")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError("InvalidRequestException", "The NextToken is not valid.") from None
    if query_id != execution.query_id or not 0 <= offset < len(execution.outcome.rows):
        raise ApiError("InvalidRequestException", "The NextToken does not belong to this query's results.")
    return offset


def cells(values: list[str | None]) -> dict[str, Any]:
    """One result row: each value a VarCharValue, NULL an empty cell."""
    return {"Data": [{} if value is None else {"VarCharValue": value} for value in values]}


def column_info(names: list[str], types: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
             "Type": type_name, "Precision": precision, "Scale": 0, "Nullable": "UNKNOWN",
             "CaseSensitive": type_name == "varchar"} for name, (type_name, precision) in zip(names, types)]


# ---------------------------------------------------------------- the APIs


class ApiError(Exception):
    """An Athena or Glue error answer: `__type` and `Message` (plus extra members), HTTP 400."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "Message": self.message, **self.extra}


class CallsLog:
    """Appends one JSON line per request: service, operation, params and the protocol it came in."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()

    def record(self, service: str, operation: str, params: Any, protocol: str = AWS_JSON) -> None:
        if self.path is None:
            return
        line = json.dumps({"service": service, "operation": operation, "params": params, "protocol": protocol},
                          ensure_ascii=False)
        with self.lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


@dataclass(frozen=True)
class Settings:
    """The command line's choices the APIs need."""

    account: str
    region: str
    workgroup_output: str


class AthenaApi:
    """Athena's and Glue's operations: requests in, (HTTP status, JSON body) out."""

    def __init__(self, engine: AthenaEngine, settings: Settings, config: AthenaConfig, calls: CallsLog) -> None:
        self.engine = engine
        self.settings = settings
        self.config = config
        self.calls = calls
        self.executions: dict[str, Execution] = {}
        self.by_token: dict[str, str] = {}
        self.lock = threading.Lock()
        self.rejections_left = config.too_many_requests
        self.athena: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "StartQueryExecution": self.start_query_execution,
            "GetQueryExecution": self.get_query_execution,
            "GetQueryResults": self.get_query_results,
            "StopQueryExecution": self.stop_query_execution,
        }
        self.glue: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"GetTable": self.get_table}

    def route(self, target: str) -> tuple[str, Callable[[dict[str, Any]], dict[str, Any]] | None]:
        """The service and handler an X-Amz-Target names (handler None if unknown)."""
        for service, prefix, operations in (("athena", ATHENA_PREFIX, self.athena), ("glue", GLUE_PREFIX, self.glue)):
            if target.startswith(prefix):
                return service, operations.get(target[len(prefix):])
        return "unknown", None

    def rest_json_request(self, method: str, path: str, body: bytes) -> tuple[str, bytes]:
        """A restJson1 request (no X-Amz-Target) as the awsJson1_1 call that means the same."""
        return as_json_rpc(ATHENA_REST_JSON, method, path, body)

    def handle(self, target: str | None, body: bytes, signed_region: str | None = None,
               protocol: str = AWS_JSON) -> tuple[int, dict[str, Any]]:
        """One request; the Region it is signed for does not matter (the table is in --region)."""
        target = target or ""
        operation = target.rsplit(".", 1)[-1]
        service, handler = self.route(target)
        try:
            params = parse_params(body)
        except LakeApiError as error:
            self.calls.record(service, operation, body.decode("utf-8", "replace"), protocol)
            return error.status, ApiError(error.code, error.message).body()
        self.calls.record(service, operation, params, protocol)
        try:
            if handler is None or (service == "athena" and protocol not in self.config.athena_protocols):
                raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
            return 200, handler(params)
        except ApiError as error:
            return error.status, error.body()
        except Exception:  # noqa: BLE001 - an emulator bug must show, not hang the client
            traceback.print_exc(file=sys.stderr)
            return 500, ApiError("InternalServerException", "The emulator failed; see its stderr.", 500).body()

    # -- Athena

    def output_location(self, params: dict[str, Any]) -> str:
        """Where the result would be written: the request's location, else the workgroup's."""
        location = (params.get("ResultConfiguration") or {}).get("OutputLocation")
        if location is None and self.config.workgroup_output:
            location = self.settings.workgroup_output
        if location is None:
            raise ApiError("InvalidRequestException", NO_OUTPUT)
        if not isinstance(location, str) or not OUTPUT_PATTERN.match(location):
            raise ApiError("InvalidRequestException", f"The S3 location provided to save your query results is "
                                                      f"invalid: {location!r}.")
        return location.rstrip("/") + "/"

    def take_rejection(self) -> None:
        with self.lock:
            if self.rejections_left > 0:
                self.rejections_left -= 1
                raise ApiError("TooManyRequestsException", TOO_MANY, Reason="CONCURRENT_QUERY_LIMIT_EXCEEDED")

    def start_query_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        query = params.get("QueryString")
        if not isinstance(query, str) or not query.strip() or len(query) > 262144:
            raise ApiError("InvalidRequestException", "QueryString must be 1 to 262144 characters.")
        output = self.output_location(params)
        token = params.get("ClientRequestToken")
        with self.lock:
            if token is not None and token in self.by_token:
                return {"QueryExecutionId": self.by_token[token]}
        self.take_rejection()
        context = params.get("QueryExecutionContext") or {}
        outcome = self.run(query, context)
        state, reason = final_state(outcome, self.config)
        query_id = str(uuid.uuid4())
        execution = Execution(query_id, query, context, params.get("WorkGroup") or "primary",
                              f"{output}{query_id}.csv", round(time.time(), 3), outcome, state, reason)
        with self.lock:
            self.executions[query_id] = execution
            if token is not None:
                self.by_token[token] = query_id
        return {"QueryExecutionId": query_id}

    def run(self, query: str, context: dict[str, Any]) -> Outcome:
        catalog = str(context.get("Catalog") or "AwsDataCatalog")
        if catalog.lower() != CATALOG:
            return Outcome(failure=AthenaFailure("CATALOG_NOT_FOUND", f"Catalog '{catalog.lower()}' does not exist"))
        return self.engine.run(query, str(context.get("Database") or DEFAULT_DATABASE))

    def find(self, params: dict[str, Any]) -> Execution:
        query_id = params.get("QueryExecutionId")
        execution = self.executions.get(str(query_id))
        if execution is None:
            raise ApiError("InvalidRequestException", f"QueryExecution {query_id} was not found")
        return execution

    def get_query_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self.find(params)
        with self.lock:
            execution.observe(self.config)
            return {"QueryExecution": execution.describe()}

    def page_size(self, params: dict[str, Any]) -> int:
        requested = params.get("MaxResults", MAX_PAGE)
        if not isinstance(requested, int) or isinstance(requested, bool) or not 1 <= requested <= MAX_PAGE:
            raise ApiError("InvalidRequestException", f"1 validation error detected: Value '{requested}' at "
                                                      f"'maxResults' failed to satisfy constraint: Member must "
                                                      f"have value between 1 and {MAX_PAGE}")
        return min(requested, self.config.page_size or MAX_PAGE)

    def get_query_results(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self.find(params)
        size = self.page_size(params)
        with self.lock:
            state = execution.observe(self.config)
        if state in (QUEUED, RUNNING):
            raise ApiError("InvalidRequestException", f"Query has not yet finished. Current state: {state}")
        if state == FAILED:
            raise ApiError("InvalidRequestException", str(execution.reason))
        if state == CANCELLED:
            raise ApiError("InvalidRequestException", "Query did not finish successfully. Final query state: CANCELLED")
        return self.results_page(execution, params.get("NextToken"), size)

    def results_page(self, execution: Execution, token: Any, size: int) -> dict[str, Any]:
        """One page: the header row first on page one (it takes one of the page's places)."""
        outcome = execution.outcome
        offset = 0 if token is None else decode_token(token, execution)
        header = [cells(outcome.columns)] if token is None else []
        page = outcome.rows[offset:offset + size - len(header)]
        answer: dict[str, Any] = {
            "UpdateCount": 0,
            "ResultSet": {"Rows": header + [cells(row) for row in page],
                          "ResultSetMetadata": {"ColumnInfo": column_info(outcome.columns, outcome.types)}},
        }
        if offset + len(page) < len(outcome.rows):
            answer["NextToken"] = encode_token(execution.query_id, offset + len(page))
        return answer

    def stop_query_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self.find(params)
        with self.lock:
            if execution.state not in TERMINAL:
                execution.stopped_from = execution.state
                execution.finish(CANCELLED)
        return {}

    # -- Glue

    def get_table(self, params: dict[str, Any]) -> dict[str, Any]:
        spec = self.engine.spec
        database = str(params.get("DatabaseName") or "")
        name = str(params.get("Name") or "")
        catalog = params.get("CatalogId")
        if not database or not name:
            raise ApiError("InvalidInputException", "DatabaseName and Name are required.")
        if database.lower() != spec.database or (catalog is not None and catalog != self.settings.account):
            raise ApiError("EntityNotFoundException", f"Database {database} not found.")
        if name.lower() != spec.name:
            raise ApiError("EntityNotFoundException", f"Table {name} not found.")
        return {"Table": spec.glue_table(self.engine.projection())}


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Athena + Glue emulator for the integration tests.")
    parser.add_argument("--events", type=Path, required=True, help="folder of CloudTrail log files")
    parser.add_argument("--database", required=True, help="the Glue database")
    parser.add_argument("--table", required=True, help="the Glue table over the events")
    parser.add_argument("--style", choices=STYLES, required=True, help="the table's column types")
    parser.add_argument("--partitioning", choices=PARTITIONINGS, default=NO_PARTITIONS)
    parser.add_argument("--workgroup-output", default=None,
                        help="the workgroup's result location (default s3://aws-athena-query-results-ACCOUNT-REGION/)")
    parser.add_argument("--bucket", default="idc-credential-report-trail", help="the trail bucket in LOCATION")
    parser.add_argument("--account", default="999999999999", help="the caller's account id (Glue CatalogId)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--config", type=Path, help="fault-injection config (JSON)")
    parser.add_argument("--calls-log", type=Path, help="append one JSON line per request here")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--ignore-stdin", action="store_true", help="do not stop when stdin closes")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    for option in ("database", "table"):
        if not NAME_PATTERN.match(getattr(args, option)):
            parser.error(f"--{option}: letters, digits and '_' only")
    if args.workgroup_output is None:
        args.workgroup_output = f"s3://aws-athena-query-results-{args.account}-{args.region}/"
    if not OUTPUT_PATTERN.match(args.workgroup_output):
        parser.error("--workgroup-output: an s3://bucket/prefix/ location")
    return args


def build_engine(args: argparse.Namespace) -> AthenaEngine:
    """Loads the events into the table; the org id in LOCATION comes from the files' paths."""
    spec = TableSpec(args.database.lower(), args.table.lower(), args.style, args.partitioning, args.bucket,
                     None, args.account, round(time.time(), 3))
    engine = AthenaEngine(spec, args.events)
    engine.spec = replace(spec, org_id=engine.summary.org_id or "o-exampleorgid")
    return engine


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError, TypeError) as error:
        print(f"athena: bad --config: {error}", file=sys.stderr)
        return 2
    try:
        engine = build_engine(args)
    except (OSError, ValueError) as error:
        print(f"athena: cannot load --events: {error}", file=sys.stderr)
        return 2
    api = AthenaApi(engine, Settings(args.account, args.region, args.workgroup_output), config,
                    CallsLog(args.calls_log))
    server = LakeServer(api, args.port, args.verbose)  # type: ignore[arg-type] - any object with handle()
    summary = engine.summary
    print(f"athena: {summary.rows} events from {summary.files} files in {len(summary.partitions)} partitions "
          f"({engine.total_bytes} bytes; {summary.left_out} events off the projection) as "
          f"{CATALOG}.{engine.spec.database}.{engine.spec.name} ({args.style}, {args.partitioning})", file=sys.stderr)
    serve(server, watch_stdin=not args.ignore_stdin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
