"""Corrections to moto 5.2.5 for the calls idc-credential-report makes, applied in-process.

Why: moto answers sso-admin, identitystore and organizations, but in places not as AWS does,
and the tool (AWS SDK for Rust) would notice: pages that never end, accounts that are not
where a permission set is provisioned, fields the model requires or the tool reads, a number
where the model says string. Each patch below names what AWS does and what moto does; each is
tested in test_moto_server.py and listed in README.md. `apply_corrections()` installs them.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.ssoadmin.models import AccountAssignment, PermissionSet, SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

from moto_identity_corrections import correct_identitystore, correct_organizations
from moto_paging import drop_nulls, iso8601_duration, page_of

# --------------------------------------------------------------------------------------------
# Corrections: sso-admin
# --------------------------------------------------------------------------------------------

_INDEX_LOCK = threading.Lock()


@dataclass
class AssignmentIndex:
    """Assignments grouped the three ways the list APIs ask for them."""

    generation: int
    by_target: dict[tuple[str, str, str], list[AccountAssignment]]
    by_principal: dict[tuple[str, str, str], list[AccountAssignment]]
    accounts_by_set: dict[tuple[str, str], dict[str, None]]


def touch_assignments(backend: SSOAdminBackend) -> None:
    """Mark the backend's assignments changed, so the index is rebuilt on next use."""
    backend._emulator_generation = getattr(backend, "_emulator_generation", 0) + 1


def assignment_index(backend: SSOAdminBackend) -> AssignmentIndex:
    """The index for the current assignments (moto scans the whole list on every call)."""
    generation = getattr(backend, "_emulator_generation", 0)
    with _INDEX_LOCK:
        index: AssignmentIndex | None = getattr(backend, "_emulator_index", None)
        if index is None or index.generation != generation:
            index = _build_index(backend.account_assignments, generation)
            backend._emulator_index = index
        return index


def _build_index(assignments: Iterable[AccountAssignment], generation: int) -> AssignmentIndex:
    index = AssignmentIndex(generation, {}, {}, {})
    for a in assignments:
        index.by_target.setdefault((a.instance_arn, a.target_id, a.permission_set_arn), []).append(a)
        index.by_principal.setdefault((a.instance_arn, a.principal_type, a.principal_id), []).append(a)
        index.accounts_by_set.setdefault((a.instance_arn, a.permission_set_arn), {})[a.target_id] = None
    return index


def provisioned_accounts(backend: SSOAdminBackend, instance_arn: str,
                         permission_set_arn: str) -> list[str]:
    """Accounts holding the set: those with an assignment of it, then explicit provisions."""
    key = (instance_arn, permission_set_arn)
    accounts = dict(assignment_index(backend).accounts_by_set.get(key, {}))
    accounts.update(_explicit_provisions(backend).get(key, {}))
    return list(accounts)


def _explicit_provisions(backend: SSOAdminBackend) -> dict[tuple[str, str], dict[str, None]]:
    if not hasattr(backend, "_emulator_provisions"):
        backend._emulator_provisions = {}
    return backend._emulator_provisions


def _assignment_item(a: AccountAssignment) -> dict[str, str]:
    return {"AccountId": a.target_id, "PermissionSetArn": a.permission_set_arn,
            "PrincipalType": a.principal_type, "PrincipalId": a.principal_id}


def _request(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.body or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def sso_list_account_assignments(self: SSOAdminResponse) -> str:
    # AWS: the assignments of one permission set in one account, paginated, every page new.
    # moto 5.2.5: scans every assignment per call and paginates by item values, so a duplicate
    # assignment makes it return the same NextToken forever.
    req = _request(self)
    key = (req.get("InstanceArn"), req.get("AccountId"), req.get("PermissionSetArn"))
    found = assignment_index(self.ssoadmin_backend).by_target.get(key, [])
    items, token = page_of([_assignment_item(a) for a in found], req, 100, "ValidationException")
    return json.dumps(drop_nulls({"AccountAssignments": items, "NextToken": token}))


def sso_list_account_assignments_for_principal(self: SSOAdminResponse) -> str:
    # AWS: every assignment of one user or group, optionally for one account, paginated.
    # moto 5.2.5: same value-based paginator as above (loops on duplicates), full scan per call.
    req = _request(self)
    key = (req.get("InstanceArn"), req.get("PrincipalType"), req.get("PrincipalId"))
    found = assignment_index(self.ssoadmin_backend).by_principal.get(key, [])
    account = (req.get("Filter") or {}).get("AccountId")
    items = [_assignment_item(a) for a in found if account is None or a.target_id == account]
    items, token = page_of(items, req, 100, "ValidationException")
    return json.dumps(drop_nulls({"AccountAssignments": items, "NextToken": token}))


def sso_list_accounts_for_provisioned_permission_set(self: SSOAdminResponse) -> str:
    # AWS: the accounts where the permission set is provisioned, paginated.
    # moto 5.2.5: the caller's own account if the set was ever provisioned anywhere, else
    # nothing; ignores assignments, MaxResults and NextToken.
    req = _request(self)
    backend = self.ssoadmin_backend
    backend._find_permission_set(req.get("InstanceArn"), req.get("PermissionSetArn"))
    accounts = provisioned_accounts(backend, req.get("InstanceArn"), req.get("PermissionSetArn"))
    if req.get("ProvisioningStatus") == "LATEST_PERMISSION_SET_NOT_PROVISIONED":
        accounts = []  # every provision here is of the latest version
    items, token = page_of(accounts, req, 100, "ValidationException")
    return json.dumps(drop_nulls({"AccountIds": items, "NextToken": token}))


def sso_list_permission_sets_provisioned_to_account(self: SSOAdminResponse) -> str:
    # AWS: the sets provisioned to the AccountId asked for, paginated.
    # moto 5.2.5: every set provisioned anywhere, whatever the account; no pagination.
    req = _request(self)
    backend = self.ssoadmin_backend
    instance_arn, account = req.get("InstanceArn"), req.get("AccountId")
    arns = [ps.permission_set_arn for ps in backend.permission_sets
            if ps.instance_arn == instance_arn
            and account in provisioned_accounts(backend, instance_arn, ps.permission_set_arn)]
    items, token = page_of(arns, req, 100, "ValidationException")
    return json.dumps(drop_nulls({"PermissionSets": items, "NextToken": token}))


def sso_provision_permission_set(self: SSOAdminResponse) -> str:
    # AWS: provisions the set to TargetId (TargetType AWS_ACCOUNT) or re-provisions it to every
    # account that has it (ALL_PROVISIONED_ACCOUNTS); the status names the target account.
    # moto 5.2.5: ignores TargetId and records the set as provisioned to the caller's account.
    req = _request(self)
    backend = self.ssoadmin_backend
    instance_arn, ps_arn = req.get("InstanceArn"), req.get("PermissionSetArn")
    backend.provision_permission_set(instance_arn=instance_arn, permission_set_arn=ps_arn)
    target = req.get("TargetId")
    if req.get("TargetType") == "AWS_ACCOUNT" and target:
        _explicit_provisions(backend).setdefault((instance_arn, ps_arn), {})[target] = None
    status = {"AccountId": target, "CreatedDate": time.time(), "PermissionSetArn": ps_arn,
              "RequestId": str(uuid.uuid4()), "Status": "SUCCEEDED"}
    return json.dumps({"PermissionSetProvisioningStatus": drop_nulls(status)})


def _idempotent_create(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    # AWS: creating an assignment that already exists changes nothing.
    # moto 5.2.5: appends a second, identical assignment.
    @functools.wraps(original)
    def create_account_assignment(self: SSOAdminBackend, **kwargs: str) -> dict[str, Any]:
        key = (kwargs["instance_arn"], kwargs["target_id"], kwargs["permission_set_arn"])
        for a in assignment_index(self).by_target.get(key, []):
            if (a.principal_type, a.principal_id) == (kwargs["principal_type"], kwargs["principal_id"]):
                return a.to_json(include_creation_date=True, include_request_id=True)
        result = original(self, **kwargs)
        touch_assignments(self)
        return result
    return create_account_assignment


def _touching(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: SSOAdminBackend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        touch_assignments(self)
        return result
    return wrapper


def sso_delete_account_assignment(self: SSOAdminResponse) -> str:
    # AWS: DeleteAccountAssignment is asynchronous; its answer says IN_PROGRESS, and
    # DescribeAccountAssignmentDeletionStatus reports the outcome.
    # moto 5.2.5: answers SUCCEEDED at once, so a client that never polls would pass.
    answer = json.loads(_original_delete_account_assignment(self))
    answer["AccountAssignmentDeletionStatus"]["Status"] = "IN_PROGRESS"
    return json.dumps(answer)


_original_delete_account_assignment = SSOAdminResponse.delete_account_assignment


def _iso_session_duration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    # AWS: SessionDuration is an ISO-8601 duration string, "PT1H" by default.
    # moto 5.2.5: stores what CreatePermissionSet got, 3600 (a number) when it got nothing; the
    # Rust SDK refuses a number where its model says string.
    @functools.wraps(original)
    def to_json(self: PermissionSet, include_creation_date: bool = False) -> dict[str, Any]:
        summary = original(self, include_creation_date)
        summary["SessionDuration"] = iso8601_duration(summary.get("SessionDuration"))
        return drop_nulls(summary)
    return to_json


def _home_region_only(original: Callable[..., None]) -> Callable[..., None]:
    # AWS: an Identity Center instance lives in one Region; ListInstances elsewhere is empty.
    # moto 5.2.5: invents a new random instance in every Region it is asked about, so a client
    # pointed at the wrong Region would read an empty directory instead of finding no instance.
    @functools.wraps(original)
    def __init__(self: SSOAdminBackend, region_name: str, account_id: str) -> None:
        original(self, region_name, account_id)
        home = getattr(SSOAdminBackend, "_emulator_home_region", None)
        if home is not None and region_name != home:
            self.instances = []
    return __init__


def sso_list_regions(self: SSOAdminResponse) -> str:
    # AWS: the Regions of a multi-Region instance (ACTIVE, ADDING or REMOVING), the primary
    # among them; an instance that was never replicated lists its own Region alone.
    # moto 5.2.5: no ListRegions at all. The Regions served are those set by set_regions (the
    # preloaded snapshot's), else the instance's own Region, primary and ACTIVE.
    req = _request(self)
    backend = self.ssoadmin_backend
    instance = next((i for i in backend.instances if i.instance_arn == req.get("InstanceArn")), None)
    if instance is None:
        raise JsonRESTError("ResourceNotFoundException", "The instance does not exist.")
    regions = getattr(SSOAdminBackend, "_emulator_regions", None) or [
        {"RegionName": backend.region_name, "Status": "ACTIVE", "IsPrimaryRegion": True}]
    items, token = page_of(regions, req, 100, "ValidationException")
    return json.dumps(drop_nulls({"Regions": items, "NextToken": token}))


def set_regions(regions: list[dict[str, Any]]) -> None:
    """Serve these Regions (ListRegions' shape) for the instance."""
    SSOAdminBackend._emulator_regions = regions


def set_home_region(region: str) -> None:
    """Serve the instance in `region` only, as AWS does."""
    SSOAdminBackend._emulator_home_region = region


def correct_sso_admin() -> None:
    SSOAdminResponse.list_account_assignments = sso_list_account_assignments
    SSOAdminResponse.list_account_assignments_for_principal = sso_list_account_assignments_for_principal
    SSOAdminResponse.list_accounts_for_provisioned_permission_set = (
        sso_list_accounts_for_provisioned_permission_set)
    SSOAdminResponse.list_permission_sets_provisioned_to_account = (
        sso_list_permission_sets_provisioned_to_account)
    SSOAdminResponse.provision_permission_set = sso_provision_permission_set
    SSOAdminResponse.delete_account_assignment = sso_delete_account_assignment
    SSOAdminResponse.list_regions = sso_list_regions
    SSOAdminBackend.create_account_assignment = _idempotent_create(SSOAdminBackend.create_account_assignment)
    SSOAdminBackend.delete_account_assignment = _touching(SSOAdminBackend.delete_account_assignment)
    PermissionSet.to_json = _iso_session_duration(PermissionSet.to_json)
    SSOAdminBackend.__init__ = _home_region_only(SSOAdminBackend.__init__)


def apply_corrections() -> None:
    """Patch moto in this process. Idempotent."""
    if getattr(apply_corrections, "done", False):
        return
    correct_sso_admin()
    correct_identitystore()
    correct_organizations()
    apply_corrections.done = True  # type: ignore[attr-defined]
