"""The Athena emulator's engine: the trail's events as one Glue table in DuckDB (glue_tables.py,
athena_data.py), and Athena's SQL run against it with Trino's meaning.

Athena (Trino) and DuckDB differences corrected here (mechanisms in athena_sql.py):
 1. `json_extract_scalar(json, path)`: missing in DuckDB; a macro gives Trino's meaning:
    the scalar as varchar; NULL for an object, an array, a JSON null, a missing path or
    text that is not JSON (DuckDB's json_extract_string returns objects as text and raises
    on malformed JSON); a struct or other non-text argument fails with Trino's
    FUNCTION_NOT_FOUND "Unexpected parameters" error, as a `strings`-style query sent to a
    `struct` table would.
 2. `json_extract(json, path)`: Trino returns NULL for text that is not JSON (DuckDB raises);
    both functions take Trino's bracket paths (`$["key"]`, DuckDB's `$."key"`).
 3. `element_at(map, key)`: Trino's value-or-NULL (DuckDB returns a list), as in lake.py.
    `json_format(json)` (missing in DuckDB): a macro gives the value's compact JSON text.
 4. Catalog and schema names: Athena resolves `"db"."table"`, `awsdatacatalog.db.table`
    and, with QueryExecutionContext.Database, a bare `table`. The table lives in an attached
    DuckDB catalog named `awsdatacatalog`, under a schema named after the database; each
    query's search path is its context database (Athena's `default` when none is given).
    Names match case-insensitively, as in Athena (and DuckDB, even quoted).
 5. Result values: every value is a string (VarCharValue); NULL is an empty cell `{}`.
    Timestamps print as Trino's timestamp(3) (`2026-07-01 00:08:20.000`, ` UTC` when
    zoned), booleans `true`/`false`, rows and maps `{key=value, ...}`, arrays `[a, b]`
    (lake_sql.format_value).
 6. Result column names: Trino's (lowercase, a column's last name part, `_colN` for an
    unnamed expression), as in lake.py; ColumnInfo types are Trino's names (`varchar`,
    `bigint`, ...).
 7. Integer division, NULLS LAST ordering and the UTC session zone, as in lake.py.
 8. Errors: a query Athena accepts but cannot run is not refused by StartQueryExecution; it
    ends FAILED with StateChangeReason `ERROR_NAME: message` (SYNTAX_ERROR, TABLE_NOT_FOUND,
    COLUMN_NOT_FOUND, FUNCTION_NOT_FOUND, TYPE_MISMATCH, ...; DuckDB's message text) and
    AthenaError {ErrorCategory 2 (USER), ErrorType 1000}.
Checked to behave as in Trino with no change (see test_athena.py): `timestamp` as a column
name, bare or quoted (it is reserved in Hive DDL, not in Trino queries); comparing the
string `eventtime` with string literals; `max(eventtime)`, `count(DISTINCT ...)`, `IN`,
`BETWEEN`, `GROUP BY 1, 2, ...`; case-insensitive column and struct field names.
Not corrected: other Trino functions DuckDB lacks or spells otherwise
(`from_iso8601_timestamp`, `date_add('day', ...)`: the query FAILs with
FUNCTION_NOT_FOUND); DuckDB-only syntax is accepted; DuckDB casts implicitly where Trino
errors; json_extract_scalar prints numbers as DuckDB normalises them (`1.50` -> `1.5`);
ExecutionParameters are not substituted.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from athena_data import Partition, iter_log_files
from athena_sql import (
    SESSION_SQL,
    AthenaFailure,
    failure,
    parse_select,
    pruning_sql,
    pruning_terms,
    rewrite_for_duckdb,
    trino_type,
)
from glue_tables import NO_PARTITIONS, PROJECTED, TableSpec
from lake_schema import LakeType, compact_json, present_fields
from lake_sql import format_value, trino_column_names


CATALOG = "awsdatacatalog"


DEFAULT_DATABASE = "default"


SPLITS_TABLE = "memory.main.athena_emulator_splits"


# Fixed parts of the statistics (ms); see the module docstring.
QUEUE_MS, PLANNING_MS, PREPROCESSING_MS, SERVICE_MS, ENGINE_OVERHEAD_MS = 80, 120, 40, 25, 300


@dataclass
class Outcome:
    """What DuckDB made of a query: names, Athena types and string rows, or its failure."""

    columns: list[str] = field(default_factory=list)
    types: list[tuple[str, int]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    failure: AthenaFailure | None = None
    bytes_scanned: int = 0
    engine_ms: int = 0


@dataclass
class LoadSummary:
    """What the load found, for the Glue table and the startup line."""

    rows: int = 0
    files: int = 0
    left_out: int = 0
    org_id: str | None = None
    partitions: dict[Partition, int] = field(default_factory=dict)  # bytes per partition


class AthenaEngine:
    """The DuckDB table of events, its partitions' bytes, and the running of queries."""

    def __init__(self, spec: TableSpec, events_root: Path) -> None:
        self.spec = spec
        self.column_types: dict[str, LakeType] = dict(spec.columns)
        self.lock = threading.Lock()
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(f"ATTACH ':memory:' AS {CATALOG}")
        for database in {spec.database, DEFAULT_DATABASE}:
            self.connection.execute(f'CREATE SCHEMA {CATALOG}."{database}"')
        self.connection.execute(spec.create_table_sql(self.qualified_table))
        self.summary = self.load(events_root)
        self.connection.execute(f'CREATE TABLE {SPLITS_TABLE} (account VARCHAR, region VARCHAR, '
                                f'"timestamp" VARCHAR, bytes BIGINT)')
        self.connection.executemany(f"INSERT INTO {SPLITS_TABLE} VALUES (?, ?, ?, ?)",
                                    [[p.account, p.region, p.day, size] for p, size in self.summary.partitions.items()])
        for statement in SESSION_SQL:
            self.connection.execute(statement)
        # Queries are SELECTs (parse_select), but a SELECT can call read_csv(); keep them off the disk.
        self.connection.execute("SET enable_external_access = false")

    @property
    def qualified_table(self) -> str:
        return f'{CATALOG}."{self.spec.database}"."{self.spec.name}"'

    @property
    def total_bytes(self) -> int:
        return sum(self.summary.partitions.values())

    def load(self, root: Path) -> LoadSummary:
        """Writes every event as a row (newline-delimited JSON that DuckDB types as it reads)."""
        summary = LoadSummary()
        handle = tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False)
        try:
            with handle:
                for log_file in iter_log_files(root):
                    summary.files += 1
                    summary.org_id = summary.org_id or log_file.org_id
                    self.write_file_rows(log_file.events, handle, summary)
                    for partition, size in log_file.bytes_by_partition.items():
                        if self.holds(partition):
                            summary.partitions[partition] = summary.partitions.get(partition, 0) + size
            if summary.rows:
                self.connection.execute(
                    f"INSERT INTO {self.qualified_table} SELECT * FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {self.spec.read_json_columns_sql()}, maximum_object_size = 1073741824)",
                    [handle.name])
        finally:
            os.unlink(handle.name)
        return summary

    def holds(self, partition: Partition) -> bool:
        """Whether the table can reach a partition (a projected one needs every value)."""
        return self.spec.partitioning == NO_PARTITIONS or partition.complete

    def write_file_rows(self, events: list[tuple[Partition, dict[str, Any]]], handle: Any,
                        summary: LoadSummary) -> None:
        for partition, event in events:
            if not self.holds(partition):
                summary.left_out += 1
                continue
            handle.write(compact_json(self.row(partition, event)) + "\n")
            summary.rows += 1

    def row(self, partition: Partition, event: dict[str, Any]) -> dict[str, Any]:
        """One event as the SerDe presents it in this style, with its partition values.

        Keys match columns and struct fields case-insensitively; unnamed keys are dropped;
        objects in string columns become their JSON text (lake_schema's rules).
        """
        row = present_fields(event, self.column_types)
        if self.spec.partitioning == PROJECTED:
            row.update(account=partition.account, region=partition.region, timestamp=partition.day)
        return row

    def projection(self) -> dict[str, str]:
        """The Glue table's projection parameters, from the partitions present."""
        partitions = list(self.summary.partitions)
        first_day = min((p.day for p in partitions), default=time.strftime("%Y/%m/%d", time.gmtime()))
        return self.spec.projection_parameters(sorted({p.account for p in partitions}),
                                               sorted({p.region for p in partitions}), first_day)

    # -- running a query

    def run(self, query: str, database: str) -> Outcome:
        """Runs an Athena query with `database` as its context; failures are in the Outcome."""
        sql = rewrite_for_duckdb(query)
        with self.lock:  # one connection: its session settings (SESSION_SQL) hold for every query
            try:
                self.use_database(database)
                statement = parse_select(self.connection, sql)
                scanned = self.bytes_scanned(statement)
                started = time.monotonic()
                result = self.connection.execute(sql)
                raw_rows = result.fetchall()
                description = result.description or []
            except AthenaFailure as error:
                return Outcome(failure=error)
            except duckdb.Error as error:
                return Outcome(failure=failure(error))
        engine_ms = int((time.monotonic() - started) * 1000) + ENGINE_OVERHEAD_MS
        rows = [[None if value is None else format_value(value) for value in row] for row in raw_rows]
        names = trino_column_names(statement, [column[0] for column in description])
        types = [trino_type(str(column[1])) for column in description]
        return Outcome(names, types, rows, None, scanned, engine_ms)

    def use_database(self, database: str) -> None:
        """Resolves bare table names in the context database, Athena's `default` if unknown."""
        known = database.lower() in (self.spec.database, DEFAULT_DATABASE)
        schema = database.lower() if known else DEFAULT_DATABASE
        self.connection.execute(f"SET search_path = '{CATALOG}.\"{schema}\",memory.main'")

    def bytes_scanned(self, statement: dict[str, Any]) -> int:
        """The bytes of the files the query must open (see the module docstring)."""
        terms = pruning_terms(statement, self.spec.name, self.spec.partition_keys)
        if not terms:
            return self.total_bytes
        return int(self.connection.execute(pruning_sql(self.connection, terms, SPLITS_TABLE)).fetchone()[0])
