"""Preload moto's backends from a directory snapshot, in-process and with its exact ids.

Why: a test compares the tool's live enumeration of the directory to the snapshot it was made
from, so every id must survive; and going through the API would take minutes for the benchmark
size (500 accounts, 100 permission sets, 5,000 users, 300 groups, 20,000 assignments), where
building moto's objects directly takes a fraction of a second. The format is
docs/snapshot-format.md; the organization's management account is the first account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.identitystore.models import Group as MotoGroup
from moto.identitystore.models import IdentityStoreBackend, IdentityStoreData, identitystore_backends
from moto.identitystore.models import User as MotoUser
from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends
from moto.ssoadmin.models import AccountAssignment, PermissionSet, SSOAdminBackend, ssoadmin_backends

from moto_corrections import set_home_region, set_regions, touch_assignments
from moto_identity_corrections import user_facts
from moto_paging import drop_nulls

JOINED_BASE = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()  # accounts' JoinedTimestamp

# --------------------------------------------------------------------------------------------
# Snapshot preload, straight into moto's backends
# --------------------------------------------------------------------------------------------

@dataclass
class Directory:
    """What the launcher announces: the instance and identity store it serves."""

    instance_arn: str
    identity_store_id: str


def management_account(snapshot: dict[str, Any] | None) -> str | None:
    accounts = (snapshot or {}).get("accounts") or []
    return str(accounts[0]["id"]) if accounts else None


def epoch_seconds(rfc3339: str | None) -> float | None:
    if not rfc3339:
        return None
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def preload(snapshot: dict[str, Any], account_id: str, region: str) -> Directory:
    directory = Directory(snapshot["instance_arn"], snapshot["identity_store_id"])
    set_home_region(region)
    set_regions([_region(r) for r in snapshot.get("regions") or []])
    _preload_sso_admin(snapshot, directory, ssoadmin_backends[account_id][region], account_id)
    _preload_identity_store(snapshot, directory, identitystore_backends[account_id][region])
    if snapshot.get("accounts"):
        _preload_organization(snapshot["accounts"], organizations_backends[account_id]["aws"], region)
    return directory


def _region(entry: dict[str, Any]) -> dict[str, Any]:
    """A snapshot Region in ListRegions' shape."""
    added = epoch_seconds(entry.get("added_at"))
    return drop_nulls({"RegionName": entry["name"], "Status": entry.get("status") or "ACTIVE",
                       "IsPrimaryRegion": bool(entry.get("primary")), "AddedDate": added})


def _preload_sso_admin(snapshot: dict[str, Any], directory: Directory,
                       backend: SSOAdminBackend, account_id: str) -> None:
    instance = backend.instances[0]
    instance.instance_arn = directory.instance_arn
    instance.identity_store_id = directory.identity_store_id
    instance.account_id = account_id
    backend.instances = [instance]
    backend.permission_sets = [_permission_set(p, directory.instance_arn)
                               for p in snapshot.get("permission_sets") or []]
    backend.account_assignments = [
        AccountAssignment(directory.instance_arn, str(a["account_id"]), "AWS_ACCOUNT",
                          a["permission_set_arn"], a["principal_type"], a["principal_id"])
        for a in snapshot.get("assignments") or []
    ]
    touch_assignments(backend)


def _permission_set(entry: dict[str, Any], instance_arn: str) -> PermissionSet:
    ps = PermissionSet(entry["name"], entry.get("description"), instance_arn, "PT1H", None, [])
    ps.permission_set_arn = entry["arn"]
    return ps


def _preload_identity_store(snapshot: dict[str, Any], directory: Directory,
                            backend: IdentityStoreBackend) -> None:
    store = IdentityStoreData()
    store_id = directory.identity_store_id
    facts = user_facts(backend)
    for u in snapshot.get("users") or []:
        store.users[u["user_id"]] = _moto_user(u, store_id)
        facts[u["user_id"]] = drop_nulls({"UserStatus": u.get("status"),
                                          "CreatedAt": epoch_seconds(u.get("created_at"))})
    for g in snapshot.get("groups") or []:
        store.groups[g["group_id"]] = MotoGroup(g["group_id"], g.get("display_name"), [], None, store_id)
        for user_id in g.get("member_user_ids") or []:
            membership_id = _membership_id(store_id, g["group_id"], user_id)
            store.group_memberships[membership_id] = {
                "IdentityStoreId": store_id, "MembershipId": membership_id,
                "GroupId": g["group_id"], "MemberId": {"UserId": user_id},
            }
    backend.identity_stores[store_id] = store


def _moto_user(u: dict[str, Any], store_id: str) -> MotoUser:
    emails = [{"Value": u["email"], "Type": "work", "Primary": True}] if u.get("email") else None
    return MotoUser(u["user_id"], store_id, u["user_name"], None, u.get("display_name"), None,
                    None, emails, None, None, None, None, None, None, None)


def _membership_id(store_id: str, group_id: str, user_id: str) -> str:
    """Stable id in AWS's "<10 hex>-<uuid>" form; the snapshot names no membership ids."""
    stable = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{group_id}/{user_id}"))
    hex10 = store_id[2:] if store_id.startswith("d-") else ""
    return f"{hex10}-{stable}" if len(hex10) == 10 else stable


def _preload_organization(accounts: list[dict[str, Any]], backend: OrganizationsBackend,
                          region: str) -> None:
    backend.create_organization(region=region, FeatureSet="ALL")
    org = backend.org
    master = backend.accounts[0]  # created by create_organization, id = the caller's account
    members = [_bare_account(org, a, i) for i, a in enumerate(accounts[1:], start=1)]
    _describe_as(master, accounts[0], 0)
    backend.accounts = [master, *members]
    for account in members:
        organizations_backends.master_accounts[account.id] = (org.master_account_id, "aws")


def _bare_account(org: Any, entry: dict[str, Any], position: int) -> FakeAccount:
    """A member account without moto's per-account IAM role (too slow for 500 accounts)."""
    account = FakeAccount.__new__(FakeAccount)
    account.type = "ACCOUNT"
    account.region = org.region
    account.organization_id = org.id
    account.master_account_id = org.master_account_id
    account.create_account_status_id = f"car-{position:08d}"
    account.id = str(entry["id"])
    account.joined_method = "CREATED"
    account.parent_id = org.root_id
    account.attached_policies = []
    account.tags = {}
    _describe_as(account, entry, position)
    return account


def _describe_as(account: FakeAccount, entry: dict[str, Any], position: int) -> None:
    account.name = entry.get("name")
    account.email = f"aws+{entry['id']}@example.com"
    account.status = entry.get("status")
    account.state = entry.get("status")
    # moto keeps naive UTC datetimes; one second apart keeps JoinedTimestamp distinct
    joined = datetime.fromtimestamp(JOINED_BASE + position, tz=timezone.utc)
    account.create_time = joined.replace(tzinfo=None)


def default_directory(account_id: str, region: str) -> Directory:
    instance = ssoadmin_backends[account_id][region].instances[0]
    return Directory(instance.instance_arn, instance.identity_store_id)
