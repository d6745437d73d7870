"""The CloudWatch Logs emulator's SQL: Logs Insights' OpenSearch SQL, translated for DuckDB.

OpenSearch SQL (Spark SQL underneath) and DuckDB 1.5.6: the query text is translated, outside
string literals and comments, as follows.
 1. Backtick-quoted identifiers (`` `userIdentity.onBehalfOf.userId` ``, `` `@message` ``) become
    double-quoted ones (a doubled backtick is a backtick). The documents require backticks for
    names with characters other than letters and digits, which includes every dotted field.
 2. Double-quoted text is a string literal in Spark SQL (the guide's own example:
    `where lg1.field3= "Success"`); it becomes a single-quoted DuckDB literal.
 3. String literals: Spark reads backslash escapes (`\\'`, `\\n`, `\\uXXXX`, ...) and joins
    adjacent literals (`'a' 'b'` is `'ab'`); DuckDB does neither. Each literal is decoded the
    Spark way and written as a DuckDB literal.
 4. The log-group reference after FROM or JOIN: `` FROM `name` `` (a bare `FROM name` for a
    plain name), `` FROM `logGroups(logGroupIdentifier: ['a', 'b'])` `` (up to 50 names or
    ARNs `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, as documented), becomes a common table
    expression holding the union (by column name) of those groups' tables, restricted to the
    StartQuery time range. `FROM 'a', 'b'` (several groups after FROM) is documented as not
    supported: MalformedQueryException. `filterIndex(...)`, `dataSource(...)` and the other
    logGroups keys (namePrefix, class, accountIdentifier) are not emulated:
    MalformedQueryException. A FROM inside a function call (`EXTRACT(YEAR FROM x)`,
    `substring(s FROM 2)`) or `IS DISTINCT FROM` is left alone.
 5. Fields no event of the queried groups has: with a dynamic schema, a field a query names
    may exist in no event (the published fixtures have no `errorCode`); such a field is a
    column of NULLs (Logs Insights QL treats a field an event lacks as absent, not as an
    error; what SQL does with a field no event has is not documented). In a query of several sources (a JOIN) only a field that none of them
    has is added, so an unqualified name that one of them has stays unambiguous.
    `"unknown_fields": "fail"` makes such a query Failed instead, unless every reference to
    the field is a direct argument of COALESCE: AWS's recommendations for direct queries of
    CloudWatch Logs (OpenSearch Service Developer Guide) say to use COALESCE to handle missing
    columns and ensure results are returned. That `fail` is what AWS does is a guess either way;
    the switch keeps both answers.
 6. NULL ordering: Spark sorts NULLs first ascending and last descending; DuckDB sorts them
    last both ways by default. The session is set to Spark's order.
 7. `get_json_object(json, '$.path')` (a Spark function the guide lists): a macro over
    DuckDB's json_extract_string, NULL for text that is not JSON.
 8. Result values are all strings (the API's ResultField.value is a string): numbers as their
    digits, booleans `true`/`false`, doubles as Python's repr (lake_sql.format_value).
 9. Time zone: UTC, whatever the machine's.
Checked to behave as in Spark with no change (test_cloudwatch_logs.py): `/` is floating
division in both; comparing the string `eventTime` with ISO string literals; `MAX` of strings;
`COUNT(DISTINCT ...)`; `IN (...)`; `IS NULL`; `upper`, `substr`; INNER JOIN of two groups;
`GROUP BY 1, 2, ...` (the guide's GROUP BY clause, marked supported for CloudWatch Logs, shows
"Use column position in GROUP by clause", Spark's ordinals) and GROUP BY with the expressions
repeated; case-insensitive field names; a result column named after an unaliased field keeps
the field's spelling.
Not corrected: other Spark functions DuckDB lacks or spells otherwise (`date_format`,
`from_unixtime`, `size`, `rlike`, `<=>`) make the query Failed; DuckDB-only syntax is accepted;
`LIKE` has no default escape character in DuckDB (`\\` in Spark); an unaliased expression is
named by DuckDB's text (`count_star()` for `COUNT(*)`), not Spark's; a column qualified by the
log group's name (`` `group`.field ``) does not resolve (use an alias).

Refused at StartQuery with MalformedQueryException (before anything runs): a query DuckDB
cannot parse (the API documents MalformedQueryException for an invalid query string; that AWS
reports SQL syntax errors this way rather than as a Failed query is assumed, as for Logs
Insights QL), more than one statement, a statement other than SELECT, a common table
expression (documented as not supported for CloudWatch Logs), field names that differ only in
case (documented restriction), a query that names no log group, an unterminated literal or
quoted name. Any error while the query runs (an unknown function, a type mismatch) makes it
Failed: GetQueryResults then answers status Failed with no results (the API has no error
message field; the emulator prints DuckDB's message on its stderr). A query cannot read or
write files: every FROM/JOIN source must be a log group (a table function or a literal there
is refused), and DuckDB's external access is disabled and its configuration locked before the
first query, so even a file function elsewhere in a query fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lake_sql import walk
from logs_engine import LogGroup, Scanned, sql_literal, sql_name, time_text

MAX_LOG_GROUPS_IN_QUERY = 50


SPARK_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<ident>`(?:[^`]|``)*`)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)


SPARK_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[0-7]{3}|.)", re.DOTALL)


SPARK_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}


# Words after which a FROM clause's sources end, at the FROM's own parenthesis level.
CLAUSE_WORDS = frozenset({"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW",
                          "QUALIFY", "SORT", "CLUSTER", "DISTRIBUTE", "OFFSET", "MINUS"})


QUERY_WORDS = frozenset({"SELECT", "WITH", "VALUES", "FROM"})


KEYWORDS = CLAUSE_WORDS | QUERY_WORDS | {"JOIN", "ON", "AS", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "LATERAL"}


LOG_GROUPS_CALL = re.compile(r"\s*logGroups\s*\((?P<arguments>.*)\)\s*", re.DOTALL | re.IGNORECASE)


IDENTIFIER_LIST = re.compile(r"\s*logGroupIdentifier\s*:\s*\[(?P<items>.*)\]\s*", re.DOTALL | re.IGNORECASE)


QUOTED_ITEM = re.compile(r"\s*(?:'([^']*)'|\"([^\"]*)\")\s*(,|$)")


OTHER_SOURCES = re.compile(r"\s*(filterIndex|dataSource)\s*\(", re.IGNORECASE)


class MalformedQuery(Exception):
    """A query StartQuery refuses with MalformedQueryException."""


@dataclass
class Token:
    kind: str  # space, string, ident, word, other
    text: str
    value: str = ""  # a string's decoded text; an identifier's name


def spark_string(text: str) -> str:
    """A Spark string literal's value: quotes removed, backslash escapes applied."""
    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        if len(code) == 3 and code.isdigit():
            return chr(int(code, 8))
        return SPARK_ESCAPES.get(code, code)

    return SPARK_ESCAPE.sub(unescape, text[1:-1])


def spark_tokens(sql: str) -> list[Token]:
    """The query as tokens; adjacent string literals are joined, as Spark joins them."""
    tokens: list[Token] = []
    for match in SPARK_TOKEN.finditer(sql):
        kind, text = match.lastgroup or "other", match.group()
        if kind == "other" and text in "'\"`":
            raise MalformedQuery(f"Unterminated {'quoted name' if text == '`' else 'string literal'} at "
                                 f"position {match.start()}.")
        if kind == "string":
            token = Token(kind, text, spark_string(text))
            previous = next((t for t in reversed(tokens) if t.kind != "space"), None)
            if previous is not None and previous.kind == "string":
                previous.value += token.value
                while tokens[-1] is not previous:
                    tokens.pop()
                continue
            tokens.append(token)
        elif kind == "ident":
            tokens.append(Token(kind, text, text[1:-1].replace("``", "`")))
        else:
            tokens.append(Token(kind, text))
    return tokens


def source_identifiers(reference: str) -> list[str]:
    """The log groups a FROM reference names: itself, or the list of `logGroups(...)`."""
    call = LOG_GROUPS_CALL.fullmatch(reference)
    if call is None:
        if OTHER_SOURCES.match(reference):
            raise MalformedQuery(f"{reference.split('(')[0].strip()}(...) is not emulated; name log groups.")
        return [reference]
    listing = IDENTIFIER_LIST.fullmatch(call.group("arguments"))
    if listing is None:
        raise MalformedQuery("Only logGroups(logGroupIdentifier: [...]) is emulated.")
    items, position, text = [], 0, listing.group("items")
    while position < len(text):
        item = QUOTED_ITEM.match(text, position)
        if item is None or item.end() == position:
            raise MalformedQuery("logGroupIdentifier takes a list of quoted log group names or ARNs.")
        items.append(item.group(1) if item.group(1) is not None else item.group(2))
        position = item.end()
    if not items or len(items) > MAX_LOG_GROUPS_IN_QUERY:
        raise MalformedQuery(f"logGroupIdentifier takes 1 to {MAX_LOG_GROUPS_IN_QUERY} log groups.")
    return list(dict.fromkeys(items))


@dataclass
class Plan:
    """A translated query: DuckDB SQL over placeholder sources, what they hold, and its parse tree."""

    sql: str
    sources: list[list[LogGroup]]
    start_ms: int
    end_ms: int
    tree: dict[str, Any] = field(default_factory=dict)
    missing: dict[int, list[str]] = field(default_factory=dict)  # per source: named fields no group of it has
    coalesced: set[str] = field(default_factory=set)  # fields named only inside COALESCE (lowercase)

    @property
    def groups(self) -> list[LogGroup]:
        return list(dict.fromkeys(group for source in self.sources for group in source))

    @property
    def scanned(self) -> Scanned:
        totals = [group.scan(self.start_ms, self.end_ms) for group in self.groups]
        return Scanned(sum(t[0] for t in totals), sum(t[1] for t in totals), len(totals))

    def with_clause(self, null_for_missing: bool) -> str:
        """`WITH "source_N" AS (...)`: each source's groups, unioned by name, in the time range."""
        low, high = sql_literal(time_text(self.start_ms)), sql_literal(time_text(self.end_ms))
        ctes = []
        for index, groups in enumerate(self.sources):
            missing = [name for name in self.missing.get(index, [])
                       if null_for_missing or name.lower() in self.coalesced]
            extra = "".join(f", NULL::VARCHAR AS {sql_name(name)}" for name in missing)
            union = " UNION ALL BY NAME ".join(
                f'SELECT * FROM {sql_name(group.table)} WHERE "@timestamp" BETWEEN {low} AND {high}'
                for group in groups)
            ctes.append(f"{sql_name(source_name(index))} AS (SELECT *{extra} FROM ({union}))")
        return "WITH " + ", ".join(ctes) + " "


def source_name(index: int) -> str:
    return f"source_{index}"


class Translator:
    """Turns OpenSearch SQL into DuckDB SQL (the list at the top of this module)."""

    def __init__(self, resolve: Callable[[str], LogGroup]) -> None:
        self.resolve = resolve
        self.sources: list[list[LogGroup]] = []

    def translate(self, sql: str) -> str:
        tokens = spark_tokens(sql)
        significant = [index for index, token in enumerate(tokens) if token.kind != "space"]
        if significant and tokens[significant[0]].text.upper() == "WITH":
            raise MalformedQuery("Common table expressions (WITH) are not supported in CloudWatch Logs.")
        output: list[str] = []
        contexts: list[bool | None] = [True]  # per parenthesis level: does it hold a query?
        from_levels: list[int] = []  # the levels of the FROM clauses being read
        expect_source = False
        previous_word = ""
        for position, index in enumerate(significant):
            token = tokens[index]
            following = tokens[significant[position + 1]] if position + 1 < len(significant) else None
            word = token.text.upper() if token.kind == "word" else ""
            if contexts[-1] is None:
                contexts[-1] = word in QUERY_WORDS
            output.append("".join(t.text for t in tokens[(significant[position - 1] + 1 if position else 0):index]))
            level = len(contexts)
            if expect_source:
                expect_source = False
                replaced = self.source(token, following)
                if replaced is not None:
                    output.append(replaced)
                    previous_word = ""
                    continue
            if word == "FROM" and contexts[-1] and previous_word != "DISTINCT":
                expect_source = True
                from_levels.append(level)
            elif word == "JOIN":
                expect_source = True
            elif word in CLAUSE_WORDS and from_levels and from_levels[-1] == level:
                from_levels.pop()
            elif token.text == "," and from_levels and from_levels[-1] == level:
                raise MalformedQuery("Several log groups after FROM are not supported; use "
                                     "`logGroups(logGroupIdentifier: [...])`.")
            elif token.text == "(":
                contexts.append(None)
            elif token.text == ")" and len(contexts) > 1:
                while from_levels and from_levels[-1] >= level:
                    from_levels.pop()
                contexts.pop()
            output.append(self.rendered(token))
            previous_word = word
        output.append("".join(t.text for t in tokens[(significant[-1] + 1 if significant else 0):]))
        if not self.sources:
            raise MalformedQuery("The query must name a log group after FROM (SQL takes its log groups "
                                 "from the query string).")
        return "".join(output)

    def rendered(self, token: Token) -> str:
        if token.kind == "ident":
            return sql_name(token.value)
        if token.kind == "string":
            return sql_literal(token.value)
        return token.text

    def source(self, token: Token, following: Token | None) -> str | None:
        """The placeholder for a FROM/JOIN log-group reference; None for a subquery."""
        if token.kind == "string":
            raise MalformedQuery("Name log groups in backticks, not in quotes, after FROM.")
        if token.kind == "word" and following is not None and following.text == "(":
            raise MalformedQuery(f"{token.text}(...) is not a log group: table functions are not supported.")
        if token.kind not in ("ident", "word") or token.text.upper() in KEYWORDS:
            return None
        reference = token.value if token.kind == "ident" else token.text
        groups = [self.resolve(identifier) for identifier in source_identifiers(reference)]
        self.sources.append(list(dict.fromkeys(groups)))
        return sql_name(source_name(len(self.sources) - 1))


def coalesced_fields(tree: dict[str, Any]) -> set[str]:
    """The fields (lowercase) that every reference names as a direct argument of COALESCE,
    the form AWS recommends for fields that may be missing."""
    shielded: list[str] = []
    for node in walk(tree):
        if node.get("type") == "OPERATOR_COALESCE":
            shielded += [str(child["column_names"][-1]).lower() for child in node.get("children") or []
                         if child.get("class") == "COLUMN_REF" and child.get("column_names")]
    names, _ = named_fields(tree)
    everywhere = [name.lower() for name in names]
    return {name for name in set(shielded) if everywhere.count(name) == shielded.count(name)}


def named_fields(tree: dict[str, Any]) -> tuple[list[str], set[str]]:
    """The field names a parse tree references (the last part of each column reference), and
    its aliases (lowercase), which are not fields."""
    names: list[str] = []
    aliases: set[str] = set()
    for node in walk(tree):
        if node.get("alias"):
            aliases.add(str(node["alias"]).lower())
        if node.get("class") == "COLUMN_REF" and node.get("column_names"):
            names.append(str(node["column_names"][-1]))
    return names, aliases


def check_field_case(names: list[str], aliases: set[str]) -> None:
    """Logs Insights SQL refuses a query naming one field in two spellings (field1, FIELD1)."""
    spellings: dict[str, set[str]] = {}
    for name in names:
        if name.lower() not in aliases:
            spellings.setdefault(name.lower(), set()).add(name)
    clashes = sorted(sorted(found) for found in spellings.values() if len(found) > 1)
    if clashes:
        raise MalformedQuery(f"Field names that differ only in case are not supported: {clashes[0]}.")
