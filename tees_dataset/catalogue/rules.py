"""Semantic rules for the catalogue: each is a small function returning a list of issues.

This module runs them (`run_rules`, `DEFAULT_RULES`); they live by subject: `structure` (unique
ids, references, rule codes, partnerships, the pack's themes), `measure_rules` (measures and
their expressions, checked by `expressions`), `reference_rules` (populations and benchmarks in
reference/). What they share (`Context`, `indicator_paths`) is in `context`.
"""

from __future__ import annotations

from collections.abc import Iterable

from tees_dataset import codes
from tees_dataset.catalogue.context import Context, RuleFn, indicator_paths
from tees_dataset.catalogue.measure_rules import measures
from tees_dataset.catalogue.reference_rules import benchmarks, reference_data
from tees_dataset.catalogue.structure import (
    agency_coverage,
    references,
    return_rules,
    themes,
    unique_ids,
)
from tees_dataset.report import Issue

__all__ = ["DEFAULT_RULES", "Context", "RuleFn", "indicator_paths", "run_rules"]


DEFAULT_RULES: tuple[RuleFn, ...] = (
    unique_ids,
    references,
    measures,
    return_rules,
    agency_coverage,
    themes,
    reference_data,
    benchmarks,
)


def run_rules(ctx: Context, rules: Iterable[RuleFn] = DEFAULT_RULES) -> list[Issue]:
    """Run every rule; a rule that crashes becomes an issue, not a traceback."""
    issues: list[Issue] = []
    for rule in rules:
        try:
            issues += rule(ctx)
        except Exception as exc:
            issues.append(
                codes.C_RULE_CRASHED.issue(
                    f"the check '{rule.__name__}' failed: {exc.__class__.__name__}: {exc}",
                    ctx.source.location(()),
                )
            )
    return issues
