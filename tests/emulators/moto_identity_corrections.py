"""Corrections to moto 5.2.5's identitystore and organizations (moto_corrections.py has the
why, and sso-admin's): each patch names what AWS does and what moto does."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any

from moto.identitystore.exceptions import ResourceNotFoundException as IdentityStoreNotFound
from moto.identitystore.models import IdentityStoreBackend, IdentityStoreData
from moto.identitystore.responses import IdentityStoreResponse
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.organizations.models import OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse
from moto.ssoadmin.models import ssoadmin_backends

from moto_paging import drop_nulls, page_of

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
