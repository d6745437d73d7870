"""Self-test of the Athena + Glue emulator, through boto3's real Athena and Glue clients.

The Rust tests trust athena.py to answer as Athena and Glue do; these tests are what that
trust rests on. They start athena.py on the generated example tree (examples/small/logs,
an organization trail in the S3 layout) and on the published fixtures, and check, in both
protocols Athena answers (awsJson1_1 and restJson1, each test run once in each), the two
table styles, the projected partitions and their pruning (DataScannedInBytes is checked
against file sizes computed here, independently), the header row, NULL cells, paging,
states, StopQueryExecution, the injected faults and the errors.

Run: .venv/bin/python -m pytest tests/emulators -q
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from athena_sql import rewrite_for_duckdb
from rest_json import AWS_JSON, PROTOCOLS, REST_JSON

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOGS = REPO / "examples" / "small" / "logs"
FIXTURES = REPO.parent / "shared" / "fixtures" / "cloudtrail" / "published"
ATHENA = HERE / "athena.py"
DATABASE, TABLE = "trails", "org_trail"
OUTPUT = "s3://query-results-bucket/athena/"
ORG = "o-nj1r9lpx3e"

STRUCT_IDENTITY = {
    "on_behalf_of_user_id": "useridentity.onbehalfof.userid",
    "identity_store_arn": "useridentity.onbehalfof.identitystorearn",
    "principal_id": "useridentity.principalid",
    "user_name": "useridentity.username",
}
STRINGS_IDENTITY = {
    "on_behalf_of_user_id": "json_extract_scalar(useridentity, '$.onBehalfOf.userId')",
    "identity_store_arn": "json_extract_scalar(useridentity, '$.onBehalfOf.identityStoreArn')",
    "principal_id": "json_extract_scalar(useridentity, '$.principalId')",
    "user_name": "json_extract_scalar(useridentity, '$.userName')",
}
TOOL_COLUMNS = ["on_behalf_of_user_id", "identity_store_arn", "principal_id", "user_name", "event_name",
                "account_id", "role_name", "last_event_time", "event_count"]


def tool_query(identity: dict[str, str], since: str = "2026-08-24T00:00:00Z", until: str = "2026-11-22T00:00:00Z",
               partitions: str = "") -> str:
    """The tool's query for one table style, with optional partition predicates."""
    selected = ",\n       ".join(f"{expression} AS {name}" for name, expression in identity.items())
    return f"""SELECT {selected},
       eventname AS event_name,
       json_extract_scalar(serviceeventdetails, '$.account_id') AS account_id,
       json_extract_scalar(serviceeventdetails, '$.role_name') AS role_name,
       max(eventtime) AS last_event_time,
       count(DISTINCT eventid) AS event_count
FROM "{DATABASE}"."{TABLE}"
WHERE eventtime >= '{since}' AND eventtime <= '{until}'
  AND (errorcode IS NULL OR errorcode = '')
  AND ((eventsource = 'sso.amazonaws.com' AND eventname IN ('Federate', 'GetRoleCredentials'))
    OR (eventsource = 'signin.amazonaws.com' AND eventname = 'UserAuthentication'
        AND json_extract_scalar(serviceeventdetails, '$.UserAuthentication') = 'Success'))
  {partitions}
GROUP BY 1, 2, 3, 4, 5, 6, 7"""


STRUCT_QUERY = tool_query(STRUCT_IDENTITY)
STRINGS_QUERY = tool_query(STRINGS_IDENTITY)


def fixture_row(obo: str | None, store: str | None, principal: str | None, user: str | None, event: str,
                account: str | None, role: str | None, last: str) -> tuple[str | None, ...]:
    return (obo, store, principal, user, event, account, role, last, "1")


# The tool's query over the published fixtures (2016-11-21 to 2026-11-22): one row per
# selected event, as in test_lake.py, with eventtime as the string Athena's table holds.
EXPECTED_FIXTURE_ROWS = sorted([
    fixture_row("976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
                "arn:aws:identitystore::607481581596:identitystore/d-976710cc5d", None, None,
                "GetRoleCredentials", "950363612855", "AdministratorAccess", "2026-07-01T00:08:20Z"),
    fixture_row(None, None, "95671c316d-7a6a2ff4-4eb0-414a-9447-a1decc0c7c1e", "ssouser01", "Federate",
                "sampleaccountid2", "AdministratorAccess", "2023-03-29T12:56:43Z"),
    fixture_row(None, None, "sampleaccountid1", "ssouser01", "UserAuthentication", None, None,
                "2023-03-29T12:55:53Z"),
    fixture_row(None, None, "111122223333", "user1", "UserAuthentication", None, None, "2020-12-07T20:34:09Z"),
    fixture_row("f12bb510-a011-702f-10dd-5607e2776dbc",
                "arn:aws:identitystore::123456789012:identitystore/d-9a670c546e", "123456789012", "demo-user-2",
                "UserAuthentication", None, None, "2025-08-07T14:09:07Z"),
], key=str)


# ---------------------------------------------------------------- harness


# botocore's name of each protocol (a service model's metadata.protocol).
BOTOCORE_PROTOCOLS = {AWS_JSON: "json", REST_JSON: "rest-json"}


def athena_model_in(protocol: str, folder: Path) -> botocore.session.Session:
    """A botocore session whose Athena client speaks `protocol`.

    The locked botocore's Athena model is restJson1. For awsJson1_1 a copy of it, with the
    metadata of the model before (`json`, 1.1, target prefix AmazonAthena) and every operation
    bound to `POST /`, goes first on the loader's path: the JSON serializer puts every member,
    path and query ones too, in the body.
    """
    session = botocore.session.get_session()
    model = session.get_component("data_loader").load_service_model("athena", "service-2")
    assert model["metadata"]["protocol"] == "rest-json", (
        f"botocore's Athena model says {model['metadata']['protocol']!r}, not rest-json: install requirements-dev.txt")
    if protocol == AWS_JSON:
        model["metadata"].update(protocol="json", protocols=["json"], jsonVersion="1.1", targetPrefix="AmazonAthena")
        for operation in model["operations"].values():
            operation["http"] = {"method": "POST", "requestUri": "/"}
        version = folder / "botocore-data" / "athena" / model["metadata"]["apiVersion"]
        version.mkdir(parents=True, exist_ok=True)
        (version / "service-2.json").write_text(json.dumps(model))
        session = botocore.session.get_session()
        session.get_component("data_loader").search_paths.insert(0, str(folder / "botocore-data"))
    return session


class Emulator:
    """A running athena.py with boto3 Athena (in one protocol) and Glue clients pointed at it."""

    def __init__(self, process: subprocess.Popen[str], port: int, calls_log: Path, protocol: str,
                 folder: Path) -> None:
        self.process = process
        self.endpoint = f"http://127.0.0.1:{port}"
        self.calls_log = calls_log
        self.protocol = protocol
        # total_max_attempts 1: every answer reaches the test (the legacy max_attempts counts retries).
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)
        session = boto3.Session(botocore_session=athena_model_in(protocol, folder))
        self.athena = session.client("athena", endpoint_url=self.endpoint, config=config)
        assert self.athena.meta.service_model.protocol == BOTOCORE_PROTOCOLS[protocol]
        self.glue = boto3.client("glue", endpoint_url=self.endpoint, config=config)

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_log.exists():
            return []
        return [json.loads(line) for line in self.calls_log.read_text().splitlines()]


@contextmanager
def emulator(folder: Path, style: str, partitioning: str = "none", config: dict[str, Any] | None = None,
             events: Path = LOGS, extra: tuple[str, ...] = (), protocol: str = AWS_JSON) -> Iterator[Emulator]:
    calls_log = folder / f"calls-{len(list(folder.iterdir()))}.jsonl"
    command = [sys.executable, str(ATHENA), "--events", str(events), "--database", DATABASE, "--table", TABLE,
               "--style", style, "--partitioning", partitioning, "--calls-log", str(calls_log), *extra]
    if config is not None:
        config_path = folder / f"config-{len(list(folder.iterdir()))}.json"
        config_path.write_text(json.dumps(config))
        command += ["--config", str(config_path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError(f"athena.py exited before announcing its port: {process.communicate()[1]}")
        yield Emulator(process, int(json.loads(line)["port"]), calls_log, protocol, folder)
    finally:
        if process.stdin and not process.stdin.closed:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def use_dummy_aws_environment(patch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, and no profile or endpoint of the machine's user leaking in."""
    for name, value in DUMMY_AWS_ENVIRONMENT.items():
        patch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ATHENA", "AWS_ENDPOINT_URL_GLUE"):
        patch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def dummy_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    use_dummy_aws_environment(monkeypatch)


@contextmanager
def shared(factory: pytest.TempPathFactory, *args: Any, **kwargs: Any) -> Iterator[Emulator]:
    with pytest.MonkeyPatch.context() as patch:
        use_dummy_aws_environment(patch)
        with emulator(factory.mktemp("athena"), *args, **kwargs) as running:
            yield running


@pytest.fixture(scope="module", params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    """The protocol boto3's Athena client speaks: every test that uses the client runs in both."""
    return request.param


@pytest.fixture(scope="module")
def projected(tmp_path_factory: pytest.TempPathFactory, protocol: str) -> Iterator[Emulator]:
    """`struct` style, projected partitions, the example tree, default config."""
    with shared(tmp_path_factory, "struct", "projected", protocol=protocol) as running:
        yield running


@pytest.fixture(scope="module")
def strings(tmp_path_factory: pytest.TempPathFactory, protocol: str) -> Iterator[Emulator]:
    """`strings` style, no partitions, the example tree, no polling."""
    config = {"polls_before_running": 0, "polls_before_finish": 0}
    with shared(tmp_path_factory, "strings", "none", config, protocol=protocol) as running:
        yield running


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory, protocol: str) -> Iterator[Emulator]:
    """`struct` style, projected, over the published fixtures (partitions from the events)."""
    config = {"polls_before_running": 0, "polls_before_finish": 0}
    with shared(tmp_path_factory, "struct", "projected", config, events=FIXTURES, protocol=protocol) as running:
        yield running


def start(client: Any, query: str, **params: Any) -> str:
    params.setdefault("ResultConfiguration", {"OutputLocation": OUTPUT})
    params.setdefault("QueryExecutionContext", {"Database": DATABASE, "Catalog": "AwsDataCatalog"})
    return client.start_query_execution(QueryString=query, WorkGroup="primary", **params)["QueryExecutionId"]


def poll(client: Any, query_id: str, limit: int = 20) -> list[str]:
    """GetQueryExecution until a final state; returns every state seen."""
    states: list[str] = []
    for _ in range(limit):
        states.append(client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"])
        if states[-1] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return states
    raise AssertionError(f"query {query_id} never finished: {states}")


def pages(client: Any, query_id: str, **params: Any) -> list[dict[str, Any]]:
    found = [client.get_query_results(QueryExecutionId=query_id, **params)]
    while "NextToken" in found[-1]:
        found.append(client.get_query_results(QueryExecutionId=query_id, NextToken=found[-1]["NextToken"], **params))
    return found


def values(row: dict[str, Any]) -> tuple[str | None, ...]:
    return tuple(cell.get("VarCharValue") for cell in row["Data"])


def run(client: Any, query: str, **params: Any) -> tuple[str, list[tuple[str | None, ...]]]:
    """Runs a query to SUCCEEDED; returns its id and its data rows (header dropped)."""
    query_id = start(client, query, **params)
    assert poll(client, query_id)[-1] == "SUCCEEDED", describe(client, query_id)["Status"]
    rows = [values(row) for page in pages(client, query_id) for row in page["ResultSet"]["Rows"]]
    assert rows[0] == tuple(rows[0]) and rows, "a header row first"
    return query_id, rows[1:]


def describe(client: Any, query_id: str) -> dict[str, Any]:
    return client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]


def failed_reason(client: Any, query: str, **params: Any) -> str:
    query_id = start(client, query, **params)
    assert poll(client, query_id)[-1] == "FAILED"
    status = describe(client, query_id)["Status"]
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    return status["StateChangeReason"]


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def file_bytes(account: str | None = None, region: str | None = None, days: tuple[str, str] | None = None) -> int:
    """The stored size of the example tree's files, optionally of one account/Region/date range.

    Computed from the paths, independently of the emulator; the unrestricted sum includes
    the file off the S3 layout (`exported/`) and leaves out CloudTrail-Digest.
    """
    total = 0
    for path in LOGS.rglob("*.json*"):
        relative = path.relative_to(LOGS).as_posix()
        if "CloudTrail-Digest" in relative:
            continue
        match = re.search(r"AWSLogs/o-\w+/(\d{12})/CloudTrail/([\w-]+)/(\d{4}/\d{2}/\d{2})/", relative)
        if account is not None:
            if match is None or match[1] != account or match[2] != region:
                continue
            if days is not None and not days[0] <= match[3] <= days[1]:
                continue
        total += path.stat().st_size
    return total


# ---------------------------------------------------------------- Glue


def test_glue_serves_the_documented_struct_table_with_projection(projected: Emulator) -> None:
    table = projected.glue.get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]
    assert (table["Name"], table["DatabaseName"], table["TableType"]) == (TABLE, DATABASE, "EXTERNAL_TABLE")
    columns = {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}
    assert columns["useridentity"].startswith(
        "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
        "accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,"
        "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,")
    assert columns["eventtime"] == columns["serviceeventdetails"] == columns["errorcode"] == "string"
    assert columns["resources"] == "array<struct<arn:string,accountid:string,type:string>>"
    assert table["StorageDescriptor"]["Location"] == f"s3://idc-credential-report-trail/AWSLogs/{ORG}/"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert table["PartitionKeys"] == [{"Name": key, "Type": "string"} for key in ("account", "region", "timestamp")]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.account.type"] == parameters["projection.region.type"] == "enum"
    assert "910178986558" in parameters["projection.account.values"].split(",")
    assert parameters["projection.region.values"] == "ap-southeast-2,eu-west-1,us-east-1,us-west-2"
    assert parameters["projection.timestamp.type"] == "date"
    assert parameters["projection.timestamp.format"] == "yyyy/MM/dd"
    assert parameters["projection.timestamp.range"].endswith(",NOW")
    assert parameters["storage.location.template"] == (
        f"s3://idc-credential-report-trail/AWSLogs/{ORG}/${{account}}/CloudTrail/${{region}}/${{timestamp}}")


def test_glue_serves_the_strings_table_without_partitions(strings: Emulator) -> None:
    table = strings.glue.get_table(DatabaseName=DATABASE.upper(), Name=TABLE)["Table"]
    types = {column["Type"] for column in table["StorageDescriptor"]["Columns"]}
    assert types == {"string"} and len(table["StorageDescriptor"]["Columns"]) == 29
    assert table["PartitionKeys"] == []
    assert not any(key.startswith("projection.") for key in table["Parameters"])


def test_glue_unknown_database_and_table(strings: Emulator) -> None:
    for database, name, message in ((DATABASE, "nope", "Table nope not found."),
                                    ("nope", TABLE, "Database nope not found.")):
        with pytest.raises(ClientError) as raised:
            strings.glue.get_table(DatabaseName=database, Name=name)
        assert error_of(raised) == ("EntityNotFoundException", message)


# ---------------------------------------------------------------- the tool's query


def test_tool_query_goes_queued_running_succeeded(projected: Emulator) -> None:
    query_id = start(projected.athena, STRUCT_QUERY)
    assert len(query_id) == 36
    first = describe(projected.athena, query_id)
    assert first["Status"]["State"] == "QUEUED" and first["Statistics"]["DataScannedInBytes"] == 0
    assert poll(projected.athena, query_id) == ["RUNNING", "RUNNING", "SUCCEEDED"]
    execution = describe(projected.athena, query_id)
    assert execution["Query"] == STRUCT_QUERY
    assert execution["QueryExecutionContext"] == {"Database": DATABASE, "Catalog": "AwsDataCatalog"}
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{query_id}.csv"
    assert (execution["StatementType"], execution["WorkGroup"]) == ("DML", "primary")
    statistics = execution["Statistics"]
    assert statistics["DataScannedInBytes"] == file_bytes()
    assert statistics["EngineExecutionTimeInMillis"] >= 300
    assert statistics["TotalExecutionTimeInMillis"] > statistics["EngineExecutionTimeInMillis"]
    assert "CompletionDateTime" in execution["Status"] and "StateChangeReason" not in execution["Status"]


def test_both_styles_give_the_same_rows(projected: Emulator, strings: Emulator) -> None:
    _, struct_rows = run(projected.athena, STRUCT_QUERY)
    _, strings_rows = run(strings.athena, STRINGS_QUERY)
    assert len(struct_rows) > 100
    assert sorted(struct_rows, key=str) == sorted(strings_rows, key=str)
    assert all(row[7].endswith("Z") and row[8].isdigit() for row in struct_rows), "eventtime is the logged string"


def test_tool_query_on_the_published_fixtures(fixtures: Emulator) -> None:
    query = tool_query(STRUCT_IDENTITY, since="2016-11-21T00:00:00Z")
    _, rows = run(fixtures.athena, query)
    assert sorted(rows, key=str) == EXPECTED_FIXTURE_ROWS


def test_fixture_partitions_come_from_the_events(fixtures: Emulator) -> None:
    parameters = fixtures.glue.get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]["Parameters"]
    assert "sampleaccountid1" in parameters["projection.account.values"].split(",")
    assert parameters["projection.timestamp.range"] == "2017/11/29,NOW"
    _, rows = run(fixtures.athena, "SELECT account, region, timestamp, count(*) FROM org_trail "
                                   "WHERE eventname = 'GetRoleCredentials' GROUP BY 1, 2, 3")
    assert rows == [("607481581596", "ap-southeast-2", "2026/07/01", "1")]
    _, counted = run(fixtures.athena, "SELECT count(*), count(DISTINCT eventid) FROM org_trail")
    assert counted == [("17", "15")], "two events are published twice: two rows each, as in Athena"


def test_events_that_cannot_be_projected_are_left_out(tmp_path: Path) -> None:
    events = tmp_path / "events"
    folder = events / "AWSLogs" / ORG / "111122223333" / "CloudTrail" / "eu-west-1" / "2026" / "07" / "01"
    folder.mkdir(parents=True)
    (folder / "one.json").write_text(json.dumps({"Records": [
        {"eventID": "a", "eventTime": "2026-06-30T23:59:59Z", "recipientAccountId": "444455556666"}]}))
    (events / "loose.json").write_text(json.dumps({"eventID": "b", "eventTime": "2026-07-02T00:00:00Z"}))
    query = "SELECT eventid, account, region, timestamp FROM org_trail ORDER BY 1"
    with emulator(tmp_path, "strings", "projected", {"polls_before_running": 0, "polls_before_finish": 0},
                  events=events) as running:
        # The path, not the event, places a file in the S3 layout.
        assert run(running.athena, query)[1] == [("a", "111122223333", "eu-west-1", "2026/07/01")]
    with emulator(tmp_path, "strings", "none", {"polls_before_running": 0, "polls_before_finish": 0},
                  events=events) as running:
        assert run(running.athena, "SELECT eventid FROM org_trail ORDER BY 1")[1] == [("a",), ("b",)]


# ---------------------------------------------------------------- partitions and bytes scanned


def scanned(client: Any, query: str) -> int:
    query_id, _ = run(client, query)
    return describe(client, query_id)["Statistics"]["DataScannedInBytes"]


def test_partition_predicates_prune_the_bytes_scanned(projected: Emulator) -> None:
    everything = scanned(projected.athena, STRUCT_QUERY)
    assert everything == file_bytes() > 0
    restriction = ("AND timestamp BETWEEN '2026/09/01' AND '2026/10/31' AND region IN ('us-east-1') "
                   "AND account = '311261362911'")
    pruned = scanned(projected.athena, tool_query(STRUCT_IDENTITY, partitions=restriction))
    expected = file_bytes("311261362911", "us-east-1", ("2026/09/01", "2026/10/31"))
    assert 0 < pruned == expected < file_bytes("311261362911", "us-east-1") < everything


@pytest.mark.parametrize("predicate", [
    "\"timestamp\" >= '2026/11/01'",             # quoted, as the Athena guide writes it
    "timestamp >= '2026/11/01'",                 # bare: not reserved in Trino queries
    "t.timestamp >= '2026/11/01' AND t.eventname IS NOT NULL",  # qualified, next to a data term
])
def test_timestamp_partition_bare_or_quoted(projected: Emulator, predicate: str) -> None:
    query = f"SELECT count(*) FROM {DATABASE}.{TABLE} AS t WHERE {predicate}"
    query_id, rows = run(projected.athena, query)
    bytes_scanned = describe(projected.athena, query_id)["Statistics"]["DataScannedInBytes"]
    assert 0 < bytes_scanned < file_bytes() and int(rows[0][0]) > 0


def test_terms_mixing_data_columns_do_not_prune(projected: Emulator) -> None:
    count = "SELECT count(*) FROM org_trail WHERE "
    assert scanned(projected.athena, count + "account = recipientaccountid") == file_bytes()
    assert scanned(projected.athena, count + "account = '1' OR eventname = 'x'") == file_bytes()
    assert scanned(projected.athena, count + "account = 'none'") == 0


def test_unpartitioned_table_scans_everything_and_has_no_partition_columns(strings: Emulator) -> None:
    assert scanned(strings.athena, STRINGS_QUERY) == file_bytes()
    reason = failed_reason(strings.athena, "SELECT count(*) FROM org_trail WHERE account = '311261362911'")
    assert reason.startswith("COLUMN_NOT_FOUND: ")


# ---------------------------------------------------------------- results


def test_header_row_on_the_first_page_only_and_paging(strings: Emulator) -> None:
    query_id, rows = run(strings.athena, STRINGS_QUERY)
    found = pages(strings.athena, query_id, MaxResults=50)
    assert values(found[0]["ResultSet"]["Rows"][0]) == tuple(TOOL_COLUMNS)
    assert [len(page["ResultSet"]["Rows"]) for page in found[:-1]] == [50] * (len(found) - 1)
    data = [values(row) for row in found[0]["ResultSet"]["Rows"][1:]]
    data += [values(row) for page in found[1:] for row in page["ResultSet"]["Rows"]]
    assert data == rows and tuple(TOOL_COLUMNS) not in data
    info = found[-1]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [column["Name"] for column in info] == TOOL_COLUMNS
    assert [column["Type"] for column in info] == ["varchar"] * 8 + ["bigint"]


def test_one_row_pages_start_with_the_header_alone(strings: Emulator) -> None:
    query_id = start(strings.athena, "SELECT eventid FROM org_trail WHERE eventname = 'GetRoleCredentials' LIMIT 2")
    poll(strings.athena, query_id)
    found = pages(strings.athena, query_id, MaxResults=1)
    assert [len(page["ResultSet"]["Rows"]) for page in found] == [1, 1, 1]
    assert values(found[0]["ResultSet"]["Rows"][0]) == ("eventid",)


def test_null_cells_are_empty(strings: Emulator) -> None:
    _, rows = run(strings.athena, STRINGS_QUERY)
    query_id = start(strings.athena, STRINGS_QUERY)
    poll(strings.athena, query_id)
    raw = [row for page in pages(strings.athena, query_id) for row in page["ResultSet"]["Rows"][1:]]
    with_null = [row for row in raw if {} in row["Data"]]
    assert with_null and all(set(cell) <= {"VarCharValue"} for row in raw for cell in row["Data"])
    assert any(None in row for row in rows)


@pytest.mark.parametrize(("query", "expected"), [
    # Trino's values and types, all as strings.
    ("SELECT count(*), 7 / 2, true, CAST('2026-07-01 00:08:20' AS timestamp), "
     "element_at(MAP(ARRAY['k'], ARRAY['v']), 'k'), element_at(MAP(ARRAY['k'], ARRAY['v']), 'x') "
     "FROM org_trail WHERE eventid = 'ea8e0402-d09b-49f1-aee3-15410ab5f081'",
     [("1", "3", "true", "2026-07-01 00:08:20.000", "v", None)]),
    # Case-insensitive names, three-part names, a qualified alias; rows and arrays as Trino prints them.
    ('SELECT T.USERIDENTITY.ONBEHALFOF.USERID, t.useridentity.onbehalfof, t.resources '
     'FROM "AwsDataCatalog"."TRAILS"."ORG_TRAIL" T WHERE eventid = \'ea8e0402-d09b-49f1-aee3-15410ab5f081\'',
     [("8e1b2646c5-1e2a7403-bfd8-49b1-89ec-77952f76d09e",
       "{userid=8e1b2646c5-1e2a7403-bfd8-49b1-89ec-77952f76d09e, "
       "identitystorearn=arn:aws:identitystore::910178986558:identitystore/d-8e1b2646c5}", None)]),
])
def test_trino_semantics(projected: Emulator, query: str, expected: list[tuple[str | None, ...]]) -> None:
    _, rows = run(projected.athena, query)
    assert rows == expected


def test_json_functions_on_the_strings_table(strings: Emulator) -> None:
    query = ("SELECT json_extract_scalar(useridentity, '$.onBehalfOf') AS a, "
             "json_extract_scalar(useridentity, '$[\"type\"]') AS b, json_extract_scalar('not json', '$.x') AS c, "
             "json_extract_scalar(serviceeventdetails, '$.nope') AS d, "
             "json_extract(useridentity, '$.onBehalfOf.userId') "
             "FROM org_trail WHERE eventid = 'ea8e0402-d09b-49f1-aee3-15410ab5f081'")
    query_id, rows = run(strings.athena, query)
    assert rows == [(None, "IdentityCenterUser", None, None, '"8e1b2646c5-1e2a7403-bfd8-49b1-89ec-77952f76d09e"')]
    header = pages(strings.athena, query_id)[0]["ResultSet"]["Rows"][0]
    assert values(header) == ("a", "b", "c", "d", "_col4")


def test_rewrite_leaves_literals_and_quoted_names_alone() -> None:
    sql = "SELECT json_extract(x, '$.a'), 'json_extract(', \"element_at\" FROM t -- element_at("
    assert rewrite_for_duckdb(sql) == (
        "SELECT trino_json_extract(x, '$.a'), 'json_extract(', \"element_at\" FROM t -- element_at(")


# ---------------------------------------------------------------- failures and errors


@pytest.mark.parametrize(("query", "name"), [
    ("SELEC 1", "SYNTAX_ERROR"),
    ("SELECT nope FROM org_trail", "COLUMN_NOT_FOUND"),
    ("SELECT useridentity.onbehalfof.nope FROM org_trail", "COLUMN_NOT_FOUND"),
    ("SELECT 1 FROM trails.nope", "TABLE_NOT_FOUND"),
    ("SELECT approx_percentile_nope(1)", "FUNCTION_NOT_FOUND"),
    (STRINGS_QUERY, "FUNCTION_NOT_FOUND"),  # a strings-style query on the struct table
    ("DROP TABLE org_trail", "NOT_SUPPORTED"),
    ("SELECT * FROM read_csv('/etc/passwd')", "GENERIC_USER_ERROR"),
])
def test_sql_failures_end_failed_with_athena_reasons(projected: Emulator, query: str, name: str) -> None:
    reason = failed_reason(projected.athena, query)
    assert reason.startswith(f"{name}: "), reason
    status = describe(projected.athena, start(projected.athena, query))["Status"]
    assert status["State"] == "QUEUED" and "StateChangeReason" not in status


def test_struct_query_on_the_strings_table_is_a_type_mismatch(strings: Emulator) -> None:
    assert failed_reason(strings.athena, STRUCT_QUERY).startswith("TYPE_MISMATCH: ")


def test_failed_query_details_and_results(strings: Emulator) -> None:
    query_id = start(strings.athena, "SELECT nope FROM org_trail")
    poll(strings.athena, query_id)
    execution = describe(strings.athena, query_id)
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2
    assert execution["Statistics"]["DataScannedInBytes"] == 0
    with pytest.raises(ClientError) as raised:
        strings.athena.get_query_results(QueryExecutionId=query_id)
    assert error_of(raised) == ("InvalidRequestException", execution["Status"]["StateChangeReason"])


def test_context_database_and_catalog(strings: Emulator) -> None:
    _, rows = run(strings.athena, "SELECT count(*) FROM org_trail")
    assert int(rows[0][0]) > 700
    context = {"Database": "elsewhere"}
    _, qualified = run(strings.athena, "SELECT count(*) FROM trails.org_trail", QueryExecutionContext=context)
    assert qualified == rows
    reason = failed_reason(strings.athena, "SELECT count(*) FROM org_trail", QueryExecutionContext=context)
    assert reason.startswith("TABLE_NOT_FOUND: ")
    reason = failed_reason(strings.athena, "SELECT 1", QueryExecutionContext={"Catalog": "other"})
    assert reason == "CATALOG_NOT_FOUND: Catalog 'other' does not exist"


def test_get_query_results_before_the_end_is_refused(projected: Emulator) -> None:
    query_id = start(projected.athena, STRUCT_QUERY)
    with pytest.raises(ClientError) as raised:
        projected.athena.get_query_results(QueryExecutionId=query_id)
    assert error_of(raised) == ("InvalidRequestException", "Query has not yet finished. Current state: QUEUED")
    with pytest.raises(ClientError) as raised:
        projected.athena.get_query_results(QueryExecutionId=query_id)
    assert error_of(raised)[1] == "Query has not yet finished. Current state: RUNNING"


def test_stop_query_execution(projected: Emulator) -> None:
    query_id = start(projected.athena, STRUCT_QUERY)
    describe(projected.athena, query_id)
    describe(projected.athena, query_id)  # RUNNING
    assert projected.athena.stop_query_execution(QueryExecutionId=query_id)["ResponseMetadata"]["HTTPStatusCode"] == 200
    execution = describe(projected.athena, query_id)
    assert execution["Status"]["State"] == "CANCELLED" and "CompletionDateTime" in execution["Status"]
    assert 0 < execution["Statistics"]["DataScannedInBytes"] < file_bytes()
    with pytest.raises(ClientError) as raised:
        projected.athena.get_query_results(QueryExecutionId=query_id)
    assert error_of(raised) == ("InvalidRequestException",
                                "Query did not finish successfully. Final query state: CANCELLED")
    queued = start(projected.athena, STRUCT_QUERY)
    projected.athena.stop_query_execution(QueryExecutionId=queued)
    assert describe(projected.athena, queued)["Statistics"]["DataScannedInBytes"] == 0
    done, _ = run(projected.athena, "SELECT 1")
    projected.athena.stop_query_execution(QueryExecutionId=done)
    assert describe(projected.athena, done)["Status"]["State"] == "SUCCEEDED"


def test_bad_ids_tokens_and_page_sizes(strings: Emulator) -> None:
    with pytest.raises(ClientError) as raised:
        strings.athena.get_query_execution(QueryExecutionId="00000000-0000-0000-0000-000000000000")
    assert error_of(raised) == ("InvalidRequestException",
                                "QueryExecution 00000000-0000-0000-0000-000000000000 was not found")
    query_id, _ = run(strings.athena, "SELECT 1")
    for params in ({"MaxResults": 0}, {"MaxResults": 1001}, {"NextToken": "not-a-token"}):
        with pytest.raises(ClientError) as raised:
            strings.athena.get_query_results(QueryExecutionId=query_id, **params)
        assert error_of(raised)[0] == "InvalidRequestException"


def test_client_request_token_is_idempotent(strings: Emulator) -> None:
    token = "a" * 32
    first = start(strings.athena, "SELECT 1", ClientRequestToken=token)
    assert start(strings.athena, "SELECT 1", ClientRequestToken=token) == first


def test_calls_log_records_service_operation_and_params(strings: Emulator) -> None:
    before = len(strings.calls())
    query_id = start(strings.athena, "SELECT 1")
    strings.glue.get_table(DatabaseName=DATABASE, Name=TABLE)
    calls = strings.calls()[before:]
    assert [(call["service"], call["operation"], call["protocol"]) for call in calls] == [
        ("athena", "StartQueryExecution", strings.protocol), ("glue", "GetTable", AWS_JSON)]
    assert calls[0]["params"]["QueryString"] == "SELECT 1" and calls[0]["params"]["WorkGroup"] == "primary"
    assert calls[1]["params"] == {"DatabaseName": DATABASE, "Name": TABLE}
    assert query_id


def test_raw_protocol(strings: Emulator) -> None:
    for target, code in (("AmazonAthena.DeleteWorkGroup", "UnknownOperationException"),
                         ("AWSGlue.DeleteTable", "UnknownOperationException")):
        request = urllib.request.Request(strings.endpoint, data=b"{}", method="POST", headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        assert raised.value.code == 400 and raised.value.headers["x-amzn-ErrorType"] == code
        assert raised.value.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert json.loads(raised.value.read())["__type"] == code


def raw_rest_json(endpoint: str, method: str, path: str, body: bytes | None = None) -> tuple[int, Any, Any]:
    """(status, headers, JSON body) of a restJson1 request sent by hand (no X-Amz-Target)."""
    request = urllib.request.Request(endpoint + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_raw_rest_json_binds_path_query_and_body(strings: Emulator) -> None:
    status, headers, started = raw_rest_json(strings.endpoint, "POST", "/query-executions", json.dumps({
        "QueryString": "SELECT 1 AS one UNION ALL SELECT 2", "ResultConfiguration": {"OutputLocation": OUTPUT}}).encode())
    assert status == 200 and headers["Content-Type"] == "application/json"
    query_id = started["QueryExecutionId"]
    assert raw_rest_json(strings.endpoint, "GET", f"/query-executions/{query_id}")[2]["QueryExecution"][
        "Status"]["State"] == "SUCCEEDED"
    first = raw_rest_json(strings.endpoint, "GET", f"/query-executions/{query_id}/results?MaxResults=2")[2]
    assert [values(row) for row in first["ResultSet"]["Rows"]] == [("one",), ("1",)] and "NextToken" in first
    token = urllib.parse.quote(first["NextToken"], safe="")
    rest = raw_rest_json(strings.endpoint, "GET", f"/query-executions/{query_id}/results?NextToken={token}")[2]
    assert [values(row) for row in rest["ResultSet"]["Rows"]] == [("2",)]
    assert raw_rest_json(strings.endpoint, "POST", f"/query-executions/{query_id}/stop", b"{}")[0] == 200
    logged = [(call["operation"], call["protocol"]) for call in strings.calls()[-5:]]
    assert logged == [("StartQueryExecution", REST_JSON), ("GetQueryExecution", REST_JSON),
                      ("GetQueryResults", REST_JSON), ("GetQueryResults", REST_JSON), ("StopQueryExecution", REST_JSON)]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/work-groups/primary", None), ("DELETE", "/query-executions", None), ("POST", "/query-executions", b"[1]")])
def test_raw_rest_json_errors(strings: Emulator, method: str, path: str, body: bytes | None) -> None:
    if method == "DELETE":
        request = urllib.request.Request(strings.endpoint + path, method=method)
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        assert raised.value.code == 501, "http.server answers methods no protocol uses"
        return
    status, headers, answer = raw_rest_json(strings.endpoint, method, path, body)
    code = "UnknownOperationException" if body is None else "SerializationException"
    assert (status, headers["x-amzn-ErrorType"], answer["__type"]) == (400, code, code)
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("served", PROTOCOLS)
def test_a_protocol_switched_off_is_refused(tmp_path: Path, protocol: str, served: str) -> None:
    config = {"polls_before_running": 0, "polls_before_finish": 0, "athena_protocols": [served]}
    with emulator(tmp_path, "strings", "none", config, events=FIXTURES, protocol=protocol) as running:
        if protocol == served:
            assert run(running.athena, "SELECT 1")[1] == [("1",)]
        else:
            with pytest.raises(ClientError) as raised:
                start(running.athena, "SELECT 1")
            assert error_of(raised)[0] == "UnknownOperationException"
        assert running.glue.get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]["Name"] == TABLE


# ---------------------------------------------------------------- injected faults and lifecycle


def test_injected_faults(tmp_path: Path, protocol: str) -> None:
    config = {"polls_before_running": 0, "polls_before_finish": 1, "final_state": "FAILED",
              "state_change_reason": "Injected: out of capacity", "too_many_requests": 2,
              "workgroup_output": False, "page_size": 3}
    with emulator(tmp_path, "struct", "none", config, events=FIXTURES, protocol=protocol) as running:
        with pytest.raises(ClientError) as raised:
            start(running.athena, "SELECT 1", ResultConfiguration={})
        assert error_of(raised) == ("InvalidRequestException", (
            "No output location provided. An output location is required either through the Workgroup result "
            "configuration setting or as an API input."))
        for _ in range(2):
            with pytest.raises(ClientError) as raised:
                start(running.athena, "SELECT 1")
            assert error_of(raised)[0] == "TooManyRequestsException"
            assert raised.value.response["Reason"] == "CONCURRENT_QUERY_LIMIT_EXCEEDED"
        query_id = start(running.athena, "SELECT 1")
        assert poll(running.athena, query_id) == ["RUNNING", "FAILED"]
        status = describe(running.athena, query_id)["Status"]
        assert status["StateChangeReason"] == "Injected: out of capacity"
        assert status["AthenaError"]["ErrorCategory"] == 1


def test_page_size_caps_pages(tmp_path: Path, protocol: str) -> None:
    config = {"polls_before_running": 0, "polls_before_finish": 0, "page_size": 3}
    with emulator(tmp_path, "strings", "none", config, events=FIXTURES, protocol=protocol) as running:
        query_id, rows = run(running.athena, "SELECT eventid FROM org_trail ORDER BY eventid")
        found = pages(running.athena, query_id)
        assert [len(page["ResultSet"]["Rows"]) for page in found] == [3] * 5 + [3]
        assert len(rows) == 17, "a second delivery of an event is a second row"


def test_bad_config_is_refused(tmp_path: Path) -> None:
    config_path = tmp_path / "bad.json"
    config_path.write_text(json.dumps({"polls_before_runing": 1}))
    result = subprocess.run([sys.executable, str(ATHENA), "--events", str(FIXTURES), "--database", DATABASE,
                             "--table", TABLE, "--style", "struct", "--config", str(config_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "polls_before_runing" in result.stderr


def test_exits_on_sigterm_and_when_stdin_closes(tmp_path: Path) -> None:
    with emulator(tmp_path, "strings", events=FIXTURES) as running:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0
    with emulator(tmp_path, "strings", events=FIXTURES) as running:
        running.process.stdin.close()
        assert running.process.wait(timeout=10) == 0
