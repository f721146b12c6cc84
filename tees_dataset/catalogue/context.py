"""What every catalogue rule is given (`Context`) and the helpers they share: the indicators with
their paths in the YAML, and an unknown name or column reported with the closest known one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches

from tees_dataset import codes
from tees_dataset.catalogue.loader import LoadedYaml, Path_
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    Catalogue,
    Indicator,
    ReturnSpec,
)
from tees_dataset.codes import Code
from tees_dataset.report import Issue, Level

AREA_COLUMN = LOCAL_AUTHORITY


@dataclass(frozen=True)
class Context:
    catalogue: Catalogue
    source: LoadedYaml

    def issue(
        self,
        code: Code,
        message: str,
        path: Path_,
        fix: str | None = None,
        level: Level | None = None,
    ) -> Issue:
        return code.issue(message, self.source.location(path), fix, level=level)


RuleFn = Callable[[Context], list[Issue]]


def indicator_paths(cat: Catalogue) -> Iterable[tuple[Path_, Indicator]]:
    for a, aim in enumerate(cat.aims):
        for o, objective in enumerate(aim.objectives):
            for i, indicator in enumerate(objective.indicators):
                yield ("aims", a, "objectives", o, "indicators", i), indicator


def unknown(ctx: Context, kind: str, name: str, path: Path_, known: set[str]) -> Issue:
    close = get_close_matches(name, sorted(known), n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"Known: {', '.join(sorted(known))}."
    return ctx.issue(codes.C_UNKNOWN[kind], f"unknown {kind} '{name}'", path, hint)


# Columns every return's rows carry besides its own: who sent them and the quarter's dates.
IMPLICIT_COLUMNS = frozenset({AREA_COLUMN, "agency", "sector", "quarter_start", "quarter_end"})


def has_column(spec: ReturnSpec, column: str) -> bool:
    return column in IMPLICIT_COLUMNS or spec.column(column) is not None


def unknown_column(ctx: Context, name: str, path: Path_, spec: ReturnSpec) -> Issue:
    known = [c.name for c in spec.columns]
    close = get_close_matches(name, known, n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"Its columns are: {', '.join(known)}."
    return ctx.issue(
        codes.C_UNKNOWN_COLUMN, f"return '{spec.id}' has no column '{name}'", path, hint
    )
