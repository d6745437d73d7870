"""Runs Athena's (Trino) SQL on DuckDB: the means behind the corrections listed in athena.py.

- `SESSION_SQL`: settings and macros that give DuckDB Trino's meaning (lake_sql's, with
  json_extract_scalar, plus Trino's json_extract and json_format);
- `rewrite_for_duckdb`: renames, outside literals and quoted names, the Trino functions
  whose DuckDB namesake means something else;
- `parse_select`: DuckDB's parse tree of a single SELECT (or the Athena error for others);
- `failure`: a DuckDB error as Athena's `ERROR_NAME: message` text;
- `trino_type`: a DuckDB result type as Athena's ColumnInfo type name;
- `pruning_sql`: the partition predicates of a query, as a query over the partitions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import duckdb

from lake_sql import SESSION_SQL as LAKE_SESSION_SQL, sql_pieces, walk

# Trino's json_extract: the JSON at the path, NULL for text that is not JSON.
JSON_EXTRACT_MACRO = """CREATE MACRO trino_json_extract(doc, path) AS CASE
    WHEN NOT json_valid(doc) THEN NULL
    ELSE json_extract(doc, trino_json_path(path)) END"""

# Trino's json_format: a JSON value as its compact text (NULL stays NULL).
JSON_FORMAT_MACRO = "CREATE MACRO json_format(doc) AS CAST(CAST(doc AS JSON) AS VARCHAR)"

# Lake's session already has Trino's JSON path and json_extract_scalar (lake_sql).
SESSION_SQL = (*LAKE_SESSION_SQL, JSON_EXTRACT_MACRO, JSON_FORMAT_MACRO)

# Trino functions whose DuckDB namesake differs, and the macro each becomes.
RENAMED_FUNCTIONS = {"json_extract": "trino_json_extract", "element_at": "trino_element_at"}
FUNCTION_CALL = re.compile(r"(?<![\w.\"])(" + "|".join(RENAMED_FUNCTIONS) + r")(?=\s*\()", re.IGNORECASE)


class AthenaFailure(Exception):
    """A query Athena accepts but fails: its error name (SYNTAX_ERROR, ...) and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message

    @property
    def reason(self) -> str:
        """The StateChangeReason Athena gives: `NAME: message`."""
        return f"{self.name}: {self.message}"


def rewrite_for_duckdb(sql: str) -> str:
    """The query with the Trino functions of RENAMED_FUNCTIONS renamed to their macros.

    Only code is changed, never a string literal, a quoted name or a comment.
    """
    def rename(match: re.Match[str]) -> str:
        return RENAMED_FUNCTIONS[match.group(1).lower()]

    return "".join(FUNCTION_CALL.sub(rename, text) if kind == "code" else text for kind, text in sql_pieces(sql))


def parse_select(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """DuckDB's parse tree of a single SELECT; AthenaFailure for anything else."""
    tree = json.loads(connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        if tree.get("error_type") == "parser":
            raise AthenaFailure("SYNTAX_ERROR", first_line(str(tree.get("error_message"))))
        raise AthenaFailure("NOT_SUPPORTED", "The Athena emulator runs SELECT statements only: "
                            + first_line(str(tree.get("error_message"))))
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise AthenaFailure("SYNTAX_ERROR", "Only one sql statement is allowed. Got: " + str(len(statements)))
    return statements[0]


def first_line(message: str) -> str:
    """DuckDB's message without its `LINE n:` excerpt and caret, which Athena does not send."""
    return message.strip().splitlines()[0] if message.strip() else message


# DuckDB's error, by class and text, to the Trino error name Athena prefixes its reason with.
ERROR_NAMES: tuple[tuple[type[duckdb.Error], str, str], ...] = (
    (duckdb.ParserException, "", "SYNTAX_ERROR"),
    (duckdb.CatalogException, "because schema", "SCHEMA_NOT_FOUND"),
    (duckdb.CatalogException, "Table with name", "TABLE_NOT_FOUND"),
    (duckdb.CatalogException, "Catalog with name", "CATALOG_NOT_FOUND"),
    (duckdb.CatalogException, "Function with name", "FUNCTION_NOT_FOUND"),
    (duckdb.BinderException, "Referenced column", "COLUMN_NOT_FOUND"),
    (duckdb.BinderException, "Could not find key", "COLUMN_NOT_FOUND"),
    (duckdb.BinderException, "No function matches", "FUNCTION_NOT_FOUND"),
    (duckdb.BinderException, "Catalog \"", "CATALOG_NOT_FOUND"),
    (duckdb.BinderException, "", "TYPE_MISMATCH"),
    (duckdb.InvalidInputException, "Unexpected parameters", "FUNCTION_NOT_FOUND"),
    (duckdb.InvalidInputException, "", "INVALID_FUNCTION_ARGUMENT"),
    (duckdb.ConversionException, "", "INVALID_CAST_ARGUMENT"),
)


def failure(error: duckdb.Error) -> AthenaFailure:
    """A DuckDB error as the failure Athena reports for the same mistake."""
    text = first_line(str(error))
    for error_class, fragment, name in ERROR_NAMES:
        if isinstance(error, error_class) and fragment.lower() in text.lower():
            return AthenaFailure(name, text)
    return AthenaFailure("GENERIC_USER_ERROR", text)


# DuckDB type name (its first word) -> Athena's type name and ColumnInfo precision.
TRINO_TYPES = {
    "VARCHAR": ("varchar", 2147483647), "BIGINT": ("bigint", 19), "INTEGER": ("integer", 10),
    "SMALLINT": ("smallint", 5), "TINYINT": ("tinyint", 3), "BOOLEAN": ("boolean", 0),
    "DOUBLE": ("double", 17), "FLOAT": ("real", 17), "DATE": ("date", 0), "TIMESTAMP": ("timestamp", 3),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", 3), "DECIMAL": ("decimal", 38),
    "HUGEINT": ("decimal", 38), "JSON": ("json", 0), "STRUCT": ("row", 0), "MAP": ("map", 0),
}


def trino_type(duckdb_type: str) -> tuple[str, int]:
    """Athena's name and precision for a DuckDB result type (`VARCHAR[]` -> array)."""
    if duckdb_type.endswith("[]"):
        return "array", 0
    if duckdb_type in TRINO_TYPES:
        return TRINO_TYPES[duckdb_type]
    return TRINO_TYPES.get(re.split(r"[(\s]", duckdb_type, maxsplit=1)[0], ("varchar", 2147483647))


# ---------------------------------------------------------------- partition pruning


@dataclass(frozen=True)
class PruningScope:
    """What counts as a partition column: the key names, and the names the table goes by."""

    keys: frozenset[str]
    table_names: frozenset[str]  # the table's name and the query's alias for it, lowercase


def conjuncts(expression: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The top-level AND terms of a WHERE clause (nested ANDs flattened)."""
    if expression is None:
        return []
    if expression.get("class") == "CONJUNCTION" and expression.get("type") == "CONJUNCTION_AND":
        return [term for child in expression.get("children", []) for term in conjuncts(child)]
    return [expression]


def partition_column(reference: dict[str, Any], scope: PruningScope) -> str | None:
    """The partition key a column reference names (`account`, `t.account`), or None."""
    parts = [part.lower() for part in reference.get("column_names", [])]
    if len(parts) == 1 and parts[0] in scope.keys:
        return parts[0]
    if len(parts) == 2 and parts[0] in scope.table_names and parts[1] in scope.keys:
        return parts[1]
    return None


def on_partitions_only(term: dict[str, Any], scope: PruningScope) -> bool:
    """Whether a term reads partition columns and nothing else (no other column, no subquery)."""
    references = 0
    for node in walk(term):
        if node.get("class") == "SUBQUERY" or node.get("type") == "SUBQUERY":
            return False
        if node.get("class") == "COLUMN_REF":
            if partition_column(node, scope) is None:
                return False
            references += 1
    return references > 0


def unqualified(term: dict[str, Any], scope: PruningScope) -> dict[str, Any]:
    """The term with every column reference reduced to the bare partition key."""
    copied = json.loads(json.dumps(term))
    for node in walk(copied):
        if node.get("class") == "COLUMN_REF":
            node["column_names"] = [partition_column(node, scope)]
    return copied


def pruning_terms(statement: dict[str, Any], table: str, keys: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The query's top-level WHERE terms on partition columns only; None if it cannot prune.

    Only a SELECT straight from the table is looked at (no join, subquery or set
    operation in FROM); anything else scans every partition, which errs on the dear side.
    """
    node = statement.get("node") or {}
    source = node.get("from_table") or {}
    if node.get("type") != "SELECT_NODE" or source.get("type") != "BASE_TABLE" or not keys:
        return None
    if source.get("table_name", "").lower() != table.lower():
        return None
    names = {table.lower()} | ({source["alias"].lower()} if source.get("alias") else set())
    scope = PruningScope(frozenset(keys), frozenset(names))
    return [unqualified(term, scope) for term in conjuncts(node.get("where_clause")) if on_partitions_only(term, scope)]


def pruning_sql(connection: duckdb.DuckDBPyConnection, terms: list[dict[str, Any]], splits_table: str) -> str:
    """`SELECT sum(bytes) FROM <splits> WHERE <terms>`, built from the terms' parse trees.

    DuckDB renders the terms back to SQL itself (json_deserialize_sql), so a term means
    on the partitions exactly what it means in the query.
    """
    base = f"SELECT coalesce(sum(bytes), 0) FROM {splits_table} WHERE true"
    tree = json.loads(connection.execute("SELECT json_serialize_sql(?)", [base]).fetchone()[0])
    if terms:
        where = terms[0] if len(terms) == 1 else {
            "class": "CONJUNCTION", "type": "CONJUNCTION_AND", "alias": "", "query_location": 0, "children": terms}
        tree["statements"][0]["node"]["where_clause"] = where
    return connection.execute("SELECT json_deserialize_sql(json(?))", [json.dumps(tree)]).fetchone()[0]
