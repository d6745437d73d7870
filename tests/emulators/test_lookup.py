"""Self-test of LookupEvents (CloudTrail event history) in lake.py, through boto3's CloudTrail client.

The tool's event-history source reads LookupEvents; its Rust tests trust lake.py to answer
as CloudTrail does. These tests check the Event shape, newest-first order, the filters, the
90-day limit against a configured "now" (checked on the example tree against a count made
here from the files), paging and its token binding, the request errors, and the quota of
2 requests a second (ThrottlingException).

Run: .venv/bin/python -m pytest tests/emulators -q
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudtrail_events import load_events
from test_lake import FIXTURES, LAKE, STORE_ID, read_port, stop, use_dummy_aws_environment

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "examples" / "small" / "logs"
FIXTURES_NOW = "2026-07-15T00:00:00Z"  # the published events of 2026-07-01 are within 90 days
UNLIMITED = {"rate": None}
GET_ROLE_CREDENTIALS_ID = "049a5a98-7ad4-4399-b735-eedddb45aa0f"


class Running:
    """A running lake.py and a boto3 CloudTrail client pointed at it."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)
        self.client = boto3.client("cloudtrail", endpoint_url=f"http://127.0.0.1:{port}", config=config)

    def lookup(self, **params: Any) -> dict[str, Any]:
        return self.client.lookup_events(**params)

    def all_events(self, **params: Any) -> list[dict[str, Any]]:
        paginator = self.client.get_paginator("lookup_events")
        return [event for page in paginator.paginate(**params) for event in page["Events"]]


@contextmanager
def lake(folder: Path, config: dict[str, Any], events: Path = FIXTURES, account: str = "999999999999",
         region: str = "us-east-1") -> Iterator[Running]:
    config_path = folder / f"lookup-config-{len(list(folder.iterdir()))}.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, str(LAKE), "--events", str(events), "--event-data-store-id", STORE_ID,
               "--account", account, "--region", region, "--config", str(config_path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        yield Running(process, read_port(process))
    finally:
        stop(process)


@pytest.fixture(autouse=True)
def dummy_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    use_dummy_aws_environment(monkeypatch)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The published fixtures, "now" two weeks after their newest events, no quota."""
    with pytest.MonkeyPatch.context() as patch:
        use_dummy_aws_environment(patch)
        with lake(tmp_path_factory.mktemp("lookup"), {"now": FIXTURES_NOW, "lookup": UNLIMITED}) as running:
            yield running


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def epoch(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------- events and filters


def test_events_newest_first_within_90_days(history: Running) -> None:
    events = history.lookup()["Events"]
    names = [event["EventName"] for event in events]
    assert sorted(names) == sorted(["GetRoleCredentials", "ListAccountRoles", "ListAccounts", "AssumeRoleWithSAML",
                                    "GetCallerIdentity"]), "only the events of 2026-07-01 are within 90 days"
    times = [event["EventTime"] for event in events]
    assert times == sorted(times, reverse=True)
    assert "NextToken" not in history.lookup()


def test_event_shape(history: Running) -> None:
    (event,) = history.lookup(LookupAttributes=[{"AttributeKey": "EventId",
                                                 "AttributeValue": GET_ROLE_CREDENTIALS_ID}])["Events"]
    raw = json.loads((FIXTURES / "idc-new-GetRoleCredentials.json").read_text())
    raw = raw["Records"][0] if "Records" in raw else raw
    assert event["EventId"] == GET_ROLE_CREDENTIALS_ID
    assert (event["EventName"], event["EventSource"], event["ReadOnly"]) == (
        "GetRoleCredentials", "sso.amazonaws.com", "true")
    assert event["EventTime"] == epoch("2026-07-01T00:08:20+00:00")
    assert event["Username"] == raw["userIdentity"]["onBehalfOf"]["userId"]
    assert event["Resources"] == []
    assert json.loads(event["CloudTrailEvent"]) == raw


def test_lookup_attributes(history: Running) -> None:
    by_name = history.lookup(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListAccounts"}])
    assert [event["EventName"] for event in by_name["Events"]] == ["ListAccounts"]
    by_source = history.all_events(LookupAttributes=[{"AttributeKey": "EventSource",
                                                      "AttributeValue": "sts.amazonaws.com"}])
    assert {event["EventName"] for event in by_source} == {"AssumeRoleWithSAML", "GetCallerIdentity"}
    by_type = history.all_events(LookupAttributes=[{"AttributeKey": "ResourceType",
                                                    "AttributeValue": "AWS::IAM::SAMLProvider"}])
    assert [event["EventName"] for event in by_type] == ["AssumeRoleWithSAML"]
    nothing = history.lookup(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Federate"}])
    assert nothing["Events"] == []


def test_time_range_is_inclusive(history: Running) -> None:
    at = epoch("2026-07-01T00:08:20+00:00")
    exact = history.all_events(StartTime=at, EndTime=at)
    assert {event["EventTime"] for event in exact} == {at} and len(exact) == 3
    before = history.all_events(EndTime=at - timedelta(seconds=1))
    assert {event["EventName"] for event in before} == {"ListAccountRoles", "ListAccounts"}
    assert history.all_events(StartTime=epoch("2020-01-01T00:00:00+00:00")) == history.all_events()


def test_paging_and_token_binding(history: Running) -> None:
    first = history.lookup(MaxResults=2)
    second = history.lookup(MaxResults=2, NextToken=first["NextToken"])
    third = history.lookup(MaxResults=2, NextToken=second["NextToken"])
    assert [len(page["Events"]) for page in (first, second, third)] == [2, 2, 1] and "NextToken" not in third
    assert first["Events"] + second["Events"] + third["Events"] == history.lookup()["Events"]
    with pytest.raises(ClientError) as raised:
        history.lookup(MaxResults=2, NextToken=first["NextToken"],
                       LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListAccounts"}])
    assert error_of(raised)[0] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as raised:
        history.lookup(NextToken="not-a-token")
    assert error_of(raised)[0] == "InvalidNextTokenException"


@pytest.mark.parametrize(("params", "code"), [
    ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "A"},
                           {"AttributeKey": "EventSource", "AttributeValue": "B"}]},
     "InvalidLookupAttributesException"),
    ({"LookupAttributes": [{"AttributeKey": "Region", "AttributeValue": "us-east-1"}]},
     "InvalidLookupAttributesException"),
    ({"MaxResults": 0}, "InvalidMaxResultsException"),
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"StartTime": datetime(2026, 7, 2, tzinfo=timezone.utc), "EndTime": datetime(2026, 7, 1, tzinfo=timezone.utc)},
     "InvalidTimeRangeException"),
    ({"EventCategory": "data"}, "InvalidEventCategoryException"),
])
def test_invalid_requests(history: Running, params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        history.lookup(**params)
    assert error_of(raised)[0] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_insight_category_has_no_events(history: Running) -> None:
    assert history.lookup(EventCategory="insight")["Events"] == []


# ---------------------------------------------------------------- the 90-day limit on a trail


def window_event_ids(now: datetime) -> set[str]:
    """The example tree's management events within 90 days before `now`, counted from the files."""
    ids = set()
    for event in load_events(LOGS).events:
        when = datetime.fromisoformat(event["eventTime"])
        if now - timedelta(days=90) <= when <= now and event.get("eventCategory", "Management") == "Management":
            ids.add(event["eventID"])
    return ids


def test_ninety_day_limit_on_the_example_trail(tmp_path: Path) -> None:
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    with lake(tmp_path, {"now": "2026-11-22T00:00:00Z", "lookup": UNLIMITED}, events=LOGS) as running:
        events = running.all_events()
        early = running.all_events(StartTime=now - timedelta(days=200), EndTime=now - timedelta(days=89))
    assert {event["EventId"] for event in events} == window_event_ids(now)
    assert len(load_events(LOGS).events) > len(events) > 100, "some events are older than 90 days"
    assert min(event["EventTime"] for event in early) >= now - timedelta(days=90)


def test_caller_scope_keeps_the_account_and_region(tmp_path: Path) -> None:
    config = {"now": FIXTURES_NOW, "lookup": {"rate": None, "scope": "caller"}}
    with lake(tmp_path, config, account="607481581596", region="ap-southeast-2") as running:
        names = sorted(event["EventName"] for event in running.all_events())
    assert names == ["GetRoleCredentials", "ListAccountRoles", "ListAccounts"]


def test_signed_scope_answers_each_region_with_its_own_events(tmp_path: Path) -> None:
    config = {"now": FIXTURES_NOW, "lookup": {"rate": None, "scope": "signed"}}
    with lake(tmp_path, config, account="607481581596") as running:
        port = running.client.meta.endpoint_url
        names = {}
        for region in ("ap-southeast-2", "eu-west-1"):
            client = boto3.client("cloudtrail", endpoint_url=port, region_name=region)
            names[region] = sorted(event["EventName"] for page in client.get_paginator("lookup_events").paginate()
                                   for event in page["Events"])
    assert names == {"ap-southeast-2": ["GetRoleCredentials", "ListAccountRoles", "ListAccounts"], "eu-west-1": []}


def test_only_management_events(tmp_path: Path) -> None:
    events = tmp_path / "events"
    events.mkdir()
    base = {"eventTime": "2026-07-01T00:00:00Z", "eventSource": "s3.amazonaws.com"}
    records = [{**base, "eventID": "m", "eventName": "CreateBucket", "eventCategory": "Management"},
               {**base, "eventID": "d", "eventName": "GetObject", "eventCategory": "Data", "managementEvent": False},
               {**base, "eventID": "i", "eventName": "CreateBucket", "eventCategory": "Insight"}]
    (events / "mixed.json").write_text(json.dumps({"Records": records}))
    with lake(tmp_path, {"now": FIXTURES_NOW, "lookup": UNLIMITED}, events=events) as running:
        assert [event["EventId"] for event in running.all_events()] == ["m"]


# ---------------------------------------------------------------- the quota


def test_two_requests_a_second_then_throttling(tmp_path: Path) -> None:
    with lake(tmp_path, {"now": FIXTURES_NOW}) as running:
        outcomes = []
        for _ in range(4):
            try:
                running.lookup(MaxResults=1)
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
                assert error.response["Error"]["Message"] == "Rate exceeded"
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert outcomes[:2] == ["ok", "ok"] and outcomes[2:] == ["ThrottlingException"] * 2
        time.sleep(0.55)  # one token back after 0.5 s
        running.lookup(MaxResults=1)


def test_quota_is_configurable_and_spares_other_operations(tmp_path: Path) -> None:
    with lake(tmp_path, {"now": FIXTURES_NOW, "lookup": {"rate": 1, "burst": 3}}) as running:
        for _ in range(3):
            running.lookup(MaxResults=1)
        with pytest.raises(ClientError) as raised:
            running.lookup(MaxResults=1)
        assert error_of(raised) == ("ThrottlingException", "Rate exceeded")
        assert running.client.get_event_data_store(EventDataStore=STORE_ID)["Status"] == "ENABLED"


def test_bad_lookup_config_is_refused(tmp_path: Path) -> None:
    for config, word in (({"now": "yesterday"}, "now"), ({"lookup": {"burst": 0}}, "lookup.burst"),
                         ({"lookup": {"scpoe": "all"}}, "scpoe")):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(config))
        result = subprocess.run([sys.executable, str(LAKE), "--events", str(FIXTURES), "--event-data-store-id",
                                 STORE_ID, "--config", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and word in result.stderr
