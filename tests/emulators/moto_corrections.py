"""Corrections to moto 5.2.5 for the calls idc-credential-report makes, applied in-process.

Why: moto answers sso-admin, identitystore and organizations, but in places not as AWS does,
and the tool (AWS SDK for Rust) would notice: pages that never end, accounts that are not
where a permission set is provisioned, fields the model requires or the tool reads, a number
where the model says string. Each patch below names what AWS does and what moto does; each is
tested in test_moto_server.py and listed in README.md. `apply_corrections()` installs them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.identitystore.exceptions import ResourceNotFoundException as IdentityStoreNotFound
from moto.identitystore.models import IdentityStoreBackend, IdentityStoreData
from moto.identitystore.responses import IdentityStoreResponse
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.organizations.models import OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse
from moto.ssoadmin.models import AccountAssignment, PermissionSet, SSOAdminBackend, ssoadmin_backends
from moto.ssoadmin.responses import SSOAdminResponse

# --------------------------------------------------------------------------------------------
# Pagination by offset (replaces moto's paginator where it goes wrong)
# --------------------------------------------------------------------------------------------

def page_of(items: list[Any], request: dict[str, Any], limit: int,
            invalid_token_error: str) -> tuple[list[Any], str | None]:
    """One page of `items` and the token for the next.

    moto's paginator encodes the *values* of the next item and resumes at the first item with
    those values, so two equal items make it hand out the same token forever. An offset bound to
    the request's other parameters cannot repeat.
    """
    key = _request_key(request)
    start = 0
    token = request.get("NextToken")
    if token:
        start = _decode_offset(token, key, invalid_token_error)
    size = min(int(request.get("MaxResults") or limit), limit)
    end = start + size
    next_token = _encode_offset(end, key) if end < len(items) else None
    return items[start:end], next_token


def _request_key(request: dict[str, Any]) -> str:
    stable = {k: v for k, v in request.items() if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def _encode_offset(offset: int, key: str) -> str:
    return base64.b64encode(json.dumps({"o": offset, "k": key}).encode()).decode()


def _decode_offset(token: str, key: str, error_type: str) -> int:
    try:
        decoded = json.loads(base64.b64decode(token, validate=True))
        if decoded["k"] == key and isinstance(decoded["o"], int) and decoded["o"] >= 0:
            return int(decoded["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise JsonRESTError(error_type, "The NextToken is not valid for this request.")


def drop_nulls(item: dict[str, Any]) -> dict[str, Any]:
    """AWS leaves absent members out; moto writes them as null."""
    return {k: v for k, v in item.items() if v is not None}


def iso8601_duration(value: Any) -> str:
    """SessionDuration as AWS returns it ("PT1H"), from moto's number of seconds."""
    if isinstance(value, str) and value.startswith("P"):
        return value
    seconds = int(float(value)) if value not in (None, "") else 3600
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n]
    return "PT" + ("".join(parts) or "0S")


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


# --------------------------------------------------------------------------------------------
# Corrections: identitystore
# --------------------------------------------------------------------------------------------

def user_facts(backend: IdentityStoreBackend) -> dict[str, dict[str, Any]]:
    """UserStatus and CreatedAt per user id, which moto's User does not hold."""
    if not hasattr(backend, "_emulator_user_facts"):
        backend._emulator_user_facts = {}
    return backend._emulator_user_facts


def _resource_arn(kind: str, resource_id: str) -> str:
    return f"arn:aws:identitystore:::{kind}/{resource_id}"


def _complete_user(backend: IdentityStoreBackend, user: dict[str, Any]) -> dict[str, Any]:
    # AWS: a User carries UserArn, Revision, UserStatus (ENABLED/DISABLED) and CreatedAt.
    # moto 5.2.5: none of them.
    user = drop_nulls(user)
    user.update(UserArn=_resource_arn("user", user["UserId"]), Revision="1")
    user.update(user_facts(backend).get(user["UserId"], {}))
    return user


def _complete_group(group: dict[str, Any]) -> dict[str, Any]:
    group = drop_nulls(group)
    group.update(GroupArn=_resource_arn("group", group["GroupId"]), Revision="1")
    return group


def _complete_membership(membership: dict[str, Any]) -> dict[str, Any]:
    membership = drop_nulls(membership)
    membership["MembershipArn"] = _resource_arn("membership", membership["MembershipId"])
    return membership


def _rewriting(original: Callable[..., str], member: str | None,
               complete: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> Callable[..., str]:
    """Wrap a response method so each returned item (or the whole object) is completed."""
    @functools.wraps(original)
    def handler(self: IdentityStoreResponse) -> str:
        body = json.loads(original(self))
        backend = self.identitystore_backend
        if member is None:
            body = complete(backend, body)
        else:
            body[member] = [complete(backend, item) for item in body.get(member, [])]
        return json.dumps(drop_nulls(body))
    return handler


def _recording_create_user(original: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    @functools.wraps(original)
    def create_user(self: IdentityStoreBackend, *args: Any, **kwargs: Any) -> tuple[str, str]:
        user_id, store_id = original(self, *args, **kwargs)
        user_facts(self)[user_id] = {"UserStatus": "ENABLED", "CreatedAt": time.time()}
        return user_id, store_id
    return create_user


def _existing_store_only(original: Callable[..., IdentityStoreData]) -> Callable[..., IdentityStoreData]:
    # AWS: an identity store id that no Identity Center instance owns is ResourceNotFound.
    # moto 5.2.5: silently creates an empty store, so a wrong id reads as "no users".
    @functools.wraps(original)
    def get_identity_store(self: IdentityStoreBackend, store_id: str) -> IdentityStoreData:
        owned = {i.identity_store_id for i in ssoadmin_backends[self.account_id][self.region_name].instances}
        if store_id and store_id not in self.identity_stores and store_id not in owned:
            raise IdentityStoreNotFound(message="IDENTITY_STORE not found.",
                                        resource_type="IDENTITY_STORE")
        return original(self, store_id)
    return get_identity_store


def correct_identitystore() -> None:
    R = IdentityStoreResponse
    R.list_users = _rewriting(R.list_users, "Users", _complete_user)
    R.describe_user = _rewriting(R.describe_user, None, _complete_user)
    R.list_groups = _rewriting(R.list_groups, "Groups", lambda _b, g: _complete_group(g))
    R.describe_group = _rewriting(R.describe_group, None, lambda _b, g: _complete_group(g))
    R.list_group_memberships = _rewriting(R.list_group_memberships, "GroupMemberships",
                                          lambda _b, m: _complete_membership(m))
    IdentityStoreBackend.create_user = _recording_create_user(IdentityStoreBackend.create_user)
    private = "_IdentityStoreBackend__get_identity_store"
    setattr(IdentityStoreBackend, private, _existing_store_only(getattr(IdentityStoreBackend, private)))


# --------------------------------------------------------------------------------------------
# Corrections: organizations
# --------------------------------------------------------------------------------------------

def org_list_accounts(self: OrganizationsResponse) -> str:
    # AWS: at most 20 accounts a page; AWSOrganizationsNotInUseException outside an organization.
    # moto 5.2.5: pages of up to 100, resumed by JoinedTimestamp, so accounts that joined in the
    # same instant are skipped or repeated; an empty list outside an organization.
    backend: OrganizationsBackend = self.organizations_backend
    if backend.org is None:
        raise AWSOrganizationsNotInUseException
    req = self.request_params
    accounts = [drop_nulls(a.describe()) for a in backend.accounts]
    items, token = page_of(accounts, req, 20, "InvalidInputException")
    return json.dumps(drop_nulls({"Accounts": items, "NextToken": token}))


def correct_organizations() -> None:
    OrganizationsResponse.list_accounts = org_list_accounts


def apply_corrections() -> None:
    """Patch moto in this process. Idempotent."""
    if getattr(apply_corrections, "done", False):
        return
    correct_sso_admin()
    correct_identitystore()
    correct_organizations()
    apply_corrections.done = True  # type: ignore[attr-defined]
