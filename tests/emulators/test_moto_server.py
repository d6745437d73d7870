"""Self-test of moto_server.py, through boto3 as any AWS client would see it.

Why: the Rust tool's directory tests trust this emulator to answer like AWS. Each moto correction,
the snapshot preload, the quotas and every injected fault is checked here, against real
launcher processes on 127.0.0.1, so a moto upgrade that changes behaviour fails here first.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

LAUNCHER = Path(__file__).with_name("moto_server.py")
READY_TIMEOUT_S = 60.0

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
STORE = "d-1234567890"
MGMT, DEV, PROD = "111111111111", "222222222222", "333333333333"
PS_ADMIN = f"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-{'a' * 16}"
PS_READ = f"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-{'b' * 16}"
PS_UNUSED = f"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-{'c' * 16}"
ALICE = "1234567890-11111111-1111-1111-1111-111111111111"
BOB = "1234567890-22222222-2222-2222-2222-222222222222"
CAROL = "1234567890-33333333-3333-3333-3333-333333333333"
OPS = "1234567890-44444444-4444-4444-4444-444444444444"
EMPTY = "1234567890-55555555-5555-5555-5555-555555555555"


def small_snapshot() -> dict[str, Any]:
    """Three accounts, three permission sets, three users, two groups, one duplicate grant."""
    def grant(account: str, ps: str, kind: str, principal: str) -> dict[str, str]:
        return {"account_id": account, "permission_set_arn": ps,
                "principal_type": kind, "principal_id": principal}

    return {
        "instance_arn": INSTANCE,
        "identity_store_id": STORE,
        "accounts": [{"id": MGMT, "name": "management", "status": "ACTIVE"},
                     {"id": DEV, "name": "dev", "status": "ACTIVE"},
                     {"id": PROD, "name": "prod", "status": "SUSPENDED"}],
        "permission_sets": [{"arn": PS_ADMIN, "name": "AdministratorAccess", "description": "Full"},
                            {"arn": PS_READ, "name": "ReadOnlyAccess"},
                            {"arn": PS_UNUSED, "name": "Unused"}],
        "users": [
            {"user_id": ALICE, "user_name": "alice", "display_name": "Alice",
             "email": "alice@example.com", "status": "ENABLED", "created_at": "2024-01-01T00:00:00Z"},
            {"user_id": BOB, "user_name": "bob", "status": "DISABLED",
             "created_at": "2023-06-01T12:00:00Z"},
            {"user_id": CAROL, "user_name": "carol"},
        ],
        "groups": [{"group_id": OPS, "display_name": "Ops", "member_user_ids": [ALICE, BOB]},
                   {"group_id": EMPTY, "display_name": "Empty"}],
        "assignments": [
            grant(DEV, PS_ADMIN, "USER", ALICE),
            grant(DEV, PS_ADMIN, "USER", ALICE),  # a duplicate: AWS never has one, snapshots may
            grant(DEV, PS_ADMIN, "GROUP", OPS),
            grant(PROD, PS_ADMIN, "USER", BOB),
            grant(PROD, PS_READ, "GROUP", OPS),
            grant(DEV, PS_READ, "USER", CAROL),
        ],
    }


def large_snapshot(accounts: int = 500, sets: int = 100, users: int = 5000, groups: int = 300,
                   assignments: int = 20_000) -> dict[str, Any]:
    """The sizes the benchmark uses, with ids in AWS's formats."""
    user_ids = [f"1234567890-{i:08x}-0000-4000-8000-{i:012x}" for i in range(users)]
    group_ids = [f"1234567890-{i:08x}-1111-4000-8000-{i:012x}" for i in range(groups)]
    account_ids = [f"{100000000000 + i}" for i in range(accounts)]
    set_arns = [f"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-{i:016x}" for i in range(sets)]
    grants = []
    for i in range(assignments):
        kind, pool = ("GROUP", group_ids) if i % 4 == 0 else ("USER", user_ids)
        grants.append({"account_id": account_ids[i % accounts], "permission_set_arn": set_arns[i % sets],
                       "principal_type": kind, "principal_id": pool[(i * 7) % len(pool)]})
    return {
        "instance_arn": INSTANCE, "identity_store_id": STORE,
        "accounts": [{"id": a, "name": f"acct-{a}", "status": "ACTIVE"} for a in account_ids],
        "permission_sets": [{"arn": a, "name": f"Set{i}"} for i, a in enumerate(set_arns)],
        "users": [{"user_id": u, "user_name": f"user{i}", "status": "ENABLED",
                   "created_at": "2024-01-01T00:00:00Z"} for i, u in enumerate(user_ids)],
        "groups": [{"group_id": g, "display_name": f"group{i}",
                    "member_user_ids": user_ids[i * 15:(i + 1) * 15]} for i, g in enumerate(group_ids)],
        "assignments": grants,
    }


@dataclass
class Emulator:
    proc: subprocess.Popen[bytes]
    port: int
    instance_arn: str
    identity_store_id: str
    calls_log: Path
    ready_after_s: float

    def client(self, service: str, retries: bool = True) -> Any:
        retry = {"mode": "standard", "max_attempts": 6} if retries else {"total_max_attempts": 1}
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.port}",
                            region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                            aws_secret_access_key="secret", config=Config(retries=retry))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
        return self.proc.wait(timeout=10)

    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.calls_log.read_text().splitlines()]


def launch(workdir: Path, snapshot: dict[str, Any] | None = None,
           config: dict[str, Any] | None = None) -> Emulator:
    workdir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, str(LAUNCHER), "--port", "0", "--region", "us-east-1",
            "--calls-log", str(workdir / "calls.jsonl")]
    if snapshot is not None:
        (workdir / "snapshot.json").write_text(json.dumps(snapshot))
        args += ["--snapshot", str(workdir / "snapshot.json")]
    if config is not None:
        (workdir / "config.json").write_text(json.dumps(config))
        args += ["--config", str(workdir / "config.json")]
    started = time.monotonic()
    with open(workdir / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    line = _first_line(proc, workdir)
    ready = json.loads(line)
    return Emulator(proc, ready["port"], ready["instance_arn"], ready["identity_store_id"],
                    workdir / "calls.jsonl", time.monotonic() - started)


def _first_line(proc: subprocess.Popen[bytes], workdir: Path) -> str:
    readable, _, _ = select.select([proc.stdout], [], [], READY_TIMEOUT_S)
    if not readable:
        proc.kill()
        raise AssertionError(f"emulator not ready: {(workdir / 'stderr.txt').read_text()}")
    line = proc.stdout.readline().decode()  # type: ignore[union-attr]
    if not line:
        raise AssertionError(f"emulator died: {(workdir / 'stderr.txt').read_text()}")
    return line


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The small snapshot at AWS's default quotas; tests here only read."""
    emu = launch(tmp_path_factory.mktemp("emulator"), small_snapshot())
    yield emu
    assert emu.stop() == 0


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The small snapshot for tests that write."""
    emu = launch(tmp_path_factory.mktemp("scratch"), small_snapshot())
    yield emu
    emu.stop()


FAULTS = {
    "deny": ["sso-admin:ListAccountAssignmentsForPrincipal", "organizations:ListAccounts"],
    "max_page_size": 1,
    "fail_5xx": {"identitystore:ListUsers": 2},
    "repeat_next_token": ["identitystore:ListGroups"],
}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = launch(tmp_path_factory.mktemp("faulty"), small_snapshot(), FAULTS)
    yield emu
    emu.stop()


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], \
        headers.get("x-amzn-errortype", "")


def all_pages(call: Any, member: str, limit: int = 50, **kwargs: Any) -> tuple[list[Any], int]:
    """Every item over every page, and the page count; fails instead of looping."""
    items: list[Any] = []
    tokens: set[str] = set()
    for pages in range(1, limit + 1):
        page = call(**kwargs)
        items += page[member]
        token = page.get("NextToken")
        if not token:
            return items, pages
        assert token not in tokens, "a NextToken came back twice"
        tokens.add(token)
        kwargs["NextToken"] = token
    raise AssertionError("more pages than items")


# --- the preload ------------------------------------------------------------------------------

def test_announces_the_snapshot_instance(emulator: Emulator) -> None:
    assert (emulator.instance_arn, emulator.identity_store_id) == (INSTANCE, STORE)
    instances = emulator.client("sso-admin").list_instances()["Instances"]
    assert [(i["InstanceArn"], i["IdentityStoreId"], i["OwnerAccountId"]) for i in instances] == \
        [(INSTANCE, STORE, MGMT)]


def test_other_regions_have_no_instance(emulator: Emulator) -> None:
    sso = boto3.client("sso-admin", endpoint_url=f"http://127.0.0.1:{emulator.port}",
                       region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                       aws_secret_access_key="secret")
    assert sso.list_instances()["Instances"] == []


def test_an_instance_never_replicated_lists_its_own_region(emulator: Emulator) -> None:
    regions = emulator.client("sso-admin").list_regions(InstanceArn=INSTANCE)["Regions"]
    assert regions == [{"RegionName": "us-east-1", "Status": "ACTIVE", "IsPrimaryRegion": True}]


def test_the_snapshot_regions_are_listed_page_by_page(tmp_path: Path) -> None:
    snapshot = small_snapshot()
    snapshot["regions"] = [{"name": "us-east-1", "primary": True, "status": "ACTIVE"},
                           {"name": "eu-west-1", "status": "ADDING", "added_at": "2026-11-01T00:00:00Z"}]
    emu = launch(tmp_path, snapshot)
    try:
        sso = emu.client("sso-admin")
        first = sso.list_regions(InstanceArn=INSTANCE, MaxResults=1)
        second = sso.list_regions(InstanceArn=INSTANCE, NextToken=first["NextToken"])
        regions = first["Regions"] + second["Regions"]
        assert [(r["RegionName"], r["Status"], r["IsPrimaryRegion"]) for r in regions] == [
            ("us-east-1", "ACTIVE", True), ("eu-west-1", "ADDING", False)]
        assert regions[1]["AddedDate"].isoformat() == "2026-11-01T00:00:00+00:00"
        assert "NextToken" not in second
        with pytest.raises(ClientError) as raised:
            sso.list_regions(InstanceArn="arn:aws:sso:::instance/ssoins-0000000000000000")
        assert error_of(raised)[1] == "ResourceNotFoundException"
    finally:
        assert emu.stop() == 0


def test_account_access_serves_the_snapshot_entitlements_and_a_foreign_application(tmp_path: Path) -> None:
    snapshot = small_snapshot()
    app = f"arn:aws:account-access:us-east-1:{MGMT}:application/app-1"
    snapshot["entitlements"] = [
        {"application_arn": app, "entitlement_id": f"ent-{n}", "principal_type": kind, "principal_id": principal,
         "role_arn": f"arn:aws:iam::{MGMT}:role/Role{n}", "account_id": MGMT, "account_name": "mgmt"}
        for n, (kind, principal) in enumerate([("USER", "u-1"), ("GROUP", "g-1"), ("USER", "u-2")])]
    emu = launch(tmp_path, snapshot, {"max_page_size": 2})
    try:
        client = emu.client("account-access")
        arns = [a["applicationArn"] for a in client.list_applications()["applications"]]
        assert app in arns and len(arns) == 2
        instances = {arn: client.get_application(applicationArn=arn)["identitySource"]["identityCenter"]["instanceArn"]
                     for arn in arns}
        assert instances[app] == INSTANCE and list(instances.values()).count(INSTANCE) == 1
        everything = {"principalRole": {}}
        first = client.list_entitlements(applicationArn=app, filter=everything)
        second = client.list_entitlements(applicationArn=app, filter=everything, nextToken=first["nextToken"])
        listed = first["entitlements"] + second["entitlements"]
        assert [e["entitlement"]["principalRole"]["principal"]["identityCenter"] for e in listed] == [
            {"userId": "u-1"}, {"groupId": "g-1"}, {"userId": "u-2"}]
        only = client.list_entitlements(applicationArn=app, filter={"principalRole": {"roleArn": f"arn:aws:iam::{MGMT}:role/Role1"}})
        assert [e["entitlementId"] for e in only["entitlements"]] == ["ent-1"]
        with pytest.raises(ClientError) as raised:
            client.get_application(applicationArn=f"arn:aws:account-access:us-east-1:{MGMT}:application/none")
        assert error_of(raised)[:2] == (404, "ResourceNotFoundException")
        assert {c["action"] for c in emu.calls()} >= {"account-access:ListApplications", "account-access:GetApplication",
                                                       "account-access:ListEntitlements"}
    finally:
        assert emu.stop() == 0


def test_caller_is_the_management_account(emulator: Emulator) -> None:
    assert emulator.client("sts").get_caller_identity()["Account"] == MGMT


def test_permission_sets_are_preloaded_with_their_ids(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin")
    arns, _ = all_pages(sso.list_permission_sets, "PermissionSets", InstanceArn=INSTANCE)
    assert arns == [PS_ADMIN, PS_READ, PS_UNUSED]
    described = sso.describe_permission_set(InstanceArn=INSTANCE, PermissionSetArn=PS_ADMIN)
    ps = described["PermissionSet"]
    assert (ps["Name"], ps["Description"], ps["SessionDuration"]) == ("AdministratorAccess", "Full", "PT1H")


def test_users_carry_status_and_creation_time(emulator: Emulator) -> None:
    users, _ = all_pages(emulator.client("identitystore").list_users, "Users", IdentityStoreId=STORE)
    by_id = {u["UserId"]: u for u in users}
    assert list(by_id) == [ALICE, BOB, CAROL]
    assert by_id[ALICE]["UserName"] == "alice"
    assert by_id[ALICE]["Emails"][0]["Value"] == "alice@example.com"
    assert by_id[ALICE]["UserStatus"] == "ENABLED"
    assert by_id[ALICE]["CreatedAt"].timestamp() == 1704067200.0  # 2024-01-01T00:00:00Z
    assert by_id[BOB]["UserStatus"] == "DISABLED"
    assert by_id[BOB]["CreatedAt"].timestamp() == 1685620800.0
    assert "UserStatus" not in by_id[CAROL] and "CreatedAt" not in by_id[CAROL]
    assert by_id[ALICE]["UserArn"].endswith(f":user/{ALICE}")


def test_groups_and_memberships_are_preloaded(emulator: Emulator) -> None:
    ids = emulator.client("identitystore")
    groups, _ = all_pages(ids.list_groups, "Groups", IdentityStoreId=STORE)
    assert [(g["GroupId"], g["DisplayName"]) for g in groups] == [(OPS, "Ops"), (EMPTY, "Empty")]
    members, _ = all_pages(ids.list_group_memberships, "GroupMemberships",
                           IdentityStoreId=STORE, GroupId=OPS)
    assert [m["MemberId"]["UserId"] for m in members] == [ALICE, BOB]
    assert all(m["MembershipId"].startswith("1234567890-") for m in members)


def test_accounts_are_preloaded(emulator: Emulator) -> None:
    accounts, _ = all_pages(emulator.client("organizations").list_accounts, "Accounts")
    assert [(a["Id"], a["Name"], a["Status"]) for a in accounts] == \
        [(MGMT, "management", "ACTIVE"), (DEV, "dev", "ACTIVE"), (PROD, "prod", "SUSPENDED")]


# --- the corrections --------------------------------------------------------------------------

def test_accounts_for_provisioned_set_are_where_it_is_assigned(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin")
    accounts, pages = all_pages(sso.list_accounts_for_provisioned_permission_set, "AccountIds",
                                InstanceArn=INSTANCE, PermissionSetArn=PS_ADMIN, MaxResults=1)
    assert (accounts, pages) == ([DEV, PROD], 2)
    unused = sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=INSTANCE, PermissionSetArn=PS_UNUSED)["AccountIds"]
    assert unused == []  # moto answered the caller's account


def test_duplicate_assignment_does_not_loop_pages(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin")
    items, pages = all_pages(sso.list_account_assignments, "AccountAssignments", limit=5,
                             InstanceArn=INSTANCE, AccountId=DEV, PermissionSetArn=PS_ADMIN,
                             MaxResults=1)
    assert pages == 3
    assert [(a["PrincipalType"], a["PrincipalId"]) for a in items] == \
        [("USER", ALICE), ("USER", ALICE), ("GROUP", OPS)]
    assert set(items[0]) == {"AccountId", "PermissionSetArn", "PrincipalType", "PrincipalId"}


def test_assignments_for_principal_are_paginated(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin")
    items, pages = all_pages(sso.list_account_assignments_for_principal, "AccountAssignments",
                             InstanceArn=INSTANCE, PrincipalType="GROUP", PrincipalId=OPS,
                             MaxResults=1)
    assert pages == 2
    assert [(a["AccountId"], a["PermissionSetArn"]) for a in items] == [(DEV, PS_ADMIN), (PROD, PS_READ)]
    filtered = sso.list_account_assignments_for_principal(
        InstanceArn=INSTANCE, PrincipalType="GROUP", PrincipalId=OPS, Filter={"AccountId": PROD})
    assert [a["PermissionSetArn"] for a in filtered["AccountAssignments"]] == [PS_READ]


def test_a_foreign_next_token_is_refused(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin", retries=False)
    first = sso.list_account_assignments(InstanceArn=INSTANCE, AccountId=DEV,
                                         PermissionSetArn=PS_ADMIN, MaxResults=1)
    with pytest.raises(ClientError) as caught:
        sso.list_account_assignments(InstanceArn=INSTANCE, AccountId=PROD, PermissionSetArn=PS_ADMIN,
                                     NextToken=first["NextToken"])
    assert error_of(caught)[:2] == (400, "ValidationException")


def test_page_sizes_outside_the_model_are_refused(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        emulator.client("organizations", retries=False).list_accounts(MaxResults=21)
    assert error_of(caught)[:2] == (400, "InvalidInputException")
    with pytest.raises(ClientError) as caught:
        emulator.client("identitystore", retries=False).list_users(IdentityStoreId=STORE, MaxResults=101)
    assert error_of(caught)[:2] == (400, "ValidationException")


def test_account_pages_hold_at_most_twenty(tmp_path: Path) -> None:
    snapshot = small_snapshot()
    snapshot["accounts"] += [{"id": f"{400000000000 + i}", "name": None} for i in range(25)]
    emu = launch(tmp_path, snapshot, {"rates": {"organizations": None}})
    try:
        org = emu.client("organizations")
        first = org.list_accounts()
        assert len(first["Accounts"]) == 20 and first["NextToken"]
        accounts, _ = all_pages(org.list_accounts, "Accounts")
        assert len({a["Id"] for a in accounts}) == 28
        assert "Name" not in accounts[-1]
    finally:
        emu.stop()


def test_unknown_identity_store_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        emulator.client("identitystore", retries=False).list_users(IdentityStoreId="d-0000000000")
    assert error_of(caught)[:2] == (400, "ResourceNotFoundException")


def test_created_permission_set_has_iso_session_duration(scratch: Emulator) -> None:
    sso = scratch.client("sso-admin")
    created = sso.create_permission_set(Name="NoDuration", InstanceArn=INSTANCE)
    arn = created["PermissionSet"]["PermissionSetArn"]
    described = sso.describe_permission_set(InstanceArn=INSTANCE, PermissionSetArn=arn)
    assert described["PermissionSet"]["SessionDuration"] == "PT1H"
    arn = sso.create_permission_set(Name="Long", InstanceArn=INSTANCE,
                                    SessionDuration="PT8H")["PermissionSet"]["PermissionSetArn"]
    described = sso.describe_permission_set(InstanceArn=INSTANCE, PermissionSetArn=arn)
    assert described["PermissionSet"]["SessionDuration"] == "PT8H"


def test_creating_an_existing_assignment_changes_nothing(scratch: Emulator) -> None:
    sso = scratch.client("sso-admin")
    grant = dict(InstanceArn=INSTANCE, TargetId=PROD, TargetType="AWS_ACCOUNT",
                 PermissionSetArn=PS_READ, PrincipalType="USER", PrincipalId=CAROL)
    sso.create_account_assignment(**grant)
    sso.create_account_assignment(**grant)
    items, _ = all_pages(sso.list_account_assignments, "AccountAssignments",
                         InstanceArn=INSTANCE, AccountId=PROD, PermissionSetArn=PS_READ)
    assert [a["PrincipalId"] for a in items] == [OPS, CAROL]


def test_deleting_an_assignment_is_in_progress_until_described(scratch: Emulator) -> None:
    sso = scratch.client("sso-admin")
    grant = dict(InstanceArn=INSTANCE, TargetId=PROD, TargetType="AWS_ACCOUNT",
                 PermissionSetArn=PS_READ, PrincipalType="USER", PrincipalId=CAROL)
    sso.create_account_assignment(**grant)
    status = sso.delete_account_assignment(**grant)["AccountAssignmentDeletionStatus"]
    assert status["Status"] == "IN_PROGRESS"
    described = sso.describe_account_assignment_deletion_status(
        InstanceArn=INSTANCE, AccountAssignmentDeletionRequestId=status["RequestId"])
    assert described["AccountAssignmentDeletionStatus"]["Status"] == "SUCCEEDED"
    items, _ = all_pages(sso.list_account_assignments, "AccountAssignments",
                         InstanceArn=INSTANCE, AccountId=PROD, PermissionSetArn=PS_READ)
    assert [a["PrincipalId"] for a in items] == [OPS]


def test_provisioning_records_the_target_account(scratch: Emulator) -> None:
    sso = scratch.client("sso-admin")
    status = sso.provision_permission_set(InstanceArn=INSTANCE, PermissionSetArn=PS_UNUSED,
                                          TargetId=PROD, TargetType="AWS_ACCOUNT")
    assert status["PermissionSetProvisioningStatus"]["AccountId"] == PROD
    accounts = sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=INSTANCE, PermissionSetArn=PS_UNUSED)["AccountIds"]
    assert accounts == [PROD]
    sets = sso.list_permission_sets_provisioned_to_account(InstanceArn=INSTANCE, AccountId=PROD)
    assert set(sets["PermissionSets"]) == {PS_ADMIN, PS_READ, PS_UNUSED}


def test_users_created_through_the_api_have_status_and_time(scratch: Emulator) -> None:
    ids = scratch.client("identitystore")
    before = time.time()
    user_id = ids.create_user(IdentityStoreId=STORE, UserName="dave", DisplayName="Dave",
                              Name={"GivenName": "Dave", "FamilyName": "D"})["UserId"]
    user = ids.describe_user(IdentityStoreId=STORE, UserId=user_id)
    assert user["UserStatus"] == "ENABLED"
    assert user["CreatedAt"].timestamp() >= before - 1


# --- quotas -----------------------------------------------------------------------------------

def burst(call: Any, count: int, threads: int = 12) -> list[str]:
    """Send `count` calls at once; the error code of each ("" when it passed)."""
    def one(_: int) -> str:
        try:
            call()
            return ""
        except ClientError as e:
            return e.response["Error"]["Code"]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def test_sso_admin_burst_is_throttled_like_aws(emulator: Emulator) -> None:
    sso = emulator.client("sso-admin", retries=False)
    codes = burst(lambda: sso.list_instances(), 60)
    assert codes.count("") >= 20, "the bucket starts full: a burst of 20 passes"
    assert codes.count("ThrottlingException") > 0
    assert set(codes) <= {"", "ThrottlingException"}
    with pytest.raises(ClientError) as caught:  # the bucket is shared by every sso-admin API
        for _ in range(40):
            sso.list_permission_sets(InstanceArn=INSTANCE)
    assert error_of(caught) == (400, "ThrottlingException", "ThrottlingException")


def test_sso_admin_at_15_per_second_is_never_throttled(emulator: Emulator) -> None:
    time.sleep(1.1)  # refill after the burst test
    sso = emulator.client("sso-admin", retries=False)
    start = time.monotonic()
    for i in range(30):
        time.sleep(max(0.0, start + i / 15 - time.monotonic()))
        sso.list_instances()  # raises on ThrottlingException


def test_identity_store_quota_is_per_api(emulator: Emulator) -> None:
    ids = emulator.client("identitystore", retries=False)
    codes = burst(lambda: ids.list_groups(IdentityStoreId=STORE), 45)
    assert "ThrottlingException" in codes
    ids.list_users(IdentityStoreId=STORE)  # another API, another bucket


def test_organizations_throttles_with_too_many_requests(emulator: Emulator) -> None:
    org = emulator.client("organizations", retries=False)
    with pytest.raises(ClientError) as caught:
        for _ in range(6):
            org.list_accounts()
    assert error_of(caught) == (400, "TooManyRequestsException", "TooManyRequestsException")


# --- injected faults --------------------------------------------------------------------------

def test_denied_actions_answer_access_denied(faulty: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        faulty.client("sso-admin", retries=False).list_account_assignments_for_principal(
            InstanceArn=INSTANCE, PrincipalType="USER", PrincipalId=ALICE)
    assert error_of(caught)[:2] == (400, "AccessDeniedException")
    assert "sso:ListAccountAssignmentsForPrincipal" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        faulty.client("organizations", retries=False).list_accounts()
    assert "organizations:ListAccounts" in caught.value.response["Error"]["Message"]


def test_max_page_size_caps_every_page(faulty: Emulator) -> None:
    sso = faulty.client("sso-admin")
    arns, pages = all_pages(sso.list_permission_sets, "PermissionSets", InstanceArn=INSTANCE, MaxResults=50)
    assert (arns, pages) == ([PS_ADMIN, PS_READ, PS_UNUSED], 3)
    members, pages = all_pages(faulty.client("identitystore").list_group_memberships, "GroupMemberships",
                               IdentityStoreId=STORE, GroupId=OPS)
    assert pages == 2 and len(members) == 2


def test_first_calls_fail_with_500(faulty: Emulator) -> None:
    ids = faulty.client("identitystore", retries=False)
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            ids.list_users(IdentityStoreId=STORE)
        assert error_of(caught)[:2] == (500, "InternalServerException")
    assert ids.list_users(IdentityStoreId=STORE)["Users"]


def test_repeated_next_token_comes_back_forever(faulty: Emulator) -> None:
    ids = faulty.client("identitystore")
    page = ids.list_groups(IdentityStoreId=STORE)
    seen = [page["NextToken"]]
    for _ in range(3):
        page = ids.list_groups(IdentityStoreId=STORE, NextToken=page["NextToken"])
        seen.append(page["NextToken"])
        assert [g["GroupId"] for g in page["Groups"]] == [OPS]
    assert len(set(seen)) == 1


def test_calls_log_has_one_line_per_request(faulty: Emulator) -> None:
    faulty.client("sts").get_caller_identity()
    calls = faulty.calls()
    assert {"service", "operation", "action", "status", "t"} <= set(calls[-1])
    assert calls[-1]["action"] == "sts:GetCallerIdentity" and calls[-1]["status"] == 200
    denied = [c for c in calls if c["operation"] == "ListAccountAssignmentsForPrincipal"]
    assert denied and denied[0]["service"] == "sso-admin" and denied[0]["status"] == 400
    times = [c["t"] for c in calls]
    assert times == sorted(times)


# --- lifecycle and scale ----------------------------------------------------------------------

def test_exits_on_sigterm_and_serves_moto_defaults_without_snapshot(tmp_path: Path) -> None:
    emu = launch(tmp_path)
    assert emu.instance_arn.startswith("arn:aws:sso:::instance/ssoins-")
    assert emu.client("sts").get_caller_identity()["Account"] == "123456789012"
    emu.proc.send_signal(signal.SIGTERM)
    assert emu.proc.wait(timeout=10) == 0


def test_loads_the_benchmark_sized_snapshot_quickly(tmp_path: Path) -> None:
    emu = launch(tmp_path, large_snapshot(), {"rates": {"sso-admin": None}})
    try:
        sys.stderr.write(f"\n20,000-assignment snapshot ready after {emu.ready_after_s:.2f}s\n")
        assert emu.ready_after_s < 20
        sso = emu.client("sso-admin")
        sets, _ = all_pages(sso.list_permission_sets, "PermissionSets", InstanceArn=INSTANCE)
        assert len(sets) == 100
        accounts, _ = all_pages(sso.list_accounts_for_provisioned_permission_set, "AccountIds",
                                InstanceArn=INSTANCE, PermissionSetArn=sets[0])
        assert len(accounts) == 5  # set i is granted in accounts i, i+100, ...
        grants, _ = all_pages(sso.list_account_assignments, "AccountAssignments",
                              InstanceArn=INSTANCE, AccountId=accounts[0], PermissionSetArn=sets[0])
        assert len(grants) == 40
    finally:
        emu.stop()


def test_stdin_close_stops_the_server(tmp_path: Path) -> None:
    emu = launch(tmp_path, small_snapshot())
    done = threading.Event()
    threading.Thread(target=lambda: (emu.proc.wait(), done.set()), daemon=True).start()
    emu.proc.stdin.close()  # type: ignore[union-attr]
    assert done.wait(10) and emu.proc.returncode == 0
