"""LookupEvents (CloudTrail's free 90-day event history), served by the Lake emulator (lake.py)
from the events it loaded (de-duplicated), for the tool's event-history source.

- Management events only (no eventCategory other than Management, no managementEvent
  false); newest first (ties by eventID); each as the Event LookupEvents returns: EventId,
  EventName, ReadOnly ("true"/"false"), AccessKeyId, EventTime (epoch seconds), EventSource,
  Username (lookup_username says how it is chosen), Resources ({ResourceType, ResourceName =
  the resource's ARN}), CloudTrailEvent (the event as compact JSON text).
- The 90-day limit: events older than 90 days before "now", or later than "now", are never
  returned. "now" is the machine's clock unless the config sets it (`"now":
  "2026-11-22T00:00:00Z"`), since fixtures are dated.
- LookupAttributes: at most one (InvalidLookupAttributesException otherwise), any of the
  eight documented keys, exact match (ResourceType/ResourceName: any of the event's
  resources). StartTime/EndTime inclusive (InvalidTimeRangeException when start > end).
  MaxResults 1..50, default 50 (InvalidMaxResultsException). EventCategory "insight"
  returns no events (there are none). A NextToken is bound to the request's other
  parameters (InvalidNextTokenException otherwise).
- Quota: 2 requests a second per account and Region, as the API reference documents: a
  token bucket of burst 2 regaining 2 a second; over it, HTTP 400 ThrottlingException "Rate
  exceeded", answered at once. A throttled request goes no further (no validation).
- Scope: "all" (default) serves every loaded event; "caller" only those whose
  recipientAccountId and awsRegion are --account and --region, as event history is per
  account and Region.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from emulator_http import ApiError
from lake_schema import compact_json, iso_time
from token_bucket import TokenBucket


@dataclass
class LookupConfig:
    """LookupEvents' quota and scope (see the module docstring)."""

    rate: float | None = 2.0
    burst: int = 2
    scope: str = "all"


LOOKUP_WINDOW_SECONDS = 90 * 24 * 3600
LOOKUP_MAX_RESULTS = 50
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId")


def parse_event_time(value: Any) -> float | None:
    """An ISO 8601 time (`2026-07-01T00:08:20Z`) as epoch seconds; None if it is not one."""
    parsed = iso_time(value)
    return None if parsed is None else parsed.timestamp()


def lookup_username(identity: dict[str, Any]) -> str | None:
    """The event history's user name: the user or role session that made the call.

    AWS documents it as "a user name or role name of the requester" without the rule; the
    emulator takes userIdentity.userName, else the session name at the end of an assumed
    role's or federated user's ARN, else the Identity Center user id (onBehalfOf.userId),
    else principalId.
    """
    if identity.get("userName"):
        return str(identity["userName"])
    if identity.get("type") in ("AssumedRole", "FederatedUser") and identity.get("arn"):
        return str(identity["arn"]).rsplit("/", 1)[-1]
    on_behalf_of = identity.get("onBehalfOf")
    if isinstance(on_behalf_of, dict) and on_behalf_of.get("userId"):
        return str(on_behalf_of["userId"])
    return str(identity["principalId"]) if identity.get("principalId") else None


def is_management_event(event: dict[str, Any]) -> bool:
    """Event history holds management events only (no data, network or Insights events)."""
    return event.get("eventCategory", "Management") == "Management" and event.get("managementEvent") is not False


def lookup_summary(event: dict[str, Any], event_time: float) -> dict[str, Any]:
    """The Event LookupEvents returns for one CloudTrail event (absent fields left out)."""
    identity = event.get("userIdentity") if isinstance(event.get("userIdentity"), dict) else {}
    read_only = event.get("readOnly")
    summary: dict[str, Any] = {
        "EventId": event.get("eventID"),
        "EventName": event.get("eventName"),
        "ReadOnly": str(read_only).lower() if read_only is not None else None,
        "AccessKeyId": identity.get("accessKeyId"),
        "EventTime": int(event_time) if event_time == int(event_time) else event_time,
        "EventSource": event.get("eventSource"),
        "Username": lookup_username(identity),
        "Resources": [{key: value for key, value in (("ResourceType", resource.get("type")),
                                                     ("ResourceName", resource.get("ARN") or resource.get("arn")))
                       if value is not None}
                      for resource in event.get("resources") or [] if isinstance(resource, dict)],
        "CloudTrailEvent": compact_json(event),
    }
    return {key: value for key, value in summary.items() if value is not None}


def matches_attribute(summary: dict[str, Any], key: str, value: str) -> bool:
    """Whether an event matches one LookupAttribute (resources: any of them)."""
    if key in ("ResourceType", "ResourceName"):
        return any(resource.get(key) == value for resource in summary["Resources"])
    return summary.get(key) == value


class LookupHistory:
    """The event history of the caller's account and Region, newest first."""

    def __init__(self, events: Iterable[dict[str, Any]], account: str, region: str, now: str | None,
                 config: LookupConfig) -> None:
        self.now = parse_event_time(now) if now is not None else None
        rate = config.rate
        self.bucket = TokenBucket(float(rate), config.burst) if rate is not None and rate > 0 else None
        self.per_signed_region = config.scope == "signed"
        entries = []
        for event in events:
            event_time = parse_event_time(event.get("eventTime"))
            if event_time is None or not is_management_event(event):
                continue
            if config.scope == "caller" and (event.get("recipientAccountId"), event.get("awsRegion")) != (
                    account, region):
                continue
            if self.per_signed_region and event.get("recipientAccountId") != account:
                continue
            entries.append((event_time, str(event.get("eventID", "")), event.get("awsRegion"),
                            lookup_summary(event, event_time)))
        entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        self.entries = [(event_time, event_region, summary) for event_time, _, event_region, summary in entries]

    def admit(self) -> bool:
        """Takes one request from the quota (2 a second per account and Region by default)."""
        return self.bucket is None or self.bucket.take()

    def select(self, start: float, end: float, attribute: tuple[str, str] | None,
               signed_region: str | None = None) -> list[dict[str, Any]]:
        """The events from `start` to `end` (inclusive) within the last 90 days, newest first;
        with the "signed" scope, only those of the Region the request was signed for."""
        now = self.now if self.now is not None else time.time()
        low, high = max(start, now - LOOKUP_WINDOW_SECONDS), min(end, now)
        return [summary for event_time, event_region, summary in self.entries
                if low <= event_time <= high and (attribute is None or matches_attribute(summary, *attribute))
                and (not self.per_signed_region or event_region == signed_region)]


def lookup_attribute(params: dict[str, Any]) -> tuple[str, str] | None:
    """The one LookupAttribute allowed, as (key, value); None when there is none."""
    attributes = params.get("LookupAttributes") or []
    if not isinstance(attributes, list) or len(attributes) > 1:
        raise ApiError("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
    if not attributes:
        return None
    attribute = attributes[0] if isinstance(attributes[0], dict) else {}
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key not in LOOKUP_KEYS or not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise ApiError("InvalidLookupAttributesException", f"The lookup attribute {attribute!r} is not valid.")
    return key, value


def lookup_time(params: dict[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError("InvalidTimeRangeException", f"{name} must be a time (epoch seconds).")
    return float(value)


def lookup_request_key(params: dict[str, Any]) -> str:
    """What a NextToken is bound to: every parameter but NextToken and MaxResults."""
    bound = {key: value for key, value in params.items() if key not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()[:16]


def decode_lookup_token(token: Any, params: dict[str, Any], total: int) -> int:
    """The event offset a LookupEvents NextToken stands for, if it was issued for these parameters."""
    try:
        key, offset_text = base64.urlsafe_b64decode(str(token).encode()).decode().split("/")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError("InvalidNextTokenException", "The NextToken is not valid.") from None
    if key != lookup_request_key(params) or not 0 < offset <= total:
        raise ApiError("InvalidNextTokenException",
                       "The NextToken is not valid for this request's parameters.")
    return offset


# ---------------------------------------------------------------- the API


def lookup_events(history: LookupHistory, params: dict[str, Any], signed_region: str | None = None) -> dict[str, Any]:
    """Event history: the quota first (a throttled request goes no further), then the filters."""
    if not history.admit():
        raise ApiError("ThrottlingException", "Rate exceeded")
    attribute = lookup_attribute(params)
    start = lookup_time(params, "StartTime", 0.0)
    end = lookup_time(params, "EndTime", float("inf"))
    if start > end:
        raise ApiError("InvalidTimeRangeException", "The start time must be before the end time.")
    size = params.get("MaxResults", LOOKUP_MAX_RESULTS)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= LOOKUP_MAX_RESULTS:
        raise ApiError("InvalidMaxResultsException", f"MaxResults must be from 1 to {LOOKUP_MAX_RESULTS}.")
    category = params.get("EventCategory")
    if category not in (None, "insight"):
        raise ApiError("InvalidEventCategoryException", f"The event category {category!r} is not valid.")
    events = [] if category == "insight" else history.select(start, end, attribute, signed_region)
    token = params.get("NextToken")
    offset = 0 if token is None else decode_lookup_token(token, params, len(events))
    answer: dict[str, Any] = {"Events": events[offset:offset + size]}
    if offset + size < len(events):
        next_token = f"{lookup_request_key(params)}/{offset + size}"
        answer["NextToken"] = base64.urlsafe_b64encode(next_token.encode()).decode()
    return answer
