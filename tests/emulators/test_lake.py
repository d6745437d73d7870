"""Self-test of the CloudTrail Lake emulator, through boto3's real CloudTrail client.

The Rust integration tests trust the emulator to answer as Lake does; these tests are what
that trust rests on. They start lake.py as a subprocess on the published CloudTrail
fixtures (../shared/fixtures/cloudtrail/published beside the repo), run the tool's query
unchanged, and check the protocol (status progression, paging, string values, error
codes), the injected faults and the Trino/DuckDB corrections listed in lake.py.

Run: .venv/bin/python -m pytest tests/emulators -q
"""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudtrail_events import load_events
from lake_sql import rewrite_for_duckdb

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "cloudtrail" / "published"
LAKE = HERE / "lake.py"
STORE_ID = "EXAMPLE-ee54-4813-92d5-999aeEXAMPLE"
ACCOUNT = "999999999999"
STARTUP_SECONDS = 30

TOOL_QUERY = f"""SELECT userIdentity.onBehalfOf.userId AS on_behalf_of_user_id,
       userIdentity.onBehalfOf.identityStoreArn AS identity_store_arn,
       userIdentity.principalId AS principal_id,
       userIdentity.userName AS user_name,
       eventName AS event_name,
       element_at(serviceEventDetails, 'account_id') AS account_id,
       element_at(serviceEventDetails, 'role_name') AS role_name,
       max(eventTime) AS last_event_time,
       count(DISTINCT eventID) AS event_count
FROM {STORE_ID}
WHERE eventTime >= timestamp '2016-11-21 00:00:00' AND eventTime <= timestamp '2026-11-22 00:00:00'
  AND (errorCode IS NULL OR errorCode = '')
  AND ((eventSource = 'sso.amazonaws.com' AND eventName IN ('Federate', 'GetRoleCredentials'))
    OR (eventSource = 'signin.amazonaws.com' AND eventName = 'UserAuthentication'
        AND element_at(serviceEventDetails, 'UserAuthentication') = 'Success'))
GROUP BY 1, 2, 3, 4, 5, 6, 7"""

TOOL_COLUMNS = ["on_behalf_of_user_id", "identity_store_arn", "principal_id", "user_name", "event_name",
                "account_id", "role_name", "last_event_time", "event_count"]


def tool_row(obo: str | None, store: str | None, principal: str | None, user: str | None, event: str,
             account: str | None, role: str | None, last: str) -> dict[str, str]:
    """An expected result row, without its NULL columns (the emulator omits them)."""
    values = [obo, store, principal, user, event, account, role, last, "1"]
    return {column: value for column, value in zip(TOOL_COLUMNS, values) if value is not None}


# One row per fixture event the query selects (one event per group, so event_count is 1).
EXPECTED_TOOL_ROWS = [
    # idc-new-GetRoleCredentials.json: new format, no userName/principalId.
    tool_row("976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
             "arn:aws:identitystore::607481581596:identitystore/d-976710cc5d", None, None,
             "GetRoleCredentials", "950363612855", "AdministratorAccess", "2026-07-01 00:08:20.000"),
    # idc-old-Federate-seed.json: old format, user id in principalId.
    tool_row(None, None, "95671c316d-7a6a2ff4-4eb0-414a-9447-a1decc0c7c1e", "ssouser01", "Federate",
             "sampleaccountid2", "AdministratorAccess", "2023-03-29 12:56:43.000"),
    # idc-old-UserAuthentication-seed.json
    tool_row(None, None, "sampleaccountid1", "ssouser01", "UserAuthentication", None, None,
             "2023-03-29 12:55:53.000"),
    # idc-old-UserAuthentication.json
    tool_row(None, None, "111122223333", "user1", "UserAuthentication", None, None, "2020-12-07 20:34:09.000"),
    # idc-transitional-UserAuthentication.json: userName and onBehalfOf together.
    tool_row("f12bb510-a011-702f-10dd-5607e2776dbc",
             "arn:aws:identitystore::123456789012:identitystore/d-9a670c546e", "123456789012", "demo-user-2",
             "UserAuthentication", None, None, "2025-08-07 14:09:07.000"),
]


# ---------------------------------------------------------------- harness


class Emulator:
    """A running lake.py and a boto3 CloudTrail client pointed at it."""

    def __init__(self, process: subprocess.Popen[str], port: int, calls_log: Path) -> None:
        self.process = process
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.calls_log = calls_log
        self.client = boto3.client("cloudtrail", endpoint_url=self.endpoint, config=Config(
            retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False))

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_log.exists():
            return []
        return [json.loads(line) for line in self.calls_log.read_text().splitlines()]


def read_port(process: subprocess.Popen[str]) -> int:
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        stderr = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"lake.py exited before announcing its port: {stderr}")
    return int(json.loads(line)["port"])


def stop(process: subprocess.Popen[str]) -> None:
    if process.stdin and not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def emulator(tmp_path: Path, config: dict[str, Any] | None = None, events: Path = FIXTURES) -> Iterator[Emulator]:
    calls_log = tmp_path / f"calls-{len(list(tmp_path.iterdir()))}.jsonl"
    command = [sys.executable, str(LAKE), "--events", str(events), "--event-data-store-id", STORE_ID,
               "--account", ACCOUNT, "--calls-log", str(calls_log)]
    if config is not None:
        config_path = tmp_path / f"config-{len(list(tmp_path.iterdir()))}.json"
        config_path.write_text(json.dumps(config))
        command += ["--config", str(config_path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        yield Emulator(process, read_port(process), calls_log)
    finally:
        stop(process)


DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def use_dummy_aws_environment(patch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, and no profile or endpoint of the machine's user leaking in."""
    for name, value in DUMMY_AWS_ENVIRONMENT.items():
        patch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDTRAIL"):
        patch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def dummy_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    use_dummy_aws_environment(monkeypatch)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The emulator with its default config, shared by the tests that inject nothing."""
    assert FIXTURES.is_dir(), f"published fixtures not found at {FIXTURES}"
    with pytest.MonkeyPatch.context() as patch:
        use_dummy_aws_environment(patch)
        with emulator(tmp_path_factory.mktemp("lake")) as running:
            yield running


def poll(client: Any, query_id: str, limit: int = 20, **params: Any) -> list[str]:
    """DescribeQuery until a terminal status; returns every status seen."""
    statuses: list[str] = []
    for _ in range(limit):
        statuses.append(client.describe_query(QueryId=query_id, **params)["QueryStatus"])
        if statuses[-1] in ("FINISHED", "FAILED", "CANCELLED", "TIMED_OUT"):
            return statuses
    raise AssertionError(f"query {query_id} never finished: {statuses}")


def all_pages(client: Any, query_id: str, **params: Any) -> list[dict[str, Any]]:
    pages = [client.get_query_results(QueryId=query_id, **params)]
    while "NextToken" in pages[-1]:
        pages.append(client.get_query_results(QueryId=query_id, NextToken=pages[-1]["NextToken"], **params))
    return pages


def run_query(client: Any, sql: str) -> list[list[dict[str, Any]]]:
    """Runs a query to the end and returns its rows as Lake gives them."""
    query_id = client.start_query(QueryStatement=sql)["QueryId"]
    assert poll(client, query_id)[-1] == "FINISHED"
    return [row for page in all_pages(client, query_id) for row in page["QueryResultRows"]]


def as_dict(row: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: value for column in row for key, value in column.items()}


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


# ---------------------------------------------------------------- the tool's query


def test_tool_query_goes_queued_running_finished(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
    assert len(query_id) == 36
    assert poll(lake.client, query_id) == ["QUEUED", "RUNNING", "RUNNING", "FINISHED"]
    described = lake.client.describe_query(QueryId=query_id)
    assert described["QueryString"] == TOOL_QUERY
    statistics = described["QueryStatistics"]
    assert statistics["EventsScanned"] == 15  # 17 files, two eventIDs published twice
    assert statistics["EventsMatched"] == 5
    assert statistics["BytesScanned"] > 0
    assert statistics["CreationTime"].year >= 2024


def test_tool_query_pages_one_row_at_a_time(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
    poll(lake.client, query_id)
    pages = all_pages(lake.client, query_id, MaxQueryResults=1)
    assert len(pages) == 5
    assert all(page["QueryStatus"] == "FINISHED" for page in pages)
    assert [page["QueryStatistics"]["ResultsCount"] for page in pages] == [1] * 5
    assert {page["QueryStatistics"]["TotalResultsCount"] for page in pages} == {5}
    rows = [page["QueryResultRows"][0] for page in pages]
    for row in rows:
        assert all(len(column) == 1 for column in row), "each column is a single-key map"
        assert all(isinstance(value, str) for column in row for value in column.values())
        keys = [next(iter(column)) for column in row]
        assert keys == [name for name in TOOL_COLUMNS if name in keys], "columns in SELECT order"
    assert sorted(map(as_dict, rows), key=str) == sorted(EXPECTED_TOOL_ROWS, key=str)


def test_calls_log_records_each_request_with_its_params(lake: Emulator) -> None:
    before = len(lake.calls())
    query_id = lake.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
    lake.client.describe_query(QueryId=query_id)
    calls = lake.calls()[before:]
    assert [call["operation"] for call in calls] == ["StartQuery", "DescribeQuery"]
    assert calls[0]["params"] == {"QueryStatement": TOOL_QUERY}
    assert calls[1]["params"] == {"QueryId": query_id}


# ---------------------------------------------------------------- Lake SQL on DuckDB


@pytest.mark.parametrize(("sql", "expected"), [
    # element_at: the value or NULL (omitted), never a list.
    (f"SELECT element_at(serviceEventDetails, 'role_name') AS v FROM {STORE_ID} "
     "WHERE eventName = 'GetRoleCredentials'", [{"v": "AdministratorAccess"}]),
    (f"SELECT element_at(serviceEventDetails, 'nope') AS v, eventid AS id FROM {STORE_ID} "
     "WHERE eventName = 'GetRoleCredentials'", [{"id": "049a5a98-7ad4-4399-b735-eedddb45aa0f"}]),
    # Struct fields in any case, on the documented lowercase columns.
    (f"SELECT USERIDENTITY.ONBEHALFOF.USERID AS a, useridentity.onbehalfof.userid AS b, "
     f"userIdentity.onBehalfOf.userId AS c FROM {STORE_ID} WHERE eventName = 'GetRoleCredentials'",
     [{"a": "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa", "b": "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
       "c": "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa"}]),
    # Timestamps as Trino's timestamp(3) text; comparison with a string works.
    (f"SELECT max(eventTime) AS t FROM {STORE_ID} WHERE eventTime < '2020-12-08 00:00:00' "
     "AND eventTime >= timestamp '2020-12-07 00:00:00'", [{"t": "2020-12-07 20:34:09.000"}]),
    # count(DISTINCT), IN, GROUP BY ordinal, ORDER BY.
    (f"SELECT eventSource AS s, count(DISTINCT eventID) AS n FROM {STORE_ID} "
     "WHERE eventName IN ('CredentialVerification', 'UserAuthentication') GROUP BY 1 ORDER BY 1",
     [{"s": "signin.amazonaws.com", "n": "5"}]),
    # Trino's names: lowercase, last part of a reference, _colN for an expression.
    (f"SELECT eventName, userIdentity.userName, count(*) FROM {STORE_ID} "
     "WHERE eventName = 'Federate' GROUP BY 1, 2",
     [{"eventname": "Federate", "username": "ssouser01", "_col2": "1"}]),
    # Integer division, booleans, maps as {k=v}.
    (f"SELECT 7 / 2 AS q, readOnly AS r, serviceEventDetails AS d FROM {STORE_ID} "
     "WHERE eventName = 'GetRoleCredentials'",
     [{"q": "3", "r": "true", "d": "{role_name=AdministratorAccess, account_id=950363612855}"}]),
])
def test_lake_sql_runs_with_trino_meaning(lake: Emulator, sql: str, expected: list[dict[str, str]]) -> None:
    assert [as_dict(row) for row in run_query(lake.client, sql)] == expected


CHANGE_FIXTURES = REPO / "tests" / "data" / "changes"


def test_nested_request_parameters_are_json_text_read_with_json_extract_scalar(tmp_path: Path) -> None:
    """The change query's reads: a nested request parameter (`memberId`) is held in the map as
    its JSON text, which Trino's json_extract_scalar reads; a missing key is NULL."""
    sql = (f"SELECT eventName AS n, element_at(requestParameters, 'memberId') AS m, "
           f"json_extract_scalar(element_at(requestParameters, 'memberId'), '$.userId') AS u, "
           f"coalesce(element_at(requestParameters, 'membershipId'), "
           f"element_at(responseElements, 'membershipId')) AS id, "
           f"json_extract_scalar(element_at(requestParameters, 'nope'), '$.userId') AS missing "
           f"FROM {STORE_ID} WHERE eventID = '1f0e0d0c-0000-4000-8000-0000000000e3'")
    with emulator(tmp_path, events=CHANGE_FIXTURES) as running:
        rows = [as_dict(row) for row in run_query(running.client, sql)]
    assert rows == [{"n": "CreateGroupMembership", "m": '{"userId":"94e80458-9021-70ea-08fa-c3a10a1d8a92"}',
                     "u": "94e80458-9021-70ea-08fa-c3a10a1d8a92",
                     "id": "906791299c-11111111-aaaa-bbbb-cccc-000000000001"}]


def test_rewrite_touches_only_the_store_identifier_and_element_at() -> None:
    sql = (f"SELECT element_at(m, 'element_at(') AS \"element_at\" FROM {STORE_ID.lower()} "
           f"WHERE x = '{STORE_ID}' -- {STORE_ID}\nAND y = 1")
    assert rewrite_for_duckdb(sql, STORE_ID) == (
        f"SELECT trino_element_at(m, 'element_at(') AS \"element_at\" FROM \"{STORE_ID}\" "
        f"WHERE x = '{STORE_ID}' -- {STORE_ID}\nAND y = 1")
    assert rewrite_for_duckdb(f"FROM {STORE_ID}-2 JOIN x{STORE_ID}", STORE_ID) == f"FROM {STORE_ID}-2 JOIN x{STORE_ID}"


def test_syntax_errors_and_non_selects_are_refused_at_start(lake: Emulator) -> None:
    for sql in ("SELEC 1", f"DROP TABLE {STORE_ID}", "SELECT 1; SELECT 2"):
        with pytest.raises(ClientError) as error:
            lake.client.start_query(QueryStatement=sql)
        assert error_code(error) == "InvalidQueryStatementException"


def test_a_query_duckdb_cannot_run_fails_with_its_message(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement=f"SELECT no_such_column FROM {STORE_ID}")["QueryId"]
    assert poll(lake.client, query_id)[-1] == "FAILED"
    assert "no_such_column" in lake.client.describe_query(QueryId=query_id)["ErrorMessage"]
    results = lake.client.get_query_results(QueryId=query_id)
    assert results["QueryStatus"] == "FAILED" and results["QueryResultRows"] == []


def test_queries_cannot_read_files(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement="SELECT * FROM read_csv('/etc/passwd')")["QueryId"]
    assert poll(lake.client, query_id)[-1] == "FAILED"


# ---------------------------------------------------------------- protocol and errors


def test_get_event_data_store_by_id_and_arn(lake: Emulator) -> None:
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/{STORE_ID}"
    for reference in (STORE_ID, arn):
        store = lake.client.get_event_data_store(EventDataStore=reference)
        assert store["EventDataStoreArn"] == arn
        assert store["Status"] == "ENABLED"
        assert store["RetentionPeriod"] == 2557
        assert store["AdvancedEventSelectors"][0]["FieldSelectors"] == [
            {"Field": "eventCategory", "Equals": ["Management"]}]
        assert {"MultiRegionEnabled", "OrganizationEnabled", "TerminationProtectionEnabled", "CreatedTimestamp",
                "UpdatedTimestamp", "BillingMode", "Name"} <= set(store)


def test_unknown_store_and_query_are_not_found(lake: Emulator) -> None:
    with pytest.raises(ClientError) as error:
        lake.client.get_event_data_store(EventDataStore="00000000-0000-0000-0000-000000000000")
    assert error_code(error) == "EventDataStoreNotFoundException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == \
        "EventDataStoreNotFoundException"
    with pytest.raises(ClientError) as error:
        lake.client.describe_query(QueryId="00000000-0000-0000-0000-000000000000")
    assert error_code(error) == "QueryIdNotFoundException"


def test_bad_paging_parameters_are_refused(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
    poll(lake.client, query_id)
    with pytest.raises(ClientError) as error:
        lake.client.get_query_results(QueryId=query_id, MaxQueryResults=1001)
    assert error_code(error) == "InvalidMaxResultsException"
    with pytest.raises(ClientError) as error:
        lake.client.get_query_results(QueryId=query_id, NextToken="not-a-token")
    assert error_code(error) == "InvalidNextTokenException"


def test_raw_protocol_errors(lake: Emulator) -> None:
    request = urllib.request.Request(lake.endpoint, data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteTrail"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400
    assert error.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert error.value.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(error.value.read())["__type"] == "UnknownOperationException"


def test_cancel_query(lake: Emulator) -> None:
    query_id = lake.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
    cancelled = lake.client.cancel_query(QueryId=query_id)
    assert cancelled["QueryId"] == query_id and cancelled["QueryStatus"] == "CANCELLED"
    assert poll(lake.client, query_id) == ["CANCELLED"]
    with pytest.raises(ClientError) as error:
        lake.client.cancel_query(QueryId=query_id)
    assert error_code(error) == "InactiveQueryException"
    assert {"operation": "CancelQuery", "params": {"QueryId": query_id}} in lake.calls()


# ---------------------------------------------------------------- injected faults


@pytest.mark.parametrize(("status", "message"), [("FAILED", "disk on fire"), ("TIMED_OUT", "too slow")])
def test_injected_final_status(tmp_path: Path, status: str, message: str) -> None:
    config = {"polls_before_running": 0, "polls_before_finish": 1, "final_status": status, "error_message": message}
    with emulator(tmp_path, config) as running:
        query_id = running.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
        assert poll(running.client, query_id) == ["RUNNING", status]
        assert running.client.describe_query(QueryId=query_id)["ErrorMessage"] == message
        results = running.client.get_query_results(QueryId=query_id)
        assert (results["QueryStatus"], results["ErrorMessage"], results["QueryResultRows"]) == (status, message, [])


def test_max_concurrent_rejections(tmp_path: Path) -> None:
    with emulator(tmp_path, {"max_concurrent_rejections": 2, "polls_before_running": 0,
                             "polls_before_finish": 0}) as running:
        for _ in range(2):
            with pytest.raises(ClientError) as error:
                running.client.start_query(QueryStatement=TOOL_QUERY)
            assert error_code(error) == "MaxConcurrentQueriesException"
        query_id = running.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
        assert poll(running.client, query_id) == ["FINISHED"]


def test_page_size_caps_pages(tmp_path: Path) -> None:
    with emulator(tmp_path, {"page_size": 2, "polls_before_running": 0, "polls_before_finish": 0}) as running:
        query_id = running.client.start_query(QueryStatement=TOOL_QUERY)["QueryId"]
        poll(running.client, query_id)
        pages = all_pages(running.client, query_id, MaxQueryResults=1000)
        assert [len(page["QueryResultRows"]) for page in pages] == [2, 2, 1]


def test_store_of_another_account_must_be_named_with_its_owner(tmp_path: Path) -> None:
    owner = "111122223333"
    config = {"owner_account_id": owner, "polls_before_running": 0, "polls_before_finish": 0,
              "store": {"status": "STOPPED_INGESTION", "retention_days": 3653,
                        "advanced_event_selectors": [{"Name": "sso", "FieldSelectors": [
                            {"Field": "eventSource", "Equals": ["sso.amazonaws.com"]}]}]}}
    with emulator(tmp_path, config) as running:
        client = running.client
        for wrong in ({}, {"EventDataStoreOwnerAccountId": "444455556666"}):
            with pytest.raises(ClientError) as error:
                client.start_query(QueryStatement=TOOL_QUERY, **wrong)
            assert error_code(error) == "EventDataStoreNotFoundException"
        started = client.start_query(QueryStatement=TOOL_QUERY, EventDataStoreOwnerAccountId=owner)
        assert started["EventDataStoreOwnerAccountId"] == owner
        with pytest.raises(ClientError) as error:
            client.describe_query(QueryId=started["QueryId"])
        assert error_code(error) == "EventDataStoreNotFoundException"
        assert poll(client, started["QueryId"], EventDataStoreOwnerAccountId=owner) == ["FINISHED"]
        pages = all_pages(client, started["QueryId"], EventDataStoreOwnerAccountId=owner)
        assert len(pages[0]["QueryResultRows"]) == 5
        with pytest.raises(ClientError) as error:
            client.get_event_data_store(EventDataStore=STORE_ID)
        assert error_code(error) == "EventDataStoreNotFoundException"
        store = client.get_event_data_store(EventDataStore=f"arn:aws:cloudtrail:us-east-1:{owner}:eventdatastore/{STORE_ID}")
        assert (store["Status"], store["RetentionPeriod"]) == ("STOPPED_INGESTION", 3653)
        assert store["AdvancedEventSelectors"][0]["Name"] == "sso"


@pytest.mark.parametrize(("style", "expected"), [("empty_map", {}), ("json_null", {"principal_id": None})])
def test_null_styles(tmp_path: Path, style: str, expected: dict[str, Any]) -> None:
    config = {"null_style": style, "polls_before_running": 0, "polls_before_finish": 0}
    sql = f"SELECT eventName AS e, userIdentity.principalId AS principal_id FROM {STORE_ID} WHERE eventName = 'GetRoleCredentials'"
    with emulator(tmp_path, config) as running:
        assert run_query(running.client, sql) == [[{"e": "GetRoleCredentials"}, expected]]


def test_bad_config_is_refused(tmp_path: Path) -> None:
    config_path = tmp_path / "bad.json"
    config_path.write_text(json.dumps({"polls_before_runing": 1}))
    result = subprocess.run([sys.executable, str(LAKE), "--events", str(FIXTURES), "--event-data-store-id",
                             STORE_ID, "--config", str(config_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "polls_before_runing" in result.stderr


# ---------------------------------------------------------------- lifecycle


def test_exits_when_stdin_closes(tmp_path: Path) -> None:
    with emulator(tmp_path) as running:
        running.process.stdin.close()
        assert running.process.wait(timeout=10) == 0


def test_exits_on_sigterm(tmp_path: Path) -> None:
    with emulator(tmp_path) as running:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0


# ---------------------------------------------------------------- the event loader


def test_loader_reads_the_published_fixtures() -> None:
    loaded = load_events(FIXTURES)
    assert (loaded.files_read, loaded.duplicates_dropped, len(loaded.events)) == (17, 2, 15)


def test_loader_reads_trail_layout_and_skips_digests(tmp_path: Path) -> None:
    folder = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "07" / "01"
    folder.mkdir(parents=True)
    records = {"Records": [{"eventID": "a", "eventTime": "2026-07-01T00:00:00Z"},
                           {"eventID": "b", "eventTime": "2026-07-01T00:00:01Z"}]}
    with gzip.open(folder / "one.json.gz", "wt") as handle:
        json.dump(records, handle)
    (folder / "two.json").write_text(json.dumps({"eventID": "a", "eventTime": "2026-07-01T00:00:00Z"}))
    digest = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail-Digest" / "us-east-1"
    digest.mkdir(parents=True)
    (digest / "digest.json.gz").write_bytes(gzip.compress(b'{"Records": [{"eventID": "c"}]}'))
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    loaded = load_events(tmp_path)
    assert [event["eventID"] for event in loaded.events] == ["a", "b"]
    assert (loaded.files_read, loaded.duplicates_dropped, loaded.files_skipped) == (2, 1, [tmp_path / "notes.json"])
