"""The catalogue's SQL expressions checked: each parses, names only its return's columns, and
compares code columns only with codes of their list, spelt as the list spells them."""

from __future__ import annotations

from difflib import get_close_matches

from tees_dataset import codes
from tees_dataset.catalogue.context import Context, has_column, unknown_column
from tees_dataset.catalogue.loader import Path_
from tees_dataset.catalogue.models import (
    CodeList,
    ReturnSpec,
)
from tees_dataset.report import Issue


def expression_issues(
    ctx: Context, expression: str, path: Path_, spec: ReturnSpec, what: str
) -> list[Issue]:
    """A SQL expression parses, and names only columns of the return."""
    import polars as pl

    try:
        expr = pl.sql_expr(expression)
        names = expr.meta.root_names()
    except Exception as exc:  # polars raises several error types for bad SQL
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return [
            ctx.issue(
                codes.C_EXPRESSION_SYNTAX,
                f"the {what} `{expression}` does not parse: {reason}",
                path,
            )
        ]
    unknown = [
        unknown_column(ctx, name, path, spec)
        for name in dict.fromkeys(names)
        if not has_column(spec, name)
    ]
    return unknown + _code_value_issues(ctx, expression, path, spec, what)


def _code_lists(ctx: Context, spec: ReturnSpec) -> dict[str, CodeList]:
    """The return's code columns whose code list exists, by column name."""
    lists = {}
    for column in spec.columns:
        code_list = ctx.catalogue.code_list(column.codes) if column.codes else None
        if column.type == "code" and code_list is not None:
            lists[column.name] = code_list
    return lists


def _code_value_issues(
    ctx: Context, expression: str, path: Path_, spec: ReturnSpec, what: str
) -> list[Issue]:
    """Values a code column is compared to are codes of its list, spelt as the list spells them.

    Validation turns every accepted value into the list's own spelling, and SQL compares text
    exactly, so `outcome = 'S47 Joint'` would match no row at all, with no error anywhere."""
    lists = _code_lists(ctx, spec)
    if not any(name in expression for name in lists):
        return []  # sqlglot is only imported when there may be something to look at
    from tees_dataset.catalogue import sql

    tree = sql.parse(expression)
    if tree is None:
        # Polars reads it, so compute will run it: only the check of its codes is lost.
        return [
            ctx.issue(
                codes.C_EXPRESSION_UNCHECKED,
                f"the {what} `{expression}` could not be read to check its code values",
                path,
            )
        ]
    issues = []
    for compared in sql.compared_values(tree, lists):
        code_list = lists[compared.column]
        values = code_list.values
        where = f"column '{compared.column}' (code list '{code_list.id}')"
        shown = f"'{compared.value}'" if compared.text else compared.value
        if compared.comparison != "equals":
            ignore_case = compared.comparison == "ilike"
            if not any(
                sql.like_matches(compared.value, c, ignore_case=ignore_case) for c in values
            ):
                issues.append(
                    ctx.issue(
                        codes.C_UNKNOWN_CODE,
                        f"the {what} `{expression}`: the pattern '{compared.value}' matches "
                        f"none of the codes of {where}, so no row would ever match it",
                        path,
                        f"Its codes are: {'; '.join(values)}.",
                    )
                )
        elif compared.value in values and not compared.text:
            issues.append(
                ctx.issue(
                    codes.C_CODE_NOT_TEXT,
                    f"the {what} `{expression}` compares {where} to the number "
                    f"{compared.value}; codes are text and polars cannot compare the two",
                    path,
                    f"Quote it: '{compared.value}'.",
                )
            )
        elif compared.value not in values:
            issues.append(
                ctx.issue(
                    codes.C_UNKNOWN_CODE,
                    f"the {what} `{expression}` compares {where} to {shown}, which "
                    "is not one of its codes, so it would never match a row",
                    path,
                    _closest_code(compared.value, values),
                )
            )
    return issues


def _closest_code(value: str, values: list[str]) -> str:
    from tees_dataset.catalogue import sql

    same = [c for c in values if sql.folded(c) == sql.folded(value)]
    by_fold = {c.casefold(): c for c in values}
    close = same or [by_fold[c] for c in get_close_matches(value.casefold(), list(by_fold), n=1)]
    if close:
        return f"Did you mean '{close[0]}'? Codes are compared exactly, as the list spells them."
    return f"Its codes are: {'; '.join(values)}."
