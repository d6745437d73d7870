"""Runs Lake's (Trino) SQL on DuckDB and renders the results as Lake returns them.

Lake queries are written for Trino; the emulator runs them on DuckDB. Where the two
differ on something a Lake query of ours can do, this module makes DuckDB answer as Trino
would, so a query tested here behaves the same on Lake. Each correction is listed, with
the reason, at the top of lake.py; the functions here are the means:

- `rewrite_for_duckdb`: changes the query text outside literals and quoted names only;
- `SESSION_SQL`: DuckDB settings and macros that give Trino's meaning;
- `parse_statement`: DuckDB's own parser (json_serialize_sql), which tells a syntax error
  or a non-SELECT statement before anything runs;
- `trino_column_names`, `referenced_columns`: read that parse tree for Trino's result
  column names and for the columns a query scans;
- `format_value`: turns every result value into the string Lake returns.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterator

import duckdb

# Trino's element_at(map, key) is the value or NULL; DuckDB 1.5's element_at on a MAP is
# an alias of map_extract and returns a one-element LIST (or an empty list). DuckDB's
# subscript `container[key]` has Trino's meaning for maps (value or NULL) and arrays
# (1-based, negative from the end, NULL out of range), so the macro is just that.
# Trino's JSON path accepts `$["key"]`; DuckDB's spells it `$."key"`.
JSON_PATH_MACRO = r"""CREATE MACRO trino_json_path(path) AS
    regexp_replace(path, '\[\s*"([^"]*)"\s*\]', '."\1"', 'g')"""

# Trino's json_extract_scalar takes varchar or json, and returns the scalar at the path as
# varchar: NULL for an object, an array, a JSON null, a missing path, or text that is not
# JSON. DuckDB has no json_extract_scalar; its json_extract_string returns objects as text
# and raises on malformed JSON. Any other argument type fails as Trino fails it.
JSON_EXTRACT_SCALAR_MACRO = """CREATE MACRO json_extract_scalar(doc, path) AS CASE
    WHEN typeof(doc) NOT IN ('VARCHAR', 'JSON', 'NULL', '"NULL"') THEN error(
        'Unexpected parameters (' || typeof(doc) || ', varchar) for function json_extract_scalar. '
        || 'Expected: json_extract_scalar(varchar(x), JsonPath), json_extract_scalar(json, JsonPath)')
    WHEN NOT json_valid(doc) THEN NULL
    WHEN json_type(doc, trino_json_path(path)) IN ('OBJECT', 'ARRAY') THEN NULL
    ELSE json_extract_string(doc, trino_json_path(path)) END"""

SESSION_SQL = (
    "SET TimeZone = 'UTC'",
    # Trino: integer / integer is an integer; DuckDB's `/` would give a double.
    "SET integer_division = true",
    # Trino sorts NULLs last in both directions; pin it rather than rely on the default.
    "SET default_null_order = 'nulls_last'",
    "CREATE MACRO trino_element_at(container, key) AS container[key]",
    JSON_PATH_MACRO,
    JSON_EXTRACT_SCALAR_MACRO,
)

# One lexical piece of SQL: a string literal, a quoted identifier, a comment, or code.
TOKEN = re.compile(
    r"""(?P<literal>'(?:[^']|'')*'?)"""
    r"""|(?P<quoted>"(?:[^"]|"")*"?)"""
    r"""|(?P<comment>--[^\n]*|/\*.*?(?:\*/|$))"""
    r"""|(?P<code>[^'"\-/]+|-(?!-)|/(?!\*))""",
    re.DOTALL,
)
ELEMENT_AT = re.compile(r"(?<![\w.])element_at(?=\s*\()", re.IGNORECASE)


class InvalidStatement(Exception):
    """A statement Lake refuses at StartQuery: not parsable, or not a single SELECT."""


def sql_pieces(sql: str) -> Iterator[tuple[str, str]]:
    """Splits SQL into (kind, text) pieces; kind is literal, quoted, comment or code.

    Adjacent code is yielded as one piece, so a name with `-` in it stays whole.
    """
    code = ""
    position = 0
    while position < len(sql):
        match = TOKEN.match(sql, position)
        kind, text = (match.lastgroup or "code", match.group()) if match else ("code", sql[position:])
        position = match.end() if match else len(sql)
        if kind == "code":
            code += text
            continue
        if code:
            yield "code", code
            code = ""
        yield kind, text
    if code:
        yield "code", code


def rewrite_code(code: str, store_pattern: re.Pattern[str], table: str) -> str:
    code = store_pattern.sub(f'"{table}"', code)
    return ELEMENT_AT.sub("trino_element_at", code)


def rewrite_for_duckdb(sql: str, store_id: str) -> str:
    """The query with Lake-only spellings replaced by DuckDB ones (see lake.py's list).

    - `FROM <event data store id>`: Lake takes the id unquoted, though it holds `-`, which
      DuckDB reads as minus; exactly that identifier (any case, not inside a literal or a
      quoted name, not part of a longer name) becomes the quoted table name.
    - `element_at(`: becomes the `trino_element_at` macro of SESSION_SQL.
    """
    store_pattern = re.compile(rf"(?<![\w\-.]){re.escape(store_id)}(?![\w\-])", re.IGNORECASE)
    return "".join(
        rewrite_code(text, store_pattern, store_id) if kind == "code" else text
        for kind, text in sql_pieces(sql)
    )


def parse_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """DuckDB's parse tree of a single SELECT, or InvalidStatement with the reason."""
    serialized = connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    tree = json.loads(serialized)
    if tree.get("error"):
        if tree.get("error_type") == "parser":
            raise InvalidStatement(f"Syntax error: {tree.get('error_message')}")
        raise InvalidStatement("Only SELECT statements are allowed: " + str(tree.get("error_message")))
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise InvalidStatement("Exactly one SELECT statement is allowed per query")
    return statements[0]


def first_select_node(node: dict[str, Any]) -> dict[str, Any] | None:
    """The SELECT that names a query's result columns (the left side of a UNION)."""
    while node.get("type") == "SET_OPERATION_NODE":
        node = node.get("left") or {}
    return node if node.get("type") == "SELECT_NODE" else None


def trino_name(position: int, expression: dict[str, Any]) -> str | None:
    """Trino's name for one select-list item; None for `*`, which expands to many."""
    if expression.get("class") == "STAR":
        return None
    if expression.get("alias"):
        return expression["alias"].lower()
    if expression.get("class") == "COLUMN_REF":
        return expression["column_names"][-1].lower()
    return f"_col{position}"


def trino_column_names(statement: dict[str, Any], duckdb_names: list[str]) -> list[str]:
    """Result column names as Trino gives them.

    Trino lowercases names, names a column or a struct field after its last part, and an
    unnamed expression `_colN` (N its 0-based position); DuckDB keeps the case as written
    and names an expression after its text (`count(DISTINCT eventID)`). When the select
    list holds a `*`, DuckDB's names are kept, lowercased.
    """
    node = first_select_node(statement.get("node") or {})
    items = (node or {}).get("select_list") or []
    names = [trino_name(position, item) for position, item in enumerate(items)]
    if len(names) != len(duckdb_names) or None in names:
        return [name.lower() for name in duckdb_names]
    return [name for name in names if name is not None]


def walk(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from walk(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from walk(value)


def referenced_columns(statement: dict[str, Any], table_columns: tuple[str, ...]) -> set[str]:
    """The table columns a query reads: every column named anywhere, or all for a `*`."""
    known = set(table_columns)
    found: set[str] = set()
    for node in walk(statement):
        if node.get("class") == "STAR":
            return known
        if node.get("class") == "COLUMN_REF":
            parts = [part.lower() for part in node.get("column_names", [])]
            # `alias.column.field`: the column is the first part that is a table column.
            found.update(next(([part] for part in parts[:2] if part in known), []))
    return found


def format_timestamp(value: datetime) -> str:
    """Trino's text of a timestamp(3): `2026-07-01 00:08:20.000` (with ` UTC` if zoned)."""
    suffix = ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
        suffix = " UTC"
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}" + suffix


def format_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def format_value(value: Any) -> str:
    """Every Lake result value is a string; this is the string for one DuckDB value.

    Maps and structs render as `{key=value, ...}` and arrays as `[a, b]`, the Java-style
    text Lake returns for those columns (e.g. `requestparameters`).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={format_nested(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_nested(item) for item in value) + "]"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def format_nested(value: Any) -> str:
    return "null" if value is None else format_value(value)
