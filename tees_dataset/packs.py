"""What each partnership's pack shows: its context, made from the figures, the returns' summary
and the sources read (published packs name agencies, never the files they sent)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tees_dataset import __version__
from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.figures import Figures, reference_dir

if TYPE_CHECKING:
    from tees_dataset.build import BuildOptions


def pack_contexts(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    figures: Figures,
    rows: list[dict[str, Any]],
    trend: list[dict[str, Any]],
    returns_summary: list[dict[str, Any]],
    started: dt.datetime,
    benchmarks: list[dict[str, Any]] | None = None,
) -> list[Any]:
    """What each partnership's pack shows."""
    from tees_dataset.manifest import inputs_sha256
    from tees_dataset.reference import read_sources
    from tees_dataset.render.context import (
        CarriedEnquiry,
        CompletenessRow,
        ReferenceSource,
        SourceFile,
        build_context,
    )
    from tees_dataset.responses import carried, read_rows

    agency_names = {a.id: a.name for a in catalogue.agencies}
    sources = [
        SourceFile(
            f.path.parent.name,
            "" if options.publish else f.path.name,
            agency_names.get(f.agency_id or "", "unidentified"),
            f.sha256,
        )
        for f in figures.files
        # File names are the senders' own text: the published pack names agencies only.
        if f.sha256
    ]
    reference_sources = [
        ReferenceSource(r["title"], r["file"], r["publication_year"], r["sha256"])
        for r in read_sources(reference_dir(loaded))
    ]
    # Last quarter's enquiries and the Group's responses: the business unit's own record,
    # shown in the internal pack only.
    responses = [] if options.publish else read_rows(options.returns_dir)
    previous = str(options.quarter.shift(-1))
    digest = inputs_sha256(loaded, figures.files)
    contexts = []
    for partnership in catalogue.partnerships:
        completeness = [
            CompletenessRow(
                r["agency_name"],
                r["return_title"],
                r["status"],
                r["errors"],
                r["received"],
                r["late"],
                "" if options.publish else r["comment"],  # an agency's free text stays internal
                return_id=r["return"],
            )
            for r in returns_summary
            if _agency_serves(catalogue, r["agency"], partnership.local_authorities)
        ]
        shown, note = ([], "") if options.publish else carried(responses, previous, partnership.id)
        contexts.append(
            build_context(
                catalogue, partnership, options.quarter, rows, completeness,
                tool_version=__version__, produced=started, trend=trend, benchmarks=benchmarks,
                sources=sources, reference_sources=reference_sources, published=options.publish,
                carried=[CarriedEnquiry(*c) for c in shown], carried_note=note,
                inputs_sha256=digest,
            )
        )  # fmt: skip
    return contexts


def _agency_serves(catalogue: Catalogue, agency_id: str, las: list[str]) -> bool:
    agency = catalogue.agency(agency_id)
    return agency is not None and bool(set(agency.covers) & set(las))
