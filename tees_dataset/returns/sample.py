"""Synthetic returns (no real people): filled templates with realistic shapes and volumes."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tees_dataset.calendar import is_working_day
from tees_dataset.catalogue.models import Agency, Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.returns.template import DATE_FORMAT, build_template
from tees_dataset.returns.workbook import default_file_name, safe_cell_text, sheet_columns

Row = dict[str, Any]

# Rough quarterly volumes per local authority at scale 1, in proportion to need
# (strategy discussions; other returns scale from these).
STRATEGY_VOLUME = {
    "hartlepool": 260,
    "stockton": 420,
    "middlesbrough": 460,
    "redcar_cleveland": 300,
}
STRATEGY_OUTCOMES = (
    ("S47 single agency", 0.30),
    ("S47 joint", 0.35),
    ("Child and family assessment", 0.20),
    ("No further action", 0.10),
    ("Other", 0.05),
)
CHALLENGE_OUTCOMES = (
    ("Resolved - agreed with challenge", 0.45),
    ("Resolved - challenge not upheld", 0.25),
    ("Escalated", 0.15),
    ("Open", 0.15),
)
CHALLENGE_SECTORS = (
    ("Children's social care", 0.35),
    ("Police", 0.15),
    ("Health", 0.25),
    ("Education", 0.15),
    ("Probation", 0.05),
    ("Housing", 0.05),
)
WORKFORCE_SERVICES = {
    "Children's social care": (("Children's social work", 160.0), ("Early help", 55.0)),
    "Police": (("Child abuse investigation", 22.0), ("Missing and exploited", 9.0)),
    "Health": (("Safeguarding children team", 7.0),),
}


def _rng(seed: int, *parts: str) -> random.Random:
    """One independent, repeatable stream per agency, quarter and return."""
    text = "|".join((str(seed), *parts)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(text).digest()[:8], "big"))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


def _yes(rng: random.Random, probability: float) -> str:
    return "Yes" if rng.random() < probability else "No"


def _days(quarter: Quarter) -> list[dt.date]:
    return [
        quarter.start + dt.timedelta(days=n) for n in range((quarter.end - quarter.start).days + 1)
    ]


def _working_days_before(day: dt.date, count: int) -> dt.date:
    while count > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _volume(base: float, rng: random.Random, scale: float) -> int:
    return max(0, round(base * scale * rng.uniform(0.85, 1.15)))


def strategy_rows(
    agency: Agency, quarter: Quarter, rng: random.Random, scale: float
) -> Iterator[Row]:
    working = [d for d in _days(quarter) if is_working_day(d)]
    for la in agency.covers:
        for n in range(_volume(STRATEGY_VOLUME.get(la, 300), rng, scale)):
            held = rng.choice(working)
            lag = rng.choices((0, 1, 2, 3, 5, 10), (0.45, 0.35, 0.09, 0.05, 0.04, 0.02))[0]
            yield {
                "local_authority": None,
                "child_ref": f"SYN-{la[:3].upper()}-{quarter}-{n:05d}",
                "referral_date": _working_days_before(held, lag),
                "strategy_date": held,
                "police_attended": _yes(rng, 0.93),
                "health_attended": _yes(rng, 0.78),
                "education_attended": _yes(rng, 0.66),
                "outcome": _pick(rng, STRATEGY_OUTCOMES),
            }


def workforce_rows(
    agency: Agency, quarter: Quarter, rng: random.Random, scale: float
) -> Iterator[Row]:
    services = WORKFORCE_SERVICES.get(agency.sector, (("Safeguarding", 10.0),))
    for la in agency.covers:
        share = STRATEGY_VOLUME.get(la, 300) / 360
        for service, fte in services:
            in_post = round(fte * share * scale * rng.uniform(0.9, 1.1), 1)
            yield {
                "local_authority": la,
                "service": service,
                "fte_in_post": in_post,
                "fte_leavers": round(in_post * rng.uniform(0.015, 0.06), 1),
                "fte_vacancies": round(in_post * rng.uniform(0.05, 0.18), 1),
                "fte_agency": round(in_post * rng.uniform(0.03, 0.15), 1),
            }


def challenge_rows(
    agency: Agency, quarter: Quarter, rng: random.Random, scale: float
) -> Iterator[Row]:
    days = _days(quarter)
    for la in agency.covers:
        for n in range(_volume(9, rng, scale)):
            raising = _pick(rng, CHALLENGE_SECTORS)
            receiving = raising
            while receiving == raising:
                receiving = _pick(rng, CHALLENGE_SECTORS)
            yield {
                "local_authority": la,
                "challenge_ref": f"PC-{quarter}-{la[:3].upper()}-{n + 1:03d}",
                "date_raised": rng.choice(days),
                "raising_organisation": raising,
                "receiving_organisation": receiving,
                "stage": rng.choices((1, 2, 3, 4), (0.6, 0.25, 0.1, 0.05))[0],
                "outcome": _pick(rng, CHALLENGE_OUTCOMES),
            }


GENERATORS: dict[str, Callable[[Agency, Quarter, random.Random, float], Iterator[Row]]] = {
    "strategy_discussions": strategy_rows,
    "workforce": workforce_rows,
    "professional_challenges": challenge_rows,
}


def write_return(
    catalogue: Catalogue,
    agency: Agency,
    quarter: Quarter,
    rows: Mapping[str, Iterable[Row]],
    folder: Path,
    file_name: str | None = None,
) -> Path:
    """Write the agency's template for the quarter filled with `rows` (return id -> rows)."""
    wb = build_template(catalogue, agency, quarter)
    names = {la.id: la.name for la in catalogue.local_authorities}
    for spec in catalogue.returns_of(agency.id):
        _fill(wb[spec.sheet], spec, rows.get(spec.id, ()), names)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or default_file_name(agency, str(quarter)))
    wb.save(path)
    return path


def write_sample_return(
    catalogue: Catalogue,
    agency: Agency,
    quarter: Quarter,
    out_dir: Path,
    *,
    seed: int,
    scale: float,
) -> Path:
    """Write one agency's synthetic return for a quarter into `<out_dir>/<quarter>/`."""
    rows = {
        spec.id: GENERATORS[spec.id](
            agency, quarter, _rng(seed, agency.id, str(quarter), spec.id), scale
        )
        for spec in catalogue.returns_of(agency.id)
        if spec.id in GENERATORS
    }
    return write_return(catalogue, agency, quarter, rows, out_dir / str(quarter))


def _fill(ws: Any, spec: ReturnSpec, rows: Iterable[Row], la_names: dict[str, str]) -> None:
    columns = sheet_columns(spec)
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            value = row.get(column.name)
            if column.name == "local_authority" and value is not None:
                value = la_names.get(value, value)
            cell = ws.cell(
                row=r, column=c, value=safe_cell_text(value) if isinstance(value, str) else value
            )
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT


def write_samples(
    catalogue: Catalogue,
    quarters: list[Quarter],
    out_dir: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
) -> list[Path]:
    """Synthetic returns for every agency and quarter, into `<out_dir>/<quarter>/`."""
    return [
        write_sample_return(catalogue, agency, quarter, out_dir, seed=seed, scale=scale)
        for quarter in quarters
        for agency in catalogue.agencies
        if catalogue.returns_of(agency.id)
    ]
