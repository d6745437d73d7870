"""Account access manager (service `account-access`, API 2018-05-10), which moto lacks, served
by moto_server.py's front door from the preloaded snapshot's `entitlements`.

Shaped from the service's model as the AWS SDK for Rust carries it (aws-sdk-accountaccess
1.15): restJson1, SigV4 signing name `account-access`, three read operations.
- `POST /applications-list` (ListApplications): `{"applications": [{"applicationArn",
  "createdAt", "updatedAt"}], "nextToken"}`.
- `GET /applications/{applicationArn}` (GetApplication): `{"identitySource": {"identityCenter":
  {"instanceArn", "applicationArn"}}, "status": "ACTIVE", "createdAt", "updatedAt"}`; an unknown
  ARN is ResourceNotFoundException (HTTP 404).
- `POST /entitlements-list` (ListEntitlements, body `{"applicationArn", "filter",
  "maxResults"?, "nextToken"?}`): `{"entitlements": [{"entitlementId", "createdAt",
  "entitlement": {"principalRole": {"principal": {"identityCenter": {"userId"|"groupId"}},
  "roleArn", "account", "accountName"}}}], "nextToken"}`. The model requires `filter`, but
  none of its criteria (principal, role ARN, account): whether AWS takes a filter without
  any is not documented. The emulator takes it by default; with the config's
  `account_access_filter_needs_criterion`, a filter without a criterion is a
  ValidationException, so a client's fallback (a filter per account) can be tested.
Timestamps are RFC 3339 text: the model marks them `date-time` (not restJson1's default of
epoch seconds), and the SDK refuses a number. Pages hold `maxResults` items (default and
most 100; the config's `max_page_size` caps them), with an offset token bound to the request.

Chosen where the model is silent: every application
is ACTIVE. One more application, of another Identity Center instance and with one entitlement,
is always served: a client must keep only its own instance's applications (GetApplication's
identity source), and the tests check that it does.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote

FOREIGN_INSTANCE = "arn:aws:sso:::instance/ssoins-ffffffffffffffff"
CREATED = "2026-01-01T00:00:00Z"  # the model says date-time: RFC 3339 text, not epoch seconds
MAX_PAGE = 100


def operation_of(method: str, path: str) -> str:
    """The operation a request is for, by its method and path."""
    if method == "POST" and path == "/applications-list":
        return "ListApplications"
    if method == "POST" and path == "/entitlements-list":
        return "ListEntitlements"
    if method == "GET" and path.startswith("/applications/"):
        return "GetApplication"
    return f"{method} {path}"


class AccountAccess:
    """The applications and entitlements of one snapshot, plus one foreign application."""

    def __init__(self, snapshot: dict[str, Any] | None, account_id: str, max_page_size: int | None,
                 filter_needs_criterion: bool = False) -> None:
        snapshot = snapshot or {}
        self.page = min(max_page_size or MAX_PAGE, MAX_PAGE)
        self.filter_needs_criterion = filter_needs_criterion
        self.instances: dict[str, str] = {}
        self.entitlements: dict[str, list[dict[str, Any]]] = {}
        for entry in snapshot.get("entitlements") or []:
            self.instances[entry["application_arn"]] = snapshot.get("instance_arn", "")
            self.entitlements.setdefault(entry["application_arn"], []).append(member(entry))
        foreign = f"arn:aws:account-access:us-east-1:{account_id}:application/app-foreign"
        self.instances[foreign] = FOREIGN_INSTANCE
        self.entitlements[foreign] = [member({
            "entitlement_id": "ent-foreign", "principal_type": "USER", "principal_id": "foreign-user",
            "role_arn": f"arn:aws:iam::{account_id}:role/Foreign", "account_id": account_id})]

    def answer(self, operation: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        request = json.loads(body or b"{}")
        if operation == "ListApplications":
            items = [{"applicationArn": arn, "createdAt": CREATED, "updatedAt": CREATED} for arn in sorted(self.instances)]
            return 200, self.paged("applications", items, request)
        if operation == "GetApplication":
            arn = unquote(path[len("/applications/"):])
            if arn not in self.instances:
                return 404, {"__type": "ResourceNotFoundException", "message": f"Application {arn} not found."}
            return 200, {"identitySource": {"identityCenter": {"instanceArn": self.instances[arn], "applicationArn": arn}},
                         "status": "ACTIVE", "createdAt": CREATED, "updatedAt": CREATED}
        if operation == "ListEntitlements":
            arn = request.get("applicationArn")
            criteria = (request.get("filter") or {}).get("principalRole")
            if criteria is None or (self.filter_needs_criterion and not criteria):
                return 400, {"__type": "ValidationException", "message": "filter needs a principal, roleArn or account."}
            if arn not in self.instances:
                return 404, {"__type": "ResourceNotFoundException", "message": f"Application {arn} not found."}
            items = [m for m in self.entitlements[arn] if matches(m, request.get("filter"))]
            return 200, self.paged("entitlements", items, request)
        return 404, {"__type": "UnknownOperationException", "message": f"Unknown operation {operation}."}

    def paged(self, member_name: str, items: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
        key = json.dumps({k: v for k, v in request.items() if k not in ("nextToken", "maxResults")}, sort_keys=True)
        start = 0
        if request.get("nextToken"):
            decoded = json.loads(base64.b64decode(request["nextToken"]))
            if decoded.get("k") != key:
                raise ValueError("a token of another request")
            start = int(decoded["o"])
        size = min(int(request.get("maxResults") or self.page), self.page)
        answer: dict[str, Any] = {member_name: items[start:start + size]}
        if start + size < len(items):
            answer["nextToken"] = base64.b64encode(json.dumps({"k": key, "o": start + size}).encode()).decode()
        return answer


def member(entry: dict[str, Any]) -> dict[str, Any]:
    """A snapshot entitlement in ListEntitlements' shape."""
    kind = "userId" if entry["principal_type"] == "USER" else "groupId"
    role: dict[str, Any] = {"principal": {"identityCenter": {kind: entry["principal_id"]}},
                            "roleArn": entry["role_arn"], "account": entry["account_id"]}
    if entry.get("account_name"):
        role["accountName"] = entry["account_name"]
    return {"entitlementId": entry["entitlement_id"], "createdAt": CREATED,
            "entitlement": {"principalRole": role}}


def matches(item: dict[str, Any], filter_: dict[str, Any] | None) -> bool:
    wanted = (filter_ or {}).get("principalRole") or {}
    role = item["entitlement"]["principalRole"]
    principal = (wanted.get("principal") or {}).get("identityCenter")
    return ((principal is None or principal == role["principal"]["identityCenter"])
            and wanted.get("roleArn") in (None, role["roleArn"])
            and wanted.get("account") in (None, role["account"]))
