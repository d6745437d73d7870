"""The moto front door's rules (moto_server.py): which service a request is for, AWS's quotas
for each, and the faults a config file injects (its format: tests/emulators/README.md)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from token_bucket import TokenBucket

# --------------------------------------------------------------------------------------------
# Services, protocols and AWS's documented limits
# --------------------------------------------------------------------------------------------

# The SigV4 signing name in the Authorization header says which service a request is for
# (every service shares one endpoint here, through AWS_ENDPOINT_URL).
SERVICE_BY_SIGNING_NAME = {
    "sso": "sso-admin",
    "identitystore": "identitystore",
    "organizations": "organizations",
    "sts": "sts",
    "s3": "s3",
    "account-access": "account-access",
}
# Unsigned requests still carry the awsJson1_1 target prefix.
SERVICE_BY_TARGET_PREFIX = {
    "SWBExternalService": "sso-admin",
    "AWSIdentityStore": "identitystore",
    "AWSOrganizationsV20161128": "organizations",
}
# The IAM action prefix of each service: sso-admin's actions are "sso:...".
IAM_PREFIX = {"sso-admin": "sso", "identitystore": "identitystore",
              "organizations": "organizations", "sts": "sts", "s3": "s3",
              "account-access": "account-access"}
QUERY_SERVICES = frozenset({"sts"})  # awsQuery: form body in, XML out

# Requests per second (token-bucket refill rate; the bucket holds `rate` tokens, so a burst
# of `rate` calls passes at once). Sources, in tests/emulators/README.md:
#   sso-admin: "IAM Identity Center APIs have a collective throttle maximum of 20 TPS"
#   identitystore: 20 TPS for each Identity Store API
#   organizations: low per-API limits; 2/s is our conservative stand-in (configurable)
#   sts: 600/s per account and Region, which the tool never approaches
DEFAULT_RATES: dict[str, float] = {
    "sso-admin": 20.0, "identitystore": 20.0, "organizations": 2.0, "sts": 600.0,
    # Account access manager: 20 requests a second (its quotas page), one bucket here.
    "account-access": 20.0,
}
# Scope of one bucket: Identity Center throttles all its APIs together, the identity store and
# Organizations throttle each API on its own, STS the account as a whole.
PER_API_QUOTA_SERVICES = frozenset({"identitystore", "organizations"})

REPEATED_NEXT_TOKEN = "cmVwZWF0ZWQtbmV4dC10b2tlbg=="  # matches every service's token pattern
DEFAULT_REGION = "us-east-1"

# --------------------------------------------------------------------------------------------
# Configuration (--config FILE.json)
# --------------------------------------------------------------------------------------------

@dataclass
class EmulatorConfig:
    """Quotas and injected faults. Keys name "service" or "service:Operation"."""

    rates: dict[str, float | None] = field(default_factory=dict)
    deny: frozenset[str] = frozenset()
    max_page_size: int | None = None
    fail_5xx: dict[str, int] = field(default_factory=dict)
    repeat_next_token: frozenset[str] = frozenset()
    account_access_filter_needs_criterion: bool = False

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EmulatorConfig:
        known = {"rates", "deny", "max_page_size", "fail_5xx", "repeat_next_token",
                 "account_access_filter_needs_criterion"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        page = raw.get("max_page_size")
        if page is not None and (not isinstance(page, int) or page < 1):
            raise ValueError("max_page_size must be a positive integer")
        return cls(
            rates={_canonical_key(k): (None if v is None else float(v))
                   for k, v in raw.get("rates", {}).items()},
            deny=frozenset(_canonical_key(k) for k in raw.get("deny", [])),
            max_page_size=page,
            fail_5xx={_canonical_key(k): int(v) for k, v in raw.get("fail_5xx", {}).items()},
            repeat_next_token=frozenset(_canonical_key(k) for k in raw.get("repeat_next_token", [])),
            account_access_filter_needs_criterion=raw.get("account_access_filter_needs_criterion") is True,
        )

    @classmethod
    def load(cls, path: str | None) -> EmulatorConfig:
        if not path:
            return cls()
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


def _canonical_key(key: str) -> str:
    """Accept both "sso-admin:Op" and the IAM spelling "sso:Op"."""
    service, _, operation = key.partition(":")
    service = "sso-admin" if service == "sso" else service
    return f"{service}:{operation}" if operation else service


# --------------------------------------------------------------------------------------------
# Quotas: token buckets
# --------------------------------------------------------------------------------------------

class QuotaBook:
    """One bucket per quota scope; a rate of null or <= 0 lifts the quota."""

    def __init__(self, rates: dict[str, float | None]) -> None:
        self.rates: dict[str, float | None] = {**DEFAULT_RATES, **rates}
        self.buckets: dict[str, TokenBucket | None] = {}
        self.lock = threading.Lock()

    def admit(self, service: str, operation: str) -> bool:
        bucket = self._bucket(service, operation)
        return bucket is None or bucket.take()

    def _bucket(self, service: str, operation: str) -> TokenBucket | None:
        per_api = service in PER_API_QUOTA_SERVICES
        scope = f"{service}:{operation}" if per_api else service
        with self.lock:
            if scope not in self.buckets:
                rate = self.rates.get(f"{service}:{operation}", self.rates.get(service))
                self.buckets[scope] = TokenBucket(rate) if rate and rate > 0 else None
            return self.buckets[scope]
