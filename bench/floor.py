"""The floor a build is measured against: the returns read as text, and the build's own HTML
laid out by WeasyPrint (run in fresh processes: `--internal floor-read` and `floor-pdf`)."""

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


def floor_read(returns_dir: Path, html_dir: Path) -> dict[str, Any]:
    """The least reading can cost: every sheet of every return file as text, no validation.

    Run twice, the faster run kept (a floor should not carry noise).
    """
    clock = Clock()
    with clock("import fastexcel+polars"):
        import fastexcel
        import polars  # noqa: F401  (to_polars needs it)

    files = _files_read(returns_dir, html_dir)
    reads: list[tuple[float, float]] = []
    raw_rows = sheets = 0
    for _ in range(2):
        raw_rows = sheets = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for path in files:
            reader = fastexcel.read_excel(path)
            for name in reader.sheet_names:
                frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
                raw_rows += frame.height
                sheets += 1
        reads.append((time.perf_counter() - wall, time.process_time() - cpu))
    read_s, read_cpu_s = min(reads)
    return {
        "files": len(files),
        "sheets": sheets,
        "raw_rows": raw_rows,
        "read_s": read_s,
        "read_cpu_s": read_cpu_s,
        "imports": clock.as_dict(),
    }


def floor_pdf(returns_dir: Path, html_dir: Path) -> dict[str, Any]:
    """The least the packs can cost: WeasyPrint laying out the build's own HTML.

    Plain `write_pdf()`, and with the build's settings (locked-down fetcher, tagged PDF/UA-1),
    each pack alone and then all at once. One run of each: the benchmark runs this twice,
    between its two builds, and keeps the faster of each (see `merge_floor_pdf`).
    """
    clock = Clock()
    with clock("import weasyprint"):
        import weasyprint

        from tees_dataset.render.pdf import _asset_fetcher, templates_dir

    base_url = str(templates_dir()) + "/"
    pdf: dict[str, dict[str, float]] = {}
    for html_path in sorted(html_dir.glob(f"*-{QUARTER}.html")):
        html = html_path.read_text(encoding="utf-8")
        t = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        plain = time.perf_counter() - t
        t = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_asset_fetcher()).write_pdf(
            pdf_variant="pdf/ua-1", pdf_tags=True
        )
        tagged = time.perf_counter() - t
        pdf[html_path.stem] = {
            "plain_s": plain,
            "tagged_ua1_s": tagged,
            "html_bytes": len(html.encode()),
        }
    if not pdf:
        raise RuntimeError(f"no pack HTML in {html_dir}: the build did not write --html")
    concurrent = _concurrent_tagged(sorted(html_dir.glob(f"*-{QUARTER}.html")))
    return {"pdf": pdf, "pdf_tagged_concurrent_s": concurrent, "imports": clock.as_dict()}


def merge_floor_pdf(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The faster of each floor-pdf measurement over several runs of it."""
    pdf = {
        name: {
            "plain_s": min(r["pdf"][name]["plain_s"] for r in runs),
            "tagged_ua1_s": min(r["pdf"][name]["tagged_ua1_s"] for r in runs),
            "html_bytes": runs[-1]["pdf"][name]["html_bytes"],
        }
        for name in runs[0]["pdf"]
    }
    concurrent = [r["pdf_tagged_concurrent_s"] for r in runs if r["pdf_tagged_concurrent_s"]]
    return {
        "pdf": pdf,
        "pdf_runs": len(runs),
        "pdf_tagged_concurrent_s": min(concurrent) if concurrent else None,
        "pdf_sequential_s": sum(p["plain_s"] for p in pdf.values()),
        "pdf_parallel_s": max(p["plain_s"] for p in pdf.values()),
        "pdf_tagged_sequential_s": sum(p["tagged_ua1_s"] for p in pdf.values()),
        "pdf_tagged_parallel_s": max(p["tagged_ua1_s"] for p in pdf.values()),
    }


def _floor_worker_ready() -> None:
    import weasyprint

    weasyprint.HTML(string="<p>floor</p>").write_pdf()


def _floor_render_tagged(html_path: str) -> float:
    import weasyprint

    from tees_dataset.render.pdf import _asset_fetcher, templates_dir

    html = Path(html_path).read_text(encoding="utf-8")
    started = time.perf_counter()
    weasyprint.HTML(
        string=html, base_url=str(templates_dir()) + "/", url_fetcher=_asset_fetcher()
    ).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return time.perf_counter() - started


def _concurrent_tagged(html_paths: list[Path]) -> float | None:
    """Every pack rendered at the same time, one process each with WeasyPrint already loaded
    (as the build renders them), up to the machine's CPUs: the wall time until the last is
    done. None when there is one pack or one CPU."""
    workers = min(len(html_paths), os.cpu_count() or 1)
    if workers < 2:
        return None
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_floor_worker_ready
    ) as pool:
        list(pool.map(time.sleep, [0.5] * workers))  # every worker started and ready
        started = time.perf_counter()
        list(pool.map(_floor_render_tagged, [str(p) for p in html_paths]))
        return time.perf_counter() - started
