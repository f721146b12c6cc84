"""The build: validate, compute and render a quarter into `<out>/<quarter>/`, all or nothing."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.errors import BuildError, ExitCode
from tees_dataset.figures import (
    benchmark_figures,
    compute_figures,
    write_benchmarks_csv,
)
from tees_dataset.figures import write_results_csv as _write_results_csv
from tees_dataset.logs import stage
from tees_dataset.manifest import (
    build_key,
    catalogue_info,
    inputs_of,
    parse_time,
    recorded_outcome,
)
from tees_dataset.manifest import write_build_manifest as _write_manifest
from tees_dataset.output import (
    MANIFEST,
    STAGING_MARK,
    SYNTHETIC_MARK,
    Folders,
    check_inputs,
    check_replaceable,
    discard,
    link_files,
    new_staging,
    no_samples_over_real,
    output_lock,
    read_manifest,
    recover,
    swap_into_place,
    write_manifest,
)
from tees_dataset.packs import pack_contexts
from tees_dataset.quarter import Quarter
from tees_dataset.render.pack_cache import PackCache
from tees_dataset.render.pool import RenderPool
from tees_dataset.render.pool import render_all as _render_all
from tees_dataset.render.pool import start_render_pool as _start_render_pool
from tees_dataset.render.xlsx_marks import add_mark
from tees_dataset.report import Issue, Level, printable

log = logging.getLogger("tees_dataset")

__all__ = ["BuildError", "BuildOptions", "BuildOutcome", "ExitCode", "run_build", "run_validate"]
# compute_figures, _write_results_csv, _write_manifest, _render_all and _start_render_pool are
# called through these names, so that a test or the benchmark can replace or time them here.


@dataclass
class BuildOptions:
    quarter: Quarter
    returns_dir: Path
    out_dir: Path
    html: bool = False
    strict: bool = False
    publish: bool = False
    cache: bool = True
    wait: float = 0
    # Where the folders came from (command line, environment, config file), for the manifest.
    folders: Folders | None = None

    @property
    def folder_name(self) -> str:
        """`<quarter>`, or `<quarter>-published` for the publishable variant."""
        return f"{self.quarter}-published" if self.publish else str(self.quarter)


@dataclass
class BuildOutcome:
    exit_code: int
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    synthetic: bool = False
    unchanged: bool = False  # the outputs were already up to date: nothing was written
    errors: int = 0  # return errors (kept when the issues themselves are not)
    # What was not computed or rendered again: quarters, recomputed, packs, rendered.
    reused: dict[str, int] = field(default_factory=dict)


def run_build(loaded: LoadedCatalogue, options: BuildOptions) -> BuildOutcome:
    """Build everything for the quarter. Raises BuildError; never leaves half-written outputs,
    and never replaces anything it did not write."""
    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    check_inputs(options.returns_dir, options.out_dir, options.quarter)
    name = options.folder_name
    final = options.out_dir / name
    started = dt.datetime.now(dt.UTC)
    if options.folders:
        log.info(
            "returns from %s (%s); outputs to %s (%s)",
            options.folders.returns, options.folders.returns_from,
            options.folders.out, options.folders.out_from,
        )  # fmt: skip
    with output_lock(options.out_dir, options.wait):
        recover(options.out_dir, name)
        check_replaceable(final)
        key = build_key(loaded, options)
        unchanged = _unchanged(final, key) if options.cache else None
        if unchanged is not None:
            return unchanged
        staging = new_staging(options.out_dir, name)
        try:
            outcome = _build_into(catalogue, loaded, options, staging, started, key)
            if options.strict and outcome.exit_code == ExitCode.INCOMPLETE:
                raise BuildError(
                    "returns are missing or rejected (--strict): no pack was written; "
                    + "; ".join(outcome.missing),
                    ExitCode.INCOMPLETE,
                )
            no_samples_over_real(final, outcome.synthetic)
            swap_into_place(staging, final)
        finally:
            discard(staging)
    outcome.folder = final
    outcome.outputs = [final / p.name for p in outcome.outputs]
    return outcome


def _unchanged(final: Path, key: str) -> BuildOutcome | None:
    """The outcome of the build already in `final`, when it was made from exactly the same
    inputs, code and options (and nothing in it has changed since): then nothing is written."""
    previous = recorded_outcome(final, key)
    if previous is None:
        return None
    recorded = previous["outcome"]
    log.info(
        "unchanged: %s was built from these same returns, catalogue, reference data and code; "
        "nothing was written", final, extra={"event": "unchanged"},
    )  # fmt: skip
    outputs = sorted(final / name for name in [*previous["outputs"], MANIFEST] if "/" not in name)
    return BuildOutcome(
        recorded["exit_code"],
        final,
        outputs,
        [str(m) for m in recorded.get("missing", [])],
        [],
        bool(previous.get("synthetic")),
        unchanged=True,
        errors=int(recorded.get("errors", 0)),
    )


def write_validation_reports(
    catalogue: Catalogue, returns: Any, folder: Path, *, mark: str = ""
) -> None:
    """validation.json, validation.xlsx and feedback/ into `folder` (which may be staging);
    each workbook carries `mark` when given (the synthetic-data mark)."""
    from tees_dataset.returns.feedback import (
        write_agency_feedback,
        write_validation_json,
        write_validation_xlsx,
    )

    finish = functools.partial(add_mark, mark=mark) if mark else None
    write_validation_json(catalogue, returns, folder / "validation.json")
    write_validation_xlsx(catalogue, returns, folder / "validation.xlsx", finish=finish)
    write_agency_feedback(catalogue, returns, folder / "feedback", finish=finish)


VALIDATION_OUTPUTS = ("validation.json", "validation.xlsx", "feedback")


def run_validate(
    loaded: LoadedCatalogue,
    quarter: Quarter,
    returns_dir: Path,
    out_dir: Path,
    *,
    wait: float = 0,
    folders: Folders | None = None,
) -> tuple[Any, Path]:
    """Validate a quarter and refresh only the validation reports in `<out>/<quarter>/`.

    The folder is rebuilt whole beside its final place (a pack already there is linked in,
    untouched) with a manifest that stays true: it says when the reports were refreshed and
    from which inputs. The new folder is swapped in under the output lock, as a build's is.
    """
    from tees_dataset.returns import load_quarter

    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    check_inputs(returns_dir, out_dir, quarter)
    name = str(quarter)
    final = out_dir / name
    started = dt.datetime.now(dt.UTC)
    with output_lock(out_dir, wait):
        recover(out_dir, name)
        check_replaceable(final)
        returns = load_quarter(catalogue, quarter, returns_dir)
        _found_some(returns)
        staging = new_staging(out_dir, name)
        try:
            previous = read_manifest(final) if final.is_dir() else None
            if previous is not None:
                link_files(final, staging, previous["outputs"], skip=VALIDATION_OUTPUTS)
            synthetic = any(getattr(f, "synthetic", False) for f in returns.files)
            mark = SYNTHETIC_MARK if synthetic else ""
            write_validation_reports(catalogue, returns, staging, mark=mark)
            inputs = inputs_of(returns.files)
            validation = {
                "refreshed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": sorted(VALIDATION_OUTPUTS),
                "inputs": inputs,
            }
            write_manifest(
                staging,
                quarter=name,
                catalogue=catalogue_info(loaded),
                inputs=previous["inputs"] if previous else inputs,
                started=parse_time(previous.get("started")) if previous else started,
                folders=folders,
                synthetic=synthetic or bool(previous and previous.get("synthetic")),
                extra={"validation": validation} | ({"kind": "validation"} if not previous else {}),
            )
            swap_into_place(staging, final)
        finally:
            discard(staging)
    return returns, final


def _build_into(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    staging: Path,
    started: dt.datetime,
    key: str = "",
) -> BuildOutcome:
    from tees_dataset.compute import areas
    from tees_dataset.render.context import MARKING
    from tees_dataset.render.xlsx import write_dataset_workbook
    from tees_dataset.returns.feedback import summary

    quarter = str(options.quarter)
    # The render server starts as the returns are read (`compute_figures` says when), so that
    # it loads WeasyPrint meanwhile.
    pools: list[RenderPool | None] = []

    def start_render_pool() -> None:
        if not pools:
            pools.append(_start_render_pool(len(catalogue.partnerships)))

    settle: list[Callable[..., None]] = []  # waits for the cache entries still being written
    try:
        figures = compute_figures(catalogue, loaded, options, start_render_pool)
        settle.append(figures.settle)
        start_render_pool()
        pool = pools[0]
        returns = figures.returns
        _found_some(returns)
        marked = [f for f in figures.files if getattr(f, "synthetic", False)]
        synthetic = bool(marked)
        mark = SYNTHETIC_MARK if synthetic else ""  # on every output of a synthetic build
        if synthetic:
            log.warning("built from synthetic returns: every output is marked %s", SYNTHETIC_MARK)
        if synthetic and len(marked) < sum(1 for f in figures.files if f.agency_id):
            log.warning(
                "only some returns are marked synthetic (%s): check where they came from",
                ", ".join(printable(f"{f.path.parent.name}/{f.path.name}") for f in marked[:5]),
            )
        rows = figures.results.to_dicts()
        trend = figures.trend.to_dicts()
        benchmarks = benchmark_figures(catalogue, loaded, options, rows, trend)
        returns_summary = summary(catalogue, returns)
        contexts = pack_contexts(
            catalogue, loaded, options, figures, rows, trend, returns_summary, started, benchmarks
        )
        if synthetic:
            contexts = [replace(c, synthetic=mark) for c in contexts]

        from tees_dataset.responses import ENQUIRIES, write_enquiries

        def meanwhile() -> None:
            """What the build writes while the packs render."""
            if not options.publish:  # validation reports are internal: never published
                write_validation_reports(catalogue, returns, staging, mark=mark)
            _write_results_csv(figures.results, staging / "results.csv")
            _write_results_csv(figures.trend, staging / "trend.csv")
            write_benchmarks_csv(benchmarks, staging / "benchmarks.csv")
            write_enquiries(contexts, staging / ENQUIRIES)
            write_dataset_workbook(
                catalogue,
                rows,
                trend,
                [a.name for a in areas(catalogue)],
                staging / f"dataset-{quarter}.xlsx",
                quarter=quarter,
                marking="" if options.publish else MARKING,
                synthetic=mark,
            )

        packs = (
            PackCache(options.out_dir / ".cache" / "packs", loaded.sha256)
            if options.cache
            else None
        )
        with stage(f"rendering {len(contexts)} packs"):
            rendered = _render_all(
                contexts, staging, html=options.html, pool=pool, meanwhile=meanwhile, cache=packs
            )
        figures.settle()  # the cache entries written while the packs rendered
    except BaseException:
        if pools and pools[0] is not None:
            pools[0].abort()
        for abandon in settle:
            abandon(abandon=True)  # no waiting for the cache entries not yet written
        raise
    if pool is not None:
        pool.close()
    reused = {
        "files": sum(1 for f in figures.files if f.sha256), "read": figures.files_read,
        "quarters": len(figures.computed), "recomputed": len(figures.recomputed),
        "packs": len(contexts), "rendered": rendered,
    }  # fmt: skip
    log.info(
        "read %d of %d files, recomputed %d of %d quarters, re-rendered %d of %d packs "
        "(the rest unchanged, reused)",
        reused["read"], reused["files"], reused["recomputed"], reused["quarters"], rendered,
        len(contexts), extra={"event": "reused", **reused},
    )  # fmt: skip

    missing = [
        f"{r['agency_name']}: {r['return_title']} {r['status']}"
        for r in returns_summary
        if r["status"] != "received"
    ]
    code = ExitCode.INCOMPLETE if missing else ExitCode.OK
    errors = sum(1 for i in returns.issues if i.level is Level.ERROR)
    _write_manifest(
        loaded, options, figures.files, staging, started, synthetic=synthetic,
        outcome={"build_key": key, "outcome": {"exit_code": code, "missing": missing,
                                               "errors": errors}},
    )  # fmt: skip
    outputs = sorted(p for p in staging.iterdir() if p.is_file() and p.name != STAGING_MARK)
    return BuildOutcome(
        code, staging, outputs, missing, returns.issues, synthetic, errors=errors, reused=reused
    )


def _found_some(returns: Any) -> None:
    """No return identified for the quarter (only other quarters' files, or unidentifiable
    ones): like an empty folder, nothing is written and the previous outputs stay (exit 5)."""
    if any(status != "missing" for status in returns.status.values()):
        return
    for issue in returns.issues:
        log.warning("%s", issue)
    raise BuildError(
        f"no return for {returns.quarter} was found among the files in {returns.folder} "
        f"({len(returns.files)} looked at; see the warnings above): nothing was written and "
        "the previous outputs are as they were",
        ExitCode.NO_RETURNS,
    )
