"""`tapeline sql`: one read-only SELECT over the audit views, refused otherwise.

The statement is checked with ClickHouse's own parser, not with regular expressions:

1. ``formatQuerySingleLine`` (the text passed as a bound parameter, never spliced in)
   parses it and refuses more than one statement; what runs is this normalised text, so
   what was checked is exactly what executes;
2. ``EXPLAIN AST`` of that text must be a SELECT (``WITH ... SELECT``, ``UNION``
   included) with no ``INTO OUTFILE``, ``FORMAT`` or ``SETTINGS``, no table function
   (``file()``, ``url()``, ``s3()``, ``remote()``, ``sqlite()``, even ``numbers()``), no
   ``database.table`` name (``system.*``), no ``IN table``, and no function that reads
   files or dictionaries.
3. It then runs in a throwaway in-memory session that holds only the views, with
   ``readonly = 2`` (writes and DDL refused; unlike ``readonly = 1`` it still lets the
   views call ``sqlite()``; ``readonly`` itself cannot be changed back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.audit.db import VIEW_NAMES, AuditDb, AuditError

_ROOTS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery"})
_IN_FUNCTIONS = frozenset(
    {"in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn", "globalNullIn",
     "globalNotNullIn"}
)  # fmt: skip
_READING_FUNCTIONS = frozenset(
    {"file", "joinget", "joingetornull", "catboostevaluate", "getsetting", "getserversetting",
     "hasdictionary"}
)  # fmt: skip
_READING_PREFIXES = ("dictget", "dicthas", "dictisin")


class RefusedSqlError(AuditError):
    pass


@dataclass
class _Node:
    label: str
    children: list[_Node] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.label.split(" ", 1)[0]

    @property
    def name(self) -> str:
        parts = self.label.split(" ")
        return parts[1] if len(parts) > 1 else ""


def parse_ast(text: str) -> _Node:
    """The indented ``EXPLAIN AST`` listing as a tree (one space per level)."""
    root = _Node("")
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        node = _Node(line.strip())
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    if len(root.children) != 1:
        raise RefusedSqlError("tapeline sql runs exactly one statement")
    return root.children[0]


def _refuse(reason: str) -> RefusedSqlError:
    views = ", ".join(VIEW_NAMES)
    return RefusedSqlError(f"refused: {reason}; tapeline sql runs one SELECT over {views}")


def check_ast(root: _Node) -> None:
    if root.kind not in _ROOTS:
        raise _refuse(f"{root.kind.removesuffix('Query') or 'this'} is not a SELECT")
    extra = [child.kind for child in root.children[1:]]
    if extra:
        raise _refuse("INTO OUTFILE, FORMAT and SETTINGS clauses are not allowed")
    _walk(root, None)


def _walk(node: _Node, parent: _Node | None) -> None:
    kind, name = node.kind, node.name
    if kind == "Set":
        raise _refuse("SETTINGS are not allowed")
    if kind == "Function":
        if parent is not None and parent.kind == "TableExpression":
            raise _refuse(f"table function {name}() reads outside the views")
        lowered = name.lower()
        if lowered in _READING_FUNCTIONS or lowered.startswith(_READING_PREFIXES):
            raise _refuse(f"function {name}() reads outside the views")
        if name in _IN_FUNCTIONS and node.children:
            arguments = node.children[0].children
            if len(arguments) > 1 and arguments[1].kind in ("Identifier", "TableIdentifier"):
                raise _refuse(f"IN {arguments[1].name} reads a table; use IN (SELECT ...)")
    if kind == "TableIdentifier" and "." in name:
        raise _refuse(f"{name} is outside the views")
    for child in node.children:
        _walk(child, node)


def checked_statement(db: AuditDb, text: str) -> str:
    """The normalised single statement to run, or ``RefusedSqlError`` saying why not."""
    if not text.strip():
        raise _refuse("the statement is empty")
    try:
        rows = db.rows("SELECT formatQuerySingleLine({text:String}) AS sql", text=text)
    except AuditError as error:
        message = str(error)
        if "Multi-statements" in message:
            raise _refuse("more than one statement") from None
        message = message.split(" Expected one of")[0].split(": In scope")[0]
        raise RefusedSqlError(f"not valid ClickHouse SQL: {message}") from None
    statement = str(rows[0]["sql"]).strip()
    explained = db.rows(f"EXPLAIN AST {statement}")
    check_ast(parse_ast("\n".join(str(row["explain"]) for row in explained)))
    return statement


def run_sql(db: AuditDb, text: str) -> tuple[list[str], list[dict[str, object]]]:
    """Check, lock the session read-only, run; column names and rows."""
    statement = checked_statement(db, text)
    db.run("SET readonly = 2")
    return db.table(statement)
