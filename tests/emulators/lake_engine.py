"""The CloudTrail Lake emulator's engine: the events in a DuckDB table with Lake's schema
(lake_schema.py), and Lake's SQL run against it with Trino's meaning.

Lake (Trino) and DuckDB differences corrected here (mechanisms in lake_sql.py):
 1. `FROM <event data store id>`: Lake takes the id unquoted although it contains `-`,
    which DuckDB parses as minus. Exactly that identifier, outside literals and quoted
    names, is rewritten to the quoted name of the table that holds the events.
 2. `element_at(map, key)`: Trino returns the value or NULL; DuckDB 1.5.6 returns a
    one-element list (or an empty one). Calls are rewritten to a `trino_element_at`
    macro, defined as DuckDB's subscript, which has Trino's meaning for maps and arrays.
 3. Result values: Lake returns every value as a string. Timestamps are rendered as
    Trino's timestamp(3), `2026-07-01 00:08:20.000` (DuckDB's text drops the
    milliseconds); booleans `true`/`false`; maps and structs `{key=value, ...}`, arrays
    `[a, b]`; numbers as their digits.
 4. Result column names: Trino lowercases them, names a column or struct field after its
    last part and an unnamed expression `_colN`; DuckDB keeps the written case and names
    an expression after its text. Trino's names are used.
 5. Integer division: `7 / 2` is 3 in Trino, 3.5 in DuckDB; DuckDB's integer_division is set.
 6. NULL ordering: pinned to NULLS LAST in both directions, Trino's default.
 7. Time zone: the session is UTC, as Lake's is, whatever the machine's zone.
 8. `json_extract_scalar(json, path)`: a Trino function DuckDB lacks; a macro gives Trino's
    meaning (the scalar as varchar; NULL for objects, arrays, missing paths or text that is
    not JSON), shared with the Athena emulator. The change query reads nested request
    parameters (`memberId.userId`) with it: a `map<string,string>` column holds a nested
    object as its JSON text (lake_schema.py), which is an assumption, as public material
    does not show Lake's text for nested values.
Checked to behave as in Trino with no change (see test_lake.py): `timestamp '...'`
literals, comparing `eventtime` with a string, `max(eventTime)`, `count(DISTINCT ...)`,
`IN (...)`, `GROUP BY 1, 2, ...`, and case-insensitive column and struct field names
(`userIdentity.onBehalfOf.userId` on the documented lowercase `useridentity`).
Not corrected: Trino functions DuckDB lacks or spells otherwise (`from_iso8601_timestamp`,
`date_add('day', ...)`, `approx_distinct`) make the query FAILED; DuckDB-only syntax
(`GROUP BY ALL`) is accepted; DuckDB casts implicitly where Trino errors (`varchar = 1`);
doubles are rendered as Python's repr.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb

from lake_schema import COLUMN_NAMES, create_table_sql, read_json_columns_sql, write_rows
from lake_sql import SESSION_SQL, format_value, parse_statement, referenced_columns, rewrite_for_duckdb, trino_column_names

MAX_ERROR_MESSAGE = 1000


@dataclass
class Outcome:
    """What DuckDB made of a query: its rows as Lake strings, or its error."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: str | None = None
    bytes_scanned: int = 0
    execution_ms: int = 0


class LakeEngine:
    """The DuckDB table of events, and the running of Lake queries against it."""

    def __init__(self, store_id: str, events: Iterable[dict[str, Any]]) -> None:
        self.table = store_id
        self.lock = threading.Lock()
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(create_table_sql(self.table))
        self.row_count, self.column_bytes = self.load(events)
        for statement in SESSION_SQL:
            self.connection.execute(statement)
        # Queries are SELECTs, but a SELECT can call read_csv(); keep them off the disk.
        self.connection.execute("SET enable_external_access = false")
        self.connection.execute("SET lock_configuration = true")

    def load(self, events: Iterable[dict[str, Any]]) -> tuple[int, dict[str, int]]:
        """Fills the table through newline-delimited JSON that DuckDB types as it reads.

        Returns the row count and the bytes of each column (see lake_schema.write_rows).
        """
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False) as handle:
            count, sizes = write_rows(events, handle)
        try:
            if count:
                self.connection.execute(
                    f'INSERT INTO "{self.table}" SELECT * FROM read_json(?, format = \'newline_delimited\', '
                    f"columns = {read_json_columns_sql()}, maximum_object_size = 1073741824)",
                    [handle.name],
                )
        finally:
            os.unlink(handle.name)
        return count, sizes

    def run(self, statement: str) -> Outcome:
        """Runs a Lake query; raises InvalidStatement for what Lake refuses at StartQuery."""
        sql = rewrite_for_duckdb(statement, self.table)
        with self.lock:
            tree = parse_statement(self.connection, sql)
            scanned = sum(self.column_bytes[name] for name in referenced_columns(tree, COLUMN_NAMES))
            started = time.monotonic()
            try:
                cursor = self.connection.execute(sql)
                raw_rows = cursor.fetchall()
                duckdb_names = [column[0] for column in cursor.description or []]
            except duckdb.Error as error:
                return Outcome(error=str(error)[:MAX_ERROR_MESSAGE])
        elapsed = int((time.monotonic() - started) * 1000)
        rows = [[None if value is None else format_value(value) for value in row] for row in raw_rows]
        return Outcome(trino_column_names(tree, duckdb_names), rows, None, scanned, elapsed)
