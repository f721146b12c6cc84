"""Catalogue stage: indicators.yaml into typed, checked models."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from tees_dataset import codes
from tees_dataset.catalogue.loader import LoadedYaml, read_yaml
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.catalogue.rules import Context, run_rules
from tees_dataset.report import Issue, Report

__all__ = ["Catalogue", "LoadedCatalogue", "load_catalogue"]


@dataclass(frozen=True)
class LoadedCatalogue:
    """The outcome of loading: the catalogue (None when it could not be built) and the issues."""

    catalogue: Catalogue | None
    report: Report
    path: Path
    sha256: str
    source: LoadedYaml | None = None


def _upper(error_type: str) -> str:
    """pydantic's error type in the registry's style: `extra_forbidden` is EXTRA-FORBIDDEN."""
    return error_type.upper().replace("_", "-")


def _pydantic_issues(error: ValidationError, source: LoadedYaml) -> list[Issue]:
    issues = []
    for err in error.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            fix = "Check its spelling against the catalogue's JSON Schema, or remove it."
        elif err["type"] == "missing":
            message = f"'{loc[-1]}' is required here"
            fix = f"Add `{loc[-1]}:`."
        else:
            message = f"{where}: {err['msg']}"
            fix = "Correct the value."
        issues.append(
            codes.C_SCHEMA.issue(
                message, source.location(loc), fix, code=codes.C_SCHEMA.prefix + _upper(err["type"])
            )
        )
    return issues


def load_catalogue(path: Path) -> LoadedCatalogue:
    """Load and check the catalogue; never raises for a bad file."""
    source = read_yaml(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    report = Report(list(source.issues))
    if report.errors or source.data is None:
        return LoadedCatalogue(None, report, path, digest, source)
    if not isinstance(source.data, dict):
        report.add(
            codes.C_NOT_A_MAPPING.issue(
                "the catalogue must be a YAML mapping",
                source.location(()),
            )
        )
        return LoadedCatalogue(None, report, path, digest, source)
    try:
        catalogue = Catalogue.model_validate(source.data)
    except ValidationError as exc:
        report.extend(_pydantic_issues(exc, source))
        return LoadedCatalogue(None, report, path, digest, source)
    report.extend(run_rules(Context(catalogue, source)))
    return LoadedCatalogue(catalogue if report.valid else None, report, path, digest, source)
