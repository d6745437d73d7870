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
--ignore-stdin), like every emulator here (emulator_http.py).

Sources: the CloudWatch Logs API Reference (StartQuery, GetQueryResults, StopQuery,
DescribeLogGroups, DescribeQueries, QueryStatistics; read in botocore's service model of
boto3 1.44.5, which carries the reference's text, limits and error lists), the CloudWatch
Logs User Guide ("OpenSearch
Structured Query Language (SQL)", "Supported logs and discovered fields", "Analyzing log data
with CloudWatch Logs Insights") and the OpenSearch Service Developer Guide ("Supported
OpenSearch SQL commands and functions", which says its tables apply to CloudWatch Logs
Insights).

How log events are made, and what the emulator guesses there: logs_engine.py. How the SQL is
translated for DuckDB, what is checked unchanged and what is refused: logs_sql.py. The config
file's keys: logs_config.py.

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

GetQueryResults and StopQuery (results, statistics, NULLs, paging): logs_queries.py.
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

--calls-log FILE.jsonl: one line per request, `{"operation": "StartQuery", "params": {...}}`
(emulator_http.CallsLog).
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from cloudtrail_events import load_events
from emulator_http import ApiError, CallsLog, EmulatorServer, add_common_arguments, answer, error_body, loading, parse_params, run
from emulator_queries import Rejections, new_query_id
from lake_sql import InvalidStatement
from logs_config import ACCOUNT_ID, CANCELLED, FAILED, FINISHED, LogsConfig, load_config, parse_group
from logs_engine import LogGroup, LogsEngine
from logs_queries import Query, decode_token, encode_token, integer_param, result_row
from logs_sql import MalformedQuery, Plan, Translator, check_field_case, coalesced_fields, named_fields

TARGET_PREFIX = "Logs_20140328."
LANGUAGES = ("CWLI", "SQL", "PPL")
DEFAULT_LIMIT = 10_000
MAX_SQL_LIMIT = 10_000
MAX_LIMIT = 100_000
MAX_QUERY_LENGTH = 10_000
MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
LOG_GROUP_ARN = re.compile(
    r"arn:aws[a-z\-]*:logs:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):log-group:(?P<name>[^:]+)(?P<star>:\*)?")


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
        self.rejections = Rejections(config.limit_exceeded)
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
        except ApiError as error:
            self.calls.record(operation, params)
            return error.status, error_body(error)
        self.calls.record(operation, params)
        return answer(lambda: self.operate(target, operation, params), "ServiceUnavailableException")

    def operate(self, target: str | None, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if not (target or "").startswith(TARGET_PREFIX) or operation not in self.operations:
            raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
        return self.operations[operation](params)

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
        if self.rejections.take():
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
        query = Query(new_query_id(), params["queryString"], "SQL", int(time.time() * 1000), plan.groups, outcome,
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CloudWatch Logs (Logs Insights SQL) emulator for the tests.")
    parser.add_argument("--events", type=Path, help="folder of CloudTrail event files, for groups without =DIR")
    parser.add_argument("--log-group", type=parse_group, action="append", required=True, dest="log_groups",
                        metavar="[ACCOUNT:]NAME[=DIR]", help="a log group and the folder of its events (repeatable)")
    add_common_arguments(parser, "the caller's (monitoring) account id; every log group is in --region")
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
    return run("cloudwatch_logs", lambda: build_server(args))


def build_server(args: argparse.Namespace) -> tuple[EmulatorServer, bool]:
    config = loading("bad --config", lambda: load_config(args.config))
    engine = loading("cannot load the log groups", lambda: build_engine(args, config))
    api = LogsApi(engine, args.account, args.region, config, CallsLog(args.calls_log))
    return EmulatorServer(api, args.port, args.verbose), not args.ignore_stdin


if __name__ == "__main__":
    sys.exit(main())
