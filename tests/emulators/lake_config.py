"""The CloudTrail Lake emulator's config file (see lake.py's docstring for its keys): what the
store says of itself and which faults to inject; and the store itself. Unknown keys and wrong values are errors, so
that a typo in a test's config shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator_http import check_choice, check_count, check_counts, load_config_file
from emulator_queries import PollConfig
from lookup_history import LookupConfig, parse_event_time

QUEUED, RUNNING, FINISHED = "QUEUED", "RUNNING", "FINISHED"
FAILED, CANCELLED, TIMED_OUT = "FAILED", "CANCELLED", "TIMED_OUT"
TERMINAL = frozenset({FINISHED, FAILED, CANCELLED, TIMED_OUT})
STORE_STATUSES = ("CREATED", "ENABLED", "PENDING_DELETION", "STARTING_INGESTION",
                  "STOPPING_INGESTION", "STOPPED_INGESTION")


def default_selectors() -> list[dict[str, Any]]:
    """A store of management events, read and write (no readOnly selector)."""
    return [{"Name": "Management events",
             "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]


@dataclass
class StoreConfig:
    status: str = "ENABLED"
    retention_days: int = 2557
    advanced_event_selectors: list[dict[str, Any]] = field(default_factory=default_selectors)
    name: str = "idc-credential-report-test"
    billing_mode: str = "FIXED_RETENTION_PRICING"
    multi_region_enabled: bool = True
    organization_enabled: bool = False
    termination_protection_enabled: bool = True


@dataclass
class FaultConfig(PollConfig):
    final_status: str = FINISHED
    error_message: str | None = None
    max_concurrent_rejections: int = 0
    page_size: int | None = None
    owner_account_id: str | None = None
    null_style: str = "omit"
    store: StoreConfig = field(default_factory=StoreConfig)
    now: str | None = None
    lookup: LookupConfig = field(default_factory=LookupConfig)


def validate_config(config: FaultConfig) -> FaultConfig:
    check_counts(config, {"polls_before_running": 0, "polls_before_finish": 0, "max_concurrent_rejections": 0,
                          "page_size": 1}, optional=("page_size",))
    check_choice("final_status", config.final_status, (FINISHED, FAILED, TIMED_OUT))
    check_choice("null_style", config.null_style, ("omit", "empty_map", "json_null"))
    check_choice("store.status", config.store.status, STORE_STATUSES)
    check_count("store.retention_days", config.store.retention_days, 7)
    if config.owner_account_id is not None and not re.fullmatch(r"\d{12,16}", config.owner_account_id):
        raise ValueError("config: owner_account_id must be 12 to 16 digits")
    if config.now is not None and parse_event_time(config.now) is None:
        raise ValueError(f"config: now must be an ISO 8601 time such as 2026-11-22T00:00:00Z, not {config.now!r}")
    rate = config.lookup.rate
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))):
        raise ValueError(f"config: lookup.rate must be a number or null, not {rate!r}")
    check_count("lookup.burst", config.lookup.burst, 1)
    check_choice("lookup.scope", config.lookup.scope, ("all", "caller", "signed"))
    return config


def load_config(path: Path | None) -> FaultConfig:
    return load_config_file(path, FaultConfig, validate_config, {"store": StoreConfig, "lookup": LookupConfig})


@dataclass(frozen=True)
class Store:
    """The one event data store: where it lives and what GetEventDataStore says of it."""

    store_id: str
    account: str  # the caller's account
    owner: str  # the account that owns the store (the caller's unless configured)
    region: str
    config: StoreConfig
    created: float

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.region}:{self.owner}:eventdatastore/{self.store_id}"

    def describe(self) -> dict[str, Any]:
        return {
            "EventDataStoreArn": self.arn,
            "Name": self.config.name,
            "Status": self.config.status,
            "AdvancedEventSelectors": self.config.advanced_event_selectors,
            "MultiRegionEnabled": self.config.multi_region_enabled,
            "OrganizationEnabled": self.config.organization_enabled,
            "RetentionPeriod": self.config.retention_days,
            "TerminationProtectionEnabled": self.config.termination_protection_enabled,
            "CreatedTimestamp": self.created,
            "UpdatedTimestamp": self.created,
            "BillingMode": self.config.billing_mode,
        }
