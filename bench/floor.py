"""The floor a build is measured against: the returns read as text, and the build's own HTML
laid out by WeasyPrint (run in a fresh process: `--internal floor`)."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.common import QUARTER, Clock


def _files_read(returns_dir: Path, html_dir: Path) -> list[Path]:
    """The return files the build read (its manifest's inputs), or without a manifest every
    return file of every quarter."""
    manifest = html_dir / "manifest.json"
    if manifest.is_file():
        inputs = json.loads(manifest.read_text(encoding="utf-8")).get("inputs", [])
        paths = [Path(i["path"]) for i in inputs if str(i.get("path", "")).endswith(".xlsx")]
        if paths:
            return sorted(paths)
    return sorted(p for p in returns_dir.rglob("*.xlsx") if p.parent.name[:4].isdigit())


def floor(returns_dir: Path, html_dir: Path) -> dict[str, Any]:
    """The least a build can cost: every sheet of every return file it read, as text with no
    validation, then the build's own HTML laid out by WeasyPrint as the build must (tagged
    PDF/UA-1), every pack at once in processes with WeasyPrint loaded (`_concurrent_tagged`).

    One run of each; the benchmark runs this again when the run was disturbed by other
    processes, and keeps the faster of each (see `merge_floor`).
    """
    clock = Clock()
    with clock("import fastexcel+polars"):
        import fastexcel
        import polars  # noqa: F401  (to_polars needs it)

    files = _files_read(returns_dir, html_dir)
    raw_rows = sheets = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for path in files:
        reader = fastexcel.read_excel(path)
        for name in reader.sheet_names:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
            raw_rows += frame.height
            sheets += 1
    read_s, read_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    html_paths = sorted(html_dir.glob(f"*-{QUARTER}.html"))
    if not html_paths:
        raise RuntimeError(f"no pack HTML in {html_dir}: the build did not write --html")
    concurrent, each = _concurrent_tagged(html_paths)
    return {
        "files": len(files),
        "sheets": sheets,
        "raw_rows": raw_rows,
        "read_s": read_s,
        "read_cpu_s": read_cpu_s,
        "pdf": {
            path.stem: {"tagged_ua1_s": seconds, "cpu_s": cpu, "html_bytes": path.stat().st_size}
            for path, (seconds, cpu) in zip(html_paths, each, strict=True)
        },
        "pdf_tagged_concurrent_s": concurrent,
        "render_cpu_s": sum(cpu for _, cpu in each),
        "render_processes": min(len(html_paths), os.cpu_count() or 1),
        "imports": clock.as_dict(),
    }


def merge_floor(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One floor from one or more runs of it: the faster read and the faster render of all
    packs at once, each pack's time from that render; its CPU, that read's and that render's."""
    read = min(runs, key=lambda r: r["read_s"])
    render = min(runs, key=lambda r: r["pdf_tagged_concurrent_s"])
    return {
        **read,
        "pdf": render["pdf"],
        "pdf_tagged_concurrent_s": render["pdf_tagged_concurrent_s"],
        "render_cpu_s": render["render_cpu_s"],
        "cpu_s": read["read_cpu_s"] + render["render_cpu_s"],
        "runs": len(runs),
        "read_s_runs": [round(r["read_s"], 3) for r in runs],
        "pdf_tagged_concurrent_s_runs": [round(r["pdf_tagged_concurrent_s"], 3) for r in runs],
    }


def _floor_worker_ready() -> None:
    import weasyprint

    weasyprint.HTML(string="<p>floor</p>").write_pdf()


def _floor_render_tagged(html_path: str) -> tuple[float, float]:
    """One pack rendered: its wall time and the CPU its process used for it."""
    import weasyprint

    from tees_dataset.render.pdf import _asset_fetcher, templates_dir

    html = Path(html_path).read_text(encoding="utf-8")
    started, cpu = time.perf_counter(), time.process_time()
    weasyprint.HTML(
        string=html, base_url=str(templates_dir()) + "/", url_fetcher=_asset_fetcher()
    ).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return time.perf_counter() - started, time.process_time() - cpu


def _concurrent_tagged(html_paths: list[Path]) -> tuple[float, list[tuple[float, float]]]:
    """Every pack rendered as the build renders them: one process each with WeasyPrint already
    loaded, up to the machine's CPUs at once (on one CPU, one after another). The wall time
    until the last is done, and each pack's own render time and CPU meanwhile."""
    workers = min(len(html_paths), os.cpu_count() or 1)
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_floor_worker_ready
    ) as pool:
        list(pool.map(time.sleep, [0.5] * workers))  # every worker started and ready
        started = time.perf_counter()
        each = list(pool.map(_floor_render_tagged, [str(p) for p in html_paths]))
        return time.perf_counter() - started, each
