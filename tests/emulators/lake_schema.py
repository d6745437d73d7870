"""CloudTrail Lake's table schema for CloudTrail events, and the rows events become in it.

A Lake query sees CloudTrail events through a fixed SQL schema (AWS CloudTrail User Guide,
"Supported SQL schemas for event data stores", CloudTrail event record fields), not through
the raw JSON: `eventtime` is a timestamp, `useridentity` a struct whose fields are fixed,
`serviceeventdetails` and the other free-form objects are `map<string,string>`, and so on.
The emulator must present the same shape, or a query that works here could fail on Lake
(or the reverse). This module declares that schema once and derives from it both the
DuckDB column types and the conversion of each raw event into a row (written as
newline-delimited JSON, which DuckDB's read_json then types by the same schema).

Conversion rules, chosen to match what the schema's types can hold:
- struct fields are matched to the event's keys case-insensitively (`onBehalfOf` ->
  `onbehalfof`); keys the schema does not name are dropped (they stay in `eventjson`);
- a `map<string,string>` keeps string values as they are and JSON-encodes any other value
  (`{"n": 1}` -> `'1'`, nested objects -> their JSON text); a JSON null stays NULL;
- a `string` field given a non-string keeps its JSON text (`true` -> `'true'`);
- `timestamp` values are parsed from ISO 8601 and stored in UTC; an unparsable one is NULL;
- `eventjson` is the whole event as compact JSON and `eventjsonchecksum` its SHA-256
  (hex): Lake documents the column but not its algorithm, so this one is the emulator's.
- the documented `inscopeof` field `credentiaisissuedto` is a typo in the guide for the
  event's `credentialsIssuedTo`; the real field name is used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Iterable, TextIO, Union

STRING = "string"
TIMESTAMP = "timestamp"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class MapType:
    """Lake's `map<string,string>`."""


@dataclass(frozen=True)
class StructType:
    fields: tuple[tuple[str, "LakeType"], ...]

    @cached_property
    def by_name(self) -> dict[str, "LakeType"]:
        """The fields by name (computed once: it is looked up for every event)."""
        return dict(self.fields)


@dataclass(frozen=True)
class ArrayType:
    element: "LakeType"


LakeType = Union[str, MapType, StructType, ArrayType]
MAP = MapType()


def struct(*fields: tuple[str, LakeType]) -> StructType:
    return StructType(tuple(fields))


def strings(*names: str) -> list[tuple[str, LakeType]]:
    return [(name, STRING) for name in names]


SESSION_CONTEXT = struct(
    ("attributes", struct(("creationdate", TIMESTAMP), ("mfaauthenticated", STRING))),
    ("sessionissuer", struct(*strings("type", "principalid", "arn", "accountid", "username"))),
    ("webidfederationdata", struct(("federatedprovider", STRING), ("attributes", MAP))),
    *strings("sourceidentity", "ec2roledelivery", "ec2issuedinvpc"),
)

USER_IDENTITY = struct(
    *strings("type", "principalid", "arn", "accountid", "accesskeyid", "username"),
    ("sessioncontext", SESSION_CONTEXT),
    ("onbehalfof", struct(*strings("userid", "identitystorearn"))),
    ("inscopeof", struct(*strings("sourcearn", "sourceaccount", "issuertype", "credentialsissuedto"))),
    *strings("invokedby", "identityprovider"),
)

# Column order is the documented one, so `SELECT *` lists columns as Lake does.
EVENT_COLUMNS: tuple[tuple[str, LakeType], ...] = (
    ("eventversion", STRING),
    ("useridentity", USER_IDENTITY),
    ("eventtime", TIMESTAMP),
    *strings("eventsource", "eventname", "awsregion", "sourceipaddress", "useragent",
             "errorcode", "errormessage"),
    ("requestparameters", MAP),
    ("responseelements", MAP),
    ("additionaleventdata", MAP),
    *strings("requestid", "eventid"),
    ("readonly", BOOLEAN),
    ("resources", ArrayType(struct(*strings("accountid", "type", "arn", "arnprefix")))),
    *strings("eventtype", "apiversion"),
    ("managementevent", BOOLEAN),
    *strings("recipientaccountid", "sharedeventid", "annotation", "vpcendpointid",
             "vpcendpointaccountid"),
    ("serviceeventdetails", MAP),
    ("addendum", MAP),
    ("edgedevicedetails", MAP),
    ("insightdetails", MAP),
    ("eventcategory", STRING),
    ("tlsdetails", struct(*strings("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
    ("sessioncredentialfromconsole", STRING),
    ("eventjson", STRING),
    ("eventjsonchecksum", STRING),
)
DERIVED_COLUMNS = frozenset({"eventjson", "eventjsonchecksum"})
COLUMN_NAMES = tuple(name for name, _ in EVENT_COLUMNS)
# The columns read from the event itself, and each struct's fields, by lowercase name.
SOURCE_COLUMNS: dict[str, LakeType] = {name: t for name, t in EVENT_COLUMNS if name not in DERIVED_COLUMNS}


def duckdb_type(lake_type: LakeType) -> str:
    """The DuckDB type that holds a Lake type."""
    if lake_type == STRING:
        return "VARCHAR"
    if lake_type == TIMESTAMP:
        return "TIMESTAMP"
    if lake_type == BOOLEAN:
        return "BOOLEAN"
    if isinstance(lake_type, MapType):
        return "MAP(VARCHAR, VARCHAR)"
    if isinstance(lake_type, ArrayType):
        return f"{duckdb_type(lake_type.element)}[]"
    if isinstance(lake_type, StructType):
        inner = ", ".join(f'"{name}" {duckdb_type(t)}' for name, t in lake_type.fields)
        return f"STRUCT({inner})"
    raise ValueError(f"unknown Lake type {lake_type!r}")


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def to_string(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return compact_json(value)


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time (`2026-07-01T00:08:20Z`) in UTC (a time without a zone is UTC's);
    None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_timestamp(value: Any) -> str | None:
    """An ISO 8601 time as the `YYYY-MM-DD HH:MM:SS.ffffff` UTC text DuckDB reads."""
    parsed = iso_time(value)
    return None if parsed is None else parsed.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def to_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def to_map(value: Any) -> dict[str, str | None] | None:
    if not isinstance(value, dict):
        return None
    return {str(key): to_string(item) for key, item in value.items()}


def present_fields(value: dict[str, Any], types: dict[str, LakeType]) -> dict[str, Any]:
    """The object's fields the schema names (matched case-insensitively), converted.

    Absent and NULL fields are left out: DuckDB reads a missing key as NULL, and leaving
    them out keeps the loading file small.
    """
    converted = {}
    for key, item in value.items():
        name = str(key).lower()
        lake_type = types.get(name)
        if lake_type is not None:
            result = convert(item, lake_type)
            if result is not None:
                converted[name] = result
    return converted


def to_struct(value: Any, struct_type: StructType) -> dict[str, Any] | None:
    return present_fields(value, struct_type.by_name) if isinstance(value, dict) else None


def convert(value: Any, lake_type: LakeType) -> Any:
    """One JSON value as the given Lake type holds it (see the module docstring)."""
    if lake_type == STRING:
        return to_string(value)
    if lake_type == TIMESTAMP:
        return to_timestamp(value)
    if lake_type == BOOLEAN:
        return to_boolean(value)
    if isinstance(lake_type, MapType):
        return to_map(value)
    if isinstance(lake_type, ArrayType):
        return [convert(item, lake_type.element) for item in value] if isinstance(value, list) else None
    if isinstance(lake_type, StructType):
        return to_struct(value, lake_type)
    raise ValueError(f"unknown Lake type {lake_type!r}")


def event_to_row(event: dict[str, Any]) -> dict[str, Any]:
    """A raw CloudTrail event as one row of the Lake table, keyed by column name.

    NULL columns are left out (see present_fields).
    """
    row = present_fields(event, SOURCE_COLUMNS)
    row["eventjson"] = compact_json(event)
    row["eventjsonchecksum"] = hashlib.sha256(row["eventjson"].encode("utf-8")).hexdigest()
    return row


def write_rows(events: Iterable[dict[str, Any]], handle: TextIO) -> tuple[int, dict[str, int]]:
    """Writes events as newline-delimited JSON rows; returns the row count and column sizes.

    A column's size is the bytes of its values as compact JSON over all rows (NULLs count
    nothing). BytesScanned uses them: Lake bills the bytes of the columns a query reads,
    and the JSON size of a value is a stable stand-in for its stored size.
    """
    sizes = dict.fromkeys(COLUMN_NAMES, 0)
    count = 0
    for event in events:
        parts = []
        for name, value in event_to_row(event).items():
            text = compact_json(value)
            sizes[name] += len(text.encode("utf-8"))
            parts.append(f'"{name}":{text}')
        handle.write("{" + ",".join(parts) + "}\n")
        count += 1
    return count, sizes


def create_table_sql(table: str) -> str:
    columns = ", ".join(f'"{name}" {duckdb_type(t)}' for name, t in EVENT_COLUMNS)
    return f'CREATE TABLE "{table}" ({columns})'


def read_json_columns_sql() -> str:
    """The `columns` argument of DuckDB's read_json that parses rows into the Lake types."""
    entries = ", ".join(f"'{name}': '{duckdb_type(t)}'" for name, t in EVENT_COLUMNS)
    return "{" + entries + "}"
