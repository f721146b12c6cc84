"""Rules about the catalogue's structure: ids are unique, every name refers to something that
exists, rule codes are unique, each local authority is in one partnership, and each indicator
a theme of the pack lists exists and is in no other theme."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from difflib import get_close_matches

from tees_dataset import codes
from tees_dataset.catalogue.context import (
    AREA_COLUMN,
    Context,
    has_column,
    indicator_paths,
    unknown,
    unknown_column,
)
from tees_dataset.catalogue.expressions import expression_issues
from tees_dataset.catalogue.loader import Path_
from tees_dataset.report import Issue


def _duplicates(ctx: Context, kind: str, items: Iterable[tuple[Path_, str]]) -> list[Issue]:
    pairs = list(items)
    counts = Counter(identifier for _, identifier in pairs)
    seen: set[str] = set()
    issues = []
    for path, identifier in pairs:
        if counts[identifier] > 1 and identifier in seen:
            issues.append(
                ctx.issue(
                    codes.C_DUPLICATE_ID[kind],
                    f"{kind} id '{identifier}' is used more than once",
                    (*path, "id"),
                    f"Give each {kind} its own id.",
                )
            )
        seen.add(identifier)
    return issues


def unique_ids(ctx: Context) -> list[Issue]:
    cat = ctx.catalogue
    issues = _duplicates(ctx, "indicator", ((p, i.id) for p, i in indicator_paths(cat)))
    issues += _duplicates(
        ctx, "return", ((("returns", n), r.id) for n, r in enumerate(cat.returns))
    )
    issues += _duplicates(
        ctx, "agency", ((("agencies", n), a.id) for n, a in enumerate(cat.agencies))
    )
    issues += _duplicates(
        ctx,
        "local-authority",
        ((("local_authorities", n), la.id) for n, la in enumerate(cat.local_authorities)),
    )
    issues += _duplicates(
        ctx, "partnership", ((("partnerships", n), p.id) for n, p in enumerate(cat.partnerships))
    )
    issues += _duplicates(ctx, "aim", ((("aims", n), a.id) for n, a in enumerate(cat.aims)))
    issues += _duplicates(
        ctx,
        "objective",
        (
            (("aims", a, "objectives", o), obj.id)
            for a, aim in enumerate(cat.aims)
            for o, obj in enumerate(aim.objectives)
        ),
    )
    issues += _duplicates(
        ctx, "theme", ((("pack", "themes", n), t.id) for n, t in enumerate(cat.pack.themes))
    )
    for n, spec in enumerate(cat.returns):
        issues += _duplicates(
            ctx,
            "column",
            ((("returns", n, "columns", c), col.name) for c, col in enumerate(spec.columns)),
        )
    return issues


def references(ctx: Context) -> list[Issue]:
    """Every id that names something else names something that exists."""
    cat = ctx.catalogue
    la_ids = {la.id for la in cat.local_authorities}
    agency_ids = {a.id for a in cat.agencies}
    list_ids = {c.id for c in cat.code_lists}
    issues: list[Issue] = []
    for n, partnership in enumerate(cat.partnerships):
        for k, la in enumerate(partnership.local_authorities):
            if la not in la_ids:
                issues.append(
                    unknown(
                        ctx,
                        "local authority",
                        la,
                        ("partnerships", n, "local_authorities", k),
                        la_ids,
                    )
                )
    for n, agency in enumerate(cat.agencies):
        for k, la in enumerate(agency.covers):
            if la not in la_ids:
                issues.append(
                    unknown(ctx, "local authority", la, ("agencies", n, "covers", k), la_ids)
                )
    for n, spec in enumerate(cat.returns):
        for k, agency_id in enumerate(spec.submitted_by):
            if agency_id not in agency_ids:
                issues.append(
                    unknown(ctx, "agency", agency_id, ("returns", n, "submitted_by", k), agency_ids)
                )
        for c, column in enumerate(spec.columns):
            path = ("returns", n, "columns", c)
            if column.name == AREA_COLUMN:
                issues.append(
                    ctx.issue(
                        codes.C_RESERVED_COLUMN,
                        f"'{AREA_COLUMN}' is added to every return automatically",
                        (*path, "name"),
                    )
                )
            if column.type == "code" and column.codes is None:
                issues.append(
                    ctx.issue(
                        codes.C_CODE_LIST_MISSING,
                        f"column '{column.name}' is of type code but names no code list",
                        path,
                    )
                )
            if column.codes is not None and column.codes not in list_ids:
                issues.append(unknown(ctx, "code list", column.codes, (*path, "codes"), list_ids))
    for ind_path, indicator in indicator_paths(cat):
        if indicator.owner is not None and indicator.owner not in agency_ids:
            issues.append(unknown(ctx, "agency", indicator.owner, (*ind_path, "owner"), agency_ids))
        if cat.return_spec(indicator.source) is None:
            issues.append(
                unknown(
                    ctx,
                    "return",
                    indicator.source,
                    (*ind_path, "source"),
                    {r.id for r in cat.returns},
                )
            )
    return issues


def return_rules(ctx: Context) -> list[Issue]:
    """Cross-field rules of each return parse and name its columns; codes are unique."""
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    for n, spec in enumerate(ctx.catalogue.returns):
        for k, rule in enumerate(spec.rules):
            path = ("returns", n, "rules", k)
            issues += expression_issues(ctx, rule.check, (*path, "check"), spec, "rule check")
            for c, column in enumerate(rule.columns):
                if not has_column(spec, column):
                    issues.append(unknown_column(ctx, column, (*path, "columns", c), spec))
            if rule.code in seen:
                issues.append(
                    ctx.issue(
                        codes.C_DUPLICATE_RULE_CODE,
                        f"rule code {rule.code} is already used in return '{seen[rule.code]}'",
                        (*path, "code"),
                    )
                )
            seen.setdefault(rule.code, spec.id)
    return issues


def agency_coverage(ctx: Context) -> list[Issue]:
    """Each local authority belongs to exactly one partnership."""
    cat = ctx.catalogue
    issues: list[Issue] = []
    owners = Counter(la for p in cat.partnerships for la in p.local_authorities)
    for n, la in enumerate(cat.local_authorities):
        if owners[la.id] != 1:
            issues.append(
                ctx.issue(
                    codes.C_PARTNERSHIP_COVERAGE,
                    f"local authority '{la.id}' is in {owners[la.id]} partnerships; it must be in one",
                    ("local_authorities", n),
                )
            )
    return issues


def themes(ctx: Context) -> list[Issue]:
    """Each indicator a theme of the pack (`pack.themes`) lists is one of the catalogue's, and
    is in one theme only: the key lines of enquiry group an indicator's evidence under one."""
    known = sorted(i.id for _, i in indicator_paths(ctx.catalogue))
    first_theme: dict[str, str] = {}
    issues: list[Issue] = []
    for n, theme in enumerate(ctx.catalogue.pack.themes):
        for k, indicator_id in enumerate(theme.indicators):
            path = ("pack", "themes", n, "indicators", k)
            if indicator_id not in known:
                close = get_close_matches(indicator_id, known, n=1)
                issues.append(
                    ctx.issue(
                        codes.C_THEME_INDICATOR,
                        f"theme '{theme.id}' lists indicator '{indicator_id}', which the "
                        "catalogue does not define",
                        path,
                        f"Did you mean '{close[0]}'?" if close else None,
                    )
                )
            elif indicator_id in first_theme:
                issues.append(
                    ctx.issue(
                        codes.C_THEME_OVERLAP,
                        f"indicator '{indicator_id}' is in theme '{first_theme[indicator_id]}' "
                        f"and again in theme '{theme.id}'",
                        path,
                    )
                )
            else:
                first_theme[indicator_id] = theme.id
    return issues
