"""Self-test of the CloudWatch Logs emulator, through boto3's real CloudWatch Logs client.

Starts cloudwatch_logs.py as a subprocess on the published CloudTrail fixtures
(../shared/fixtures/cloudtrail/published beside the repo), the repo's change events
(tests/data/changes) and its example trail (examples/small/logs), runs the tool's Logs
Insights SQL query, and checks the protocol (query lifecycle, statistics, errors), the
injected faults and the OpenSearch SQL -> DuckDB translations listed in cloudwatch_logs.py.

Run: .venv/bin/python -m pytest -q tests/emulators/test_cloudwatch_logs.py
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import boto3
import duckdb
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudtrail_events import load_events
from logs_engine import LogsEngine, discovered_fields
from logs_sql import spark_tokens
from lake_schema import compact_json
from test_lake import FIXTURES, error_code, read_port, stop, use_dummy_aws_environment
from test_lake import Emulator as LakeEmulator

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EMULATOR = HERE / "cloudwatch_logs.py"
CHANGES = REPO / "tests" / "data" / "changes"
SMALL = REPO / "examples" / "small" / "logs"
ACCOUNT = "999999999999"
TRAIL_GROUP = "aws-controltower/CloudTrailLogs"
GROUPS = [TRAIL_GROUP, f"changes={CHANGES}", f"small={SMALL}"]
ALL_TIME = {"startTime": 0, "endTime": 4_102_444_800}  # 1970 to 2100
LOGS_ERRORS = ("MalformedQueryException", "InvalidParameterException", "ResourceNotFoundException",
               "LimitExceededException")


def tool_query(group_reference: str, since: str, until: str, group_by: str = "1, 2, 3, 4, 5, 6, 7") -> str:
    """The tool's aggregated query, in the form the brief gives it."""
    return f"""SELECT `userIdentity.onBehalfOf.userId` AS on_behalf_of_user_id, `userIdentity.onBehalfOf.identityStoreArn` AS identity_store_arn, `userIdentity.principalId` AS principal_id, `userIdentity.userName` AS user_name, `eventName` AS event_name, `serviceEventDetails.account_id` AS account_id, `serviceEventDetails.role_name` AS role_name, MAX(`eventTime`) AS last_event_time, COUNT(DISTINCT `eventID`) AS event_count
FROM {group_reference}
WHERE `eventTime` >= '{since}' AND `eventTime` <= '{until}' AND (`errorCode` IS NULL OR `errorCode` = '') AND ((`eventSource` = 'sso.amazonaws.com' AND `eventName` IN ('Federate', 'GetRoleCredentials')) OR (`eventSource` = 'signin.amazonaws.com' AND `eventName` = 'UserAuthentication' AND `serviceEventDetails.UserAuthentication` = 'Success'))
GROUP BY {group_by}"""


GROUP_KEYS = ("userIdentity.onBehalfOf.userId", "userIdentity.onBehalfOf.identityStoreArn", "userIdentity.principalId",
              "userIdentity.userName", "eventName", "serviceEventDetails.account_id", "serviceEventDetails.role_name")
REPEATED_GROUP_BY = ", ".join(f"`{key}`" for key in GROUP_KEYS)
TOOL_FIELDS = ("on_behalf_of_user_id", "identity_store_arn", "principal_id", "user_name", "event_name", "account_id",
               "role_name", "last_event_time", "event_count")
IN_2026 = ("2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z")


def canonical(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in one order whatever their keys' order (SQL without ORDER BY has none)."""
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


def path_value(event: dict[str, Any], dotted: str) -> str | None:
    value: Any = event
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else str(value)


def expected_tool_rows(events: list[dict[str, Any]], since: str, until: str) -> list[dict[str, str]]:
    """The tool query's answer, computed here in Python, NULL fields left out."""
    groups: dict[tuple[str | None, ...], tuple[str, set[str]]] = {}
    for event in events:
        chosen = (event.get("eventSource"), event.get("eventName")) in (
            ("sso.amazonaws.com", "Federate"), ("sso.amazonaws.com", "GetRoleCredentials")) or (
            event.get("eventSource") == "signin.amazonaws.com" and event.get("eventName") == "UserAuthentication"
            and path_value(event, "serviceEventDetails.UserAuthentication") == "Success")
        if not chosen or event.get("errorCode") not in (None, "") or not since <= event["eventTime"] <= until:
            continue
        key = tuple(path_value(event, name) for name in GROUP_KEYS)
        last, ids = groups.get(key, ("", set()))
        groups[key] = (max(last, event["eventTime"]), ids | {event["eventID"]})
    rows = []
    for key, (last, ids) in groups.items():
        values = (*key, last, str(len(ids)))
        rows.append({name: value for name, value in zip(TOOL_FIELDS, values) if value is not None})
    return canonical(rows)


# ---------------------------------------------------------------- harness


class Emulator(LakeEmulator):
    """A running cloudwatch_logs.py (test_lake's harness: process, endpoint, calls log) and a
    boto3 CloudWatch Logs client pointed at it, which does not retry."""

    def __init__(self, process: subprocess.Popen[str], port: int, calls_log: Path) -> None:
        super().__init__(process, port, calls_log)
        self.client = boto3.client("logs", endpoint_url=self.endpoint, region_name="us-east-1", config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False))

    def start(self, sql: str, **params: Any) -> str:
        return self.client.start_query(queryLanguage="SQL", queryString=sql, **{**ALL_TIME, **params})["queryId"]

    def finish(self, query_id: str) -> dict[str, Any]:
        """GetQueryResults until a final status; the answer, with every status seen."""
        statuses = []
        for _ in range(20):
            answer = self.client.get_query_results(queryId=query_id)
            statuses.append(answer["status"])
            if answer["status"] not in ("Scheduled", "Running"):
                return {**answer, "statuses": statuses}
        raise AssertionError(f"query {query_id} never finished: {statuses}")

    def rows(self, sql: str, **params: Any) -> list[dict[str, str]]:
        """A query's rows as {field: value}, sorted (SQL without ORDER BY has no order)."""
        answer = self.finish(self.start(sql, **params))
        assert answer["status"] == "Complete", answer["status"]
        return canonical([as_dict(row) for row in answer["results"]])


def as_dict(row: list[dict[str, Any]]) -> dict[str, Any]:
    return {cell["field"]: cell["value"] for cell in row}


def command_line(calls_log: Path, config_path: Path | None, groups: list[str]) -> list[str]:
    command = [sys.executable, str(EMULATOR), "--events", str(FIXTURES), "--account", ACCOUNT,
               "--calls-log", str(calls_log)]
    for group in groups:
        command += ["--log-group", group]
    return command + (["--config", str(config_path)] if config_path else [])


@contextmanager
def emulator(tmp_path: Path, config: dict[str, Any] | None = None, groups: list[str] = GROUPS) -> Iterator[Emulator]:
    serial = len(list(tmp_path.iterdir()))
    config_path = None if config is None else tmp_path / f"config-{serial}.json"
    if config_path is not None:
        config_path.write_text(json.dumps(config))
    calls_log = tmp_path / f"calls-{serial}.jsonl"
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    process = subprocess.Popen(command_line(calls_log, config_path, groups), text=True, **pipes)
    try:
        running = Emulator(process, read_port(process), calls_log)
        yield running
    finally:
        stop(process)


FAST = {"polls_before_running": 0, "polls_before_finish": 0}


@pytest.fixture(autouse=True)
def dummy_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    use_dummy_aws_environment(monkeypatch)
    monkeypatch.delenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", raising=False)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The emulator with its default config (1 Scheduled, 2 Running polls)."""
    assert FIXTURES.is_dir(), f"published fixtures not found at {FIXTURES}"
    with pytest.MonkeyPatch.context() as patch:
        use_dummy_aws_environment(patch)
        with emulator(tmp_path_factory.mktemp("logs")) as running:
            yield running


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The emulator answering Complete at the first GetQueryResults."""
    with pytest.MonkeyPatch.context() as patch:
        use_dummy_aws_environment(patch)
        with emulator(tmp_path_factory.mktemp("fast"), FAST) as running:
            yield running


def refused(client_call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as error:
        client_call(**params)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error_code(error)


def raw_call(endpoint: str, operation: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, Any]]:
    """A request as bytes on the wire (boto3 would hide a null value): status, headers, body."""
    request = urllib.request.Request(endpoint, data=json.dumps(params).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{operation}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# ---------------------------------------------------------------- the tool's query


def test_query_goes_scheduled_running_complete(logs: Emulator) -> None:
    query_id = logs.start(tool_query(f"`logGroups(logGroupIdentifier: ['{TRAIL_GROUP}'])`", *IN_2026))
    assert len(query_id) == 36
    answer = logs.finish(query_id)
    assert answer["statuses"] == ["Scheduled", "Running", "Running", "Complete"]
    assert answer["queryLanguage"] == "SQL"
    assert "encryptionKey" not in answer


def test_statistics_grow_with_the_status(logs: Emulator) -> None:
    query_id = logs.start(f"SELECT `eventName` FROM `{TRAIL_GROUP}`")
    seen = [logs.client.get_query_results(queryId=query_id) for _ in range(4)]
    assert [answer["status"] for answer in seen] == ["Scheduled", "Running", "Running", "Complete"]
    assert [len(answer["results"]) for answer in seen] == [0, 0, 0, 15]
    assert seen[0]["statistics"]["recordsScanned"] == 0 and seen[0]["statistics"]["bytesScanned"] == 0
    assert 0 < seen[1]["statistics"]["bytesScanned"] < seen[3]["statistics"]["bytesScanned"]
    final = seen[3]["statistics"]
    events = load_events(FIXTURES).events
    assert final == {"recordsMatched": 15.0, "recordsScanned": 15.0, "logGroupsScanned": 1.0, "resultCount": 15.0,
                     "bytesScanned": float(sum(len(compact_json(event).encode()) for event in events))}


def test_tool_query_in_2026_on_the_published_fixtures(fast: Emulator) -> None:
    rows = fast.rows(tool_query(f"`logGroups(logGroupIdentifier: ['{TRAIL_GROUP}'])`", *IN_2026))
    assert rows == [{"on_behalf_of_user_id": "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
                     "identity_store_arn": "arn:aws:identitystore::607481581596:identitystore/d-976710cc5d",
                     "event_name": "GetRoleCredentials", "account_id": "950363612855",
                     "role_name": "AdministratorAccess", "last_event_time": "2026-07-01T00:08:20Z",
                     "event_count": "1"}]


# One row per event the query selects from the published fixtures over ten years: the three
# generations of userIdentity (old: userName and principalId; transitional: both and
# onBehalfOf; new: onBehalfOf only).
PUBLISHED_SELECTION = [
    ("UserAuthentication", None, None, "sampleaccountid1", "ssouser01", None, None, "2023-03-29T12:55:53Z"),
    ("UserAuthentication", "f12bb510-a011-702f-10dd-5607e2776dbc",
     "arn:aws:identitystore::123456789012:identitystore/d-9a670c546e", "123456789012", "demo-user-2", None, None,
     "2025-08-07T14:09:07Z"),
    ("UserAuthentication", None, None, "111122223333", "user1", None, None, "2020-12-07T20:34:09Z"),
    ("Federate", None, None, "95671c316d-7a6a2ff4-4eb0-414a-9447-a1decc0c7c1e", "ssouser01", "sampleaccountid2",
     "AdministratorAccess", "2023-03-29T12:56:43Z"),
    ("GetRoleCredentials", "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
     "arn:aws:identitystore::607481581596:identitystore/d-976710cc5d", None, None, "950363612855",
     "AdministratorAccess", "2026-07-01T00:08:20Z"),
]


def test_tool_query_over_ten_years_on_the_published_fixtures(fast: Emulator) -> None:
    rows = fast.rows(tool_query(f"`logGroups(logGroupIdentifier: ['{TRAIL_GROUP}'])`", "2016-11-21T00:00:00Z",
                                "2026-11-22T00:00:00Z"))
    order = ("event_name", "on_behalf_of_user_id", "identity_store_arn", "principal_id", "user_name", "account_id",
             "role_name", "last_event_time")
    expected = [{**{name: value for name, value in zip(order, values) if value is not None}, "event_count": "1"}
                for values in PUBLISHED_SELECTION]
    assert rows == canonical(expected)
    assert rows == expected_tool_rows(load_events(FIXTURES).events, "2016-11-21T00:00:00Z", "2026-11-22T00:00:00Z")


@pytest.mark.parametrize("group_by", ["1, 2, 3, 4, 5, 6, 7", REPEATED_GROUP_BY])
def test_tool_query_on_the_example_trail_gives_max_times_and_counts(fast: Emulator, group_by: str) -> None:
    """Many events per user and account: the aggregates, with ordinals or expressions in GROUP BY."""
    rows = fast.rows(tool_query("`logGroups(logGroupIdentifier: ['small'])`", *IN_2026, group_by=group_by),
                     startTime=epoch(IN_2026[0]), endTime=epoch(IN_2026[1]))
    expected = expected_tool_rows(load_events(SMALL).events, *IN_2026)
    assert rows == expected
    assert len(rows) > 20 and any(int(row["event_count"]) > 1 for row in rows)


def test_time_range_excludes_events(fast: Emulator) -> None:
    """StartQuery's startTime/endTime (seconds, inclusive) filter on @timestamp."""
    since, until = epoch("2026-07-01T00:08:20Z"), epoch("2026-07-01T00:08:20Z")
    answer = fast.finish(fast.start(f"SELECT `eventName` AS e, `@timestamp` AS t FROM `{TRAIL_GROUP}`",
                                    startTime=since, endTime=until))
    assert sorted(as_dict(row)["e"] for row in answer["results"]) == [
        "AssumeRoleWithSAML", "GetCallerIdentity", "GetRoleCredentials"]
    assert {as_dict(row)["t"] for row in answer["results"]} == {"2026-07-01 00:08:20.000"}
    in_range = [event for event in load_events(FIXTURES).events if event["eventTime"] == "2026-07-01T00:08:20Z"]
    assert answer["statistics"]["recordsScanned"] == 3
    assert answer["statistics"]["bytesScanned"] == sum(len(compact_json(event).encode()) for event in in_range)
    rows = fast.rows(tool_query(f"`{TRAIL_GROUP}`", "2016-11-21T00:00:00Z", "2026-11-22T00:00:00Z"),
                     startTime=epoch("2023-01-01T00:00:00Z"), endTime=epoch("2024-01-01T00:00:00Z"))
    assert [row["event_name"] for row in rows] == ["Federate", "UserAuthentication"]


# ---------------------------------------------------------------- limits and truncation


def test_rows_are_cut_at_max_rows_without_a_sign(tmp_path: Path) -> None:
    with emulator(tmp_path, {**FAST, "max_rows": 2}) as running:
        answer = running.finish(running.start(tool_query(f"`{TRAIL_GROUP}`", "2016-11-21T00:00:00Z",
                                                         "2026-11-22T00:00:00Z")))
        assert answer["status"] == "Complete" and len(answer["results"]) == 2
        assert answer["statistics"]["resultCount"] == 2
        assert answer["statistics"]["recordsMatched"] == 5
        answer = running.finish(running.start(f"SELECT `eventID` FROM `{TRAIL_GROUP}`", limit=1))
        assert len(answer["results"]) == 1


def test_limit_parameter_cuts_rows(fast: Emulator) -> None:
    answer = fast.finish(fast.start(f"SELECT `eventID` FROM `{TRAIL_GROUP}`", limit=4))
    assert answer["status"] == "Complete" and len(answer["results"]) == 4
    answer = fast.finish(fast.start(f"SELECT `eventID` FROM `{TRAIL_GROUP}` LIMIT 3", limit=4))
    assert len(answer["results"]) == 3


@pytest.mark.parametrize("limit", [0, 10_001, 100_001])
def test_limits_out_of_range_for_sql_are_refused(fast: Emulator, limit: int) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=f"SELECT * FROM `{TRAIL_GROUP}`",
                   limit=limit, **ALL_TIME) == "InvalidParameterException"


# ---------------------------------------------------------------- StopQuery


def test_stop_query(logs: Emulator) -> None:
    query_id = logs.start(f"SELECT * FROM `{TRAIL_GROUP}`")
    assert logs.client.get_query_results(queryId=query_id)["status"] == "Scheduled"
    assert logs.client.stop_query(queryId=query_id)["success"] is True
    answer = logs.client.get_query_results(queryId=query_id)
    assert (answer["status"], answer["results"], answer["statistics"]["bytesScanned"]) == ("Cancelled", [], 0)
    assert refused(logs.client.stop_query, queryId=query_id) == "InvalidParameterException"
    assert refused(logs.client.stop_query, queryId="00000000-0000-0000-0000-000000000000") == \
        "ResourceNotFoundException"
    assert refused(logs.client.get_query_results, queryId="nope") == "ResourceNotFoundException"


def test_stop_a_running_query_keeps_its_statistics(logs: Emulator) -> None:
    query_id = logs.start(f"SELECT * FROM `{TRAIL_GROUP}`")
    logs.client.get_query_results(queryId=query_id)
    assert logs.client.get_query_results(queryId=query_id)["status"] == "Running"
    logs.client.stop_query(queryId=query_id)
    answer = logs.client.get_query_results(queryId=query_id)
    assert answer["status"] == "Cancelled" and answer["results"] == []
    assert answer["statistics"]["bytesScanned"] > 0


def test_stop_a_complete_query_is_refused(fast: Emulator) -> None:
    query_id = fast.start(f"SELECT * FROM `{TRAIL_GROUP}`")
    assert fast.finish(query_id)["status"] == "Complete"
    assert refused(fast.client.stop_query, queryId=query_id) == "InvalidParameterException"


# ---------------------------------------------------------------- what StartQuery refuses


@pytest.mark.parametrize("language", [None, "CWLI", "PPL"])
def test_only_sql_runs(fast: Emulator, language: str | None) -> None:
    params = {"queryString": "fields @timestamp | limit 1", "logGroupName": TRAIL_GROUP, **ALL_TIME}
    if language:
        params["queryLanguage"] = language
    with pytest.raises(ClientError) as error:
        fast.client.start_query(**params)
    assert error_code(error) == "MalformedQueryException"
    assert "SQL only" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize("reference", [
    "`no-such-group`", "no_such_group", "`logGroups(logGroupIdentifier: ['aws-controltower/CloudTrailLogs', 'nope'])`",
    f"`arn:aws:logs:us-west-2:{ACCOUNT}:log-group:{TRAIL_GROUP}`",
    f"`arn:aws:logs:us-east-1:111122223333:log-group:{TRAIL_GROUP}`",
    f"`arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{TRAIL_GROUP}:*`",
])
def test_unknown_log_group_is_not_found(fast: Emulator, reference: str) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=f"SELECT * FROM {reference}",
                   **ALL_TIME) == "ResourceNotFoundException"


@pytest.mark.parametrize("parameter", [{"logGroupName": TRAIL_GROUP}, {"logGroupNames": [TRAIL_GROUP]},
                                       {"logGroupIdentifiers": [TRAIL_GROUP]}])
def test_log_groups_as_parameters_are_refused_with_sql(fast: Emulator, parameter: dict[str, Any]) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=f"SELECT * FROM `{TRAIL_GROUP}`",
                   **parameter, **ALL_TIME) == "InvalidParameterException"


def test_log_group_parameters_can_be_ignored(tmp_path: Path) -> None:
    with emulator(tmp_path, {**FAST, "sql_log_group_parameters": "ignore"}, [TRAIL_GROUP]) as running:
        rows = running.rows(f"SELECT COUNT(*) AS n FROM `{TRAIL_GROUP}`", logGroupName="ignored")
        assert rows == [{"n": "15"}]


@pytest.mark.parametrize("sql", [
    f"SELECT FROM WHERE `{TRAIL_GROUP}`",  # syntax
    f"SELECT * FROM `{TRAIL_GROUP}`; SELECT * FROM `{TRAIL_GROUP}`",  # two statements
    f"WITH x AS (SELECT * FROM `{TRAIL_GROUP}`) SELECT * FROM x",  # documented: no CTEs
    f"SELECT eventName, EVENTNAME FROM `{TRAIL_GROUP}`",  # documented: one spelling per field
    "SELECT 1",  # no log group
    f"SELECT * FROM `{TRAIL_GROUP}`, `changes`",  # documented: not several groups after FROM
    f"SELECT * FROM `{TRAIL_GROUP}` WHERE eventName = 'open",  # unterminated literal
    "SELECT * FROM `filterIndex('region' = 'us-east-1')`",  # not emulated
    "SELECT * FROM `logGroups(namePrefix: ['aws'])`",  # not emulated
])
def test_malformed_queries_are_refused_at_start(fast: Emulator, sql: str) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=sql, **ALL_TIME) == \
        "MalformedQueryException"


@pytest.mark.parametrize("params", [{"startTime": 10, "endTime": 5}, {"startTime": 10}, {"endTime": 10},
                                    {"startTime": "yesterday", "endTime": 5}])
def test_bad_time_ranges_are_refused(fast: Emulator, params: dict[str, Any]) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=f"SELECT * FROM `{TRAIL_GROUP}`",
                   **params) == "InvalidParameterException"


def test_a_query_that_fails_while_running_ends_failed(fast: Emulator) -> None:
    answer = fast.finish(fast.start(f"SELECT no_such_function(`eventName`) FROM `{TRAIL_GROUP}`"))
    assert (answer["status"], answer["results"]) == ("Failed", [])
    assert answer["statistics"]["bytesScanned"] == 0


def test_paging_is_not_supported_for_sql(fast: Emulator) -> None:
    query_id = fast.start(f"SELECT * FROM `{TRAIL_GROUP}`")
    assert len(fast.client.get_query_results(queryId=query_id, maxItems=1)["results"]) == 15
    assert refused(fast.client.get_query_results, queryId=query_id, nextToken="abc") == "InvalidParameterException"


# ---------------------------------------------------------------- files and groups


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    f"SELECT * FROM `{TRAIL_GROUP}` WHERE eventName IN (SELECT * FROM read_text('/etc/passwd'))",
    f"SELECT * FROM `{TRAIL_GROUP}` JOIN read_csv('/etc/passwd') ON true",
])
def test_queries_cannot_read_files(fast: Emulator, sql: str) -> None:
    assert refused(fast.client.start_query, queryLanguage="SQL", queryString=sql, **ALL_TIME) in LOGS_ERRORS


def test_the_engine_has_no_file_access_once_sealed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    engine = LogsEngine()
    engine.seal()
    for sql in (f"SELECT * FROM read_csv('{secret}')", "SET enable_external_access = true",
                f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'"):
        with pytest.raises(duckdb.Error):
            engine.connection.execute(sql)


def test_two_log_groups_are_unioned(fast: Emulator) -> None:
    rows = fast.rows(f"SELECT `@log` AS log, COUNT(*) AS n, MIN(`@logStream`) AS stream "
                     f"FROM `logGroups(logGroupIdentifier: ['{TRAIL_GROUP}', 'changes'])` GROUP BY `@log`")
    assert rows == [{"log": f"{ACCOUNT}:{TRAIL_GROUP}", "n": "15", "stream": "08966example_CloudTrail_us-east-1"},
                    {"log": f"{ACCOUNT}:changes", "n": str(len(load_events(CHANGES).events)),
                     "stream": "111122223333_CloudTrail_us-east-1"}]
    # A field only one group has is NULL in the other's rows.
    rows = fast.rows(f"SELECT `@log` AS log, COUNT(`requestParameters.membershipId`) AS n "
                     f"FROM `logGroups(logGroupIdentifier: ['{TRAIL_GROUP}', 'changes'])` GROUP BY 1")
    having = sum(1 for event in load_events(CHANGES).events if path_value(event, "requestParameters.membershipId"))
    assert having > 0
    assert rows == [{"log": f"{ACCOUNT}:{TRAIL_GROUP}", "n": "0"}, {"log": f"{ACCOUNT}:changes", "n": str(having)}]


def test_a_join_of_two_groups(fast: Emulator) -> None:
    rows = fast.rows(f"SELECT a.`eventName` AS a, b.`eventName` AS b FROM `{TRAIL_GROUP}` AS a "
                     f"INNER JOIN `changes` AS b ON a.`recipientAccountId` = b.`recipientAccountId` "
                     f"WHERE a.`eventName` = 'CreateToken' AND b.`errorCode` = 'AccessDeniedException'")
    assert rows == [{"a": "CreateToken", "b": "CreateAccountAssignment"}]


def test_calls_log_records_each_request(tmp_path: Path) -> None:
    with emulator(tmp_path, FAST, [TRAIL_GROUP]) as running:
        sql = f"SELECT COUNT(*) AS n FROM `{TRAIL_GROUP}`"
        query_id = running.start(sql, limit=5)
        running.client.get_query_results(queryId=query_id)
        running.client.describe_log_groups(logGroupNamePrefix="aws-")
        assert running.calls() == [
            {"operation": "StartQuery", "params": {"queryLanguage": "SQL", "queryString": sql, "limit": 5, **ALL_TIME}},
            {"operation": "GetQueryResults", "params": {"queryId": query_id}},
            {"operation": "DescribeLogGroups", "params": {"logGroupNamePrefix": "aws-"}}]


# ---------------------------------------------------------------- OpenSearch SQL on DuckDB


@pytest.mark.parametrize(("sql", "expected"), [
    # Backtick names, dotted fields, arrays by index, case-insensitive names keep the field's spelling.
    (f"SELECT `resources.1.ARN` AS arn, EVENTNAME FROM `{TRAIL_GROUP}` WHERE `resources.1.type` = "
     "'AWS::IAM::SAMLProvider'",
     [{"arn": "arn:aws:iam::950363612855:saml-provider/AWSSSO_9882ccf00912484e_DO_NOT_DELETE",
       "eventName": "AssumeRoleWithSAML"}]),
    # Double quotes are a string literal; backslash escapes and adjacent literals are Spark's.
    (f"SELECT COUNT(*) AS n FROM `{TRAIL_GROUP}` WHERE eventName = \"Federate\" OR eventName = 'Get' 'RoleCredentials'",
     [{"n": "2"}]),
    (f"SELECT 'it\\'s' AS a, 'tab\\there' AS b, \"say \\\"hi\\\"\" AS c FROM `{TRAIL_GROUP}` LIMIT 1",
     [{"a": "it's", "b": "tab\there", "c": 'say "hi"'}]),
    # MAX of strings, COUNT(DISTINCT), IN, string comparison of eventTime, string functions.
    (f"SELECT upper(`eventSource`) AS s, MAX(`eventTime`) AS t, COUNT(DISTINCT `eventID`) AS n, "
     f"substr(MIN(`eventTime`), 1, 4) AS y FROM `{TRAIL_GROUP}` WHERE `eventName` IN "
     f"('CredentialVerification', 'UserAuthentication') AND `eventTime` < '2025-08-08T00:00:00Z' GROUP BY 1",
     [{"s": "SIGNIN.AMAZONAWS.COM", "t": "2025-08-07T14:09:07Z", "n": "4", "y": "2020"}]),
    # A plain log group name needs no backticks after FROM.
    ("SELECT COUNT(*) AS n FROM changes", [{"n": "16"}]),  # 9 change events, 5 SCIM events, 2 sign-ins
    # `/` divides as floating point in Spark and DuckDB alike.
    (f"SELECT COUNT(*) / 2 AS half FROM `{TRAIL_GROUP}`", [{"half": "7.5"}]),
    # Spark's NULL order: first when ascending.
    (f"SELECT `userIdentity.userName` AS u FROM `{TRAIL_GROUP}` WHERE `eventName` IN "
     f"('UserAuthentication', 'GetRoleCredentials') ORDER BY 1 LIMIT 1", [{}]),
    # get_json_object on @message; FROM inside a function call and IS DISTINCT FROM are not sources.
    (f"SELECT get_json_object(`@message`, '$.userIdentity.type') AS t, EXTRACT(YEAR FROM CAST(`@timestamp` AS "
     f"TIMESTAMP)) AS y FROM `{TRAIL_GROUP}` WHERE `eventName` IS NOT DISTINCT FROM 'GetRoleCredentials'",
     [{"t": "IdentityCenterUser", "y": "2026"}]),
    # A field no event has is NULL (the published fixtures have no errorCode).
    (f"SELECT COUNT(*) AS n, MAX(`errorCode`) AS e FROM `{TRAIL_GROUP}` WHERE `errorCode` IS NULL", [{"n": "15"}]),
])
def test_opensearch_sql_runs_with_spark_meaning(fast: Emulator, sql: str, expected: list[dict[str, str]]) -> None:
    assert fast.rows(sql) == expected


def test_order_by_is_kept(fast: Emulator) -> None:
    answer = fast.finish(fast.start(f"SELECT `eventTime` AS t FROM `{TRAIL_GROUP}` ORDER BY `eventTime` DESC LIMIT 3"))
    assert [as_dict(row)["t"] for row in answer["results"]] == [
        "2026-07-01T00:08:20Z", "2026-07-01T00:08:20Z", "2026-07-01T00:08:20Z"]


def test_system_fields(fast: Emulator) -> None:
    rows = fast.rows(f"SELECT `@timestamp` AS ts, `@ingestionTime` AS it, `@logStream` AS ls, `@log` AS lg, "
                     f"`@message` AS m FROM `{TRAIL_GROUP}` WHERE `eventName` = 'GetRoleCredentials'")
    event = next(e for e in load_events(FIXTURES).events if e["eventName"] == "GetRoleCredentials")
    assert rows == [{"ts": "2026-07-01 00:08:20.000", "it": "2026-07-01 00:13:20.000",
                     "ls": "607481581596_CloudTrail_ap-southeast-2", "lg": f"{ACCOUNT}:{TRAIL_GROUP}",
                     "m": compact_json(event)}]


def test_discovered_fields_flatten_like_logs_insights() -> None:
    event = {"a": {"b": [{"c": 1}, {"d": True}], "e": None, "f": {}}, "@x": "y", "g": "h"}
    assert discovered_fields(event) == {"a.b.0.c": "1", "a.b.1.d": "true", "@@x": "y", "g": "h"}
    many = {f"k{index}": index for index in range(250)}
    fields = discovered_fields(many)
    assert len(fields) == 200 and list(fields)[-1] == "k199"


def test_tokens_keep_text_outside_literals() -> None:
    tokens = spark_tokens("SELECT `a``b`, 'x' -- 'c'\n 'y' FROM t")
    assert [(t.kind, t.value) for t in tokens if t.kind in ("ident", "string")] == [("ident", "a`b"), ("string", "xy")]


# ---------------------------------------------------------------- injected faults


@pytest.mark.parametrize("status", ["Failed", "Timeout"])
def test_injected_final_status(tmp_path: Path, status: str) -> None:
    with emulator(tmp_path, {"polls_before_running": 0, "polls_before_finish": 1, "final_status": status},
                  [TRAIL_GROUP]) as running:
        answer = running.finish(running.start(f"SELECT * FROM `{TRAIL_GROUP}`"))
        assert answer["statuses"] == ["Running", status] and answer["results"] == []


def test_queries_holding_a_text_can_fail(tmp_path: Path) -> None:
    with emulator(tmp_path, {**FAST, "failing_queries": ["@message"]}, [TRAIL_GROUP]) as running:
        assert running.finish(running.start(f"SELECT `@message` FROM `{TRAIL_GROUP}`"))["status"] == "Failed"
        assert running.finish(running.start(f"SELECT `eventName` FROM `{TRAIL_GROUP}`"))["status"] == "Complete"


def test_limit_exceeded_for_the_first_calls(tmp_path: Path) -> None:
    with emulator(tmp_path, {**FAST, "limit_exceeded": 2}, [TRAIL_GROUP]) as running:
        for _ in range(2):
            assert refused(running.client.start_query, queryLanguage="SQL", queryString="SELECT * FROM `x`",
                           **ALL_TIME) == "LimitExceededException"
        assert running.finish(running.start(f"SELECT * FROM `{TRAIL_GROUP}`"))["status"] == "Complete"


@pytest.mark.parametrize(("style", "expected"), [
    ("omit", [{"field": "e", "value": "GetRoleCredentials"}]),
    ("empty_string", [{"field": "e", "value": "GetRoleCredentials"}, {"field": "p", "value": ""}]),
    ("json_null", [{"field": "e", "value": "GetRoleCredentials"}, {"field": "p", "value": None}]),
])
def test_null_styles(tmp_path: Path, style: str, expected: list[dict[str, Any]]) -> None:
    with emulator(tmp_path, {**FAST, "null_style": style}, [TRAIL_GROUP]) as running:
        query_id = running.start(f"SELECT `eventName` AS e, `userIdentity.principalId` AS p FROM `{TRAIL_GROUP}` "
                                 "WHERE `eventName` = 'GetRoleCredentials'")
        status, _, answer = raw_call(running.endpoint, "GetQueryResults", {"queryId": query_id})
        assert (status, answer["results"]) == (200, [expected])


def test_partial_results_while_running_and_encryption_key(tmp_path: Path) -> None:
    key = "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = {"polls_before_running": 0, "polls_before_finish": 1, "running_results": "partial",
              "encryption_key": key}
    with emulator(tmp_path, config, [TRAIL_GROUP]) as running:
        query_id = running.start(f"SELECT `eventID` FROM `{TRAIL_GROUP}`")
        first = running.client.get_query_results(queryId=query_id)
        second = running.client.get_query_results(queryId=query_id)
        assert (first["status"], len(first["results"])) == ("Running", 7)
        assert (second["status"], len(second["results"])) == ("Complete", 15)
        assert second["encryptionKey"] == key


def test_unknown_fields_can_fail(tmp_path: Path) -> None:
    with emulator(tmp_path, {**FAST, "unknown_fields": "fail"}, [TRAIL_GROUP]) as running:
        assert running.finish(running.start(f"SELECT `errorCode` FROM `{TRAIL_GROUP}`"))["status"] == "Failed"
        assert running.finish(running.start(f"SELECT `eventName` FROM `{TRAIL_GROUP}`"))["status"] == "Complete"
        shielded = f"SELECT COALESCE(`errorCode`, '') AS e FROM `{TRAIL_GROUP}` WHERE COALESCE(`errorCode`, '') = ''"
        assert running.rows(shielded)[0] == {"e": ""}
        half = f"SELECT COALESCE(`errorCode`, '') AS e FROM `{TRAIL_GROUP}` WHERE `errorCode` IS NULL"
        assert running.finish(running.start(half))["status"] == "Failed"


def test_log_group_of_another_account_is_named_by_arn(tmp_path: Path) -> None:
    owner = "111122223333"
    arn = f"arn:aws:logs:us-east-1:{owner}:log-group:org-trail"
    with emulator(tmp_path, FAST, [f"{owner}:org-trail", f"changes={CHANGES}"]) as running:
        assert refused(running.client.start_query, queryLanguage="SQL", queryString="SELECT * FROM `org-trail`",
                       **ALL_TIME) == "ResourceNotFoundException"
        rows = running.rows(f"SELECT `@log` AS log, COUNT(*) AS n FROM `logGroups(logGroupIdentifier: "
                            f"['{arn}', 'changes'])` GROUP BY 1")
        assert rows == [{"log": f"{owner}:org-trail", "n": "15"}, {"log": f"{ACCOUNT}:changes", "n": "16"}]
        listed = running.client.describe_log_groups()["logGroups"]
        assert [group["logGroupName"] for group in listed] == ["changes"]
        linked = running.client.describe_log_groups(includeLinkedAccounts=True, accountIdentifiers=[owner])
        assert [group["logGroupArn"] for group in linked["logGroups"]] == [arn]
        found = running.client.describe_log_groups(logGroupIdentifiers=[arn], includeLinkedAccounts=True)
        assert [group["arn"] for group in found["logGroups"]] == [arn + ":*"]


# ---------------------------------------------------------------- log groups and queries


def test_describe_log_groups(logs: Emulator) -> None:
    groups = logs.client.describe_log_groups()["logGroups"]
    assert [group["logGroupName"] for group in groups] == [TRAIL_GROUP, "changes", "small"]
    trail = groups[0]
    assert trail["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{TRAIL_GROUP}:*"
    assert trail["logGroupArn"] == trail["arn"][:-2] and trail["logGroupClass"] == "STANDARD"
    assert trail["storedBytes"] == sum(len(compact_json(event).encode()) for event in load_events(FIXTURES).events)
    assert [g["logGroupName"] for g in logs.client.describe_log_groups(logGroupNamePrefix="aws-")["logGroups"]] == [
        TRAIL_GROUP]
    assert logs.client.describe_log_groups(logGroupNamePrefix="nope")["logGroups"] == []
    assert set(logs.client.describe_log_groups(logGroupNamePattern="CloudTrail")["logGroups"][0]) == {
        "logGroupName", "creationTime", "arn"}
    assert [g["logGroupName"] for g in logs.client.describe_log_groups(
        logGroupIdentifiers=["changes", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:small"])["logGroups"]] == [
        "changes", "small"]
    assert refused(logs.client.describe_log_groups, logGroupNamePrefix="a", logGroupNamePattern="b") == \
        "InvalidParameterException"


def test_describe_log_groups_pages(logs: Emulator) -> None:
    names, token = [], None
    for _ in range(5):
        page = logs.client.describe_log_groups(limit=1, **({"nextToken": token} if token else {}))
        names += [group["logGroupName"] for group in page["logGroups"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert names == [TRAIL_GROUP, "changes", "small"]
    assert refused(logs.client.describe_log_groups, limit=1, nextToken="bad") == "InvalidParameterException"


def test_describe_queries(tmp_path: Path) -> None:
    with emulator(tmp_path, FAST, [TRAIL_GROUP]) as running:
        sql = f"SELECT * FROM `{TRAIL_GROUP}`"
        query_id = running.start(sql)
        queries = running.client.describe_queries(logGroupName=TRAIL_GROUP)["queries"]
        assert [(q["queryId"], q["status"], q["queryString"], q["queryLanguage"]) for q in queries] == [
            (query_id, "Scheduled", sql, "SQL")]
        running.finish(query_id)
        assert running.client.describe_queries(status="Complete")["queries"][0]["queryId"] == query_id
        assert running.client.describe_queries(logGroupName="other")["queries"] == []


def test_the_sdk_finds_the_emulator_through_aws_endpoint_url(logs: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """How the Rust tests point the tool at it: AWS_ENDPOINT_URL, dummy keys, --region's Region."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", logs.endpoint)
    client = boto3.client("logs", region_name="us-east-1")
    assert [group["logGroupName"] for group in client.describe_log_groups(logGroupNamePrefix="small")["logGroups"]] \
        == ["small"]


def test_raw_protocol_errors(logs: Emulator) -> None:
    status, headers, answer = raw_call(logs.endpoint, "PutLogEvents", {})
    assert (status, headers["x-amzn-ErrorType"], headers["Content-Type"]) == (
        400, "UnknownOperationException", "application/x-amz-json-1.1")
    assert answer == {"__type": "UnknownOperationException", "message": "Unknown operation 'Logs_20140328.PutLogEvents'."}
    status, _, answer = raw_call(logs.endpoint, "StartQuery", {"queryLanguage": "SQL"})
    assert (status, answer["__type"]) == (400, "InvalidParameterException")


# ---------------------------------------------------------------- start-up and lifecycle


@pytest.mark.parametrize("config", [{"polls_before_runing": 1}, {"final_status": "FINISHED"}, {"max_rows": 0}])
def test_bad_config_is_refused(tmp_path: Path, config: dict[str, Any]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    result = subprocess.run([sys.executable, str(EMULATOR), "--events", str(FIXTURES), "--log-group", TRAIL_GROUP,
                             "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "config" in result.stderr


@pytest.mark.parametrize("arguments", [["--log-group", "bad name"], ["--log-group", "g"],
                                       ["--log-group", "12:g=/tmp"]])
def test_bad_arguments_are_refused(arguments: list[str]) -> None:
    result = subprocess.run([sys.executable, str(EMULATOR), *arguments], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2


@pytest.mark.parametrize("ending", ["stdin closed", "SIGTERM"])
def test_stops_cleanly(tmp_path: Path, ending: str) -> None:
    with emulator(tmp_path, groups=[TRAIL_GROUP]) as running:
        if ending == "SIGTERM":
            running.process.send_signal(signal.SIGTERM)
        else:
            running.process.stdin.close()
        assert running.process.wait(timeout=10) == 0
