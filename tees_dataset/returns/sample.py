"""Synthetic returns (no real people): each agency's template filled with the rows of
`sample_rows`, marked synthetic, with a received log; `tees-dataset sample` writes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tees_dataset.catalogue.models import Agency, Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.returns.sample_rows import (  # noqa: F401 (re-exported for tests and bench)
    GENERATORS,
    LAST,
    OUTLIER_AT,
    RISE_FROM,
    SERIES,
    SHIFT_FROM,
    Row,
    _Maker,
    _position,
    _rng,
    conferences,
    meeting_attendance,
    training,
)
from tees_dataset.returns.template import DATE_FORMAT, build_template
from tees_dataset.returns.workbook import (
    COMMENTS_LABEL,
    GUIDANCE_SHEET,
    SYNTHETIC_KEY,
    default_file_name,
    keep_as_text,
    sheet_columns,
)


def write_return(
    catalogue: Catalogue,
    agency: Agency,
    quarter: Quarter,
    rows: Mapping[str, Iterable[Row]],
    folder: Path,
    file_name: str | None = None,
    comment: str | None = None,
    *,
    synthetic: bool = False,
) -> Path:
    """Write the agency's template for the quarter filled with `rows` (return id -> rows);
    `synthetic` marks it in its metadata as made up (every sample return is)."""
    wb = build_template(catalogue, agency, quarter, synthetic=synthetic)
    if comment:
        guidance = wb[GUIDANCE_SHEET]
        label = next(row[0] for row in guidance.iter_rows() if row[0].value == COMMENTS_LABEL)
        guidance.cell(row=label.row, column=2, value=comment)
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
    rows = sample_rows(catalogue, agency, quarter, seed=seed, scale=scale)
    comment = SAMPLE_COMMENTS.get((agency.id, str(quarter)))
    return write_return(
        catalogue, agency, quarter, rows, out_dir / str(quarter), comment=comment, synthetic=True
    )


def sample_rows(
    catalogue: Catalogue, agency: Agency, quarter: Quarter, *, seed: int, scale: float
) -> dict[str, Iterator[Row]]:
    """The rows of one agency's synthetic return for a quarter: return id -> rows, made as
    they are read (each return its own seeded stream)."""
    return {
        spec.id: GENERATORS[spec.id](
            _Maker(agency, quarter, _rng(seed, agency.id, str(quarter), spec.id), scale)
        )
        for spec in catalogue.returns_of(agency.id)
        if spec.id in GENERATORS
    }


def _fill(ws: Any, spec: ReturnSpec, rows: Iterable[Row], la_names: dict[str, str]) -> None:
    columns = sheet_columns(spec)
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            value = row.get(column.name)
            if column.name == "local_authority" and value is not None:
                value = la_names.get(value, value)
            cell = ws.cell(row=r, column=c, value=value)
            keep_as_text(cell)
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT


# A few notes agencies write for the partnership, so the demo pack shows how they read.
SAMPLE_COMMENTS = {
    ("redcar_csc", "2024Q3"): "September figures are provisional: our case management system was "
    "upgraded on 9 September and some records are still being back-filled.",
    ("cleveland_police", "2024Q2"): "Pitstop meetings paused for two weeks in May while the "
    "vulnerability desk moved site.",
    ("middlesbrough_csc", "2023Q3"): "Missing episodes rose over the summer holidays, most of "
    "them a few young people repeatedly missing from two children's homes; both have a plan.",
    ("stockton_csc", "2024Q3"): "The new advocacy service for child protection conferences "
    "started on 1 July: every child is now offered an advocate before their conference.",
}


def received_log(catalogue: Catalogue, quarter: Quarter, seed: int) -> str:
    """When each sample return arrived: most on time, about one in ten a few days late."""
    rng = _rng(seed, "received", str(quarter))
    lines = ["agency,received"]
    for agency in catalogue.agencies:
        if catalogue.returns_of(agency.id):
            days = (
                catalogue.due_days + rng.randint(2, 9)
                if rng.random() < 0.1
                else rng.randint(6, catalogue.due_days)
            )
            lines.append(f"{agency.id},{quarter.end + dt.timedelta(days=days)}")
    return "\n".join(lines) + "\n"


def write_samples(
    catalogue: Catalogue,
    quarters: list[Quarter],
    out_dir: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
) -> list[Path]:
    """Synthetic returns for every agency and quarter, into `<out_dir>/<quarter>/`, with the
    business unit's log of when each arrived. A quarter folder holding anything but earlier
    synthetic returns (real returns, say) is refused: samples never replace real files."""
    for quarter in quarters:
        _refuse_real_files(out_dir / str(quarter))
    for quarter in quarters:
        (out_dir / str(quarter)).mkdir(parents=True, exist_ok=True)
        (out_dir / str(quarter) / "received.csv").write_text(received_log(catalogue, quarter, seed))
    return [
        write_sample_return(catalogue, agency, quarter, out_dir, seed=seed, scale=scale)
        for quarter in quarters
        for agency in catalogue.agencies
        if catalogue.returns_of(agency.id)
    ]


class NotSampleFolderError(Exception):
    """The folder holds files that are not synthetic returns; the message names one."""


def _is_sample(path: Path) -> bool:
    from tees_dataset.returns.read import ReturnFileError, Workbook

    try:
        return Workbook(path).metadata().get(SYNTHETIC_KEY) == "true"
    except (ReturnFileError, OSError):
        return False


def _refuse_real_files(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name in ("received.csv",) and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file() or not _is_sample(path):
            raise NotSampleFolderError(
                f"{folder} already holds {path.name}, which is not a synthetic sample return: "
                "write samples into a folder of their own (nothing was written)"
            )
