"""The catalogue's SQL expressions read with sqlglot: the values they compare columns to.

Compute evaluates the expressions with polars, whose SQL is close to PostgreSQL's; the catalogue's
checks only need the parsed tree to find comparisons such as `outcome = 'S47 joint'`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# Tried in turn: PostgreSQL reads everything polars does in the catalogue; DuckDB is a fallback.
DIALECTS = ("postgres", "duckdb")

Comparison = Literal["equals", "like", "ilike"]


@dataclass(frozen=True)
class Compared:
    """A column compared to a literal: `column = 'value'`, `column IN (...)`, `column LIKE ...`."""

    column: str
    value: str
    text: bool  # a quoted (text) literal; False for a number
    comparison: Comparison = "equals"


def parse(expression: str) -> exp.Expr | None:
    """The expression's syntax tree, or None when no dialect reads it."""
    for dialect in DIALECTS:
        try:
            tree = sqlglot.parse_one(expression, read=dialect)
        except SqlglotError:
            continue
        if tree is not None:
            return tree
    return None


def compared_values(tree: exp.Expr, columns: Collection[str]) -> list[Compared]:
    """Every literal that one of `columns` is compared to, once each, in the order written.

    Equality and inequality with the column on either side, IN lists, simple CASE branches
    (`CASE col WHEN 'X' ...`) and LIKE patterns, wherever they sit inside NOT, AND, OR or CASE.
    """
    found = dict.fromkeys(
        item for node in tree.walk(bfs=False) for item in _compared(node, columns)
    )
    return list(found)


def _compared(node: exp.Expr, columns: Collection[str]) -> Iterator[Compared]:
    if isinstance(node, exp.EQ | exp.NEQ | exp.NullSafeEQ | exp.NullSafeNEQ):
        for side, other in ((node.this, node.expression), (node.expression, node.this)):
            column = _column(side, columns)
            literal = _literal(other)
            if column is not None and literal is not None:
                yield Compared(column, literal.name, literal.is_string)
    elif isinstance(node, exp.In):
        column = _column(node.this, columns)
        if column is not None and not node.args.get("query"):
            for item in node.expressions:
                literal = _literal(item)
                if literal is not None:
                    yield Compared(column, literal.name, literal.is_string)
    elif isinstance(node, exp.Case):
        column = _column(node.this, columns)
        if column is not None:
            for branch in node.args.get("ifs") or []:
                literal = _literal(branch.this)
                if literal is not None:
                    yield Compared(column, literal.name, literal.is_string)
    elif isinstance(node, exp.Like | exp.ILike) and not isinstance(node.parent, exp.Escape):
        column = _column(node.this, columns)
        literal = _literal(node.expression)
        if column is not None and literal is not None and literal.is_string:
            kind: Comparison = "ilike" if isinstance(node, exp.ILike) else "like"
            yield Compared(column, literal.name, True, kind)


def _unwrapped(node: exp.Expr | None) -> exp.Expr | None:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _column(node: exp.Expr | None, columns: Collection[str]) -> str | None:
    node = _unwrapped(node)
    if isinstance(node, exp.Column) and not node.table and node.name in columns:
        return node.name
    return None


def _literal(node: exp.Expr | None) -> exp.Literal | None:
    node = _unwrapped(node)
    return node if isinstance(node, exp.Literal) else None


def like_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether a SQL LIKE pattern (`%` any text, `_` one character) matches the whole value."""
    regex = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def folded(text: str) -> str:
    """Codes as returns are matched to their list: case, spaces and punctuation aside (the same
    folding as `normalise_header` in returns/workbook.py, which validation applies to codes)."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
