"""The areas figures are reported for (each local authority, each partnership, Tees), and the
units (authorities or partnerships) whose figures are pooled into them."""

from __future__ import annotations

from dataclasses import dataclass

from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    PARTNERSHIP,
    TEES,
    TEES_TYPE,
    Catalogue,
    ReturnSpec,
)

__all__ = ["TEES", "AreaDef", "areas", "expected_coverage", "unit_name", "units_of"]


@dataclass(frozen=True)
class AreaDef:
    """An area figures are reported for: the local authorities and partnerships pooled into it."""

    name: str
    code: str
    type: str  # local_authority, partnership or tees
    members: tuple[str, ...]
    partnerships: tuple[str, ...] = ()


def areas(catalogue: Catalogue) -> list[AreaDef]:
    """Each local authority, each partnership, then Tees: the order packs and tables use."""
    out = [
        AreaDef(la.name, la.code, LOCAL_AUTHORITY, (la.id,), ())
        for la in catalogue.local_authorities
    ]
    out += [
        AreaDef(p.id, p.id, PARTNERSHIP, tuple(p.local_authorities), (p.id,))
        for p in catalogue.partnerships
    ]
    out.append(
        AreaDef(
            TEES, TEES, TEES_TYPE,
            tuple(la.id for la in catalogue.local_authorities),
            tuple(p.id for p in catalogue.partnerships),
        )
    )  # fmt: skip
    return out


def units_of(catalogue: Catalogue, spec: ReturnSpec) -> list[str]:
    if spec.area_level == PARTNERSHIP:
        return [p.id for p in catalogue.partnerships]
    return [la.id for la in catalogue.local_authorities]


def expected_coverage(catalogue: Catalogue, spec: ReturnSpec) -> dict[str, list[str]]:
    """For a return: unit (local authority or partnership) -> the agencies its figures need."""
    coverage: dict[str, list[str]] = {unit: [] for unit in units_of(catalogue, spec)}
    for agency_id in spec.submitted_by:
        agency = catalogue.agency(agency_id)
        assert agency is not None
        if spec.area_level == PARTNERSHIP:
            partnership = catalogue.partnership_of(agency)
            units = [partnership.id] if partnership else []
        else:
            units = list(agency.covers)
        for unit in units:
            coverage[unit].append(agency_id)
    return coverage


def unit_name(catalogue: Catalogue, unit: str) -> str:
    return next((la.name for la in catalogue.local_authorities if la.id == unit), unit)
