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

The engine (the table in DuckDB, Trino's meaning of the SQL): athena_engine.py; each query's
state, statistics and results: athena_queries.py; the config file: athena_config.py.

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

"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from athena_config import CANCELLED, FAILED, QUEUED, RUNNING, TERMINAL, AthenaConfig, load_config
from athena_engine import CATALOG, DEFAULT_DATABASE, AthenaEngine, Outcome
from athena_queries import Execution, cells, column_info, final_state
from emulator_http import ApiError as SharedApiError
from emulator_http import CallsLog as SharedCallsLog
from emulator_http import EmulatorServer, add_common_arguments, loading, parse_params, run
from emulator_http import answer as answer_call
from emulator_queries import Rejections, decode_token, encode_token, new_query_id
from athena_sql import AthenaFailure
from glue_tables import NO_PARTITIONS, PARTITIONINGS, STYLES, TableSpec
from rest_json import AWS_JSON, Route, as_json_rpc, route

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
MAX_PAGE = 1000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,255}$")
OUTPUT_PATTERN = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
NO_OUTPUT = ("No output location provided. An output location is required either through the Workgroup "
             "result configuration setting or as an API input.")
TOO_MANY = ("You have exceeded the limit for the number of queries you can run concurrently. Reduce the number "
            "of concurrent queries submitted by this account.")


# ---------------------------------------------------------------- the APIs


class ApiError(SharedApiError):
    """An Athena or Glue error answer: `__type` and `Message` (plus extra members), HTTP 400."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(code, message, status)
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "Message": self.message, **self.extra}


def athena_body(error: SharedApiError) -> dict[str, Any]:
    """Athena's and Glue's error body: `Message`, and the error's extra members."""
    return ApiError(error.code, error.message, error.status, **getattr(error, "extra", {})).body()


class CallsLog(SharedCallsLog):
    """Appends one JSON line per request: service, operation, params and the protocol it came in."""

    def record(self, service: str, operation: str, params: Any, protocol: str = AWS_JSON) -> None:  # type: ignore[override]
        self.write({"service": service, "operation": operation, "params": params, "protocol": protocol})


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
        self.rejections = Rejections(config.too_many_requests)
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
        except SharedApiError as error:
            self.calls.record(service, operation, body.decode("utf-8", "replace"), protocol)
            return error.status, ApiError(error.code, error.message).body()
        self.calls.record(service, operation, params, protocol)

        def operate() -> dict[str, Any]:
            if handler is None or (service == "athena" and protocol not in self.config.athena_protocols):
                raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
            return handler(params)

        return answer_call(operate, "InternalServerException", athena_body)

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
        if self.rejections.take():
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
        query_id = new_query_id()
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
        offset = 0 if token is None else decode_token(token, execution.query_id, len(execution.outcome.rows),
                                                       "InvalidRequestException", first=0)
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
    add_common_arguments(parser, "the caller's account id (Glue CatalogId)")
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
    return run("athena", lambda: build_server(args))


def build_server(args: argparse.Namespace) -> tuple[EmulatorServer, bool]:
    config = loading("bad --config", lambda: load_config(args.config))
    engine = loading("cannot load --events", lambda: build_engine(args))
    api = AthenaApi(engine, Settings(args.account, args.region, args.workgroup_output), config,
                    CallsLog(args.calls_log))
    server = EmulatorServer(api, args.port, args.verbose)
    summary = engine.summary
    print(f"athena: {summary.rows} events from {summary.files} files in {len(summary.partitions)} partitions "
          f"({engine.total_bytes} bytes; {summary.left_out} events off the projection) as "
          f"{CATALOG}.{engine.spec.database}.{engine.spec.name} ({args.style}, {args.partitioning})", file=sys.stderr)
    return server, not args.ignore_stdin


if __name__ == "__main__":
    sys.exit(main())
