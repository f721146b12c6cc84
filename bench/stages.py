"""The build's stages timed in one process (run in a fresh one: `--internal stages`)."""

from __future__ import annotations

import dataclasses
import importlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import CATALOGUE, QUARTER, Clock, max_rss_mb

# Each step and where the functions it times may be found: a module that imports a function
# by name holds its own reference, so every module that has it is wrapped.
STEPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("read", ("load_quarters", "load_quarter"),
     ("tees_dataset.returns", "tees_dataset.returns.load", "tees_dataset.figures",
      "tees_dataset.build")),
    ("compute", ("compute_quarter",),
     ("tees_dataset.compute", "tees_dataset.figures", "tees_dataset.build")),
    ("validation_reports", ("write_validation_reports",), ("tees_dataset.build",)),
    ("csv", ("_write_results_csv", "write_results_csv"),
     ("tees_dataset.build", "tees_dataset.figures")),
    ("dataset_workbook", ("write_dataset_workbook",), ("tees_dataset.render.xlsx",)),
    ("manifest", ("_write_manifest", "write_build_manifest"),
     ("tees_dataset.build", "tees_dataset.manifest")),
    ("html", ("render_html",), ("tees_dataset.render.pdf",)),
)  # fmt: skip


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _label(step: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """What one call did, for the per-call timings: the quarters read, the quarter computed,
    the pack rendered."""
    if step == "read":
        quarters = _arg(args, kwargs, 1, "quarters")
        if not isinstance(quarters, list):
            return f"read {quarters}"
        return f"read {quarters[0]}" + (f" to {quarters[-1]}" if len(quarters) > 1 else "")
    if step == "compute":
        return f"compute {getattr(_arg(args, kwargs, 1, 'inputs'), 'quarter', '?')}"
    if name == "render_html":
        return f"html {getattr(_arg(args, kwargs, 0, 'context'), 'partnership_id', '?')}"
    return step


def _no_pdf(html: str, target: Path) -> None:
    """In place of the build's write_pdf: an empty file where the pack would be (the floor
    times the rendering)."""
    Path(target).write_bytes(b"")


def stages(returns_dir: Path, out_dir: Path) -> dict[str, Any]:
    """The real build, run in this process with its steps timed.

    `run_build` runs unchanged except that: its caches are off (every quarter is read and
    computed, every pack's HTML made), no second process reads the oldest quarters (all are
    read here, so that each is timed), the packs' HTML is made here instead of in the render
    server and no PDF is laid out (each is an empty file: the floor times WeasyPrint, and a
    build's rendering is in its own log), and the functions it calls for each step are wrapped
    with a stopwatch (wall and CPU seconds, and the process's peak RSS after the step). What is
    not wrapped is reported as `other`; steps whose functions the build no longer has are
    listed in `unwrapped`.
    """
    clock, per_call = Clock(), Clock()
    rss: dict[str, float] = {}
    with clock("import"):
        import tees_dataset.build as build
        from tees_dataset.catalogue import load_catalogue
        from tees_dataset.quarter import Quarter

        modules = {m: importlib.import_module(m) for _, _, names in STEPS for m in names}
    with clock("import_weasyprint"):  # the build's render server loads it; timed apart
        import weasyprint  # noqa: F401
    rss["after_import"] = max_rss_mb()
    figures = importlib.import_module("tees_dataset.figures")
    if hasattr(figures, "SECOND_MIN_QUARTERS"):  # every quarter read here, so each is timed
        setattr(figures, "SECOND_MIN_QUARTERS", 10**6)  # noqa: B010
    pdf = importlib.import_module("tees_dataset.render.pdf")
    pdf_rendered = not hasattr(pdf, "write_pdf")  # a build that renders some other way
    if not pdf_rendered:
        setattr(pdf, "write_pdf", _no_pdf)  # noqa: B010  (a module attribute, not typed)
    frames: dict[str, int] = {}

    def count_rows(result: Any) -> None:
        for one in result if isinstance(result, list) else [result]:
            frames[str(one.quarter)] = sum(f.height for f in one.frames.values())

    def wrap(step: str, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with clock(step), per_call(_label(step, name, args, kwargs)):
                result = original(*args, **kwargs)
            rss[f"after_{step}"] = max_rss_mb()
            if step == "read":
                count_rows(result)
            return result

        return wrapper

    unwrapped = []
    for step, names, where in STEPS:
        wrapped: dict[int, Callable[..., Any]] = {}  # one wrapper per function, wherever it is
        for module_name in where:
            for name in names:
                original = getattr(modules[module_name], name, None)
                if callable(original):
                    wrapper = wrapped.setdefault(id(original), wrap(step, name, original))
                    setattr(modules[module_name], name, wrapper)
        if not wrapped:
            unwrapped.append(step)
    if hasattr(build, "_start_render_pool"):  # no render server: the packs in turn, here
        build._start_render_pool = lambda packs: None

    with clock("catalogue"):
        loaded = load_catalogue(CATALOGUE)
    fields = {f.name for f in dataclasses.fields(build.BuildOptions)}
    wanted: dict[str, Any] = {"html": True, "cache": False}
    options = build.BuildOptions(
        Quarter.parse(QUARTER),
        returns_dir,
        out_dir,
        **{k: v for k, v in wanted.items() if k in fields},
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    with clock("run_build"):
        outcome = build.run_build(loaded, options)
    timed = [step for step, _, _ in STEPS]
    other = clock.wall["run_build"] - sum(clock.wall.get(k, 0.0) for k in timed)
    steps = clock.as_dict()
    steps["other"] = {"wall_s": round(other, 3)}
    for pid in sorted({k.split(" ", 1)[1] for k in per_call.wall if k.startswith("html ")}):
        steps[f"html {pid}"] = {"wall_s": round(per_call.wall[f"html {pid}"], 3)}
    issues = outcome.issues
    html_bytes = {p.stem: p.stat().st_size for p in (out_dir / QUARTER).glob(f"*-{QUARTER}.html")}
    return {
        "stages": steps,
        "per_quarter": per_call.as_dict(),
        "unwrapped": unwrapped,
        "pdf_rendered": pdf_rendered,
        "html_bytes": html_bytes,
        "peak_rss_mb_after": rss,
        "exit_code": outcome.exit_code,
        "accepted_rows_per_quarter": frames,
        "accepted_rows": sum(frames.values()),
        "issues": {
            "errors": sum(1 for i in issues if i.level.value == "error"),
            "warnings": sum(1 for i in issues if i.level.value != "error"),
            "codes": sorted({i.code for i in issues}),
        },
        "missing": outcome.missing[:20],
    }
