"""The Glue tables the Athena emulator serves: the two CloudTrail table styles found in the wild.

The tool reads evidence from Athena over an organization trail's S3 logs, through a table
somebody else created. It cannot assume the table's shape, so it asks Glue (GetTable) first
and writes its query for what it finds. The emulator must therefore serve the shapes people
really have, and answer queries with the values those shapes give:

- `struct`: the DDL of the Athena User Guide ("Create the table for CloudTrail logs in
  Athena using partition projection", `cloudtrail_logs_pp`): `useridentity` is a struct (with
  `onbehalfof: struct<userid, identitystorearn>`), `resources` an array of structs,
  `addendum` and `tlsdetails` structs, and every other column a string, free-form objects
  (`requestparameters`, `serviceeventdetails`, ...) included: those hold the object's JSON
  text, read with `json_extract_scalar`. `eventtime` is a string (`2026-07-01T00:08:20Z`).
- `strings`: the same column names, every one a string; `useridentity` too holds JSON text,
  read with `json_extract_scalar(useridentity, '$.onBehalfOf.userId')` (the JSON keeps the
  event's camelCase keys; struct fields are lowercase).

Both use the Hive JSON SerDe over CloudTrailInputFormat, as the guide's DDL does. The SerDe
matches JSON keys to struct fields without regard to case and drops keys the DDL does not
name; lake_schema.convert has exactly these rules, so its types and conversion are reused.

Partitioning:
- `none`: no partition keys; the table is every file under its LOCATION
  (`s3://<bucket>/AWSLogs/<org id>/`).
- `projected`: the guide documents projection for one account and Region
  (`PARTITIONED BY (timestamp string)`, `projection.timestamp.type=date`, format
  `yyyy/MM/dd`, `storage.location.template=.../${timestamp}`) and, separately, the
  organization trail's manual partitions (`account`, `region`, then the date). The
  organization-trail projection used in practice combines the two: keys `account`,
  `region`, `timestamp`; `account` and `region` enum projections whose values are the
  accounts and Regions present; `timestamp` a daily date projection; the template
  `s3://<bucket>/AWSLogs/<org id>/${account}/CloudTrail/${region}/${timestamp}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lake_schema import MAP, STRING, ArrayType, LakeType, MapType, StructType, duckdb_type, strings, struct

STRUCT = "struct"
STRINGS = "strings"
STYLES = (STRUCT, STRINGS)
NO_PARTITIONS = "none"
PROJECTED = "projected"
PARTITIONINGS = (NO_PARTITIONS, PROJECTED)
PARTITION_KEYS = ("account", "region", "timestamp")
# Hive's name for a partition whose value is missing (an event without recipientAccountId).
DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"

# The User Guide's column list, in its order (struct style).
DOCUMENTED_COLUMNS: tuple[tuple[str, LakeType], ...] = (
    ("eventversion", STRING),
    ("useridentity", struct(
        *strings("type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username"),
        ("onbehalfof", struct(*strings("userid", "identitystorearn"))),
        ("sessioncontext", struct(
            ("attributes", struct(*strings("mfaauthenticated", "creationdate"))),
            ("sessionissuer", struct(*strings("type", "principalid", "arn", "accountid", "username"))),
            ("ec2roledelivery", STRING),
            ("webidfederationdata", struct(("federatedprovider", STRING), ("attributes", MAP))),
        )),
    )),
    *strings("eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress", "useragent",
             "errorcode", "errormessage", "requestparameters", "responseelements",
             "additionaleventdata", "requestid", "eventid", "readonly"),
    ("resources", ArrayType(struct(*strings("arn", "accountid", "type")))),
    *strings("eventtype", "apiversion", "recipientaccountid", "serviceeventdetails", "sharedeventid",
             "vpcendpointid", "vpcendpointaccountid", "eventcategory"),
    ("addendum", struct(*strings("reason", "updatedfields", "originalrequestid", "originaleventid"))),
    *strings("sessioncredentialfromconsole", "edgedevicedetails"),
    ("tlsdetails", struct(*strings("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
)


def style_columns(style: str) -> tuple[tuple[str, LakeType], ...]:
    """The data columns of a table style (partition keys not included)."""
    if style == STRUCT:
        return DOCUMENTED_COLUMNS
    if style == STRINGS:
        return tuple((name, STRING) for name, _ in DOCUMENTED_COLUMNS)
    raise ValueError(f"unknown table style {style!r}")


def hive_type(lake_type: LakeType) -> str:
    """The type as Glue stores it: Hive's spelling, lowercase, no spaces."""
    if lake_type == STRING:
        return "string"
    if isinstance(lake_type, MapType):
        return "map<string,string>"
    if isinstance(lake_type, ArrayType):
        return f"array<{hive_type(lake_type.element)}>"
    if isinstance(lake_type, StructType):
        return "struct<" + ",".join(f"{name}:{hive_type(t)}" for name, t in lake_type.fields) + ">"
    raise ValueError(f"no Hive type for {lake_type!r}")


@dataclass(frozen=True)
class TableSpec:
    """One Glue table over the loaded events: its names, style, partitioning and location."""

    database: str
    name: str
    style: str
    partitioning: str
    bucket: str
    org_id: str | None  # None: a single-account trail (AWSLogs/<account>/...)
    account: str  # the catalog's account (CatalogId)
    created: float

    @property
    def columns(self) -> tuple[tuple[str, LakeType], ...]:
        return style_columns(self.style)

    @property
    def partition_keys(self) -> tuple[str, ...]:
        return PARTITION_KEYS if self.partitioning == PROJECTED else ()

    @property
    def location(self) -> str:
        prefix = f"s3://{self.bucket}/AWSLogs/"
        return prefix + (f"{self.org_id}/" if self.org_id else "")

    def create_table_sql(self, qualified_name: str) -> str:
        """The DuckDB table: data columns in DDL order, then the partition keys (as Hive lists them)."""
        columns = [f'"{name}" {duckdb_type(t)}' for name, t in self.columns]
        columns += [f'"{key}" VARCHAR' for key in self.partition_keys]
        return f"CREATE TABLE {qualified_name} ({', '.join(columns)})"

    def read_json_columns_sql(self) -> str:
        """The `columns` argument of DuckDB's read_json for the rows of this table."""
        entries = [f"'{name}': '{duckdb_type(t)}'" for name, t in self.columns]
        entries += [f"'{key}': 'VARCHAR'" for key in self.partition_keys]
        return "{" + ", ".join(entries) + "}"

    def glue_table(self, projection: dict[str, str]) -> dict[str, Any]:
        """The table as Glue's GetTable returns it."""
        return {
            "Name": self.name,
            "DatabaseName": self.database,
            "Owner": "hadoop",
            "CreateTime": self.created,
            "UpdateTime": self.created,
            "LastAccessTime": 0,
            "Retention": 0,
            "StorageDescriptor": self.storage_descriptor(),
            "PartitionKeys": [{"Name": key, "Type": "string"} for key in self.partition_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "cloudtrail",
                           "transient_lastDdlTime": str(int(self.created)), **projection},
            "CreatedBy": f"arn:aws:iam::{self.account}:user/athena-admin",
            "IsRegisteredWithLakeFormation": False,
            "CatalogId": self.account,
            "VersionId": "0",
        }

    def storage_descriptor(self) -> dict[str, Any]:
        return {
            "Columns": [{"Name": name, "Type": hive_type(t)} for name, t in self.columns],
            "Location": self.location,
            "InputFormat": INPUT_FORMAT,
            "OutputFormat": OUTPUT_FORMAT,
            "Compressed": False,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": SERDE, "Parameters": {"serialization.format": "1"}},
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {},
            "StoredAsSubDirectories": False,
        }

    def projection_parameters(self, accounts: list[str], regions: list[str], first_day: str) -> dict[str, str]:
        """The table properties of the organization-trail projection (see the module docstring).

        `first_day` (`yyyy/MM/dd`) starts the date range, which runs to NOW.
        """
        if self.partitioning != PROJECTED:
            return {}
        return {
            "projection.enabled": "true",
            "projection.account.type": "enum",
            "projection.account.values": ",".join(accounts),
            "projection.region.type": "enum",
            "projection.region.values": ",".join(regions),
            "projection.timestamp.type": "date",
            "projection.timestamp.format": "yyyy/MM/dd",
            "projection.timestamp.range": f"{first_day},NOW",
            "projection.timestamp.interval": "1",
            "projection.timestamp.interval.unit": "DAYS",
            "storage.location.template": self.location + "${account}/CloudTrail/${region}/${timestamp}",
        }
